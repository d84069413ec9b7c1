/*
 * test_qmp.c: qmp.c against a scripted fake QEMU.  The fake is the other
 * end of a socketpair, watched by the same event_base: a test writes
 * what QEMU would say, runs the loop until the library has done what it
 * must (bounded by a guard timer, never by sleeping), and reads back
 * what the library sent, and the descriptors that came with it.  The
 * last tests run the same library against a real qemu-system-x86_64
 * when one is installed.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "unit.h"
#include "qmp.h"

#define GREETING	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, " \
			"\"minor\": 2, \"major\": 7}, \"package\": \"\"}, " \
			"\"capabilities\": [\"oob\"]}}\r\n"
#define MAX_EVENTS	16
#define MAX_FDS		8
#define PUMP_MAX	10000	/* loop iterations before giving up */

/* What the fixture's qmp_handlers do besides recording. */
#define FREE_IN_READY	0x01
#define FREE_IN_EVENT	0x02
#define FREE_IN_CLOSED	0x04
#define EXEC_IN_READY	0x08

struct fx;

/* One qmp_execute() and what its callback saw. */
struct call {
	struct fx	*c_fx;
	int		 c_n;		/* times called: must end up 1 */
	int		 c_seq;		/* when, among all callbacks */
	int		 c_sync;	/* called from inside qmp_execute */
	int		 c_ok;		/* ret was given */
	char		 c_ret[512];	/* ret as sorted compact JSON */
	char		 c_class[64];
	char		 c_desc[256];
	int		 c_free;	/* qmp_free() from inside */
	int		 c_exec;	/* qmp_execute() from inside ... */
	int		 c_exec_rv;	/* ... and what it returned */
	struct call	*c_next;	/* ... for this call */
};

struct fx {
	struct event_base	*fx_base;
	struct event		*fx_guard;
	int			 fx_expired;
	int			 fx_guard_ms;
	struct qmp		*fx_q;
	int			 fx_peer;	/* the fake QEMU's end */
	struct event		*fx_peer_ev;
	int			 fx_peer_eof;
	char			 fx_inbox[65536];	/* what qmp.c sent */
	size_t			 fx_inlen;
	/* descriptors that came with it, and where in the stream */
	int			 fx_fd[MAX_FDS];
	size_t			 fx_fd_at[MAX_FDS];
	int			 fx_nfd;
	size_t			 fx_consumed;	/* bytes peer_next took */
	int			 fx_in_execute;
	/*
	 * The calls live here, not on a test's stack: a test that fails
	 * half-way leaves commands pending, which teardown's qmp_free()
	 * then answers.
	 */
	struct call		 fx_call[32];
	int			 fx_ncall;
	int			 fx_flags;
	int			 fx_seq;
	int			 fx_ready;
	int			 fx_ready_seq;
	int			 fx_closed;
	int			 fx_closed_seq;
	char			 fx_cause[256];
	int			 fx_nev;
	char			 fx_ev_name[MAX_EVENTS][32];
	char			 fx_ev_data[MAX_EVENTS][256];
	int			 fx_ev_seq[MAX_EVENTS];
	/* the real qemu, if a test started one */
	pid_t			 fx_pid;
	int			 fx_status;
	struct event		*fx_sigchld;
	char			 fx_dir[64];
};

/*
 * Run the loop until expr holds; give up (and fail) after the guard
 * timer or PUMP_MAX iterations, whichever comes first.
 */
#define PUMP_UNTIL(fx, expr) do {					\
	int	 pump_i_;						\
									\
	pump_start(fx);							\
	for (pump_i_ = 0; !(expr) && !(fx)->fx_expired &&		\
	    pump_i_ < PUMP_MAX; pump_i_++)				\
		event_base_loop((fx)->fx_base, EVLOOP_ONCE);		\
	pump_stop(fx);							\
	if (!(expr))							\
		fail_msg("%s:%d: gave up waiting for %s", __FILE__,	\
		    __LINE__, #expr);					\
} while (0)

static void
guard_cb(int fd, short what, void *arg)
{
	struct fx	*fx = arg;

	(void)fd;
	(void)what;
	fx->fx_expired = 1;
}

static void
pump_start(struct fx *fx)
{
	struct timeval	 tv;

	tv.tv_sec = fx->fx_guard_ms / 1000;
	tv.tv_usec = (fx->fx_guard_ms % 1000) * 1000;
	fx->fx_expired = 0;
	evtimer_add(fx->fx_guard, &tv);
}

static void
pump_stop(struct fx *fx)
{
	evtimer_del(fx->fx_guard);
}

/* Let whatever is ready run, without waiting for anything new. */
static void
settle(struct fx *fx)
{
	int	 i;

	for (i = 0; i < 20; i++)
		event_base_loop(fx->fx_base, EVLOOP_NONBLOCK);
}

static void
peer_read_cb(int fd, short what, void *arg)
{
	struct fx	*fx = arg;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
	} cmsgbuf;
	ssize_t		 n;
	int		 i, k;

	(void)what;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = fx->fx_inbox + fx->fx_inlen;
	iov.iov_len = sizeof(fx->fx_inbox) - fx->fx_inlen - 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cmsgbuf.buf;
	mh.msg_controllen = sizeof(cmsgbuf.buf);
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	if (n > 0) {
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		    cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET ||
			    cm->cmsg_type != SCM_RIGHTS)
				continue;
			k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < k; i++) {
				assert_true(fx->fx_nfd < MAX_FDS);
				memcpy(&fx->fx_fd[fx->fx_nfd],
				    CMSG_DATA(cm) + i * sizeof(int),
				    sizeof(int));
				fx->fx_fd_at[fx->fx_nfd++] = fx->fx_consumed +
				    fx->fx_inlen;
			}
		}
		fx->fx_inlen += n;
		fx->fx_inbox[fx->fx_inlen] = '\0';
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		fx->fx_peer_eof = 1;
		event_del(fx->fx_peer_ev);
	}
}

static void
peer_write(struct fx *fx, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fx->fx_peer, p, len);
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			event_base_loop(fx->fx_base, EVLOOP_ONCE);
			continue;
		}
		assert_true(n > 0);
		p += n;
		len -= n;
	}
}

static void
peer_send(struct fx *fx, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	peer_write(fx, s, n);
	free(s);
}

static void
peer_close(struct fx *fx)
{
	if (fx->fx_peer_ev != NULL) {
		event_free(fx->fx_peer_ev);
		fx->fx_peer_ev = NULL;
	}
	if (fx->fx_peer != -1) {
		close(fx->fx_peer);
		fx->fx_peer = -1;
	}
}

/* Wait for the next line the library sends; returns it parsed. */
static json_t *
peer_next(struct fx *fx)
{
	json_error_t	 jerr;
	json_t		*msg;
	char		*nl;
	size_t		 len;

	PUMP_UNTIL(fx, memchr(fx->fx_inbox, '\n', fx->fx_inlen) != NULL);
	nl = memchr(fx->fx_inbox, '\n', fx->fx_inlen);
	len = nl - fx->fx_inbox + 1;
	msg = json_loadb(fx->fx_inbox, len, 0, &jerr);
	if (msg == NULL)
		fail_msg("library sent bad JSON: %s", jerr.text);
	memmove(fx->fx_inbox, fx->fx_inbox + len, fx->fx_inlen - len + 1);
	fx->fx_inlen -= len;
	fx->fx_consumed += len;
	return msg;
}

/*
 * Wait for a command; check its name, return its id and, if argsp is
 * not NULL, its arguments as compact JSON (malloc'd, NULL if none).
 */
