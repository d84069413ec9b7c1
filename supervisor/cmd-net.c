/*
 * cmd-net.c: the network commands of cmd.c's table: net-create,
 * net-delete, net-list, net-info, net-start, net-stop, net-leases,
 * net-open, net-public.  All but net-list are for admins (cmd.c's table
 * says so); a user's net-list shows the networks open to users.  A
 * public network (one reaching outside addresses) takes only VMs whose
 * images are cleared: public-policy.c's.
 * Definitions are checked here (names, interface names, the prefix
 * lengths a network may have, DHCP range inside the subnet, name
 * servers; validate.c reads the addresses) and committed before the
 * reply; net.c does the plumbing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fws.h"
#include "log.h"
#include "netsetup.h"
#include "proto.h"

/* args.name must name a network: NULL (and answered) when it does not. */
static struct net *
cmd_net_lookup(struct request *rq, json_t *args)
{
	const char	*name;
	struct net	*n;
	char		*cause;

	if (proto_arg_string(args, "name", 1, &name, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return NULL;
	}
	if ((n = net_find(name)) == NULL)
		request_error(rq, PROTO_ERR_NOT_FOUND, "no network named "
		    "\"%.64s\"", name);
	return n;
}

/*
 * A network's host address, as validate_cidr() reads it, and the
 * prefix lengths a network may have: no wider than /8, and room for
 * the host and at least one guest (/30).
 */
#define CMD_NET_PREFIX_MIN	8
#define CMD_NET_PREFIX_MAX	30

static int
cmd_net_address(const char *s, uint32_t *addr, int *prefix, char **cause)
{
	struct in_addr	 in;

	if (validate_cidr(s, &in, prefix, cause) == -1)
		return -1;
	if (*prefix < CMD_NET_PREFIX_MIN || *prefix > CMD_NET_PREFIX_MAX)
		return cause_fail(cause, "address %s: a network's prefix "
		    "length is %d to %d", s, CMD_NET_PREFIX_MIN,
		    CMD_NET_PREFIX_MAX);
	*addr = ntohl(in.s_addr);
	return 0;
}

/* One end of a DHCP range, in host order. */
static int
cmd_net_ip(const char *s, uint32_t *addr, char **cause)
{
	struct in_addr	 in;

	if (validate_ipv4(s, &in, cause) == -1)
		return -1;
	*addr = ntohl(in.s_addr);
	return 0;
}

/*
 * --dns IP[,IP] or --no-dns: the name servers the network's DHCP hands
 * out, instead of dnsmasq's own resolver on the bridge.
 */
static int
cmd_net_dns(struct net *n, json_t *args, char **cause)
{
	json_t		*a = json_object_get(args, "dns"), *v;
	struct in_addr	 in;
	uint32_t	 ip, seen[FWS_DNS_SERVERS_MAX];
	char		 buf[INET_ADDRSTRLEN], *list = NULL, *t;
	const char	*s;
	size_t		 i, k;
	int		 none = 0;

	if (proto_arg_bool(args, "no_dns", &none, cause) == -1)
		return -1;
	if (json_is_null(a))
		a = NULL;
	n->net_dns = NET_DNS_LOCAL;
	if (a == NULL && !none)
		return 0;
	if (a != NULL && none)
		return cause_fail(cause, "give --dns or --no-dns, not both");
	if (n->net_dhcp_start == NULL)
		return cause_fail(cause, "--%s says what DHCP hands out: it "
		    "needs --dhcp", none ? "no-dns" : "dns");
	if (none) {
		n->net_dns = NET_DNS_NONE;
		return 0;
	}
	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > FWS_DNS_SERVERS_MAX)
		return cause_fail(cause, "--dns takes 1 to %d IPv4 addresses, "
		    "separated by commas", FWS_DNS_SERVERS_MAX);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			free(list);
			return cause_fail(cause, "argument \"dns\" must list "
			    "addresses as strings");
		}
		s = json_string_value(v);
		if (validate_ipv4(s, &in, NULL) == -1) {
			free(list);
			return cause_fail(cause, "DNS server \"%.40s\": not an "
			    "IPv4 address (DHCP hands out IPv4 name servers)",
			    s);
		}
		ip = ntohl(in.s_addr);
		if (ip == 0 || ip == 0xffffffffU || (ip >> 28) == 0xe) {
			free(list);
			return cause_fail(cause, "DNS server %s: no name "
			    "server can have this address", s);
		}
		for (k = 0; k < i; k++)
			if (seen[k] == ip) {
				free(list);
				return cause_fail(cause, "DNS server %s is "
				    "given twice", s);
			}
		seen[i] = ip;
		inet_ntop(AF_INET, &in, buf, sizeof(buf));
		t = list == NULL ? xasprintf("%s", buf) :
		    xasprintf("%s,%s", list, buf);
		free(list);
		list = t;
	}
	n->net_dns = NET_DNS_SERVERS;
	n->net_dns_servers = list;
	return 0;
}

