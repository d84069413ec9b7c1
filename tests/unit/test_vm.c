/*
 * test_vm.c: vm.c's state machine and vm-restart.c's back-off, driven by
 * a fake qemu side: the run ops record what vm.c asks of qemu (spawn,
 * power button, quit, kill, QMP commands, the job's timer, each durable
 * write) in one log, and the test plays qemu's part by telling vm.c what
 * the process and its QMP peer did (vm_event with EV_RUNNING, EV_PAUSED,
 * EV_EXIT_..., vm_timer_fired).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "fws.h"

struct fws_config	 conf;

/* What vm.c asked of the fake qemu side, in order: "spawn kill ...". */
static char	 acts[4096];
static int	 spawn_fails;
static int	 no_qmp;
static int	 timer_secs;
static int	 commits;
static char	 last_event[64], last_reason[256];
static fws_done_fn pending_fn;	/* a QMP command's answer, due */
static void	*pending_arg;

static void
act(const char *fmt, ...)
{
	va_list	 ap;
	size_t	 n = strlen(acts);

	if (n > 0 && n < sizeof(acts) - 1)
		acts[n++] = ' ';
	va_start(ap, fmt);
	vsnprintf(acts + n, sizeof(acts) - n, fmt, ap);
	va_end(ap);
}

static int
fake_spawn(struct vm *vm, char **cause)
{
	if (spawn_fails) {
		act("spawn-failed");
		*cause = xasprintf("no such file");
		return -1;
	}
	vm->vm_pid = 4242;
	act("spawn");
	if (vm->vm_pending_vcpus > 0 || vm->vm_pending_memory_mib > 0)
		act("pending-left");	/* qemu would run the old size */
	return 0;
}

static int
fake_powerdown(struct vm *vm, int paused)
{
	(void)vm;
	if (no_qmp)
		return -1;
	act(paused ? "cont+powerdown" : "powerdown");
	return 0;
}

static int
fake_quit(struct vm *vm)
{
	(void)vm;
	if (no_qmp)
		return -1;
	act("quit");
	return 0;
}

static void
fake_kill(struct vm *vm)
{
	(void)vm;
	act("kill");
}

static int
fake_command(struct vm *vm, const char *cmd, json_t *args, fws_done_fn fn,
    void *arg)
{
	(void)vm;
	json_decref(args);
	if (no_qmp)
		return -1;
	act("qmp:%s", cmd);
	pending_fn = fn;
	pending_arg = arg;
	return 0;
}

static void
fake_attach(struct vm *vm, int starting)
{
	(void)vm;
	act(starting ? "attach-start" : "attach");
}

static void
fake_teardown(struct vm *vm)
{
	(void)vm;
	act("teardown");
}

static int	 answers;	/* answered()'s calls, every answer */
static int	 answers_at_sweep;

static void
fake_sweep(struct vm *vm)
{
	(void)vm;
	act("sweep");
	answers_at_sweep = answers;
}

static void
fake_timer(struct vm *vm, int secs)
{
	(void)vm;
	timer_secs = secs;
	if (secs >= 0)
		act("timer:%d", secs);
}

static void
fake_commit(struct vm *vm, int64_t actor, const struct vm_record *rec,
    int n)
{
	char	 events[128] = "-";
	size_t	 len;
	int	 i;

	(void)actor;
	commits++;
	last_event[0] = last_reason[0] = '\0';
	for (i = 0; i < n; i++) {
		len = i ? strlen(events) : 0;
		snprintf(events + len, sizeof(events) - len, "%s%s",
		    i ? "+" : "", rec[i].r_event);
		snprintf(last_event, sizeof(last_event), "%s", rec[i].r_event);
		snprintf(last_reason, sizeof(last_reason), "%s",
		    rec[i].r_reason);
	}
	act("commit:%s:%s", vm_state_name(vm->vm_state), events);
}

static void
fake_changed(struct vm *vm, enum vm_job_kind kind)
{
	(void)vm;
	if (kind != JOB_NONE)
		act("job-ended:%s", vm_job_name(kind));
}

static void
fake_discard(struct vm *vm)
{
	(void)vm;
	act("discard");
}

const struct vm_run_ops vm_run_qemu = {
	.ro_spawn = fake_spawn,
	.ro_powerdown = fake_powerdown,
	.ro_quit = fake_quit,
	.ro_kill = fake_kill,
	.ro_command = fake_command,
	.ro_attach = fake_attach,
	.ro_teardown = fake_teardown,
	.ro_sweep = fake_sweep,
	.ro_timer = fake_timer,
	.ro_commit = fake_commit,
	.ro_changed = fake_changed,
	.ro_discard = fake_discard,
};

