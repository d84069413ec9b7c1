/*
 * disk-io.c: a disk's I/O limits (struct disk_io): their keys (iops,
 * iops_rd, iops_wr, bps, bps_rd, bps_wr), read from what fwsctl types
 * ("iops=500,bps=20M") and from a request's JSON, checked (ranges, and
 * a total never beside its read or write part, as qemu has it), merged
 * into a disk's (set --disk-limit), held under a user's ceilings, and
 * said: in words, in JSON, and as the limits of a qemu throttle group.
 * Linked into fwsctl too; what a disk's limits do to qemu is vm-qemu.c's
 * and vm-disk-plug.c's, what changes them live vm-set.c's.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fws.h"

/* The keys, in struct disk_io's order: iops first, bytes from DISK_IO_BPS. */
const char *const disk_io_keys[DISK_IO_NKEYS] = {
	"iops", "iops_rd", "iops_wr", "bps", "bps_rd", "bps_wr",
};

/* Their names in a throttle group's limits (qemu's ThrottleLimits). */
static const char *const disk_io_qemu[DISK_IO_NKEYS] = {
	"iops-total", "iops-read", "iops-write",
	"bps-total", "bps-read", "bps-write",
};

uint64_t *
disk_io_field(struct disk_io *io, int k)
{
	uint64_t	*f[DISK_IO_NKEYS] = { &io->io_iops, &io->io_iops_rd,
	    &io->io_iops_wr, &io->io_bps, &io->io_bps_rd, &io->io_bps_wr };

	return f[k];
}

static uint64_t
disk_io_get(const struct disk_io *io, int k)
{
	return *disk_io_field((struct disk_io *)io, k);
}

/* A key's number, or -1. */
int
disk_io_key(const char *key)
{
	int	 k;

	for (k = 0; k < DISK_IO_NKEYS; k++)
		if (strcmp(key, disk_io_keys[k]) == 0)
			return k;
	return -1;
}

int
disk_io_none(const struct disk_io *io)
{
	int	 k;

	for (k = 0; k < DISK_IO_NKEYS; k++)
		if (disk_io_get(io, k) != 0)
			return 0;
	return 1;
}

/* One value in range: iops 1 .. DISK_IO_IOPS_MAX, bps DISK_IO_BPS_MIN ..
 * DISK_IO_BPS_MAX; 0 too when zero_ok (no limit). */
static int
disk_io_range(int k, uint64_t v, int zero_ok, char **cause)
{
	char	 a[32], b[32];

	if (v == 0 && zero_ok)
		return 0;
	if (k < DISK_IO_BPS && (v < 1 || v > DISK_IO_IOPS_MAX))
		return cause_fail(cause, "%s=%llu: operations per second "
		    "from 1 to %d", disk_io_keys[k], (unsigned long long)v,
		    DISK_IO_IOPS_MAX);
	if (k >= DISK_IO_BPS && (v < DISK_IO_BPS_MIN || v > DISK_IO_BPS_MAX))
		return cause_fail(cause, "%s=%llu: bytes per second from %s "
		    "to %s", disk_io_keys[k], (unsigned long long)v,
		    format_size(DISK_IO_BPS_MIN, a, sizeof(a)),
		    format_size(DISK_IO_BPS_MAX, b, sizeof(b)));
	return 0;
}

/*
 * "KEY=VALUE" of fwsctl's: an iops key takes a whole number, a bps key
 * a size (its unit said: "20M" is 20 MiB a second); zero_ok lets "0"
 * (and "none") say no limit.  0, 1 when key is no I/O key (nothing
 * changed), or -1 and why.
 */
int
disk_io_parse_opt(const char *opt, struct disk_io *io, unsigned *given,
    int zero_ok, char **cause)
{
	const char	*eq = strchr(opt, '='), *v;
	char		 key[16], *end, *why;
	unsigned long long n;
	uint64_t	 size;
	int		 k;

	if (eq == NULL || (size_t)(eq - opt) >= sizeof(key))
		return 1;
	snprintf(key, sizeof(key), "%.*s", (int)(eq - opt), opt);
	if ((k = disk_io_key(key)) == -1)
		return 1;
	v = eq + 1;
	if (zero_ok && (strcmp(v, "0") == 0 || strcmp(v, "none") == 0))
		size = 0;
	else if (k < DISK_IO_BPS) {
		if (*v < '0' || *v > '9')
			return cause_fail(cause, "%s=%.32s: give a whole number "
			    "of operations per second", key, v);
		n = strtoull(v, &end, 10);
		if (*end != '\0')
			return cause_fail(cause, "%s=%.32s: give a whole number "
			    "of operations per second", key, v);
		size = n > DISK_IO_IOPS_MAX ? DISK_IO_IOPS_MAX + 1ULL : n;
	} else if (parse_size(v, &size, &why) == -1) {
		cause_fail(cause, "%s=%s (bytes per second)", key, why);
		free(why);
		return -1;
	}
	if (disk_io_range(k, size, zero_ok, cause) == -1)
		return -1;
	*disk_io_field(io, k) = size;
	if (given != NULL)
		*given |= 1U << k;
	return 0;
}

/*
 * A request's I/O keys of o (each absent or null: not given); zero_ok
 * lets 0 say no limit.  0, or -1 and why.
 */
