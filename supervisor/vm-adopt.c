/*
 * vm-adopt.c: what fwsd finds of the VMs when it starts, told to vm.c.
 * The store says which VMs had a qemu; each either still has it (the
 * same process, checked by the uuid on its command line and its start
 * time, so a reused PID never matches: watched again, EV_ADOPT_ALIVE) or
 * lost it while fwsd was down (EV_ADOPT_LOST).  vm.c's table says what
 * follows: a start or a stop that was under way goes on, a lost qemu is
 * stopped or crashed, the restart policy decides (as it does for a VM
 * that crashed too late for the last fwsd to restart it).  Then, once per
 * boot of the host, VMs marked autostart are started.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"

/* Is vm_pid still this VM's qemu, and not a process that reused it? */
static int
vm_pid_is_ours(const struct vm *vm)
{
	const char	*words[] = { vm->vm_uuid, NULL };

	if (vm->vm_pid <= 0)
		return 0;
	if (vm->vm_pid_start != 0 &&
	    proc_start_time(vm->vm_pid) != vm->vm_pid_start)
		return 0;
	return proc_cmdline_has(vm->vm_pid, words);
}

/*
 * The store is written after the spawn: a qemu whose fwsd died in
 * between is known only by its pidfile.  Take its PID when it is this
 * VM's qemu; 1 if so.
 */
static int
vm_adopt_pidfile(struct vm *vm)
{
	char	*path = vm_run_path(vm, "pid");
	pid_t	 pid = proc_pidfile(path), stored = vm->vm_pid;
	uint64_t stored_start = vm->vm_pid_start;

	free(path);
	if (pid == 0 || pid == stored)
		return 0;
	vm->vm_pid = pid;
	vm->vm_pid_start = 0;
	if (!vm_pid_is_ours(vm)) {
		vm->vm_pid = stored;
		vm->vm_pid_start = stored_start;
		return 0;
	}
	vm->vm_pid_start = proc_start_time(pid);
	return 1;
}

/*
 * A VM defined before qemus had uids of their own (or whose uid is no
 * longer in qemu_uids) gets one now; its files become that uid's at its
 * next start.
 */
static void
vm_adopt_qemu_uid(struct vm *vm)
{
	char	*cause;

	if (vm->vm_qemu_uid >= conf.cf_qemu_uid_first &&
	    vm->vm_qemu_uid < conf.cf_qemu_uid_last)
		return;
	if (vm_qemu_uid_pick(vm, conf.cf_qemu_uid_first,
	    conf.cf_qemu_uid_last - 1, &cause) == -1 ||
	    store_vm_update_qemu_uid(vm, &cause) == -1) {
		log_warnx("%s: %s", vm->vm_name, cause);
		free(cause);
		return;
	}
	log_info("%s: its qemu runs as uid %u from its next start",
	    vm->vm_name, (unsigned)vm->vm_qemu_uid);
}

/*
 * Run files of a qemu started by an fwsd that named them NAME@UID: they
 * take the names this fwsd looks for (a socket works under its new
 * name; qemu's pidfile is read, never needed by qemu again).
 */
static void
vm_adopt_run_files(struct vm *vm)
{
	const char	*const suffixes[] = { "qmp", "serial", "pid" };
	char		*key = vm_key(vm), *old, *new;
	size_t		 i;

	for (i = 0; i < sizeof(suffixes) / sizeof(*suffixes); i++) {
		old = xasprintf("%s/%s.%s", conf.cf_run_dir, key, suffixes[i]);
		new = vm_run_path(vm, suffixes[i]);
		if (access(new, F_OK) == -1 && rename(old, new) == 0)
			log_info("%s: %s is now %s", vm->vm_name, old, new);
		free(old);
		free(new);
	}
	free(key);
}

/*
 * An image (of the library, or the owner's) is a read-only disk, even
 * in a definition made before read-only disks were: the guest never
 * writes it, fwsd never hands it to qemu.
 */