/* An answer to a verb, as the reply layer would get it. */
struct answer {
	int		 called;
	enum fws_err	 err;
	char		 why[256];
};

static void
answered(void *arg, enum fws_err err, const char *why, json_t *result)
{
	struct answer	*a = arg;

	a->called++;
	answers++;
	a->err = err;
	snprintf(a->why, sizeof(a->why), "%s", why ? why : "");
	json_decref(result);
}

static const struct caller alice = { 1001, 0 };

static struct vm *
new_vm(enum vm_state st)
{
	struct vm	*vm = vm_new();

	snprintf(vm->vm_name, sizeof(vm->vm_name), "web");
	vm->vm_owner = 1001;
	vm->vm_restart = VM_RESTART_ON_FAILURE;
	vm->vm_state = st;	/* a VM as the store had it */
	if (vm_is_active(vm))
		vm->vm_pid = 4242;
	acts[0] = '\0';
	commits = spawn_fails = no_qmp = 0;
	timer_secs = -1;
	pending_fn = NULL;
	return vm;
}

static void
done_vm(struct vm *vm)
{
	vm_release(vm);
	vm_free(vm);
}

static int
setup(void **state)
{
	(void)state;
	memset(&conf, 0, sizeof(conf));
	conf.cf_stop_timeout = 60;
	conf.cf_restart_delay = 1;
	conf.cf_restart_delay_max = 8;
	conf.cf_crash_loop_restarts = 4;
	conf.cf_crash_loop_window = 300;
	return 0;
}

/* start: spawn, the deadline, "starting"; QMP running: "started". */
static void
test_start(void **state)
{
	struct vm	*vm = new_vm(VM_STOPPED);
	struct answer	 a = { 0 };

	(void)state;
	vm_start(vm, &alice, answered, &a);
	assert_int_equal(vm->vm_state, VM_STARTING);
	assert_int_equal(vm->vm_job.j_kind, JOB_START);
	assert_string_equal(acts, "spawn timer:30 commit:starting:starting");
	assert_int_equal(a.called, 0);
	vm_event(vm, EV_RUNNING, "qemu pid 4242 answers QMP: running");
	assert_int_equal(vm->vm_state, VM_RUNNING);
	assert_int_equal(vm->vm_job.j_kind, JOB_NONE);
	assert_string_equal(last_event, "started");
	assert_int_equal(a.called, 1);
	assert_int_equal(a.err, FWS_OK);
	/* a second start is refused, in words */
	vm_start(vm, &alice, answered, &a);
	assert_int_equal(a.err, FWS_ERR_STATE);
	assert_string_equal(a.why, "web is already running");
	done_vm(vm);

	/* what set left pending is the size of the next start, one write */
	vm = new_vm(VM_STOPPED);
	vm->vm_vcpus = 1;
	vm->vm_pending_vcpus = 4;
	vm->vm_pending_memory_mib = 2048;
	vm_start(vm, &alice, answered, &a);
	assert_string_equal(acts, "spawn timer:30 commit:starting:starting");
	assert_int_equal(vm->vm_vcpus, 4);
	assert_true(vm->vm_memory_mib == 2048);
	assert_int_equal(vm->vm_pending_vcpus, 0);
	assert_true(vm->vm_pending_memory_mib == 0);
	done_vm(vm);
}

/* A start that cannot spawn: the operator hears it, nothing changes. */
static void
test_start_spawn_fails(void **state)
{
	struct vm	*vm = new_vm(VM_STOPPED);
	struct answer	 a = { 0 };

	(void)state;
	spawn_fails = 1;
	vm_start(vm, &alice, answered, &a);
	assert_int_equal(vm->vm_state, VM_STOPPED);
	assert_int_equal(commits, 0);
	assert_int_equal(a.err, FWS_ERR_FAILED);
	assert_string_equal(a.why, "web: cannot start: no such file");
	assert_int_equal(vm->vm_job.j_kind, JOB_NONE);
	/* fwsd's own start that cannot spawn is a crash: the policy waits */
	vm_start_by_fwsd(vm, "autostart");
	assert_int_equal(vm->vm_state, VM_CRASHED);
	assert_string_equal(last_event, "restarting");
	assert_int_equal(vm->vm_job.j_kind, JOB_RESTART);
	done_vm(vm);
}

