/*
 * vm-run.c: a VM's qemu, as vm.c's state machine has it act (vm_run_qemu,
 * its run ops): the VM's directories and run files, the spawn of qemu
 * with its descriptors, the QMP connection (a sorted table of the events
 * fwsd follows), the start's steps after spawn (cont, then query-status),
 * the power button, quit and kill, what an exit means, and the one
 * durable write of a transition and its event.  It decides nothing: it
 * tells vm.c what qemu did, with vm_event().  Also here: a VM's removal
 * with its files, and letting go of every qemu when fwsd exits.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "fws.h"
#include "log.h"
#include "netsetup.h"
#include "qmp.h"

static void	vm_qmp_ready(struct qmp *, void *);
static void	vm_qmp_event(struct qmp *, const char *, json_t *, void *);
static void	vm_qmp_closed(struct qmp *, const char *, void *);
static int	vm_qmp_open(struct vm *, int, char **);

static const struct qmp_handlers vm_qmp_handlers = {
	vm_qmp_ready, vm_qmp_event, vm_qmp_closed
};

static void	run_timer(struct vm *, int);
static void	vm_start_fail(struct vm *, const char *, const char *);

/*
 * SIGKILL to the VM's qemu.  Its QMP and agent sockets are let go of at
 * once: nothing more can come on them, and their close in the dying
 * qemu then wakes nobody (fwsd would take the CPU from it to read an
 * end that its pidfd tells anyway).
 */
static void
vm_kill(struct vm *vm)
{
	if (vm->vm_watch == NULL)
		return;
	if (proc_signal(vm->vm_watch, SIGKILL) == -1 && errno != ESRCH) {
		log_warn("%s: kill pid %d", vm->vm_name, (int)vm->vm_pid);
		return;
	}
	qmp_peer_killed(vm->vm_qmp);
	agent_close(vm);
}

/*
 * The last lines qemu wrote to its log since this start: its own words
 * for why it failed.
 */
static char *
vm_log_tail(struct vm *vm)
{
	char	*path = vm_file(vm, "qemu.log"), buf[1024], *p, *s;
	ssize_t	 n;
	off_t	 size;
	int	 fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return NULL;
	size = lseek(fd, 0, SEEK_END);
	if (size < vm->vm_log_offset)
		vm->vm_log_offset = 0;
	if (size - vm->vm_log_offset > (off_t)sizeof(buf) - 1)
		vm->vm_log_offset = size - (sizeof(buf) - 1);
	n = pread(fd, buf, sizeof(buf) - 1, vm->vm_log_offset);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	/* drop qemu's timestamps and join the lines */
	for (p = buf; (s = strchr(p, '\n')) != NULL; p = s + 1)
		*s = ' ';
	p = buf;
	if (n > 0 && buf[0] >= '0' && buf[0] <= '9' &&
	    (s = strstr(buf, " qemu-system-")) != NULL)
		p = s + 1;
	return xasprintf("%s", p);
}

/*
 * qemu's words (tail) said a disk's image lock was held: by another
 * qemu, which may run on another host when disks are shared (disk_dir
 * on a network file system).  Which disk, in words, or NULL.  qemu
 * names the node it was opening, FWS_DISK_NODE and its slot.
 */
static char *
vm_lock_words(const struct vm *vm, const char *tail)
{
	const char	*p;
	char		*end;
	long		 slot = -1;
	int		 i;

	if (strstr(tail, "Failed to get") == NULL ||
	    strstr(tail, "lock") == NULL)
		return NULL;
	for (p = tail; (p = strstr(p, FWS_DISK_NODE)) != NULL; p++)
		if (p[strlen(FWS_DISK_NODE)] >= '0' &&
		    p[strlen(FWS_DISK_NODE)] <= '9') {
			slot = strtol(p + strlen(FWS_DISK_NODE), &end, 10);
			break;
		}
	for (i = 0; i < vm->vm_ndisks; i++)
		if (vm->vm_disks[i].d_slot == slot)
			return xasprintf("disk %d (%s) is in use by another "
			    "qemu, perhaps on another host sharing the "
			    "directory", i, vm->vm_disks[i].d_path);
	return xasprintf("a disk is in use by another qemu, perhaps on "
	    "another host sharing the directory");
}

/*
 * The guest's serial output and qemu's own are capped at console_log_max
 * while qemu runs, and cut now if over.
 */
int
vm_logs_cap(struct vm *vm, char **cause)
{
	const char	*const names[] = { "console.log", "qemu.log" };
	char		*path;
	size_t		 i;

	for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
		if (vm->vm_logcaps[i] != NULL)
			continue;
		path = vm_file(vm, names[i]);
		vm->vm_logcaps[i] = logcap_add(path, conf.cf_console_log_max,
		    cause);
		free(path);
		if (vm->vm_logcaps[i] == NULL) {
			vm_logs_uncap(vm);
			return -1;
		}
	}
	return 0;
}

void
vm_logs_uncap(struct vm *vm)
{
	size_t	 i;

	for (i = 0; i < sizeof(vm->vm_logcaps) / sizeof(*vm->vm_logcaps); i++) {
		logcap_remove(vm->vm_logcaps[i]);
		vm->vm_logcaps[i] = NULL;
	}
}

void
vm_cleanup_run_files(struct vm *vm)
{
	const char	*const suffixes[] = { "qmp", "serial", "qga", "pid" };
	char		*p;
	size_t		 i;

	for (i = 0; i < sizeof(suffixes) / sizeof(*suffixes); i++) {
		p = vm_run_path(vm, suffixes[i]);
		if (unlink(p) == -1 && errno != ENOENT)
			log_warn("%s: unlink %s", vm->vm_name, p);
		free(p);
	}
}

