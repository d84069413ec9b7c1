/*
 * clone.c: a VM made from a stopped VM's disks ("clone SRC NEW").  The
 * new VM takes the source's vCPUs, memory, networks (each NIC a new
 * random MAC), ISO, kernel, initrd, command line, restart policy,
 * loan, each disk's I/O limits (held to the owner's ceilings) and its
 * cloud-init seed's content (a seed of its own, made anew: its uuid as
 * the instance-id, so that cloud-init in the clone runs as in a new
 * machine, and its name as the host name); it gets a new uuid, its own
 * qemu uid, autostart off, no pins and no snapshots.  It is its owner's, the source's owner, and counts
 * against their quota as create counts a VM.  Read-only disks (images
 * of the library or the owner's) are shared, as create shares them.
 *
 * A full clone copies each writable disk with qemu-img convert, run as
 * the source's qemu uid (the one uid that may read the source) into a
 * file fwsd made for it, which is the new VM's once it is written.
 * Internal snapshots are not copied.  A disk that is an overlay on an
 * image stays one: its own clusters are copied on a stand-in backing
 * file (a sparse file of its size, so the base is never opened: it is
 * root's) and the copy is then given the real base with rebase -u.
 *
 * A linked clone copies nothing.  Each writable disk of the source
 * becomes one of the owner's images (moved into their image directory,
 * root's and read-only from then on, counted by quota_images and
 * quota_disk as images are), and both VMs get a fresh qcow2 overlay on
 * it: the source keeps its disk's path and goes on where it was, the
 * new VM starts from the same bytes, and neither can change what the
 * other reads.  image-delete refuses an image while an overlay uses it.
 * A disk with internal snapshots is refused (they would stay in the
 * base, out of the source's reach), and so is a raw disk.
 *
 * The source is the clone's job (JOB_CLONE) while its disks are read or
 * moved, the new VM is in its JOB_CREATE until it is in the store.  A
 * failure takes back all that was made, and moves the source's disks
 * back where they were.  clone_vm speaks no protocol (cmd-clone.c).
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "fws.h"
#include "log.h"

#define CLONE_OUTPUT_MAX	2048	/* qemu-img's words kept for errors */

struct clone {
	struct vm		*cl_src;
	struct vm		*cl_vm;		/* the new one */
	struct caller		 cl_caller;
	int			 cl_linked;
	fws_progress_fn		 cl_progress;
	fws_done_fn		 cl_done;
	void			*cl_arg;
	int			 cl_next;	/* the disk qemu-img works on */
	int			 cl_step;	/* its step: 0, then 1 */
	int			 cl_made[FWS_DISKS_MAX];	/* new VM's file */
	/* full: the base of the source's disk (NULL: none); linked: the
	 * image the source's disk becomes */
	char			*cl_base[FWS_DISKS_MAX];
	char			*cl_base_format[FWS_DISKS_MAX];
	uint64_t		 cl_size[FWS_DISKS_MAX];	/* virtual */
	/* linked: the source's new overlay until it takes the disk's
	 * place, and whether it has */
	char			*cl_temp[FWS_DISKS_MAX];
	int			 cl_swapped[FWS_DISKS_MAX];
	char			*cl_blank;	/* full: a stand-in base */
	uint64_t		 cl_total;	/* bytes to copy, all disks */
	uint64_t		 cl_copied;	/* of the disks done */
	int			 cl_percent;	/* last one told */
	struct proc_watch	*cl_watch;
	struct bufferevent	*cl_out;	/* qemu-img's stdout+stderr */
	char			 cl_said[CLONE_OUTPUT_MAX];
	struct seed_iso		*cl_seed;	/* the seed under way */
	int			 cl_seeded;	/* the seed is made */
};

static void	clone_next(struct clone *);

