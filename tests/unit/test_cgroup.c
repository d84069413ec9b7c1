/*
 * test_cgroup.c: the pure half of the cgroups: the layout found from a
 * mount table and a /proc/self/cgroup (v1 with fwsd in a cgroup below
 * the root, co-mounted cpu,cpuacct, v2 under systemd, a hybrid host,
 * none), what the limits become in the files (shares, quota and period,
 * the memory rule), the checks of what is asked, and CPUs as people
 * write them.
 */
#include <sys/mount.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "fws.h"

/* this machine's kind: v1 hierarchies, an empty cgroup2 beside them */
static const char v1_mounts[] =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup "
    "rw,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup "
    "rw,memory\n"
    "39 31 0:36 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
static const char v1_self[] =
    "9:name=systemd:/\n4:memory:/process_api/abc\n2:cpuacct:/\n1:cpu:/\n"
    "0::/\n";

static void
test_layout_v1(void **state)
{
	struct cgroup_layout	 cl;
	char			*cause = NULL;

	(void)state;
	assert_int_equal(cgroup_layout_parse(v1_mounts, v1_self, &cl, &cause),
	    0);
	assert_int_equal(cl.cl_mode, CGROUP_V1);
	assert_string_equal(cl.cl_own[CG_CPU], "/sys/fs/cgroup/cpu");
	assert_string_equal(cl.cl_own[CG_CPUACCT], "/sys/fs/cgroup/cpuacct");
	assert_string_equal(cl.cl_own[CG_MEMORY],
	    "/sys/fs/cgroup/memory/process_api/abc");
	assert_string_equal(cl.cl_rel[CG_MEMORY], "/process_api/abc");
	/* the empty cgroup2 beside: where favordynmods can be set */
	assert_int_equal(cl.cl_dynmods, 0);
	assert_string_equal(cl.cl_v2_mount, "/sys/fs/cgroup/unified");
	assert_string_equal(cl.cl_v2_mntopts, "rw,relatime");
	assert_string_equal(cl.cl_v2_superopts, "rw");
	cgroup_layout_clear(&cl);
}

/* favordynmods on a v1 hierarchy (booted so) or on cgroup2 is seen */
static void
test_layout_dynmods(void **state)
{
	const char v1[] =
	    "32 31 0:29 / /c rw - cgroup cgroup rw,cpu,favordynmods\n"
	    "33 31 0:30 / /a rw - cgroup cgroup rw,cpuacct,favordynmods\n"
	    "35 31 0:32 / /m rw - cgroup cgroup rw,memory,favordynmods\n";
	const char v2[] =
	    "39 31 0:36 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - "
	    "cgroup2 cgroup2 rw,nsdelegate,favordynmods,memory_recursiveprot\n";
	const char self[] = "3:cpu:/\n2:cpuacct:/\n1:memory:/\n0::/s\n";
	struct cgroup_layout	 cl;
	char			*cause = NULL;

	(void)state;
	assert_int_equal(cgroup_layout_parse(v1, self, &cl, &cause), 0);
	assert_int_equal(cl.cl_dynmods, 1);
	assert_null(cl.cl_v2_mount);
	cgroup_layout_clear(&cl);
	assert_int_equal(cgroup_layout_parse(v2, self, &cl, &cause), 0);
	assert_int_equal(cl.cl_mode, CGROUP_V2);
	assert_int_equal(cl.cl_dynmods, 1);
	cgroup_layout_clear(&cl);
}

/* A remount keeps every flag of the mount and option of the cgroup2 */
static void
test_dynmods_remount(void **state)
{
	unsigned long	 flags;
	char		*data;

	(void)state;
	assert_int_equal(cgroup_dynmods_remount("rw,nosuid,nodev,noexec,"
	    "relatime", "rw,nsdelegate,memory_recursiveprot", &flags, &data),
	    0);
	assert_true(flags == (MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC |
	    MS_RELATIME));
	assert_string_equal(data,
	    "favordynmods,nsdelegate,memory_recursiveprot");
	free(data);
	assert_int_equal(cgroup_dynmods_remount("ro", "ro,favordynmods",
	    &flags, &data), 0);
	assert_true(flags == (MS_REMOUNT | MS_RDONLY));
	assert_string_equal(data, "favordynmods");
	free(data);
	/* a flag or an option not understood: no remount that drops it */
	assert_int_equal(cgroup_dynmods_remount("rw,idmapped", "rw", &flags,
	    &data), -1);
	assert_null(data);
	assert_int_equal(cgroup_dynmods_remount("rw", "rw,opt=1", &flags,
	    &data), -1);
	assert_null(data);
}

/* cpu and cpuacct in one hierarchy, mounted from a cgroup of its own */
static void
test_layout_v1_comounted(void **state)
{
	const char mounts[] =
	    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup "
	    "rw,cpu,cpuacct\n"
	    "35 31 0:32 /lab /sys/fs/cgroup/memory rw - cgroup cgroup "
	    "rw,memory\n";
	const char self[] = "3:cpu,cpuacct:/a/b\n2:memory:/lab/x\n";
	struct cgroup_layout	 cl;
	char			*cause = NULL;

	(void)state;
	assert_int_equal(cgroup_layout_parse(mounts, self, &cl, &cause), 0);
	assert_int_equal(cl.cl_mode, CGROUP_V1);
	assert_string_equal(cl.cl_own[CG_CPU], "/sys/fs/cgroup/cpu,cpuacct/a/b");
	assert_string_equal(cl.cl_own[CG_CPUACCT], cl.cl_own[CG_CPU]);
	assert_string_equal(cl.cl_own[CG_MEMORY], "/sys/fs/cgroup/memory/x");
	cgroup_layout_clear(&cl);
}

