/*
 * net.c: networks.  A network is a bridge (made by fwsd, or an existing
 * one it finds), optionally with the host's address on it, an uplink
 * enslaved into it, NAT out of the host (net-nat.c) and a DHCP server
 * (net-dhcp.c).  VMs join networks through taps: net_vm_taps() makes a
 * VM's taps (netsetup/) when its qemu starts, net_vm_tap() one more
 * for a NIC plugged in live; they vanish with the qemu (or its
 * netdev), which holds their only descriptors.  A NIC with a rate has
 * its tap shaped both ways (netsetup/shape.c), through an IFB named
 * after the tap ("fwi" for "fws") that does not vanish with it: it is
 * deleted when the tap goes (net_vm_untap), and any left from before
 * fwsd's start with no tap is swept away.  The store keeps the
 * definitions; which networks are up is a run-time fact, rebuilt at
 * start-up for autostart networks (every step is idempotent).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"
#include "netsetup.h"

_Static_assert(FWS_NET_RATE_MAX <= NS_SHAPE_RATE_MAX,
    "a NIC's highest rate must be one netsetup can set");

/* A VM with a NIC on the network (only running ones with active). */
int
net_in_use(const struct net *n, int active, const struct vm **vmp)
{
	const struct vm	*vm;
	int		 i;

	TAILQ_FOREACH(vm, &vms, vm_entry) {
		if (active && !vm_is_active(vm))
			continue;
		for (i = 0; i < vm->vm_nnics; i++)
			if (strcmp(vm->vm_nics[i].n_net, n->net_name) == 0) {
				if (vmp != NULL)
					*vmp = vm;
				return 1;
			}
	}
	return 0;
}

json_t *
net_to_json(const struct net *n, int full)
{
	const struct vm	*vm;
	json_t		*o, *a;
	int		 i;

	o = json_pack("{ss ss sb sb sb sb sb}", "name", n->net_name, "bridge",
	    n->net_bridge, "nat", n->net_nat, "autostart", n->net_autostart,
	    "active", n->net_active, "open", n->net_open, "public",
	    n->net_public);
	json_object_set_new(o, "uplink", n->net_uplink ?
	    json_string(n->net_uplink) : json_null());
	json_object_set_new(o, "address", n->net_address ?
	    json_string(n->net_address) : json_null());
	json_object_set_new(o, "dhcp", n->net_dhcp_start ? json_pack(
	    "{ss ss}", "start", n->net_dhcp_start, "end", n->net_dhcp_end) :
	    json_null());
	json_object_set_new(o, "dns", net_dns_to_json(n));
	if (!full)
		return o;
	json_object_set_new(o, "dhcp_pid", n->net_dhcpd_pid > 0 ?
	    json_integer(n->net_dhcpd_pid) : json_null());
	json_object_set_new(o, "bridge_made", json_boolean(n->net_bridge_made));
	json_object_set_new(o, "created", json_integer(n->net_created));
	a = json_array();
	TAILQ_FOREACH(vm, &vms, vm_entry)
		for (i = 0; i < vm->vm_nnics; i++)
			if (strcmp(vm->vm_nics[i].n_net, n->net_name) == 0)
				json_array_append_new(a, json_pack("{ss sI ss "
				    "so so}", "vm", vm->vm_name, "owner",
				    (json_int_t)vm->vm_owner, "mac",
				    vm->vm_nics[i].n_mac, "hostname",
				    vm->vm_nics[i].n_dns[0] != '\0' ?
				    json_string(vm->vm_nics[i].n_dns) :
				    json_null(), "dns_name", net_dns_fqdn(n,
				    vm->vm_nics[i].n_dns)));
	json_object_set_new(o, "nics", a);
	return o;
}

/*
 * Bring the network up: bridge, address, uplink, NAT, DHCP.  Each step
 * leaves what is already right alone, so this also repairs a network
 * after a restart of fwsd.
 */
