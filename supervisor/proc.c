/*
 * proc.c: child processes.  Spawning (an execv of an argv array, never a
 * shell, from a child in fwsd's memory as posix_spawn makes one, or a
 * copy when it must first wait to join its cgroups; in a session of its
 * own so that nothing ties the child's life to fwsd) and watching a
 * process end through a pidfd in the event loop, whether or not it is
 * our child; and what can be read about a process: its pidfile, its
 * command line, its start time (which tells it from a later process
 * that reused the PID), the output it left in a file.  It knows nothing
 * of what the processes are.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/sched.h>
#include <sched.h>
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

struct proc_watch {
	pid_t		 pw_pid;
	int		 pw_fd;
	struct event	*pw_ev;
	proc_exit_fn	 pw_fn;
	void		*pw_arg;
};

static int
pidfd_open_(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

/*
 * The child's side of a spawn, from its first instruction to its exec.
 * It may run in fwsd's own memory (spawn_clone: fwsd stopped until the
 * exec), so it writes nothing but its own stack and errno, calls
 * nothing that allocates or locks, and changes its credentials by raw
 * system calls (glibc's wrappers may ask each thread of the process to
 * change theirs).  Not instrumented: a sanitizer's bookkeeping is
 * fwsd's, and this is not fwsd's stack.
 */
#define KERNEL_NSIG	64	/* the kernel's signals (glibc's NSIG is 65) */

struct spawn_child {
	const struct proc_spec	*sc_ps;
	int			 sc_born;	/* already in its cgroups */
};

static void __attribute__((no_sanitize("address", "undefined")))
child_say(int fd, const char *what, int err)
{
	const char	*e = strerrordesc_np(err);

	(void)!write(fd, what, strlen(what));
	if (e != NULL) {
		(void)!write(fd, ": ", 2);
		(void)!write(fd, e, strlen(e));
	}
	(void)!write(fd, "\n", 1);
}

