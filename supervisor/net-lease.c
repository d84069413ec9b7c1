/*
 * net-lease.c: what a network's dnsmasq leased, read back from its lease
 * file.  The file is small (dnsmasq keeps at most 1000 leases) and read
 * again only when it changed: a request looks at each network's file
 * once (net_lease_refresh), then every VM's addresses come from what
 * was read.  dnsmasq writes the file, but what it holds came from the
 * guests (a guest may pick its MAC and send anything): each line is
 * checked, and lines that do not read as a lease are skipped.
 * net-leases shows the leases to admins; info and list show a NIC's to
 * the VM's owner.
 */
#include <sys/stat.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fws.h"
#include "log.h"

#define NET_LEASE_MAX	4096	/* leases read from one file */

/* One line: "EXPIRY MAC IP HOSTNAME CLIENT-ID"; 0 if it is no lease. */
static int
net_lease_parse(const char *line, struct net_lease *l)
{
	char		 mac[32], ip[64], host[256];
	long long	 expiry;
	unsigned char	 bin[sizeof(struct in_addr)];
	size_t		 i;

	if (sscanf(line, "%lld %31s %63s %255s", &expiry, mac, ip,
	    host) != 4 || expiry < 0 || validate_mac(mac, NULL) == -1 ||
	    inet_pton(AF_INET, ip, bin) != 1)
		return 0;
	/* validate_mac took 17 characters */
	for (i = 0; i < sizeof(l->nl_mac) - 1; i++)
		l->nl_mac[i] = tolower((unsigned char)mac[i]);
	l->nl_mac[i] = '\0';
	inet_ntop(AF_INET, bin, l->nl_ip, sizeof(l->nl_ip));
	l->nl_expires = expiry;
	l->nl_host[0] = '\0';
	/* a name is fwsd's (dnsmasq ignores the guests'), checked still */
	for (i = 0; host[i] != '\0' && i < FWS_DNS_LABEL_MAX &&
	    (isalnum((unsigned char)host[i]) || host[i] == '-'); i++)
		;
	if (host[i] == '\0' && strcmp(host, "*") != 0)
		memcpy(l->nl_host, host, i + 1);
	return 1;
}

/* Read the lease file again if it changed since it was last read. */
static void
net_lease_read(struct net *n)
{
	struct net_lease	*v = NULL, l;
	struct stat		 sb;
	char			*path, line[512];
	size_t			 cnt = 0, cap = 0;
	FILE			*f;

	path = net_dhcp_leasefile(n);
	if (stat(path, &sb) == -1)
		memset(&sb, 0, sizeof(sb));	/* none leased yet */
	if (n->net_lease_read && sb.st_ino == n->net_lease_ino &&
	    sb.st_dev == n->net_lease_dev && sb.st_size == n->net_lease_size &&
	    sb.st_mtim.tv_sec == n->net_lease_mtime.tv_sec &&
	    sb.st_mtim.tv_nsec == n->net_lease_mtime.tv_nsec) {
		free(path);
		return;
	}
	if (sb.st_ino != 0 && (f = fopen(path, "re")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL &&
		    cnt < NET_LEASE_MAX) {
			if (!net_lease_parse(line, &l))
				continue;
			if (cnt == cap) {
				cap = cap ? cap * 2 : 32;
				if ((v = reallocarray(v, cap, sizeof(*v))) ==
				    NULL)
					abort();
			}
			v[cnt++] = l;
		}
		fclose(f);
	}
	free(path);
	free(n->net_lease_v);
	n->net_lease_v = v;
	n->net_lease_n = cnt;
	n->net_lease_read = 1;
	n->net_lease_dev = sb.st_dev;
	n->net_lease_ino = sb.st_ino;
	n->net_lease_size = sb.st_size;
	n->net_lease_mtime = sb.st_mtim;
}

/* Before a request reads leases: each network's file, once. */
void
net_lease_refresh(void)
{
	struct net	*n;

	TAILQ_FOREACH(n, &nets, net_entry)
		if (n->net_dhcp_start != NULL)
			net_lease_read(n);
}

/*
 * The addresses leased to mac on n and not expired, appended to a (at
 * most FWS_ADDRS_MAX in all); how many were.
 */
int
net_lease_addresses(const struct net *n, const char *mac, json_t *a)
{
	time_t	 now = time(NULL);
	size_t	 i;
	int	 found = 0;

	for (i = 0; i < n->net_lease_n; i++) {
		if (strcasecmp(n->net_lease_v[i].nl_mac, mac) != 0 ||
		    (n->net_lease_v[i].nl_expires != 0 &&
		    n->net_lease_v[i].nl_expires < now) ||
		    json_array_size(a) >= FWS_ADDRS_MAX)
			continue;
		json_array_append_new(a, json_string(n->net_lease_v[i].nl_ip));
		found++;
	}
	return found;
}

/* The DHCP leases: MAC, IP, the VM whose NIC has that MAC, expiry. */
json_t *
net_leases(struct net *n, char **cause)
{
	const struct vm		*vm;
	const struct net_lease	*l;
	json_t			*a, *o;
	const struct vm		*owner;
	size_t			 i;
	int			 k;

	if (n->net_dhcp_start == NULL) {
		cause_fail(cause, "network %s has no DHCP", n->net_name);
		return NULL;
	}
	net_lease_read(n);
	a = json_array();
	for (i = 0; i < n->net_lease_n; i++) {
		l = &n->net_lease_v[i];
		owner = NULL;
		TAILQ_FOREACH(vm, &vms, vm_entry)
			for (k = 0; k < vm->vm_nnics; k++)
				if (strcasecmp(vm->vm_nics[k].n_mac,
				    l->nl_mac) == 0 &&
				    strcmp(vm->vm_nics[k].n_net,
				    n->net_name) == 0)
					owner = vm;
		o = json_pack("{ss ss sI}", "mac", l->nl_mac, "ip", l->nl_ip,
		    "expires", (json_int_t)l->nl_expires);
		json_object_set_new(o, "vm", owner ?
		    json_string(owner->vm_name) : json_null());
		json_object_set_new(o, "owner", owner ?
		    json_integer(owner->vm_owner) : json_null());
		json_object_set_new(o, "hostname", l->nl_host[0] != '\0' ?
		    json_string(l->nl_host) : json_null());
		json_array_append_new(a, o);
	}
	return a;
}