static json_int_t
peer_expect(struct fx *fx, const char *cmd, char **argsp)
{
	json_t		*msg, *id, *args;
	json_int_t	 n;

	msg = peer_next(fx);
	assert_string_equal(json_string_value(json_object_get(msg,
	    "execute")), cmd);
	id = json_object_get(msg, "id");
	assert_true(json_is_integer(id));
	n = json_integer_value(id);
	args = json_object_get(msg, "arguments");
	if (argsp != NULL)
		*argsp = args ? json_dumps(args,
		    JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	else
		assert_null(args);
	json_decref(msg);
	return n;
}

static void
on_ready(struct qmp *q, void *arg)
{
	struct fx	*fx = arg;

	assert_ptr_equal(q, fx->fx_q);
	fx->fx_ready++;
	fx->fx_ready_seq = ++fx->fx_seq;
	if (fx->fx_flags & EXEC_IN_READY)
		assert_int_equal(qmp_execute(q, "from-ready", NULL, 0,
		    NULL, NULL), 0);
	if (fx->fx_flags & FREE_IN_READY) {
		qmp_free(q);
		fx->fx_q = NULL;
	}
}

static void
on_event(struct qmp *q, const char *name, json_t *data, void *arg)
{
	struct fx	*fx = arg;
	char		*s;

	assert_ptr_equal(q, fx->fx_q);
	assert_true(fx->fx_nev < MAX_EVENTS);
	snprintf(fx->fx_ev_name[fx->fx_nev], sizeof(fx->fx_ev_name[0]), "%s",
	    name);
	s = data ? json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	snprintf(fx->fx_ev_data[fx->fx_nev], sizeof(fx->fx_ev_data[0]), "%s",
	    s ? s : "(null)");
	free(s);
	fx->fx_ev_seq[fx->fx_nev++] = ++fx->fx_seq;
	if (fx->fx_flags & FREE_IN_EVENT) {
		qmp_free(q);
		fx->fx_q = NULL;
	}
}

static void
on_closed(struct qmp *q, const char *cause, void *arg)
{
	struct fx	*fx = arg;

	assert_ptr_equal(q, fx->fx_q);
	assert_non_null(cause);
	assert_false(qmp_is_ready(q));
	fx->fx_closed++;
	fx->fx_closed_seq = ++fx->fx_seq;
	snprintf(fx->fx_cause, sizeof(fx->fx_cause), "%s", cause);
	/* no more commands once closed, and args are still released */
	assert_int_equal(qmp_execute(q, "late", json_object(), 0, NULL, NULL),
	    -1);
	if (fx->fx_flags & FREE_IN_CLOSED) {
		qmp_free(q);
		fx->fx_q = NULL;
	}
}

static const struct qmp_handlers handlers = {
	.qh_ready = on_ready,
	.qh_event = on_event,
	.qh_closed = on_closed,
};

static void on_reply(struct qmp *, json_t *, const char *, const char *,
    void *);

static struct call *
call_new(struct fx *fx)
{
	struct call	*c;

	assert_true(fx->fx_ncall < (int)(sizeof(fx->fx_call) /
	    sizeof(fx->fx_call[0])));
	c = &fx->fx_call[fx->fx_ncall++];
	c->c_fx = fx;
	return c;
}

/* qmp_execute, noting that no callback may run before it returns. */
static int
exec(struct fx *fx, struct call *c, const char *cmd, json_t *args,
    int timeout_ms)
{
	int	 rv;

	c->c_fx = fx;
	fx->fx_in_execute++;
	rv = qmp_execute(fx->fx_q, cmd, args, timeout_ms, on_reply, c);
	fx->fx_in_execute--;
	return rv;
}

/* qmp_execute_fd, likewise. */
static int
exec_fd(struct fx *fx, struct call *c, const char *cmd, json_t *args, int fd,
    int timeout_ms)
{
	int	 rv;

	c->c_fx = fx;
	fx->fx_in_execute++;
	rv = qmp_execute_fd(fx->fx_q, cmd, args, fd, timeout_ms, on_reply, c);
	fx->fx_in_execute--;
	return rv;
}

static void
on_reply(struct qmp *q, json_t *ret, const char *cls, const char *desc,
    void *arg)
{
	struct call	*c = arg;
	struct fx	*fx = c->c_fx;
	char		*s;

	assert_ptr_equal(q, fx->fx_q);
	c->c_n++;
	c->c_seq = ++fx->fx_seq;
	c->c_sync = fx->fx_in_execute > 0;
	/* exactly one of ret and cls, and a reason with every class */
	assert_true((ret == NULL) != (cls == NULL));
	assert_true((cls == NULL) == (desc == NULL));
	if (ret != NULL) {
		c->c_ok = 1;
		s = json_dumps(ret, JSON_COMPACT | JSON_SORT_KEYS |
		    JSON_ENCODE_ANY);
		snprintf(c->c_ret, sizeof(c->c_ret), "%s", s);
		free(s);
	} else {
		snprintf(c->c_class, sizeof(c->c_class), "%s", cls);
		snprintf(c->c_desc, sizeof(c->c_desc), "%s", desc);
	}
	if (c->c_exec)
		c->c_exec_rv = exec(fx, c->c_next, "from-callback",
		    json_pack("{s:i}", "n", 1), 0);
	if (c->c_free) {
		qmp_free(q);
		fx->fx_q = NULL;
	}
}

static int
setup(void **state)
{
	struct fx	*fx;

	fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	fx->fx_base = event_base_new();
	assert_non_null(fx->fx_base);
	fx->fx_guard = evtimer_new(fx->fx_base, guard_cb, fx);
	assert_non_null(fx->fx_guard);
	fx->fx_guard_ms = 2000;
	fx->fx_peer = -1;
	*state = fx;
	return 0;
}

/* Connect a fresh library instance to a fresh fake QEMU. */
static void
fx_open(struct fx *fx, size_t max_msg)
{
	int	 sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	fx->fx_peer = sv[1];
	fx->fx_peer_ev = event_new(fx->fx_base, sv[1], EV_READ | EV_PERSIST,
	    peer_read_cb, fx);
	assert_non_null(fx->fx_peer_ev);
	event_add(fx->fx_peer_ev, NULL);
	fx->fx_q = qmp_open(fx->fx_base, sv[0], &handlers, fx, max_msg);
	assert_non_null(fx->fx_q);
	assert_false(qmp_is_ready(fx->fx_q));
}

/* Drop the connection and everything recorded about it. */
static void
fx_close(struct fx *fx)
{
	if (fx->fx_q != NULL) {
		qmp_free(fx->fx_q);
		fx->fx_q = NULL;
	}
	peer_close(fx);
	while (fx->fx_nfd > 0)
		close(fx->fx_fd[--fx->fx_nfd]);
	fx->fx_consumed = 0;
	fx->fx_peer_eof = 0;
	fx->fx_inlen = 0;
	fx->fx_flags = 0;
	fx->fx_ready = fx->fx_closed = fx->fx_nev = 0;
	fx->fx_cause[0] = '\0';
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	fx_close(fx);
	if (fx->fx_pid > 0) {
		kill(fx->fx_pid, SIGKILL);
		waitpid(fx->fx_pid, NULL, 0);
	}
	if (fx->fx_sigchld != NULL)
		event_free(fx->fx_sigchld);
	if (fx->fx_dir[0] != '\0') {
		char	 path[128];

		snprintf(path, sizeof(path), "%s/qmp.sock", fx->fx_dir);
		unlink(path);
		rmdir(fx->fx_dir);
	}
	event_free(fx->fx_guard);
	event_base_free(fx->fx_base);
	free(fx);
	return 0;
}

/* Greeting, capabilities, ready: the way every session starts. */
static void
handshake(struct fx *fx)
{
	json_int_t	 id;

	peer_send(fx, GREETING);
	id = peer_expect(fx, "qmp_capabilities", NULL);
	assert_int_equal(fx->fx_ready, 0);
	peer_send(fx, "{\"return\": {}, \"id\": %lld}\r\n", (long long)id);
	PUMP_UNTIL(fx, fx->fx_ready == 1);
	assert_true(qmp_is_ready(fx->fx_q));
}

static void
test_handshake(void **state)
{
	struct fx	*fx = *state;
	struct call	*c1 = call_new(fx), *c2 = call_new(fx);
	json_int_t	 caps, id1, id2;
	char		*args;

	fx_open(fx, 0);
	peer_send(fx, GREETING);
	caps = peer_expect(fx, "qmp_capabilities", NULL);
	settle(fx);
	assert_int_equal(fx->fx_ready, 0);
	assert_false(qmp_is_ready(fx->fx_q));
	peer_send(fx, "{\"return\": {}, \"id\": %lld}\r\n", (long long)caps);
	PUMP_UNTIL(fx, fx->fx_ready == 1);
	assert_true(qmp_is_ready(fx->fx_q));

	assert_int_equal(exec(fx, c1, "query-status", NULL, 1000), 0);
	assert_int_equal(exec(fx, c2, "device_del",
	    json_pack("{s:s}", "id", "net0"), 1000), 0);
	assert_int_equal(c1->c_n + c2->c_n, 0);
	id1 = peer_expect(fx, "query-status", NULL);
	id2 = peer_expect(fx, "device_del", &args);
	assert_string_equal(args, "{\"id\":\"net0\"}");
	free(args);
	/* ids are unique, the handshake's included */
	assert_true(id1 != caps && id2 != caps && id1 != id2);

	peer_send(fx, "{\"return\": {\"status\": \"running\", "
	    "\"running\": true}, \"id\": %lld}\r\n", (long long)id1);
	peer_send(fx, "{\"return\": {}, \"id\": %lld}\r\n", (long long)id2);
	PUMP_UNTIL(fx, c1->c_n == 1 && c2->c_n == 1);
	assert_true(c1->c_ok);
	assert_string_equal(c1->c_ret,
	    "{\"running\":true,\"status\":\"running\"}");
	assert_true(c2->c_ok);
	assert_string_equal(c2->c_ret, "{}");
	assert_false(c1->c_sync || c2->c_sync);
	assert_int_equal(fx->fx_ready, 1);
	assert_int_equal(fx->fx_closed, 0);
}

/* Queued early, sent after the handshake in order, before qh_ready's. */
static void
test_queued_before_handshake(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx), *b = call_new(fx);
	json_int_t	 caps, ida, idb;

	fx_open(fx, 0);
	fx->fx_flags = EXEC_IN_READY;
	assert_int_equal(exec(fx, a, "first", NULL, 0), 0);
	assert_int_equal(exec(fx, b, "second", NULL, 5000), 0);
	settle(fx);
	assert_int_equal(fx->fx_inlen, 0);	/* not before the greeting */
	peer_send(fx, GREETING);
	caps = peer_expect(fx, "qmp_capabilities", NULL);
	settle(fx);
	assert_int_equal(fx->fx_inlen, 0);	/* nor before its reply */
	peer_send(fx, "{\"return\": {}, \"id\": %lld}\r\n", (long long)caps);
	ida = peer_expect(fx, "first", NULL);
	idb = peer_expect(fx, "second", NULL);
	peer_expect(fx, "from-ready", NULL);
	assert_int_equal(fx->fx_ready, 1);
	peer_send(fx, "{\"return\": 2, \"id\": %lld}\r\n", (long long)idb);
	peer_send(fx, "{\"return\": 1, \"id\": %lld}\r\n", (long long)ida);
	PUMP_UNTIL(fx, a->c_n == 1 && b->c_n == 1);
	assert_string_equal(a->c_ret, "1");
	assert_string_equal(b->c_ret, "2");
}

