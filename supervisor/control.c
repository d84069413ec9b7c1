/*
 * control.c: the control socket.  It accepts connections, buffers each
 * client's input, cuts it into lines (capped at PROTO_MAX_LINE) and hands
 * every line to a callback with the client's id; replies come back by
 * that id, so a client that went away meanwhile is simply skipped.  A
 * client that stops reading is dropped before its output grows without
 * bound.  Each connection's peer is known by SO_PEERCRED and
 * SO_PEERGROUPS: its uid, and whether it is an admin (root, or a member
 * of the admin group).
 *
 * No one user can take the socket from the others: each uid but root's
 * may hold max_clients_per_user connections (but the web front-end's on
 * the UNIX socket, a connection per browser tab's events), all of them
 * together max_clients, and a connection over a cap is told why in one line and
 * closed at once.  A connection with no request in progress that sends
 * nothing for client_idle_timeout seconds is closed, unless it was made
 * a stream (control_stream).  Root is admitted while descriptors last;
 * when they run out, a spare one lets fwsd refuse the waiting
 * connections, and the socket is left alone until a client leaves or a
 * second has passed.  Refusals are logged as counts, a line per
 * CONTROL_REFUSED_EVERY seconds at most.  It knows connections, not
 * commands or VMs.
 *
 * Connections made elsewhere join the same list through control_adopt:
 * control-tls.c's, once their handshake has said who is calling (a uid,
 * admin or not, and a certificate's subject).  They are held to the
 * same caps, timeouts and line lengths; only descriptors cannot travel
 * on them (control_passes_fds).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
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

#define CONTROL_MAX_OUTPUT	(4 * 1024 * 1024)
#define CONTROL_PAUSE		1	/* s without accepting, out of fds */
#define CONTROL_SHED_MAX	256	/* refused at once, out of fds */
#define CONTROL_REFUSED_EVERY	10	/* s between lines about refusals */

struct client {
	TAILQ_ENTRY(client)	 cl_entry;
	uint64_t		 cl_id;
	struct bufferevent	*cl_bev;
	unsigned		 cl_pending;	/* requests not answered yet */
	int			 cl_eof;	/* no more input */
	int			 cl_closing;	/* close once output is sent */
	int			 cl_stream;	/* pushes: never idle */
	struct event		*cl_idle;	/* closes it when idle */
	uid_t			 cl_uid;
	pid_t			 cl_pid;	/* 0: a remote client */
	int			 cl_admin;
	char			*cl_subject;	/* remote: its certificate's;
						   NULL: the UNIX socket's */
};
TAILQ_HEAD(clients, client);

/* Why a connection is refused at accept; indexes control_refusal_what. */
enum control_refusal {
	CONTROL_OVER_USER,	/* over max_clients_per_user */
	CONTROL_OVER_ALL,	/* over max_clients */
	CONTROL_NO_FDS,		/* out of descriptors */
	CONTROL_NREFUSALS
};

static const char *const control_refusal_what[] = {
	[CONTROL_OVER_USER] = "over max_clients_per_user",
	[CONTROL_OVER_ALL] = "over max_clients",
	[CONTROL_NO_FDS] = "with fwsd out of descriptors",
};

/*
 * Refusals since the last line about them.  The first one after a quiet
 * spell is logged at once and opens a window; at its end the window's
 * refusals are summed up in one line, and another window opens, until
 * one passes without any.
 */
struct control_refused {
	unsigned	 rf_count[CONTROL_NREFUSALS];
	uid_t		 rf_uid;	/* the first uid over its cap */
	int		 rf_uids;	/* more than one was */
	struct event	*rf_ev;		/* the end of the window */
};

static struct clients	 clients = TAILQ_HEAD_INITIALIZER(clients);
static uint64_t		 control_next_id = 1;
static int		 control_fd = -1;
static struct event	*control_ev;
static char		*control_path;
static control_line_fn	 control_line;
static control_gone_fn	 control_gone;
static gid_t		 control_admin_gid = (gid_t)-1;
static int		 control_spare = -1;	/* given up, out of fds */
static struct event	*control_resume_ev;	/* ends a pause */
static int		 control_paused;	/* control_ev is not watched */
static const struct timeval *control_idle_tv;	/* NULL: idle is kept */
static struct control_refused control_refused;

static struct client *control_new(uid_t, int, const char *);
static void	 control_start(struct client *);

