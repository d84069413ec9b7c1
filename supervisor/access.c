/*
 * access.c: who may touch what on the host.  fwsd alone is root.  Each
 * VM's qemu runs as a uid of its own, from the range qemu_uids that fwsd
 * owns (no account has those uids; no name service knows them), with the
 * qemu_user's groups: the group that may pass through the directories
 * fwsd keeps (root-owned, 0710: nobody may list them), and kvm's.  What
 * a qemu must open by name, its writable disks, pidfile and console log,
 * is its uid's alone (0600): one VM's qemu cannot open another's files.
 * Read-only files (the library's, users' images) stay root's and reach
 * qemu as descriptors.  The control socket's group and the admin group
 * are looked up here once, at start, and with them the admin group's
 * members (access_is_admin: for a request the web front-end makes for a
 * user, who has no connection of their own whose groups would say).
 * Each user's own area is STATE/users/UID: their VMs' directories and
 * their imported images.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"

static int	 qemu_confined;	/* 0: qemu runs as root (qemu_user = root) */
static gid_t	 qemu_gid;
static gid_t	 qemu_groups[64];	/* e.g. kvm, for /dev/kvm */
static int	 qemu_ngroups;
static uid_t	*admin_uids;	/* the admin group's members, sorted */
static size_t	 admin_nuids;

static int	access_uids_free(uid_t, char **);
static void	access_admins(gid_t);

/* Resolve a group name; -1 (with cause) when there is no such group. */
static int
access_group(const char *name, gid_t *gid, char **cause)
{
	struct group	*gr;

	errno = 0;
	if ((gr = getgrnam(name)) == NULL)
		return cause_fail(cause, "no group named %s%s%s", name,
		    errno ? ": " : "", errno ? strerror(errno) : "");
	*gid = gr->gr_gid;
	return 0;
}

/*
 * Look up the configured names.  A missing qemu user is fatal (qemu must
 * not quietly run as root); a missing socket or admin group only narrows
 * who may connect, or who is an admin, to root.
 */
int
access_init(gid_t *socket_gid, gid_t *admin_gid, char **cause)
{
	struct passwd	*pw;
	char		*why;

	if (access_group(conf.cf_socket_group, socket_gid, &why) == -1) {
		log_warnx("socket_group: %s: only root may use fwsd", why);
		free(why);
		*socket_gid = (gid_t)-1;
	}
	if (access_group(conf.cf_admin_group, admin_gid, &why) == -1) {
		log_warnx("admin_group: %s: only root is an admin", why);
		free(why);
		*admin_gid = (gid_t)-1;
	} else
		access_admins(*admin_gid);
	if (strcmp(conf.cf_qemu_user, "root") == 0) {
		log_warnx("qemu_user is root: qemu is not confined");
		qemu_confined = 0;
		qemu_gid = 0;
		return 0;
	}
	errno = 0;
	if ((pw = getpwnam(conf.cf_qemu_user)) == NULL)
		return cause_fail(cause, "qemu_user %s does not exist: create it "
		    "(make install does: useradd --system %s) or name another",
		    conf.cf_qemu_user, conf.cf_qemu_user);
	if (pw->pw_uid == 0)
		return cause_fail(cause, "qemu_user %s has uid 0: qemu would not "
		    "be confined (say qemu_user = root if that is meant)",
		    conf.cf_qemu_user);
	qemu_confined = 1;
	qemu_gid = pw->pw_gid;
	qemu_ngroups = sizeof(qemu_groups) / sizeof(*qemu_groups);
	if (getgrouplist(pw->pw_name, pw->pw_gid, qemu_groups,
	    &qemu_ngroups) == -1)
		qemu_ngroups = 0;
	return access_uids_free(pw->pw_uid, cause);
}

/*
 * No account may have a uid of qemu_uids (a qemu running as it could
 * reach that account's files), nor may the qemu user itself: one pass
 * over the user database, at start.
 */
