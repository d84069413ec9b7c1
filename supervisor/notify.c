/*
 * notify.c: telling systemd how fwsd is doing, with the small datagram
 * protocol of sd_notify(3) spoken directly: "READY=1" once the socket
 * listens and the store is reconciled, "STATUS=..." with the VM counts
 * as they change, "STOPPING=1" on the way out, and "WATCHDOG=1" from the
 * event loop at half the WatchdogSec= interval, so a wedged loop is
 * noticed.  Without $NOTIFY_SOCKET nothing is sent.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fws.h"
#include "log.h"

static int			 notify_fd = -1;
static struct sockaddr_un	 notify_addr;
static socklen_t		 notify_len;
static struct event		*notify_watchdog;
static char			 notify_last[128];

static void
notify_send(const char *msg)
{
	if (notify_fd == -1)
		return;
	/* a datagram: never blocks, a full queue only loses a message */
	if (sendto(notify_fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL,
	    (struct sockaddr *)&notify_addr, notify_len) == -1)
		log_debug("%s: %s: %s", __func__, msg, strerror(errno));
}

static void
notify_ping(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	notify_send("WATCHDOG=1");
}

/* Read $NOTIFY_SOCKET and $WATCHDOG_USEC; quiet when there is none. */
void
notify_init(void)
{
	const char	*path = getenv("NOTIFY_SOCKET"), *wd, *wdpid;
	struct timeval	 tv;
	unsigned long long usec;

	if (path == NULL || *path == '\0')
		return;
	if ((path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(notify_addr.sun_path)) {
		log_warnx("NOTIFY_SOCKET %s: not a socket path, ignored", path);
		return;
	}
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, strlen(path));
	if (path[0] == '@')
		notify_addr.sun_path[0] = '\0';		/* abstract */
	notify_len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	if ((notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("%s: socket", __func__);
		return;
	}
	/* qemu and dnsmasq must not talk to systemd in our name */
	unsetenv("NOTIFY_SOCKET");
	wd = getenv("WATCHDOG_USEC");
	wdpid = getenv("WATCHDOG_PID");
	if (wd != NULL && (wdpid == NULL || atol(wdpid) == (long)getpid()) &&
	    (usec = strtoull(wd, NULL, 10)) > 0) {
		usec /= 2;
		tv.tv_sec = usec / 1000000;
		tv.tv_usec = usec % 1000000;
		notify_watchdog = event_new(base, -1, EV_PERSIST, notify_ping,
		    NULL);
		event_add(notify_watchdog, &tv);
		log_debug("%s: watchdog every %llu us", __func__, usec);
	}
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

/* STATUS= with the VM counts, sent when it changes. */
void
notify_status(void)
{
	struct vm	*vm;
	char		 msg[sizeof(notify_last)];
	int		 all = 0, running = 0;

	if (notify_fd == -1)
		return;
	TAILQ_FOREACH(vm, &vms, vm_entry) {
		all++;
		if (vm_is_active(vm))
			running++;
	}
	snprintf(msg, sizeof(msg), "STATUS=%d of %d VMs running", running,
	    all);
	if (strcmp(msg, notify_last) == 0)
		return;
	snprintf(notify_last, sizeof(notify_last), "%s", msg);
	notify_send(msg);
}

void
notify_ready(void)
{
	notify_status();
	notify_send("READY=1");
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1");
	if (notify_watchdog != NULL)
		event_free(notify_watchdog);
	notify_watchdog = NULL;
	if (notify_fd != -1)
		close(notify_fd);
	notify_fd = -1;
}