/*
 * Why did qemu end, and what is it to vm.c?  The stop or destroy under
 * way, the start's failure, the guest's own power-off or panic (QMP told
 * so before the end), else a crash.
 */
static enum vm_event
vm_exit_event(struct vm *vm, int status, char **why)
{
	char	*tail, *words;

	if (migrate_handed_over(vm)) {
		*why = xasprintf("to %s: the guest runs there; qemu quit here",
		    json_string_value(json_object_get(vm->vm_migration, "to")));
		return EV_EXIT_MIGRATED;
	}
	if (vm->vm_job.j_kind == JOB_SAVE && vm->vm_job.j_saved) {
		*why = xasprintf("the guest's state is in saved.state; qemu "
		    "quit");
		return EV_EXIT_SAVED;
	}
	if (vm->vm_state == VM_STARTING && vm->vm_restoring) {
		tail = vm->vm_job.j_error != NULL ?
		    xasprintf("%s", vm->vm_job.j_error) : vm_log_tail(vm);
		*why = xasprintf("could not resume the saved state: %s; it is "
		    "kept: start tries again, start --fresh boots afresh",
		    tail != NULL ? tail : "qemu ended");
		free(tail);
		return EV_EXIT_RESTORE;
	}
	if (vm->vm_job.j_kind == JOB_STOP) {
		*why = xasprintf("%s", vm->vm_job.j_stop_step == 0 ?
		    "the guest shut down as asked" : vm->vm_job.j_stop_step == 1 ?
		    "qemu quit as asked" : "qemu killed as asked");
		return EV_EXIT_ASKED;
	}
	if (vm->vm_state == VM_STARTING) {
		if (vm->vm_job.j_error != NULL)
			*why = xasprintf("%s", vm->vm_job.j_error);
		else if ((tail = vm_log_tail(vm)) != NULL) {
			if ((words = vm_lock_words(vm, tail)) == NULL)
				words = rbd_qemu_words(vm, tail);
			*why = xasprintf("%s%sqemu failed to start: %s",
			    words != NULL ? words : "", words != NULL ? "; " :
			    "", tail);
			free(words);
			free(tail);
		} else
			*why = xasprintf("qemu exited during start (status %d)",
			    status);
		/* fwsd's own start failing is a crash: the policy retries */
		return vm->vm_job.j_by_fwsd ? EV_EXIT_CRASH : EV_EXIT_START;
	}
	if (cgroup_vm_oom_killed(vm)) {
		*why = xasprintf("killed by the memory limit");
		return EV_EXIT_CRASH;
	}
	if (vm->vm_guest_panicked) {
		*why = xasprintf("the guest panicked");
		return EV_EXIT_PANIC;
	}
	if (vm->vm_guest_shutdown) {
		*why = xasprintf("the guest powered off");
		return EV_EXIT_POWEROFF;
	}
	if (status == -1)
		*why = xasprintf("qemu died without a shutdown");
	else {
		words = proc_status_words(status);
		*why = xasprintf("qemu %s", words);
		free(words);
	}
	return EV_EXIT_CRASH;
}

/* qemu ended (its pidfd said so): vm.c hears what it means. */
void
vm_run_exited(pid_t pid, int status, void *arg)
{
	struct vm	*vm = arg;
	enum vm_event	 ev;
	char		*why;

	(void)pid;
	ev = vm_exit_event(vm, status, &why);
	vm_event(vm, ev, "%s", why);
	free(why);
	/* a migration's end: the VM is forgotten here (from the loop) */
	if (ev == EV_EXIT_MIGRATED)
		migrate_out_exited(vm);
	else
		migrate_in_exited(vm);
}

/* vm.c's DO_GONE: qemu is gone, let go of everything of its run. */
static void
run_teardown(struct vm *vm)
{
	proc_unwatch(vm->vm_watch);
	vm->vm_watch = NULL;
	snapshot_vm_gone(vm);
	vm_save_gone(vm);
	migrate_out_gone(vm);
	migrate_in_gone(vm);
	migrate_tls_remove(vm);
	vm->vm_restoring = 0;
	plug_vm_gone(vm);
	if (vm->vm_qmp != NULL) {
		qmp_free(vm->vm_qmp);
		vm->vm_qmp = NULL;
	}
	agent_close(vm);
	net_vm_untaps(vm);	/* the taps went with qemu, their IFBs now */
	cgroup_vm_release(vm);		/* what it said was read at the exit */
	vm->vm_vnc_display = -1;
	vm->vm_spice_port = -1;
	vm->vm_balloon_mib = 0;
	memset(vm->vm_vnc_password, 0, sizeof(vm->vm_vnc_password));
	memset(vm->vm_spice_password, 0, sizeof(vm->vm_spice_password));
	vm->vm_cmd_actor = vm->vm_reset_by = -1;
}

/*
 * vm.c's DO_GONE and DO_REAP, once those waiting were told (a destroy's
 * reply does not wait for this): the run's sockets and pidfile, and the
 * caps on its logs.  Unless a qemu runs again (a waiter started it):
 * then they are that run's.
 */
static void
run_sweep(struct vm *vm)
{
	if (vm->vm_pid > 0)
		return;
	vm_cleanup_run_files(vm);
	vm_logs_uncap(vm);
}

