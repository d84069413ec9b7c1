/*
 * test_validate.c: names, sizes, memory, MACs, IPv4 addresses and
 * prefixes, path confinement, durations and dates, UTF-8 made fit for
 * JSON, as input/expected pairs.
 */
#include <sys/stat.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/* RBD names: the separators and an option's dash are never a name's */
static void
test_rbd(void **state)
{
	const char *bad[] = { "", "rbd:", "rbd:pool", "rbd:/img", "rbd:pool/",
	    "rbd:a/b/c", "rbd:a/b@s", "rbd:-p/img", "rbd:p/-img",
	    "rbd:p/img:conf=/etc/x", "rbd:p/img,key=x", "rbd:p/i=j",
	    "rbd:p/i mg", "rbd:p/.img", "pool/img", "rbd:p/img\n",
	    "rbd:p/abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm" };
	const char *bad_snap[] = { "rbd:p/img", "rbd:p/img@", "rbd:p/img@s@t",
	    "rbd:p/img@-s", "rbd:p/img@s/t", "rbd:p@s/img" };
	struct rbd_name	 rn;
	char		*cause;
	size_t		 i;

	(void)state;
	assert_int_equal(validate_rbd("rbd:fws/web-1.disk_0", RBD_SNAP_NONE,
	    &rn, NULL), 0);
	assert_string_equal(rn.rn_pool, "fws");
	assert_string_equal(rn.rn_image, "web-1.disk_0");
	assert_string_equal(rn.rn_snap, "");
	assert_int_equal(validate_rbd("rbd:fws/base@v1", RBD_SNAP_MUST, &rn,
	    NULL), 0);
	assert_string_equal(rn.rn_image, "base");
	assert_string_equal(rn.rn_snap, "v1");
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cause = NULL;
		assert_int_equal(validate_rbd(bad[i], RBD_SNAP_NONE, &rn,
		    &cause), -1);
		assert_non_null(cause);
		free(cause);
	}
	for (i = 0; i < sizeof(bad_snap) / sizeof(*bad_snap); i++) {
		cause = NULL;
		assert_int_equal(validate_rbd(bad_snap[i], RBD_SNAP_MUST, &rn,
		    &cause), -1);
		assert_non_null(cause);
		free(cause);
	}
	assert_int_equal(is_rbd("rbd:x/y"), 1);
	assert_int_equal(is_rbd("/var/rbd:x"), 0);
	assert_int_equal(is_rbd(NULL), 0);
}

static void
test_sizes(void **state)
{
	struct { const char *in; uint64_t out; } good[] = {
		{ "1K", 1024 }, { "2k", 2048 }, { "512M", 512ULL << 20 },
		{ "30G", 30ULL << 30 }, { "1T", 1ULL << 40 },
		/* one size, however its unit is written: powers of 1024 */
		{ "10G", 10ULL << 30 }, { "10g", 10ULL << 30 },
		{ "10GB", 10ULL << 30 }, { "10gb", 10ULL << 30 },
		{ "10Gb", 10ULL << 30 }, { "10GiB", 10ULL << 30 },
		{ "10gib", 10ULL << 30 }, { "10GIB", 10ULL << 30 },
		{ "4MB", 4ULL << 20 }, { "4mib", 4ULL << 20 },
		{ "3kB", 3072 }, { "2TiB", 2ULL << 40 },
		{ "16777215T", 16777215ULL << 40 },
	};
	/* what was typed, and words the refusal must hold */
	struct { const char *in, *why; } bad[] = {
		{ "10", "10: say the unit, e.g. 10G" },
		{ "1", "1: say the unit, e.g. 1G" },
		{ "512", "say the unit" },
		{ "1.5G", "1.5G: a size is a whole number of K, M, G or T" },
		{ "0", "0: a size must be greater than zero" },
		{ "0G", "0G: a size must be greater than zero" },
		{ "", "invalid size" }, { "-1", "invalid size" },
		{ "G", "invalid size" }, { "1X", "1X: invalid size" },
		{ "1GG", "invalid size" }, { "1Gi", "invalid size" },
		{ "1GiBs", "invalid size" }, { "1B", "invalid size" },
		{ " 1G", "invalid size" }, { "1G ", "invalid size" },
		{ "99999999999999999999G", "too large" },
		{ "16777216T", "16777216T: too large" },
	};
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
		assert_int_equal(parse_size(bad[i].in, &v, &cause), -1);
		assert_non_null(cause);
		if (strstr(cause, bad[i].why) == NULL)
			fail_msg("parse_size(\"%s\"): \"%s\" lacks \"%s\"",
			    bad[i].in, cause, bad[i].why);
		free(cause);
	}
	assert_int_equal(parse_size(NULL, &v, NULL), -1);
}

