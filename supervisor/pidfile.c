/*
 * pidfile.c: fwsd's own pid file, for hosts without systemd (fwsd
 * --pidfile PATH).  The file is locked (flock) from start-up for as long
 * as fwsd runs, so a second fwsd naming it is refused while the first
 * lives, and one left by an fwsd that died is simply taken over.  The pid
 * is written once fwsd serves, and the file removed when it exits.  The
 * descriptor is close-on-exec: a qemu fwsd starts, which outlives it,
 * never holds the lock.
 */
#include <sys/file.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"

static int	 pidfile_fd = -1;
static char	*pidfile_path;		/* absolute: fwsd leaves its cwd */

/* Take the pid file, or say who holds it. */
int
pidfile_lock(const char *path, char **cause)
{
	char	 cwd[PATH_MAX], buf[32];
	ssize_t	 n;
	int	 fd;

	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL)
		return cause_fail(cause, "pid file %s: %s", path,
		    strerror(errno));
	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0644)) == -1)
		return cause_fail(cause, "pid file %s: %s", path,
		    strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK) {
			cause_fail(cause, "pid file %s: %s", path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		cause_fail(cause, "pid file %s is held by another fwsd%s%s%s",
		    path, buf[0] ? " (pid " : "", buf, buf[0] ? ")" : "");
		close(fd);
		return -1;
	}
	pidfile_fd = fd;
	pidfile_path = path[0] == '/' ? xasprintf("%s", path) :
	    xasprintf("%s/%s", cwd, path);
	return 0;
}

/* fwsd serves: the pid (a daemon's, after its fork) goes in. */
void
pidfile_write(void)
{
	char	 buf[32];
	int	 n;

	if (pidfile_fd == -1)
		return;
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(pidfile_fd, 0) == -1 ||
	    pwrite(pidfile_fd, buf, n, 0) != n)
		log_warn("pid file %s", pidfile_path);
}

void
pidfile_remove(void)
{
	if (pidfile_fd == -1)
		return;
	if (unlink(pidfile_path) == -1 && errno != ENOENT)
		log_warn("pid file %s: unlink", pidfile_path);
	close(pidfile_fd);
	pidfile_fd = -1;
	free(pidfile_path);
	pidfile_path = NULL;
}