static int
vm_qmp_gone(const char *err_class)
{
	return err_class != NULL && strcmp(err_class, QMP_ERR_DISCONNECTED) == 0;
}

static void
vm_ignore_reply(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;

	(void)q;
	(void)ret;
	if (err_class != NULL && !vm_qmp_gone(err_class))
		log_debug("%s: %s", vm->vm_name, err_desc);
}

static void
vm_started_status(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;
	const char	*status;
	char		*cause;

	(void)q;
	if (vm_qmp_gone(err_class) || vm->vm_state != VM_STARTING)
		return;
	if (err_class != NULL) {
		vm_start_fail(vm, "query-status failed: %s", err_desc);
		return;
	}
	status = json_string_value(json_object_get(ret, "status"));
	if (status == NULL || strcmp(status, "running") != 0) {
		vm_start_fail(vm, "qemu reports status %s after cont",
		    status ? status : "(none)");
		return;
	}
	if (vm->vm_iso != NULL && !vm->vm_iso_booted && !vm->vm_restoring) {
		vm->vm_iso_booted = 1;
		if (store_vm_update_iso_booted(vm, &cause) == -1) {
			log_warnx("%s: %s", vm->vm_name, cause);
			free(cause);
		}
	}
	vm_event(vm, EV_RUNNING, "qemu pid %d answers QMP: running%s",
	    (int)vm->vm_pid, vm->vm_restoring ? ", resumed from its saved "
	    "state" : "");
	vm_restore_running(vm);	/* the saved state is spent */
	vm_pins_apply(vm);	/* its threads exist: the pins, if any */
}

static void
vm_started_cont(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;

	(void)q;
	(void)ret;
	if (vm_qmp_gone(err_class) || vm->vm_state != VM_STARTING)
		return;
	if (err_class != NULL)
		vm_start_fail(vm, "cont failed: %s", err_desc);
}

/*
 * The guest runs: cont, and the status after it, in one round trip
 * (qemu answers in order, and a failed cont ends the start first).
 */
static void
vm_started_go(struct vm *vm)
{
	qmp_execute(vm->vm_qmp, "cont", NULL, FWS_QMP_TIMEOUT,
	    vm_started_cont, vm);
	qmp_execute(vm->vm_qmp, "query-status", NULL, FWS_QMP_TIMEOUT,
	    vm_started_status, vm);
}

static void
vm_qmp_ready(struct qmp *q, void *arg)
{
	struct vm	*vm = arg;

	(void)q;
	if (vm->vm_state == VM_ARRIVING) {
		vnc_new_password(vm);
		spice_new_password(vm);
		migrate_in_ready(vm);	/* cont when the source says so */
	} else if (vm->vm_state == VM_STARTING) {
		/* the screen is locked before the guest runs (the one its
		 * display has: the other is -1 and left alone) */
		vnc_new_password(vm);
		spice_new_password(vm);
		if (vm->vm_restoring)
			vm_restore_begin(vm);	/* cont once it is back */
		else
			vm_started_go(vm);
	}
}

/* QMP events: the guest shut itself down, or asked to (a reboot's
 * power-off is SHUTDOWN too); what it means comes with qemu's end. */
static void
vm_qmp_shutdown(struct vm *vm, json_t *data)
{
	const char	*reason;

	reason = json_string_value(json_object_get(data, "reason"));
	if (json_is_true(json_object_get(data, "guest")))
		vm->vm_guest_shutdown = 1;
	if (reason != NULL && strcmp(reason, "guest-panic") == 0)
		vm->vm_guest_panicked = 1;
}

static void
vm_qmp_panicked(struct vm *vm, json_t *data)
{
	(void)data;
	vm->vm_guest_panicked = 1;
}

static void
vm_qmp_stopped(struct vm *vm, json_t *data)
{
	(void)data;
	if (vm->vm_state == VM_RUNNING)
		vm_event(vm, EV_PAUSED, "QMP STOP");
}

static void
vm_qmp_resumed(struct vm *vm, json_t *data)
{
	(void)data;
	if (vm->vm_state == VM_PAUSED || vm_migration_unknown(vm))
		vm_event(vm, EV_RESUMED, "QMP RESUME");
}

/* One reboot resets the machine a few times (firmware, kernel): one. */
static void
vm_qmp_reset(struct vm *vm, json_t *data)
{
	struct timespec	 ts;
	const char	*reason;
	int64_t		 now_ms;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (vm->vm_reset_ms != 0 && now_ms - vm->vm_reset_ms <
	    FWS_RESET_COALESCE_MS)
		return;
	vm->vm_reset_ms = now_ms;
	agent_forget(vm);
	reason = json_string_value(json_object_get(data, "reason"));
	if (json_is_true(json_object_get(data, "guest")))
		event_record_by(vm, -1, "reset", "the guest rebooted");
	else if (reason != NULL &&
	    strcmp(reason, "host-qmp-system-reset") == 0) {
		/* the reboot asked for: its reply came first */
		event_record_by(vm, vm->vm_reset_by, "reset", "%s",
		    vm->vm_reset_by >= 0 ? "system_reset" :
		    "reset by the operator");
		vm->vm_reset_by = -1;
	} else
		event_record_by(vm, -1, "reset", "reset");
}

static void
vm_qmp_job(struct vm *vm, json_t *data)
{
	snapshot_job_status(vm, data);
}

/*
 * A migration's news: a save's (vm-save.c), or a resume's, whose start
 * goes on (cont) once the saved state is back in qemu.
 */