static void
test_out_of_order(void **state)
{
	struct fx	*fx = *state;
	struct call	*c[3];
	json_int_t	 id[3];
	int		 i;

	for (i = 0; i < 3; i++)
		c[i] = call_new(fx);
	fx_open(fx, 0);
	handshake(fx);
	for (i = 0; i < 3; i++)
		assert_int_equal(exec(fx, c[i], "cmd", NULL, 2000), 0);
	for (i = 0; i < 3; i++)
		id[i] = peer_expect(fx, "cmd", NULL);
	peer_send(fx, "{\"id\": %lld, \"return\": {\"n\": 2}}\r\n",
	    (long long)id[2]);
	PUMP_UNTIL(fx, c[2]->c_n == 1);
	assert_int_equal(c[0]->c_n + c[1]->c_n, 0);
	peer_send(fx, "{\"return\": {\"n\": 0}, \"id\": %lld}\r\n",
	    (long long)id[0]);
	peer_send(fx, "{\"return\": {\"n\": 1}, \"id\": %lld}\r\n",
	    (long long)id[1]);
	PUMP_UNTIL(fx, c[0]->c_n == 1 && c[1]->c_n == 1);
	assert_string_equal(c[0]->c_ret, "{\"n\":0}");
	assert_string_equal(c[1]->c_ret, "{\"n\":1}");
	assert_string_equal(c[2]->c_ret, "{\"n\":2}");
	assert_true(c[2]->c_seq < c[0]->c_seq && c[0]->c_seq < c[1]->c_seq);
}

static void
test_event_before_caps_reply(void **state)
{
	struct fx	*fx = *state;
	json_int_t	 caps;

	fx_open(fx, 0);
	peer_send(fx, GREETING);
	caps = peer_expect(fx, "qmp_capabilities", NULL);
	peer_send(fx, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
	    "\"event\": \"RESUME\"}\r\n");
	PUMP_UNTIL(fx, fx->fx_nev == 1);
	peer_send(fx, "{\"event\": \"BLOCK_JOB_READY\", \"data\": {\"device\": "
	    "\"d0\"}, \"timestamp\": {\"seconds\": 1, \"microseconds\": 3}}\r\n"
	    "{\"return\": {}, \"id\": %lld}\r\n", (long long)caps);
	PUMP_UNTIL(fx, fx->fx_ready == 1);
	assert_int_equal(fx->fx_nev, 2);
	assert_string_equal(fx->fx_ev_name[0], "RESUME");
	assert_string_equal(fx->fx_ev_data[0], "(null)");
	assert_string_equal(fx->fx_ev_name[1], "BLOCK_JOB_READY");
	assert_string_equal(fx->fx_ev_data[1], "{\"device\":\"d0\"}");
	assert_true(fx->fx_ev_seq[1] < fx->fx_ready_seq);
	assert_true(qmp_is_ready(fx->fx_q));
}

static void
test_several_in_one_write(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx), *b = call_new(fx);
	json_int_t	 ida, idb, caps;

	fx_open(fx, 0);
	/* even the handshake, greeting and event in one go */
	peer_send(fx, GREETING "{\"event\": \"STOP\"}\r\n");
	caps = peer_expect(fx, "qmp_capabilities", NULL);
	assert_int_equal(fx->fx_nev, 1);
	peer_send(fx, "{\"return\": {}, \"id\": %lld}\r\n", (long long)caps);
	PUMP_UNTIL(fx, fx->fx_ready == 1);

	assert_int_equal(exec(fx, a, "a", NULL, 0), 0);
	assert_int_equal(exec(fx, b, "b", NULL, 0), 0);
	ida = peer_expect(fx, "a", NULL);
	idb = peer_expect(fx, "b", NULL);
	peer_send(fx, "{\"event\": \"E1\", \"data\": {}}\r\n\r\n"
	    "{\"return\": \"rb\", \"id\": %lld}\r\n"
	    "{\"return\": \"ra\", \"id\": %lld}\n"
	    "{\"event\": \"E2\"}\r\n", (long long)idb, (long long)ida);
	PUMP_UNTIL(fx, fx->fx_nev == 3);
	assert_string_equal(a->c_ret, "\"ra\"");
	assert_string_equal(b->c_ret, "\"rb\"");
	assert_string_equal(fx->fx_ev_name[1], "E1");
	assert_string_equal(fx->fx_ev_name[2], "E2");
	assert_true(fx->fx_ev_seq[1] < b->c_seq && b->c_seq < a->c_seq &&
	    a->c_seq < fx->fx_ev_seq[2]);
}

