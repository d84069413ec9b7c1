/*
 * web-fwsd.c: fws-web's side of fwsd's control socket, never waited on.
 * Calls (one request, one reply) share one connection, pipelined and
 * matched by id; it is made when needed and closed after WEB_FWSD_IDLE
 * seconds with nothing pending, before fwsd would close it as idle.
 * A stream has a connection of its own: "events" with follow (each
 * pushed line after the reply handed on), or a request whose reply
 * brings a descriptor (console, screen-connect: SCM_RIGHTS on the
 * reply's first byte).  Each call's callback runs exactly once: with
 * the reply, or with NULL and why when fwsd cannot be reached or goes
 * away (possibly before web_fwsd_call returns).  It knows the protocol's
 * envelope ("as", the front-end's uid-less verbs), not what verbs mean.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "fws.h"
#include "log.h"
#include "proto.h"
#include "web.h"

struct web_fwsd_call {
	TAILQ_ENTRY(web_fwsd_call)	 fc_entry;
	json_int_t			 fc_id;
	web_fwsd_fn			 fc_fn;
	void				*fc_arg;
};
TAILQ_HEAD(web_fwsd_calls, web_fwsd_call);

struct web_fwsd_stream {
	int			 fs_fd;
	struct bufferevent	*fs_bev;	/* a stream of lines */
	struct event		*fs_ev;		/* a reply with a descriptor */
	int			 fs_want_fd;
	int			 fs_replied;
	char			 fs_buf[PROTO_MAX_LINE];
	size_t			 fs_len;
	int			 fs_got_fd;
	web_fwsd_fn		 fs_reply;
	web_fwsd_line_fn	 fs_line;
	web_fwsd_end_fn		 fs_end;
	void			*fs_arg;
	int			 fs_in_cb;	/* a callback runs */
	int			 fs_dead;	/* closed meanwhile: free after */
};

static char			*web_fwsd_path;
static struct bufferevent	*web_fwsd_bev;
static struct web_fwsd_calls	 web_fwsd_calls =
    TAILQ_HEAD_INITIALIZER(web_fwsd_calls);
static json_int_t		 web_fwsd_next_id = 1;
static struct event		*web_fwsd_idle;

void
web_fwsd_init(const char *path)
{
	web_fwsd_path = xasprintf("%s", path);
}

/* A request line; "as" only when as >= 0. */
static char *
web_fwsd_line(json_int_t id, const char *cmd, int64_t as, json_t *args,
    size_t *len)
{
	json_t	*req;
	char	*line;

	if ((req = proto_request_new(id, cmd, args)) == NULL)
		return NULL;
	if (as >= 0)
		json_object_set_new(req, "as", json_integer(as));
	line = proto_encode(req, len);
	json_decref(req);
	return line;
}

/* fwsd's connection is gone: every pending call fails with why. */
static void
web_fwsd_lost(const char *why)
{
	struct web_fwsd_call	*fc;

	if (web_fwsd_bev != NULL) {
		bufferevent_free(web_fwsd_bev);
		web_fwsd_bev = NULL;
	}
	if (web_fwsd_idle != NULL)
		evtimer_del(web_fwsd_idle);
	while ((fc = TAILQ_FIRST(&web_fwsd_calls)) != NULL) {
		TAILQ_REMOVE(&web_fwsd_calls, fc, fc_entry);
		fc->fc_fn(fc->fc_arg, NULL, -1, why);
		free(fc);
	}
}

static void
web_fwsd_idle_check(void)
{
	struct timeval	 tv = { WEB_FWSD_IDLE, 0 };

	if (web_fwsd_bev != NULL && TAILQ_EMPTY(&web_fwsd_calls))
		evtimer_add(web_fwsd_idle, &tv);
	else
		evtimer_del(web_fwsd_idle);
}

static void
web_fwsd_idle_cb(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (TAILQ_EMPTY(&web_fwsd_calls))
		web_fwsd_lost("idle");
}

