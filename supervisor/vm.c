/*
 * vm.c: the VM state machine, the only code that changes a VM's state.
 * It starts qemu (argv from vm-qemu.c, process from proc.c), drives it
 * over QMP, learns of its death through a pidfd, decides what an exit
 * means (operator stop, guest power-off, crash) and answers the requests
 * waiting on a transition.  It also ends what a loan's end ends (loan.c
 * says when): stops and expires a VM, and removes one with its files.
 * Every state change is committed to the store before anyone is told.
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
#include "proto.h"
#include "qmp.h"

static void	vm_qmp_ready(struct qmp *, void *);
static void	vm_qmp_event(struct qmp *, const char *, json_t *, void *);
static void	vm_qmp_closed(struct qmp *, const char *, void *);

static const struct qmp_handlers vm_qmp_handlers = {
	vm_qmp_ready, vm_qmp_event, vm_qmp_closed
};

/* STATE/vms/NAME for root's VMs, STATE/users/UID/vms/NAME for a user's. */
char *
vm_dir(const struct vm *vm)
{
	if (vm->vm_owner == 0)
		return xasprintf("%s/vms/%s", conf.cf_state_dir, vm->vm_name);
	return xasprintf("%s/users/%u/vms/%s", conf.cf_state_dir,
	    (unsigned)vm->vm_owner, vm->vm_name);
}

/*
 * RUN_DIR/UUID.SUFFIX: named by the VM's uuid, so that nobody learns a
 * VM's name from the run directory (its names cannot be listed, but any
 * local user may try one).
 */
char *
vm_run_path(const struct vm *vm, const char *suffix)
{
	return xasprintf("%s/%s.%s", conf.cf_run_dir, vm->vm_uuid, suffix);
}

static char *
vm_file(const struct vm *vm, const char *name)
{
	char	*dir = vm_dir(vm), *p;

	p = xasprintf("%s/%s", dir, name);
	free(dir);
	return p;
}

/*
 * NIC i's addresses: what the guest agent said of the NIC (by its MAC),
 * else what the network's DHCP leased to it; none while the VM has no
 * qemu.  *from says which.  The leases are as net_lease_refresh last
 * read them.
 */
static json_t *
vm_nic_addresses(const struct vm *vm, int i, const char **from)
{
	const struct net	*n;
	json_t			*a;

	*from = NULL;
	if (!vm_is_active(vm))
		return json_array();
	if ((a = agent_addresses(vm, vm->vm_nics[i].n_mac)) != NULL &&
	    json_array_size(a) > 0) {
		*from = "agent";
		return a;
	}
	json_decref(a);
	a = json_array();
	if ((n = net_find(vm->vm_nics[i].n_net)) != NULL &&
	    net_lease_addresses(n, vm->vm_nics[i].n_mac, a) > 0)
		*from = "dhcp";
	return a;
}

/*
 * A VM as list shows it (with each NIC's addresses, all together), or
 * with full as info does.  Only the VM's owner and admins get here.
 */
