/*
 * fuzz_validate.c: validate.c, with the input as one string handed to
 * each of its checks.  What is checked, against the rules as written
 * in fws.h and fwsctl(1) rather than the code: a name is accepted
 * exactly when it matches [A-Za-z0-9][A-Za-z0-9_.-]{0,62}, and the MAC
 * made from it is valid; a MAC exactly when it is six colon-separated
 * hex octets with the group bit clear; an IPv4 address (and one with a
 * prefix length) exactly when it is what inet_ntop() writes back (and
 * "/" and 1 to 32 as printf writes it); a size is the number times its
 * unit (a bare number is no size) and reads back the same when written
 * with the largest unit that divides it; a memory amount likewise, in
 * MiB, or a bare number of MiB; and path_confine
 * only ever hands back a resolved path inside an allowed directory of a
 * small tree made at start-up, however the path is spelled; a duration
 * is more than zero, at most FWS_DURATION_MAX, and reads back the same
 * from its text, and so does a date (read in UTC).
 */
#include <sys/stat.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "fws.h"

#define NDIRS	3

static char	 root[PATH_MAX];
static char	*dirs[NDIRS];
static char	 dirs_real[NDIRS][PATH_MAX];

static void
make(const char *fmt, const char *arg, int dir)
{
	char	*p;
	int	 fd;

	p = xasprintf(fmt, root, arg);
	if (dir) {
		if (mkdir(p, 0700) == -1)
			abort();
	} else {
		if ((fd = open(p, O_CREAT | O_WRONLY, 0600)) == -1)
			abort();
		close(fd);
	}
	free(p);
}

static void
link_to(const char *target, const char *name)
{
	char	*p;

	p = xasprintf("%s/%s", root, name);
	if (symlink(target, p) == -1)
		abort();
	free(p);
}

static int
remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void
remove_tree(void)
{
	if (root[0] != '\0')
		nftw(root, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

/*
 * root/images     allowed: a.iso, sub/b.img, up -> .., out -> ../outside
 * root/images2    not allowed, though its name starts like one that is
 * root/outside    not allowed: secret
 * root/lnk        allowed, a link to images/sub
 * root/missing    allowed, and absent
 */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*tmp;
	int		 i;

	(void)argc;
	(void)argv;
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(root, sizeof(root), "%s/fws-fuzz-validate.XXXXXX", tmp);
	if (mkdtemp(root) == NULL)
		abort();
	atexit(remove_tree);
	make("%s/%s", "images", 1);
	make("%s/%s", "images/sub", 1);
	make("%s/%s", "images2", 1);
	make("%s/%s", "outside", 1);
	make("%s/%s", "images/a.iso", 0);
	make("%s/%s", "images/sub/b.img", 0);
	make("%s/%s", "images2/c.img", 0);
	make("%s/%s", "outside/secret", 0);
	link_to("..", "images/up");
	link_to("../outside", "images/out");
	link_to("images/sub", "lnk");
	/* a date's text reads back the same where no hour repeats */
	setenv("TZ", "UTC", 1);
	tzset();
	dirs[0] = xasprintf("%s/images", root);
	dirs[1] = xasprintf("%s/lnk", root);
	dirs[2] = xasprintf("%s/missing", root);
	for (i = 0; i < NDIRS; i++)
		if (realpath(dirs[i], dirs_real[i]) == NULL)
			dirs_real[i][0] = '\0';
	return 0;
}

/* [A-Za-z0-9][A-Za-z0-9_.-]{0,62}, spelled differently from validate.c */
static int
name_ok(const char *s)
{
#define ALNUM	"abcdefghijklmnopqrstuvwxyz" \
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	size_t	 len = strlen(s);

	return len >= 1 && len <= 63 && strspn(s, ALNUM) >= 1 &&
	    strspn(s, ALNUM "_.-") == len;
#undef ALNUM
}

static int
mac_ok(const char *s)
{
	unsigned	 first = 0;
	int		 i;

	if (strlen(s) != 17)
		return 0;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (s[i] != ':')
				return 0;
		} else if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	sscanf(s, "%2x", &first);
	return (first & 1) == 0;
}

/* What inet_ntop() writes for what inet_pton() reads: no other form. */
static int
ipv4_ok(const char *s, struct in_addr *in)
{
	char	 buf[INET_ADDRSTRLEN];

	return inet_pton(AF_INET, s, in) == 1 &&
	    inet_ntop(AF_INET, in, buf, sizeof(buf)) != NULL &&
	    strcmp(buf, s) == 0;
}