static void
web_fwsd_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct web_fwsd_call	*fc;
	json_t			*reply, *id;
	char			*line, *cause;
	size_t			 len;

	(void)arg;
	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (proto_reply_parse(line, len, &reply, &cause) == -1) {
			log_warnx("%s: %s", __func__, cause);
			free(cause);
			free(line);
			continue;
		}
		free(line);
		id = json_object_get(reply, "id");
		if (json_object_get(reply, "ok") == NULL || !json_is_integer(id)) {
			/* a job's progress; or a refusal of the connection */
			if (json_is_false(json_object_get(reply, "ok")))
				log_warnx("%s: fwsd: %s", __func__,
				    json_string_value(json_object_get(
				    json_object_get(reply, "error"), "message")));
			json_decref(reply);
			continue;
		}
		TAILQ_FOREACH(fc, &web_fwsd_calls, fc_entry)
			if (fc->fc_id == json_integer_value(id))
				break;
		if (fc != NULL) {
			TAILQ_REMOVE(&web_fwsd_calls, fc, fc_entry);
			fc->fc_fn(fc->fc_arg, reply, -1, NULL);
			free(fc);
		}
		json_decref(reply);
		if (web_fwsd_bev == NULL)
			return;
	}
	if (evbuffer_get_length(in) > WEB_FWSD_LINE_MAX) {
		log_warnx("%s: a reply from fwsd over %d bytes", __func__,
		    WEB_FWSD_LINE_MAX);
		web_fwsd_lost("fwsd's reply was too long");
		return;
	}
	web_fwsd_idle_check();
}

static void
web_fwsd_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		web_fwsd_lost("fwsd closed the connection");
}

static int
web_fwsd_connect(int *fdp, char **cause)
{
	char	*why;

	if ((*fdp = sock_connect(web_fwsd_path, SOCK_NONBLOCK, &why)) == -1) {
		cause_fail(cause, "fwsd cannot be reached (%s)", why);
		free(why);
		return -1;
	}
	return 0;
}

/*
 * Call cmd with args (taken) for uid as (-1: fws-web's own request);
 * fn(arg, reply, -1, NULL) with fwsd's whole reply, or fn(arg, NULL,
 * -1, why).
 */