/* Check the definition into n; -1 invalid, -2 a clash with another. */
static int
cmd_net_parse(struct net *n, json_t *args, char **cause)
{
	const char	*name, *bridge, *uplink, *address, *ds, *de;
	struct net	*o;
	uint32_t	 a = 0, s, e, mask;
	int		 bits = 32;
	char		*why;

	if (proto_arg_string(args, "name", 1, &name, cause) == -1 ||
	    validate_name(name, cause) == -1 ||
	    proto_arg_string(args, "bridge", 1, &bridge, cause) == -1 ||
	    proto_arg_string(args, "uplink", 0, &uplink, cause) == -1 ||
	    proto_arg_string(args, "address", 0, &address, cause) == -1 ||
	    proto_arg_string(args, "dhcp_start", 0, &ds, cause) == -1 ||
	    proto_arg_string(args, "dhcp_end", 0, &de, cause) == -1 ||
	    proto_arg_bool(args, "nat", &n->net_nat, cause) == -1 ||
	    proto_arg_bool(args, "autostart", &n->net_autostart, cause) == -1 ||
	    proto_arg_bool(args, "open", &n->net_open, cause) == -1 ||
	    proto_arg_bool(args, "public", &n->net_public, cause) == -1)
		return -1;
	if (strlen(name) > FWS_NET_NAME_MAX)
		return cause_fail(cause, "network name %s is longer than %d "
		    "characters", name, FWS_NET_NAME_MAX);
	snprintf(n->net_name, sizeof(n->net_name), "%s", name);
	if (ns_ifname_valid(bridge, cause) == -1 ||
	    (uplink != NULL && ns_ifname_valid(uplink, cause) == -1))
		return -1;
	if (uplink != NULL && strcmp(uplink, bridge) == 0)
		return cause_fail(cause, "the uplink cannot be the bridge");
	snprintf(n->net_bridge, sizeof(n->net_bridge), "%s", bridge);
	TAILQ_FOREACH(o, &nets, net_entry) {
		if (strcmp(o->net_name, name) == 0) {
			*cause = xasprintf("a network named %s already "
			    "exists", name);
			return -2;
		}
		if (strcmp(o->net_bridge, bridge) == 0) {
			*cause = xasprintf("bridge %s is network %s's",
			    bridge, o->net_name);
			return -2;
		}
	}
	if (address != NULL) {
		if (cmd_net_address(address, &a, &bits, cause) == -1)
			return -1;
		n->net_address = xasprintf("%s", address);
	}
	if (n->net_nat && address == NULL)
		return cause_fail(cause, "NAT needs --address");
	if ((ds == NULL) != (de == NULL))
		return cause_fail(cause, "a DHCP range needs a start and an "
		    "end");
	if (ds != NULL) {
		if (address == NULL)
			return cause_fail(cause, "DHCP needs --address");
		mask = 0xffffffffU << (32 - bits);
		if (cmd_net_ip(ds, &s, &why) == -1 ||
		    cmd_net_ip(de, &e, &why) == -1) {
			cause_fail(cause, "DHCP range %.20s-%.20s: %s", ds, de,
			    why);
			free(why);
			return -1;
		}
		if ((s & mask) != (a & mask) || (e & mask) != (a & mask) ||
		    s > e || (a >= s && a <= e))
			return cause_fail(cause, "DHCP range %s-%s must lie in "
			    "%s, in order, without the host's address", ds,
			    de, address);
		n->net_dhcp_start = xasprintf("%s", ds);
		n->net_dhcp_end = xasprintf("%s", de);
	}
	if (cmd_net_dns(n, args, cause) == -1)
		return -1;
	if (uplink != NULL)
		n->net_uplink = xasprintf("%s", uplink);
	return 0;
}

