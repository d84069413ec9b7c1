/*
 * vm-disk-plug.c: a disk added to a VM (disk-add) or taken from it
 * (disk-remove).  A new disk is an empty qcow2 that qemu-img makes, as
 * the VM's qemu uid, in the VM's directory: fwsd's, deleted with the
 * VM, counted in the owner's quota; an existing file is checked as
 * create checks it (create_disk_check).  A VM without a qemu has its
 * definition changed; one with a qemu gets the disk live, as its start
 * would have given it: the writable file by path (the qemu uid's), the
 * read-only ones as descriptors (add-fd), node by node (blockdev-add),
 * its throttle group (object-add, with the disk's I/O limits) and its
 * throttle node over them, then the device on its slot's port
 * (device_add).  A disk taken out of a running qemu is first let go by
 * the guest (device_del, waited for: vm-plug.c), then its nodes (the
 * throttle node first), fdsets and throttle group.  The VM's job covers it
 * all; the definition and a "disk" event are one write, before the
 * reply.  A disk fwsd made is deleted when it is taken out; one it did
 * not make is kept, root's again.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"
#include "qmp.h"

#define PLUG_OUTPUT_MAX	4096	/* qemu-img's words, at most */

struct disk_plug {
	struct vm		*dp_vm;
	int64_t			 dp_actor;
	fws_done_fn		 dp_fn;
	void			*dp_arg;
	struct vm_disk		 dp_disk;	/* the one added, or removed */
	int			 dp_index;	/* its place in the list */
	int			 dp_made;	/* dp_disk's file is new */
	int			 dp_live;	/* a qemu has (had) it */
	struct proc_watch	*dp_watch;
	char			*dp_out;	/* qemu-img's words */
	json_t			*dp_undo;	/* steps that undo a live add */
	int			 dp_theirs;	/* dp_disk's strings are still
						   the VM's list's */
	int			 dp_nlayers;
	int			 dp_layer_fd[FWS_CHAIN_MAX];	/* handed to
						   qemu (1), or by path (0) */
	char			 dp_layer_format[FWS_CHAIN_MAX][8];
};

static void
disk_plug_free(struct disk_plug *dp, int keep_disk)
{
	vm_job_end(dp->dp_vm, dp);
	proc_unwatch(dp->dp_watch);
	if (dp->dp_out != NULL)
		unlink(dp->dp_out);
	free(dp->dp_out);
	json_decref(dp->dp_undo);
	if (!keep_disk && !dp->dp_theirs) {
		free(dp->dp_disk.d_path);
		free(dp->dp_disk.d_format);
	}
	free(dp);
}

/* Refused, or failed with nothing changed: why, and a new file gone. */
static void
disk_plug_fail(struct disk_plug *dp, enum fws_err err, const char *why)
{
	char	*s;

	if (dp->dp_made)
		unlink(dp->dp_disk.d_path);
	s = xasprintf("%s: %s", dp->dp_vm->vm_name, why);
	dp->dp_fn(dp->dp_arg, err, s, NULL);
	free(s);
	disk_plug_free(dp, 0);
}

static json_t *
disk_plug_result(struct disk_plug *dp)
{
	struct vm	*vm = dp->dp_vm;
	struct vm_disk	*d = &dp->dp_disk;

	return json_pack("{ss sI si ss ss sI sb sb sb}", "name", vm->vm_name,
	    "owner", (json_int_t)vm->vm_owner, "disk", dp->dp_index, "path",
	    d->d_path, "format", d->d_format, "size", (json_int_t)d->d_size,
	    "owned", d->d_owned, "readonly", d->d_readonly, "live",
	    dp->dp_live);
}

/* The definition and its event, one write; -1 and why when not kept. */
static int
disk_plug_store(struct disk_plug *dp, const char *what, char **cause)
{
	char		 a[32];

	return plug_record(dp->dp_vm, dp->dp_actor, "disk", cause,
	    "disk %d %s: %s (%s, %s%s)%s", dp->dp_index, what,
	    dp->dp_disk.d_path, dp->dp_disk.d_format,
	    format_size(dp->dp_disk.d_size, a, sizeof(a)),
	    dp->dp_disk.d_readonly ? ", read-only" : "",
	    dp->dp_live ? ", live" : "");
}

