/*
 * qmp.c: one QMP connection on a libevent bufferevent.  It owns the
 * socket, the handshake (QEMU's greeting, then qmp_capabilities), the
 * pending commands with their ids, timers and callbacks, the routing of
 * every reply by its id and the hand-off of events, and the descriptors
 * some commands carry (SCM_RIGHTS, for QEMU's getfd and add-fd).
 * Splitting the byte stream into lines is qmp-frame.c's; what a reply or
 * an event means is the owner's.  Nothing here blocks, logs or exits:
 * whatever goes wrong reaches the owner through a callback.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>

#include "qmp.h"

#define QMP_READ_CHUNK	4096

enum qmp_state {
	QMP_S_GREETING,		/* waiting for {"QMP": ...} */
	QMP_S_NEGOTIATING,	/* qmp_capabilities sent, no reply yet */
	QMP_S_READY,
	QMP_S_CLOSED,		/* socket gone, pending commands failed */
};

struct qmp_cmd {
	TAILQ_ENTRY(qmp_cmd)	 qc_entry;
	struct qmp		*qc_qmp;
	json_int_t		 qc_id;
	char			*qc_line;	/* not sent yet while set */
	int			 qc_fd;		/* ours, sent with the line */
	int			 qc_alone;	/* carries a descriptor */
	struct event		*qc_timer;
	qmp_reply_fn		 qc_fn;
	void			*qc_arg;
};
TAILQ_HEAD(qmp_cmds, qmp_cmd);

struct qmp {
	struct event_base	*q_base;
	struct bufferevent	*q_bev;
	struct qmp_frame	 q_frame;
	struct qmp_handlers	 q_h;
	void			*q_arg;
	enum qmp_state		 q_state;
	json_int_t		 q_next_id;
	json_int_t		 q_caps_id;
	struct qmp_cmds		 q_cmds;	/* in the order asked for */
	struct event		*q_pump_ev;	/* sends what may go out */
	/*
	 * How many of our frames that may call the owner are on the stack.
	 * qmp_free() inside a callback only marks q_freed; whoever brings
	 * q_depth back to 0 frees, so no frame ever returns into freed memory.
	 */
	int			 q_depth;
	int			 q_freed;
};

static void
qmp_enter(struct qmp *q)
{
	q->q_depth++;
}

/* The last frame out frees a struct qmp_free() left for later. */
static void
qmp_leave(struct qmp *q)
{
	if (--q->q_depth > 0 || !q->q_freed)
		return;
	qmp_frame_clear(&q->q_frame);
	if (q->q_pump_ev != NULL)
		event_free(q->q_pump_ev);
	free(q);
}

/* Closing the socket at once tells QEMU, even if the struct must wait. */
static void
qmp_close_socket(struct qmp *q)
{
	if (q->q_bev != NULL) {
		bufferevent_free(q->q_bev);
		q->q_bev = NULL;
	}
	q->q_state = QMP_S_CLOSED;
}

static void
qmp_cmd_free(struct qmp_cmd *qc)
{
	if (qc->qc_timer != NULL)
		event_free(qc->qc_timer);
	if (qc->qc_fd != -1)
		close(qc->qc_fd);
	free(qc->qc_line);
	free(qc);
}

/*
 * Take a command out of the pending list before its callback runs, so
 * that a reply, a timeout or a disconnect can answer it only once.
 */
static void
qmp_cmd_finish(struct qmp_cmd *qc, json_t *ret, const char *cls,
    const char *desc)
{
	struct qmp	*q = qc->qc_qmp;

	TAILQ_REMOVE(&q->q_cmds, qc, qc_entry);
	if (qc->qc_timer != NULL)
		event_del(qc->qc_timer);
	qmp_enter(q);
	if (qc->qc_fn != NULL)
		qc->qc_fn(q, ret, cls, desc, qc->qc_arg);
	qmp_cmd_free(qc);
	qmp_leave(q);
}

static void
qmp_fail_all(struct qmp *q, const char *desc)
{
	struct qmp_cmd	*qc;

	while ((qc = TAILQ_FIRST(&q->q_cmds)) != NULL)
		qmp_cmd_finish(qc, NULL, QMP_ERR_DISCONNECTED, desc);
}

