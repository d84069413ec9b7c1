/*
 * vm-disk.c: a VM's disks grown (disk-resize).  Grow only: a guest's
 * file system ends where its disk did, and cutting it is no undo.  A
 * VM with a qemu grows the disk live (QMP block_resize on the throttle
 * node its device reads through, which passes it to the image, so that
 * the guest sees the new capacity; on the format node of a qemu started
 * before disks had one); one without has qemu-img do
 * it, as the VM's qemu uid, on the file by a json: name that says the
 * format (never probed) and opens nothing else.  The host's limit and
 * the owner's quota hold; the change is the VM's job while it runs;
 * the store's size and an event are one write, before the reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"
#include "qmp.h"

#define DISK_OUTPUT_MAX	65536	/* qemu-img's words, at most */

struct disk_op {
	struct vm		*do_vm;
	int64_t			 do_actor;
	int			 do_disk;
	uint64_t		 do_size;
	uint64_t		 do_was;
	fws_done_fn		 do_fn;
	void			*do_arg;
	struct proc_watch	*do_watch;
	char			*do_out;	/* qemu-img's output file */
	int			 do_bare;	/* a qemu without the disk's
						   throttle node (started
						   before there were any) */
};

static void
disk_op_free(struct disk_op *dop)
{
	vm_job_end(dop->do_vm, dop);
	proc_unwatch(dop->do_watch);
	if (dop->do_out != NULL)
		unlink(dop->do_out);
	free(dop->do_out);
	free(dop);
}

/* The end: the size and its event in one write, then the answer. */
static void
disk_done(struct disk_op *dop, const char *failed)
{
	struct vm	*vm = dop->do_vm;
	struct vm_disk	*d = &vm->vm_disks[dop->do_disk];
	char		 a[32], b[32], *cause, *why;
	int		 tx;

	if (failed != NULL) {
		why = xasprintf("%s: disk %d: %s", vm->vm_name, dop->do_disk,
		    failed);
		dop->do_fn(dop->do_arg, FWS_ERR_FAILED, why, NULL);
		free(why);
		disk_op_free(dop);
		return;
	}
	d->d_size = dop->do_size;
	if ((tx = store_begin(&cause)) == -1 ||
	    store_disk_update_size(vm, dop->do_disk, &cause) == -1) {
		/* the disk is larger already: say so, and what was not kept */
		log_warnx("%s: disk %d grown, not recorded: %s", vm->vm_name,
		    dop->do_disk, cause);
		if (tx == 0)
			store_rollback();
		why = xasprintf("%s: disk %d was grown, but the store did not "
		    "take it: %s", vm->vm_name, dop->do_disk, cause);
		dop->do_fn(dop->do_arg, FWS_ERR_INTERNAL, why, NULL);
		free(why);
		free(cause);
		disk_op_free(dop);
		return;
	}
	event_record_by(vm, dop->do_actor, "disk", "disk %d grown from %s to "
	    "%s%s", dop->do_disk, format_size(dop->do_was, a, sizeof(a)),
	    format_size(dop->do_size, b, sizeof(b)), vm_is_active(vm) ?
	    ", live" : "");
	if (store_commit(&cause) == -1) {
		log_warnx("%s: %s", vm->vm_name, cause);
		free(cause);
	}
	dop->do_fn(dop->do_arg, FWS_OK, NULL, json_pack("{ss sI si sI sb}",
	    "name", vm->vm_name, "owner", (json_int_t)vm->vm_owner, "disk",
	    dop->do_disk, "size", (json_int_t)dop->do_size, "live",
	    vm_is_active(vm)));
	disk_op_free(dop);
}

static void	disk_resize_live(struct disk_op *);

static void
disk_resized(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct disk_op	*dop = arg;

	(void)q;
	(void)ret;
	if (err_class != NULL && !dop->do_bare &&
	    strcmp(err_class, QMP_ERR_DISCONNECTED) != 0 &&
	    strstr(err_desc, "Cannot find") != NULL) {
		dop->do_bare = 1;
		disk_resize_live(dop);
		return;
	}
	if (err_class == NULL)
		disk_done(dop, NULL);
	else
		disk_done(dop, strcmp(err_class, QMP_ERR_DISCONNECTED) == 0 ?
		    "qemu went away" : err_desc);
}

/*
 * block_resize on the node the device reads through, the throttle node
 * (so that the guest is told its new capacity), or the image's own.
 */
static void
disk_resize_live(struct disk_op *dop)
{
	struct vm	*vm = dop->do_vm;
	char		 node[32];

	snprintf(node, sizeof(node), "%s%d", dop->do_bare ? FWS_DISK_NODE :
	    FWS_IO_NODE, vm->vm_disks[dop->do_disk].d_slot);
	if (vm->vm_qmp == NULL || qmp_execute(vm->vm_qmp, "block_resize",
	    json_pack("{ss sI}", "node-name", node, "size",
	    (json_int_t)dop->do_size), FWS_QMP_TIMEOUT, disk_resized,
	    dop) == -1)
		disk_done(dop, "no QMP connection to qemu");
}

static void
disk_img_exited(pid_t pid, int status, void *arg)
{
	struct disk_op	*dop = arg;
	char		*out;

	(void)pid;
	proc_unwatch(dop->do_watch);
	dop->do_watch = NULL;
	if (status == 0) {
		disk_done(dop, NULL);
		return;
	}
	out = proc_output(dop->do_out, DISK_OUTPUT_MAX);
	disk_done(dop, out);
	free(out);
}