/* The linked clone's disks back where they were: the source as before. */
static void
clone_unswap(struct clone *cl)
{
	struct vm	*src = cl->cl_src;
	const char	*path;
	char		*cause;
	int		 i;

	for (i = 0; i < src->vm_ndisks; i++) {
		if (!cl->cl_swapped[i])
			continue;
		path = src->vm_disks[i].d_path;
		if (rename(path, cl->cl_temp[i]) == -1 ||
		    rename(cl->cl_base[i], path) == -1) {
			log_warn("%s: cannot put disk %d back from %s",
			    src->vm_name, i, cl->cl_base[i]);
			continue;
		}
		if (access_give_qemu(path, src->vm_qemu_uid, &cause) == -1) {
			log_warnx("%s: %s", src->vm_name, cause);
			free(cause);
		}
		cl->cl_swapped[i] = 0;
	}
}

static void
clone_free(struct clone *cl, int discard)
{
	struct vm	*vm = cl->cl_vm;
	char		*dir;
	int		 i;

	if (cl->cl_out != NULL)
		bufferevent_free(cl->cl_out);
	proc_unwatch(cl->cl_watch);
	if (cl->cl_blank != NULL)
		unlink(cl->cl_blank);
	free(cl->cl_blank);
	seed_iso_cancel(cl->cl_seed);
	if (discard && cl->cl_seeded)
		seed_iso_remove(vm);
	for (i = 0; i < FWS_DISKS_MAX; i++) {
		if (discard && cl->cl_made[i])
			unlink(vm->vm_disks[i].d_path);
		if (cl->cl_temp[i] != NULL && !cl->cl_swapped[i])
			unlink(cl->cl_temp[i]);
		free(cl->cl_temp[i]);
		free(cl->cl_base[i]);
		free(cl->cl_base_format[i]);
	}
	vm_job_end(cl->cl_src, cl);
	if (discard) {
		dir = vm_dir(vm);
		rmdir(dir);	/* only if nothing else is in it */
		free(dir);
		vm_rmdir_disks(vm);
		TAILQ_REMOVE(&vms, vm, vm_entry);
		vm_free(vm);
	}
	free(cl);
}

/* The clone is not made: the source as it was, and why (why is freed). */
static void
clone_fail(struct clone *cl, enum fws_err err, char *why)
{
	clone_unswap(cl);
	cl->cl_done(cl->cl_arg, err, why, NULL);
	free(why);
	clone_free(cl, 1);
}

/* The whole clone's percent, from qemu-img's for the disk it copies. */
static void
clone_percent(struct clone *cl, double pct)
{
	uint64_t	 at;
	int		 total;

	if (cl->cl_total == 0)
		return;
	at = cl->cl_copied + (uint64_t)(cl->cl_size[cl->cl_next] *
	    (pct / 100));
	total = (int)(at * 100 / cl->cl_total);
	if (total > 99)
		total = 99;	/* 100: done, and said by the reply */
	if (total <= cl->cl_percent)
		return;
	cl->cl_percent = total;
	vm_job_progress(cl->cl_src, total, "copying disks");
	vm_job_progress(cl->cl_vm, total, "copying disks");
	cl->cl_progress(cl->cl_arg, total, "copying");
}

/* qemu-img -p's output: the copy's percent. */
static void
clone_read(struct bufferevent *bev, void *arg)
{
	struct clone	*cl = arg;
	double		 pct;

	pct = img_progress_read(bufferevent_get_input(bev), cl->cl_said,
	    sizeof(cl->cl_said));
	if (pct >= 0)
		clone_percent(cl, pct);
}

static void
clone_exited(pid_t pid, int status, void *arg)
{
	struct clone	*cl = arg;
	char		*words, *why;

	(void)pid;
	proc_unwatch(cl->cl_watch);
	cl->cl_watch = NULL;
	if (cl->cl_out != NULL) {
		clone_read(cl->cl_out, cl);	/* the rest: it is gone */
		bufferevent_free(cl->cl_out);
		cl->cl_out = NULL;
	}
	if (status != 0) {
		words = img_last_words(cl->cl_said, "it said nothing");
		why = xasprintf("%s: disk %d: qemu-img failed: %s",
		    cl->cl_vm->vm_name, cl->cl_next, words);
		free(words);
		clone_fail(cl, FWS_ERR_FAILED, why);
		return;
	}
	cl->cl_step++;
	clone_next(cl);
}

