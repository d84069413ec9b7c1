/*
 * snapshot.c: internal snapshots of a VM's qcow2 disks.  A running or
 * paused VM is snapshotted by its qemu: QMP jobs snapshot-save,
 * snapshot-load and snapshot-delete (the VM state goes to disk 0, every
 * disk takes part), followed through JOB_STATUS_CHANGE events, their
 * errors read from query-jobs; a disk-only snapshot of a running VM is a
 * transaction of blockdev-snapshot-internal-sync.  A stopped VM's disks
 * are worked on by qemu-img snapshot, one disk after another, run as the
 * VM's own qemu uid on a block graph given in full (the qcow2 on its
 * file, no backing file): what a guest wrote in a header since the last
 * check is read again first, and qemu-img follows none of it.
 * Read-only disks (images) take no part.
 * An RBD disk's snapshots are RBD snapshots, through the same block
 * layer (qemu's rbd driver, qemu-img given the key by a descriptor);
 * RBD keeps no VM state, so a snapshot with RAM of a VM with one is
 * refused, saying so: --disk-only takes one.
 *
 * An operation is the VM's job (vm_job_begin): lifecycle verbs
 * meanwhile are refused as busy, by vm.c.  The images are the truth and
 * the store the index: a change is checked on the index (only fwsd
 * changes snapshots; when the index says no, disk 0 is read before
 * saying so), and every operation ends by reading what disk 0 really
 * holds (query-block, or qemu-img info), written to the store with its
 * event in one transaction before the answer.  A list reads disk 0.
 */
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

enum snap_kind {
	SNAP_LIST,
	SNAP_CREATE,
	SNAP_REVERT,
	SNAP_DELETE,
};

static const char *const snap_verbs[] = {
	[SNAP_LIST] = "list",
	[SNAP_CREATE] = "create",
	[SNAP_REVERT] = "revert",
	[SNAP_DELETE] = "delete",
};

/* The snapshot event's words around the tag: "reverted to snapshot T". */
static const char *const snap_event_words[][2] = {
	[SNAP_LIST] = { NULL, NULL },
	[SNAP_CREATE] = { "snapshot ", " taken" },
	[SNAP_REVERT] = { "reverted to snapshot ", "" },
	[SNAP_DELETE] = { "snapshot ", " deleted" },
};

struct snap_op {
	TAILQ_ENTRY(snap_op)	 so_entry;
	struct vm		*so_vm;
	struct caller		 so_caller;	/* who asked */
	fws_done_fn		 so_fn;		/* NULL: part of a list --all */
	void			*so_arg;
	struct snap_all		*so_all;
	enum snap_kind		 so_kind;
	char			 so_tag[FWS_NAME_MAX + 1];
	int			 so_disk_only;
	int			 so_step;	/* 0 read, 1 check and change,
						   2 read back */
	int			 so_indexed;	/* 1: checked on the store's
						   index; 2: that failed, the
						   image is read */
	int			 so_sync_due;	/* the read back, for the store
						   with the event */
	int			 so_disk;	/* qemu-img: the disk it is on */
	char			 so_job[32 + FWS_NAME_MAX]; /* the QMP job's
						   id: fws-VERB-N-TAG */
	int			 so_adopted;	/* the last fwsd's, taken over:
						   nobody waits for it */
	struct proc_watch	*so_watch;
	char			*so_out;	/* qemu-img's output */
	json_t			*so_snaps;	/* what disk 0 holds */
	int			 so_pending;	/* QMP replies still due */
};

TAILQ_HEAD(snap_ops, snap_op);

/* list --all: one answer for the snapshots of every VM. */
struct snap_all {
	fws_done_fn	 sa_fn;
	void		*sa_arg;
	json_t		*sa_list;
	unsigned	 sa_left;
};

#define SNAP_OUTPUT_MAX	(1024 * 1024)	/* qemu-img info's JSON, at most */
/* qemu-img's RBD key: the descriptor vm_qemu_img gives it at fd 3 */
#define SNAP_RBD_SECRET	"secret,id=" FWS_RBD_SECRET \
			",format=base64,file=/dev/fd/3"

static unsigned	snap_job_seq;
static struct snap_ops	snap_ops = TAILQ_HEAD_INITIALIZER(snap_ops);

/* Append b's items to a; b is consumed. */
static void
snap_extend(json_t *a, json_t *b)
{
	json_array_extend(a, b);
	json_decref(b);
}

static void	snap_next(struct snap_op *);

/*
 * A QMP command whose reply fn will get: counted, so that a qemu ending
 * mid-operation is reported once, by the reply (or, when none is due,
 * by snapshot_vm_gone).
 */
static int
snap_qmp(struct snap_op *so, const char *cmd, json_t *args, int timeout_ms,
    qmp_reply_fn fn)
{
	struct qmp	*q = so->so_vm->vm_qmp;

	if (q == NULL || qmp_execute(q, cmd, args, timeout_ms, fn, so) == -1)
		return -1;
	so->so_pending++;
	return 0;
}

