/*
 * vm-set.c: a VM's definition changed after create (fwsctl set): its
 * vCPUs and memory, its restart policy, autostart, its boot files, its
 * CPU weight and cap (written at once into a running qemu's cgroup too,
 * cgroup.c), its disks' I/O limits, its display (VNC or SPICE: a
 * running qemu serves what it started with, the next start the new
 * one).  A VM without a qemu
 * takes a new size at once; one with a qemu (or a saved state, which
 * resumes the same machine) keeps what it runs with, and
 * the new size is pending until its next start (vm.c takes it then, in
 * the start's own write); memory up to what qemu runs with also goes to
 * the running guest at once, through its virtio balloon.  The policies
 * change at once either way, and so do a disk's I/O limits: in a
 * running qemu its throttle group's (qom-set), held to the owner's
 * ceilings.  The host's limits and the owner's quota
 * hold for the new sizes (quota.c counts a pending size where it is the
 * larger).  One write, the definition and its event, before the reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "log.h"

/*
 * The host's limits on a VM's size: 0, or -1 and why ("memory 100000
 * MiB (97.7G) is more than this host allows for a VM: max_memory =
 * 64G"); from says where the size came from (" (from template t)").
 */
int
vm_limits(unsigned vcpus, uint64_t memory_mib, const char *from,
    char **cause)
{
	char	 a[32], b[32];

	if (vcpus < 1)
		return cause_fail(cause, "vcpus %u%s: a VM needs at least 1",
		    vcpus, from);
	if (vcpus > conf.cf_max_vcpus)
		return cause_fail(cause, "vcpus %u%s is more than this host "
		    "allows for a VM: max_vcpus = %u", vcpus, from,
		    conf.cf_max_vcpus);
	if (memory_mib < FWS_MEMORY_MIN)
		return cause_fail(cause, "memory %llu MiB%s is less than the "
		    "%d MiB a VM needs", (unsigned long long)memory_mib, from,
		    FWS_MEMORY_MIN);
	if (memory_mib > conf.cf_max_memory_mib)
		return cause_fail(cause, "memory %llu MiB (%s)%s is more than "
		    "this host allows for a VM: max_memory = %s",
		    (unsigned long long)memory_mib,
		    format_size(memory_mib << 20, a, sizeof(a)), from,
		    format_size(conf.cf_max_memory_mib << 20, b, sizeof(b)));
	return 0;
}

/* Does the VM keep its machine as it is until its next fresh start? */
static int
vm_keeps_machine(const struct vm *vm)
{
	return vm_is_active(vm) || vm->vm_state == VM_SAVED;
}

/* Size changes: at once without a qemu, else pending (or no longer). */
static void
vm_set_sizes(struct vm *vm, unsigned vcpus, uint64_t memory_mib)
{
	if (!vm_keeps_machine(vm)) {
		vm->vm_vcpus = vcpus;
		vm->vm_memory_mib = memory_mib;
		return;
	}
	vm->vm_pending_vcpus = vcpus != vm->vm_vcpus ? vcpus : 0;
	vm->vm_pending_memory_mib = memory_mib != vm->vm_memory_mib ?
	    memory_mib : 0;
}

static const char *const boot_keys[3] = { "kernel", "initrd", "append" };

static char **
boot_field(struct vm *vm, int k)
{
	return k == 0 ? &vm->vm_kernel : k == 1 ? &vm->vm_initrd :
	    &vm->vm_append;
}

/* What the next start boots with: a change asked for, else what is
 * pending, else the definition; NULL for none. */
static const char *
boot_next(struct vm *vm, const struct vm_change *ch, int k)
{
	const char *const asked[3] = { ch->vc_kernel, ch->vc_initrd,
	    ch->vc_append };
	json_t	*v;

	if (asked[k] != NULL)
		return *asked[k] != '\0' ? asked[k] : NULL;
	if ((v = json_object_get(vm->vm_pending_boot, boot_keys[k])) != NULL)
		return json_string_value(v);
	return *boot_field(vm, k);
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL &&
	    strcmp(a, b) == 0);
}

