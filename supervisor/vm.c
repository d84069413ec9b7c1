/*
 * vm.c: the VM state machine.  Every change of a VM's state is
 * vm_event() over two tables:
 *
 *   vm_jobs   what an event does to the job under way (a VM has at most
 *             one: a start, a stop, a restart's wait, a snapshot, a
 *             change of its CD drive, of its disks or NICs, its
 *             creation, a save, a clone of it): every "busy" comes
 *             from here, worded once (vm_busy_words);
 *   vm_table  for each state, what each event does: the next state, what
 *             is done, the event recorded, or why it is refused.
 *
 * vm.c does no I/O: the qemu side acts through vm_run (vm-run.c's ops in
 * fwsd, a fake in the unit test) and reports what qemu did with
 * vm_event().  A transition and its event are one durable write
 * (ro_commit) before anyone waiting is told, and what a verb does to
 * qemu (a kill) is done before that write, not after.
 *
 * The operators' verbs (start, stop, destroy, pause, resume, reboot,
 * shutdown-all) and fwsd's own (autostart, restarts, a loan's end)
 * answer through an fws_done_fn with the core's errors: the reply layer
 * picks the wire's codes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fws.h"
#include "log.h"

const struct vm_run_ops *vm_run = &vm_run_qemu;

/* What an event does to the job under way. */
enum job_rule {
	J_DEFAULT,	/* unsaid: an asked-for event is J_BUSY, else J_OK */
	J_OK,		/* no conflict: the state table decides */
	J_BUSY,		/* refused: the job is under way */
	J_JOIN,		/* the same job: wait for its end with the others */
	J_TAKE,		/* it takes the job over (a destroy of a start) */
	J_CANCEL,	/* the job is called off (a restart's wait) */
	J_IGNORE,	/* nothing to do while the job runs */
	J_WAIT,		/* not now: the job's end says when (loan.c) */
};

/*
 * [job][event]: an operator's verb meets any job but none as J_BUSY
 * unless said otherwise here; what qemu and fwsd tell is J_OK unless
 * said otherwise.  qemu ending ends every job with it (its operation is
 * told by the qemu side: snapshot_vm_gone, media's QMP replies).
 */
static const unsigned char vm_jobs[JOB_LAST + 1][EV_LAST + 1] = {
	[JOB_CREATE] = {
		[EV_AUTOSTART] = J_IGNORE, [EV_LOAN_END] = J_WAIT,
	},
	[JOB_START] = {
		[EV_DESTROY] = J_TAKE,		/* killed before it runs */
		[EV_LOAN_END] = J_TAKE,		/* killed too */
		[EV_AUTOSTART] = J_IGNORE,
		[EV_SCREEN] = J_OK,		/* a picture meets no job */
	},
	[JOB_STOP] = {
		[EV_STOP] = J_JOIN,		/* told when the first is done */
		[EV_DESTROY] = J_TAKE,		/* the stop goes on with kill */
		[EV_LOAN_END] = J_JOIN,
		[EV_AUTOSTART] = J_IGNORE,
		[EV_SCREEN] = J_OK,		/* why it does not power off */
	},
	[JOB_RESTART] = {
		[EV_START] = J_CANCEL,		/* the operator's start instead */
		[EV_STOP] = J_CANCEL,		/* no restart: stopped */
		[EV_DESTROY] = J_CANCEL,
		[EV_DELETE] = J_CANCEL,
		[EV_LOAN_END] = J_CANCEL,	/* expired instead */
		[EV_PAUSE] = J_OK, [EV_RESUME] = J_OK, [EV_REBOOT] = J_OK,
		[EV_MEDIA] = J_OK,		/* the definition's disc */
		[EV_AUTOSTART] = J_IGNORE,	/* autostart: the wait does it */
	},
	[JOB_SNAPSHOT] = {
		/* a snapshot job stops the guest while it works: no pause;
		 * one taken over at fwsd's start may be seen mid-way (QMP
		 * status save-vm): the state is the one before the job */
		[EV_PAUSED] = J_IGNORE, [EV_RESUMED] = J_IGNORE,
		[EV_ADOPT_RUNNING] = J_IGNORE, [EV_ADOPT_PAUSED] = J_IGNORE,
		[EV_LOAN_END] = J_WAIT, [EV_AUTOSTART] = J_IGNORE,
		[EV_SCREEN] = J_OK,
	},
	[JOB_MEDIA] = {
		[EV_LOAN_END] = J_WAIT, [EV_AUTOSTART] = J_IGNORE,
		[EV_SCREEN] = J_OK,
	},
	[JOB_DISK] = {
		[EV_LOAN_END] = J_WAIT, [EV_AUTOSTART] = J_IGNORE,
		[EV_SCREEN] = J_OK,
		/* a paused guest cannot let a disk go: a resume lets it */
		[EV_RESUME] = J_OK,
	},
	[JOB_NIC] = {
		[EV_LOAN_END] = J_WAIT, [EV_AUTOSTART] = J_IGNORE,
		[EV_SCREEN] = J_OK,
		/* a paused guest cannot let a NIC go: a resume lets it */
		[EV_RESUME] = J_OK,
	},
	[JOB_SAVE] = {
		/* the save stops the guest while its RAM goes to the file,
		 * and lets it run again if the save fails; a destroy (of a
		 * save that does not end) kills qemu and the save with it */
		[EV_DESTROY] = J_TAKE,
		[EV_PAUSED] = J_IGNORE, [EV_RESUMED] = J_IGNORE,
		[EV_LOAN_END] = J_WAIT, [EV_AUTOSTART] = J_IGNORE,
		[EV_SCREEN] = J_OK,
	},
	[JOB_CLONE] = {
		[EV_LOAN_END] = J_WAIT, [EV_AUTOSTART] = J_IGNORE,
	},
	[JOB_MIGRATE_OUT] = {
		/* the migration stops the guest at its end, and lets it run
		 * again if it fails; a destroy kills qemu, the migration
		 * with it (the destination is told) */
		[EV_DESTROY] = J_TAKE,
		[EV_PAUSED] = J_IGNORE, [EV_RESUMED] = J_IGNORE,
		[EV_ADOPT_RUNNING] = J_IGNORE, [EV_ADOPT_PAUSED] = J_IGNORE,
		[EV_LOAN_END] = J_WAIT, [EV_AUTOSTART] = J_IGNORE,
		[EV_SCREEN] = J_OK,
	},
	[JOB_MIGRATE_IN] = {
		[EV_DESTROY] = J_TAKE,
		[EV_PAUSED] = J_IGNORE, [EV_RESUMED] = J_IGNORE,
		[EV_ADOPT_RUNNING] = J_IGNORE, [EV_ADOPT_PAUSED] = J_IGNORE,
		[EV_LOAN_END] = J_WAIT, [EV_AUTOSTART] = J_IGNORE,
	},
};

/* The events that are asked for, and meet a job as busy by default. */
static int
vm_event_asked(enum vm_event ev)
{
	return ev <= EV_DELETE;
}

/* What the state table's rows do, in this order. */
#define DO_SPAWN	0x0001	/* spawn qemu; the start job goes on */
#define DO_POWERDOWN	0x0002	/* the stop: power button (or quit) */
#define DO_ESCALATE	0x0004	/* the stop's next step: quit, kill */
#define DO_KILL		0x0008	/* the stop: SIGKILL, now */
#define DO_ATTACH	0x0020	/* adopted: watch qemu, QMP again */
#define DO_FINISH_START	0x0040	/* adopted mid-start: the start goes on */
#define DO_FINISH_STOP	0x2000	/* adopted mid-stop: quit now */
#define DO_GONE		0x0080	/* qemu is gone: let go, record the exit
				   (its run's files: after DO_WAKE) */
#define DO_DESTROY	0x4000	/* kill; record it stopped while it dies */
#define DO_REAP		0x8000	/* a destroyed qemu is gone: let go
				   (its run's files: after DO_WAKE) */
#define DO_SAVE		0x0100	/* commit even if nothing is recorded */
#define DO_END_JOB	0x0200	/* after the commit: the job is over */
#define DO_WAKE		0x0400	/* those waiting are told */
#define DO_POLICY	0x0800	/* the restart policy decides */
#define DO_LOAN		0x1000	/* loan.c looks again */
#define DO_DISCARD	0x10000	/* the saved state's file goes */

#define VM_SAME		(VM_STATE_LAST + 1)

struct vm_transition {
	int		 t_set;		/* a row; else refused or ignored */
	int		 t_to;		/* the next state, or VM_SAME */
	unsigned	 t_do;		/* DO_ bits */
	const char	*t_event;	/* recorded; NULL: the state's name,
					   or nothing when it stays */
	enum fws_err	 t_err;		/* refused: why (%1$s the VM's name,
					   %2$s its state) */
	const char	*t_why;
};

#define GO(to, acts, ev)	{ 1, (to), (acts), (ev), FWS_OK, NULL }
#define NO(err, why)		{ 1, VM_SAME, 0, NULL, (err), (why) }

#define NOT_RUNNING	NO(FWS_ERR_STATE, "%1$s is not running")
#define NOT_RUNNING_ST	NO(FWS_ERR_STATE, "%1$s is %2$s, not running")
#define NOT_PAUSED	NO(FWS_ERR_STATE, "%1$s is %2$s, not paused")
#define NO_REBOOT	NO(FWS_ERR_STATE, "%1$s is %2$s")
#define NO_DELETE	NO(FWS_ERR_STATE, "%1$s is %2$s: stop it before " \
			    "deleting it")
#define NO_RENAME	NO(FWS_ERR_STATE, "%1$s is %2$s: stop it before " \
			    "renaming it")
