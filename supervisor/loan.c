/*
 * loan.c: loans that end.  A VM lent until a time is warned about
 * (loan_warn before its end), stopped and expired at its end, and under
 * loan_expire = delete deleted loan_grace after it, each step an event.
 * loan-policy.c says what a VM's next step is and when; vm.c stops,
 * expires and deletes.  Here one timer, armed for the earliest step of
 * all VMs, does what is due when it fires, and is armed again then and
 * whenever a loan, a VM or its state changes (loan_changed).
 *
 * The timer is a timerfd on CLOCK_REALTIME at an absolute time, in the
 * event loop like any descriptor: a loan ends at a time of the wall
 * clock, and libevent's timers run on the monotonic clock, which stands
 * still while the host is suspended and does not follow a clock that is
 * set.  The kernel fires an absolute CLOCK_REALTIME timer when the wall
 * clock reaches its time however it got there: a clock set forward
 * fires what is due at once, one set back just waits longer; what is
 * due is decided from the wall clock when it fires.  Nothing polls.
 */
#include <sys/timerfd.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "fws.h"
#include "log.h"

#define LOAN_RETRY	60	/* s before a failed deletion is tried again */

static int		 loan_fd = -1;
static struct event	*loan_ev;

static void
loan_policy(struct loan_policy *lp)
{
	lp->lp_warn = conf.cf_loan_warn;
	lp->lp_nwarn = conf.cf_loan_nwarn;
	lp->lp_grace = conf.cf_loan_grace;
	lp->lp_delete = strcmp(conf.cf_loan_expire, "delete") == 0;
}

/* The VM's next step, its time and a warning's lead. */
static enum loan_step
loan_step_of(const struct vm *vm, int64_t now, int64_t *when, int64_t *lead)
{
	struct loan_policy	 lp;

	loan_policy(&lp);
	return loan_next(&vm->vm_loan, vm->vm_state == VM_EXPIRED, &lp, now,
	    when, lead);
}

/*
 * A step that must wait for the VM's job to end first, which says so
 * (loan_changed) when it does: the stop of a VM whose loan ended, a
 * snapshot or a change of its CD drive, a VM still being made; a
 * deletion waits for any job.
 */
static int
loan_waits(const struct vm *vm, enum loan_step step)
{
	switch (vm->vm_job.j_kind) {
	case JOB_NONE:
		return vm_is_hidden(vm);
	case JOB_RESTART:
		return 0;	/* called off by either */
	case JOB_STOP:
		return step == LOAN_DELETE || vm->vm_job.j_loan;
	case JOB_CREATE:
	case JOB_SNAPSHOT:
	case JOB_MEDIA:
	case JOB_DISK:
	case JOB_CLONE:
	case JOB_NIC:
		return 1;
	default:
		return step == LOAN_DELETE;
	}
}

/* Arm the timer for the earliest step of all VMs, or disarm it. */
static void
loan_arm(void)
{
	struct itimerspec	 its;
	struct vm		*vm;
	enum loan_step		 step;
	int64_t			 now = time(NULL), when, lead, next = 0;

	if (loan_fd == -1)
		return;
	TAILQ_FOREACH(vm, &vms, vm_entry) {
		if ((step = loan_step_of(vm, now, &when, &lead)) == LOAN_NONE ||
		    loan_waits(vm, step))
			continue;
		if (when < vm->vm_loan_retry)
			when = vm->vm_loan_retry;
		if (next == 0 || when < next)
			next = when;
	}
	memset(&its, 0, sizeof(its));
	/* a time of 0 would disarm it: anything earlier is due anyway */
	if (next != 0)
		its.it_value.tv_sec = next > 0 ? next : 1;
	if (timerfd_settime(loan_fd, TFD_TIMER_ABSTIME, &its, NULL) == -1)
		log_warn("%s: timerfd_settime", __func__);
	else if (next != 0)
		log_debug("%s: next step of a loan in %lld s", __func__,
		    (long long)(next - now));
}