/* A NIC's rate: tc's bit units, powers of 1000, within the range. */
static void
test_rates(void **state)
{
	struct { const char *in; uint64_t out; } good[] = {
		{ "64kbit", 64000 }, { "512kbit", 512000 },
		{ "10mbit", 10000000 }, { "10Mbit", 10000000 },
		{ "10MBIT", 10000000 }, { "100Mbit/s", 100000000 },
		{ "1gbit", 1000000000 }, { "1Gbit", 1000000000 },
		{ "10gbit", 10000000000ULL }, { "1500mbit", 1500000000 },
		{ "64000bit", 64000 }, { "0gbit1", 0 },
	};
	struct { const char *in, *why; } bad[] = {
		{ "10", "10: say the unit, e.g. 10mbit" },
		{ "0", "say the unit" },
		{ "0mbit", "0mbit: a rate is from 64kbit to 10Gbit" },
		{ "63kbit", "a rate is from 64kbit" },
		{ "63999bit", "a rate is from" },
		{ "11gbit", "11gbit: a rate is from 64kbit to 10Gbit" },
		{ "1tbit", "a rate is from" },
		{ "99999999999999999999999mbit", "a rate is from" },
		{ "18446744073709551615kbit", "a rate is from" },
		{ "1.5gbit", "1.5gbit: a rate is a whole number" },
		{ "10mbps", "10mbps: say bits, e.g. 10mbit" },
		{ "10kbps", "bytes per second" },
		{ "abc", "abc: invalid rate" }, { "", "invalid rate" },
		{ "-10mbit", "invalid rate" }, { "10m", "invalid rate" },
		{ "10M", "invalid rate" }, { "10mbitt", "invalid rate" },
		{ " 10mbit", "invalid rate" }, { "10mbit ", "invalid rate" },
		{ "10 mbit", "invalid rate" }, { "mbit", "invalid rate" },
		{ "10/s", "invalid rate" }, { "10mbit/s/s", "invalid rate" },
	};
	struct { uint64_t in; const char *out; } shown[] = {
		{ 64000, "64kbit" }, { 10000000, "10Mbit" },
		{ 1000000000, "1Gbit" }, { 1500000000, "1.5Gbit" },
		{ 10000000000ULL, "10Gbit" }, { 999, "999bit" },
		{ 123456, "123.5kbit" }, { 0, "0bit" },
	};
	char	 buf[32];
	uint64_t v, back;
	char	*cause;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		if (good[i].out == 0) {
			assert_int_equal(parse_rate(good[i].in, &v, NULL), -1);
			continue;
		}
		assert_int_equal(parse_rate(good[i].in, &v, NULL), 0);
		assert_true(v == good[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cause = NULL;
		assert_int_equal(parse_rate(bad[i].in, &v, &cause), -1);
		assert_non_null(cause);
		if (strstr(cause, bad[i].why) == NULL)
			fail_msg("parse_rate(\"%s\"): \"%s\" lacks \"%s\"",
			    bad[i].in, cause, bad[i].why);
		free(cause);
	}
	assert_int_equal(parse_rate(NULL, &v, NULL), -1);
	for (i = 0; i < sizeof(shown) / sizeof(*shown); i++)
		assert_string_equal(format_rate(shown[i].in, buf, sizeof(buf)),
		    shown[i].out);
	/* a whole rate reads back as it went */
	for (v = 100000; v <= FWS_NET_RATE_MAX; v *= 10) {
		format_rate(v, buf, sizeof(buf));
		assert_int_equal(parse_rate(buf, &back, NULL), 0);
		assert_true(back == v);
	}
}

/* Sizes shown to people: one style, and a whole one reads back. */
static void
test_format_size(void **state)
{
	struct { uint64_t in; const char *out; } cases[] = {
		{ 0, "0B" }, { 512, "512B" }, { 1023, "1023B" },
		{ 1024, "1K" }, { 1536, "1.5K" }, { 512ULL << 20, "512M" },
		{ 1ULL << 30, "1G" }, { 3ULL << 29, "1.5G" },
		{ 10ULL << 30, "10G" }, { (10ULL << 30) + 1, "10.0G" },
		{ 2ULL << 40, "2T" }, { (1ULL << 30) - 1, "1.0G" },
		{ 100000ULL << 20, "97.7G" }, { UINT64_MAX, "16.0E" },
	};
	char	 buf[32];
	uint64_t v, back;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_string_equal(format_size(cases[i].in, buf, sizeof(buf)),
		    cases[i].out);
	/* whole sizes come back as they went */
	for (v = 1024; v <= 1ULL << 40; v <<= 3) {
		format_size(v, buf, sizeof(buf));
		assert_int_equal(parse_size(buf, &back, NULL), 0);
		assert_true(back == v);
	}
	/* a short buffer is cut, not overrun */
	assert_string_equal(format_size(10ULL << 30, buf, 3), "10");
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
	assert_int_equal(parse_memory_mib("2gib", &v, NULL), 0);
	assert_true(v == 2048);
	assert_int_equal(parse_memory_mib("128M", &v, NULL), 0);
	assert_true(v == 128);
	assert_int_equal(parse_memory_mib("128MB", &v, NULL), 0);
	assert_true(v == 128);
	assert_int_equal(parse_memory_mib("0", &v, &cause), -1);
	assert_non_null(strstr(cause, "greater than zero"));
	free(cause);
	assert_int_equal(parse_memory_mib("1000K", &v, &cause), -1);
	assert_non_null(strstr(cause,
	    "1000K: memory is a whole number of MiB"));
	free(cause);
	assert_int_equal(parse_memory_mib("1.5G", &v, &cause), -1);
	assert_non_null(strstr(cause, "1536M"));
	free(cause);
	assert_int_equal(parse_memory_mib("99999999999999999999", &v,
	    &cause), -1);
	assert_non_null(strstr(cause, "too much"));
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

/* IPv4 addresses, with and without a prefix length: one grammar. */
static void
test_cidr(void **state)
{
	struct { const char *in, *addr; int len; } good[] = {
		{ "10.0.0.1/24", "10.0.0.1", 24 },
		{ "0.0.0.0/8", "0.0.0.0", 8 },
		{ "255.255.255.255/32", "255.255.255.255", 32 },
		{ "192.168.100.254/1", "192.168.100.254", 1 },
		{ "172.16.0.10/30", "172.16.0.10", 30 },
		{ "100.64.0.0/10", "100.64.0.0", 10 },
	};
	/* what was typed, and words the refusal must hold */
	struct { const char *in, *why; } bad[] = {
		{ "", "cannot be empty" },
		{ "10.0.0.1", "no prefix length" },
		{ "10.0.0.1/", "no prefix length after" },
		{ "10.0.0.1/0", "1 to 32" },
		{ "10.0.0.1/33", "1 to 32" },
		{ "10.0.0.1/99", "1 to 32" },
		{ "10.0.0.1/024", "prefix length has a leading zero" },
		{ "10.0.0.1/00", "prefix length has a leading zero" },
		{ "10.0.0.1/24x", "must be a number" },
		{ "10.0.0.1/24/8", "must be a number" },
		{ "10.0.0.1/-1", "must be a number" },
		{ "10.0.0.1/+24", "must be a number" },
		{ "10.0.0.1/0x18", "must be a number" },
		{ "010.0.0.1/24", "010 has a leading zero" },
		{ "10.0.0.01/24", "01 has a leading zero" },
		{ "10.00.0.1/24", "00 has a leading zero" },
		{ "10.0.0.256/24", "256 is over 255" },
		{ "256.0.0.1/24", "256 is over 255" },
		{ "10.0.0.1000/24", "over 255" },
		{ "10.0.0/24", "four numbers" },
		{ "10.1/24", "four numbers" },
		{ "10.0.0.1.5/24", "four numbers" },
		{ "10..0.1/24", "four numbers" },
		{ ".10.0.0.1/24", "four numbers" },
		{ "10.0.0./24", "four numbers" },
		{ "/24", "four numbers" },
		{ "x/24", "only digits and dots" },
		{ "0x0a.0.0.1/24", "only digits and dots" },
		{ "10.0.0.1a/24", "only digits and dots" },
		{ "fd00::1/64", "only digits and dots" },
		{ "10.0.0.1 /24", "spaces" },
		{ " 10.0.0.1/24", "spaces" },
		{ "10.0.0.1/24 ", "spaces" },
		{ "10.0.0.1/ 24", "spaces" },
		{ "10.0.0.1/24\n", "spaces" },
		{ "255.255.255.255/320", "too long" },
		{ "10.0.0.1/24xxxxxxxxxxxxxxxxxxxxxxxxxx", "too long" },
	};
	struct { const char *in, *why; } bad4[] = {
		{ "", "cannot be empty" },
		{ "10.0.0.1/24", "only digits and dots" },
		{ "010.0.0.1", "010 has a leading zero" },
		{ "10.0.0.256", "256 is over 255" },
		{ "1111.1.1.1", "over 255" },
		{ "10.0.0", "four numbers" },
		{ "1.2.3.4.5", "four numbers" },
		{ "1.2.3.4.", "four numbers" },
		{ "10.0.0.1 ", "spaces" },
		{ " 10.0.0.1", "spaces" },
		{ "::1", "only digits and dots" },
		{ "10.0.0.1x", "only digits and dots" },
		{ "100.100.100.1000", "too long" },
	};
	struct in_addr	 in;
	char		 buf[INET_ADDRSTRLEN], *cause;
	size_t		 i;
	int		 len;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		len = -1;
		cause = NULL;
		assert_int_equal(validate_cidr(good[i].in, &in, &len, &cause),
		    0);
		assert_null(cause);
		assert_non_null(inet_ntop(AF_INET, &in, buf, sizeof(buf)));
		assert_string_equal(buf, good[i].addr);
		assert_int_equal(len, good[i].len);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cause = NULL;
		if (validate_cidr(bad[i].in, &in, &len, &cause) != -1)
			fail_msg("\"%s\" taken", bad[i].in);
		assert_non_null(cause);
		if (strstr(cause, bad[i].why) == NULL)
			fail_msg("\"%s\": \"%s\" does not say \"%s\"",
			    bad[i].in, cause, bad[i].why);
		free(cause);
	}
	assert_int_equal(validate_cidr(NULL, &in, &len, NULL), -1);

	/* the address alone: the same grammar, and no prefix */
	assert_int_equal(validate_ipv4("10.0.0.7", &in, NULL), 0);
	assert_int_equal(ntohl(in.s_addr), 0x0a000007);
	assert_int_equal(validate_ipv4("0.0.0.0", &in, NULL), 0);
	assert_int_equal(validate_ipv4("255.255.255.255", &in, NULL), 0);
	assert_int_equal(ntohl(in.s_addr), 0xffffffffU);
	for (i = 0; i < sizeof(bad4) / sizeof(*bad4); i++) {
		cause = NULL;
		if (validate_ipv4(bad4[i].in, &in, &cause) != -1)
			fail_msg("\"%s\" taken", bad4[i].in);
		assert_non_null(cause);
		if (strstr(cause, bad4[i].why) == NULL)
			fail_msg("\"%s\": \"%s\" does not say \"%s\"",
			    bad4[i].in, cause, bad4[i].why);
		free(cause);
	}
	assert_int_equal(validate_ipv4(NULL, &in, NULL), -1);
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

static void
test_durations(void **state)
{
	struct { const char *in; int64_t out; } good[] = {
		{ "1s", 1 }, { "90s", 90 }, { "5m", 300 }, { "2h", 7200 },
		{ "1d", 86400 }, { "120d", 120 * 86400 }, { "1w", 7 * 86400 },
		{ "1d12h", 86400 + 12 * 3600 }, { "1w2d3h4m5s", 788645 },
		{ "0d30s", 30 }, { "36600d", FWS_DURATION_MAX },
	};
	struct { const char *in, *error; } bad[] = {
		{ "", "empty" }, { "-1d", "negative" }, { "0d", "zero" },
		{ "0s0m", "zero" }, { "120", "invalid duration" },
		{ "d", "invalid duration" }, { "1y", "invalid duration" },
		{ "1D", "invalid duration" }, { "1.5d", "invalid duration" },
		{ "1d ", "invalid duration" }, { " 1d", "invalid duration" },
		{ "1 d", "invalid duration" }, { "+1d", "invalid duration" },
		{ "1dd", "invalid duration" }, { "36601d", "longer than" },
		{ "99999999999999999999s", "longer than" },
		{ "36600d1s", "longer than" }, { "9223372036854775807w",
		    "longer than" },
	};
	int64_t	 v;
	char	*cause, *t;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		assert_int_equal(parse_duration(good[i].in, &v, NULL), 0);
		assert_true(v == good[i].out);
		/* written back, it reads the same */
		t = duration_text(v);
		assert_int_equal(parse_duration(t, &v, NULL), 0);
		assert_true(v == good[i].out);
		free(t);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cause = NULL;
		assert_int_equal(parse_duration(bad[i].in, &v, &cause), -1);
		if (cause == NULL || strstr(cause, bad[i].error) == NULL)
			fail_msg("\"%s\": \"%s\" lacks \"%s\"", bad[i].in,
			    cause ? cause : "(null)", bad[i].error);
		free(cause);
	}
	assert_int_equal(parse_duration(NULL, &v, NULL), -1);
	t = duration_text(120 * 86400);
	assert_string_equal(t, "120d");
	free(t);
	t = duration_text(86400 + 12 * 3600 + 5);
	assert_string_equal(t, "1d12h5s");
	free(t);
}

static void
test_duration_words(void **state)
{
	struct { int64_t in; const char *out; } cases[] = {
		{ 1, "1 second" }, { 20, "20 seconds" }, { 60, "1 minute" },
		{ 90, "1 minute 30 seconds" }, { 3600, "1 hour" },
		{ 86400, "1 day" }, { 7 * 86400, "7 days" },
		{ 86400 + 3 * 3600 + 59, "1 day 3 hours" },
		{ 86400 + 20 * 60, "1 day" }, { 2 * 86400 - 1,
		    "1 day 23 hours" }, { 0, "no time" }, { -5, "no time" },
	};
	char	*w;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		w = duration_words(cases[i].in);
		assert_string_equal(w, cases[i].out);
		free(w);
	}
}