/*
 * A stopped VM's snapshot is changed by qemu-img, fwsd's child: a run
 * file says which (PID, its start time, the verb, the disk, the output
 * file, the tag), so that a later fwsd can follow it to its end.
 */
#define SNAP_NOTE	"snapshot"

static void
snap_img_note(struct snap_op *so, pid_t pid)
{
	char	*path = vm_run_path(so->so_vm, SNAP_NOTE);
	char	*line, *prefix = vm_run_path(so->so_vm, "");
	int	 fd;

	/* the output file's name after vm_run_path's part */
	line = xasprintf("%d %llu %s %d %s %s\n", (int)pid,
	    (unsigned long long)proc_start_time(pid), snap_verbs[so->so_kind],
	    so->so_disk, so->so_out + strlen(prefix), so->so_tag);
	free(prefix);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		log_warn("%s", path);
	if (fd != -1)
		close(fd);
	free(line);
	free(path);
}

static void
snap_img_unnote(struct snap_op *so)
{
	char	*path = vm_run_path(so->so_vm, SNAP_NOTE);

	unlink(path);
	free(path);
}

static void
snap_free(struct snap_op *so)
{
	TAILQ_REMOVE(&snap_ops, so, so_entry);
	vm_job_end(so->so_vm, so);
	proc_unwatch(so->so_watch);
	if (so->so_out != NULL)
		unlink(so->so_out);
	free(so->so_out);
	snap_img_unnote(so);
	json_decref(so->so_snaps);
	free(so);
}

/* One snapshot as scripts see it, from QEMU's SnapshotInfo. */
static json_t *
snap_to_json(const struct vm *vm, json_t *s)
{
	json_int_t	 size = json_integer_value(json_object_get(s,
			    "vm-state-size"));

	return json_pack("{ss sI ss sI sb sI sf}", "vm", vm->vm_name, "owner",
	    (json_int_t)vm->vm_owner, "tag",
	    json_string_value(json_object_get(s, "name")), "created",
	    json_integer_value(json_object_get(s, "date-sec")), "memory",
	    size > 0, "vm_state_size", size, "vm_clock",
	    json_integer_value(json_object_get(s, "vm-clock-sec")) +
	    json_integer_value(json_object_get(s, "vm-clock-nsec")) / 1e9);
}

static json_t *
snap_find(json_t *snaps, const char *tag)
{
	json_t	*s;
	size_t	 i;

	json_array_foreach(snaps, i, s)
		if (json_is_string(json_object_get(s, "name")) &&
		    strcmp(json_string_value(json_object_get(s, "name")),
		    tag) == 0)
			return s;
	return NULL;
}

static json_t *
snap_list_json(const struct vm *vm, json_t *snaps)
{
	json_t	*a = json_array(), *s;
	size_t	 i;

	json_array_foreach(snaps, i, s)
		json_array_append_new(a, snap_to_json(vm, s));
	return a;
}

/* The index as read back, and the event: one transaction. */
static void
snap_record(struct snap_op *so, int64_t actor)
{
	struct vm	*vm = so->so_vm;
	char		*cause;
	int		 tx;

	if ((tx = store_begin(&cause)) == -1) {
		log_warnx("%s: %s", vm->vm_name, cause);
		free(cause);
	}
	if (so->so_sync_due && store_snap_sync(vm, so->so_snaps,
	    &cause) == -1) {
		log_warnx("%s: %s", vm->vm_name, cause);
		free(cause);
	}
	event_record_by(vm, actor, "snapshot", "%s%s%s%s",
	    snap_event_words[so->so_kind][0], so->so_tag,
	    snap_event_words[so->so_kind][1], so->so_kind == SNAP_CREATE &&
	    so->so_disk_only ? " (disk only)" : "");
	if (tx == 0 && store_commit(&cause) == -1) {
		log_warnx("%s: %s", vm->vm_name, cause);
		free(cause);
	}
}