/* stop: power button, quit after the timeout, kill after the grace. */
static void
test_stop_escalation(void **state)
{
	struct vm	*vm = new_vm(VM_RUNNING);
	struct answer	 a = { 0 }, b = { 0 };

	(void)state;
	vm_stop(vm, 20, &alice, answered, &a);
	assert_int_equal(vm->vm_state, VM_STOPPING);
	assert_string_equal(last_reason, "ACPI power button, 20 s to comply");
	/* a second stop waits with the first */
	vm_stop(vm, 20, &alice, answered, &b);
	assert_int_equal(b.called, 0);
	vm_timer_fired(vm);
	vm_timer_fired(vm);
	assert_string_equal(acts, "powerdown timer:20 commit:stopping:stopping "
	    "quit timer:5 kill");
	/* the kill -9 lands: as asked, stopped, no restart */
	vm_event(vm, EV_EXIT_CRASH, "qemu killed by signal 9");
	assert_int_equal(vm->vm_state, VM_STOPPED);
	assert_int_equal(vm->vm_job.j_kind, JOB_NONE);
	assert_int_equal(a.called, 1);
	assert_int_equal(a.err, FWS_OK);
	assert_int_equal(b.called, 1);
	assert_int_equal(b.err, FWS_OK);
	done_vm(vm);
}

/* kill -9 from outside during the power button's wait: still a stop. */
static void
test_kill_during_stop(void **state)
{
	struct vm	*vm = new_vm(VM_RUNNING);
	struct answer	 a = { 0 };

	(void)state;
	vm->vm_restart = VM_RESTART_ALWAYS;
	vm_stop(vm, 60, &alice, answered, &a);
	vm_event(vm, EV_EXIT_CRASH, "qemu killed by signal 9");
	assert_int_equal(vm->vm_state, VM_STOPPED);
	assert_int_equal(vm->vm_job.j_kind, JOB_NONE);	/* no restart */
	assert_int_equal(timer_secs, -1);
	assert_int_equal(a.err, FWS_OK);
	done_vm(vm);
}

/*
 * destroy kills first, then writes once (stopping and stopped, while
 * qemu dies); the answer waits for qemu's end, which writes nothing.
 */
static void
test_destroy_kills_before_writing(void **state)
{
	struct vm	*vm = new_vm(VM_RUNNING);
	struct answer	 a = { 0 }, s = { 0 };

	(void)state;
	vm_destroy(vm, &alice, answered, &a);
	assert_string_equal(acts, "kill commit:stopped:stopping+stopped");
	assert_string_equal(last_reason, "qemu killed as asked (pid 4242)");
	assert_string_equal(vm->vm_last_exit, "qemu killed as asked");
	assert_int_equal(a.called, 0);
	/* until qemu is gone its job holds: no start, no second qemu */
	vm_start(vm, &alice, answered, &s);
	assert_int_equal(s.err, FWS_ERR_BUSY);
	answers = 0;
	vm_event(vm, EV_EXIT_ASKED, "qemu killed as asked");
	assert_int_equal(commits, 1);
	assert_non_null(strstr(acts, "teardown"));
	assert_int_equal(vm->vm_state, VM_STOPPED);
	assert_int_equal(vm->vm_job.j_kind, JOB_NONE);
	assert_int_equal(a.called, 1);
	assert_int_equal(a.err, FWS_OK);
	/* its files go once the answer is out, not before */
	assert_non_null(strstr(strstr(acts, "teardown"), "sweep"));
	assert_int_equal(answers_at_sweep, 1);
	done_vm(vm);
}

/* destroy during a start: the start's asker hears why, the destroy ok */
static void
test_destroy_during_start(void **state)
{
	struct vm	*vm = new_vm(VM_STOPPED);
	struct answer	 s = { 0 }, d = { 0 }, x = { 0 };

	(void)state;
	vm_start(vm, &alice, answered, &s);
	/* a stop now is busy, and says what to do */
	vm_stop(vm, 60, &alice, answered, &x);
	assert_int_equal(x.err, FWS_ERR_BUSY);
	assert_non_null(strstr(x.why, "busy: web is starting, started "));
	assert_non_null(strstr(x.why, ": wait, or destroy it"));
	vm_destroy(vm, &alice, answered, &d);
	assert_int_equal(vm->vm_job.j_kind, JOB_STOP);
	vm_event(vm, EV_EXIT_ASKED, "qemu killed as asked");
	assert_int_equal(vm->vm_state, VM_STOPPED);
	assert_int_equal(s.err, FWS_ERR_FAILED);
	assert_string_equal(s.why, "web: qemu killed as asked (pid 4242)");
	assert_int_equal(d.err, FWS_OK);
	done_vm(vm);
}

