/*
 * test_netsetup.c: netsetup/ against the kernel, in a private network
 * namespace: main() unshares one before any test runs, so nothing here
 * can reach the host's links, and the namespace (with whatever a failed
 * test left in it) goes when the process exits.  Without the privilege
 * to unshare, the netlink tests are skipped, never run on the host.
 * Interface names are checked as a pure function.  netsetup/ is linked
 * alone: no part of fwsd comes along.
 */
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/if.h>
#include <linux/if_tun.h>

#include <netlink/netlink.h>
#include <netlink/cache.h>
#include <netlink/addr.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>

#include "unit.h"
#include "netsetup.h"

static int		 netns;		/* in a private namespace */
static struct nl_sock	*tsk;		/* the test's own, to check */

#define NEED_NETNS() do {						\
	if (!netns)							\
		skip();							\
} while (0)

/*
 * Expect a failure whose cause names both words (when not NULL); free
 * the cause and clear it for the next call.
 */
static void
expect_cause(int rc, char **cause, const char *w1, const char *w2)
{
	assert_int_equal(rc, -1);
	assert_non_null(*cause);
	if (w1 != NULL && strstr(*cause, w1) == NULL)
		fail_msg("cause \"%s\" does not name \"%s\"", *cause, w1);
	if (w2 != NULL && strstr(*cause, w2) == NULL)
		fail_msg("cause \"%s\" does not name \"%s\"", *cause, w2);
	free(*cause);
	*cause = NULL;
}

static void
veth_add(const char *a, const char *b)
{
	assert_int_equal(rtnl_link_veth_add(tsk, a, b, getpid()), 0);
}

/* 1 up, 0 down, -1 missing */
static int
link_up(const char *name)
{
	struct rtnl_link	*link;
	int			 up;

	if (rtnl_link_get_kernel(tsk, 0, name, &link) < 0)
		return -1;
	up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
	rtnl_link_put(link);
	return up;
}

/* How many times ip/len is on ifname. */
static int
addr_count(const char *ifname, const char *ip, int len)
{
	struct nl_cache		*cache;
	struct nl_object	*obj;
	struct rtnl_addr	*a;
	struct rtnl_link	*link;
	char			 buf[64], *slash;
	int			 ifindex, n = 0;

	assert_int_equal(rtnl_link_get_kernel(tsk, 0, ifname, &link), 0);
	ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	assert_int_equal(rtnl_addr_alloc_cache(tsk, &cache), 0);
	for (obj = nl_cache_get_first(cache); obj != NULL;
	    obj = nl_cache_get_next(obj)) {
		a = (struct rtnl_addr *)obj;
		if (rtnl_addr_get_ifindex(a) != ifindex ||
		    rtnl_addr_get_family(a) != AF_INET ||
		    rtnl_addr_get_prefixlen(a) != len)
			continue;
		nl_addr2str(rtnl_addr_get_local(a), buf, sizeof(buf));
		if ((slash = strchr(buf, '/')) != NULL)
			*slash = '\0';
		if (strcmp(buf, ip) == 0)
			n++;
	}
	nl_cache_free(cache);
	return n;
}

static int
group_setup(void **state)
{
	char	*cause = NULL;

	(void)state;
	if (!netns)
		return 0;
	if (ns_open(&cause) == -1) {
		fprintf(stderr, "ns_open: %s\n", cause);
		free(cause);
		return -1;
	}
	if ((tsk = nl_socket_alloc()) == NULL ||
	    nl_connect(tsk, NETLINK_ROUTE) < 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	ns_close();
	if (tsk != NULL)
		nl_socket_free(tsk);
	return 0;
}

static void
test_ifname_valid(void **state)
{
	const char *good[] = { "a", "br0", "eno1", "fwsweb1.0", "a-b_c.d",
	    "123456789012345", "...", "x..", "@x" };
	const char *bad[] = { "", ".", "..", "a/b", "a b", "a\tb", "a\nb",
	    "a:b", "1234567890123456", "\x7f", "\xc3\xa9" };
	char	*cause;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(*good); i++)
		if (ns_ifname_valid(good[i], NULL) != 0)
			fail_msg("%s refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cause = NULL;
		assert_int_equal(ns_ifname_valid(bad[i], &cause), -1);
		assert_non_null(cause);
		free(cause);
	}
	assert_int_equal(ns_ifname_valid(NULL, NULL), -1);
	cause = NULL;
	expect_cause(ns_ifname_valid("a/b", &cause), &cause, "a/b", "'/'");
}