static struct client *
control_find(uint64_t id)
{
	struct client	*cl;

	TAILQ_FOREACH(cl, &clients, cl_entry)
		if (cl->cl_id == id)
			return cl;
	return NULL;
}

/*
 * Watch the socket again: a client left (a descriptor is free) or the
 * pause is over, whichever comes first.
 */
static void
control_resume(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (!control_paused)
		return;
	control_paused = 0;
	evtimer_del(control_resume_ev);
	event_add(control_ev, NULL);
}

/* Leave the socket alone: every accept would fail as the last did. */
static void
control_pause(void)
{
	struct timeval	 tv = { CONTROL_PAUSE, 0 };

	if (control_paused)
		return;
	control_paused = 1;
	event_del(control_ev);
	evtimer_add(control_resume_ev, &tv);
}

static void
control_close(struct client *cl)
{
	log_debug("%s: client %llu (pid %d) gone", __func__,
	    (unsigned long long)cl->cl_id, (int)cl->cl_pid);
	TAILQ_REMOVE(&clients, cl, cl_entry);
	bufferevent_free(cl->cl_bev);
	event_free(cl->cl_idle);
	if (control_gone != NULL)
		control_gone(cl->cl_id);
	free(cl->cl_subject);
	free(cl);
	/* a descriptor is free again */
	control_resume(-1, 0, NULL);
}

/*
 * Run cl's idle timer, from now, while it has nothing in progress (or
 * is being closed and may never read what it was told); stop it while a
 * request is answered or the connection streams.
 */
static void
control_idle_check(struct client *cl)
{
	if (control_idle_tv == NULL)
		return;
	if (cl->cl_closing || (cl->cl_pending == 0 && !cl->cl_stream))
		evtimer_add(cl->cl_idle, control_idle_tv);
	else
		evtimer_del(cl->cl_idle);
}

static void
control_idle(int fd, short what, void *arg)
{
	struct client	*cl = arg;

	(void)fd;
	(void)what;
	log_debug("%s: client %llu (pid %d) idle for %u s, closed", __func__,
	    (unsigned long long)cl->cl_id, (int)cl->cl_pid,
	    conf.cf_client_idle_timeout);
	control_close(cl);
}

/* Close when nothing is left to say: input over, replies all written. */
static void
control_maybe_close(struct client *cl)
{
	if (evbuffer_get_length(bufferevent_get_output(cl->cl_bev)) != 0)
		return;
	if (cl->cl_closing || (cl->cl_eof && cl->cl_pending == 0))
		control_close(cl);
}

/* An error reply to no request in particular, encoded; NULL if it fails. */
static char *
control_error_line(enum proto_err code, const char *msg, size_t *len)
{
	json_t	*r = proto_reply_error(NULL, code, msg);
	char	*line;

	line = proto_encode(r, len);
	json_decref(r);
	return line;
}

static void
control_error_close(struct client *cl, const char *msg)
{
	char	*line;
	size_t	 len;

	if ((line = control_error_line(PROTO_ERR_INVALID_ARGUMENT, msg,
	    &len)) != NULL) {
		bufferevent_write(cl->cl_bev, line, len);
		free(line);
	}
	cl->cl_closing = 1;
	bufferevent_disable(cl->cl_bev, EV_READ);
	control_idle_check(cl);
}

static void
control_read(struct bufferevent *bev, void *arg)
{
	struct client	*cl = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	struct evbuffer_ptr eol;
	size_t		 eol_len, len;
	uint64_t	 id = cl->cl_id;
	char		*line;

	while (!cl->cl_closing) {
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos == -1) {
			/* evbuffer_readln has no cap: ours is here */
			if (evbuffer_get_length(in) > PROTO_MAX_LINE)
				control_error_close(cl, "request line too long");
			break;
		}
		len = eol.pos;
		if (len > PROTO_MAX_LINE) {
			control_error_close(cl, "request line too long");
			break;
		}
		if ((line = malloc(len + 1)) == NULL) {
			control_error_close(cl, "out of memory");
			break;
		}
		evbuffer_remove(in, line, len);
		evbuffer_drain(in, eol_len);
		line[len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len == 0) {
			free(line);
			continue;
		}
		cl->cl_pending++;
		control_line(id, line, len);
		free(line);
		/* the handler may have written enough to drop the client */
		if ((cl = control_find(id)) == NULL)
			return;
	}
	control_idle_check(cl);
	control_maybe_close(cl);
}

static void
control_written(struct bufferevent *bev, void *arg)
{
	(void)bev;
	control_maybe_close(arg);
}

