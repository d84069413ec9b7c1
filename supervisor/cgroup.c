/*
 * cgroup.c: a cgroup for every qemu, and its CPU and memory limits.  At
 * start fwsd finds its own cgroup (cgroup-layout.c reads the layout) and
 * makes its subtree below it, named by fwsd.conf's cgroup key: on v1 in
 * each of the cpu, cpuacct and memory hierarchies; on v2 beside a leaf
 * "fwsd" that fwsd moves itself into (no process may sit in a cgroup
 * whose controllers are handed down), with cpu and memory enabled in the
 * subtree.  Each VM's cgroup is named by its uuid (a name can change);
 * proc.c's child is born in it (v2) or joins it before exec (v1), so
 * qemu never runs an instruction outside it.  Here: the files written (weight, cap, memory
 * and swap), read back (OOM kills, throttling, the memory peak), and the
 * cgroups removed when their qemu is gone.  vm-run.c, vm-adopt.c,
 * vm-set.c and vm-remove.c say when.
 */
#include <sys/mount.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fws.h"
#include "log.h"

#define CG_GONE_RETRY		1	/* s between tries of a busy one */
#define CG_GONE_TRIES		30

static struct cgroup_layout	 layout;
/* the subtree's directory in each hierarchy (v2: [0]); NULL: not there */
static char			*cg_base[CG_NCTRL];
static int			 cg_swap;	/* swap can be limited */

static const char *const ctrl_names[CG_NCTRL] = { "cpu", "cpuacct", "memory" };

/*
 * The cgroups of qemus that ended, removed a moment later: once the
 * reply that says the VM stopped has gone (on v1, removing the memory
 * cgroup costs a destroy as much as the rest of fwsd's work after
 * qemu's end), and again every CG_GONE_RETRY seconds while one is
 * still busy (its dead not yet reaped).  A start of the same VM in the
 * meantime removes them first: its qemu gets fresh ones.
 */
struct cg_gone {
	TAILQ_ENTRY(cg_gone)	 g_entry;
	char			 g_uuid[sizeof(((struct vm *)0)->vm_uuid)];
	char			*g_name;	/* the VM's, for the log */
	int			 g_tries;
};
static TAILQ_HEAD(, cg_gone)	 cg_gones = TAILQ_HEAD_INITIALIZER(cg_gones);
static struct event		*cg_gone_ev;

static void	cg_gone_now(struct cg_gone *);
static void	cg_gone_fired(int, short, void *);
static struct cg_gone *cg_gone_find(const char *);

/* Is word one of list's words, separated by any of seps? */
static int
cg_word(const char *list, const char *word, const char *seps)
{
	size_t		 len = strlen(word);
	const char	*p = list;

	while (*p != '\0') {
		if (strncmp(p, word, len) == 0 && (p[len] == '\0' ||
		    strchr(seps, p[len]) != NULL))
			return 1;
		p += strcspn(p, seps);
		p += strspn(p, seps);
	}
	return 0;
}

/* The hierarchy of ctrl: on v2 every controller is in the one. */
static int
cg_index(enum cgroup_ctrl c)
{
	return layout.cl_mode == CGROUP_V2 ? 0 : (int)c;
}

/* Is hierarchy i the same directory as an earlier one (co-mounted)? */
static int
cg_dup(int i)
{
	int	 j;

	for (j = 0; j < i; j++)
		if (cg_base[j] != NULL && strcmp(cg_base[j], cg_base[i]) == 0)
			return 1;
	return 0;
}

/* A small pseudo-file, whole; NULL and errno when it cannot be read. */
static char *
cg_read(const char *path)
{
	char	 buf[4096];
	ssize_t	 n;
	int	 fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	e = errno;
	close(fd);
	if (n < 0) {
		errno = e;
		return NULL;
	}
	buf[n] = '\0';
	return xasprintf("%s", buf);
}