static void
test_bridge_create(void **state)
{
	char	 kind[NS_KIND_MAX];
	char	*cause = NULL;

	(void)state;
	NEED_NETNS();
	assert_int_equal(ns_link_exists("tbr0"), 0);
	assert_int_equal(ns_bridge_create("tbr0", NULL, &cause), 0);
	assert_null(cause);
	assert_int_equal(ns_link_exists("tbr0"), 1);
	assert_int_equal(ns_link_kind("tbr0", kind, sizeof(kind)), 0);
	assert_string_equal(kind, "bridge");
	/* again: left alone, including its state */
	assert_int_equal(ns_link_set_up("tbr0", 1, &cause), 0);
	assert_int_equal(ns_bridge_create("tbr0", NULL, &cause), 0);
	assert_null(cause);
	assert_int_equal(link_up("tbr0"), 1);
	assert_int_equal(ns_link_delete("tbr0", &cause), 0);
	assert_int_equal(ns_link_exists("tbr0"), 0);

	expect_cause(ns_bridge_create("bad/name", NULL, &cause), &cause, "bad/name",
	    NULL);
	expect_cause(ns_bridge_create("", NULL, &cause), &cause, "empty", NULL);
}

static void
test_bridge_conflict(void **state)
{
	char	 kind[NS_KIND_MAX];
	char	*cause = NULL;

	(void)state;
	NEED_NETNS();
	veth_add("tconf0", "tconf1");
	assert_int_equal(ns_link_kind("tconf0", kind, sizeof(kind)), 0);
	assert_string_equal(kind, "veth");
	expect_cause(ns_bridge_create("tconf0", NULL, &cause), &cause, "tconf0",
	    "veth");
	/* lo has no kind at all */
	assert_int_equal(ns_link_kind("lo", kind, sizeof(kind)), 0);
	assert_string_equal(kind, "");
	expect_cause(ns_bridge_create("lo", NULL, &cause), &cause, "lo",
	    "not a bridge");
	/* deleting one end of a veth takes both */
	assert_int_equal(ns_link_delete("tconf0", &cause), 0);
	assert_int_equal(ns_link_exists("tconf0"), 0);
	assert_int_equal(ns_link_exists("tconf1"), 0);
	assert_int_equal(ns_link_kind("tconf0", kind, sizeof(kind)), -1);
}

static void
test_up_down(void **state)
{
	char	*cause = NULL;

	(void)state;
	NEED_NETNS();
	assert_int_equal(ns_bridge_create("tbr1", NULL, &cause), 0);
	assert_int_equal(link_up("tbr1"), 0);
	assert_int_equal(ns_link_set_up("tbr1", 1, &cause), 0);
	assert_int_equal(link_up("tbr1"), 1);
	assert_int_equal(ns_link_set_up("tbr1", 1, &cause), 0);
	assert_int_equal(link_up("tbr1"), 1);
	assert_int_equal(ns_link_set_up("tbr1", 0, &cause), 0);
	assert_int_equal(link_up("tbr1"), 0);
	assert_null(cause);
	assert_int_equal(ns_link_delete("tbr1", &cause), 0);

	expect_cause(ns_link_set_up("tnone", 1, &cause), &cause, "tnone",
	    "no such link");
}

/* ns_addr_add() with the address as text, for the tests' sake. */
static int
addr_add(const char *ifname, const char *ip, int len, char **cause)
{
	struct in_addr	 in;

	assert_int_equal(inet_pton(AF_INET, ip, &in), 1);
	return ns_addr_add(ifname, &in, len, cause);
}