/* The disk is in the VM (and in its qemu, if it runs): record it. */
static void
disk_add_done(struct disk_plug *dp)
{
	struct vm	*vm = dp->dp_vm;
	char		*cause, *why;

	dp->dp_index = vm->vm_ndisks;
	vm->vm_disks[vm->vm_ndisks++] = dp->dp_disk;
	if (disk_plug_store(dp, "added", &cause) == -1) {
		vm->vm_ndisks--;
		log_warnx("%s: disk not recorded: %s", vm->vm_name, cause);
		if (dp->dp_live) {
			/* the guest has it until qemu ends: say so */
			why = xasprintf("%s: the disk is in the running guest, "
			    "but the store did not take it: %s", vm->vm_name,
			    cause);
			dp->dp_made = 0;
			dp->dp_fn(dp->dp_arg, FWS_ERR_INTERNAL, why, NULL);
			free(why);
			free(cause);
			disk_plug_free(dp, 0);
			return;
		}
		disk_plug_fail(dp, FWS_ERR_INTERNAL, cause);
		free(cause);
		return;
	}
	dp->dp_fn(dp->dp_arg, FWS_OK, NULL, disk_plug_result(dp));
	disk_plug_free(dp, 1);
}

static void
disk_add_undone(struct vm *vm, json_t *results, const char *err, void *arg)
{
	struct disk_plug *dp = arg;
	char		 *why = dp->dp_out;

	(void)vm;
	(void)results;
	(void)err;
	dp->dp_out = NULL;
	disk_plug_fail(dp, FWS_ERR_FAILED, why);
	free(why);
}

static void
disk_add_plugged(struct vm *vm, json_t *results, const char *err, void *arg)
{
	struct disk_plug *dp = arg;
	json_t		 *undo;

	(void)results;
	if (err == NULL) {
		disk_add_done(dp);
		return;
	}
	if (strcmp(err, PLUG_GONE) == 0) {
		disk_plug_fail(dp, FWS_ERR_FAILED, err);
		return;
	}
	/* what was made goes (whatever of it was), then the answer */
	if (dp->dp_out != NULL)
		unlink(dp->dp_out);
	free(dp->dp_out);
	dp->dp_out = xasprintf("qemu: %s", err);
	undo = dp->dp_undo;
	dp->dp_undo = NULL;
	plug_run(vm, undo, NULL, 0, disk_add_undone, dp);
}

/*
 * The nodes from the bottom of the chain up, each on the one below,
 * then the device; the undo list, top down, in case of a failure.
 */
