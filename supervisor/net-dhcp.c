/*
 * net-dhcp.c: a network's DHCP server.  fwsd runs one dnsmasq per
 * network with a DHCP range (bound to the bridge alone, no config file
 * read; its DNS and the VMs' names as net-dns.c says), keeps its leases
 * in the state directory, watches it with a pidfd and starts it again
 * when it dies.  Like a qemu, it outlives fwsd: the next fwsd finds it
 * by its pidfile (and its lease file on its command line) and watches
 * it again, or replaces it when it was started with other options.  It
 * stops with the network.
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

/* The network's directory in the state directory, made if missing. */
static int
net_dhcp_mkdir(const struct net *n, char **cause)
{
	char	*parent, *dir;
	int	 rc = 0;

	parent = xasprintf("%s/networks", conf.cf_state_dir);
	dir = xasprintf("%s/%s", parent, n->net_name);
	if ((mkdir(parent, 0750) == -1 && errno != EEXIST) ||
	    (mkdir(dir, 0750) == -1 && errno != EEXIST))
		rc = cause_fail(cause, "%s: %s", dir, strerror(errno));
	free(parent);
	free(dir);
	return rc;
}

#define NET_DHCP_ARGS_MAX	(16 + NET_DNS_ARGS_MAX)

/*
 * dnsmasq's command line for the network, every word malloc'ed: what
 * is spawned, and what a dnsmasq found running must match.
 */
static char **
net_dhcp_argv(const struct net *n)
{
	struct in_addr	 in;
	char		**argv, *leases, *pidfile;
	uint32_t	 mask;
	int		 bits, i = 0;

	if ((argv = calloc(NET_DHCP_ARGS_MAX + 1, sizeof(*argv))) == NULL)
		abort();
	/* cmd-net.c checked the address: /24 is for a store edited by hand */
	if (n->net_address == NULL ||
	    validate_cidr(n->net_address, &in, &bits, NULL) == -1)
		bits = 24;
	mask = 0xffffffffU << (32 - bits);
	leases = net_dhcp_leasefile(n);
	pidfile = net_dhcp_pidfile(n);
	argv[i++] = xasprintf("%s", FWS_DNSMASQ);
	argv[i++] = xasprintf("--keep-in-foreground");
	argv[i++] = xasprintf("--conf-file=/dev/null");
	argv[i++] = xasprintf("--bind-interfaces");
	argv[i++] = xasprintf("--interface=%s", n->net_bridge);
	argv[i++] = xasprintf("--except-interface=lo");
	argv[i++] = xasprintf("--dhcp-range=%s,%s,%u.%u.%u.%u,1h",
	    n->net_dhcp_start, n->net_dhcp_end, mask >> 24,
	    (mask >> 16) & 0xff, (mask >> 8) & 0xff, mask & 0xff);
	argv[i++] = xasprintf("--dhcp-authoritative");
	argv[i++] = xasprintf("--log-dhcp");
	argv[i++] = xasprintf("--log-facility=-");
	argv[i++] = xasprintf("--dhcp-leasefile=%s", leases);
	argv[i++] = xasprintf("--pid-file=%s", pidfile);
	net_dns_args(n, argv, &i);
	argv[i] = NULL;
	free(leases);
	free(pidfile);
	return argv;
}

static void
net_dhcp_argv_free(char **argv)
{
	char	**p;

	for (p = argv; *p != NULL; p++)
		free(*p);
	free(argv);
}

/* Spawn dnsmasq in the foreground, its output in the network's log. */
static int
net_dhcp_spawn(struct net *n, char **cause)
{
	struct proc_spec	 ps;
	char			*log, **argv = NULL;
	int			 fd = -1, rc = -1;
	pid_t			 pid;

	log = xasprintf("%s/networks/%s/dnsmasq.log", conf.cf_state_dir,
	    n->net_name);
	if (net_dhcp_mkdir(n, cause) == -1)
		goto done;
	fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1) {
		cause_fail(cause, "%s: %s", log, strerror(errno));
		goto done;
	}
	argv = net_dhcp_argv(n);
	memset(&ps, 0, sizeof(ps));
	ps.ps_argv = argv;
	ps.ps_stdout = fd;
	if (proc_spawn(&ps, &pid, cause) == -1)
		goto done;
	if ((n->net_dhcpd = proc_watch(pid, net_dhcp_exited, n,
	    cause)) == NULL) {
		kill(pid, SIGKILL);
		goto done;
	}
	n->net_dhcpd_pid = pid;
	log_info("network %s: dnsmasq pid %d serves %s-%s on %s (DNS: %s)",
	    n->net_name, (int)pid, n->net_dhcp_start, n->net_dhcp_end,
	    n->net_bridge, net_dns_mode_name(n->net_dns));
	rc = 0;
