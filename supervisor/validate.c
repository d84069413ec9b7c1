/*
 * validate.c: checks and parsers for what users type: VM names, sizes,
 * memory amounts, MAC addresses, IPv4 addresses with or without a
 * prefix length (one grammar for all), paths confined to allowed
 * directories, durations and dates, the words that give sizes,
 * durations and dates back in one style, and text made fit for JSON
 * (UTF-8).  Pure functions (a date is read and written in the local
 * time zone), shared by fwsd and fwsctl, so a client and the daemon
 * agree on what is valid (the daemon checks again).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fws.h"

static int
name_char(int c, int first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return !first && (c == '_' || c == '.' || c == '-');
}

int
validate_name(const char *name, char **cause)
{
	size_t	 i, len;

	if (name == NULL || *name == '\0')
		return cause_fail(cause, "a VM name must not be empty");
	len = strlen(name);
	if (len > FWS_NAME_MAX)
		return cause_fail(cause, "VM name is %zu characters long, at most %d "
		    "are allowed", len, FWS_NAME_MAX);
	for (i = 0; i < len; i++) {
		if (!name_char((unsigned char)name[i], i == 0))
			return cause_fail(cause, "invalid VM name \"%.*s\": use letters, "
			    "digits, '_', '.' and '-', starting with a letter "
			    "or digit", FWS_NAME_MAX, name);
	}
	return 0;
}

/*
 * A pool's, image's or snapshot's name in the words of what (e.g.
 * "pool"): letters, digits, '_', '.' and '-', first a letter or digit,
 * FWS_RBD_NAME_MAX at most.  Stricter than Ceph, on purpose: no '/',
 * '@', ':', '=' or ',' (the separators of rbd's and qemu's syntaxes)
 * and no leading '-' (an option of the rbd tool).
 */
int
validate_rbd_part(const char *what, const char *s, char **cause)
{
	size_t	 i, len = strlen(s);

	if (len == 0)
		return cause_fail(cause, "an RBD %s name must not be empty",
		    what);
	if (len > FWS_RBD_NAME_MAX)
		return cause_fail(cause, "RBD %s name is %zu characters long, "
		    "at most %d are allowed", what, len, FWS_RBD_NAME_MAX);
	for (i = 0; i < len; i++)
		if (!name_char((unsigned char)s[i], i == 0))
			return cause_fail(cause, "invalid RBD %s name \"%.*s\": "
			    "use letters, digits, '_', '.' and '-', starting "
			    "with a letter or digit", what, FWS_RBD_NAME_MAX,
			    s);
	return 0;
}

/* Does a disk's path name an RBD image ("rbd:...")? */
int
is_rbd(const char *path)
{
	return path != NULL && strncmp(path, FWS_RBD_PREFIX,
	    strlen(FWS_RBD_PREFIX)) == 0;
}

/*
 * "rbd:POOL/IMAGE", or with RBD_SNAP_MUST "rbd:POOL/IMAGE@SNAP", into
 * rn: exactly one '/' (and one '@'), each part as validate_rbd_part.
 */
int
validate_rbd(const char *spec, enum rbd_snap_rule rule, struct rbd_name *rn,
    char **cause)
{
	char		 buf[3 * (FWS_RBD_NAME_MAX + 1)];
	char		*pool, *image, *snap;
	const char	*form = rule == RBD_SNAP_MUST ?
	    "rbd:POOL/IMAGE@SNAP" : "rbd:POOL/IMAGE";

	memset(rn, 0, sizeof(*rn));
	if (!is_rbd(spec))
		return cause_fail(cause, "an RBD image is named %s", form);
	if (strlen(spec + 4) >= sizeof(buf))
		return cause_fail(cause, "%.80s...: too long for %s", spec,
		    form);
	snprintf(buf, sizeof(buf), "%s", spec + 4);
	pool = buf;
	if ((image = strchr(pool, '/')) == NULL)
		return cause_fail(cause, "%.200s: name it %s", spec, form);
	*image++ = '\0';
	snap = strchr(image, '@');
	if (snap != NULL)
		*snap++ = '\0';
	if ((snap == NULL) != (rule == RBD_SNAP_NONE))
		return cause_fail(cause, "%.200s: name it %s", spec, form);
	if (validate_rbd_part("pool", pool, cause) == -1 ||
	    validate_rbd_part("image", image, cause) == -1 ||
	    (snap != NULL && validate_rbd_part("snapshot", snap,
	    cause) == -1))
		return -1;
	memcpy(rn->rn_pool, pool, strlen(pool) + 1);
	memcpy(rn->rn_image, image, strlen(image) + 1);
	if (snap != NULL)
		memcpy(rn->rn_snap, snap, strlen(snap) + 1);
	return 0;
}

