/*
 * vm-qemu.c: the qemu-system-x86_64 command line for a VM.  A pure
 * function of the VM's definition and the paths and descriptors fwsd
 * prepared, so it can be unit-tested; the result is an argv array for
 * execv, never a string for a shell.  Disks are block graphs built
 * explicitly with -blockdev (a file node under a format node, and the
 * backing chain fwsd checked, node by node, ending in null): qemu never
 * opens a file by a name it read from an image header.  Read-only files
 * (backing files, read-only disks, the ISO) are descriptors in fdsets.
 * Each disk's device reads and writes through a throttle node of its
 * own (FWS_IO_NODE and its slot) on a throttle group of its own
 * (FWS_IO_GROUP), with or without limits, so that set changes them live
 * (qom-set) on any disk.
 * An RBD image is one node of qemu's rbd driver, its pool and image as
 * structured options (never a "rbd:" filename qemu would parse), its key
 * a secret object read from a descriptor.
 * Every VM has a CD drive, empty when it has no ISO; one with a
 * cloud-init seed has a second, read-only, holding it.  Sockets (QMP, the
 * serial port, the guest agent's channel) are descriptors too,
 * listening sockets fwsd made.  Disks and NICs are named by their slots
 * (disk-add and nic-add plug more in while qemu runs, disk-remove and
 * nic-remove take them out): on q35 each slot has a PCIe root port of
 * its own, used or not, as PCIe has no hotplug on its root bus.
 */
#include <stdlib.h>
#include <string.h>

#include "fws.h"

struct argv {
	char	**a_v;
	int	  a_n;
	int	  a_cap;
};

static void
argv_add(struct argv *a, char *s)
{
	if (a->a_n + 2 > a->a_cap) {
		a->a_cap = a->a_cap ? a->a_cap * 2 : 64;
		a->a_v = realloc(a->a_v, a->a_cap * sizeof(*a->a_v));
		if (a->a_v == NULL)
			abort();
	}
	a->a_v[a->a_n++] = s;
	a->a_v[a->a_n] = NULL;
}

static void
argv_pair(struct argv *a, const char *opt, char *val)
{
	argv_add(a, xasprintf("%s", opt));
	argv_add(a, val);
}

/* qemu's option syntax splits on ','; a literal comma is written ",,". */
char *
vm_qemu_escape(const char *s)
{
	char	*out, *p;

	out = p = malloc(strlen(s) * 2 + 1);
	if (out == NULL)
		abort();
	for (; *s != '\0'; s++) {
		*p++ = *s;
		if (*s == ',')
			*p++ = ',';
	}
	*p = '\0';
	return out;
}

/* A -blockdev argument: the JSON form, which has null (and no commas). */
static void
argv_blockdev(struct argv *a, json_t *o)
{
	char	*s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);

	if (s == NULL)
		abort();
	json_decref(o);
	argv_pair(a, "-blockdev", s);
}

/*
 * Two nodes: a file node (path, or when fd >= 0 the descriptor in an
 * fdset of its own number) and the format node named name over it.
 * backing (qcow2 only): the node under it, NULL for none at all.
 */
static void
vm_qemu_node(struct argv *a, const char *name, const char *format,
    const char *path, int fd, int readonly, const char *backing,
    int has_backing_opt)
{
	char	*file = xasprintf("%s-file", name), *fname;
	json_t	*o;

	if (fd >= 0) {
		argv_pair(a, "-add-fd", xasprintf("fd=%d,set=%d", fd, fd));
		fname = xasprintf("/dev/fdset/%d", fd);
	} else
		fname = xasprintf("%s", path);
	argv_blockdev(a, json_pack("{ss ss ss sb}", "driver", "file",
	    "node-name", file, "filename", fname, "read-only", readonly));
	o = json_pack("{ss ss ss sb}", "driver", format, "node-name", name,
	    "file", file, "read-only", readonly);
	if (has_backing_opt)
		json_object_set_new(o, "backing", backing != NULL ?
		    json_string(backing) : json_null());
	argv_blockdev(a, o);
	free(file);
	free(fname);
}

/*
 * An RBD image's node (name): pool and image as validate_rbd split
 * path, the cluster's configuration and user, the key from the secret
 * object FWS_RBD_SECRET.  Shared with qemu-img's targets (snapshot.c).
 */
