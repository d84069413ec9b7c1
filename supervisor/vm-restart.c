/*
 * vm-restart.c: the restart policy.  When a qemu ends without the
 * operator asking, the VM's policy decides: on-failure restarts after a
 * crash, always also after the guest powered itself off, never does not.
 * The first restart is immediate; each further one within
 * crash_loop_window seconds waits twice as long as the last (from
 * restart_delay up to restart_delay_max), and a VM that needed
 * crash_loop_restarts restarts within the window is marked failed: no
 * more restarts until the operator starts it.  A VM whose loan ended is
 * not restarted: loan.c expires it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fws.h"
#include "log.h"

static int64_t
mono_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int
vm_restart_wanted(const struct vm *vm)
{
	/* a VM whose loan ended is expired, not restarted */
	if (loan_over(&vm->vm_loan, time(NULL)))
		return 0;
	switch (vm->vm_state) {
	case VM_CRASHED:
		return vm->vm_restart != VM_RESTART_NEVER;
	case VM_STOPPED:	/* the guest powered off */
		return vm->vm_restart == VM_RESTART_ALWAYS;
	default:
		return 0;
	}
}

/* Forget restarts older than the window. */
static void
vm_restart_expire(struct vm *vm, int64_t now)
{
	unsigned	 i, n = 0;

	for (i = 0; i < vm->vm_nrecent; i++)
		if (now - vm->vm_recent[i] < conf.cf_crash_loop_window)
			vm->vm_recent[n++] = vm->vm_recent[i];
	vm->vm_nrecent = n;
}

/* 0 for the first restart in the window, then base, 2 base, ... max. */
static unsigned
vm_restart_delay(const struct vm *vm)
{
	unsigned	 d, i;

	if (vm->vm_nrecent == 0)
		return 0;
	d = conf.cf_restart_delay;
	for (i = 1; i < vm->vm_nrecent && d < conf.cf_restart_delay_max; i++)
		d *= 2;
	return d < conf.cf_restart_delay_max ? d : conf.cf_restart_delay_max;
}

static void
vm_restart_fire(int fd, short what, void *arg)
{
	struct vm	*vm = arg;
	char		*why;

	(void)fd;
	(void)what;
	vm->vm_restart_pending = 0;
	vm->vm_restart_at = 0;
	if (vm->vm_nrecent < FWS_CRASH_LOOP_MAX)
		vm->vm_recent[vm->vm_nrecent++] = mono_now();
	vm->vm_restarts++;
	why = xasprintf("restart %u (policy %s)", vm->vm_restarts,
	    vm_restart_name(vm->vm_restart));
	vm_auto_start(vm, why);
	free(why);
}

/* qemu ended on its own (or fwsd's own start failed): restart it? */
void
vm_restart_consider(struct vm *vm)
{
	unsigned	 delay;

	if (!vm_restart_wanted(vm))
		return;
	vm_restart_expire(vm, mono_now());
	if (vm->vm_nrecent >= conf.cf_crash_loop_restarts) {
		vm_set_state(vm, VM_FAILED, NULL, "%u restarts within %u s "
		    "did not help; \"fwsctl start %s\" tries again",
		    vm->vm_nrecent, conf.cf_crash_loop_window, vm->vm_name);
		return;
	}
	delay = vm_restart_delay(vm);
	vm->vm_restart_pending = 1;
	vm->vm_restart_at = time(NULL) + delay;
	vm_timer_set(vm, delay, vm_restart_fire);
	event_record_by(vm, -1, "restarting", "in %u s (policy %s, %u "
	    "restarts in the last %u s)", delay, vm_restart_name(vm->vm_restart),
	    vm->vm_nrecent, conf.cf_crash_loop_window);
}

/* Call off a restart still waiting for its time; 1 if there was one. */
int
vm_restart_cancel(struct vm *vm)
{
	if (!vm->vm_restart_pending)
		return 0;
	vm_timer_clear(vm);
	vm->vm_restart_pending = 0;
	vm->vm_restart_at = 0;
	return 1;
}

/* The operator started the VM: its crash history starts over. */
void
vm_restart_reset(struct vm *vm)
{
	vm->vm_nrecent = 0;
}
