/*
 * vm-rename.c: a VM's new name, while it has no qemu.  Its directory
 * (named after it: its logs, the disks fwsd made) moves with one
 * rename(2), the disks' paths under it follow, and the store takes the
 * name, the paths and two events (one under each name: the history
 * stays where it was written) in one write; a write that fails moves
 * the directory back.  What is named by the VM's uuid or its store id
 * (run files, taps) does not change; its names in DNS follow.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"

/* Disk paths under from/ moved under to/: the old ones into was[]. */
static void
vm_rename_disks(struct vm *vm, const char *from, const char *to,
    char **was)
{
	size_t	 n = strlen(from);
	int	 i;

	for (i = 0; i < vm->vm_ndisks; i++) {
		was[i] = NULL;
		if (strncmp(vm->vm_disks[i].d_path, from, n) != 0 ||
		    vm->vm_disks[i].d_path[n] != '/')
			continue;
		was[i] = vm->vm_disks[i].d_path;
		vm->vm_disks[i].d_path = xasprintf("%s%s", to, was[i] + n);
	}
}

static void
vm_rename_undo(struct vm *vm, const char *name, char **was)
{
	int	 i;

	snprintf(vm->vm_name, sizeof(vm->vm_name), "%s", name);
	for (i = 0; i < vm->vm_ndisks; i++)
		if (was[i] != NULL) {
			free(vm->vm_disks[i].d_path);
			vm->vm_disks[i].d_path = was[i];
		}
}

/*
 * Name vm newname, for ca: 0 with *result ({name, owner, was}), or -1
 * with the core's error and why, nothing changed.
 */
int
vm_rename(struct vm *vm, const struct caller *ca, const char *newname,
    json_t **result, enum fws_err *err, char **why)
{
	char		 old[FWS_NAME_MAX + 1], *from = NULL, *to = NULL, *cause;
	char		*was[FWS_DISKS_MAX];
	int		 moved = 0, tx, i;

	*err = FWS_ERR_INVALID;
	if (validate_name(newname, why) == -1)
		return -1;
	if (vm_check(vm, EV_RENAME, err, why) == -1)
		return -1;
	if (strcmp(newname, vm->vm_name) == 0) {
		*result = json_pack("{ss sI ss}", "name", vm->vm_name, "owner",
		    (json_int_t)vm->vm_owner, "was", vm->vm_name);
		return 0;
	}
	if (vm_find(vm->vm_owner, newname) != NULL) {
		*err = FWS_ERR_EXISTS;
		return cause_fail(why, "a VM named %s already exists",
		    newname);
	}
	snprintf(old, sizeof(old), "%s", vm->vm_name);
	from = vm_dir(vm);
	snprintf(vm->vm_name, sizeof(vm->vm_name), "%s", newname);
	to = vm_dir(vm);
	snprintf(vm->vm_name, sizeof(vm->vm_name), "%s", old);
	if (access(to, F_OK) == 0) {
		*err = FWS_ERR_EXISTS;
		cause_fail(why, "%s already exists (kept from a deleted VM?): "
		    "remove it first", to);
		goto fail;
	}
	if (rename(from, to) == 0)
		moved = 1;
	else if (errno != ENOENT) {
		*err = FWS_ERR_INTERNAL;
		cause_fail(why, "%s: %s", from, strerror(errno));
		goto fail;
	}
	/* the history stays where it was written: an event under each name */
	if ((tx = store_begin(&cause)) == -1)
		goto store_failed;
	event_record_by(vm, ca->ca_uid, "renamed", "to %s", newname);
	snprintf(vm->vm_name, sizeof(vm->vm_name), "%s", newname);
	vm_rename_disks(vm, from, to, was);
	if (store_vm_rename(vm, &cause) == -1) {
		store_rollback();
		vm_rename_undo(vm, old, was);
		goto store_failed;
	}
	event_record_by(vm, ca->ca_uid, "renamed", "from %s", old);
	if (store_commit(&cause) == -1) {
		vm_rename_undo(vm, old, was);
		goto store_failed;
	}
	for (i = 0; i < vm->vm_ndisks; i++)
		free(was[i]);
	log_info("%s: renamed %s by uid %u", old, newname,
	    (unsigned)ca->ca_uid);
	net_dhcp_sync();	/* its names in DNS */
	*result = json_pack("{ss sI ss}", "name", vm->vm_name, "owner",
	    (json_int_t)vm->vm_owner, "was", old);
	free(from);
	free(to);
	return 0;

store_failed:
	*err = FWS_ERR_INTERNAL;
	*why = cause;
	if (moved && rename(to, from) == -1)
		log_warn("%s: cannot move %s back to %s", old, to, from);
fail:
	free(from);
	free(to);
	return -1;
}
