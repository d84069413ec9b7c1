/*
 * link.c: links by name, whatever their kind: whether one exists and
 * what it is, deleting it, setting it up or down, enslaving it into a
 * bridge and releasing it, listing them all, and which names Linux
 * takes.  Making bridges and taps is bridge.c's and tap.c's.
 */
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>

#include "netsetup.h"

int
ns_ifname_valid(const char *name, char **cause)
{
	const char	*p;
	size_t		 len;

	if (name == NULL || *name == '\0')
		return ns_fail(cause, "an interface name cannot be empty");
	len = strlen(name);
	if (len > NS_IFNAME_MAX)
		return ns_fail(cause, "interface name %.*s...: longer than "
		    "%d characters", NS_IFNAME_MAX, name, NS_IFNAME_MAX);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return ns_fail(cause, "interface name %s: not allowed",
		    name);
	for (p = name; *p != '\0'; p++) {
		/* not isprint(): the locale must not widen it */
		if (*p <= ' ' || *p >= 0x7f)
			return ns_fail(cause, "interface name %s: spaces, "
			    "control and non-ASCII characters are not allowed",
			    name);
		if (*p == '/' || *p == ':')
			return ns_fail(cause, "interface name %s: '%c' is "
			    "not allowed", name, *p);
	}
	return 0;
}

int
ns_link_exists(const char *name)
{
	struct rtnl_link	*link;
	int			 err;

	if (ns_ifname_valid(name, NULL) == -1)
		return 0;
	if ((err = ns_nl_link_get(name, 0, &link)) == 0) {
		rtnl_link_put(link);
		return 1;
	}
	return ns_nl_missing(err) ? 0 : -1;
}

