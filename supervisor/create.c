/*
 * create.c: making a VM.  The request's definition is checked in full
 * (name, sizes, limits, paths confined to the image directories, MAC),
 * the name is reserved, new disks are made one after another by
 * qemu-img in the background, and only then is the VM committed to the
 * store and announced.  On any failure the disks made so far go away.
 */
#include <sys/random.h>
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
#include "proto.h"

struct create {
	struct vm		*cr_vm;
	struct request		*cr_rq;
	int			 cr_next;	/* disk qemu-img works on */
	int			 cr_made[FWS_DISKS_MAX];
	struct proc_watch	*cr_watch;
	char			*cr_log;	/* qemu-img's output */
	uint64_t		 cr_sizes[FWS_DISKS_MAX];
};

static void	create_next(struct create *);

static void
uuid_generate(char *buf, size_t len)
{
	unsigned char	 u[16];

	if (getrandom(u, sizeof(u), 0) != sizeof(u))
		abort();	/* the kernel's RNG does not fail for 16 bytes */
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
	    u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* Is the name, or the MAC, taken by another VM (or one being created)? */
static struct vm *
create_clash(const char *name, const char *mac)
{
	struct vm	*vm;
	int		 i;

	TAILQ_FOREACH(vm, &vms, vm_entry) {
		if ((name != NULL && strcmp(vm->vm_name, name) == 0) ||
		    (mac != NULL && strcasecmp(vm->vm_mac, mac) == 0))
			return vm;
		for (i = 0; mac != NULL && i < vm->vm_nnics; i++)
			if (strcasecmp(vm->vm_nics[i].n_mac, mac) == 0)
				return vm;
	}
	return NULL;
}

/*
 * nics: [{"network":N, "mac":M}]: each on an existing network, with a
 * MAC no other NIC has.  NIC 0 takes the VM's MAC; NIC i > 0 defaults
 * to the CRC32 scheme over "NAME/i".
 */
static int
create_nics(struct vm *vm, json_t *nics, char **cause)
{
	struct vm_nic	*nic;
	json_t		*o;
	const char	*net, *mac;
	char		*key;
	size_t		 i;
	int		 j;
	static const char *const nic_args[] = { "network", "mac", NULL };

	if (nics == NULL || json_is_null(nics))
		return 0;
	if (!json_is_array(nics))
		return cause_fail(cause, "argument \"nics\" must be an array");
	if (json_array_size(nics) > FWS_NICS_MAX)
		return cause_fail(cause, "at most %d NICs", FWS_NICS_MAX);
	json_array_foreach(nics, i, o) {
		if (!json_is_object(o))
			return cause_fail(cause, "NIC %zu: not an object", i);
		if (proto_args_allowed(o, nic_args, cause) == -1 ||
		    proto_arg_string(o, "network", 1, &net, cause) == -1 ||
		    proto_arg_string(o, "mac", 0, &mac, cause) == -1)
			return -1;
		if (net_find(net) == NULL)
			return cause_fail(cause, "no network named \"%.64s\"",
			    net);
		if (mac != NULL && validate_mac(mac, cause) == -1)
			return -1;
		nic = &vm->vm_nics[vm->vm_nnics++];
		snprintf(nic->n_net, sizeof(nic->n_net), "%s", net);
		if (mac != NULL)
			snprintf(nic->n_mac, sizeof(nic->n_mac), "%s", mac);
		else if (i == 0)
			snprintf(nic->n_mac, sizeof(nic->n_mac), "%s",
			    vm->vm_mac);
		else {
			key = xasprintf("%s/%zu", vm->vm_name, i);
			mac_from_name(key, nic->n_mac, sizeof(nic->n_mac));
			free(key);
		}
		for (j = 0; j < vm->vm_nnics - 1; j++)
			if (strcasecmp(vm->vm_nics[j].n_mac, nic->n_mac) == 0)
				return cause_fail(cause, "MAC address %s is "
				    "given to two NICs", nic->n_mac);
		if (i > 0 && strcasecmp(vm->vm_mac, nic->n_mac) == 0)
			return cause_fail(cause, "MAC address %s is the VM's "
			    "own", nic->n_mac);
		if (create_clash(NULL, nic->n_mac) != NULL &&
		    create_clash(NULL, nic->n_mac) != vm) {
			*cause = xasprintf("MAC address %s is already used by "
			    "VM %s", nic->n_mac,
			    create_clash(NULL, nic->n_mac)->vm_name);
			return -2;
		}
	}
	/* NIC 0's own MAC is the VM's: one place says what the guest sees */
	snprintf(vm->vm_mac, sizeof(vm->vm_mac), "%s", vm->vm_nics[0].n_mac);
	return 0;
}

/* The allowed directories for existing images: the library and ours. */
static int
create_confine(const char *path, char **resolved, char **cause)
{
	char	*dirs[FWS_IMAGE_DIRS_MAX + 1];
	int	 i, n = 0, rc;

	for (i = 0; i < conf.cf_nimage_dirs; i++)
		dirs[n++] = conf.cf_image_dirs[i];
	dirs[n++] = xasprintf("%s/vms", conf.cf_state_dir);
	rc = path_confine(path, dirs, n, resolved, cause);
	free(dirs[n - 1]);
	return rc;
}

static int
create_path_arg(json_t *args, const char *key, char **out, char **cause)
{
	const char	*v;
	struct stat	 sb;

	*out = NULL;
	if (proto_arg_string(args, key, 0, &v, cause) == -1)
		return -1;
	if (v == NULL)
		return 0;
	if (create_confine(v, out, cause) == -1)
		return -1;
	if (stat(*out, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		*cause = xasprintf("%s: not a regular file", v);
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/*
 * An existing image: its format is given, never probed; a qcow2 must
 * carry qcow2's magic, and its virtual size is read from the header.
 */
static int
create_existing_disk(struct vm_disk *d, const char *path, const char *fmt,
    char **cause)
{
	unsigned char	 hdr[32];
	struct stat	 sb;
	int		 fd, i;

	if (fmt == NULL || (strcmp(fmt, "qcow2") != 0 &&
	    strcmp(fmt, "raw") != 0)) {
		*cause = xasprintf("disk %s: format must be qcow2 or raw", path);
		return -1;
	}
	if (create_confine(path, &d->d_path, cause) == -1)
		return -1;
	d->d_format = xasprintf("%s", fmt);
	if ((fd = open(d->d_path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		*cause = xasprintf("disk %s: %s", path, fd == -1 ?
		    strerror(errno) : "not a regular file");
		if (fd != -1)
			close(fd);
		return -1;
	}
	d->d_size = sb.st_size;
	if (strcmp(fmt, "qcow2") == 0) {
		if (read(fd, hdr, sizeof(hdr)) != sizeof(hdr) ||
		    memcmp(hdr, "QFI\xfb", 4) != 0) {
			close(fd);
			*cause = xasprintf("disk %s is not a qcow2 image", path);
			return -1;
		}
		for (d->d_size = 0, i = 24; i < 32; i++)
			d->d_size = d->d_size << 8 | hdr[i];
	}
	close(fd);
	return 0;
}

static int
create_disks(struct create *cr, json_t *disks, char **cause)
{
	struct vm	*vm = cr->cr_vm;
	struct vm_disk	*d;
	json_t		*o;
	const char	*path, *fmt;
	size_t		 i;
	const char	*const keys[] = { "size", "path", "format", NULL };

	if (disks == NULL || json_is_null(disks))
		return 0;
	if (!json_is_array(disks)) {
		*cause = xasprintf("argument \"disks\" must be an array");
		return -1;
	}
	if (json_array_size(disks) > FWS_DISKS_MAX) {
		*cause = xasprintf("%zu disks asked for, at most %d are allowed",
		    json_array_size(disks), FWS_DISKS_MAX);
		return -1;
	}
	json_array_foreach(disks, i, o) {
		d = &vm->vm_disks[vm->vm_ndisks++];
		if (!json_is_object(o)) {
			*cause = xasprintf("disk %zu must be an object", i);
			return -1;
		}
		if (proto_args_allowed(o, keys, cause) == -1 ||
		    proto_arg_string(o, "path", 0, &path, cause) == -1 ||
		    proto_arg_string(o, "format", 0, &fmt, cause) == -1 ||
		    proto_arg_uint(o, "size", 0, 1, conf.cf_max_disk_size,
		    &cr->cr_sizes[i], cause) == -1)
			return -1;
		if ((path == NULL) == (cr->cr_sizes[i] == 0)) {
			*cause = xasprintf("disk %zu needs either a size or a "
			    "path", i);
			return -1;
		}
		if (path != NULL) {
			if (create_existing_disk(d, path, fmt, cause) == -1)
				return -1;
			continue;
		}
		d->d_path = xasprintf("%s/vms/%s/disk%zu.qcow2",
		    conf.cf_state_dir, vm->vm_name, i);
		d->d_format = xasprintf("qcow2");
		d->d_size = cr->cr_sizes[i];
		d->d_owned = 1;
		if (access(d->d_path, F_OK) == 0) {
			*cause = xasprintf("%s already exists (kept from a "
			    "deleted VM?): remove it, or attach it as an "
			    "existing disk", d->d_path);
			return -2;
		}
	}
	return 0;
}

/* Check the whole definition into cr->cr_vm; -1 invalid, -2 exists. */
static int
create_parse(struct create *cr, json_t *args, char **cause)
{
	struct vm	*vm = cr->cr_vm;
	const char	*name, *mac, *restart, *append;
	uint64_t	 vcpus = 1, mem = 1024;
	int		 rc;

	if (proto_arg_string(args, "name", 1, &name, cause) == -1 ||
	    validate_name(name, cause) == -1)
		return -1;
	snprintf(vm->vm_name, sizeof(vm->vm_name), "%s", name);
	if (create_clash(name, NULL) != NULL) {
		*cause = xasprintf("a VM named %s already exists", name);
		return -2;
	}
	if (proto_arg_uint(args, "vcpus", 0, 1, conf.cf_max_vcpus, &vcpus,
	    cause) == -1 ||
	    proto_arg_uint(args, "memory_mib", 0, 16, conf.cf_max_memory_mib,
	    &mem, cause) == -1)
		return -1;
	vm->vm_vcpus = vcpus;
	vm->vm_memory_mib = mem;
	if (proto_arg_string(args, "restart", 0, &restart, cause) == -1)
		return -1;
	if (restart != NULL && vm_restart_parse(restart,
	    &vm->vm_restart) == -1) {
		*cause = xasprintf("restart policy must be always, on-failure "
		    "or never, not \"%.32s\"", restart);
		return -1;
	}
	if (proto_arg_bool(args, "autostart", &vm->vm_autostart, cause) == -1)
		return -1;
	if (proto_arg_string(args, "mac", 0, &mac, cause) == -1 ||
	    (mac != NULL && validate_mac(mac, cause) == -1))
		return -1;
	if (mac != NULL)
		snprintf(vm->vm_mac, sizeof(vm->vm_mac), "%s", mac);
	else
		mac_from_name(name, vm->vm_mac, sizeof(vm->vm_mac));
	if (create_clash(NULL, vm->vm_mac) != NULL) {
		*cause = xasprintf("MAC address %s is already used by VM %s",
		    vm->vm_mac, create_clash(NULL, vm->vm_mac)->vm_name);
		return -2;
	}
	if (create_path_arg(args, "iso", &vm->vm_iso, cause) == -1 ||
	    create_path_arg(args, "kernel", &vm->vm_kernel, cause) == -1 ||
	    create_path_arg(args, "initrd", &vm->vm_initrd, cause) == -1)
		return -1;
	if (proto_arg_string(args, "append", 0, &append, cause) == -1)
		return -1;
	if (append != NULL) {
		if (strlen(append) > FWS_APPEND_MAX) {
			*cause = xasprintf("the kernel command line is longer "
			    "than %d characters", FWS_APPEND_MAX);
			return -1;
		}
		vm->vm_append = xasprintf("%s", append);
	}
	if ((vm->vm_initrd != NULL || vm->vm_append != NULL) &&
	    vm->vm_kernel == NULL) {
		*cause = xasprintf("an initrd or a kernel command line needs "
		    "a kernel");
		return -1;
	}
	if ((rc = create_nics(vm, json_object_get(args, "nics"), cause)) != 0)
		return rc;
	return create_disks(cr, json_object_get(args, "disks"), cause);
}

static void
create_free(struct create *cr, int discard)
{
	int	 i;
	char	*dir;

	if (discard) {
		for (i = 0; i < cr->cr_next; i++)
			if (cr->cr_made[i])
				unlink(cr->cr_vm->vm_disks[i].d_path);
		dir = vm_dir(cr->cr_vm);
		rmdir(dir);	/* only if nothing else is in it */
		free(dir);
		TAILQ_REMOVE(&vms, cr->cr_vm, vm_entry);
		vm_free(cr->cr_vm);
	}
	if (cr->cr_log != NULL)
		unlink(cr->cr_log);
	free(cr->cr_log);
	proc_unwatch(cr->cr_watch);
	free(cr);
}

static void
create_disk_done(pid_t pid, int status, void *arg)
{
	struct create	*cr = arg;
	char		*out;

	(void)pid;
	proc_unwatch(cr->cr_watch);
	cr->cr_watch = NULL;
	if (status != 0) {
		out = proc_output(cr->cr_log, 512);
		request_error(cr->cr_rq, PROTO_ERR_FAILED, "%s: qemu-img could "
		    "not create %s: %s", cr->cr_vm->vm_name,
		    cr->cr_vm->vm_disks[cr->cr_next].d_path, out);
		free(out);
		cr->cr_made[cr->cr_next] = 1;	/* whatever it left */
		cr->cr_next++;
		create_free(cr, 1);
		return;
	}
	cr->cr_made[cr->cr_next++] = 1;
	create_next(cr);
}

/* Make the next disk, or once all are made, commit the VM. */
static void
create_next(struct create *cr)
{
	struct vm	*vm = cr->cr_vm;
	struct vm_disk	*d;
	struct proc_spec ps;
	char		*argv[8], size[32], *cause;
	pid_t		 pid;
	int		 fd;

	while (cr->cr_next < vm->vm_ndisks &&
	    !vm->vm_disks[cr->cr_next].d_owned)
		cr->cr_next++;
	if (cr->cr_next == vm->vm_ndisks) {
		if (store_vm_insert(vm, &cause) == -1) {
			request_error(cr->cr_rq, PROTO_ERR_INTERNAL, "%s: %s",
			    vm->vm_name, cause);
			free(cause);
			create_free(cr, 1);
			return;
		}
		vm->vm_creating = 0;
		event_record(vm, "created", "vcpus %u, memory %llu MiB, disks %d, "
		    "restart %s%s", vm->vm_vcpus,
		    (unsigned long long)vm->vm_memory_mib, vm->vm_ndisks,
		    vm_restart_name(vm->vm_restart),
		    vm->vm_autostart ? ", autostart" : "");
		request_ok(cr->cr_rq, vm_to_json(vm, 1));
		create_free(cr, 0);
		return;
	}
	d = &vm->vm_disks[cr->cr_next];
	snprintf(size, sizeof(size), "%llu", (unsigned long long)d->d_size);
	argv[0] = conf.cf_qemu_img;
	argv[1] = "create";
	argv[2] = "-q";
	argv[3] = "-f";
	argv[4] = "qcow2";
	argv[5] = d->d_path;
	argv[6] = size;
	argv[7] = NULL;
	fd = open(cr->cr_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	memset(&ps, 0, sizeof(ps));
	ps.ps_argv = argv;
	ps.ps_stdout = fd;
	if (proc_spawn(&ps, &pid, &cause) == -1 ||
	    (cr->cr_watch = proc_watch(pid, create_disk_done, cr,
	    &cause)) == NULL) {
		if (fd != -1)
			close(fd);
		request_error(cr->cr_rq, PROTO_ERR_FAILED, "%s: cannot run "
		    "qemu-img: %s", vm->vm_name, cause);
		free(cause);
		create_free(cr, 1);
		return;
	}
	if (fd != -1)
		close(fd);
}

void
create_vm(struct request *rq, json_t *args)
{
	struct create	*cr;
	struct vm	*vm;
	char		*cause = NULL;
	int		 rc;

	if ((cr = calloc(1, sizeof(*cr))) == NULL) {
		request_error(rq, PROTO_ERR_INTERNAL, "out of memory");
		return;
	}
	cr->cr_rq = rq;
	cr->cr_vm = vm = vm_new();
	vm->vm_restart = VM_RESTART_ON_FAILURE;
	if ((rc = create_parse(cr, args, &cause)) != 0) {
		request_error(rq, rc == -2 ? PROTO_ERR_EXISTS :
		    PROTO_ERR_INVALID_ARGUMENT, "%s", cause);
		free(cause);
		vm_free(vm);
		free(cr);
		return;
	}
	if (vm->vm_ndisks == 0 && vm->vm_iso == NULL && vm->vm_kernel == NULL) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "%s has nothing "
		    "to boot: give it a disk, an ISO or a kernel", vm->vm_name);
		vm_free(vm);
		free(cr);
		return;
	}
	uuid_generate(vm->vm_uuid, sizeof(vm->vm_uuid));
	vm->vm_created = time(NULL);
	vm->vm_state = VM_STOPPED;
	vm->vm_creating = 1;
	TAILQ_INSERT_TAIL(&vms, vm, vm_entry);
	if (vm_mkdir(vm, &cause) == -1) {
		request_error(rq, PROTO_ERR_INTERNAL, "%s", cause);
		free(cause);
		create_free(cr, 1);
		return;
	}
	/* not in the state dir: a full one would swallow qemu-img's words */
	cr->cr_log = xasprintf("%s/%s.qemu-img.out", conf.cf_run_dir,
	    vm->vm_name);
	create_next(cr);
}