/* Write value to dir/file: 0, or -1 and why. */
static int
cg_write(const char *dir, const char *file, const char *value, char **cause)
{
	char	*path = xasprintf("%s/%s", dir, file);
	int	 fd, rc = 0;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1 ||
	    write(fd, value, strlen(value)) != (ssize_t)strlen(value))
		rc = cause_fail(cause, "%s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	free(path);
	return rc;
}

/* "KEY N" of a flat keyed file (cpu.stat, memory.events); 0 if none. */
static uint64_t
cg_key(const char *dir, const char *file, const char *key)
{
	char	*path = xasprintf("%s/%s", dir, file), *text, *p;
	size_t	 len = strlen(key);
	uint64_t v = 0;

	text = cg_read(path);
	free(path);
	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p != NULL ? p + 1 : NULL)
		if (strncmp(p, key, len) == 0 && p[len] == ' ') {
			v = strtoull(p + len + 1, NULL, 10);
			break;
		}
	free(text);
	return v;
}

/* A file holding one number; 0 if none. */
static uint64_t
cg_number(const char *dir, const char *file)
{
	char	*path = xasprintf("%s/%s", dir, file), *text;
	uint64_t v;

	text = cg_read(path);
	free(path);
	v = text != NULL ? strtoull(text, NULL, 10) : 0;
	free(text);
	return v;
}

int
cgroup_enabled(void)
{
	return layout.cl_mode != CGROUP_OFF;
}

const char *
cgroup_off_words(void)
{
	return "CPU limits are not enforced on this host (fwsd.conf: "
	    "cgroup = none)";
}

/* v2: fwsd into a leaf of its own, cpu and memory handed down to dir. */
static int
cg_v2_delegate(const char *own, char **cause)
{
	char	*ctrls, *leaf;
	int	 rc;

	ctrls = cg_read((leaf = xasprintf("%s/cgroup.controllers", own)));
	free(leaf);
	if (ctrls == NULL)
		return cause_fail(cause, "%s/cgroup.controllers: %s", own,
		    strerror(errno));
	rc = !cg_word(ctrls, "cpu", " \n") || !cg_word(ctrls, "memory", " \n");
	free(ctrls);
	if (rc)
		return cause_fail(cause, "cgroup v2: fwsd's cgroup %s is not "
		    "given the cpu and memory controllers (run it under systemd "
		    "with Delegate=yes, or set cgroup = none)", own);
	if (strcmp(layout.cl_rel[0], "/") != 0) {
		leaf = xasprintf("%s/fwsd", own);
		if (mkdir(leaf, 0755) == -1 && errno != EEXIST) {
			rc = cause_fail(cause, "%s: %s", leaf, strerror(errno));
			free(leaf);
			return rc;
		}
		rc = cg_write(leaf, "cgroup.procs", "0", cause);
		free(leaf);
		if (rc == -1)
			return -1;
	}
	if (cg_write(own, "cgroup.subtree_control", "+cpu +memory",
	    &ctrls) == -1) {
		/* EBUSY: another process still in fwsd's cgroup */
		cause_fail(cause, "%s (fwsd needs a cgroup of its own: under "
		    "systemd, Delegate=yes)", ctrls);
		free(ctrls);
		return -1;
	}
	return 0;
}

/*
 * On v1 a VM's qemu joins its cgroups before exec, and a move between
 * cgroups waits for an RCU grace period (the kernel's
 * cgroup_threadgroup_rwsem; milliseconds, at every start) unless the
 * kernel favours dynamic changes.  That is one switch for the whole
 * kernel, set by a cgroup2 mount's favordynmods (even an empty cgroup2
 * beside v1) or cgroup_favordynmods=true at boot; forks and exits pay a
 * little for it, so fwsd sets it only when fwsd.conf says so.  On v2 a
 * qemu is born in its cgroup: no move, nothing to set.
 */
static int	cg_joins_quick;	/* favordynmods is on */

