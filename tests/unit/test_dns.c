/*
 * test_dns.c: how VMs are named on a network (net-dns.c), a policy with
 * no I/O: a VM's name made a DNS label, first come, first served, a
 * later VM whose name is taken named NAME-UID, labels dnsmasq would
 * read as something else never used; and the dnsmasq words for the
 * network's name servers.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "fws.h"

/* what net-dns.c takes from the rest of fwsd */
struct fws_config	 conf;

void
net_dhcp_reload(struct net *n)
{
	(void)n;
}

static struct net *
lan(void)
{
	struct net	*n = net_new();

	snprintf(n->net_name, sizeof(n->net_name), "lan");
	snprintf(n->net_bridge, sizeof(n->net_bridge), "fwsbr0");
	n->net_address = xasprintf("10.0.0.1/24");
	n->net_dhcp_start = xasprintf("10.0.0.100");
	n->net_dhcp_end = xasprintf("10.0.0.199");
	TAILQ_INSERT_TAIL(&nets, n, net_entry);
	return n;
}

/* A VM of owner with NICs on the networks named (NULL-terminated). */
static struct vm *
vm_on(int64_t id, uid_t owner, const char *name, ...)
{
	struct vm	*vm = vm_new();
	const char	*net;
	va_list		 ap;

	vm->vm_id = id;
	vm->vm_owner = owner;
	snprintf(vm->vm_name, sizeof(vm->vm_name), "%s", name);
	va_start(ap, name);
	while ((net = va_arg(ap, const char *)) != NULL) {
		snprintf(vm->vm_nics[vm->vm_nnics].n_net,
		    sizeof(vm->vm_nics[0].n_net), "%s", net);
		snprintf(vm->vm_nics[vm->vm_nnics].n_mac,
		    sizeof(vm->vm_nics[0].n_mac), "52:54:00:00:%02x:%02x",
		    (unsigned)id, vm->vm_nnics);
		vm->vm_nnics++;
	}
	va_end(ap);
	/* the list is in name order, as the store loads it */
	TAILQ_INSERT_HEAD(&vms, vm, vm_entry);
	return vm;
}

static int
teardown(void **state)
{
	struct vm	*vm;
	struct net	*n;

	(void)state;
	while ((vm = TAILQ_FIRST(&vms)) != NULL) {
		TAILQ_REMOVE(&vms, vm, vm_entry);
		vm_free(vm);
	}
	while ((n = TAILQ_FIRST(&nets)) != NULL) {
		TAILQ_REMOVE(&nets, n, net_entry);
		net_free(n);
	}
	return 0;
}

/* Names as labels: lower case, '.' and '_' made '-'. */
static void
test_labels(void **state)
{
	struct net	*n = lan();
	struct vm	*a = vm_on(1, 1000, "Web_Server.1", "lan", NULL);
	char		*d;

	(void)state;
	net_dns_assign(n);
	assert_string_equal(a->vm_nics[0].n_dns, "web-server-1");
	snprintf(n->net_name, sizeof(n->net_name), "My_Lab.net");
	d = net_dns_domain(n);
	assert_string_equal(d, "my-lab-net.fws");
	free(d);
}

/*
 * Two owners' web: the older keeps the name, whoever asks later; the
 * younger is web-UID; "Web" reads as "web" and is taken too.
 */
static void
test_first_come(void **state)
{
	struct net	*n = lan();
	struct vm	*b = vm_on(7, 1002, "web", "lan", NULL);
	struct vm	*a = vm_on(3, 1001, "web", "lan", NULL);
	struct vm	*c = vm_on(9, 1003, "Web", "lan", NULL);

	(void)state;
	net_dns_assign(n);
	assert_string_equal(a->vm_nics[0].n_dns, "web");
	assert_string_equal(b->vm_nics[0].n_dns, "web-1002");
	assert_string_equal(c->vm_nics[0].n_dns, "web-1003");
	/* the older goes: the next in line takes the name */
	TAILQ_REMOVE(&vms, a, vm_entry);
	vm_free(a);
	net_dns_assign(n);
	assert_string_equal(b->vm_nics[0].n_dns, "web");
	assert_string_equal(c->vm_nics[0].n_dns, "web-1003");
}

/*
 * A later VM cannot take an older one's name, plain or NAME-UID: it is
 * NAME-UID itself, or nameless when that is taken too.
 */
static void
test_no_stealing(void **state)
{
	struct net	*n = lan();
	struct vm	*a = vm_on(1, 1001, "web", "lan", NULL);
	struct vm	*b = vm_on(2, 1002, "web", "lan", NULL);
	struct vm	*c = vm_on(3, 1003, "web-1002", "lan", NULL);
	struct vm	*d = vm_on(4, 1003, "web-1002-1003", "lan", NULL);
	struct vm	*e = vm_on(5, 1003, "WEB", "lan", NULL);

	(void)state;
	net_dns_assign(n);
	assert_string_equal(a->vm_nics[0].n_dns, "web");
	assert_string_equal(b->vm_nics[0].n_dns, "web-1002");
	assert_string_equal(c->vm_nics[0].n_dns, "web-1002-1003");
	/* its name is c's NAME-UID, and its own NAME-UID is free */
	assert_string_equal(d->vm_nics[0].n_dns, "web-1002-1003-1003");
	/* web and web-1003 are free for the last one's NAME-UID */
	assert_string_equal(e->vm_nics[0].n_dns, "web-1003");
}

