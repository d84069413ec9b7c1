/*
 * vm-dump.c: a VM's definition as JSON that travels to another host
 * ("fws_definition": FWS_DEF_VERSION): everything create and set took,
 * as the VM's next start will have it (pending sizes and boot files
 * taken), its cloud-init seed's content (the owner's keys, password hash
 * or user-data: seed.c), and nothing of its run (state, pid, restarts,
 * VNC).  A disk that is a qcow2 overlay on an image says which, by the
 * image's name, so that another host can make the overlay again on its
 * own copy.
 * Reading it back is vm-define.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "fws.h"

/* A qcow2 disk's backing image: {image: NAME|null, path, format}, or null. */
static json_t *
vm_dump_backing(const struct vm *vm, const struct vm_disk *d)
{
	struct image_chain	 ic;
	struct image_layer	*l;
	char			*dirs[FWS_IMAGE_DIRS_MAX + 1], *why = NULL;
	char			 name[FWS_NAME_MAX + 1];
	json_t			*o = json_null();
	int			 n;

	if (strcmp(d->d_format, "qcow2") != 0)
		return o;
	n = image_base_dirs(vm->vm_owner, dirs);
	if (image_chain_open(d->d_path, d->d_format, dirs, n, &ic,
	    &why) == 0 && ic.ic_n > 1) {
		l = &ic.ic_layer[1];
		o = json_pack("{so ss ss}", "image", image_disk_name(
		    vm->vm_owner, l->il_path, name, sizeof(name)) == 0 ?
		    json_string(name) : json_null(), "path", l->il_path,
		    "format", l->il_format);
	}
	free(why);
	image_chain_close(&ic);
	image_dirs_free(dirs, n);
	return o;
}

static json_t *
vm_dump_string(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* What the next start has: a pending boot file, else the defined one. */
static json_t *
vm_dump_boot(const struct vm *vm, const char *key, const char *now)
{
	json_t	*v = json_object_get(vm->vm_pending_boot, key);

	if (v == NULL)
		return vm_dump_string(now);
	return json_is_string(v) && *json_string_value(v) != '\0' ?
	    json_string(json_string_value(v)) : json_null();
}

/*
 * The definition of vm: a new object, the caller's.  What it holds is
 * what vm_define takes back (vm-define.c).
 */
json_t *
vm_definition(const struct vm *vm)
{
	const struct vm_disk	*d;
	const struct vm_nic	*n;
	json_t			*o, *a, *v;
	char			 cpus[16];
	int			 i;

	o = json_pack("{si ss ss sI si sI}", "fws_definition",
	    FWS_DEF_VERSION, "uuid", vm->vm_uuid, "name", vm->vm_name,
	    "owner", (json_int_t)vm->vm_owner, "vcpus",
	    (int)vm_next_vcpus(vm), "memory_mib",
	    (json_int_t)vm_next_memory(vm));
	json_object_set_new(o, "cpu_weight", vm->vm_cpu_weight > 0 ?
	    json_integer(vm->vm_cpu_weight) : json_null());
	json_object_set_new(o, "cpu_max", vm->vm_cpu_max > 0 ?
	    json_string(format_cpus(vm->vm_cpu_max, cpus, sizeof(cpus))) :
	    json_null());
	json_object_set_new(o, "mac", json_string(vm->vm_mac));
	json_object_set_new(o, "restart",
	    json_string(vm_restart_name(vm->vm_restart)));
	json_object_set_new(o, "autostart", json_boolean(vm->vm_autostart));
	json_object_set_new(o, "loan_end", vm->vm_loan.lo_end != 0 ?
	    json_integer(vm->vm_loan.lo_end) : json_null());
	json_object_set_new(o, "iso", vm_dump_string(vm->vm_iso));
	json_object_set_new(o, "kernel", vm_dump_boot(vm, "kernel",
	    vm->vm_kernel));
	json_object_set_new(o, "initrd", vm_dump_boot(vm, "initrd",
	    vm->vm_initrd));
	json_object_set_new(o, "append", vm_dump_boot(vm, "append",
	    vm->vm_append));
	json_object_set_new(o, "pins", vm->vm_pins != NULL &&
	    json_object_size(vm->vm_pins) > 0 ? json_deep_copy(vm->vm_pins) :
	    json_null());
	/* its cloud-init seed's content, so that define makes it again;
	 * no key without one (a definition another fwsd reads as before) */
	if (vm->vm_seed != NULL)
		json_object_set_new(o, "seed", json_deep_copy(vm->vm_seed));
	/* the same for its display: none is VNC */
	if (vm->vm_display != VM_DISPLAY_VNC)
		json_object_set_new(o, "display",
		    json_string(vm_display_name(vm->vm_display)));
	a = json_array();
	for (i = 0; i < vm->vm_ndisks; i++) {
		d = &vm->vm_disks[i];
		v = json_pack("{si ss ss sI sb sb}", "index", i, "path",
		    d->d_path, "format", d->d_format, "size",
		    (json_int_t)d->d_size, "owned", d->d_owned, "readonly",
		    d->d_readonly);
		json_object_set_new(v, "backing", vm_dump_backing(vm, d));
		disk_io_to_json(v, &d->d_io);
		json_array_append_new(a, v);
	}
	json_object_set_new(o, "disks", a);
	a = json_array();
	for (i = 0; i < vm->vm_nnics; i++) {
		n = &vm->vm_nics[i];
		json_array_append_new(a, json_pack("{ss ss so}", "network",
		    n->n_net, "mac", n->n_mac, "rate", n->n_rate > 0 ?
		    json_integer((json_int_t)n->n_rate) : json_null()));
	}
	json_object_set_new(o, "nics", a);
	return o;
}