/* The operation ends: answer (or count in list --all), free. */
static void
snap_done(struct snap_op *so, enum fws_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
snap_done(struct snap_op *so, enum fws_err code, const char *fmt, ...)
{
	struct snap_all	*sa = so->so_all;
	struct vm	*vm = so->so_vm;
	va_list		 ap;
	char		*msg = NULL, *words;
	json_t		*s;
	int64_t		 actor = so->so_fn != NULL ?
			    (int64_t)so->so_caller.ca_uid : -1;

	if (fmt != NULL) {
		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) == -1)
			msg = NULL;
		va_end(ap);
	}
	/* taken over: what disk 0 holds says whether it was done */
	if (msg == NULL && so->so_adopted && so->so_kind != SNAP_REVERT &&
	    (snap_find(so->so_snaps, so->so_tag) != NULL) !=
	    (so->so_kind == SNAP_CREATE))
		msg = xasprintf("disk 0 %s snapshot %s", so->so_kind ==
		    SNAP_CREATE ? "has no" : "still has", so->so_tag);
	/* done: what disk 0 holds now and the event, one write, then told */
	if (msg == NULL && so->so_kind != SNAP_LIST)
		snap_record(so, actor);
	if (so->so_adopted) {
		/* nobody asked this fwsd: the end is told as an event */
		if (msg != NULL)
			event_record_by(vm, -1, "snapshot", "snapshot-%s %s, "
			    "taken over from the last fwsd, failed: %s",
			    snap_verbs[so->so_kind], so->so_tag, msg);
	} else if (sa != NULL) {
		/* a VM that cannot be read shows what the store knows */
		if (msg != NULL)
			log_warnx("%s: snapshot-list: %s", vm->vm_name, msg);
		snap_extend(sa->sa_list, so->so_snaps != NULL ?
		    snap_list_json(vm, so->so_snaps) : store_snap_list(vm));
		if (--sa->sa_left == 0) {
			sa->sa_fn(sa->sa_arg, FWS_OK, NULL, sa->sa_list);
			free(sa);
		}
	} else if (msg != NULL) {
		words = xasprintf("%s: snapshot-%s %s: %s", vm->vm_name,
		    snap_verbs[so->so_kind], so->so_tag, msg);
		so->so_fn(so->so_arg, code, words, NULL);
		free(words);
	} else if (so->so_kind == SNAP_LIST)
		so->so_fn(so->so_arg, FWS_OK, NULL, snap_list_json(vm,
		    so->so_snaps));
	else if (so->so_kind == SNAP_CREATE &&
	    (s = snap_find(so->so_snaps, so->so_tag)) != NULL)
		so->so_fn(so->so_arg, FWS_OK, NULL, snap_to_json(vm, s));
	else
		so->so_fn(so->so_arg, FWS_OK, NULL, json_pack("{ss ss}", "vm",
		    vm->vm_name, "tag", so->so_tag));
	free(msg);
	snap_free(so);
}

/*
 * What disk 0 holds is known: write it to the store (the read back is
 * written with the operation's event, in snap_record), go on.
 */
static void
snap_have_truth(struct snap_op *so, json_t *snaps)
{
	char	*cause;

	json_t	*sn;
	size_t	 i;

	json_decref(so->so_snaps);
	so->so_snaps = json_is_array(snaps) ? json_incref(snaps) :
	    json_array();
	/* qemu's rbd driver says an RBD snapshot's vm-state-size is the
	 * image's size: it holds none */
	if (is_rbd(so->so_vm->vm_disks[0].d_path))
		json_array_foreach(so->so_snaps, i, sn)
			json_object_set_new(sn, "vm-state-size",
			    json_integer(0));
	if (so->so_step == 2 && so->so_kind != SNAP_LIST)
		so->so_sync_due = 1;
	else if (store_snap_sync(so->so_vm, so->so_snaps, &cause) == -1) {
		log_warnx("%s: %s", so->so_vm->vm_name, cause);
		free(cause);
	}
	so->so_step++;
	snap_next(so);
}

static void
snap_query_block_done(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct snap_op	*so = arg;
	json_t		*b, *snaps = NULL;
	const char	*node;
	size_t		 i;

	(void)q;
	so->so_pending--;
	if (err_class != NULL) {
		snap_done(so, FWS_ERR_FAILED, "query-block: %s", err_desc);
		return;
	}
	json_array_foreach(ret, i, b) {
		node = json_string_value(json_object_get(json_object_get(b,
		    "inserted"), "node-name"));
		/* disk 0's device: its throttle node says the snapshots
		 * of the image under it */
		if (vm_qemu_node_slot(node) == 0)
			snaps = json_object_get(json_object_get(json_object_get(b,
			    "inserted"), "image"), "snapshots");
	}
	snap_have_truth(so, snaps);
}

/* In the run dir: a full or read-only state dir keeps qemu-img's words. */
static char *
snap_out_path(struct snap_op *so)
{
	char	 suffix[32];

	snprintf(suffix, sizeof(suffix), "qemu-img.%u.out", ++snap_job_seq);
	return vm_run_path(so->so_vm, suffix);
}

static void	snap_img_exited(pid_t, int, void *);
static void	snap_change(struct snap_op *);

/* Run qemu-img (argv after "qemu-img"), its output to so_out. */
static int
snap_img_run(struct snap_op *so, const char *const *args, char **cause)
{
	pid_t	 pid;

	if (so->so_out == NULL)
		so->so_out = snap_out_path(so);
	if ((pid = vm_qemu_img(so->so_vm, args, so->so_out, snap_img_exited,
	    so, &so->so_watch, cause)) == -1)
		return -1;
	if (so->so_step == 1)
		snap_img_note(so, pid);
	return 0;
}

