/*
 * accel.c: the accelerator qemu runs guests with.  "kvm" or "tcg" in
 * fwsd.conf is taken as it is.  "auto" asks the configured qemu itself:
 * a probe qemu, run as the qemu user with the flags a VM gets
 * (-machine M,accel=kvm -cpu host), held stopped (-S), its monitor on a
 * socketpair.  qemu answers QMP only once machine init is over, the CPU
 * reset that writes the MSRs included, so query-kvm saying "enabled" and
 * "present" proves that KVM runs guests here; anything else (qemu's own
 * last words, its exit, silence for FWS_ACCEL_PROBE_TIMEOUT seconds)
 * means TCG, and the reason is kept for "fwsctl version".  The probe runs
 * at start-up, before fwsd serves, and again in the background when the
 * qemu binary changes (a package upgrade).  A VM's command line is
 * vm-qemu.c's; spawning and watching processes is proc.c's; QMP is the
 * qmp/ library's.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fws.h"
#include "log.h"
#include "qmp.h"

#define ACCEL_WORDS_MAX	240	/* of qemu's output, in a reason */

/* One probe qemu, from its spawn to its reaping. */
struct accel_probe {
	struct proc_watch	*ap_watch;
	struct qmp		*ap_qmp;
	struct event		*ap_timer;
	int			 ap_out;	/* its stdout, stderr */
	int			 ap_decided;	/* the answer is known */
	int			 ap_works;	/* KVM enabled, present */
	char			*ap_failure;	/* or why not */
};

/* What tells one qemu binary from another: an upgrade changes these. */
struct accel_binary {
	dev_t			 ab_dev;
	ino_t			 ab_ino;
	off_t			 ab_size;
	struct timespec		 ab_mtim;
};

static int			 accel_kvm;	/* kvm, else tcg */
static char			*accel_why;	/* how it was chosen */
static struct accel_probe	*probe;		/* running, or NULL */
static struct accel_binary	 probed;	/* the qemu asked */

/* The binary's identity; all zero when it cannot be seen. */
static void
accel_binary_get(struct accel_binary *ab)
{
	struct stat	 sb;

	memset(ab, 0, sizeof(*ab));
	if (stat(conf.cf_qemu, &sb) == -1)
		return;
	ab->ab_dev = sb.st_dev;
	ab->ab_ino = sb.st_ino;
	ab->ab_size = sb.st_size;
	ab->ab_mtim = sb.st_mtim;
}

static int
accel_binary_same(const struct accel_binary *a, const struct accel_binary *b)
{
	return a->ab_dev == b->ab_dev && a->ab_ino == b->ab_ino &&
	    a->ab_size == b->ab_size &&
	    a->ab_mtim.tv_sec == b->ab_mtim.tv_sec &&
	    a->ab_mtim.tv_nsec == b->ab_mtim.tv_nsec;
}

/* A line's length without its end and trailing blanks. */
static size_t
accel_line_len(const char *line)
{
	size_t	 len = strcspn(line, "\n");

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	return len;
}

/*
 * The line of qemu's output that says why it failed: the first one that
 * is not a warning (what qemu says first is the cause, what follows its
 * consequences), else the first one; bytes that are not printable ASCII
 * become '?'.  NULL when it said nothing.
 */
char *
accel_qemu_words(const char *out)
{
	const char	*p, *next, *line = NULL;
	char		*w;
	size_t		 len, i;

	for (p = out; *p != '\0'; p = next) {
		next = p + strcspn(p, "\n");
		if (*next == '\n')
			next++;
		if ((len = accel_line_len(p)) == 0)
			continue;
		if (line == NULL)
			line = p;
		if (memmem(p, len, "warning:", 8) == NULL) {
			line = p;
			break;
		}
	}
	if (line == NULL)
		return NULL;
	len = accel_line_len(line);
	if (len > ACCEL_WORDS_MAX)
		len = ACCEL_WORDS_MAX;
	w = xasprintf("%.*s", (int)len, line);
	for (i = 0; i < len; i++)
		if ((unsigned char)w[i] < 0x20 || (unsigned char)w[i] > 0x7e)
			w[i] = '?';
	return w;
}

/* What the probe qemu wrote, read once it has ended. */
static char *
accel_probe_words(struct accel_probe *p)
{
	char	 buf[4096];
	ssize_t	 n;

	if ((n = pread(p->ap_out, buf, sizeof(buf) - 1, 0)) <= 0)
		return NULL;
	buf[n] = '\0';
	return accel_qemu_words(buf);
}