static void
test_split_across_writes(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx);
	json_int_t	 id;
	char		*s;
	size_t		 i, n;

	fx_open(fx, 0);
	handshake(fx);
	assert_int_equal(exec(fx, a, "a", NULL, 0), 0);
	id = peer_expect(fx, "a", NULL);
	n = asprintf(&s, "{\"return\": {\"k\": \"v\\r\\n\", \"l\": [1, 2]}, "
	    "\"id\": %lld}\r\n{\"event\": \"X\"}\r\n", (long long)id);
	for (i = 0; i < n; i++) {
		peer_write(fx, s + i, 1);
		settle(fx);
		if (s[i] == '\n')
			break;
		assert_int_equal(a->c_n, 0);
	}
	PUMP_UNTIL(fx, a->c_n == 1);
	assert_string_equal(a->c_ret, "{\"k\":\"v\\r\\n\",\"l\":[1,2]}");
	/* the rest in two uneven pieces */
	peer_write(fx, s + i + 1, 3);
	settle(fx);
	assert_int_equal(fx->fx_nev, 0);
	peer_write(fx, s + i + 4, n - i - 4);
	PUMP_UNTIL(fx, fx->fx_nev == 1);
	assert_string_equal(fx->fx_ev_name[0], "X");
	free(s);
}

static void
test_timeout(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx), *b = call_new(fx);
	json_int_t	 ida, idb;

	fx_open(fx, 0);
	handshake(fx);
	assert_int_equal(exec(fx, a, "slow", NULL, 20), 0);
	assert_int_equal(exec(fx, b, "other", NULL, 0), 0);
	ida = peer_expect(fx, "slow", NULL);
	idb = peer_expect(fx, "other", NULL);
	PUMP_UNTIL(fx, a->c_n == 1);
	assert_false(a->c_ok);
	assert_string_equal(a->c_class, QMP_ERR_TIMEOUT);
	assert_true(a->c_desc[0] != '\0');
	assert_int_equal(b->c_n, 0);
	assert_true(qmp_is_ready(fx->fx_q));	/* a timeout is not fatal */

	/* the late reply goes nowhere; the next one still to its owner */
	peer_send(fx, "{\"return\": {\"late\": true}, \"id\": %lld}\r\n",
	    (long long)ida);
	settle(fx);
	peer_send(fx, "{\"return\": {}, \"id\": %lld}\r\n", (long long)idb);
	PUMP_UNTIL(fx, b->c_n == 1);
	assert_string_equal(b->c_ret, "{}");
	assert_int_equal(a->c_n, 1);
	assert_int_equal(fx->fx_closed, 0);
}

/*
 * Commands sent together with the same timeout time out in the order
 * they were sent, as qemu would have answered them: the first one left
 * unanswered is the one its caller hears of first (a start's cont,
 * before the status asked for after it).
 */
static void
test_timeouts_in_order(void **state)
{
	struct fx	*fx = *state;
	struct call	*c[12];
	char		 name[16];
	int		 i;

	fx_open(fx, 0);
	handshake(fx);
	for (i = 0; i < 12; i++) {
		c[i] = call_new(fx);
		snprintf(name, sizeof(name), "stalled-%d", i);
		assert_int_equal(exec(fx, c[i], name, NULL, 30), 0);
	}
	PUMP_UNTIL(fx, c[11]->c_n == 1);
	for (i = 0; i < 12; i++) {
		assert_int_equal(c[i]->c_n, 1);
		assert_string_equal(c[i]->c_class, QMP_ERR_TIMEOUT);
		if (i > 0 && c[i]->c_seq < c[i - 1]->c_seq)
			fail_msg("command %d timed out before command %d", i,
			    i - 1);
	}
}

/* A command that times out before the handshake is never sent. */
static void
test_timeout_before_handshake(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx), *b = call_new(fx);

	fx_open(fx, 0);
	assert_int_equal(exec(fx, a, "never-sent", NULL, 10), 0);
	assert_int_equal(exec(fx, b, "sent", NULL, 0), 0);
	PUMP_UNTIL(fx, a->c_n == 1);
	assert_string_equal(a->c_class, QMP_ERR_TIMEOUT);
	handshake(fx);
	peer_expect(fx, "sent", NULL);
	settle(fx);
	assert_int_equal(fx->fx_inlen, 0);
	assert_int_equal(a->c_n, 1);
}

static void
test_disconnect(void **state)
{
	struct fx	*fx = *state;
	struct call	*c[3], *late = call_new(fx);
	int		 i;

	for (i = 0; i < 3; i++)
		c[i] = call_new(fx);
	fx_open(fx, 0);
	handshake(fx);
	assert_int_equal(exec(fx, c[0], "a", NULL, 0), 0);
	assert_int_equal(exec(fx, c[1], "b", NULL, 60000), 0);
	assert_int_equal(exec(fx, c[2], "c", json_object(), 1), 0);
	peer_expect(fx, "a", NULL);
	/* half a reply, then the line drops */
	peer_send(fx, "{\"return\": {}, \"i");
	peer_close(fx);
	PUMP_UNTIL(fx, fx->fx_closed == 1);
	for (i = 0; i < 3; i++) {
		assert_int_equal(c[i]->c_n, 1);
		/* c's 1 ms timer may have won the race; never both */
		if (i == 2 && strcmp(c[i]->c_class, QMP_ERR_TIMEOUT) == 0)
			continue;
		assert_string_equal(c[i]->c_class, QMP_ERR_DISCONNECTED);
		assert_true(c[i]->c_seq < fx->fx_closed_seq);
	}
	assert_non_null(strstr(fx->fx_cause, "closed"));
	assert_false(qmp_is_ready(fx->fx_q));

	/* closed for good: nothing is queued, no callback ever comes */
	assert_int_equal(exec(fx, late, "late", json_pack("{s:s}", "x", "y"),
	    1), -1);
	settle(fx);
	assert_int_equal(late->c_n, 0);
	assert_int_equal(fx->fx_closed, 1);
}

static void
test_disconnect_before_handshake(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx);

	fx_open(fx, 0);
	assert_int_equal(exec(fx, a, "queued", NULL, 0), 0);
	peer_send(fx, GREETING);
	peer_expect(fx, "qmp_capabilities", NULL);
	peer_close(fx);
	PUMP_UNTIL(fx, fx->fx_closed == 1);
	assert_int_equal(a->c_n, 1);
	assert_string_equal(a->c_class, QMP_ERR_DISCONNECTED);
	assert_true(a->c_seq < fx->fx_closed_seq);
	assert_int_equal(fx->fx_ready, 0);
}

static void
test_execute_after_close(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx);

	fx_open(fx, 0);
	handshake(fx);
	peer_close(fx);
	PUMP_UNTIL(fx, fx->fx_closed == 1);
	errno = 0;
	assert_int_equal(exec(fx, a, "x", json_pack("{s:[i,i]}", "l", 1, 2),
	    100), -1);
	assert_int_equal(errno, ENOTCONN);
	settle(fx);
	assert_int_equal(a->c_n, 0);
	assert_false(qmp_is_ready(fx->fx_q));
}

/* A reply of exactly n bytes before its CRLF. */
static char *
reply_of_len(json_int_t id, size_t n)
{
	char	*s, *pad;
	int	 base;

	base = snprintf(NULL, 0, "{\"return\": {}, \"id\": %lld, \"p\": \"\"}",
	    (long long)id);
	assert_true((size_t)base <= n);
	pad = malloc(n - base + 1);
	assert_non_null(pad);
	memset(pad, 'x', n - base);
	pad[n - base] = '\0';
	assert_true(asprintf(&s, "{\"return\": {}, \"id\": %lld, \"p\": \"%s\"}"
	    "\r\n", (long long)id, pad) > 0);
	free(pad);
	assert_int_equal(strlen(s), n + 2);
	return s;
}