int
net_start(struct net *n, char **cause)
{
	struct in_addr	 in;
	char		*c2, mac[18];
	int		 existed, len;

	existed = ns_link_exists(n->net_bridge);
	/* fe:54: + CRC32 of the bridge's name: stable, never a guest's */
	mac_from_name(n->net_bridge, mac, sizeof(mac));
	mac[0] = 'f';
	mac[1] = 'e';
	if (ns_bridge_create(n->net_bridge, mac, cause) == -1)
		goto fail;
	if (!existed && !n->net_bridge_made) {
		n->net_bridge_made = 1;
		if (store_net_update(n, &c2) == -1) {
			log_warnx("network %s: %s", n->net_name, c2);
			free(c2);
		}
	}
	if (n->net_address != NULL &&
	    (validate_cidr(n->net_address, &in, &len, cause) == -1 ||
	    ns_addr_add(n->net_bridge, &in, len, cause) == -1))
		goto fail;
	if (n->net_uplink != NULL &&
	    (ns_link_set_master(n->net_uplink, n->net_bridge, cause) == -1 ||
	    ns_link_set_up(n->net_uplink, 1, cause) == -1))
		goto fail;
	if (ns_link_set_up(n->net_bridge, 1, cause) == -1)
		goto fail;
	n->net_active = 1;
	if (n->net_nat && net_nat_add(n, cause) == -1)
		goto fail;
	if (net_dhcp_start(n, cause) == -1)
		goto fail;
	log_info("network %s: up on bridge %s%s%s", n->net_name,
	    n->net_bridge, n->net_nat ? ", NAT" : "",
	    n->net_dhcp_start ? ", DHCP" : "");
	return 0;
fail:
	n->net_active = 0;
	net_dhcp_stop(n);
	return -1;
}

/* Take the network down; the caller checked no running VM uses it. */
int
net_stop(struct net *n, char **cause)
{
	int	 rc = 0;

	net_dhcp_stop(n);
	if (n->net_nat && net_nat_remove(n, cause) == -1)
		rc = -1;
	if (n->net_uplink != NULL && ns_link_exists(n->net_uplink)) {
		char	*c2;

		if (ns_link_set_master(n->net_uplink, NULL, &c2) == -1) {
			log_warnx("network %s: %s", n->net_name, c2);
			free(c2);
		}
	}
	/* a bridge the operator made stays; ours goes */
	if (rc == 0 && n->net_bridge_made &&
	    ns_link_delete(n->net_bridge, cause) == -1)
		rc = -1;
	n->net_active = 0;
	if (rc == 0)
		log_info("network %s: down", n->net_name);
	return rc;
}

void
net_autostart_all(void)
{
	struct net	*n;
	char		*cause;

	TAILQ_FOREACH(n, &nets, net_entry) {
		if (!n->net_autostart)
			continue;
		if (net_start(n, &cause) == -1) {
			log_warnx("network %s: cannot start: %s", n->net_name,
			    cause);
			free(cause);
		}
	}
}

/* fwsd is exiting: bridges, rules and dnsmasq stay for the guests. */
void
net_release_all(void)
{
	struct net	*n;

	while ((n = TAILQ_FIRST(&nets)) != NULL) {
		TAILQ_REMOVE(&nets, n, net_entry);
		net_dhcp_release(n);
		net_free(n);
	}
}

/*
 * Make the tap of nic, a NIC of vm (in its list or about to be), on its
 * network's bridge and up; *fd is the tap, to hand to qemu.  On failure
 * nothing is left open.
 */
int
net_vm_tap(struct vm *vm, const struct vm_nic *nic, int *fd,
    char **cause)
{
	struct net	*n;
	char		 tap[FWS_IFNAME_MAX + 1];

	*fd = -1;
	n = net_find(nic->n_net);
	if (n == NULL || !n->net_active)
		return cause_fail(cause, "network %s is %s", nic->n_net,
		    n == NULL ? "gone" : "not started (fwsctl net-start)");
	if (vm_slot_tap_name(vm, nic->n_slot, tap, sizeof(tap)) == -1)
		return cause_fail(cause, "no tap name for %s", vm->vm_name);
	if (ns_tap_open(tap, fd, cause) == -1)
		return -1;
	/* a new tap has no qdiscs: only a limit needs any */
	if (nic->n_rate == 0)
		net_vm_untap(vm, nic->n_slot);
	if (ns_link_set_master(tap, n->net_bridge, cause) == -1 ||
	    ns_link_set_up(tap, 1, cause) == -1 ||
	    (nic->n_rate > 0 && net_vm_shape(vm, nic, cause) == -1)) {
		close(*fd);
		*fd = -1;
		net_vm_untap(vm, nic->n_slot);
		return -1;
	}
	return 0;
}

