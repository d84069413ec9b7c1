/*
 * vm-agent.c: the QEMU guest agent's channel of a running VM, and what
 * the agent said of the guest's addresses.  qemu gets a listening
 * socket made by fwsd (as QMP's) behind a virtserialport named
 * org.qemu.guest_agent.0; fwsd holds the one connection to it.  When
 * someone asks for a VM's addresses (info, list) and the agent was
 * last asked more than FWS_AGENT_REFRESH seconds ago, one
 * guest-network-get-interfaces goes out with an id of fwsd's, and the
 * channel is read until the answer with that id comes, FWS_AGENT_TIMEOUT
 * passes, or FWS_AGENT_LINES_MAX lines or FWS_AGENT_READ_MAX bytes came
 * without it.  Nothing waits for it: a reply says what was known when
 * it was made.  Between questions the channel is not read: a guest that
 * writes without end fills the socket and stalls only itself; what it
 * wrote is thrown away unread before the next question (it cannot be
 * the answer), FWS_AGENT_READ_MAX at most, and a channel still full
 * after that gets no question.  The guest is hostile: lines are capped,
 * every field is checked, and only the addresses of the VM's own NICs
 * (by MAC) are kept.  Who asked never learns from here
 * more than the VM's owner may see: vm_to_json decides who sees what.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "fws.h"
#include "log.h"

#define AGENT_IFACES_MAX	64	/* interfaces read from one answer */
#define AGENT_ADDRS_MAX		64	/* addresses read per interface */

struct agent {
	struct vm	*ag_vm;
	int		 ag_fd;		/* -1: not connected */
	struct event	*ag_ev;		/* EV_READ, added while asking */
	struct event	*ag_timer;	/* the answer's deadline */
	uint64_t	 ag_id;		/* the question out; 0: none */
	int64_t		 ag_asked;	/* mono ms of the last question */
	size_t		 ag_read;	/* bytes read for this question */
	unsigned	 ag_lines;	/* lines read for this question */
	char		*ag_line;	/* the line so far */
	size_t		 ag_len;
	int		 ag_skip;	/* in a line too long: until its end */
	json_t		*ag_addrs;	/* {MAC: [address]}; NULL: none told */
};

static uint64_t	agent_next_id;

static void	agent_read(int, short, void *);
static void	agent_timeout(int, short, void *);

static int64_t
agent_mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The question is over: answered, or not. */
static void
agent_done(struct agent *ag, const char *why)
{
	if (ag->ag_ev != NULL)
		event_del(ag->ag_ev);
	evtimer_del(ag->ag_timer);
	ag->ag_id = 0;
	if (why == NULL)
		return;
	/* the guest's doing: not worth more than a debug line */
	log_debug("%s: guest agent: %s", ag->ag_vm->vm_name, why);
	json_decref(ag->ag_addrs);
	ag->ag_addrs = NULL;
}

static void
agent_disconnect(struct agent *ag, const char *why)
{
	agent_done(ag, why);
	if (ag->ag_ev != NULL)
		event_free(ag->ag_ev);
	ag->ag_ev = NULL;
	if (ag->ag_fd != -1)
		close(ag->ag_fd);
	ag->ag_fd = -1;
	ag->ag_len = 0;
	ag->ag_skip = 0;
}

/* Take the connected socket fd (or connect by path when -1). */
static int
agent_connect(struct agent *ag, int fd, char **cause)
{
	char	*path;

	if (fd == -1) {
		path = vm_run_path(ag->ag_vm, "qga");
		fd = sock_connect(path, SOCK_NONBLOCK, cause);
		free(path);
		if (fd == -1)
			return -1;
	}
	ag->ag_fd = fd;
	ag->ag_ev = event_new(base, fd, EV_READ | EV_PERSIST, agent_read, ag);
	return 0;
}

/*
 * The VM's qemu runs: hold its agent channel, fd fwsd's end of it, or
 * -1 to connect to RUN_DIR/UUID.qga (a qemu fwsd found running).  A
 * qemu without one (started before there were agent channels) has no
 * agent.
 */
void
agent_open(struct vm *vm, int fd)
{
	struct agent	*ag;
	char		*cause;

	agent_close(vm);
	if ((ag = calloc(1, sizeof(*ag))) == NULL ||
	    (ag->ag_line = malloc(FWS_AGENT_LINE_MAX + 1)) == NULL)
		abort();
	ag->ag_vm = vm;
	ag->ag_fd = -1;
	ag->ag_timer = evtimer_new(base, agent_timeout, ag);
	if (agent_connect(ag, fd, &cause) == -1) {
		log_debug("%s: no guest agent channel: %s", vm->vm_name, cause);
		free(cause);
	}
	vm->vm_agent = ag;
}