static void
snap_img_exited(pid_t pid, int status, void *arg)
{
	struct snap_op	*so = arg;
	json_error_t	 jerr;
	json_t		*info;
	char		*out;

	(void)pid;
	proc_unwatch(so->so_watch);
	so->so_watch = NULL;
	out = proc_output(so->so_out, SNAP_OUTPUT_MAX);
	/* the last fwsd's qemu-img: how it ended is not known; the read
	 * back says */
	if (status == -1 && so->so_adopted && so->so_step == 1)
		status = 0;
	if (status != 0) {
		/* librbd refuses a write while the lock's owner may live */
		snap_done(so, FWS_ERR_FAILED, "%s%s", out,
		    is_rbd(so->so_vm->vm_disks[so->so_disk].d_path) &&
		    strstr(out, "Read-only file system") != NULL ?
		    "; the RBD image is still locked by its last qemu (one "
		    "killed holds it some 30 s): try again then" : "");
		free(out);
		return;
	}
	if (so->so_step == 1) {
		snap_img_unnote(so);
		/* one disk done: the next writable one, or read back */
		free(out);
		while (++so->so_disk < so->so_vm->vm_ndisks &&
		    so->so_vm->vm_disks[so->so_disk].d_readonly)
			;
		if (so->so_disk < so->so_vm->vm_ndisks) {
			snap_change(so);
			return;
		}
		so->so_step++;
		snap_next(so);
		return;
	}
	/* qemu-img info --output=json */
	info = json_loads(out, 0, &jerr);
	free(out);
	if (info == NULL) {
		snap_done(so, FWS_ERR_FAILED, "qemu-img info: %s", jerr.text);
		return;
	}
	snap_have_truth(so, json_object_get(info, "snapshots"));
	json_decref(info);
}

/*
 * A stopped VM's disk for qemu-img: its header read again (a guest had
 * it in hand), then the whole graph as a json: name, so that qemu-img
 * opens the qcow2 on its file and nothing else.
 */
static char *
snap_img_target(struct snap_op *so, int disk, char **cause)
{
	struct vm		*vm = so->so_vm;
	struct image_chain	 ic;
	char			*dirs[FWS_IMAGE_DIRS_MAX + 1], *s, *name;
	json_t			*o;
	int			 n, rc;

	if (is_rbd(vm->vm_disks[disk].d_path)) {
		o = vm_qemu_rbd_node(NULL, vm->vm_disks[disk].d_path,
		    conf.cf_ceph_conf, conf.cf_ceph_user, 0);
		goto named;
	}
	n = image_base_dirs(vm->vm_owner, dirs);
	rc = image_chain_open(vm->vm_disks[disk].d_path, "qcow2", dirs, n, &ic,
	    cause);
	image_chain_close(&ic);
	image_dirs_free(dirs, n);
	if (rc == -1)
		return NULL;
	o = json_pack("{ss sn s{ss ss}}", "driver", "qcow2", "backing",
	    "file", "driver", "file", "filename", vm->vm_disks[disk].d_path);
named:
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL)
		abort();
	name = xasprintf("json:%s", s);
	free(s);
	return name;
}

/* Read what disk 0 holds, from qemu when it runs, else from the file. */
static void
snap_read_truth(struct snap_op *so)
{
	struct vm	*vm = so->so_vm;
	const char	*args[] = { "info", "--output=json", "--force-share",
	    NULL, NULL, NULL, NULL };
	char		*cause, *target;
	int		 n = 3;

	if (vm_is_active(vm)) {
		if (snap_qmp(so, "query-block", NULL, FWS_QMP_TIMEOUT,
		    snap_query_block_done) == -1)
			snap_done(so, FWS_ERR_FAILED, "no QMP connection");
		return;
	}
	if (is_rbd(vm->vm_disks[0].d_path)) {
		args[n++] = "--object";
		args[n++] = SNAP_RBD_SECRET;
	}
	if ((target = snap_img_target(so, 0, &cause)) == NULL ||
	    (args[n] = target, snap_img_run(so, args, &cause)) == -1) {
		snap_done(so, FWS_ERR_FAILED, "%s", cause);
		free(cause);
	}
	free(target);
}

static void
snap_qmp_started(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct snap_op	*so = arg;

	(void)q;
	(void)ret;
	so->so_pending--;
	if (err_class != NULL) {
		snap_done(so, FWS_ERR_FAILED, "%s", err_desc);
		return;
	}
	if (so->so_job[0] == '\0') {
		/* a transaction: done when it answers */
		so->so_step++;
		snap_next(so);
	}
	/* a job: JOB_STATUS_CHANGE tells when it concludes */
}