static void
test_addr(void **state)
{
	const int bad[] = { 0, 33, -1, 64, 1000 };
	char	*cause = NULL;
	size_t	 i;

	(void)state;
	NEED_NETNS();
	assert_int_equal(ns_bridge_create("tbr2", NULL, &cause), 0);
	assert_int_equal(addr_add("tbr2", "10.99.0.1", 24, &cause), 0);
	assert_null(cause);
	assert_int_equal(addr_count("tbr2", "10.99.0.1", 24), 1);
	/* again: already there is fine, and it is there once */
	assert_int_equal(addr_add("tbr2", "10.99.0.1", 24, &cause), 0);
	assert_null(cause);
	assert_int_equal(addr_count("tbr2", "10.99.0.1", 24), 1);
	/* a second address, and a host route */
	assert_int_equal(addr_add("tbr2", "192.168.77.1", 16, &cause), 0);
	assert_int_equal(addr_add("tbr2", "172.31.0.9", 32, &cause), 0);
	assert_int_equal(addr_add("tbr2", "10.97.0.1", 1, &cause), 0);
	assert_int_equal(addr_count("tbr2", "192.168.77.1", 16), 1);
	assert_int_equal(addr_count("tbr2", "172.31.0.9", 32), 1);
	assert_int_equal(addr_count("tbr2", "10.97.0.1", 1), 1);

	/* prefix lengths the kernel would take as none, or refuse */
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		expect_cause(addr_add("tbr2", "10.96.0.1", bad[i], &cause),
		    &cause, "tbr2", "1 to 32");
	expect_cause(addr_add("tnone", "10.98.0.1", 24, &cause), &cause,
	    "tnone", "10.98.0.1/24");
	expect_cause(addr_add("x/y", "10.98.0.1", 24, &cause), &cause, "x/y",
	    NULL);
	assert_int_equal(ns_link_delete("tbr2", &cause), 0);
}

static void
test_tap(void **state)
{
	struct ifreq	 ifr;
	char		 kind[NS_KIND_MAX], master[NS_IFNAME_MAX + 1];
	char		*cause = NULL;
	int		 fd, fd2;

	(void)state;
	NEED_NETNS();
	assert_int_equal(ns_bridge_create("tbr3", NULL, &cause), 0);
	assert_int_equal(ns_link_set_up("tbr3", 1, &cause), 0);

	assert_int_equal(ns_tap_open("fwsvm1.0", &fd, &cause), 0);
	assert_null(cause);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(ns_link_exists("fwsvm1.0"), 1);
	assert_int_equal(ns_link_kind("fwsvm1.0", kind, sizeof(kind)), 0);
	assert_string_equal(kind, "tun");
	memset(&ifr, 0, sizeof(ifr));
	assert_int_equal(ioctl(fd, TUNGETIFF, &ifr), 0);
	assert_string_equal(ifr.ifr_name, "fwsvm1.0");
	assert_int_equal(ifr.ifr_flags & (IFF_TAP | IFF_TUN | IFF_NO_PI |
	    IFF_VNET_HDR | IFF_PERSIST), IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);

	/* held: a second open fails and says so */
	expect_cause(ns_tap_open("fwsvm1.0", &fd2, &cause), &cause,
	    "fwsvm1.0", "busy");
	assert_int_equal(fd2, -1);

	/* into the bridge, up, and out again */
	assert_int_equal(ns_link_master("fwsvm1.0", master, sizeof(master)),
	    0);
	assert_string_equal(master, "");
	assert_int_equal(ns_link_set_master("fwsvm1.0", "tbr3", &cause), 0);
	assert_int_equal(ns_link_set_master("fwsvm1.0", "tbr3", &cause), 0);
	assert_int_equal(ns_link_set_up("fwsvm1.0", 1, &cause), 0);
	assert_null(cause);
	assert_int_equal(ns_link_master("fwsvm1.0", master, sizeof(master)),
	    0);
	assert_string_equal(master, "tbr3");
	assert_int_equal(link_up("fwsvm1.0"), 1);
	assert_int_equal(ns_link_master("fwsvm1.0", master, 4), -1);
	assert_int_equal(ns_link_set_master("fwsvm1.0", NULL, &cause), 0);
	assert_int_equal(ns_link_master("fwsvm1.0", master, sizeof(master)),
	    0);
	assert_string_equal(master, "");
	assert_int_equal(ns_link_set_master("fwsvm1.0", NULL, &cause), 0);
	assert_null(cause);

	/* the last descriptor closes: the tap is gone */
	assert_int_equal(ns_link_set_master("fwsvm1.0", "tbr3", &cause), 0);
	close(fd);
	assert_int_equal(ns_link_exists("fwsvm1.0"), 0);
	assert_int_equal(ns_link_master("fwsvm1.0", master, sizeof(master)),
	    -1);

	/* a bridge is not a tap */
	expect_cause(ns_tap_open("tbr3", &fd, &cause), &cause, "tbr3",
	    "bridge");
	assert_int_equal(fd, -1);
	expect_cause(ns_tap_open("x/y", &fd, &cause), &cause, "x/y", NULL);
	assert_int_equal(ns_link_delete("tbr3", &cause), 0);
}

