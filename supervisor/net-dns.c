/*
 * net-dns.c: the names of a network's VMs, and the name servers its
 * DHCP hands out.  fwsd names the VMs, never the guests: each VM with a
 * NIC on a network with DHCP gets a DNS label there (net_dns_assign),
 * written with the NIC's MAC into the network's dhcp-hosts file, which
 * dnsmasq re-reads on SIGHUP; names the guests claim in their DHCP
 * requests are ignored.  The network's DNS mode says what dnsmasq does
 * besides DHCP: its own resolver on the bridge, answering the VMs'
 * names in NETWORK.fws and forwarding the rest to the host's resolvers
 * (the default); the servers net-create --dns named; or none.  net-dhcp.c
 * runs dnsmasq with the words made here.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"

/*
 * A name made a DNS label: lower case, '.' and '_' (which a VM's name may
 * hold and a host name may not) as '-'.
 */
static void
net_dns_label(const char *name, char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; name[i] != '\0' && i + 1 < len; i++)
		buf[i] = name[i] == '.' || name[i] == '_' ? '-' :
		    tolower((unsigned char)name[i]);
	buf[i] = '\0';
}

/*
 * Would dnsmasq take this label for a name in a dhcp-host line?  Not
 * when it reads as a lease time ("3600", "12h"), "infinite" or "ignore".
 */
static int
net_dns_label_ok(const char *l)
{
	size_t	 n = strlen(l), i;

	if (n == 0 || strcmp(l, "infinite") == 0 || strcmp(l, "ignore") == 0)
		return 0;
	for (i = 0; i < n && isdigit((unsigned char)l[i]); i++)
		;
	if (i == n || (i > 0 && i == n - 1 && strchr("smhdwSMHDW", l[i])))
		return 0;
	return 1;
}

/* The network's domain: its name made a label, then FWS_DNS_SUFFIX. */
char *
net_dns_domain(const struct net *n)
{
	char	 l[FWS_DNS_LABEL_MAX + 1];

	net_dns_label(n->net_name, l, sizeof(l));
	return xasprintf("%s.%s", l, FWS_DNS_SUFFIX);
}

/*
 * A NIC's name as the network's name server answers it (label.domain),
 * or null: no name, or no name server of fwsd's on the network.
 */
json_t *
net_dns_fqdn(const struct net *n, const char *label)
{
	json_t	*v;
	char	*domain;

	if (n == NULL || n->net_dhcp_start == NULL ||
	    n->net_dns != NET_DNS_LOCAL || *label == '\0')
		return json_null();
	domain = net_dns_domain(n);
	v = json_sprintf("%s.%s", label, domain);
	free(domain);
	return v;
}

/* One VM's first NIC on a network. */
struct net_dns_entry {
	struct vm	*e_vm;
	int		 e_nic;
};

static int
net_dns_entry_cmp(const void *a, const void *b)
{
	const struct net_dns_entry *x = a, *y = b;

	return x->e_vm->vm_id < y->e_vm->vm_id ? -1 :
	    x->e_vm->vm_id > y->e_vm->vm_id;
}

/* The VMs on n, each with its first NIC there, oldest first. */
static struct net_dns_entry *
net_dns_entries(const struct net *n, size_t *count)
{
	struct net_dns_entry	*e;
	struct vm		*vm;
	size_t			 cap = 0, k = 0;
	int			 i;

	TAILQ_FOREACH(vm, &vms, vm_entry)
		cap++;
	if ((e = calloc(cap + 1, sizeof(*e))) == NULL)
		abort();
	TAILQ_FOREACH(vm, &vms, vm_entry) {
		if (vm_is_hidden(vm))
			continue;
		for (i = 0; i < vm->vm_nnics; i++)
			if (strcmp(vm->vm_nics[i].n_net, n->net_name) == 0)
				break;
		if (i < vm->vm_nnics) {
			e[k].e_vm = vm;
			e[k++].e_nic = i;
		}
	}
	qsort(e, k, sizeof(*e), net_dns_entry_cmp);
	*count = k;
	return e;
}

static int
net_dns_taken(const struct net_dns_entry *e, size_t upto, const char *l)
{
	size_t	 i;

	for (i = 0; i < upto; i++)
		if (strcmp(e[i].e_vm->vm_nics[e[i].e_nic].n_dns, l) == 0)
			return 1;
	return 0;
}