/*
 * The boot files asked for: into the definition without a qemu (the
 * strings replaced are put in old[], the new ones are vm's), else into
 * what is pending (a new object; the one replaced in *old_pending).
 * Which changed, a bit per boot_keys[] entry.
 */
static int
vm_set_boot(struct vm *vm, const struct vm_change *ch, char **old,
    json_t **old_pending)
{
	const char *const asked[3] = { ch->vc_kernel, ch->vc_initrd,
	    ch->vc_append };
	const char	*want;
	json_t		*pb;
	int		 k, changed = 0;

	*old_pending = NULL;
	if (!vm_keeps_machine(vm)) {
		for (k = 0; k < 3; k++) {
			old[k] = NULL;
			want = asked[k] == NULL ? NULL : *asked[k] != '\0' ?
			    asked[k] : NULL;
			if (asked[k] == NULL || same_str(want, *boot_field(vm,
			    k)))
				continue;
			old[k] = *boot_field(vm, k);
			*boot_field(vm, k) = want != NULL ?
			    xasprintf("%s", want) : NULL;
			changed |= 1 << k;
		}
		return changed;
	}
	pb = vm->vm_pending_boot != NULL ?
	    json_deep_copy(vm->vm_pending_boot) : json_object();
	for (k = 0; k < 3; k++) {
		old[k] = NULL;
		if (asked[k] == NULL)
			continue;
		want = *asked[k] != '\0' ? asked[k] : NULL;
		if (same_str(want, *boot_field(vm, k)))
			json_object_del(pb, boot_keys[k]);	/* what runs */
		else
			json_object_set_new(pb, boot_keys[k], want != NULL ?
			    json_string(want) : json_null());
	}
	if (json_object_size(pb) == 0) {
		json_decref(pb);
		pb = NULL;
	}
	for (k = 0; k < 3; k++) {
		json_t	*a = json_object_get(pb, boot_keys[k]);
		json_t	*b = json_object_get(vm->vm_pending_boot,
			    boot_keys[k]);

		if ((a == NULL) != (b == NULL) || (a != NULL &&
		    !json_equal(a, b)))
			changed |= 1 << k;
	}
	if (!changed) {
		json_decref(pb);
		return 0;
	}
	*old_pending = vm->vm_pending_boot;
	vm->vm_pending_boot = pb;
	return changed;
}

/* A failed write: what vm_set_boot made goes, the VM is as it was. */
static void
vm_set_undo(struct vm *vm, struct vm *was)
{
	int	 k;

	for (k = 0; k < 3; k++)
		if (*boot_field(vm, k) != *boot_field(was, k))
			free(*boot_field(vm, k));
	if (vm->vm_pending_boot != was->vm_pending_boot)
		json_decref(vm->vm_pending_boot);
	*vm = *was;
}

/*
 * The disks' limits asked for, into io[] (each disk's as it is, then as
 * asked): 0, or -1 with *err and why, nothing changed.  A user's are
 * held to their ceilings: asking for none gives the ceiling.
 */
static int
vm_set_io(struct vm *vm, const struct caller *ca, const struct vm_change *ch,
    struct disk_io *io, enum fws_err *err, char **why)
{
	const struct disk_io_set *ds;
	size_t		 i;
	int		 k;

	for (k = 0; k < vm->vm_ndisks; k++)
		io[k] = vm->vm_disks[k].d_io;
	for (i = 0; i < ch->vc_nio; i++) {
		ds = &ch->vc_io[i];
		if (ds->ds_disk < 0 || ds->ds_disk >= vm->vm_ndisks) {
			*err = FWS_ERR_NOT_FOUND;
			return cause_fail(why, "%s has no disk %d (it has %d: "
			    "fwsctl info)", vm->vm_name, ds->ds_disk,
			    vm->vm_ndisks);
		}
		disk_io_merge(&io[ds->ds_disk], &ds->ds_io, ds->ds_given);
		*err = FWS_ERR_INVALID;
		if (disk_io_check(&io[ds->ds_disk], why) == -1)
			return -1;
		if (!ca->ca_admin &&
		    quota_disk_io(vm->vm_owner, &io[ds->ds_disk], ds->ds_disk,
		    err, why) == -1)
			return -1;
	}
	return 0;
}

