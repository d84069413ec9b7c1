/*
 * vm-nic.c: a NIC added to a VM (nic-add) or taken from it
 * (nic-remove).  A new NIC is checked as create checks --net (a
 * network the caller may use, a MAC no other VM has: create.c) and
 * takes the lowest free slot.  A VM without a qemu has its definition
 * changed; one with a qemu gets the NIC live, as its start would have
 * given it: a tap made on the network's bridge (net.c), handed to qemu
 * (getfd), a tap netdev on it (netdev_add), then the device on its
 * slot's port (device_add); a step that fails undoes the ones before
 * it.  A NIC taken out of a running qemu is first let go by the guest
 * (device_del, waited for: vm-plug.c), then its netdev, and the tap
 * goes with qemu's descriptor.  The VM's job covers it all; the
 * definition and a "nic" event are one write, before the reply; the
 * networks' DHCP and DNS hear of it after (net-dhcp.c).  A NIC's rate
 * (set --nic-limit) changes in the definition, and on its tap at once
 * (net.c) when qemu holds one, before the write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"

struct nic_plug {
	struct vm	*np_vm;
	int64_t		 np_actor;
	fws_done_fn	 np_fn;
	void		*np_arg;
	struct vm_nic	 np_nic;	/* the one added, or removed */
	int		 np_index;	/* its place in the list */
	int		 np_live;	/* a qemu has (had) it */
	char		*np_err;	/* why a live add is being undone */
};

static void
nic_plug_free(struct nic_plug *np)
{
	vm_job_end(np->np_vm, np);
	free(np->np_err);
	free(np);
}

/* Refused, or failed with nothing changed: why. */
static void
nic_plug_fail(struct nic_plug *np, enum fws_err err, const char *why)
{
	char	*s;

	s = xasprintf("%s: %s", np->np_vm->vm_name, why);
	np->np_fn(np->np_arg, err, s, NULL);
	free(s);
	nic_plug_free(np);
}

/* Refused before anything is done: fn hears why (freed). */
static void
nic_refuse(fws_done_fn fn, void *arg, enum fws_err err, char *why)
{
	fn(arg, err, why, NULL);
	free(why);
}

static json_t *
nic_plug_result(struct nic_plug *np)
{
	struct vm	*vm = np->np_vm;

	return json_pack("{ss sI si ss ss so sb}", "name", vm->vm_name,
	    "owner", (json_int_t)vm->vm_owner, "nic", np->np_index, "network",
	    np->np_nic.n_net, "mac", np->np_nic.n_mac, "rate",
	    np->np_nic.n_rate > 0 ? json_integer((json_int_t)np->np_nic.n_rate) :
	    json_null(), "live", np->np_live);
}

/* The definition and its event, one write; -1 and why when not kept. */
static int
nic_plug_store(struct nic_plug *np, const char *what, char **cause)
{
	char	 r[32], rb[16];

	if (np->np_nic.n_rate > 0)
		snprintf(r, sizeof(r), ", rate %s", format_rate(
		    np->np_nic.n_rate, rb, sizeof(rb)));
	else
		r[0] = '\0';
	return plug_record(np->np_vm, np->np_actor, "nic", cause,
	    "NIC %s %s: network %s%s%s", np->np_nic.n_mac, what,
	    np->np_nic.n_net, r, np->np_live ? ", live" : "");
}

/* The NIC is in the VM (and in its qemu, if it runs): record it. */
static void
nic_add_done(struct nic_plug *np)
{
	struct vm	*vm = np->np_vm;
	char		*cause, *why;

	np->np_index = vm->vm_nnics;
	vm->vm_nics[vm->vm_nnics++] = np->np_nic;
	if (nic_plug_store(np, "added", &cause) == -1) {
		vm->vm_nnics--;
		memset(&vm->vm_nics[vm->vm_nnics], 0, sizeof(np->np_nic));
		vm->vm_nics[vm->vm_nnics].n_slot = vm->vm_nnics;
		log_warnx("%s: NIC not recorded: %s", vm->vm_name, cause);
		if (np->np_live)
			/* the guest has it until qemu ends: say so */
			why = xasprintf("the NIC is in the running guest, but "
			    "the store did not take it: %s", cause);
		else
			why = xasprintf("the store did not take the NIC: %s",
			    cause);
		nic_plug_fail(np, FWS_ERR_INTERNAL, why);
		free(why);
		free(cause);
		return;
	}
	net_dhcp_sync();	/* its address and name on the network */
	np->np_fn(np->np_arg, FWS_OK, NULL, nic_plug_result(np));
	nic_plug_free(np);
}