static void
vm_adopt_readonly(struct vm *vm)
{
	int	 i;

	for (i = 0; i < vm->vm_ndisks; i++)
		if (!vm->vm_disks[i].d_readonly &&
		    image_is_base(vm->vm_owner, vm->vm_disks[i].d_path)) {
			vm->vm_disks[i].d_readonly = 1;
			log_info("%s: disk %d (%s) is an image: read-only to the "
			    "guest", vm->vm_name, i, vm->vm_disks[i].d_path);
		}
}

void
vm_adopt_all(void)
{
	struct vm	*vm;
	enum vm_state	 was;
	char		*cause;
	int		 from_pidfile;

	TAILQ_FOREACH(vm, &vms, vm_entry) {
		vm_adopt_qemu_uid(vm);
		vm_adopt_readonly(vm);
		vm_adopt_run_files(vm);
		from_pidfile = !vm_pid_is_ours(vm) && vm_adopt_pidfile(vm);
		if (!vm_is_active(vm) && !from_pidfile) {
			/* a snapshot the last fwsd had qemu-img change */
			snapshot_adopt_stopped(vm);
			/* the previous fwsd ended before a pending restart */
			if (vm->vm_state == VM_CRASHED)
				vm_event(vm, EV_ADOPT_LOST, NULL);
			continue;
		}
		if (!vm_pid_is_ours(vm) || (vm->vm_watch = proc_watch(vm->vm_pid,
		    vm_run_exited, vm, &cause)) == NULL) {
			/* a save whose file was whole: saved, not lost */
			if ((vm->vm_state == VM_RUNNING ||
			    vm->vm_state == VM_PAUSED) && vm_saved_exists(vm))
				vm_event(vm, EV_ADOPT_SAVED, "qemu pid %d quit "
				    "after its state was saved, while fwsd was "
				    "not running", (int)vm->vm_pid);
			else {
				was = vm->vm_state;
				vm_event(vm, EV_ADOPT_LOST, "qemu pid %d ended "
				    "while fwsd was not running",
				    (int)vm->vm_pid);
				/* a migration's: migrate.c, migrate-in.c */
				if (was == VM_MIGRATING)
					migrate_adopt(vm);
				else if (was == VM_ARRIVING)
					migrate_in_adopt(vm);
			}
			continue;
		}
		if (vm->vm_pid_start == 0) {
			/* stored before start times were: record it now */
			vm->vm_pid_start = proc_start_time(vm->vm_pid);
		}
		if (from_pidfile)
			vm_event(vm, EV_ADOPT_ALIVE, "qemu pid %d was not in the "
			    "store: the last fwsd ended while starting it; the "
			    "start goes on", (int)vm->vm_pid);
		else if (vm->vm_state == VM_STARTING)
			vm_event(vm, EV_ADOPT_ALIVE, "qemu pid %d still runs: "
			    "the start under way when fwsd ended goes on",
			    (int)vm->vm_pid);
		else
			vm_event(vm, EV_ADOPT_ALIVE, "qemu pid %d still runs",
			    (int)vm->vm_pid);
	}
}

/*
 * Start the VMs marked autostart, once per boot: the mark lives in the
 * run directory (a tmpfs), so restarting fwsd does not start again a VM
 * the operator stopped.
 */
void
vm_autostart_all(void)
{
	struct vm	*vm;
	char		*mark;
	int		 fd;

	mark = xasprintf("%s/%s", conf.cf_run_dir, FWS_AUTOSTART_MARK);
	fd = open(mark, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd == -1) {
		if (errno != EEXIST)
			log_warn("%s", mark);
		else
			log_debug("%s: autostart done already this boot", mark);
		free(mark);
		return;
	}
	close(fd);
	free(mark);
	TAILQ_FOREACH(vm, &vms, vm_entry)
		if (vm->vm_autostart && vm->vm_restart != VM_RESTART_CLUSTER &&
		    !vm_is_active(vm) &&
		    vm->vm_state != VM_FAILED &&
		    vm->vm_job.j_kind == JOB_NONE)
			vm_start_by_fwsd(vm, "autostart");
}
