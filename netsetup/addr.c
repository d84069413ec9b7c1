/*
 * addr.c: IPv4 addresses on links, given as "a.b.c.d/len".  Adding the
 * same address again is success, so a network can be brought up over
 * a bridge that kept its address.  Which address a link should have is
 * the caller's business.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/addr.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "netsetup.h"

/*
 * "a.b.c.d/len", strictly: no spaces, a length of 1 to 32 without
 * leading zeros.
 */
static int
ns_addr_parse(const char *ifname, const char *cidr, struct in_addr *in,
    int *lenp, char **cause)
{
	char		 ip[INET_ADDRSTRLEN];
	const char	*slash, *p;
	size_t		 n;
	int		 len;

	if (cidr == NULL || (slash = strchr(cidr, '/')) == NULL)
		return ns_fail(cause, "address %s on %s: not an IPv4 "
		    "address/prefix length (like 10.0.0.1/24)", cidr != NULL ?
		    cidr : "(none)", ifname);
	n = slash - cidr;
	if (n == 0 || n >= sizeof(ip))
		goto bad;
	memcpy(ip, cidr, n);
	ip[n] = '\0';
	if (inet_pton(AF_INET, ip, in) != 1)
		goto bad;
	p = slash + 1;
	if (*p == '\0' || strlen(p) > 2 || (p[0] == '0' && p[1] != '\0'))
		goto bad;
	for (len = 0; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		len = len * 10 + (*p - '0');
	}
	/* libnl takes a zero prefix length for none */
	if (len < 1 || len > 32)
		goto bad;
	*lenp = len;
	return 0;
bad:
	return ns_fail(cause, "address %s on %s: not an IPv4 "
	    "address/prefix length (like 10.0.0.1/24)", cidr, ifname);
}

int
ns_addr_add(const char *ifname, const char *cidr, char **cause)
{
	struct nl_sock		*sk;
	struct rtnl_link	*link;
	struct rtnl_addr	*addr = NULL;
	struct nl_addr		*local = NULL, *brd = NULL;
	struct in_addr		 in, bin;
	int			 err, len = 0, ifindex;

	if (ns_ifname_valid(ifname, cause) == -1 ||
	    ns_addr_parse(ifname, cidr, &in, &len, cause) == -1)
		return -1;
	if ((sk = ns_nl_sock("link", ifname, cause)) == NULL)
		return -1;
	if ((err = ns_nl_link_get(ifname, 0, &link)) != 0)
		return ns_nl_fail(cause, err, "address %s on %s", cidr, ifname);
	ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);

	/* the broadcast, as "ip addr add ... brd +" (none for /31, /32) */
	bin.s_addr = in.s_addr;
	if (len < 31)
		bin.s_addr |= htonl(0xffffffffU >> len);
	if ((addr = rtnl_addr_alloc()) == NULL ||
	    (local = nl_addr_build(AF_INET, &in, sizeof(in))) == NULL ||
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
		return ns_nl_fail(cause, err, "address %s on %s", cidr, ifname);
	return 0;
}