/*
 * The guest powers off while a snapshot is being taken: qemu's STOP is
 * the job's, not a pause; verbs are busy; the exit ends the VM as a
 * power-off (the job's operation hears it from the qemu side), and
 * restart=always starts it again.
 */
static void
test_poweroff_during_snapshot(void **state)
{
	struct vm	*vm = new_vm(VM_RUNNING);
	struct answer	 a = { 0 };
	enum fws_err	 err;
	char		*why;
	int		 op;

	(void)state;
	vm->vm_restart = VM_RESTART_ALWAYS;
	assert_int_equal(vm_job_begin(vm, JOB_SNAPSHOT, 1001, &op, &err,
	    &why), 0);
	vm_event(vm, EV_PAUSED, "QMP STOP");
	assert_int_equal(vm->vm_state, VM_RUNNING);
	vm_stop(vm, 60, &alice, answered, &a);
	assert_int_equal(a.err, FWS_ERR_BUSY);
	assert_non_null(strstr(a.why, "busy: web: a snapshot operation is "
	    "under way, started 0 s ago"));
	assert_int_equal(vm_job_begin(vm, JOB_SNAPSHOT, 1001, &a, &err, &why),
	    -1);
	assert_int_equal(err, FWS_ERR_BUSY);
	free(why);
	vm_event(vm, EV_EXIT_POWEROFF, "the guest powered off");
	assert_int_equal(vm->vm_state, VM_STOPPED);
	assert_non_null(strstr(acts, "teardown"));
	assert_int_equal(vm->vm_job.j_kind, JOB_RESTART);
	assert_int_equal(timer_secs, 0);
	/* the snapshot's own end comes later: it ends nobody else's job */
	vm_job_end(vm, &op);
	assert_int_equal(vm->vm_job.j_kind, JOB_RESTART);
	done_vm(vm);
}

/* An operator's stop during a restart's wait: stopped, no restart. */
static void
test_stop_during_restart_wait(void **state)
{
	struct vm	*vm = new_vm(VM_RUNNING);
	struct answer	 a = { 0 };

	(void)state;
	vm_event(vm, EV_EXIT_CRASH, "qemu killed by signal 11");
	assert_int_equal(vm->vm_state, VM_CRASHED);
	assert_int_equal(vm->vm_job.j_kind, JOB_RESTART);
	vm_stop(vm, 60, &alice, answered, &a);
	assert_int_equal(a.err, FWS_OK);
	assert_int_equal(vm->vm_state, VM_STOPPED);
	assert_int_equal(vm->vm_job.j_kind, JOB_NONE);
	assert_int_equal(timer_secs, -1);
	assert_string_equal(last_reason, "restart cancelled");
	done_vm(vm);
}

/*
 * A crash the policy leaves alone (restart cluster: the cluster's
 * agent recovers it): no restart; a stop then makes it stopped, one
 * write, and answers; a destroy still finds nothing to kill.
 */
static void
test_stop_after_crash(void **state)
{
	struct vm	*vm = new_vm(VM_RUNNING);
	struct answer	 a = { 0 }, d = { 0 };

	(void)state;
	vm->vm_restart = VM_RESTART_CLUSTER;
	vm_event(vm, EV_EXIT_CRASH, "qemu killed by signal 9");
	assert_int_equal(vm->vm_state, VM_CRASHED);
	assert_int_equal(vm->vm_job.j_kind, JOB_NONE);
	assert_null(strstr(acts, "timer"));
	vm_destroy(vm, &alice, answered, &d);
	assert_int_equal(d.err, FWS_ERR_STATE);
	acts[0] = '\0';
	vm_stop(vm, 60, &alice, answered, &a);
	assert_int_equal(a.called, 1);
	assert_int_equal(a.err, FWS_OK);
	assert_int_equal(vm->vm_state, VM_STOPPED);
	assert_int_equal(vm->vm_job.j_kind, JOB_NONE);
	assert_string_equal(acts, "commit:stopped:stopped job-ended:stop");
	done_vm(vm);
}

/*
 * Crashes while restarts wait: the first restart is at once, then 1, 2,
 * 4 s; the fourth crash in the window is a crash loop: failed.
 */