static int __attribute__((no_sanitize("address", "undefined")))
spawn_child_run(void *arg)
{
	const struct spawn_child *sc = arg;
	const struct proc_spec	*ps = sc->sc_ps;
	unsigned long		 dfl[8];	/* a kernel sigaction */
	sigset_t		 none;
	int			 i, fd, nullfd, in, out, sig;
	int			 kept[sizeof(ps->ps_keep) / sizeof(*ps->ps_keep)];

	/*
	 * Every signal to its default, by the kernel's own call: glibc's
	 * sigaction() refuses the two it keeps for itself (32, 33), which
	 * an ignoring parent of fwsd leaves ignored otherwise.  SIG_DFL,
	 * no flags, no mask: all zero, whatever the kernel's layout.
	 */
	memset(&dfl, 0, sizeof(dfl));
	for (sig = 1; sig <= KERNEL_NSIG; sig++)
		(void)syscall(SYS_rt_sigaction, sig, &dfl, NULL,
		    KERNEL_NSIG / 8);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	/*
	 * Into its cgroups before anything of its own runs (and while
	 * still root, which v1 asks of a process that moves itself)
	 */
	for (i = 0; !sc->sc_born && i < ps->ps_ncgroup; i++)
		if (write(ps->ps_cgroup[i], "0", 1) != 1) {
			child_say(ps->ps_stdout >= 0 ? ps->ps_stdout : 2,
			    "cannot join its cgroup", errno);
			_exit(126);
		}
	/* a file grown past the limit fails with EFBIG, not SIGXFSZ */
	if (ps->ps_fsize_max > 0) {
		struct rlimit	 rl = { ps->ps_fsize_max, ps->ps_fsize_max };
		struct sigaction ign;

		memset(&ign, 0, sizeof(ign));
		ign.sa_handler = SIG_IGN;
		(void)sigaction(SIGXFSZ, &ign, NULL);
		if (setrlimit(RLIMIT_FSIZE, &rl) == -1) {
			child_say(2, "cannot limit file sizes", errno);
			_exit(126);
		}
	}
	/* give up root before anything of the child's own runs */
	if (ps->ps_uid != 0 && (syscall(SYS_setgroups, ps->ps_ngroups,
	    ps->ps_groups) == -1 || syscall(SYS_setresgid, ps->ps_gid,
	    ps->ps_gid, ps->ps_gid) == -1 || syscall(SYS_setresuid, ps->ps_uid,
	    ps->ps_uid, ps->ps_uid) == -1)) {
		child_say(2, "cannot drop privileges", errno);
		_exit(126);
	}
	nullfd = open("/dev/null", O_RDWR);
	out = ps->ps_stdout >= 0 ? ps->ps_stdout : nullfd;
	/* move the kept fds above the target range first */
	for (i = 0; i < ps->ps_nkeep; i++)
		kept[i] = fcntl(ps->ps_keep[i], F_DUPFD_CLOEXEC, 10);
	out = fcntl(out, F_DUPFD_CLOEXEC, 10);
	in = fcntl(ps->ps_stdin > 0 ? ps->ps_stdin : nullfd, F_DUPFD_CLOEXEC,
	    10);
	dup2(in, 0);
	dup2(out, 1);
	dup2(out, 2);
	for (i = 0; i < ps->ps_nkeep; i++)
		dup2(kept[i], 3 + i);
	/* fwsd's limit is raised: there may be more than 1024 of them */
	if (close_range(3 + ps->ps_nkeep, ~0U, CLOSE_RANGE_CLOEXEC) == -1)
		for (fd = 3 + ps->ps_nkeep; fd < 1024; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	execv(ps->ps_argv[0], ps->ps_argv);
	(void)!write(2, "exec ", 5);
	child_say(2, ps->ps_argv[0], errno);
	_exit(127);
}

/*
 * The child's stack when it runs in fwsd's memory: one, made once (one
 * spawn at a time: fwsd waits for each child's exec), with a guard page
 * below it.
 */
#define SPAWN_STACK	(256 * 1024)

static char *
spawn_stack_top(void)
{
	static char	*stack;
	long		 page = sysconf(_SC_PAGESIZE);

	if (stack == NULL) {
		stack = mmap(NULL, SPAWN_STACK, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stack == MAP_FAILED) {
			stack = NULL;
			return NULL;
		}
		(void)mprotect(stack, page, PROT_NONE);
	}
	return stack + SPAWN_STACK;
}

/*
 * The child in fwsd's memory, as posix_spawn makes one: fwsd's page
 * tables are not copied (a fork copies them, and the child then takes
 * a fault for each page it touches while fwsd, on the same CPU, runs
 * on), and fwsd waits the half millisecond until the child's exec.
 */
static pid_t
spawn_clone(struct spawn_child *sc)
{
	char	*top;

	if ((top = spawn_stack_top()) == NULL)
		return -1;
	return clone(spawn_child_run, top, CLONE_VM | CLONE_VFORK | SIGCHLD,
	    sc);
}

/*
 * A child born in the v2 cgroup ps_cgroup_dir: clone3() with
 * CLONE_INTO_CGROUP, so that it needs no join (proc_spawn).  A copy of
 * fwsd's memory, as fork makes (glibc has no clone3 that takes a
 * function and a stack).  Its pid, 0 in the child, -1 and errno:
 * ENOSYS, E2BIG or EINVAL from a kernel without CLONE_INTO_CGROUP
 * (before 5.7).
 */
static pid_t
spawn_into_cgroup(const struct proc_spec *ps)
{
	struct clone_args	 ca;

	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_INTO_CGROUP;
	ca.exit_signal = SIGCHLD;
	ca.cgroup = (uint64_t)ps->ps_cgroup_dir;
	return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

/*
 * Spawn ps->ps_argv.  In the child: a new session, stdin from ps_stdin
 * (or /dev/null), stdout and stderr to ps_stdout, ps_keep[i] at fd
 * 3 + i, every other descriptor closed on exec, in the cgroups of
 * ps_cgroup (born there, or joined before exec; no exec at all when it
 * cannot join), signals back to their defaults (but SIGXFSZ, ignored
 * under a file size limit, ps_fsize_max), none blocked.  An exec
 * failure is written to ps_stdout and the child exits 127: the caller
 * learns it from the exit status, without waiting here.
 */
int
proc_spawn(const struct proc_spec *ps, pid_t *pidp, char **cause)
{
	struct spawn_child	 sc = { ps, 0 };
	sigset_t		 all, old;
	pid_t			 pid = -1;
	const char		*how;

	if (access(ps->ps_argv[0], X_OK) == -1) {
		*cause = xasprintf("%s: %s", ps->ps_argv[0], strerror(errno));
		return -1;
	}
	/* no handler of fwsd's may run in the child */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	if (ps->ps_cgroup_born) {
		pid = spawn_into_cgroup(ps);
		if (pid == 0) {
			sc.sc_born = 1;
			spawn_child_run(&sc);	/* never returns */
		}
		if (pid == -1 && errno != ENOSYS && errno != E2BIG &&
		    errno != EINVAL) {
			*cause = xasprintf("clone3 into its cgroup: %s",
			    strerror(errno));
			sigprocmask(SIG_SETMASK, &old, NULL);
			return -1;
		}
	}
	/*
	 * A join waits for an RCU grace period (a move between cgroups
	 * does, when no move came just before: milliseconds, at every
	 * start) unless the kernel favours dynamic changes.  fwsd does not
	 * wait with it: such a child is a copy made by fork.
	 */
	how = "clone";
	if (pid == -1 && ps->ps_ncgroup > 0 && !ps->ps_join_quick) {
		how = "fork";
		if ((pid = fork()) == 0)
			spawn_child_run(&sc);	/* never returns */
	} else if (pid == -1)
		pid = spawn_clone(&sc);
	if (pid == -1) {
		*cause = xasprintf("%s: %s", how, strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	*pidp = pid;
	return 0;
}

/*
 * The process ended.  Our child's end is read first and reaped after
 * fn: reaping is the kernel's release of the task (tens of
 * microseconds), which the one waiting to hear of the end need not
 * wait for.  Until then it is a zombie, so its PID is not reused.
 */
static void
proc_exited(int fd, short what, void *arg)
{
	struct proc_watch	*pw = arg;
	siginfo_t		 si;
	pid_t			 child = 0;
	int			 status = -1;

	(void)fd;
	(void)what;
	memset(&si, 0, sizeof(si));
	/* our child: how it ended; otherwise unknown */
	if (waitid(P_PIDFD, pw->pw_fd, &si, WEXITED | WNOHANG | WNOWAIT) ==
	    0 && si.si_pid != 0) {
		child = si.si_pid;
		if (si.si_code == CLD_EXITED)
			status = W_EXITCODE(si.si_status, 0);
		else
			status = si.si_status & 0x7f;	/* signal number */
	}
	event_del(pw->pw_ev);
	pw->pw_fn(pw->pw_pid, status, pw->pw_arg);	/* may free pw */
	if (child != 0)
		(void)waitid(P_PID, child, &si, WEXITED | WNOHANG);
}

/*
 * Call fn(pid, status, arg) once the process has ended.  status is in
 * waitpid(2) form for our children, -1 when it cannot be known.  The
 * watch stays allocated until proc_unwatch().
 */
struct proc_watch *
proc_watch(pid_t pid, proc_exit_fn fn, void *arg, char **cause)
{
	struct proc_watch	*pw;

	if ((pw = calloc(1, sizeof(*pw))) == NULL) {
		*cause = xasprintf("%s", strerror(errno));
		return NULL;
	}
	pw->pw_pid = pid;
	pw->pw_fn = fn;
	pw->pw_arg = arg;
	if ((pw->pw_fd = pidfd_open_(pid)) == -1) {
		*cause = xasprintf("pidfd_open %d: %s", (int)pid,
		    strerror(errno));
		free(pw);
		return NULL;
	}
	pw->pw_ev = event_new(base, pw->pw_fd, EV_READ, proc_exited, pw);
	if (pw->pw_ev == NULL || event_add(pw->pw_ev, NULL) == -1) {
		*cause = xasprintf("event_add: %s", strerror(errno));
		proc_unwatch(pw);
		return NULL;
	}
	return pw;
}

void
proc_unwatch(struct proc_watch *pw)
{
	if (pw == NULL)
		return;
	if (pw->pw_ev != NULL)
		event_free(pw->pw_ev);
	close(pw->pw_fd);
	free(pw);
}

/* Signal through the pidfd: never a process that reused the PID. */
int
proc_signal(struct proc_watch *pw, int sig)
{
	return syscall(SYS_pidfd_send_signal, pw->pw_fd, sig, NULL, 0);
}

/*
 * Kill the process and wait for its end.  This blocks: only for fwsd's
 * own exit, once the event loop is over.
 */
void
proc_kill_wait(struct proc_watch *pw)
{
	siginfo_t	 si;

	if (proc_signal(pw, SIGKILL) == -1)
		return;
	while (waitid(P_PIDFD, pw->pw_fd, &si, WEXITED) == -1 &&
	    errno == EINTR)
		;
}

/*
 * How a process ended, from proc_exit_fn's status: "killed by signal 9
 * (Killed)", "exited with status 1", or "ended" when it is not known.
 */
char *
proc_status_words(int status)
{
	if (status == -1)
		return xasprintf("ended");
	if (WIFSIGNALED(status))
		return xasprintf("killed by signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	return xasprintf("exited with status %d", WEXITSTATUS(status));
}

/* The start of the file, NUL-terminated; its length, or -1. */
static ssize_t
proc_read_file(const char *path, char *buf, size_t len)
{
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* The start of /proc/PID/what, NUL-terminated; its length, or -1. */
static ssize_t
proc_read(pid_t pid, const char *what, char *buf, size_t len)
{
	char	 path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	return proc_read_file(path, buf, len);
}

/* Is the process's command line exactly argv (NULL-terminated)? */
int
proc_cmdline_is(pid_t pid, char *const *argv)
{
	char	 buf[8192];
	ssize_t	 n;
	size_t	 off = 0, l;
	int	 i;

	if (pid <= 0 || (n = proc_read(pid, "cmdline", buf, sizeof(buf))) == -1)
		return 0;
	for (i = 0; argv[i] != NULL; i++) {
		l = strlen(argv[i]) + 1;
		if (off + l > (size_t)n || memcmp(buf + off, argv[i], l) != 0)
			return 0;
		off += l;
	}
	return off == (size_t)n;
}

/*
 * The process's start time in clock ticks since boot (field 22 of
 * /proc/PID/stat), 0 when it cannot be read.
 */
uint64_t
proc_start_time(pid_t pid)
{
	char			 buf[1024], *p;
	unsigned long long	 start;
	int			 field;

	if (proc_read(pid, "stat", buf, sizeof(buf)) == -1)
		return 0;
	/* the command name may hold anything: count after its ')' */
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	for (field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%llu", &start) != 1)
		return 0;
	return start;
}

/*
 * The CPU time the process has used, user and system, in nanoseconds
 * (fields 14 and 15 of /proc/PID/stat, in clock ticks); 0 when it
 * cannot be read.
 */
uint64_t
proc_cpu_ns(pid_t pid)
{
	char			 buf[1024], *p;
	unsigned long long	 utime, stime;
	long			 hz = sysconf(_SC_CLK_TCK);
	int			 field;

	if (proc_read(pid, "stat", buf, sizeof(buf)) == -1 || hz <= 0 ||
	    (p = strrchr(buf, ')')) == NULL)
		return 0;
	for (field = 2; field < 14 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%llu %llu", &utime, &stime) != 2)
		return 0;
	return (utime + stime) * (1000000000ULL / (unsigned long long)hz);
}

/* The process's resident memory in bytes (/proc/PID/statm); 0: unknown. */
uint64_t
proc_rss_bytes(pid_t pid)
{
	char			 buf[256];
	unsigned long long	 size, resident;

	if (proc_read(pid, "statm", buf, sizeof(buf)) == -1 ||
	    sscanf(buf, "%llu %llu", &size, &resident) != 2)
		return 0;
	return resident * (unsigned long long)sysconf(_SC_PAGESIZE);
}

/* Does the process's command line hold each of the NULL-ended words? */
int
proc_cmdline_has(pid_t pid, const char *const *words)
{
	char	 buf[8192];
	ssize_t	 n, i;

	if (pid <= 0 || (n = proc_read(pid, "cmdline", buf, sizeof(buf))) == -1)
		return 0;
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	for (; *words != NULL; words++)
		if (strstr(buf, *words) == NULL)
			return 0;
	return 1;
}

/* The PID a pidfile names, 0 when there is none. */
pid_t
proc_pidfile(const char *path)
{
	char	 buf[32];
	long	 pid;

	if (proc_read_file(path, buf, sizeof(buf)) == -1)
		return 0;
	pid = strtol(buf, NULL, 10);
	return pid > 0 ? (pid_t)pid : 0;
}

/* What a child wrote to its output file (up to max bytes), trimmed. */
char *
proc_output(const char *path, size_t max)
{
	char	*buf;
	ssize_t	 n;

	if ((buf = malloc(max + 1)) == NULL)
		abort();
	if ((n = proc_read_file(path, buf, max + 1)) == -1) {
		free(buf);
		return xasprintf("no output");
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return buf;
}