static void
vm_qmp_migration(struct vm *vm, json_t *data)
{
	const char	*status;

	if (vm->vm_job.j_kind == JOB_SAVE) {
		vm_save_migration(vm, data);
		return;
	}
	if (vm->vm_job.j_kind == JOB_MIGRATE_OUT) {
		migrate_out_event(vm, "MIGRATION", data);
		return;
	}
	status = json_string_value(json_object_get(data, "status"));
	if (vm->vm_state == VM_ARRIVING && status != NULL) {
		migrate_in_event(vm, status, data);
		return;
	}
	if (vm->vm_state != VM_STARTING || !vm->vm_restoring || status == NULL)
		return;
	if (strcmp(status, "completed") == 0) {
		vm_job_progress(vm, -1, "the guest resumes");
		vm_started_go(vm);
	} else if (strcmp(status, "failed") == 0)
		vm_start_fail(vm, "%s", "qemu could not load the saved state");
}

/* The guest's balloon moved: what it says it has now (info shows it). */
static void
vm_qmp_balloon(struct vm *vm, json_t *data)
{
	json_int_t	 actual = json_integer_value(json_object_get(data,
			    "actual"));

	if (actual > 0)
		vm->vm_balloon_mib = (uint64_t)actual >> 20;
}

/* A block job's news: a migration's disks' mirrors (migrate.c). */
static void
vm_qmp_block_job(struct vm *vm, const char *name, json_t *data)
{
	if (vm->vm_job.j_kind == JOB_MIGRATE_OUT)
		migrate_out_event(vm, name, data);
}

static void
vm_qmp_job_cancelled(struct vm *vm, json_t *data)
{
	vm_qmp_block_job(vm, "BLOCK_JOB_CANCELLED", data);
}

static void
vm_qmp_job_completed(struct vm *vm, json_t *data)
{
	vm_qmp_block_job(vm, "BLOCK_JOB_COMPLETED", data);
}

static void
vm_qmp_job_error(struct vm *vm, json_t *data)
{
	vm_qmp_block_job(vm, "BLOCK_JOB_ERROR", data);
}

static void
vm_qmp_job_ready(struct vm *vm, json_t *data)
{
	vm_qmp_block_job(vm, "BLOCK_JOB_READY", data);
}

/* The QMP events fwsd follows, sorted by name (bsearch). */
static const struct vm_qmp_event {
	const char	*qe_name;
	void		(*qe_fn)(struct vm *, json_t *);
} vm_qmp_events[] = {
	{ "BALLOON_CHANGE",	vm_qmp_balloon },
	{ "BLOCK_JOB_CANCELLED", vm_qmp_job_cancelled },
	{ "BLOCK_JOB_COMPLETED", vm_qmp_job_completed },
	{ "BLOCK_JOB_ERROR",	vm_qmp_job_error },
	{ "BLOCK_JOB_READY",	vm_qmp_job_ready },
	{ "DEVICE_DELETED",	plug_deleted },
	{ "GUEST_PANICKED",	vm_qmp_panicked },
	{ "JOB_STATUS_CHANGE",	vm_qmp_job },
	{ "MIGRATION",		vm_qmp_migration },
	{ "RESET",		vm_qmp_reset },
	{ "RESUME",		vm_qmp_resumed },
	{ "SHUTDOWN",		vm_qmp_shutdown },
	{ "STOP",		vm_qmp_stopped },
};

static int
vm_qmp_event_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct vm_qmp_event *)elem)->qe_name);
}

static void
vm_qmp_event(struct qmp *q, const char *name, json_t *data, void *arg)
{
	const struct vm_qmp_event *qe;
	struct vm	*vm = arg;

	(void)q;
	log_debug("%s: QMP event %s", vm->vm_name, name);
	qe = bsearch(name, vm_qmp_events, sizeof(vm_qmp_events) /
	    sizeof(*vm_qmp_events), sizeof(*vm_qmp_events), vm_qmp_event_cmp);
	if (qe != NULL)
		qe->qe_fn(vm, data);
}

/*
 * QMP going away is not death: the pidfd says when qemu is gone, and
 * qemu's own log says why (a start that hangs instead meets its timer).
 */
static void
vm_qmp_closed(struct qmp *q, const char *cause, void *arg)
{
	struct vm	*vm = arg;

	(void)q;
	log_debug("%s: QMP connection closed: %s", vm->vm_name, cause);
}

static int
mkdir_p(const char *path, mode_t mode)
{
	char	*p, *s;

	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -1;
	p = xasprintf("%s", path);
	if ((s = strrchr(p, '/')) != NULL && s != p) {
		*s = '\0';
		if (mkdir_p(p, mode) == -1) {
			free(p);
			return -1;
		}
	}
	free(p);
	return mkdir(path, mode) == -1 && errno != EEXIST ? -1 : 0;
}

/*
 * What qemu must open by name is given to the VM's qemu uid: its
 * writable disks (as libvirt's dynamic ownership does), the pidfile
 * and the console log, made here because qemu may not create files
 * where they live.  Read-only files stay root's: qemu gets descriptors.
 */