/* A live change under way: the reply waits for qemu's answers. */
struct vm_set_live {
	struct vm	*sl_vm;
	json_t		*sl_result;
	uint64_t	 sl_memory_mib;	/* 0: the balloon stays */
	json_t		*sl_io;		/* [{"disk","path","limits"}] to set */
	json_t		*sl_io_live;	/* [disk] set */
	char		*sl_error;	/* what did not change live */
	fws_done_fn	 sl_fn;
	void		*sl_arg;
};

static void	vm_set_live_next(struct vm_set_live *);

static void
vm_set_live_error(struct vm_set_live *sl, const char *what, const char *why)
{
	char	*s;

	s = xasprintf("%s%s%s: %s", sl->sl_error ? sl->sl_error : "",
	    sl->sl_error ? "; " : "", what, why ? why : "failed");
	free(sl->sl_error);
	sl->sl_error = s;
}

/* The last answer: the definition changed either way, the reply says
 * what is live. */
static void
vm_set_live_end(struct vm_set_live *sl)
{
	json_t	*live = json_object();

	if (sl->sl_memory_mib != 0)
		json_object_set_new(live, "memory_mib",
		    json_integer((json_int_t)sl->sl_memory_mib));
	if (json_array_size(sl->sl_io_live) > 0)
		json_object_set(live, "disks", sl->sl_io_live);
	if (json_object_size(live) > 0)
		json_object_set_new(sl->sl_result, "live", live);
	else
		json_decref(live);
	if (sl->sl_error != NULL)
		json_object_set_new(sl->sl_result, "live_error",
		    json_string(sl->sl_error));
	sl->sl_fn(sl->sl_arg, FWS_OK, NULL, sl->sl_result);
	json_decref(sl->sl_io);
	json_decref(sl->sl_io_live);
	free(sl->sl_error);
	free(sl);
}

static void
vm_set_ballooned(void *arg, enum fws_err err, const char *why, json_t *res)
{
	struct vm_set_live *sl = arg;

	json_decref(res);
	if (err != FWS_OK) {
		vm_set_live_error(sl, "the balloon", why);
		sl->sl_memory_mib = 0;
	}
	vm_set_live_end(sl);
}

static void
vm_set_io_done(void *arg, enum fws_err err, const char *why, json_t *res)
{
	struct vm_set_live *sl = arg;
	json_t		*o = json_array_get(sl->sl_io, 0);
	char		*what;

	json_decref(res);
	if (err == FWS_OK)
		json_array_append(sl->sl_io_live, json_object_get(o, "disk"));
	else {
		what = xasprintf("disk %lld's I/O limits (from its next "
		    "start)", (long long)json_integer_value(
		    json_object_get(o, "disk")));
		vm_set_live_error(sl, what, why);
		free(what);
	}
	json_array_remove(sl->sl_io, 0);
	vm_set_live_next(sl);
}

/* One disk's throttle group after another, then the balloon. */
static void
vm_set_live_next(struct vm_set_live *sl)
{
	json_t	*o = json_array_get(sl->sl_io, 0);

	if (o != NULL) {
		if (vm_run->ro_command(sl->sl_vm, "qom-set", json_pack(
		    "{sO ss sO}", "path", json_object_get(o, "path"),
		    "property", "limits", "value", json_object_get(o,
		    "limits")), vm_set_io_done, sl) == -1)
			vm_set_io_done(sl, FWS_ERR_FAILED, "no QMP connection",
			    NULL);
		return;
	}
	if (sl->sl_memory_mib == 0) {
		vm_set_live_end(sl);
		return;
	}
	if (vm_run->ro_command(sl->sl_vm, "balloon", json_pack("{sI}",
	    "value", (json_int_t)(sl->sl_memory_mib << 20)), vm_set_ballooned,
	    sl) == -1)
		vm_set_ballooned(sl, FWS_ERR_FAILED, "no QMP connection", NULL);
}

