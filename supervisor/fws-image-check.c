/*
 * fws-image-check.c: fws-image-check [--tcg] [--scratch DIR] FORMAT PATH,
 * fwsd's helper
 * that looks into a disk image for well-known credentials before the
 * image may reach a public network.  The image is never mounted on the
 * host: libguestfs starts its appliance (a small VM of its own, under
 * TCG with --tcg, when fwsd has not proved that KVM runs guests) with
 * the image as a read-only drive of the format given (never probed),
 * and the appliance's kernel reads the guest's filesystems.  What it
 * reads (imgcheck-parse.c parses it):
 *
 *   - /etc/shadow (and /etc/passwd's own password field): accounts with
 *     no password, or one of the well-known ones (or their own name),
 *     each tried with crypt(3) against the hash's own salt;
 *   - authorized_keys (and authorized_keys2) in root's and every home
 *     /etc/passwd names: Vagrant's insecure public keys;
 *   - /etc/ssh/sshd_config (and what it includes): PermitRootLogin yes,
 *     and password logins (PasswordAuthentication yes, or by default)
 *     with such accounts.
 *
 * Every file is read only when a regular file (symbolic links followed
 * inside the guest's tree, by the appliance) no larger than
 * IMGCHECK_FILE_MAX; one larger, or unreadable, is a finding (it could
 * not be checked).  Counts are capped (imgcheck.h).  No filesystem
 * holding /etc/passwd is a finding too: nothing could be checked.
 *
 * What libguestfs leaves in /tmp (its sockets' directory, the drive's
 * overlay: for root it is always /tmp) would outlive a check that is
 * killed, and fwsd kills a check that takes too long, whose image is
 * deleted, or when it ends.  With --scratch DIR (an empty directory of
 * fwsd's), the helper first takes a mount namespace of its own, mounts
 * a tmpfs on DIR there and an overlay on /tmp (the host's /tmp below,
 * read through; writes into the tmpfs): the kernel drops it all with
 * the namespace's last process, however the check ends.
 *
 * stdout (a pipe fwsd reads): "progress PERCENT STEP" lines, then one
 * "result JSON" line ({"findings": [{kind, account, file, detail}...],
 * "more": N, "systems": N}) and exit 0; or "error WORDS" and exit 1
 * (the image could not be read); 2 on a usage error.  fwsd kills it
 * when it takes too long; libguestfs's recovery process then kills the
 * appliance.
 */
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <guestfs.h>
#include <jansson.h>

#include "imgcheck.h"

#define CHECK_MEMSIZE		512	/* MiB, the appliance's */
#define CHECK_ROOTS_MAX		4	/* operating systems looked into */
#define CHECK_FS_MAX		16	/* filesystems tried without one */
#define CHECK_KEY_FILES		2	/* authorized_keys, authorized_keys2 */
#define CHECK_SCRATCH_SIZE	"256m"	/* the private /tmp's writes, at most */

static guestfs_h	*g;
static json_t		*findings;
static int		 nmore;		/* findings beyond the cap */
static int		 nsystems;	/* trees holding /etc/passwd */

