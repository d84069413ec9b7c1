/*
 * vm-paths.c: where a VM's files are: its directory in the state dir
 * (STATE/vms/NAME, or STATE/users/UID/vms/NAME), the files in it, its
 * run files named by its uuid, and where fwsd makes its own disks: its
 * directory, or with disk_dir DISK_DIR/UUID (by uuid, so that hosts
 * sharing the directory never clash), which holds a file "owner" (the
 * owner's uid, root's file) that says whose VM's disks are there.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"

/* STATE/vms/NAME for root's VMs, STATE/users/UID/vms/NAME for a user's. */
char *
vm_dir(const struct vm *vm)
{
	if (vm->vm_owner == 0)
		return xasprintf("%s/vms/%s", conf.cf_state_dir, vm->vm_name);
	return xasprintf("%s/users/%u/vms/%s", conf.cf_state_dir,
	    (unsigned)vm->vm_owner, vm->vm_name);
}

/*
 * RUN_DIR/UUID.SUFFIX: named by the VM's uuid, so that nobody learns a
 * VM's name from the run directory (its names cannot be listed, but any
 * local user may try one).
 */
char *
vm_run_path(const struct vm *vm, const char *suffix)
{
	return xasprintf("%s/%s.%s", conf.cf_run_dir, vm->vm_uuid, suffix);
}

char *
vm_file(const struct vm *vm, const char *name)
{
	char	*dir = vm_dir(vm), *p;

	p = xasprintf("%s/%s", dir, name);
	free(dir);
	return p;
}

/* Where fwsd makes the VM's own disks: DISK_DIR/UUID, or its dir. */
char *
vm_disk_dir(const struct vm *vm)
{
	if (conf.cf_disk_dir == NULL)
		return vm_dir(vm);
	return xasprintf("%s/%s", conf.cf_disk_dir, vm->vm_uuid);
}

/* disk_dir, made if missing, resolved: paths are compared resolved. */
int
vm_disk_dir_init(char **cause)
{
	char	*p;

	if (conf.cf_disk_dir == NULL)
		return 0;
	if (access_mkdir(conf.cf_disk_dir, cause) == -1)
		return -1;
	if ((p = realpath(conf.cf_disk_dir, NULL)) == NULL)
		return cause_fail(cause, "disk_dir %s: %s", conf.cf_disk_dir,
		    strerror(errno));
	free(conf.cf_disk_dir);
	conf.cf_disk_dir = p;
	return 0;
}

/*
 * The owner DISK_DIR/UUID says it holds the disks of: 0 and *owner, or
 * -1 when it says none (no such file, or not root's).
 */
int
vm_disk_dir_owner(const char *uuid, uid_t *owner)
{
	struct stat	 sb;
	char		*p, buf[32], *end;
	unsigned long	 v;
	ssize_t		 n;
	int		 fd;

	if (conf.cf_disk_dir == NULL)
		return -1;
	p = xasprintf("%s/%s/owner", conf.cf_disk_dir, uuid);
	fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	free(p);
	if (fd == -1)
		return -1;
	n = -1;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_uid == 0)
		n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') ||
	    v > UINT32_MAX - 1)
		return -1;
	*owner = (uid_t)v;
	return 0;
}

/* DISK_DIR/UUID and its "owner", for a VM made here. */
static int
vm_mkdir_disks(const struct vm *vm, char **cause)
{
	char	*dir, *p, buf[32];
	uid_t	 was;
	int	 fd, n;

	if (conf.cf_disk_dir == NULL)
		return 0;
	dir = vm_disk_dir(vm);
	if (access_mkdir(dir, cause) == -1) {
		free(dir);
		return -1;
	}
	p = xasprintf("%s/owner", dir);
	free(dir);
	if (vm_disk_dir_owner(vm->vm_uuid, &was) == 0) {
		free(p);
		if (was == vm->vm_owner)
			return 0;
		return cause_fail(cause, "%s/%s holds the disks of another "
		    "user's VM", conf.cf_disk_dir, vm->vm_uuid);
	}
	n = snprintf(buf, sizeof(buf), "%u\n", (unsigned)vm->vm_owner);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) == -1 || write(fd, buf, n) != n) {
		cause_fail(cause, "%s: %s", p, strerror(errno));
		if (fd != -1)
			close(fd);
		free(p);
		return -1;
	}
	close(fd);
	free(p);
	return 0;
}

/*
 * The VM's directory in the state dir (and its owner's area), and with
 * disk_dir the directory of its disks, made if missing, passable by
 * qemu.
 */
int
vm_mkdir(const struct vm *vm, char **cause)
{
	char	*dir;
	int	 rc;

	if (vm->vm_owner != 0 && access_user_area(vm->vm_owner, cause) == -1)
		return -1;
	dir = vm_dir(vm);
	rc = access_mkdir(dir, cause);
	free(dir);
	if (rc == -1)
		return -1;
	return vm_mkdir_disks(vm, cause);
}

/*
 * A deleted VM's DISK_DIR/UUID: its "owner" and the directory go when
 * nothing else is left in it (kept disks keep them).
 */
void
vm_rmdir_disks(const struct vm *vm)
{
	struct dirent	*de;
	DIR		*d;
	char		*dir, *p;
	int		 others = 0;

	if (conf.cf_disk_dir == NULL)
		return;
	dir = vm_disk_dir(vm);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0 &&
			    strcmp(de->d_name, "owner") != 0)
				others++;
		closedir(d);
		if (others == 0) {
			p = xasprintf("%s/owner", dir);
			unlink(p);
			free(p);
			rmdir(dir);
		}
	}
	free(dir);
}
