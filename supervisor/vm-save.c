/*
 * vm-save.c: a guest parked in a file and resumed from it.
 *
 * save: the VM's job (JOB_SAVE).  QMP "stop" (the guest no longer
 * changes its RAM), then "migrate" to a descriptor fwsd opened in the
 * VM's directory and passed with "getfd" (the qemu sandbox forbids
 * exec, and qemu's uid cannot write there).  When QMP says the
 * migration completed, a child (sync --data) puts the file on the disk
 * without blocking fwsd, the file takes its name (saved.state: the
 * rename says it is whole), and qemu is asked to quit; its end makes
 * the VM saved (vm.c's EV_EXIT_SAVED).  A step that fails removes the
 * file, lets the guest run again if the save stopped it, and says why.
 *
 * resume: the start of a saved VM spawns qemu with -incoming defer
 * (vm-run.c); here the file goes to it ("getfd", "migrate-incoming");
 * vm-run.c continues the start when QMP's MIGRATION event says the
 * state is back, and the file goes once the guest runs.  A qemu that
 * cannot load it ends, and the VM is saved again (vm.c's
 * EV_EXIT_RESTORE): nothing is thrown away but by start --fresh,
 * delete, or a loan's end.
 *
 * Also here: shutdown-all --save, every running guest saved at once.
 */
#include <sys/queue.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"
#include "qmp.h"

#define SAVE_FILE	"saved.state"
#define SAVE_TMP	"saved.state.tmp"
#define SAVE_FDNAME	"fws-save"
#define RESTORE_FDNAME	"fws-restore"
#define SAVE_SYNC	"/bin/sync"
#define SAVE_RM		"/bin/rm"
/* bytes/s: QEMU's default cap (32 MiB/s) is for a network, not a file */
#define SAVE_BANDWIDTH	1099511627776LL

enum save_step {
	SAVE_EVENTS,		/* MIGRATION events on */
	SAVE_SPEED,		/* no bandwidth cap */
	SAVE_STOP,		/* the guest stops (if it runs) */
	SAVE_GETFD,		/* the file to qemu */
	SAVE_MIGRATE,		/* RAM and devices to it */
	SAVE_WRITING,		/* until QMP's MIGRATION event */
	SAVE_SYNCING,		/* the child's fdatasync */
	SAVE_QUITTING,		/* whole on disk: qemu quits */
};

struct save_op {
	struct vm		*so_vm;
	enum save_step		 so_step;
	int			 so_fd;		/* the file, until qemu has it */
	int			 so_stopped;	/* the save stopped the guest */
	struct proc_watch	*so_sync;
	char			*so_tmp;	/* the file while it is written */
	char			*so_why;	/* why it failed */
};

char *
vm_saved_path(const struct vm *vm)
{
	return vm_file(vm, SAVE_FILE);
}

int
vm_saved_exists(const struct vm *vm)
{
	char		*path = vm_saved_path(vm);
	struct stat	 sb;
	int		 rc;

	rc = lstat(path, &sb) == 0 && S_ISREG(sb.st_mode);
	free(path);
	return rc;
}

/*
 * A spent state's removal is a child's (rm): freeing the blocks of a
 * file as large as a guest's RAM takes the disk a while, and fwsd does
 * not wait on the disk.  The file first takes a name of its own, so a
 * new save is never in its way.
 */
struct save_rm {
	TAILQ_ENTRY(save_rm)	 sr_entry;
	struct proc_watch	*sr_watch;
	char			*sr_path;
};
static TAILQ_HEAD(, save_rm) save_rms = TAILQ_HEAD_INITIALIZER(save_rms);

static void
save_rm_free(struct save_rm *sr)
{
	TAILQ_REMOVE(&save_rms, sr, sr_entry);
	proc_unwatch(sr->sr_watch);
	free(sr->sr_path);
	free(sr);
}

static void
save_rm_done(pid_t pid, int status, void *arg)
{
	struct save_rm	*sr = arg;

	(void)pid;
	if (status != 0)
		log_warnx("%s: %s -f exited with status %d", sr->sr_path,
		    SAVE_RM, status);
	save_rm_free(sr);
}