/* A hex digit's value, or -1. */
int
validate_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Six colon-separated hex octets, unicast (the group bit clear). */
int
validate_mac(const char *mac, char **cause)
{
	int	 i;

	if (mac == NULL || strlen(mac) != 17)
		goto bad;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (mac[i] != ':')
				goto bad;
		} else if (validate_hexval((unsigned char)mac[i]) < 0)
			goto bad;
	}
	if (validate_hexval((unsigned char)mac[1]) & 1)
		return cause_fail(cause, "MAC address %s is a multicast address", mac);
	return 0;
bad:
	return cause_fail(cause, "invalid MAC address \"%.32s\": expected six "
	    "hex octets like 52:54:00:12:34:56", mac ? mac : "");
}

/*
 * A uuid as fwsd writes them: 8-4-4-4-12 lower-case hex digits.  It
 * names a directory (disk_dir), so nothing else passes.
 */
int
validate_uuid(const char *uuid, char **cause)
{
	int	 i;

	if (uuid == NULL || strlen(uuid) != 36)
		goto bad;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (uuid[i] != '-')
				goto bad;
		} else if (validate_hexval((unsigned char)uuid[i]) < 0 ||
		    (uuid[i] >= 'A' && uuid[i] <= 'F'))
			goto bad;
	}
	return 0;
bad:
	return cause_fail(cause, "invalid uuid \"%.40s\": expected lower-case "
	    "hex digits like 0f1e2d3c-4b5a-4697-8877-665544332211",
	    uuid ? uuid : "");
}

/*
 * A size as people type it: a whole number and its unit, K, M, G or T,
 * powers of 1024, in either case, alone or followed by B or iB: "10G",
 * "10g", "10GB", "10gb" and "10GiB" are all 10 GiB.  A bare number is
 * refused (a number of bytes where MiB were meant makes a 10-byte disk),
 * and so are zero and fractions.  The cause starts with what was typed,
 * for the caller to put after the option or key it came from.
 */
int
parse_size(const char *s, uint64_t *out, char **cause)
{
	static const char	 units[] = "KMGT";
	const char		*u;
	char			*end;
	unsigned long long	 n;
	int			 shift;

	if (s == NULL || *s < '0' || *s > '9')
		goto bad;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno == ERANGE)
		goto big;
	if (*end == '\0' && n > 0)
		return cause_fail(cause, "%.32s: say the unit, e.g. %.32sG", s,
		    s);
	if (*end == '\0')
		goto zero;
	if (*end == '.' || *end == ',')
		return cause_fail(cause, "%.32s: a size is a whole number of "
		    "K, M, G or T, e.g. 1536M rather than 1.5G", s);
	if ((u = strchr(units, toupper((unsigned char)*end))) == NULL)
		goto bad;
	end++;
	if (strcasecmp(end, "") != 0 && strcasecmp(end, "b") != 0 &&
	    strcasecmp(end, "ib") != 0)
		goto bad;
	if (n == 0)
		goto zero;
	shift = 10 * (int)(u - units + 1);
	if (n > UINT64_MAX >> shift)
		goto big;
	*out = (uint64_t)n << shift;
	return 0;
zero:
	return cause_fail(cause, "%.32s: a size must be greater than zero", s);
big:
	return cause_fail(cause, "%.32s: too large a size", s);
bad:
	return cause_fail(cause, "%.32s: invalid size: give a whole number and "
	    "K, M, G or T (powers of 1024), e.g. 20G", s ? s : "");
}

/* tc's units of a rate, powers of 1000, largest first */
static const struct {
	const char	*ru_name;
	uint64_t	 ru_bits;
} rate_units[] = {
	{ "tbit", 1000000000000ULL },
	{ "gbit", 1000000000ULL },
	{ "mbit", 1000000ULL },
	{ "kbit", 1000ULL },
	{ "bit", 1ULL },
};