static struct qmp_cmd *
qmp_cmd_find(struct qmp *q, json_int_t id)
{
	struct qmp_cmd	*qc;

	TAILQ_FOREACH(qc, &q->q_cmds, qc_entry)
		if (qc->qc_id == id)
			return qc;
	return NULL;
}

/*
 * The line with its descriptor on its first byte: QEMU keeps the
 * descriptors that came with what it read last, for the command it runs
 * next that takes one.  What the socket does not take at once follows
 * through the bufferevent, which is empty (qmp_pump waits for that).
 */
static int
qmp_cmd_send_fd(struct qmp *q, struct qmp_cmd *qc)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	size_t		 len = strlen(qc->qc_line);
	ssize_t		 n;

	memset(&mh, 0, sizeof(mh));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = qc->qc_line;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cmsgbuf.buf;
	mh.msg_controllen = sizeof(cmsgbuf.buf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &qc->qc_fd, sizeof(int));
	do
		n = sendmsg(bufferevent_getfd(q->q_bev), &mh, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n <= 0 || ((size_t)n < len && bufferevent_write(q->q_bev,
	    qc->qc_line + n, len - n) == -1))
		return -1;
	close(qc->qc_fd);
	qc->qc_fd = -1;
	return 0;
}

static int
qmp_cmd_send(struct qmp *q, struct qmp_cmd *qc)
{
	if (qc->qc_fd != -1) {
		if (qmp_cmd_send_fd(q, qc) == -1)
			return -1;
	} else if (bufferevent_write(q->q_bev, qc->qc_line,
	    strlen(qc->qc_line)) == -1)
		return -1;
	free(qc->qc_line);
	qc->qc_line = NULL;
	return 0;
}

/*
 * Send what may go out now, in the order asked for.  A command carrying
 * a descriptor goes alone: once every command before it is answered and
 * all their bytes are out, and nothing after it goes until it is
 * answered, so that no other command can take its descriptor (QEMU
 * reads ahead of what it runs, and keeps only the descriptors it read
 * last).  Returns the command that could not be sent, or NULL.
 */
static struct qmp_cmd *
qmp_pump(struct qmp *q)
{
	struct qmp_cmd	*qc;
	int		 unanswered = 0;

	if (q->q_state != QMP_S_READY || q->q_freed)
		return NULL;
	TAILQ_FOREACH(qc, &q->q_cmds, qc_entry) {
		if (qc->qc_line == NULL) {
			if (qc->qc_alone)
				return NULL;
			unanswered++;
			continue;
		}
		if (qc->qc_alone && (unanswered > 0 || evbuffer_get_length(
		    bufferevent_get_output(q->q_bev)) > 0))
			return NULL;
		if (qmp_cmd_send(q, qc) == -1)
			return qc;
		if (qc->qc_alone)
			return NULL;
		unanswered++;
	}
	return NULL;
}

/* The connection cannot go on: fail what is pending, then tell the owner. */
static void
qmp_lost(struct qmp *q, const char *cause)
{
	if (q->q_state == QMP_S_CLOSED)
		return;
	qmp_close_socket(q);
	qmp_enter(q);
	qmp_fail_all(q, cause);
	if (!q->q_freed && q->q_h.qh_closed != NULL)
		q->q_h.qh_closed(q, cause, q->q_arg);
	qmp_leave(q);
}

/* Send what may go out; a command that cannot be sent ends the session. */
static void
qmp_pump_or_lose(struct qmp *q)
{
	char	 cause[128];

	if (qmp_pump(q) != NULL) {
		snprintf(cause, sizeof(cause), "cannot send a command to QEMU: "
		    "%s", strerror(errno));
		qmp_lost(q, cause);
	}
}

static void
qmp_pump_cb(int fd, short what, void *arg)
{
	struct qmp	*q = arg;

	(void)fd;
	(void)what;
	qmp_enter(q);
	qmp_pump_or_lose(q);
	qmp_leave(q);
}

