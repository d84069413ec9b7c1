/*
 * fuzz_qmp.c: qmp.c, the QMP connection, with the input as all that
 * QEMU says.  A socketpair stands in for the monitor socket, as in
 * tests/unit/test_qmp.c: the stream is written to the far end in pieces
 * while the loop runs, and what the library writes back is read and
 * checked.  The owner's callbacks here queue commands, and free the
 * connection from inside a callback when the input asks for it.  What
 * is checked: every command is answered exactly once and never from
 * inside qmp_execute, an answer is a result or an error and never both,
 * ready and closed come at most once, nothing reaches the owner after
 * closed, the library writes only well-formed commands with distinct
 * ids, and after qmp_free nothing of it is left on the event_base.
 *
 * Input: byte 0 flags (below), byte 1 the seed of the piece sizes, the
 * rest the stream.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "fuzz.h"
#include "qmp.h"

#define F_FREE_IN_EVENT	0x01	/* qmp_free from the first event */
#define F_FREE_IN_READY	0x02	/* qmp_free from qh_ready */
#define F_EXEC_IN_READY	0x04	/* a command from qh_ready */
#define F_FREE_IN_REPLY	0x08	/* qmp_free from the first answer */
#define F_EXEC_IN_REPLY	0x10	/* a command from every answer */
#define F_PEER_CLOSES	0x20	/* QEMU hangs up at the end */
#define F_SMALL_CAP	0x40	/* max_msg 128 bytes */
#define F_EARLY_EXEC	0x80	/* commands before the greeting */

#define MAX_CALLS	32
#define PUMP_MAX	256

struct fx;

struct call {
	struct fx	*c_fx;
	const char	*c_cmd;
	int		 c_n;		/* answers: must end up 1 */
	int		 c_sent;	/* the far end has read it */
};

struct fx {
	struct qmp	*fx_q;
	int		 fx_flags;
	int		 fx_sock;	/* the library's end */
	int		 fx_peer;	/* QEMU's end */
	char		 fx_in[65536];	/* what it wrote, unread */
	size_t		 fx_inlen;
	int		 fx_in_execute;
	int		 fx_ready;
	int		 fx_closed;
	int		 fx_answers;
	int		 fx_caps_sent;
	json_int_t	 fx_ids[MAX_CALLS + 1];	/* sent so far */
	int		 fx_nids;
	struct call	 fx_call[MAX_CALLS];
	int		 fx_ncall;
};

static struct event_base	*base;

static void	on_reply(struct qmp *, json_t *, const char *, const char *,
		    void *);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL)
		abort();
	return 0;
}

/* Is the library's socket gone (closed by it, or freed by us)? */
static int
gone(const struct fx *fx)
{
	return fx->fx_q == NULL || fx->fx_closed;
}

/* qmp_free, after which nothing reaches the owner's handlers */
static void
drop(struct fx *fx)
{
	struct qmp	*q = fx->fx_q;

	fx->fx_q = NULL;
	qmp_free(q);
}

static void
execute(struct fx *fx, const char *cmd, json_t *args)
{
	struct call	*c;

	if (fx->fx_ncall == MAX_CALLS) {
		json_decref(args);
		return;
	}
	c = &fx->fx_call[fx->fx_ncall];
	c->c_fx = fx;
	c->c_cmd = cmd;
	fx->fx_in_execute = 1;
	if (qmp_execute(fx->fx_q, cmd, args, 0, on_reply, c) == 0)
		fx->fx_ncall++;
	else
		FUZZ_ASSERT(!qmp_is_ready(fx->fx_q));
	fx->fx_in_execute = 0;
}

static void
on_reply(struct qmp *q, json_t *ret, const char *cls, const char *desc,
    void *arg)
{
	struct call	*c = arg;
	struct fx	*fx = c->c_fx;

	FUZZ_ASSERT(!fx->fx_in_execute);
	FUZZ_ASSERT(++c->c_n == 1);
	if (cls == NULL)
		FUZZ_ASSERT(ret != NULL && desc == NULL);
	else
		FUZZ_ASSERT(ret == NULL && desc != NULL);
	/* no timers here */
	FUZZ_ASSERT(cls == NULL || strcmp(cls, QMP_ERR_TIMEOUT) != 0);
	if (fx->fx_q == NULL)
		return;		/* answered by qmp_free */
	FUZZ_ASSERT(q == fx->fx_q);
	fx->fx_answers++;
	if ((fx->fx_flags & F_FREE_IN_REPLY) && fx->fx_answers == 1) {
		drop(fx);
		return;
	}
	if ((fx->fx_flags & F_EXEC_IN_REPLY) && !fx->fx_closed)
		execute(fx, "from-reply", json_pack("{si}", "n",
		    fx->fx_answers));
}