static void
save_rm(const char *path)
{
	struct proc_spec	 ps;
	struct save_rm		*sr;
	const char		*argv[5];
	char			*spent, *cause;
	pid_t			 pid;

	spent = xasprintf("%s.spent", path);
	if (rename(path, spent) == -1) {
		if (errno != ENOENT)
			log_warn("rename %s", path);
		free(spent);
		return;
	}
	argv[0] = SAVE_RM;
	argv[1] = "-f";
	argv[2] = "--";
	argv[3] = spent;
	argv[4] = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.ps_argv = (char *const *)argv;
	ps.ps_stdout = -1;
	if ((sr = calloc(1, sizeof(*sr))) == NULL ||
	    proc_spawn(&ps, &pid, &cause) == -1) {
		if (sr != NULL) {
			log_warnx("%s", cause);
			free(cause);
			free(sr);
		}
		if (unlink(spent) == -1)	/* then here, and now */
			log_warn("unlink %s", spent);
		free(spent);
		return;
	}
	sr->sr_path = spent;
	TAILQ_INSERT_TAIL(&save_rms, sr, sr_entry);
	if ((sr->sr_watch = proc_watch(pid, save_rm_done, sr,
	    &cause)) == NULL) {
		log_warnx("%s", cause);
		free(cause);
		save_rm_free(sr);	/* the child ends unwatched */
	}
}

/* fwsd is exiting: removals under way go on without it. */
void
vm_saved_release(void)
{
	while (!TAILQ_EMPTY(&save_rms))
		save_rm_free(TAILQ_FIRST(&save_rms));
}

/*
 * The saved state (and a save's leftover) go: by a child, or now (a
 * VM being deleted: its directory goes right after).
 */
void
vm_saved_discard(struct vm *vm, int now)
{
	const char	*const names[] = { SAVE_FILE, SAVE_TMP };
	char		*path;
	size_t		 i;

	for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
		path = vm_file(vm, names[i]);
		if (!now)
			save_rm(path);
		else if (unlink(path) == -1 && errno != ENOENT)
			log_warn("%s: unlink %s", vm->vm_name, path);
		free(path);
	}
}

/* info's "saved": the file, its size and when it was made; null: none */
json_t *
vm_saved_json(const struct vm *vm)
{
	char		*path;
	struct stat	 sb;
	json_t		*j = json_null();

	path = vm_saved_path(vm);
	if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode))
		j = json_pack("{ss sI sI}", "file", path, "bytes",
		    (json_int_t)sb.st_size, "time", (json_int_t)sb.st_mtime);
	free(path);
	return j;
}

/* The save under way, unless a destroy took its job over. */
static struct save_op *
save_op_of(struct vm *vm)
{
	if (vm->vm_job.j_kind != JOB_SAVE)
		return NULL;
	return vm->vm_save_op;
}

static void
save_op_free(struct save_op *so)
{
	if (so->so_fd != -1)
		close(so->so_fd);
	proc_unwatch(so->so_sync);
	if (so->so_tmp != NULL)
		save_rm(so->so_tmp);
	free(so->so_tmp);
	free(so->so_why);
	free(so);
}

/* The save is over, failed: the job ends, those waiting hear why. */
static void
save_end_failed(struct save_op *so)
{
	struct vm	*vm = so->so_vm;

	vm->vm_job.j_op = NULL;
	vm->vm_save_op = NULL;
	vm_event(vm, EV_SAVE_FAILED, "%s; the guest runs on", so->so_why);
	save_op_free(so);
}

static void
save_cont_done(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;
	struct save_op	*so = save_op_of(vm);

	(void)q;
	(void)ret;
	if (so == NULL)
		return;		/* qemu is gone: its end says the rest */
	if (err_class != NULL)
		log_warnx("%s: cont after a failed save: %s", vm->vm_name,
		    err_desc);
	save_end_failed(so);
}

/*
 * A step failed: the file goes, the guest runs again if the save
 * stopped it (cont, and its answer ends the job), and why is recorded.
 */
