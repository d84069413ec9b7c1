/*
 * bridge.c: making bridges, idempotently: a bridge already there is
 * left alone (with its ports, addresses and state), anything else by
 * that name is refused.  Addresses, ports and up/down are addr.c's and
 * link.c's; deleting is link.c's.
 */
#include <sys/socket.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "netsetup.h"

/* 1: a bridge, 0: missing, -1: something else or an error (cause set). */
static int
ns_bridge_check(const char *name, char **cause)
{
	struct rtnl_link	*link;
	const char		*kind;
	int			 err, rc;

	if ((err = ns_nl_link_get(name, 0, &link)) != 0) {
		if (ns_nl_missing(err))
			return 0;
		return ns_nl_fail(cause, err, "bridge %s", name);
	}
	kind = rtnl_link_get_type(link);
	if (kind != NULL && strcmp(kind, "bridge") == 0)
		rc = 1;
	else if (kind != NULL)
		rc = ns_fail(cause, "bridge %s: a %s link of that name "
		    "exists", name, kind);
	else
		rc = ns_fail(cause, "bridge %s: a link of that name exists "
		    "and is not a bridge", name);
	rtnl_link_put(link);
	return rc;
}

int
ns_bridge_create(const char *name, const char *mac, char **cause)
{
	struct nl_sock		*sk;
	struct rtnl_link	*link;
	struct nl_addr		*addr = NULL;
	int			 err, rc;

	if (ns_ifname_valid(name, cause) == -1)
		return -1;
	if ((sk = ns_nl_sock("bridge", name, cause)) == NULL)
		return -1;
	if ((rc = ns_bridge_check(name, cause)) != 0)
		return rc == 1 ? 0 : -1;

	if ((link = rtnl_link_alloc()) == NULL)
		return ns_fail(cause, "bridge %s: out of memory", name);
	rtnl_link_set_name(link, name);
	if ((err = rtnl_link_set_type(link, "bridge")) < 0) {
		rtnl_link_put(link);
		return ns_nl_fail(cause, err, "bridge %s", name);
	}
	if (mac != NULL) {
		if ((err = nl_addr_parse(mac, AF_LLC, &addr)) < 0) {
			rtnl_link_put(link);
			return ns_fail(cause, "bridge %s: bad MAC address "
			    "%s", name, mac);
		}
		rtnl_link_set_addr(link, addr);
		nl_addr_put(addr);
	}
	err = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(link);
	/* made by someone else between the check and now: look again */
	if (err == -NLE_EXIST)
		return ns_bridge_check(name, cause) == 1 ? 0 : -1;
	if (err < 0)
		return ns_nl_fail(cause, err, "bridge %s", name);
	return 0;
}