static void
cg_dynmods(void)
{
	unsigned long	 flags;
	char		*data;

	if (layout.cl_dynmods) {
		cg_joins_quick = 1;
		log_info("cgroups: favordynmods is on: joining a VM's cgroups "
		    "waits for no grace period");
		return;
	}
	if (strcmp(conf.cf_cgroup_dynmods, "yes") != 0) {
		log_info("cgroups: v1: each start waits for an RCU grace "
		    "period to join the VM's cgroups (some ms); "
		    "cgroup_favordynmods = yes in fwsd.conf saves it");
		return;
	}
	if (layout.cl_v2_mount == NULL) {
		log_warnx("cgroups: cgroup_favordynmods: no cgroup2 is mounted "
		    "to set it on; boot with cgroup_favordynmods=true "
		    "(Linux 6.7 or later)");
		return;
	}
	if (cgroup_dynmods_remount(layout.cl_v2_mntopts,
	    layout.cl_v2_superopts, &flags, &data) == -1) {
		log_warnx("cgroups: cgroup_favordynmods: %s has options fwsd "
		    "would not keep (%s; %s): not remounted",
		    layout.cl_v2_mount, layout.cl_v2_mntopts,
		    layout.cl_v2_superopts);
		return;
	}
	if (mount("cgroup2", layout.cl_v2_mount, NULL, flags, data) == -1)
		log_warn("cgroups: cgroup_favordynmods: remount of %s with %s",
		    layout.cl_v2_mount, data);
	else {
		cg_joins_quick = 1;
		log_info("cgroups: favordynmods set on %s (kernel-wide): "
		    "joining a VM's cgroups waits for no grace period",
		    layout.cl_v2_mount);
	}
	free(data);
}

/*
 * Find the layout and make the subtree: 0, or -1 and why (fwsd does not
 * start: a VM must never run without the limits it was given).
 */
int
cgroup_init(char **cause)
{
	char	*mi, *self, *own, *words = NULL, *tmp, *p;
	int	 i, rc = -1;

	if (strcmp(conf.cf_cgroup, "none") == 0) {
		log_info("cgroups: off (cgroup = none): qemus are not in "
		    "cgroups of their own, CPU and memory limits are not "
		    "enforced");
		return 0;
	}
	mi = cg_read("/proc/self/mountinfo");
	self = cg_read("/proc/self/cgroup");
	if (mi == NULL || self == NULL) {
		cause_fail(cause, "cgroups: /proc/self: %s", strerror(errno));
		goto done;
	}
	if (cgroup_layout_parse(mi, self, &layout, &p) == -1) {
		cause_fail(cause, "cgroups: %s (or set cgroup = none in "
		    "fwsd.conf)", p);
		free(p);
		goto done;
	}
	if (layout.cl_mode == CGROUP_V2 && strcmp(conf.cf_cgroup, "fwsd") == 0) {
		cause_fail(cause, "cgroups: cgroup = fwsd names fwsd's own leaf "
		    "on cgroup v2: choose another name");
		goto fail;
	}
	if (layout.cl_mode == CGROUP_V2) {
		own = layout.cl_own[0];
		/* a later fwsd started from within the leaf of an earlier */
		if ((p = strrchr(own, '/')) != NULL && strcmp(p, "/fwsd") == 0 &&
		    (p = strrchr(layout.cl_rel[0], '/')) != NULL &&
		    p != layout.cl_rel[0]) {
			*strrchr(own, '/') = '\0';
			*p = '\0';
		}
		if (cg_v2_delegate(own, cause) == -1)
			goto fail;
	}
	for (i = 0; i < CG_NCTRL; i++) {
		if (layout.cl_mode == CGROUP_V2 && i > 0)
			break;
		cg_base[i] = xasprintf("%s/%s", layout.cl_own[i],
		    conf.cf_cgroup);
		if (cg_dup(i))
			continue;
		if (mkdir(cg_base[i], 0755) == -1 && errno != EEXIST) {
			cause_fail(cause, "cgroups: %s: %s", cg_base[i],
			    strerror(errno));
			goto fail;
		}
		if (layout.cl_mode == CGROUP_V2 && cg_write(cg_base[i],
		    "cgroup.subtree_control", "+cpu +memory", cause) == -1)
			goto fail;
		tmp = xasprintf("%s%s%s", words ? words : "", words ? ", " : "",
		    cg_base[i]);
		free(words);
		words = tmp;
	}
	p = xasprintf("%s/%s", cg_base[cg_index(CG_MEMORY)],
	    layout.cl_mode == CGROUP_V2 ? "memory.swap.max" :
	    "memory.memsw.limit_in_bytes");
	cg_swap = access(p, F_OK) == 0;
	free(p);
	if (layout.cl_mode == CGROUP_V2)
		log_info("cgroups: v2 unified, cpu and memory in %s", words);
	else
		log_info("cgroups: v1 hierarchies cpu, cpuacct, memory: %s",
		    words);
	if (!cg_swap)
		log_info("cgroups: the kernel does not account swap: "
		    "memory_swap is not enforced");
	if (layout.cl_mode == CGROUP_V1)
		cg_dynmods();
	rc = 0;
	goto done;
fail:
	cgroup_release();
done:
	free(words);
	free(mi);
	free(self);
	return rc;
}

