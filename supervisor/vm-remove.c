/*
 * vm-remove.c: a VM deleted: from the store first, then its files (the
 * disks fwsd made for it unless kept, its cloud-init seed, its logs and
 * directory); the disks
 * that stay are root's again.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"

/* The definition is gone from the store: let go of it here too. */
void
vm_delete(struct vm *vm)
{
	vm_job_end(vm, NULL);
	TAILQ_REMOVE(&vms, vm, vm_entry);
	vm_free(vm);
}

/* A deleted VM's directory: its logs go, kept disks stay. */
static void
vm_remove_logs(const char *dir)
{
	const char	*const logs[] = { "console.log", "qemu.log" };
	char		*p;
	size_t		 i;

	for (i = 0; i < sizeof(logs) / sizeof(*logs); i++) {
		p = xasprintf("%s/%s", dir, logs[i]);
		if (unlink(p) == -1 && errno != ENOENT)
			log_warn("%s: unlink", p);
		free(p);
	}
	if (rmdir(dir) == -1 && errno != ENOENT && errno != ENOTEMPTY)
		log_warn("%s: rmdir", dir);
}

/*
 * Delete a VM that has no qemu: from the store first, then its files,
 * best effort: the disks fwsd made for it (unless keep; with
 * VM_REMOVE_UNTOUCHED every disk stays as it is: another host's qemu
 * has them, after a migration; an RBD image's removal ends after the
 * reply, logged), a saved
 * state, its logs and directory; why is the "deleted" event's reason, actor who asked (a
 * uid, -1: fwsd itself).  vm is freed; -1 and *cause when the store
 * refused, and the VM stays.
 */
int
vm_remove(struct vm *vm, int keep, int64_t actor, const char *why,
    char **cause)
{
	struct vm_disk	*d;
	char		*p, *err;
	int		 i;

	if (store_vm_delete(vm, cause) == -1)
		return -1;
	/*
	 * A disk that stays is root's again: a later VM whose qemu gets
	 * this VM's uid must not find it open to it.
	 */
	for (i = 0; i < vm->vm_ndisks; i++) {
		d = &vm->vm_disks[i];
		if (d->d_readonly || keep == VM_REMOVE_UNTOUCHED)
			continue;
		/* an RBD image fwsd made goes in the background (rbd.c);
		 * one attached is the cluster's, and stays */
		if (is_rbd(d->d_path)) {
			if (d->d_owned && !keep)
				rbd_image_remove(vm->vm_name, d->d_path);
			continue;
		}
		if (d->d_owned && !keep) {
			if (unlink(d->d_path) == -1 && errno != ENOENT)
				log_warn("%s: unlink %s", vm->vm_name,
				    d->d_path);
		} else if (access_take_back(d->d_path, &err) == -1) {
			log_warnx("%s: %s", vm->vm_name, err);
			free(err);
		}
	}
	if (keep != VM_REMOVE_UNTOUCHED)
		vm_rmdir_disks(vm);	/* DISK_DIR/UUID, when empty */
	vm_saved_discard(vm, 1);	/* a saved guest's state, if any */
	seed_iso_remove(vm);		/* its cloud-init seed, if any */
	cgroup_vm_remove(vm);		/* left by a qemu that died unseen */
	p = vm_dir(vm);
	vm_remove_logs(p);
	free(p);
	event_record_by(vm, actor, "deleted", "%s", why);
	vm_delete(vm);
	/* its name is free on its networks */
	net_dhcp_sync();
	return 0;
}

