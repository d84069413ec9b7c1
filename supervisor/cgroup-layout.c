/*
 * cgroup-layout.c: the pure half of the cgroups: where fwsd's own cgroup
 * is (v1, a hierarchy per controller, or v2, the unified one) from the
 * text of the mount table and of /proc/self/cgroup, and what a VM's
 * limits become in the controllers' files (a weight's shares, a cap's
 * quota and period, the memory limit over guest RAM), and how to remount
 * cgroup2 with favordynmods.  cgroup.c reads the files and writes the
 * cgroups; nothing here touches the host.
 */
#include <sys/mount.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fws.h"

static const char *const cgroup_ctrl_names[CG_NCTRL] = {
	"cpu", "cpuacct", "memory"
};

/* Is word one of the comma-separated words of list? */
static int
has_word(const char *list, const char *word)
{
	size_t	 len = strlen(word);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, word, len) == 0 && (p[len] == ',' ||
		    p[len] == '\0'))
			return 1;
		if ((p = strchr(p, ',')) != NULL)
			p++;
	}
	return 0;
}

/* Octal escapes of mountinfo's paths (\040 for a blank) undone, in place. */
static void
unescape(char *s)
{
	char	*q = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*q++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
			    (s[3] - '0'));
			s += 3;
		} else
			*q++ = *s;
	}
	*q = '\0';
}

/*
 * fwsd's path in the hierarchy that /proc/self/cgroup names by ctrls
 * ("" for v2's "0::" line); NULL if none.
 */
static char *
self_path(const char *self, const char *ctrl)
{
	const char	*line = self, *c, *p, *end;

	while (line != NULL && *line != '\0') {
		end = strchr(line, '\n');
		if ((c = strchr(line, ':')) != NULL && (end == NULL || c < end) &&
		    (p = strchr(c + 1, ':')) != NULL && (end == NULL || p < end)) {
			char *list = strndup(c + 1, (size_t)(p - c - 1));
			int   match = list != NULL && (*ctrl == '\0' ?
			    *list == '\0' && strncmp(line, "0:", 2) == 0 :
			    has_word(list, ctrl));

			free(list);
			if (match)
				return end != NULL ? strndup(p + 1,
				    (size_t)(end - p - 1)) : strdup(p + 1);
		}
		line = end != NULL ? end + 1 : NULL;
	}
	return NULL;
}

/*
 * Join a mount point, the mount's root in its hierarchy and fwsd's path
 * there: fwsd's directory (NULL when fwsd is not below the mount's root).
 */
static char *
own_dir(const char *mnt, const char *root, const char *rel)
{
	size_t	 len = strlen(root);

	if (strcmp(root, "/") == 0)
		len = 0;
	else if (strncmp(rel, root, len) != 0 || (rel[len] != '/' &&
	    rel[len] != '\0'))
		return NULL;
	rel += len;
	if (strcmp(rel, "/") == 0)
		rel = "";
	return xasprintf("%s%s", mnt, rel);
}

void
cgroup_layout_clear(struct cgroup_layout *cl)
{
	int	 i;

	for (i = 0; i < CG_NCTRL; i++) {
		free(cl->cl_own[i]);
		free(cl->cl_rel[i]);
	}
	free(cl->cl_v2_mount);
	free(cl->cl_v2_mntopts);
	free(cl->cl_v2_superopts);
	memset(cl, 0, sizeof(*cl));
}

/*
 * The layout from the text of /proc/self/mountinfo and /proc/self/cgroup.
 * v1 when a v1 hierarchy holds the cpu or the memory controller (they
 * cannot be in v2 then: a hybrid host's cgroup2 is empty), and then cpu,
 * cpuacct and memory must all be there; else v2 when cgroup2 is mounted.
 * Which controllers v2 has is for cgroup.c to read.  -1 and why if none.
 */
int
cgroup_layout_parse(const char *mountinfo, const char *self,
    struct cgroup_layout *cl, char **cause)
{
	char	*copy, *line, *next, *f[12], *sep, *opts, *v2mnt = NULL;
	char	*v2mntopts = NULL, *v2super = NULL;
	char	*v2root = NULL, *mnt[CG_NCTRL] = { NULL }, *root[CG_NCTRL] = {
		    NULL };
	int	 i, n, v1 = 0, rc = -1;