/* Start the change itself: a QMP job or transaction, or qemu-img. */
static void
snap_change(struct snap_op *so)
{
	struct vm	*vm = so->so_vm;
	json_t		*devs, *args, *acts;
	const char	*cmd, *flag, *img[8];
	char		 node[32], *cause, *target;
	int		 i;

	if (!vm_is_active(vm)) {
		flag = so->so_kind == SNAP_CREATE ? "-c" :
		    so->so_kind == SNAP_REVERT ? "-a" : "-d";
		/* qemu-img snapshot has no -f: the format is in the json:
		 * name, never probed */
		if ((target = snap_img_target(so, so->so_disk,
		    &cause)) == NULL) {
			snap_done(so, FWS_ERR_FAILED, "%s", cause);
			free(cause);
			return;
		}
		i = 0;
		img[i++] = "snapshot";
		if (is_rbd(vm->vm_disks[so->so_disk].d_path)) {
			img[i++] = "--object";
			img[i++] = SNAP_RBD_SECRET;
		}
		img[i++] = "-q";
		img[i++] = flag;
		img[i++] = so->so_tag;
		img[i++] = target;
		img[i] = NULL;
		if (snap_img_run(so, img, &cause) == -1) {
			snap_done(so, FWS_ERR_FAILED, "%s", cause);
			free(cause);
		}
		free(target);
		return;
	}
	/* the writable disks: a read-only image keeps no snapshots */
	devs = json_array();
	for (i = 0; i < vm->vm_ndisks; i++) {
		if (vm->vm_disks[i].d_readonly)
			continue;
		snprintf(node, sizeof(node), FWS_DISK_NODE "%d",
		    vm->vm_disks[i].d_slot);
		json_array_append_new(devs, json_string(node));
	}
	if (so->so_kind == SNAP_CREATE && so->so_disk_only) {
		/* a root node each: the disk's throttle node, over its image */
		acts = json_array();
		for (i = 0; i < vm->vm_ndisks; i++) {
			if (vm->vm_disks[i].d_readonly)
				continue;
			snprintf(node, sizeof(node), FWS_IO_NODE "%d",
			    vm->vm_disks[i].d_slot);
			json_array_append_new(acts, json_pack("{ss s{ss ss}}",
			    "type", "blockdev-snapshot-internal-sync", "data",
			    "device", node, "name", so->so_tag));
		}
		json_decref(devs);
		cmd = "transaction";
		args = json_pack("{so}", "actions", acts);
	} else {
		/* the id says what the job does, to a later fwsd */
		snprintf(so->so_job, sizeof(so->so_job), "fws-%s-%u-%s",
		    snap_verbs[so->so_kind], ++snap_job_seq, so->so_tag);
		cmd = so->so_kind == SNAP_CREATE ? "snapshot-save" :
		    so->so_kind == SNAP_REVERT ? "snapshot-load" :
		    "snapshot-delete";
		args = json_pack("{ss ss so}", "job-id", so->so_job, "tag",
		    so->so_tag, "devices", devs);
		if (so->so_kind != SNAP_DELETE)
			json_object_set_new(args, "vmstate",
			    json_string(FWS_DISK_NODE "0"));
	}
	/* a job may run long: no timeout on starting it */
	if (snap_qmp(so, cmd, args, 0, snap_qmp_started) == -1)
		snap_done(so, FWS_ERR_FAILED, "no QMP connection");
}

/* Is the change possible, given what disk 0 holds? */
static int
snap_check(struct snap_op *so, char **why, enum fws_err *code)
{
	json_t	*s = snap_find(so->so_snaps, so->so_tag);

	*code = FWS_ERR_NOT_FOUND;
	if (so->so_kind == SNAP_CREATE) {
		if (s != NULL) {
			*code = FWS_ERR_EXISTS;
			return cause_fail(why, "the tag is already taken");
		}
		/* a user's snapshots count, and take room: an admin's own
		 * VMs have no quota */
		if (caller_exempt(&so->so_caller, so->so_vm->vm_owner))
			return 0;
		return quota_check_snapshot(so->so_vm,
		    json_array_size(so->so_snaps), !so->so_disk_only, code,
		    why);
	}
	if (s == NULL)
		return cause_fail(why, "no snapshot with that tag");
	if (so->so_kind == SNAP_REVERT && vm_is_active(so->so_vm) &&
	    json_integer_value(json_object_get(s, "vm-state-size")) == 0) {
		*code = FWS_ERR_STATE;
		return cause_fail(why, "a disk-only snapshot: stop %s, then "
		    "revert", so->so_vm->vm_name);
	}
	return 0;
}

/* Steps: read the truth, make the change, read the truth back. */
static void
snap_next(struct snap_op *so)
{
	char		*why;
	enum fws_err	 code;

	switch (so->so_step) {
	case 0:
		/*
		 * A change is checked on the store's index, what the last
		 * operation read back (only fwsd changes snapshots); if the
		 * index says no, disk 0 itself is read before saying so.
		 */
		if (so->so_kind != SNAP_LIST && so->so_indexed == 0) {
			so->so_indexed = 1;
			so->so_snaps = store_snap_index(so->so_vm);
			so->so_step = 1;
			snap_next(so);
			break;
		}
		snap_read_truth(so);
		break;
	case 1:
		if (so->so_kind == SNAP_LIST) {
			snap_done(so, 0, NULL);
			break;
		}
		if (snap_check(so, &why, &code) == -1) {
			if (so->so_indexed == 1) {
				free(why);
				so->so_indexed = 2;
				so->so_step = 0;
				snap_next(so);
				break;
			}
			snap_done(so, code, "%s", why);
			free(why);
			break;
		}
		so->so_disk = 0;
		snap_change(so);
		break;
	case 2:
		snap_read_truth(so);
		break;
	default:
		snap_done(so, 0, NULL);
		break;
	}
}