static int
vm_give_files(const struct vm *vm, const char *pidfile, const char *log,
    char **cause)
{
	const char *const made[] = { pidfile, log };
	size_t	 j;
	int	 fd, i;

	for (j = 0; j < sizeof(made) / sizeof(*made); j++) {
		fd = open(made[j], O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		    0600);
		if (fd == -1)
			return cause_fail(cause, "%s: %s", made[j],
			    strerror(errno));
		close(fd);
		if (access_give_qemu(made[j], vm->vm_qemu_uid, cause) == -1)
			return -1;
	}
	for (i = 0; i < vm->vm_ndisks; i++)
		if (!vm->vm_disks[i].d_readonly &&
		    !is_rbd(vm->vm_disks[i].d_path) && access_give_qemu(
		    vm->vm_disks[i].d_path, vm->vm_qemu_uid, cause) == -1)
			return -1;
	return 0;
}

/* A read-only file for qemu: keep[*nkeep] holds it, at fd first + index. */
static int
vm_keep_fd(int fd, int *keep, int *nkeep, int first)
{
	keep[*nkeep] = fd;
	return first + (*nkeep)++;
}

/*
 * The cloud-init seed, root's in the VM's directory (seed-iso.c): qemu gets
 * it as a read-only descriptor, and could not open it by its name.
 */
static int
vm_open_seed(struct vm *vm, struct vm_qemu_paths *qp, int *keep,
    int *nkeep, int first, char **cause)
{
	struct stat	 sb;
	char		*p = seed_iso_path(vm);
	int		 fd;

	if ((fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1) {
		cause_fail(cause, "the cloud-init seed %s: %s", p,
		    strerror(errno));
		free(p);
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) || sb.st_uid != 0) {
		close(fd);
		cause_fail(cause, "the cloud-init seed %s: not a file of "
		    "root's", p);
		free(p);
		return -1;
	}
	free(p);
	qp->qp_seed_fd = vm_keep_fd(fd, keep, nkeep, first);
	return 0;
}

/*
 * The disks' block graphs, read again at every start (a guest had its
 * disks in hand since the last check): each disk's chain is opened and
 * its headers read from the descriptors qemu will be given; a backing
 * file must be one of the owner's images, an external data file is
 * refused, and a disk may not have grown past the size it was made
 * with.  Every read-only file (backing files, read-only disks, the ISO)
 * goes into keep (from fd number first in qemu); qp says where.
 */
static int
vm_open_images(struct vm *vm, struct vm_qemu_paths *qp, int *keep,
    int *nkeep, int first, char **cause)
{
	struct image_chain	 ic;
	struct image_layer	*l;
	struct vm_disk		*d;
	struct stat		 sb;
	char			*dirs[FWS_IMAGE_DIRS_MAX + 1], *why;
	int			 i, k, n, fd, rc = 0;

	n = image_base_dirs(vm->vm_owner, dirs);
	qp->qp_rbd_key_fd = -1;
	for (i = 0; rc == 0 && i < vm->vm_ndisks; i++) {
		d = &vm->vm_disks[i];
		/* an RBD image: qemu's rbd driver, with the key (once) */
		if (is_rbd(d->d_path)) {
			qp->qp_disks[i].qd_nlayers = 0;
			if (qp->qp_rbd_key_fd != -1)
				continue;
			if ((fd = rbd_key_fd(cause)) == -1)
				rc = -1;
			else
				qp->qp_rbd_key_fd = vm_keep_fd(fd, keep, nkeep,
				    first);
			continue;
		}
		if (image_chain_open(d->d_path, d->d_format, dirs, n, &ic,
		    &why) == -1) {
			rc = cause_fail(cause, "disk %d: %s", i, why);
			free(why);
		} else if (!d->d_readonly && ic.ic_layer[0].il_size > d->d_size)
			rc = cause_fail(cause, "disk %d: %s: its virtual size is "
			    "now %llu bytes, more than the %llu it was made with: "
			    "refused", i, d->d_path,
			    (unsigned long long)ic.ic_layer[0].il_size,
			    (unsigned long long)d->d_size);
		qp->qp_disks[i].qd_nlayers = rc == 0 ? ic.ic_n : 0;
		for (k = 0; rc == 0 && k < ic.ic_n; k++) {
			l = &ic.ic_layer[k];
			qp->qp_disks[i].qd_layer[k].ql_format =
			    strcmp(l->il_format, "qcow2") == 0 ? "qcow2" : "raw";
			if (k == 0 && !d->d_readonly)
				qp->qp_disks[i].qd_layer[k].ql_fd = -1;
			else {
				qp->qp_disks[i].qd_layer[k].ql_fd =
				    vm_keep_fd(l->il_fd, keep, nkeep, first);
				l->il_fd = -1;	/* keep's now */
			}
		}
		image_chain_close(&ic);
	}
	image_dirs_free(dirs, n);
	qp->qp_iso_fd = -1;
	if (rc == 0 && vm->vm_iso != NULL) {
		if ((fd = open(vm->vm_iso, O_RDONLY | O_CLOEXEC |
		    O_NONBLOCK)) == -1)
			return cause_fail(cause, "%s: %s", vm->vm_iso,
			    strerror(errno));
		if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
			close(fd);
			return cause_fail(cause, "%s: not a regular file",
			    vm->vm_iso);
		}
		qp->qp_iso_fd = vm_keep_fd(fd, keep, nkeep, first);
	}
	qp->qp_seed_fd = 0;
	if (rc == 0 && vm->vm_seed != NULL)
		rc = vm_open_seed(vm, qp, keep, nkeep, first, cause);
	return rc;
}

/*
 * Spawn qemu stopped (-S); returns 0, fills vm_pid and vm_watch, and
 * gives in *qmp_conn and *agent_conn fwsd's ends of the monitor
 * connection and of the guest agent's channel.
 */
