/*
 * qmp.c: one QMP connection on a libevent bufferevent.  It waits for
 * QEMU's greeting, negotiates capabilities, then sends commands, each
 * with its own id, timer and callback, routes every reply by its id and
 * hands events to the owner.  Commands asked for before the handshake
 * wait for it.  Nothing blocks.  It knows QMP, not VMs; it never logs
 * and never exits: what goes wrong reaches the owner through callbacks.
 */
#include <sys/queue.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "qmp.h"

enum qmp_state {
	QMP_GREETING,		/* waiting for {"QMP":...} */
	QMP_NEGOTIATING,	/* qmp_capabilities sent */
	QMP_READY,
	QMP_CLOSED,
};

struct qmp_cmd {
	TAILQ_ENTRY(qmp_cmd)	 qc_entry;
	struct qmp		*qc_q;
	json_int_t		 qc_id;
	char			*qc_line;	/* until sent */
	struct event		*qc_timer;
	qmp_reply_fn		 qc_fn;
	void			*qc_arg;
};
TAILQ_HEAD(qmp_cmds, qmp_cmd);

struct qmp {
	struct bufferevent	*q_bev;
	struct event_base	*q_base;
	struct qmp_frame	 q_frame;
	struct qmp_handlers	 q_h;
	void			*q_arg;
	enum qmp_state		 q_state;
	json_int_t		 q_next_id;
	json_int_t		 q_caps_id;
	struct qmp_cmds		 q_cmds;	/* in the order asked for */
	int			 q_depth;	/* inside our callbacks */
	int			 q_freed;	/* qmp_free() was called */
};

static void
qmp_cmd_free(struct qmp_cmd *qc)
{
	if (qc->qc_timer != NULL)
		event_free(qc->qc_timer);
	free(qc->qc_line);
	free(qc);
}

/* Take a command out and answer it; its callback may free q. */
static void
qmp_cmd_finish(struct qmp_cmd *qc, json_t *ret, const char *cls,
    const char *desc)
{
	struct qmp	*q = qc->qc_q;

	TAILQ_REMOVE(&q->q_cmds, qc, qc_entry);
	q->q_depth++;
	if (qc->qc_fn != NULL)
		qc->qc_fn(q, ret, cls, desc, qc->qc_arg);
	q->q_depth--;
	qmp_cmd_free(qc);
}

static void
qmp_fail_all(struct qmp *q, const char *desc)
{
	while (!TAILQ_EMPTY(&q->q_cmds))
		qmp_cmd_finish(TAILQ_FIRST(&q->q_cmds), NULL,
		    QMP_ERR_DISCONNECTED, desc);
}

static void
qmp_release(struct qmp *q)
{
	if (q->q_bev != NULL)
		bufferevent_free(q->q_bev);
	qmp_frame_clear(&q->q_frame);
	free(q);
}

/* The connection is unusable: fail what is pending, tell the owner. */
static void
qmp_lost(struct qmp *q, const char *cause)
{
	if (q->q_state == QMP_CLOSED)
		return;
	q->q_state = QMP_CLOSED;
	if (q->q_bev != NULL) {
		bufferevent_free(q->q_bev);
		q->q_bev = NULL;
	}
	qmp_fail_all(q, cause);
	if (!q->q_freed && q->q_h.qh_closed != NULL) {
		q->q_depth++;
		q->q_h.qh_closed(q, cause, q->q_arg);
		q->q_depth--;
	}
}

static int
qmp_send_line(struct qmp *q, const char *line)
{
	return bufferevent_write(q->q_bev, line, strlen(line));
}

static void
qmp_flush_queued(struct qmp *q)
{
	struct qmp_cmd	*qc;

	TAILQ_FOREACH(qc, &q->q_cmds, qc_entry) {
		if (qc->qc_line == NULL)
			continue;
		qmp_send_line(q, qc->qc_line);
		free(qc->qc_line);
		qc->qc_line = NULL;
	}
}