#define NO_SAVE		NO(FWS_ERR_STATE, "%1$s is %2$s, not running: " \
			    "only a running guest can be saved")
/* what the saved state holds must stay as it was until it is resumed */
#define NO_CHANGE_SAVED	NO(FWS_ERR_STATE, "%1$s is saved: its disks and " \
			    "devices stay as the saved state has them; start " \
			    "it, or discard the state with start --fresh")
#define NO_CLONE	NO(FWS_ERR_STATE, "%1$s is %2$s: stop it before " \
			    "cloning it (a running guest's disks are not " \
			    "consistent)")
#define NO_MIGRATE	NO(FWS_ERR_STATE, "%1$s is %2$s: only a running or " \
			    "paused guest migrates (a stopped VM travels with " \
			    "dump and define)")
/* the guest may run on the destination: never restarted here */
#define MIGRATE_LOST	GO(VM_CRASHED, DO_GONE | DO_END_JOB, NULL)
#define ARRIVE_LOST	GO(VM_STOPPED, DO_GONE | DO_END_JOB, NULL)
#define EXIT_STOPPED	GO(VM_STOPPED, DO_GONE | DO_END_JOB | DO_WAKE | \
			    DO_POLICY, NULL)
/* a stop or destroy did it: no restart, whatever the policy */
#define EXIT_ASKED	GO(VM_STOPPED, DO_GONE | DO_END_JOB | DO_WAKE, NULL)
#define EXIT_CRASHED	GO(VM_CRASHED, DO_GONE | DO_END_JOB | DO_WAKE | \
			    DO_POLICY, NULL)
#define LOST_STOPPED	GO(VM_STOPPED, DO_GONE | DO_END_JOB, "stopped")
/* a stop of a VM whose qemu died: nothing to stop, it is stopped now */
#define STOP_DEAD	GO(VM_STOPPED, DO_END_JOB | DO_WAKE, "stopped")
#define LOST_CRASHED	GO(VM_CRASHED, DO_GONE | DO_END_JOB | DO_POLICY, \
			    "crashed")
/* qemu quit with the guest's state whole on disk */
#define SAVED		GO(VM_SAVED, DO_GONE | DO_END_JOB | DO_WAKE, "saved")
#define SAVE_FAILED	GO(VM_SAME, DO_END_JOB | DO_WAKE, "save-failed")
#define LOST_SAVED	GO(VM_SAVED, DO_GONE | DO_END_JOB, "saved")
/* a VM without qemu: a start, and fwsd's own start that could not spawn */
#define STARTS \
	[EV_START] = GO(VM_STARTING, DO_SPAWN, NULL), \
	[EV_AUTOSTART] = GO(VM_STARTING, DO_SPAWN, NULL), \
	[EV_RESTART_DUE] = GO(VM_STARTING, DO_SPAWN, NULL), \
	[EV_SPAWN_FAILED] = GO(VM_SAME, DO_END_JOB | DO_WAKE, NULL), \
	[EV_EXIT_CRASH] = GO(VM_CRASHED, DO_END_JOB | DO_POLICY, "crashed"), \
	[EV_ADOPT_ALIVE] = GO(VM_STARTING, DO_ATTACH | DO_FINISH_START, \
	    "adopted")

/*
 * [state][event].  An empty cell: an operator's verb is refused as not
 * possible in that state; anything else is ignored (qemu's news about a
 * state it has left).  Read a row as "in this state, this happens".
 */