static void
nic_add_undone(struct vm *vm, json_t *results, const char *err, void *arg)
{
	struct nic_plug	*np = arg;

	(void)results;
	net_vm_untap(vm, np->np_nic.n_slot);	/* its tap goes with qemu's fd */
	if (err != NULL)
		log_warnx("%s: a NIC that failed to plug stays in part in "
		    "qemu: %s", vm->vm_name, err);
	nic_plug_fail(np, FWS_ERR_FAILED, np->np_err);
}

/* qemu's steps are over: recorded, or what was made undone. */
static void
nic_add_plugged(struct vm *vm, json_t *results, const char *err, void *arg)
{
	struct nic_plug	*np = arg;
	json_t		*undo;
	size_t		 made = json_array_size(results);
	char		 netdev[32], fdname[32];

	snprintf(netdev, sizeof(netdev), "net%d", np->np_nic.n_slot);
	snprintf(fdname, sizeof(fdname), "fws-net%d", np->np_nic.n_slot);

	if (err == NULL) {
		nic_add_done(np);
		return;
	}
	if (strcmp(err, PLUG_GONE) == 0) {
		net_vm_untap(vm, np->np_nic.n_slot);
		nic_plug_fail(np, FWS_ERR_FAILED, err);
		return;
	}
	/* getfd, netdev_add, device_add: undo what was made, last first */
	undo = json_array();
	if (made >= 2)
		json_array_append_new(undo, plug_cmd("netdev_del",
		    json_pack("{ss}", "id", netdev)));
	else if (made == 1)
		json_array_append_new(undo, plug_cmd("closefd",
		    json_pack("{ss}", "fdname", fdname)));
	if (json_array_size(undo) > 0)
		json_object_set_new(json_array_get(undo, 0), "may_fail",
		    json_true());
	np->np_err = xasprintf("%s", err);
	plug_run(vm, undo, NULL, 0, nic_add_undone, np);
}

/*
 * Live: the tap made as a start makes it, handed to qemu, a netdev on
 * it, and the device with the id, port and MAC a start gives the slot.
 */
static void
nic_add_live(struct nic_plug *np)
{
	struct vm	*vm = np->np_vm;
	struct vm_nic	*nic = &np->np_nic;
	json_t		*steps, *o;
	char		*why, *port, netdev[32], fdname[32], id[32];
	int		 fd;

	snprintf(netdev, sizeof(netdev), "net%d", nic->n_slot);
	snprintf(fdname, sizeof(fdname), "fws-net%d", nic->n_slot);
	snprintf(id, sizeof(id), "nic%d", nic->n_slot);
	np->np_live = 1;
	if (net_vm_tap(vm, nic, &fd, &why) == -1) {
		nic_plug_fail(np, FWS_ERR_FAILED, why);
		free(why);
		return;
	}
	steps = json_array();
	json_array_append_new(steps, json_pack("{ss s{ss} si}", "execute",
	    "getfd", "arguments", "fdname", fdname, "fd", 0));
	json_array_append_new(steps, plug_cmd("netdev_add", json_pack(
	    "{ss ss ss}", "type", "tap", "id", netdev, "fd", fdname)));
	o = json_pack("{ss ss ss ss}", "driver", "virtio-net-pci", "netdev",
	    netdev, "mac", nic->n_mac, "id", id);
	if ((port = vm_qemu_port(conf.cf_machine, "nic", nic->n_slot)) != NULL)
		json_object_set_new(o, "bus", json_string(port));
	free(port);
	json_array_append_new(steps, plug_cmd("device_add", o));
	/* the descriptor is plug_run's now */
	plug_run(vm, steps, &fd, 1, nic_add_plugged, np);
}