/* qemu-img resize, as the VM's qemu uid, its words to do_out. */
static int
disk_img_run(struct disk_op *dop, char **cause)
{
	struct vm_disk	*d = &dop->do_vm->vm_disks[dop->do_disk];
	const char	*args[5];
	json_t		*o;
	char		*target, *js, size[32], suffix[48];
	int		 rc;

	o = json_pack("{ss s{ss ss}}", "driver", d->d_format, "file",
	    "driver", "file", "filename", d->d_path);
	if (strcmp(d->d_format, "qcow2") == 0)
		json_object_set_new(o, "backing", json_null());
	js = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (js == NULL)
		abort();
	target = xasprintf("json:%s", js);
	free(js);
	snprintf(size, sizeof(size), "%llu", (unsigned long long)dop->do_size);
	snprintf(suffix, sizeof(suffix), "qemu-img-resize.%d.out",
	    dop->do_disk);
	dop->do_out = vm_run_path(dop->do_vm, suffix);
	args[0] = "resize";
	args[1] = "-q";
	args[2] = target;
	args[3] = size;
	args[4] = NULL;
	rc = vm_qemu_img(dop->do_vm, args, dop->do_out, disk_img_exited, dop,
	    &dop->do_watch, cause) == -1 ? -1 : 0;
	free(target);
	return rc;
}

/* Refused before anything is done: fn hears why. */
static void
disk_refuse(fws_done_fn fn, void *arg, enum fws_err err, char *why)
{
	fn(arg, err, why, NULL);
	free(why);
}

/*
 * Grow vm's disk (its index) to size bytes, for ca: fn(arg, FWS_OK,
 * NULL, {name, owner, disk, size, live}) once it is done and recorded,
 * or the core's error and why.  The size it has already is no change.
 */
void
vm_disk_resize(struct vm *vm, const struct caller *ca, int disk,
    uint64_t size, fws_done_fn fn, void *arg)
{
	struct disk_op	*dop;
	struct vm_disk	*d;
	enum fws_err	 err;
	uint64_t	 was;
	char		 a[32], b[32], *why;
	int		 rc;

	if (disk < 0 || disk >= vm->vm_ndisks) {
		disk_refuse(fn, arg, FWS_ERR_NOT_FOUND, xasprintf("%s has no "
		    "disk %d (it has %d: fwsctl info)", vm->vm_name, disk,
		    vm->vm_ndisks));
		return;
	}
	d = &vm->vm_disks[disk];
	if (d->d_readonly) {
		disk_refuse(fn, arg, FWS_ERR_STATE, xasprintf("%s: disk %d is "
		    "a read-only image, which its VMs share", vm->vm_name,
		    disk));
		return;
	}
	if (is_rbd(d->d_path)) {
		disk_refuse(fn, arg, FWS_ERR_STATE, xasprintf("%s: disk %d is "
		    "an RBD image: grow it with rbd resize", vm->vm_name,
		    disk));
		return;
	}
	if (size < d->d_size) {
		disk_refuse(fn, arg, FWS_ERR_INVALID, xasprintf("%s: disk %d "
		    "is %s: shrinking it to %s is refused (the guest's file "
		    "system would lose its end)", vm->vm_name, disk,
		    format_size(d->d_size, a, sizeof(a)),
		    format_size(size, b, sizeof(b))));
		return;
	}
	if (size == d->d_size) {
		fn(arg, FWS_OK, NULL, json_pack("{ss sI si sI sb}", "name",
		    vm->vm_name, "owner", (json_int_t)vm->vm_owner, "disk",
		    disk, "size", (json_int_t)size, "live", 0));
		return;
	}
	if (size > conf.cf_max_disk_size) {
		disk_refuse(fn, arg, FWS_ERR_INVALID, xasprintf("disk %s is "
		    "more than this host allows for a disk: max_disk_size = "
		    "%s", format_size(size, a, sizeof(a)),
		    format_size(conf.cf_max_disk_size, b, sizeof(b))));
		return;
	}
	/* the quota, as if it were grown (a user's; not an admin's own) */
	if (!caller_exempt(ca, vm->vm_owner)) {
		was = d->d_size;
		d->d_size = size;
		rc = quota_check(vm->vm_owner, vm, &err, &why);
		d->d_size = was;
		if (rc == -1) {
			disk_refuse(fn, arg, err, why);
			return;
		}
	}
	if ((dop = calloc(1, sizeof(*dop))) == NULL) {
		fn(arg, FWS_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	dop->do_vm = vm;
	dop->do_actor = ca->ca_uid;
	dop->do_disk = disk;
	dop->do_size = size;
	dop->do_was = d->d_size;
	dop->do_fn = fn;
	dop->do_arg = arg;
	if (vm_job_begin(vm, JOB_DISK, ca->ca_uid, dop, &err, &why) == -1) {
		free(dop);
		disk_refuse(fn, arg, err, why);
		return;
	}
	if (vm_is_active(vm)) {
		disk_resize_live(dop);
		return;
	}
	if (disk_img_run(dop, &why) == -1) {
		disk_done(dop, why);
		free(why);
	}
}
