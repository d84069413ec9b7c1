/*
 * vm-restart.c: the restart policy, a pure function of the VM's history,
 * its policy and the time; vm.c applies what it decides.  When a qemu
 * ends without the operator asking, on-failure restarts after a crash,
 * always also after the guest powered itself off, never does not.  The
 * first restart is immediate; each further one within crash_loop_window
 * seconds waits twice as long as the last (from restart_delay up to
 * restart_delay_max), and a VM that needed crash_loop_restarts restarts
 * within the window has failed: no more restarts until the operator
 * starts it.  A VM whose loan ended is not restarted: loan.c expires it.
 */
#include "fws.h"

void
restart_policy_of(const struct fws_config *cf, struct restart_policy *rp)
{
	rp->rp_delay = cf->cf_restart_delay;
	rp->rp_delay_max = cf->cf_restart_delay_max;
	rp->rp_loop_restarts = cf->cf_crash_loop_restarts;
	rp->rp_loop_window = cf->cf_crash_loop_window;
}

static int
restart_wanted(const struct vm *vm, int64_t now)
{
	if (loan_over(&vm->vm_loan, now))
		return 0;
	switch (vm->vm_state) {
	case VM_CRASHED:
		return vm->vm_restart != VM_RESTART_NEVER &&
		    vm->vm_restart != VM_RESTART_CLUSTER;
	case VM_STOPPED:	/* the guest powered off */
		return vm->vm_restart == VM_RESTART_ALWAYS;
	default:
		return 0;
	}
}

/* Forget restarts older than the window. */
static void
restart_forget(struct vm *vm, const struct restart_policy *rp, int64_t mono)
{
	unsigned	 i, n = 0;

	for (i = 0; i < vm->vm_nrecent; i++)
		if (mono - vm->vm_recent[i] < rp->rp_loop_window)
			vm->vm_recent[n++] = vm->vm_recent[i];
	vm->vm_nrecent = n;
}

/* 0 for the first restart in the window, then base, 2 base, ... max. */
static unsigned
restart_delay(const struct vm *vm, const struct restart_policy *rp)
{
	unsigned	 d, i;

	if (vm->vm_nrecent == 0)
		return 0;
	d = rp->rp_delay;
	for (i = 1; i < vm->vm_nrecent && d < rp->rp_delay_max; i++)
		d *= 2;
	return d < rp->rp_delay_max ? d : rp->rp_delay_max;
}

/*
 * qemu ended on its own (or fwsd's own start failed), now (wall clock
 * and monotonic seconds): restart it?  RESTART_AFTER with *delay s.
 */
enum restart_decision
restart_decide(struct vm *vm, const struct restart_policy *rp, int64_t now,
    int64_t mono, unsigned *delay)
{
	*delay = 0;
	if (!restart_wanted(vm, now))
		return RESTART_NONE;
	restart_forget(vm, rp, mono);
	if (vm->vm_nrecent >= rp->rp_loop_restarts)
		return RESTART_FAILED;
	*delay = restart_delay(vm, rp);
	return RESTART_AFTER;
}

/* A restart happens now (monotonic s): it counts in the window. */
void
restart_note(struct vm *vm, int64_t mono)
{
	if (vm->vm_nrecent < FWS_CRASH_LOOP_MAX)
		vm->vm_recent[vm->vm_nrecent++] = mono;
}