static void __attribute__((format(printf, 1, 2), noreturn))
fail(const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	/* one line: what libguestfs says may hold newlines */
	if (msg != NULL)
		for (char *p = msg; *p != '\0'; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
	printf("error %s\n", msg != NULL ? msg : "out of memory");
	fflush(stdout);
	if (g != NULL)
		guestfs_close(g);
	exit(1);
}

static void
progress(int percent, const char *step)
{
	printf("progress %d %s\n", percent, step);
	fflush(stdout);
}

static const char *
last_error(void)
{
	const char	*e = guestfs_last_error(g);

	return e != NULL ? e : "unknown error";
}

/*
 * What a finding says is a guest's words in part (names, paths, what
 * libguestfs said of them): printable ASCII alone, without braces,
 * backslashes or double quotes, whatever a terminal or a reader of the
 * JSON makes of them.
 */
static char *
tame(char *s)
{
	unsigned char	*p;

	for (p = (unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p >= 0x7f || *p == '{' || *p == '}' ||
		    *p == '\\')
			*p = '?';
		else if (*p == '"')
			*p = '\'';
	return s;
}

/* One finding; account and file may be NULL. */
static void
finding(const char *kind, const char *account, const char *file,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*detail, *t;
	json_t	*f;

	if (json_array_size(findings) >= IMGCHECK_FINDINGS_MAX) {
		nmore++;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&detail, fmt, ap) == -1)
		fail("out of memory");
	va_end(ap);
	f = json_pack("{ss ss}", "kind", kind, "detail", tame(detail));
	if (account != NULL && (t = strdup(account)) != NULL) {
		json_object_set_new(f, "account", json_string(tame(t)));
		free(t);
	}
	if (file != NULL && (t = strdup(file)) != NULL) {
		json_object_set_new(f, "file", json_string(tame(t)));
		free(t);
	}
	json_array_append_new(findings, f);
	free(detail);
}

/*
 * Read a guest file whole into *buf (NUL-terminated; *len bytes): 0;
 * 1 when it is not there; -1 when it is there but cannot be checked (a
 * finding says why).
 */
static int
read_guest(const char *path, char **buf, size_t *len)
{
	struct guestfs_statns	*st;
	char			*data;
	size_t			 n;
	int64_t			 size;

	*buf = NULL;
	*len = 0;
	if ((st = guestfs_statns(g, path)) == NULL) {
		if (guestfs_last_errno(g) == ENOENT ||
		    guestfs_last_errno(g) == ENOTDIR)
			return 1;
		finding("unreadable", NULL, path, "cannot be read: %s",
		    last_error());
		return -1;
	}
	size = st->st_size;
	if (!S_ISREG(st->st_mode)) {
		guestfs_free_statns(st);
		finding("unreadable", NULL, path, "not a regular file: not "
		    "checked");
		return -1;
	}
	guestfs_free_statns(st);
	if (size > IMGCHECK_FILE_MAX) {
		finding("unreadable", NULL, path, "%lld bytes, more than the "
		    "%d checked", (long long)size, IMGCHECK_FILE_MAX);
		return -1;
	}
	/* one byte more than allowed: a file that grew is seen to */
	data = guestfs_pread(g, path, IMGCHECK_FILE_MAX + 1, 0, &n);
	if (data == NULL) {
		finding("unreadable", NULL, path, "cannot be read: %s",
		    last_error());
		return -1;
	}
	if (n > IMGCHECK_FILE_MAX) {
		free(data);
		finding("unreadable", NULL, path, "more than %d bytes: not "
		    "checked", IMGCHECK_FILE_MAX);
		return -1;
	}
	if ((*buf = malloc(n + 1)) == NULL)
		fail("out of memory");
	memcpy(*buf, data, n);
	(*buf)[n] = '\0';
	*len = n;
	free(data);
	return 0;
}

/* The accounts of one tree, as far as the check needs them. */
struct account {
	char	*ac_name;
	char	*ac_home;
	int	 ac_weak;	/* a well-known password, or none */
};
struct accounts {
	struct account	 a_v[IMGCHECK_ACCOUNTS_MAX];
	int		 a_n;
	int		 a_nweak;
};

static struct account *
account_find(struct accounts *as, const char *name)
{
	int	 i;

	for (i = 0; i < as->a_n; i++)
		if (strcmp(as->a_v[i].ac_name, name) == 0)
			return &as->a_v[i];
	return NULL;
}

/* One hash (from shadow or passwd) of an account, tried. */
static void
check_hash(struct accounts *as, const char *name, const char *hash,
    const char *file, int *ntried)
{
	struct account	*ac = account_find(as, name);
	const char	*which;

	if (hash[0] != '\0' && hash[0] != '!' && hash[0] != '*' &&
	    ++*ntried > IMGCHECK_HASHES_MAX) {
		if (*ntried == IMGCHECK_HASHES_MAX + 1)
			finding("unchecked", NULL, file, "more than %d "
			    "password hashes: the rest not tried",
			    IMGCHECK_HASHES_MAX);
		return;
	}
	switch (imgcheck_password(hash, name, &which)) {
	case IMGCHECK_PW_EMPTY:
		finding("empty-password", name, file, "account %s has no "
		    "password", name);
		break;
	case IMGCHECK_PW_KNOWN:
		finding("known-password", name, file, "account %s has the "
		    "well-known password '%s'", name, which);
		break;
	case IMGCHECK_PW_COSTLY:
		finding("unchecked", name, file, "account %s: a password hash "
		    "too costly to try", name);
		return;
	case IMGCHECK_PW_OTHER:
		return;
	}
	if (ac != NULL && !ac->ac_weak) {
		ac->ac_weak = 1;
		as->a_nweak++;
	}
}

static void
read_passwd(struct accounts *as, int *ntried)
{
	struct imgcheck_passwd	 pw;
	struct account		*ac;
	char			*buf, *p, *line;
	size_t			 len;

	if (read_guest("/etc/passwd", &buf, &len) != 0)
		return;
	p = buf;
	while ((line = imgcheck_next_line(&p, buf + len)) != NULL) {
		if (imgcheck_passwd_line(line, &pw) == -1 ||
		    account_find(as, pw.ip_name) != NULL)
			continue;
		if (as->a_n == IMGCHECK_ACCOUNTS_MAX) {
			finding("unchecked", NULL, "/etc/passwd", "more than %d "
			    "accounts: the rest not checked",
			    IMGCHECK_ACCOUNTS_MAX);
			break;
		}
		ac = &as->a_v[as->a_n++];
		if ((ac->ac_name = strdup(pw.ip_name)) == NULL)
			fail("out of memory");
		ac->ac_home = imgcheck_home_ok(pw.ip_home) ?
		    strdup(pw.ip_home) : NULL;
		/* an old-style hash, or none, right in /etc/passwd */
		if (strcmp(pw.ip_pass, "x") != 0)
			check_hash(as, pw.ip_name, pw.ip_pass, "/etc/passwd",
			    ntried);
	}
	free(buf);
}

static void
read_shadow(struct accounts *as, int *ntried)
{
	struct imgcheck_shadow	 sh;
	char			*buf, *p, *line;
	size_t			 len;
	int			 n = 0;

	if (read_guest("/etc/shadow", &buf, &len) != 0)
		return;
	p = buf;
	while ((line = imgcheck_next_line(&p, buf + len)) != NULL) {
		if (imgcheck_shadow_line(line, &sh) == -1)
			continue;
		if (++n > IMGCHECK_ACCOUNTS_MAX) {
			finding("unchecked", NULL, "/etc/shadow", "more than %d "
			    "accounts: the rest not checked",
			    IMGCHECK_ACCOUNTS_MAX);
			break;
		}
		check_hash(as, sh.is_name, sh.is_hash, "/etc/shadow", ntried);
	}
	free(buf);
}

/* One authorized_keys file of an account. */
static void
read_keys(const char *account, const char *path)
{
	const char	*words;
	char		*buf, *p, *line;
	size_t		 len;

	if (read_guest(path, &buf, &len) != 0)
		return;
	p = buf;
	while ((line = imgcheck_next_line(&p, buf + len)) != NULL)
		if ((words = imgcheck_key_line(line)) != NULL) {
			finding("insecure-key", account, path, "%s lets anyone "
			    "log in as %s", words, account);
			break;
		}
	free(buf);
}

static void
check_keys(struct accounts *as)
{
	static const char *const files[CHECK_KEY_FILES] = {
		"authorized_keys", "authorized_keys2"
	};
	char		*homes[IMGCHECK_HOMES_MAX], *path;
	const char	*owner[IMGCHECK_HOMES_MAX];
	int		 i, j, n = 0, dup;

	homes[n] = strdup("/root");
	owner[n++] = "root";
	for (i = 0; i < as->a_n; i++) {
		if (as->a_v[i].ac_home == NULL)
			continue;
		for (dup = 0, j = 0; j < n && !dup; j++)
			dup = strcmp(homes[j], as->a_v[i].ac_home) == 0;
		if (dup)
			continue;
		if (n == IMGCHECK_HOMES_MAX) {
			finding("unchecked", NULL, "/etc/passwd", "more than %d "
			    "home directories: the rest not checked",
			    IMGCHECK_HOMES_MAX);
			break;
		}
		homes[n] = strdup(as->a_v[i].ac_home);
		owner[n++] = as->a_v[i].ac_name;
	}
	for (i = 0; i < n; i++) {
		if (homes[i] == NULL)
			fail("out of memory");
		for (j = 0; j < CHECK_KEY_FILES; j++) {
			if (asprintf(&path, "%s%s.ssh/%s", homes[i],
			    homes[i][strlen(homes[i]) - 1] == '/' ? "" : "/",
			    files[j]) == -1)
				fail("out of memory");
			read_keys(owner[i], path);
			free(path);
		}
		free(homes[i]);
	}
}

/* One sshd configuration file, and those it includes (depth 2). */
static void
read_sshd(struct imgcheck_sshd *sc, const char *path, int depth, int *nfiles)
{
	char	 kw[64], arg[1024], *buf, *p, *line, *pat, **found;
	size_t	 len;
	int	 i;

	if (++*nfiles > IMGCHECK_SSHD_FILES_MAX)
		return;
	if (read_guest(path, &buf, &len) != 0)
		return;
	p = buf;
	while ((line = imgcheck_next_line(&p, buf + len)) != NULL) {
		if (!imgcheck_sshd_line(line, kw, sizeof(kw), arg, sizeof(arg)))
			continue;
		if (strcmp(kw, "include") != 0) {
			imgcheck_sshd_apply(sc, kw, arg);
			continue;
		}
		if (sc->sc_in_match || depth >= 2 || arg[0] == '\0')
			continue;
		/* relative to /etc/ssh, a glob the appliance expands */
		if (asprintf(&pat, "%s%s", arg[0] == '/' ? "" : "/etc/ssh/",
		    arg) == -1)
			fail("out of memory");
		if ((found = guestfs_glob_expand(g, pat)) != NULL) {
			for (i = 0; found[i] != NULL; i++) {
				read_sshd(sc, found[i], depth + 1, nfiles);
				free(found[i]);
			}
			free(found);
		}
		free(pat);
	}
	free(buf);
}

static void
check_sshd(struct accounts *as)
{
	static const char	*file = "/etc/ssh/sshd_config";
	struct imgcheck_sshd	 sc;
	int			 nfiles = 0;

	if (guestfs_exists(g, file) != 1)
		return;		/* no OpenSSH server */
	imgcheck_sshd_init(&sc);
	read_sshd(&sc, file, 0, &nfiles);
	if (sc.sc_root == IMGCHECK_ROOT_YES)
		finding("sshd-root-login", "root", file, "PermitRootLogin yes: "
		    "sshd lets root log in with a password");
	if (as->a_nweak > 0 && sc.sc_password != 0)
		finding("sshd-password-login", NULL, file, "sshd takes "
		    "passwords (PasswordAuthentication %s) and %d account%s "
		    "%s a well-known password or none",
		    sc.sc_password == 1 ? "yes" : "unset: yes",
		    as->a_nweak, as->a_nweak == 1 ? "" : "s",
		    as->a_nweak == 1 ? "has" : "have");
}

/* The tree mounted at / now: a system when it holds /etc/passwd. */
static void
check_tree(void)
{
	struct accounts	*as;
	int		 i, ntried = 0;

	if (guestfs_exists(g, "/etc/passwd") != 1 &&
	    guestfs_exists(g, "/etc/shadow") != 1)
		return;
	nsystems++;
	if ((as = calloc(1, sizeof(*as))) == NULL)
		fail("out of memory");
	read_passwd(as, &ntried);
	read_shadow(as, &ntried);
	check_keys(as);
	check_sshd(as);
	for (i = 0; i < as->a_n; i++) {
		free(as->a_v[i].ac_name);
		free(as->a_v[i].ac_home);
	}
	free(as);
}

static int
mp_shorter(const void *a, const void *b)
{
	return (int)strlen(((char *const *)a)[0]) -
	    (int)strlen(((char *const *)b)[0]);
}

/* An inspected operating system: its filesystems where its fstab says. */
static void
check_root(const char *root)
{
	char	**mps, *pairs[2 * 32];
	size_t	 n, i;

	if ((mps = guestfs_inspect_get_mountpoints(g, root)) == NULL)
		return;
	for (n = 0; n < 32 && mps[2 * n] != NULL; n++) {
		pairs[2 * n] = mps[2 * n];
		pairs[2 * n + 1] = mps[2 * n + 1];
	}
	/* "/" before "/home": shorter mount points first */
	qsort(pairs, n, 2 * sizeof(char *), mp_shorter);
	for (i = 0; i < n; i++)
		if (guestfs_mount_ro(g, pairs[2 * i + 1], pairs[2 * i]) == -1 &&
		    strcmp(pairs[2 * i], "/") == 0)
			break;
	if (i == n)
		check_tree();
	guestfs_umount_all(g);
	for (i = 0; mps[i] != NULL; i++)
		free(mps[i]);
	free(mps);
}

/* No operating system recognised: each filesystem on its own. */
static void
check_filesystems(void)
{
	char	**fss;
	size_t	 i;

	if ((fss = guestfs_list_filesystems(g)) == NULL)
		fail("cannot list the image's filesystems: %s", last_error());
	for (i = 0; fss[i] != NULL && fss[i + 1] != NULL; i += 2) {
		if (i / 2 < CHECK_FS_MAX && strcmp(fss[i + 1], "swap") != 0 &&
		    strcmp(fss[i + 1], "unknown") != 0 &&
		    guestfs_mount_ro(g, fss[i], "/") == 0) {
			check_tree();
			guestfs_umount_all(g);
		}
		free(fss[i]);
		free(fss[i + 1]);
	}
	free(fss);
}

/*
 * /tmp as this process and its children (the appliance) see it: the
 * host's, with whatever is written there kept in a tmpfs on scratch in
 * a mount namespace of their own, gone with them.
 */
static void
private_tmp(const char *scratch)
{
	char	*upper, *work, *opts;

	if (unshare(CLONE_NEWNS) == -1)
		fail("a mount namespace of its own: %s", strerror(errno));
	/* nothing mounted here is seen outside */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		fail("mount namespace: making / private: %s", strerror(errno));
	if (mount("fws-image-check", scratch, "tmpfs", MS_NOSUID | MS_NODEV,
	    "mode=0700,size=" CHECK_SCRATCH_SIZE) == -1)
		fail("a tmpfs on %s: %s", scratch, strerror(errno));
	if (asprintf(&upper, "%s/upper", scratch) == -1 ||
	    asprintf(&work, "%s/work", scratch) == -1)
		fail("out of memory");
	if (mkdir(upper, 0700) == -1 || mkdir(work, 0700) == -1)
		fail("%s: %s", scratch, strerror(errno));
	if (asprintf(&opts, "lowerdir=/tmp,upperdir=%s,workdir=%s", upper,
	    work) == -1)
		fail("out of memory");
	if (mount("overlay", "/tmp", "overlay", MS_NOSUID | MS_NODEV,
	    opts) == -1)
		fail("an overlay on /tmp: %s", strerror(errno));
	free(upper);
	free(work);
	free(opts);
}

int
main(int argc, char *argv[])
{
	const char	*fmt, *path, *scratch = NULL;
	char		**roots, *out;
	json_t		*result;
	int		 tcg = 0, i;

	/* fwsd's child: gone with it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		if (argc > 1 && strcmp(argv[1], "--tcg") == 0)
			tcg = 1;
		else if (argc > 2 && strcmp(argv[1], "--scratch") == 0) {
			scratch = argv[2];
			argc--;
			argv++;
		} else
			break;
		argc--;
		argv++;
	}
	if (argc != 3 || (strcmp(argv[1], "qcow2") != 0 &&
	    strcmp(argv[1], "raw") != 0) || (scratch != NULL &&
	    scratch[0] != '/')) {
		fprintf(stderr, "usage: fws-image-check [--tcg] "
		    "[--scratch /DIR] qcow2|raw PATH\n");
		return 2;
	}
	fmt = argv[1];
	path = argv[2];
	if ((findings = json_array()) == NULL)
		fail("out of memory");
	if (scratch != NULL)
		private_tmp(scratch);
	if ((g = guestfs_create()) == NULL)
		fail("libguestfs: cannot create a handle");
	guestfs_set_error_handler(g, NULL, NULL);
	guestfs_set_identifier(g, "fws-image-check");
	guestfs_set_memsize(g, CHECK_MEMSIZE);
	guestfs_set_network(g, 0);
	guestfs_set_autosync(g, 0);
	if (tcg && guestfs_set_backend_setting(g, "force_tcg", "1") == -1)
		fail("libguestfs: %s", last_error());
	/* read-only (writes go to a throw-away overlay), format as told */
	if (guestfs_add_drive_opts(g, path, GUESTFS_ADD_DRIVE_OPTS_FORMAT, fmt,
	    GUESTFS_ADD_DRIVE_OPTS_READONLY, 1, -1) == -1)
		fail("%s", last_error());
	progress(5, "starting the appliance");
	if (guestfs_launch(g) == -1)
		fail("libguestfs could not start its appliance: %s",
		    last_error());
	progress(60, "inspecting");
	roots = guestfs_inspect_os(g);
	if (roots != NULL && roots[0] != NULL) {
		for (i = 0; roots[i] != NULL; i++) {
			if (i < CHECK_ROOTS_MAX) {
				progress(70, "reading the guest's files");
				check_root(roots[i]);
			}
			free(roots[i]);
		}
	} else {
		progress(70, "reading the guest's files");
		check_filesystems();
	}
	free(roots);
	if (nsystems == 0)
		finding("unchecked", NULL, NULL, "no filesystem holding "
		    "/etc/passwd: nothing could be checked");
	progress(95, "closing");
	guestfs_shutdown(g);
	guestfs_close(g);
	g = NULL;
	if ((result = json_pack("{so si si}", "findings", findings, "more",
	    nmore, "systems", nsystems)) == NULL ||
	    (out = json_dumps(result, JSON_COMPACT | JSON_ENSURE_ASCII)) == NULL)
		fail("out of memory");
	printf("result %s\n", out);
	fflush(stdout);
	free(out);
	json_decref(result);
	return 0;
}