json_t *
vm_qemu_rbd_node(const char *name, const char *path, const char *ceph_conf,
    const char *ceph_user, int readonly)
{
	struct rbd_name	 rn;
	json_t		*o;

	if (validate_rbd(path, RBD_SNAP_NONE, &rn, NULL) == -1)
		abort();	/* checked before it was stored */
	o = json_pack("{ss ss ss ss ss ss}", "driver", "rbd", "pool",
	    rn.rn_pool, "image", rn.rn_image, "conf", ceph_conf, "user",
	    ceph_user, "key-secret", FWS_RBD_SECRET);
	if (name != NULL) {
		json_object_set_new(o, "node-name", json_string(name));
		json_object_set_new(o, "read-only", json_boolean(readonly));
	}
	return o;
}

/*
 * Disk i: its chain from the bottom up, each layer's backing the node
 * below it, the bottom's none.  The top is FWS_DISK_NODE and its slot
 * (what QMP snapshot jobs address), opened by path unless it is read-only.
 */
static void
vm_qemu_disk(struct argv *a, const struct vm *vm, int i,
    const struct vm_qemu_paths *qp, const struct vm_qemu_disk *qd)
{
	char	*name, *below = NULL;
	int	 k, n = qd->qd_nlayers > 0 ? qd->qd_nlayers : 1;
	int	 slot = vm->vm_disks[i].d_slot;

	if (is_rbd(vm->vm_disks[i].d_path)) {
		name = xasprintf(FWS_DISK_NODE "%d", slot);
		argv_blockdev(a, vm_qemu_rbd_node(name, vm->vm_disks[i].d_path,
		    qp->qp_ceph_conf, qp->qp_ceph_user,
		    vm->vm_disks[i].d_readonly));
		free(name);
		return;
	}
	for (k = n - 1; k >= 0; k--) {
		name = k == 0 ? xasprintf(FWS_DISK_NODE "%d", slot) :
		    xasprintf(FWS_DISK_NODE "%d-%d", slot, k);
		vm_qemu_node(a, name, qd->qd_nlayers > 0 ?
		    qd->qd_layer[k].ql_format : vm->vm_disks[i].d_format,
		    vm->vm_disks[i].d_path, qd->qd_nlayers > 0 ?
		    qd->qd_layer[k].ql_fd : -1,
		    k > 0 || vm->vm_disks[i].d_readonly, below,
		    strcmp(qd->qd_nlayers > 0 ? qd->qd_layer[k].ql_format :
		    vm->vm_disks[i].d_format, "qcow2") == 0);
		free(below);
		below = name;
	}
	free(below);
}

/*
 * A disk's throttle group (an -object, in the JSON form) and its
 * throttle node over the disk's top node: what its device is given.
 */