static void
control_event(struct bufferevent *bev, short what, void *arg)
{
	struct client	*cl = arg;

	(void)bev;
	if (what & BEV_EVENT_EOF) {
		cl->cl_eof = 1;
		control_maybe_close(cl);
		return;
	}
	if (what & BEV_EVENT_ERROR)
		control_close(cl);
}

/* Is gid among the peer's supplementary groups (as they were at connect)? */
static int
control_in_group(int s, gid_t gid)
{
	gid_t		 small[64], *groups = small;
	socklen_t	 len = sizeof(small);
	size_t		 i, n;
	int		 found = 0;

	if (getsockopt(s, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == -1) {
		if (errno != ERANGE || (groups = malloc(len)) == NULL)
			return 0;
		if (getsockopt(s, SOL_SOCKET, SO_PEERGROUPS, groups,
		    &len) == -1) {
			free(groups);
			return 0;
		}
	}
	n = len / sizeof(gid_t);
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			found = 1;
	if (groups != small)
		free(groups);
	return found;
}

/* The end of a window: its refusals in one line, or the end of counting. */
static void
control_refused_log(int fd, short what, void *arg)
{
	struct control_refused	*rf = &control_refused;
	struct timeval		 tv = { CONTROL_REFUSED_EVERY, 0 };
	char			 buf[512];	/* room for every reason */
	const char		*sep = ":";
	unsigned		 total = 0;
	size_t			 off;
	int			 i;

	(void)fd;
	(void)what;
	(void)arg;
	for (i = 0; i < CONTROL_NREFUSALS; i++)
		total += rf->rf_count[i];
	if (total == 0)
		return;		/* quiet: the next refusal is logged at once */
	off = snprintf(buf, sizeof(buf), "refused %u connection%s in %d s",
	    total, total == 1 ? "" : "s", CONTROL_REFUSED_EVERY);
	for (i = 0; i < CONTROL_NREFUSALS; i++) {
		if (rf->rf_count[i] == 0)
			continue;
		off += snprintf(buf + off, sizeof(buf) - off, "%s %u %s", sep,
		    rf->rf_count[i], control_refusal_what[i]);
		if (i == CONTROL_OVER_USER)
			off += snprintf(buf + off, sizeof(buf) - off,
			    " (uid %u%s)", (unsigned)rf->rf_uid,
			    rf->rf_uids ? " and others" : "");
		sep = ",";
	}
	log_warnx("%s", buf);
	memset(rf->rf_count, 0, sizeof(rf->rf_count));
	rf->rf_uids = 0;
	evtimer_add(rf->rf_ev, &tv);
}

/*
 * Count a refusal: the first after a quiet spell is logged at once (who
 * names the peer, " from ..."), the others summed up at the window's end.
 */
static void
control_refused_count(enum control_refusal why, uid_t uid, const char *who,
    const char *msg)
{
	struct control_refused	*rf = &control_refused;
	struct timeval		 tv = { CONTROL_REFUSED_EVERY, 0 };

	if (!evtimer_pending(rf->rf_ev, NULL)) {
		log_warnx("refused a connection%s: %s", who, msg);
		evtimer_add(rf->rf_ev, &tv);
		return;
	}
	if (why == CONTROL_OVER_USER && rf->rf_count[why] == 0)
		rf->rf_uid = uid;
	else if (why == CONTROL_OVER_USER && uid != rf->rf_uid)
		rf->rf_uids = 1;
	rf->rf_count[why]++;
}

/*
 * Tell the peer of a connection just accepted why it is refused, in one
 * line (its empty buffer takes it without waiting), and close it.  The
 * refusal is counted; only the first after a quiet spell is logged.
 */
static void
control_refuse(int s, enum control_refusal why, const struct ucred *cred,
    const char *msg)
{
	char			*line, who[64];
	size_t			 len;

	if ((line = control_error_line(PROTO_ERR_BUSY, msg, &len)) != NULL) {
		(void)send(s, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		free(line);
	}
	close(s);
	if (cred != NULL)
		snprintf(who, sizeof(who), " from pid %d", (int)cred->pid);
	else
		who[0] = '\0';
	control_refused_count(why, cred != NULL ? cred->uid : 0, who, msg);
}

/*
 * Why uid may not have one more connection (local: on the UNIX socket),
 * a sentence for the peer; NULL when it may.  Root may while descriptors
 * last, so that an admin can act while others flood the socket; the web
 * front-end (web_user, local) within max_clients.
 */
static char *
control_over_cap(uid_t uid, int local, enum control_refusal *why)
{
	struct client	*cl;
	unsigned	 mine = 0, all = 0;
	int		 web = local && conf.cf_web_user != NULL &&
	    uid == conf.cf_web_uid;

	if (uid == 0)
		return NULL;
	TAILQ_FOREACH(cl, &clients, cl_entry) {
		if (cl->cl_uid == uid)
			mine++;
		if (cl->cl_uid != 0)
			all++;
	}
	if (mine >= conf.cf_max_clients_per_user && !web) {
		*why = CONTROL_OVER_USER;
		return xasprintf("too many connections from uid %u "
		    "(max_clients_per_user = %u)", (unsigned)uid,
		    conf.cf_max_clients_per_user);
	}
	if (all >= conf.cf_max_clients) {
		*why = CONTROL_OVER_ALL;
		return xasprintf("too many connections from all users "
		    "(max_clients = %u)", conf.cf_max_clients);
	}
	return NULL;
}

/*
 * Out of descriptors.  The spare one is given up for as long as it takes
 * to refuse the connections waiting, rather than leave them waiting or
 * the socket readable; then the socket is left alone until a client
 * leaves or CONTROL_PAUSE has passed.
 */
static void
control_shed(int fd)
{
	int	 i, s;

	if (control_spare != -1)
		close(control_spare);
	for (i = 0; i < CONTROL_SHED_MAX; i++) {
		if ((s = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			break;
		control_refuse(s, CONTROL_NO_FDS, NULL, "fwsd is out of file "
		    "descriptors: try again later");
	}
	control_spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	control_pause();
}

static void
control_accept(int fd, short what, void *arg)
{
	struct client		*cl;
	struct ucred		 cred;
	socklen_t		 credlen = sizeof(cred);
	enum control_refusal	 why;
	char			*msg;
	int			 s;

	(void)what;
	(void)arg;
	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno == EMFILE || errno == ENFILE)
			control_shed(fd);
		else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED) {
			/* it would fail again at once: not in a loop */
			log_warn("%s: accept", __func__);
			control_pause();
		}
		return;
	}
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) == -1) {
		/* who is calling decides what they see: no answer, no entry */
		log_warn("%s: SO_PEERCRED", __func__);
		close(s);
		return;
	}
	if ((msg = control_over_cap(cred.uid, 1, &why)) != NULL) {
		control_refuse(s, why, &cred, msg);
		free(msg);
		return;
	}
	if ((cl = control_new(cred.uid, cred.uid == 0 ||
	    (control_admin_gid != (gid_t)-1 && (cred.gid == control_admin_gid ||
	    control_in_group(s, control_admin_gid))), NULL)) == NULL) {
		close(s);
		return;
	}
	cl->cl_pid = cred.pid;
	cl->cl_bev = bufferevent_socket_new(base, s, BEV_OPT_CLOSE_ON_FREE);
	if (cl->cl_bev == NULL) {
		log_warnx("%s: bufferevent_socket_new failed", __func__);
		close(s);
		event_free(cl->cl_idle);
		free(cl);
		return;
	}
	control_start(cl);
}

