/*
 * vm-plug.c: devices plugged into a running qemu and taken out of it,
 * for vm-disk-plug.c and vm-nic.c.  plug_run runs a list of QMP
 * commands one after another (the first error ends it, unless the step
 * says it may fail), handing the descriptors a step names to qemu with
 * it; plug_unplug asks qemu to let a device go (device_del) and is over
 * only when qemu says the guest did (DEVICE_DELETED), or when its time
 * is up.  It knows QMP and device ids, not what the devices are: the
 * VM's job holds the operation, so one plug runs per VM at a time.
 * plug_record writes what changed: the VM's devices and an event, one
 * write.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fws.h"
#include "log.h"
#include "qmp.h"

/* A list of QMP commands under way. */
struct plug_run {
	struct vm	*pr_vm;
	json_t		*pr_steps;	/* [{"execute","arguments","fd","may_fail"}] */
	json_t		*pr_results;	/* each step's return, or null */
	int		 pr_fds[FWS_CHAIN_MAX];
	int		 pr_nfds;
	size_t		 pr_next;
	plug_done_fn	 pr_fn;
	void		*pr_arg;
};

/* A device_del waiting for its DEVICE_DELETED. */
struct plug {
	struct vm	*pl_vm;
	char		 pl_id[32];
	int		 pl_answered;	/* device_del's reply came */
	int		 pl_deleted;	/* DEVICE_DELETED came */
	struct event	*pl_timer;
	plug_done_fn	 pl_fn;
	void		*pl_arg;
};

static void	plug_step(struct plug_run *);

static void
plug_run_end(struct plug_run *pr, const char *err)
{
	int	 i;

	pr->pr_fn(pr->pr_vm, pr->pr_results, err, pr->pr_arg);
	for (i = 0; i < pr->pr_nfds; i++)
		if (pr->pr_fds[i] != -1)
			close(pr->pr_fds[i]);
	json_decref(pr->pr_steps);
	json_decref(pr->pr_results);
	free(pr);
}

static void
plug_step_done(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct plug_run	*pr = arg;
	json_t		*step = json_array_get(pr->pr_steps, pr->pr_next);
	char		*why;

	(void)q;
	if (err_class != NULL && strcmp(err_class, QMP_ERR_DISCONNECTED) == 0) {
		plug_run_end(pr, PLUG_GONE);
		return;
	}
	if (err_class != NULL && !json_is_true(json_object_get(step,
	    "may_fail"))) {
		why = xasprintf("%s: %s", json_string_value(json_object_get(
		    step, "execute")), err_desc);
		plug_run_end(pr, why);
		free(why);
		return;
	}
	json_array_append_new(pr->pr_results, ret != NULL ? json_incref(ret) :
	    json_null());
	pr->pr_next++;
	plug_step(pr);
}

static void
plug_step(struct plug_run *pr)
{
	struct vm	*vm = pr->pr_vm;
	json_t		*step, *args, *fd;
	const char	*cmd;
	int		 rc;

	if (pr->pr_next == json_array_size(pr->pr_steps)) {
		plug_run_end(pr, NULL);
		return;
	}
	step = json_array_get(pr->pr_steps, pr->pr_next);
	cmd = json_string_value(json_object_get(step, "execute"));
	args = json_object_get(step, "arguments");
	if (args != NULL)
		json_incref(args);
	if (vm->vm_qmp == NULL) {
		json_decref(args);
		plug_run_end(pr, PLUG_GONE);
		return;
	}
	if ((fd = json_object_get(step, "fd")) != NULL)
		rc = qmp_execute_fd(vm->vm_qmp, cmd, args,
		    pr->pr_fds[json_integer_value(fd)], FWS_QMP_TIMEOUT,
		    plug_step_done, pr);
	else
		rc = qmp_execute(vm->vm_qmp, cmd, args, FWS_QMP_TIMEOUT,
		    plug_step_done, pr);
	if (rc == -1)
		plug_run_end(pr, PLUG_GONE);
}

/*
 * Run steps (stolen), a JSON array of {"execute", "arguments", "fd": I
 * (fds[I] goes along), "may_fail": true}, one after another on vm's
 * QMP.  fds (nfds of them) are plug_run's, closed at the end.  fn
 * hears each step's return (in order; null for a step that failed but
 * may), or the first error, or PLUG_GONE; never from inside plug_run.
 */