/*
 * A NIC's rate, as tc writes it: a whole number and its unit, bit,
 * kbit, mbit, gbit or tbit (any case, powers of 1000, "/s" allowed
 * after it), from FWS_NET_RATE_MIN to FWS_NET_RATE_MAX, into bit/s.
 * A bare number is refused, and so are tc's byte units (its "mbps" is
 * megabytes).  The cause starts with what was typed.
 */
int
parse_rate(const char *s, uint64_t *out, char **cause)
{
	char			 unit[8], lo[16], hi[16];
	char			*end;
	unsigned long long	 n;
	size_t			 i, len;

	if (s == NULL || *s < '0' || *s > '9')
		goto bad;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno == ERANGE)
		goto range;
	if (*end == '\0')
		return cause_fail(cause, "%.32s: say the unit, e.g. %.20smbit "
		    "(bits per second)", s, s);
	if (*end == '.' || *end == ',')
		return cause_fail(cause, "%.32s: a rate is a whole number of "
		    "kbit, mbit or gbit, e.g. 1500mbit rather than 1.5gbit", s);
	len = strlen(end);
	if (len > 2 && strcmp(end + len - 2, "/s") == 0)
		len -= 2;
	if (len >= sizeof(unit))
		goto bad;
	for (i = 0; i < len; i++)
		unit[i] = tolower((unsigned char)end[i]);
	unit[len] = '\0';
	if (len > 2 && strcmp(unit + len - 2, "ps") == 0)
		return cause_fail(cause, "%.32s: say bits, e.g. %llumbit (tc's "
		    "bps, kbps, mbps are bytes per second)", s, n);
	for (i = 0; i < sizeof(rate_units) / sizeof(*rate_units); i++)
		if (strcmp(unit, rate_units[i].ru_name) == 0)
			break;
	if (i == sizeof(rate_units) / sizeof(*rate_units))
		goto bad;
	if (n > FWS_NET_RATE_MAX / rate_units[i].ru_bits)
		goto range;
	n *= rate_units[i].ru_bits;
	if (n < FWS_NET_RATE_MIN)
		goto range;
	*out = n;
	return 0;
range:
	return cause_fail(cause, "%.32s: a rate is from %s to %s", s,
	    format_rate(FWS_NET_RATE_MIN, lo, sizeof(lo)),
	    format_rate(FWS_NET_RATE_MAX, hi, sizeof(hi)));
bad:
	return cause_fail(cause, "%.32s: invalid rate: give a whole number and "
	    "kbit, mbit or gbit (powers of 1000), e.g. 100mbit", s ? s : "");
}

/* bit/s as tc shows them: "100Mbit", "512kbit", "1.5Gbit". */
const char *
format_rate(uint64_t n, char *buf, size_t len)
{
	static const char *const shown[] = { "Tbit", "Gbit", "Mbit", "kbit",
	    "bit" };
	size_t	 i;

	for (i = 0; i < sizeof(rate_units) / sizeof(*rate_units); i++) {
		if (n < rate_units[i].ru_bits)
			continue;
		if (n % rate_units[i].ru_bits == 0 || rate_units[i].ru_bits == 1)
			snprintf(buf, len, "%llu%s", (unsigned long long)(n /
			    rate_units[i].ru_bits), shown[i]);
		else
			snprintf(buf, len, "%.1f%s", (double)n /
			    (double)rate_units[i].ru_bits, shown[i]);
		return buf;
	}
	snprintf(buf, len, "0bit");
	return buf;
}

/*
 * Memory in MiB: a bare number is MiB; a size with its unit must be a
 * whole number of MiB.  The cause starts with what was typed.
 */
int
parse_memory_mib(const char *s, uint64_t *out, char **cause)
{
	unsigned long long	 n;
	uint64_t		 bytes;
	char			*end;
	size_t			 len;

	if (s == NULL)
		return cause_fail(cause, "memory is missing");
	len = strspn(s, "0123456789");
	if (len > 0 && s[len] == '\0') {
		errno = 0;
		n = strtoull(s, &end, 10);
		if (errno == ERANGE || n > UINT64_MAX >> 20)
			return cause_fail(cause, "%.32s: too much memory", s);
		if (n == 0)
			return cause_fail(cause, "%.32s: memory must be "
			    "greater than zero MiB", s);
		*out = n;
		return 0;
	}
	if (parse_size(s, &bytes, cause) == -1)
		return -1;
	if (bytes % (1ULL << 20) != 0)
		return cause_fail(cause, "%.32s: memory is a whole number of "
		    "MiB", s);
	*out = bytes >> 20;
	return 0;
}