done:
	if (fd != -1)
		close(fd);
	if (argv != NULL)
		net_dhcp_argv_free(argv);
	free(log);
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
	char		*cause;

	proc_unwatch(n->net_dhcpd);
	n->net_dhcpd = NULL;
	n->net_dhcpd_pid = 0;
	if (!n->net_active)
		return;
	/* an older dnsmasq made way for ours: its port is free now */
	if (n->net_dhcpd_replace) {
		n->net_dhcpd_replace = 0;
		if (net_dhcp_spawn(n, &cause) == 0)
			return;
		log_warnx("network %s: dnsmasq: %s", n->net_name, cause);
		free(cause);
	}
	log_warnx("network %s: dnsmasq pid %d ended (status %d), starting "
	    "it again in %d s", n->net_name, (int)pid, status,
	    NET_DHCP_RESTART_DELAY);
	if (n->net_dhcpd_timer == NULL)
		n->net_dhcpd_timer = evtimer_new(base, net_dhcp_respawn, n);
	evtimer_add(n->net_dhcpd_timer, &tv);
}

/*
 * dnsmasq reads its dhcp-hosts file again (SIGHUP) once it can take the
 * signal: its pid file is written late in its start (a SIGHUP before it
 * catches signals would end it), and before that it has not read the
 * file yet, so it will read the new one.
 */
void
net_dhcp_reload(struct net *n)
{
	char	*path;
	pid_t	 pid;

	if (n->net_dhcpd == NULL || n->net_dhcpd_replace)
		return;
	path = net_dhcp_pidfile(n);
	pid = proc_pidfile(path);
	free(path);
	if (pid != n->net_dhcpd_pid)
		return;
	if (proc_signal(n->net_dhcpd, SIGHUP) == -1 && errno != ESRCH)
		log_warn("network %s: SIGHUP to dnsmasq", n->net_name);
}

/*
 * Serve the network: its VMs' names written first, then dnsmasq found
 * (left by an earlier fwsd) or spawned.  A dnsmasq found with another
 * command line than this fwsd gives (an older fwsd's, without DNS) is
 * stopped, and ours started once it is gone.
 */
int
net_dhcp_start(struct net *n, char **cause)
{
	char	**argv;
	pid_t	 pid;
	int	 changed, same;

	if (n->net_dhcp_start == NULL || n->net_dhcpd != NULL)
		return 0;
	net_dns_assign(n);
	if (net_dns_write_hosts(n, &changed, cause) == -1)
		return -1;
	if ((pid = net_dhcp_find(n)) > 0 &&
	    (n->net_dhcpd = proc_watch(pid, net_dhcp_exited, n,
	    cause)) != NULL) {
		n->net_dhcpd_pid = pid;
		argv = net_dhcp_argv(n);
		same = proc_cmdline_is(pid, argv);
		net_dhcp_argv_free(argv);
		if (!same) {
			log_info("network %s: dnsmasq pid %d runs with other "
			    "options than this fwsd gives: replacing it",
			    n->net_name, (int)pid);
			n->net_dhcpd_replace = 1;
			if (proc_signal(n->net_dhcpd, SIGTERM) == -1 &&
			    errno != ESRCH)
				log_warn("network %s: kill dnsmasq",
				    n->net_name);
			return 0;
		}
		log_info("network %s: dnsmasq pid %d still serves it",
		    n->net_name, (int)pid);
		if (changed)
			net_dhcp_reload(n);
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
	n->net_dhcpd_replace = 0;
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
	p = net_dns_hostsfile(n);
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

/*
 * VMs came or went: every network with DHCP names its VMs anew, and the
 * dnsmasq of one that is up reads its changed dhcp-hosts file again.
 */
void
net_dhcp_sync(void)
{
	struct net	*n;
	char		*cause;
	int		 changed;

	TAILQ_FOREACH(n, &nets, net_entry) {
		net_dns_assign(n);
		if (!n->net_active)
			continue;
		if (net_dns_write_hosts(n, &changed, &cause) == -1) {
			log_warnx("network %s: the VMs' names: %s", n->net_name,
			    cause);
			free(cause);
			continue;
		}
		if (changed)
			net_dhcp_reload(n);
	}
}