void
web_fwsd_call(const char *cmd, int64_t as, json_t *args, web_fwsd_fn fn,
    void *arg)
{
	struct web_fwsd_call	*fc;
	char			*line = NULL, *cause;
	size_t			 len;
	int			 fd;

	if (web_fwsd_idle == NULL &&
	    (web_fwsd_idle = evtimer_new(web_base, web_fwsd_idle_cb, NULL)) ==
	    NULL)
		fatalx("%s: evtimer_new", __func__);
	if (web_fwsd_bev == NULL) {
		if (web_fwsd_connect(&fd, &cause) == -1) {
			json_decref(args);
			fn(arg, NULL, -1, cause);
			free(cause);
			return;
		}
		if ((web_fwsd_bev = bufferevent_socket_new(web_base, fd,
		    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
			close(fd);
			json_decref(args);
			fn(arg, NULL, -1, "out of memory");
			return;
		}
		bufferevent_setcb(web_fwsd_bev, web_fwsd_read, NULL,
		    web_fwsd_event, NULL);
		bufferevent_enable(web_fwsd_bev, EV_READ | EV_WRITE);
	}
	if ((fc = calloc(1, sizeof(*fc))) == NULL ||
	    (line = web_fwsd_line(web_fwsd_next_id, cmd, as, args, &len)) ==
	    NULL || bufferevent_write(web_fwsd_bev, line, len) == -1) {
		free(fc);
		free(line);
		fn(arg, NULL, -1, "out of memory");
		return;
	}
	free(line);
	fc->fc_id = web_fwsd_next_id++;
	fc->fc_fn = fn;
	fc->fc_arg = arg;
	TAILQ_INSERT_TAIL(&web_fwsd_calls, fc, fc_entry);
	web_fwsd_idle_check();
}

static void
web_fwsd_stream_free(struct web_fwsd_stream *fs)
{
	if (fs->fs_bev != NULL)
		bufferevent_free(fs->fs_bev);
	else if (fs->fs_fd != -1)
		close(fs->fs_fd);
	if (fs->fs_ev != NULL)
		event_free(fs->fs_ev);
	free(fs);
}

/* Run fs's reply callback once; 1 when fs was closed meanwhile. */
static int
web_fwsd_stream_reply(struct web_fwsd_stream *fs, json_t *reply, int fd,
    const char *why)
{
	fs->fs_replied = 1;
	fs->fs_in_cb = 1;
	fs->fs_reply(fs->fs_arg, reply, fd, why);
	fs->fs_in_cb = 0;
	if (fs->fs_dead) {
		web_fwsd_stream_free(fs);
		return 1;
	}
	return 0;
}

/* The end of fs's connection: said once, to whichever callback is due. */
static void
web_fwsd_stream_end(struct web_fwsd_stream *fs, const char *why)
{
	if (fs->fs_bev != NULL) {
		bufferevent_free(fs->fs_bev);
		fs->fs_bev = NULL;
	} else if (fs->fs_fd != -1)
		close(fs->fs_fd);
	fs->fs_fd = -1;
	if (fs->fs_ev != NULL)
		event_del(fs->fs_ev);
	if (!fs->fs_replied) {
		web_fwsd_stream_reply(fs, NULL, -1, why);
		return;
	}
	fs->fs_in_cb = 1;
	if (fs->fs_end != NULL)
		fs->fs_end(fs->fs_arg);
	fs->fs_in_cb = 0;
	if (fs->fs_dead)
		web_fwsd_stream_free(fs);
}

static void
web_fwsd_stream_read(struct bufferevent *bev, void *arg)
{
	struct web_fwsd_stream	*fs = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	json_t			*msg;
	char			*line, *cause;
	size_t			 len;
	int			 rc;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		rc = proto_reply_parse(line, len, &msg, &cause);
		free(line);
		if (rc == -1) {
			log_warnx("%s: %s", __func__, cause);
			free(cause);
			continue;
		}
		if (!fs->fs_replied) {
			if (json_object_get(msg, "ok") == NULL) {
				json_decref(msg);
				continue;
			}
			rc = web_fwsd_stream_reply(fs, msg, -1, NULL);
			json_decref(msg);
			if (rc)
				return;
			continue;
		}
		if (json_object_get(msg, "event") != NULL && fs->fs_line != NULL) {
			fs->fs_in_cb = 1;
			fs->fs_line(fs->fs_arg, msg);
			fs->fs_in_cb = 0;
		}
		json_decref(msg);
		if (fs->fs_dead) {
			web_fwsd_stream_free(fs);
			return;
		}
	}
	if (evbuffer_get_length(in) > WEB_FWSD_LINE_MAX)
		web_fwsd_stream_end(fs, "fwsd's line was too long");
}

static void
web_fwsd_stream_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		web_fwsd_stream_end(arg, "fwsd closed the connection");
}

/* The reply that brings a descriptor: read as bytes with ancillary data. */
static void
web_fwsd_stream_recv(int s, short what, void *arg)
{
	struct web_fwsd_stream	*fs = arg;
	json_t			*reply;
	char			*nl, *cause;
	ssize_t			 n;
	int			 fd = -1;

	(void)what;
	n = sock_recv_fd(s, fs->fs_buf + fs->fs_len,
	    sizeof(fs->fs_buf) - fs->fs_len, &fd);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		web_fwsd_stream_end(fs, "fwsd closed the connection");
		return;
	}
	if (fd != -1) {
		if (fs->fs_got_fd != -1)
			close(fd);	/* one descriptor per reply */
		else
			fs->fs_got_fd = fd;
	}
	fs->fs_len += n;
	if ((nl = memchr(fs->fs_buf, '\n', fs->fs_len)) == NULL) {
		if (fs->fs_len == sizeof(fs->fs_buf))
			web_fwsd_stream_end(fs, "fwsd's reply was too long");
		return;
	}
	event_del(fs->fs_ev);
	if (proto_reply_parse(fs->fs_buf, nl - fs->fs_buf, &reply, &cause) ==
	    -1) {
		log_warnx("%s: %s", __func__, cause);
		free(cause);
		reply = NULL;
	}
	fd = fs->fs_got_fd;
	fs->fs_got_fd = -1;
	if (reply == NULL || !json_is_true(json_object_get(reply, "ok"))) {
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	/* the descriptor is the caller's now; the connection has done */
	close(fs->fs_fd);
	fs->fs_fd = -1;
	web_fwsd_stream_reply(fs, reply, fd, reply == NULL ?
	    "fwsd's reply could not be read" : NULL);
	json_decref(reply);
}