static void
test_crash_loop(void **state)
{
	struct vm	*vm = new_vm(VM_RUNNING);
	struct answer	 a = { 0 };
	int		 expect[] = { 0, 1, 2, 4 }, i;

	(void)state;
	for (i = 0; i < 4; i++) {
		vm_event(vm, EV_EXIT_CRASH, "qemu killed by signal 11");
		assert_int_equal(vm->vm_state, VM_CRASHED);
		assert_int_equal(vm->vm_job.j_kind, JOB_RESTART);
		assert_int_equal(timer_secs, expect[i]);
		vm_timer_fired(vm);		/* the restart */
		assert_int_equal(vm->vm_state, VM_STARTING);
		assert_int_equal(vm->vm_restarts, (unsigned)i + 1);
		vm_event(vm, EV_RUNNING, "running");
	}
	vm_event(vm, EV_EXIT_CRASH, "qemu killed by signal 11");
	assert_int_equal(vm->vm_state, VM_FAILED);
	assert_int_equal(vm->vm_job.j_kind, JOB_NONE);
	/* the operator's start gives it another chance, history cleared */
	vm_start(vm, &alice, answered, &a);
	assert_int_equal(vm->vm_state, VM_STARTING);
	assert_int_equal(vm->vm_nrecent, 0);
	done_vm(vm);
}

/* The back-off alone: a pure function of history, policy and time. */
static void
test_restart_decide(void **state)
{
	struct restart_policy	 rp = { 2, 10, 5, 100 };
	struct vm		*vm = new_vm(VM_CRASHED);
	unsigned		 delay, want[] = { 0, 2, 4, 8, 10 };
	int			 i;

	(void)state;
	for (i = 0; i < 5; i++) {
		assert_int_equal(restart_decide(vm, &rp, 1000, 500 + i, &delay),
		    RESTART_AFTER);
		assert_int_equal(delay, want[i]);
		restart_note(vm, 500 + i);
	}
	assert_int_equal(restart_decide(vm, &rp, 1000, 505, &delay),
	    RESTART_FAILED);
	/* out of the window, it starts over */
	assert_int_equal(restart_decide(vm, &rp, 1000, 700, &delay),
	    RESTART_AFTER);
	assert_int_equal(delay, 0);
	/* never; a stopped VM only with always; a loan that ended: no */
	vm->vm_restart = VM_RESTART_NEVER;
	assert_int_equal(restart_decide(vm, &rp, 1000, 700, &delay),
	    RESTART_NONE);
	vm->vm_restart = VM_RESTART_ON_FAILURE;
	vm->vm_loan.lo_end = 900;
	assert_int_equal(restart_decide(vm, &rp, 1000, 700, &delay),
	    RESTART_NONE);
	done_vm(vm);
}

/* fwsd started and found a start or a stop half done. */
static void
test_adopt_half_done(void **state)
{
	struct vm	*vm = new_vm(VM_STARTING);

	(void)state;
	vm_event(vm, EV_ADOPT_ALIVE, "qemu pid 4242 still runs");
	assert_string_equal(acts, "attach-start timer:30 "
	    "commit:starting:adopted");
	assert_int_equal(vm->vm_job.j_kind, JOB_START);
	assert_int_equal(vm->vm_job.j_by_fwsd, 1);
	/* ... and it never came up: fwsd's own start, so a crash */
	vm_timer_fired(vm);
	assert_non_null(strstr(acts, "kill"));
	vm_event(vm, EV_EXIT_CRASH, "qemu did not start within 30 seconds");
	assert_int_equal(vm->vm_state, VM_CRASHED);
	done_vm(vm);

	vm = new_vm(VM_STOPPING);
	vm_event(vm, EV_ADOPT_ALIVE, "qemu pid 4242 still runs");
	assert_int_equal(vm->vm_job.j_kind, JOB_STOP);
	assert_string_equal(acts, "attach quit timer:5 "
	    "commit:stopping:adopted");
	assert_string_equal(last_reason, "the stop under way when fwsd ended "
	    "goes on: qemu asked to quit");
	done_vm(vm);

	vm = new_vm(VM_STOPPING);
	vm_event(vm, EV_ADOPT_LOST, "qemu pid 4242 ended while fwsd was not "
	    "running");
	assert_int_equal(vm->vm_state, VM_STOPPED);
	assert_string_equal(last_event, "stopped");
	done_vm(vm);

	vm = new_vm(VM_RUNNING);
	vm_event(vm, EV_ADOPT_LOST, "qemu pid 4242 ended while fwsd was not "
	    "running");
	assert_int_equal(vm->vm_state, VM_CRASHED);
	assert_string_equal(last_event, "restarting");
	assert_string_equal(vm->vm_last_exit, "qemu pid 4242 ended while fwsd "
	    "was not running");
	done_vm(vm);

	vm = new_vm(VM_RUNNING);
	vm_event(vm, EV_ADOPT_ALIVE, NULL);
	vm_adopted_status(vm, "paused");
	assert_int_equal(vm->vm_state, VM_PAUSED);
	assert_string_equal(last_event, "adopted");
	done_vm(vm);

	/*
	 * A snapshot job the last fwsd started runs on: taken over (the
	 * qemu side asks its jobs first), the guest is stopped by it for
	 * now (QMP status save-vm), which is not the VM's state: it stays
	 * running, and a verb meets the job.
	 */
	{
		struct answer	 a = { 0 };
		enum fws_err	 err;
		char		*why;
		int		 op;

		vm = new_vm(VM_RUNNING);
		vm_event(vm, EV_ADOPT_ALIVE, NULL);
		assert_int_equal(vm_job_begin(vm, JOB_SNAPSHOT, -1, &op, &err,
		    &why), 0);
		vm_adopted_status(vm, "save-vm");
		assert_int_equal(vm->vm_state, VM_RUNNING);
		vm_pause(vm, &alice, answered, &a);
		assert_int_equal(a.err, FWS_ERR_BUSY);
		vm_job_end(vm, &op);
		assert_int_equal(vm->vm_job.j_kind, JOB_NONE);
		assert_int_equal(vm->vm_state, VM_RUNNING);
		done_vm(vm);
	}
}

