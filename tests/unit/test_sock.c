/*
 * test_sock.c: a descriptor passed along with bytes (sock_send_fd,
 * sock_recv_fd) over a socketpair: it arrives with the first byte, is
 * usable and close-on-exec; a second one offered is closed rather than
 * kept; bytes without one leave the caller's slot alone.
 */
#include <sys/socket.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "fws.h"

static void
test_fd_passed(void **state)
{
	char	 buf[64];
	int	 sp[2], p[2], fd = -1, other = -1;
	ssize_t	 n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(sock_send_fd(sp[0], "hello\n", 6, p[1],
	    MSG_NOSIGNAL), 6);
	n = sock_recv_fd(sp[1], buf, sizeof(buf), &fd);
	assert_int_equal(n, 6);
	assert_memory_equal(buf, "hello\n", 6);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* the descriptor is the pipe's write end */
	assert_int_equal(write(fd, "x", 1), 1);
	assert_int_equal(read(p[0], buf, 1), 1);
	assert_int_equal(buf[0], 'x');

	/* the slot is taken: a second descriptor is closed, not kept */
	assert_int_equal(sock_send_fd(sp[0], "again\n", 6, p[0],
	    MSG_NOSIGNAL), 6);
	other = fd;
	assert_int_equal(sock_recv_fd(sp[1], buf, sizeof(buf), &fd), 6);
	assert_int_equal(fd, other);

	/* plain bytes: the caller's -1 stays */
	fd = -1;
	assert_int_equal(write(sp[0], "plain\n", 6), 6);
	assert_int_equal(sock_recv_fd(sp[1], buf, sizeof(buf), &fd), 6);
	assert_int_equal(fd, -1);

	/* no slot at all: any descriptor is closed */
	assert_int_equal(sock_send_fd(sp[0], "z", 1, p[0], MSG_NOSIGNAL), 1);
	assert_int_equal(sock_recv_fd(sp[1], buf, sizeof(buf), NULL), 1);

	/* the end of the stream */
	close(sp[0]);
	assert_int_equal(sock_recv_fd(sp[1], buf, sizeof(buf), &fd), 0);
	close(sp[1]);
	close(other);
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_passed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