static int
vm_spawn(struct vm *vm, int *qmp_conn, int *agent_conn, char **cause)
{
	struct vm_qemu_paths	 qp;
	struct proc_spec	 ps;
	struct stat		 sb;
	char			*qmp_path, *serial_path, *agent_path, *pidfile;
	char			*serial_log, *qemu_log, **argv = NULL;
	char			*vnc = NULL, *spice = NULL;
	int			 qmp_fd = -1, serial_fd = -1, log_fd = -1;
	int			 agent_fd = -1, conn = -1, aconn = -1;
	int			 tap_fds[FWS_NICS_MAX], ntaps = 0;
	int			 ro_fds[FWS_SPAWN_KEEP_MAX], nro = 0;
	int			 rc = -1, i;
	pid_t			 pid;

	qmp_path = vm_run_path(vm, "qmp");
	serial_path = vm_run_path(vm, "serial");
	agent_path = vm_run_path(vm, "qga");
	pidfile = vm_run_path(vm, "pid");
	serial_log = vm_file(vm, "console.log");
	qemu_log = vm_file(vm, "qemu.log");
	memset(&qp, 0, sizeof(qp));
	if (vm_mkdir(vm, cause) == -1)
		goto done;
	if (mkdir_p(conf.cf_run_dir, 0711) == -1) {
		*cause = xasprintf("%s: %s", conf.cf_run_dir, strerror(errno));
		goto done;
	}
	/* after QMP, serial and the agent's channel (3, 4, 5) and the taps */
	if (vm_open_images(vm, &qp, ro_fds, &nro, 6 + vm->vm_nnics,
	    cause) == -1)
		goto done;
	if (vm_give_files(vm, pidfile, serial_log, cause) == -1)
		goto done;
	if ((qmp_fd = sock_listen(qmp_path, 0600, 0, cause)) == -1 ||
	    (serial_fd = sock_listen(serial_path, 0600, 0, cause)) == -1 ||
	    (agent_fd = sock_listen(agent_path, 0600, 0, cause)) == -1)
		goto done;
	/*
	 * Connect while the listening end is still ours: the connection
	 * waits in the backlog for qemu, and a qemu that dies at once
	 * cannot make it fail and hide its own words about why.
	 */
	if ((conn = sock_connect(qmp_path, SOCK_NONBLOCK, cause)) == -1 ||
	    (aconn = sock_connect(agent_path, SOCK_NONBLOCK, cause)) == -1)
		goto done;
	log_fd = open(qemu_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600);
	/* qemu.log is cut (if over its cap) before its size is taken */
	if (log_fd != -1 && vm_logs_cap(vm, cause) == -1)
		goto done;
	if (log_fd == -1 || fstat(log_fd, &sb) == -1) {
		*cause = xasprintf("%s: %s", qemu_log, strerror(errno));
		goto done;
	}
	vm->vm_log_offset = sb.st_size;
	/* the screen: a VNC display, or a SPICE port (and VNC with no
	 * listener, for vnc_connect); a network may have become public
	 * since the VM last ran (a guest migrating in runs already: an
	 * admin moved it) */
	vm->vm_vnc_display = vm->vm_spice_port = -1;
	if ((vm->vm_display == VM_DISPLAY_SPICE ? spice_alloc(vm, cause) :
	    vnc_alloc(vm, cause)) == -1 || (vm->vm_mig_in == NULL &&
	    public_check(vm, NULL, NULL, 0, cause) == -1) ||
	    net_vm_taps(vm, tap_fds, cause) == -1)
		goto done;
	ntaps = vm->vm_nnics;
	vnc = vnc_qemu_arg(vm);
	if (vm->vm_spice_port >= 0)
		spice = spice_qemu_arg(vm);

	qp.qp_qemu = conf.cf_qemu;
	qp.qp_ceph_conf = conf.cf_ceph_conf;
	qp.qp_ceph_user = conf.cf_ceph_user;
	qp.qp_machine = conf.cf_machine;
	qp.qp_accel = accel_for_start();
	qp.qp_serial_log = serial_log;
	qp.qp_pidfile = pidfile;
	qp.qp_qmp_fd = 3;
	qp.qp_serial_fd = 4;
	qp.qp_agent_fd = 5;
	qp.qp_boot_iso = vm->vm_iso != NULL && !vm->vm_iso_booted;
	/* a saved state, or a guest from another host, comes by QMP */
	qp.qp_incoming = vm->vm_restoring || (vm->vm_state == VM_STOPPED &&
	    vm->vm_mig_in != NULL);
	for (i = 0; i < ntaps; i++)
		qp.qp_tap_fd[i] = 6 + i;
	qp.qp_vnc = vnc;
	qp.qp_spice = spice;
	argv = vm_qemu_argv(vm, &qp);

	memset(&ps, 0, sizeof(ps));
	ps.ps_argv = argv;
	ps.ps_stdout = log_fd;
	access_spec_qemu(&ps, vm->vm_qemu_uid);
	ps.ps_keep[0] = qmp_fd;
	ps.ps_keep[1] = serial_fd;
	ps.ps_keep[2] = agent_fd;
	ps.ps_nkeep = 3;
	for (i = 0; i < ntaps; i++)
		ps.ps_keep[ps.ps_nkeep++] = tap_fds[i];
	for (i = 0; i < nro; i++)
		ps.ps_keep[ps.ps_nkeep++] = ro_fds[i];
	/* its cgroups, limits written, the child born there or joining */
	if (cgroup_vm_prepare(vm, &ps, cause) == -1)
		goto done;
	i = proc_spawn(&ps, &pid, cause);
	cgroup_spec_close(&ps);
	if (i == -1)
		goto done;
	vm->vm_pid = pid;
	vm->vm_pid_start = proc_start_time(pid);
	if ((vm->vm_watch = proc_watch(pid, vm_run_exited, vm, cause)) == NULL) {
		kill(pid, SIGKILL);
		goto done;
	}
	*qmp_conn = conn;
	*agent_conn = aconn;
	conn = aconn = -1;
	rc = 0;
done:
	if (rc == -1) {
		vm_cleanup_run_files(vm);	/* the sockets made above */
		vm_logs_uncap(vm);
		cgroup_vm_release(vm);	/* busy until a spawned one is reaped */
		if (ntaps > 0)
			net_vm_untaps(vm);	/* the taps go below */
	}
	if (conn != -1)
		close(conn);
	if (aconn != -1)
		close(aconn);
	if (qmp_fd != -1)
		close(qmp_fd);
	if (serial_fd != -1)
		close(serial_fd);
	if (agent_fd != -1)
		close(agent_fd);
	if (log_fd != -1)
		close(log_fd);
	/* qemu holds the taps now: they vanish when it ends */
	for (i = 0; i < ntaps; i++)
		close(tap_fds[i]);
	for (i = 0; i < nro; i++)
		close(ro_fds[i]);
	vm_qemu_argv_free(argv);
	free(vnc);
	free(spice);
	free(qmp_path);
	free(serial_path);
	free(agent_path);
	free(pidfile);
	free(serial_log);
	free(qemu_log);
	return rc;
}

