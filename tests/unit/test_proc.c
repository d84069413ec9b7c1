/*
 * test_proc.c: proc.c's spawn into a cgroup, with the kernel's own
 * cgroups.  The program exec'd reads /proc/self/cgroup itself, so what
 * is checked is where it ran from its first instruction: born in a v2
 * cgroup (CLONE_INTO_CGROUP), or joined before exec on v1.  Each case
 * needs root and that hierarchy mounted, and says when it is skipped.
 * And the watch on a process's end: how a child ended is told while it
 * is still a zombie (its PID not free), and it is reaped after, even
 * when the one told let go of the watch.
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
 * Spawn "cat /proc/self/cgroup" as ps says, wait for it, and return
 * what it printed.
 */
static char *
spawn_cat(struct proc_spec *ps)
{
	char		 out[] = "/tmp/fws-proc-test.XXXXXX", *cause = NULL;
	char		*argv[] = { "/bin/cat", "/proc/self/cgroup", NULL };
	static char	 buf[4096];
	pid_t		 pid;
	ssize_t		 n;
	int		 fd, status;

	fd = mkstemp(out);
	assert_true(fd >= 0);
	unlink(out);
	ps->ps_argv = argv;
	ps->ps_stdout = fd;
	if (proc_spawn(ps, &pid, &cause) == -1)
		fail_msg("proc_spawn: %s", cause);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	close(fd);
	return buf;
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
	got = spawn_cat(&ps);
	close(ps.ps_cgroup[0]);
	want = xasprintf("/fws-proc-test-%d\n", (int)getpid());
	if (strstr(got, want) == NULL)
		fail_msg("cat's own cgroups:\n%s\nnot in %s", got, want);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
