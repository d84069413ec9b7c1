/*
 * vm-screen.c: a picture of a VM's screen.  qemu draws it as a PNG
 * (QMP screendump) into a file of the run directory that fwsd made and
 * gave to the VM's qemu uid (qemu may create nothing there); fwsd opens
 * it, unlinks it, checks it is a PNG of a sane size (qemu is not
 * trusted: a guest may own it), and hands the open file on.  The file
 * never outlives the request.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"
#include "qmp.h"

#define SCREEN_MAX	(64 * 1024 * 1024)	/* a PNG, at most */
#define SCREEN_SIDE_MAX	16384			/* pixels */

struct screen_op {
	struct vm	*so_vm;
	char		*so_path;
	fws_done_fn	 so_fn;
	void		*so_arg;
};

static unsigned	screen_seq;

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * The PNG qemu wrote, opened and unlinked: its descriptor, width and
 * height; -1 and why when it is not one.
 */
static int
screen_open(const char *path, uint32_t *w, uint32_t *h, off_t *size,
    char **cause)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n',
	    0x1a, '\n' };
	unsigned char	 head[24];
	struct stat	 sb;
	int		 fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	unlink(path);
	if (fd == -1)
		return cause_fail(cause, "no picture: %s", strerror(errno));
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size < (off_t)sizeof(head) || sb.st_size > SCREEN_MAX) {
		close(fd);
		return cause_fail(cause, "qemu's picture is not a PNG of at "
		    "most %d MiB", SCREEN_MAX >> 20);
	}
	/* the signature, then IHDR: length, type, width, height */
	if (pread(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
	    memcmp(head, sig, sizeof(sig)) != 0 ||
	    memcmp(head + 12, "IHDR", 4) != 0 ||
	    (*w = be32(head + 16)) == 0 || (*h = be32(head + 20)) == 0 ||
	    *w > SCREEN_SIDE_MAX || *h > SCREEN_SIDE_MAX) {
		close(fd);
		return cause_fail(cause, "qemu's picture is not a PNG");
	}
	*size = sb.st_size;
	return fd;
}

static void
screen_free(struct screen_op *so)
{
	unlink(so->so_path);
	free(so->so_path);
	free(so);
}

static void
screen_dumped(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct screen_op *so = arg;
	struct vm	*vm = so->so_vm;
	uint32_t	 w = 0, h = 0;
	off_t		 size = 0;
	char		*cause, *why;
	int		 fd;

	(void)q;
	(void)ret;
	if (err_class != NULL) {
		why = xasprintf("%s: screenshot: %s", vm->vm_name,
		    strcmp(err_class, QMP_ERR_DISCONNECTED) == 0 ?
		    "qemu went away" : err_desc);
		so->so_fn(so->so_arg, FWS_ERR_FAILED, why, NULL);
		free(why);
		screen_free(so);
		return;
	}
	if ((fd = screen_open(so->so_path, &w, &h, &size, &cause)) == -1) {
		why = xasprintf("%s: screenshot: %s", vm->vm_name, cause);
		so->so_fn(so->so_arg, FWS_ERR_FAILED, why, NULL);
		free(why);
		free(cause);
		screen_free(so);
		return;
	}
	/* "fd": the open picture, for the reply layer to hand on */
	so->so_fn(so->so_arg, FWS_OK, NULL, json_pack("{ss sI si si sI si}",
	    "name", vm->vm_name, "owner", (json_int_t)vm->vm_owner, "width",
	    (int)w, "height", (int)h, "bytes", (json_int_t)size, "fd", fd));
	screen_free(so);
}

/*
 * A PNG of vm's screen: fn(arg, FWS_OK, NULL, {name, owner, width,
 * height, bytes, fd}), fd an open descriptor of the picture that fn's
 * caller closes; or the core's error and why.
 */
void
vm_screenshot(struct vm *vm, fws_done_fn fn, void *arg)
{
	struct screen_op *so;
	enum fws_err	 err;
	char		*why, suffix[32];
	int		 fd;

	if (vm_check(vm, EV_SCREEN, &err, &why) == -1) {
		fn(arg, err, why, NULL);
		free(why);
		return;
	}
	if (!vnc_has_screen(vm)) {
		why = xasprintf("%s has no screen yet", vm->vm_name);
		fn(arg, FWS_ERR_STATE, why, NULL);
		free(why);
		return;
	}
	if (vm->vm_qmp == NULL || !qmp_is_ready(vm->vm_qmp)) {
		why = xasprintf("%s: no QMP connection to qemu", vm->vm_name);
		fn(arg, FWS_ERR_FAILED, why, NULL);
		free(why);
		return;
	}
	if ((so = calloc(1, sizeof(*so))) == NULL) {
		fn(arg, FWS_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	so->so_vm = vm;
	so->so_fn = fn;
	so->so_arg = arg;
	snprintf(suffix, sizeof(suffix), "screen.%u.png", ++screen_seq);
	so->so_path = vm_run_path(vm, suffix);
	/* made here and given to qemu, which may create nothing here */
	unlink(so->so_path);
	fd = open(so->so_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		why = xasprintf("%s: %s", so->so_path, strerror(errno));
	else
		close(fd);
	if (fd == -1 || access_give_qemu(so->so_path, vm->vm_qemu_uid,
	    &why) == -1) {
		fn(arg, FWS_ERR_INTERNAL, why, NULL);
		free(why);
		screen_free(so);
		return;
	}
	if (qmp_execute(vm->vm_qmp, "screendump", json_pack("{ss ss}",
	    "filename", so->so_path, "format", "png"), FWS_QMP_TIMEOUT,
	    screen_dumped, so) == -1) {
		why = xasprintf("%s: no QMP connection to qemu", vm->vm_name);
		fn(arg, FWS_ERR_FAILED, why, NULL);
		free(why);
		screen_free(so);
	}
}