/* A persistent tap left by someone else is taken over, and goes with us. */
static void
test_tap_leftover(void **state)
{
	struct ifreq	 ifr;
	char		*cause = NULL;
	int		 fd;

	(void)state;
	NEED_NETNS();
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "fwsold.0");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
	assert_int_equal(ioctl(fd, TUNSETPERSIST, 1), 0);
	close(fd);
	assert_int_equal(ns_link_exists("fwsold.0"), 1);

	assert_int_equal(ns_tap_open("fwsold.0", &fd, &cause), 0);
	assert_null(cause);
	memset(&ifr, 0, sizeof(ifr));
	assert_int_equal(ioctl(fd, TUNGETIFF, &ifr), 0);
	assert_int_equal(ifr.ifr_flags & (IFF_VNET_HDR | IFF_PERSIST),
	    IFF_VNET_HDR);
	close(fd);
	assert_int_equal(ns_link_exists("fwsold.0"), 0);
}

/* A host NIC's place: one end of a veth pair as the bridge's uplink. */
static void
test_uplink(void **state)
{
	char	 master[NS_IFNAME_MAX + 1];
	char	*cause = NULL;

	(void)state;
	NEED_NETNS();
	assert_int_equal(ns_bridge_create("tbr4", NULL, &cause), 0);
	veth_add("tup0", "tup1");
	assert_int_equal(ns_link_set_master("tup0", "tbr4", &cause), 0);
	assert_int_equal(ns_link_set_up("tup0", 1, &cause), 0);
	assert_int_equal(ns_link_set_up("tup1", 1, &cause), 0);
	assert_int_equal(ns_link_set_up("tbr4", 1, &cause), 0);
	assert_null(cause);
	assert_int_equal(ns_link_master("tup0", master, sizeof(master)), 0);
	assert_string_equal(master, "tbr4");
	assert_int_equal(ns_link_master("tup1", master, sizeof(master)), 0);
	assert_string_equal(master, "");
	assert_int_equal(link_up("tup0"), 1);

	/* not into a veth, nor into a missing bridge */
	expect_cause(ns_link_set_master("tup1", "tup0", &cause), &cause,
	    "tup1", "veth link, not a bridge");
	expect_cause(ns_link_set_master("tup1", "tnone", &cause), &cause,
	    "tup1", "no link tnone");
	expect_cause(ns_link_set_master("tnone", "tbr4", &cause), &cause,
	    "tnone", "no such link");
	/* the kernel's own words (extended ack), not libnl's "failure" */
	expect_cause(ns_link_set_master("tbr4", "tbr4", &cause), &cause,
	    "link tbr4: cannot join bridge tbr4: ", "enslave");

	/* released, the uplink stays (and stays up) */
	assert_int_equal(ns_link_set_master("tup0", NULL, &cause), 0);
	assert_int_equal(ns_link_master("tup0", master, sizeof(master)), 0);
	assert_string_equal(master, "");
	assert_int_equal(link_up("tup0"), 1);

	/* deleting the bridge releases its ports */
	assert_int_equal(ns_link_set_master("tup0", "tbr4", &cause), 0);
	assert_int_equal(ns_link_delete("tbr4", &cause), 0);
	assert_int_equal(ns_link_exists("tup0"), 1);
	assert_int_equal(ns_link_master("tup0", master, sizeof(master)), 0);
	assert_string_equal(master, "");
	assert_int_equal(ns_link_delete("tup1", &cause), 0);
	assert_null(cause);
}

