/*
 * imgcheck-parse.c: fws-image-check's reading of a guest's files, line
 * by line, without I/O: /etc/passwd (name, uid, home) and /etc/shadow
 * (name, hash) lines; a hash tried with crypt_r(3), with its own salt
 * and method, against the short list of well-known passwords below and
 * the account's own name; sshd_config's directives as sshd reads them
 * (keyword case-insensitive, "=" or blanks between, the first value
 * obtained wins, a Match block no longer global); an authorized_keys
 * line against the well-known insecure keys.  Every line comes from a
 * guest that may have written anything: nothing is trusted to be short,
 * terminated where expected or well formed.
 */
#include <crypt.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "imgcheck.h"

/*
 * The well-known passwords: those images are built with (Vagrant's,
 * Packer templates', distributions' cloud and live images', the
 * defaults of appliances) and the first ones any scanner tries.  Kept
 * short on purpose: each costs a crypt(3) per account.  The account's
 * own name is tried as well.
 */
const char *const imgcheck_passwords[] = {
	"vagrant", "root", "toor", "password", "ubuntu", "debian", "admin",
	"123456", "changeme", "packer", NULL
};

/* A crypt(3) cost above which a hash is not tried (seconds a try). */
#define IMGCHECK_SHA_ROUNDS_MAX	200000	/* $5$, $6$ rounds= */
#define IMGCHECK_BCRYPT_COST_MAX 13	/* $2b$NN$ */
#define IMGCHECK_TRY_SLOW	2	/* s: one try as slow: the rest not */

/* Split the next line off *p (up to end): '\n' becomes '\0'. */
char *
imgcheck_next_line(char **p, char *end)
{
	char	*line = *p, *nl;

	if (line >= end)
		return NULL;
	if ((nl = memchr(line, '\n', end - line)) == NULL)
		nl = end;		/* the buffer has room for a '\0' */
	*nl = '\0';
	*p = nl + 1;
	return line;
}

/* The field after the next ':' of a line, which is cut there. */
static char *
field_next(char **p)
{
	char	*f = *p, *c;

	if (f == NULL)
		return NULL;
	if ((c = strchr(f, ':')) != NULL) {
		*c = '\0';
		*p = c + 1;
	} else
		*p = NULL;
	return f;
}

/*
 * A login name as useradd makes them (letters, digits, '.', '_', '-',
 * not first, a '$' last for a machine account), not too long: others
 * are not accounts anyone logs in to, and never reach a finding.
 */
int
imgcheck_name_ok(const char *name)
{
	size_t	 len = strlen(name), n;

	if (len == 0 || len > IMGCHECK_NAME_MAX || name[0] == '-')
		return 0;
	n = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-");
	return n == len || (n == len - 1 && name[n] == '$');
}

/*
 * A home directory worth looking into: absolute, printable (no quote,
 * backslash or brace either), no "..".
 */
int
imgcheck_home_ok(const char *home)
{
	size_t	 i, len = strlen(home);

	if (len == 0 || len > IMGCHECK_HOME_MAX || home[0] != '/')
		return 0;
	for (i = 0; i < len; i++)
		if (!isgraph((unsigned char)home[i]) ||
		    strchr("\"\\{}", home[i]) != NULL)
			return 0;
	return strstr(home, "/../") == NULL &&
	    (len < 3 || strcmp(home + len - 3, "/..") != 0);
}

/* name:password:uid:gid:gecos:home:shell; 0, or -1 when not one. */
int
imgcheck_passwd_line(char *line, struct imgcheck_passwd *pw)
{
	char	*p = line, *name, *pass, *uid, *end, *home;
	int	 i;

	memset(pw, 0, sizeof(*pw));
	if (line[0] == '#' || line[0] == '+' || line[0] == '-')
		return -1;
	name = field_next(&p);
	pass = field_next(&p);			/* "x": in /etc/shadow */
	uid = field_next(&p);
	for (i = 0; i < 2; i++)			/* gid, gecos */
		(void)field_next(&p);
	home = field_next(&p);
	if (name == NULL || pass == NULL || uid == NULL || home == NULL ||
	    !imgcheck_name_ok(name) || !isdigit((unsigned char)uid[0]))
		return -1;
	pw->ip_uid = strtol(uid, &end, 10);
	if (*end != '\0' || pw->ip_uid < 0)
		return -1;
	pw->ip_name = name;
	pw->ip_pass = pass;
	pw->ip_home = home;
	return 0;
}

/* name:hash:...; 0, or -1 when not one. */
int
imgcheck_shadow_line(char *line, struct imgcheck_shadow *sh)
{
	char	*p = line, *name, *hash;

	memset(sh, 0, sizeof(*sh));
	if (line[0] == '#' || line[0] == '+' || line[0] == '-')
		return -1;
	name = field_next(&p);
	hash = field_next(&p);
	if (name == NULL || hash == NULL || !imgcheck_name_ok(name))
		return -1;
	sh->is_name = name;
	sh->is_hash = hash;
	return 0;
}