/*
 * Name the VMs on n, first come, first served: in the order they were
 * made, each takes its own name (as a label) unless an older VM on n
 * has that name already; then NAME-UID (its owner's uid); else none.
 * A VM's name is unique per owner, so NAME-UID clashes only with an
 * older VM's name that reads the same.  A VM's first NIC on n has the
 * name; its other NICs there, and every NIC of a network without DHCP,
 * have none.
 */
void
net_dns_assign(struct net *n)
{
	struct net_dns_entry	*e;
	struct vm_nic		*nic;
	struct vm		*vm;
	char			 l[FWS_DNS_LABEL_MAX + 1], suffix[16];
	size_t			 count, k;
	int			 i, len;

	TAILQ_FOREACH(vm, &vms, vm_entry)
		for (i = 0; i < vm->vm_nnics; i++)
			if (strcmp(vm->vm_nics[i].n_net, n->net_name) == 0)
				vm->vm_nics[i].n_dns[0] = '\0';
	if (n->net_dhcp_start == NULL)
		return;
	e = net_dns_entries(n, &count);
	for (k = 0; k < count; k++) {
		nic = &e[k].e_vm->vm_nics[e[k].e_nic];
		net_dns_label(e[k].e_vm->vm_name, l, sizeof(l));
		if (net_dns_label_ok(l) && !net_dns_taken(e, k, l)) {
			snprintf(nic->n_dns, sizeof(nic->n_dns), "%s", l);
			continue;
		}
		len = snprintf(suffix, sizeof(suffix), "-%u",
		    (unsigned)e[k].e_vm->vm_owner);
		l[FWS_DNS_LABEL_MAX - len] = '\0';
		memcpy(l + strlen(l), suffix, len + 1);
		if (net_dns_label_ok(l) && !net_dns_taken(e, k, l))
			snprintf(nic->n_dns, sizeof(nic->n_dns), "%s", l);
		else
			log_info("network %s: %s (owner %u) has no DNS name: "
			    "%s is taken", n->net_name, e[k].e_vm->vm_name,
			    (unsigned)e[k].e_vm->vm_owner, l);
	}
	free(e);
}

/*
 * In the run directory (which anyone may pass, nobody list), readable
 * by dnsmasq's user alone: dnsmasq reads it after it dropped root.
 */
char *
net_dns_hostsfile(const struct net *n)
{
	return xasprintf("%s/net-%s.dhcp-hosts", conf.cf_run_dir,
	    n->net_name);
}

/*
 * The account dnsmasq drops root for, and its group: "dnsmasq" where
 * the package made it, else "nobody".  Looked up once.
 */
static int
net_dns_user(const char **user, const char **group, uid_t *uid)
{
	static char	 u[64], g[64];
	static uid_t	 id;
	static int	 known = -1;
	struct passwd	*pw;
	struct group	*gr;

	if (known == -1) {
		known = 0;
		if ((pw = getpwnam(FWS_DNSMASQ_USER)) == NULL)
			pw = getpwnam("nobody");
		if (pw != NULL && (gr = getgrgid(pw->pw_gid)) != NULL) {
			snprintf(u, sizeof(u), "%s", pw->pw_name);
			snprintf(g, sizeof(g), "%s", gr->gr_name);
			id = pw->pw_uid;
			known = 1;
		} else
			log_warnx("no account %s nor nobody: dnsmasq drops "
			    "root for its own default", FWS_DNSMASQ_USER);
	}
	*user = u;
	*group = g;
	*uid = id;
	return known ? 0 : -1;
}

/* "MAC,NAME" lines, oldest VM first, for dnsmasq's --dhcp-hostsfile. */
static char *
net_dns_hosts_text(const struct net *n, size_t *len)
{
	struct net_dns_entry	*e;
	const struct vm_nic	*nic;
	char			*buf = NULL;
	size_t			 count, k;
	FILE			*f;

	if ((f = open_memstream(&buf, len)) == NULL)
		abort();
	e = net_dns_entries(n, &count);
	for (k = 0; k < count; k++) {
		nic = &e[k].e_vm->vm_nics[e[k].e_nic];
		if (nic->n_dns[0] != '\0')
			fprintf(f, "%s,%s\n", nic->n_mac, nic->n_dns);
	}
	free(e);
	if (fclose(f) != 0)
		abort();
	return buf;
}

/* Does path hold exactly text? */
static int
net_dns_same(const char *path, const char *text, size_t len)
{
	char	*buf;
	ssize_t	 n;
	int	 fd, same;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return 0;
	if ((buf = malloc(len + 1)) == NULL)
		abort();
	/* one byte more than expected: a longer file differs */
	n = read(fd, buf, len + 1);
	close(fd);
	same = n >= 0 && (size_t)n == len && memcmp(buf, text, len) == 0;
	free(buf);
	return same;
}