static void
disk_add_fdsets(struct vm *vm, json_t *results, const char *err, void *arg)
{
	struct disk_plug *dp = arg;
	struct vm_disk	 *d = &dp->dp_disk;
	json_t		 *steps, *o, *fdset;
	char		  name[48], file[56], *path, *port, *below = NULL;
	size_t		  j = 0;
	int		  k, ro, slot = d->d_slot;

	if (err != NULL) {
		disk_plug_fail(dp, FWS_ERR_FAILED, err);
		return;
	}
	steps = json_array();
	dp->dp_undo = json_array();
	for (k = dp->dp_nlayers - 1; k >= 0; k--) {
		if (k == 0)
			snprintf(name, sizeof(name), FWS_DISK_NODE "%d", slot);
		else
			snprintf(name, sizeof(name), FWS_DISK_NODE "%d-%d",
			    slot, k);
		snprintf(file, sizeof(file), "%s-file", name);
		ro = k > 0 || d->d_readonly;
		if (dp->dp_layer_fd[k]) {
			fdset = json_object_get(json_array_get(results, j++),
			    "fdset-id");
			path = xasprintf("/dev/fdset/%" JSON_INTEGER_FORMAT,
			    json_integer_value(fdset));
			json_array_insert_new(dp->dp_undo, 0, plug_cmd(
			    "remove-fd", json_pack("{sI}", "fdset-id",
			    json_integer_value(fdset))));
		} else
			path = xasprintf("%s", d->d_path);
		json_array_append_new(steps, plug_cmd("blockdev-add",
		    json_pack("{ss ss ss sb}", "driver", "file", "node-name",
		    file, "filename", path, "read-only", ro)));
		o = json_pack("{ss ss ss sb}", "driver",
		    dp->dp_layer_format[k], "node-name", name, "file", file,
		    "read-only", ro);
		if (strcmp(dp->dp_layer_format[k], "qcow2") == 0)
			json_object_set_new(o, "backing", below != NULL ?
			    json_string(below) : json_null());
		json_array_append_new(steps, plug_cmd("blockdev-add", o));
		json_array_insert_new(dp->dp_undo, 0, plug_cmd("blockdev-del",
		    json_pack("{ss}", "node-name", file)));
		json_array_insert_new(dp->dp_undo, 0, plug_cmd("blockdev-del",
		    json_pack("{ss}", "node-name", name)));
		free(path);
		free(below);
		below = xasprintf("%s", name);
	}
	free(below);
	/* its throttle group and node, as a start makes them */
	json_array_append_new(steps, plug_cmd("object-add", json_pack(
	    "{ss so so}", "qom-type", "throttle-group", "id",
	    json_sprintf(FWS_IO_GROUP "%d", slot), "limits",
	    disk_io_qemu_limits(&d->d_io))));
	json_array_append_new(steps, plug_cmd("blockdev-add", json_pack(
	    "{ss so so so sb}", "driver", "throttle", "node-name",
	    json_sprintf(FWS_IO_NODE "%d", slot), "throttle-group",
	    json_sprintf(FWS_IO_GROUP "%d", slot), "file",
	    json_sprintf(FWS_DISK_NODE "%d", slot), "read-only",
	    d->d_readonly)));
	json_array_insert_new(dp->dp_undo, 0, plug_cmd("object-del",
	    json_pack("{so}", "id", json_sprintf(FWS_IO_GROUP "%d", slot))));
	json_array_insert_new(dp->dp_undo, 0, plug_cmd("blockdev-del",
	    json_pack("{so}", "node-name", json_sprintf(FWS_IO_NODE "%d",
	    slot))));
	for (j = 0; j < json_array_size(dp->dp_undo); j++)
		json_object_set_new(json_array_get(dp->dp_undo, j),
		    "may_fail", json_true());
	o = json_pack("{ss}", "driver", "virtio-blk-pci");
	json_object_set_new(o, "drive", json_sprintf(FWS_IO_NODE "%d", slot));
	json_object_set_new(o, "id", json_sprintf("disk%d", slot));
	if ((port = vm_qemu_port(conf.cf_machine, "disk", slot)) != NULL)
		json_object_set_new(o, "bus", json_string(port));
	free(port);
	json_array_append_new(steps, plug_cmd("device_add", o));
	plug_run(vm, steps, NULL, 0, disk_add_plugged, dp);
}

/*
 * Live: the file's chain opened and checked as a start checks it, the
 * writable file given to the qemu uid, the read-only ones handed over.
 */
static void
disk_add_live(struct disk_plug *dp)
{
	struct vm		*vm = dp->dp_vm;
	struct vm_disk		*d = &dp->dp_disk;
	struct image_chain	 ic;
	char			*dirs[FWS_IMAGE_DIRS_MAX + 1], *why;
	json_t			*steps;
	int			 fds[FWS_CHAIN_MAX], nfds = 0, n, k, rc;

	dp->dp_live = 1;
	if (!d->d_readonly && access_give_qemu(d->d_path, vm->vm_qemu_uid,
	    &why) == -1) {
		disk_plug_fail(dp, FWS_ERR_INTERNAL, why);
		free(why);
		return;
	}
	n = image_base_dirs(vm->vm_owner, dirs);
	rc = image_chain_open(d->d_path, d->d_format, dirs, n, &ic, &why);
	image_dirs_free(dirs, n);
	if (rc == -1) {
		disk_plug_fail(dp, FWS_ERR_INVALID, why);
		free(why);
		return;
	}
	steps = json_array();
	dp->dp_nlayers = ic.ic_n;
	for (k = 0; k < ic.ic_n; k++) {
		snprintf(dp->dp_layer_format[k], sizeof(dp->dp_layer_format[k]),
		    "%s", strcmp(ic.ic_layer[k].il_format, "qcow2") == 0 ?
		    "qcow2" : "raw");
		dp->dp_layer_fd[k] = k > 0 || d->d_readonly;
	}
	/* bottom up, as the nodes are made */
	for (k = ic.ic_n - 1; k >= 0; k--) {
		if (!dp->dp_layer_fd[k])
			continue;
		json_array_insert_new(steps, json_array_size(steps),
		    json_pack("{ss s{} si}", "execute", "add-fd", "arguments",
		    "fd", nfds));
		fds[nfds++] = ic.ic_layer[k].il_fd;
		ic.ic_layer[k].il_fd = -1;	/* plug_run's now */
	}
	image_chain_close(&ic);
	/* the descriptors are plug_run's; dp_layer_fd says whose layers */
	plug_run(vm, steps, fds, nfds, disk_add_fdsets, dp);
}