	memset(cl, 0, sizeof(*cl));
	copy = xasprintf("%s", mountinfo);
	for (line = copy; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		/* ID PARENT MAJ:MIN ROOT MOUNT OPTS [OPTIONAL...] - TYPE SRC SUPER */
		if ((sep = strstr(line, " - ")) == NULL)
			continue;
		*sep = '\0';
		for (n = 0; n < 6 && (f[n] = strsep(&line, " ")) != NULL; n++)
			;
		if (n < 6)
			continue;
		f[11] = f[5];		/* the per-mount options */
		line = sep + 3;
		for (n = 0; n < 3 && (f[5 + n] = strsep(&line, " ")) != NULL;
		    n++)
			;
		if (n < 3)
			continue;
		opts = f[7];
		unescape(f[3]);
		unescape(f[4]);
		if ((strcmp(f[5], "cgroup2") == 0 || strcmp(f[5], "cgroup") ==
		    0) && has_word(opts, "favordynmods"))
			cl->cl_dynmods = 1;
		if (strcmp(f[5], "cgroup2") == 0 && v2mnt == NULL) {
			v2mnt = f[4];
			v2root = f[3];
			v2mntopts = f[11];
			v2super = opts;
		} else if (strcmp(f[5], "cgroup") == 0) {
			for (i = 0; i < CG_NCTRL; i++)
				if (has_word(opts, cgroup_ctrl_names[i]) &&
				    mnt[i] == NULL) {
					mnt[i] = f[4];
					root[i] = f[3];
					if (i != CG_CPUACCT)
						v1 = 1;
				}
		}
	}
	if (v1) {
		cl->cl_mode = CGROUP_V1;
		for (i = 0; i < CG_NCTRL; i++) {
			if (mnt[i] == NULL) {
				cause_fail(cause, "cgroup v1 without a %s "
				    "hierarchy", cgroup_ctrl_names[i]);
				goto done;
			}
			if ((cl->cl_rel[i] = self_path(self,
			    cgroup_ctrl_names[i])) == NULL ||
			    cl->cl_rel[i][0] != '/') {
				cause_fail(cause, "/proc/self/cgroup names no "
				    "%s cgroup", cgroup_ctrl_names[i]);
				goto done;
			}
			if ((cl->cl_own[i] = own_dir(mnt[i], root[i],
			    cl->cl_rel[i])) == NULL) {
				cause_fail(cause, "fwsd's %s cgroup %s is not "
				    "below the mount of %s", cgroup_ctrl_names[i],
				    cl->cl_rel[i], root[i]);
				goto done;
			}
		}
		rc = 0;
	} else if (v2mnt != NULL) {
		cl->cl_mode = CGROUP_V2;
		if ((cl->cl_rel[0] = self_path(self, "")) == NULL ||
		    cl->cl_rel[0][0] != '/') {
			cause_fail(cause, "/proc/self/cgroup has no cgroup v2 "
			    "line");
			goto done;
		}
		if ((cl->cl_own[0] = own_dir(v2mnt, v2root,
		    cl->cl_rel[0])) == NULL) {
			cause_fail(cause, "fwsd's cgroup %s is not below the "
			    "cgroup2 mount of %s", cl->cl_rel[0], v2root);
			goto done;
		}
		rc = 0;
	} else
		cause_fail(cause, "no cgroup file system is mounted");
	if (rc == 0 && v2mnt != NULL) {
		cl->cl_v2_mount = xasprintf("%s", v2mnt);
		cl->cl_v2_mntopts = xasprintf("%s", v2mntopts);
		cl->cl_v2_superopts = xasprintf("%s", v2super);
	}
done:
	if (rc == -1)
		cgroup_layout_clear(cl);
	free(copy);
	return rc;
}

/*
 * What mount(2) needs to remount a cgroup2 file system with favordynmods
 * and keep the rest: the mount's flags (from its per-mount options in
 * mountinfo) and the file system's options (a remount's data replaces
 * them all) with favordynmods added.  -1 and why on an option that is
 * not understood, rather than a remount that would drop it.
 */