void
plug_run(struct vm *vm, json_t *steps, const int *fds, int nfds,
    plug_done_fn fn, void *arg)
{
	struct plug_run	*pr;
	int		 i;

	if ((pr = calloc(1, sizeof(*pr))) == NULL)
		abort();
	pr->pr_vm = vm;
	pr->pr_steps = steps;
	pr->pr_results = json_array();
	for (i = 0; i < nfds && i < FWS_CHAIN_MAX; i++)
		pr->pr_fds[pr->pr_nfds++] = fds[i];
	pr->pr_fn = fn;
	pr->pr_arg = arg;
	plug_step(pr);
}

/* A step of a list, for plug_run. */
json_t *
plug_cmd(const char *cmd, json_t *args)
{
	json_t	*o = json_pack("{ss}", "execute", cmd);

	if (args != NULL)
		json_object_set_new(o, "arguments", args);
	return o;
}

static void
plug_end(struct plug *pl, const char *err)
{
	struct vm	*vm = pl->pl_vm;

	vm->vm_plug = NULL;
	if (pl->pl_timer != NULL)
		event_free(pl->pl_timer);
	pl->pl_fn(vm, NULL, err, pl->pl_arg);
	free(pl);
}

static void
plug_timeout(int fd, short what, void *arg)
{
	struct plug	*pl = arg;
	char		*why;

	(void)fd;
	(void)what;
	why = xasprintf("the guest did not let %s go within %d s (is it "
	    "up, and does it take PCI hotplug?)", pl->pl_id,
	    FWS_UNPLUG_TIMEOUT);
	plug_end(pl, why);
	free(why);
}

static void
plug_del_done(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct plug	*pl = arg;
	struct timeval	 tv = { FWS_UNPLUG_TIMEOUT, 0 };
	char		*why;

	(void)q;
	(void)ret;
	if (err_class != NULL && strcmp(err_class, QMP_ERR_DISCONNECTED) == 0) {
		plug_end(pl, PLUG_GONE);
		return;
	}
	/* gone already: a device_del that timed out, done since */
	if (err_class != NULL && strcmp(err_class, "DeviceNotFound") == 0)
		pl->pl_deleted = 1;
	else if (err_class != NULL) {
		why = xasprintf("device_del: %s", err_desc);
		plug_end(pl, why);
		free(why);
		return;
	}
	pl->pl_answered = 1;
	if (pl->pl_deleted) {
		plug_end(pl, NULL);
		return;
	}
	pl->pl_timer = evtimer_new(base, plug_timeout, pl);
	evtimer_add(pl->pl_timer, &tv);
}

/*
 * Take device id out of vm's running qemu: fn(vm, NULL, NULL, arg) once
 * the guest let it go (a device already gone counts), else why.
 */
void
plug_unplug(struct vm *vm, const char *id, plug_done_fn fn, void *arg)
{
	struct plug	*pl;

	if ((pl = calloc(1, sizeof(*pl))) == NULL)
		abort();
	pl->pl_vm = vm;
	snprintf(pl->pl_id, sizeof(pl->pl_id), "%s", id);
	pl->pl_fn = fn;
	pl->pl_arg = arg;
	/* the event may come before the reply */
	vm->vm_plug = pl;
	if (vm->vm_qmp == NULL || qmp_execute(vm->vm_qmp, "device_del",
	    json_pack("{ss}", "id", id), FWS_QMP_TIMEOUT, plug_del_done,
	    pl) == -1)
		plug_end(pl, PLUG_GONE);
}

/* QMP DEVICE_DELETED: the device waited for is gone. */
void
plug_deleted(struct vm *vm, json_t *data)
{
	struct plug	*pl = vm->vm_plug;
	const char	*dev = json_string_value(json_object_get(data,
			    "device"));

	if (pl == NULL || dev == NULL || strcmp(dev, pl->pl_id) != 0)
		return;
	pl->pl_deleted = 1;
	if (pl->pl_answered)
		plug_end(pl, NULL);
}

/* qemu is gone: a device_del waiting for its event hears so. */
void
plug_vm_gone(struct vm *vm)
{
	if (vm->vm_plug != NULL)
		plug_end(vm->vm_plug, PLUG_GONE);
}

/*
 * A device added or taken away: the VM's disks and NICs and the event
 * (ev, its reason fmt) in one write; -1 and why when it is not kept.
 */
int
plug_record(struct vm *vm, int64_t actor, const char *ev, char **cause,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*reason;
	int	 tx;

	if ((tx = store_begin(cause)) == -1 ||
	    store_vm_devices(vm, cause) == -1) {
		if (tx == 0)
			store_rollback();
		return -1;
	}
	va_start(ap, fmt);
	if (vasprintf(&reason, fmt, ap) == -1)
		reason = NULL;
	va_end(ap);
	event_record_by(vm, actor, ev, "%s", reason != NULL ? reason : "");
	free(reason);
	return store_commit(cause);
}
