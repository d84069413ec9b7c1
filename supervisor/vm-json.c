/*
 * vm-json.c: a VM as list and info show it to its owner and the admins:
 * its definition, state, job, loan and each NIC's addresses.
 */
#include <stdlib.h>

#include "fws.h"

/*
 * NIC i's addresses: what the guest agent said of the NIC (by its MAC),
 * else what the network's DHCP leased to it; none while the VM has no
 * qemu.  *from says which.  The leases are as net_lease_refresh last
 * read them.
 */
static json_t *
vm_nic_addresses(const struct vm *vm, int i, const char **from)
{
	const struct net	*n;
	json_t			*a;

	*from = NULL;
	if (!vm_is_active(vm))
		return json_array();
	if ((a = agent_addresses(vm, vm->vm_nics[i].n_mac)) != NULL &&
	    json_array_size(a) > 0) {
		*from = "agent";
		return a;
	}
	json_decref(a);
	a = json_array();
	if ((n = net_find(vm->vm_nics[i].n_net)) != NULL &&
	    net_lease_addresses(n, vm->vm_nics[i].n_mac, a) > 0)
		*from = "dhcp";
	return a;
}

/* info's "job": {kind, since, progress, step}, or null. */
json_t *
vm_job_json(const struct vm *vm)
{
	const struct vm_job *j = &vm->vm_job;

	if (j->j_kind == JOB_NONE)
		return json_null();
	return json_pack("{ss sI so so}", "kind", vm_job_name(j->j_kind),
	    "since", (json_int_t)j->j_since, "progress", j->j_percent >= 0 ?
	    json_integer(j->j_percent) : json_null(), "step", j->j_step ?
	    json_string(j->j_step) : json_null());
}

/*
 * A VM as list shows it (with each NIC's addresses, all together), or
 * with full as info does.  Only the VM's owner and admins get here.
 */