/* One command as QEMU reads it, newline included; args are stolen. */
static char *
qmp_request(json_int_t id, const char *cmd, json_t *args)
{
	json_t	*req;
	char	*s, *line = NULL;

	if ((req = json_pack("{s:s, s:I}", "execute", cmd, "id", id)) == NULL) {
		json_decref(args);
		return NULL;
	}
	/* set_new steals args even when it fails */
	if (args != NULL && json_object_set_new(req, "arguments", args) == -1) {
		json_decref(req);
		return NULL;
	}
	if ((s = json_dumps(req, JSON_COMPACT)) != NULL &&
	    asprintf(&line, "%s\n", s) == -1)
		line = NULL;
	free(s);
	json_decref(req);
	return line;
}

static void
qmp_on_greeting(struct qmp *q, json_t *msg)
{
	char	*line;
	int	 rv = -1;

	(void)msg;
	if (q->q_state != QMP_S_GREETING)
		return;		/* QEMU greets once; ignore an echo */
	q->q_caps_id = q->q_next_id++;
	if ((line = qmp_request(q->q_caps_id, "qmp_capabilities",
	    NULL)) != NULL)
		rv = bufferevent_write(q->q_bev, line, strlen(line));
	free(line);
	if (rv == -1) {
		qmp_lost(q, "cannot send qmp_capabilities: out of memory");
		return;
	}
	q->q_state = QMP_S_NEGOTIATING;
}

/*
 * Commands queued during the handshake go out before the owner hears of
 * it, so that anything it sends from qh_ready comes after them.
 */
static void
qmp_on_caps_reply(struct qmp *q, json_t *err)
{
	const char	*desc;
	char		 cause[512];

	if (err != NULL) {
		desc = json_string_value(json_object_get(err, "desc"));
		snprintf(cause, sizeof(cause), "QEMU refused qmp_capabilities: "
		    "%s", desc ? desc : "no reason given");
		qmp_lost(q, cause);
		return;
	}
	q->q_state = QMP_S_READY;
	qmp_pump_or_lose(q);
	if (q->q_state == QMP_S_CLOSED)
		return;
	if (q->q_h.qh_ready != NULL)
		q->q_h.qh_ready(q, q->q_arg);
}

/* {"return": ..., "id": N} or {"error": {"class", "desc"}, "id": N} */
static void
qmp_on_reply(struct qmp *q, json_t *msg)
{
	struct qmp_cmd	*qc;
	json_t		*id, *err, *ret;
	const char	*cls, *desc;

	id = json_object_get(msg, "id");
	err = json_object_get(msg, "error");
	ret = json_object_get(msg, "return");
	/* we only send integer ids: anything else is not ours */
	if (!json_is_integer(id))
		return;
	if (q->q_state == QMP_S_NEGOTIATING &&
	    json_integer_value(id) == q->q_caps_id) {
		qmp_on_caps_reply(q, err);
		return;
	}
	/* unknown: answered already (timed out) or never asked */
	if ((qc = qmp_cmd_find(q, json_integer_value(id))) == NULL ||
	    qc->qc_line != NULL)
		return;
	if (err != NULL) {
		cls = json_string_value(json_object_get(err, "class"));
		desc = json_string_value(json_object_get(err, "desc"));
		qmp_cmd_finish(qc, NULL, cls ? cls : "GenericError",
		    desc ? desc : "QEMU gave no description");
	} else
		qmp_cmd_finish(qc, ret, NULL, NULL);
	/* what waited for this answer may go now */
	qmp_pump_or_lose(q);
}

static void
qmp_on_event(struct qmp *q, json_t *msg)
{
	const char	*name;

	name = json_string_value(json_object_get(msg, "event"));
	if (name == NULL || q->q_h.qh_event == NULL)
		return;
	q->q_h.qh_event(q, name, json_object_get(msg, "data"), q->q_arg);
}

/*
 * What a message is, by the key it carries.  The first match wins, so a
 * reply stays a reply whatever else QEMU adds; a message with none of
 * these keys is from a newer QEMU and is ignored.
 */
static const struct {
	const char	*key;
	void		(*fn)(struct qmp *, json_t *);
} qmp_kinds[] = {
	{ "QMP",	qmp_on_greeting },
	{ "return",	qmp_on_reply },
	{ "error",	qmp_on_reply },
	{ "event",	qmp_on_event },
};