int
ns_link_kind(const char *name, char *buf, size_t len)
{
	struct rtnl_link	*link;
	const char		*kind;
	int			 n;

	if (ns_ifname_valid(name, NULL) == -1 ||
	    ns_nl_link_get(name, 0, &link) != 0)
		return -1;
	kind = rtnl_link_get_type(link);
	n = snprintf(buf, len, "%s", kind != NULL ? kind : "");
	rtnl_link_put(link);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
ns_link_delete(const char *name, char **cause)
{
	struct nl_sock		*sk;
	struct rtnl_link	*link;
	int			 err;

	if (ns_ifname_valid(name, cause) == -1)
		return -1;
	if ((sk = ns_nl_sock("link", name, cause)) == NULL)
		return -1;
	if ((err = ns_nl_link_get(name, 0, &link)) != 0) {
		if (ns_nl_missing(err))
			return 0;
		return ns_nl_fail(cause, err, "link %s", name);
	}
	err = rtnl_link_delete(sk, link);
	rtnl_link_put(link);
	/* gone meanwhile (a tap whose last descriptor closed): fine */
	if (err < 0 && !ns_nl_missing(err))
		return ns_nl_fail(cause, err, "link %s: cannot delete", name);
	return 0;
}

/*
 * Apply the changes to the link named name: "link name: what: reason"
 * on failure.  Puts changes.
 */
static int
ns_link_change(const char *name, struct rtnl_link *changes, const char *what,
    char **cause)
{
	struct nl_sock		*sk;
	struct rtnl_link	*link;
	int			 err;

	if ((sk = ns_nl_sock("link", name, cause)) == NULL) {
		rtnl_link_put(changes);
		return -1;
	}
	if ((err = ns_nl_link_get(name, 0, &link)) != 0) {
		rtnl_link_put(changes);
		return ns_nl_fail(cause, err, "link %s", name);
	}
	err = rtnl_link_change(sk, link, changes, 0);
	rtnl_link_put(link);
	rtnl_link_put(changes);
	if (err < 0)
		return ns_nl_fail(cause, err, "link %s: %s", name, what);
	return 0;
}

int
ns_link_set_up(const char *name, int up, char **cause)
{
	struct rtnl_link	*changes;

	if (ns_ifname_valid(name, cause) == -1)
		return -1;
	if ((changes = rtnl_link_alloc()) == NULL)
		return ns_fail(cause, "link %s: out of memory", name);
	if (up)
		rtnl_link_set_flags(changes, IFF_UP);
	else
		rtnl_link_unset_flags(changes, IFF_UP);
	return ns_link_change(name, changes, up ? "cannot set it up" :
	    "cannot set it down", cause);
}

int
ns_link_set_master(const char *ifname, const char *bridge, char **cause)
{
	struct rtnl_link	*link, *br, *changes;
	const char		*kind;
	char			 cur[NS_IFNAME_MAX + 1];
	char			 what[sizeof("cannot join bridge ") +
				    NS_IFNAME_MAX];
	int			 err, master;

	if (ns_ifname_valid(ifname, cause) == -1 ||
	    (bridge != NULL && ns_ifname_valid(bridge, cause) == -1))
		return -1;
	if (ns_nl_sock("link", ifname, cause) == NULL)
		return -1;
	if ((err = ns_nl_link_get(ifname, 0, &link)) != 0)
		return ns_nl_fail(cause, err, "link %s", ifname);
	master = rtnl_link_get_master(link);
	rtnl_link_put(link);

	if (bridge == NULL) {
		if (master == 0)
			return 0;
		if (ns_link_master(ifname, cur, sizeof(cur)) == -1)
			snprintf(cur, sizeof(cur), "%d", master);
		snprintf(what, sizeof(what), "cannot leave %s", cur);
	} else {
		if ((err = ns_nl_link_get(bridge, 0, &br)) != 0) {
			if (ns_nl_missing(err))
				return ns_fail(cause, "link %s: cannot join "
				    "bridge %s: there is no link %s", ifname,
				    bridge, bridge);
			return ns_nl_fail(cause, err, "link %s: cannot join "
			    "bridge %s", ifname, bridge);
		}
		kind = rtnl_link_get_type(br);
		if (kind == NULL || strcmp(kind, "bridge") != 0) {
			if (kind != NULL)
				ns_fail(cause, "link %s: cannot join %s: it "
				    "is a %s link, not a bridge", ifname,
				    bridge, kind);
			else
				ns_fail(cause, "link %s: cannot join %s: it "
				    "is not a bridge", ifname, bridge);
			rtnl_link_put(br);
			return -1;
		}
		if (master == rtnl_link_get_ifindex(br)) {
			rtnl_link_put(br);
			return 0;
		}
		master = rtnl_link_get_ifindex(br);
		rtnl_link_put(br);
		snprintf(what, sizeof(what), "cannot join bridge %s", bridge);
	}

	if ((changes = rtnl_link_alloc()) == NULL)
		return ns_fail(cause, "link %s: out of memory", ifname);
	/* index 0 is "no master" to the kernel */
	rtnl_link_set_master(changes, bridge == NULL ? 0 : master);
	return ns_link_change(ifname, changes, what, cause);
}

int
ns_link_master(const char *ifname, char *buf, size_t len)
{
	struct rtnl_link	*link, *master;
	int			 idx, n;

	if (len == 0 || ns_ifname_valid(ifname, NULL) == -1 ||
	    ns_nl_link_get(ifname, 0, &link) != 0)
		return -1;
	idx = rtnl_link_get_master(link);
	rtnl_link_put(link);
	if (idx == 0) {
		*buf = '\0';
		return 0;
	}
	if (ns_nl_link_get(NULL, idx, &master) != 0)
		return -1;
	n = snprintf(buf, len, "%s", rtnl_link_get_name(master));
	rtnl_link_put(master);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
ns_link_stats(const char *ifname, struct ns_link_stats *ls)
{
	struct rtnl_link	*link;

	memset(ls, 0, sizeof(*ls));
	if (ns_ifname_valid(ifname, NULL) == -1 ||
	    ns_nl_link_get(ifname, 0, &link) != 0)
		return -1;
	ls->ls_rx_bytes = rtnl_link_get_stat(link, RTNL_LINK_RX_BYTES);
	ls->ls_tx_bytes = rtnl_link_get_stat(link, RTNL_LINK_TX_BYTES);
	ls->ls_rx_packets = rtnl_link_get_stat(link, RTNL_LINK_RX_PACKETS);
	ls->ls_tx_packets = rtnl_link_get_stat(link, RTNL_LINK_TX_PACKETS);
	rtnl_link_put(link);
	return 0;
}

int
ns_link_list(ns_link_fn fn, void *arg, char **cause)
{
	struct nl_sock		*sk;
	struct nl_cache		*cache;
	struct nl_object	*obj;
	struct rtnl_link	*link;
	const char		*kind;
	char			 master[NS_IFNAME_MAX + 1];
	int			 err, idx;

	if ((sk = ns_nl_sock("listing links", NULL, cause)) == NULL)
		return -1;
	if ((err = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache)) < 0)
		return ns_nl_fail(cause, err, "cannot list links");
	for (obj = nl_cache_get_first(cache); obj != NULL;
	    obj = nl_cache_get_next(obj)) {
		link = (struct rtnl_link *)obj;
		kind = rtnl_link_get_type(link);
		master[0] = '\0';
		if ((idx = rtnl_link_get_master(link)) != 0 &&
		    rtnl_link_i2name(cache, idx, master, sizeof(master)) ==
		    NULL)
			master[0] = '\0';
		fn(rtnl_link_get_name(link), kind != NULL ? kind : "", master,
		    (rtnl_link_get_flags(link) & IFF_UP) != 0, arg);
	}
	nl_cache_free(cache);
	return 0;
}
