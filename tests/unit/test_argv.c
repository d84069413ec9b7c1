/*
 * test_argv.c: the qemu command line built from a VM definition.  It must
 * be an argv array (each value one element, nothing for a shell), carry
 * the options fwsd depends on, give every image's format explicitly,
 * build each disk's block graph node by node (a backing chain exactly
 * as fwsd checked it, ending in null; read-only files as descriptors)
 * and escape commas in paths so a file name cannot add qemu options.
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

/* q35's root ports, one per slot, before the disks */
#define PORTS	(FWS_DISKS_MAX + FWS_NICS_MAX)

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
	/* the disk: its file, the qcow2 on it, no backing file at all */
	assert_null(value_of(argv, "-drive", 0));
	assert_string_equal(value_of(argv, "-blockdev", 0),
	    "{\"driver\":\"file\",\"filename\":"
	    "\"/var/lib/fws/vms/web1/disk0.qcow2\",\"node-name\":"
	    "\"fws-disk0-file\",\"read-only\":false}");
	assert_string_equal(value_of(argv, "-blockdev", 1),
	    "{\"backing\":null,\"driver\":\"qcow2\",\"file\":"
	    "\"fws-disk0-file\",\"node-name\":\"fws-disk0\","
	    "\"read-only\":false}");
	/* over it a throttle node on a group of its own, no limits yet */
	assert_string_equal(value_of(argv, "-object", 0),
	    "{\"id\":\"fws-io0\",\"limits\":{\"bps-read\":0,"
	    "\"bps-total\":0,\"bps-write\":0,\"iops-read\":0,"
	    "\"iops-total\":0,\"iops-write\":0},\"qom-type\":"
	    "\"throttle-group\"}");
	assert_string_equal(value_of(argv, "-blockdev", 2),
	    "{\"driver\":\"throttle\",\"file\":\"fws-disk0\","
	    "\"node-name\":\"fws-io0\",\"read-only\":false,"
	    "\"throttle-group\":\"fws-io0\"}");
	assert_null(value_of(argv, "-blockdev", 3));
	assert_null(value_of(argv, "-add-fd", 0));
	assert_string_equal(value_of(argv, "-boot", 0), "order=c");
	assert_string_equal(value_of(argv, "-device", 0), "pvpanic");
	/* every VM has a balloon: set --memory, live */
	assert_string_equal(value_of(argv, "-device", 1),
	    "virtio-balloon-pci,id=balloon0");
	/* q35: a root port for every disk's and NIC's slot, for hotplug */
	assert_string_equal(value_of(argv, "-device", 2),
	    "pcie-root-port,id=port-disk0,chassis=1");
	assert_string_equal(value_of(argv, "-device", 1 + PORTS),
	    "pcie-root-port,id=port-nic3,chassis=12");
	assert_string_equal(value_of(argv, "-device", 2 + PORTS),
	    "virtio-blk-pci,drive=fws-io0,id=disk0,bus=port-disk0");
	/* a CD drive with no disc, for one to go in later */
	assert_string_equal(value_of(argv, "-device", 3 + PORTS),
	    "ide-cd,id=cd0");
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
	qp.qp_iso_fd = 9;
	argv = vm_qemu_argv(vm, &qp);
	assert_string_equal(value_of(argv, "-machine", 0), "q35,accel=kvm");
	assert_string_equal(value_of(argv, "-cpu", 0), "host");
	/* the ISO: a descriptor fwsd opened, read-only */
	assert_string_equal(value_of(argv, "-add-fd", 0), "fd=9,set=9");
	assert_string_equal(value_of(argv, "-blockdev", 3),
	    "{\"driver\":\"file\",\"filename\":\"/dev/fdset/9\","
	    "\"node-name\":\"fws-cd0-file\",\"read-only\":true}");
	assert_string_equal(value_of(argv, "-blockdev", 4),
	    "{\"driver\":\"raw\",\"file\":\"fws-cd0-file\",\"node-name\":"
	    "\"fws-cd0\",\"read-only\":true}");
	assert_null(strstr(value_of(argv, "-blockdev", 4), "debian"));
	assert_string_equal(value_of(argv, "-device", 3 + PORTS),
	    "ide-cd,drive=fws-cd0,id=cd0");
	/* the disc once, the disk when it does not boot */
	assert_string_equal(value_of(argv, "-boot", 0), "once=dc");
	assert_string_equal(value_of(argv, "-kernel", 0), "/srv/k/vmlinuz");
	assert_string_equal(value_of(argv, "-initrd", 0), "/srv/k/initrd.img");
	/* passed through as one argument, untouched */
	assert_string_equal(value_of(argv, "-append", 0),
	    "console=ttyS0 root=/dev/vda1 $(reboot) ;x");
	vm_qemu_argv_free(argv);
	vm_free(vm);
}

