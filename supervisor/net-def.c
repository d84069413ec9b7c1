/*
 * net-def.c: the network list and the plain parts of a network:
 * allocation and lookup by name.  No event loop and no I/O here; net.c
 * brings networks up and down.
 */
#include <stdlib.h>
#include <string.h>

#include "fws.h"

struct netlist	nets = TAILQ_HEAD_INITIALIZER(nets);

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
