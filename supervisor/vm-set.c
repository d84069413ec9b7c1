/*
 * vm-set.c: a VM's definition changed after create (fwsctl set): its
 * vCPUs and memory, its restart policy, autostart.  A VM without a qemu
 * takes a new size at once; one with a qemu keeps what it runs with, and
 * the new size is pending until its next start (vm.c takes it then, in
 * the start's own write).  The policies change at once either way.  The
 * host's limits and the owner's quota hold for the new sizes (quota.c
 * counts a pending size where it is the larger).  One write: the
 * definition and its event.
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

/* Size changes: at once without a qemu, else pending (or no longer). */
static void
vm_set_sizes(struct vm *vm, unsigned vcpus, uint64_t memory_mib)
{
	if (!vm_is_active(vm)) {
		vm->vm_vcpus = vcpus;
		vm->vm_memory_mib = memory_mib;
		return;
	}
	vm->vm_pending_vcpus = vcpus != vm->vm_vcpus ? vcpus : 0;
	vm->vm_pending_memory_mib = memory_mib != vm->vm_memory_mib ?
	    memory_mib : 0;
}

/*
 * Change vm as ch says, for ca: 0 with *result ({name, owner, changed:
 * [what changed now], pending: {what the next start changes} or null}),
 * or -1 with the core's error and why, nothing changed.
 */
int
vm_set(struct vm *vm, const struct caller *ca, const struct vm_change *ch,
    json_t **result, enum fws_err *err, char **why)
{
	struct vm	 was = *vm;
	unsigned	 vcpus = vm_next_vcpus(vm);
	uint64_t	 memory = vm_next_memory(vm);
	json_t		*changed = json_array();
	char		*cause, *words = NULL, *tmp;
	int		 tx, sized;

	*err = FWS_ERR_INVALID;
	if (ch->vc_vcpus >= 0)
		vcpus = ch->vc_vcpus > UINT32_MAX ? UINT32_MAX :
		    (unsigned)ch->vc_vcpus;
	if (ch->vc_memory_mib >= 0)
		memory = (uint64_t)ch->vc_memory_mib;
	if (vm_limits(vcpus, memory, "", why) == -1) {
		json_decref(changed);
		return -1;
	}
	sized = vcpus != vm_next_vcpus(vm) || memory != vm_next_memory(vm);
	vm_set_sizes(vm, vcpus, memory);
	/* the quota counts what the VM will have, pending or not */
	if (sized && !caller_exempt(ca, vm->vm_owner) &&
	    quota_check(vm->vm_owner, vm, err, why) == -1) {
		*vm = was;
		json_decref(changed);
		return -1;
	}
	if (ch->vc_restart >= 0)
		vm->vm_restart = (enum vm_restart)ch->vc_restart;
	if (ch->vc_autostart >= 0)
		vm->vm_autostart = ch->vc_autostart;

	/* what changed now, in words for the event and names for the reply */
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
	if (vm->vm_pending_vcpus != was.vm_pending_vcpus)
		SAID("pending_vcpus", "vcpus %u from the next start",
		    vm_next_vcpus(vm));
	if (vm->vm_pending_memory_mib != was.vm_pending_memory_mib)
		SAID("pending_memory_mib", "memory %llu MiB from the next "
		    "start", (unsigned long long)vm_next_memory(vm));
#undef SAID

	if (words != NULL) {
		/* the definition and its event: one write */
		if ((tx = store_begin(&cause)) == -1 ||
		    store_vm_update_config(vm, &cause) == -1) {
			if (tx == 0)
				store_rollback();
			*vm = was;
			*err = FWS_ERR_INTERNAL;
			*why = cause;
			free(words);
			json_decref(changed);
			return -1;
		}
		event_record_by(vm, ca->ca_uid, "changed", "%s", words);
		if (store_commit(&cause) == -1) {
			*vm = was;
			*err = FWS_ERR_INTERNAL;
			*why = cause;
			free(words);
			json_decref(changed);
			return -1;
		}
		log_info("%s: changed by uid %u: %s", vm->vm_name,
		    (unsigned)ca->ca_uid, words);
		free(words);
	}
	*result = json_pack("{ss sI so so}", "name", vm->vm_name, "owner",
	    (json_int_t)vm->vm_owner, "changed", changed, "pending",
	    vm_pending_json(vm));
	return 0;
}