static const struct vm_transition vm_table[VM_STATE_LAST + 1][EV_LAST + 1] = {
	[VM_STOPPED] = {
		[EV_MIGRATE] = NO_MIGRATE,
		/* a guest from another host (migrate-in.c) */
		[EV_ARRIVE] = GO(VM_ARRIVING, DO_SPAWN, "arriving"),
		STARTS,
		[EV_STOP] = NOT_RUNNING, [EV_DESTROY] = NOT_RUNNING,
		[EV_PAUSE] = NOT_RUNNING_ST, [EV_RESUME] = NOT_PAUSED,
		[EV_REBOOT] = NO_REBOOT,
		[EV_SNAPSHOT] = GO(VM_SAME, 0, NULL),	/* qemu-img */
		[EV_MEDIA] = GO(VM_SAME, 0, NULL),	/* the definition */
		[EV_DISK] = GO(VM_SAME, 0, NULL),	/* qemu-img */
		[EV_NIC] = GO(VM_SAME, 0, NULL),	/* the definition */
		[EV_RENAME] = GO(VM_SAME, 0, NULL),
		[EV_SAVE] = NO_SAVE,
		[EV_CLONE] = GO(VM_SAME, 0, NULL),	/* qemu-img */
		[EV_DELETE] = GO(VM_SAME, 0, NULL),
		[EV_LOAN_END] = GO(VM_EXPIRED, DO_LOAN, "expired"),
		[EV_RESTART_CANCEL] = GO(VM_SAME, DO_END_JOB, NULL),
		[EV_CRASH_LOOP] = GO(VM_FAILED, 0, NULL),
		/* a destroy's qemu is gone: recorded already, now told */
		[EV_EXIT_ASKED] = GO(VM_SAME, DO_REAP | DO_END_JOB | DO_WAKE,
		    NULL),
	},
	[VM_CRASHED] = {
		[EV_MIGRATE] = NO_MIGRATE,
		STARTS,
		/* the crash taken note of: stopped (a cluster's agent asks) */
		[EV_STOP] = STOP_DEAD, [EV_DESTROY] = NOT_RUNNING,
		[EV_PAUSE] = NOT_RUNNING_ST, [EV_RESUME] = NOT_PAUSED,
		[EV_REBOOT] = NO_REBOOT,
		[EV_SNAPSHOT] = GO(VM_SAME, 0, NULL),
		[EV_MEDIA] = GO(VM_SAME, 0, NULL),
		[EV_DISK] = GO(VM_SAME, 0, NULL),
		[EV_NIC] = GO(VM_SAME, 0, NULL),
		[EV_RENAME] = GO(VM_SAME, 0, NULL),
		[EV_SAVE] = NO_SAVE,
		[EV_CLONE] = GO(VM_SAME, 0, NULL),
		[EV_DELETE] = GO(VM_SAME, 0, NULL),
		[EV_LOAN_END] = GO(VM_EXPIRED, DO_LOAN, "expired"),
		[EV_RESTART_CANCEL] = GO(VM_STOPPED, DO_END_JOB, NULL),
		[EV_CRASH_LOOP] = GO(VM_FAILED, 0, NULL),
		/* the last fwsd ended before its restart: decide again */
		[EV_ADOPT_LOST] = GO(VM_SAME, DO_POLICY, NULL),
	},
	[VM_FAILED] = {
		[EV_MIGRATE] = NO_MIGRATE,
		STARTS,
		[EV_STOP] = STOP_DEAD, [EV_DESTROY] = NOT_RUNNING,
		[EV_PAUSE] = NOT_RUNNING_ST, [EV_RESUME] = NOT_PAUSED,
		[EV_REBOOT] = NO_REBOOT,
		[EV_SNAPSHOT] = GO(VM_SAME, 0, NULL),
		[EV_MEDIA] = GO(VM_SAME, 0, NULL),
		[EV_DISK] = GO(VM_SAME, 0, NULL),
		[EV_NIC] = GO(VM_SAME, 0, NULL),
		[EV_RENAME] = GO(VM_SAME, 0, NULL),
		[EV_SAVE] = NO_SAVE,
		[EV_CLONE] = GO(VM_SAME, 0, NULL),
		[EV_DELETE] = GO(VM_SAME, 0, NULL),
		[EV_LOAN_END] = GO(VM_EXPIRED, DO_LOAN, "expired"),
	},
	[VM_EXPIRED] = {
		[EV_MIGRATE] = NO_MIGRATE,
		[EV_START] = NO(FWS_ERR_STATE, "%1$s is expired"),
		[EV_AUTOSTART] = GO(VM_SAME, 0, NULL),
		[EV_STOP] = NOT_RUNNING, [EV_DESTROY] = NOT_RUNNING,
		[EV_PAUSE] = NOT_RUNNING_ST, [EV_RESUME] = NOT_PAUSED,
		[EV_REBOOT] = NO_REBOOT,
		[EV_SNAPSHOT] = NO(FWS_ERR_STATE, "%1$s is expired: its "
		    "snapshots wait for its loan to be extended"),
		[EV_DISK] = NO(FWS_ERR_STATE, "%1$s is expired: its disks "
		    "wait for its loan to be extended"),
		[EV_NIC] = NO(FWS_ERR_STATE, "%1$s is expired: its NICs "
		    "wait for its loan to be extended"),
		[EV_RENAME] = GO(VM_SAME, 0, NULL),
		[EV_CLONE] = NO(FWS_ERR_STATE, "%1$s is expired: its disks "
		    "wait for its loan to be extended"),
		[EV_MEDIA] = GO(VM_SAME, 0, NULL),
		[EV_SAVE] = NO_SAVE,
		[EV_DELETE] = GO(VM_SAME, 0, NULL),
		[EV_LOAN_EXTENDED] = GO(VM_STOPPED, DO_LOAN, "loan"),
	},
	[VM_SAVED] = {
		[EV_MIGRATE] = NO_MIGRATE,
		/* the start resumes the guest (vm-save.c's steps) */
		[EV_START] = GO(VM_STARTING, DO_SPAWN, NULL),
		[EV_AUTOSTART] = GO(VM_STARTING, DO_SPAWN, NULL),
		[EV_SPAWN_FAILED] = GO(VM_SAME, DO_END_JOB | DO_WAKE, NULL),
		[EV_EXIT_CRASH] = GO(VM_SAME, DO_END_JOB, "resume-failed"),
		[EV_DISCARD] = GO(VM_STOPPED, DO_DISCARD, "stopped"),
		[EV_STOP] = NOT_RUNNING, [EV_DESTROY] = NOT_RUNNING,
		[EV_PAUSE] = NOT_RUNNING_ST, [EV_RESUME] = NOT_PAUSED,
		[EV_REBOOT] = NO_REBOOT, [EV_SAVE] = NO_SAVE,
		[EV_SNAPSHOT] = NO_CHANGE_SAVED, [EV_MEDIA] = NO_CHANGE_SAVED,
		[EV_DISK] = NO_CHANGE_SAVED, [EV_NIC] = NO_CHANGE_SAVED,
		/* its disks belong with the RAM in the file */
		[EV_CLONE] = NO(FWS_ERR_STATE, "%1$s is saved: its disks go with "
		    "the guest's saved RAM; start it (or start --fresh) and "
		    "stop it before cloning it"),
		[EV_RENAME] = GO(VM_SAME, 0, NULL),	/* its directory moves */
		[EV_DELETE] = GO(VM_SAME, 0, NULL),	/* with its directory */
		/* a loan's end is a stop: the guest's state goes */
		[EV_LOAN_END] = GO(VM_EXPIRED, DO_LOAN | DO_DISCARD, "expired"),
	},
	[VM_STARTING] = {
		[EV_START] = NO(FWS_ERR_BUSY, "%1$s is starting"),
		[EV_DESTROY] = GO(VM_SAME, DO_KILL, NULL),
		[EV_LOAN_END] = GO(VM_SAME, DO_KILL, NULL),
		[EV_PAUSE] = NOT_RUNNING_ST, [EV_RESUME] = NOT_PAUSED,
		[EV_REBOOT] = NO_REBOOT, [EV_DELETE] = NO_DELETE,
		[EV_SAVE] = NO_SAVE, [EV_MIGRATE] = NO_MIGRATE,
		[EV_CLONE] = NO_CLONE,
		[EV_RUNNING] = GO(VM_RUNNING, DO_END_JOB | DO_WAKE, "started"),
		[EV_START_FAILED] = GO(VM_SAME, DO_KILL, NULL),
		/* destroyed while starting */
		[EV_EXIT_ASKED] = EXIT_ASKED,
		/* the operator's start failed: they hear it, no restart */
		[EV_EXIT_START] = GO(VM_STOPPED, DO_GONE | DO_END_JOB |
		    DO_WAKE, NULL),
		/* a resume failed: the saved state is kept for another */
		[EV_EXIT_RESTORE] = GO(VM_SAVED, DO_GONE | DO_END_JOB |
		    DO_WAKE, "saved"),
		/* fwsd's own start failed: the policy retries */
		[EV_EXIT_CRASH] = EXIT_CRASHED,
		[EV_EXIT_POWEROFF] = EXIT_CRASHED,
		[EV_EXIT_PANIC] = EXIT_CRASHED,
		/* the last fwsd died between spawn and cont: finish it */
		[EV_ADOPT_ALIVE] = GO(VM_SAME, DO_ATTACH | DO_FINISH_START |
		    DO_SAVE, "adopted"),
		[EV_ADOPT_LOST] = LOST_CRASHED,
	},
	[VM_RUNNING] = {
		[EV_START] = NO(FWS_ERR_STATE, "%1$s is already running"),
		[EV_STOP] = GO(VM_STOPPING, DO_POWERDOWN, NULL),
		[EV_LOAN_END] = GO(VM_STOPPING, DO_POWERDOWN, NULL),
		/* SIGKILL cannot be refused: one write while qemu dies */
		[EV_DESTROY] = GO(VM_STOPPED, DO_DESTROY, "stopped"),
		/* a QMP command; its reply (or QMP's event) moves it */
		[EV_PAUSE] = GO(VM_SAME, 0, NULL),
		[EV_RESUME] = NOT_PAUSED,
		[EV_REBOOT] = GO(VM_SAME, 0, NULL),
		[EV_SNAPSHOT] = GO(VM_SAME, 0, NULL),	/* by qemu */
		[EV_MEDIA] = GO(VM_SAME, 0, NULL),	/* live */
		[EV_DISK] = GO(VM_SAME, 0, NULL),	/* live */
		[EV_NIC] = GO(VM_SAME, 0, NULL),	/* live */
		[EV_RENAME] = NO_RENAME,
		[EV_CLONE] = NO_CLONE,
		[EV_KEYS] = GO(VM_SAME, 0, NULL),	/* a QMP command */
		[EV_SCREEN] = GO(VM_SAME, 0, NULL),	/* a QMP command */
		[EV_SAVE] = GO(VM_SAME, 0, "saving"),	/* vm-save.c's steps */
		[EV_MIGRATE] = GO(VM_MIGRATING, 0, "migrating"),
		[EV_EXIT_SAVED] = SAVED,
		[EV_SAVE_FAILED] = SAVE_FAILED,
		[EV_DELETE] = NO_DELETE,
		[EV_PAUSED] = GO(VM_PAUSED, 0, "paused"),
		[EV_EXIT_ASKED] = EXIT_ASKED,
		[EV_EXIT_POWEROFF] = EXIT_STOPPED,	/* restart=always: again */
		[EV_EXIT_PANIC] = EXIT_CRASHED,
		[EV_EXIT_CRASH] = EXIT_CRASHED,
		[EV_ADOPT_ALIVE] = GO(VM_SAME, DO_ATTACH | DO_SAVE, NULL),
		[EV_ADOPT_RUNNING] = GO(VM_RUNNING, 0, "adopted"),
		[EV_ADOPT_PAUSED] = GO(VM_PAUSED, 0, "adopted"),
		[EV_ADOPT_LOST] = LOST_CRASHED,
		[EV_ADOPT_SAVED] = LOST_SAVED,
	},
	[VM_PAUSED] = {
		[EV_START] = NO(FWS_ERR_STATE, "%1$s is paused: resume it "
		    "instead"),
		[EV_STOP] = GO(VM_STOPPING, DO_POWERDOWN, NULL),
		[EV_LOAN_END] = GO(VM_STOPPING, DO_POWERDOWN, NULL),
		/* SIGKILL cannot be refused: one write while qemu dies */
		[EV_DESTROY] = GO(VM_STOPPED, DO_DESTROY, "stopped"),
		[EV_PAUSE] = NOT_RUNNING_ST,
		[EV_RESUME] = GO(VM_SAME, 0, NULL),
		[EV_REBOOT] = GO(VM_SAME, 0, NULL),
		[EV_SNAPSHOT] = GO(VM_SAME, 0, NULL),
		[EV_MEDIA] = GO(VM_SAME, 0, NULL),
		[EV_DISK] = GO(VM_SAME, 0, NULL),
		[EV_NIC] = GO(VM_SAME, 0, NULL),
		[EV_RENAME] = NO_RENAME,
		[EV_CLONE] = NO_CLONE,
		[EV_KEYS] = NOT_RUNNING_ST,	/* nobody would read them */
		[EV_SCREEN] = GO(VM_SAME, 0, NULL),
		[EV_SAVE] = GO(VM_SAME, 0, "saving"),
		[EV_MIGRATE] = GO(VM_MIGRATING, 0, "migrating"),
		[EV_EXIT_SAVED] = SAVED,
		[EV_SAVE_FAILED] = SAVE_FAILED,
		[EV_DELETE] = NO_DELETE,
		[EV_RESUMED] = GO(VM_RUNNING, 0, "resumed"),
		[EV_EXIT_ASKED] = EXIT_ASKED,
		[EV_EXIT_POWEROFF] = EXIT_STOPPED,
		[EV_EXIT_PANIC] = EXIT_CRASHED,
		[EV_EXIT_CRASH] = EXIT_CRASHED,
		[EV_ADOPT_ALIVE] = GO(VM_SAME, DO_ATTACH | DO_SAVE, NULL),
		[EV_ADOPT_RUNNING] = GO(VM_RUNNING, 0, "adopted"),
		[EV_ADOPT_PAUSED] = GO(VM_PAUSED, 0, "adopted"),
		[EV_ADOPT_LOST] = LOST_CRASHED,
		[EV_ADOPT_SAVED] = LOST_SAVED,
	},
	[VM_STOPPING] = {
		[EV_START] = NO(FWS_ERR_BUSY, "%1$s is stopping"),
		[EV_DESTROY] = GO(VM_SAME, DO_KILL, NULL),
		[EV_PAUSE] = NOT_RUNNING_ST, [EV_RESUME] = NOT_PAUSED,
		[EV_REBOOT] = NO_REBOOT, [EV_DELETE] = NO_DELETE,
		[EV_SAVE] = NO_SAVE, [EV_MIGRATE] = NO_MIGRATE,
		[EV_CLONE] = NO_CLONE,
		[EV_SCREEN] = GO(VM_SAME, 0, NULL),
		[EV_STOP_TIMER] = GO(VM_SAME, DO_ESCALATE, NULL),
		/* however it ended, it was asked to: no restart */
		[EV_EXIT_ASKED] = EXIT_ASKED,
		[EV_EXIT_POWEROFF] = EXIT_ASKED,
		[EV_EXIT_PANIC] = EXIT_ASKED,
		[EV_EXIT_CRASH] = EXIT_ASKED,
		/* its timer is lost with the last fwsd: quit */
		[EV_ADOPT_ALIVE] = GO(VM_SAME, DO_ATTACH | DO_FINISH_STOP,
		    "adopted"),
		[EV_ADOPT_LOST] = LOST_STOPPED,
	},
	/*
	 * migrate.c's steps move it; a failure before the destination was
	 * told to run the guest lets it run here again (as it was: running
	 * or paused); after, without the destination's answer, it stays
	 * paused here, without a job: an admin checks the destination, then
	 * destroys or resumes it.  Never restarted by the policy: the guest
	 * may run on the destination.
	 */
	[VM_MIGRATING] = {
		[EV_START] = NO(FWS_ERR_STATE, "%1$s is migrating"),
		[EV_STOP] = NO(FWS_ERR_STATE, "%1$s is migrating: its guest "
		    "may run on the destination; destroy it, or resume it"),
		[EV_DESTROY] = GO(VM_STOPPED, DO_DESTROY, "stopped"),
		[EV_RESUME] = GO(VM_SAME, 0, NULL),
		[EV_RESUMED] = GO(VM_RUNNING, 0, "resumed"),
		[EV_SCREEN] = GO(VM_SAME, 0, NULL),
		[EV_DELETE] = NO_DELETE, [EV_RENAME] = NO_RENAME,
		[EV_MIGRATE] = NO(FWS_ERR_STATE, "%1$s is migrating: the outcome "
		    "of its last migration is not known"),
		[EV_MIGRATE_BACK] = GO(VM_RUNNING, DO_END_JOB, "migrate-failed"),
		[EV_MIGRATE_BACK_PAUSED] = GO(VM_PAUSED, DO_END_JOB,
		    "migrate-failed"),
		[EV_MIGRATE_UNKNOWN] = GO(VM_SAME, DO_END_JOB | DO_SAVE,
		    "migrate-unknown"),
		[EV_EXIT_MIGRATED] = GO(VM_STOPPED, DO_GONE | DO_END_JOB,
		    "migrated"),
		[EV_EXIT_ASKED] = EXIT_ASKED,
		[EV_EXIT_POWEROFF] = MIGRATE_LOST,
		[EV_EXIT_PANIC] = MIGRATE_LOST,
		[EV_EXIT_CRASH] = MIGRATE_LOST,
		/* migrate.c decides (migrate_adopt) */
		[EV_ADOPT_ALIVE] = GO(VM_SAME, DO_ATTACH | DO_SAVE, NULL),
		[EV_ADOPT_LOST] = MIGRATE_LOST,
	},
	/* a qemu with -incoming: destroyed, or ended, it is forgotten */
	[VM_ARRIVING] = {
		[EV_DESTROY] = GO(VM_STOPPED, DO_DESTROY, "stopped"),
		[EV_ARRIVED] = GO(VM_RUNNING, DO_END_JOB, "arrived"),
		[EV_EXIT_ASKED] = ARRIVE_LOST,
		[EV_EXIT_POWEROFF] = ARRIVE_LOST,
		[EV_EXIT_PANIC] = ARRIVE_LOST,
		[EV_EXIT_CRASH] = ARRIVE_LOST,
		[EV_EXIT_START] = ARRIVE_LOST,
		/* migrate-in.c kills it (migrate_in_adopt) */
		[EV_ADOPT_ALIVE] = GO(VM_SAME, DO_ATTACH | DO_SAVE, NULL),
		[EV_ADOPT_LOST] = ARRIVE_LOST,
	},
};