/* QMP over fd (consumed), or over a new connection when fd is -1. */
static int
vm_qmp_open(struct vm *vm, int fd, char **cause)
{
	char	*path;

	if (fd == -1) {
		path = vm_run_path(vm, "qmp");
		fd = sock_connect(path, SOCK_NONBLOCK, cause);
		free(path);
		if (fd == -1)
			return -1;
	}
	vm->vm_qmp = qmp_open(base, fd, &vm_qmp_handlers, vm, 0);
	if (vm->vm_qmp == NULL) {
		*cause = xasprintf("QMP: %s", strerror(errno));
		return -1;
	}
	return 0;
}


/* A start's step failed after the spawn: vm.c has qemu killed. */
static void
vm_start_fail(struct vm *vm, const char *fmt, const char *detail)
{
	char	*why = xasprintf(fmt, detail);

	vm_start_failed(vm, why);
	free(why);
}

static void
run_timer_fired(int fd, short what, void *arg)
{
	struct vm	*vm = arg;

	(void)fd;
	(void)what;
	/* an arriving qemu that did not come up: migrate-in.c's */
	if (vm->vm_job.j_kind == JOB_MIGRATE_IN)
		migrate_in_timer(vm);
	else
		vm_timer_fired(vm);
}

/* The job's one timer: seconds from now, or none (-1). */
static void
run_timer(struct vm *vm, int seconds)
{
	struct timeval	 tv = { seconds, 0 };

	if (vm->vm_timer != NULL)
		event_free(vm->vm_timer);
	vm->vm_timer = NULL;
	if (seconds < 0)
		return;
	vm->vm_timer = evtimer_new(base, run_timer_fired, vm);
	evtimer_add(vm->vm_timer, &tv);
}

static int
run_spawn(struct vm *vm, char **cause)
{
	int	 qmp_conn, agent_conn;

	vm->vm_guest_shutdown = vm->vm_guest_panicked = 0;
	/* a saved VM resumes; any other start boots, and a saved state
	 * left over (a resume cut short) means nothing any more */
	vm->vm_restoring = vm->vm_state == VM_SAVED;
	if (!vm->vm_restoring)
		vm_saved_discard(vm, 0);
	if (vm_spawn(vm, &qmp_conn, &agent_conn, cause) == -1) {
		vm->vm_restoring = 0;
		return -1;
	}
	agent_open(vm, agent_conn);
	if (vm_qmp_open(vm, qmp_conn, cause) == -1) {
		/* qemu runs: the start fails when vm.c has the state */
		free(vm->vm_job.j_error);
		vm->vm_job.j_error = *cause;
		*cause = NULL;
		vm_kill(vm);
	}
	return 0;
}

/* The power button (a paused guest is let run first to see it). */
static int
run_powerdown(struct vm *vm, int paused)
{
	if (vm->vm_qmp == NULL)
		return -1;
	if (paused)
		qmp_execute(vm->vm_qmp, "cont", NULL, FWS_QMP_TIMEOUT,
		    vm_ignore_reply, vm);
	return qmp_execute(vm->vm_qmp, "system_powerdown", NULL,
	    FWS_QMP_TIMEOUT, vm_ignore_reply, vm);
}

static int
run_quit(struct vm *vm)
{
	if (vm->vm_qmp == NULL)
		return -1;
	return qmp_execute(vm->vm_qmp, "quit", NULL, FWS_QMP_TIMEOUT,
	    vm_ignore_reply, vm);
}

/* A QMP command whose answer an fws_done_fn gets. */
struct run_command {
	fws_done_fn	 rc_fn;
	void		*rc_arg;
};

static void
run_command_done(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct run_command	*rc = arg;

	(void)q;
	(void)ret;
	if (err_class != NULL)
		rc->rc_fn(rc->rc_arg, FWS_ERR_FAILED, vm_qmp_gone(err_class) ?
		    "qemu went away" : err_desc, NULL);
	else
		rc->rc_fn(rc->rc_arg, FWS_OK, NULL, NULL);
	free(rc);
}