/*
 * A size for people, in one style everywhere: "512M", "10G", "1.5G"
 * (powers of 1024, with one decimal when not whole), "512B" below 1K.
 */
const char *
format_size(uint64_t n, char *buf, size_t len)
{
	static const char	 units[] = "KMGTPE";
	uint64_t		 div = 1;
	double			 v;
	int			 u = -1;

	while (u < 5 && n / div >= 1024) {
		div <<= 10;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%lluB", (unsigned long long)n);
	else if (n % div == 0)
		snprintf(buf, len, "%llu%c", (unsigned long long)(n / div),
		    units[u]);
	else {
		v = (double)n / (double)div;
		/* 1023.97M is shown as 1.0G, not 1024.0M */
		if (v >= 1023.95 && u < 5) {
			v /= 1024;
			u++;
		}
		snprintf(buf, len, "%.1f%c", v, units[u]);
	}
	return buf;
}

/* CRC-32 (IEEE 802.3, as zlib and the legacy scripts compute it). */
static uint32_t
crc32_ieee(const unsigned char *p, size_t len)
{
	uint32_t	 crc = 0xffffffff;
	int		 k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
	}
	return ~crc;
}

/* 52:54: followed by the four bytes of CRC32(name), most significant first. */
void
mac_from_name(const char *name, char *buf, size_t len)
{
	uint32_t	 c = crc32_ieee((const unsigned char *)name, strlen(name));

	snprintf(buf, len, "52:54:%02x:%02x:%02x:%02x", (c >> 24) & 0xff,
	    (c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff);
}

/*
 * The one IPv4 grammar of fws, for every address it is given (a
 * network's host address and prefix, its DHCP range, its name servers):
 * four decimal numbers 0 to 255 separated by dots, each without leading
 * zeros, and nothing else (no spaces, no hex or octal, no short forms
 * such as 10.1).  Reads one from p up to end into *out, in host order:
 * 0, or -1 with why not in why.
 */
static int
ipv4_scan(const char *p, const char *end, uint32_t *out, char *why,
    size_t len)
{
	const char	*num;
	uint32_t	 a = 0;
	unsigned	 v;
	int		 i;

	for (i = 0; i < 4; i++) {
		if (i > 0) {
			if (p == end)
				goto count;
			if (*p != '.')
				goto other;
			p++;
		}
		for (num = p, v = 0; p < end && *p >= '0' && *p <= '9'; p++) {
			/* without leading zeros, a fourth digit is over 255 */
			if (p - num == 3) {
				snprintf(why, len, "a number is over 255");
				return -1;
			}
			v = v * 10 + (*p - '0');
		}
		if (p == num) {
			if (p < end && *p != '.')
				goto other;
			goto count;
		}
		if (*num == '0' && p - num > 1) {
			snprintf(why, len, "%.*s has a leading zero",
			    (int)(p - num), num);
			return -1;
		}
		if (v > 255) {
			snprintf(why, len, "%u is over 255", v);
			return -1;
		}
		a = a << 8 | v;
	}
	if (p == end) {
		*out = a;
		return 0;
	}
	if (*p == '.')
		goto count;
other:
	snprintf(why, len, "an IPv4 address holds only digits and dots");
	return -1;
count:
	snprintf(why, len, "an IPv4 address is four numbers separated by "
	    "dots");
	return -1;
}

int
validate_ipv4(const char *s, struct in_addr *in, char **cause)
{
	char		 why[64];
	uint32_t	 a;
	size_t		 n;

	if (s == NULL || *s == '\0')
		return cause_fail(cause, "an IPv4 address cannot be empty");
	if ((n = strlen(s)) > VALIDATE_IPV4_LEN)
		return cause_fail(cause, "address \"%.*s...\": too long for "
		    "an IPv4 address", VALIDATE_IPV4_LEN, s);
	if (strpbrk(s, " \t\n") != NULL)
		return cause_fail(cause, "address \"%s\": spaces are not "
		    "allowed", s);
	if (ipv4_scan(s, s + n, &a, why, sizeof(why)) == -1)
		return cause_fail(cause, "address \"%s\": %s", s, why);
	in->s_addr = htonl(a);
	return 0;
}

/*
 * An IPv4 address and its prefix length, "10.0.0.1/24": the address as
 * validate_ipv4() takes it, '/', and 1 to 32 without leading zeros (0
 * would be no prefix at all).  Which lengths suit a purpose is the
 * caller's policy.
 */
int
validate_cidr(const char *s, struct in_addr *in, int *prefix, char **cause)
{
	const char	*slash, *p;
	char		 why[64];
	uint32_t	 a;
	size_t		 n;
	int		 len = 0;

	if (s == NULL || *s == '\0')
		return cause_fail(cause, "an address cannot be empty: give an "
		    "IPv4 address and its prefix length, like 10.0.0.1/24");
	if ((n = strlen(s)) > VALIDATE_CIDR_LEN)
		return cause_fail(cause, "address \"%.*s...\": too long for an "
		    "IPv4 address and prefix length", VALIDATE_CIDR_LEN, s);
	if (strpbrk(s, " \t\n") != NULL)
		return cause_fail(cause, "address \"%s\": spaces are not "
		    "allowed", s);
	if ((slash = strchr(s, '/')) == NULL)
		return cause_fail(cause, "address \"%s\": no prefix length: "
		    "give it like 10.0.0.1/24", s);
	if (ipv4_scan(s, slash, &a, why, sizeof(why)) == -1)
		return cause_fail(cause, "address \"%s\": %s", s, why);
	p = slash + 1;
	if (*p == '\0')
		return cause_fail(cause, "address \"%s\": no prefix length "
		    "after the '/'", s);
	if (p[strspn(p, "0123456789")] != '\0')
		return cause_fail(cause, "address \"%s\": the prefix length "
		    "must be a number", s);
	if (*p == '0' && p[1] != '\0')
		return cause_fail(cause, "address \"%s\": the prefix length "
		    "has a leading zero", s);
	/* within VALIDATE_CIDR_LEN: no overflow */
	for (; *p != '\0'; p++)
		len = len * 10 + (*p - '0');
	if (len < 1 || len > 32)
		return cause_fail(cause, "address \"%s\": the prefix length "
		    "must be 1 to 32", s);
	in->s_addr = htonl(a);
	*prefix = len;
	return 0;
}

/* Is path, taken as written or resolved, under one of dirs? */
static int
path_under(const char *path, char *const *dirs, int ndirs, int resolve)
{
	char	 dreal[PATH_MAX];
	const char *d;
	size_t	 dlen;
	int	 i;

	for (i = 0; i < ndirs; i++) {
		d = dirs[i];
		if (resolve) {
			if (realpath(dirs[i], dreal) == NULL)
				continue;
			d = dreal;
		}
		dlen = strlen(d);
		while (dlen > 1 && d[dlen - 1] == '/')
			dlen--;
		if (dlen == 1 || (strncmp(path, d, dlen) == 0 &&
		    path[dlen] == '/'))
			return 1;
	}
	return 0;
}

/*
 * Resolve path (symbolic links and "..") and accept it only if it lies
 * inside one of the ndirs directories (themselves resolved).  The
 * resolved path is returned in *resolved.  The file must exist.  A path
 * outside them is refused with the same words whether or not it exists:
 * the answer tells nothing about the rest of the host.
 */
int
path_confine(const char *path, char *const *dirs, int ndirs,
    char **resolved, char **cause)
{
	char	 real[PATH_MAX];

	if (path == NULL || *path == '\0')
		return cause_fail(cause, "empty path");
	if (path[0] != '/')
		return cause_fail(cause, "%s: not an absolute path", path);
	if (realpath(path, real) == NULL) {
		if (strstr(path, "/../") != NULL ||
		    !path_under(path, dirs, ndirs, 0))
			goto outside;
		return cause_fail(cause, "%s: %s", path, strerror(errno));
	}
	if (path_under(real, dirs, ndirs, 1)) {
		*resolved = xasprintf("%s", real);
		return 0;
	}
outside:
	return cause_fail(cause, "%s: outside the allowed image directories", path);
}

/* The units of a duration, largest first: its letter and seconds. */
static const struct {
	char		 du_letter;
	const char	*du_word;
	int64_t		 du_secs;
} duration_units[] = {
	{ 'w', "week", 7 * 86400 },
	{ 'd', "day", 86400 },
	{ 'h', "hour", 3600 },
	{ 'm', "minute", 60 },
	{ 's', "second", 1 },
};
#define DURATION_UNITS	(sizeof(duration_units) / sizeof(*duration_units))

/*
 * A length of time: numbers each followed by a unit, s, m, h, d or w
 * ("120d", "1d12h", "90s"); more than zero, at most FWS_DURATION_MAX.
 */
int
parse_duration(const char *s, int64_t *out, char **cause)
{
	const char	*p = s;
	int64_t		 total = 0, n;
	size_t		 i;

	if (s == NULL || *s == '\0')
		return cause_fail(cause, "a duration must not be empty");
	if (*s == '-')
		return cause_fail(cause, "duration \"%.32s\" is negative: give "
		    "a length of time, like 30d", s);
	while (*p != '\0') {
		if (*p < '0' || *p > '9')
			goto bad;
		for (n = 0; *p >= '0' && *p <= '9'; p++) {
			n = n * 10 + (*p - '0');
			if (n > FWS_DURATION_MAX)
				goto big;
		}
		for (i = 0; i < DURATION_UNITS; i++)
			if (*p == duration_units[i].du_letter)
				break;
		if (i == DURATION_UNITS)
			goto bad;
		p++;
		if (n > FWS_DURATION_MAX / duration_units[i].du_secs)
			goto big;
		total += n * duration_units[i].du_secs;
		if (total > FWS_DURATION_MAX)
			goto big;
	}
	if (total == 0)
		return cause_fail(cause, "duration \"%.32s\" is zero: give a "
		    "length of time, like 30d", s);
	*out = total;
	return 0;
big:
	return cause_fail(cause, "duration \"%.32s\" is longer than %lld "
	    "days", s, (long long)(FWS_DURATION_MAX / 86400));
bad:
	return cause_fail(cause, "invalid duration \"%.32s\": expected a "
	    "number and a unit (s, m, h, d or w), like 120d or 1d12h", s);
}

/* n digits at *p, moved past them; -1 if they are not all digits. */
static int
date_field(const char **p, int n)
{
	int	 v = 0;

	for (; n > 0; n--, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
	}
	return v;
}

/*
 * A point in time in the local time zone: YYYY-MM-DD (its first second),
 * or YYYY-MM-DDTHH:MM[:SS] (a blank may stand for the T).  A time that
 * a change to summer time skips is read as the one after it.
 */
int
parse_date(const char *s, int64_t *out, char **cause)
{
	struct tm	 tm;
	const char	*p = s;
	time_t		 t;
	int		 y, mo, d, h = 0, mi = 0, sec = 0;

	if (s == NULL)
		goto bad;
	if ((y = date_field(&p, 4)) == -1 || *p++ != '-' ||
	    (mo = date_field(&p, 2)) == -1 || *p++ != '-' ||
	    (d = date_field(&p, 2)) == -1)
		goto bad;
	if (*p == 'T' || *p == ' ') {
		p++;
		if ((h = date_field(&p, 2)) == -1 || *p++ != ':' ||
		    (mi = date_field(&p, 2)) == -1)
			goto bad;
		if (*p == ':' && (p++, (sec = date_field(&p, 2)) == -1))
			goto bad;
	}
	if (*p != '\0')
		goto bad;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 59)
		return cause_fail(cause, "date \"%.32s\" does not exist", s);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return cause_fail(cause, "date \"%.32s\" cannot be told in "
		    "this time zone", s);
	/* mktime moves 2026-02-30 to March: such a day does not exist */
	if (tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 || tm.tm_mday != d)
		return cause_fail(cause, "date \"%.32s\" does not exist", s);
	*out = t;
	return 0;
bad:
	return cause_fail(cause, "invalid date \"%.32s\": expected "
	    "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], like 2026-12-01T12:00",
	    s ? s : "");
}