/* The lowest slot none of vm's NICs has. */
static int
nic_free_slot(const struct vm *vm)
{
	int	 slot, i;

	for (slot = 0; slot < FWS_NICS_MAX; slot++) {
		for (i = 0; i < vm->vm_nnics; i++)
			if (vm->vm_nics[i].n_slot == slot)
				break;
		if (i == vm->vm_nnics)
			return slot;
	}
	return -1;
}

/* vm's NIC with mac, -1 for none. */
static int
nic_find(const struct vm *vm, const char *mac)
{
	int	 i;

	for (i = 0; i < vm->vm_nnics; i++)
		if (strcasecmp(vm->vm_nics[i].n_mac, mac) == 0)
			return i;
	return -1;
}

/*
 * The new NIC's MAC: the one asked for (valid, no NIC's and no other
 * VM's), or for a VM without NICs its own MAC (NIC 0's, as create gives
 * it), or a random one.
 */
static int
nic_mac(const struct caller *ca, const struct vm *vm, const char *mac,
    struct vm_nic *nic, enum fws_err *err, char **cause)
{
	*err = FWS_ERR_INVALID;
	if (mac == NULL) {
		if (vm->vm_nnics == 0)
			snprintf(nic->n_mac, sizeof(nic->n_mac), "%s",
			    vm->vm_mac);
		else
			create_random_mac(nic->n_mac, sizeof(nic->n_mac));
		return 0;
	}
	if (validate_mac(mac, cause) == -1)
		return -1;
	*err = FWS_ERR_EXISTS;
	if (nic_find(vm, mac) != -1)
		return cause_fail(cause, "%s has a NIC with MAC address %s "
		    "already", vm->vm_name, mac);
	if (create_mac_free(ca, vm, mac, cause) == -2)
		return -1;
	snprintf(nic->n_mac, sizeof(nic->n_mac), "%s", mac);
	return 0;
}

/*
 * Add a NIC on network net to vm for ca, with MAC mac (NULL: one is
 * made), at most rate bit/s each way (0: none asked, which under the
 * owner's ceiling is what is left of it).  fn(arg, FWS_OK, NULL, {name,
 * owner, nic, network, mac, rate, live}) once it is there and recorded,
 * or the core's error and why.
 */
void
vm_nic_add(struct vm *vm, const struct caller *ca, const char *net,
    const char *mac, uint64_t rate, fws_done_fn fn, void *arg)
{
	struct nic_plug	*np;
	struct vm_nic	 nic;
	enum fws_err	 err;
	char		*why;

	if (vm_check(vm, EV_NIC, &err, &why) == -1) {
		nic_refuse(fn, arg, err, why);
		return;
	}
	if (vm->vm_nnics >= FWS_NICS_MAX) {
		nic_refuse(fn, arg, FWS_ERR_INVALID, xasprintf("%s has %d "
		    "NICs, the most a VM may have", vm->vm_name,
		    FWS_NICS_MAX));
		return;
	}
	memset(&nic, 0, sizeof(nic));
	if (create_nic_net(ca, net, &why) == -1) {
		nic_refuse(fn, arg, FWS_ERR_INVALID, why);
		return;
	}
	if (public_check(vm, net, NULL, 0, &why) == -1) {
		nic_refuse(fn, arg, FWS_ERR_PERMISSION, why);
		return;
	}
	snprintf(nic.n_net, sizeof(nic.n_net), "%s", net);
	if (nic_mac(ca, vm, mac, &nic, &err, &why) == -1) {
		nic_refuse(fn, arg, err, why);
		return;
	}
	if (quota_net_rate(ca, vm, -1, rate, &nic.n_rate, &err, &why) == -1) {
		nic_refuse(fn, arg, err, why);
		return;
	}
	nic.n_slot = nic_free_slot(vm);
	if ((np = calloc(1, sizeof(*np))) == NULL)
		abort();
	np->np_vm = vm;
	np->np_actor = ca->ca_uid;
	np->np_fn = fn;
	np->np_arg = arg;
	np->np_nic = nic;
	if (vm_job_begin(vm, JOB_NIC, ca->ca_uid, np, &err, &why) == -1) {
		free(np);
		nic_refuse(fn, arg, err, why);
		return;
	}
	if (vm_is_active(vm))
		nic_add_live(np);
	else
		nic_add_done(np);
}

