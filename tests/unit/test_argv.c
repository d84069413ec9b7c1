/*
 * test_argv.c: the qemu command line built from a VM definition.  It must
 * be an argv array (each value one element, nothing for a shell), carry
 * the options fwsd depends on, give every image's format explicitly and
 * escape commas in paths so a file name cannot add qemu options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "fws.h"

static int
argc_of(char **argv)
{
	int	 n = 0;

	while (argv[n] != NULL)
		n++;
	return n;
}

/* The value following option opt, the nth time it appears. */
static const char *
value_of(char **argv, const char *opt, int nth)
{
	int	 i;

	for (i = 0; argv[i] != NULL; i++)
		if (strcmp(argv[i], opt) == 0 && nth-- == 0)
			return argv[i + 1];
	return NULL;
}

static int
has(char **argv, const char *arg)
{
	int	 i;

	for (i = 0; argv[i] != NULL; i++)
		if (strcmp(argv[i], arg) == 0)
			return 1;
	return 0;
}

static struct vm *
sample(void)
{
	struct vm	*vm = vm_new();

	snprintf(vm->vm_name, sizeof(vm->vm_name), "web1");
	snprintf(vm->vm_uuid, sizeof(vm->vm_uuid),
	    "0b5c8a3e-1f2d-4c5b-9a8e-7d6c5b4a3f2e");
	vm->vm_vcpus = 2;
	vm->vm_memory_mib = 2048;
	vm->vm_disks[0].d_path = xasprintf("/var/lib/fws/vms/web1/disk0.qcow2");
	vm->vm_disks[0].d_format = xasprintf("qcow2");
	vm->vm_ndisks = 1;
	return vm;
}

static const struct vm_qemu_paths paths = {
	.qp_qemu = "/usr/bin/qemu-system-x86_64",
	.qp_machine = "q35",
	.qp_accel = "tcg",
	.qp_serial_log = "/var/lib/fws/vms/web1/console.log",
	.qp_pidfile = "/run/fws/web1.pid",
	.qp_qmp_fd = 3,
	.qp_serial_fd = 4,
};

static void
test_basic(void **state)
{
	struct vm	*vm = sample();
	char		**argv = vm_qemu_argv(vm, &paths);

	(void)state;
	assert_string_equal(argv[0], "/usr/bin/qemu-system-x86_64");
	assert_true(has(argv, "-nodefaults"));
	assert_true(has(argv, "-no-user-config"));
	assert_true(has(argv, "-S"));
	assert_string_equal(value_of(argv, "-machine", 0), "q35,accel=tcg");
	assert_null(value_of(argv, "-cpu", 0));
	assert_string_equal(value_of(argv, "-smp", 0), "2");
	assert_string_equal(value_of(argv, "-m", 0), "2048");
	assert_string_equal(value_of(argv, "-uuid", 0), vm->vm_uuid);
	assert_string_equal(value_of(argv, "-chardev", 0),
	    "socket,id=qmp,fd=3,server=on,wait=off");
	assert_string_equal(value_of(argv, "-mon", 0),
	    "chardev=qmp,mode=control");
	assert_string_equal(value_of(argv, "-chardev", 1),
	    "socket,id=serial0,fd=4,server=on,wait=off,"
	    "logfile=/var/lib/fws/vms/web1/console.log,logappend=on");
	assert_string_equal(value_of(argv, "-serial", 0), "chardev:serial0");
	assert_string_equal(value_of(argv, "-pidfile", 0), "/run/fws/web1.pid");
	assert_string_equal(value_of(argv, "-drive", 0),
	    "file=/var/lib/fws/vms/web1/disk0.qcow2,format=qcow2,if=virtio,"
	    "id=disk0,node-name=fws-disk0");
	assert_string_equal(value_of(argv, "-boot", 0), "order=c");
	assert_string_equal(value_of(argv, "-device", 0), "pvpanic");
	assert_null(value_of(argv, "-kernel", 0));
	/* every option that takes a value has one */
	assert_true(argc_of(argv) > 30);
	assert_true(argv[argc_of(argv) - 1][0] != '-');
	vm_qemu_argv_free(argv);
	vm_free(vm);
}