json_t *
vm_to_json(const struct vm *vm, int full)
{
	json_t		*o, *disks, *nics, *all, *a[FWS_NICS_MAX], *v;
	const char	*from[FWS_NICS_MAX];
	char		*p, tap[FWS_IFNAME_MAX + 1];
	size_t		 k, m;
	int		 i;

	o = json_pack("{ss ss ss si sI sI}", "name", vm->vm_name, "uuid",
	    vm->vm_uuid, "state", vm_state_name(vm->vm_state), "vcpus",
	    (int)vm->vm_vcpus, "memory_mib", (json_int_t)vm->vm_memory_mib,
	    "owner", (json_int_t)vm->vm_owner);
	json_object_set_new(o, "pid", vm->vm_pid > 0 ?
	    json_integer(vm->vm_pid) : json_null());
	loan_json_add(o, vm, full);
	all = json_array();
	for (i = 0; i < vm->vm_nnics; i++) {
		a[i] = vm_nic_addresses(vm, i, &from[i]);
		json_array_foreach(a[i], k, v) {
			for (m = 0; m < json_array_size(all); m++)
				if (json_equal(json_array_get(all, m), v))
					break;
			if (m == json_array_size(all))
				json_array_append(all, v);
		}
	}
	json_object_set_new(o, "addresses", all);
	if (!full) {
		for (i = 0; i < vm->vm_nnics; i++)
			json_decref(a[i]);
		return o;
	}
	json_object_set_new(o, "mac", json_string(vm->vm_mac));
	json_object_set_new(o, "qemu_uid", json_integer(
	    access_qemu_uid(vm->vm_qemu_uid)));
	disks = json_array();
	for (i = 0; i < vm->vm_ndisks; i++)
		json_array_append_new(disks, json_pack("{ss ss sI sb sb}",
		    "path", vm->vm_disks[i].d_path,
		    "format", vm->vm_disks[i].d_format,
		    "size", (json_int_t)vm->vm_disks[i].d_size,
		    "owned", vm->vm_disks[i].d_owned,
		    "readonly", vm->vm_disks[i].d_readonly));
	json_object_set_new(o, "disks", disks);
	nics = json_array();
	for (i = 0; i < vm->vm_nnics; i++) {
		if (vm_tap_name(vm, i, tap, sizeof(tap)) == -1)
			tap[0] = '\0';
		json_array_append_new(nics, json_pack("{ss ss ss so so so so}",
		    "network", vm->vm_nics[i].n_net, "mac",
		    vm->vm_nics[i].n_mac, "tap", tap, "addresses", a[i],
		    "addresses_from", from[i] != NULL ? json_string(from[i]) :
		    json_null(), "hostname", vm->vm_nics[i].n_dns[0] != '\0' ?
		    json_string(vm->vm_nics[i].n_dns) : json_null(),
		    "dns_name", net_dns_fqdn(net_find(vm->vm_nics[i].n_net),
		    vm->vm_nics[i].n_dns)));
	}
	json_object_set_new(o, "nics", nics);
	p = vm_file(vm, "console.log");
	json_object_set_new(o, "serial_log", json_string(p));
	free(p);
	p = vm_file(vm, "qemu.log");
	json_object_set_new(o, "qemu_log", json_string(p));
	free(p);
	json_object_set_new(o, "restart",
	    json_string(vm_restart_name(vm->vm_restart)));
	json_object_set_new(o, "iso", vm->vm_iso ? json_string(vm->vm_iso) :
	    json_null());
	json_object_set_new(o, "kernel", vm->vm_kernel ?
	    json_string(vm->vm_kernel) : json_null());
	json_object_set_new(o, "initrd", vm->vm_initrd ?
	    json_string(vm->vm_initrd) : json_null());
	json_object_set_new(o, "append", vm->vm_append ?
	    json_string(vm->vm_append) : json_null());
	json_object_set_new(o, "created", json_integer(vm->vm_created));
	json_object_set_new(o, "last_exit", vm->vm_last_exit ?
	    json_string(vm->vm_last_exit) : json_null());
	json_object_set_new(o, "last_exit_time", vm->vm_last_exit_time ?
	    json_integer(vm->vm_last_exit_time) : json_null());
	json_object_set_new(o, "autostart", json_boolean(vm->vm_autostart));
	json_object_set_new(o, "restarts", json_integer(vm->vm_restarts));
	json_object_set_new(o, "next_restart", vm->vm_restart_pending ?
	    json_integer(vm->vm_restart_at) : json_null());
	return o;
}

/* Commit the run state; a store failure is logged, the VM goes on. */
void
vm_commit(struct vm *vm)
{
	char	*cause;

	if (store_vm_update_run(vm, &cause) == -1) {
		log_warnx("%s: cannot record state %s: %s", vm->vm_name,
		    vm_state_name(vm->vm_state), cause);
		free(cause);
	}
}

/*
 * The one way a VM changes state: committed, then recorded as an event
 * (named event, or after the new state) with the reason, by whoever
 * asked for the transition under way (vm_actor).  Staying in the same
 * state records nothing unless an event is named.
 */
void
vm_set_state(struct vm *vm, enum vm_state st, const char *event,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*reason;

	if (vm->vm_state == st && event == NULL)
		return;
	log_debug("%s: %s -> %s", vm->vm_name, vm_state_name(vm->vm_state),
	    vm_state_name(st));
	vm->vm_state = st;
	vm_commit(vm);
	va_start(ap, fmt);
	if (vasprintf(&reason, fmt, ap) == -1)
		reason = NULL;
	va_end(ap);
	event_record(vm, event ? event : vm_state_name(st), "%s",
	    reason ? reason : "");
	free(reason);
}

/* Answer rq, or call fn(vm, error, arg), when the transition ends. */
static void
vm_wait(struct vm *vm, struct request *rq, vm_done_fn fn, void *arg,
    enum vm_state want)
{
	struct vm_waiter	*w;

	if (rq == NULL && fn == NULL)
		return;		/* fwsd's own start: nobody waits */
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		if (rq != NULL)
			request_error(rq, PROTO_ERR_INTERNAL, "out of memory");
		else
			fn(vm, "out of memory", arg);
		return;
	}
	w->w_rq = rq;
	w->w_fn = fn;
	w->w_arg = arg;
	w->w_want = want;
	TAILQ_INSERT_TAIL(&vm->vm_waiters, w, w_entry);
}

/*
 * The VM is now running, or its qemu is gone.  Running answers those
 * waiting for it to run; gone answers everyone: ok to those waiting for
 * a stop, why to those waiting for a start.
 */