/* qemu-img args as vm's qemu uid, its output read in the loop. */
static int
clone_spawn(struct clone *cl, const struct vm *as, const char *const *args,
    char **cause)
{
	int	 p[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		return cause_fail(cause, "pipe: %s", strerror(errno));
	if (vm_qemu_img_fd(as, args, p[1], clone_exited, cl, &cl->cl_watch,
	    cause) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	cl->cl_said[0] = '\0';
	cl->cl_out = bufferevent_socket_new(base, p[0], BEV_OPT_CLOSE_ON_FREE);
	if (cl->cl_out == NULL) {
		close(p[0]);
		return cause_fail(cause, "out of memory");
	}
	bufferevent_setcb(cl->cl_out, clone_read, NULL, NULL, cl);
	bufferevent_enable(cl->cl_out, EV_READ);
	return 0;
}

/* A file made here, empty, for vm's qemu uid: 0, or -1 and why. */
static int
clone_file(const char *path, const struct vm *vm, uint64_t size,
    char **cause)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return cause_fail(cause, "%s: %s", path, strerror(errno));
	if (size > 0 && ftruncate(fd, (off_t)size) == -1) {
		cause_fail(cause, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return access_give_qemu(path, vm->vm_qemu_uid, cause);
}

/* json:{...}: a file in a format, its backing as given (NULL: none). */
static char *
clone_json(const char *path, const char *fmt, const char *backing)
{
	json_t	*o;
	char	*js, *s;

	o = json_pack("{ss s{ss ss}}", "driver", fmt, "file", "driver", "file",
	    "filename", path);
	if (backing != NULL)
		json_object_set_new(o, "backing", json_pack("{ss s{ss ss}}",
		    "driver", "raw", "file", "driver", "file", "filename",
		    backing));
	else if (strcmp(fmt, "qcow2") == 0)
		json_object_set_new(o, "backing", json_null());
	js = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (js == NULL)
		abort();
	s = xasprintf("json:%s", js);
	free(js);
	return s;
}

/*
 * A full clone's disk i: step 0 copies it (an overlay on its stand-in
 * base), step 1 gives an overlay's copy its real base.
 */
static int
clone_copy(struct clone *cl, int i, char **cause)
{
	struct vm_disk	*d = &cl->cl_src->vm_disks[i];
	struct vm_disk	*nd = &cl->cl_vm->vm_disks[i];
	const char	*args[14];
	char		*src, *dir;
	int		 n = 0, rc;

	if (cl->cl_step == 1) {
		args[n++] = "rebase";
		args[n++] = "-q";
		args[n++] = "-u";
		args[n++] = "-f";
		args[n++] = "qcow2";
		args[n++] = "-F";
		args[n++] = cl->cl_base_format[i];
		args[n++] = "-b";
		args[n++] = cl->cl_base[i];
		args[n++] = nd->d_path;
		args[n] = NULL;
		return clone_spawn(cl, cl->cl_src, args, cause);
	}
	cl->cl_made[i] = 1;
	if (clone_file(nd->d_path, cl->cl_src, 0, cause) == -1)
		return -1;
	if (cl->cl_base[i] != NULL) {
		dir = vm_dir(cl->cl_vm);
		cl->cl_blank = xasprintf("%s/.disk%d.blank", dir, i);
		free(dir);
		if (clone_file(cl->cl_blank, cl->cl_src, cl->cl_size[i],
		    cause) == -1)
			return -1;
	}
	src = clone_json(d->d_path, d->d_format, cl->cl_blank);
	args[n++] = "convert";
	args[n++] = "-p";
	args[n++] = "-f";
	args[n++] = d->d_format;
	args[n++] = "-O";
	args[n++] = d->d_format;
	if (cl->cl_blank != NULL) {
		/* only the overlay's own clusters: the rest is its base's */
		args[n++] = "-B";
		args[n++] = cl->cl_blank;
		args[n++] = "-F";
		args[n++] = "raw";
	}
	args[n++] = src;
	args[n++] = nd->d_path;
	args[n] = NULL;
	rc = clone_spawn(cl, cl->cl_src, args, cause);
	free(src);
	return rc;
}

/*
 * A linked clone's disk i: step 0 makes the source's new overlay, step 1
 * the new VM's, both on the image the disk is to become (not opened:
 * it is not there yet).
 */
static int
clone_overlay(struct clone *cl, int i, char **cause)
{
	const struct vm	*as = cl->cl_step == 0 ? cl->cl_src : cl->cl_vm;
	const char	*args[12];
	char		*path, size[32];

	if (cl->cl_step == 0) {
		path = cl->cl_temp[i];
		unlink(path);	/* left by a clone cut short */
	} else {
		path = cl->cl_vm->vm_disks[i].d_path;
		cl->cl_made[i] = 1;
	}
	if (clone_file(path, as, 0, cause) == -1)
		return -1;
	snprintf(size, sizeof(size), "%llu",
	    (unsigned long long)cl->cl_size[i]);
	args[0] = "create";
	args[1] = "-q";
	args[2] = "-f";
	args[3] = "qcow2";
	args[4] = "-u";
	args[5] = "-F";
	args[6] = "qcow2";
	args[7] = "-b";
	args[8] = cl->cl_base[i];
	args[9] = path;
	args[10] = size;
	args[11] = NULL;
	return clone_spawn(cl, as, args, cause);
}

/*
 * The source's disks become images, its new overlays take their places:
 * two renames each.  -1 and why, every disk back where it was.
 */
static int
clone_swap(struct clone *cl, char **cause)
{
	struct vm	*src = cl->cl_src;
	const char	*path;
	char		*why;
	int		 i;

	for (i = 0; i < src->vm_ndisks; i++) {
		if (src->vm_disks[i].d_readonly)
			continue;
		path = src->vm_disks[i].d_path;
		/* an image is root's alone: qemu gets it as a descriptor */
		if (access_take_back(path, cause) == -1)
			goto fail;
		if (rename(path, cl->cl_base[i]) == -1) {
			cause_fail(cause, "cannot move %s to %s: %s", path,
			    cl->cl_base[i], strerror(errno));
			goto give_back;
		}
		if (rename(cl->cl_temp[i], path) == -1) {
			cause_fail(cause, "cannot move %s to %s: %s",
			    cl->cl_temp[i], path, strerror(errno));
			if (rename(cl->cl_base[i], path) == -1)
				log_warn("%s: cannot put disk %d back from %s",
				    src->vm_name, i, cl->cl_base[i]);
			goto give_back;
		}
		cl->cl_swapped[i] = 1;
	}
	return 0;

give_back:
	if (access_give_qemu(path, src->vm_qemu_uid, &why) == -1) {
		log_warnx("%s: %s", src->vm_name, why);
		free(why);
	}
fail:
	clone_unswap(cl);
	return -1;
}

/* Every disk made: the new VM into the store, and announced. */
static void
clone_commit(struct clone *cl)
{
	struct vm	*vm = cl->cl_vm, *src = cl->cl_src;
	char		*cause, *why;

	if (cl->cl_linked && clone_swap(cl, &cause) == -1) {
		why = xasprintf("%s: %s", vm->vm_name, cause);
		free(cause);
		clone_fail(cl, FWS_ERR_INTERNAL, why);
		return;
	}
	if (store_vm_insert(vm, &cause) == -1) {
		why = xasprintf("%s: %s", vm->vm_name, cause);
		free(cause);
		clone_fail(cl, FWS_ERR_INTERNAL, why);
		return;
	}
	vm_job_end(vm, NULL);	/* made: everyone may see it */
	net_dhcp_sync();
	event_record_by(vm, cl->cl_caller.ca_uid, "created", "%s clone of "
	    "%s: vcpus %u, memory %llu MiB, disks %d, restart %s",
	    cl->cl_linked ? "a linked" : "a full", src->vm_name, vm->vm_vcpus,
	    (unsigned long long)vm->vm_memory_mib, vm->vm_ndisks,
	    vm_restart_name(vm->vm_restart));
	event_record_by(src, cl->cl_caller.ca_uid, "cloned", "to %s%s",
	    vm->vm_name, cl->cl_linked ? ", linked: its disks are images "
	    "now, under overlays of both" : "");
	log_info("%s: cloned to %s%s by uid %u", src->vm_name, vm->vm_name,
	    cl->cl_linked ? " (linked)" : "", (unsigned)cl->cl_caller.ca_uid);
	loan_changed();
	cl->cl_done(cl->cl_arg, FWS_OK, NULL, vm_to_json(vm, 1));
	clone_free(cl, 0);
}

/* genisoimage is done: the clone's seed is there (why NULL), or not. */
static void
clone_seed_done(void *arg, char *why)
{
	struct clone	*cl = arg;

	cl->cl_seed = NULL;	/* seed.c's to free */
	if (why != NULL) {
		clone_fail(cl, FWS_ERR_FAILED, xasprintf("%s: cannot make "
		    "the cloud-init seed: %s", cl->cl_vm->vm_name, why));
		return;
	}
	cl->cl_seeded = 1;
	clone_next(cl);
}

/* The next step of the disk under way, the next disk, or the end. */
static void
clone_next(struct clone *cl)
{
	struct vm	*src = cl->cl_src;
	char		*cause, *why;
	int		 rc;

	for (;;) {
		if (cl->cl_next == src->vm_ndisks && cl->cl_vm->vm_seed !=
		    NULL && !cl->cl_seeded) {
			/* the seed, then the store, as create has it */
			cl->cl_seed = seed_iso_make(cl->cl_vm,
			    clone_seed_done, cl, &cause);
			if (cl->cl_seed == NULL) {
				clone_fail(cl, FWS_ERR_FAILED, xasprintf("%s: "
				    "cannot make the cloud-init seed: %s",
				    cl->cl_vm->vm_name, cause));
				free(cause);
			}
			return;
		}
		if (cl->cl_next == src->vm_ndisks) {
			clone_commit(cl);
			return;
		}
		if (!src->vm_disks[cl->cl_next].d_readonly &&
		    (cl->cl_step == 0 || (cl->cl_step == 1 &&
		    (cl->cl_linked || cl->cl_base[cl->cl_next] != NULL))))
			break;
		/* this disk is done */
		if (!src->vm_disks[cl->cl_next].d_readonly && !cl->cl_linked) {
			cl->cl_copied += cl->cl_size[cl->cl_next];
			if (cl->cl_blank != NULL) {
				unlink(cl->cl_blank);
				free(cl->cl_blank);
				cl->cl_blank = NULL;
			}
			if (access_give_qemu(cl->cl_vm->vm_disks[cl->cl_next].
			    d_path, cl->cl_vm->vm_qemu_uid, &cause) == -1) {
				why = xasprintf("%s: %s", cl->cl_vm->vm_name,
				    cause);
				free(cause);
				clone_fail(cl, FWS_ERR_INTERNAL, why);
				return;
			}
		}
		cl->cl_next++;
		cl->cl_step = 0;
	}
	rc = cl->cl_linked ? clone_overlay(cl, cl->cl_next, &cause) :
	    clone_copy(cl, cl->cl_next, &cause);
	if (rc == -1) {
		why = xasprintf("%s: disk %d: %s", cl->cl_vm->vm_name,
		    cl->cl_next, cause);
		free(cause);
		clone_fail(cl, FWS_ERR_FAILED, why);
	}
}

/*
 * The image the source's disk i becomes: NAME.diskI.N, the first N
 * free.  -1 when none is.
 */
static int
clone_image_name(struct clone *cl, int i, char **cause)
{
	char	*dir, name[FWS_NAME_MAX + 1];
	int	 n, j, taken;

	dir = access_user_path(cl->cl_src->vm_owner, "images");
	for (n = 1; n < 1000; n++) {
		if (snprintf(name, sizeof(name), "%.48s.disk%d.%d",
		    cl->cl_src->vm_name, i, n) >= (int)sizeof(name))
			break;		/* cannot be: 48 + 14 at most */
		free(cl->cl_base[i]);
		cl->cl_base[i] = xasprintf("%s/%s.qcow2", dir, name);
		taken = access(cl->cl_base[i], F_OK) == 0;
		for (j = 0; j < i && !taken; j++)
			taken = cl->cl_base[j] != NULL &&
			    strcmp(cl->cl_base[j], cl->cl_base[i]) == 0;
		if (!taken && validate_name(name, NULL) == 0) {
			free(dir);
			return 0;
		}
	}
	free(dir);
	return cause_fail(cause, "%s: disk %d: no free image name",
	    cl->cl_src->vm_name, i);
}

/*
 * The source's disk i, read as it will be: its chain checked, its size;
 * full: its base, if any; linked: a qcow2 without snapshots whose chain
 * may grow by one, and the image it becomes.
 */
static int
clone_source_disk(struct clone *cl, int i, enum fws_err *err, char **cause)
{
	struct vm	*src = cl->cl_src;
	struct vm_disk	*d = &src->vm_disks[i];
	struct image_chain ic;
	char		*dirs[FWS_IMAGE_DIRS_MAX + 1];
	uint32_t	 nsnaps = 0;
	int		 n, rc = -1;

	*err = FWS_ERR_STATE;
	if (cl->cl_linked && strcmp(d->d_format, "qcow2") != 0)
		return cause_fail(cause, "%s: disk %d is %s: a linked clone "
		    "needs qcow2 disks (a full clone copies it)", src->vm_name,
		    i, d->d_format);
	n = image_base_dirs(src->vm_owner, dirs);
	if (image_chain_open(d->d_path, d->d_format, dirs, n, &ic,
	    cause) == -1)
		goto out;
	cl->cl_size[i] = ic.ic_layer[0].il_size;
	if (!cl->cl_linked) {
		if (ic.ic_n > 1) {
			cl->cl_base[i] = xasprintf("%s", ic.ic_layer[1].il_path);
			cl->cl_base_format[i] = xasprintf("%s",
			    ic.ic_layer[1].il_format);
		}
		rc = 0;
		goto out;
	}
	if (image_snapshot_count(ic.ic_layer[0].il_fd, d->d_path, &nsnaps,
	    cause) == -1)
		goto out;
	if (nsnaps > 0) {
		cause_fail(cause, "%s: disk %d holds %u snapshot%s: a linked "
		    "clone would leave them in its base, out of %s's reach; "
		    "delete them first, or make a full clone", src->vm_name,
		    i, nsnaps, nsnaps == 1 ? "" : "s", src->vm_name);
		goto out;
	}
	if (ic.ic_n >= FWS_BACKING_DEPTH) {
		cause_fail(cause, "%s: disk %d is on a chain of %d images "
		    "already (at most %d): make a full clone", src->vm_name, i,
		    ic.ic_n - 1, FWS_BACKING_DEPTH);
		goto out;
	}
	cl->cl_temp[i] = xasprintf("%s.clone", d->d_path);
	*err = FWS_ERR_INTERNAL;
	rc = clone_image_name(cl, i, cause);
out:
	image_chain_close(&ic);
	image_dirs_free(dirs, n);
	return rc;
}

/* The new VM's definition, from the source's; -1 with *err and why. */
static int
clone_define(struct clone *cl, const char *name, enum fws_err *err,
    char **cause)
{
	struct vm	*src = cl->cl_src, *vm = cl->cl_vm;
	struct vm_disk	*d, *nd;
	char		*dir;
	int		 i;

	for (i = 0; i < src->vm_ndisks; i++)
		if (is_rbd(src->vm_disks[i].d_path)) {
			*err = FWS_ERR_STATE;
			return cause_fail(cause, "%s: disk %d is an RBD image "
			    "(%s): clone it with rbd clone, then create --disk",
			    src->vm_name, i, src->vm_disks[i].d_path);
		}

	vm->vm_owner = src->vm_owner;
	snprintf(vm->vm_name, sizeof(vm->vm_name), "%s", name);
	vm->vm_vcpus = src->vm_vcpus;
	vm->vm_memory_mib = src->vm_memory_mib;
	vm->vm_cpu_weight = src->vm_cpu_weight;
	vm->vm_cpu_max = src->vm_cpu_max;
	vm->vm_restart = src->vm_restart;
	vm->vm_display = src->vm_display;
	vm->vm_loan.lo_end = src->vm_loan.lo_end;
	vm->vm_iso_booted = src->vm_iso_booted;
#define CLONE_STR(f)	(src->f != NULL ? xasprintf("%s", src->f) : NULL)
	vm->vm_iso = CLONE_STR(vm_iso);
	vm->vm_kernel = CLONE_STR(vm_kernel);
	vm->vm_initrd = CLONE_STR(vm_initrd);
	vm->vm_append = CLONE_STR(vm_append);
#undef CLONE_STR
	/* the seed's content; its image is made anew (clone_next) */
	if (src->vm_seed != NULL &&
	    (vm->vm_seed = json_deep_copy(src->vm_seed)) == NULL) {
		*err = FWS_ERR_INTERNAL;
		return cause_fail(cause, "out of memory");
	}
	create_random_mac(vm->vm_mac, sizeof(vm->vm_mac));
	for (i = 0; i < src->vm_nnics; i++) {
		snprintf(vm->vm_nics[i].n_net, sizeof(vm->vm_nics[i].n_net),
		    "%s", src->vm_nics[i].n_net);
		/* the rates too: a clone is no way around a limit */
		vm->vm_nics[i].n_rate = src->vm_nics[i].n_rate;
		if (i == 0)
			snprintf(vm->vm_nics[i].n_mac,
			    sizeof(vm->vm_nics[i].n_mac), "%s", vm->vm_mac);
		else
			create_random_mac(vm->vm_nics[i].n_mac,
			    sizeof(vm->vm_nics[i].n_mac));
	}
	vm->vm_nnics = src->vm_nnics;
	dir = vm_dir(vm);
	*err = FWS_ERR_EXISTS;
	if (access(dir, F_OK) == 0) {
		cause_fail(cause, "%s already exists (kept from a deleted VM?): "
		    "remove it first", dir);
		free(dir);
		return -1;
	}
	free(dir);
	dir = vm_disk_dir(vm);
	for (i = 0; i < src->vm_ndisks; i++) {
		d = &src->vm_disks[i];
		nd = &vm->vm_disks[i];
		nd->d_size = d->d_size;
		nd->d_readonly = d->d_readonly;
		nd->d_io = d->d_io;
		if (d->d_readonly) {
			nd->d_path = xasprintf("%s", d->d_path);
			nd->d_format = xasprintf("%s", d->d_format);
			continue;
		}
		nd->d_owned = 1;
		nd->d_format = xasprintf("%s", cl->cl_linked ? "qcow2" :
		    d->d_format);
		nd->d_path = xasprintf("%s/disk%d.%s", dir, i, nd->d_format);
	}
	vm->vm_ndisks = src->vm_ndisks;
	free(dir);
	for (i = 0; i < src->vm_ndisks; i++)
		if (!src->vm_disks[i].d_readonly) {
			if (clone_source_disk(cl, i, err, cause) == -1)
				return -1;
			cl->cl_total += cl->cl_size[i];
		}
	return 0;
}

/*
 * The owner's quota, for a user's VM: the new VM as create counts one
 * (its disks in full); a linked clone's images too, and what the
 * source's disks, overlays now, may grow to again.
 */
static int
clone_quota(struct clone *cl, enum fws_err *err, char **cause)
{
	struct vm	*src = cl->cl_src;
	struct stat	 sb;
	uint64_t	 more = 0, have;
	unsigned	 n = 0;
	int		 i;

	/* the source's I/O limits, held to today's ceilings (a user's) */
	for (i = 0; i < cl->cl_vm->vm_ndisks && !cl->cl_caller.ca_admin; i++)
		if (quota_disk_io(src->vm_owner, &cl->cl_vm->vm_disks[i].d_io,
		    i, err, cause) == -1)
			return -1;
	if (caller_exempt(&cl->cl_caller, src->vm_owner))
		return 0;
	if (quota_check(src->vm_owner, cl->cl_vm, err, cause) == -1)
		return -1;
	if (!cl->cl_linked)
		return 0;
	for (i = 0; i < src->vm_ndisks; i++) {
		if (src->vm_disks[i].d_readonly)
			continue;
		n++;
		more += cl->cl_vm->vm_disks[i].d_size;
		have = stat(src->vm_disks[i].d_path, &sb) == 0 ?
		    (uint64_t)sb.st_blocks * 512 : 0;
		more += have < src->vm_disks[i].d_size ? have :
		    src->vm_disks[i].d_size;
	}
	return quota_check_bases(src->vm_owner, n, more, err, cause);
}

/* Refused before anything was made: done hears why (why is freed). */
static void
clone_abandon(struct clone *cl, enum fws_err err, char *why)
{
	int	 i;

	cl->cl_done(cl->cl_arg, err, why, NULL);
	free(why);
	for (i = 0; i < FWS_DISKS_MAX; i++) {
		free(cl->cl_temp[i]);
		free(cl->cl_base[i]);
		free(cl->cl_base_format[i]);
	}
	vm_free(cl->cl_vm);
	free(cl);
}

/*
 * Make VM cs->cl_name of src's disks, for ca.  progress(arg, ...) hears
 * each new percent of a full clone's copy; done(arg, ...) once: FWS_OK
 * with the new VM as vm_to_json gives it in full, or the core's error
 * and why, maybe before clone_vm returns.  cs is read before clone_vm
 * returns only.
 */
void
clone_vm(struct vm *src, const struct caller *ca, const struct clone_spec *cs,
    fws_progress_fn progress, fws_done_fn done, void *arg)
{
	struct clone	*cl;
	struct vm	*vm;
	enum fws_err	 err = FWS_ERR_INVALID;
	char		*cause = NULL;
	int		 i;

	if (validate_name(cs->cl_name, &cause) == -1) {
		done(arg, err, cause, NULL);
		free(cause);
		return;
	}
	if (create_clash(src->vm_owner, cs->cl_name, NULL) != NULL) {
		cause = xasprintf("a VM named %s already exists", cs->cl_name);
		done(arg, FWS_ERR_EXISTS, cause, NULL);
		free(cause);
		return;
	}
	if (vm_check(src, EV_CLONE, &err, &cause) == -1) {
		done(arg, err, cause, NULL);
		free(cause);
		return;
	}
	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		done(arg, FWS_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	cl->cl_src = src;
	cl->cl_caller = *ca;
	cl->cl_linked = cs->cl_linked;
	cl->cl_progress = progress;
	cl->cl_done = done;
	cl->cl_arg = arg;
	cl->cl_percent = -1;
	cl->cl_vm = vm = vm_new();
	/* first: the directory of its disks (disk_dir) is named by it */
	create_uuid(vm->vm_uuid, sizeof(vm->vm_uuid));
	if (clone_define(cl, cs->cl_name, &err, &cause) == -1 ||
	    clone_quota(cl, &err, &cause) == -1) {
		clone_abandon(cl, err, cause);
		return;
	}
	for (i = 0; i < vm->vm_nnics; i++)
		if (create_clash(0, NULL, vm->vm_nics[i].n_mac) != NULL) {
			clone_abandon(cl, FWS_ERR_INTERNAL, xasprintf("no "
			    "free MAC address found"));
			return;
		}
	if (cl->cl_linked && access_user_area(src->vm_owner, &cause) == -1) {
		clone_abandon(cl, FWS_ERR_INTERNAL, cause);
		return;
	}
	vm->vm_created = time(NULL);
	if (vm_job_begin(src, JOB_CLONE, ca->ca_uid, cl, &err, &cause) == -1) {
		clone_abandon(cl, err, cause);
		return;
	}
	/* its job until it is made: nobody sees it, nothing touches it */
	if (vm_job_begin(vm, JOB_CREATE, ca->ca_uid, NULL, &err,
	    &cause) == -1) {
		vm_job_end(src, cl);
		clone_abandon(cl, err, cause);
		return;
	}
	vm_job_progress(src, cl->cl_linked ? -1 : 0, cl->cl_linked ?
	    "making overlays" : "copying disks");
	TAILQ_INSERT_TAIL(&vms, vm, vm_entry);
	if (vm_qemu_uid_pick(vm, conf.cf_qemu_uid_first,
	    conf.cf_qemu_uid_last - 1, &cause) == -1) {
		clone_fail(cl, FWS_ERR_QUOTA, cause);
		return;
	}
	if (vm_mkdir(vm, &cause) == -1) {
		clone_fail(cl, FWS_ERR_INTERNAL, cause);
		return;
	}
	clone_next(cl);
}