static void
test_oversized(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx), *b = call_new(fx);
	json_int_t	 id;
	char		*s;

	/* exactly the cap is fine */
	fx_open(fx, 128);
	handshake(fx);
	assert_int_equal(exec(fx, a, "a", NULL, 0), 0);
	id = peer_expect(fx, "a", NULL);
	s = reply_of_len(id, 128);
	peer_send(fx, "%s", s);
	free(s);
	PUMP_UNTIL(fx, a->c_n == 1);
	assert_true(a->c_ok);

	/* one over closes */
	assert_int_equal(exec(fx, b, "b", NULL, 0), 0);
	id = peer_expect(fx, "b", NULL);
	s = reply_of_len(id, 129);
	peer_send(fx, "%s", s);
	free(s);
	PUMP_UNTIL(fx, fx->fx_closed == 1);
	assert_string_equal(b->c_class, QMP_ERR_DISCONNECTED);
	assert_non_null(strstr(fx->fx_cause, "128"));
	PUMP_UNTIL(fx, fx->fx_peer_eof);	/* and the socket is closed */
	fx_close(fx);

	/* so does a flood without a line end, before it ends */
	a = call_new(fx);
	fx_open(fx, 128);
	handshake(fx);
	assert_int_equal(exec(fx, a, "a", NULL, 0), 0);
	peer_expect(fx, "a", NULL);
	s = malloc(4096);
	assert_non_null(s);
	memset(s, '{', 4096);
	peer_write(fx, s, 4096);
	free(s);
	PUMP_UNTIL(fx, fx->fx_closed == 1);
	assert_string_equal(a->c_class, QMP_ERR_DISCONNECTED);
}

static void
test_malformed(void **state)
{
	const char	*bad[] = {
		"not json\r\n",
		"{\"return\": \r\n",
		"[1, 2]\r\n",
		"42\r\n",
		"\"QMP\"\r\n",
		"{\"return\": {}}} trailing\r\n",
		"{\"return\": \"\xff\xfe\"}\r\n",	/* not UTF-8 */
	};
	struct fx	*fx = *state;
	struct call	*a = call_new(fx);
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = call_new(fx);
		fx_open(fx, 0);
		handshake(fx);
		assert_int_equal(exec(fx, a, "a", NULL, 0), 0);
		peer_expect(fx, "a", NULL);
		peer_send(fx, "%s", bad[i]);
		PUMP_UNTIL(fx, fx->fx_closed == 1);
		assert_int_equal(a->c_n, 1);
		assert_string_equal(a->c_class, QMP_ERR_DISCONNECTED);
		if (strstr(fx->fx_cause, "malformed") == NULL)
			fail_msg("case %zu: cause \"%s\"", i, fx->fx_cause);
		fx_close(fx);
	}

	/* malformed greeting too */
	fx_open(fx, 0);
	peer_send(fx, "QEMU says hi\r\n");
	PUMP_UNTIL(fx, fx->fx_closed == 1);
	assert_int_equal(fx->fx_ready, 0);
}

/* Anything that is not a reply to a live command changes nothing. */
static void
test_stray_messages(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx);
	json_int_t	 id;

	fx_open(fx, 0);
	handshake(fx);
	assert_int_equal(exec(fx, a, "a", NULL, 0), 0);
	id = peer_expect(fx, "a", NULL);
	peer_send(fx, "{\"return\": {}, \"id\": %lld}\r\n"
	    "{\"return\": {}, \"id\": \"%lld\"}\r\n"
	    "{\"return\": {}}\r\n"
	    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse "
	    "error\"}}\r\n"
	    "{\"future\": \"kind of message\"}\r\n"
	    "{}\r\n"
	    "{\"event\": 42}\r\n"
	    GREETING
	    "{\"return\": \"mine\", \"id\": %lld}\r\n",
	    (long long)id + 1000, (long long)id, (long long)id);
	PUMP_UNTIL(fx, a->c_n == 1);
	assert_string_equal(a->c_ret, "\"mine\"");
	assert_int_equal(fx->fx_nev, 0);
	assert_int_equal(fx->fx_ready, 1);
	assert_int_equal(fx->fx_closed, 0);
	settle(fx);
	assert_int_equal(fx->fx_inlen, 0);	/* no second handshake */
}

static void
test_error_verbatim(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx), *b = call_new(fx);
	json_int_t	 ida, idb;
	char		*args;

	fx_open(fx, 0);
	handshake(fx);
	assert_int_equal(exec(fx, a, "device_del", json_pack("{s:s}", "id",
	    "nope"), 1000), 0);
	assert_int_equal(exec(fx, b, "x-future", NULL, 1000), 0);
	ida = peer_expect(fx, "device_del", &args);
	assert_string_equal(args, "{\"id\":\"nope\"}");
	free(args);
	idb = peer_expect(fx, "x-future", NULL);
	peer_send(fx, "{\"id\": %lld, \"error\": {\"class\": "
	    "\"DeviceNotFound\", \"desc\": \"Device 'nope' not found\"}}\r\n",
	    (long long)ida);
	peer_send(fx, "{\"id\": %lld, \"error\": {\"class\": \"SomeNewClass\", "
	    "\"desc\": \"caf\\u00e9 \\\"quoted\\\"\"}}\r\n", (long long)idb);
	PUMP_UNTIL(fx, a->c_n == 1 && b->c_n == 1);
	assert_false(a->c_ok);
	assert_string_equal(a->c_class, "DeviceNotFound");
	assert_string_equal(a->c_desc, "Device 'nope' not found");
	assert_string_equal(b->c_class, "SomeNewClass");
	assert_string_equal(b->c_desc, "caf\xc3\xa9 \"quoted\"");
	assert_true(qmp_is_ready(fx->fx_q));
}

static void
test_caps_refused(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx);
	json_int_t	 caps;

	fx_open(fx, 0);
	assert_int_equal(exec(fx, a, "queued", NULL, 0), 0);
	peer_send(fx, GREETING);
	caps = peer_expect(fx, "qmp_capabilities", NULL);
	peer_send(fx, "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
	    "\"nope\"}, \"id\": %lld}\r\n", (long long)caps);
	PUMP_UNTIL(fx, fx->fx_closed == 1);
	assert_int_equal(fx->fx_ready, 0);
	assert_string_equal(a->c_class, QMP_ERR_DISCONNECTED);
	assert_non_null(strstr(fx->fx_cause, "qmp_capabilities"));
}

static void
test_execute_from_callback(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx), *b = call_new(fx);
	json_int_t	 id;
	char		*args;

	fx_open(fx, 0);
	handshake(fx);
	a->c_exec = 1;
	a->c_next = b;
	assert_int_equal(exec(fx, a, "a", NULL, 0), 0);
	id = peer_expect(fx, "a", NULL);
	peer_send(fx, "{\"return\": {}, \"id\": %lld}\r\n", (long long)id);
	id = peer_expect(fx, "from-callback", &args);
	assert_int_equal(a->c_exec_rv, 0);
	assert_string_equal(args, "{\"n\":1}");
	free(args);
	assert_int_equal(b->c_n, 0);
	peer_send(fx, "{\"return\": 7, \"id\": %lld}\r\n", (long long)id);
	PUMP_UNTIL(fx, b->c_n == 1);
	assert_string_equal(b->c_ret, "7");
}

/*
 * qmp_free() from a reply callback: the other commands fail at once,
 * qh_closed stays silent, and the rest of the same read is dropped.
 */