static void
qmp_handle_reply(struct qmp *q, json_t *msg)
{
	struct qmp_cmd	*qc;
	json_t		*id = json_object_get(msg, "id");
	json_t		*ret = json_object_get(msg, "return");
	json_t		*err = json_object_get(msg, "error");
	const char	*cls = NULL, *desc = NULL;
	char		 buf[256];

	if (err != NULL) {
		cls = json_string_value(json_object_get(err, "class"));
		desc = json_string_value(json_object_get(err, "desc"));
		if (cls == NULL)
			cls = "GenericError";
		if (desc == NULL)
			desc = "(no description)";
	}
	if (!json_is_integer(id))
		return;		/* not one of ours */
	if (q->q_state == QMP_NEGOTIATING &&
	    json_integer_value(id) == q->q_caps_id) {
		if (err != NULL) {
			snprintf(buf, sizeof(buf), "qmp_capabilities refused: "
			    "%s", desc);
			qmp_lost(q, buf);
			return;
		}
		q->q_state = QMP_READY;
		qmp_flush_queued(q);
		if (q->q_h.qh_ready != NULL) {
			q->q_depth++;
			q->q_h.qh_ready(q, q->q_arg);
			q->q_depth--;
		}
		return;
	}
	TAILQ_FOREACH(qc, &q->q_cmds, qc_entry)
		if (qc->qc_id == json_integer_value(id))
			break;
	if (qc == NULL || qc->qc_line != NULL)
		return;		/* timed out already, or never sent */
	if (err != NULL)
		qmp_cmd_finish(qc, NULL, cls, desc);
	else
		qmp_cmd_finish(qc, ret ? ret : json_null(), NULL, NULL);
}

static void
qmp_handle(struct qmp *q, const char *line, size_t len)
{
	json_error_t	 jerr;
	json_t		*msg;
	const char	*name;
	char		 buf[256];

	if ((msg = json_loadb(line, len, 0, &jerr)) == NULL ||
	    !json_is_object(msg)) {
		snprintf(buf, sizeof(buf), "malformed message from QEMU: %s",
		    msg == NULL ? jerr.text : "not an object");
		json_decref(msg);
		qmp_lost(q, buf);
		return;
	}
	if (json_object_get(msg, "QMP") != NULL) {
		if (q->q_state == QMP_GREETING) {
			q->q_caps_id = q->q_next_id++;
			snprintf(buf, sizeof(buf), "{\"execute\":"
			    "\"qmp_capabilities\",\"id\":%lld}\r\n",
			    (long long)q->q_caps_id);
			qmp_send_line(q, buf);
			q->q_state = QMP_NEGOTIATING;
		}
	} else if ((name = json_string_value(json_object_get(msg,
	    "event"))) != NULL) {
		if (q->q_h.qh_event != NULL) {
			q->q_depth++;
			q->q_h.qh_event(q, name, json_object_get(msg, "data"),
			    q->q_arg);
			q->q_depth--;
		}
	} else if (json_object_get(msg, "return") != NULL ||
	    json_object_get(msg, "error") != NULL)
		qmp_handle_reply(q, msg);
	json_decref(msg);
}

static void
qmp_read(struct bufferevent *bev, void *arg)
{
	struct qmp	*q = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		 buf[4096], *line;
	size_t		 n, len;

	q->q_depth++;
	while (q->q_state != QMP_CLOSED &&
	    (n = evbuffer_remove(in, buf, sizeof(buf))) > 0 && n != (size_t)-1) {
		if (qmp_frame_feed(&q->q_frame, buf, n) == -1) {
			snprintf(buf, sizeof(buf), "message from QEMU over %zu "
			    "bytes", q->q_frame.qf_max);
			qmp_lost(q, buf);
			break;
		}
		while (q->q_state != QMP_CLOSED && !q->q_freed &&
		    qmp_frame_next(&q->q_frame, &line, &len) == 1) {
			qmp_handle(q, line, len);
			free(line);
		}
	}
	q->q_depth--;
	if (q->q_freed && q->q_depth == 0)
		qmp_release(q);
}

