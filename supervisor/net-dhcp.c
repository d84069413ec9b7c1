/*
 * net-dhcp.c: a network's DHCP server.  fwsd runs one dnsmasq per
 * network with a DHCP range (DHCP only: no DNS, bound to the bridge
 * alone, no config file read), keeps its leases in the state directory,
 * watches it with a pidfd and starts it again when it dies.  Like a
 * qemu, it outlives fwsd: the next fwsd finds it by its pidfile (and its
 * lease file on its command line) and watches it again.  It stops with
 * the network.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fws.h"
#include "log.h"

#define NET_DHCP_RESTART_DELAY	2	/* s, after dnsmasq died */

static void	net_dhcp_exited(pid_t, int, void *);

char *
net_dhcp_leasefile(const struct net *n)
{
	return xasprintf("%s/networks/%s/leases", conf.cf_state_dir,
	    n->net_name);
}

static char *
net_dhcp_pidfile(const struct net *n)
{
	return xasprintf("%s/net-%s.dnsmasq.pid", conf.cf_run_dir,
	    n->net_name);
}

/* A dnsmasq an earlier fwsd left serving this network, or 0. */
static pid_t
net_dhcp_find(const struct net *n)
{
	char		*path = net_dhcp_pidfile(n), *leases;
	const char	*words[] = { "dnsmasq", NULL, NULL };
	pid_t		 pid = proc_pidfile(path);

	free(path);
	words[1] = leases = net_dhcp_leasefile(n);
	if (!proc_cmdline_has(pid, words))
		pid = 0;
	free(leases);
	return pid;
}

/* Spawn dnsmasq in the foreground, its output in the network's log. */
static int
net_dhcp_spawn(struct net *n, char **cause)
{
	struct proc_spec	 ps;
	char			*dir, *leases, *log, *range, *iface, *netmask;
	char			*pidfile, *parent = NULL;
	char			*argv[16];
	int			 fd = -1, rc = -1, i = 0;
	unsigned		 bits = 24;
	uint32_t		 mask;
	const char		*slash;
	pid_t			 pid;

	dir = xasprintf("%s/networks/%s", conf.cf_state_dir, n->net_name);
	leases = net_dhcp_leasefile(n);
	pidfile = net_dhcp_pidfile(n);
	log = xasprintf("%s/dnsmasq.log", dir);
	if (n->net_address != NULL &&
	    (slash = strchr(n->net_address, '/')) != NULL)
		bits = (unsigned)atoi(slash + 1);
	mask = bits == 0 ? 0 : 0xffffffffU << (32 - bits);
	netmask = xasprintf("%u.%u.%u.%u", mask >> 24, (mask >> 16) & 0xff,
	    (mask >> 8) & 0xff, mask & 0xff);
	range = xasprintf("--dhcp-range=%s,%s,%s,1h", n->net_dhcp_start,
	    n->net_dhcp_end, netmask);
	iface = xasprintf("--interface=%s", n->net_bridge);
	parent = xasprintf("%s/networks", conf.cf_state_dir);
	if ((mkdir(parent, 0750) == -1 && errno != EEXIST) ||
	    (mkdir(dir, 0750) == -1 && errno != EEXIST)) {
		cause_fail(cause, "%s: %s", dir, strerror(errno));
		goto done;
	}
	fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1) {
		cause_fail(cause, "%s: %s", log, strerror(errno));
		goto done;
	}
	argv[i++] = FWS_DNSMASQ;
	argv[i++] = "--keep-in-foreground";
	argv[i++] = "--conf-file=/dev/null";
	argv[i++] = "--port=0";			/* no DNS */
	argv[i++] = "--bind-interfaces";
	argv[i++] = iface;
	argv[i++] = "--except-interface=lo";
	argv[i++] = range;
	argv[i++] = "--dhcp-authoritative";
	argv[i++] = "--log-dhcp";
	argv[i++] = "--log-facility=-";
	argv[i++] = xasprintf("--dhcp-leasefile=%s", leases);
	argv[i++] = xasprintf("--pid-file=%s", pidfile);
	argv[i] = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.ps_argv = argv;
	ps.ps_stdout = fd;
	rc = proc_spawn(&ps, &pid, cause);
	free(argv[i - 1]);
	free(argv[i - 2]);
	if (rc == -1)
		goto done;
	rc = -1;
	if ((n->net_dhcpd = proc_watch(pid, net_dhcp_exited, n,
	    cause)) == NULL) {
		kill(pid, SIGKILL);
		goto done;
	}
	n->net_dhcpd_pid = pid;
	log_info("network %s: dnsmasq pid %d serves %s-%s on %s",
	    n->net_name, (int)pid, n->net_dhcp_start, n->net_dhcp_end,
	    n->net_bridge);
	rc = 0;
