/*
 * image-import.c: "image-import NAME PATH": a user's own image (qcow2,
 * raw, vmdk, vdi, vhdx, vpc; or the vmdk inside an .ova, which fwsctl
 * finds) becomes STATE/users/UID/images/NAME.qcow2.  In two steps, so
 * that no file the user could ever write is trusted:
 *
 *   1. qemu-img convert, run as the user (their rights, their groups),
 *      reads PATH in the format given (never probed: a descriptor or a
 *      backing file reaches only what the user may read anyway) and
 *      writes raw into a file fwsd opened for it, passed as /dev/fd/3;
 *   2. qemu-img convert, run as fwsd, reads that raw file (raw refers to
 *      nothing) and writes the qcow2, which fwsd alone has ever held.
 *
 * An image counts against its owner's quota (quota_images, and the bytes
 * of quota_disk): both steps may write files only as large as what is
 * left of quota_disk (RLIMIT_FSIZE), so an image that would be larger,
 * however small its compressed source, fails as it grows.  Its scratch
 * files go on failure, and at fwsd's start (image_scratch_clean).
 *
 * qemu-img's -p progress is read from a pipe in the event loop and told
 * to the caller's progress callback, the outcome to its completion:
 * import_image speaks no protocol (cmd-image.c parses the request and
 * replies).  The new image's credential check (image-creds.c) starts as
 * the import ends; the completion says it is under way.
 */
#include <sys/stat.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "fws.h"
#include "log.h"

#define IMPORT_OUTPUT_MAX	2048	/* qemu-img's words kept for errors */

static const char *const import_formats[] = {
	"qcow2", "raw", "vmdk", "vdi", "vhdx", "vpc", NULL
};

struct import {
	TAILQ_ENTRY(import)	 im_entry;
	fws_progress_fn		 im_progress;
	fws_done_fn		 im_done;
	void			*im_arg;
	uid_t			 im_owner;
	char			 im_name[FWS_NAME_MAX + 1];
	char			*im_source;	/* PATH, or --image-opts */
	char			*im_format;
	int			 im_opts;	/* im_source is --image-opts */
	char			*im_raw;	/* step 1's output */
	char			*im_part;	/* step 2's, renamed when done */
	char			*im_dest;
	int			 im_step;	/* 1 or 2 */
	int			 im_percent;	/* last one pushed */
	uint64_t		 im_room;	/* bytes of quota left; 0: any */
	struct bufferevent	*im_out;	/* qemu-img's stdout+stderr */
	char			 im_said[IMPORT_OUTPUT_MAX];
	struct proc_watch	*im_watch;
	gid_t			 im_groups[64];
};
TAILQ_HEAD(imports, import);

static struct imports	imports = TAILQ_HEAD_INITIALIZER(imports);

static void	import_step2(struct import *);
static void	import_step2_done(pid_t, int, void *);

static void
import_free(struct import *im, int discard)
{
	TAILQ_REMOVE(&imports, im, im_entry);
	if (im->im_out != NULL)
		bufferevent_free(im->im_out);
	proc_unwatch(im->im_watch);
	if (im->im_raw != NULL)
		unlink(im->im_raw);
	if (discard && im->im_part != NULL)
		unlink(im->im_part);
	free(im->im_source);
	free(im->im_format);
	free(im->im_raw);
	free(im->im_part);
	free(im->im_dest);
	free(im);
}

/* The import failed: fmt says why, with the image's name and what. */
static void
import_fail(struct import *im, enum fws_err err, const char *fmt,
    const char *what)
{
	char	*why = xasprintf(fmt, im->im_name, what);

	im->im_done(im->im_arg, err, why, NULL);
	free(why);
	import_free(im, 1);
}

/* qemu-img -p's output: each new whole percent pushed. */
static void
import_read(struct bufferevent *bev, void *arg)
{
	struct import	*im = arg;
	double		 pct;
	int		 total;

	pct = img_progress_read(bufferevent_get_input(bev), im->im_said,
	    sizeof(im->im_said));
	if (pct < 0)
		return;
	/* step 1 is the first half, step 2 the second */
	total = (int)(pct / 2) + (im->im_step == 2 ? 50 : 0);
	if (total <= im->im_percent)
		return;
	im->im_percent = total;
	im->im_progress(im->im_arg, total, im->im_step == 1 ? "reading" :
	    "writing");
}