/* Names dnsmasq would read as a lease time or a keyword: NAME-UID. */
static void
test_dnsmasq_words(void **state)
{
	const char *const words[] = { "3600", "12h", "5M", "1w", "ignore",
	    "infinite", "0" };
	struct net	*n = lan();
	struct vm	*vm[7];
	char		 want[64], *p;
	size_t		 i;

	(void)state;
	for (i = 0; i < 7; i++)
		vm[i] = vm_on(i + 1, 1001, words[i], "lan", NULL);
	net_dns_assign(n);
	for (i = 0; i < 7; i++) {
		snprintf(want, sizeof(want), "%s-1001", words[i]);
		for (p = want; *p != '\0'; p++)
			*p = tolower((unsigned char)*p);
		assert_string_equal(vm[i]->vm_nics[0].n_dns, want);
	}
}

/* 63 characters and a uid: cut to one label. */
static void
test_long(void **state)
{
	char		 name[FWS_NAME_MAX + 1];
	struct net	*n = lan();
	struct vm	*a, *b;

	(void)state;
	memset(name, 'x', FWS_NAME_MAX);
	name[FWS_NAME_MAX] = '\0';
	a = vm_on(1, 1001, name, "lan", NULL);
	b = vm_on(2, 4294967294U, name, "lan", NULL);
	net_dns_assign(n);
	assert_string_equal(a->vm_nics[0].n_dns, name);
	assert_int_equal(strlen(b->vm_nics[0].n_dns), FWS_DNS_LABEL_MAX);
	assert_string_equal(b->vm_nics[0].n_dns + FWS_DNS_LABEL_MAX - 11,
	    "-4294967294");
}

/*
 * A VM's first NIC on the network is named, its others not; another
 * network's NIC is not this one's business; a VM being made is not
 * there yet; a network without DHCP names nobody.
 */
static void
test_nics(void **state)
{
	struct net	*n = lan(), *m = lan();
	struct vm	*a = vm_on(1, 0, "a", "wan", "lan", "lan", NULL);
	struct vm	*b = vm_on(2, 0, "b", "lan", NULL);

	(void)state;
	snprintf(m->net_name, sizeof(m->net_name), "wan");
	free(m->net_dhcp_start);
	m->net_dhcp_start = NULL;
	b->vm_job.j_kind = JOB_CREATE;	/* being made */
	net_dns_assign(n);
	net_dns_assign(m);
	assert_string_equal(a->vm_nics[0].n_dns, "");
	assert_string_equal(a->vm_nics[1].n_dns, "a");
	assert_string_equal(a->vm_nics[2].n_dns, "");
	assert_string_equal(b->vm_nics[0].n_dns, "");
	b->vm_job.j_kind = JOB_NONE;
	net_dns_assign(n);
	assert_string_equal(b->vm_nics[0].n_dns, "b");
}

static int
has_word(char **argv, int n, const char *w)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (strcmp(argv[i], w) == 0)
			return 1;
	return 0;
}

/* What dnsmasq is told, by the network's DNS mode. */
static void
test_args(void **state)
{
	struct net	*n = lan();
	char		*argv[NET_DNS_ARGS_MAX];
	int		 i = 0, k;

	(void)state;
	conf.cf_run_dir = "/run/fws";
	net_dns_args(n, argv, &i);
	assert_true(i <= NET_DNS_ARGS_MAX);
	assert_true(has_word(argv, i,
	    "--dhcp-hostsfile=/run/fws/net-lan.dhcp-hosts"));
	assert_true(has_word(argv, i, "--dhcp-ignore-names"));
	assert_true(has_word(argv, i, "--domain=lan.fws"));
	assert_true(has_word(argv, i, "--local=/fws/"));
	assert_true(has_word(argv, i, "--domain-needed"));
	assert_true(has_word(argv, i, "--bogus-priv"));
	assert_false(has_word(argv, i, "--port=0"));
	for (k = 0; k < i; k++)
		free(argv[k]);

	n->net_dns = NET_DNS_SERVERS;
	n->net_dns_servers = xasprintf("192.0.2.53,192.0.2.54");
	i = 0;
	net_dns_args(n, argv, &i);
	assert_true(has_word(argv, i, "--port=0"));
	assert_true(has_word(argv, i,
	    "--dhcp-option=option:dns-server,192.0.2.53,192.0.2.54"));
	assert_false(has_word(argv, i, "--domain=lan.fws"));
	assert_true(has_word(argv, i, "--dhcp-ignore-names"));
	for (k = 0; k < i; k++)
		free(argv[k]);

	n->net_dns = NET_DNS_NONE;
	i = 0;
	net_dns_args(n, argv, &i);
	assert_true(has_word(argv, i, "--port=0"));
	for (k = 0; k < i; k++) {
		assert_null(strstr(argv[k], "dns-server"));
		free(argv[k]);
	}
	conf.cf_run_dir = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_labels, teardown),
		cmocka_unit_test_teardown(test_first_come, teardown),
		cmocka_unit_test_teardown(test_no_stealing, teardown),
		cmocka_unit_test_teardown(test_dnsmasq_words, teardown),
		cmocka_unit_test_teardown(test_long, teardown),
		cmocka_unit_test_teardown(test_nics, teardown),
		cmocka_unit_test_teardown(test_args, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