static void
test_delete(void **state)
{
	char	*cause = NULL;

	(void)state;
	NEED_NETNS();
	assert_int_equal(ns_bridge_create("tbr5", NULL, &cause), 0);
	assert_int_equal(ns_link_delete("tbr5", &cause), 0);
	assert_int_equal(ns_link_exists("tbr5"), 0);
	assert_int_equal(ns_link_delete("tbr5", &cause), 0);
	assert_int_equal(ns_link_delete("tnever", &cause), 0);
	assert_null(cause);
	expect_cause(ns_link_delete("..", &cause), &cause, "..", NULL);
	assert_int_equal(ns_link_exists("a/b"), 0);
}

/* Without CAP_NET_ADMIN: the kernel's errno, in words, naming the link. */
static void
test_no_permission(void **state)
{
	struct __user_cap_header_struct	 hdr;
	struct __user_cap_data_struct	 data[2];
	char				 buf[256], *cause = NULL;
	ssize_t				 n;
	pid_t				 pid;
	int				 p[2], status;

	(void)state;
	NEED_NETNS();
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		memset(&hdr, 0, sizeof(hdr));
		memset(data, 0, sizeof(data));
		hdr.version = _LINUX_CAPABILITY_VERSION_3;
		/* a socket of its own: the parent's stays in step */
		ns_close();
		if (syscall(SYS_capset, &hdr, data) == -1)
			cause = strdup("capset failed");
		else if (ns_open(&cause) == -1)
			;
		else if (ns_bridge_create("tbr8", NULL, &cause) == 0)
			cause = strdup("created");
		(void)!write(p[1], cause, strlen(cause));
		_exit(0);
	}
	assert_true(pid > 0);
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "bridge tbr8: Operation not permitted");
	assert_int_equal(ns_link_exists("tbr8"), 0);
}

struct seen {
	int	 s_lo, s_br, s_port;
};

static void
list_fn(const char *name, const char *kind, const char *master, int up,
    void *arg)
{
	struct seen	*s = arg;

	assert_non_null(kind);
	assert_non_null(master);
	if (strcmp(name, "lo") == 0 && *kind == '\0' && *master == '\0')
		s->s_lo++;
	if (strcmp(name, "tbr6") == 0 && strcmp(kind, "bridge") == 0 && up)
		s->s_br++;
	if (strcmp(name, "tl0") == 0 && strcmp(kind, "veth") == 0 &&
	    strcmp(master, "tbr6") == 0 && !up)
		s->s_port++;
}

static void
test_list(void **state)
{
	struct seen	 s;
	char		*cause = NULL;

	(void)state;
	NEED_NETNS();
	assert_int_equal(ns_bridge_create("tbr6", NULL, &cause), 0);
	assert_int_equal(ns_link_set_up("tbr6", 1, &cause), 0);
	veth_add("tl0", "tl1");
	assert_int_equal(ns_link_set_master("tl0", "tbr6", &cause), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ns_link_list(list_fn, &s, &cause), 0);
	assert_null(cause);
	assert_int_equal(s.s_lo, 1);
	assert_int_equal(s.s_br, 1);
	assert_int_equal(s.s_port, 1);
	assert_int_equal(ns_link_delete("tl0", &cause), 0);
	assert_int_equal(ns_link_delete("tbr6", &cause), 0);
}

