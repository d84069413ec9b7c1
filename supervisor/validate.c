/*
 * validate.c: checks and parsers for what users type: VM names, sizes,
 * memory amounts, MAC addresses and paths confined to allowed
 * directories, and sizes written back for people in one style.  Pure
 * functions, shared by fwsd and fwsctl, so a client and the daemon agree
 * on what is valid (the daemon checks again).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static int
hexval(int c)
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
		} else if (hexval((unsigned char)mac[i]) < 0)
			goto bad;
	}
	if (hexval((unsigned char)mac[1]) & 1)
		return cause_fail(cause, "MAC address %s is a multicast address", mac);
	return 0;
bad:
	return cause_fail(cause, "invalid MAC address \"%.32s\": expected six "
	    "hex octets like 52:54:00:12:34:56", mac ? mac : "");
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