static void
test_free_in_reply(void **state)
{
	struct fx	*fx = *state;
	struct call	*c[3], *d = call_new(fx);
	json_int_t	 id[3];
	int		 i;

	for (i = 0; i < 3; i++)
		c[i] = call_new(fx);
	fx_open(fx, 0);
	handshake(fx);
	c[0]->c_free = 1;
	for (i = 0; i < 3; i++)
		assert_int_equal(exec(fx, c[i], "x", NULL, i == 2 ? 5000 : 0),
		    0);
	for (i = 0; i < 3; i++)
		id[i] = peer_expect(fx, "x", NULL);
	/* c[1]'s callback tries to issue more while being failed */
	c[1]->c_exec = 1;
	c[1]->c_next = d;
	peer_send(fx, "{\"return\": {}, \"id\": %lld}\r\n"
	    "{\"return\": {}, \"id\": %lld}\r\n{\"event\": \"AFTER\"}\r\n",
	    (long long)id[0], (long long)id[1]);
	PUMP_UNTIL(fx, c[0]->c_n == 1);
	assert_null(fx->fx_q);
	assert_true(c[0]->c_ok);
	assert_string_equal(c[1]->c_class, QMP_ERR_DISCONNECTED);
	assert_string_equal(c[2]->c_class, QMP_ERR_DISCONNECTED);
	assert_int_equal(c[1]->c_exec_rv, -1);
	assert_int_equal(d->c_n, 0);
	PUMP_UNTIL(fx, fx->fx_peer_eof);
	settle(fx);
	for (i = 0; i < 3; i++)
		assert_int_equal(c[i]->c_n, 1);
	assert_int_equal(fx->fx_nev, 0);
	assert_int_equal(fx->fx_closed, 0);
}

static void
test_free_in_ready(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx);
	json_int_t	 caps;

	fx_open(fx, 0);
	fx->fx_flags = FREE_IN_READY;
	assert_int_equal(exec(fx, a, "queued", NULL, 1000), 0);
	peer_send(fx, GREETING);
	caps = peer_expect(fx, "qmp_capabilities", NULL);
	peer_send(fx, "{\"return\": {}, \"id\": %lld}\r\n"
	    "{\"event\": \"X\"}\r\n", (long long)caps);
	PUMP_UNTIL(fx, fx->fx_q == NULL);
	assert_int_equal(a->c_n, 1);
	assert_string_equal(a->c_class, QMP_ERR_DISCONNECTED);
	assert_true(fx->fx_ready_seq < a->c_seq);
	PUMP_UNTIL(fx, fx->fx_peer_eof);
	assert_int_equal(fx->fx_nev, 0);
	assert_int_equal(fx->fx_closed, 0);
}

static void
test_free_in_event(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx);
	json_int_t	 id;

	fx_open(fx, 0);
	handshake(fx);
	fx->fx_flags = FREE_IN_EVENT;
	assert_int_equal(exec(fx, a, "a", NULL, 1000), 0);
	id = peer_expect(fx, "a", NULL);
	peer_send(fx, "{\"event\": \"FIRST\"}\r\n{\"event\": \"SECOND\"}\r\n"
	    "{\"return\": {}, \"id\": %lld}\r\n", (long long)id);
	PUMP_UNTIL(fx, fx->fx_q == NULL);
	assert_int_equal(fx->fx_nev, 1);
	assert_string_equal(a->c_class, QMP_ERR_DISCONNECTED);
	settle(fx);
	assert_int_equal(fx->fx_nev, 1);
	assert_int_equal(a->c_n, 1);
	assert_int_equal(fx->fx_closed, 0);
}

static void
test_free_in_closed(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx);

	fx_open(fx, 0);
	handshake(fx);
	fx->fx_flags = FREE_IN_CLOSED;
	assert_int_equal(exec(fx, a, "a", NULL, 1000), 0);
	peer_send(fx, "oops\r\n");
	PUMP_UNTIL(fx, fx->fx_closed == 1);
	assert_null(fx->fx_q);
	assert_int_equal(a->c_n, 1);
	assert_true(a->c_seq < fx->fx_closed_seq);
	settle(fx);
}

/* From the timeout callback, and from a callback run by a disconnect. */
static void
test_free_in_timeout_and_disconnect(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx), *b = call_new(fx);
	struct call	*c = call_new(fx), *d = call_new(fx);

	fx_open(fx, 0);
	handshake(fx);
	a->c_free = 1;
	assert_int_equal(exec(fx, a, "a", NULL, 5), 0);
	assert_int_equal(exec(fx, b, "b", NULL, 50), 0);
	assert_int_equal(exec(fx, c, "c", NULL, 0), 0);
	PUMP_UNTIL(fx, fx->fx_q == NULL);
	assert_string_equal(a->c_class, QMP_ERR_TIMEOUT);
	assert_string_equal(b->c_class, QMP_ERR_DISCONNECTED);
	assert_string_equal(c->c_class, QMP_ERR_DISCONNECTED);
	settle(fx);
	assert_int_equal(b->c_n, 1);		/* b's own timer is gone */
	fx_close(fx);

	a = call_new(fx);
	b = call_new(fx);
	fx_open(fx, 0);
	handshake(fx);
	a->c_free = 1;
	assert_int_equal(exec(fx, a, "a", NULL, 0), 0);
	assert_int_equal(exec(fx, b, "b", NULL, 0), 0);
	b->c_exec = 1;
	b->c_next = d;
	peer_close(fx);
	PUMP_UNTIL(fx, fx->fx_q == NULL);
	assert_string_equal(a->c_class, QMP_ERR_DISCONNECTED);
	assert_string_equal(b->c_class, QMP_ERR_DISCONNECTED);
	assert_int_equal(b->c_exec_rv, -1);
	assert_int_equal(fx->fx_closed, 0);	/* freed before it was due */
}

static void
test_free_outside(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx);

	fx_open(fx, 0);
	handshake(fx);
	assert_int_equal(exec(fx, a, "a", NULL, 100), 0);
	a->c_free = 1;		/* a nested qmp_free() does nothing */
	qmp_free(fx->fx_q);
	/* the callback may run inside qmp_free(), never after */
	fx->fx_q = NULL;
	assert_int_equal(a->c_n, 1);
	assert_string_equal(a->c_class, QMP_ERR_DISCONNECTED);
	PUMP_UNTIL(fx, fx->fx_peer_eof);
	assert_int_equal(fx->fx_closed, 0);
	qmp_free(NULL);
}


/*
 * Its qemu killed, the connection lets go of the socket at once: the
 * peer sees the end; no callback runs and no new command is taken; the
 * pending one is failed by qmp_free.
 */
static void
test_peer_killed(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx), *late = call_new(fx);

	fx_open(fx, 0);
	handshake(fx);
	assert_int_equal(exec(fx, a, "a", NULL, 60000), 0);
	peer_expect(fx, "a", NULL);
	qmp_peer_killed(fx->fx_q);
	PUMP_UNTIL(fx, fx->fx_peer_eof);
	assert_false(qmp_is_ready(fx->fx_q));
	settle(fx);
	assert_int_equal(a->c_n, 0);
	assert_int_equal(fx->fx_closed, 0);
	errno = 0;
	assert_int_equal(exec(fx, late, "late", NULL, 0), -1);
	assert_int_equal(errno, ENOTCONN);
	qmp_peer_killed(fx->fx_q);		/* twice: nothing more */
	qmp_free(fx->fx_q);
	fx->fx_q = NULL;
	assert_int_equal(a->c_n, 1);
	assert_string_equal(a->c_class, QMP_ERR_DISCONNECTED);
	assert_int_equal(late->c_n, 0);
	assert_int_equal(fx->fx_closed, 0);
	qmp_peer_killed(NULL);
}