/* Debian 12: the unified hierarchy alone; fwsd in its service's cgroup */
static void
test_layout_v2(void **state)
{
	const char mounts[] =
	    "25 31 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 "
	    "rw,nsdelegate\n";
	const char self[] = "0::/system.slice/fwsd.service\n";
	struct cgroup_layout	 cl;
	char			*cause = NULL;

	(void)state;
	assert_int_equal(cgroup_layout_parse(mounts, self, &cl, &cause), 0);
	assert_int_equal(cl.cl_mode, CGROUP_V2);
	assert_string_equal(cl.cl_own[0],
	    "/sys/fs/cgroup/system.slice/fwsd.service");
	assert_null(cl.cl_own[1]);
	cgroup_layout_clear(&cl);
}

static void
test_layout_bad(void **state)
{
	const char *const cases[][3] = {
		{ "", "0::/\n", "no cgroup file system" },
		/* v1 memory, but no cpu hierarchy */
		{ "35 31 0:32 / /m rw - cgroup cgroup rw,memory\n",
		    "1:memory:/\n", "without a cpu hierarchy" },
		/* fwsd outside the mount's root */
		{ "25 31 0:22 /lab /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
		    "0::/other\n", "not below" },
		{ "25 31 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
		    "1:name=systemd:/\n", "no cgroup v2 line" },
	};
	struct cgroup_layout	 cl;
	char			*cause;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		cause = NULL;
		assert_int_equal(cgroup_layout_parse(cases[i][0], cases[i][1],
		    &cl, &cause), -1);
		if (cause == NULL || strstr(cause, cases[i][2]) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i,
			    cause ? cause : "(null)", cases[i][2]);
		assert_int_equal(cl.cl_mode, CGROUP_OFF);
		free(cause);
	}
}

static void
test_conversions(void **state)
{
	unsigned	 q, p;
	char		*cause = NULL;

	(void)state;
	assert_int_equal(cgroup_shares(100), 1024);
	assert_int_equal(cgroup_shares(200), 2048);
	assert_int_equal(cgroup_shares(10000), 102400);
	assert_int_equal(cgroup_shares(1), 10);
	cgroup_quota(1500, &q, &p);
	assert_int_equal(q, 150000);
	assert_int_equal(p, 100000);
	cgroup_quota(500, &q, &p);
	assert_int_equal(q, 50000);
	cgroup_quota(10, &q, &p);
	assert_int_equal(q, 1000);
	cgroup_quota(1, &q, &p);
	assert_int_equal(q, 1000);		/* the kernel's least */
	/* RAM, the base, and an eighth of RAM */
	assert_true(cgroup_memory_max(256, 192) == (256ULL + 192 + 32) << 20);
	assert_true(cgroup_memory_max(4096, 192) ==
	    (4096ULL + 192 + 512) << 20);
	assert_true(cgroup_memory_max(256, 0) == (256ULL + 32) << 20);

	assert_int_equal(cgroup_weight_check(1, &cause), 0);
	assert_int_equal(cgroup_weight_check(10000, &cause), 0);
	assert_int_equal(cgroup_weight_check(0, &cause), -1);
	free(cause);
	assert_int_equal(cgroup_weight_check(10001, &cause), -1);
	assert_non_null(strstr(cause, "from 1 to 10000"));
	free(cause);
	assert_int_equal(cgroup_cpu_max_check(10, 1, &cause), 0);
	assert_int_equal(cgroup_cpu_max_check(2000, 2, &cause), 0);
	assert_int_equal(cgroup_cpu_max_check(2001, 2, &cause), -1);
	assert_non_null(strstr(cause, "more than the VM's 2 vCPUs"));
	free(cause);
	assert_int_equal(cgroup_cpu_max_check(9, 1, &cause), -1);
	assert_non_null(strstr(cause, "at least 0.01"));
	free(cause);
	assert_int_equal(cgroup_cpu_max_check(-1, 1, &cause), -1);
	free(cause);
}

static void
test_cpus(void **state)
{
	const struct {
		const char	*text;
		unsigned	 milli;
	} good[] = {
		{ "1.5", 1500 }, { "0.5", 500 }, { "2", 2000 }, { ".25", 250 },
		{ "0.01", 10 }, { "0.001", 1 }, { "255", 255000 },
	};
	const char *bad[] = { "", "0", "0.0", "-1", "abc", "1.", "1.5x",
	    "0.0001", "256", "1e3", " 1", "1,5" };
	unsigned	 m;
	char		*cause, buf[32];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		cause = NULL;
		if (parse_cpus(good[i].text, &m, &cause) != 0)
			fail_msg("%s: %s", good[i].text, cause);
		assert_int_equal(m, good[i].milli);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cause = NULL;
		if (parse_cpus(bad[i], &m, &cause) != -1)
			fail_msg("\"%s\" was taken", bad[i]);
		assert_non_null(cause);
		free(cause);
	}
	assert_string_equal(format_cpus(1500, buf, sizeof(buf)), "1.5");
	assert_string_equal(format_cpus(2000, buf, sizeof(buf)), "2");
	assert_string_equal(format_cpus(10, buf, sizeof(buf)), "0.01");
	assert_string_equal(format_cpus(250, buf, sizeof(buf)), "0.25");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_v1),
		cmocka_unit_test(test_layout_v1_comounted),
		cmocka_unit_test(test_layout_dynmods),
		cmocka_unit_test(test_dynmods_remount),
		cmocka_unit_test(test_layout_v2),
		cmocka_unit_test(test_layout_bad),
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_cpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
