/*
 * addr.c: IPv4 addresses on links, given already parsed (an address and
 * a prefix length).  Adding the same address again is success, so a
 * network can be brought up over a bridge that kept its address.  Which
 * address a link should have, and reading it from what people type, are
 * the caller's business.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <netlink/netlink.h>
#include <netlink/addr.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "netsetup.h"

int
ns_addr_add(const char *ifname, const struct in_addr *in, int len,
    char **cause)
{
	struct nl_sock		*sk;
	struct rtnl_link	*link;
	struct rtnl_addr	*addr = NULL;
	struct nl_addr		*local = NULL, *brd = NULL;
	struct in_addr		 bin;
	char			 ip[INET_ADDRSTRLEN];
	int			 err, ifindex;

	if (ns_ifname_valid(ifname, cause) == -1)
		return -1;
	/* for the sentences: an IPv4 address always fits */
	inet_ntop(AF_INET, in, ip, sizeof(ip));
	/* libnl takes a zero prefix length for none */
	if (len < 1 || len > 32)
		return ns_fail(cause, "address %s/%d on %s: the prefix length "
		    "must be 1 to 32", ip, len, ifname);
	if ((sk = ns_nl_sock("link", ifname, cause)) == NULL)
		return -1;
	if ((err = ns_nl_link_get(ifname, 0, &link)) != 0)
		return ns_nl_fail(cause, err, "address %s/%d on %s", ip, len,
		    ifname);
	ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);

	/* the broadcast, as "ip addr add ... brd +" (none for /31, /32) */
	bin.s_addr = in->s_addr;
	if (len < 31)
		bin.s_addr |= htonl(0xffffffffU >> len);
	if ((addr = rtnl_addr_alloc()) == NULL ||
	    (local = nl_addr_build(AF_INET, in, sizeof(*in))) == NULL ||
	    (len < 31 &&
	    (brd = nl_addr_build(AF_INET, &bin, sizeof(bin))) == NULL)) {
		err = -NLE_NOMEM;
		goto fail;
	}
	rtnl_addr_set_ifindex(addr, ifindex);
	rtnl_addr_set_family(addr, AF_INET);
	if ((err = rtnl_addr_set_local(addr, local)) < 0 ||
	    (brd != NULL && (err = rtnl_addr_set_broadcast(addr, brd)) < 0))
		goto fail;
	rtnl_addr_set_prefixlen(addr, len);
	err = rtnl_addr_add(sk, addr, 0);
	if (err == -NLE_EXIST)
		err = 0;
fail:
	if (brd != NULL)
		nl_addr_put(brd);
	if (local != NULL)
		nl_addr_put(local);
	if (addr != NULL)
		rtnl_addr_put(addr);
	if (err < 0)
		return ns_nl_fail(cause, err, "address %s/%d on %s", ip, len,
		    ifname);
	return 0;
}