/*
 * A cloud-init seed: a read-only disc from a descriptor, in a CD drive
 * of its own after the CD drive; none without a seed's descriptor.
 */
static void
test_seed(void **state)
{
	struct vm		*vm = sample();
	struct vm_qemu_paths	 qp = paths;
	char			**argv;

	(void)state;
	vm->vm_seed = json_pack("{s[s]}", "ssh_keys", "ssh-ed25519 AAAA");
	argv = vm_qemu_argv(vm, &qp);
	assert_false(has(argv, "ide-cd,drive=fws-seed0,id=seed0,bus=ide.1"));
	vm_qemu_argv_free(argv);
	qp.qp_seed_fd = 11;
	argv = vm_qemu_argv(vm, &qp);
	assert_string_equal(value_of(argv, "-add-fd", 0), "fd=11,set=11");
	assert_true(has(argv, "{\"driver\":\"file\",\"filename\":"
	    "\"/dev/fdset/11\",\"node-name\":\"fws-seed0-file\","
	    "\"read-only\":true}"));
	assert_true(has(argv, "{\"driver\":\"raw\",\"file\":"
	    "\"fws-seed0-file\",\"node-name\":\"fws-seed0\","
	    "\"read-only\":true}"));
	assert_string_equal(value_of(argv, "-device", 3 + PORTS), "ide-cd,id=cd0");
	assert_string_equal(value_of(argv, "-device", 4 + PORTS),
	    "ide-cd,drive=fws-seed0,id=seed0,bus=ide.1");
	vm_qemu_argv_free(argv);
	vm_free(vm);
}

/* An RBD disk: the rbd driver's options, the key a secret from a descriptor */
static void
test_rbd(void **state)
{
	struct vm		*vm = sample();
	struct vm_qemu_paths	 qp = paths;
	char			**argv;

	(void)state;
	free(vm->vm_disks[0].d_path);
	free(vm->vm_disks[0].d_format);
	vm->vm_disks[0].d_path = xasprintf("rbd:fws/web-1");
	vm->vm_disks[0].d_format = xasprintf("rbd");
	qp.qp_rbd_key_fd = 8;
	qp.qp_ceph_conf = "/etc/ceph/ceph.conf";
	qp.qp_ceph_user = "fws";
	argv = vm_qemu_argv(vm, &qp);
	assert_string_equal(value_of(argv, "-object", 0),
	    "secret,id=fws-rbd-key,format=base64,file=/dev/fd/8");
	assert_string_equal(value_of(argv, "-blockdev", 0),
	    "{\"conf\":\"/etc/ceph/ceph.conf\",\"driver\":\"rbd\","
	    "\"image\":\"web-1\",\"key-secret\":\"fws-rbd-key\","
	    "\"node-name\":\"fws-disk0\",\"pool\":\"fws\","
	    "\"read-only\":false,\"user\":\"fws\"}");
	/* under its throttle node, as any disk */
	assert_non_null(strstr(value_of(argv, "-blockdev", 1),
	    "\"file\":\"fws-disk0\""));
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
	/* JSON: a comma is a comma, not an option */
	assert_string_equal(value_of(argv, "-blockdev", 0),
	    "{\"driver\":\"file\",\"filename\":"
	    "\"/img/a,format=raw,file=/etc/shadow\",\"node-name\":"
	    "\"fws-disk0-file\",\"read-only\":false}");
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
	assert_string_equal(value_of(argv, "-device", 3 + PORTS),
	    "virtio-net-pci,netdev=net0,mac=52:54:00:aa:bb:01,id=nic0,"
	    "bus=port-nic0");
	assert_string_equal(value_of(argv, "-device", 4 + PORTS),
	    "virtio-net-pci,netdev=net1,mac=52:54:00:aa:bb:02,id=nic1,"
	    "bus=port-nic1");
	assert_null(value_of(argv, "-netdev", 2));
	vm_qemu_argv_free(argv);
	vm_free(vm);
}