static const char *const vm_event_names[EV_LAST + 1] = {
	[EV_START] = "start", [EV_AUTOSTART] = "autostart",
	[EV_STOP] = "stop", [EV_DESTROY] = "destroy", [EV_PAUSE] = "pause",
	[EV_RESUME] = "resume", [EV_REBOOT] = "reboot",
	[EV_SNAPSHOT] = "snapshot", [EV_MEDIA] = "media", [EV_KEYS] = "send-key",
	[EV_SCREEN] = "screenshot", [EV_DISK] = "disk", [EV_NIC] = "nic",
	[EV_RENAME] = "rename", [EV_SAVE] = "save", [EV_DISCARD] = "discard",
	[EV_CLONE] = "clone", [EV_MIGRATE] = "migrate",
	[EV_ARRIVE] = "arrive",
	[EV_DELETE] = "delete", [EV_LOAN_END] = "loan end",
	[EV_LOAN_EXTENDED] = "loan extended",
	[EV_SPAWN_FAILED] = "spawn failed", [EV_RUNNING] = "running",
	[EV_START_FAILED] = "start failed", [EV_PAUSED] = "paused",
	[EV_RESUMED] = "resumed", [EV_STOP_TIMER] = "stop timer",
	[EV_EXIT_ASKED] = "exit as asked", [EV_EXIT_POWEROFF] = "poweroff",
	[EV_EXIT_PANIC] = "panic", [EV_EXIT_CRASH] = "crash",
	[EV_EXIT_START] = "exit during start",
	[EV_EXIT_SAVED] = "exit after save", [EV_EXIT_RESTORE] =
	    "exit during resume", [EV_SAVE_FAILED] = "save failed",
	[EV_MIGRATE_BACK] = "migration failed",
	[EV_MIGRATE_BACK_PAUSED] = "migration failed (paused)",
	[EV_MIGRATE_UNKNOWN] = "migration's end unknown",
	[EV_EXIT_MIGRATED] = "exit after migration",
	[EV_ARRIVED] = "arrived",
	[EV_RESTART_CANCEL] = "restart cancelled",
	[EV_RESTART_DUE] = "restart due", [EV_CRASH_LOOP] = "crash loop",
	[EV_ADOPT_ALIVE] = "adopt alive", [EV_ADOPT_LOST] = "adopt lost",
	[EV_ADOPT_RUNNING] = "adopt running", [EV_ADOPT_PAUSED] =
	    "adopt paused", [EV_ADOPT_SAVED] = "adopt saved",
};

/* The job's words in a "busy". */
static const char *const vm_job_busy[JOB_LAST + 1] = {
	[JOB_NONE] = "",
	[JOB_CREATE] = " is being created",
	[JOB_START] = " is starting",
	[JOB_STOP] = " is stopping",
	[JOB_RESTART] = " is about to restart",
	[JOB_SNAPSHOT] = ": a snapshot operation is under way",
	[JOB_MEDIA] = ": a change of its CD drive is under way",
	[JOB_DISK] = ": a change of its disks is under way",
	[JOB_NIC] = ": a change of its NICs is under way",
	[JOB_SAVE] = ": its state is being saved",
	[JOB_CLONE] = " is being cloned",
	[JOB_MIGRATE_OUT] = " is migrating",
	[JOB_MIGRATE_IN] = " is arriving from another host",
};

const char *
vm_event_name(enum vm_event ev)
{
	return vm_event_names[ev];
}

static int64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "busy: web is starting, started 2 s ago", and what to do about it */
static char *
vm_busy_words(const struct vm *vm, enum vm_event ev)
{
	int64_t	 ago = (mono_ms() - vm->vm_job.j_since_ms) / 1000;

	return xasprintf("busy: %s%s, started %lld s ago%s", vm->vm_name,
	    vm_job_busy[vm->vm_job.j_kind], (long long)ago,
	    vm->vm_job.j_kind == JOB_START && ev == EV_STOP ?
	    ": wait, or destroy it" : "");
}

/* The job's rule for ev; J_OK when there is no job. */
static enum job_rule
vm_job_rule(const struct vm *vm, enum vm_event ev)
{
	enum job_rule	 r;

	if (vm->vm_job.j_kind == JOB_NONE)
		return J_OK;
	r = vm_jobs[vm->vm_job.j_kind][ev];
	if (r == J_DEFAULT)
		return vm_event_asked(ev) ? J_BUSY : J_OK;
	return r;
}