/* Spawn one qemu-img convert, watched; its output comes to im_out. */
static int
import_spawn(struct import *im, char **argv, int keep, int as_user,
    proc_exit_fn done, char **cause)
{
	struct proc_spec ps;
	pid_t		 pid;
	int		 p[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		return cause_fail(cause, "pipe: %s", strerror(errno));
	memset(&ps, 0, sizeof(ps));
	ps.ps_argv = argv;
	ps.ps_stdout = p[1];
	ps.ps_fsize_max = im->im_room;
	if (keep != -1) {
		ps.ps_keep[0] = keep;
		ps.ps_nkeep = 1;
	}
	if (as_user && access_spec_user(&ps, im->im_owner, im->im_groups,
	    cause) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (proc_spawn(&ps, &pid, cause) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	im->im_said[0] = '\0';
	if (im->im_out != NULL)
		bufferevent_free(im->im_out);
	im->im_out = bufferevent_socket_new(base, p[0], BEV_OPT_CLOSE_ON_FREE);
	if (im->im_out == NULL) {
		close(p[0]);
		kill(pid, SIGKILL);
		return cause_fail(cause, "out of memory");
	}
	bufferevent_setcb(im->im_out, import_read, NULL, NULL, im);
	bufferevent_enable(im->im_out, EV_READ);
	if ((im->im_watch = proc_watch(pid, done, im, cause)) == NULL) {
		kill(pid, SIGKILL);
		return -1;
	}
	return 0;
}

/*
 * A qemu-img of step 1 or 2 ended: what is left in the pipe is read
 * (the child is gone, so it is all there).  -1, and the import failed
 * with qemu-img's last words, unless it succeeded.
 */
static int
import_child_ended(struct import *im, int status, const char *fmt)
{
	char	*words;

	proc_unwatch(im->im_watch);
	im->im_watch = NULL;
	if (im->im_out != NULL)
		import_read(im->im_out, im);
	if (status == 0)
		return 0;
	words = img_last_words(im->im_said, "");
	if (im->im_room > 0 && strstr(words, strerror(EFBIG)) != NULL) {
		free(words);
		words = quota_room_words(im->im_room);
		import_fail(im, FWS_ERR_QUOTA, "image %s: %s", words);
	} else
		import_fail(im, FWS_ERR_FAILED, fmt, words);
	free(words);
	return -1;
}

static void
import_step2_done(pid_t pid, int status, void *arg)
{
	struct import	*im = arg;
	char		*cause, *dirs[FWS_IMAGE_DIRS_MAX + 2];
	uint64_t	 size;
	int		 n;

	(void)pid;
	if (import_child_ended(im, status, "image %s: qemu-img could not "
	    "write the qcow2: %s") == -1)
		return;
	/* ours from the start, but checked as any image is; root's alone:
	 * qemu is given images as descriptors */
	n = image_dirs(im->im_owner, 0, dirs);
	cause = NULL;
	if (image_check(im->im_part, "qcow2", dirs, n, &size, &cause) == -1 ||
	    chown(im->im_part, 0, 0) == -1 ||
	    chmod(im->im_part, 0600) == -1 ||
	    rename(im->im_part, im->im_dest) == -1) {
		if (cause == NULL)
			cause = xasprintf("%s: %s", im->im_part,
			    strerror(errno));
		image_dirs_free(dirs, n);
		import_fail(im, FWS_ERR_INTERNAL, "image %s: %s", cause);
		free(cause);
		return;
	}
	image_dirs_free(dirs, n);
	free(im->im_part);
	im->im_part = NULL;
	log_info("image %s of uid %u imported from %s (%s)", im->im_name,
	    (unsigned)im->im_owner, im->im_source, im->im_format);
	/* checked for well-known credentials next, nobody waiting: until
	 * it is, the image reaches no public network */
	if (creds_forget(im->im_dest, &cause) == -1) {
		log_warnx("image %s: %s", im->im_dest, cause);
		free(cause);
	}
	creds_check(im->im_dest, "qcow2", im->im_name, im->im_owner, NULL,
	    NULL, NULL);
	im->im_done(im->im_arg, FWS_OK, NULL, json_pack("{ss ss sI si so}",
	    "name", im->im_name, "path", im->im_dest, "virtual_size",
	    (json_int_t)size, "owner", (int)im->im_owner, "check",
	    creds_json(im->im_dest)));
	import_free(im, 0);
}

static void
import_step1_done(pid_t pid, int status, void *arg)
{
	struct import	*im = arg;

	(void)pid;
	if (import_child_ended(im, status, "image %s: qemu-img could not "
	    "read it: %s") == 0)
		import_step2(im);
}

/* Step 2: raw (the user's scratch) to qcow2 (fwsd's alone). */
static void
import_step2(struct import *im)
{
	char	*argv[] = { conf.cf_qemu_img, "convert", "-p", "-f", "raw",
	    "-O", "qcow2", im->im_raw, im->im_part, NULL };
	char	*cause;

	im->im_step = 2;
	unlink(im->im_part);
	if (import_spawn(im, argv, -1, 0, import_step2_done, &cause) == -1) {
		import_fail(im, FWS_ERR_FAILED, "image %s: cannot run "
		    "qemu-img: %s", cause);
		free(cause);
		return;
	}
}

/*
 * Import the image is asks for, on behalf of ca.  progress(arg, ...) is
 * told each new whole percent; done(arg, ...) once, at the end: FWS_OK
 * with the image's name, path, virtual size and owner, or the error and
 * why, maybe before import_image returns.  is is read before
 * import_image returns only.
 */
void
import_image(const struct caller *ca, const struct import_spec *is,
    fws_progress_fn progress, fws_done_fn done, void *arg)
{
	struct import	*im, *o;
	const char	*name = is->is_name, *path = is->is_path;
	const char	*fmt = is->is_format;
	char		*cause = NULL, *dir, *esc, *raw, *why;
	uint64_t	 room = 0;
	int64_t		 owner;
	enum fws_err	 err = FWS_ERR_PERMISSION;
	int		 fd, i, known = 0;

	if (caller_owner(ca, is->is_owner, &owner, &cause) == -1)
		goto bad;
	err = FWS_ERR_INVALID;
	if (validate_name(name, &cause) == -1)
		goto bad;
	if (path[0] != '/' || strstr(path, ",") != NULL) {
		cause = xasprintf("%s: give an absolute path without commas",
		    path);
		goto bad;
	}
	for (i = 0; import_formats[i] != NULL; i++)
		if (strcmp(import_formats[i], fmt) == 0)
			known = 1;
	if (!known) {
		cause = xasprintf("format %.32s: not one of qcow2, raw, vmdk, "
		    "vdi, vhdx, vpc", fmt);
		goto bad;
	}
	if (owner < 0)
		owner = ca->ca_uid;
	/* an admin's own images have no quota */
	if (!caller_exempt(ca, owner) &&
	    quota_check_import(owner, &room, &err, &cause) == -1)
		goto bad;
	/* one at a time: the room left is each import's */
	TAILQ_FOREACH(o, &imports, im_entry)
		if (o->im_owner == owner) {
			why = xasprintf("image %s is being imported%s: one "
			    "import at a time", o->im_name,
			    strcmp(o->im_name, name) == 0 ? " already" : "");
			done(arg, FWS_ERR_BUSY, why, NULL);
			free(why);
			return;
		}
	if ((im = calloc(1, sizeof(*im))) == NULL) {
		done(arg, FWS_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	TAILQ_INSERT_TAIL(&imports, im, im_entry);
	im->im_progress = progress;
	im->im_done = done;
	im->im_arg = arg;
	im->im_owner = owner;
	im->im_room = room;
	im->im_step = 1;
	snprintf(im->im_name, sizeof(im->im_name), "%s", name);
	im->im_format = xasprintf("%s", fmt);
	if (access_user_area(owner, &cause) == -1) {
		import_fail(im, FWS_ERR_INTERNAL, "image %s: %s", cause);
		free(cause);
		return;
	}
	dir = access_user_path(owner, "images");
	im->im_dest = xasprintf("%s/%s.qcow2", dir, name);
	im->im_part = xasprintf("%s/.%s.qcow2.part", dir, name);
	raw = xasprintf("%s/.%s.raw", dir, name);
	free(dir);
	if (access(im->im_dest, F_OK) == 0) {
		free(raw);
		import_fail(im, FWS_ERR_EXISTS, "image %s: %s", "you have an "
		    "image of that name already (fwsctl image-delete)");
		return;
	}
	/* step 1's output: made by fwsd, the user's only through fd 3 */
	unlink(raw);
	fd = open(raw, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1 || fchown(fd, owner, (gid_t)-1) == -1) {
		import_fail(im, FWS_ERR_INTERNAL, "image %s: %s",
		    strerror(errno));
		if (fd != -1)
			close(fd);
		unlink(raw);
		free(raw);
		return;
	}
	im->im_raw = raw;
	if (is->is_length > 0) {
		/* a slice of a file: the vmdk inside an .ova */
		esc = vm_qemu_escape(path);
		im->im_source = xasprintf("driver=%s,file.driver=raw,"
		    "file.offset=%llu,file.size=%llu,file.file.driver=file,"
		    "file.file.filename=%s", fmt,
		    (unsigned long long)is->is_offset,
		    (unsigned long long)is->is_length, esc);
		free(esc);
		im->im_opts = 1;
	} else
		im->im_source = xasprintf("%s", path);
	{
		char	*argv1[] = { conf.cf_qemu_img, "convert", "-p", "-f",
		    im->im_format, "-O", "raw", im->im_source, "/dev/fd/3",
		    NULL };
		char	*argv2[] = { conf.cf_qemu_img, "convert", "-p",
		    "--image-opts", "-O", "raw", im->im_source, "/dev/fd/3",
		    NULL };

		if (import_spawn(im, im->im_opts ? argv2 : argv1, fd, 1,
		    import_step1_done, &cause) == -1) {
			close(fd);
			import_fail(im, FWS_ERR_FAILED, "image %s: cannot run "
			    "qemu-img: %s", cause);
			free(cause);
			return;
		}
	}
	close(fd);
	return;
bad:
	done(arg, err, cause, NULL);
	free(cause);
}