void
cgroup_release(void)
{
	struct cg_gone	*g;
	int		 i;

	while ((g = TAILQ_FIRST(&cg_gones)) != NULL)
		cg_gone_now(g);
	if (cg_gone_ev != NULL)
		event_free(cg_gone_ev);
	cg_gone_ev = NULL;
	for (i = 0; i < CG_NCTRL; i++) {
		free(cg_base[i]);
		cg_base[i] = NULL;
	}
	cgroup_layout_clear(&layout);
}

/* The VM's cgroup in hierarchy i (the caller frees it). */
static char *
cg_vm_dir(const struct vm *vm, int i)
{
	return xasprintf("%s/%s", cg_base[i], vm->vm_uuid);
}

/* The VM's cgroup of controller c. */
static char *
cg_vm_ctrl(const struct vm *vm, enum cgroup_ctrl c)
{
	return cg_vm_dir(vm, cg_index(c));
}

/* The VM's weight and cap into its cpu cgroup. */
int
cgroup_vm_apply_cpu(struct vm *vm, char **cause)
{
	unsigned	 weight = vm->vm_cpu_weight ? vm->vm_cpu_weight :
			    FWS_CPU_WEIGHT_DEFAULT, quota, period;
	char		*dir, v[64];
	int		 rc;

	if (!cgroup_enabled())
		return 0;
	dir = cg_vm_ctrl(vm, CG_CPU);
	if (layout.cl_mode == CGROUP_V2) {
		snprintf(v, sizeof(v), "%u", weight);
		rc = cg_write(dir, "cpu.weight", v, cause);
		if (vm->vm_cpu_max == 0)
			snprintf(v, sizeof(v), "max %u", FWS_CPU_PERIOD);
		else {
			cgroup_quota(vm->vm_cpu_max, &quota, &period);
			snprintf(v, sizeof(v), "%u %u", quota, period);
		}
		if (rc == 0)
			rc = cg_write(dir, "cpu.max", v, cause);
	} else {
		snprintf(v, sizeof(v), "%u", cgroup_shares(weight));
		rc = cg_write(dir, "cpu.shares", v, cause);
		cgroup_quota(vm->vm_cpu_max ? vm->vm_cpu_max : 1000, &quota,
		    &period);
		snprintf(v, sizeof(v), "%u", period);
		if (rc == 0)
			rc = cg_write(dir, "cpu.cfs_period_us", v, cause);
		if (vm->vm_cpu_max == 0)
			snprintf(v, sizeof(v), "-1");
		else
			snprintf(v, sizeof(v), "%u", quota);
		if (rc == 0)
			rc = cg_write(dir, "cpu.cfs_quota_us", v, cause);
	}
	free(dir);
	return rc;
}