/* The refusal of a row, in words. */
static char *
vm_refusal(const struct vm *vm, const struct vm_transition *t)
{
	char	*s;

	if (asprintf(&s, t->t_why, vm->vm_name,
	    vm_state_name(vm->vm_state)) == -1)
		abort();
	return s;
}

static const struct vm_transition *
vm_row(enum vm_state st, enum vm_event ev)
{
	return &vm_table[st][ev];
}

/*
 * Can ev happen now?  0, or -1 with the core's error and why: the job's
 * busy, or the state's refusal.  *rule says what it does to the job.
 */
static int
vm_may(const struct vm *vm, enum vm_event ev, enum job_rule *rule,
    enum fws_err *err, char **why)
{
	const struct vm_transition *t;

	*rule = vm_job_rule(vm, ev);
	if (*rule == J_BUSY) {
		*err = FWS_ERR_BUSY;
		*why = vm_busy_words(vm, ev);
		return -1;
	}
	if (*rule != J_OK)
		return 0;
	t = vm_row(vm->vm_state, ev);
	if (t->t_set && t->t_err != FWS_OK) {
		*err = t->t_err;
		*why = vm_refusal(vm, t);
		return -1;
	}
	if (!t->t_set && vm_event_asked(ev)) {
		*err = FWS_ERR_STATE;
		*why = xasprintf("%s is %s", vm->vm_name,
		    vm_state_name(vm->vm_state));
		return -1;
	}
	return 0;
}

static void
vm_job_clear(struct vm *vm)
{
	free(vm->vm_job.j_error);
	memset(&vm->vm_job, 0, sizeof(vm->vm_job));
	vm->vm_job.j_kind = JOB_NONE;
	vm->vm_job.j_actor = -1;
	vm->vm_job.j_percent = -1;
}

static void
vm_job_set(struct vm *vm, enum vm_job_kind kind, int64_t actor, void *op)
{
	vm_job_clear(vm);
	vm->vm_job.j_kind = kind;
	vm->vm_job.j_since = time(NULL);
	vm->vm_job.j_since_ms = mono_ms();
	vm->vm_job.j_actor = actor;
	vm->vm_job.j_op = op;
}

/* The event that begins a job of kind, the tables' way in; -1: none */
static int
vm_job_event(enum vm_job_kind kind)
{
	switch (kind) {
	case JOB_SNAPSHOT:
		return EV_SNAPSHOT;
	case JOB_MEDIA:
		return EV_MEDIA;
	case JOB_DISK:
		return EV_DISK;
	case JOB_NIC:
		return EV_NIC;
	case JOB_SAVE:
		return EV_SAVE;
	case JOB_CLONE:
		return EV_CLONE;
	case JOB_MIGRATE_OUT:
		return EV_MIGRATE;
	case JOB_MIGRATE_IN:
		return EV_ARRIVE;
	default:
		return -1;
	}
}

/*
 * Begin a job that is not a start or a stop (a snapshot, a change of
 * the CD drive, a creation) as actor: 0, or -1 with the core's error and
 * why (busy, or not in this state).
 */
int
vm_job_begin(struct vm *vm, enum vm_job_kind kind, int64_t actor, void *op,
    enum fws_err *err, char **why)
{
	enum job_rule	 rule;
	int		 ev;

	if ((ev = vm_job_event(kind)) != -1) {
		if (vm_may(vm, (enum vm_event)ev, &rule, err, why) == -1)
			return -1;
		if (rule != J_OK) {
			*err = FWS_ERR_BUSY;
			*why = vm_busy_words(vm, EV_SNAPSHOT);
			return -1;
		}
	} else if (vm->vm_job.j_kind != JOB_NONE) {
		*err = FWS_ERR_BUSY;
		*why = vm_busy_words(vm, EV_SNAPSHOT);
		return -1;
	}
	vm_job_set(vm, kind, actor, op);
	return 0;
}

/* May ev happen now?  0, or -1 with the core's error and why. */
int
vm_check(struct vm *vm, enum vm_event ev, enum fws_err *err, char **why)
{
	enum job_rule	 rule;

	return vm_may(vm, ev, &rule, err, why);
}

/* The job of op (NULL: whatever it is) is over. */
void
vm_job_end(struct vm *vm, void *op)
{
	enum vm_job_kind kind = vm->vm_job.j_kind;

	if (kind == JOB_NONE || (op != NULL && vm->vm_job.j_op != op))
		return;
	vm_run->ro_timer(vm, -1);
	vm_job_clear(vm);
	vm_run->ro_changed(vm, kind);
}

void
vm_job_progress(struct vm *vm, int percent, const char *step)
{
	vm->vm_job.j_percent = percent;
	vm->vm_job.j_step = step;
}

/*
 * What a verb's answer carries: the VM's name and owner (the reply layer
 * shows the VM as it likes).
 */
static json_t *
vm_result(const struct vm *vm)
{
	return json_pack("{ss sI}", "name", vm->vm_name, "owner",
	    (json_int_t)vm->vm_owner);
}