/* "loan of web ends 2026-12-01 12:00: 1 day left" */
static void
loan_warn(struct vm *vm, int64_t lead, int64_t now)
{
	char	*end = date_text(vm->vm_loan.lo_end), *cause;
	char	*left = duration_words(vm->vm_loan.lo_end - now);

	/* kept in memory if not in the store: given once by this fwsd */
	vm->vm_loan.lo_warned = lead;
	if (store_vm_update_loan(vm, &cause) == -1) {
		log_warnx("%s: the loan's warning not recorded: %s",
		    vm->vm_name, cause);
		free(cause);
	}
	event_record(vm, "loan-warning", "loan of %s ends %s: %s left",
	    vm->vm_name, end, left);
	free(end);
	free(left);
}

/* The grace is over: the VM goes, with the disks fwsd made for it. */
static void
loan_delete(struct vm *vm, int64_t now)
{
	char	*end = date_text(vm->vm_loan.lo_end);
	char	*grace = duration_text(conf.cf_loan_grace), *why, *cause;

	why = xasprintf("after the loan's grace: its loan ended %s, "
	    "loan_grace %s; with the disks fwsd made", end, grace);
	if (vm_remove(vm, 0, -1, why, &cause) == -1) {
		log_warnx("%s: not deleted after the loan's grace, tried again "
		    "in %d s: %s", vm->vm_name, LOAN_RETRY, cause);
		free(cause);
		vm->vm_loan_retry = now + LOAN_RETRY;
	}
	free(why);
	free(end);
	free(grace);
}

/* Do every step that is due by the wall clock, in each VM's order. */
static void
loan_run(int64_t now)
{
	struct vm	*vm, *tvm;
	enum loan_step	 step;
	int64_t		 when, lead;

	TAILQ_FOREACH_SAFE(vm, &vms, vm_entry, tvm) {
		step = loan_step_of(vm, now, &when, &lead);
		if (step == LOAN_NONE || when > now || loan_waits(vm, step) ||
		    vm->vm_loan_retry > now)
			continue;
		switch (step) {
		case LOAN_WARN:
			loan_warn(vm, lead, now);
			break;
		case LOAN_EXPIRE:
			vm_expire(vm);
			break;
		case LOAN_DELETE:
			loan_delete(vm, now);
			break;
		case LOAN_NONE:
			break;
		}
	}
}

static void
loan_fire(int fd, short what, void *arg)
{
	uint64_t	 n;

	(void)what;
	(void)arg;
	if (read(fd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		log_warn("%s: read", __func__);
	loan_run(time(NULL));
	loan_arm();
}

/*
 * Start watching the loans: what fell due while fwsd was away is done
 * in the first turn of the event loop, each VM's steps in order (stopped
 * and expired, then deleted).
 */
void
loan_init(void)
{
	if ((loan_fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK |
	    TFD_CLOEXEC)) == -1)
		fatal("%s: timerfd_create", __func__);
	if ((loan_ev = event_new(base, loan_fd, EV_READ | EV_PERSIST, loan_fire,
	    NULL)) == NULL || event_add(loan_ev, NULL) == -1)
		fatalx("%s: cannot watch the loans' timer", __func__);
	loan_arm();
}

void
loan_release(void)
{
	if (loan_ev != NULL)
		event_free(loan_ev);
	loan_ev = NULL;
	if (loan_fd != -1)
		close(loan_fd);
	loan_fd = -1;
}

/* A loan, a VM or its state changed: the earliest step may be another. */
void
loan_changed(void)
{
	loan_arm();
}

/* The loan's end and next step, as list, info and loans show them. */
void
loan_json_add(json_t *o, const struct vm *vm, int full)
{
	enum loan_step	 step;
	int64_t		 when, lead;

	json_object_set_new(o, "loan_end", vm->vm_loan.lo_end != 0 ?
	    json_integer(vm->vm_loan.lo_end) : json_null());
	if (!full)
		return;
	step = loan_step_of(vm, time(NULL), &when, &lead);
	json_object_set_new(o, "loan_next", step != LOAN_NONE ?
	    json_string(loan_step_name(step)) : json_null());
	json_object_set_new(o, "loan_next_at", step != LOAN_NONE ?
	    json_integer(when) : json_null());
}