/*
 * A client as yet without a connection: its identity, its id and its
 * idle timer.  NULL when memory runs out.
 */
static struct client *
control_new(uid_t uid, int admin, const char *subject)
{
	struct client	*cl;

	if ((cl = calloc(1, sizeof(*cl))) == NULL ||
	    (cl->cl_idle = evtimer_new(base, control_idle, cl)) == NULL ||
	    (subject != NULL && (cl->cl_subject = strdup(subject)) == NULL)) {
		log_warn("%s: calloc", __func__);
		if (cl != NULL && cl->cl_idle != NULL)
			event_free(cl->cl_idle);
		free(cl);
		return NULL;
	}
	cl->cl_uid = uid;
	cl->cl_admin = admin;
	cl->cl_id = control_next_id++;
	return cl;
}

/* The client's connection is served from now on. */
static void
control_start(struct client *cl)
{
	bufferevent_setcb(cl->cl_bev, control_read, control_written,
	    control_event, cl);
	bufferevent_enable(cl->cl_bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&clients, cl, cl_entry);
	control_idle_check(cl);
	log_debug("%s: client %llu (%s%d uid %d%s)", __func__,
	    (unsigned long long)cl->cl_id, cl->cl_subject != NULL ?
	    "remote, fd " : "pid ", cl->cl_subject != NULL ?
	    (int)bufferevent_getfd(cl->cl_bev) : (int)cl->cl_pid,
	    (int)cl->cl_uid, cl->cl_admin ? ", admin" : "");
}

