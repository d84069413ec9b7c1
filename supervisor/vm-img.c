/*
 * vm-img.c: qemu-img on a VM's disks while no qemu has them (snapshots
 * of a stopped VM, a disk grown): run as the VM's qemu uid, as its qemu
 * would, its words to a file of the run directory, its end watched
 * through a pidfd like any child (or, for a long copy, read from a
 * pipe by its caller, for its progress).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "fws.h"

/*
 * qemu-img with args (those after "qemu-img", NULL-ended, 14 at most),
 * its output to out (truncated); args naming the RBD secret object get
 * the key at fd 3 (rbd_key_fd); fn(pid, status, arg) at its end,
 * through *pwp.  Its PID, or -1 and why.
 */
pid_t
vm_qemu_img(const struct vm *vm, const char *const *args, const char *out,
    proc_exit_fn fn, void *arg, struct proc_watch **pwp, char **cause)
{
	pid_t	 pid;
	int	 fd, key = -1;

	/* an RBD disk's graph names the key's secret object */
	for (fd = 0; args[fd] != NULL; fd++)
		if (strstr(args[fd], FWS_RBD_SECRET) != NULL && key == -1 &&
		    (key = rbd_key_fd(cause)) == -1)
			return -1;
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		if (key != -1)
			close(key);
		return cause_fail(cause, "%s: %s", out, strerror(errno));
	}
	pid = vm_qemu_img_keep(vm, args, fd, key, fn, arg, pwp, cause);
	close(fd);
	if (key != -1)
		close(key);
	return pid;
}

/* The same, its output to fd (a pipe read in the loop: its progress). */
pid_t
vm_qemu_img_fd(const struct vm *vm, const char *const *args, int fd,
    proc_exit_fn fn, void *arg, struct proc_watch **pwp, char **cause)
{
	return vm_qemu_img_keep(vm, args, fd, -1, fn, arg, pwp, cause);
}

/* The same, with keep (unless -1) at its fd 3: an RBD key (rbd_key_fd). */
pid_t
vm_qemu_img_keep(const struct vm *vm, const char *const *args, int fd,
    int keep, proc_exit_fn fn, void *arg, struct proc_watch **pwp,
    char **cause)
{
	struct proc_spec	 ps;
	const char		*argv[16];
	pid_t			 pid;
	int			 i, n = 0;

	argv[n++] = conf.cf_qemu_img;
	for (i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.ps_argv = (char *const *)argv;
	ps.ps_stdout = fd;
	if (keep != -1) {
		ps.ps_keep[0] = keep;
		ps.ps_nkeep = 1;
	}
	access_spec_qemu(&ps, vm->vm_qemu_uid);
	if (proc_spawn(&ps, &pid, cause) == -1)
		return -1;
	if ((*pwp = proc_watch(pid, fn, arg, cause)) == NULL) {
		kill(pid, SIGKILL);
		return -1;
	}
	return pid;
}

/*
 * qemu-img -p's output waiting in in: its tail kept in said (len bytes,
 * NUL-ended, for img_last_words), and the last "(12.34/100%)" in it
 * returned, or -1 when it printed none.
 */
double
img_progress_read(struct evbuffer *in, char *said, size_t len)
{
	char	 buf[512], *p, *q;
	size_t	 n, have;
	double	 pct, last = -1;

	while ((n = evbuffer_remove(in, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		have = strlen(said);
		if (have + n >= len) {
			memmove(said, said + have / 2, have - have / 2 + 1);
			have = strlen(said);
		}
		if (have + n < len)
			memcpy(said + have, buf, n + 1);
		for (p = buf; (p = strchr(p, '(')) != NULL; p++) {
			pct = strtod(p + 1, &q);
			if (q != p + 1 && strncmp(q, "/100%)", 6) == 0)
				last = pct;
		}
	}
	return last;
}

/* qemu-img's last line in said, without the progress; none if no line. */
char *
img_last_words(const char *said, const char *none)
{
	char	*s = xasprintf("%s", said), *p, *line, *out;

	out = xasprintf("%s", none);
	for (p = s; (line = strsep(&p, "\r\n")) != NULL; ) {
		while (*line == ' ')
			line++;
		if (*line == '\0' || *line == '(')
			continue;
		free(out);
		out = xasprintf("%s", line);
	}
	free(s);
	return out;
}