/*
 * The guest agent's channel: a socket given as a descriptor, behind a
 * virtio serial port of the name qemu-guest-agent opens; none without.
 */
static void
test_agent(void **state)
{
	struct vm		*vm = sample();
	struct vm_qemu_paths	 qp = paths;
	char			**argv;
	int			 i;

	(void)state;
	argv = vm_qemu_argv(vm, &qp);
	for (i = 0; argv[i] != NULL; i++)
		assert_null(strstr(argv[i], "virtserialport"));
	assert_false(has(argv, "socket,id=agent0,fd=0,server=on,wait=off"));
	vm_qemu_argv_free(argv);
	qp.qp_agent_fd = 5;
	argv = vm_qemu_argv(vm, &qp);
	assert_true(has(argv, "socket,id=agent0,fd=5,server=on,wait=off"));
	assert_true(has(argv, "virtio-serial-pci,id=vser0"));
	assert_true(has(argv, "virtserialport,bus=vser0.0,chardev=agent0,"
	    "name=org.qemu.guest_agent.0"));
	/* a socket of fwsd's: never a path qemu would open or make */
	for (i = 0; argv[i] != NULL; i++)
		assert_null(strstr(argv[i], "path="));
	vm_qemu_argv_free(argv);
	vm_free(vm);
}

/*
 * A SPICE screen: -spice with ticketing on (no password: none is let in
 * until set_password), and the VNC server with no listener, over the
 * same VGA; a VNC screen has no -spice.
 */
static void
test_spice(void **state)
{
	struct vm		*vm = sample();
	struct vm_qemu_paths	 qp = paths;
	char			**argv;

	(void)state;
	qp.qp_vnc = "127.0.0.1:3,password=on";
	argv = vm_qemu_argv(vm, &qp);
	assert_null(value_of(argv, "-spice", 0));
	vm_qemu_argv_free(argv);
	qp.qp_vnc = "none";
	qp.qp_spice = "port=5930,addr=127.0.0.1,disable-ticketing=off";
	argv = vm_qemu_argv(vm, &qp);
	assert_string_equal(value_of(argv, "-spice", 0),
	    "port=5930,addr=127.0.0.1,disable-ticketing=off");
	assert_null(value_of(argv, "-spice", 1));
	assert_string_equal(value_of(argv, "-vnc", 0), "none");
	assert_true(has(argv, "VGA"));
	assert_false(has(argv, "qxl-vga"));
	vm_qemu_argv_free(argv);
	vm_free(vm);
}

/*
 * An overlay on a qcow2 base on a raw one: bottom up, each node's
 * backing the one fwsd built below it, the bottom's none; the backing
 * files are descriptors, read-only; the top, by its path, writable.
 */