/*
 * Write the network's dhcp-hosts file anew (by a rename: dnsmasq never
 * reads half of it); *changed says whether it differs from before.
 */
int
net_dns_write_hosts(struct net *n, int *changed, char **cause)
{
	const char	*user, *group;
	char		*path, *tmp, *text;
	size_t		 len;
	uid_t		 uid;
	int		 fd = -1, rc = -1, known;

	*changed = 0;
	if (n->net_dhcp_start == NULL)
		return 0;
	known = net_dns_user(&user, &group, &uid) == 0;
	path = net_dns_hostsfile(n);
	tmp = xasprintf("%s.new", path);
	text = net_dns_hosts_text(n, &len);
	if (net_dns_same(path, text, len)) {
		rc = 0;
		goto done;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, known ? 0400 : 0644)) == -1 ||
	    (known && fchown(fd, uid, -1) == -1) ||
	    write(fd, text, len) != (ssize_t)len || close(fd) == -1) {
		cause_fail(cause, "%s: %s", tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		unlink(tmp);
		goto done;
	}
	if (rename(tmp, path) == -1) {
		cause_fail(cause, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto done;
	}
	*changed = 1;
	rc = 0;
done:
	free(path);
	free(tmp);
	free(text);
	return rc;
}

/*
 * dnsmasq's words for the network's names and name servers, appended
 * to argv (each malloc'ed) from argv[*i]: NET_DNS_ARGS_MAX at most.
 */
void
net_dns_args(const struct net *n, char **argv, int *i)
{
	const char	*user, *group;
	char		*path = net_dns_hostsfile(n), *domain;
	uid_t		 uid;

	if (net_dns_user(&user, &group, &uid) == 0) {
		argv[(*i)++] = xasprintf("--user=%s", user);
		argv[(*i)++] = xasprintf("--group=%s", group);
	}
	/* names from fwsd alone, never from what a guest claims */
	argv[(*i)++] = xasprintf("--dhcp-hostsfile=%s", path);
	argv[(*i)++] = xasprintf("--dhcp-ignore-names");
	argv[(*i)++] = xasprintf("--no-hosts");
	free(path);
	switch (n->net_dns) {
	case NET_DNS_LOCAL:
		/*
		 * the guests' resolver: the VMs' names in DOMAIN, nothing
		 * under FWS_DNS_SUFFIX, no bare name and no private
		 * address's reverse name ever asked upstream
		 */
		domain = net_dns_domain(n);
		argv[(*i)++] = xasprintf("--domain=%s", domain);
		argv[(*i)++] = xasprintf("--local=/%s/", domain);
		argv[(*i)++] = xasprintf("--local=/%s/", FWS_DNS_SUFFIX);
		argv[(*i)++] = xasprintf("--domain-needed");
		argv[(*i)++] = xasprintf("--bogus-priv");
		free(domain);
		break;
	case NET_DNS_SERVERS:
		argv[(*i)++] = xasprintf("--port=0");
		argv[(*i)++] = xasprintf("--dhcp-option=option:dns-server,%s",
		    n->net_dns_servers);
		break;
	case NET_DNS_NONE:
		argv[(*i)++] = xasprintf("--port=0");
		break;
	}
}

/* {"mode","domain","servers"}, or null for a network without DHCP. */
json_t *
net_dns_to_json(const struct net *n)
{
	json_t	*o, *a = json_array();
	char	*s, *p, *save = NULL, *domain;

	if (n->net_dhcp_start == NULL) {
		json_decref(a);
		return json_null();
	}
	o = json_pack("{ss}", "mode", net_dns_mode_name(n->net_dns));
	if (n->net_dns == NET_DNS_LOCAL) {
		domain = net_dns_domain(n);
		json_object_set_new(o, "domain", json_string(domain));
		free(domain);
		/* the host's address on the bridge */
		s = xasprintf("%s", n->net_address);
		if ((p = strchr(s, '/')) != NULL)
			*p = '\0';
		json_array_append_new(a, json_string(s));
		free(s);
	} else
		json_object_set_new(o, "domain", json_null());
	if (n->net_dns == NET_DNS_SERVERS) {
		s = xasprintf("%s", n->net_dns_servers);
		for (p = strtok_r(s, ",", &save); p != NULL;
		    p = strtok_r(NULL, ",", &save))
			json_array_append_new(a, json_string(p));
		free(s);
	}
	json_object_set_new(o, "servers", a);
	return o;
}