/* How it ended. */
static char *
accel_probe_status(int status)
{
	char	*w = proc_status_words(status), *s;

	s = xasprintf("qemu %s%s", WIFSIGNALED(status) && status != -1 ?
	    "was " : "", w);
	free(w);
	return s;
}

/* Take the probe's answer (failure NULL: KVM works) and say so. */
static void
accel_answer(const char *failure)
{
	free(accel_why);
	accel_kvm = failure == NULL;
	if (accel_kvm) {
		accel_why = xasprintf("KVM works: %s ran a guest CPU with "
		    "-cpu host", conf.cf_qemu);
		log_info("accel auto: KVM works, using it");
	} else {
		accel_why = xasprintf("KVM cannot run guests here: %s",
		    failure);
		log_info("accel auto: KVM cannot run guests here (%s): "
		    "using TCG", failure);
	}
}

static void
accel_probe_free(struct accel_probe *p)
{
	if (p->ap_qmp != NULL)
		qmp_free(p->ap_qmp);
	if (p->ap_timer != NULL)
		event_free(p->ap_timer);
	proc_unwatch(p->ap_watch);
	if (p->ap_out != -1)
		close(p->ap_out);
	free(p->ap_failure);
	free(p);
}

/*
 * The answer is known (or the time is up): end the probe qemu.  Its exit
 * ends the probe.  failure is a format, NULL when KVM works; only the
 * first decision counts.
 */
static void __attribute__((format(printf, 2, 3)))
accel_probe_decide(struct accel_probe *p, const char *failure, ...)
{
	va_list	 ap;

	if (!p->ap_decided) {
		p->ap_decided = 1;
		p->ap_works = failure == NULL;
		if (failure != NULL) {
			va_start(ap, failure);
			if (vasprintf(&p->ap_failure, failure, ap) == -1)
				abort();
			va_end(ap);
		}
	}
	if (proc_signal(p->ap_watch, SIGKILL) == -1 && errno != ESRCH)
		log_warn("%s: kill the probe qemu", __func__);
}

static void
accel_probe_reply(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct accel_probe	*p = arg;
	json_t			*present, *enabled;

	(void)q;
	/* qemu went away: its exit (and its last words) tell why */
	if (err_class != NULL && strcmp(err_class, QMP_ERR_DISCONNECTED) == 0)
		return;
	if (err_class != NULL) {
		accel_probe_decide(p, "query-kvm failed: %s", err_desc);
		return;
	}
	present = json_object_get(ret, "present");
	enabled = json_object_get(ret, "enabled");
	if (json_is_true(present) && json_is_true(enabled))
		accel_probe_decide(p, NULL);
	else
		accel_probe_decide(p, "qemu runs without KVM (query-kvm: "
		    "present %s, enabled %s)", json_is_true(present) ? "true" :
		    "false", json_is_true(enabled) ? "true" : "false");
}

static void
accel_probe_timeout(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	accel_probe_decide(arg, "qemu did not answer within %d s",
	    FWS_ACCEL_PROBE_TIMEOUT);
}

/* The probe qemu is gone (and reaped): the probe is over. */
static void
accel_probe_exited(pid_t pid, int status, void *arg)
{
	struct accel_probe	*p = arg;
	char			*words, *how;

	(void)pid;
	if (!p->ap_decided) {
		p->ap_decided = 1;
		words = accel_probe_words(p);
		how = accel_probe_status(status);
		if (words != NULL) {
			p->ap_failure = xasprintf("%s; %s", words, how);
			free(how);
		} else
			p->ap_failure = how;
		free(words);
	}
	accel_answer(p->ap_works ? NULL : p->ap_failure);
	probe = NULL;
	accel_probe_free(p);
}

/*
 * Spawn the probe qemu.  The flags that matter are a VM's (vm-qemu.c):
 * the machine with accel=kvm and -cpu host.  The monitor is the client
 * end of a socketpair (fd= on a client socket chardev takes a connected
 * socket).  When it cannot even be spawned, the answer is given here.
 */