static void
qmp_dispatch(struct qmp *q, const char *line, size_t len)
{
	json_error_t	 jerr;
	json_t		*msg;
	char		 cause[256];
	size_t		 i;

	if ((msg = json_loadb(line, len, 0, &jerr)) == NULL) {
		snprintf(cause, sizeof(cause), "malformed message from QEMU: "
		    "%s", jerr.text);
		qmp_lost(q, cause);
		return;
	}
	if (!json_is_object(msg)) {
		json_decref(msg);
		qmp_lost(q, "malformed message from QEMU: not a JSON object");
		return;
	}
	for (i = 0; i < sizeof(qmp_kinds) / sizeof(qmp_kinds[0]); i++) {
		if (json_object_get(msg, qmp_kinds[i].key) != NULL) {
			qmp_kinds[i].fn(q, msg);
			break;
		}
	}
	json_decref(msg);
}

static void
qmp_read_cb(struct bufferevent *bev, void *arg)
{
	struct qmp	*q = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		 chunk[QMP_READ_CHUNK], cause[128], *line;
	size_t		 len;
	int		 n, rv;

	qmp_enter(q);
	/*
	 * Feed a chunk at a time and drain it at once, so the frame never
	 * holds more than one chunk and one partial message.  Stop as soon
	 * as a callback frees or a message closes the connection.
	 */
	while (q->q_state != QMP_S_CLOSED && !q->q_freed &&
	    (n = evbuffer_remove(in, chunk, sizeof(chunk))) > 0) {
		if (qmp_frame_feed(&q->q_frame, chunk, n) == -1) {
			if (errno == EMSGSIZE)
				snprintf(cause, sizeof(cause), "message from "
				    "QEMU longer than %zu bytes",
				    q->q_frame.qf_max);
			else
				snprintf(cause, sizeof(cause), "message from "
				    "QEMU: out of memory");
			qmp_lost(q, cause);
			break;
		}
		while (q->q_state != QMP_S_CLOSED && !q->q_freed &&
		    (rv = qmp_frame_next(&q->q_frame, &line, &len)) != 0) {
			if (rv == -1) {
				qmp_lost(q, "message from QEMU: out of memory");
				break;
			}
			qmp_dispatch(q, line, len);
			free(line);
		}
	}
	qmp_leave(q);
}

/* All written: a command carrying a descriptor may be waiting for it. */
static void
qmp_write_cb(struct bufferevent *bev, void *arg)
{
	struct qmp	*q = arg;

	(void)bev;
	qmp_enter(q);
	qmp_pump_or_lose(q);
	qmp_leave(q);
}

static void
qmp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct qmp	*q = arg;
	char		 cause[256];

	(void)bev;
	if (what & BEV_EVENT_EOF)
		snprintf(cause, sizeof(cause), "QEMU closed the connection");
	else if (what & BEV_EVENT_ERROR)
		snprintf(cause, sizeof(cause), "connection to QEMU failed: %s",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	else
		return;
	qmp_enter(q);
	qmp_lost(q, cause);
	qmp_leave(q);
}

static void
qmp_timeout_cb(int fd, short what, void *arg)
{
	struct qmp_cmd	*qc = arg;
	struct qmp	*q = qc->qc_qmp;

	(void)fd;
	(void)what;
	qmp_enter(q);
	qmp_cmd_finish(qc, NULL, QMP_ERR_TIMEOUT, "QEMU did not reply in time");
	qmp_leave(q);
}

