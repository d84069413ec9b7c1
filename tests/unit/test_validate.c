/*
 * test_validate.c: names, sizes, memory, MACs and path confinement, as
 * input/expected pairs.
 */
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "fws.h"

static void
test_names(void **state)
{
	const char *good[] = { "a", "web1", "Z9", "a.b-c_d", "0start",
	    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk" };
	const char *bad[] = { "", ".x", "-x", "_x", "../x", "a/b", "a b",
	    "a\nb", "é", "x;rm", "a,b",
	    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl" };
	char	*cause;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(*good); i++)
		assert_int_equal(validate_name(good[i], NULL), 0);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cause = NULL;
		assert_int_equal(validate_name(bad[i], &cause), -1);
		assert_non_null(cause);
		free(cause);
	}
	assert_int_equal(strlen(good[5]), 63);
	assert_int_equal(validate_name(NULL, NULL), -1);
}

static void
test_sizes(void **state)
{
	struct { const char *in; uint64_t out; } good[] = {
		{ "1", 1 }, { "512", 512 }, { "1K", 1024 }, { "2k", 2048 },
		{ "30G", 30ULL << 30 }, { "1T", 1ULL << 40 },
		{ "10GiB", 10ULL << 30 }, { "4MB", 4ULL << 20 },
		{ "16777215T", 16777215ULL << 40 },
	};
	const char *bad[] = { "", "0", "0G", "-1", "G", "1X", "1GG", "1.5G",
	    " 1", "1 ", "99999999999999999999", "16777216T", "1Gi" };
	uint64_t v;
	char	*cause;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		assert_int_equal(parse_size(good[i].in, &v, NULL), 0);
		assert_true(v == good[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cause = NULL;
		assert_int_equal(parse_size(bad[i], &v, &cause), -1);
		assert_non_null(cause);
		free(cause);
	}
}

static void
test_memory(void **state)
{
	uint64_t v;
	char	*cause;

	(void)state;
	assert_int_equal(parse_memory_mib("2048", &v, NULL), 0);
	assert_true(v == 2048);
	assert_int_equal(parse_memory_mib("2G", &v, NULL), 0);
	assert_true(v == 2048);
	assert_int_equal(parse_memory_mib("128M", &v, NULL), 0);
	assert_true(v == 128);
	assert_int_equal(parse_memory_mib("0", &v, &cause), -1);
	assert_non_null(strstr(cause, "greater than zero"));
	free(cause);
	assert_int_equal(parse_memory_mib("1000K", &v, &cause), -1);
	assert_non_null(strstr(cause, "whole number of MiB"));
	free(cause);
	assert_int_equal(parse_memory_mib("lots", &v, &cause), -1);
	free(cause);
}

static void
test_mac(void **state)
{
	char	 mac[18], *cause;

	(void)state;
	assert_int_equal(validate_mac("52:54:00:12:34:56", NULL), 0);
	assert_int_equal(validate_mac("52:54:00:AB:cd:ef", NULL), 0);
	assert_int_equal(validate_mac("01:00:5e:00:00:01", &cause), -1);
	assert_non_null(strstr(cause, "multicast"));
	free(cause);
	assert_int_equal(validate_mac("52:54:00:12:34", NULL), -1);
	assert_int_equal(validate_mac("52-54-00-12-34-56", NULL), -1);
	assert_int_equal(validate_mac("52:54:00:12:34:5g", NULL), -1);
	/* CRC32("web1") = 0x9fa547ed: the legacy scripts' MAC */
	mac_from_name("web1", mac, sizeof(mac));
	assert_string_equal(mac, "52:54:9f:a5:47:ed");
	/* CRC32("123456789") is the standard check value 0xcbf43926 */
	mac_from_name("123456789", mac, sizeof(mac));
	assert_string_equal(mac, "52:54:cb:f4:39:26");
	assert_int_equal(validate_mac(mac, NULL), 0);
}

static void
test_confine(void **state)
{
	char	 tmpl[] = "/tmp/fws-unit.XXXXXX", *dir, *allowed, *p, *res;
	char	*cause;
	char	*dirs[1];
	FILE	*f;

	(void)state;
	assert_non_null(dir = mkdtemp(tmpl));
	allowed = xasprintf("%s/images", dir);
	assert_int_equal(mkdir(allowed, 0700), 0);
	p = xasprintf("%s/disk.qcow2", allowed);
	assert_non_null(f = fopen(p, "w"));
	fclose(f);
	dirs[0] = allowed;

	assert_int_equal(path_confine(p, dirs, 1, &res, NULL), 0);
	assert_string_equal(res, p);
	free(res);
	free(p);

	/* ../ out of the directory */
	p = xasprintf("%s/../secret", allowed);
	assert_non_null(f = fopen(p, "w"));
	fclose(f);
	assert_int_equal(path_confine(p, dirs, 1, &res, &cause), -1);
	assert_non_null(strstr(cause, "outside"));
	free(cause);
	/* a symbolic link inside that points outside */
	res = xasprintf("%s/link.qcow2", allowed);
	assert_int_equal(symlink(p, res), 0);
	free(p);
	assert_int_equal(path_confine(res, dirs, 1, &p, &cause), -1);
	free(cause);
	unlink(res);
	free(res);
	/* a directory whose name starts like the allowed one */
	res = xasprintf("%s/imagesX", dir);
	assert_int_equal(path_confine(res, dirs, 1, &p, &cause), -1);
	free(cause);
	free(res);
	assert_int_equal(path_confine("relative/x", dirs, 1, &res, &cause), -1);
	free(cause);
	assert_int_equal(path_confine("/etc/shadow", dirs, 1, &res, &cause), -1);
	free(cause);
	assert_int_equal(path_confine("/nonexistent/x", dirs, 1, &res,
	    &cause), -1);
	free(cause);

	res = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(res), 0);
	free(res);
	free(allowed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_confine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