/*
 * Serve a connection made elsewhere (bev, consumed), whose peer is
 * known: uid, admin or not, and subject (a certificate's, for the log).
 * A connection over a cap is told why in one line and closed once it
 * is written; what it sent already is never read.
 */
void
control_adopt(struct bufferevent *bev, uid_t uid, int admin,
    const char *subject)
{
	struct client		*cl;
	enum control_refusal	 why;
	char			*msg, who[FWS_TLS_CN_MAX + 16];

	if ((cl = control_new(uid, admin, subject)) == NULL) {
		bufferevent_free(bev);
		return;
	}
	cl->cl_bev = bev;
	if ((msg = control_over_cap(uid, 0, &why)) != NULL) {
		snprintf(who, sizeof(who), " from %s", subject);
		control_refused_count(why, uid, who, msg);
		cl->cl_pending = 0;
		bufferevent_setcb(bev, NULL, control_written, control_event,
		    cl);
		TAILQ_INSERT_TAIL(&clients, cl, cl_entry);
		control_error_close(cl, msg);
		free(msg);
		return;
	}
	control_start(cl);
	/* what came with the handshake is read now: no event will say so */
	if (evbuffer_get_length(bufferevent_get_input(bev)) != 0)
		control_read(bev, cl);
}

/* The certificate subject of a remote client; NULL for a local one. */
const char *
control_subject(uint64_t id)
{
	struct client	*cl;

	if ((cl = control_find(id)) == NULL)
		return NULL;
	return cl->cl_subject;
}

/* May a descriptor go to client id (SCM_RIGHTS: the UNIX socket only)? */
int
control_passes_fds(uint64_t id)
{
	struct client	*cl;

	return (cl = control_find(id)) != NULL && cl->cl_subject == NULL;
}

/* Who is at the other end of connection id: -1 when it is gone. */
int
control_peer(uint64_t id, uid_t *uid, int *admin)
{
	struct client	*cl;

	if ((cl = control_find(id)) == NULL)
		return -1;
	*uid = cl->cl_uid;
	*admin = cl->cl_admin;
	return 0;
}

/*
 * Listen at path, unless another fwsd still answers there.  The socket
 * is 0660 root:group (group -1: root's), so only root and the group may
 * connect; members of admin_gid are admins.
 */