static void
save_fail(struct save_op *so, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
save_fail(struct save_op *so, const char *fmt, ...)
{
	struct vm	*vm = so->so_vm;
	va_list		 ap;

	va_start(ap, fmt);
	if (vasprintf(&so->so_why, fmt, ap) == -1)
		so->so_why = NULL;
	va_end(ap);
	if (so->so_why == NULL)
		so->so_why = xasprintf("save failed");
	log_warnx("%s: save failed: %s", vm->vm_name, so->so_why);
	if (so->so_tmp != NULL)
		save_rm(so->so_tmp);
	free(so->so_tmp);
	so->so_tmp = NULL;
	if (so->so_stopped && vm->vm_qmp != NULL && qmp_execute(vm->vm_qmp,
	    "cont", NULL, FWS_QMP_TIMEOUT, save_cont_done, vm) == 0)
		return;
	save_end_failed(so);
}

static void	save_next(struct save_op *);

static void
save_reply(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;
	struct save_op	*so = save_op_of(vm);

	(void)q;
	(void)ret;
	if (so == NULL || (err_class != NULL &&
	    strcmp(err_class, QMP_ERR_DISCONNECTED) == 0))
		return;		/* qemu is gone: its end says the rest */
	if (err_class != NULL) {
		save_fail(so, "QMP %s: %s", so->so_step == SAVE_MIGRATE ?
		    "migrate" : so->so_step == SAVE_GETFD ? "getfd" :
		    so->so_step == SAVE_STOP ? "stop" :
		    "migrate-set-capabilities", err_desc);
		return;
	}
	if (so->so_step == SAVE_STOP)
		so->so_stopped = 1;
	so->so_step++;
	save_next(so);
}

/* The next QMP step; the migration's end comes as an event. */
static void
save_next(struct save_op *so)
{
	struct vm	*vm = so->so_vm;
	struct qmp	*q = vm->vm_qmp;
	json_t		*args = NULL;
	const char	*cmd = NULL;
	int		 rc;

	switch (so->so_step) {
	case SAVE_EVENTS:
		cmd = "migrate-set-capabilities";
		args = json_pack("{s[{ss sb}]}", "capabilities",
		    "capability", "events", "state", 1);
		break;
	case SAVE_SPEED:
		cmd = "migrate-set-parameters";
		args = json_pack("{sI}", "max-bandwidth",
		    (json_int_t)SAVE_BANDWIDTH);
		break;
	case SAVE_STOP:
		if (vm->vm_state != VM_RUNNING) {
			so->so_step++;
			save_next(so);
			return;
		}
		vm_job_progress(vm, -1, "the guest stopped");
		cmd = "stop";
		break;
	case SAVE_GETFD:
		args = json_pack("{ss}", "fdname", SAVE_FDNAME);
		rc = q == NULL ? -1 : qmp_execute_fd(q, "getfd", args,
		    so->so_fd, FWS_QMP_TIMEOUT, save_reply, vm);
		close(so->so_fd);	/* qemu gets a copy */
		so->so_fd = -1;
		if (rc == -1)
			save_fail(so, "no QMP connection to qemu");
		return;
	case SAVE_MIGRATE:
		vm_job_progress(vm, -1, "writing the guest's state");
		cmd = "migrate";
		args = json_pack("{ss}", "uri", "fd:" SAVE_FDNAME);
		break;
	default:
		return;		/* MIGRATION's event, the child, qemu's end */
	}
	if (q == NULL || qmp_execute(q, cmd, args, FWS_QMP_TIMEOUT, save_reply,
	    vm) == -1)
		save_fail(so, "no QMP connection to qemu");
}

/* The file is on the disk: it takes its name, and qemu quits. */
static void
save_synced(pid_t pid, int status, void *arg)
{
	struct vm	*vm = arg;
	struct save_op	*so = save_op_of(vm);
	char		*path, *words;

	(void)pid;
	if (so == NULL)
		return;
	proc_unwatch(so->so_sync);
	so->so_sync = NULL;
	if (status != 0) {
		words = proc_status_words(status);
		save_fail(so, "%s --data %s: %s", SAVE_SYNC, so->so_tmp, words);
		free(words);
		return;
	}
	path = vm_saved_path(vm);
	if (rename(so->so_tmp, path) == -1) {
		save_fail(so, "rename %s: %s", so->so_tmp, strerror(errno));
		free(path);
		return;
	}
	free(path);
	free(so->so_tmp);
	so->so_tmp = NULL;
	so->so_step = SAVE_QUITTING;
	vm->vm_job.j_saved = 1;
	vm_job_progress(vm, 100, "qemu quits");
	if (vm->vm_qmp == NULL || qmp_execute(vm->vm_qmp, "quit", NULL,
	    FWS_QMP_TIMEOUT, save_reply, vm) == -1)
		vm_run->ro_kill(vm);	/* whole on disk: its end is the same */
}

/* The migration's error, in QEMU's words, then the failure. */
static void
save_migrate_error(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;
	struct save_op	*so = save_op_of(vm);
	const char	*desc;

	(void)q;
	if (so == NULL || (err_class != NULL &&
	    strcmp(err_class, QMP_ERR_DISCONNECTED) == 0))
		return;
	desc = err_class != NULL ? err_desc :
	    json_string_value(json_object_get(ret, "error-desc"));
	save_fail(so, "writing the guest's state failed: %s",
	    desc != NULL ? desc : "(QEMU gave no reason)");
}

/*
 * QMP's MIGRATION event during a save: "completed" has the file put on
 * the disk; "failed" (a full disk, say) asks QEMU why.
 */
void
vm_save_migration(struct vm *vm, json_t *data)
{
	struct save_op		*so = save_op_of(vm);
	struct proc_spec	 ps;
	const char		*status, *argv[4];
	char			*cause;
	pid_t			 pid;

	status = json_string_value(json_object_get(data, "status"));
	if (so == NULL || so->so_step != SAVE_WRITING || status == NULL)
		return;
	if (strcmp(status, "failed") == 0 || strcmp(status, "cancelled") == 0) {
		if (qmp_execute(vm->vm_qmp, "query-migrate", NULL,
		    FWS_QMP_TIMEOUT, save_migrate_error, vm) == -1)
			save_fail(so, "writing the guest's state %s", status);
		return;
	}
	if (strcmp(status, "completed") != 0)
		return;
	so->so_step = SAVE_SYNCING;
	vm_job_progress(vm, -1, "the file to the disk");
	argv[0] = SAVE_SYNC;
	argv[1] = "--data";
	argv[2] = so->so_tmp;
	argv[3] = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.ps_argv = (char *const *)argv;
	ps.ps_stdout = -1;
	if (proc_spawn(&ps, &pid, &cause) == -1 ||
	    (so->so_sync = proc_watch(pid, save_synced, vm, &cause)) == NULL) {
		save_fail(so, "%s", cause);
		free(cause);
	}
}

/* vm-run.c's teardown: qemu is gone, the save with it (if any). */
void
vm_save_gone(struct vm *vm)
{
	struct save_op	*so = vm->vm_save_op;

	if (so == NULL)
		return;
	if (vm->vm_job.j_kind == JOB_SAVE)
		vm->vm_job.j_op = NULL;
	vm->vm_save_op = NULL;
	save_op_free(so);
}

/*
 * Save a running (or paused) guest: answered once qemu is gone with
 * the state saved, or with why not (the guest then runs on).
 */
void
vm_save(struct vm *vm, const struct caller *ca, fws_done_fn fn, void *arg)
{
	struct save_op	*so;
	enum fws_err	 err;
	char		*why, *path;

	if ((so = calloc(1, sizeof(*so))) == NULL) {
		fn(arg, FWS_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	so->so_vm = vm;
	so->so_fd = -1;
	if (vm_job_begin(vm, JOB_SAVE, ca->ca_uid, so, &err, &why) == -1) {
		fn(arg, err, why, NULL);
		free(why);
		free(so);
		return;
	}
	vm->vm_save_op = so;
	vm_save_wait(vm, fn, arg);
	/* root's file in root's directory: a symlink planted there is
	 * replaced, never followed */
	so->so_tmp = vm_file(vm, SAVE_TMP);
	save_rm(so->so_tmp);	/* a save cut short by fwsd's end */
	so->so_fd = open(so->so_tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (so->so_fd == -1) {
		why = xasprintf("%s: %s", so->so_tmp, strerror(errno));
		free(so->so_tmp);
		so->so_tmp = NULL;	/* not ours to remove */
		save_fail(so, "%s", why);
		free(why);
		return;
	}
	path = vm_saved_path(vm);
	vm_event(vm, EV_SAVE, "to %s", path);
	free(path);
	save_next(so);
}

/* start --fresh: a saved state is thrown away, then the start. */
void
vm_start_fresh(struct vm *vm, const struct caller *ca, fws_done_fn fn,
    void *arg)
{
	enum fws_err	 err;
	char		*why;

	if (vm->vm_state == VM_SAVED) {
		if (vm_check(vm, EV_DISCARD, &err, &why) == -1) {
			fn(arg, err, why, NULL);
			free(why);
			return;
		}
		vm_event(vm, EV_DISCARD, "its saved state discarded by start "
		    "--fresh");
	}
	vm_start(vm, ca, fn, arg);
}

/*
 * The resume's steps, once QMP is up on a qemu spawned with -incoming
 * defer: the saved file to qemu, and migrate-incoming from it.  A
 * failure kills qemu (vm.c keeps the VM saved).
 */
static void
restore_reply(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;
	char		*why;

	(void)q;
	(void)ret;
	if (err_class == NULL || strcmp(err_class, QMP_ERR_DISCONNECTED) == 0 ||
	    vm->vm_state != VM_STARTING)
		return;
	why = xasprintf("resuming the saved state: %s", err_desc);
	vm_start_failed(vm, why);
	free(why);
}

void
vm_restore_begin(struct vm *vm)
{
	struct qmp	*q = vm->vm_qmp;
	struct stat	 sb;
	char		*path = vm_saved_path(vm), *why = NULL;
	int		 fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		why = xasprintf("%s: %s", path, strerror(errno));
	else if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_uid != geteuid())
		why = xasprintf("%s: not a file fwsd made", path);
	free(path);
	if (why == NULL) {
		vm_job_progress(vm, -1, "reading the saved state");
		/* as long again as the start may take, per GiB of RAM */
		vm_run->ro_timer(vm, FWS_START_TIMEOUT * (1 +
		    (int)(vm->vm_memory_mib >> 10)));
		if (qmp_execute(q, "migrate-set-capabilities", json_pack(
		    "{s[{ss sb}]}", "capabilities", "capability", "events",
		    "state", 1), FWS_QMP_TIMEOUT, restore_reply, vm) == -1 ||
		    qmp_execute_fd(q, "getfd", json_pack("{ss}", "fdname",
		    RESTORE_FDNAME), fd, FWS_QMP_TIMEOUT, restore_reply,
		    vm) == -1 ||
		    qmp_execute(q, "migrate-incoming", json_pack("{ss}", "uri",
		    "fd:" RESTORE_FDNAME), FWS_QMP_TIMEOUT, restore_reply,
		    vm) == -1)
			why = xasprintf("no QMP connection to qemu");
	}
	if (fd != -1)
		close(fd);	/* qemu has its copy */
	if (why != NULL) {
		vm_start_failed(vm, why);
		free(why);
	}
}

/* The resumed guest runs: its saved state is spent. */
void
vm_restore_running(struct vm *vm)
{
	if (!vm->vm_restoring)
		return;
	vm->vm_restoring = 0;
	vm_saved_discard(vm, 0);
}

/* shutdown-all --save: one answer once every save has ended. */
struct save_all {
	fws_done_fn	 sa_fn;
	void		*sa_arg;
	json_t		*sa_saved;	/* {"name","owner"} */
	json_t		*sa_failed;	/* {"name","owner","error"} */
	unsigned	 sa_left;
};

struct save_all_one {
	struct save_all	*so_all;
	char		 so_name[FWS_NAME_MAX + 1];
	uid_t		 so_owner;
};

static void
save_all_done(struct save_all *sa)
{
	sa->sa_fn(sa->sa_arg, FWS_OK, NULL, json_pack("{so so}", "saved",
	    sa->sa_saved, "failed", sa->sa_failed));
	free(sa);
}

static void
save_all_one(void *arg, enum fws_err err, const char *why, json_t *res)
{
	struct save_all_one	*one = arg;
	struct save_all		*sa = one->so_all;

	json_decref(res);
	if (err == FWS_OK)
		json_array_append_new(sa->sa_saved, json_pack("{ss sI}", "name",
		    one->so_name, "owner", (json_int_t)one->so_owner));
	else
		json_array_append_new(sa->sa_failed, json_pack("{ss sI ss}",
		    "name", one->so_name, "owner", (json_int_t)one->so_owner,
		    "error", why != NULL ? why : "failed"));
	free(one);
	if (--sa->sa_left == 0)
		save_all_done(sa);
}

/*
 * Save every running or paused guest at once (a host about to reboot;
 * autostart resumes them).  A VM that cannot be saved (busy, starting)
 * is named with why: nothing else is done to it.
 */
void
vm_save_all(const struct caller *ca, fws_done_fn fn, void *arg)
{
	struct save_all		*sa;
	struct save_all_one	*one;
	struct vm		*vm;

	if ((sa = calloc(1, sizeof(*sa))) == NULL) {
		fn(arg, FWS_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	sa->sa_fn = fn;
	sa->sa_arg = arg;
	sa->sa_saved = json_array();
	sa->sa_failed = json_array();
	sa->sa_left = 1;	/* held until every save is under way */
	TAILQ_FOREACH(vm, &vms, vm_entry) {
		if (!vm_is_active(vm) || vm_is_hidden(vm))
			continue;
		if ((one = calloc(1, sizeof(*one))) == NULL)
			break;
		one->so_all = sa;
		snprintf(one->so_name, sizeof(one->so_name), "%s",
		    vm->vm_name);
		one->so_owner = vm->vm_owner;
		sa->sa_left++;
		vm_save(vm, ca, save_all_one, one);
	}
	if (--sa->sa_left == 0)
		save_all_done(sa);
}