done:
	if (fd != -1)
		close(fd);
	free(dir);
	free(leases);
	free(pidfile);
	free(parent);
	free(log);
	free(range);
	free(iface);
	free(netmask);
	return rc;
}

static void
net_dhcp_respawn(int fd, short what, void *arg)
{
	struct net	*n = arg;
	char		*cause;

	(void)fd;
	(void)what;
	if (!n->net_active || n->net_dhcpd != NULL)
		return;
	if (net_dhcp_spawn(n, &cause) == -1) {
		log_warnx("network %s: dnsmasq: %s", n->net_name, cause);
		free(cause);
	}
}

static void
net_dhcp_exited(pid_t pid, int status, void *arg)
{
	struct net	*n = arg;
	struct timeval	 tv = { NET_DHCP_RESTART_DELAY, 0 };

	proc_unwatch(n->net_dhcpd);
	n->net_dhcpd = NULL;
	n->net_dhcpd_pid = 0;
	if (!n->net_active)
		return;
	log_warnx("network %s: dnsmasq pid %d ended (status %d), starting "
	    "it again in %d s", n->net_name, (int)pid, status,
	    NET_DHCP_RESTART_DELAY);
	if (n->net_dhcpd_timer == NULL)
		n->net_dhcpd_timer = evtimer_new(base, net_dhcp_respawn, n);
	evtimer_add(n->net_dhcpd_timer, &tv);
}

int
net_dhcp_start(struct net *n, char **cause)
{
	pid_t	 pid;

	if (n->net_dhcp_start == NULL || n->net_dhcpd != NULL)
		return 0;
	if ((pid = net_dhcp_find(n)) > 0 &&
	    (n->net_dhcpd = proc_watch(pid, net_dhcp_exited, n,
	    cause)) != NULL) {
		n->net_dhcpd_pid = pid;
		log_info("network %s: dnsmasq pid %d still serves it",
		    n->net_name, (int)pid);
		return 0;
	}
	return net_dhcp_spawn(n, cause);
}

/* Collects a dnsmasq that was told to stop, whoever owns the net now. */
struct net_dhcp_reap {
	struct proc_watch	*r_watch;
};

static void
net_dhcp_reaped(pid_t pid, int status, void *arg)
{
	struct net_dhcp_reap	*r = arg;

	(void)pid;
	(void)status;
	proc_unwatch(r->r_watch);
	free(r);
}

/* Stop dnsmasq (SIGTERM); its end is collected in the background. */
void
net_dhcp_stop(struct net *n)
{
	struct net_dhcp_reap	*r;
	char			*cause, *p;

	if (n->net_dhcpd_timer != NULL) {
		event_free(n->net_dhcpd_timer);
		n->net_dhcpd_timer = NULL;
	}
	if (n->net_dhcpd == NULL)
		return;
	if (proc_signal(n->net_dhcpd, SIGTERM) == -1 && errno != ESRCH)
		log_warn("network %s: kill dnsmasq", n->net_name);
	proc_unwatch(n->net_dhcpd);
	n->net_dhcpd = NULL;
	if ((r = calloc(1, sizeof(*r))) != NULL &&
	    (r->r_watch = proc_watch(n->net_dhcpd_pid, net_dhcp_reaped, r,
	    &cause)) == NULL) {
		free(cause);	/* already gone */
		free(r);
	}
	n->net_dhcpd_pid = 0;
	p = net_dhcp_pidfile(n);
	unlink(p);
	free(p);
}

/* fwsd is exiting: dnsmasq keeps serving, as the guests keep running. */
void
net_dhcp_release(struct net *n)
{
	if (n->net_dhcpd_timer != NULL) {
		event_free(n->net_dhcpd_timer);
		n->net_dhcpd_timer = NULL;
	}
	proc_unwatch(n->net_dhcpd);
	n->net_dhcpd = NULL;
}