/* pause and resume: QMP's answer (or its event) moves the state. */
static void
test_pause_resume(void **state)
{
	struct vm	*vm = new_vm(VM_RUNNING);
	struct answer	 a = { 0 };

	(void)state;
	vm_pause(vm, &alice, answered, &a);
	assert_string_equal(acts, "qmp:stop");
	assert_int_equal(vm_actor(vm), 1001);
	pending_fn(pending_arg, FWS_OK, NULL, NULL);
	assert_int_equal(vm->vm_state, VM_PAUSED);
	assert_string_equal(last_event, "paused");
	assert_int_equal(a.err, FWS_OK);
	vm_pause(vm, &alice, answered, &a);
	assert_int_equal(a.err, FWS_ERR_STATE);
	assert_string_equal(a.why, "web is paused, not running");
	/* a paused guest is let run to see the power button */
	vm_stop(vm, 10, &alice, answered, &a);
	assert_non_null(strstr(acts, "cont+powerdown"));
	done_vm(vm);

	vm = new_vm(VM_RUNNING);
	no_qmp = 1;
	vm_reboot(vm, &alice, answered, &a);
	assert_int_equal(a.err, FWS_ERR_FAILED);
	assert_string_equal(a.why, "web: no QMP connection to qemu");
	/* without QMP a stop goes straight to kill */
	vm_stop(vm, 10, &alice, answered, &a);
	assert_string_equal(acts, "kill commit:stopping:stopping");
	done_vm(vm);
}

/* A loan's end: a snapshot is waited for, then the VM stops, expires. */
static void
test_loan_end(void **state)
{
	struct vm	*vm = new_vm(VM_RUNNING);
	struct answer	 a = { 0 };
	enum fws_err	 err;
	char		*why;
	int		 op;

	(void)state;
	vm->vm_loan.lo_end = time(NULL) - 10;
	assert_int_equal(vm_job_begin(vm, JOB_SNAPSHOT, -1, &op, &err, &why),
	    0);
	vm_expire(vm);
	assert_int_equal(vm->vm_state, VM_RUNNING);
	vm_job_end(vm, &op);
	vm_expire(vm);
	assert_int_equal(vm->vm_state, VM_STOPPING);
	assert_string_equal(last_reason, "its loan ended: ACPI power button, "
	    "60 s to comply");
	vm_event(vm, EV_EXIT_ASKED, "the guest shut down as asked");
	assert_int_equal(vm->vm_state, VM_EXPIRED);
	assert_string_equal(last_event, "expired");
	vm_start(vm, &alice, answered, &a);
	assert_int_equal(a.err, FWS_ERR_STATE);
	assert_non_null(strstr(a.why, "web is expired: its loan ended"));
	vm->vm_loan.lo_end = 0;
	vm_unexpire(vm, "loan removed");
	assert_int_equal(vm->vm_state, VM_STOPPED);
	assert_string_equal(last_event, "loan");
	done_vm(vm);
}