/* A file to pass: its descriptor, read-only. */
static int
fd_file(void)
{
	char	 path[] = "/tmp/test_qmp.fd.XXXXXX";
	int	 w, fd;

	assert_true((w = mkstemp(path)) != -1);
	assert_int_equal(write(w, "FWS", 3), 3);
	assert_true((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1);
	close(w);
	unlink(path);
	return fd;
}

/* Do a and b name the same open file? */
static int
same_file(int a, int b)
{
	struct stat	 sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int
open_fds(void)
{
	struct dirent	*de;
	DIR		*d = opendir("/proc/self/fd");
	int		 n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * The descriptor goes with its command's line, on a copy: the caller
 * keeps its own.  It is sent from the loop, not from inside the call.
 */
static void
test_fd_passed(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx);
	json_int_t	 id;
	size_t		 at;
	char		*args;
	int		 fd = fd_file(), flags;

	fx_open(fx, 0);
	handshake(fx);
	assert_int_equal(exec_fd(fx, a, "add-fd", json_pack("{s:s}",
	    "opaque", "iso"), fd, 1000), 0);
	assert_int_equal(fx->fx_inlen, 0);
	at = fx->fx_consumed;
	id = peer_expect(fx, "add-fd", &args);
	assert_string_equal(args, "{\"opaque\":\"iso\"}");
	free(args);
	assert_int_equal(fx->fx_nfd, 1);
	/* on the line's own bytes */
	assert_true(fx->fx_fd_at[0] == at);
	assert_true(same_file(fx->fx_fd[0], fd));
	assert_true(fx->fx_fd[0] != fd);
	flags = fcntl(fx->fx_fd[0], F_GETFL);
	assert_int_equal(flags & O_ACCMODE, O_RDONLY);
	assert_true(fcntl(fd, F_GETFD) != -1);	/* still the caller's */
	peer_send(fx, "{\"return\": {\"fdset-id\": 0, \"fd\": 12}, "
	    "\"id\": %lld}\r\n", (long long)id);
	PUMP_UNTIL(fx, a->c_n == 1);
	assert_string_equal(a->c_ret, "{\"fd\":12,\"fdset-id\":0}");
	assert_false(a->c_sync);
	close(fd);
}

/*
 * A command with a descriptor waits for every answer before it, and
 * holds back what comes after it until it is answered.
 */
static void
test_fd_goes_alone(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx), *b = call_new(fx), *c = call_new(fx);
	struct call	*d = call_new(fx);
	json_int_t	 ida, idb, idc, idd;
	char		*args;
	int		 fd = fd_file();

	fx_open(fx, 0);
	handshake(fx);
	assert_int_equal(exec(fx, a, "before", NULL, 0), 0);
	assert_int_equal(exec_fd(fx, b, "getfd", json_pack("{s:s}", "fdname",
	    "x"), fd, 0), 0);
	assert_int_equal(exec(fx, c, "after", NULL, 0), 0);
	close(fd);	/* the library has its own */
	ida = peer_expect(fx, "before", NULL);
	settle(fx);
	assert_int_equal(fx->fx_inlen, 0);
	assert_int_equal(fx->fx_nfd, 0);
	peer_send(fx, "{\"return\": {}, \"id\": %lld}\r\n", (long long)ida);
	idb = peer_expect(fx, "getfd", &args);
	assert_string_equal(args, "{\"fdname\":\"x\"}");
	free(args);
	assert_int_equal(fx->fx_nfd, 1);
	settle(fx);
	assert_int_equal(fx->fx_inlen, 0);	/* "after" waits */
	/* asked for meanwhile: behind "after", in order */
	assert_int_equal(exec(fx, d, "later", NULL, 0), 0);
	settle(fx);
	assert_int_equal(fx->fx_inlen, 0);
	peer_send(fx, "{\"return\": {}, \"id\": %lld}\r\n", (long long)idb);
	idc = peer_expect(fx, "after", NULL);
	idd = peer_expect(fx, "later", NULL);
	peer_send(fx, "{\"return\": 3, \"id\": %lld}\r\n"
	    "{\"return\": 4, \"id\": %lld}\r\n", (long long)idc,
	    (long long)idd);
	PUMP_UNTIL(fx, d->c_n == 1);
	assert_true(a->c_seq < b->c_seq && b->c_seq < c->c_seq &&
	    c->c_seq < d->c_seq);
	assert_true(a->c_ok && b->c_ok && c->c_ok && d->c_ok);
	assert_int_equal(fx->fx_nfd, 1);
}

/* Before the handshake too; a refusal is the command's, not the link's. */
static void
test_fd_before_handshake(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx), *b = call_new(fx);
	json_int_t	 ida, idb;
	int		 fd = fd_file();

	fx_open(fx, 0);
	assert_int_equal(exec_fd(fx, a, "add-fd", NULL, fd, 0), 0);
	assert_int_equal(exec(fx, b, "next", NULL, 0), 0);
	close(fd);
	settle(fx);
	assert_int_equal(fx->fx_inlen, 0);
	handshake(fx);
	ida = peer_expect(fx, "add-fd", NULL);
	assert_int_equal(fx->fx_nfd, 1);
	settle(fx);
	assert_int_equal(fx->fx_inlen, 0);
	peer_send(fx, "{\"error\": {\"class\": \"GenericError\", "
	    "\"desc\": \"no fd\"}, \"id\": %lld}\r\n", (long long)ida);
	idb = peer_expect(fx, "next", NULL);
	peer_send(fx, "{\"return\": {}, \"id\": %lld}\r\n", (long long)idb);
	PUMP_UNTIL(fx, b->c_n == 1);
	assert_false(a->c_ok);
	assert_string_equal(a->c_desc, "no fd");
	assert_true(qmp_is_ready(fx->fx_q));
}

/*
 * A command with a descriptor that is never sent (the line drops, or
 * the owner frees) is answered once and keeps no descriptor open; a
 * bad descriptor is refused at once.
 */
static void
test_fd_not_sent(void **state)
{
	struct fx	*fx = *state;
	struct call	*a = call_new(fx), *b = call_new(fx), *c = call_new(fx);
	struct call	*d = call_new(fx), *e = call_new(fx);
	int		 fd = fd_file(), before;

	fx_open(fx, 0);
	handshake(fx);
	before = open_fds();
	assert_int_equal(exec(fx, a, "slow", NULL, 0), 0);
	assert_int_equal(exec_fd(fx, b, "add-fd", NULL, fd, 0), 0);
	assert_int_equal(open_fds(), before + 1);
	peer_expect(fx, "slow", NULL);
	peer_close(fx);
	PUMP_UNTIL(fx, fx->fx_closed == 1);
	assert_string_equal(b->c_class, QMP_ERR_DISCONNECTED);
	assert_int_equal(a->c_n + b->c_n, 2);
	assert_int_equal(fx->fx_nfd, 0);
	/* and both ends of the line are gone */
	assert_int_equal(open_fds(), before - 2);
	fx_close(fx);

	fx_open(fx, 0);
	handshake(fx);
	before = open_fds();
	assert_int_equal(exec(fx, c, "slow", NULL, 0), 0);
	assert_int_equal(exec_fd(fx, d, "add-fd", NULL, fd, 0), 0);
	qmp_free(fx->fx_q);
	fx->fx_q = NULL;
	assert_string_equal(d->c_class, QMP_ERR_DISCONNECTED);
	assert_int_equal(d->c_n, 1);
	settle(fx);
	assert_int_equal(d->c_n, 1);
	assert_int_equal(open_fds(), before - 1);	/* our socket too */
	fx_close(fx);

	fx_open(fx, 0);
	handshake(fx);
	errno = 0;
	assert_int_equal(exec_fd(fx, e, "add-fd", json_object(), -1, 0), -1);
	assert_int_equal(errno, EBADF);
	settle(fx);
	assert_int_equal(e->c_n, 0);
	assert_int_equal(fx->fx_inlen, 0);
	close(fd);
}

/* Where the qemu binary is, or NULL. */
static const char *
qemu_path(void)
{
	static char	 path[4096];
	const char	*env, *p, *e;

	if ((env = getenv("PATH")) == NULL)
		return NULL;
	for (p = env; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchrnul(p, ':');
		snprintf(path, sizeof(path), "%.*s/qemu-system-x86_64",
		    (int)(e - p), p);
		if (e > p && access(path, X_OK) == 0)
			return path;
	}
	return NULL;
}

static void
sigchld_cb(int sig, short what, void *arg)
{
	struct fx	*fx = arg;

	(void)sig;
	(void)what;
	if (fx->fx_pid > 0 && waitpid(fx->fx_pid, &fx->fx_status, WNOHANG) ==
	    fx->fx_pid)
		fx->fx_pid = 0;
}

/*
 * Start qemu with fd as its fd 3, for -chardev socket,fd=3 plus opt.
 * The child dies with us, so a crashed test leaves no qemu behind.
 */