/* Out of the definition: recorded, then the networks told. */
static void
nic_remove_done(struct nic_plug *np)
{
	struct vm	*vm = np->np_vm;
	char		*cause, *why;
	int		 i, n = vm->vm_nnics;

	memmove(&vm->vm_nics[np->np_index], &vm->vm_nics[np->np_index + 1],
	    (n - np->np_index - 1) * sizeof(np->np_nic));
	vm->vm_nnics--;
	memset(&vm->vm_nics[vm->vm_nnics], 0, sizeof(np->np_nic));
	/* no qemu knows the slots: number them as they are listed again */
	for (i = 0; i < FWS_NICS_MAX; i++)
		if (!vm_is_active(vm) || i >= vm->vm_nnics)
			vm->vm_nics[i].n_slot = i;
	if (nic_plug_store(np, "removed", &cause) == -1) {
		log_warnx("%s: NIC %s removed, not recorded: %s", vm->vm_name,
		    np->np_nic.n_mac, cause);
		why = xasprintf("%s: NIC %s was taken out, but the store did "
		    "not take it: %s", vm->vm_name, np->np_nic.n_mac, cause);
		np->np_fn(np->np_arg, FWS_ERR_INTERNAL, why, NULL);
		free(why);
		free(cause);
		nic_plug_free(np);
		return;
	}
	net_dhcp_sync();
	np->np_fn(np->np_arg, FWS_OK, NULL, nic_plug_result(np));
	nic_plug_free(np);
}

static void
nic_remove_freed(struct vm *vm, json_t *results, const char *err, void *arg)
{
	struct nic_plug	*np = arg;

	(void)results;
	/* the tap went with the netdev: the IFB that shaped it goes too */
	net_vm_untap(vm, np->np_nic.n_slot);
	if (err != NULL && strcmp(err, PLUG_GONE) != 0)
		log_warnx("%s: a removed NIC's netdev stays in qemu: %s",
		    vm->vm_name, err);
	nic_remove_done(np);
}

/* The guest let it go: its netdev, whose end closes the tap. */
static void
nic_remove_unplugged(struct vm *vm, json_t *results, const char *err,
    void *arg)
{
	struct nic_plug	*np = arg;
	char		 netdev[32];

	(void)results;
	if (err != NULL) {
		nic_plug_fail(np, FWS_ERR_FAILED, err);
		return;
	}
	snprintf(netdev, sizeof(netdev), "net%d", np->np_nic.n_slot);
	plug_run(vm, json_pack("[o]", plug_cmd("netdev_del",
	    json_pack("{ss}", "id", netdev))), NULL, 0, nic_remove_freed, np);
}

/*
 * Take vm's NIC with MAC mac away for ca: fn(arg, FWS_OK, NULL, {name,
 * owner, nic, network, mac, live}) once it is out and recorded, or the
 * core's error and why.
 */
void
vm_nic_remove(struct vm *vm, const struct caller *ca, const char *mac,
    fws_done_fn fn, void *arg)
{
	struct nic_plug	*np;
	enum fws_err	 err;
	char		 id[32], *why;
	int		 idx;

	if (vm_check(vm, EV_NIC, &err, &why) == -1) {
		nic_refuse(fn, arg, err, why);
		return;
	}
	if (validate_mac(mac, &why) == -1) {
		nic_refuse(fn, arg, FWS_ERR_INVALID, why);
		return;
	}
	if ((idx = nic_find(vm, mac)) == -1) {
		nic_refuse(fn, arg, FWS_ERR_NOT_FOUND, xasprintf("%s has no "
		    "NIC with MAC address %s (fwsctl info)", vm->vm_name,
		    mac));
		return;
	}
	if ((np = calloc(1, sizeof(*np))) == NULL)
		abort();
	np->np_vm = vm;
	np->np_actor = ca->ca_uid;
	np->np_fn = fn;
	np->np_arg = arg;
	np->np_index = idx;
	np->np_nic = vm->vm_nics[idx];
	if (vm_job_begin(vm, JOB_NIC, ca->ca_uid, np, &err, &why) == -1) {
		free(np);
		nic_refuse(fn, arg, err, why);
		return;
	}
	if (!vm_is_active(vm)) {
		nic_remove_done(np);
		return;
	}
	np->np_live = 1;
	snprintf(id, sizeof(id), "nic%d", np->np_nic.n_slot);
	plug_unplug(vm, id, nic_remove_unplugged, np);
}

