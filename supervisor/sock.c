/*
 * sock.c: UNIX stream sockets by path, for fwsd's control socket, the
 * sockets qemu inherits, and the clients that connect to them (fwsd to
 * qemu, fwsctl to fwsd); and a descriptor passed along with bytes
 * (SCM_RIGHTS), as fwsd hands fwsctl a console.  Failures of the path
 * functions come back as sentences naming the path; the send and
 * receive functions leave errno to their callers, which decide what a
 * full or closed socket means.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <stddef.h>
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

/*
 * Send len bytes of buf with fd attached to the first of them.  flags
 * are sendmsg(2)'s (MSG_NOSIGNAL, MSG_DONTWAIT).  The bytes sent, which
 * may be fewer than len (the rest goes as plain bytes, the descriptor
 * went with the first), or -1 with errno set.
 */
ssize_t
sock_send_fd(int s, const void *buf, size_t len, int fd, int flags)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	ssize_t		 n;

	memset(&mh, 0, sizeof(mh));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cmsgbuf.buf;
	mh.msg_controllen = sizeof(cmsgbuf.buf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	do
		n = sendmsg(s, &mh, flags);
	while (n == -1 && errno == EINTR);
	return n;
}

/*
 * Receive up to len bytes into buf, as recv(2) does (0 at the end of
 * the stream, -1 with errno).  The first descriptor that comes along
 * lands in *fdp when fdp is given and *fdp is -1; any other is closed,
 * so that a peer cannot fill our descriptor table.  Each one received
 * is close-on-exec.
 */
ssize_t
sock_recv_fd(int s, void *buf, size_t len, int *fdp)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	ssize_t		 n;
	size_t		 i, nfds;
	int		 fd;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cmsgbuf.buf;
	mh.msg_controllen = sizeof(cmsgbuf.buf);
	do
		n = recvmsg(s, &mh, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
	    cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (fdp != NULL && *fdp == -1)
				*fdp = fd;
			else
				close(fd);
		}
	}
	return n;
}