int
cgroup_dynmods_remount(const char *mntopts, const char *superopts,
    unsigned long *flags, char **data)
{
	static const struct {
		const char	*name;
		unsigned long	 flag;
	} mount_flags[] = {
		{ "ro", MS_RDONLY }, { "rw", 0 }, { "nosuid", MS_NOSUID },
		{ "nodev", MS_NODEV }, { "noexec", MS_NOEXEC },
		{ "noatime", MS_NOATIME }, { "nodiratime", MS_NODIRATIME },
		{ "relatime", MS_RELATIME }, { "strictatime", MS_STRICTATIME },
		{ "sync", MS_SYNCHRONOUS }, { "dirsync", MS_DIRSYNC },
	};
	char		*copy, *p, *w, *out, *tmp;
	size_t		 i;

	*flags = MS_REMOUNT;
	*data = NULL;
	copy = p = xasprintf("%s", mntopts);
	while ((w = strsep(&p, ",")) != NULL) {
		for (i = 0; i < sizeof(mount_flags) / sizeof(mount_flags[0]);
		    i++)
			if (strcmp(w, mount_flags[i].name) == 0)
				break;
		if (i == sizeof(mount_flags) / sizeof(mount_flags[0])) {
			free(copy);
			return -1;
		}
		*flags |= mount_flags[i].flag;
	}
	free(copy);
	out = xasprintf("favordynmods");
	copy = p = xasprintf("%s", superopts);
	while ((w = strsep(&p, ",")) != NULL) {
		/* ro/rw are the mount's; the words are the kernel's own */
		if (*w == '\0' || strcmp(w, "rw") == 0 || strcmp(w, "ro") ==
		    0 || strcmp(w, "favordynmods") == 0)
			continue;
		if (strspn(w, "abcdefghijklmnopqrstuvwxyz_") != strlen(w)) {
			free(copy);
			free(out);
			return -1;
		}
		tmp = xasprintf("%s,%s", out, w);
		free(out);
		out = tmp;
	}
	free(copy);
	*data = out;
	return 0;
}

/* v1's cpu.shares for a weight: 100 is the 1024 of a process alone. */
unsigned
cgroup_shares(unsigned weight)
{
	unsigned long	 s = (unsigned long)weight * 1024 / 100;

	return s < 2 ? 2 : (unsigned)s;		/* the kernel's least */
}

/* A cap of milli thousandths of a CPU as a quota per period, in us. */
void
cgroup_quota(unsigned milli, unsigned *quota, unsigned *period)
{
	*period = FWS_CPU_PERIOD;
	*quota = (unsigned)((unsigned long)milli * FWS_CPU_PERIOD / 1000);
	if (*quota < 1000)
		*quota = 1000;		/* the kernel's least: 1 ms */
}

/*
 * The memory a VM's qemu may use: its guest's RAM, and qemu's own on
 * top, a base (memory_overhead) and an eighth of the RAM (page tables,
 * TCG's code buffer, device memory grow with it).
 */
uint64_t
cgroup_memory_max(uint64_t memory_mib, uint64_t overhead_mib)
{
	return (memory_mib + overhead_mib + memory_mib /
	    FWS_MEMORY_OVERHEAD_DIV) << 20;
}

/* A CPU weight asked for: 1 .. FWS_CPU_WEIGHT_MAX. */
int
cgroup_weight_check(int64_t weight, char **cause)
{
	if (weight < 1 || weight > FWS_CPU_WEIGHT_MAX)
		return cause_fail(cause, "cpu weight %lld: from 1 to %d (%d is "
		    "the default share)", (long long)weight, FWS_CPU_WEIGHT_MAX,
		    FWS_CPU_WEIGHT_DEFAULT);
	return 0;
}

/* A CPU cap asked for, thousandths: 0.01 .. the VM's vCPUs. */
int
cgroup_cpu_max_check(int64_t milli, unsigned vcpus, char **cause)
{
	char	 a[32];

	if (milli < FWS_CPU_MAX_MIN)
		return cause_fail(cause, "cpu max %s: at least 0.01 CPU",
		    format_cpus(milli < 0 ? 0 : (unsigned)milli, a, sizeof(a)));
	if (milli > (int64_t)vcpus * 1000)
		return cause_fail(cause, "cpu max %s is more than the VM's %u "
		    "vCPU%s", format_cpus((unsigned)(milli > UINT32_MAX ?
		    UINT32_MAX : milli), a, sizeof(a)), vcpus,
		    vcpus == 1 ? "" : "s");
	return 0;
}