static void
accel_probe_start(void)
{
	struct proc_spec	 ps;
	struct timeval		 tv = { FWS_ACCEL_PROBE_TIMEOUT, 0 };
	struct accel_probe	*p;
	char			*out, *cause = NULL;
	char			*machine = xasprintf("%s,accel=kvm",
				    conf.cf_machine);
	char *const		 argv[] = { conf.cf_qemu, "-machine",
				    machine, "-cpu", "host", "-S",
				    "-nodefaults", "-no-user-config",
				    "-display", "none", "-m", "64",
				    "-chardev", "socket,id=qmp,fd=3", "-mon",
				    "chardev=qmp,mode=control", NULL };
	int			 sv[2] = { -1, -1 };
	pid_t			 pid;

	accel_binary_get(&probed);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		abort();
	out = xasprintf("%s/accel-probe.XXXXXX", conf.cf_run_dir);
	if ((p->ap_out = mkostemp(out, O_CLOEXEC)) == -1) {
		cause = xasprintf("%s: %s", out, strerror(errno));
		goto fail;
	}
	unlink(out);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		cause = xasprintf("socketpair: %s", strerror(errno));
		goto fail;
	}
	memset(&ps, 0, sizeof(ps));
	ps.ps_argv = argv;
	ps.ps_stdout = p->ap_out;
	ps.ps_keep[0] = sv[1];
	ps.ps_nkeep = 1;
	/* a uid of qemu_uids no VM has: no VM's qemu may touch it */
	access_spec_qemu(&ps, conf.cf_qemu_uid_last);
	if (proc_spawn(&ps, &pid, &cause) == -1)
		goto fail;
	close(sv[1]);
	sv[1] = -1;
	if ((p->ap_watch = proc_watch(pid, accel_probe_exited, p,
	    &cause)) == NULL) {
		kill(pid, SIGKILL);
		goto fail;
	}
	/* from here on, the probe ends when the qemu does */
	p->ap_qmp = qmp_open(base, sv[0], NULL, NULL, 0);
	sv[0] = -1;
	if (p->ap_qmp == NULL ||
	    qmp_execute(p->ap_qmp, "query-kvm", NULL, 0, accel_probe_reply,
	    p) == -1)
		accel_probe_decide(p, "QMP: %s", strerror(errno));
	else if ((p->ap_timer = evtimer_new(base, accel_probe_timeout,
	    p)) == NULL || evtimer_add(p->ap_timer, &tv) == -1)
		accel_probe_decide(p, "cannot time the probe");
	log_debug("%s: probe qemu pid %d", __func__, (int)pid);
	probe = p;
	free(out);
	free(machine);
	return;
fail:
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	accel_answer(cause);
	free(cause);
	accel_probe_free(p);
	free(out);
	free(machine);
}

/*
 * Settle the accelerator at start-up.  With "auto" this starts the probe:
 * fwsd runs its event loop while accel_probing() before serving.
 */
void
accel_init(void)
{
	if (strcmp(conf.cf_accel, "auto") != 0) {
		accel_kvm = strcmp(conf.cf_accel, "kvm") == 0;
		accel_why = xasprintf("set in fwsd.conf");
		return;
	}
	accel_why = xasprintf("not probed yet");
	accel_probe_start();
}

int
accel_probing(void)
{
	return probe != NULL;
}

/* "kvm" or "tcg": the answer known now. */
const char *
accel_name(void)
{
	return accel_kvm ? "kvm" : "tcg";
}

/* Why: "set in fwsd.conf", or what the last probe found. */
const char *
accel_reason(void)
{
	return accel_why;
}

/*
 * The accelerator for a VM starting now.  A qemu binary that changed
 * since the last probe is probed again, in the background: this start
 * takes the answer known so far.
 */
const char *
accel_for_start(void)
{
	struct accel_binary	 now;
	const char		*name = accel_name();

	if (strcmp(conf.cf_accel, "auto") != 0 || probe != NULL)
		return name;
	accel_binary_get(&now);
	if (accel_binary_same(&now, &probed))
		return name;
	log_info("accel auto: %s changed: probing KVM again (meanwhile "
	    "using %s)", conf.cf_qemu, name);
	accel_probe_start();
	return name;
}

/* fwsd is exiting: a probe still running is killed and reaped. */
void
accel_release(void)
{
	if (probe != NULL) {
		proc_kill_wait(probe->ap_watch);
		accel_probe_free(probe);
		probe = NULL;
	}
	free(accel_why);
	accel_why = NULL;
}