/*
 * A clone reads a VM's disks: only one without a qemu; while it runs
 * the VM is busy and its loan's end waits.
 */
static void
test_clone_job(void **state)
{
	struct vm	*vm = new_vm(VM_RUNNING);
	struct answer	 a = { 0 };
	enum fws_err	 err;
	char		*why;
	int		 op;

	(void)state;
	assert_int_equal(vm_job_begin(vm, JOB_CLONE, 1001, &op, &err, &why),
	    -1);
	assert_int_equal(err, FWS_ERR_STATE);
	assert_non_null(strstr(why, "web is running: stop it before cloning "
	    "it"));
	free(why);
	done_vm(vm);
	vm = new_vm(VM_CRASHED);
	assert_int_equal(vm_job_begin(vm, JOB_CLONE, 1001, &op, &err, &why),
	    0);
	vm_start(vm, &alice, answered, &a);
	assert_int_equal(a.err, FWS_ERR_BUSY);
	assert_non_null(strstr(a.why, "busy: web is being cloned"));
	vm->vm_loan.lo_end = time(NULL) - 10;
	vm_expire(vm);
	assert_int_equal(vm->vm_state, VM_CRASHED);
	vm_job_end(vm, &op);
	assert_int_equal(vm->vm_job.j_kind, JOB_NONE);
	done_vm(vm);
}

/*
 * Every cell: an operator's verb is either refused with words, or
 * allowed; whatever any event does leaves a VM in a real state, and
 * only a spawn ever gives a VM without qemu one.
 */
static void
test_every_cell(void **state)
{
	struct vm	*vm;
	enum vm_state	 st;
	enum vm_event	 ev;
	enum fws_err	 err;
	char		*why;
	int		 was_active;

	(void)state;
	for (st = VM_STOPPED; st <= VM_STATE_LAST; st++)
		for (ev = EV_START; ev <= EV_LAST; ev++) {
			vm = new_vm(st);
			was_active = vm_is_active(vm);
			if (ev <= EV_DELETE) {
				why = NULL;
				if (vm_check(vm, ev, &err, &why) == -1) {
					assert_non_null(why);
					assert_true(strncmp(why, "web", 3) == 0);
					assert_int_not_equal(err, FWS_OK);
				}
				free(why);
			}
			vm_event(vm, ev, "because");
			assert_true(vm->vm_state <= VM_STATE_LAST);
			if (!was_active && vm_is_active(vm))
				assert_true(strstr(acts, "spawn") != NULL ||
				    strstr(acts, "attach") != NULL);
			done_vm(vm);
		}
}

/*
 * save: the job keeps lifecycle verbs out and the save's own pause
 * quiet; qemu's end after a whole save makes the VM saved and tells
 * those waiting; a failed save leaves it running and says why.  A saved
 * VM resumes on start with what set left pending still pending, goes
 * back to saved if the resume fails, and its state goes only on
 * start --fresh (discard) or a loan's end.
 */