/* Wait for the start or the stop under way: fn(arg, ...) at its end. */
static void
vm_wait(struct vm *vm, enum vm_state want, fws_done_fn fn, void *arg)
{
	struct vm_waiter	*w;

	if (fn == NULL)
		return;		/* fwsd's own: nobody waits */
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		fn(arg, FWS_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	w->w_fn = fn;
	w->w_arg = arg;
	w->w_want = want;
	TAILQ_INSERT_TAIL(&vm->vm_waiters, w, w_entry);
}

/* A save's end, told to fn(arg, ...): saved, or why not. */
void
vm_save_wait(struct vm *vm, fws_done_fn fn, void *arg)
{
	vm_wait(vm, VM_SAVED, fn, arg);
}

/*
 * The VM runs now, or its qemu is gone (or never came), or a save
 * ended.  Running tells those waiting for it to run; gone tells
 * everyone: done to those waiting for a stop, why to those waiting for a
 * start; a save's end tells those waiting for it whether it is saved.
 */
static void
vm_wake(struct vm *vm, const char *why)
{
	struct vm_waiter	*w, *tw;
	int			 up = vm->vm_state == VM_RUNNING, ok;
	char			*msg;

	TAILQ_FOREACH_SAFE(w, &vm->vm_waiters, w_entry, tw) {
		if (up && w->w_want == VM_STOPPED)
			continue;
		TAILQ_REMOVE(&vm->vm_waiters, w, w_entry);
		ok = (up && w->w_want == VM_RUNNING) ||
		    (!vm_is_active(vm) && w->w_want == VM_STOPPED) ||
		    (vm->vm_state == VM_SAVED && w->w_want == VM_SAVED);
		if (ok)
			w->w_fn(w->w_arg, FWS_OK, NULL, vm_result(vm));
		else {
			msg = xasprintf("%s: %s", vm->vm_name, why ? why :
			    "failed");
			w->w_fn(w->w_arg, FWS_ERR_FAILED, msg, NULL);
			free(msg);
		}
		free(w);
	}
}

/* fwsd is exiting: those waiting hear so, nothing is answered to them. */
void
vm_release(struct vm *vm)
{
	struct vm_waiter	*w;

	while ((w = TAILQ_FIRST(&vm->vm_waiters)) != NULL) {
		TAILQ_REMOVE(&vm->vm_waiters, w, w_entry);
		w->w_fn(w->w_arg, FWS_ERR_INTERNAL, "fwsd is exiting", NULL);
		free(w);
	}
	vm_job_clear(vm);
}

/* The stop's step: the power button (or quit), quit, kill. */
static const char *
vm_stop_act(struct vm *vm, int step, unsigned timeout, int paused)
{
	vm->vm_job.j_stop_step = step;
	switch (step) {
	case 0:
		if (timeout > 0 && vm_run->ro_powerdown(vm, paused) == 0) {
			vm_run->ro_timer(vm, timeout);
			vm_job_progress(vm, -1, "ACPI power button");
			return NULL;
		}
		/* FALLTHROUGH */
	case 1:
		vm->vm_job.j_stop_step = 1;
		if (vm_run->ro_quit(vm) == 0) {
			vm_run->ro_timer(vm, FWS_KILL_GRACE);
			vm_job_progress(vm, -1, "quit");
			return "qemu asked to quit";
		}
		/* FALLTHROUGH */
	default:
		vm->vm_job.j_stop_step = 2;
		vm_run->ro_timer(vm, -1);
		vm_job_progress(vm, -1, "kill");
		vm_run->ro_kill(vm);
		return "qemu killed";
	}
}

static void	vm_policy(struct vm *);

/*
 * The one transition function: ev happens to vm, reason (printf) says
 * why.  The state's row says what is done, in the order of the DO_
 * bits: what acts on qemu first, then the new state and its event in one
 * write, then the job's end, those waiting, a gone qemu's files, the
 * restart policy.  -1 when the row refuses it (the caller checked with
 * vm_may first), or when a spawn failed (another event said so).
 */
int
vm_event(struct vm *vm, enum vm_event ev, const char *fmt, ...)
{
	const struct vm_transition *t = vm_row(vm->vm_state, ev);
	enum job_rule	 rule = vm_job_rule(vm, ev);
	enum vm_state	 to;
	va_list		 ap;
	struct vm_record rec[2];
	const char	*event, *step, *lead;
	char		*reason = NULL, *first = NULL, *cause, *why, *tmp;
	int		 changed, n;

	if (rule == J_IGNORE && !vm_event_asked(ev)) {
		log_debug("%s: %s ignored during its %s job", vm->vm_name,
		    vm_event_name(ev), vm_job_name(vm->vm_job.j_kind));
		return -1;
	}
	if (!t->t_set || t->t_err != FWS_OK) {
		log_debug("%s: %s ignored while %s", vm->vm_name,
		    vm_event_name(ev), vm_state_name(vm->vm_state));
		return -1;
	}
	if (fmt != NULL) {
		va_start(ap, fmt);
		if (vasprintf(&reason, fmt, ap) == -1)
			reason = NULL;
		va_end(ap);
	}
	to = t->t_to == VM_SAME ? vm->vm_state : (enum vm_state)t->t_to;

	if (t->t_do & DO_SPAWN) {
		/* what set left pending: recorded with "starting" below;
		 * a resume keeps it pending: the saved machine is as it was */
		if (vm->vm_state != VM_SAVED)
			vm_pending_apply(vm);
		if (vm_run->ro_spawn(vm, &cause) == -1) {
			why = xasprintf("cannot start: %s", cause);
			free(cause);
			free(reason);
			vm_event(vm, vm->vm_job.j_by_fwsd ? EV_EXIT_CRASH :
			    EV_SPAWN_FAILED, "%s", why);
			free(why);
			return -1;
		}
		vm_run->ro_timer(vm, FWS_START_TIMEOUT);
		vm_job_progress(vm, -1, "qemu spawned");
		tmp = xasprintf("%s%sqemu pid %d", reason ? reason : "",
		    reason ? ", " : "", (int)vm->vm_pid);
		free(reason);
		reason = tmp;
	}
	if (t->t_do & DO_POWERDOWN) {
		lead = vm->vm_job.j_loan ? "its loan ended: " : "";
		step = vm_stop_act(vm, 0, vm->vm_job.j_timeout,
		    vm->vm_state == VM_PAUSED);
		free(reason);
		reason = step != NULL ? xasprintf("%s%s", lead, step) :
		    xasprintf("%sACPI power button, %u s to comply", lead,
		    vm->vm_job.j_timeout);
	}
	if (t->t_do & DO_ESCALATE) {
		if (vm->vm_job.j_stop_step == 0)
			log_info("%s: the guest did not power off in time, "
			    "quitting", vm->vm_name);
		else
			log_warnx("%s: qemu did not quit, killing it",
			    vm->vm_name);
		step = vm_stop_act(vm, vm->vm_job.j_stop_step + 1, 0, 0);
		if (reason == NULL && step != NULL)
			reason = xasprintf("%s", step);
	}
	if (t->t_do & DO_KILL)
		vm_stop_act(vm, 2, 0, 0);
	if (t->t_do & DO_DESTROY) {
		/* the kill first: the write below overlaps qemu's dying */
		vm_stop_act(vm, 2, 0, 0);
		first = xasprintf("destroy: killing qemu pid %d",
		    (int)vm->vm_pid);
		free(vm->vm_last_exit);
		vm->vm_last_exit = xasprintf("qemu killed as asked");
		vm->vm_last_exit_time = time(NULL);
		free(reason);
		reason = xasprintf("qemu killed as asked (pid %d)",
		    (int)vm->vm_pid);
		vm->vm_pid = 0;
		vm->vm_pid_start = 0;
	}
	if (t->t_do & DO_REAP)
		vm_run->ro_teardown(vm);
	if (t->t_do & DO_DISCARD)
		vm_run->ro_discard(vm);
	if (t->t_do & DO_ATTACH)
		vm_run->ro_attach(vm, (t->t_do & DO_FINISH_START) != 0);
	if (t->t_do & DO_FINISH_START) {
		vm_job_set(vm, JOB_START, -1, NULL);
		vm->vm_job.j_by_fwsd = 1;
		vm_run->ro_timer(vm, FWS_START_TIMEOUT);
		vm_job_progress(vm, -1, "adopted");
	}
	if (t->t_do & DO_FINISH_STOP) {
		vm_job_set(vm, JOB_STOP, -1, NULL);
		step = vm_stop_act(vm, 1, 0, 0);
		free(reason);
		reason = xasprintf("the stop under way when fwsd ended goes "
		    "on: %s", step);
	}
	if (t->t_do & DO_GONE) {
		vm_run->ro_teardown(vm);
		free(vm->vm_last_exit);
		vm->vm_last_exit = xasprintf("%s", reason ? reason : "");
		vm->vm_last_exit_time = time(NULL);
		tmp = xasprintf("%s (pid %d)", reason ? reason : "",
		    (int)vm->vm_pid);
		free(reason);
		reason = tmp;
		vm->vm_pid = 0;
		vm->vm_pid_start = 0;
	}

	changed = to != vm->vm_state;
	event = t->t_event != NULL ? t->t_event : changed ?
	    vm_state_name(to) : NULL;
	if (changed)
		log_debug("%s: %s -> %s (%s)", vm->vm_name,
		    vm_state_name(vm->vm_state), vm_state_name(to),
		    vm_event_name(ev));
	vm_state_set(vm, to);
	if (changed || event != NULL || (t->t_do & DO_SAVE)) {
		n = 0;
		if (first != NULL) {
			rec[n].r_event = "stopping";
			rec[n++].r_reason = first;
		}
		if (event != NULL) {
			rec[n].r_event = event;
			rec[n++].r_reason = reason ? reason : "";
		}
		vm_run->ro_commit(vm, vm_actor(vm), rec, n);
	}
	free(first);

	if (t->t_do & DO_END_JOB)
		vm_job_end(vm, NULL);
	if (t->t_do & DO_WAKE)
		vm_wake(vm, reason);
	if (t->t_do & (DO_GONE | DO_REAP))
		vm_run->ro_sweep(vm);
	if (t->t_do & DO_POLICY)
		vm_policy(vm);
	if (t->t_do & DO_LOAN)
		vm_run->ro_changed(vm, JOB_NONE);
	free(reason);
	return 0;
}

/* After an exit nobody asked for: the restart policy decides. */
static void
vm_policy(struct vm *vm)
{
	struct restart_policy	 rp;
	struct timespec		 ts;
	struct vm_record	 rec;
	unsigned		 delay;
	char			*why;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	restart_policy_of(&conf, &rp);
	switch (restart_decide(vm, &rp, time(NULL), ts.tv_sec, &delay)) {
	case RESTART_NONE:
		break;
	case RESTART_FAILED:
		vm_event(vm, EV_CRASH_LOOP, "%u restarts within %u s did not "
		    "help; \"fwsctl start %s\" tries again", vm->vm_nrecent,
		    rp.rp_loop_window, vm->vm_name);
		break;
	case RESTART_AFTER:
		vm_job_set(vm, JOB_RESTART, -1, NULL);
		vm->vm_job.j_due = time(NULL) + delay;
		vm_job_progress(vm, -1, "waiting");
		vm_run->ro_timer(vm, delay);
		why = xasprintf("in %u s (policy %s, %u restarts in the last "
		    "%u s)", delay, vm_restart_name(vm->vm_restart),
		    vm->vm_nrecent, rp.rp_loop_window);
		rec.r_event = "restarting";
		rec.r_reason = why;
		vm_run->ro_commit(vm, -1, &rec, 1);
		free(why);
		break;
	}
}

/* A verb's refusal, or the core's error, told to the one who asked. */
static void
vm_refuse(fws_done_fn fn, void *arg, enum fws_err err, char *why)
{
	fn(arg, err, why, NULL);
	free(why);
}

/*
 * The restart policy's wait is called off by an operator's stop,
 * destroy or shutdown-all: a crashed VM is stopped.
 */
static void
vm_restart_cancel(struct vm *vm, int64_t actor, const char *why)
{
	vm->vm_job.j_actor = actor;
	vm_event(vm, EV_RESTART_CANCEL, "%s", why);
}

/* The operator's start: also how a failed VM gets another chance. */
void
vm_start(struct vm *vm, const struct caller *ca, fws_done_fn fn, void *arg)
{
	enum job_rule	 rule;
	enum fws_err	 err;
	char		*why, *end;

	/* its loan's end is under way, or due (loan.c expires it) */
	if (vm->vm_state == VM_EXPIRED || loan_over(&vm->vm_loan, time(NULL))) {
		end = date_text(vm->vm_loan.lo_end);
		why = xasprintf("%s is expired: its loan ended %s; it starts "
		    "again once the loan is extended (fwsctl loan %s --extend "
		    "DURATION)", vm->vm_name, end, vm->vm_name);
		free(end);
		vm_refuse(fn, arg, FWS_ERR_STATE, why);
		return;
	}
	if (vm_may(vm, EV_START, &rule, &err, &why) == -1) {
		vm_refuse(fn, arg, err, why);
		return;
	}
	if (rule == J_CANCEL)
		vm_job_end(vm, NULL);
	/* the operator starts it: its crash history starts over */
	vm->vm_nrecent = 0;
	vm_job_set(vm, JOB_START, ca->ca_uid, NULL);
	vm_wait(vm, VM_RUNNING, fn, arg);
	vm_event(vm, EV_START, NULL);
}

/* fwsd's own start (autostart, a restart): nobody waits for it. */
void
vm_start_by_fwsd(struct vm *vm, const char *why)
{
	if (vm_is_active(vm) || vm_job_rule(vm, EV_AUTOSTART) == J_IGNORE)
		return;
	if (vm->vm_state == VM_EXPIRED || loan_over(&vm->vm_loan, time(NULL))) {
		log_info("%s: not started (%s): its loan ended", vm->vm_name,
		    why);
		return;
	}
	vm_job_set(vm, JOB_START, -1, NULL);
	vm->vm_job.j_by_fwsd = 1;
	vm_event(vm, EV_AUTOSTART, "%s", why);
}

/*
 * Stop a running or paused VM: the ACPI power button, timeout seconds
 * for the guest, then quit, then SIGKILL.  A second stop waits with the
 * first.
 */
void
vm_stop(struct vm *vm, unsigned timeout, const struct caller *ca,
    fws_done_fn fn, void *arg)
{
	enum job_rule	 rule;
	enum fws_err	 err;
	char		*why;

	if (vm_may(vm, EV_STOP, &rule, &err, &why) == -1) {
		vm_refuse(fn, arg, err, why);
		return;
	}
	switch (rule) {
	case J_CANCEL:
		vm_restart_cancel(vm, ca->ca_uid, "restart cancelled");
		fn(arg, FWS_OK, NULL, vm_result(vm));
		return;
	case J_JOIN:
		vm_wait(vm, VM_STOPPED, fn, arg);
		return;
	default:
		break;
	}
	vm_job_set(vm, JOB_STOP, ca->ca_uid, NULL);
	vm->vm_job.j_timeout = timeout;
	vm_wait(vm, VM_STOPPED, fn, arg);
	vm_event(vm, EV_STOP, NULL);
}

/* Kill its qemu: also how a start, or a stop, is cut short. */
void
vm_destroy(struct vm *vm, const struct caller *ca, fws_done_fn fn,
    void *arg)
{
	enum job_rule	 rule;
	enum fws_err	 err;
	char		*why;

	if (vm_may(vm, EV_DESTROY, &rule, &err, &why) == -1) {
		vm_refuse(fn, arg, err, why);
		return;
	}
	switch (rule) {
	case J_CANCEL:
		vm_restart_cancel(vm, ca->ca_uid, "restart cancelled");
		fn(arg, FWS_OK, NULL, vm_result(vm));
		return;
	case J_TAKE:
		/* a start or a stop under way becomes this kill */
		if (vm->vm_job.j_kind != JOB_STOP)
			vm_job_set(vm, JOB_STOP, ca->ca_uid, NULL);
		vm->vm_job.j_actor = ca->ca_uid;
		vm_wait(vm, VM_STOPPED, fn, arg);
		vm_event(vm, EV_DESTROY, NULL);
		return;
	default:
		break;
	}
	vm_job_set(vm, JOB_STOP, ca->ca_uid, NULL);
	vm_wait(vm, VM_STOPPED, fn, arg);
	vm_event(vm, EV_DESTROY, NULL);
}

/* pause, resume, reboot: one QMP command, answered when qemu did it. */
struct vm_command {
	struct vm	*vc_vm;
	enum vm_event	 vc_ev;
	fws_done_fn	 vc_fn;
	void		*vc_arg;
};

/* Migrating without a job: its last migration's outcome is unknown. */
int
vm_migration_unknown(const struct vm *vm)
{
	return vm->vm_state == VM_MIGRATING && vm->vm_job.j_kind == JOB_NONE;
}

static void
vm_command_done(void *arg, enum fws_err err, const char *why, json_t *res)
{
	struct vm_command	*vc = arg;
	struct vm		*vm = vc->vc_vm;
	char			*msg;

	json_decref(res);
	if (err != FWS_OK) {
		msg = xasprintf("%s: %s", vm->vm_name, why);
		vc->vc_fn(vc->vc_arg, FWS_ERR_FAILED, msg, NULL);
		free(msg);
	} else {
		/* QMP's STOP or RESUME event usually got here first */
		if (vc->vc_ev == EV_PAUSE && vm->vm_state == VM_RUNNING)
			vm_event(vm, EV_PAUSED, "QMP stop");
		else if (vc->vc_ev == EV_RESUME && (vm->vm_state == VM_PAUSED ||
		    vm_migration_unknown(vm)))
			vm_event(vm, EV_RESUMED, "QMP cont");
		vc->vc_fn(vc->vc_arg, FWS_OK, NULL, vm_result(vm));
	}
	vm->vm_cmd_actor = -1;
	free(vc);
}

static void
vm_command(struct vm *vm, enum vm_event ev, const struct caller *ca,
    fws_done_fn fn, void *arg)
{
	struct vm_command	*vc;
	enum job_rule		 rule;
	enum fws_err		 err;
	const char		*cmd;
	char			*why;

	if (vm_may(vm, ev, &rule, &err, &why) == -1) {
		vm_refuse(fn, arg, err, why);
		return;
	}
	cmd = ev == EV_PAUSE ? "stop" : ev == EV_RESUME ? "cont" :
	    "system_reset";
	if ((vc = calloc(1, sizeof(*vc))) == NULL) {
		fn(arg, FWS_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	vc->vc_vm = vm;
	vc->vc_ev = ev;
	vc->vc_fn = fn;
	vc->vc_arg = arg;
	/* QMP's STOP, RESUME or RESET event may come first: it is theirs */
	if (ev == EV_REBOOT)
		vm->vm_reset_by = ca->ca_uid;
	else
		vm->vm_cmd_actor = ca->ca_uid;
	if (vm_run->ro_command(vm, cmd, NULL, vm_command_done, vc) == -1) {
		vm->vm_cmd_actor = vm->vm_reset_by = -1;
		why = xasprintf("%s: no QMP connection to qemu", vm->vm_name);
		vm_refuse(fn, arg, FWS_ERR_FAILED, why);
		free(vc);
	}
}

void
vm_pause(struct vm *vm, const struct caller *ca, fws_done_fn fn, void *arg)
{
	vm_command(vm, EV_PAUSE, ca, fn, arg);
}

void
vm_resume(struct vm *vm, const struct caller *ca, fws_done_fn fn, void *arg)
{
	vm_command(vm, EV_RESUME, ca, fn, arg);
}

void
vm_reboot(struct vm *vm, const struct caller *ca, fws_done_fn fn, void *arg)
{
	vm_command(vm, EV_REBOOT, ca, fn, arg);
}

/*
 * send-key: each combination (an array of QEMU key names, pressed
 * together) one QMP send-key, in order; one answer once qemu took all.
 */
struct vm_keys {
	struct vm	*vk_vm;
	fws_done_fn	 vk_fn;
	void		*vk_arg;
	unsigned	 vk_left;
	char		*vk_error;	/* qemu's first refusal */
	int		 vk_gone;	/* QMP went away */
};

static void
vm_keys_done(void *arg, enum fws_err err, const char *why, json_t *res)
{
	struct vm_keys	*vk = arg;
	char		*msg;

	json_decref(res);
	if (err != FWS_OK && vk->vk_error == NULL)
		vk->vk_error = xasprintf("%s", why);
	if (--vk->vk_left > 0)
		return;
	if (vk->vk_error != NULL) {
		/* qemu's refusal of a key name: the request's fault */
		msg = xasprintf("%s: send-key: %s", vk->vk_vm->vm_name,
		    vk->vk_error);
		vk->vk_fn(vk->vk_arg, strcmp(vk->vk_error, "qemu went away") ?
		    FWS_ERR_INVALID : FWS_ERR_FAILED, msg, NULL);
		free(msg);
	} else
		vk->vk_fn(vk->vk_arg, FWS_OK, NULL, vm_result(vk->vk_vm));
	free(vk->vk_error);
	free(vk);
}

void
vm_send_keys(struct vm *vm, const struct caller *ca, json_t *combos,
    fws_done_fn fn, void *arg)
{
	struct vm_keys	*vk;
	enum job_rule	 rule;
	enum fws_err	 err;
	json_t		*combo, *keys, *name;
	size_t		 i, j;
	char		*why;

	(void)ca;
	if (vm_may(vm, EV_KEYS, &rule, &err, &why) == -1) {
		vm_refuse(fn, arg, err, why);
		return;
	}
	if ((vk = calloc(1, sizeof(*vk))) == NULL) {
		fn(arg, FWS_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	vk->vk_vm = vm;
	vk->vk_fn = fn;
	vk->vk_arg = arg;
	vk->vk_left = 1;	/* held until every combination is sent */
	json_array_foreach(combos, i, combo) {
		keys = json_array();
		json_array_foreach(combo, j, name)
			json_array_append_new(keys, json_pack("{ss sO}", "type",
			    "qcode", "data", name));
		vk->vk_left++;
		if (vm_run->ro_command(vm, "send-key", json_pack("{so}",
		    "keys", keys), vm_keys_done, vk) == -1) {
			vk->vk_left--;
			if (vk->vk_error == NULL)
				vk->vk_error = xasprintf("qemu went away");
			break;
		}
	}
	vm_keys_done(vk, FWS_OK, NULL, NULL);
}

/* shutdown-all: one answer once every VM has stopped. */
struct vm_shutdown {
	fws_done_fn	 sd_fn;
	void		*sd_arg;
	json_t		*sd_stopped;	/* names */
	json_t		*sd_vms;	/* {"name","owner"}: names repeat */
	unsigned	 sd_left;
};

static void
vm_shutdown_done(struct vm_shutdown *sd)
{
	sd->sd_fn(sd->sd_arg, FWS_OK, NULL, json_pack("{so so}", "stopped",
	    sd->sd_stopped, "vms", sd->sd_vms));
	free(sd);
}

static void
vm_shutdown_one(void *arg, enum fws_err err, const char *why, json_t *res)
{
	struct vm_shutdown	*sd = arg;

	(void)err;	/* a stop always ends in "stopped" */
	(void)why;
	if (res != NULL) {
		json_array_append(sd->sd_stopped, json_object_get(res, "name"));
		json_array_append_new(sd->sd_vms, json_pack("{sO sO}", "name",
		    json_object_get(res, "name"), "owner",
		    json_object_get(res, "owner")));
		json_decref(res);
	}
	if (--sd->sd_left == 0)
		vm_shutdown_done(sd);
}

/*
 * Stop every VM at once, each as "stop" would; whatever job a VM has
 * gives way (the host is going down).  Answered when all are stopped.
 */
void
vm_shutdown_all(unsigned timeout, const struct caller *ca, fws_done_fn fn,
    void *arg)
{
	struct vm_shutdown	*sd;
	struct vm		*vm;

	if ((sd = calloc(1, sizeof(*sd))) == NULL) {
		fn(arg, FWS_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	sd->sd_fn = fn;
	sd->sd_arg = arg;
	sd->sd_stopped = json_array();
	sd->sd_vms = json_array();
	sd->sd_left = 1;	/* held until every VM is under way */
	TAILQ_FOREACH(vm, &vms, vm_entry) {
		if (vm->vm_job.j_kind == JOB_RESTART)
			vm_restart_cancel(vm, ca->ca_uid, "restart cancelled by "
			    "shutdown-all");
		if (!vm_is_active(vm))
			continue;
		sd->sd_left++;
		vm_wait(vm, VM_STOPPED, vm_shutdown_one, sd);
		switch (vm->vm_job.j_kind) {
		case JOB_STOP:
			break;		/* on its way */
		case JOB_START:
			vm_job_set(vm, JOB_STOP, ca->ca_uid, NULL);
			vm_event(vm, EV_DESTROY, NULL);
			break;
		default:
			vm_job_set(vm, JOB_STOP, ca->ca_uid, NULL);
			vm->vm_job.j_timeout = timeout;
			vm_event(vm, EV_STOP, NULL);
			break;
		}
	}
	if (--sd->sd_left == 0)
		vm_shutdown_done(sd);
}

/*
 * May vm be looked at this way now?  Views change nothing, so they are
 * not events of the table; what each needs of the qemu is said here,
 * and their refusals worded, once: a console, any qemu not being
 * stopped; a screen or the vCPUs' threads, a guest running or paused.
 */
int
vm_may_look(const struct vm *vm, enum vm_look look, char **why)
{
	static const char *const lacks[] = {
		[LOOK_CONSOLE] = "no console",
		[LOOK_SCREEN] = "no screen to show",
		[LOOK_THREADS] = "its vCPUs have no threads",
	};
	int	ok;

	if (look == LOOK_CONSOLE)
		ok = vm_is_active(vm) && vm->vm_state != VM_STOPPING;
	else
		ok = vm->vm_state == VM_RUNNING || vm->vm_state == VM_PAUSED;
	if (ok)
		return 0;
	*why = xasprintf("%s is %s: %s", vm->vm_name,
	    vm_state_name(vm->vm_state), lacks[look]);
	return -1;
}

/* May vm be deleted now?  A restart's wait is called off by it. */
int
vm_may_delete(struct vm *vm, enum fws_err *err, char **why)
{
	enum job_rule	 rule;

	if (vm_may(vm, EV_DELETE, &rule, err, why) == -1)
		return -1;
	if (rule == J_CANCEL)
		vm_job_end(vm, NULL);
	return 0;
}

/* The stop a loan's end asked for is over: expire the VM, if still due. */
static void
vm_expire_stopped(void *arg, enum fws_err err, const char *why, json_t *res)
{
	struct vm	*vm = arg;
	char		*end;

	(void)why;
	json_decref(res);
	/* fwsd is exiting: the next one expires it when it starts */
	if (err == FWS_ERR_INTERNAL)
		return;
	/* extended meanwhile, or started again: it stays as it is */
	if (!vm_is_active(vm) && vm->vm_state != VM_EXPIRED &&
	    loan_over(&vm->vm_loan, time(NULL))) {
		end = date_text(vm->vm_loan.lo_end);
		vm_event(vm, EV_LOAN_END, "loan of %s ended %s: stopped and "
		    "expired", vm->vm_name, end);
		free(end);
	}
	vm_run->ro_changed(vm, JOB_NONE);
}

/*
 * The VM's loan ended: a VM with a qemu is stopped as "stop" does (the
 * power button, stop_timeout seconds, quit, kill), then expired; one
 * without is expired at once.  A restart's wait is called off; a
 * snapshot or a change of its CD drive is waited for (loan.c asks
 * again when the job ends).
 */
void
vm_expire(struct vm *vm)
{
	char	*end;

	if (vm->vm_state == VM_EXPIRED)
		return;
	switch (vm_job_rule(vm, EV_LOAN_END)) {
	case J_WAIT:
	case J_IGNORE:
		return;
	case J_JOIN:
		if (!vm->vm_job.j_loan) {
			vm->vm_job.j_loan = 1;
			vm_wait(vm, VM_STOPPED, vm_expire_stopped, vm);
		}
		return;
	case J_TAKE:
		vm_job_set(vm, JOB_STOP, -1, NULL);
		vm->vm_job.j_loan = 1;
		vm_wait(vm, VM_STOPPED, vm_expire_stopped, vm);
		vm_event(vm, EV_LOAN_END, NULL);
		return;
	case J_CANCEL:
		vm_job_end(vm, NULL);
		break;
	default:
		break;
	}
	if (vm_is_active(vm)) {
		vm_job_set(vm, JOB_STOP, -1, NULL);
		vm->vm_job.j_loan = 1;
		vm->vm_job.j_timeout = conf.cf_stop_timeout;
		vm_wait(vm, VM_STOPPED, vm_expire_stopped, vm);
		vm_event(vm, EV_LOAN_END, NULL);
		return;
	}
	end = date_text(vm->vm_loan.lo_end);
	vm_event(vm, EV_LOAN_END, "loan of %s ended %s: expired", vm->vm_name,
	    end);
	free(end);
}

/* An expired VM's loan was extended (or taken away): it may start again. */
void
vm_unexpire(struct vm *vm, const char *why)
{
	vm_event(vm, EV_LOAN_EXTENDED, "%s", why);
}

/* The qemu side's start went wrong after qemu was spawned: kill it. */
void
vm_start_failed(struct vm *vm, const char *why)
{
	if (vm->vm_job.j_kind != JOB_START)
		return;
	if (vm->vm_job.j_error == NULL)
		vm->vm_job.j_error = xasprintf("%s", why);
	log_warnx("%s: %s", vm->vm_name, vm->vm_job.j_error);
	vm_event(vm, EV_START_FAILED, NULL);
}

/* The job's timer: a start too slow, a stop's next step, a restart. */
void
vm_timer_fired(struct vm *vm)
{
	char	*why;

	switch (vm->vm_job.j_kind) {
	case JOB_START:
		why = xasprintf("qemu did not start within %d seconds",
		    FWS_START_TIMEOUT);
		vm_start_failed(vm, why);
		free(why);
		break;
	case JOB_STOP:
		vm_event(vm, EV_STOP_TIMER, NULL);
		break;
	case JOB_RESTART:
		/* a VM whose loan ended is expired (loan.c), not started */
		if (loan_over(&vm->vm_loan, time(NULL))) {
			vm_job_end(vm, NULL);
			break;
		}
		restart_note(vm, mono_ms() / 1000);
		vm->vm_restarts++;
		vm_job_set(vm, JOB_START, -1, NULL);
		vm->vm_job.j_by_fwsd = 1;
		vm_event(vm, EV_RESTART_DUE, "restart %u (policy %s)",
		    vm->vm_restarts, vm_restart_name(vm->vm_restart));
		break;
	default:
		break;
	}
}

/* Adopted: what qemu said its status is ("running", "paused", ...). */
void
vm_adopted_status(struct vm *vm, const char *status)
{
	if (status == NULL)
		return;
	vm_event(vm, strcmp(status, "running") == 0 ? EV_ADOPT_RUNNING :
	    EV_ADOPT_PAUSED, "qemu pid %d still runs (QMP status %s)",
	    (int)vm->vm_pid, status);
}
