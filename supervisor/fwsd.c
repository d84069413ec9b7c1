/*
 * fwsd.c: the daemon's main: flags, configuration, directories, the
 * store, the pid file, signals and the event loop.  Guests are never
 * stopped here: SIGTERM ends fwsd and leaves every qemu running, to be
 * adopted by the next fwsd.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fws.h"
#include "log.h"
#include "netsetup.h"
#include "qmp.h"

struct fws_config	 conf;
struct event_base	*base;
static int		 exiting;	/* SIGTERM or SIGINT seen */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: fwsd [-fv] [--config FILE] [--state-dir DIR] "
	    "[--run-dir DIR]\n            [--pidfile FILE]\n"
	    "  -f, --foreground   stay attached, log to stderr\n"
	    "  -v, --verbose      log debug messages\n"
	    "      --config FILE  default %s\n"
	    "      --state-dir DIR  default %s\n"
	    "      --run-dir DIR    default %s\n"
	    "      --pidfile FILE   write fwsd's pid there once it serves\n"
	    "      --version\n", FWS_CONFIG_DEFAULT, FWS_STATE_DIR_DEFAULT,
	    FWS_RUN_DIR_DEFAULT);
	exit(2);
}

static void
fwsd_signal(int sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	log_info("fwsd: %s, exiting; guests keep running", strsignal(sig));
	exiting = 1;
	notify_stopping();
	event_base_loopbreak(base);
}

static int	 ready_fd = -1;	/* the waiting parent, while starting */

/* Start-up failed: tell the waiting parent (or the terminal) and exit. */
static void __attribute__((noreturn))
fwsd_fail(char *cause)
{
	if (ready_fd != -1)
		(void)!write(ready_fd, cause, strlen(cause));
	pidfile_remove();
	fatalx("%s", cause);
}

/*
 * Detach: the parent waits until the child says it is serving (or why
 * it is not), so "fwsd && fwsctl list" works.  Returns the write end the
 * child reports on.
 */
static int
fwsd_daemonize(void)
{
	int	 p[2];
	char	 buf[512];
	ssize_t	 n;
	pid_t	 pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0) {
		close(p[1]);
		n = read(p[0], buf, sizeof(buf) - 1);
		if (n == 1 && buf[0] == '\n')
			_exit(0);
		if (n > 0) {
			buf[n] = '\0';
			fprintf(stderr, "fwsd: %s\n", buf);
		} else
			fprintf(stderr, "fwsd: failed to start\n");
		_exit(1);
	}
	close(p[0]);
	setsid();
	if (chdir("/") == -1)
		fatal("chdir /");
	return p[1];
}

/*
 * Every connection and every running VM's sockets hold descriptors: take
 * as many as the hard limit allows (the soft one is often 1024).
 */