static void
check_cidr(const char *s)
{
	struct in_addr	 in, want;
	char		*cause = NULL, *addr, *slash, len[8];
	int		 rc, ok, prefix = -1, wlen = 0;

	rc = validate_ipv4(s, &in, &cause);
	FUZZ_ASSERT((rc == -1) == (cause != NULL));
	free(cause);
	FUZZ_ASSERT(rc == (ipv4_ok(s, &want) ? 0 : -1));
	FUZZ_ASSERT(rc == -1 || in.s_addr == want.s_addr);

	addr = xasprintf("%s", s);
	ok = 0;
	if ((slash = strrchr(addr, '/')) != NULL) {
		*slash++ = '\0';
		wlen = atoi(slash);
		snprintf(len, sizeof(len), "%d", wlen);
		ok = ipv4_ok(addr, &want) && wlen >= 1 && wlen <= 32 &&
		    strcmp(len, slash) == 0;
	}
	free(addr);
	cause = NULL;
	rc = validate_cidr(s, &in, &prefix, &cause);
	FUZZ_ASSERT((rc == -1) == (cause != NULL));
	free(cause);
	FUZZ_ASSERT(rc == (ok ? 0 : -1));
	FUZZ_ASSERT(rc == -1 || (in.s_addr == want.s_addr && prefix == wlen));
}

static void
check_name(const char *s)
{
	char	*cause = NULL, mac[32];
	int	 rc;

	rc = validate_name(s, &cause);
	FUZZ_ASSERT(rc == (name_ok(s) ? 0 : -1));
	FUZZ_ASSERT((rc == -1) == (cause != NULL));
	free(cause);
	/* every name has a MAC of its own, and it is a valid one */
	mac_from_name(s, mac, sizeof(mac));
	FUZZ_ASSERT(strncmp(mac, "52:54:", 6) == 0);
	FUZZ_ASSERT(validate_mac(mac, NULL) == 0);
}

static void
check_mac(const char *s)
{
	char	*cause = NULL;
	int	 rc;

	rc = validate_mac(s, &cause);
	FUZZ_ASSERT(rc == (mac_ok(s) ? 0 : -1));
	FUZZ_ASSERT((rc == -1) == (cause != NULL));
	free(cause);
}

/*
 * The rule for a size: digits, then K, M, G or T, alone or followed by
 * B or iB, in any case; a nonzero result that fits.  Returns 0 and the
 * bytes, or -1.
 */
static int
size_rule(const char *s, uint64_t *out)
{
	static const char	 units[] = "KMGT";
	unsigned __int128	 n = 0;
	const char		*p, *u;
	int			 shift;

	for (p = s; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > UINT64_MAX)
			return -1;
	}
	if (p == s || *p == '\0' ||
	    (u = strchr(units, toupper((unsigned char)*p))) == NULL)
		return -1;
	shift = 10 * (int)(u - units + 1);
	p++;
	if (strcasecmp(p, "") != 0 && strcasecmp(p, "B") != 0 &&
	    strcasecmp(p, "iB") != 0)
		return -1;
	n <<= shift;
	if (n == 0 || n > UINT64_MAX)
		return -1;
	*out = (uint64_t)n;
	return 0;
}

/* bytes with the largest suffix that divides it: 1536 is 3K, 2^30 1G */
static char *
size_text(uint64_t bytes, int want_mib)
{
	static const char	 units[] = " KMGT";
	int			 i = 0;

	while (i < 4 && bytes % 1024 == 0) {
		bytes /= 1024;
		i++;
	}
	if (i == 0)
		return xasprintf("%llu", (unsigned long long)bytes);
	return xasprintf("%llu%c%s", (unsigned long long)bytes, units[i],
	    want_mib ? "iB" : "");
}

static void
check_size(const char *s)
{
	uint64_t	 out = 0, want = 0, again = 0;
	char		*cause = NULL, *t;
	int		 rc;

	rc = parse_size(s, &out, &cause);
	FUZZ_ASSERT((rc == -1) == (cause != NULL));
	free(cause);
	FUZZ_ASSERT(rc == size_rule(s, &want));
	if (rc == -1)
		return;
	FUZZ_ASSERT(out == want && out > 0);
	t = size_text(out, 0);
	FUZZ_ASSERT(parse_size(t, &again, NULL) == 0 && again == out);
	free(t);
}

/*
 * A NIC's rate: in range when read, said with a cause when not, and
 * shown in words that read back the same (exactly, when whole).
 */
static void
check_rate(const char *s)
{
	uint64_t	 out = 0, again = 0;
	char		*cause = NULL, buf[32];
	int		 rc;

	rc = parse_rate(s, &out, &cause);
	FUZZ_ASSERT((rc == -1) == (cause != NULL));
	free(cause);
	if (rc == -1)
		return;
	FUZZ_ASSERT(out >= FWS_NET_RATE_MIN && out <= FWS_NET_RATE_MAX);
	FUZZ_ASSERT(*s >= '0' && *s <= '9');
	format_rate(out, buf, sizeof(buf));
	if (strchr(buf, '.') == NULL)
		FUZZ_ASSERT(parse_rate(buf, &again, NULL) == 0 &&
		    again == out);
}