/* The kind of ifname's root qdisc (parent) into buf, "" for none. */
static void
qdisc_kind(const char *ifname, uint32_t parent, char *buf, size_t len)
{
	struct nl_cache		*cache;
	struct rtnl_qdisc	*q;
	struct rtnl_link	*link;
	int			 idx;

	assert_int_equal(rtnl_link_get_kernel(tsk, 0, ifname, &link), 0);
	idx = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	assert_int_equal(rtnl_qdisc_alloc_cache(tsk, &cache), 0);
	q = rtnl_qdisc_get_by_parent(cache, idx, parent);
	snprintf(buf, len, "%s", q != NULL && rtnl_tc_get_kind(TC_CAST(q)) ?
	    rtnl_tc_get_kind(TC_CAST(q)) : "");
	if (q != NULL)
		rtnl_qdisc_put(q);
	nl_cache_free(cache);
}

/*
 * A rate both ways: a tbf on the link, its ingress redirected to an IFB
 * with a tbf; changed, repaired when in part, taken away with the IFB.
 */
static void
test_shape(void **state)
{
	char		*cause = NULL, kind[NS_KIND_MAX];
	uint64_t	 rate;
	int		 fd;

	(void)state;
	NEED_NETNS();
	veth_add("tsh0", "tsh1");
	assert_int_equal(ns_shape_rate("tsh0", "tshi0", &rate), 0);
	assert_int_equal(rate, 0);
	assert_int_equal(ns_shape_set("tsh0", "tshi0", 10000000, &cause), 0);
	assert_null(cause);
	qdisc_kind("tsh0", TC_H_ROOT, kind, sizeof(kind));
	assert_string_equal(kind, "tbf");
	qdisc_kind("tsh0", TC_H_INGRESS, kind, sizeof(kind));
	assert_string_equal(kind, "ingress");
	qdisc_kind("tshi0", TC_H_ROOT, kind, sizeof(kind));
	assert_string_equal(kind, "tbf");
	assert_int_equal(ns_link_kind("tshi0", kind, sizeof(kind)), 0);
	assert_string_equal(kind, "ifb");
	assert_int_equal(link_up("tshi0"), 1);
	assert_int_equal(ns_shape_rate("tsh0", "tshi0", &rate), 1);
	assert_int_equal(rate, 10000000);

	/* again: the rate changes, nothing is added twice */
	assert_int_equal(ns_shape_set("tsh0", "tshi0", 64000, &cause), 0);
	assert_int_equal(ns_shape_rate("tsh0", "tshi0", &rate), 1);
	assert_int_equal(rate, 64000);
	assert_int_equal(ns_shape_set("tsh0", "tshi0", 10000000000ULL,
	    &cause), 0);
	assert_int_equal(ns_shape_rate("tsh0", "tshi0", &rate), 1);
	assert_int_equal(rate, 10000000000ULL);

	/* the IFB gone behind our back: in part, then whole again */
	assert_int_equal(ns_link_delete("tshi0", &cause), 0);
	assert_int_equal(ns_shape_rate("tsh0", "tshi0", &rate), -1);
	assert_int_equal(ns_shape_set("tsh0", "tshi0", 1000000, &cause), 0);
	assert_int_equal(ns_shape_rate("tsh0", "tshi0", &rate), 1);
	assert_int_equal(rate, 1000000);

	/* taken away: the link's own qdiscs back, no IFB */
	assert_int_equal(ns_shape_clear("tsh0", "tshi0", &cause), 0);
	assert_null(cause);
	qdisc_kind("tsh0", TC_H_ROOT, kind, sizeof(kind));
	assert_string_not_equal(kind, "tbf");
	qdisc_kind("tsh0", TC_H_INGRESS, kind, sizeof(kind));
	assert_string_equal(kind, "");
	assert_int_equal(ns_link_exists("tshi0"), 0);
	assert_int_equal(ns_shape_rate("tsh0", "tshi0", &rate), 0);
	assert_int_equal(ns_shape_clear("tsh0", "tshi0", &cause), 0);
	/* rate 0 is the same */
	assert_int_equal(ns_shape_set("tsh0", "tshi0", 2000000, &cause), 0);
	assert_int_equal(ns_shape_set("tsh0", "tshi0", 0, &cause), 0);
	assert_int_equal(ns_link_exists("tshi0"), 0);

	/* a tap: its qdiscs go with it, the IFB is ns_shape_clear's */
	assert_int_equal(ns_tap_open("fwsshape.0", &fd, &cause), 0);
	assert_int_equal(ns_shape_set("fwsshape.0", "fwishape.0", 512000,
	    &cause), 0);
	assert_int_equal(ns_shape_rate("fwsshape.0", "fwishape.0", &rate), 1);
	close(fd);
	assert_int_equal(ns_link_exists("fwsshape.0"), 0);
	assert_int_equal(ns_link_exists("fwishape.0"), 1);
	assert_int_equal(ns_shape_clear("fwsshape.0", "fwishape.0", &cause),
	    0);
	assert_int_equal(ns_link_exists("fwishape.0"), 0);

	/* refused: no link, a name taken by another kind, out of range */
	expect_cause(ns_shape_set("tshnone", "tshi0", 1000000, &cause), &cause,
	    "tshnone", "no such link");
	assert_int_equal(ns_link_exists("tshi0"), 0);
	expect_cause(ns_shape_set("tsh0", "tsh1", 1000000, &cause), &cause,
	    "tsh1", "veth");
	assert_int_equal(ns_link_kind("tsh1", kind, sizeof(kind)), 0);
	assert_string_equal(kind, "veth");
	expect_cause(ns_shape_set("tsh0", "tshi0", NS_SHAPE_RATE_MAX + 8,
	    &cause), &cause, "tsh0", "cannot be set");
	expect_cause(ns_shape_set("tsh0", "bad/name", 1000000, &cause), &cause,
	    "bad/name", NULL);
	assert_int_equal(ns_shape_clear("tsh0", "tshi0", &cause), 0);
	assert_int_equal(ns_link_delete("tsh0", &cause), 0);
}

