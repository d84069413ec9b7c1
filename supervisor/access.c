/*
 * access.c: who may touch what on the host.  fwsd alone is root; qemu
 * runs as the qemu_user, which may reach the VM directories (root-owned,
 * group its group, 0750) and read and write the disks given to it, and
 * nothing else fwsd keeps.  The control socket's group and the admin
 * group are looked up here once, at start.  Each user's own area is
 * STATE/users/UID: their VMs' directories and their imported images.
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

static uid_t	 qemu_uid;	/* 0: qemu runs as root (qemu_user = root) */
static gid_t	 qemu_gid;
static gid_t	 qemu_groups[64];	/* e.g. kvm, for /dev/kvm */
static int	 qemu_ngroups;

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
	}
	if (strcmp(conf.cf_qemu_user, "root") == 0) {
		log_warnx("qemu_user is root: qemu is not confined");
		qemu_uid = 0;
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
	qemu_uid = pw->pw_uid;
	qemu_gid = pw->pw_gid;
	qemu_ngroups = sizeof(qemu_groups) / sizeof(*qemu_groups);
	if (getgrouplist(pw->pw_name, pw->pw_gid, qemu_groups,
	    &qemu_ngroups) == -1)
		qemu_ngroups = 0;
	return 0;
}

/* Run a child as the qemu user. */
void
access_spec_qemu(struct proc_spec *ps)
{
	ps->ps_uid = qemu_uid;
	ps->ps_gid = qemu_gid;
	ps->ps_groups = qemu_groups;
	ps->ps_ngroups = qemu_ngroups;
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

uid_t
access_qemu_uid(void)
{
	return qemu_uid;
}

gid_t
access_qemu_gid(void)
{
	return qemu_gid;
}

/*
 * Make (or fix) a directory fwsd keeps that qemu must pass through:
 * root:QEMU-GROUP 0750.  Nobody else may look in.
 */
int
access_mkdir(const char *path, char **cause)
{
	struct stat	 sb;

	if (mkdir(path, 0750) == -1 && errno != EEXIST)
		return cause_fail(cause, "mkdir %s: %s", path, strerror(errno));
	if (lstat(path, &sb) == -1 || !S_ISDIR(sb.st_mode))
		return cause_fail(cause, "%s: not a directory", path);
	if ((sb.st_uid != 0 || sb.st_gid != qemu_gid) &&
	    chown(path, 0, qemu_gid) == -1)
		return cause_fail(cause, "chown %s: %s", path, strerror(errno));
	if ((sb.st_mode & 07777) != 0750 && chmod(path, 0750) == -1)
		return cause_fail(cause, "chmod %s: %s", path, strerror(errno));
	return 0;
}

/*
 * Hand a file (a disk, a pidfile) to qemu: owned by the qemu user, 0600.
 * Through an fd opened without following links, so a link planted in
 * its place gives nothing away.
 */
int
access_give_qemu(const char *path, char **cause)
{
	struct stat	 sb;
	int		 fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1)
		return cause_fail(cause, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode))
		rc = cause_fail(cause, "%s: not a regular file", path);
	else if ((sb.st_uid != qemu_uid || sb.st_gid != qemu_gid) &&
	    fchown(fd, qemu_uid, qemu_gid) == -1)
		rc = cause_fail(cause, "chown %s: %s", path, strerror(errno));
	else if ((sb.st_mode & 07777) != 0600 && fchmod(fd, 0600) == -1)
		rc = cause_fail(cause, "chmod %s: %s", path, strerror(errno));
	close(fd);
	return rc;
}

/* STATE/users/UID/SUB (SUB "": the area itself). */
char *
access_user_path(uid_t uid, const char *sub)
{
	return xasprintf("%s/users/%u%s%s", conf.cf_state_dir, (unsigned)uid,
	    *sub ? "/" : "", sub);
}

/* Make a user's area, with its vms and images directories. */
int
access_user_area(uid_t uid, char **cause)
{
	const char *const subs[] = { "", "vms", "images" };
	char	*p;
	size_t	 i;
	int	 rc = 0;

	p = xasprintf("%s/users", conf.cf_state_dir);
	rc = access_mkdir(p, cause);
	free(p);
	for (i = 0; rc == 0 && i < sizeof(subs) / sizeof(*subs); i++) {
		p = access_user_path(uid, subs[i]);
		rc = access_mkdir(p, cause);
		free(p);
	}
	return rc;
}