/* secs as parse_duration reads it back: "120d", "1d12h", "90s". */
char *
duration_text(int64_t secs)
{
	char	 buf[64];
	size_t	 i, len = 0;
	int64_t	 n;

	if (secs <= 0)
		return xasprintf("0s");
	buf[0] = '\0';
	/* in days at most: "14d" is clearer than "2w" */
	for (i = 1; i < DURATION_UNITS; i++) {
		n = secs / duration_units[i].du_secs;
		secs %= duration_units[i].du_secs;
		if (n > 0)
			len += snprintf(buf + len, sizeof(buf) - len, "%lld%c",
			    (long long)n, duration_units[i].du_letter);
	}
	return xasprintf("%s", buf);
}

/* secs in words, its two largest units, rounded down: "1 day 3 hours". */
char *
duration_words(int64_t secs)
{
	char	 buf[64];
	size_t	 i, len = 0;
	int64_t	 n;
	int	 said = 0;

	if (secs <= 0)
		return xasprintf("no time");
	buf[0] = '\0';
	for (i = 1; i < DURATION_UNITS && said < 2; i++) {
		n = secs / duration_units[i].du_secs;
		secs %= duration_units[i].du_secs;
		if (n == 0) {
			/* "1 day 20 minutes" would be precise, not plain */
			if (said > 0)
				break;
			continue;
		}
		len += snprintf(buf + len, sizeof(buf) - len, "%s%lld %s%s",
		    said ? " " : "", (long long)n, duration_units[i].du_word,
		    n == 1 ? "" : "s");
		said++;
	}
	return xasprintf("%s", buf);
}