/* Without ns_open(), every call fails and says why. */
static void
test_closed(void **state)
{
	char	*cause = NULL;
	int	 fd;

	(void)state;
	NEED_NETNS();
	ns_close();
	ns_close();
	assert_int_equal(ns_link_exists("lo"), -1);
	expect_cause(ns_bridge_create("tbr7", NULL, &cause), &cause, "tbr7",
	    "not open");
	expect_cause(ns_link_set_up("lo", 1, &cause), &cause, "lo",
	    "not open");
	expect_cause(ns_link_delete("lo", &cause), &cause, "lo", "not open");
	expect_cause(addr_add("lo", "10.0.0.1", 8, &cause), &cause, "lo",
	    "not open");
	expect_cause(ns_link_list(list_fn, NULL, &cause), &cause, "not open",
	    NULL);
	expect_cause(ns_shape_set("lo", "fwiclosed.0", 1000000, &cause),
	    &cause, "lo", "not open");
	/* no kind check possible, the open itself still works */
	assert_int_equal(ns_tap_open("fwsclosed.0", &fd, &cause), 0);
	close(fd);
	assert_int_equal(ns_link_set_up("lo", 1, NULL), -1);
	assert_int_equal(ns_open(&cause), 0);
	assert_int_equal(ns_open(&cause), 0);
	assert_int_equal(ns_link_exists("lo"), 1);
	assert_int_equal(ns_link_exists("fwsclosed.0"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ifname_valid),
		cmocka_unit_test(test_bridge_create),
		cmocka_unit_test(test_bridge_conflict),
		cmocka_unit_test(test_up_down),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_tap),
		cmocka_unit_test(test_tap_leftover),
		cmocka_unit_test(test_uplink),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_no_permission),
		cmocka_unit_test(test_closed),
	};

	/* before anything touches netlink: never the host's namespace */
	if (unshare(CLONE_NEWNET) == 0)
		netns = 1;
	else
		fprintf(stderr, "test_netsetup: cannot unshare a private "
		    "network namespace (%s): skipping the netlink tests\n",
		    strerror(errno));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