/*
 * The rate of nic (a NIC of vm whose tap exists) on its tap, both ways,
 * or no limit (n_rate 0) with its IFB gone.
 */
int
net_vm_shape(struct vm *vm, const struct vm_nic *nic, char **cause)
{
	char	 tap[FWS_IFNAME_MAX + 1], ifb[FWS_IFNAME_MAX + 1];

	if (vm_slot_tap_name(vm, nic->n_slot, tap, sizeof(tap)) == -1 ||
	    vm_slot_ifb_name(vm, nic->n_slot, ifb, sizeof(ifb)) == -1)
		return cause_fail(cause, "no tap name for %s", vm->vm_name);
	/* an IFB may be there once it is asked for, until it is gone */
	if (nic->n_rate > 0)
		vm->vm_ifbs |= 1U << nic->n_slot;
	if (ns_shape_set(tap, ifb, nic->n_rate, cause) == -1)
		return -1;
	if (nic->n_rate == 0)
		vm->vm_ifbs &= ~(1U << nic->n_slot);
	return 0;
}

/* Is the tap of vm's slot there (a qemu holds it)? */
int
net_vm_has_tap(const struct vm *vm, int slot)
{
	char	 tap[FWS_IFNAME_MAX + 1];

	return vm_slot_tap_name(vm, slot, tap, sizeof(tap)) == 0 &&
	    ns_link_exists(tap) == 1;
}

/*
 * The tap of vm's slot is gone (with qemu, or its netdev), or going: so
 * goes the IFB that shaped it, if any.
 */
void
net_vm_untap(struct vm *vm, int slot)
{
	char	 ifb[FWS_IFNAME_MAX + 1], *cause;

	/* none made (or found at adoption) since fwsd started: none there */
	if ((vm->vm_ifbs & (1U << slot)) == 0 ||
	    vm_slot_ifb_name(vm, slot, ifb, sizeof(ifb)) == -1)
		return;
	if (ns_link_delete(ifb, &cause) == -1) {
		log_warnx("%s: %s", vm->vm_name, cause);
		free(cause);
		return;
	}
	vm->vm_ifbs &= ~(1U << slot);
}

/* Every slot's: the VM's qemu is gone (or never came). */
void
net_vm_untaps(struct vm *vm)
{
	int	 slot;

	for (slot = 0; slot < FWS_NICS_MAX; slot++)
		net_vm_untap(vm, slot);
}

/* The IFBs ns_link_list() found whose tap is not there. */
struct net_sweep {
	char	(*ns_name)[FWS_IFNAME_MAX + 1];
	size_t	 ns_n;
	size_t	 ns_cap;
};

/* Is name one of ours, fwi<id>.<slot>, as vm_slot_ifb_name() makes them? */
static int
net_ifb_ours(const char *name)
{
	size_t	 id, slot;

	if (strncmp(name, "fwi", 3) != 0)
		return 0;
	id = strspn(name + 3, "0123456789");
	if (id == 0 || name[3 + id] != '.')
		return 0;
	slot = strspn(name + 4 + id, "0123456789");
	return slot > 0 && name[4 + id + slot] == '\0';
}

static void
net_sweep_link(const char *name, const char *kind, const char *master,
    int up, void *arg)
{
	struct net_sweep *sw = arg;
	char		 tap[FWS_IFNAME_MAX + 1];

	(void)master;
	(void)up;
	if (strcmp(kind, "ifb") != 0 || !net_ifb_ours(name) ||
	    strlen(name) >= sizeof(tap))
		return;
	snprintf(tap, sizeof(tap), "fws%s", name + 3);
	if (ns_link_exists(tap) != 0)
		return;
	if (sw->ns_n == sw->ns_cap) {
		sw->ns_cap = sw->ns_cap ? sw->ns_cap * 2 : 16;
		if ((sw->ns_name = reallocarray(sw->ns_name, sw->ns_cap,
		    sizeof(*sw->ns_name))) == NULL)
			abort();
	}
	snprintf(sw->ns_name[sw->ns_n++], sizeof(*sw->ns_name), "%s", name);
}

