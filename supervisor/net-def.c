/*
 * net-def.c: the network list and the plain parts of a network:
 * allocation, lookup by name, the names of its DNS modes.  No event
 * loop and no I/O here; net.c brings networks up and down.
 */
#include <stdlib.h>
#include <string.h>

#include "fws.h"

struct netlist	nets = TAILQ_HEAD_INITIALIZER(nets);

/* By enum net_dns: the words net-info and the store use. */
static const char *const net_dns_names[] = {
	[NET_DNS_LOCAL] = "local",
	[NET_DNS_SERVERS] = "servers",
	[NET_DNS_NONE] = "none",
};

const char *
net_dns_mode_name(enum net_dns d)
{
	return net_dns_names[d];
}

int
net_dns_mode_parse(const char *s, enum net_dns *out)
{
	size_t	 i;

	for (i = 0; i < sizeof(net_dns_names) / sizeof(*net_dns_names); i++)
		if (strcmp(s, net_dns_names[i]) == 0) {
			*out = i;
			return 0;
		}
	return -1;
}

struct net *
net_new(void)
{
	struct net	*n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		abort();
	n->net_autostart = 1;
	return n;
}

void
net_free(struct net *n)
{
	free(n->net_uplink);
	free(n->net_address);
	free(n->net_dhcp_start);
	free(n->net_dhcp_end);
	free(n->net_dns_servers);
	free(n->net_lease_v);
	free(n);
}

struct net *
net_find(const char *name)
{
	struct net	*n;

	TAILQ_FOREACH(n, &nets, net_entry)
		if (strcmp(n->net_name, name) == 0)
			return n;
	return NULL;
}