json_t *
vm_to_json(const struct vm *vm, int full)
{
	json_t		*o, *disks, *nics, *all, *a[FWS_NICS_MAX], *v;
	const char	*from[FWS_NICS_MAX];
	char		*p, tap[FWS_IFNAME_MAX + 1];
	size_t		 k, m;
	int		 i;

	o = json_pack("{ss ss ss si sI sI}", "name", vm->vm_name, "uuid",
	    vm->vm_uuid, "state", vm_state_name(vm->vm_state), "vcpus",
	    (int)vm->vm_vcpus, "memory_mib", (json_int_t)vm->vm_memory_mib,
	    "owner", (json_int_t)vm->vm_owner);
	json_object_set_new(o, "pid", vm->vm_pid > 0 ?
	    json_integer(vm->vm_pid) : json_null());
	loan_json_add(o, vm, full);
	all = json_array();
	for (i = 0; i < vm->vm_nnics; i++) {
		a[i] = vm_nic_addresses(vm, i, &from[i]);
		json_array_foreach(a[i], k, v) {
			for (m = 0; m < json_array_size(all); m++)
				if (json_equal(json_array_get(all, m), v))
					break;
			if (m == json_array_size(all))
				json_array_append(all, v);
		}
	}
	json_object_set_new(o, "addresses", all);
	if (!full) {
		for (i = 0; i < vm->vm_nnics; i++)
			json_decref(a[i]);
		return o;
	}
	json_object_set_new(o, "mac", json_string(vm->vm_mac));
	json_object_set_new(o, "qemu_uid", json_integer(
	    access_qemu_uid(vm->vm_qemu_uid)));
	disks = json_array();
	for (i = 0; i < vm->vm_ndisks; i++) {
		v = json_pack("{ss ss sI sb sb}",
		    "path", vm->vm_disks[i].d_path,
		    "format", vm->vm_disks[i].d_format,
		    "size", (json_int_t)vm->vm_disks[i].d_size,
		    "owned", vm->vm_disks[i].d_owned,
		    "readonly", vm->vm_disks[i].d_readonly);
		disk_io_to_json(v, &vm->vm_disks[i].d_io);
		json_array_append_new(disks, v);
	}
	json_object_set_new(o, "disks", disks);
	nics = json_array();
	for (i = 0; i < vm->vm_nnics; i++) {
		if (vm_tap_name(vm, i, tap, sizeof(tap)) == -1)
			tap[0] = '\0';
		json_array_append_new(nics, json_pack("{ss ss ss so so so so "
		    "so}", "network", vm->vm_nics[i].n_net, "mac",
		    vm->vm_nics[i].n_mac, "tap", tap, "rate",
		    vm->vm_nics[i].n_rate > 0 ? json_integer(
		    (json_int_t)vm->vm_nics[i].n_rate) : json_null(),
		    "addresses", a[i],
		    "addresses_from", from[i] != NULL ? json_string(from[i]) :
		    json_null(), "hostname", vm->vm_nics[i].n_dns[0] != '\0' ?
		    json_string(vm->vm_nics[i].n_dns) : json_null(),
		    "dns_name", net_dns_fqdn(net_find(vm->vm_nics[i].n_net),
		    vm->vm_nics[i].n_dns)));
	}
	json_object_set_new(o, "nics", nics);
	p = vm_file(vm, "console.log");
	json_object_set_new(o, "serial_log", json_string(p));
	free(p);
	p = vm_file(vm, "qemu.log");
	json_object_set_new(o, "qemu_log", json_string(p));
	free(p);
	json_object_set_new(o, "restart",
	    json_string(vm_restart_name(vm->vm_restart)));
	json_object_set_new(o, "display",
	    json_string(vm_display_name(vm->vm_display)));
	json_object_set_new(o, "iso", vm->vm_iso ? json_string(vm->vm_iso) :
	    json_null());
	json_object_set_new(o, "kernel", vm->vm_kernel ?
	    json_string(vm->vm_kernel) : json_null());
	json_object_set_new(o, "initrd", vm->vm_initrd ?
	    json_string(vm->vm_initrd) : json_null());
	json_object_set_new(o, "append", vm->vm_append ?
	    json_string(vm->vm_append) : json_null());
	json_object_set_new(o, "created", json_integer(vm->vm_created));
	json_object_set_new(o, "last_exit", vm->vm_last_exit ?
	    json_string(vm->vm_last_exit) : json_null());
	json_object_set_new(o, "last_exit_time", vm->vm_last_exit_time ?
	    json_integer(vm->vm_last_exit_time) : json_null());
	json_object_set_new(o, "autostart", json_boolean(vm->vm_autostart));
	json_object_set_new(o, "restarts", json_integer(vm->vm_restarts));
	json_object_set_new(o, "next_restart", vm->vm_job.j_kind ==
	    JOB_RESTART ? json_integer(vm->vm_job.j_due) : json_null());
	json_object_set_new(o, "job", vm_job_json(vm));
	json_object_set_new(o, "pending", vm_pending_json(vm));
	json_object_set_new(o, "saved", vm->vm_state == VM_SAVED ?
	    vm_saved_json(vm) : json_null());
	/* its last migration: under way, or its figures */
	json_object_set_new(o, "migration", vm->vm_migration != NULL ?
	    json_deep_copy(vm->vm_migration) : json_null());
	json_object_set_new(o, "pins", vm->vm_pins != NULL &&
	    json_object_size(vm->vm_pins) > 0 ? json_deep_copy(vm->vm_pins) :
	    json_null());
	/* what its cloud-init seed gives: never the content itself */
	json_object_set_new(o, "seed", seed_summary(vm->vm_seed));
	json_object_set_new(o, "balloon_mib", vm->vm_balloon_mib > 0 ?
	    json_integer((json_int_t)vm->vm_balloon_mib) : json_null());
	json_object_set_new(o, "limits", cgroup_vm_json(vm));
	return o;
}