/*
 * At start-up: IFBs of taps that are gone (their qemu died while fwsd
 * was not running, or fwsd ended between a tap's end and its IFB's).
 */
void
net_ifb_sweep(void)
{
	struct net_sweep sw = { NULL, 0, 0 };
	char		*cause;
	size_t		 i;

	if (ns_link_list(net_sweep_link, &sw, &cause) == -1) {
		log_warnx("%s: %s", __func__, cause);
		free(cause);
	}
	for (i = 0; i < sw.ns_n; i++) {
		if (ns_link_delete(sw.ns_name[i], &cause) == -1) {
			log_warnx("%s: %s", __func__, cause);
			free(cause);
		} else
			log_info("IFB %s deleted: its tap is gone",
			    sw.ns_name[i]);
	}
	free(sw.ns_name);
}

/*
 * Make the VM's taps, each on its network's bridge and up; fds[i] is
 * NIC i's tap, to hand to qemu.  On failure none is left open.
 */
int
net_vm_taps(struct vm *vm, int *fds, char **cause)
{
	int	 i, j;

	for (i = 0; i < vm->vm_nnics; i++)
		fds[i] = -1;
	for (i = 0; i < vm->vm_nnics; i++)
		if (net_vm_tap(vm, &vm->vm_nics[i], &fds[i], cause) == -1)
			goto fail;
	return 0;
fail:
	for (j = 0; j < vm->vm_nnics; j++)
		if (fds[j] != -1)
			close(fds[j]);
	return -1;
}

/*
 * After fwsd's restart: the NIC's tap has its rate (or none) still?
 * The qdiscs stay with the tap; what is missing is made again.
 */
static void
net_vm_adopt_rate(struct vm *vm, int i, const char *tap)
{
	char		 ifb[FWS_IFNAME_MAX + 1], r[32], *cause;
	uint64_t	 rate;
	int		 has;

	if (vm_slot_ifb_name(vm, vm->vm_nics[i].n_slot, ifb,
	    sizeof(ifb)) == -1)
		return;
	has = ns_shape_rate(tap, ifb, &rate);
	if (has != 0 || ns_link_exists(ifb) == 1)
		vm->vm_ifbs |= 1U << vm->vm_nics[i].n_slot;
	if ((has == 0 && vm->vm_nics[i].n_rate == 0) ||
	    (has == 1 && rate == vm->vm_nics[i].n_rate / 8 * 8))
		return;
	if (net_vm_shape(vm, &vm->vm_nics[i], &cause) == -1) {
		log_warnx("%s: NIC %d: %s", vm->vm_name, i, cause);
		free(cause);
	} else if (vm->vm_nics[i].n_rate > 0)
		log_info("%s: NIC %d: rate %s on tap %s again", vm->vm_name,
		    i, format_rate(vm->vm_nics[i].n_rate, r, sizeof(r)), tap);
	else
		log_info("%s: NIC %d: tap %s unlimited again", vm->vm_name, i,
		    tap);
}

/* After fwsd's restart: the taps qemu holds are still on their bridges? */
void
net_vm_adopt(struct vm *vm)
{
	struct net	*n;
	char		 tap[FWS_IFNAME_MAX + 1], master[FWS_IFNAME_MAX + 1];
	char		*cause;
	int		 i;

	for (i = 0; i < vm->vm_nnics; i++) {
		if ((n = net_find(vm->vm_nics[i].n_net)) == NULL ||
		    vm_tap_name(vm, i, tap, sizeof(tap)) == -1)
			continue;
		if (!ns_link_exists(tap)) {
			log_warnx("%s: tap %s is gone: NIC %d has no link",
			    vm->vm_name, tap, i);
			continue;
		}
		net_vm_adopt_rate(vm, i, tap);
		if (ns_link_master(tap, master, sizeof(master)) == 0 &&
		    strcmp(master, n->net_bridge) == 0)
			continue;
		if (ns_link_set_master(tap, n->net_bridge, &cause) == -1 ||
		    ns_link_set_up(tap, 1, &cause) == -1) {
			log_warnx("%s: %s", vm->vm_name, cause);
			free(cause);
		} else
			log_info("%s: tap %s back on bridge %s", vm->vm_name,
			    tap, n->net_bridge);
	}
}