static void
qmp_event(struct bufferevent *bev, short what, void *arg)
{
	struct qmp	*q = arg;
	char		 buf[256];

	(void)bev;
	if (what & BEV_EVENT_EOF)
		snprintf(buf, sizeof(buf), "QEMU closed the connection");
	else
		snprintf(buf, sizeof(buf), "connection to QEMU failed: %s",
		    strerror(EVUTIL_SOCKET_ERROR()));
	q->q_depth++;
	qmp_lost(q, buf);
	q->q_depth--;
	if (q->q_freed && q->q_depth == 0)
		qmp_release(q);
}

struct qmp *
qmp_open(struct event_base *base, int fd, const struct qmp_handlers *h,
    void *arg, size_t max_msg)
{
	struct qmp	*q;
	int		 saved;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		goto fail;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		goto fail;
	q->q_bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (q->q_bev == NULL)
		goto fail;
	q->q_base = base;
	q->q_h = *h;
	q->q_arg = arg;
	q->q_next_id = 1;
	TAILQ_INIT(&q->q_cmds);
	qmp_frame_init(&q->q_frame, max_msg);
	bufferevent_setcb(q->q_bev, qmp_read, NULL, qmp_event, q);
	if (bufferevent_enable(q->q_bev, EV_READ | EV_WRITE) == -1) {
		bufferevent_free(q->q_bev);
		goto fail;
	}
	return q;
fail:
	saved = errno ? errno : ENOMEM;
	if (q == NULL || q->q_bev == NULL)
		close(fd);
	free(q);
	errno = saved;
	return NULL;
}

static void
qmp_timeout(int fd, short what, void *arg)
{
	struct qmp_cmd	*qc = arg;
	struct qmp	*q = qc->qc_q;

	(void)fd;
	(void)what;
	q->q_depth++;
	qmp_cmd_finish(qc, NULL, QMP_ERR_TIMEOUT, "no reply from QEMU in time");
	q->q_depth--;
	if (q->q_freed && q->q_depth == 0)
		qmp_release(q);
}

int
qmp_execute(struct qmp *q, const char *cmd, json_t *args, int timeout_ms,
    qmp_reply_fn fn, void *arg)
{
	struct qmp_cmd	*qc;
	struct timeval	 tv;
	json_t		*req;
	char		*s;

	if (q->q_state == QMP_CLOSED || q->q_freed ||
	    (qc = calloc(1, sizeof(*qc))) == NULL) {
		json_decref(args);
		return -1;
	}
	qc->qc_q = q;
	qc->qc_id = q->q_next_id++;
	qc->qc_fn = fn;
	qc->qc_arg = arg;
	req = json_pack("{ss sI}", "execute", cmd, "id", qc->qc_id);
	if (args != NULL)
		json_object_set_new(req, "arguments", args);
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (s == NULL || asprintf(&qc->qc_line, "%s\r\n", s) == -1) {
		free(s);
		free(qc);
		return -1;
	}
	free(s);
	if (timeout_ms > 0) {
		qc->qc_timer = evtimer_new(q->q_base, qmp_timeout, qc);
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		evtimer_add(qc->qc_timer, &tv);
	}
	TAILQ_INSERT_TAIL(&q->q_cmds, qc, qc_entry);
	if (q->q_state == QMP_READY) {
		qmp_send_line(q, qc->qc_line);
		free(qc->qc_line);
		qc->qc_line = NULL;
	}
	return 0;
}

int
qmp_is_ready(const struct qmp *q)
{
	return q->q_state == QMP_READY && !q->q_freed;
}

void
qmp_free(struct qmp *q)
{
	if (q == NULL || q->q_freed)
		return;
	q->q_freed = 1;
	q->q_depth++;
	qmp_fail_all(q, "connection closed by its owner");
	q->q_depth--;
	q->q_state = QMP_CLOSED;
	if (q->q_depth == 0)
		qmp_release(q);
	else if (q->q_bev != NULL)
		bufferevent_disable(q->q_bev, EV_READ | EV_WRITE);
}