/* t in the local time zone, as parse_date reads it (blank for T). */
char *
date_text(int64_t t)
{
	struct tm	 tm;
	time_t		 tt = t;
	char		 buf[64];

	if (localtime_r(&tt, &tm) == NULL)
		return xasprintf("%lld", (long long)t);
	strftime(buf, sizeof(buf), tm.tm_sec != 0 ? "%Y-%m-%d %H:%M:%S" :
	    "%Y-%m-%d %H:%M", &tm);
	return xasprintf("%s", buf);
}

/* The length of the well-formed UTF-8 sequence at p; 0 if there is none. */
static size_t
utf8_len(const unsigned char *p)
{
	uint32_t	 cp, min;
	size_t		 i, n;

	if (*p < 0x80)
		return 1;
	if (*p >= 0xc0 && *p < 0xe0) {
		n = 2;
		cp = *p & 0x1f;
		min = 0x80;
	} else if (*p >= 0xe0 && *p < 0xf0) {
		n = 3;
		cp = *p & 0x0f;
		min = 0x800;
	} else if (*p >= 0xf0 && *p < 0xf8) {
		n = 4;
		cp = *p & 0x07;
		min = 0x10000;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* the NUL at the end too */
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* overlong forms, surrogates and past U+10FFFF, as jansson checks */
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * A copy of s that JSON can carry: each byte that does not start a
 * well-formed UTF-8 sequence becomes '?'.  Error messages quote what a
 * client sent, cut to a number of bytes that may fall inside a
 * character, or jansson's own text with the bad bytes it met; events
 * quote qemu.  jansson refuses to pack such a string, and a request
 * went unanswered.
 */
char *
utf8_clean(const char *s)
{
	unsigned char	*p, *out;
	size_t		 n;

	if ((out = (unsigned char *)strdup(s)) == NULL)
		return NULL;
	for (p = out; *p != '\0'; p += n) {
		if ((n = utf8_len(p)) == 0) {
			*p = '?';
			n = 1;
		}
	}
	return (char *)out;
}

/*
 * A number of CPUs, "1.5", "0.25", "2": in thousandths of a CPU, at most
 * three decimals; 0 is refused (a cap of nothing), as is anything over
 * FWS_VCPUS_LIMIT.
 */
int
parse_cpus(const char *s, unsigned *out, char **cause)
{
	unsigned long	 whole = 0, frac = 0;
	const char	*p = s;
	int		 ndig = 0, nfrac = 0;

	if (s == NULL || *s == '\0')
		return cause_fail(cause, "a number of CPUs is missing");
	for (; *p >= '0' && *p <= '9'; p++, ndig++) {
		whole = whole * 10 + (unsigned long)(*p - '0');
		if (whole > FWS_VCPUS_LIMIT)
			return cause_fail(cause, "%.32s: more CPUs than %d", s,
			    FWS_VCPUS_LIMIT);
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, nfrac++) {
			if (nfrac == 3)
				return cause_fail(cause, "%.32s: CPUs to a "
				    "thousandth at most (0.001)", s);
			frac = frac * 10 + (unsigned long)(*p - '0');
		}
		if (nfrac == 0)
			ndig = 0;
	}
	if (ndig + nfrac == 0 || *p != '\0')
		return cause_fail(cause, "%.32s is not a number of CPUs, like "
		    "1.5 or 0.25", s);
	for (; nfrac < 3; nfrac++)
		frac *= 10;
	*out = (unsigned)(whole * 1000 + frac);
	if (*out == 0)
		return cause_fail(cause, "%.32s: a number of CPUs must be more "
		    "than 0", s);
	return 0;
}

/* Thousandths of a CPU as people write it: "1.5", "0.25", "2". */
const char *
format_cpus(unsigned milli, char *buf, size_t len)
{
	int	 n;

	n = snprintf(buf, len, "%u.%03u", milli / 1000, milli % 1000);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	return buf;
}

/*
 * "HOST", "HOST:PORT", "[IPV6]" or "[IPV6]:PORT" (an IPv6 address alone
 * may go without brackets) into host (at least VALIDATE_HOST_MAX + 1
 * bytes) and port (VALIDATE_PORT_LEN + 1), the port being defport when
 * none is given.  HOST is a name or an address: letters, digits, '.',
 * '-' (':' inside brackets); PORT a number from 1 to 65535.
 */
int
validate_hostport(const char *s, const char *defport, char *host,
    size_t hostlen, char *port, size_t portlen, char **cause)
{
	const char	*h = s, *p = NULL, *end;
	unsigned long	 n;
	size_t		 len, i;
	char		*e;

	if (s == NULL || *s == '\0')
		return cause_fail(cause, "an address must not be empty");
	if (*s == '[') {
		h = s + 1;
		if ((end = strchr(h, ']')) == NULL)
			return cause_fail(cause, "\"%.64s\": no ']' after the "
			    "IPv6 address", s);
		len = end - h;
		if (end[1] == ':')
			p = end + 2;
		else if (end[1] != '\0')
			return cause_fail(cause, "\"%.64s\": expected ':PORT' "
			    "after ']'", s);
	} else if ((end = strchr(s, ':')) != NULL && strchr(end + 1,
	    ':') == NULL) {
		len = end - s;
		p = end + 1;
	} else
		len = strlen(s);	/* a name, or an IPv6 address alone */
	if (len == 0 || len > VALIDATE_HOST_MAX || len >= hostlen)
		return cause_fail(cause, "\"%.64s\": the host is empty or too "
		    "long", s);
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)h[i]) && h[i] != '.' &&
		    h[i] != '-' && h[i] != ':' && h[i] != '%')
			return cause_fail(cause, "\"%.64s\": a host is a name or "
			    "an address (letters, digits, '.', '-', ':')", s);
		if ((h[i] == ':' || h[i] == '%') && *s != '[' && p != NULL)
			return cause_fail(cause, "\"%.64s\": write an IPv6 "
			    "address with a port as [ADDRESS]:PORT", s);
	}
	if (h[0] == '-' || h[0] == '.')
		return cause_fail(cause, "\"%.64s\": a host starts with a "
		    "letter or digit", s);
	memcpy(host, h, len);
	host[len] = '\0';
	if (p == NULL)
		p = defport;
	if (p == NULL || *p < '0' || *p > '9')
		return cause_fail(cause, "\"%.64s\": the port is a number from "
		    "1 to 65535", s);
	errno = 0;
	n = strtoul(p, &e, 10);
	if (errno != 0 || *e != '\0' || n == 0 || n > 65535 ||
	    portlen <= VALIDATE_PORT_LEN)
		return cause_fail(cause, "\"%.64s\": the port is a number from "
		    "1 to 65535", s);
	snprintf(port, portlen, "%lu", n);
	return 0;
}