static int
run_command(struct vm *vm, const char *cmd, json_t *args, fws_done_fn fn,
    void *arg)
{
	struct run_command	*rc;

	if (vm->vm_qmp == NULL || (rc = calloc(1, sizeof(*rc))) == NULL) {
		json_decref(args);
		return -1;
	}
	rc->rc_fn = fn;
	rc->rc_arg = arg;
	if (qmp_execute(vm->vm_qmp, cmd, args, FWS_QMP_TIMEOUT,
	    run_command_done, rc) == -1) {
		free(rc);
		return -1;
	}
	return 0;
}

static void
run_adopt_status(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;

	(void)q;
	if (err_class != NULL) {
		if (!vm_qmp_gone(err_class))
			log_warnx("%s: query-status: %s", vm->vm_name, err_desc);
		return;
	}
	vm_adopted_status(vm, json_string_value(json_object_get(ret,
	    "status")));
}

/*
 * A qemu that outlived the last fwsd (vm-adopt.c watches it): its
 * bridges' ports, log caps, guest agent and QMP again; a start it was
 * in goes on when QMP is ready, a running one is asked its status.
 */
static void
run_attach(struct vm *vm, int starting)
{
	char	*cause;

	net_vm_adopt(vm);
	cgroup_vm_adopt(vm);
	if (vm_logs_cap(vm, &cause) == -1) {
		log_warnx("%s: its logs are not capped: %s", vm->vm_name,
		    cause);
		free(cause);
	}
	agent_open(vm, -1);
	if (vm_qmp_open(vm, -1, &cause) == -1) {
		/* the pidfd still tells when it dies */
		log_warnx("%s: qemu pid %d kept, but QMP cannot be "
		    "reconnected: %s", vm->vm_name, (int)vm->vm_pid, cause);
		free(cause);
		return;
	}
	if (starting || vm->vm_state == VM_STOPPING)
		return;
	/* a migration under way when the last fwsd ended: theirs */
	if (vm->vm_state == VM_MIGRATING) {
		migrate_adopt(vm);
		return;
	}
	if (vm->vm_state == VM_ARRIVING) {
		migrate_in_adopt(vm);
		return;
	}
	/* a snapshot job under way first: its status is not the VM's */
	snapshot_adopt(vm);
	media_adopt(vm);
	qmp_execute(vm->vm_qmp, "query-status", NULL, FWS_QMP_TIMEOUT,
	    run_adopt_status, vm);
	/* what its qemu serves, VNC or SPICE, whatever its definition
	 * says now (set --display waits for the next start) */
	vnc_adopt(vm);
	spice_adopt(vm);
}

/*
 * A transition and its event, one write: the run state and the event
 * commit together (one sync), before vm.c tells anyone.  A store that
 * fails is logged: the VM goes on.
 */
static void
run_commit(struct vm *vm, int64_t actor, const struct vm_record *rec, int n)
{
	char	*cause;
	int	 tx, i;

	if ((tx = store_begin(&cause)) == -1) {
		log_warnx("%s: %s", vm->vm_name, cause);
		free(cause);
	}
	if (store_vm_update_run(vm, &cause) == -1) {
		log_warnx("%s: cannot record state %s: %s", vm->vm_name,
		    vm_state_name(vm->vm_state), cause);
		free(cause);
	}
	for (i = 0; i < n; i++)
		event_record_by(vm, actor, rec[i].r_event, "%s",
		    rec[i].r_reason);
	if (tx == 0 && store_commit(&cause) == -1) {
		log_warnx("%s: cannot record state %s: %s", vm->vm_name,
		    vm_state_name(vm->vm_state), cause);
		free(cause);
	}
}

/* vm.c's DO_DISCARD: the saved state is no longer wanted. */
static void
run_discard(struct vm *vm)
{
	vm_saved_discard(vm, 0);
}

/* A job ended, or a loan's state changed: a loan's step may wait. */
static void
run_changed(struct vm *vm, enum vm_job_kind kind)
{
	(void)vm;
	(void)kind;
	loan_changed();
}

const struct vm_run_ops vm_run_qemu = {
	.ro_spawn = run_spawn,
	.ro_powerdown = run_powerdown,
	.ro_quit = run_quit,
	.ro_kill = vm_kill,
	.ro_command = run_command,
	.ro_attach = run_attach,
	.ro_teardown = run_teardown,
	.ro_sweep = run_sweep,
	.ro_timer = run_timer,
	.ro_commit = run_commit,
	.ro_changed = run_changed,
	.ro_discard = run_discard,
};

/* A fresh connection to the VM's serial port, for the console verb. */
int
vm_console_connect(struct vm *vm, char **cause)
{
	char	*path = vm_run_path(vm, "serial");
	int	 fd;

	fd = sock_connect(path, SOCK_NONBLOCK, cause);
	free(path);
	return fd;
}

/* fwsd is exiting: let go of every qemu without touching it. */
void
vm_release_all(void)
{
	struct vm	*vm;

	while ((vm = TAILQ_FIRST(&vms)) != NULL) {
		TAILQ_REMOVE(&vms, vm, vm_entry);
		run_timer(vm, -1);
		if (vm->vm_qmp != NULL)
			qmp_free(vm->vm_qmp);
		agent_close(vm);
		proc_unwatch(vm->vm_watch);
		vm_logs_uncap(vm);
		vm_release(vm);
		vm_free(vm);
	}
}
