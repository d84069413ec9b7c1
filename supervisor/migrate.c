/*
 * migrate.c: a running (or paused) guest sent to another host, the
 * source's side of a migration: the VM's job (JOB_MIGRATE_OUT).  The
 * other fwsd is reached as its client (peer.c) with this host's
 * certificate, and asked in turn (migrate-in.c answers):
 *
 *   migrate-incoming  with the VM's definition (vm-dump.c): it defines
 *                     the VM, checks its disks (shared) or makes them
 *                     anew (copy_storage), spawns qemu -incoming and says
 *                     where to send the guest;
 *   migrate-finish    once the stream is complete here: its guest runs;
 *   migrate-abort     when anything fails before that.
 *
 * Here, over QMP: with copy_storage each writable disk is mirrored
 * (blockdev-mirror, sync full, from its root node: the throttle node,
 * whose limits the copy's reads keep) into the destination's NBD
 * export until every mirror is READY; then the migration's capabilities and
 * parameters (bandwidth, downtime, QEMU's TLS), migrate, its MIGRATION
 * events and query-migrate's progress and figures.  Completed (the guest
 * is paused here), the mirrors are cancelled (a READY mirror ends
 * consistent), migrate-finish is committed as sent, then sent; once the
 * destination says the guest runs there, qemu quits here and the VM is
 * forgotten (its shared disks stay as they are, disks copied away go).
 *
 * The guest never runs twice: anything failing before migrate-finish
 * was sent cancels the migration, lets the guest run here again (as it
 * was, running or paused) and has the destination forget its VM; after
 * it, without an answer, the guest stays paused here and the VM
 * "migrating" with no job: the outcome is unknown until an admin checks
 * the destination, then destroys or resumes it here.  A restarted fwsd
 * does the same from the step the store recorded (migrate_adopt).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "fws.h"
#include "log.h"
#include "qmp.h"

#define MIG_TLS_ID	"fws-mig-tls-out"	/* its TLS credentials */
#define MIG_NBD_NODE	"fws-mig-nbd"	/* + slot: the destination's disk */
#define MIG_MIRROR	"fws-mig-mirror"	/* + slot: its mirror job */
#define MIG_BANDWIDTH	1099511627776LL	/* bytes/s: no cap asked */
#define MIG_FIGURES_TRIES 12		/* query-migrate's once completed, */
#define MIG_FIGURES_FIRST_MS 1		/* the first this long after, */
#define MIG_FIGURES_WAIT_MS 256		/* then twice as long, up to this */

enum mig_out_step {
	MO_CONNECT,		/* to the destination's fwsd */
	MO_INCOMING,		/* migrate-incoming asked */
	MO_TLS,			/* object-add tls-creds-x509 */
	MO_NBD,			/* copy: blockdev-add, one per disk */
	MO_MIRROR,		/* copy: blockdev-mirror, one per disk */
	MO_MIRRORING,		/* copy: until every mirror is READY */
	MO_CAPS,		/* migrate-set-capabilities */
	MO_PARAMS,		/* migrate-set-parameters */
	MO_MIGRATE,		/* migrate */
	MO_SENDING,		/* until MIGRATION completed */
	MO_FIGURES,		/* query-migrate: the figures */
	MO_CANCEL_MIRRORS,	/* copy: block-job-cancel, and their end */
	MO_FINISH,		/* migrate-finish sent */
	MO_QUIT,		/* the guest runs there: qemu quits here */
	MO_FAILING,		/* rolling back */
};

static const char *const mig_out_step_names[] = {
	[MO_CONNECT] = "connecting to the destination",
	[MO_INCOMING] = "the destination prepares",
	[MO_TLS] = "QEMU's TLS", [MO_NBD] = "connecting the disks' copies",
	[MO_MIRROR] = "copying the disks",
	[MO_MIRRORING] = "copying the disks",
	[MO_CAPS] = "migrate-set-capabilities",
	[MO_PARAMS] = "migrate-set-parameters", [MO_MIGRATE] = "migrate",
	[MO_SENDING] = "sending the guest", [MO_FIGURES] = "query-migrate",
	[MO_CANCEL_MIRRORS] = "ending the disks' copies",
	[MO_FINISH] = "the guest starts on the destination",
	[MO_QUIT] = "qemu quits here", [MO_FAILING] = "calling it off",
};

struct mig_out {
	struct vm	*mo_vm;
	struct peer	*mo_peer;
	struct migrate_spec mo_spec;
	char		 mo_host[VALIDATE_HOST_MAX + 1];
	char		 mo_port[VALIDATE_PORT_LEN + 1];
	char		*mo_addr;	/* where qemu sends the guest */
	unsigned	 mo_mig_port;
	char		*mo_uuid;
	int		 mo_tls;
	int		 mo_paused;	/* the guest was paused: it stays so */
	enum mig_out_step mo_step;
	int		 mo_disk;	/* the disk of an NBD or mirror step */
	int		 mo_migrating;	/* migrate was sent */
	int		 mo_mirrors;	/* mirror jobs started */
	int		 mo_bare;	/* a qemu without throttle nodes: the
					   image's node is the disk's root */
	int		 mo_ready;	/* READY, or ended when cancelled */
	int		 mo_finish_sent;
	int		 mo_told;	/* the destination was asked to come */
	json_t		*mo_figures;
	uint64_t	 mo_disk_bytes;
	struct event	*mo_deadline;	/* --timeout */
	struct event	*mo_tick;	/* progress and keepalive */
	struct event	*mo_again;	/* query-migrate once more */
	int		 mo_queries;	/* query-migrate's, once completed */
	unsigned	 mo_ticks;
	fws_progress_fn	 mo_progress;
	fws_done_fn	 mo_done;
	void		*mo_arg;
	char		*mo_why;
};