static void
test_iso_kernel_kvm(void **state)
{
	struct vm		*vm = sample();
	struct vm_qemu_paths	 qp = paths;
	char			**argv;

	(void)state;
	vm->vm_iso = xasprintf("/srv/iso/debian 12.iso");
	vm->vm_kernel = xasprintf("/srv/k/vmlinuz");
	vm->vm_initrd = xasprintf("/srv/k/initrd.img");
	vm->vm_append = xasprintf("console=ttyS0 root=/dev/vda1 $(reboot) ;x");
	qp.qp_boot_iso = 1;
	qp.qp_accel = "kvm";
	argv = vm_qemu_argv(vm, &qp);
	assert_string_equal(value_of(argv, "-machine", 0), "q35,accel=kvm");
	assert_string_equal(value_of(argv, "-cpu", 0), "host");
	assert_string_equal(value_of(argv, "-drive", 1),
	    "file=/srv/iso/debian 12.iso,format=raw,media=cdrom,readonly=on,"
	    "id=cd0");
	assert_string_equal(value_of(argv, "-boot", 0), "once=d");
	assert_string_equal(value_of(argv, "-kernel", 0), "/srv/k/vmlinuz");
	assert_string_equal(value_of(argv, "-initrd", 0), "/srv/k/initrd.img");
	/* passed through as one argument, untouched */
	assert_string_equal(value_of(argv, "-append", 0),
	    "console=ttyS0 root=/dev/vda1 $(reboot) ;x");
	vm_qemu_argv_free(argv);
	vm_free(vm);
}

static void
test_commas_escaped(void **state)
{
	struct vm		*vm = sample();
	struct vm_qemu_paths	 qp = paths;
	char			**argv;

	(void)state;
	free(vm->vm_disks[0].d_path);
	vm->vm_disks[0].d_path = xasprintf("/img/a,format=raw,file=/etc/shadow");
	qp.qp_serial_log = "/state/x,y/console.log";
	argv = vm_qemu_argv(vm, &qp);
	assert_string_equal(value_of(argv, "-drive", 0),
	    "file=/img/a,,format=raw,,file=/etc/shadow,format=qcow2,if=virtio,"
	    "id=disk0,node-name=fws-disk0");
	assert_non_null(strstr(value_of(argv, "-chardev", 1),
	    "logfile=/state/x,,y/console.log,"));
	vm_qemu_argv_free(argv);
	vm_free(vm);
}

/* Each NIC: a tap given as a descriptor, and a virtio-net with its MAC. */
static void
test_nics(void **state)
{
	struct vm		*vm = sample();
	struct vm_qemu_paths	 qp = paths;
	char			**argv;

	(void)state;
	assert_null(value_of(argv = vm_qemu_argv(vm, &qp), "-netdev", 0));
	vm_qemu_argv_free(argv);
	snprintf(vm->vm_nics[0].n_net, sizeof(vm->vm_nics[0].n_net), "lan");
	snprintf(vm->vm_nics[0].n_mac, sizeof(vm->vm_nics[0].n_mac),
	    "52:54:00:aa:bb:01");
	snprintf(vm->vm_nics[1].n_net, sizeof(vm->vm_nics[1].n_net), "wan");
	snprintf(vm->vm_nics[1].n_mac, sizeof(vm->vm_nics[1].n_mac),
	    "52:54:00:aa:bb:02");
	vm->vm_nnics = 2;
	qp.qp_tap_fd[0] = 5;
	qp.qp_tap_fd[1] = 6;
	argv = vm_qemu_argv(vm, &qp);
	assert_string_equal(value_of(argv, "-netdev", 0),
	    "tap,id=net0,fd=5");
	assert_string_equal(value_of(argv, "-netdev", 1),
	    "tap,id=net1,fd=6");
	assert_string_equal(value_of(argv, "-device", 1),
	    "virtio-net-pci,netdev=net0,mac=52:54:00:aa:bb:01");
	assert_string_equal(value_of(argv, "-device", 2),
	    "virtio-net-pci,netdev=net1,mac=52:54:00:aa:bb:02");
	assert_null(value_of(argv, "-netdev", 2));
	vm_qemu_argv_free(argv);
	vm_free(vm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_iso_kernel_kvm),
		cmocka_unit_test(test_commas_escaped),
		cmocka_unit_test(test_nics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
