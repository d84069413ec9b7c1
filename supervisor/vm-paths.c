/*
 * vm-paths.c: where a VM's files are: its directory in the state dir
 * (STATE/vms/NAME, or STATE/users/UID/vms/NAME), the files in it, and
 * its run files named by its uuid.
 */
#include <sys/stat.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * The VM's directory in the state dir (and its owner's area), made if
 * missing, passable by qemu.
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
	return rc;
}