static void
test_save(void **state)
{
	struct vm	*vm = new_vm(VM_RUNNING);
	struct answer	 a = { 0 }, b = { 0 };
	enum fws_err	 err;
	char		*why;
	int		 op;

	(void)state;
	assert_int_equal(vm_job_begin(vm, JOB_SAVE, 1001, &op, &err, &why), 0);
	vm_save_wait(vm, answered, &a);
	vm_event(vm, EV_SAVE, "to saved.state");
	assert_string_equal(last_event, "saving");
	vm_event(vm, EV_PAUSED, "QMP STOP");
	assert_int_equal(vm->vm_state, VM_RUNNING);
	vm_stop(vm, 60, &alice, answered, &b);
	assert_int_equal(b.err, FWS_ERR_BUSY);
	assert_non_null(strstr(b.why, "its state is being saved"));
	vm->vm_job.j_saved = 1;
	acts[0] = '\0';
	vm_event(vm, EV_EXIT_SAVED, "qemu quit");
	assert_int_equal(vm->vm_state, VM_SAVED);
	assert_string_equal(acts,
	    "teardown commit:saved:saved job-ended:save sweep");
	assert_int_equal(a.called, 1);
	assert_int_equal(a.err, FWS_OK);
	assert_int_equal(vm->vm_job.j_kind, JOB_NONE);
	assert_false(vm_is_active(vm));

	/* saved: no stop, no snapshot; start resumes, pending kept */
	assert_int_equal(vm_check(vm, EV_STOP, &err, &why), -1);
	free(why);
	assert_int_equal(vm_check(vm, EV_SNAPSHOT, &err, &why), -1);
	assert_non_null(strstr(why, "start --fresh"));
	free(why);
	vm->vm_vcpus = 1;
	vm->vm_pending_vcpus = 4;
	acts[0] = '\0';
	vm_start(vm, &alice, answered, &b);
	assert_int_equal(vm->vm_state, VM_STARTING);
	assert_string_equal(acts, "spawn pending-left timer:30 "
	    "commit:starting:starting");
	assert_int_equal(vm->vm_vcpus, 1);
	/* the resume fails: saved again, the operator told */
	vm_event(vm, EV_EXIT_RESTORE, "could not resume");
	assert_int_equal(vm->vm_state, VM_SAVED);
	assert_int_equal(b.err, FWS_ERR_FAILED);
	assert_int_equal(vm->vm_job.j_kind, JOB_NONE);
	/* start --fresh's discard, and a loan's end, throw it away */
	acts[0] = '\0';
	vm_event(vm, EV_DISCARD, "start --fresh");
	assert_int_equal(vm->vm_state, VM_STOPPED);
	assert_string_equal(acts, "discard commit:stopped:stopped");
	vm_state_set(vm, VM_SAVED);
	acts[0] = '\0';
	vm_event(vm, EV_LOAN_END, "loan ended");
	assert_int_equal(vm->vm_state, VM_EXPIRED);
	assert_non_null(strstr(acts, "discard"));
	done_vm(vm);

	/* a failed save: running on, the job over, why told */
	vm = new_vm(VM_PAUSED);
	memset(&a, 0, sizeof(a));
	assert_int_equal(vm_job_begin(vm, JOB_SAVE, 1001, &op, &err, &why), 0);
	vm_save_wait(vm, answered, &a);
	vm_event(vm, EV_SAVE_FAILED, "no space left on device");
	assert_int_equal(vm->vm_state, VM_PAUSED);
	assert_int_equal(vm->vm_job.j_kind, JOB_NONE);
	assert_int_equal(a.called, 1);
	assert_int_equal(a.err, FWS_ERR_FAILED);
	assert_non_null(strstr(a.why, "no space left"));
	assert_string_equal(last_event, "save-failed");
	done_vm(vm);

	/* a save that does not end: destroy takes its job over */
	vm = new_vm(VM_RUNNING);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(vm_job_begin(vm, JOB_SAVE, 1001, &op, &err, &why), 0);
	vm_save_wait(vm, answered, &a);
	vm_destroy(vm, &alice, answered, &b);
	assert_int_equal(vm->vm_job.j_kind, JOB_STOP);
	assert_non_null(strstr(acts, "kill"));
	vm_event(vm, EV_EXIT_ASKED, "qemu killed as asked");
	assert_int_equal(vm->vm_state, VM_STOPPED);
	assert_int_equal(b.err, FWS_OK);
	assert_int_equal(a.called, 1);
	assert_int_equal(a.err, FWS_ERR_FAILED);
	done_vm(vm);

	/* only a running or paused guest is saved */
	vm = new_vm(VM_STOPPED);
	assert_int_equal(vm_job_begin(vm, JOB_SAVE, 1001, &op, &err, &why), -1);
	assert_int_equal(err, FWS_ERR_STATE);
	assert_string_equal(why, "web is stopped, not running: only a running "
	    "guest can be saved");
	free(why);
	done_vm(vm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_start, setup),
		cmocka_unit_test_setup(test_start_spawn_fails, setup),
		cmocka_unit_test_setup(test_stop_escalation, setup),
		cmocka_unit_test_setup(test_kill_during_stop, setup),
		cmocka_unit_test_setup(test_destroy_kills_before_writing, setup),
		cmocka_unit_test_setup(test_destroy_during_start, setup),
		cmocka_unit_test_setup(test_poweroff_during_snapshot, setup),
		cmocka_unit_test_setup(test_stop_during_restart_wait, setup),
		cmocka_unit_test_setup(test_stop_after_crash, setup),
		cmocka_unit_test_setup(test_crash_loop, setup),
		cmocka_unit_test_setup(test_restart_decide, setup),
		cmocka_unit_test_setup(test_adopt_half_done, setup),
		cmocka_unit_test_setup(test_pause_resume, setup),
		cmocka_unit_test_setup(test_loan_end, setup),
		cmocka_unit_test_setup(test_save, setup),
		cmocka_unit_test_setup(test_clone_job, setup),
		cmocka_unit_test_setup(test_every_cell, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