void
vm_wake(struct vm *vm, const char *why)
{
	struct vm_waiter	*w, *tw;
	int			 up = vm->vm_state == VM_RUNNING, ok;

	TAILQ_FOREACH_SAFE(w, &vm->vm_waiters, w_entry, tw) {
		if (up && w->w_want != VM_RUNNING)
			continue;
		TAILQ_REMOVE(&vm->vm_waiters, w, w_entry);
		ok = up || w->w_want == VM_STOPPED;
		if (w->w_fn != NULL)
			w->w_fn(vm, ok ? NULL : why ? why : "failed", w->w_arg);
		else if (ok)
			request_ok(w->w_rq, vm_to_json(vm, 0));
		else
			request_error(w->w_rq, PROTO_ERR_FAILED, "%s: %s",
			    vm->vm_name, why ? why : "failed");
		free(w);
	}
}

void
vm_timer_set(struct vm *vm, int seconds, event_callback_fn fn)
{
	struct timeval	 tv = { seconds, 0 };

	if (vm->vm_timer != NULL)
		event_free(vm->vm_timer);
	vm->vm_timer = evtimer_new(base, fn, vm);
	evtimer_add(vm->vm_timer, &tv);
}

void
vm_timer_clear(struct vm *vm)
{
	if (vm->vm_timer != NULL)
		event_free(vm->vm_timer);
	vm->vm_timer = NULL;
}

