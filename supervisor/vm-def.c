/*
 * vm-def.c: the VM list and the plain parts of a VM: allocation, lookup
 * by name, the names of states, restart policies and displays, the
 * names a VM goes by on the host (its owner key, its taps' interface
 * names, which netsetup/ takes as they are), the sizes a VM has and
 * will have (set's pending ones).  No event loop and no I/O here; vm.c
 * owns state changes.
 */
#include <stdlib.h>
#include <string.h>

#include "fws.h"

struct vmlist	vms = TAILQ_HEAD_INITIALIZER(vms);

static const char *const vm_state_names[] = {
	[VM_STOPPED] = "stopped",
	[VM_STARTING] = "starting",
	[VM_RUNNING] = "running",
	[VM_PAUSED] = "paused",
	[VM_STOPPING] = "stopping",
	[VM_CRASHED] = "crashed",
	[VM_FAILED] = "failed",
	[VM_EXPIRED] = "expired",
	[VM_SAVED] = "saved",
	[VM_MIGRATING] = "migrating",
	[VM_ARRIVING] = "arriving",
};

static const char *const vm_job_names[] = {
	[JOB_NONE] = "none",
	[JOB_CREATE] = "create",
	[JOB_START] = "start",
	[JOB_STOP] = "stop",
	[JOB_RESTART] = "restart",
	[JOB_SNAPSHOT] = "snapshot",
	[JOB_MEDIA] = "media",
	[JOB_DISK] = "disk",
	[JOB_SAVE] = "save",
	[JOB_CLONE] = "clone",
	[JOB_NIC] = "nic",
	[JOB_MIGRATE_OUT] = "migrate-out",
	[JOB_MIGRATE_IN] = "migrate-in",
};

static const char *const vm_restart_names[] = {
	[VM_RESTART_ON_FAILURE] = "on-failure",
	[VM_RESTART_ALWAYS] = "always",
	[VM_RESTART_NEVER] = "never",
	[VM_RESTART_CLUSTER] = "cluster",
};

const char *
vm_state_name(enum vm_state st)
{
	return vm_state_names[st];
}

const char *
vm_restart_name(enum vm_restart r)
{
	return vm_restart_names[r];
}