/* qemu is gone (or fwsd leaves it): so is its channel. */
void
agent_close(struct vm *vm)
{
	struct agent	*ag = vm->vm_agent;

	if (ag == NULL)
		return;
	agent_disconnect(ag, NULL);
	event_free(ag->ag_timer);
	json_decref(ag->ag_addrs);
	free(ag->ag_line);
	free(ag);
	vm->vm_agent = NULL;
}

/* The guest rebooted: what its agent said is past; ask at once. */
void
agent_forget(struct vm *vm)
{
	struct agent	*ag = vm->vm_agent;

	if (ag == NULL)
		return;
	json_decref(ag->ag_addrs);
	ag->ag_addrs = NULL;
	ag->ag_asked = 0;
}

/*
 * Throw away what the guest wrote since the last question, unread:
 * 0, or 1 when FWS_AGENT_READ_MAX bytes were not all of it, or -1 when
 * the channel is gone (and disconnected).
 */
static int
agent_drain(struct agent *ag)
{
	char	 buf[65536];
	size_t	 total = 0;
	ssize_t	 n = 0;

	while (total < FWS_AGENT_READ_MAX) {
		if ((n = read(ag->ag_fd, buf, sizeof(buf))) == -1 &&
		    errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			agent_disconnect(ag, n == 0 ? "its channel closed" :
			    strerror(errno));
			return -1;
		}
		total += n;
		/* the line it cut off is no line of the answer */
		ag->ag_len = 0;
		ag->ag_skip = buf[n - 1] != '\n';
	}
	return 1;
}

/*
 * Ask the agent for the guest's interfaces, unless a question is out,
 * or one went out less than FWS_AGENT_REFRESH seconds ago, or the guest
 * does not run.  Returns at once.
 */
void
agent_refresh(struct vm *vm)
{
	struct agent	*ag = vm->vm_agent;
	struct timeval	 tv = { FWS_AGENT_TIMEOUT, 0 };
	char		 line[128];
	int64_t		 now = agent_mono_ms();
	ssize_t		 n;
	int		 len;
	char		*cause;

	if (ag == NULL || ag->ag_id != 0 || vm->vm_state != VM_RUNNING ||
	    (ag->ag_asked != 0 &&
	    now - ag->ag_asked < FWS_AGENT_REFRESH * 1000))
		return;
	ag->ag_asked = now;
	if (ag->ag_fd == -1 && agent_connect(ag, -1, &cause) == -1) {
		free(cause);
		return;
	}
	switch (agent_drain(ag)) {
	case -1:
		return;
	case 1:
		agent_done(ag, "its channel floods: not asked");
		return;
	}
	len = snprintf(line, sizeof(line), "{\"execute\":"
	    "\"guest-network-get-interfaces\",\"id\":%llu}\n",
	    (unsigned long long)++agent_next_id);
	n = send(ag->ag_fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
		/* nobody reads the channel in the guest: not now */
		agent_done(ag, "its channel is full");
		return;
	}
	if (n != len) {
		/* half a question in the stream: start afresh */
		agent_disconnect(ag, n == -1 ? strerror(errno) :
		    "a question cut short");
		return;
	}
	ag->ag_id = agent_next_id;
	ag->ag_read = 0;
	ag->ag_lines = 0;
	event_add(ag->ag_ev, NULL);
	evtimer_add(ag->ag_timer, &tv);
}

static void
agent_timeout(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	agent_done(arg, "no answer in time");
}

/* An address as the agent gave it, canonical, or -1. */
static int
agent_address(json_t *a, char *buf, size_t len)
{
	const char	*type, *ip;
	unsigned char	 bin[sizeof(struct in6_addr)];
	int		 af;

	type = json_string_value(json_object_get(a, "ip-address-type"));
	ip = json_string_value(json_object_get(a, "ip-address"));
	if (type == NULL || ip == NULL || strlen(ip) >= INET6_ADDRSTRLEN)
		return -1;
	if (strcmp(type, "ipv4") == 0)
		af = AF_INET;
	else if (strcmp(type, "ipv6") == 0)
		af = AF_INET6;
	else
		return -1;
	if (inet_pton(af, ip, bin) != 1 ||
	    inet_ntop(af, bin, buf, len) == NULL)
		return -1;
	return 0;
}

/*
 * What guest-network-get-interfaces returned, made {MAC: [address]}
 * for the VM's own NICs; interfaces and addresses that do not read as
 * such are left out.  NULL (and why) when it is no list of interfaces.
 */