/*
 * A connection of its own for cmd (args taken) as uid as.  reply runs
 * once, with fwsd's reply (and, when want_fd, the descriptor that came
 * with a successful one: the callee's to close), or NULL and why; then
 * line with each pushed event, and end when fwsd closes.  NULL when
 * fwsd cannot be reached (logged).  The caller ends the stream with
 * web_fwsd_close, from a callback or not.
 */
struct web_fwsd_stream *
web_fwsd_open(const char *cmd, int64_t as, json_t *args, int want_fd,
    web_fwsd_fn reply, web_fwsd_line_fn line, web_fwsd_end_fn end,
    void *arg)
{
	struct web_fwsd_stream	*fs;
	char			*req = NULL, *cause;
	size_t			 len;
	int			 fd;

	if ((fs = calloc(1, sizeof(*fs))) == NULL) {
		json_decref(args);
		return NULL;
	}
	fs->fs_fd = -1;
	fs->fs_got_fd = -1;
	fs->fs_want_fd = want_fd;
	fs->fs_reply = reply;
	fs->fs_line = line;
	fs->fs_end = end;
	fs->fs_arg = arg;
	if ((req = web_fwsd_line(0, cmd, as, args, &len)) == NULL)
		goto fail;
	if (web_fwsd_connect(&fd, &cause) == -1) {
		log_warnx("%s: %s", __func__, cause);
		free(cause);
		goto fail;
	}
	fs->fs_fd = fd;
	if (want_fd) {
		/* one short line into a new socket's empty buffer */
		if (send(fd, req, len, MSG_NOSIGNAL | MSG_DONTWAIT) !=
		    (ssize_t)len ||
		    (fs->fs_ev = event_new(web_base, fd, EV_READ | EV_PERSIST,
		    web_fwsd_stream_recv, fs)) == NULL ||
		    event_add(fs->fs_ev, NULL) == -1)
			goto fail;
	} else {
		if ((fs->fs_bev = bufferevent_socket_new(web_base, fd,
		    BEV_OPT_CLOSE_ON_FREE)) == NULL)
			goto fail;
		bufferevent_setcb(fs->fs_bev, web_fwsd_stream_read, NULL,
		    web_fwsd_stream_event, fs);
		if (bufferevent_write(fs->fs_bev, req, len) == -1 ||
		    bufferevent_enable(fs->fs_bev, EV_READ | EV_WRITE) == -1)
			goto fail;
	}
	free(req);
	return fs;
fail:
	free(req);
	web_fwsd_stream_free(fs);
	return NULL;
}

void
web_fwsd_close(struct web_fwsd_stream *fs)
{
	if (fs == NULL)
		return;
	if (fs->fs_got_fd != -1)
		close(fs->fs_got_fd);
	fs->fs_got_fd = -1;
	if (fs->fs_in_cb) {
		fs->fs_dead = 1;
		return;
	}
	web_fwsd_stream_free(fs);
}

void
web_fwsd_shutdown(void)
{
	web_fwsd_lost("fws-web is stopping");
	if (web_fwsd_idle != NULL)
		event_free(web_fwsd_idle);
	web_fwsd_idle = NULL;
	free(web_fwsd_path);
	web_fwsd_path = NULL;
}
