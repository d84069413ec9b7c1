/*
 * sock.c: UNIX stream sockets by path, for fwsd's control socket, the
 * sockets qemu inherits, and the clients that connect to them (fwsd to
 * qemu, fwsctl to fwsd).  Failures come back as sentences naming the
 * path.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"

static int
sock_addr(struct sockaddr_un *sun, const char *path, char **cause)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return cause_fail(cause, "%s: socket path too long (at most "
		    "%zu bytes)", path, sizeof(sun->sun_path) - 1);
	memcpy(sun->sun_path, path, strlen(path));
	return 0;
}

/*
 * Listen at path (replacing whatever file is there) with the given
 * mode.  flags are socket(2) type flags such as SOCK_NONBLOCK.
 */
int
sock_listen(const char *path, mode_t mode, int flags, char **cause)
{
	struct sockaddr_un	 sun;
	int			 s;

	if (sock_addr(&sun, path, cause) == -1)
		return -1;
	unlink(path);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, mode) == -1 || listen(s, 128) == -1) {
		cause_fail(cause, "%s: %s", path, strerror(errno));
		if (s != -1)
			close(s);
		return -1;
	}
	return s;
}

/*
 * Connect to path.  On a listening UNIX socket this completes at once
 * (the connection waits in the backlog), even non-blocking.  On failure
 * errno is connect(2)'s.
 */
int
sock_connect(const char *path, int flags, char **cause)
{
	struct sockaddr_un	 sun;
	int			 s, saved;

	if (sock_addr(&sun, path, cause) == -1)
		return -1;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
	if (s == -1 || connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;	/* the caller may ask why: EACCES */
		cause_fail(cause, "%s: %s", path, strerror(errno));
		if (s != -1)
			close(s);
		errno = saved;
		return -1;
	}
	return s;
}
