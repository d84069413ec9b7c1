/*
 * test_proc.c: proc.c's spawn into a cgroup, with the kernel's own
 * cgroups.  The program exec'd reads /proc/self/cgroup itself, so what
 * is checked is where it ran from its first instruction: born in a v2
 * cgroup (CLONE_INTO_CGROUP), or joined before exec on v1.  Each case
 * needs root and that hierarchy mounted, and says when it is skipped.
 * What the child is at its exec (user, signals, limits, descriptors,
 * session), and that fwsd is as it was after (the child runs in its
 * memory).  And the watch on a process's end: how a child ended is told
 * while it is still a zombie (its PID not free), and it is reaped after,
 * even when the one told let go of the watch.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "unit.h"
#include "fws.h"

struct fws_config	 conf;
struct event_base	*base;

/*
 * The mount point of the first mount of fstype (with option opt among
 * its super options, when given) in /proc/self/mountinfo; NULL: none.
 */
static char *
mount_of(const char *fstype, const char *opt)
{
	FILE	*f = fopen("/proc/self/mountinfo", "r");
	char	 line[4096], *found = NULL;

	if (f == NULL)
		return NULL;
	while (found == NULL && fgets(line, sizeof(line), f) != NULL) {
		char	*sep = strstr(line, " - "), *mnt, *p, *type, *super;
		int	 i;

		if (sep == NULL)
			continue;
		/* id parent major:minor root mountpoint ... - type src super */
		for (p = line, i = 0; i < 4 && p != NULL; i++)
			p = strchr(p + 1, ' ');
		if (p == NULL)
			continue;
		mnt = p + 1;
		*strchr(mnt, ' ') = '\0';
		type = sep + 3;
		if ((p = strchr(type, ' ')) == NULL)
			continue;
		*p = '\0';
		super = strrchr(p + 1, ' ');
		if (strcmp(type, fstype) != 0 || (opt != NULL &&
		    (super == NULL || strstr(super, opt) == NULL)))
			continue;
		found = strdup(mnt);
	}
	fclose(f);
	return found;
}

/*
 * Spawn argv as ps says, wait for it, and return what it printed (and
 * its exit status in *status).
 */
static char *
spawn_run(struct proc_spec *ps, char **argv, int *status)
{
	char		 out[] = "/tmp/fws-proc-test.XXXXXX", *cause = NULL;
	static char	 buf[16384];
	pid_t		 pid;
	ssize_t		 n;
	int		 fd;

	fd = mkstemp(out);
	assert_true(fd >= 0);
	unlink(out);
	ps->ps_argv = argv;
	ps->ps_stdout = fd;
	if (proc_spawn(ps, &pid, &cause) == -1)
		fail_msg("proc_spawn: %s", cause);
	assert_int_equal(waitpid(pid, status, 0), pid);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

/* "cat /proc/self/cgroup" as ps says: what it printed. */
static char *
spawn_cat(struct proc_spec *ps)
{
	char	*argv[] = { "/bin/cat", "/proc/self/cgroup", NULL };
	char	*out;
	int	 status;

	out = spawn_run(ps, argv, &status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(out[0] != '\0');
	return out;
}

/* The value of "Name:\t..." in /proc/PID/status text, up to its end. */
static char *
status_field(const char *text, const char *name)
{
	static char	 val[256];
	const char	*p = text, *e;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[strlen(name)] == ':')
			break;
		p++;
	}
	if (p == NULL)
		fail_msg("no %s in:\n%s", name, text);
	p += strlen(name) + 1;
	p += strspn(p, "\t ");
	e = strchr(p, '\n');
	snprintf(val, sizeof(val), "%.*s", (int)(e ? e - p : (int)strlen(p)),
	    p);
	return val;
}

static void
usr1_handler(int sig)
{
	(void)sig;
}

/*
 * What the child is before its exec, from its own /proc/self: the user
 * and groups given (none of fwsd's), no signal blocked, none ignored
 * but SIGXFSZ under a file size limit, that limit, its own session, the
 * kept descriptor at 3 and no other of fwsd's; and fwsd's own handlers
 * and mask as they were (the child ran in its memory).
 */