static void
on_ready(struct qmp *q, void *arg)
{
	struct fx	*fx = arg;

	FUZZ_ASSERT(q == fx->fx_q);
	FUZZ_ASSERT(!fx->fx_closed);
	FUZZ_ASSERT(++fx->fx_ready == 1);
	FUZZ_ASSERT(qmp_is_ready(q));
	if (fx->fx_flags & F_EXEC_IN_READY)
		execute(fx, "query-status", NULL);
	if (fx->fx_flags & F_FREE_IN_READY)
		drop(fx);
}

static void
on_event(struct qmp *q, const char *name, json_t *data, void *arg)
{
	struct fx	*fx = arg;

	FUZZ_ASSERT(q == fx->fx_q);
	FUZZ_ASSERT(!fx->fx_closed);
	FUZZ_ASSERT(name != NULL);
	(void)data;
	if (fx->fx_flags & F_FREE_IN_EVENT)
		drop(fx);
}

static void
on_closed(struct qmp *q, const char *cause, void *arg)
{
	struct fx	*fx = arg;
	int		 i;

	FUZZ_ASSERT(q == fx->fx_q);
	FUZZ_ASSERT(cause != NULL);
	FUZZ_ASSERT(++fx->fx_closed == 1);
	FUZZ_ASSERT(!qmp_is_ready(q));
	/* every command was failed first */
	for (i = 0; i < fx->fx_ncall; i++)
		FUZZ_ASSERT(fx->fx_call[i].c_n == 1);
	FUZZ_ASSERT(qmp_execute(q, "late", json_object(), 0, NULL,
	    NULL) == -1);
}

static const struct qmp_handlers handlers = {
	.qh_ready = on_ready,
	.qh_event = on_event,
	.qh_closed = on_closed,
};

/*
 * One line the library wrote: a command with an id never used before;
 * the handshake first, then the owner's commands in the order asked.
 */
static void
check_sent(struct fx *fx, const char *line, size_t len)
{
	json_error_t	 jerr;
	json_t		*msg, *args;
	const char	*cmd;
	json_int_t	 id;
	int		 i;

	msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	FUZZ_ASSERT(json_is_object(msg));
	cmd = json_string_value(json_object_get(msg, "execute"));
	FUZZ_ASSERT(cmd != NULL);
	FUZZ_ASSERT(json_is_integer(json_object_get(msg, "id")));
	id = json_integer_value(json_object_get(msg, "id"));
	for (i = 0; i < fx->fx_nids; i++)
		FUZZ_ASSERT(fx->fx_ids[i] != id);
	FUZZ_ASSERT(fx->fx_nids < MAX_CALLS + 1);
	fx->fx_ids[fx->fx_nids++] = id;
	args = json_object_get(msg, "arguments");
	FUZZ_ASSERT(args == NULL || json_is_object(args));
	FUZZ_ASSERT(json_object_size(msg) == (args ? 3 : 2));
	if (strcmp(cmd, "qmp_capabilities") == 0) {
		FUZZ_ASSERT(!fx->fx_caps_sent);
		fx->fx_caps_sent = 1;
	} else {
		/* nothing but the handshake goes out before it is done */
		FUZZ_ASSERT(fx->fx_caps_sent);
		for (i = 0; i < fx->fx_ncall; i++)
			if (fx->fx_call[i].c_sent == 0)
				break;
		FUZZ_ASSERT(i < fx->fx_ncall);
		FUZZ_ASSERT(strcmp(fx->fx_call[i].c_cmd, cmd) == 0);
		fx->fx_call[i].c_sent = 1;
	}
	json_decref(msg);
}