/* QMP events while a job runs: only our job's conclusion matters. */
static void
snap_jobs_done(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct snap_op	*so = arg;
	const char	*error = NULL, *id;
	json_t		*j;
	size_t		 i;

	so->so_pending--;
	if (err_class != NULL) {
		snap_done(so, FWS_ERR_FAILED, "query-jobs: %s", err_desc);
		return;
	}
	json_array_foreach(ret, i, j) {
		id = json_string_value(json_object_get(j, "id"));
		if (id != NULL && strcmp(id, so->so_job) == 0)
			error = json_string_value(json_object_get(j, "error"));
	}
	qmp_execute(q, "job-dismiss", json_pack("{ss}", "id", so->so_job),
	    FWS_QMP_TIMEOUT, NULL, NULL);
	if (error != NULL) {
		snap_done(so, FWS_ERR_FAILED, "%s", error);
		return;
	}
	so->so_job[0] = '\0';
	so->so_step++;
	snap_next(so);
}

/* The VM's op running a QMP job, if any. */
static struct snap_op *
snap_op_of(struct vm *vm)
{
	struct snap_op	*so;

	TAILQ_FOREACH(so, &snap_ops, so_entry)
		if (so->so_vm == vm)
			return so;
	return NULL;
}

/* QMP's JOB_STATUS_CHANGE: only our job's conclusion matters. */
void
snapshot_job_status(struct vm *vm, json_t *data)
{
	struct snap_op	*so = snap_op_of(vm);
	const char	*id, *status;

	if (so == NULL || so->so_job[0] == '\0')
		return;
	id = json_string_value(json_object_get(data, "id"));
	status = json_string_value(json_object_get(data, "status"));
	if (id == NULL || status == NULL || strcmp(id, so->so_job) != 0 ||
	    strcmp(status, "concluded") != 0)
		return;
	if (snap_qmp(so, "query-jobs", NULL, FWS_QMP_TIMEOUT,
	    snap_jobs_done) == -1)
		snap_done(so, FWS_ERR_FAILED, "no QMP connection");
}

/* The VM's qemu ended in the middle of an operation. */
void
snapshot_vm_gone(struct vm *vm)
{
	struct snap_op	*so = snap_op_of(vm);

	/* a reply still due will say it, with qemu's disconnection */
	if (so != NULL && so->so_watch == NULL && so->so_pending == 0)
		snap_done(so, FWS_ERR_FAILED, "qemu ended during the "
		    "operation");
}

/*
 * Can vm's snapshots be worked on now?  0, or -1 with the core's error
 * and why: the disks it has, then vm.c (its state, the job under way).
 * With so, the job is so's from now on.
 */
static int
snap_usable(struct vm *vm, struct snap_op *so, enum fws_err *code,
    char **why)
{
	int	 i;

	*code = FWS_ERR_STATE;
	if (vm->vm_ndisks == 0)
		return cause_fail(why, "%s has no disk to keep snapshots in",
		    vm->vm_name);
	if (vm->vm_disks[0].d_readonly)
		return cause_fail(why, "%s: disk 0 is a read-only image: "
		    "snapshots are kept in disk 0", vm->vm_name);
	for (i = 0; i < vm->vm_ndisks; i++)
		if (!vm->vm_disks[i].d_readonly &&
		    strcmp(vm->vm_disks[i].d_format, "qcow2") != 0 &&
		    !is_rbd(vm->vm_disks[i].d_path))
			return cause_fail(why, "%s: disk %s is %s: snapshots "
			    "need qcow2 or RBD disks", vm->vm_name,
			    vm->vm_disks[i].d_path, vm->vm_disks[i].d_format);
	/* qemu saves RAM into a qcow2 disk only, and RBD snapshots take
	 * every disk: with an RBD disk, disks alone */
	for (i = 0; so != NULL && so->so_kind == SNAP_CREATE &&
	    !so->so_disk_only && vm_is_active(vm) && i < vm->vm_ndisks; i++)
		if (is_rbd(vm->vm_disks[i].d_path))
			return cause_fail(why, "%s: disk %d is an RBD image "
			    "(%s): a snapshot with RAM is impossible on RBD "
			    "(QEMU keeps no VM state there); take one of the "
			    "disks alone with --disk-only", vm->vm_name, i,
			    vm->vm_disks[i].d_path);
	if (so == NULL)
		return vm_check(vm, EV_SNAPSHOT, code, why);
	if (vm_job_begin(vm, JOB_SNAPSHOT, so->so_fn != NULL ?
	    (int64_t)so->so_caller.ca_uid : -1, so, code, why) == -1)
		return -1;
	if (vm_is_active(vm) && (vm->vm_qmp == NULL ||
	    !qmp_is_ready(vm->vm_qmp))) {
		vm_job_end(vm, so);
		*code = FWS_ERR_BUSY;
		return cause_fail(why, "%s: no QMP connection", vm->vm_name);
	}
	return 0;
}