/* The memory limit (and swap's) for what the VM runs with. */
static int
cg_vm_apply_memory(struct vm *vm, char **cause)
{
	uint64_t	 max = cgroup_memory_max(vm->vm_memory_mib,
			    conf.cf_memory_overhead_mib);
	uint64_t	 swap = conf.cf_memory_swap_mib << 20;
	char		*dir = cg_vm_ctrl(vm, CG_MEMORY), v[32], s[32];
	int		 rc;

	snprintf(v, sizeof(v), "%llu", (unsigned long long)max);
	if (layout.cl_mode == CGROUP_V2) {
		rc = cg_write(dir, "memory.max", v, cause);
		snprintf(s, sizeof(s), "%llu", (unsigned long long)swap);
		if (rc == 0 && cg_swap)
			rc = cg_write(dir, "memory.swap.max", s, cause);
	} else {
		/* memsw is never below the limit: lifted first, set last */
		snprintf(s, sizeof(s), "%llu", (unsigned long long)(max + swap));
		rc = cg_swap ? cg_write(dir, "memory.memsw.limit_in_bytes",
		    "-1", cause) : 0;
		if (rc == 0)
			rc = cg_write(dir, "memory.limit_in_bytes", v, cause);
		if (rc == 0 && cg_swap)
			rc = cg_write(dir, "memory.memsw.limit_in_bytes", s,
			    cause);
	}
	vm->vm_cg_memory = rc == 0 ? max : 0;
	free(dir);
	return rc;
}

/* The OOM kills its memory cgroup has seen. */
static uint64_t
cg_vm_ooms(const struct vm *vm)
{
	char		*dir = cg_vm_ctrl(vm, CG_MEMORY);
	uint64_t	 n;

	n = cg_key(dir, layout.cl_mode == CGROUP_V2 ? "memory.events" :
	    "memory.oom_control", "oom_kill");
	free(dir);
	return n;
}

/*
 * Before a start: the VM's cgroup made (or found) in each hierarchy,
 * its limits written, and what proc.c's child needs to be in it: on v2
 * the directory, for the child to be born there (CLONE_INTO_CGROUP),
 * and on both the cgroup.procs files, for a child that joins before
 * exec (v1; v2 on a kernel without CLONE_INTO_CGROUP).  The caller
 * closes them with cgroup_spec_close().  -1 and why: the start fails,
 * no qemu runs unlimited.
 */
int
cgroup_vm_prepare(struct vm *vm, struct proc_spec *ps, char **cause)
{
	struct cg_gone	*g;
	char		*dir, *procs;
	int		 i;

	ps->ps_ncgroup = 0;
	ps->ps_cgroup_born = 0;
	ps->ps_join_quick = cg_joins_quick;
	if (!cgroup_enabled())
		return 0;
	/* those of its last qemu, if still there, go first: fresh ones */
	if ((g = cg_gone_find(vm->vm_uuid)) != NULL)
		cg_gone_now(g);
	for (i = 0; i < CG_NCTRL && cg_base[i] != NULL; i++) {
		if (cg_dup(i))
			continue;
		dir = cg_vm_dir(vm, i);
		if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
			cause_fail(cause, "its cgroup %s: %s", dir,
			    strerror(errno));
			free(dir);
			goto fail;
		}
		if (layout.cl_mode == CGROUP_V2 && !ps->ps_cgroup_born) {
			ps->ps_cgroup_dir = open(dir, O_RDONLY | O_DIRECTORY |
			    O_CLOEXEC);
			if (ps->ps_cgroup_dir == -1) {
				cause_fail(cause, "%s: %s", dir,
				    strerror(errno));
				free(dir);
				goto fail;
			}
			ps->ps_cgroup_born = 1;
		}
		procs = xasprintf("%s/cgroup.procs", dir);
		free(dir);
		ps->ps_cgroup[ps->ps_ncgroup] = open(procs, O_WRONLY |
		    O_CLOEXEC);
		if (ps->ps_cgroup[ps->ps_ncgroup] == -1) {
			cause_fail(cause, "%s: %s", procs, strerror(errno));
			free(procs);
			goto fail;
		}
		ps->ps_ncgroup++;
		free(procs);
	}
	if (cgroup_vm_apply_cpu(vm, cause) == -1 ||
	    cg_vm_apply_memory(vm, cause) == -1)
		goto fail;
	vm->vm_cg_ooms = cg_vm_ooms(vm);
	return 0;