static int
access_uids_free(uid_t qemu_user_uid, char **cause)
{
	struct passwd	*pw;
	int		 rc = 0;

	if (qemu_user_uid >= conf.cf_qemu_uid_first &&
	    qemu_user_uid <= conf.cf_qemu_uid_last)
		return cause_fail(cause, "qemu_uids %u-%u holds the uid of "
		    "qemu_user %s", (unsigned)conf.cf_qemu_uid_first,
		    (unsigned)conf.cf_qemu_uid_last, conf.cf_qemu_user);
	setpwent();
	while (rc == 0 && (pw = getpwent()) != NULL)
		if (pw->pw_uid >= conf.cf_qemu_uid_first &&
		    pw->pw_uid <= conf.cf_qemu_uid_last)
			rc = cause_fail(cause, "qemu_uids %u-%u: user %s has uid "
			    "%u in it: give qemu_uids a range no account uses",
			    (unsigned)conf.cf_qemu_uid_first,
			    (unsigned)conf.cf_qemu_uid_last, pw->pw_name,
			    (unsigned)pw->pw_uid);
	endpwent();
	return rc;
}

static int
uid_cmp(const void *a, const void *b)
{
	uid_t	 x = *(const uid_t *)a, y = *(const uid_t *)b;

	return x < y ? -1 : x > y;
}

static void
access_admin_add(uid_t uid)
{
	uid_t	*grown;

	if ((grown = reallocarray(admin_uids, admin_nuids + 1,
	    sizeof(*grown))) == NULL)
		fatal("%s: reallocarray", __func__);
	admin_uids = grown;
	admin_uids[admin_nuids++] = uid;
}

/*
 * The admin group's members, as the user database has them now: those
 * it names, and those whose primary group it is.  Read once, at start
 * (NSS may block): a change of membership counts for requests made for
 * a user (access_is_admin) from fwsd's next start.
 */
static void
access_admins(gid_t gid)
{
	struct passwd	*pw;
	struct group	*gr;
	char		**m;

	free(admin_uids);
	admin_uids = NULL;
	admin_nuids = 0;
	if ((gr = getgrgid(gid)) != NULL)
		for (m = gr->gr_mem; *m != NULL; m++)
			if ((pw = getpwnam(*m)) != NULL)
				access_admin_add(pw->pw_uid);
	setpwent();
	while ((pw = getpwent()) != NULL)
		if (pw->pw_gid == gid)
			access_admin_add(pw->pw_uid);
	endpwent();
	if (admin_nuids > 0)	/* no members: admin_uids is NULL */
		qsort(admin_uids, admin_nuids, sizeof(*admin_uids), uid_cmp);
}

/* Is uid an admin: root, or a member of the admin group at start? */
int
access_is_admin(uid_t uid)
{
	return uid == 0 || (admin_nuids > 0 && bsearch(&uid, admin_uids,
	    admin_nuids, sizeof(*admin_uids), uid_cmp) != NULL);
}

void
access_release(void)
{
	free(admin_uids);
	admin_uids = NULL;
	admin_nuids = 0;
}

/* The uid a VM's qemu (and its qemu-img) runs as: its own, or root. */
uid_t
access_qemu_uid(uid_t vm_uid)
{
	return qemu_confined ? vm_uid : 0;
}

/* Run a child as the qemu of the VM with qemu uid vm_uid. */
void
access_spec_qemu(struct proc_spec *ps, uid_t vm_uid)
{
	ps->ps_uid = access_qemu_uid(vm_uid);
	ps->ps_gid = qemu_gid;
	ps->ps_groups = qemu_groups;
	ps->ps_ngroups = qemu_confined ? qemu_ngroups : 0;
}

/*
 * Run a child as a user (with their groups), so that it reads only what
 * they may read.  groups must hold 64; -1 when the uid has no account.
 */
int
access_spec_user(struct proc_spec *ps, uid_t uid, gid_t *groups,
    char **cause)
{
	struct passwd	*pw;
	int		 n = 64;

	if ((pw = getpwuid(uid)) == NULL)
		return cause_fail(cause, "uid %u has no account", (unsigned)uid);
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) == -1)
		n = 64;		/* the first 64: enough to read one's files */
	ps->ps_uid = uid;
	ps->ps_gid = pw->pw_gid;
	ps->ps_groups = groups;
	ps->ps_ngroups = n;
	return 0;
}