/* Memory: plain digits are MiB; a suffixed size must be whole MiB. */
static void
check_memory(const char *s)
{
	uint64_t	 out = 0, bytes = 0, again = 0;
	char		*cause = NULL, *t;
	int		 rc, want;

	rc = parse_memory_mib(s, &out, &cause);
	FUZZ_ASSERT((rc == -1) == (cause != NULL));
	free(cause);
	if (*s != '\0' && strspn(s, "0123456789") == strlen(s)) {
		errno = 0;
		bytes = strtoull(s, NULL, 10);	/* here, MiB */
		want = errno == 0 && bytes > 0 && bytes <= UINT64_MAX >> 20;
		FUZZ_ASSERT(rc == (want ? 0 : -1));
		if (want)
			FUZZ_ASSERT(out == bytes);
	} else {
		want = size_rule(s, &bytes) == 0 && bytes % (1 << 20) == 0;
		FUZZ_ASSERT(rc == (want ? 0 : -1));
		if (want)
			FUZZ_ASSERT(out == bytes >> 20);
	}
	if (rc == -1)
		return;
	FUZZ_ASSERT(out > 0 && out <= UINT64_MAX >> 20);
	/* written as MiB, or as a size with a suffix, it reads the same */
	t = xasprintf("%llu", (unsigned long long)out);
	FUZZ_ASSERT(parse_memory_mib(t, &again, NULL) == 0 && again == out);
	free(t);
	t = size_text(out << 20, 1);
	FUZZ_ASSERT(parse_memory_mib(t, &again, NULL) == 0 && again == out);
	free(t);
}

/* Inside dir (resolved), not dir itself: a prefix that ends at a '/'. */
static int
below(const char *path, const char *dir)
{
	size_t	 len = strlen(dir);

	if (len == 0)
		return 0;
	return strncmp(path, dir, len) == 0 && path[len] == '/';
}

static void
check_path(const char *s)
{
	struct stat	 st;
	char		*path, *resolved = NULL, *cause = NULL;
	char		 real[PATH_MAX];
	int		 i, rc, inside = 0;

	/* spelled from the tree's root, or as given when absolute */
	path = s[0] == '/' && s[1] == '/' ? xasprintf("%s", s + 1) :
	    xasprintf("%s/%s", root, s);
	rc = path_confine(path, dirs, NDIRS, &resolved, &cause);
	FUZZ_ASSERT((rc == -1) == (cause != NULL));
	FUZZ_ASSERT((rc == 0) == (resolved != NULL));
	if (realpath(path, real) != NULL)
		for (i = 0; i < NDIRS; i++)
			inside |= below(real, dirs_real[i]);
	FUZZ_ASSERT(rc == (inside ? 0 : -1));
	if (rc == 0) {
		FUZZ_ASSERT(strcmp(resolved, real) == 0);
		FUZZ_ASSERT(lstat(resolved, &st) == 0 && !S_ISLNK(st.st_mode));
		FUZZ_ASSERT(strstr(resolved, "/outside/") == NULL);
		FUZZ_ASSERT(strstr(resolved, "/images2/") == NULL);
	}
	free(resolved);
	free(cause);
	free(path);
}

static void
check_duration(const char *s)
{
	int64_t		 v = 0, again = 0;
	char		*cause = NULL, *t;
	int		 rc;

	rc = parse_duration(s, &v, &cause);
	FUZZ_ASSERT((rc == -1) == (cause != NULL));
	free(cause);
	if (rc == -1)
		return;
	FUZZ_ASSERT(v > 0 && v <= FWS_DURATION_MAX);
	t = duration_text(v);
	FUZZ_ASSERT(parse_duration(t, &again, NULL) == 0 && again == v);
	free(t);
	free(duration_words(v));
}

static void
check_date(const char *s)
{
	int64_t		 v = 0, again = 0;
	char		*cause = NULL, *t;
	int		 rc;

	rc = parse_date(s, &v, &cause);
	FUZZ_ASSERT((rc == -1) == (cause != NULL));
	free(cause);
	if (rc == -1)
		return;
	FUZZ_ASSERT(v >= 0);
	t = date_text(v);
	FUZZ_ASSERT(parse_date(t, &again, NULL) == 0 && again == v);
	free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if (size > 4096)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	check_name(s);
	check_mac(s);
	check_cidr(s);
	check_size(s);
	check_memory(s);
	check_rate(s);
	check_path(s);
	check_duration(s);
	check_date(s);
	free(s);
	return 0;
}