static json_t *
agent_parse(const struct vm *vm, json_t *ret, const char **why)
{
	json_t		*out, *itf, *addrs, *a, *list;
	const char	*hw, *mac;
	char		 buf[INET6_ADDRSTRLEN];
	size_t		 i, j, k;
	int		 nic;

	if (!json_is_array(ret) || json_array_size(ret) > AGENT_IFACES_MAX) {
		*why = "its answer is no list of interfaces (or too long)";
		return NULL;
	}
	out = json_object();
	json_array_foreach(ret, i, itf) {
		hw = json_string_value(json_object_get(itf,
		    "hardware-address"));
		addrs = json_object_get(itf, "ip-addresses");
		if (hw == NULL || validate_mac(hw, NULL) == -1 ||
		    !json_is_array(addrs))
			continue;
		mac = NULL;
		for (nic = 0; nic < vm->vm_nnics; nic++)
			if (strcasecmp(vm->vm_nics[nic].n_mac, hw) == 0)
				mac = vm->vm_nics[nic].n_mac;
		if (mac == NULL)
			continue;
		if ((list = json_object_get(out, mac)) == NULL) {
			list = json_array();
			json_object_set_new(out, mac, list);
		}
		json_array_foreach(addrs, j, a) {
			if (j == AGENT_ADDRS_MAX ||
			    json_array_size(list) == FWS_ADDRS_MAX)
				break;
			if (agent_address(a, buf, sizeof(buf)) == -1)
				continue;
			for (k = 0; k < json_array_size(list); k++)
				if (strcmp(json_string_value(
				    json_array_get(list, k)), buf) == 0)
					break;
			if (k == json_array_size(list))
				json_array_append_new(list, json_string(buf));
		}
	}
	return out;
}

/* One line from the agent: the answer to the question out, or nothing. */
static void
agent_line(struct agent *ag, const char *line, size_t len)
{
	json_t		*o, *id, *ret, *addrs;
	json_error_t	 err;
	const char	*why = NULL;

	if (ag->ag_id == 0)
		return;
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
	id = json_object_get(o, "id");
	if (!json_is_object(o) || !json_is_integer(id) ||
	    (uint64_t)json_integer_value(id) != ag->ag_id) {
		json_decref(o);		/* not the answer: read on */
		return;
	}
	if ((ret = json_object_get(o, "return")) != NULL &&
	    (addrs = agent_parse(ag->ag_vm, ret, &why)) != NULL) {
		json_decref(ag->ag_addrs);
		ag->ag_addrs = addrs;
		agent_done(ag, NULL);
	} else
		agent_done(ag, why != NULL ? why : "it answered with an error");
	json_decref(o);
}

/* The channel has bytes for the question out: lines, capped. */
static void
agent_read(int fd, short what, void *arg)
{
	struct agent	*ag = arg;
	char		 buf[16384], *p, *nl, *end;
	ssize_t		 n;
	size_t		 take;

	(void)what;
	if ((n = read(fd, buf, sizeof(buf))) == -1 &&
	    (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		agent_disconnect(ag, n == 0 ? "its channel closed" :
		    strerror(errno));
		return;
	}
	ag->ag_read += n;
	for (p = buf, end = buf + n; p < end && ag->ag_id != 0; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		take = (nl != NULL ? nl : end) - p;
		if (ag->ag_skip || ag->ag_len + take > FWS_AGENT_LINE_MAX) {
			/* a line too long: dropped up to its end */
			ag->ag_skip = nl == NULL;
			ag->ag_len = 0;
		} else {
			memcpy(ag->ag_line + ag->ag_len, p, take);
			ag->ag_len += take;
			if (nl != NULL) {
				ag->ag_line[ag->ag_len] = '\0';
				ag->ag_lines++;
				agent_line(ag, ag->ag_line, ag->ag_len);
				ag->ag_len = 0;
			}
		}
		if (nl == NULL)
			break;
	}
	if (ag->ag_id != 0 && (ag->ag_read >= FWS_AGENT_READ_MAX ||
	    ag->ag_lines >= FWS_AGENT_LINES_MAX))
		agent_done(ag, "it wrote too much without answering");
}

/*
 * The addresses the agent gave for the NIC with this MAC (a new
 * reference), or NULL when it told none.
 */
json_t *
agent_addresses(const struct vm *vm, const char *mac)
{
	json_t	*a;

	if (vm->vm_agent == NULL || vm->vm_agent->ag_addrs == NULL ||
	    (a = json_object_get(vm->vm_agent->ag_addrs, mac)) == NULL)
		return NULL;
	return json_incref(a);
}
