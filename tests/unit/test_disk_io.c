/*
 * test_disk_io.c: a disk's I/O limits: fwsctl's KEY=VALUE, a request's
 * JSON, a total beside its parts, set's merge, a user's ceilings, and
 * how they are said (words, a throttle group's limits).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "fws.h"

static void
test_parse_opt(void **state)
{
	static const struct {
		const char	*in;
		int		 zero_ok;
		int		 rc;
		int		 key;
		uint64_t	 v;
	} cases[] = {
		{ "iops=500", 0, 0, 0, 500 },
		{ "iops_rd=1", 0, 0, 1, 1 },
		{ "iops_wr=1000000", 0, 0, 2, 1000000 },
		{ "bps=20M", 0, 0, 3, 20 << 20 },
		{ "bps_rd=1K", 0, 0, 4, 1024 },
		{ "bps_wr=5MiB", 0, 0, 5, 5 << 20 },
		{ "iops=0", 0, -1, 0, 0 },
		{ "iops=-1", 0, -1, 0, 0 },
		{ "iops=abc", 0, -1, 0, 0 },
		{ "iops=5x", 0, -1, 0, 0 },
		{ "iops=1000001", 0, -1, 0, 0 },
		{ "iops=99999999999999999999999", 0, -1, 0, 0 },
		{ "bps=5", 0, -1, 0, 0 },
		{ "bps=512", 0, -1, 0, 0 },
		{ "bps=2T", 0, -1, 0, 0 },
		{ "bps=1.5M", 0, -1, 0, 0 },
		{ "iops=0", 1, 0, 0, 0 },
		{ "bps=none", 1, 0, 3, 0 },
		{ "format=raw", 0, 1, 0, 0 },
		{ "iopsx=3", 0, 1, 0, 0 },
		{ "iops", 0, 1, 0, 0 },
	};
	struct disk_io	 io;
	unsigned	 given;
	char		*cause;
	size_t		 i;
	int		 rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		memset(&io, 0xff, sizeof(io));
		given = 0;
		cause = NULL;
		rc = disk_io_parse_opt(cases[i].in, &io, &given,
		    cases[i].zero_ok, &cause);
		if (rc != cases[i].rc)
			fprintf(stderr, "case %s: %d\n", cases[i].in, rc);
		assert_int_equal(rc, cases[i].rc);
		if (rc == -1) {
			assert_non_null(cause);
			free(cause);
			continue;
		}
		if (rc == 1) {
			assert_int_equal(given, 0);
			continue;
		}
		assert_int_equal(given, 1U << cases[i].key);
		assert_true(*disk_io_field(&io, cases[i].key) == cases[i].v);
	}
}

static void
test_json(void **state)
{
	struct disk_io	 io;
	unsigned	 given;
	char		*cause = NULL;
	json_t		*o;

	(void)state;
	o = json_pack("{sI sI sn}", "bps_wr", (json_int_t)5 << 20, "iops", 3,
	    "bps", "x");
	assert_int_equal(disk_io_from_json(o, &io, &given, 0, &cause), 0);
	assert_true(io.io_bps_wr == 5 << 20 && io.io_iops == 3);
	assert_int_equal(given, (1U << 5) | 1U);
	json_decref(o);
	o = json_pack("{si si}", "iops", 3, "iops_rd", 4);
	assert_int_equal(disk_io_from_json(o, &io, &given, 0, &cause), -1);
	assert_non_null(strstr(cause, "exclude"));
	free(cause);
	json_decref(o);
	o = json_pack("{ss}", "bps", "5M");
	assert_int_equal(disk_io_from_json(o, &io, &given, 0, &cause), -1);
	free(cause);
	json_decref(o);
	o = json_pack("{si}", "iops", 0);
	assert_int_equal(disk_io_from_json(o, &io, &given, 0, &cause), -1);
	free(cause);
	assert_int_equal(disk_io_from_json(o, &io, &given, 1, &cause), 0);
	assert_true(disk_io_none(&io) && given == 1);
	json_decref(o);
	o = json_pack("{sf}", "iops", 1.5);
	assert_int_equal(disk_io_from_json(o, &io, &given, 0, &cause), -1);
	free(cause);
	json_decref(o);
}

static void
test_merge(void **state)
{
	struct disk_io	 io = { 0 }, asked = { 0 };

	(void)state;
	io.io_bps = 5 << 20;
	io.io_iops_rd = 100;
	asked.io_bps_wr = 20 << 20;
	disk_io_merge(&io, &asked, 1U << 5);
	assert_true(io.io_bps == 0 && io.io_bps_wr == 20 << 20 &&
	    io.io_iops_rd == 100);
	memset(&asked, 0, sizeof(asked));
	asked.io_iops = 7;
	disk_io_merge(&io, &asked, 1U << 0);
	assert_true(io.io_iops == 7 && io.io_iops_rd == 0);
	memset(&asked, 0, sizeof(asked));
	disk_io_merge(&io, &asked, 0x3f);
	assert_true(disk_io_none(&io));
}

static void
test_ceiling(void **state)
{
	struct disk_io	 io = { 0 };
	int		 over = -1;

	(void)state;
	/* nothing asked: the ceiling is the limit */
	assert_int_equal(disk_io_ceiling(&io, 500, 10 << 20, &over), 0);
	assert_true(io.io_iops == 500 && io.io_bps == 10 << 20);
	/* a part asked: the other part is held too */
	memset(&io, 0, sizeof(io));
	io.io_bps_rd = 1 << 20;
	assert_int_equal(disk_io_ceiling(&io, 0, 10 << 20, &over), 0);
	assert_true(io.io_bps == 0 && io.io_bps_rd == 1 << 20 &&
	    io.io_bps_wr == 10 << 20 && io.io_iops == 0);
	/* above it */
	memset(&io, 0, sizeof(io));
	io.io_iops_wr = 501;
	assert_int_equal(disk_io_ceiling(&io, 500, 0, &over), -1);
	assert_int_equal(over, 2);
	/* no ceiling: as asked */
	memset(&io, 0, sizeof(io));
	assert_int_equal(disk_io_ceiling(&io, 0, 0, &over), 0);
	assert_true(disk_io_none(&io));
}

static void
test_said(void **state)
{
	struct disk_io	 io = { 0 };
	json_t		*o;
	char		*s;

	(void)state;
	s = disk_io_text(&io);
	assert_string_equal(s, "none");
	free(s);
	io.io_bps_wr = 5 << 20;
	io.io_bps_rd = 20 << 20;
	io.io_iops = 500;
	s = disk_io_text(&io);
	assert_string_equal(s, "read 20M/s, written 5M/s, 500 IOPS");
	free(s);
	o = disk_io_qemu_limits(&io);
	assert_int_equal(json_object_size(o), 6);
	assert_int_equal(json_integer_value(json_object_get(o, "bps-write")),
	    5 << 20);
	assert_int_equal(json_integer_value(json_object_get(o, "bps-total")),
	    0);
	json_decref(o);
	o = json_object();
	disk_io_to_json(o, &io);
	assert_true(json_is_null(json_object_get(o, "bps")));
	assert_int_equal(json_integer_value(json_object_get(o, "iops")), 500);
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_opt),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_ceiling),
		cmocka_unit_test(test_said),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
