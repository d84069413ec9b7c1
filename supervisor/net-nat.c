/*
 * net-nat.c: masquerading a network's subnet out of the host.  Each
 * network with NAT owns one nftables table, "ip fws-NAME", made and
 * removed whole through libnftables (in-process netlink: no nft child to
 * wait for), so fws never edits a rule it did not make.  IPv4 forwarding
 * is switched on when a NAT network starts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "fws.h"
#include "log.h"

/* Run nft commands; on failure, nft's own error text becomes the cause. */
static int
net_nat_run(const char *cmds, char **cause)
{
	struct nft_ctx	*nft;
	const char	*err;
	char		*e, *p;
	int		 rc;

	if ((nft = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL)
		return cause_fail(cause, "nftables: cannot make a context");
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	rc = nft_run_cmd_from_buffer(nft, cmds);
	if (rc != 0) {
		err = nft_ctx_get_error_buffer(nft);
		e = xasprintf("%s", err && *err ? err : "failed");
		/* the first line says it; the rest points at our text */
		if ((p = strchr(e, '\n')) != NULL)
			*p = '\0';
		cause_fail(cause, "nftables: %s", e);
		free(e);
	}
	nft_ctx_free(nft);
	return rc == 0 ? 0 : -1;
}

/* The subnet of a CIDR like 10.0.0.1/24, as 10.0.0.0/24. */
static int
net_nat_subnet(const char *cidr, char *buf, size_t len)
{
	struct in_addr	 in;
	uint32_t	 ip;
	int		 bits;

	if (validate_cidr(cidr, &in, &bits, NULL) == -1)
		return -1;
	ip = ntohl(in.s_addr) & 0xffffffffU << (32 - bits);
	snprintf(buf, len, "%u.%u.%u.%u/%d", ip >> 24, (ip >> 16) & 0xff,
	    (ip >> 8) & 0xff, ip & 0xff, bits);
	return 0;
}

static int
net_nat_forwarding(char **cause)
{
	int	 fd;

	if ((fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY |
	    O_CLOEXEC)) == -1 || write(fd, "1\n", 2) != 2) {
		if (fd != -1)
			close(fd);
		return cause_fail(cause, "cannot enable IPv4 forwarding: %s",
		    strerror(errno));
	}
	close(fd);
	return 0;
}

int
net_nat_add(const struct net *n, char **cause)
{
	char	 subnet[32], *cmds;
	int	 rc;

	if (n->net_address == NULL ||
	    net_nat_subnet(n->net_address, subnet, sizeof(subnet)) == -1)
		return cause_fail(cause, "network %s: NAT needs an IPv4 "
		    "address on the bridge", n->net_name);
	if (net_nat_forwarding(cause) == -1)
		return -1;
	/* out of any other interface: the host's default route */
	cmds = xasprintf(
	    "table ip fws-%s\n"
	    "delete table ip fws-%s\n"
	    "table ip fws-%s {\n"
	    " chain postrouting {\n"
	    "  type nat hook postrouting priority srcnat; policy accept;\n"
	    "  ip saddr %s ip daddr != %s oifname != \"%s\" masquerade\n"
	    " }\n"
	    " chain forward {\n"
	    "  type filter hook forward priority filter; policy accept;\n"
	    "  iifname \"%s\" ip saddr %s accept\n"
	    "  oifname \"%s\" ct state established,related accept\n"
	    " }\n"
	    "}\n", n->net_name, n->net_name, n->net_name, subnet, subnet,
	    n->net_bridge, n->net_bridge, subnet, n->net_bridge);
	rc = net_nat_run(cmds, cause);
	free(cmds);
	return rc;
}

int
net_nat_remove(const struct net *n, char **cause)
{
	char	*cmds;
	int	 rc;

	/* "table" first makes the delete quiet when it is already gone */
	cmds = xasprintf("table ip fws-%s\ndelete table ip fws-%s\n",
	    n->net_name, n->net_name);
	rc = net_nat_run(cmds, cause);
	free(cmds);
	return rc;
}