/*
 * Change vm as ch says, for ca; fn(arg, ...) with {name, owner, changed:
 * [what changed now], pending: {what the next start changes} or null,
 * live: {what changed in the running guest} or live_error}, or with the
 * core's error and why, nothing changed.  Memory at most what qemu runs
 * with goes to the running guest too, through its balloon.
 */
void
vm_set(struct vm *vm, const struct caller *ca, const struct vm_change *ch,
    fws_done_fn fn, void *arg)
{
	struct vm	 was = *vm;
	struct vm_set_live *sl;
	struct disk_io	 io[FWS_DISKS_MAX];
	unsigned	 vcpus = vm_next_vcpus(vm);
	uint64_t	 memory = vm_next_memory(vm);
	enum fws_err	 err;
	json_t		*changed, *result, *old_pending = NULL, *live_io;
	char		*cause, *words = NULL, *tmp, *why, *old_boot[3];
	char		*a, *b, *old_io;
	int		 sized, live, booted, k;
	const struct vm_change no_change = { -1, -1, -1, -1, NULL, NULL,
	    NULL, -1, -1, -1, NULL, 0 };
	unsigned	 weight = vm->vm_cpu_weight, cap = vm->vm_cpu_max;
	char		 wa[16], wb[16];
	char		*live_cpu = NULL;

	if (ch->vc_vcpus >= 0)
		vcpus = ch->vc_vcpus > UINT32_MAX ? UINT32_MAX :
		    (unsigned)ch->vc_vcpus;
	if (ch->vc_memory_mib >= 0)
		memory = (uint64_t)ch->vc_memory_mib;
	if (vm_limits(vcpus, memory, "", &why) == -1) {
		fn(arg, FWS_ERR_INVALID, why, NULL);
		free(why);
		return;
	}
	if ((boot_next(vm, ch, 1) != NULL || boot_next(vm, ch, 2) != NULL) &&
	    boot_next(vm, ch, 0) == NULL) {
		fn(arg, FWS_ERR_INVALID, "an initrd or a kernel command line "
		    "needs a kernel", NULL);
		return;
	}
	if (vm_set_io(vm, ca, ch, io, &err, &why) == -1) {
		fn(arg, err, why, NULL);
		free(why);
		return;
	}
	if (ch->vc_cpu_weight >= 0)
		weight = (unsigned)ch->vc_cpu_weight;
	if (ch->vc_cpu_max >= 0)
		cap = (unsigned)ch->vc_cpu_max;
	/*
	 * a user's ceilings: more is refused, none takes the ceiling; an
	 * admin (who may set them) is not held by them
	 */
	if ((ch->vc_cpu_weight >= 0 || ch->vc_cpu_max >= 0) &&
	    !ca->ca_admin && quota_check_cpu(vm->vm_owner,
	    vcpus, ch->vc_cpu_weight >= 0 ? &weight : NULL,
	    ch->vc_cpu_max >= 0 ? &cap : NULL, &err, &why) == -1) {
		fn(arg, err, why, NULL);
		free(why);
		return;
	}
	/* the cap fits in the vCPUs the VM has from its next start */
	if (cap > 0 && cgroup_cpu_max_check(cap, vcpus, &why) == -1) {
		fn(arg, FWS_ERR_INVALID, why, NULL);
		free(why);
		return;
	}
	sized = vcpus != vm_next_vcpus(vm) || memory != vm_next_memory(vm);
	/* the running guest's memory moves when it is asked for, and fits */
	live = ch->vc_memory_mib >= 0 && vm_is_active(vm) &&
	    memory <= vm->vm_memory_mib && memory != (vm->vm_balloon_mib ?
	    vm->vm_balloon_mib : vm->vm_memory_mib);
	vm_set_sizes(vm, vcpus, memory);
	/* the quota counts what the VM will have, pending or not */
	if (sized && !caller_exempt(ca, vm->vm_owner) &&
	    quota_check(vm->vm_owner, vm, &err, &why) == -1) {
		*vm = was;
		fn(arg, err, why, NULL);
		free(why);
		return;
	}
	/* a cluster's VM (restart cluster) never starts with fwsd */
	if (vm_autostart_check(vm, ch->vc_restart >= 0 ?
	    (enum vm_restart)ch->vc_restart : vm->vm_restart,
	    ch->vc_autostart >= 0 ? ch->vc_autostart : 0, &why) == -1) {
		*vm = was;
		fn(arg, FWS_ERR_INVALID, why, NULL);
		free(why);
		return;
	}
	if (ch->vc_restart >= 0)
		vm->vm_restart = (enum vm_restart)ch->vc_restart;
	if (ch->vc_autostart >= 0)
		vm->vm_autostart = ch->vc_autostart;
	if (vm->vm_restart == VM_RESTART_CLUSTER)
		vm->vm_autostart = 0;
	if (ch->vc_display >= 0)
		vm->vm_display = (enum vm_display)ch->vc_display;
	vm->vm_cpu_weight = weight;
	vm->vm_cpu_max = cap;
	booted = vm_set_boot(vm, ch, old_boot, &old_pending);
	for (k = 0; k < vm->vm_ndisks; k++)
		vm->vm_disks[k].d_io = io[k];

	/* what changed now, in words for the event and names for the reply */
	changed = json_array();
#define SAID(name, fmt, ...) do {					\
	json_array_append_new(changed, json_string(name));		\
	tmp = xasprintf("%s%s" fmt, words ? words : "", words ? ", " : "", \
	    __VA_ARGS__);						\
	free(words);							\
	words = tmp;							\
} while (0)
	if (vm->vm_vcpus != was.vm_vcpus)
		SAID("vcpus", "vcpus %u -> %u", was.vm_vcpus, vm->vm_vcpus);
	if (vm->vm_memory_mib != was.vm_memory_mib)
		SAID("memory_mib", "memory %llu -> %llu MiB",
		    (unsigned long long)was.vm_memory_mib,
		    (unsigned long long)vm->vm_memory_mib);
	if (vm->vm_restart != was.vm_restart)
		SAID("restart", "restart %s -> %s",
		    vm_restart_name(was.vm_restart),
		    vm_restart_name(vm->vm_restart));
	if (vm->vm_autostart != was.vm_autostart)
		SAID("autostart", "autostart %s", vm->vm_autostart ? "on" :
		    "off");
	if (vm->vm_display != was.vm_display)
		SAID("display", "display %s -> %s%s",
		    vm_display_name(was.vm_display),
		    vm_display_name(vm->vm_display), vm_is_active(vm) ?
		    " from the next start" : "");
	if (vm->vm_pending_vcpus != was.vm_pending_vcpus)
		SAID("pending_vcpus", "vcpus %u from the next start",
		    vm_next_vcpus(vm));
	if (vm->vm_pending_memory_mib != was.vm_pending_memory_mib)
		SAID("pending_memory_mib", "memory %llu MiB from the next "
		    "start", (unsigned long long)vm_next_memory(vm));
	if (vm->vm_cpu_weight != was.vm_cpu_weight)
		SAID("cpu_weight", "cpu weight %u -> %u", was.vm_cpu_weight ?
		    was.vm_cpu_weight : FWS_CPU_WEIGHT_DEFAULT,
		    vm->vm_cpu_weight ? vm->vm_cpu_weight :
		    FWS_CPU_WEIGHT_DEFAULT);
	if (vm->vm_cpu_max != was.vm_cpu_max)
		SAID("cpu_max", "cpu max %s -> %s", was.vm_cpu_max ?
		    format_cpus(was.vm_cpu_max, wa, sizeof(wa)) : "none",
		    vm->vm_cpu_max ? format_cpus(vm->vm_cpu_max, wb,
		    sizeof(wb)) : "none");
	if (live)
		SAID("live_memory_mib", "memory %llu MiB live",
		    (unsigned long long)memory);
	for (k = 0; k < 3; k++)
		if (booted & (1 << k)) {
			const char *v = boot_next(vm, &no_change, k);

			SAID(boot_keys[k], "%s %s%s", boot_keys[k],
			    v != NULL ? v : "none", vm_keeps_machine(vm) ?
			    " from the next start" : "");
		}
	live_io = json_array();
	for (k = 0, b = NULL; k < vm->vm_ndisks; k++) {
		if (memcmp(&io[k], &was.vm_disks[k].d_io, sizeof(io[k])) == 0)
			continue;
		a = disk_io_text(&was.vm_disks[k].d_io);
		tmp = disk_io_text(&io[k]);
		old_io = b;
		b = xasprintf("%s%sdisk %d I/O limits %s -> %s", b ? b : "",
		    b ? ", " : "", k, a, tmp);
		free(old_io);
		free(a);
		free(tmp);
		if (vm_is_active(vm))
			json_array_append_new(live_io, json_pack("{si so so}",
			    "disk", k, "path", json_sprintf("/objects/"
			    FWS_IO_GROUP "%d", vm->vm_disks[k].d_slot),
			    "limits", disk_io_qemu_limits(&io[k])));
	}
	if (b != NULL) {
		a = b;
		SAID("disk_limits", "%s", a);
		free(a);
	}