void
cmd_net_create(struct request *rq, json_t *args, struct vm *vm)
{
	struct net	*n = net_new();
	char		*cause = NULL;
	int		 rc;

	(void)vm;
	if ((rc = cmd_net_parse(n, args, &cause)) != 0) {
		request_error(rq, rc == -2 ? PROTO_ERR_EXISTS :
		    PROTO_ERR_INVALID_ARGUMENT, "%s", cause);
		free(cause);
		net_free(n);
		return;
	}
	n->net_created = time(NULL);
	if (store_net_insert(n, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INTERNAL, cause);
		net_free(n);
		return;
	}
	TAILQ_INSERT_TAIL(&nets, n, net_entry);
	/* a network that cannot start is not created: undo, then say why */
	if (net_start(n, &cause) == -1) {
		request_error(rq, PROTO_ERR_FAILED, "network %s: %s",
		    n->net_name, cause);
		free(cause);
		if (net_stop(n, &cause) == -1 ||
		    store_net_delete(n, &cause) == -1) {
			log_warnx("network %s: undoing the create: %s",
			    n->net_name, cause);
			free(cause);
		}
		TAILQ_REMOVE(&nets, n, net_entry);
		net_free(n);
		return;
	}
	log_info("network %s: created (bridge %s)", n->net_name,
	    n->net_bridge);
	request_ok(rq, net_to_json(n, 1));
}

/*
 * Take the network down unless a VM is on it: a running one (for stop),
 * or any defined one (for delete).  1 when refused, and answered.
 */
static int
cmd_net_down(struct request *rq, struct net *n, int running_only)
{
	const struct vm	*user;
	char		*cause, *who;

	if (net_in_use(n, running_only, &user)) {
		who = request_vm_words(rq, user);
		request_error(rq, PROTO_ERR_BAD_STATE, "network %s is used by "
		    "%sVM %s%s", n->net_name, running_only ? "running " : "",
		    who, running_only ? "" : ": delete the VM first");
		free(who);
		return 1;
	}
	/* also when not marked up: whatever is left of it goes */
	if (net_stop(n, &cause) == -1) {
		request_error(rq, PROTO_ERR_FAILED, "network %s: %s",
		    n->net_name, cause);
		free(cause);
		return 1;
	}
	return 0;
}

void
cmd_net_delete(struct request *rq, json_t *args, struct vm *vm)
{
	struct net	*n;
	char		*cause;

	(void)vm;
	if ((n = cmd_net_lookup(rq, args)) == NULL || cmd_net_down(rq, n, 0))
		return;
	if (store_net_delete(n, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INTERNAL, cause);
		return;
	}
	log_info("network %s: deleted", n->net_name);
	TAILQ_REMOVE(&nets, n, net_entry);
	request_ok(rq, json_pack("{ss}", "name", n->net_name));
	net_free(n);
}