/* Read and check what the library wrote so far. */
static void
peer_read(struct fx *fx)
{
	ssize_t	 n;
	char	*nl;
	size_t	 used;

	for (;;) {
		n = read(fx->fx_peer, fx->fx_in + fx->fx_inlen,
		    sizeof(fx->fx_in) - fx->fx_inlen);
		if (n <= 0)
			break;
		fx->fx_inlen += n;
		while ((nl = memchr(fx->fx_in, '\n', fx->fx_inlen)) != NULL) {
			used = nl - fx->fx_in + 1;
			check_sent(fx, fx->fx_in, used - 1);
			fx->fx_inlen -= used;
			memmove(fx->fx_in, fx->fx_in + used, fx->fx_inlen);
		}
		FUZZ_ASSERT(fx->fx_inlen < sizeof(fx->fx_in));
	}
}

/*
 * Run the loop until the library has read all there is, or is gone, and
 * once more for what it writes back.
 */
static void
pump(struct fx *fx)
{
	int	 i, avail;

	for (i = 0; i < PUMP_MAX && !gone(fx); i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		peer_read(fx);
		if (gone(fx))
			break;
		if (ioctl(fx->fx_sock, FIONREAD, &avail) == -1)
			abort();
		if (avail == 0) {
			event_base_loop(base, EVLOOP_NONBLOCK);
			break;
		}
	}
	peer_read(fx);
}

static void
peer_write(struct fx *fx, const uint8_t *p, size_t len)
{
	ssize_t	 n;
	int	 i;

	for (i = 0; len > 0 && i < PUMP_MAX && !gone(fx); i++) {
		n = send(fx->fx_peer, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			FUZZ_ASSERT(errno == EAGAIN || errno == EPIPE ||
			    errno == ECONNRESET);
			pump(fx);
			continue;
		}
		p += n;
		len -= n;
		pump(fx);
	}
}

static uint32_t
next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fx	 fx;
	const uint8_t		*p, *end;
	size_t			 n;
	uint32_t		 seed;
	int			 sv[2], i;

	if (size < 2)
		return 0;
	memset(&fx, 0, sizeof(fx));
	fx.fx_flags = data[0];
	seed = 0x9e3779b9u ^ data[1];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1 ||
	    fcntl(sv[1], F_SETFL, O_NONBLOCK) == -1)
		abort();
	fx.fx_sock = sv[0];
	fx.fx_peer = sv[1];
	fx.fx_q = qmp_open(base, sv[0], &handlers, &fx,
	    (fx.fx_flags & F_SMALL_CAP) ? 128 : 0);
	FUZZ_ASSERT(fx.fx_q != NULL);
	FUZZ_ASSERT(!qmp_is_ready(fx.fx_q));
	if (fx.fx_flags & F_EARLY_EXEC) {
		execute(&fx, "query-status", NULL);
		execute(&fx, "cont", json_pack("{sb}", "x", 1));
	}

	p = data + 2;
	end = data + size;
	while (p < end && !gone(&fx)) {
		n = 1 + next_rand(&seed) % 256;
		if (n > (size_t)(end - p))
			n = end - p;
		peer_write(&fx, p, n);
		p += n;
	}
	pump(&fx);

	if ((fx.fx_flags & F_PEER_CLOSES) && !gone(&fx)) {
		close(fx.fx_peer);
		fx.fx_peer = -1;
		for (i = 0; i < PUMP_MAX && !gone(&fx); i++)
			event_base_loop(base, EVLOOP_NONBLOCK);
		FUZZ_ASSERT(gone(&fx));
	}
	if (fx.fx_q != NULL)
		drop(&fx);
	for (i = 0; i < fx.fx_ncall; i++)
		FUZZ_ASSERT(fx.fx_call[i].c_n == 1);
	FUZZ_ASSERT(fx.fx_ready <= 1 && fx.fx_closed <= 1);
	/* libevent finalizes a freed bufferevent in the next turn */
	event_base_loop(base, EVLOOP_NONBLOCK);
	FUZZ_ASSERT(event_base_get_num_events(base,
	    EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE) == 0);
	if (fx.fx_peer != -1)
		close(fx.fx_peer);
	return 0;
}