/* The words of a rate in an event or a reply: "10Mbit", "none". */
static const char *
nic_rate_words(uint64_t rate, char *buf, size_t len)
{
	if (rate == 0)
		return "none";
	return format_rate(rate, buf, len);
}

/*
 * Limit vm's NIC idx (its place in info's list) to rate bit/s each way
 * (0: no limit, which under the owner's ceiling is what is left of it),
 * for ca: in the definition, and on its tap at once when qemu holds it.
 * fn(arg, FWS_OK, NULL, {name, owner, changed: ["nic_rate"] or [], nic,
 * mac, rate, live}) once recorded, or the core's error and why, nothing
 * changed.
 */
void
vm_nic_limit(struct vm *vm, const struct caller *ca, int idx, uint64_t rate,
    fws_done_fn fn, void *arg)
{
	struct vm_nic	*nic;
	enum fws_err	 err;
	uint64_t	 was;
	char		 a[16], b[16], *why, *cause;
	int		 live;
	json_t		*changed;

	if (vm->vm_job.j_kind == JOB_NIC) {
		nic_refuse(fn, arg, FWS_ERR_BUSY, xasprintf("%s is busy: a NIC "
		    "is being added or removed", vm->vm_name));
		return;
	}
	if (idx < 0 || idx >= vm->vm_nnics) {
		nic_refuse(fn, arg, FWS_ERR_INVALID, vm->vm_nnics == 0 ?
		    xasprintf("%s has no NIC", vm->vm_name) :
		    xasprintf("%s has no NIC %d: its NICs are 0 to %d (fwsctl "
		    "info)", vm->vm_name, idx, vm->vm_nnics - 1));
		return;
	}
	nic = &vm->vm_nics[idx];
	if (quota_net_rate(ca, vm, idx, rate, &rate, &err, &why) == -1) {
		nic_refuse(fn, arg, err, why);
		return;
	}
	was = nic->n_rate;
	live = vm_is_active(vm) && net_vm_has_tap(vm, nic->n_slot);
	changed = json_array();
	if (rate != was) {
		nic->n_rate = rate;
		if (live && net_vm_shape(vm, nic, &why) == -1) {
			nic->n_rate = was;
			if (net_vm_shape(vm, nic, &cause) == -1) {
				log_warnx("%s: NIC %d: %s", vm->vm_name, idx,
				    cause);
				free(cause);
			}
			json_decref(changed);
			nic_refuse(fn, arg, FWS_ERR_FAILED, why);
			return;
		}
		if (store_begin(&cause) == -1)
			goto unwritten;
		if (store_nic_update_rate(vm, idx, &cause) == -1) {
			store_rollback();
			goto unwritten;
		}
		event_record_by(vm, ca->ca_uid, "changed", "NIC %d (%s) rate "
		    "%s -> %s%s", idx, nic->n_mac, nic_rate_words(was, a,
		    sizeof(a)), nic_rate_words(rate, b, sizeof(b)), live ?
		    ", live" : "");
		if (store_commit(&cause) == -1)
			goto unwritten;
		log_info("%s: NIC %d rate %s -> %s by uid %u%s", vm->vm_name,
		    idx, nic_rate_words(was, a, sizeof(a)), nic_rate_words(rate,
		    b, sizeof(b)), (unsigned)ca->ca_uid, live ? ", live" : "");
		json_array_append_new(changed, json_string("nic_rate"));
	}
	fn(arg, FWS_OK, NULL, json_pack("{ss sI so si ss so sb}", "name",
	    vm->vm_name, "owner", (json_int_t)vm->vm_owner, "changed", changed,
	    "nic", idx, "mac", nic->n_mac, "rate", rate > 0 ?
	    json_integer((json_int_t)rate) : json_null(), "live", live));
	return;

unwritten:
	/* nothing kept: the rate as it was, on the tap too */
	nic->n_rate = was;
	if (live && net_vm_shape(vm, nic, &why) == -1) {
		log_warnx("%s: NIC %d: %s", vm->vm_name, idx, why);
		free(why);
	}
	json_decref(changed);
	nic_refuse(fn, arg, FWS_ERR_INTERNAL, cause);
}