void
cmd_net_list(struct request *rq, json_t *args, struct vm *vm)
{
	struct net	*n;
	json_t		*a = json_array();

	(void)args;
	(void)vm;
	TAILQ_FOREACH(n, &nets, net_entry)
		if (request_admin(rq) || n->net_open)
			json_array_append_new(a, net_to_json(n, 0));
	request_ok(rq, a);
}

/* net-open NAME true|false: may users attach their VMs to it? */
void
cmd_net_open(struct request *rq, json_t *args, struct vm *vm)
{
	struct net	*n;
	char		*cause = NULL;
	int		 open = -1, was;

	(void)vm;
	if ((n = cmd_net_lookup(rq, args)) == NULL)
		return;
	if (proto_arg_bool(args, "open", &open, &cause) == -1 || open == -1) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "%s", open == -1 &&
		    cause == NULL ? "argument \"open\" (true or false) is "
		    "required" : cause);
		free(cause);
		return;
	}
	was = n->net_open;
	n->net_open = open;
	if (store_net_update(n, &cause) == -1) {
		n->net_open = was;
		request_cause(rq, PROTO_ERR_INTERNAL, cause);
		return;
	}
	log_info("network %s: %s users", n->net_name, open ? "open to" :
	    "closed to");
	request_ok(rq, net_to_json(n, 0));
}

/*
 * net-public NAME true|false: does it reach outside addresses?  Not
 * while a VM runs on it whose images are not cleared (a stopped one
 * is refused at its start).
 */
void
cmd_net_public(struct request *rq, json_t *args, struct vm *vm)
{
	struct net	*n;
	char		*cause = NULL;
	int		 pub = -1, was;

	(void)vm;
	if ((n = cmd_net_lookup(rq, args)) == NULL)
		return;
	if (proto_arg_bool(args, "public", &pub, &cause) == -1 || pub == -1) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "%s", pub == -1 &&
		    cause == NULL ? "argument \"public\" (true or false) is "
		    "required" : cause);
		free(cause);
		return;
	}
	if (pub && !n->net_public &&
	    public_net_check(n, request_caller(rq), &cause) == -1) {
		request_cause(rq, PROTO_ERR_BAD_STATE, cause);
		return;
	}
	was = n->net_public;
	n->net_public = pub;
	if (store_net_update(n, &cause) == -1) {
		n->net_public = was;
		request_cause(rq, PROTO_ERR_INTERNAL, cause);
		return;
	}
	log_info("network %s: %s", n->net_name, pub ? "public (reaches "
	    "outside addresses)" : "not public");
	request_ok(rq, net_to_json(n, 0));
}

void
cmd_net_info(struct request *rq, json_t *args, struct vm *vm)
{
	struct net	*n;

	(void)vm;
	if ((n = cmd_net_lookup(rq, args)) != NULL)
		request_ok(rq, net_to_json(n, 1));
}

void
cmd_net_start(struct request *rq, json_t *args, struct vm *vm)
{
	struct net	*n;
	char		*cause;

	(void)vm;
	if ((n = cmd_net_lookup(rq, args)) == NULL)
		return;
	if (net_start(n, &cause) == -1) {
		request_error(rq, PROTO_ERR_FAILED, "network %s: %s",
		    n->net_name, cause);
		free(cause);
		return;
	}
	request_ok(rq, net_to_json(n, 0));
}

void
cmd_net_stop(struct request *rq, json_t *args, struct vm *vm)
{
	struct net	*n;

	(void)vm;
	if ((n = cmd_net_lookup(rq, args)) != NULL && !cmd_net_down(rq, n, 1))
		request_ok(rq, net_to_json(n, 0));
}

void
cmd_net_leases(struct request *rq, json_t *args, struct vm *vm)
{
	struct net	*n;
	json_t		*a;
	char		*cause;

	(void)vm;
	if ((n = cmd_net_lookup(rq, args)) == NULL)
		return;
	if ((a = net_leases(n, &cause)) == NULL) {
		request_cause(rq, PROTO_ERR_BAD_STATE, cause);
		return;
	}
	request_ok(rq, a);
}