static void
test_child_as_given(void **state)
{
	struct proc_spec	 ps;
	struct sigaction	 sa, now;
	sigset_t		 mask, mask_now;
	char			*argv[] = { "/bin/cat", "/dev/fd/3",
				    "/proc/self/status", "/proc/self/limits",
				    NULL };
	char			*lsv[] = { "/bin/ls", "/proc/self/fd", NULL };
	char			 kept[] = "/tmp/fws-proc-kept.XXXXXX", *out;
	const gid_t		 groups[] = { 65534 };
	int			 status, fd, leak;

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: needs root to change user\n");
		skip();
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr1_handler;
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	signal(SIGUSR2, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	assert_int_equal(sigprocmask(SIG_SETMASK, &mask, NULL), 0);

	fd = mkstemp(kept);
	assert_true(fd >= 0);
	unlink(kept);
	assert_int_equal(fchmod(fd, 0644), 0);	/* cat opens /dev/fd/3 */
	assert_int_equal(write(fd, "kept-file\n", 10), 10);
	/* one of fwsd's own, not close-on-exec: never the child's */
	leak = dup2(fd, 57);
	assert_int_equal(leak, 57);
	memset(&ps, 0, sizeof(ps));
	ps.ps_keep[0] = fd;
	ps.ps_nkeep = 1;
	ps.ps_uid = 65534;
	ps.ps_gid = 65534;
	ps.ps_groups = groups;
	ps.ps_ngroups = 1;
	ps.ps_fsize_max = 1 << 20;
	lseek(fd, 0, SEEK_SET);
	out = spawn_run(&ps, argv, &status);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("status %d:\n%s", status, out);
	if (strncmp(out, "kept-file\n", 10) != 0)
		fail_msg("fd 3 is not the kept file:\n%s", out);
	assert_string_equal(status_field(out, "Uid"),
	    "65534\t65534\t65534\t65534");
	assert_string_equal(status_field(out, "Gid"),
	    "65534\t65534\t65534\t65534");
	assert_string_equal(status_field(out, "Groups"), "65534 ");
	assert_string_equal(status_field(out, "SigBlk"), "0000000000000000");
	/* SIGXFSZ (25) alone: bit 24 */
	assert_string_equal(status_field(out, "SigIgn"), "0000000001000000");
	if (strstr(out, "Max file size             1048576") == NULL)
		fail_msg("no file size limit in:\n%s", out);

	ps.ps_nkeep = 0;
	out = spawn_run(&ps, lsv, &status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* 0, 1, 2 and ls's own directory */
	assert_string_equal(out, "0\n1\n2\n3\n");

	/* fwsd as it was */
	assert_int_equal(sigaction(SIGUSR1, NULL, &now), 0);
	assert_ptr_equal(now.sa_handler, usr1_handler);
	assert_int_equal(sigaction(SIGUSR2, NULL, &now), 0);
	assert_ptr_equal(now.sa_handler, SIG_IGN);
	assert_int_equal(sigprocmask(SIG_SETMASK, NULL, &mask_now), 0);
	assert_true(sigismember(&mask_now, SIGTERM));
	assert_false(sigismember(&mask_now, SIGUSR1));
	assert_int_equal(getuid(), 0);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	sigemptyset(&mask);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	close(leak);
	close(fd);
}

/* Its own session, apart from fwsd's. */
static void
test_child_session(void **state)
{
	struct proc_spec	 ps;
	char			*argv[] = { "/bin/cat", "/proc/self/stat", NULL };
	char			*out, *p;
	int			 status, i;
	long			 pid, sid;

	(void)state;
	memset(&ps, 0, sizeof(ps));
	out = spawn_run(&ps, argv, &status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* pid (comm) state ppid pgrp session */
	pid = strtol(out, NULL, 10);
	p = strrchr(out, ')');
	assert_non_null(p);
	for (i = 0; i < 4; i++)
		p = strchr(p + 1, ' ');
	sid = strtol(p + 1, NULL, 10);
	assert_int_equal(sid, pid);
	assert_int_not_equal(sid, getsid(0));
}

/*
 * A program that cannot be run: the child says why in its output and
 * exits 127, and the spawn itself succeeds (the caller learns it from
 * the status).  A path that is not there fails at once.
 */
static void
test_exec_fails(void **state)
{
	struct proc_spec	 ps;
	char			 bad[] = "/tmp/fws-proc-bad.XXXXXX";
	char			*argv[] = { bad, NULL };
	char			*gone[] = { "/nonexistent/fws-qemu", NULL };
	char			*out, *cause = NULL, *want;
	pid_t			 pid;
	int			 fd, status;

	(void)state;
	fd = mkstemp(bad);
	assert_true(fd >= 0);
	/* executable, but no format the kernel knows and no #! line */
	assert_int_equal(write(fd, "\x7f\x01garbage", 10), 10);
	assert_int_equal(fchmod(fd, 0755), 0);
	close(fd);
	memset(&ps, 0, sizeof(ps));
	out = spawn_run(&ps, argv, &status);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 127);
	want = xasprintf("exec %s: Exec format error\n", bad);
	assert_string_equal(out, want);
	free(want);
	unlink(bad);

	ps.ps_argv = gone;
	assert_int_equal(proc_spawn(&ps, &pid, &cause), -1);
	assert_non_null(strstr(cause, "No such file"));
	free(cause);
}

/* v2: born in the cgroup, and nothing was written to its procs file. */
static void
test_born_in_v2_cgroup(void **state)
{
	char			*mnt, *dir, *want;
	struct proc_spec	 ps;
	char			*got;

	(void)state;
	if (geteuid() != 0 || (mnt = mount_of("cgroup2", NULL)) == NULL) {
		print_message("skipped: needs root and a cgroup2 mount\n");
		skip();
	}
	dir = xasprintf("%s/fws-proc-test-%d", mnt, (int)getpid());
	assert_int_equal(mkdir(dir, 0755), 0);
	memset(&ps, 0, sizeof(ps));
	ps.ps_cgroup_born = 1;
	ps.ps_cgroup_dir = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(ps.ps_cgroup_dir >= 0);
	/* no procs file to join by: the child must be born there */
	got = spawn_cat(&ps);
	close(ps.ps_cgroup_dir);
	want = xasprintf("0::/fws-proc-test-%d\n", (int)getpid());
	if (strstr(got, want) == NULL)
		fail_msg("cat's own cgroups:\n%s\nnot in %s", got, want);
	assert_int_equal(rmdir(dir), 0);
	free(want);
	free(dir);
	free(mnt);
}

/* v1: the child joins before exec, in each hierarchy given. */
static void
test_joined_v1_cgroup(void **state)
{
	char			*mnt, *dir, *procs, *want;
	struct proc_spec	 ps;
	char			*got;

	(void)state;
	if (geteuid() != 0 || (mnt = mount_of("cgroup", "cpuacct")) == NULL) {
		print_message("skipped: needs root and a v1 cpuacct mount\n");
		skip();
	}
	dir = xasprintf("%s/fws-proc-test-%d", mnt, (int)getpid());
	assert_int_equal(mkdir(dir, 0755), 0);
	procs = xasprintf("%s/cgroup.procs", dir);
	memset(&ps, 0, sizeof(ps));
	ps.ps_cgroup[0] = open(procs, O_WRONLY | O_CLOEXEC);
	assert_true(ps.ps_cgroup[0] >= 0);
	ps.ps_ncgroup = 1;
	want = xasprintf("/fws-proc-test-%d\n", (int)getpid());
	/* a copy of fwsd joins (a join may wait), and so does a child in
	 * fwsd's memory when joins are quick */
	for (ps.ps_join_quick = 0; ps.ps_join_quick < 2; ps.ps_join_quick++) {
		got = spawn_cat(&ps);
		if (strstr(got, want) == NULL)
			fail_msg("cat's own cgroups (join_quick %d):\n%s\n"
			    "not in %s", ps.ps_join_quick, got, want);
	}
	close(ps.ps_cgroup[0]);
	assert_int_equal(rmdir(dir), 0);
	free(want);
	free(procs);
	free(dir);
	free(mnt);
}

struct watched {
	struct proc_watch	*w_pw;
	pid_t			 w_pid;
	int			 w_status;
	int			 w_zombie;	/* still one when told */
	int			 w_calls;
};

static void
watched_end(pid_t pid, int status, void *arg)
{
	struct watched	*w = arg;
	siginfo_t	 si;

	assert_int_equal(pid, w->w_pid);
	w->w_status = status;
	w->w_calls++;
	/* not reaped yet: its end can still be read, its PID is held */
	memset(&si, 0, sizeof(si));
	w->w_zombie = waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
	    0 && si.si_pid == pid;
	proc_unwatch(w->w_pw);		/* as vm-run.c's teardown does */
	w->w_pw = NULL;
	event_base_loopbreak(base);
}

/* One child that ends as code says (exit status, or a signal if < 0). */
static void
watch_one(int code, int want)
{
	struct watched	 w;
	siginfo_t	 si;
	char		*cause = NULL;

	memset(&w, 0, sizeof(w));
	if ((w.w_pid = fork()) == 0) {
		if (code < 0)
			raise(-code);
		_exit(code);
	}
	assert_true(w.w_pid > 0);
	if ((w.w_pw = proc_watch(w.w_pid, watched_end, &w, &cause)) == NULL)
		fail_msg("proc_watch: %s", cause);
	assert_int_equal(event_base_dispatch(base), 0);
	assert_int_equal(w.w_calls, 1);
	assert_int_equal(w.w_status, want);
	assert_true(w.w_zombie);
	/* and reaped once told */
	errno = 0;
	assert_int_equal(waitid(P_PID, w.w_pid, &si, WEXITED | WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void
test_watch_end(void **state)
{
	(void)state;
	base = event_base_new();
	assert_non_null(base);
	watch_one(3, W_EXITCODE(3, 0));
	watch_one(0, 0);
	watch_one(-SIGKILL, SIGKILL);
	event_base_free(base);
	base = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_born_in_v2_cgroup),
		cmocka_unit_test(test_joined_v1_cgroup),
		cmocka_unit_test(test_watch_end),
		cmocka_unit_test(test_child_as_given),
		cmocka_unit_test(test_child_session),
		cmocka_unit_test(test_exec_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