static void
vm_kill(struct vm *vm)
{
	if (vm->vm_watch != NULL && proc_signal(vm->vm_watch, SIGKILL) == -1 &&
	    errno != ESRCH)
		log_warn("%s: kill pid %d", vm->vm_name, (int)vm->vm_pid);
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

/* Why did qemu end?  Fills the new state and returns a sentence. */
static char *
vm_exit_reason(struct vm *vm, int status, enum vm_state *st)
{
	char	*tail, *reason;

	if (vm->vm_state == VM_STARTING && !vm->vm_operator_stop) {
		/* fwsd's own start failing is a crash: the policy retries */
		*st = vm->vm_auto_start ? VM_CRASHED : VM_STOPPED;
		if (vm->vm_start_error != NULL)
			return xasprintf("%s", vm->vm_start_error);
		tail = vm_log_tail(vm);
		if (tail != NULL) {
			char *r = xasprintf("qemu failed to start: %s", tail);
			free(tail);
			return r;
		}
		return xasprintf("qemu exited during start (status %d)",
		    status);
	}
	if (vm->vm_operator_stop) {
		*st = VM_STOPPED;
		switch (vm->vm_stop_step) {
		case 0:
			return xasprintf("the guest shut down as asked");
		case 1:
			return xasprintf("qemu quit as asked");
		default:
			return xasprintf("qemu killed as asked");
		}
	}
	if (vm->vm_guest_panicked) {
		*st = VM_CRASHED;
		return xasprintf("the guest panicked");
	}
	if (vm->vm_guest_shutdown) {
		*st = VM_STOPPED;
		return xasprintf("the guest powered off");
	}
	*st = VM_CRASHED;
	if (status == -1)
		return xasprintf("qemu died without a shutdown");
	tail = proc_status_words(status);
	reason = xasprintf("qemu %s", tail);
	free(tail);
	return reason;
}

void
vm_exited(pid_t pid, int status, void *arg)
{
	struct vm	*vm = arg;
	enum vm_state	 st;
	char		*why;
	int		 operator_stop = vm->vm_operator_stop;
	/* the operator hears of a start that failed: no restart behind it */
	int		 operator_start = vm->vm_state == VM_STARTING &&
			    !vm->vm_auto_start;

	proc_unwatch(vm->vm_watch);
	vm->vm_watch = NULL;
	vm_timer_clear(vm);
	snapshot_vm_gone(vm);
	if (vm->vm_qmp != NULL) {
		qmp_free(vm->vm_qmp);
		vm->vm_qmp = NULL;
	}
	agent_close(vm);
	vm_cleanup_run_files(vm);
	why = vm_exit_reason(vm, status, &st);
	vm_logs_uncap(vm);
	vm->vm_vnc_display = -1;
	memset(vm->vm_vnc_password, 0, sizeof(vm->vm_vnc_password));
	vm->vm_pid = 0;
	vm->vm_pid_start = 0;
	free(vm->vm_last_exit);
	vm->vm_last_exit = why;
	vm->vm_last_exit_time = time(NULL);
	vm_set_state(vm, st, NULL, "%s (pid %d)", why, (int)pid);
	free(vm->vm_start_error);
	vm->vm_start_error = NULL;
	vm->vm_operator_stop = 0;
	vm->vm_auto_start = 0;
	vm->vm_actor = vm->vm_reset_by = -1;
	vm_wake(vm, why);
	if (!operator_stop && !operator_start)
		vm_restart_consider(vm);
}

/* A start went wrong after qemu was spawned: kill it, the exit answers. */
static void
vm_start_fail(struct vm *vm, const char *fmt, const char *detail)
{
	if (vm->vm_start_error == NULL)
		vm->vm_start_error = xasprintf(fmt, detail);
	log_warnx("%s: %s", vm->vm_name, vm->vm_start_error);
	vm_kill(vm);
}

void
vm_start_timeout(int fd, short what, void *arg)
{
	char	 secs[16];

	(void)fd;
	(void)what;
	snprintf(secs, sizeof(secs), "%d", FWS_START_TIMEOUT);
	vm_start_fail(arg, "qemu did not start within %s seconds", secs);
}

static int
vm_qmp_gone(const char *err_class)
{
	return err_class != NULL && strcmp(err_class, QMP_ERR_DISCONNECTED) == 0;
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
	vm_timer_clear(vm);
	vm->vm_auto_start = 0;
	if (vm->vm_iso != NULL && !vm->vm_iso_booted) {
		vm->vm_iso_booted = 1;
		if (store_vm_update_iso_booted(vm, &cause) == -1) {
			log_warnx("%s: %s", vm->vm_name, cause);
			free(cause);
		}
	}
	vm_set_state(vm, VM_RUNNING, "started", "qemu pid %d answers QMP: "
	    "running", (int)vm->vm_pid);
	vm->vm_actor = -1;	/* the start is done */
	vm_wake(vm, NULL);
}

static void
vm_started_cont(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;

	(void)ret;
	if (vm_qmp_gone(err_class) || vm->vm_state != VM_STARTING)
		return;
	if (err_class != NULL) {
		vm_start_fail(vm, "cont failed: %s", err_desc);
		return;
	}
	qmp_execute(q, "query-status", NULL, FWS_QMP_TIMEOUT,
	    vm_started_status, vm);
}

static void
vm_qmp_ready(struct qmp *q, void *arg)
{
	struct vm	*vm = arg;

	if (vm->vm_state == VM_STARTING) {
		/* the screen is locked before the guest runs */
		vnc_new_password(vm);
		qmp_execute(q, "cont", NULL, FWS_QMP_TIMEOUT, vm_started_cont,
		    vm);
	}
}

static void
vm_qmp_event(struct qmp *q, const char *name, json_t *data, void *arg)
{
	struct vm	*vm = arg;
	struct timespec	 ts;
	const char	*reason;
	int64_t		 now_ms;

	(void)q;
	log_debug("%s: QMP event %s", vm->vm_name, name);
	if (vm->vm_job != NULL) {
		snapshot_qmp_event(vm, name, data);
		/* a snapshot job stops the VM while it works: not a pause */
		if (strcmp(name, "STOP") == 0 || strcmp(name, "RESUME") == 0)
			return;
	}
	if (strcmp(name, "SHUTDOWN") == 0) {
		reason = json_string_value(json_object_get(data, "reason"));
		if (json_is_true(json_object_get(data, "guest")))
			vm->vm_guest_shutdown = 1;
		if (reason != NULL && strcmp(reason, "guest-panic") == 0)
			vm->vm_guest_panicked = 1;
	} else if (strcmp(name, "GUEST_PANICKED") == 0) {
		vm->vm_guest_panicked = 1;
	} else if (strcmp(name, "STOP") == 0) {
		if (vm->vm_state == VM_RUNNING)
			vm_set_state(vm, VM_PAUSED, "paused", "QMP STOP");
	} else if (strcmp(name, "RESUME") == 0) {
		if (vm->vm_state == VM_PAUSED)
			vm_set_state(vm, VM_RUNNING, "resumed", "QMP RESUME");
	} else if (strcmp(name, "RESET") == 0) {
		/* one reboot resets the machine a few times (firmware, kernel) */
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
 * The VM's directory in the state dir (and its owner's area), made if
 * missing, passable by qemu.
 */
int
vm_mkdir(const struct vm *vm, char **cause)
{
	char	*dir;
	int	 rc;

	if (vm->vm_owner != 0 && access_user_area(vm->vm_owner, cause) == -1)
		return -1;
	dir = vm_dir(vm);
	rc = access_mkdir(dir, cause);
	free(dir);
	return rc;
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
		if (!vm->vm_disks[i].d_readonly && access_give_qemu(
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
	for (i = 0; rc == 0 && i < vm->vm_ndisks; i++) {
		d = &vm->vm_disks[i];
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
	char			*vnc = NULL;
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
	if (vnc_alloc(vm, cause) == -1 ||
	    net_vm_taps(vm, tap_fds, cause) == -1)
		goto done;
	ntaps = vm->vm_nnics;
	vnc = vnc_qemu_arg(vm);

	qp.qp_qemu = conf.cf_qemu;
	qp.qp_machine = conf.cf_machine;
	qp.qp_accel = accel_for_start();
	qp.qp_serial_log = serial_log;
	qp.qp_pidfile = pidfile;
	qp.qp_qmp_fd = 3;
	qp.qp_serial_fd = 4;
	qp.qp_agent_fd = 5;
	qp.qp_boot_iso = vm->vm_iso != NULL && !vm->vm_iso_booted;
	for (i = 0; i < ntaps; i++)
		qp.qp_tap_fd[i] = 6 + i;
	qp.qp_vnc = vnc;
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
	if (proc_spawn(&ps, &pid, cause) == -1)
		goto done;
	vm->vm_pid = pid;
	vm->vm_pid_start = proc_start_time(pid);
	if ((vm->vm_watch = proc_watch(pid, vm_exited, vm, cause)) == NULL) {
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

int
vm_qmp_attach(struct vm *vm, char **cause)
{
	return vm_qmp_open(vm, -1, cause);
}

/*
 * Spawn qemu for vm and follow it to "running"; rq (or nobody, for
 * fwsd's own starts) is answered when it runs or fails.  why is the
 * event's reason (NULL: an operator's start, vm_actor says whose).
 */
static void
vm_start_spawn(struct vm *vm, struct request *rq, const char *why)
{
	char	*cause = NULL;
	int	 qmp_conn, agent_conn;

	vm->vm_guest_shutdown = vm->vm_guest_panicked = 0;
	vm->vm_operator_stop = 0;
	vm->vm_stop_step = 0;
	free(vm->vm_start_error);
	vm->vm_start_error = NULL;
	if (vm_spawn(vm, &qmp_conn, &agent_conn, &cause) == -1) {
		if (rq != NULL) {
			vm->vm_actor = -1;	/* nothing changed */
			request_error(rq, PROTO_ERR_FAILED, "%s: cannot "
			    "start: %s", vm->vm_name, cause);
		} else {
			vm->vm_auto_start = 0;
			vm_set_state(vm, VM_CRASHED, "crashed", "cannot "
			    "start: %s", cause);
			vm_restart_consider(vm);
		}
		free(cause);
		return;
	}
	vm_set_state(vm, VM_STARTING, NULL, "%s%sqemu pid %d", why ? why : "",
	    why ? ", " : "", (int)vm->vm_pid);
	vm_wait(vm, rq, NULL, NULL, VM_RUNNING);
	vm_timer_set(vm, FWS_START_TIMEOUT, vm_start_timeout);
	agent_open(vm, agent_conn);
	if (vm_qmp_open(vm, qmp_conn, &cause) == -1) {
		vm_start_fail(vm, "%s", cause);
		free(cause);
	}
}

/* The operator's start: also how a failed VM gets another chance. */
void
vm_start(struct vm *vm, struct request *rq)
{
	char	*end;

	/* its loan's end is under way, or due (loan.c expires it) */
	if (vm->vm_state == VM_EXPIRED || loan_over(&vm->vm_loan, time(NULL))) {
		end = date_text(vm->vm_loan.lo_end);
		request_error(rq, PROTO_ERR_BAD_STATE, "%s is expired: its "
		    "loan ended %s; it starts again once the loan is extended "
		    "(fwsctl loan %s --extend DURATION)", vm->vm_name, end,
		    vm->vm_name);
		free(end);
		return;
	}
	switch (vm->vm_state) {
	case VM_STOPPED:
	case VM_CRASHED:
	case VM_FAILED:
		break;
	case VM_STARTING:
	case VM_STOPPING:
		request_error(rq, PROTO_ERR_BUSY, "%s is %s", vm->vm_name,
		    vm_state_name(vm->vm_state));
		return;
	case VM_PAUSED:
		request_error(rq, PROTO_ERR_BAD_STATE, "%s is paused: resume "
		    "it instead", vm->vm_name);
		return;
	default:
		request_error(rq, PROTO_ERR_BAD_STATE, "%s is already running",
		    vm->vm_name);
		return;
	}
	vm_restart_cancel(vm);
	vm_restart_reset(vm);
	vm->vm_auto_start = 0;
	vm->vm_actor = request_uid(rq);
	vm_start_spawn(vm, rq, NULL);
}

/* fwsd's own start (a restart, autostart): nobody waits for it. */
void
vm_auto_start(struct vm *vm, const char *why)
{
	if (vm_is_active(vm))
		return;
	if (vm->vm_state == VM_EXPIRED || loan_over(&vm->vm_loan, time(NULL))) {
		log_info("%s: not started (%s): its loan ended", vm->vm_name,
		    why);
		return;
	}
	vm->vm_auto_start = 1;
	vm->vm_actor = -1;
	vm_start_spawn(vm, NULL, why);
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

static void vm_stop_step(int, short, void *);

static void
vm_stop_quit(struct vm *vm)
{
	vm->vm_stop_step = 1;
	if (vm->vm_qmp == NULL || qmp_execute(vm->vm_qmp, "quit", NULL,
	    FWS_QMP_TIMEOUT, vm_ignore_reply, vm) == -1) {
		vm->vm_stop_step = 2;
		vm_kill(vm);
		return;
	}
	vm_timer_set(vm, FWS_KILL_GRACE, vm_stop_step);
}

/* The guest ignored the power button (step 0), or qemu ignored quit. */
static void
vm_stop_step(int fd, short what, void *arg)
{
	struct vm	*vm = arg;

	(void)fd;
	(void)what;
	if (vm->vm_stop_step == 0) {
		log_info("%s: the guest did not power off in time, quitting",
		    vm->vm_name);
		vm_stop_quit(vm);
	} else {
		log_warnx("%s: qemu did not quit, killing it", vm->vm_name);
		vm->vm_stop_step = 2;
		vm_kill(vm);
	}
}

/*
 * Stop a running or paused VM: the ACPI power button, timeout seconds
 * for the guest, then quit, then SIGKILL.  A starting VM is killed.
 * Before QMP's handshake ends (a VM just adopted) the button waits in
 * QMP's queue as any command does; with QMP gone, qemu is killed.
 */
void
vm_stop_begin(struct vm *vm, unsigned timeout)
{
	const char	*lead = vm->vm_loan_ending ? "its loan ended: " : "";

	vm->vm_operator_stop = 1;
	if (vm->vm_state == VM_STOPPING)
		return;		/* already on its way */
	if (vm->vm_state == VM_STARTING) {
		vm->vm_stop_step = 2;
		vm_timer_clear(vm);
		vm_kill(vm);
		return;
	}
	vm->vm_stop_step = 0;
	/* a paused guest cannot see the power button */
	if (timeout > 0 && vm->vm_qmp != NULL && vm->vm_state == VM_PAUSED)
		qmp_execute(vm->vm_qmp, "cont", NULL, FWS_QMP_TIMEOUT,
		    vm_ignore_reply, vm);
	if (timeout == 0 || vm->vm_qmp == NULL || qmp_execute(vm->vm_qmp,
	    "system_powerdown", NULL, FWS_QMP_TIMEOUT, vm_ignore_reply,
	    vm) == -1) {
		vm_set_state(vm, VM_STOPPING, NULL, "%sqemu asked to quit",
		    lead);
		vm_stop_quit(vm);
		return;
	}
	vm_set_state(vm, VM_STOPPING, NULL, "%sACPI power button, %u s to "
	    "comply", lead, timeout);
	vm_timer_set(vm, timeout, vm_stop_step);
}

/* A crashed VM waiting for its restart: the operator says no. */
static int
vm_stop_pending_restart(struct vm *vm, struct request *rq)
{
	if (!vm_restart_cancel(vm))
		return 0;
	vm->vm_actor = request_uid(rq);
	vm_set_state(vm, VM_STOPPED, NULL, "restart cancelled");
	vm->vm_actor = -1;
	request_ok(rq, vm_to_json(vm, 0));
	return 1;
}

void
vm_stop(struct vm *vm, unsigned timeout, struct request *rq)
{
	if (vm_stop_pending_restart(vm, rq))
		return;
	switch (vm->vm_state) {
	case VM_STOPPED:
	case VM_CRASHED:
	case VM_FAILED:
		request_error(rq, PROTO_ERR_BAD_STATE, "%s is not running",
		    vm->vm_name);
		return;
	case VM_STARTING:
		request_error(rq, PROTO_ERR_BUSY, "%s is starting: wait, or "
		    "destroy it", vm->vm_name);
		return;
	default:
		break;
	}
	vm_wait(vm, rq, NULL, NULL, VM_STOPPED);
	if (vm->vm_state != VM_STOPPING)
		vm->vm_actor = request_uid(rq);	/* else: the first asker's */
	vm_stop_begin(vm, timeout);
}

void
vm_destroy(struct vm *vm, struct request *rq)
{
	if (vm_stop_pending_restart(vm, rq))
		return;
	if (!vm_is_active(vm)) {
		request_error(rq, PROTO_ERR_BAD_STATE, "%s is not running",
		    vm->vm_name);
		return;
	}
	vm->vm_operator_stop = 1;
	vm->vm_stop_step = 2;
	vm->vm_actor = request_uid(rq);
	vm_wait(vm, rq, NULL, NULL, VM_STOPPED);
	vm_timer_clear(vm);
	if (vm->vm_state != VM_STARTING)
		vm_set_state(vm, VM_STOPPING, NULL, "destroy: killing qemu pid "
		    "%d", (int)vm->vm_pid);
	vm_kill(vm);
}

/* shutdown-all: one request waiting for every VM to stop. */
struct vm_shutdown {
	struct request	*sd_rq;
	json_t		*sd_stopped;	/* names */
	json_t		*sd_vms;	/* {"name","owner"}: names repeat */
	unsigned	 sd_left;
};

static void
vm_shutdown_done(struct vm_shutdown *sd)
{
	request_ok(sd->sd_rq, json_pack("{so so}", "stopped", sd->sd_stopped,
	    "vms", sd->sd_vms));
	free(sd);
}

static void
vm_shutdown_one(struct vm *vm, const char *error, void *arg)
{
	struct vm_shutdown	*sd = arg;

	(void)error;	/* a stop always ends in "stopped" */
	json_array_append_new(sd->sd_stopped, json_string(vm->vm_name));
	json_array_append_new(sd->sd_vms, json_pack("{ss sI}", "name",
	    vm->vm_name, "owner", (json_int_t)vm->vm_owner));
	if (--sd->sd_left == 0)
		vm_shutdown_done(sd);
}

/* Stop every VM at once, each as "stop" would; answer when all are. */
void
vm_shutdown_all(unsigned timeout, struct request *rq)
{
	struct vm_shutdown	*sd;
	struct vm		*vm;

	if ((sd = calloc(1, sizeof(*sd))) == NULL) {
		request_error(rq, PROTO_ERR_INTERNAL, "out of memory");
		return;
	}
	sd->sd_rq = rq;
	sd->sd_stopped = json_array();
	sd->sd_vms = json_array();
	TAILQ_FOREACH(vm, &vms, vm_entry) {
		if (vm_restart_cancel(vm)) {
			vm->vm_actor = request_uid(rq);
			vm_set_state(vm, VM_STOPPED, NULL, "restart cancelled "
			    "by shutdown-all");
			vm->vm_actor = -1;
		}
		if (!vm_is_active(vm))
			continue;
		sd->sd_left++;
		vm_wait(vm, NULL, vm_shutdown_one, sd, VM_STOPPED);
		if (vm->vm_state != VM_STOPPING)
			vm->vm_actor = request_uid(rq);
		vm_stop_begin(vm, timeout);
	}
	if (sd->sd_left == 0)
		vm_shutdown_done(sd);
}

/* The definition is gone from the store: let go of it here too. */
void
vm_delete(struct vm *vm)
{
	vm_restart_cancel(vm);
	vm_timer_clear(vm);
	TAILQ_REMOVE(&vms, vm, vm_entry);
	vm_free(vm);
}

/* A deleted VM's directory: its logs go, kept disks stay. */
static void
vm_remove_logs(const char *dir)
{
	const char	*const logs[] = { "console.log", "qemu.log" };
	char		*p;
	size_t		 i;

	for (i = 0; i < sizeof(logs) / sizeof(*logs); i++) {
		p = xasprintf("%s/%s", dir, logs[i]);
		if (unlink(p) == -1 && errno != ENOENT)
			log_warn("%s: unlink", p);
		free(p);
	}
	if (rmdir(dir) == -1 && errno != ENOENT && errno != ENOTEMPTY)
		log_warn("%s: rmdir", dir);
}

/*
 * Delete a VM that has no qemu: from the store first, then its files,
 * best effort: the disks fwsd made for it (unless keep), its logs and
 * directory; why is the "deleted" event's reason, actor who asked (a
 * uid, -1: fwsd itself).  vm is freed; -1 and *cause when the store
 * refused, and the VM stays.
 */
int
vm_remove(struct vm *vm, int keep, int64_t actor, const char *why,
    char **cause)
{
	struct vm_disk	*d;
	char		*p, *err;
	int		 i;

	if (store_vm_delete(vm, cause) == -1)
		return -1;
	/*
	 * A disk that stays is root's again: a later VM whose qemu gets
	 * this VM's uid must not find it open to it.
	 */
	for (i = 0; i < vm->vm_ndisks; i++) {
		d = &vm->vm_disks[i];
		if (d->d_readonly)
			continue;
		if (d->d_owned && !keep) {
			if (unlink(d->d_path) == -1 && errno != ENOENT)
				log_warn("%s: unlink %s", vm->vm_name,
				    d->d_path);
		} else if (access_take_back(d->d_path, &err) == -1) {
			log_warnx("%s: %s", vm->vm_name, err);
			free(err);
		}
	}
	p = vm_dir(vm);
	vm_remove_logs(p);
	free(p);
	event_record_by(vm, actor, "deleted", "%s", why);
	vm_delete(vm);
	loan_changed();
	/* its name is free on its networks */
	net_dns_sync();
	return 0;
}

/* The stop a loan's end asked for is over: expire the VM, if still due. */
static void
vm_expire_stopped(struct vm *vm, const char *error, void *arg)
{
	char	*end;

	(void)arg;
	vm->vm_loan_ending = 0;
	/* fwsd is exiting: the next one expires it when it starts */
	if (error != NULL)
		return;
	/* extended meanwhile, or started again: it stays as it is */
	if (!vm_is_active(vm) && vm->vm_state != VM_EXPIRED &&
	    loan_over(&vm->vm_loan, time(NULL))) {
		end = date_text(vm->vm_loan.lo_end);
		vm_set_state(vm, VM_EXPIRED, "expired", "loan of %s ended %s: "
		    "stopped and expired", vm->vm_name, end);
		free(end);
	}
	loan_changed();
}

/*
 * The VM's loan ended: a VM with a qemu is stopped as "stop" does (the
 * power button, stop_timeout seconds, quit, kill), then expired; one
 * without is expired at once.  A pending restart is called off.
 */
void
vm_expire(struct vm *vm)
{
	char	*end;

	if (vm->vm_state == VM_EXPIRED || vm->vm_loan_ending)
		return;
	vm_restart_cancel(vm);
	if (vm_is_active(vm)) {
		vm->vm_loan_ending = 1;
		vm_wait(vm, NULL, vm_expire_stopped, NULL, VM_STOPPED);
		vm_stop_begin(vm, conf.cf_stop_timeout);
		return;
	}
	end = date_text(vm->vm_loan.lo_end);
	vm_set_state(vm, VM_EXPIRED, "expired", "loan of %s ended %s: expired",
	    vm->vm_name, end);
	free(end);
	loan_changed();
}

/* An expired VM's loan was extended (or taken away): it may start again. */
void
vm_unexpire(struct vm *vm, const char *why)
{
	if (vm->vm_state == VM_EXPIRED)
		vm_set_state(vm, VM_STOPPED, "loan", "%s", why);
}

/* One QMP command, a request waiting for its answer. */
struct vm_simple {
	struct vm	*vs_vm;
	struct request	*vs_rq;
	enum vm_state	 vs_then;	/* state on success */
	const char	*vs_cmd;	/* the QMP command */
};

static void
vm_simple_done(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm_simple	*vs = arg;
	struct vm		*vm = vs->vs_vm;

	(void)q;
	(void)ret;
	if (err_class != NULL)
		request_error(vs->vs_rq, PROTO_ERR_FAILED, "%s: %s", vm->vm_name,
		    vm_qmp_gone(err_class) ? "qemu went away" : err_desc);
	else {
		/* QMP's STOP or RESUME event usually got here first */
		if ((vm->vm_state == VM_RUNNING || vm->vm_state == VM_PAUSED) &&
		    vm->vm_state != vs->vs_then)
			vm_set_state(vm, vs->vs_then, vs->vs_then == VM_PAUSED ?
			    "paused" : "resumed", "QMP %s", vs->vs_cmd);
		request_ok(vs->vs_rq, vm_to_json(vm, 0));
	}
	/* done, unless a stop came meanwhile: that is the stopper's now */
	if (!vm->vm_operator_stop)
		vm->vm_actor = -1;
	free(vs);
}

/* reboot (system_reset), pause (stop), resume (cont) */
void
vm_qmp_simple(struct vm *vm, const char *verb, struct request *rq)
{
	struct vm_simple	*vs;
	const char		*cmd;
	enum vm_state		 then;

	if (strcmp(verb, "pause") == 0) {
		cmd = "stop";
		then = VM_PAUSED;
		if (vm->vm_state != VM_RUNNING) {
			request_error(rq, PROTO_ERR_BAD_STATE, "%s is %s, not "
			    "running", vm->vm_name, vm_state_name(vm->vm_state));
			return;
		}
	} else if (strcmp(verb, "resume") == 0) {
		cmd = "cont";
		then = VM_RUNNING;
		if (vm->vm_state != VM_PAUSED) {
			request_error(rq, PROTO_ERR_BAD_STATE, "%s is %s, not "
			    "paused", vm->vm_name, vm_state_name(vm->vm_state));
			return;
		}
	} else {
		cmd = "system_reset";
		then = vm->vm_state;
		if (vm->vm_state != VM_RUNNING && vm->vm_state != VM_PAUSED) {
			request_error(rq, PROTO_ERR_BAD_STATE, "%s is %s",
			    vm->vm_name, vm_state_name(vm->vm_state));
			return;
		}
	}
	if ((vs = calloc(1, sizeof(*vs))) == NULL) {
		request_error(rq, PROTO_ERR_INTERNAL, "out of memory");
		return;
	}
	vs->vs_vm = vm;
	vs->vs_rq = rq;
	vs->vs_then = then;
	vs->vs_cmd = cmd;
	/* the STOP or RESUME event may come first: it is this asker's */
	if (strcmp(cmd, "system_reset") == 0)
		vm->vm_reset_by = request_uid(rq);
	else
		vm->vm_actor = request_uid(rq);
	if (vm->vm_qmp == NULL || qmp_execute(vm->vm_qmp, cmd, NULL,
	    FWS_QMP_TIMEOUT, vm_simple_done, vs) == -1) {
		vm->vm_actor = vm->vm_reset_by = -1;
		request_error(rq, PROTO_ERR_FAILED, "%s: no QMP connection to "
		    "qemu", vm->vm_name);
		free(vs);
	}
}

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
	struct vm_waiter *w;

	while ((vm = TAILQ_FIRST(&vms)) != NULL) {
		TAILQ_REMOVE(&vms, vm, vm_entry);
		vm_timer_clear(vm);
		if (vm->vm_qmp != NULL)
			qmp_free(vm->vm_qmp);
		agent_close(vm);
		proc_unwatch(vm->vm_watch);
		vm_logs_uncap(vm);
		while ((w = TAILQ_FIRST(&vm->vm_waiters)) != NULL) {
			TAILQ_REMOVE(&vm->vm_waiters, w, w_entry);
			if (w->w_fn != NULL)
				w->w_fn(vm, "fwsd is exiting", w->w_arg);
			else
				request_free(w->w_rq);
			free(w);
		}
		vm_free(vm);
	}
}