fail:
	cgroup_spec_close(ps);
	return -1;
}

/* What cgroup_vm_prepare() opened for the child. */
void
cgroup_spec_close(struct proc_spec *ps)
{
	while (ps->ps_ncgroup > 0)
		close(ps->ps_cgroup[--ps->ps_ncgroup]);
	if (ps->ps_cgroup_born)
		close(ps->ps_cgroup_dir);
	ps->ps_cgroup_born = 0;
}

/*
 * Is pid in the VM's cgroup of controller c?  By /proc/PID/cgroup's line
 * of that hierarchy.
 */
static int
cg_pid_in(const struct vm *vm, pid_t pid, enum cgroup_ctrl c)
{
	char	*path = xasprintf("/proc/%d/cgroup", (int)pid), *text, *want;
	char	*line;
	int	 in = 0, i = cg_index(c);

	text = cg_read(path);
	free(path);
	if (text == NULL)
		return 0;
	want = xasprintf("%s/%s/%s", strcmp(layout.cl_rel[i], "/") == 0 ? "" :
	    layout.cl_rel[i], conf.cf_cgroup, vm->vm_uuid);
	for (line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		char	*a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') :
			    NULL;
		char	*list;

		if (b == NULL)
			continue;
		list = strndup(a + 1, (size_t)(b - a - 1));
		if (list == NULL)
			continue;
		if ((layout.cl_mode == CGROUP_V2 ? *list == '\0' :
		    cg_word(list, ctrl_names[c], ",")) &&
		    strcmp(b + 1, want) == 0)
			in = 1;
		free(list);
	}
	free(want);
	free(text);
	return in;
}

/*
 * A qemu adopted after fwsd's restart: it should be in its cgroup since
 * its start; if not (cgroups turned on since), it is moved there.  Its
 * limits are written again from the store.
 */
void
cgroup_vm_adopt(struct vm *vm)
{
	char	*dir, *cause, pid[16];
	int	 i;

	if (!cgroup_enabled() || vm->vm_pid <= 0)
		return;
	snprintf(pid, sizeof(pid), "%d", (int)vm->vm_pid);
	for (i = 0; i < CG_NCTRL && cg_base[i] != NULL; i++) {
		if (cg_dup(i) || cg_pid_in(vm, vm->vm_pid, (enum cgroup_ctrl)i))
			continue;
		dir = cg_vm_dir(vm, i);
		log_warnx("%s: qemu pid %d is not in its cgroup %s: moved "
		    "there", vm->vm_name, (int)vm->vm_pid, dir);
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			log_warn("%s: %s", vm->vm_name, dir);
		else if (cg_write(dir, "cgroup.procs", pid, &cause) == -1) {
			log_warnx("%s: %s", vm->vm_name, cause);
			free(cause);
		}
		free(dir);
	}
	if (cgroup_vm_apply_cpu(vm, &cause) == -1 ||
	    cg_vm_apply_memory(vm, &cause) == -1) {
		log_warnx("%s: its limits: %s", vm->vm_name, cause);
		free(cause);
	}
	vm->vm_cg_ooms = cg_vm_ooms(vm);
}

/* Did the memory limit kill a process of the VM since its start? */
int
cgroup_vm_oom_killed(struct vm *vm)
{
	if (!cgroup_enabled())
		return 0;
	return cg_vm_ooms(vm) > vm->vm_cg_ooms;
}