static void	mig_out_next(struct mig_out *);
static void	mig_out_fail(struct mig_out *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
mig_out_free(struct mig_out *mo)
{
	if (mo->mo_vm != NULL && mo->mo_vm->vm_mig_out == mo)
		mo->mo_vm->vm_mig_out = NULL;
	peer_close(mo->mo_peer);
	if (mo->mo_deadline != NULL)
		event_free(mo->mo_deadline);
	if (mo->mo_tick != NULL)
		event_free(mo->mo_tick);
	if (mo->mo_again != NULL)
		event_free(mo->mo_again);
	json_decref(mo->mo_figures);
	free(mo->mo_addr);
	free(mo->mo_uuid);
	free(mo->mo_why);
	free(mo);
}

/* The one answer to the migrate request. */
static void
mig_out_answer(struct mig_out *mo, enum fws_err err, json_t *result,
    const char *why)
{
	fws_done_fn	 fn = mo->mo_done;

	if (fn == NULL) {
		json_decref(result);
		return;
	}
	mo->mo_done = NULL;
	fn(mo->mo_arg, err, why, result);
}

/* The step the store keeps, so that a restarted fwsd knows it. */
static void
mig_out_record(struct mig_out *mo, const char *step)
{
	struct vm	*vm = mo->mo_vm;
	char		*cause;

	json_decref(vm->vm_migration);
	vm->vm_migration = json_pack("{ss ss sb sb}", "to", mo->mo_host,
	    "step", step, "paused", mo->mo_paused, "copy_storage",
	    mo->mo_spec.ms_copy_storage);
	if (store_vm_update_migration(vm, &cause) == -1) {
		log_warnx("%s: %s", vm->vm_name, cause);
		free(cause);
	}
}

static void
mig_out_ignore(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	(void)q;
	(void)ret;
	(void)arg;
	if (err_class != NULL && strcmp(err_class, QMP_ERR_DISCONNECTED) != 0)
		log_debug("%s: %s", __func__, err_desc);
}

static void
mig_out_peer_ignore(void *arg, json_t *res, const char *code,
    const char *why)
{
	(void)arg;
	(void)res;
	(void)code;
	if (why != NULL)
		log_debug("%s: %s", __func__, why);
}

/* The rollback's end: the guest runs here again (or stays paused). */
static void
mig_out_back(struct mig_out *mo)
{
	struct vm	*vm = mo->mo_vm;
	char		*why;

	why = xasprintf("migration to %s failed: %s", mo->mo_host,
	    mo->mo_why);
	vm->vm_job.j_op = NULL;
	if (vm->vm_state == VM_MIGRATING) {
		mig_out_record(mo, "failed");
		vm_event(vm, mo->mo_paused ? EV_MIGRATE_BACK_PAUSED :
		    EV_MIGRATE_BACK, "%s; the guest %s here", why,
		    mo->mo_paused ? "stays paused" : "runs on");
	} else
		vm_job_end(vm, NULL);
	mig_out_answer(mo, FWS_ERR_FAILED, NULL, why);
	free(why);
	mig_out_free(mo);
}

static void
mig_out_cont_done(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;
	struct mig_out	*mo = vm->vm_mig_out;

	(void)q;
	(void)ret;
	if (mo == NULL || mo->mo_step != MO_FAILING)
		return;
	if (err_class != NULL)
		log_warnx("%s: cont after a failed migration: %s", vm->vm_name,
		    err_desc);
	mig_out_back(mo);
}

/*
 * A step failed, before migrate-finish was sent: the migration and the
 * disks' copies are cancelled, the destination forgets its VM, and the
 * guest runs here again unless it was paused.
 */
static void
mig_out_fail(struct mig_out *mo, const char *fmt, ...)
{
	struct vm	*vm = mo->mo_vm;
	struct qmp	*q = vm->vm_qmp;
	va_list		 ap;
	char		*node;
	int		 i;

	if (mo->mo_step == MO_FAILING)
		return;
	va_start(ap, fmt);
	if (vasprintf(&mo->mo_why, fmt, ap) == -1)
		mo->mo_why = NULL;
	va_end(ap);
	if (mo->mo_why == NULL)
		mo->mo_why = xasprintf("failed");
	log_warnx("%s: migration to %s failed: %s", vm->vm_name, mo->mo_host,
	    mo->mo_why);
	mo->mo_step = MO_FAILING;
	if (mo->mo_tick != NULL)
		evtimer_del(mo->mo_tick);
	if (mo->mo_told && mo->mo_uuid != NULL &&
	    peer_request(mo->mo_peer, "migrate-abort", json_pack("{ss}",
	    "uuid", mo->mo_uuid), FWS_MIG_PEER_TIMEOUT, mig_out_peer_ignore,
	    NULL) == -1)
		log_info("%s: %s could not be told: its fwsd forgets the VM "
		    "when it sees this connection gone", vm->vm_name,
		    mo->mo_host);
	if (q == NULL) {
		mig_out_back(mo);
		return;
	}
	if (mo->mo_migrating)
		qmp_execute(q, "migrate_cancel", NULL, FWS_QMP_TIMEOUT,
		    mig_out_ignore, NULL);
	for (i = 0; i < vm->vm_ndisks && mo->mo_spec.ms_copy_storage; i++) {
		if (vm->vm_disks[i].d_readonly)
			continue;
		node = xasprintf(MIG_MIRROR "%d", vm->vm_disks[i].d_slot);
		qmp_execute(q, "block-job-cancel", json_pack("{ss sb}",
		    "device", node, "force", 1), FWS_QMP_TIMEOUT,
		    mig_out_ignore, NULL);
		free(node);
		node = xasprintf(MIG_NBD_NODE "%d", vm->vm_disks[i].d_slot);
		qmp_execute(q, "blockdev-del", json_pack("{ss}", "node-name",
		    node), FWS_QMP_TIMEOUT, mig_out_ignore, NULL);
		free(node);
	}
	if (mo->mo_paused || vm->vm_state != VM_MIGRATING) {
		mig_out_back(mo);
		return;
	}
	if (qmp_execute(q, "cont", NULL, FWS_QMP_TIMEOUT, mig_out_cont_done,
	    vm) == -1)
		mig_out_back(mo);
}

/*
 * migrate-finish went and no answer came: the guest may run there.  It
 * stays paused here, the VM migrating without a job.
 */
static void
mig_out_unknown(struct mig_out *mo, const char *why)
{
	struct vm	*vm = mo->mo_vm;
	char		*msg;

	msg = xasprintf("%s: the outcome of the migration to %s is unknown "
	    "(%s): the guest may run there; it stays paused here: check %s, "
	    "then destroy %s here, or resume it if it does not run there",
	    vm->vm_name, mo->mo_host, why, mo->mo_host, vm->vm_name);
	log_warnx("%s", msg);
	mo->mo_step = MO_FAILING;
	mig_out_record(mo, "unknown");
	vm->vm_job.j_op = NULL;
	vm_event(vm, EV_MIGRATE_UNKNOWN, "%s", msg);
	mig_out_answer(mo, FWS_ERR_FAILED, NULL, msg);
	free(msg);
	mig_out_free(mo);
}

static void
mig_out_progress(struct mig_out *mo, int percent, const char *step)
{
	vm_job_progress(mo->mo_vm, percent, mig_out_step_names[mo->mo_step]);
	if (mo->mo_progress != NULL && mo->mo_done != NULL)
		mo->mo_progress(mo->mo_arg, percent < 0 ? 0 : percent, step);
}

/* query-migrate during the stream: how far it is. */
static void
mig_out_query(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;
	struct mig_out	*mo = vm->vm_mig_out;
	json_t		*ram;
	json_int_t	 total, rem, sent;
	char		 step[160];
	int		 pct;

	(void)q;
	(void)err_desc;
	if (mo == NULL || mo->mo_step != MO_SENDING || err_class != NULL)
		return;
	ram = json_object_get(ret, "ram");
	total = json_integer_value(json_object_get(ram, "total"));
	rem = json_integer_value(json_object_get(ram, "remaining"));
	sent = json_integer_value(json_object_get(ram, "transferred"));
	if (total <= 0)
		return;
	pct = (int)((total - rem) * 100 / total);
	snprintf(step, sizeof(step), "sending the guest: %lld MiB sent, %lld "
	    "MiB of %lld left, pass %lld", (long long)(sent >> 20),
	    (long long)(rem >> 20), (long long)(total >> 20),
	    (long long)json_integer_value(json_object_get(ram,
	    "dirty-sync-count")));
	mig_out_progress(mo, pct, step);
}

/* query-block-jobs during the disks' copy. */
static void
mig_out_query_jobs(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;
	struct mig_out	*mo = vm->vm_mig_out;
	json_t		*j;
	json_int_t	 off = 0, len = 0;
	char		 step[120];
	size_t		 i;

	(void)q;
	(void)err_desc;
	if (mo == NULL || mo->mo_step != MO_MIRRORING || err_class != NULL)
		return;
	json_array_foreach(ret, i, j) {
		off += json_integer_value(json_object_get(j, "offset"));
		len += json_integer_value(json_object_get(j, "len"));
	}
	if (len <= 0)
		return;
	snprintf(step, sizeof(step), "copying the disks: %lld of %lld MiB",
	    (long long)(off >> 20), (long long)(len >> 20));
	mig_out_progress(mo, (int)(off * 100 / len), step);
}

/* Every second: the progress, and now and then a keepalive. */
static void
mig_out_tick(int fd, short what, void *arg)
{
	struct mig_out	*mo = arg;
	struct vm	*vm = mo->mo_vm;

	(void)fd;
	(void)what;
	mo->mo_ticks++;
	if (mo->mo_ticks % FWS_MIG_KEEPALIVE == 0 && mo->mo_peer != NULL)
		(void)peer_request(mo->mo_peer, "version", NULL,
		    FWS_MIG_PEER_TIMEOUT, mig_out_peer_ignore, NULL);
	if (vm->vm_qmp == NULL)
		return;
	if (mo->mo_step == MO_SENDING)
		qmp_execute(vm->vm_qmp, "query-migrate", NULL, FWS_QMP_TIMEOUT,
		    mig_out_query, vm);
	else if (mo->mo_step == MO_MIRRORING)
		qmp_execute(vm->vm_qmp, "query-block-jobs", NULL,
		    FWS_QMP_TIMEOUT, mig_out_query_jobs, vm);
}

static void
mig_out_deadline(int fd, short what, void *arg)
{
	struct mig_out	*mo = arg;

	(void)fd;
	(void)what;
	/* once migrate-finish is sent, only the destination's answer counts */
	if (mo->mo_finish_sent || mo->mo_step >= MO_FINISH)
		return;
	mig_out_fail(mo, "%s: not done within --timeout %u s",
	    mig_out_step_names[mo->mo_step], mo->mo_spec.ms_timeout);
}

/* The guest runs on the destination: qemu quits here. */
static void
mig_out_finished(void *arg, json_t *res, const char *code, const char *why)
{
	struct mig_out	*mo = arg;
	struct vm	*vm = mo->mo_vm;

	(void)res;
	if (mo->mo_step != MO_FINISH)
		return;
	if (why != NULL && code == NULL) {
		/* no answer: it may run there */
		mig_out_unknown(mo, why);
		return;
	}
	if (why != NULL) {
		/* it said no: its qemu is gone, the guest is ours again */
		mo->mo_finish_sent = 0;
		mo->mo_told = 0;
		mig_out_fail(mo, "the destination could not run the guest: %s",
		    why);
		return;
	}
	mo->mo_step = MO_QUIT;
	/* committed: qemu's end is the handover's (vm-run.c) */
	mig_out_record(mo, "handed-over");
	mig_out_progress(mo, 100, "the guest runs on the destination");
	peer_close(mo->mo_peer);
	mo->mo_peer = NULL;
	if (vm->vm_qmp == NULL || qmp_execute(vm->vm_qmp, "quit", NULL,
	    FWS_QMP_TIMEOUT, mig_out_ignore, NULL) == -1)
		vm_run->ro_kill(vm);
}

/* The stream and the disks are complete: the destination runs it. */
static void
mig_out_finish(struct mig_out *mo)
{
	json_t	*args;

	mo->mo_step = MO_FINISH;
	mig_out_progress(mo, 100, "the guest starts on the destination");
	/* committed before it goes: a restarted fwsd never resumes it */
	mig_out_record(mo, "finish-sent");
	mo->mo_finish_sent = 1;
	args = json_pack("{ss sO}", "uuid", mo->mo_uuid, "figures",
	    mo->mo_figures);
	if (peer_request(mo->mo_peer, "migrate-finish", args,
	    FWS_MIG_FINISH_WAIT + FWS_MIG_PEER_TIMEOUT, mig_out_finished,
	    mo) == -1) {
		/* never sent: the destination cannot have run it */
		mo->mo_finish_sent = 0;
		mig_out_fail(mo, "the connection to %s was lost before "
		    "migrate-finish", mo->mo_host);
	}
}

/*
 * The figures, asked for once more: QEMU says "completed" before its
 * migration thread has worked out the times (they read 0 until then),
 * which it does as soon as it takes QEMU's big lock again.  Asking at
 * once took that lock from it (the downtime QEMU reports ran on while
 * query-migrate was answered) and, too early most of the time, waited
 * for the next try, with the guest stopped on both hosts.  So the
 * first query comes MIG_FIGURES_FIRST_MS after the event, and each
 * next one twice as long after the last.
 */
static void
mig_out_figures_later(struct mig_out *mo)
{
	int		 ms = MIG_FIGURES_FIRST_MS << mo->mo_queries;
	struct timeval	 tv;

	if (ms > MIG_FIGURES_WAIT_MS)
		ms = MIG_FIGURES_WAIT_MS;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	mo->mo_queries++;
	if (mo->mo_again == NULL || evtimer_add(mo->mo_again, &tv) == -1)
		mig_out_fail(mo, "query-migrate: cannot wait for the figures");
}

/* query-migrate once completed: the figures info shows. */
static void
mig_out_figures(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;
	struct mig_out	*mo = vm->vm_mig_out;
	json_t		*ram;
	int		 i;
	char		*node;

	(void)q;
	if (mo == NULL || mo->mo_step != MO_FIGURES)
		return;
	if (err_class != NULL) {
		mig_out_fail(mo, "QMP query-migrate: %s", err_desc);
		return;
	}
	/* not worked out yet: asked again a little later, a few times */
	if (json_integer_value(json_object_get(ret, "total-time")) <= 0 &&
	    mo->mo_queries < MIG_FIGURES_TRIES) {
		mig_out_figures_later(mo);
		return;
	}
	ram = json_object_get(ret, "ram");
	mo->mo_figures = json_pack("{sO* sO* sO* sO* sO* sI}",
	    "total_ms", json_object_get(ret, "total-time"),
	    "downtime_ms", json_object_get(ret, "downtime"),
	    "setup_ms", json_object_get(ret, "setup-time"),
	    "ram_bytes", json_object_get(ram, "transferred"),
	    "downtime_bytes", json_object_get(ram, "downtime-bytes"),
	    "disk_bytes", (json_int_t)mo->mo_disk_bytes);
	if (mo->mo_mirrors == 0) {
		mig_out_finish(mo);
		return;
	}
	/* a READY mirror cancelled ends with its copy consistent */
	mo->mo_step = MO_CANCEL_MIRRORS;
	mo->mo_ready = 0;
	for (i = 0; i < vm->vm_ndisks; i++) {
		if (vm->vm_disks[i].d_readonly)
			continue;
		node = xasprintf(MIG_MIRROR "%d", vm->vm_disks[i].d_slot);
		if (qmp_execute(vm->vm_qmp, "block-job-cancel", json_pack(
		    "{ss}", "device", node), FWS_QMP_TIMEOUT, mig_out_ignore,
		    NULL) == -1) {
			free(node);
			mig_out_fail(mo, "no QMP connection to qemu");
			return;
		}
		free(node);
	}
}

static void
mig_out_query_again(int fd, short what, void *arg)
{
	struct mig_out	*mo = arg;
	struct vm	*vm = mo->mo_vm;

	(void)fd;
	(void)what;
	if (mo->mo_step != MO_FIGURES)
		return;
	if (vm->vm_qmp == NULL || qmp_execute(vm->vm_qmp, "query-migrate",
	    NULL, FWS_QMP_TIMEOUT, mig_out_figures, vm) == -1)
		mig_out_fail(mo, "no QMP connection to qemu");
}

/* The migration failed: QEMU's words for why. */
static void
mig_out_error(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;
	struct mig_out	*mo = vm->vm_mig_out;
	const char	*desc;

	(void)q;
	if (mo == NULL || mo->mo_step != MO_SENDING)
		return;
	desc = err_class != NULL ? err_desc :
	    json_string_value(json_object_get(ret, "error-desc"));
	mo->mo_migrating = 0;
	mig_out_fail(mo, "sending the guest: %s", desc != NULL ? desc :
	    "QEMU gave no reason");
}

/*
 * vm-run.c: QMP's MIGRATION and BLOCK_JOB_* events on a migrating VM's
 * qemu.
 */
void
migrate_out_event(struct vm *vm, const char *name, json_t *data)
{
	struct mig_out	*mo = vm->vm_mig_out;
	const char	*status, *dev;

	if (mo == NULL || mo->mo_step == MO_FAILING)
		return;
	if (strcmp(name, "MIGRATION") == 0) {
		status = json_string_value(json_object_get(data, "status"));
		if (status == NULL || mo->mo_step != MO_SENDING)
			return;
		if (strcmp(status, "completed") == 0) {
			mo->mo_step = MO_FIGURES;
			mo->mo_queries = 0;
			mig_out_figures_later(mo);
		} else if (strcmp(status, "failed") == 0 ||
		    strcmp(status, "cancelled") == 0) {
			if (qmp_execute(vm->vm_qmp, "query-migrate", NULL,
			    FWS_QMP_TIMEOUT, mig_out_error, vm) == -1)
				mig_out_fail(mo, "the migration %s", status);
		}
		return;
	}
	dev = json_string_value(json_object_get(data, "device"));
	if (dev == NULL || strncmp(dev, MIG_MIRROR, strlen(MIG_MIRROR)) != 0)
		return;
	if (strcmp(name, "BLOCK_JOB_ERROR") == 0) {
		mig_out_fail(mo, "copying the disks: %s: an I/O error (%s)", dev,
		    json_string_value(json_object_get(data, "operation")));
		return;
	}
	if (strcmp(name, "BLOCK_JOB_READY") == 0 &&
	    mo->mo_step == MO_MIRRORING) {
		mo->mo_disk_bytes += json_integer_value(json_object_get(data,
		    "len"));
		if (++mo->mo_ready == mo->mo_mirrors) {
			mo->mo_step = MO_CAPS;
			mig_out_next(mo);
		}
		return;
	}
	if (strcmp(name, "BLOCK_JOB_COMPLETED") == 0 ||
	    strcmp(name, "BLOCK_JOB_CANCELLED") == 0) {
		if (mo->mo_step == MO_CANCEL_MIRRORS) {
			if (json_object_get(data, "error") != NULL) {
				mig_out_fail(mo, "copying the disks: %s: %s",
				    dev, json_string_value(json_object_get(
				    data, "error")));
				return;
			}
			if (++mo->mo_ready == mo->mo_mirrors)
				mig_out_finish(mo);
		} else if (mo->mo_step < MO_CANCEL_MIRRORS)
			mig_out_fail(mo, "copying the disks: %s ended early%s%s",
			    dev, json_object_get(data, "error") ? ": " : "",
			    json_object_get(data, "error") ?
			    json_string_value(json_object_get(data, "error")) :
			    "");
	}
}

/* A QMP step's answer: the next step, or the failure. */
static void
mig_out_reply(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;
	struct mig_out	*mo = vm->vm_mig_out;

	(void)q;
	(void)ret;
	if (mo == NULL || mo->mo_step == MO_FAILING)
		return;
	if (err_class != NULL && mo->mo_step == MO_MIRROR && !mo->mo_bare &&
	    strcmp(err_class, QMP_ERR_DISCONNECTED) != 0 &&
	    strstr(err_desc, "Cannot find") != NULL) {
		mo->mo_bare = 1;
		mo->mo_mirrors--;
		mig_out_next(mo);
		return;
	}
	if (err_class != NULL) {
		mig_out_fail(mo, "QMP %s: %s", mo->mo_step == MO_NBD ?
		    "blockdev-add" : mo->mo_step == MO_MIRROR ?
		    "blockdev-mirror" : mo->mo_step == MO_TLS ? "object-add" :
		    mig_out_step_names[mo->mo_step], err_desc);
		return;
	}
	switch (mo->mo_step) {
	case MO_MIGRATE:
		mo->mo_step = MO_SENDING;
		return;		/* MIGRATION's events say the rest */
	case MO_NBD:
	case MO_MIRROR:
		mo->mo_disk++;
		break;
	case MO_TLS:
		mo->mo_step = mo->mo_spec.ms_copy_storage ? MO_NBD : MO_CAPS;
		break;
	default:
		mo->mo_step++;
		break;
	}
	mig_out_next(mo);
}

/* The next disk the NBD and mirror steps take; -1: none left. */
static int
mig_out_disk(struct mig_out *mo)
{
	struct vm	*vm = mo->mo_vm;

	while (mo->mo_disk < vm->vm_ndisks &&
	    vm->vm_disks[mo->mo_disk].d_readonly)
		mo->mo_disk++;
	return mo->mo_disk < vm->vm_ndisks ? mo->mo_disk : -1;
}

/* The QMP steps, in order; the events and the peer's answers go on. */
static void
mig_out_next(struct mig_out *mo)
{
	struct vm	*vm = mo->mo_vm;
	json_t		*args = NULL, *params;
	const char	*cmd = NULL;
	char		*dir, *uri;
	int		 d, slot;

	mig_out_progress(mo, -1, mig_out_step_names[mo->mo_step]);
	switch (mo->mo_step) {
	case MO_TLS:
		if (!mo->mo_tls) {
			mo->mo_step = mo->mo_spec.ms_copy_storage ? MO_NBD :
			    MO_CAPS;
			mig_out_next(mo);
			return;
		}
		/* an earlier migration's, which failed, goes first */
		if (vm->vm_qmp != NULL)
			qmp_execute(vm->vm_qmp, "object-del", json_pack("{ss}",
			    "id", MIG_TLS_ID), FWS_QMP_TIMEOUT, mig_out_ignore,
			    NULL);
		dir = migrate_tls_dir(vm);
		cmd = "object-add";
		args = json_pack("{ss ss ss ss sb}", "qom-type",
		    "tls-creds-x509", "id", MIG_TLS_ID, "dir", dir, "endpoint",
		    "client", "verify-peer", 1);
		free(dir);
		break;
	case MO_NBD:
		if ((d = mig_out_disk(mo)) == -1) {
			mo->mo_disk = 0;
			mo->mo_step = MO_MIRROR;
			mig_out_next(mo);
			return;
		}
		slot = vm->vm_disks[d].d_slot;
		cmd = "blockdev-add";
		args = json_pack("{ss so s{ss ss so} so}", "driver", "nbd",
		    "node-name", json_sprintf(MIG_NBD_NODE "%d", slot),
		    "server", "type", "inet", "host", mo->mo_addr, "port",
		    json_sprintf("%u", mo->mo_mig_port + 1), "export",
		    json_sprintf(FWS_DISK_NODE "%d", slot));
		if (mo->mo_tls)
			json_object_set_new(args, "tls-creds",
			    json_string(MIG_TLS_ID));
		break;
	case MO_MIRROR:
		if ((d = mig_out_disk(mo)) == -1) {
			mo->mo_step = MO_MIRRORING;
			if (mo->mo_mirrors == 0) {
				mo->mo_step = MO_CAPS;
				mig_out_next(mo);
			}
			return;		/* BLOCK_JOB_READY, each */
		}
		slot = vm->vm_disks[d].d_slot;
		cmd = "blockdev-mirror";
		/* from the disk's root node, its throttle node (whose limits
		   the copy's reads keep) */
		args = json_pack("{so so so ss}", "job-id", json_sprintf(
		    MIG_MIRROR "%d", slot), "device", json_sprintf("%s%d",
		    mo->mo_bare ? FWS_DISK_NODE : FWS_IO_NODE, slot), "target",
		    json_sprintf(MIG_NBD_NODE "%d", slot), "sync", "full");
		if (mo->mo_spec.ms_bandwidth != 0)
			json_object_set_new(args, "speed", json_integer(
			    (json_int_t)mo->mo_spec.ms_bandwidth));
		mo->mo_mirrors++;
		break;
	case MO_CAPS:
		cmd = "migrate-set-capabilities";
		args = json_pack("{s[{ss sb}]}", "capabilities", "capability",
		    "events", "state", 1);
		break;
	case MO_PARAMS:
		cmd = "migrate-set-parameters";
		params = json_pack("{sI}", "max-bandwidth",
		    mo->mo_spec.ms_bandwidth != 0 ?
		    (json_int_t)mo->mo_spec.ms_bandwidth : MIG_BANDWIDTH);
		if (mo->mo_spec.ms_downtime != 0)
			json_object_set_new(params, "downtime-limit",
			    json_integer((json_int_t)mo->mo_spec.ms_downtime));
		if (mo->mo_tls) {
			json_object_set_new(params, "tls-creds",
			    json_string(MIG_TLS_ID));
			json_object_set_new(params, "tls-hostname",
			    json_string(mo->mo_host));
		} else
			json_object_set_new(params, "tls-creds",
			    json_string(""));
		args = params;
		break;
	case MO_MIGRATE:
		cmd = "migrate";
		uri = xasprintf(strchr(mo->mo_addr, ':') != NULL ?
		    "tcp:[%s]:%u" : "tcp:%s:%u", mo->mo_addr, mo->mo_mig_port);
		args = json_pack("{ss}", "uri", uri);
		free(uri);
		mo->mo_migrating = 1;
		break;
	default:
		return;
	}
	if (vm->vm_qmp == NULL || qmp_execute(vm->vm_qmp, cmd, args,
	    FWS_QMP_TIMEOUT, mig_out_reply, vm) == -1)
		mig_out_fail(mo, "no QMP connection to qemu");
}

/* The destination's answer to migrate-incoming: where to send it. */
static void
mig_out_incoming(void *arg, json_t *res, const char *code, const char *why)
{
	struct mig_out	*mo = arg;
	struct vm	*vm = mo->mo_vm;
	json_t		*port, *addr, *uuid;
	char		*cause;

	(void)code;
	if (mo->mo_step != MO_INCOMING)
		return;
	if (why != NULL) {
		mo->mo_told = 0;	/* it made nothing, or undid it */
		mig_out_fail(mo, "%s refused: %s", mo->mo_host, why);
		return;
	}
	port = json_object_get(res, "port");
	addr = json_object_get(res, "address");
	uuid = json_object_get(res, "uuid");
	if (!json_is_integer(port) || json_integer_value(port) < 1 ||
	    json_integer_value(port) > 65534 || !json_is_string(uuid) ||
	    strcmp(json_string_value(uuid), vm->vm_uuid) != 0 ||
	    (addr != NULL && !json_is_null(addr) && !json_is_string(addr)) ||
	    json_is_true(json_object_get(res, "tls")) != mo->mo_tls) {
		mig_out_fail(mo, "%s answered what this fwsd does not take%s",
		    mo->mo_host, json_is_true(json_object_get(res, "tls")) !=
		    mo->mo_tls ? ": migration_tls differs between the hosts" :
		    "");
		return;
	}
	mo->mo_uuid = xasprintf("%s", json_string_value(uuid));
	mo->mo_mig_port = (unsigned)json_integer_value(port);
	mo->mo_addr = xasprintf("%s", json_is_string(addr) ?
	    json_string_value(addr) : mo->mo_host);
	if (mo->mo_tls && migrate_tls_files(vm, 0, &cause) == -1) {
		mig_out_fail(mo, "%s", cause);
		free(cause);
		return;
	}
	mig_out_record(mo, "sending");
	vm_event(vm, EV_MIGRATE, "to %s (tcp %s:%u%s%s)", mo->mo_host,
	    mo->mo_addr, mo->mo_mig_port, mo->mo_tls ? ", TLS" : "",
	    mo->mo_spec.ms_copy_storage ? ", its disks copied" : "");
	mo->mo_step = MO_TLS;
	mig_out_next(mo);
}

/* Connected to the destination's fwsd: it is asked to take the VM. */
static void
mig_out_up(void *arg, const char *why)
{
	struct mig_out	*mo = arg;
	struct vm	*vm = mo->mo_vm;
	json_t		*args;

	if (mo->mo_step != MO_CONNECT)
		return;
	if (why != NULL) {
		mig_out_fail(mo, "%s", why);
		return;
	}
	mo->mo_step = MO_INCOMING;
	mig_out_progress(mo, -1, mig_out_step_names[mo->mo_step]);
	args = json_pack("{so ss sb sb}", "definition", vm_definition(vm),
	    "source", conf.cf_public_host, "copy_storage",
	    mo->mo_spec.ms_copy_storage, "tls", mo->mo_tls);
	mo->mo_told = 1;
	if (peer_request(mo->mo_peer, "migrate-incoming", args,
	    FWS_START_TIMEOUT + FWS_MIG_PEER_TIMEOUT, mig_out_incoming,
	    mo) == -1)
		mig_out_fail(mo, "the connection to %s was lost", mo->mo_host);
}

/* The destination's fwsd is gone. */
static void
mig_out_peer_gone(void *arg, const char *why)
{
	struct mig_out	*mo = arg;

	if (mo->mo_step == MO_QUIT || mo->mo_step == MO_FAILING)
		return;
	if (mo->mo_finish_sent) {
		mig_out_unknown(mo, why);
		return;
	}
	mo->mo_told = 0;
	mig_out_fail(mo, "%s: the connection to the destination's fwsd was "
	    "lost: %s", mig_out_step_names[mo->mo_step], why);
}

/*
 * Send vm to the fwsd at spec's host: done(arg, ...) once the guest
 * runs there and the VM is forgotten here (its figures in the result),
 * or with why not; progress(arg, ...) on the way.
 */
void
migrate_out(struct vm *vm, const struct caller *ca,
    const struct migrate_spec *spec, fws_progress_fn progress,
    fws_done_fn done, void *arg)
{
	struct timeval	 tick = { 1, 0 }, tv = { spec->ms_timeout, 0 };
	struct mig_out	*mo;
	enum fws_err	 err;
	char		*why;

	if ((mo = calloc(1, sizeof(*mo))) == NULL) {
		done(arg, FWS_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	mo->mo_vm = vm;
	mo->mo_spec = *spec;
	snprintf(mo->mo_host, sizeof(mo->mo_host), "%s", spec->ms_host);
	snprintf(mo->mo_port, sizeof(mo->mo_port), "%s", spec->ms_port);
	mo->mo_spec.ms_host = mo->mo_host;
	mo->mo_spec.ms_port = mo->mo_port;
	mo->mo_tls = strcmp(conf.cf_mig_tls, "no") != 0;
	mo->mo_progress = progress;
	mo->mo_done = done;
	mo->mo_arg = arg;
	if (vm_job_begin(vm, JOB_MIGRATE_OUT, ca->ca_uid, mo, &err,
	    &why) == -1) {
		done(arg, err, why, NULL);
		free(why);
		free(mo);
		return;
	}
	vm->vm_mig_out = mo;
	mo->mo_paused = vm->vm_state == VM_PAUSED;
	mo->mo_tick = event_new(base, -1, EV_PERSIST, mig_out_tick, mo);
	mo->mo_again = evtimer_new(base, mig_out_query_again, mo);
	if (mo->mo_tick != NULL)
		evtimer_add(mo->mo_tick, &tick);
	if (spec->ms_timeout != 0 && (mo->mo_deadline = evtimer_new(base,
	    mig_out_deadline, mo)) != NULL)
		evtimer_add(mo->mo_deadline, &tv);
	mo->mo_step = MO_CONNECT;
	mig_out_progress(mo, -1, mig_out_step_names[mo->mo_step]);
	if ((mo->mo_peer = peer_open(mo->mo_host, mo->mo_port, mig_out_up,
	    mig_out_peer_gone, mo, &why)) == NULL) {
		mig_out_fail(mo, "%s", why);
		free(why);
	}
}

/* vm-run.c's teardown: qemu is gone, the migration with it (if any). */
void
migrate_out_gone(struct vm *vm)
{
	struct mig_out	*mo = vm->vm_mig_out;

	if (mo == NULL || mo->mo_step == MO_QUIT)
		return;
	if (mo->mo_finish_sent) {
		/* it may run there: this end is said by the exit */
		mig_out_answer(mo, FWS_ERR_FAILED, NULL, "qemu ended here after "
		    "migrate-finish was sent: check the destination");
	} else {
		if (mo->mo_told && mo->mo_uuid != NULL)
			(void)peer_request(mo->mo_peer, "migrate-abort",
			    json_pack("{ss}", "uuid", mo->mo_uuid),
			    FWS_MIG_PEER_TIMEOUT, mig_out_peer_ignore, NULL);
		mig_out_answer(mo, FWS_ERR_FAILED, NULL, "migration failed: "
		    "qemu ended here");
	}
	if (vm->vm_job.j_kind == JOB_MIGRATE_OUT)
		vm->vm_job.j_op = NULL;
	/* the abort is on its way: the connection closes from the loop */
	mig_out_free(mo);
}

/* A VM to forget once its qemu quit, found again by its uuid. */
struct mig_gone {
	char		 mg_uuid[37];
	int		 mg_keep;
	char		*mg_why;
	json_t		*mg_result;
	fws_done_fn	 mg_done;
	void		*mg_arg;
};

static void
mig_out_forget(int fd, short what, void *arg)
{
	struct mig_gone	*mg = arg;
	struct vm	*vm;
	char		*cause;

	(void)fd;
	(void)what;
	TAILQ_FOREACH(vm, &vms, vm_entry)
		if (strcmp(vm->vm_uuid, mg->mg_uuid) == 0)
			break;
	if (vm != NULL && !vm_is_active(vm) && vm_remove(vm, mg->mg_keep, -1,
	    mg->mg_why, &cause) == -1) {
		log_warnx("%s: %s", vm->vm_name, cause);
		free(cause);
	}
	if (mg->mg_done != NULL)
		mg->mg_done(mg->mg_arg, FWS_OK, NULL, mg->mg_result);
	else
		json_decref(mg->mg_result);
	free(mg->mg_why);
	free(mg);
}

/*
 * vm-run.c: qemu quit after the guest ran on the destination (vm.c
 * recorded "migrated"): the VM is forgotten here, then the answer.
 */
void
migrate_out_exited(struct vm *vm)
{
	struct mig_out	*mo = vm->vm_mig_out;
	struct mig_gone	*mg;
	struct timeval	 tv = { 0, 0 };
	json_t		*m = vm->vm_migration;
	const char	*to = json_string_value(json_object_get(m, "to"));

	if ((mg = calloc(1, sizeof(*mg))) == NULL)
		return;
	snprintf(mg->mg_uuid, sizeof(mg->mg_uuid), "%s", vm->vm_uuid);
	/* shared disks are the destination's now; copies made there, ours go */
	mg->mg_keep = json_is_true(json_object_get(m, "copy_storage")) ? 0 :
	    VM_REMOVE_UNTOUCHED;
	mg->mg_why = xasprintf("migrated to %s", to != NULL ? to : "?");
	if (mo != NULL) {
		mg->mg_result = json_pack("{ss ss sO}", "name", vm->vm_name,
		    "to", mo->mo_host, "figures", mo->mo_figures);
		mg->mg_done = mo->mo_done;
		mg->mg_arg = mo->mo_arg;
		mo->mo_done = NULL;
		mig_out_free(mo);
	}
	if (event_base_once(base, -1, EV_TIMEOUT, mig_out_forget, mg,
	    &tv) == -1) {
		free(mg->mg_why);
		json_decref(mg->mg_result);
		free(mg);
	}
}

/* The guest runs on the destination: what a qemu's end here means. */
int
migrate_handed_over(const struct vm *vm)
{
	const char	*step;

	step = json_string_value(json_object_get(vm->vm_migration, "step"));
	return vm->vm_state == VM_MIGRATING && step != NULL &&
	    strcmp(step, "handed-over") == 0;
}

static void
mig_adopt_cont(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;

	(void)q;
	(void)ret;
	if (err_class != NULL)
		log_warnx("%s: cont: %s", vm->vm_name, err_desc);
	if (vm->vm_state == VM_MIGRATING)
		vm_event(vm, EV_MIGRATE_BACK, "the migration under way when "
		    "fwsd ended is called off; the guest runs on here");
}

/*
 * A restarted fwsd finds a VM migrating (its qemu alive: QMP is back, or
 * gone).  The step the store kept decides: handed over, qemu quits and
 * the VM is forgotten; migrate-finish sent without an answer, it stays
 * paused, the outcome unknown; before that, the migration is cancelled
 * and the guest runs here again (or stays paused, as it was).
 */
void
migrate_adopt(struct vm *vm)
{
	json_t		*m = vm->vm_migration;
	const char	*step = json_string_value(json_object_get(m, "step"));
	const char	*to = json_string_value(json_object_get(m, "to"));
	char		*why;

	if (to == NULL)
		to = "the destination";
	if (step != NULL && strcmp(step, "handed-over") == 0) {
		if (vm->vm_state == VM_MIGRATING && vm->vm_qmp != NULL) {
			log_info("%s: its guest runs on %s: its qemu quits here",
			    vm->vm_name, to);
			if (qmp_execute(vm->vm_qmp, "quit", NULL,
			    FWS_QMP_TIMEOUT, mig_out_ignore, NULL) == -1)
				vm_run->ro_kill(vm);
		} else if (!vm_is_active(vm))
			migrate_out_exited(vm);
		return;
	}
	if (vm->vm_state != VM_MIGRATING)
		return;
	if (step != NULL && (strcmp(step, "finish-sent") == 0 ||
	    strcmp(step, "unknown") == 0)) {
		why = xasprintf("the outcome of its migration to %s is unknown: "
		    "the guest may run there; it stays paused here: check %s, "
		    "then destroy or resume it here", to, to);
		log_warnx("%s: %s", vm->vm_name, why);
		vm_event(vm, EV_MIGRATE_UNKNOWN, "%s", why);
		free(why);
		return;
	}
	if (vm->vm_qmp == NULL)
		return;
	qmp_execute(vm->vm_qmp, "migrate_cancel", NULL, FWS_QMP_TIMEOUT,
	    mig_out_ignore, NULL);
	if (json_is_true(json_object_get(m, "paused")))
		vm_event(vm, EV_MIGRATE_BACK_PAUSED, "the migration to %s under "
		    "way when fwsd ended is called off; the guest stays paused",
		    to);
	else
		qmp_execute(vm->vm_qmp, "cont", NULL, FWS_QMP_TIMEOUT,
		    mig_adopt_cont, vm);
}