static struct snap_op *
snap_op_new(struct vm *vm, const struct caller *ca, fws_done_fn fn,
    void *arg, enum snap_kind kind, const char *tag)
{
	struct snap_op	*so;

	if ((so = calloc(1, sizeof(*so))) == NULL)
		abort();
	so->so_vm = vm;
	if (ca != NULL)
		so->so_caller = *ca;
	so->so_fn = fn;
	so->so_arg = arg;
	so->so_kind = kind;
	if (tag != NULL)
		snprintf(so->so_tag, sizeof(so->so_tag), "%s", tag);
	return so;
}

/* create, revert, delete, list of one VM (tag NULL for list) */
void
snapshot_op(struct vm *vm, const struct caller *ca, const char *verb,
    const char *tag, int disk_only, fws_done_fn fn, void *arg)
{
	struct snap_op	*so;
	enum snap_kind	 kind;
	enum fws_err	 code;
	char		*why;

	for (kind = SNAP_LIST; kind <= SNAP_DELETE; kind++)
		if (strcmp(snap_verbs[kind], verb) == 0)
			break;
	if (kind > SNAP_DELETE) {
		fn(arg, FWS_ERR_INTERNAL, "unknown snapshot verb", NULL);
		return;
	}
	/* an expired VM's disks wait: their index is what the store says */
	if (kind == SNAP_LIST && vm->vm_state == VM_EXPIRED) {
		fn(arg, FWS_OK, NULL, store_snap_list(vm));
		return;
	}
	so = snap_op_new(vm, ca, fn, arg, kind, tag);
	so->so_disk_only = disk_only;
	if (snap_usable(vm, so, &code, &why) == -1) {
		fn(arg, code, why, NULL);
		free(why);
		free(so);
		return;
	}
	TAILQ_INSERT_TAIL(&snap_ops, so, so_entry);
	/* a stopped VM's snapshots never hold memory */
	so->so_disk_only = disk_only || !vm_is_active(vm);
	snap_next(so);
}

/* snapshot-list --all: every VM, each read from its image if it can be. */
void
snapshot_list_all(const struct caller *ca, int64_t owner, fws_done_fn fn,
    void *arg)
{
	struct snap_all	*sa;
	struct snap_op	*so;
	struct vm	*vm, *tvm;
	enum fws_err	 code;
	char		*why;

	if ((sa = calloc(1, sizeof(*sa))) == NULL)
		abort();
	sa->sa_fn = fn;
	sa->sa_arg = arg;
	sa->sa_list = json_array();
	sa->sa_left = 1;	/* held until every VM is under way */
	TAILQ_FOREACH_SAFE(vm, &vms, vm_entry, tvm) {
		if (!caller_sees(ca, vm) || (owner >= 0 &&
		    vm->vm_owner != owner))
			continue;
		so = snap_op_new(vm, NULL, NULL, NULL, SNAP_LIST, NULL);
		if (snap_usable(vm, so, &code, &why) == -1) {
			free(why);
			free(so);
			if (code == FWS_ERR_BUSY || vm->vm_state == VM_EXPIRED)
				snap_extend(sa->sa_list, store_snap_list(vm));
			continue;
		}
		TAILQ_INSERT_TAIL(&snap_ops, so, so_entry);
		sa->sa_left++;
		so->so_all = sa;
		snap_next(so);
	}
	if (--sa->sa_left == 0) {
		fn(arg, FWS_OK, NULL, sa->sa_list);
		free(sa);
	}
}

/*
 * A job the last fwsd started, still running: this fwsd follows it to
 * its end, as its own, and says so.  Its id (fws-VERB-N-TAG) says what
 * it does.
 */
static void
snap_adopt_running(struct vm *vm, const char *id)
{
	struct snap_op	*so;
	enum snap_kind	 kind;
	enum fws_err	 code;
	const char	*verb = id + 4, *tag;
	char		*why;
	size_t		 len;

	for (kind = SNAP_CREATE; kind <= SNAP_DELETE; kind++) {
		len = strlen(snap_verbs[kind]);
		if (strncmp(verb, snap_verbs[kind], len) == 0 &&
		    verb[len] == '-')
			break;
	}
	if (kind > SNAP_DELETE || snap_op_of(vm) != NULL ||
	    strlen(id) >= sizeof(so->so_job))
		return;
	/* an id without the tag (an older fwsd's) is left to end alone */
	if ((tag = strchr(verb + len + 1, '-')) == NULL)
		return;
	so = snap_op_new(vm, NULL, NULL, NULL, kind, tag + 1);
	snprintf(so->so_job, sizeof(so->so_job), "%s", id);
	so->so_adopted = 1;
	so->so_step = 1;
	if (vm_job_begin(vm, JOB_SNAPSHOT, -1, so, &code, &why) == -1) {
		log_warnx("%s: the snapshot job %s is not followed: %s",
		    vm->vm_name, id, why);
		free(why);
		free(so);
		return;
	}
	TAILQ_INSERT_TAIL(&snap_ops, so, so_entry);
	vm_job_progress(vm, -1, "taken over from the last fwsd");
	event_record_by(vm, -1, "snapshot", "snapshot-%s %s was under way "
	    "when fwsd ended: followed to its end", snap_verbs[kind],
	    so->so_tag);
}