int
disk_io_from_json(json_t *o, struct disk_io *io, unsigned *given,
    int zero_ok, char **cause)
{
	json_t	*v;
	int	 k;

	memset(io, 0, sizeof(*io));
	if (given != NULL)
		*given = 0;
	for (k = 0; k < DISK_IO_NKEYS; k++) {
		v = json_object_get(o, disk_io_keys[k]);
		if (v == NULL || json_is_null(v))
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return cause_fail(cause, "argument \"%s\" must be a "
			    "whole number (per second)", disk_io_keys[k]);
		if (disk_io_range(k, json_integer_value(v), zero_ok,
		    cause) == -1)
			return -1;
		*disk_io_field(io, k) = json_integer_value(v);
		if (given != NULL)
			*given |= 1U << k;
	}
	return disk_io_check(io, cause);
}

/* A total beside its read or write part: qemu refuses it, so do we. */
int
disk_io_check(const struct disk_io *io, char **cause)
{
	if (io->io_iops != 0 && (io->io_iops_rd != 0 || io->io_iops_wr != 0))
		return cause_fail(cause, "iops (reads and writes together) "
		    "and iops_rd or iops_wr exclude each other: give the "
		    "total, or the parts");
	if (io->io_bps != 0 && (io->io_bps_rd != 0 || io->io_bps_wr != 0))
		return cause_fail(cause, "bps (reads and writes together) "
		    "and bps_rd or bps_wr exclude each other: give the "
		    "total, or the parts");
	return 0;
}

/*
 * set --disk-limit: the keys given (their values, 0 none) replace the
 * disk's; a total given drops the parts it had, a part the total.
 */
void
disk_io_merge(struct disk_io *io, const struct disk_io *asked,
    unsigned given)
{
	int	 k, g;

	for (g = 0; g < DISK_IO_NKEYS; g += 3) {
		if (given & (1U << g))
			*disk_io_field(io, g + 1) = *disk_io_field(io, g + 2) = 0;
		else if (given & (6U << g))
			*disk_io_field(io, g) = 0;
	}
	for (k = 0; k < DISK_IO_NKEYS; k++)
		if (given & (1U << k))
			*disk_io_field(io, k) = disk_io_get(asked, k);
}

/*
 * Under a user's ceilings (0: none), iops on each of iops, iops_rd and
 * iops_wr, bps on each of bps, bps_rd, bps_wr: a value above one is
 * refused (-1, *over its key); where none is asked the ceiling is the
 * limit, so that no way of asking escapes it: the total when nothing is
 * given, the part that is not given beside the one that is.
 */
int
disk_io_ceiling(struct disk_io *io, uint64_t iops, uint64_t bps, int *over)
{
	uint64_t	 ceil[2] = { iops, bps };
	int		 g, k;

	for (g = 0; g < 2; g++) {
		if (ceil[g] == 0)
			continue;
		for (k = 3 * g; k < 3 * g + 3; k++)
			if (disk_io_get(io, k) > ceil[g]) {
				*over = k;
				return -1;
			}
		k = 3 * g;
		if (disk_io_get(io, k) != 0)
			continue;
		if (disk_io_get(io, k + 1) == 0 && disk_io_get(io, k + 2) == 0)
			*disk_io_field(io, k) = ceil[g];
		else {
			if (disk_io_get(io, k + 1) == 0)
				*disk_io_field(io, k + 1) = ceil[g];
			if (disk_io_get(io, k + 2) == 0)
				*disk_io_field(io, k + 2) = ceil[g];
		}
	}
	return 0;
}

/* One value in words: "500 IOPS", "20M/s". */
static void
disk_io_value(int k, uint64_t v, char *buf, size_t len)
{
	char	 s[32];

	if (k < DISK_IO_BPS)
		snprintf(buf, len, "%llu IOPS", (unsigned long long)v);
	else
		snprintf(buf, len, "%s/s", format_size(v, s, sizeof(s)));
}

/* "none", or "20M/s, 500 IOPS", "read 20M/s, written 5M/s, ...". */
char *
disk_io_text(const struct disk_io *io)
{
	/* bytes first, then operations: the order people say them in */
	static const int order[DISK_IO_NKEYS] = { 3, 4, 5, 0, 1, 2 };
	static const char *const part[3] = { "", "read ", "written " };
	char	 v[48], *s = NULL, *t;
	int	 i, k;

	for (i = 0; i < DISK_IO_NKEYS; i++) {
		k = order[i];
		if (disk_io_get(io, k) == 0)
			continue;
		disk_io_value(k, disk_io_get(io, k), v, sizeof(v));
		t = xasprintf("%s%s%s%s", s ? s : "", s ? ", " : "",
		    part[k % 3], v);
		free(s);
		s = t;
	}
	return s != NULL ? s : xasprintf("none");
}

/* The six keys into o: each per second, null for no limit. */
void
disk_io_to_json(json_t *o, const struct disk_io *io)
{
	int	 k;

	for (k = 0; k < DISK_IO_NKEYS; k++)
		json_object_set_new(o, disk_io_keys[k], disk_io_get(io, k) ?
		    json_integer((json_int_t)disk_io_get(io, k)) :
		    json_null());
}

/*
 * A throttle group's "limits" (qemu's ThrottleLimits), every one said
 * (0: none): a qom-set merges what it is given into what the group has.
 */
json_t *
disk_io_qemu_limits(const struct disk_io *io)
{
	json_t	*o = json_object();
	int	 k;

	for (k = 0; k < DISK_IO_NKEYS; k++)
		json_object_set_new(o, disk_io_qemu[k],
		    json_integer((json_int_t)disk_io_get(io, k)));
	return o;
}