/* Is the hash's cost one we try?  (A guest may ask for years.) */
static int
hash_cost_ok(const char *hash)
{
	const char	*r;
	long		 n;

	if ((strncmp(hash, "$5$", 3) == 0 || strncmp(hash, "$6$", 3) == 0) &&
	    strncmp(hash + 3, "rounds=", 7) == 0) {
		r = hash + 10;
		if (!isdigit((unsigned char)*r) || strspn(r, "0123456789") > 9)
			return 0;
		n = strtol(r, NULL, 10);
		return n <= IMGCHECK_SHA_ROUNDS_MAX;
	}
	if (hash[0] == '$' && hash[1] == '2' && hash[2] != '\0' &&
	    hash[3] == '$') {
		if (!isdigit((unsigned char)hash[4]) ||
		    !isdigit((unsigned char)hash[5]))
			return 0;
		n = (hash[4] - '0') * 10 + (hash[5] - '0');
		return n <= IMGCHECK_BCRYPT_COST_MAX;
	}
	return 1;
}

static int
elapsed_slow(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return t1.tv_sec - t0->tv_sec >= IMGCHECK_TRY_SLOW;
}

/* Does pw hash to hash?  -1: the try was too slow to go on. */
static int
try_password(const char *pw, const char *hash, struct crypt_data *cd)
{
	struct timespec	 t0;
	const char	*out;
	int		 same;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(cd, 0, sizeof(*cd));
	out = crypt_r(pw, hash, cd);
	same = out != NULL && out[0] != '*' && strcmp(out, hash) == 0;
	if (same)
		return 1;
	return elapsed_slow(&t0) ? -1 : 0;
}

/*
 * A shadow hash field (the account's name is tried too): empty is no
 * password at all; locked ("!", "*") and anything crypt(3) does not
 * take are none of the well-known ones.  *which: the password found.
 */
enum imgcheck_pw
imgcheck_password(const char *hash, const char *name, const char **which)
{
	struct crypt_data	*cd;
	enum imgcheck_pw	 rc = IMGCHECK_PW_OTHER;
	int			 i, r;

	*which = NULL;
	if (hash[0] == '\0')
		return IMGCHECK_PW_EMPTY;
	if (hash[0] == '!' || hash[0] == '*' || strlen(hash) > 512 ||
	    (hash[0] != '$' && strlen(hash) != 13))
		return IMGCHECK_PW_OTHER;
	if (!hash_cost_ok(hash))
		return IMGCHECK_PW_COSTLY;
	if ((cd = malloc(sizeof(*cd))) == NULL)
		return IMGCHECK_PW_OTHER;
	for (i = 0; imgcheck_passwords[i] != NULL; i++) {
		if ((r = try_password(imgcheck_passwords[i], hash, cd)) == 1) {
			*which = imgcheck_passwords[i];
			rc = IMGCHECK_PW_KNOWN;
			break;
		}
		if (r == -1) {
			rc = IMGCHECK_PW_COSTLY;
			break;
		}
	}
	if (rc == IMGCHECK_PW_OTHER && name != NULL &&
	    try_password(name, hash, cd) == 1) {
		*which = name;
		rc = IMGCHECK_PW_KNOWN;
	}
	free(cd);
	return rc;
}

/*
 * One sshd_config line: its keyword (lower-cased) and first argument
 * (unquoted), each cut to its buffer.  1 when the line is a directive;
 * 0 for a blank line or a comment.
 */
int
imgcheck_sshd_line(const char *line, char *kw, size_t kwlen, char *arg,
    size_t arglen)
{
	const char	*p = line, *s;
	size_t		 n, i;

	kw[0] = arg[0] = '\0';
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	for (s = p; *p != '\0' && *p != ' ' && *p != '\t' && *p != '=' &&
	    *p != '\r'; p++)
		;
	n = (size_t)(p - s);
	if (n >= kwlen)
		n = kwlen - 1;
	for (i = 0; i < n; i++)
		kw[i] = tolower((unsigned char)s[i]);
	kw[n] = '\0';
	/* blanks, at most one '=' among them */
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '=')
		p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '"') {
		s = ++p;
		while (*p != '\0' && *p != '"')
			p++;
	} else
		for (s = p; *p != '\0' && *p != ' ' && *p != '\t' &&
		    *p != '\r'; p++)
			;
	n = (size_t)(p - s);
	if (n >= arglen)
		n = arglen - 1;
	memcpy(arg, s, n);
	arg[n] = '\0';
	return 1;
}

void
imgcheck_sshd_init(struct imgcheck_sshd *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->sc_root = IMGCHECK_ROOT_UNSET;
	sc->sc_password = -1;
	sc->sc_kbd = -1;
}