/*
 * rmdir of the cgroups named uuid in every hierarchy: 0 when none is
 * left, 1 when one is busy still (EBUSY: tasks, or dead ones not yet
 * reaped).  Other failures are logged, and not tried again.
 */
static int
cg_rmdir_uuid(const char *uuid, const char *name, int quiet_busy)
{
	char	*dir;
	int	 i, busy = 0;

	for (i = 0; i < CG_NCTRL && cg_base[i] != NULL; i++) {
		if (cg_dup(i))
			continue;
		dir = xasprintf("%s/%s", cg_base[i], uuid);
		if (rmdir(dir) == -1 && errno != ENOENT) {
			if (errno == EBUSY)
				busy = 1;
			if (errno != EBUSY || !quiet_busy)
				log_warn("%s: rmdir %s", name, dir);
		}
		free(dir);
	}
	return busy;
}

static void
cg_gone_free(struct cg_gone *g)
{
	TAILQ_REMOVE(&cg_gones, g, g_entry);
	free(g->g_name);
	free(g);
}

/* Remove g's cgroups now, whatever comes of it, and forget it. */
static void
cg_gone_now(struct cg_gone *g)
{
	cg_rmdir_uuid(g->g_uuid, g->g_name, 0);
	cg_gone_free(g);
}

static struct cg_gone *
cg_gone_find(const char *uuid)
{
	struct cg_gone	*g;

	TAILQ_FOREACH(g, &cg_gones, g_entry)
		if (strcmp(g->g_uuid, uuid) == 0)
			return g;
	return NULL;
}

static void
cg_gone_arm(int seconds)
{
	struct timeval	 tv = { seconds, 0 };

	if (cg_gone_ev == NULL && (cg_gone_ev = evtimer_new(base,
	    cg_gone_fired, NULL)) == NULL) {
		log_warnx("cgroups: evtimer_new failed");
		return;
	}
	if (!evtimer_pending(cg_gone_ev, NULL))
		evtimer_add(cg_gone_ev, &tv);
}

static void
cg_gone_fired(int fd, short what, void *arg)
{
	struct cg_gone	*g, *next;

	(void)fd;
	(void)what;
	(void)arg;
	TAILQ_FOREACH_SAFE(g, &cg_gones, g_entry, next) {
		if (!cg_rmdir_uuid(g->g_uuid, g->g_name, 1))
			cg_gone_free(g);
		else if (++g->g_tries >= CG_GONE_TRIES) {
			log_warnx("%s: its cgroups stay busy: left for the "
			    "sweep at fwsd's next start", g->g_name);
			cg_gone_free(g);
		}
	}
	if (!TAILQ_EMPTY(&cg_gones))
		cg_gone_arm(CG_GONE_RETRY);
}

/*
 * Its qemu is gone: its cgroups go in a moment (after the reply),
 * and until they are gone they are tried again.
 */
void
cgroup_vm_release(struct vm *vm)
{
	struct cg_gone	*g;

	vm->vm_cg_memory = 0;
	if (!cgroup_enabled() || cg_gone_find(vm->vm_uuid) != NULL)
		return;
	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->g_name = strdup(vm->vm_name)) == NULL) {
		free(g);
		cg_rmdir_uuid(vm->vm_uuid, vm->vm_name, 0);
		return;
	}
	snprintf(g->g_uuid, sizeof(g->g_uuid), "%s", vm->vm_uuid);
	TAILQ_INSERT_TAIL(&cg_gones, g, g_entry);
	cg_gone_arm(0);
}

/* Its qemu is gone, or the VM is: its cgroups go now. */
void
cgroup_vm_remove(struct vm *vm)
{
	struct cg_gone	*g;

	vm->vm_cg_memory = 0;
	if (!cgroup_enabled())
		return;
	if ((g = cg_gone_find(vm->vm_uuid)) != NULL)
		cg_gone_free(g);
	cg_rmdir_uuid(vm->vm_uuid, vm->vm_name, 0);
}