#undef SAID

	if (words != NULL) {
		/* the definition and its event: one write */
		if (store_begin(&cause) == -1)
			goto unwritten;
		if (store_vm_update_config(vm, &cause) == -1) {
			store_rollback();
			goto unwritten;
		}
		for (k = 0; k < vm->vm_ndisks; k++)
			if (memcmp(&io[k], &was.vm_disks[k].d_io,
			    sizeof(io[k])) != 0 &&
			    store_disk_update_io(vm, k, &cause) == -1) {
				store_rollback();
				goto unwritten;
			}
		event_record_by(vm, ca->ca_uid, "changed", "%s", words);
		if (store_commit(&cause) == -1)
			goto unwritten;
		log_info("%s: changed by uid %u: %s", vm->vm_name,
		    (unsigned)ca->ca_uid, words);
		free(words);
	}
	/* the CPU's limits hold at once in a running qemu's cgroup */
	if ((vm->vm_cpu_weight != was.vm_cpu_weight || vm->vm_cpu_max !=
	    was.vm_cpu_max) && vm_is_active(vm) && vm->vm_pid > 0 &&
	    cgroup_vm_apply_cpu(vm, &live_cpu) == -1)
		log_warnx("%s: %s", vm->vm_name, live_cpu);
	/* kept: what was replaced goes */
	for (k = 0; k < 3; k++)
		if (booted & (1 << k) && !vm_keeps_machine(vm))
			free(old_boot[k]);
	json_decref(old_pending);
	result = json_pack("{ss sI so so}", "name", vm->vm_name, "owner",
	    (json_int_t)vm->vm_owner, "changed", changed, "pending",
	    vm_pending_json(vm));
	if (!live && json_array_size(live_io) == 0) {
		json_decref(live_io);
		if (live_cpu != NULL)
			json_object_set_new(result, "live_error", json_sprintf(
			    "the CPU limits: %s", live_cpu));
		free(live_cpu);
		fn(arg, FWS_OK, NULL, result);
		return;
	}
	if ((sl = calloc(1, sizeof(*sl))) == NULL)
		abort();
	sl->sl_vm = vm;
	sl->sl_result = result;
	sl->sl_memory_mib = live ? memory : 0;
	sl->sl_io = live_io;
	sl->sl_io_live = json_array();
	sl->sl_fn = fn;
	sl->sl_arg = arg;
	if (live_cpu != NULL)
		vm_set_live_error(sl, "the CPU limits", live_cpu);
	free(live_cpu);
	vm_set_live_next(sl);
	return;

unwritten:
	/* nothing kept: the VM as it was, and why */
	vm_set_undo(vm, &was);
	fn(arg, FWS_ERR_INTERNAL, cause, NULL);
	free(cause);
	free(words);
	json_decref(changed);
	json_decref(live_io);
}