/* Make (or fix) a directory: root:gid, mode. */
static int
access_dir(const char *path, gid_t gid, mode_t mode, char **cause)
{
	struct stat	 sb;

	if (mkdir(path, mode) == -1 && errno != EEXIST)
		return cause_fail(cause, "mkdir %s: %s", path, strerror(errno));
	if (lstat(path, &sb) == -1 || !S_ISDIR(sb.st_mode))
		return cause_fail(cause, "%s: not a directory", path);
	if ((sb.st_uid != 0 || sb.st_gid != gid) && chown(path, 0, gid) == -1)
		return cause_fail(cause, "chown %s: %s", path, strerror(errno));
	if ((sb.st_mode & 07777) != mode && chmod(path, mode) == -1)
		return cause_fail(cause, "chmod %s: %s", path, strerror(errno));
	return 0;
}

/*
 * A directory fwsd keeps that qemu must pass through: root:QEMU-GROUP
 * 0710.  qemu may open what it knows the name of, and list nothing;
 * nobody else may come in.
 */
int
access_mkdir(const char *path, char **cause)
{
	return access_dir(path, qemu_gid, 0710, cause);
}

/*
 * The run directory: 0711, so that everyone may reach the control
 * socket (its own mode says who may connect) and each qemu its pidfile,
 * whatever the umask was when it was made, and nobody may list it.
 */
int
access_run_dir(const char *path, char **cause)
{
	return access_dir(path, 0, 0711, cause);
}

/* A directory of root's alone (users' images: qemu gets descriptors). */
int
access_mkdir_private(const char *path, char **cause)
{
	return access_dir(path, 0, 0700, cause);
}

/*
 * A file's owner and mode, set through an fd opened without following
 * links, so a link planted in its place gives nothing away.
 */
static int
access_file(const char *path, uid_t uid, gid_t gid, char **cause)
{
	struct stat	 sb;
	int		 fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1)
		return cause_fail(cause, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode))
		rc = cause_fail(cause, "%s: not a regular file", path);
	else if ((sb.st_uid != uid || sb.st_gid != gid) &&
	    fchown(fd, uid, gid) == -1)
		rc = cause_fail(cause, "chown %s: %s", path, strerror(errno));
	else if ((sb.st_mode & 07777) != 0600 && fchmod(fd, 0600) == -1)
		rc = cause_fail(cause, "chmod %s: %s", path, strerror(errno));
	close(fd);
	return rc;
}

/*
 * Hand a file (a writable disk, a pidfile, a log) to the qemu of the VM
 * with qemu uid vm_uid: its uid's, 0600, as libvirt's dynamic ownership
 * does.
 */
int
access_give_qemu(const char *path, uid_t vm_uid, char **cause)
{
	return access_file(path, access_qemu_uid(vm_uid), qemu_gid, cause);
}

/*
 * Take a file back from qemu (a disk kept when its VM was deleted):
 * root's again, so that a later VM given the same uid cannot open it.
 */
int
access_take_back(const char *path, char **cause)
{
	return access_file(path, 0, 0, cause);
}

/* STATE/users/UID/SUB (SUB "": the area itself). */
char *
access_user_path(uid_t uid, const char *sub)
{
	return xasprintf("%s/users/%u%s%s", conf.cf_state_dir, (unsigned)uid,
	    *sub ? "/" : "", sub);
}

/*
 * Make a user's area: its vms directory (qemu passes through), its
 * images directory (root's alone).
 */
int
access_user_area(uid_t uid, char **cause)
{
	static const struct {
		const char	*ud_sub;
		int		 ud_private;
	} dirs[] = { { "", 0 }, { "vms", 0 }, { "images", 1 } };
	char	*p;
	size_t	 i;
	int	 rc;

	p = xasprintf("%s/users", conf.cf_state_dir);
	rc = access_mkdir(p, cause);
	free(p);
	for (i = 0; rc == 0 && i < sizeof(dirs) / sizeof(*dirs); i++) {
		p = access_user_path(uid, dirs[i].ud_sub);
		rc = dirs[i].ud_private ? access_mkdir_private(p, cause) :
		    access_mkdir(p, cause);
		free(p);
	}
	return rc;
}