struct qmp *
qmp_open(struct event_base *base, int fd, const struct qmp_handlers *h,
    void *arg, size_t max_msg)
{
	struct qmp	*q;
	int		 flags, saved;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		goto fail;
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		goto fail;
	q->q_base = base;
	if (h != NULL)
		q->q_h = *h;
	q->q_arg = arg;
	q->q_state = QMP_S_GREETING;
	q->q_next_id = 1;
	TAILQ_INIT(&q->q_cmds);
	qmp_frame_init(&q->q_frame, max_msg);
	q->q_bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (q->q_bev == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	bufferevent_setcb(q->q_bev, qmp_read_cb, qmp_write_cb, qmp_event_cb,
	    q);
	if ((q->q_pump_ev = event_new(base, -1, 0, qmp_pump_cb, q)) == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	if (bufferevent_enable(q->q_bev, EV_READ | EV_WRITE) == -1) {
		errno = ENOMEM;
		goto fail;
	}
	return q;
fail:
	saved = errno;
	if (q != NULL && q->q_bev != NULL)
		bufferevent_free(q->q_bev);	/* closes fd */
	else
		close(fd);
	if (q != NULL && q->q_pump_ev != NULL)
		event_free(q->q_pump_ev);
	free(q);
	errno = saved;
	return NULL;
}

/*
 * Queue a command (with a copy of fd when fd >= 0).  One without a
 * descriptor goes out at once when nothing waits before it; one with a
 * descriptor always from the loop (qmp_pump_cb), never from here.
 */
static int
qmp_enqueue(struct qmp *q, const char *cmd, json_t *args, int fd,
    int timeout_ms, qmp_reply_fn fn, void *arg)
{
	struct qmp_cmd		*qc = NULL, *w;
	struct timeval		 tv;
	const struct timeval	*tvp;
	int			 error = ENOMEM, waits = 0;

	if (q->q_state == QMP_S_CLOSED || q->q_freed) {
		error = ENOTCONN;
		goto fail;
	}
	if (cmd == NULL) {
		error = EINVAL;
		goto fail;
	}
	if ((qc = calloc(1, sizeof(*qc))) == NULL)
		goto fail;
	qc->qc_qmp = q;
	qc->qc_id = q->q_next_id;
	qc->qc_fn = fn;
	qc->qc_arg = arg;
	qc->qc_fd = -1;
	if (fd >= 0) {
		qc->qc_alone = 1;
		if ((qc->qc_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) == -1) {
			error = errno;
			goto fail;
		}
	}
	qc->qc_line = qmp_request(qc->qc_id, cmd, args);
	args = NULL;
	if (qc->qc_line == NULL)
		goto fail;
	if (timeout_ms > 0) {
		/*
		 * Commands with the same timeout time out in the order they
		 * were sent, as qemu answers them: in one of libevent's
		 * common timeout queues (first in, first out) rather than
		 * its heap, where equal deadlines come out in any order
		 */
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		if ((tvp = event_base_init_common_timeout(q->q_base,
		    &tv)) == NULL)
			tvp = &tv;
		if ((qc->qc_timer = evtimer_new(q->q_base, qmp_timeout_cb,
		    qc)) == NULL || evtimer_add(qc->qc_timer, tvp) == -1)
			goto fail;
	}
	/* before the handshake it waits in the list for qmp_on_caps_reply,
	 * behind an unsent command or one with a descriptor for its turn */
	TAILQ_FOREACH(w, &q->q_cmds, qc_entry)
		if (w->qc_line != NULL || w->qc_alone)
			waits = 1;
	if (q->q_state == QMP_S_READY && !waits && !qc->qc_alone &&
	    qmp_cmd_send(q, qc) == -1)
		goto fail;
	q->q_next_id++;
	TAILQ_INSERT_TAIL(&q->q_cmds, qc, qc_entry);
	if (qc->qc_alone)
		event_active(q->q_pump_ev, 0, 0);
	return 0;
fail:
	if (qc != NULL)
		qmp_cmd_free(qc);
	json_decref(args);
	errno = error;
	return -1;
}

int
qmp_execute(struct qmp *q, const char *cmd, json_t *args, int timeout_ms,
    qmp_reply_fn fn, void *arg)
{
	return qmp_enqueue(q, cmd, args, -1, timeout_ms, fn, arg);
}

int
qmp_execute_fd(struct qmp *q, const char *cmd, json_t *args, int fd,
    int timeout_ms, qmp_reply_fn fn, void *arg)
{
	if (fd < 0) {
		json_decref(args);
		errno = EBADF;
		return -1;
	}
	return qmp_enqueue(q, cmd, args, fd, timeout_ms, fn, arg);
}

int
qmp_is_ready(const struct qmp *q)
{
	return q->q_state == QMP_S_READY && !q->q_freed;
}

void
qmp_peer_killed(struct qmp *q)
{
	if (q == NULL || q->q_freed)
		return;
	qmp_close_socket(q);
}

void
qmp_free(struct qmp *q)
{
	if (q == NULL || q->q_freed)
		return;
	q->q_freed = 1;
	qmp_enter(q);
	qmp_close_socket(q);
	qmp_fail_all(q, "the connection was closed by its owner");
	qmp_leave(q);
}