static void
test_chain(void **state)
{
	struct vm		*vm = sample();
	struct vm_qemu_paths	 qp = paths;
	char			**argv;

	(void)state;
	qp.qp_disks[0].qd_nlayers = 3;
	qp.qp_disks[0].qd_layer[0].ql_fd = -1;
	qp.qp_disks[0].qd_layer[0].ql_format = "qcow2";
	qp.qp_disks[0].qd_layer[1].ql_fd = 7;
	qp.qp_disks[0].qd_layer[1].ql_format = "qcow2";
	qp.qp_disks[0].qd_layer[2].ql_fd = 8;
	qp.qp_disks[0].qd_layer[2].ql_format = "raw";
	argv = vm_qemu_argv(vm, &qp);
	assert_string_equal(value_of(argv, "-add-fd", 0), "fd=8,set=8");
	assert_string_equal(value_of(argv, "-add-fd", 1), "fd=7,set=7");
	assert_null(value_of(argv, "-add-fd", 2));
	assert_string_equal(value_of(argv, "-blockdev", 0),
	    "{\"driver\":\"file\",\"filename\":\"/dev/fdset/8\","
	    "\"node-name\":\"fws-disk0-2-file\",\"read-only\":true}");
	assert_string_equal(value_of(argv, "-blockdev", 1),
	    "{\"driver\":\"raw\",\"file\":\"fws-disk0-2-file\","
	    "\"node-name\":\"fws-disk0-2\",\"read-only\":true}");
	assert_string_equal(value_of(argv, "-blockdev", 3),
	    "{\"backing\":\"fws-disk0-2\",\"driver\":\"qcow2\",\"file\":"
	    "\"fws-disk0-1-file\",\"node-name\":\"fws-disk0-1\","
	    "\"read-only\":true}");
	assert_string_equal(value_of(argv, "-blockdev", 4),
	    "{\"driver\":\"file\",\"filename\":"
	    "\"/var/lib/fws/vms/web1/disk0.qcow2\",\"node-name\":"
	    "\"fws-disk0-file\",\"read-only\":false}");
	assert_string_equal(value_of(argv, "-blockdev", 5),
	    "{\"backing\":\"fws-disk0-1\",\"driver\":\"qcow2\",\"file\":"
	    "\"fws-disk0-file\",\"node-name\":\"fws-disk0\","
	    "\"read-only\":false}");
	assert_string_equal(value_of(argv, "-blockdev", 6),
	    "{\"driver\":\"throttle\",\"file\":\"fws-disk0\","
	    "\"node-name\":\"fws-io0\",\"read-only\":false,"
	    "\"throttle-group\":\"fws-io0\"}");
	assert_null(value_of(argv, "-blockdev", 7));
	vm_qemu_argv_free(argv);

	/* a disk's limits are its group's */
	vm->vm_disks[0].d_io.io_bps_wr = 5 << 20;
	vm->vm_disks[0].d_io.io_iops = 300;
	argv = vm_qemu_argv(vm, &qp);
	assert_string_equal(value_of(argv, "-object", 0),
	    "{\"id\":\"fws-io0\",\"limits\":{\"bps-read\":0,"
	    "\"bps-total\":0,\"bps-write\":5242880,\"iops-read\":0,"
	    "\"iops-total\":300,\"iops-write\":0},\"qom-type\":"
	    "\"throttle-group\"}");
	vm_qemu_argv_free(argv);
	memset(&vm->vm_disks[0].d_io, 0, sizeof(vm->vm_disks[0].d_io));

	/* a read-only image attached as a disk: a descriptor, no path */
	vm->vm_disks[0].d_readonly = 1;
	qp.qp_disks[0].qd_nlayers = 1;
	qp.qp_disks[0].qd_layer[0].ql_fd = 6;
	argv = vm_qemu_argv(vm, &qp);
	assert_string_equal(value_of(argv, "-add-fd", 0), "fd=6,set=6");
	assert_string_equal(value_of(argv, "-blockdev", 0),
	    "{\"driver\":\"file\",\"filename\":\"/dev/fdset/6\","
	    "\"node-name\":\"fws-disk0-file\",\"read-only\":true}");
	assert_string_equal(value_of(argv, "-blockdev", 1),
	    "{\"backing\":null,\"driver\":\"qcow2\",\"file\":"
	    "\"fws-disk0-file\",\"node-name\":\"fws-disk0\","
	    "\"read-only\":true}");
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
		cmocka_unit_test(test_rbd),
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_nics),
		cmocka_unit_test(test_agent),
		cmocka_unit_test(test_spice),
		cmocka_unit_test(test_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