/* Is name the uuid of a VM whose qemu runs? */
static int
cg_in_use(const char *name)
{
	struct vm	*vm;

	TAILQ_FOREACH(vm, &vms, vm_entry)
		if (strcmp(vm->vm_uuid, name) == 0 && vm->vm_pid > 0 &&
		    vm_is_active(vm))
			return 1;
	return 0;
}

/*
 * At start, after adoption: the cgroups of the subtree that no running
 * qemu of ours has (VMs deleted, or stopped while fwsd was away) go.
 * rmdir removes empty cgroups only.
 */
void
cgroup_sweep(void)
{
	struct dirent	*de;
	DIR		*d;
	char		*dir;
	int		 i;

	if (!cgroup_enabled())
		return;
	for (i = 0; i < CG_NCTRL && cg_base[i] != NULL; i++) {
		if (cg_dup(i) || (d = opendir(cg_base[i])) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.' ||
			    cg_in_use(de->d_name))
				continue;
			dir = xasprintf("%s/%s", cg_base[i], de->d_name);
			if (rmdir(dir) == -1)
				log_warn("cgroups: rmdir %s", dir);
			else
				log_info("cgroups: %s removed: no VM of ours "
				    "runs in it", dir);
			free(dir);
		}
		closedir(d);
	}
}

/*
 * The limits, as info shows them: in force in a running qemu's cgroup
 * (cgroup its path), else those its next start takes (cgroup null);
 * memory null when cgroups are off.
 */
json_t *
cgroup_vm_json(const struct vm *vm)
{
	char		*dir = NULL;
	uint64_t	 mem = 0;
	json_t		*j;

	if (cgroup_enabled()) {
		mem = vm->vm_cg_memory;
		if (mem > 0)
			dir = cg_vm_ctrl(vm, CG_CPU);
		else
			mem = cgroup_memory_max(vm_next_memory(vm),
			    conf.cf_memory_overhead_mib);
	}
	j = json_pack("{sI so so so so}", "cpu_weight",
	    (json_int_t)(vm->vm_cpu_weight ? vm->vm_cpu_weight :
	    FWS_CPU_WEIGHT_DEFAULT), "cpu_max", vm->vm_cpu_max ?
	    json_real(vm->vm_cpu_max / 1000.0) : json_null(), "memory_max",
	    mem ? json_integer((json_int_t)mem) : json_null(),
	    "memory_swap_max", mem && cg_swap ?
	    json_integer((json_int_t)(conf.cf_memory_swap_mib << 20)) :
	    json_null(), "cgroup", dir ? json_string(dir) : json_null());
	free(dir);
	return j;
}

/*
 * What the VM's cgroup counts: CPU time throttled by its cap (ns), how
 * often, and the most memory it took; NULL without a cgroup.
 */
json_t *
cgroup_vm_stats(const struct vm *vm)
{
	char		*cpu, *mem;
	uint64_t	 thr, nthr, peak;
	json_t		*j;

	if (!cgroup_enabled() || vm->vm_cg_memory == 0)
		return NULL;
	cpu = cg_vm_ctrl(vm, CG_CPU);
	mem = cg_vm_ctrl(vm, CG_MEMORY);
	nthr = cg_key(cpu, "cpu.stat", "nr_throttled");
	if (layout.cl_mode == CGROUP_V2) {
		thr = cg_key(cpu, "cpu.stat", "throttled_usec") * 1000;
		peak = cg_number(mem, "memory.peak");
	} else {
		thr = cg_key(cpu, "cpu.stat", "throttled_time");
		peak = cg_number(mem, "memory.max_usage_in_bytes");
	}
	j = json_pack("{sI sI so}", "cpu_throttled_ns", (json_int_t)thr,
	    "cpu_throttled_periods", (json_int_t)nthr, "memory_peak", peak ?
	    json_integer((json_int_t)peak) : json_null());
	free(cpu);
	free(mem);
	return j;
}