static void
snap_adopt_jobs(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;
	const char	*id, *type, *status, *error;
	json_t		*j;
	size_t		 i;

	(void)err_desc;
	if (err_class != NULL)
		return;
	json_array_foreach(ret, i, j) {
		id = json_string_value(json_object_get(j, "id"));
		type = json_string_value(json_object_get(j, "type"));
		status = json_string_value(json_object_get(j, "status"));
		error = json_string_value(json_object_get(j, "error"));
		if (id == NULL || strncmp(id, "fws-", 4) != 0 ||
		    status == NULL || strcmp(status, "null") == 0)
			continue;
		if (strcmp(status, "concluded") != 0) {
			snap_adopt_running(vm, id);
			continue;
		}
		event_record_by(vm, -1, "snapshot", "a %s job ended while fwsd "
		    "was away: %s", type ? type : "snapshot", error ? error :
		    "done");
		qmp_execute(q, "job-dismiss", json_pack("{ss}", "id", id),
		    FWS_QMP_TIMEOUT, NULL, NULL);
	}
}

/*
 * After a restart of fwsd, a VM without a qemu: the qemu-img the last
 * fwsd left changing its snapshots (its run file says which) is
 * followed to its end, as this fwsd's own, and the disks after it get
 * the same change; one that ended meanwhile is said, and the store's
 * index is brought up to date by the next operation.
 */
void
snapshot_adopt_stopped(struct vm *vm)
{
	struct snap_op	*so;
	enum snap_kind	 kind;
	enum fws_err	 code;
	char		*path = vm_run_path(vm, SNAP_NOTE), *why;
	char		 line[256], verb[16], out[64], tag[FWS_NAME_MAX + 1];
	unsigned long long start;
	int		 pid, disk, fd;
	ssize_t		 n;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	n = fd == -1 ? -1 : read(fd, line, sizeof(line) - 1);
	if (fd != -1)
		close(fd);
	if (n <= 0) {
		free(path);
		return;
	}
	line[n] = '\0';
	for (kind = SNAP_CREATE; kind <= SNAP_DELETE; kind++)
		if (sscanf(line, "%d %llu %15s %d %63s %63s", &pid, &start, verb,
		    &disk, out, tag) == 6 && strcmp(verb, snap_verbs[kind]) == 0)
			break;
	why = NULL;
	if (kind > SNAP_DELETE || disk < 0 || disk >= vm->vm_ndisks ||
	    strncmp(out, "qemu-img.", 9) != 0 || strchr(out, '/') != NULL ||
	    validate_name(tag, &why) == -1) {
		free(why);
		log_warnx("%s: %s: not understood, removed", vm->vm_name, path);
		unlink(path);
		free(path);
		return;
	}
	free(path);
	so = snap_op_new(vm, NULL, NULL, NULL, kind, tag);
	so->so_adopted = 1;
	so->so_step = 1;
	so->so_disk = disk;
	so->so_out = vm_run_path(vm, out);
	if (start == 0 || proc_start_time(pid) != start) {
		event_record_by(vm, -1, "snapshot", "snapshot-%s %s ended while "
		    "fwsd was away", snap_verbs[kind], tag);
		snap_img_unnote(so);
		unlink(so->so_out);
		free(so->so_out);
		free(so);
		return;
	}
	if (vm_job_begin(vm, JOB_SNAPSHOT, -1, so, &code, &why) == -1) {
		log_warnx("%s: qemu-img pid %d is not followed: %s",
		    vm->vm_name, pid, why);
		free(why);
		free(so->so_out);
		free(so);
		return;
	}
	TAILQ_INSERT_TAIL(&snap_ops, so, so_entry);
	if ((so->so_watch = proc_watch(pid, snap_img_exited, so,
	    &why)) == NULL) {
		snap_done(so, FWS_ERR_FAILED, "%s", why);
		free(why);
		return;
	}
	vm_job_progress(vm, -1, "taken over from the last fwsd");
	event_record_by(vm, -1, "snapshot", "snapshot-%s %s was under way "
	    "when fwsd ended (qemu-img pid %d): followed to its end",
	    snap_verbs[kind], tag, pid);
}

/*
 * After a restart of fwsd: a snapshot job the last fwsd started either
 * runs still (followed to its end, as if this fwsd had started it: the
 * VM's job until then, the index and an event at the end) or has ended
 * meanwhile (said how, and cleared from qemu; the store's index is
 * brought up to date by the next operation, which reads the image).
 */
void
snapshot_adopt(struct vm *vm)
{
	if (vm->vm_qmp != NULL)
		qmp_execute(vm->vm_qmp, "query-jobs", NULL, FWS_QMP_TIMEOUT,
		    snap_adopt_jobs, vm);
}