static void
test_dates(void **state)
{
	struct { const char *in; int64_t out; } good[] = {
		{ "2026-12-01", 1796083200 },
		{ "2026-12-01T12:00", 1796126400 },
		{ "2026-12-01 12:00", 1796126400 },
		{ "2026-12-01T12:00:07", 1796126407 },
		{ "2028-02-29", 1835395200 },
		{ "1970-01-01", 0 },
	};
	struct { const char *in, *error; } bad[] = {
		{ "", "invalid date" }, { "tomorrow", "invalid date" },
		{ "2026-1-01", "invalid date" },
		{ "2026-12-1", "invalid date" },
		{ "26-12-01", "invalid date" },
		{ "2026/12/01", "invalid date" },
		{ "2026-12-01T12", "invalid date" },
		{ "2026-12-01T12:0", "invalid date" },
		{ "2026-12-01T12:00:", "invalid date" },
		{ "2026-12-01T12:00:00Z", "invalid date" },
		{ "2026-12-01x", "invalid date" },
		{ "2026-12-01 ", "invalid date" },
		{ "-2026-12-01", "invalid date" },
		{ "2026-13-01", "does not exist" },
		{ "2026-00-10", "does not exist" },
		{ "2026-02-29", "does not exist" },
		{ "2026-04-31", "does not exist" },
		{ "2026-12-32", "does not exist" },
		{ "2026-12-01T24:00", "does not exist" },
		{ "2026-12-01T12:60", "does not exist" },
		{ "2026-12-01T12:00:60", "does not exist" },
		{ "1969-12-31", "does not exist" },
	};
	int64_t	 v;
	char	*cause, *t, *old = getenv("TZ");
	size_t	 i;

	(void)state;
	old = old ? xasprintf("%s", old) : NULL;
	setenv("TZ", "UTC", 1);
	tzset();
	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		if (parse_date(good[i].in, &v, &cause) == -1)
			fail_msg("\"%s\": %s", good[i].in, cause);
		assert_true(v == good[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cause = NULL;
		assert_int_equal(parse_date(bad[i].in, &v, &cause), -1);
		if (cause == NULL || strstr(cause, bad[i].error) == NULL)
			fail_msg("\"%s\": \"%s\" lacks \"%s\"", bad[i].in,
			    cause ? cause : "(null)", bad[i].error);
		free(cause);
	}
	assert_int_equal(parse_date(NULL, &v, NULL), -1);
	t = date_text(1796126400);
	assert_string_equal(t, "2026-12-01 12:00");
	free(t);
	t = date_text(1796126407);
	assert_string_equal(t, "2026-12-01 12:00:07");
	assert_int_equal(parse_date(t, &v, NULL), 0);
	assert_true(v == 1796126407);
	free(t);

	/* the local time zone: summer time in Berlin is UTC+2 */
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	assert_int_equal(parse_date("2026-07-01T12:00", &v, NULL), 0);
	assert_true(v == 1782900000);
	assert_int_equal(parse_date("2026-12-01T12:00", &v, NULL), 0);
	assert_true(v == 1796126400 - 3600);
	/* 02:30 on the day clocks go forward does not exist: read as after */
	assert_int_equal(parse_date("2026-03-29T02:30", &v, NULL), 0);
	assert_true(v >= 1774746000 - 3600 && v <= 1774746000 + 3600);
	t = date_text(1782900000);
	assert_string_equal(t, "2026-07-01 12:00");
	free(t);

	if (old != NULL)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	free(old);
	tzset();
}

/* Each byte that starts no well-formed UTF-8 sequence becomes '?'. */
static void
test_utf8_clean(void **state)
{
	struct { const char *in, *out; } cases[] = {
		{ "", "" },
		{ "web1", "web1" },
		{ "abc\xc3", "abc?" },
		/* overlong, surrogate, past U+10FFFF, stray continuation */
		{ "\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \x80",
		    "?? ??? ???? ?" },
		{ "\xe2\x82", "??" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe",
		    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe" },
	};
	size_t	 i;
	char	*s;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		s = utf8_clean(cases[i].in);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

/* HOST[:PORT] and [IPV6][:PORT], as listen_tls and --connect take them */
static void
test_hostport(void **state)
{
	static const struct {
		const char	*in, *host, *port;
	} good[] = {
		{ "127.0.0.1", "127.0.0.1", "16514" },
		{ "127.0.0.1:7000", "127.0.0.1", "7000" },
		{ "host.example.org:1", "host.example.org", "1" },
		{ "[::1]", "::1", "16514" },
		{ "[::1]:65535", "::1", "65535" },
		{ "::1", "::1", "16514" },
		{ "fe80::1", "fe80::1", "16514" },
		{ "gate", "gate", "16514" },
		{ "gate:007", "gate", "7" },
	};
	static const struct {
		const char	*in, *error;
	} bad[] = {
		{ "", "must not be empty" },
		{ ":7000", "empty or too long" },
		{ "[]:7000", "empty or too long" },
		{ "[::1", "no ']'" },
		{ "[::1]x", "expected ':PORT'" },
		{ "gate:", "the port is a number" },
		{ "gate:0", "the port is a number" },
		{ "gate:65536", "the port is a number" },
		{ "gate:99999999999999999999", "the port is a number" },
		{ "gate:12a", "the port is a number" },
		{ "gate:-1", "the port is a number" },
		{ "-gate", "starts with a letter" },
		{ "ga te", "a name or an address" },
		{ "gate/x:1", "a name or an address" },
		{ "a;b:1", "a name or an address" },
	};
	char	 host[VALIDATE_HOST_MAX + 1], port[VALIDATE_PORT_LEN + 1];
	char	*cause, *longname;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		if (validate_hostport(good[i].in, "16514", host, sizeof(host),
		    port, sizeof(port), &cause) == -1)
			fail_msg("\"%s\": %s", good[i].in, cause);
		assert_string_equal(host, good[i].host);
		assert_string_equal(port, good[i].port);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cause = NULL;
		assert_int_equal(validate_hostport(bad[i].in, "16514", host,
		    sizeof(host), port, sizeof(port), &cause), -1);
		if (cause == NULL || strstr(cause, bad[i].error) == NULL)
			fail_msg("\"%s\": \"%s\" lacks \"%s\"", bad[i].in,
			    cause ? cause : "(null)", bad[i].error);
		free(cause);
	}
	/* no default: a port must be given */
	assert_int_equal(validate_hostport("gate", NULL, host, sizeof(host),
	    port, sizeof(port), NULL), -1);
	longname = malloc(VALIDATE_HOST_MAX + 2);
	memset(longname, 'a', VALIDATE_HOST_MAX + 1);
	longname[VALIDATE_HOST_MAX + 1] = '\0';
	assert_int_equal(validate_hostport(longname, "1", host, sizeof(host),
	    port, sizeof(port), NULL), -1);
	free(longname);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_rbd),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_confine),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_duration_words),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_utf8_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