static void
fwsd_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("fwsd: getrlimit RLIMIT_NOFILE");
		return;
	}
	if (rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("fwsd: raising RLIMIT_NOFILE to %llu",
		    (unsigned long long)rl.rlim_max);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct event	*ev_term, *ev_int;
	gid_t		 socket_gid, admin_gid;
	const char	*config = FWS_CONFIG_DEFAULT, *state = NULL, *run = NULL;
	const char	*pidfile = NULL;
	char		*cause, *path;
	int		 ch, foreground = 0, verbose = 0, explicit = 0;

	while ((ch = getopt_long(argc, argv, "fv", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			explicit = 1;
			break;
		case 's':
			state = optarg;
			break;
		case 'r':
			run = optarg;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			printf("fwsd %s\n", FWS_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init(1, verbose);

	config_defaults(&conf);
	if (config_load(&conf, config, explicit, &cause) == -1)
		fatalx("%s", cause);
	if (state != NULL) {
		free(conf.cf_state_dir);
		conf.cf_state_dir = realpath(state, NULL);
		if (conf.cf_state_dir == NULL && (mkdir(state, 0750) == -1 ||
		    (conf.cf_state_dir = realpath(state, NULL)) == NULL))
			fatal("state directory %s", state);
	}
	if (run != NULL) {
		free(conf.cf_run_dir);
		conf.cf_run_dir = realpath(run, NULL);
		if (conf.cf_run_dir == NULL && (mkdir(run, 0755) == -1 ||
		    (conf.cf_run_dir = realpath(run, NULL)) == NULL))
			fatal("run directory %s", run);
	}
	if (config_finish(&conf, &cause) == -1)
		fatalx("%s", cause);
	/* before the fork: a second fwsd is refused on the terminal */
	if (pidfile != NULL && pidfile_lock(pidfile, &cause) == -1)
		fatalx("%s", cause);

	if (!foreground)
		ready_fd = fwsd_daemonize();
	log_init(foreground, verbose);
	fwsd_nofile();
	signal(SIGPIPE, SIG_IGN);
	umask(027);
	if (access_init(&socket_gid, &admin_gid, &cause) == -1)
		fwsd_fail(cause);
	if (conf.cf_web_user != NULL && access_is_admin(conf.cf_web_uid))
		log_warnx("web_user %s is in admin_group: its own requests are "
		    "still never an admin's", conf.cf_web_user);
	if (conf.cf_web_user != NULL && access(conf.cf_pam_helper, X_OK) == -1)
		log_warn("pam_helper %s: the web panel's password logins will "
		    "fail", conf.cf_pam_helper);
	if (access(conf.cf_image_checker, X_OK) == -1)
		log_warn("image_checker %s: images cannot be checked, and none "
		    "reaches a public network unless accepted",
		    conf.cf_image_checker);
	if (access_run_dir(conf.cf_run_dir, &cause) == -1)
		fwsd_fail(cause);
	path = xasprintf("%s/vms", conf.cf_state_dir);
	if (access_mkdir(conf.cf_state_dir, &cause) == -1 ||
	    access_mkdir(path, &cause) == -1)
		fwsd_fail(cause);
	free(path);
	if (vm_disk_dir_init(&cause) == -1)
		fwsd_fail(cause);
	image_scratch_clean();
	if (rbd_init(&cause) == -1)
		fwsd_fail(cause);
	if (cgroup_init(&cause) == -1)
		fwsd_fail(cause);

	path = xasprintf("%s/%s", conf.cf_state_dir, FWS_DB_NAME);
	if (store_open(path, &cause) == -1 ||
	    store_vm_load(&vms, &cause) == -1 ||
	    store_net_load(&nets, &cause) == -1)
		fwsd_fail(cause);
	free(path);

	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	ev_term = evsignal_new(base, SIGTERM, fwsd_signal, NULL);
	ev_int = evsignal_new(base, SIGINT, fwsd_signal, NULL);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	notify_init();

	/*
	 * The accelerator is known before anything is served or started:
	 * the loop runs only for the probe (a signal ends the wait).
	 */
	accel_init();
	while (accel_probing() && !exiting)
		event_base_loop(base, EVLOOP_ONCE);
	if (exiting)
		goto stop;

	path = xasprintf("%s/%s", conf.cf_run_dir, FWS_SOCKET_NAME);
	if (control_listen(path, socket_gid, admin_gid, cmd_dispatch,
	    cmd_client_gone, &cause) == -1)
		fwsd_fail(cause);
	free(path);
	if (control_tls_listen(&cause) == -1)
		fwsd_fail(cause);
	if (ns_open(&cause) == -1)
		fwsd_fail(cause);
	/* networks first: adopted and autostarted VMs need their bridges */
	net_autostart_all();
	net_dhcp_sync();		/* networks not started name their VMs too */
	vm_adopt_all();
	cgroup_sweep();			/* after adoption: what is left is ours */
	net_ifb_sweep();		/* after: adopted taps keep theirs */
	/* before autostart, which leaves alone what a loan's end ended */
	loan_init();
	vm_autostart_all();
	creds_resume();			/* image checks owed, accel known */
	log_info("fwsd %s: serving on %s/%s, state in %s, accel %s",
	    FWS_VERSION, conf.cf_run_dir, FWS_SOCKET_NAME, conf.cf_state_dir,
	    accel_name());
	/* the socket listens and the store matches reality: ready */
	notify_ready();
	pidfile_write();
	if (ready_fd != -1) {
		(void)!write(ready_fd, "\n", 1);
		close(ready_fd);
	}

	event_base_dispatch(base);

stop:
	control_tls_shutdown();
	peer_release();
	control_shutdown();
	web_auth_release();
	web_token_release();
	web_release();
	access_release();
	event_unfollow(0);
	loan_release();
	vm_release_all();
	vm_saved_release();
	logcap_release();
	net_release_all();
	ns_close();
	accel_release();
	creds_release();
	cgroup_release();
	event_free(ev_term);
	event_free(ev_int);
	event_base_free(base);
	store_close();
	config_clear(&conf);
	pidfile_remove();
	return 0;
}