int
vm_restart_parse(const char *s, enum vm_restart *out)
{
	size_t	 i;

	for (i = 0; i < sizeof(vm_restart_names) / sizeof(*vm_restart_names);
	    i++) {
		if (strcmp(s, vm_restart_names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

static const char *const vm_display_names[] = {
	[VM_DISPLAY_VNC] = "vnc",
	[VM_DISPLAY_SPICE] = "spice",
};

const char *
vm_display_name(enum vm_display d)
{
	return vm_display_names[d];
}

/* "vnc" or "spice"; -1 and why for anything else */
int
vm_display_parse(const char *s, enum vm_display *out, char **cause)
{
	size_t	 i;

	for (i = 0; i < sizeof(vm_display_names) / sizeof(*vm_display_names);
	    i++) {
		if (strcmp(s, vm_display_names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return cause_fail(cause, "display must be " VM_DISPLAY_WORDS ", not "
	    "\"%.32s\"", s);
}

/*
 * May vm start with fwsd (autostart on) under restart policy r?  Not a
 * cluster manager's VM (restart cluster): the cluster alone starts it.
 */
int
vm_autostart_check(const struct vm *vm, enum vm_restart r, int autostart,
    char **cause)
{
	if (autostart && r == VM_RESTART_CLUSTER)
		return cause_fail(cause, "%s is a cluster's resource (restart "
		    "cluster): the cluster starts it, not fwsd, so autostart "
		    "stays off", vm->vm_name);
	return 0;
}

struct vm *
vm_new(void)
{
	struct vm	*vm;
	int		 i;

	if ((vm = calloc(1, sizeof(*vm))) == NULL)
		abort();
	/* a definition made in one go numbers its devices as it lists them */
	for (i = 0; i < FWS_DISKS_MAX; i++)
		vm->vm_disks[i].d_slot = i;
	for (i = 0; i < FWS_NICS_MAX; i++)
		vm->vm_nics[i].n_slot = i;
	TAILQ_INIT(&vm->vm_waiters);
	vm->vm_vnc_display = -1;
	vm->vm_spice_port = -1;
	vm->vm_job.j_kind = JOB_NONE;
	vm->vm_job.j_actor = -1;
	vm->vm_job.j_percent = -1;
	vm->vm_cmd_actor = -1;
	vm->vm_reset_by = -1;
	return vm;
}

/* Free the definition; vm.c has already let go of any process. */
void
vm_free(struct vm *vm)
{
	int	 i;

	for (i = 0; i < vm->vm_ndisks; i++) {
		free(vm->vm_disks[i].d_path);
		free(vm->vm_disks[i].d_format);
	}
	free(vm->vm_iso);
	free(vm->vm_kernel);
	free(vm->vm_initrd);
	free(vm->vm_append);
	free(vm->vm_last_exit);
	free(vm->vm_job.j_error);
	json_decref(vm->vm_pins);
	json_decref(vm->vm_seed);
	json_decref(vm->vm_pending_boot);
	json_decref(vm->vm_migration);
	free(vm);
}

/* An owner's VM by name; VMs still being created are not visible. */
struct vm *
vm_find(uid_t owner, const char *name)
{
	struct vm	*vm;

	TAILQ_FOREACH(vm, &vms, vm_entry)
		if (!vm_is_hidden(vm) && vm->vm_owner == owner &&
		    strcmp(vm->vm_name, name) == 0)
			return vm;
	return NULL;
}

/*
 * What names the VM's files, taps and MAC on the host: its name for
 * root's VMs (as before owners existed), "NAME@UID" for a user's ('@'
 * is not in a name, so two owners' VMs never share a key).
 */
char *
vm_key(const struct vm *vm)
{
	if (vm->vm_owner == 0)
		return xasprintf("%s", vm->vm_name);
	return xasprintf("%s@%u", vm->vm_name, (unsigned)vm->vm_owner);
}

/*
 * The name of the tap of the VM's NIC in slot: "fws" ID "." SLOT, from
 * the store's id of the VM, a number fwsd hands out: no name a user
 * picks can make a tap of theirs collide with another's, nor show in it.
 */
int
vm_slot_tap_name(const struct vm *vm, int slot, char *buf, size_t len)
{
	int	 n;

	if (vm->vm_id <= 0 || slot < 0 || slot >= FWS_NICS_MAX)
		return -1;
	n = snprintf(buf, len, "fws%lld.%d", (long long)vm->vm_id, slot);
	return n < 0 || (size_t)n >= len || n > FWS_IFNAME_MAX ? -1 : 0;
}

/*
 * The name of the IFB that takes what the tap of slot sends when its
 * rate is limited (net.c): the tap's, "fwi" for "fws".
 */
int
vm_slot_ifb_name(const struct vm *vm, int slot, char *buf, size_t len)
{
	if (vm_slot_tap_name(vm, slot, buf, len) == -1)
		return -1;
	buf[2] = 'i';
	return 0;
}

/* The name of the tap of the VM's NIC idx (in the list). */
int
vm_tap_name(const struct vm *vm, int idx, char *buf, size_t len)
{
	if (idx < 0 || idx >= FWS_NICS_MAX)
		return -1;
	return vm_slot_tap_name(vm, vm->vm_nics[idx].n_slot, buf, len);
}

static int
uid_cmp(const void *a, const void *b)
{
	uid_t	 x = *(const uid_t *)a, y = *(const uid_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Give vm a qemu uid: the lowest of first .. last that no other VM has
 * (qemu_uids but its last, the accelerator probe's).  -1 when every one
 * is taken.
 */
int
vm_qemu_uid_pick(struct vm *vm, uid_t first, uid_t last, char **cause)
{
	struct vm	*o;
	uid_t		*used, next = first;
	size_t		 n = 0, cap = 0, i;

	TAILQ_FOREACH(o, &vms, vm_entry)
		cap++;
	if ((used = calloc(cap + 1, sizeof(*used))) == NULL)
		abort();
	TAILQ_FOREACH(o, &vms, vm_entry)
		if (o != vm && o->vm_qemu_uid >= first &&
		    o->vm_qemu_uid <= last)
			used[n++] = o->vm_qemu_uid;
	qsort(used, n, sizeof(*used), uid_cmp);
	for (i = 0; i < n && used[i] <= next; i++)
		if (used[i] == next)
			next++;
	free(used);
	if (next > last || next < first)
		return cause_fail(cause, "every uid of qemu_uids (%u-%u) is "
		    "taken by a VM: widen the range in fwsd.conf",
		    (unsigned)first, (unsigned)last);
	vm->vm_qemu_uid = next;
	return 0;
}

/* Does the VM have (or is about to have) a qemu process? */
int
vm_is_active(const struct vm *vm)
{
	return vm->vm_state != VM_STOPPED && vm->vm_state != VM_CRASHED &&
	    vm->vm_state != VM_FAILED && vm->vm_state != VM_EXPIRED &&
	    vm->vm_state != VM_SAVED;
}

/* Being created: nobody sees it, nothing may touch it yet. */
int
vm_is_hidden(const struct vm *vm)
{
	return vm->vm_job.j_kind == JOB_CREATE;
}

/*
 * The one write of a VM's state: vm_event()'s (vm.c), and the store's
 * when fwsd loads the VMs.  Nothing else changes it.
 */
void
vm_state_set(struct vm *vm, enum vm_state st)
{
	vm->vm_state = st;
}

const char *
vm_job_name(enum vm_job_kind kind)
{
	return vm_job_names[kind];
}

/* Who asked for what is under way: the job's, else a QMP command's. */
int64_t
vm_actor(const struct vm *vm)
{
	if (vm->vm_job.j_kind != JOB_NONE)
		return vm->vm_job.j_actor;
	return vm->vm_cmd_actor;
}

/* What the VM will run with: a pending size, else the defined one. */
unsigned
vm_next_vcpus(const struct vm *vm)
{
	return vm->vm_pending_vcpus > 0 ? vm->vm_pending_vcpus : vm->vm_vcpus;
}

uint64_t
vm_next_memory(const struct vm *vm)
{
	return vm->vm_pending_memory_mib > 0 ? vm->vm_pending_memory_mib :
	    vm->vm_memory_mib;
}

/* What the quota counts: the larger of the defined and pending size. */
unsigned
vm_quota_vcpus(const struct vm *vm)
{
	return vm->vm_pending_vcpus > vm->vm_vcpus ? vm->vm_pending_vcpus :
	    vm->vm_vcpus;
}

uint64_t
vm_quota_memory(const struct vm *vm)
{
	return vm->vm_pending_memory_mib > vm->vm_memory_mib ?
	    vm->vm_pending_memory_mib : vm->vm_memory_mib;
}

/* One boot file of what is pending: *field takes it ("" or null: none). */
static void
vm_pending_boot_take(struct vm *vm, const char *key, char **field)
{
	json_t	*v = json_object_get(vm->vm_pending_boot, key);

	if (v == NULL)
		return;
	free(*field);
	*field = json_is_string(v) && *json_string_value(v) != '\0' ?
	    xasprintf("%s", json_string_value(v)) : NULL;
}

/* A start takes what was pending (vm.c, before it spawns qemu). */
void
vm_pending_apply(struct vm *vm)
{
	vm->vm_vcpus = vm_next_vcpus(vm);
	vm->vm_memory_mib = vm_next_memory(vm);
	vm->vm_pending_vcpus = 0;
	vm->vm_pending_memory_mib = 0;
	if (vm->vm_pending_boot == NULL)
		return;
	vm_pending_boot_take(vm, "kernel", &vm->vm_kernel);
	vm_pending_boot_take(vm, "initrd", &vm->vm_initrd);
	vm_pending_boot_take(vm, "append", &vm->vm_append);
	json_decref(vm->vm_pending_boot);
	vm->vm_pending_boot = NULL;
}

/* The VM that writes path as a disk, if any. */
struct vm *
vm_disk_writer(const char *path)
{
	struct vm	*vm;
	int		 i;

	TAILQ_FOREACH(vm, &vms, vm_entry)
		for (i = 0; i < vm->vm_ndisks; i++)
			if (!vm->vm_disks[i].d_readonly &&
			    strcmp(vm->vm_disks[i].d_path, path) == 0)
				return vm;
	return NULL;
}

/* info's "pending": what the next start changes, or null. */
json_t *
vm_pending_json(const struct vm *vm)
{
	json_t	*o;

	if (vm->vm_pending_vcpus == 0 && vm->vm_pending_memory_mib == 0 &&
	    vm->vm_pending_boot == NULL)
		return json_null();
	o = vm->vm_pending_boot != NULL ? json_deep_copy(vm->vm_pending_boot) :
	    json_object();
	if (vm->vm_pending_vcpus > 0)
		json_object_set_new(o, "vcpus",
		    json_integer(vm->vm_pending_vcpus));
	if (vm->vm_pending_memory_mib > 0)
		json_object_set_new(o, "memory_mib",
		    json_integer((json_int_t)vm->vm_pending_memory_mib));
	return o;
}