static int
yes_no(const char *v)
{
	if (strcasecmp(v, "yes") == 0)
		return 1;
	if (strcasecmp(v, "no") == 0)
		return 0;
	return -1;
}

/*
 * One directive, as sshd takes it: the first value wins; after a Match
 * nothing is global any more (what a Match block allows is not
 * counted: sshd_config files of images rarely have one).
 */
void
imgcheck_sshd_apply(struct imgcheck_sshd *sc, const char *kw, const char *arg)
{
	int	 v;

	if (strcmp(kw, "match") == 0)
		sc->sc_in_match = 1;
	if (sc->sc_in_match)
		return;
	if (strcmp(kw, "permitrootlogin") == 0 &&
	    sc->sc_root == IMGCHECK_ROOT_UNSET) {
		if (strcasecmp(arg, "yes") == 0)
			sc->sc_root = IMGCHECK_ROOT_YES;
		else if (strcasecmp(arg, "no") == 0)
			sc->sc_root = IMGCHECK_ROOT_NO;
		else if (strcasecmp(arg, "prohibit-password") == 0 ||
		    strcasecmp(arg, "without-password") == 0 ||
		    strcasecmp(arg, "forced-commands-only") == 0)
			sc->sc_root = IMGCHECK_ROOT_KEYS;
	} else if (strcmp(kw, "passwordauthentication") == 0 &&
	    sc->sc_password == -1) {
		if ((v = yes_no(arg)) != -1)
			sc->sc_password = v;
	} else if ((strcmp(kw, "kbdinteractiveauthentication") == 0 ||
	    strcmp(kw, "challengeresponseauthentication") == 0) &&
	    sc->sc_kbd == -1) {
		if ((v = yes_no(arg)) != -1)
			sc->sc_kbd = v;
	}
}

/* The well-known insecure keys: type, blob (a public key is data). */
static const struct {
	const char	*ik_type;
	const char	*ik_blob;
	const char	*ik_words;
} insecure_keys[] = {
	{ "ssh-rsa", "AAAAB3NzaC1yc2EAAAABIwAAAQEA6NF8iallvQVp22WDkTkyrtvp9eW"
	    "W6A8YVr+kz4TjGYe7gHzIw+niNltGEFHzD8+v1I2YJ6oXevct1YeS0o9HZyN1Q9q"
	    "gCgzUFtdOKLv6IedplqoPkcmF0aYet2PkEDo3MlTBckFXPITAMzF8dJSIFo9D8Hf"
	    "dOV0IAdx4O7PtixWKn5y2hMNG0zQPyUecp4pzC6kivAIhyfHilFR61RGL+GPXQ2M"
	    "WZWFYbAGjyiYJnAmCP3NOTd0jMZEnDkbUvxhMmBYSdETk1rRgm+R4LOzFUGaHqHD"
	    "LKLX+FIPKcF96hrucXzcWyLbIbEgE98OHlnVYCzRdK8jlqm8tehUc9c9WhQ==",
	    "Vagrant's insecure RSA key" },
	{ "ssh-ed25519", "AAAAC3NzaC1lZDI1NTE5AAAAIN1YdxBpNlzxDqfJyw/QKow1F+w"
	    "vG9hXGoqiysfJOn5Y", "Vagrant's insecure ed25519 key" },
};

/* The next blank-separated token of *p (quotes keep blanks in). */
static const char *
key_token(const char **p, size_t *len)
{
	const char	*s = *p, *t;
	int		 quoted = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	for (t = s; *t != '\0' && (quoted || (*t != ' ' && *t != '\t' &&
	    *t != '\r')); t++) {
		if (*t == '\\' && t[1] != '\0')
			t++;
		else if (*t == '"')
			quoted = !quoted;
	}
	*len = (size_t)(t - s);
	*p = t;
	return *len > 0 ? s : NULL;
}

static int
token_is(const char *tok, size_t len, const char *s)
{
	return len == strlen(s) && memcmp(tok, s, len) == 0;
}

/*
 * An authorized_keys line ([options] type blob [comment]): the words
 * for the well-known insecure key it holds, or NULL.
 */
const char *
imgcheck_key_line(const char *line)
{
	const char	*p = line, *tok, *blob;
	size_t		 len, blen, i;
	int		 ntok;

	/* the type is the first or (after the options) the second token */
	for (ntok = 0; ntok < 2; ntok++) {
		if ((tok = key_token(&p, &len)) == NULL || tok[0] == '#')
			return NULL;
		for (i = 0; i < sizeof(insecure_keys) / sizeof(*insecure_keys);
		    i++) {
			if (!token_is(tok, len, insecure_keys[i].ik_type))
				continue;
			blob = key_token(&p, &blen);
			if (blob != NULL && token_is(blob, blen,
			    insecure_keys[i].ik_blob))
				return insecure_keys[i].ik_words;
			return NULL;
		}
	}
	return NULL;
}