int
control_listen(const char *path, gid_t group, gid_t admin_gid,
    control_line_fn fn, control_gone_fn gone, char **cause)
{
	static struct timeval	 idle;
	int			 s;

	if ((s = sock_connect(path, 0, NULL)) != -1) {
		close(s);
		return cause_fail(cause, "%s: another fwsd is already running",
		    path);
	}
	/* 0660: root and the socket's group may talk to fwsd */
	control_fd = sock_listen(path, 0660, SOCK_NONBLOCK, cause);
	if (control_fd == -1)
		return -1;
	if (group != (gid_t)-1 && chown(path, 0, group) == -1) {
		cause_fail(cause, "%s: chown to group %u: %s", path,
		    (unsigned)group, strerror(errno));
		goto fail;
	}
	if ((control_spare = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		cause_fail(cause, "/dev/null: %s", strerror(errno));
		goto fail;
	}
	control_admin_gid = admin_gid;
	control_ev = event_new(base, control_fd, EV_READ | EV_PERSIST,
	    control_accept, NULL);
	control_resume_ev = evtimer_new(base, control_resume, NULL);
	control_refused.rf_ev = evtimer_new(base, control_refused_log, NULL);
	if (control_ev == NULL || control_resume_ev == NULL ||
	    control_refused.rf_ev == NULL ||
	    event_add(control_ev, NULL) == -1) {
		cause_fail(cause, "%s: cannot watch the socket", path);
		goto fail;
	}
	/* idle timers all have one length: libevent keeps them in a queue */
	if (conf.cf_client_idle_timeout != 0) {
		idle.tv_sec = conf.cf_client_idle_timeout;
		if ((control_idle_tv = event_base_init_common_timeout(base,
		    &idle)) == NULL)
			control_idle_tv = &idle;
	}
	control_line = fn;
	control_gone = gone;
	control_path = xasprintf("%s", path);
	return 0;
fail:
	control_shutdown();
	return -1;
}

/* Stop listening and drop every client. */
void
control_shutdown(void)
{
	struct client	*cl;

	control_paused = 0;
	if (control_ev != NULL)
		event_free(control_ev);
	control_ev = NULL;
	if (control_resume_ev != NULL)
		event_free(control_resume_ev);
	control_resume_ev = NULL;
	if (control_refused.rf_ev != NULL)
		event_free(control_refused.rf_ev);
	control_refused.rf_ev = NULL;
	if (control_fd != -1) {
		close(control_fd);
		if (control_path != NULL)
			unlink(control_path);
	}
	control_fd = -1;
	if (control_spare != -1)
		close(control_spare);
	control_spare = -1;
	free(control_path);
	control_path = NULL;
	while ((cl = TAILQ_FIRST(&clients)) != NULL)
		control_close(cl);
}

/*
 * Queue line for cl.  An answer behind nothing on the UNIX socket is
 * sent at once: whoever waits for it does not wait for the loop's next
 * turn (what the socket does not take is queued as any output is).
 * Not a pushed event: those are told inside the transaction that
 * records them, and go out once the loop turns, after its commit.  Not
 * to a client at its end either: its close waits for the output's
 * drain (control_written).  The bufferevent's own output cannot be
 * written from here: libevent keeps its front frozen outside its write
 * callback.
 */
static int
control_queue(struct client *cl, const char *line, size_t len, int answer)
{
	struct evbuffer	*out = bufferevent_get_output(cl->cl_bev);
	ssize_t		 n;

	if (evbuffer_get_length(out) + len > CONTROL_MAX_OUTPUT) {
		log_warnx("client %llu (pid %d) does not read its replies, "
		    "dropped", (unsigned long long)cl->cl_id, (int)cl->cl_pid);
		control_close(cl);
		return -1;
	}
	if (answer && cl->cl_subject == NULL && !cl->cl_eof &&
	    !cl->cl_closing && evbuffer_get_length(out) == 0) {
		n = send(bufferevent_getfd(cl->cl_bev), line, len,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			line += n;
			len -= n;
		}
		if (len == 0)
			return 0;
	}
	if (bufferevent_write(cl->cl_bev, line, len) == -1)
		return -1;
	return 0;
}

/* Queue msg (consumed) for client id; an answer settles one request. */
static int
control_out(uint64_t id, json_t *msg, int answer)
{
	struct client	*cl;
	char		*line;
	size_t		 len;
	int		 rc = -1;

	if ((cl = control_find(id)) != NULL && !cl->cl_closing &&
	    (line = proto_encode(msg, &len)) != NULL) {
		if (answer && cl->cl_pending > 0)
			cl->cl_pending--;
		if (answer)
			control_idle_check(cl);
		rc = control_queue(cl, line, len, answer);
		free(line);
	}
	json_decref(msg);
	return rc;
}

/* Send one reply to client id (consumed).  -1 when the client is gone. */
int
control_send(uint64_t id, json_t *msg)
{
	return control_out(id, msg, 1);
}

/*
 * Connection id streams what happens (events --follow): its silence is
 * not idleness, and it is never closed for it.  -1 when it is gone.
 */
int
control_stream(uint64_t id)
{
	struct client	*cl;

	if ((cl = control_find(id)) == NULL)
		return -1;
	cl->cl_stream = 1;
	control_idle_check(cl);
	return 0;
}

/* Send a message that answers no request (a streamed event). */
int
control_push(uint64_t id, json_t *msg)
{
	return control_out(id, msg, 0);
}

/*
 * Send a reply with a descriptor attached to its first byte.  Only on an
 * idle connection: queued output would separate the two.
 */
int
control_send_fd(uint64_t id, json_t *msg, int fd)
{
	struct client	*cl;
	char		*line = NULL;
	size_t		 len;
	ssize_t		 n;
	int		 rc = -1;

	if ((cl = control_find(id)) == NULL || cl->cl_subject != NULL ||
	    evbuffer_get_length(bufferevent_get_output(cl->cl_bev)) != 0 ||
	    (line = proto_encode(msg, &len)) == NULL)
		goto done;
	n = sock_send_fd(bufferevent_getfd(cl->cl_bev), line, len, fd,
	    MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n <= 0)
		goto done;
	if (cl->cl_pending > 0)
		cl->cl_pending--;
	control_idle_check(cl);
	rc = 0;
	if ((size_t)n < len)
		rc = control_queue(cl, line + n, len - n, 0);
done:
	free(line);
	json_decref(msg);
	return rc;
}
