/*
 * fwsctl-console.c: the console verb's terminal side.  fwsd hands over a
 * connected socket to the VM's serial port; this relays it to the
 * terminal in raw mode until Ctrl-].  When stdin is not a terminal, what
 * it holds is typed into the guest, and once it ends the guest's output
 * is relayed until it has been quiet for a second: qemu drops unread
 * input when the connection closes, and scripts want the answer.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fwsctl.h"

#define CONSOLE_ESCAPE	0x1d	/* Ctrl-] */
#define CONSOLE_QUIET	1000	/* ms of silence that ends a scripted session */
#define CONSOLE_LINGER	10	/* s at most after stdin ended */

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

int
fwsctl_console(const char *name, int fd)
{
	struct termios	 saved, raw;
	struct pollfd	 pfd[2];
	char		 buf[4096], *esc;
	ssize_t		 n;
	int		 tty = isatty(0), rc = 0, timeout = -1;
	time_t		 ended = 0;

	if (tty) {
		if (tcgetattr(0, &saved) == -1)
			fwsctl_errx(1, "tcgetattr: %s", strerror(errno));
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSADRAIN, &raw);
		fprintf(stderr, "Connected to %s's console; leave with "
		    "Ctrl-]\r\n", name);
	}
	pfd[0].fd = 0;
	pfd[0].events = POLLIN;
	pfd[1].fd = fd;
	pfd[1].events = POLLIN;
	for (;;) {
		if ((n = poll(pfd, 2, timeout)) == -1) {
			if (errno == EINTR)
				continue;
			rc = 1;
			break;
		}
		if (n == 0 || (ended && time(NULL) - ended > CONSOLE_LINGER))
			break;		/* the guest has gone quiet */
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0) {
				fprintf(stderr, "%s%s's console closed%s\n",
				    tty ? "\r\n" : "", name, tty ? "\r" : "");
				break;
			}
			if (write_all(1, buf, n) == -1)
				break;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(0, buf, sizeof(buf));
			if (n <= 0) {
				if (tty)
					break;
				pfd[0].fd = -1;	/* input done: drain */
				ended = time(NULL);
				timeout = CONSOLE_QUIET;
				continue;
			}
			if (tty && (esc = memchr(buf, CONSOLE_ESCAPE, n)) !=
			    NULL) {
				write_all(fd, buf, esc - buf);
				break;
			}
			if (write_all(fd, buf, n) == -1) {
				rc = 1;
				break;
			}
		}
	}
	if (tty) {
		tcsetattr(0, TCSADRAIN, &saved);
		fprintf(stderr, "\n");
	}
	close(fd);
	return rc;
}