static void
qemu_start(struct fx *fx, const char *qemu, int fd, const char *opt)
{
	char	 chardev[128];
	pid_t	 parent = getpid();
	int	 null;

	snprintf(chardev, sizeof(chardev), "socket,id=qmp,fd=3%s", opt);
	fx->fx_sigchld = evsignal_new(fx->fx_base, SIGCHLD, sigchld_cb, fx);
	assert_non_null(fx->fx_sigchld);
	evsignal_add(fx->fx_sigchld, NULL);
	fx->fx_pid = fork();
	assert_true(fx->fx_pid != -1);
	if (fx->fx_pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != parent)
			_exit(127);
		if (fd == 3)
			fcntl(3, F_SETFD, 0);
		else if (dup2(fd, 3) == -1)
			_exit(127);
		if ((null = open("/dev/null", O_RDWR)) != -1) {
			dup2(null, 0);
			dup2(null, 1);
		}
		execl(qemu, qemu, "-machine", "none", "-nodefaults",
		    "-no-user-config", "-display", "none", "-S",
		    "-chardev", chardev, "-mon", "chardev=qmp,mode=control",
		    (char *)NULL);
		_exit(127);
	}
}

/* query-status, an unknown command, quit, and qemu's exit. */
static void
qemu_session(struct fx *fx)
{
	struct call	*st = call_new(fx), *unk = call_new(fx);
	struct call	*quit = call_new(fx);
	json_t		*ret;

	PUMP_UNTIL(fx, fx->fx_ready == 1 || fx->fx_closed);
	if (fx->fx_closed)
		fail_msg("qemu closed the monitor: %s", fx->fx_cause);
	assert_int_equal(exec(fx, st, "query-status", NULL, 5000), 0);
	assert_int_equal(exec(fx, unk, "no-such-command", NULL, 5000), 0);
	PUMP_UNTIL(fx, st->c_n == 1 && unk->c_n == 1);
	if (!st->c_ok)
		fail_msg("query-status: %s: %s", st->c_class, st->c_desc);
	ret = json_loads(st->c_ret, 0, NULL);
	assert_non_null(ret);
	assert_true(json_is_false(json_object_get(ret, "running")));
	assert_string_equal(json_string_value(json_object_get(ret, "status")),
	    "prelaunch");
	json_decref(ret);
	assert_false(unk->c_ok);
	assert_string_equal(unk->c_class, "CommandNotFound");
	assert_non_null(strstr(unk->c_desc, "no-such-command"));

	/* qemu may exit before its reply to quit is out: both are fine */
	assert_int_equal(exec(fx, quit, "quit", NULL, 5000), 0);
	PUMP_UNTIL(fx, fx->fx_closed == 1);
	assert_int_equal(quit->c_n, 1);
	if (!quit->c_ok)
		assert_string_equal(quit->c_class, QMP_ERR_DISCONNECTED);
	PUMP_UNTIL(fx, fx->fx_pid == 0);
	assert_true(WIFEXITED(fx->fx_status));
	assert_int_equal(WEXITSTATUS(fx->fx_status), 0);
}

/* The form fwsd uses: qemu gets one end of a connected socketpair. */
static void
test_real_qemu(void **state)
{
	struct fx	*fx = *state;
	const char	*qemu;
	int		 sv[2];

	if ((qemu = qemu_path()) == NULL)
		skip();
	fx->fx_guard_ms = 10000;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	qemu_start(fx, qemu, sv[1], "");
	close(sv[1]);
	fx->fx_q = qmp_open(fx->fx_base, sv[0], &handlers, fx, 0);
	assert_non_null(fx->fx_q);
	qemu_session(fx);
}

/* The other form qemu accepts: a listening socket and server=on. */
static void
test_real_qemu_listening(void **state)
{
	struct fx		*fx = *state;
	struct sockaddr_un	 sun;
	const char		*qemu;
	int			 l, s;

	if ((qemu = qemu_path()) == NULL)
		skip();
	fx->fx_guard_ms = 10000;
	snprintf(fx->fx_dir, sizeof(fx->fx_dir), "/tmp/test_qmp.XXXXXX");
	assert_non_null(mkdtemp(fx->fx_dir));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/qmp.sock",
	    fx->fx_dir);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(l != -1);
	assert_int_equal(bind(l, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(l, 1), 0);
	qemu_start(fx, qemu, l, ",server=on,wait=off");
	close(l);
	/* the backlog takes it even before qemu gets to accept() */
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s != -1);
	assert_int_equal(connect(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	fx->fx_q = qmp_open(fx->fx_base, s, &handlers, fx, 0);
	assert_non_null(fx->fx_q);
	qemu_session(fx);
}

/* A descriptor as QEMU takes it: add-fd, then query-fdsets shows it. */
static void
test_real_qemu_add_fd(void **state)
{
	struct fx	*fx = *state;
	struct call	*add = call_new(fx), *q = call_new(fx);
	struct call	*quit = call_new(fx);
	const char	*qemu;
	json_t		*ret;
	json_int_t	 set;
	char		 want[64];
	int		 sv[2], fd;

	if ((qemu = qemu_path()) == NULL)
		skip();
	fx->fx_guard_ms = 10000;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	qemu_start(fx, qemu, sv[1], "");
	close(sv[1]);
	fx->fx_q = qmp_open(fx->fx_base, sv[0], &handlers, fx, 0);
	assert_non_null(fx->fx_q);
	PUMP_UNTIL(fx, fx->fx_ready == 1 || fx->fx_closed);
	if (fx->fx_closed)
		fail_msg("qemu closed the monitor: %s", fx->fx_cause);
	fd = fd_file();
	assert_int_equal(exec_fd(fx, add, "add-fd", json_pack("{s:s}",
	    "opaque", "fws-test"), fd, 5000), 0);
	close(fd);
	assert_int_equal(exec(fx, q, "query-fdsets", NULL, 5000), 0);
	PUMP_UNTIL(fx, add->c_n == 1 && q->c_n == 1);
	if (!add->c_ok)
		fail_msg("add-fd: %s: %s", add->c_class, add->c_desc);
	ret = json_loads(add->c_ret, 0, NULL);
	assert_non_null(ret);
	set = json_integer_value(json_object_get(ret, "fdset-id"));
	json_decref(ret);
	assert_true(q->c_ok);
	snprintf(want, sizeof(want), "\"fdset-id\":%lld", (long long)set);
	assert_non_null(strstr(q->c_ret, want));
	assert_non_null(strstr(q->c_ret, "\"opaque\":\"fws-test\""));
	assert_int_equal(exec(fx, quit, "quit", NULL, 5000), 0);
	PUMP_UNTIL(fx, fx->fx_closed == 1);
	PUMP_UNTIL(fx, fx->fx_pid == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t)	cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_handshake),
		T(test_queued_before_handshake),
		T(test_out_of_order),
		T(test_event_before_caps_reply),
		T(test_several_in_one_write),
		T(test_split_across_writes),
		T(test_timeout),
		T(test_timeouts_in_order),
		T(test_timeout_before_handshake),
		T(test_disconnect),
		T(test_disconnect_before_handshake),
		T(test_execute_after_close),
		T(test_oversized),
		T(test_malformed),
		T(test_stray_messages),
		T(test_error_verbatim),
		T(test_caps_refused),
		T(test_execute_from_callback),
		T(test_free_in_reply),
		T(test_free_in_ready),
		T(test_free_in_event),
		T(test_free_in_closed),
		T(test_free_in_timeout_and_disconnect),
		T(test_free_outside),
		T(test_peer_killed),
		T(test_fd_passed),
		T(test_fd_goes_alone),
		T(test_fd_before_handshake),
		T(test_fd_not_sent),
		T(test_real_qemu),
		T(test_real_qemu_listening),
		T(test_real_qemu_add_fd),
#undef T
	};

	/* a peer that hangs up must not kill us when we write to it */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