static void
vm_qemu_throttle(struct argv *a, const struct vm_disk *d)
{
	json_t	*o;
	char	*s;

	o = json_pack("{ss so so}", "qom-type", "throttle-group", "id",
	    json_sprintf(FWS_IO_GROUP "%d", d->d_slot), "limits",
	    disk_io_qemu_limits(&d->d_io));
	if ((s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		abort();
	json_decref(o);
	argv_pair(a, "-object", s);
	argv_blockdev(a, json_pack("{ss so so so sb}", "driver", "throttle",
	    "node-name", json_sprintf(FWS_IO_NODE "%d", d->d_slot),
	    "throttle-group", json_sprintf(FWS_IO_GROUP "%d", d->d_slot),
	    "file", json_sprintf(FWS_DISK_NODE "%d", d->d_slot),
	    "read-only", d->d_readonly));
}

/*
 * The slot of a device's top node as QMP names it: "fws-ioN", or
 * "fws-diskN" of a qemu started before disks had throttle nodes; -1
 * for any other node.
 */
int
vm_qemu_node_slot(const char *node)
{
	const char	*p;
	char		*end;
	long		 n;

	if (node == NULL)
		return -1;
	if (strncmp(node, FWS_IO_NODE, strlen(FWS_IO_NODE)) == 0)
		p = node + strlen(FWS_IO_NODE);
	else if (strncmp(node, FWS_DISK_NODE, strlen(FWS_DISK_NODE)) == 0)
		p = node + strlen(FWS_DISK_NODE);
	else
		return -1;
	if (*p < '0' || *p > '9')
		return -1;
	n = strtol(p, &end, 10);
	if (*end != '\0' || n >= FWS_DISKS_MAX)
		return -1;
	return (int)n;
}

/*
 * The root port a disk's or NIC's slot plugs into (kind "disk" or "nic"),
 * NULL on a machine whose root bus takes hotplug itself (pc).
 */
char *
vm_qemu_port(const char *machine, const char *kind, int slot)
{
	if (strcmp(machine, "q35") != 0)
		return NULL;
	return xasprintf("port-%s%d", kind, slot);
}

/* ",bus=PORT" for a slot's device, or "" */
static char *
vm_qemu_bus(const char *machine, const char *kind, int slot)
{
	char	*port = vm_qemu_port(machine, kind, slot), *s;

	if (port == NULL)
		return xasprintf("%s", "");
	s = xasprintf(",bus=%s", port);
	free(port);
	return s;
}

/* A root port for every slot of a disk or a NIC (q35). */
static void
vm_qemu_ports(struct argv *a, const char *machine)
{
	char	*port;
	int	 i, chassis = 1;

	for (i = 0; i < FWS_DISKS_MAX + FWS_NICS_MAX; i++) {
		port = i < FWS_DISKS_MAX ? vm_qemu_port(machine, "disk", i) :
		    vm_qemu_port(machine, "nic", i - FWS_DISKS_MAX);
		if (port == NULL)
			return;
		argv_pair(a, "-device", xasprintf("pcie-root-port,id=%s,"
		    "chassis=%d", port, chassis++));
		free(port);
	}
}

char **
vm_qemu_argv(const struct vm *vm, const struct vm_qemu_paths *qp)
{
	struct argv	 a = { NULL, 0, 0 };
	char		*p, *bus;
	int		 i, slot;

	argv_add(&a, xasprintf("%s", qp->qp_qemu));
	argv_pair(&a, "-name", xasprintf("guest=%s", vm->vm_name));
	argv_pair(&a, "-uuid", xasprintf("%s", vm->vm_uuid));
	argv_add(&a, xasprintf("-nodefaults"));
	argv_add(&a, xasprintf("-no-user-config"));
	argv_pair(&a, "-machine", xasprintf("%s,accel=%s", qp->qp_machine,
	    qp->qp_accel));
	if (strcmp(qp->qp_accel, "kvm") == 0)
		argv_pair(&a, "-cpu", xasprintf("host"));
	argv_pair(&a, "-smp", xasprintf("%u", vm->vm_vcpus));
	argv_pair(&a, "-m", xasprintf("%llu",
	    (unsigned long long)vm->vm_memory_mib));
	/* stopped until fwsd has the monitor and says "cont" */
	argv_add(&a, xasprintf("-S"));
	/* a saved state comes by QMP (migrate-incoming from a descriptor) */
	if (qp->qp_incoming)
		argv_pair(&a, "-incoming", xasprintf("defer"));
	argv_pair(&a, "-display", xasprintf("none"));
	if (qp->qp_vnc != NULL) {
		/* a screen for the VNC server (-nodefaults has none) */
		argv_pair(&a, "-vnc", xasprintf("%s", qp->qp_vnc));
		argv_pair(&a, "-device", xasprintf("VGA"));
	}
	/* the same screen over SPICE, its VNC server then with no listener */
	if (qp->qp_spice != NULL)
		argv_pair(&a, "-spice", xasprintf("%s", qp->qp_spice));
	argv_pair(&a, "-msg", xasprintf("timestamp=on"));
	/* seccomp: no obsolete calls, no setuid, no exec, no priorities */
	argv_pair(&a, "-sandbox", xasprintf("on,obsolete=deny,"
	    "elevateprivileges=deny,spawn=deny,resourcecontrol=deny"));
	argv_pair(&a, "-chardev", xasprintf("socket,id=qmp,fd=%d,server=on,"
	    "wait=off", qp->qp_qmp_fd));
	argv_pair(&a, "-mon", xasprintf("chardev=qmp,mode=control"));
	p = vm_qemu_escape(qp->qp_serial_log);
	argv_pair(&a, "-chardev", xasprintf("socket,id=serial0,fd=%d,"
	    "server=on,wait=off,logfile=%s,logappend=on", qp->qp_serial_fd, p));
	free(p);
	argv_pair(&a, "-serial", xasprintf("chardev:serial0"));
	/* the guest agent's channel, a socket fwsd made, on a virtio port */
	if (qp->qp_agent_fd > 0) {
		argv_pair(&a, "-chardev", xasprintf("socket,id=agent0,fd=%d,"
		    "server=on,wait=off", qp->qp_agent_fd));
		argv_pair(&a, "-device",
		    xasprintf("virtio-serial-pci,id=vser0"));
		argv_pair(&a, "-device", xasprintf("virtserialport,bus=vser0.0,"
		    "chardev=agent0,name=" FWS_AGENT_PORT));
	}
	p = vm_qemu_escape(qp->qp_pidfile);
	argv_pair(&a, "-pidfile", p);
	/* the guest can tell us it panicked (GUEST_PANICKED) */
	argv_pair(&a, "-device", xasprintf("pvpanic"));
	/* memory given back live (set --memory), up to -m */
	argv_pair(&a, "-device", xasprintf("virtio-balloon-pci,id=balloon0"));
	vm_qemu_ports(&a, qp->qp_machine);
	/* the RBD key, for every rbd node: base64 as in the keyring */
	if (qp->qp_rbd_key_fd > 0)
		argv_pair(&a, "-object", xasprintf("secret,id=" FWS_RBD_SECRET
		    ",format=base64,file=/dev/fd/%d", qp->qp_rbd_key_fd));
	for (i = 0; i < vm->vm_ndisks; i++) {
		slot = vm->vm_disks[i].d_slot;
		vm_qemu_disk(&a, vm, i, qp, &qp->qp_disks[i]);
		vm_qemu_throttle(&a, &vm->vm_disks[i]);
		bus = vm_qemu_bus(qp->qp_machine, "disk", slot);
		argv_pair(&a, "-device", xasprintf("virtio-blk-pci,drive="
		    FWS_IO_NODE "%d,id=disk%d%s", slot, slot, bus));
		free(bus);
	}
	/* NICs: taps fwsd made, passed as descriptors: qemu needs no privilege */
	for (i = 0; i < vm->vm_nnics; i++) {
		slot = vm->vm_nics[i].n_slot;
		/* qemu reads IFF_VNET_HDR from the fd itself (and refuses
		 * vnet_hdr= next to fd=) */
		argv_pair(&a, "-netdev", xasprintf("tap,id=net%d,fd=%d", slot,
		    qp->qp_tap_fd[i]));
		bus = vm_qemu_bus(qp->qp_machine, "nic", slot);
		argv_pair(&a, "-device", xasprintf("virtio-net-pci,netdev=net%d,"
		    "mac=%s,id=nic%d%s", slot, vm->vm_nics[i].n_mac, slot, bus));
		free(bus);
	}
	/*
	 * The CD drive is always there, empty without an ISO, so that a
	 * disc can go in while the guest runs (media.c)
	 */
	if (vm->vm_iso != NULL) {
		vm_qemu_node(&a, FWS_CD_NODE, "raw", NULL, qp->qp_iso_fd, 1,
		    NULL, 0);
		argv_pair(&a, "-device", xasprintf("ide-cd,drive=" FWS_CD_NODE
		    ",id=" FWS_CD_ID));
	} else
		argv_pair(&a, "-device", xasprintf("ide-cd,id=" FWS_CD_ID));
	/*
	 * The cloud-init seed: a read-only disc of its own (NoCloud looks
	 * for a CD labelled cidata), after the CD drive, which stays the
	 * first for -boot d.  On bus ide.1: q35's AHCI ports take one
	 * drive each (the CD drive has ide.0), and pc's second IDE channel
	 * is ide.1 too
	 */
	if (vm->vm_seed != NULL && qp->qp_seed_fd > 0) {
		vm_qemu_node(&a, FWS_SEED_NODE, "raw", NULL, qp->qp_seed_fd, 1,
		    NULL, 0);
		argv_pair(&a, "-device", xasprintf("ide-cd,drive="
		    FWS_SEED_NODE ",id=" FWS_SEED_ID ",bus=ide.1"));
	}
	/* a disc that does not boot falls through to the disk */
	if (qp->qp_boot_iso)
		argv_pair(&a, "-boot", xasprintf(vm->vm_ndisks > 0 ?
		    "once=dc" : "once=d"));
	else if (vm->vm_ndisks > 0)
		argv_pair(&a, "-boot", xasprintf("order=c"));
	if (vm->vm_kernel != NULL)
		argv_pair(&a, "-kernel", xasprintf("%s", vm->vm_kernel));
	if (vm->vm_initrd != NULL)
		argv_pair(&a, "-initrd", xasprintf("%s", vm->vm_initrd));
	if (vm->vm_append != NULL)
		argv_pair(&a, "-append", xasprintf("%s", vm->vm_append));
	return a.a_v;
}

void
vm_qemu_argv_free(char **argv)
{
	char	**p;

	if (argv == NULL)
		return;
	for (p = argv; *p != NULL; p++)
		free(*p);
	free(argv);
}