static void
disk_add_made(pid_t pid, int status, void *arg)
{
	struct disk_plug *dp = arg;
	char		 *out;

	(void)pid;
	proc_unwatch(dp->dp_watch);
	dp->dp_watch = NULL;
	if (status != 0) {
		out = proc_output(dp->dp_out, PLUG_OUTPUT_MAX);
		disk_plug_fail(dp, FWS_ERR_FAILED, out);
		free(out);
		return;
	}
	if (vm_is_active(dp->dp_vm))
		disk_add_live(dp);
	else
		disk_add_done(dp);
}

/* A new qcow2 in the VM's directory, made by qemu-img as its qemu uid. */
static void
disk_add_make(struct disk_plug *dp)
{
	struct vm	*vm = dp->dp_vm;
	const char	*args[7];
	char		 size[32], *why;
	int		 fd;

	if ((fd = open(dp->dp_disk.d_path, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		why = xasprintf("%s: %s", dp->dp_disk.d_path, strerror(errno));
		disk_plug_fail(dp, FWS_ERR_INTERNAL, why);
		free(why);
		return;
	}
	close(fd);
	dp->dp_made = 1;
	if (access_give_qemu(dp->dp_disk.d_path, vm->vm_qemu_uid,
	    &why) == -1) {
		disk_plug_fail(dp, FWS_ERR_INTERNAL, why);
		free(why);
		return;
	}
	snprintf(size, sizeof(size), "%llu",
	    (unsigned long long)dp->dp_disk.d_size);
	dp->dp_out = vm_run_path(vm, "qemu-img-create.out");
	args[0] = "create";
	args[1] = "-q";
	args[2] = "-f";
	args[3] = "qcow2";
	args[4] = dp->dp_disk.d_path;
	args[5] = size;
	args[6] = NULL;
	if (vm_qemu_img(vm, args, dp->dp_out, disk_add_made, dp,
	    &dp->dp_watch, &why) == -1) {
		disk_plug_fail(dp, FWS_ERR_FAILED, why);
		free(why);
	}
}

/* The lowest slot none of vm's disks has. */
static int
disk_free_slot(const struct vm *vm)
{
	int	 slot, i;

	for (slot = 0; slot < FWS_DISKS_MAX; slot++) {
		for (i = 0; i < vm->vm_ndisks; i++)
			if (vm->vm_disks[i].d_slot == slot)
				break;
		if (i == vm->vm_ndisks)
			return slot;
	}
	return -1;
}

/* A name in the directory of the VM's own disks no file nor disk has. */
static char *
disk_new_path(const struct vm *vm)
{
	char	*dir = vm_disk_dir(vm), *path;
	int	 n, i;

	for (n = 0;; n++) {
		path = xasprintf("%s/disk%d.qcow2", dir, n);
		for (i = 0; i < vm->vm_ndisks; i++)
			if (strcmp(vm->vm_disks[i].d_path, path) == 0)
				break;
		if (i == vm->vm_ndisks && access(path, F_OK) == -1 &&
		    errno == ENOENT)
			break;
		free(path);
	}
	free(dir);
	return path;
}

/* Refused before anything is done: fn hears why (freed). */
static void
disk_refuse(fws_done_fn fn, void *arg, enum fws_err err, char *why)
{
	fn(arg, err, why, NULL);
	free(why);
}

/*
 * Add a disk to vm for ca: a new one of cd_size bytes, or the file
 * cd_path in format cd_format.  fn(arg, FWS_OK, NULL, {name, owner,
 * disk, path, format, size, owned, readonly, live}) once it is there
 * and recorded, or the core's error and why.
 */
void
vm_disk_add(struct vm *vm, const struct caller *ca,
    const struct create_disk *cd, fws_done_fn fn, void *arg)
{
	struct disk_plug *dp;
	struct vm_disk	 d;
	enum fws_err	 err;
	char		 a[32], b[32], *why;
	int		 rc;

	if (vm_check(vm, EV_DISK, &err, &why) == -1) {
		disk_refuse(fn, arg, err, why);
		return;
	}
	if (vm->vm_ndisks >= FWS_DISKS_MAX) {
		disk_refuse(fn, arg, FWS_ERR_INVALID, xasprintf("%s has %d "
		    "disks, the most a VM may have", vm->vm_name,
		    FWS_DISKS_MAX));
		return;
	}
	memset(&d, 0, sizeof(d));
	if (cd->cd_path == NULL) {
		if (cd->cd_size == 0) {
			disk_refuse(fn, arg, FWS_ERR_INVALID,
			    xasprintf("a new disk needs a size"));
			return;
		}
		if (cd->cd_size > conf.cf_max_disk_size) {
			disk_refuse(fn, arg, FWS_ERR_INVALID, xasprintf("disk "
			    "%s is more than this host allows for a disk: "
			    "max_disk_size = %s", format_size(cd->cd_size, a,
			    sizeof(a)), format_size(conf.cf_max_disk_size, b,
			    sizeof(b))));
			return;
		}
		/* DISK_DIR/UUID of a VM made before disk_dir was set */
		if (vm_mkdir(vm, &why) == -1) {
			disk_refuse(fn, arg, FWS_ERR_INTERNAL, why);
			return;
		}
		d.d_path = disk_new_path(vm);
		d.d_format = xasprintf("qcow2");
		d.d_size = cd->cd_size;
		d.d_owned = 1;
	} else if ((rc = create_disk_check(ca, vm, cd->cd_path,
	    cd->cd_format, &d, &why)) != 0) {
		free(d.d_path);
		free(d.d_format);
		disk_refuse(fn, arg, rc == -2 ? FWS_ERR_EXISTS :
		    FWS_ERR_INVALID, why);
		return;
	}
	d.d_slot = disk_free_slot(vm);
	d.d_io = cd->cd_io;
	/* a user's ceilings (not an admin's, who sets them) */
	if (!ca->ca_admin && quota_disk_io(vm->vm_owner, &d.d_io,
	    vm->vm_ndisks, &err, &why) == -1) {
		free(d.d_path);
		free(d.d_format);
		disk_refuse(fn, arg, err, why);
		return;
	}
	/* as if it were there: the quota (a user's; not an admin's own),
	 * and an image, or a disk on one, onto a VM on a public network */
	vm->vm_disks[vm->vm_ndisks++] = d;
	rc = caller_exempt(ca, vm->vm_owner) ? 0 :
	    quota_check(vm->vm_owner, vm, &err, &why);
	if (rc == 0 && (rc = public_check(vm, NULL, NULL, 0, &why)) == -1)
		err = FWS_ERR_PERMISSION;
	vm->vm_ndisks--;
	vm->vm_disks[vm->vm_ndisks].d_path = NULL;
	vm->vm_disks[vm->vm_ndisks].d_format = NULL;
	if (rc == -1) {
		free(d.d_path);
		free(d.d_format);
		disk_refuse(fn, arg, err, why);
		return;
	}
	if ((dp = calloc(1, sizeof(*dp))) == NULL)
		abort();
	dp->dp_vm = vm;
	dp->dp_actor = ca->ca_uid;
	dp->dp_fn = fn;
	dp->dp_arg = arg;
	dp->dp_disk = d;
	if (vm_job_begin(vm, JOB_DISK, ca->ca_uid, dp, &err, &why) == -1) {
		free(d.d_path);
		free(d.d_format);
		free(dp);
		disk_refuse(fn, arg, err, why);
		return;
	}
	if (d.d_owned)
		disk_add_make(dp);
	else if (vm_is_active(vm))
		disk_add_live(dp);
	else
		disk_add_done(dp);
}

/* Out of the definition: recorded, then its file deleted or kept. */
static void
disk_remove_done(struct disk_plug *dp)
{
	struct vm	*vm = dp->dp_vm;
	struct vm_disk	*d = &dp->dp_disk;
	char		*cause, *why;
	int		 i, n = vm->vm_ndisks;

	memmove(&vm->vm_disks[dp->dp_index], &vm->vm_disks[dp->dp_index + 1],
	    (n - dp->dp_index - 1) * sizeof(*d));
	vm->vm_ndisks--;
	dp->dp_theirs = 0;	/* dp's alone now */
	memset(&vm->vm_disks[vm->vm_ndisks], 0, sizeof(*d));
	/* no qemu knows the slots: number them as they are listed again */
	if (!vm_is_active(vm))
		for (i = 0; i < vm->vm_ndisks; i++)
			vm->vm_disks[i].d_slot = i;
	if (disk_plug_store(dp, "removed", &cause) == -1) {
		log_warnx("%s: disk %d removed, not recorded: %s", vm->vm_name,
		    dp->dp_index, cause);
		why = xasprintf("%s: disk %d was taken out, but the store did "
		    "not take it: %s", vm->vm_name, dp->dp_index, cause);
		dp->dp_fn(dp->dp_arg, FWS_ERR_INTERNAL, why, NULL);
		free(why);
		free(cause);
		disk_plug_free(dp, 0);
		return;
	}
	if (is_rbd(d->d_path)) {
		if (d->d_owned)
			rbd_image_remove(vm->vm_name, d->d_path);
	} else if (d->d_owned) {
		if (unlink(d->d_path) == -1 && errno != ENOENT)
			log_warn("%s: unlink %s", vm->vm_name, d->d_path);
	} else if (!d->d_readonly && access_take_back(d->d_path,
	    &cause) == -1) {
		log_warnx("%s: %s", vm->vm_name, cause);
		free(cause);
	}
	dp->dp_fn(dp->dp_arg, FWS_OK, NULL, json_pack("{ss sI si ss sb sb}",
	    "name", vm->vm_name, "owner", (json_int_t)vm->vm_owner, "disk",
	    dp->dp_index, "path", d->d_path, "deleted", d->d_owned, "live",
	    dp->dp_live));
	disk_plug_free(dp, 0);
}

static void
disk_remove_freed(struct vm *vm, json_t *results, const char *err,
    void *arg)
{
	(void)results;
	if (err != NULL)
		log_warnx("%s: a removed disk's nodes stay in qemu: %s",
		    vm->vm_name, err);
	disk_remove_done(arg);
}

/* Is node one of the disk in slot's: "fws-diskS", "fws-diskS-..."? */
static int
disk_node_of(const char *node, int slot)
{
	char	 top[32];
	size_t	 n;

	n = (size_t)snprintf(top, sizeof(top), FWS_DISK_NODE "%d", slot);
	return strncmp(node, top, n) == 0 && (node[n] == '\0' ||
	    node[n] == '-');
}

/* Its nodes, parents first (by name: top, its file, layer 1, ...). */
static int
disk_node_cmp(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	    json_string_value(*(json_t *const *)b));
}

/* The guest let it go: its nodes, then its fdsets. */
static void
disk_remove_nodes(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct disk_plug *dp = arg;
	json_t		 *steps, *o, *sets, *v;
	json_t		 *list[2 * FWS_CHAIN_MAX];
	const char	 *node, *file;
	char		  io[32];
	long long	  set;
	size_t		  i, n = 0;
	int		  end, has_io = 0;

	(void)q;
	if (err_class != NULL) {
		log_warnx("%s: query-named-block-nodes: %s", dp->dp_vm->vm_name,
		    err_desc);
		disk_remove_done(dp);
		return;
	}
	snprintf(io, sizeof(io), FWS_IO_NODE "%d", dp->dp_disk.d_slot);
	sets = json_array();
	json_array_foreach(ret, i, o) {
		node = json_string_value(json_object_get(o, "node-name"));
		file = json_string_value(json_object_get(o, "file"));
		if (node != NULL && strcmp(node, io) == 0)
			has_io = 1;
		if (node == NULL || !disk_node_of(node, dp->dp_disk.d_slot))
			continue;
		if (n < sizeof(list) / sizeof(*list))
			list[n++] = json_string(node);
		if (file != NULL && sscanf(file, "/dev/fdset/%lld%n", &set,
		    &end) == 1 && file[end] == '\0' && strstr(node,
		    "-file") != NULL)
			json_array_append_new(sets, json_integer(set));
	}
	qsort(list, n, sizeof(*list), disk_node_cmp);
	steps = json_array();
	/* the throttle node is the parent of them all */
	if (has_io)
		json_array_append_new(steps, plug_cmd("blockdev-del",
		    json_pack("{ss}", "node-name", io)));
	for (i = 0; i < n; i++) {
		json_array_append_new(steps, plug_cmd("blockdev-del",
		    json_pack("{so}", "node-name", list[i])));
	}
	json_array_foreach(sets, i, v)
		json_array_append_new(steps, plug_cmd("remove-fd",
		    json_pack("{sO}", "fdset-id", v)));
	json_decref(sets);
	if (has_io) {
		o = plug_cmd("object-del", json_pack("{ss}", "id", io));
		json_object_set_new(o, "may_fail", json_true());
		json_array_append_new(steps, o);
	}
	plug_run(dp->dp_vm, steps, NULL, 0, disk_remove_freed, dp);
}

static void
disk_remove_unplugged(struct vm *vm, json_t *results, const char *err,
    void *arg)
{
	struct disk_plug *dp = arg;

	(void)results;
	if (err != NULL) {
		disk_plug_fail(dp, FWS_ERR_FAILED, err);
		return;
	}
	if (vm->vm_qmp == NULL || qmp_execute(vm->vm_qmp,
	    "query-named-block-nodes", json_pack("{sb}", "flat", 1),
	    FWS_QMP_TIMEOUT, disk_remove_nodes, dp) == -1)
		disk_remove_done(dp);
}

/*
 * Take disk (its index, as info lists them) from vm for ca: fn(arg,
 * FWS_OK, NULL, {name, owner, disk, path, deleted, live}) once it is
 * out and recorded, or the core's error and why.  A running VM keeps
 * its boot disk.
 */
void
vm_disk_remove(struct vm *vm, const struct caller *ca, int disk,
    fws_done_fn fn, void *arg)
{
	struct disk_plug *dp;
	enum fws_err	 err;
	char		 id[32], *why;

	if (vm_check(vm, EV_DISK, &err, &why) == -1) {
		disk_refuse(fn, arg, err, why);
		return;
	}
	if (disk < 0 || disk >= vm->vm_ndisks) {
		disk_refuse(fn, arg, FWS_ERR_NOT_FOUND, xasprintf("%s has no "
		    "disk %d (it has %d: fwsctl info)", vm->vm_name, disk,
		    vm->vm_ndisks));
		return;
	}
	if (disk == 0 && vm_is_active(vm)) {
		disk_refuse(fn, arg, FWS_ERR_STATE, xasprintf("%s is %s: its "
		    "boot disk (disk 0) stays while it runs; stop it first",
		    vm->vm_name, vm_state_name(vm->vm_state)));
		return;
	}
	if ((dp = calloc(1, sizeof(*dp))) == NULL)
		abort();
	dp->dp_vm = vm;
	dp->dp_actor = ca->ca_uid;
	dp->dp_fn = fn;
	dp->dp_arg = arg;
	dp->dp_index = disk;
	if (vm_job_begin(vm, JOB_DISK, ca->ca_uid, dp, &err, &why) == -1) {
		free(dp);
		disk_refuse(fn, arg, err, why);
		return;
	}
	/* the list's entry: dp's once it is out of the list */
	dp->dp_disk = vm->vm_disks[disk];
	dp->dp_theirs = 1;
	if (!vm_is_active(vm)) {
		disk_remove_done(dp);
		return;
	}
	dp->dp_live = 1;
	snprintf(id, sizeof(id), "disk%d", dp->dp_disk.d_slot);
	plug_unplug(vm, id, disk_remove_unplugged, dp);
}
