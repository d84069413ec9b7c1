/*
 * vm-qemu.c: the qemu-system-x86_64 command line for a VM.  A pure
 * function of the VM's definition and the paths and descriptors fwsd
 * prepared, so it can be unit-tested; the result is an argv array for
 * execv, never a string for a shell.
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

char **
vm_qemu_argv(const struct vm *vm, const struct vm_qemu_paths *qp)
{
	struct argv	 a = { NULL, 0, 0 };
	char		*p, *q;
	int		 i;

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
	argv_pair(&a, "-display", xasprintf("none"));
	if (qp->qp_vnc != NULL) {
		/* a screen for the VNC server (-nodefaults has none) */
		argv_pair(&a, "-vnc", xasprintf("%s", qp->qp_vnc));
		argv_pair(&a, "-device", xasprintf("VGA"));
	}
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
	p = vm_qemu_escape(qp->qp_pidfile);
	argv_pair(&a, "-pidfile", p);
	/* the guest can tell us it panicked (GUEST_PANICKED) */
	argv_pair(&a, "-device", xasprintf("pvpanic"));
	for (i = 0; i < vm->vm_ndisks; i++) {
		p = vm_qemu_escape(vm->vm_disks[i].d_path);
		q = vm_qemu_escape(vm->vm_disks[i].d_format);
		/* node-name: what QMP snapshot jobs address the image by */
		argv_pair(&a, "-drive", xasprintf("file=%s,format=%s,if=virtio,"
		    "id=disk%d,node-name=" FWS_DISK_NODE "%d", p, q, i, i));
		free(p);
		free(q);
	}
	/* NICs: taps fwsd made, passed as descriptors: qemu needs no privilege */
	for (i = 0; i < vm->vm_nnics; i++) {
		/* qemu reads IFF_VNET_HDR from the fd itself (and refuses
		 * vnet_hdr= next to fd=) */
		argv_pair(&a, "-netdev", xasprintf("tap,id=net%d,fd=%d", i,
		    qp->qp_tap_fd[i]));
		argv_pair(&a, "-device", xasprintf("virtio-net-pci,netdev=net%d,"
		    "mac=%s", i, vm->vm_nics[i].n_mac));
	}
	if (vm->vm_iso != NULL) {
		p = vm_qemu_escape(vm->vm_iso);
		argv_pair(&a, "-drive", xasprintf("file=%s,format=raw,"
		    "media=cdrom,readonly=on,id=cd0", p));
		free(p);
	}
	if (qp->qp_boot_iso)
		argv_pair(&a, "-boot", xasprintf("once=d"));
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
