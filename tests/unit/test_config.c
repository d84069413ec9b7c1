/*
 * test_config.c: fwsd.conf files and what fwsd makes of them: each case
 * is a file's text and either the error it must produce or a check of
 * the resulting values.  Each quota limit has its key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "fws.h"

static char	 path[] = "/tmp/fws-conf.XXXXXX";

static int
load_text(const char *text, struct fws_config *cf, char **cause)
{
	FILE	*f;
	int	 fd;

	strcpy(path, "/tmp/fws-conf.XXXXXX");
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		return -2;
	fputs(text, f);
	fclose(f);
	config_defaults(cf);
	fd = config_load(cf, path, 1, cause);
	unlink(path);
	if (fd == 0)
		fd = config_finish(cf, cause);
	return fd;
}

static const struct {
	const char	*text;
	const char	*error;
} bad[] = {
	{ "state_dir\n", "expected \"key = value\"" },
	{ "state_dir =\n", "has no value" },
	{ "nosuchkey = 1\n", "unknown key \"nosuchkey\"" },
	{ "state_dir = relative/path\n", "not an absolute path" },
	{ "max_vcpus = 0\n", "max_vcpus" },
	{ "max_vcpus = 1000\n", "max_vcpus" },
	{ "max_vcpus = -1\n", "max_vcpus" },
	{ "max_memory = 0\n", "greater than zero" },
	{ "max_disk_size = 10X\n", "max_disk_size = 10X: invalid size" },
	{ "max_disk_size = 10\n",
	    "max_disk_size = 10: say the unit, e.g. 10G" },
	{ "quota_disk = 400\n", "quota_disk = 400: say the unit" },
	{ "template.small = 1 vcpu, 1G, 10\n",
	    "template small: 10: say the unit" },
	{ "template.n = 1 vcpu, 1G, net 100\n", "template n: 100: say the unit" },
	{ "template.n = 1 vcpu, 1G, net 100 MB\n", "invalid rate" },
	{ "template.n = 1 vcpu, 1G, net 100 mbps\n", "say bits" },
	{ "template.n = 1 vcpu, 1G, net\n", "net: invalid size" },
	{ "template.n = 1 vcpu, 1G, net 100 Mbit, 10G\n", "expected" },
	{ "quota_vm_net_rate = 100\n", "quota_vm_net_rate = 100: say the unit" },
	{ "quota_vm_net_rate = 1kbit\n", "a rate is from 64kbit" },
	{ "accel = hvf\n", "not one of: auto kvm tcg" },
	{ "rbd_pools = fws, a/b\n", "invalid RBD pool name \"a/b\"" },
	{ "rbd_pools = -x\n", "invalid RBD pool name" },
	{ "ceph_keyring = /etc/ceph/k\n", "need ceph_conf and ceph_keyring" },
	{ "ceph_conf = ceph.conf\n", "not an absolute path" },
	{ "machine = virt\n", "not one of: q35 pc" },
	{ "accel = kv\n", "not one of: auto kvm tcg" },
	{ "accel = kvm tcg\n", "not one of: auto kvm tcg" },
	{ "accel = auto kvm\n", "not one of: auto kvm tcg" },
	{ "machine = q35 pc\n", "not one of: q35 pc" },
	{ "stop_timeout = forever\n", "stop_timeout" },
	{ "image_dirs = /srv/iso relative\n", "not an absolute path" },
	{ "crash_loop_restarts = 0\n", "from 1 to 64" },
	{ "crash_loop_restarts = 65\n", "crash_loop_restarts" },
	{ "crash_loop_window = 0\n", "crash_loop_window" },
	{ "restart_delay = 1s\n", "restart_delay" },
	{ "event_history = 0\n", "event_history" },
	{ "vnc_displays = 0\n", "from 1 to 59636" },
	{ "vnc_displays = 59637\n", "vnc_displays" },
	{ "default_display = rdp\n", "not one of: vnc spice" },
	{ "default_display = SPICE\n", "not one of: vnc spice" },
	{ "spice_ports = 5999-5930\n", "spice_ports: 5999-5930 is not a range "
	    "FIRST-LAST of TCP ports from 1024 to 65535, like 5930-5999" },
	{ "spice_ports = 80-90\n", "spice_ports" },
	{ "spice_ports = 5930\n", "spice_ports" },
	{ "spice_ports = 5930-65536\n", "spice_ports" },
	{ "spice_listen = localhost\n", "not an IPv4 or IPv6 address" },
	{ "migration_ports = 1-2\n", "like 49152-49215" },
	{ "max_clients = 0\n", "max_clients: 0 is not a whole number from 1" },
	{ "max_clients_per_user = 0\n", "max_clients_per_user" },
	{ "client_idle_timeout = 86401\n", "from 0 to 86400" },
	{ "client_idle_timeout = 1m\n", "client_idle_timeout" },
	{ "console_log_max = 63K\n", "not a size from 64K to 1G" },
	{ "console_log_max = 1025M\n", "not a size from 64K to 1G" },
	{ "console_log_max = 0\n", "greater than zero" },
	{ "console_log_max = lots\n", "invalid size" },
	{ "qemu_uids = 5-100000\n", "not a range FIRST-LAST of uids from 1000" },
	{ "qemu_uids = 200000-100000\n", "qemu_uids" },
	{ "qemu_uids = 100000\n", "qemu_uids" },
	{ "qemu_uids = 100000-4294967294\n", "qemu_uids" },
	{ "quota_images = many\n", "quota_images" },
	{ "# fine\n\nqemu = /usr/bin/qemu-system-x86_64\nbogus line\n",
	    ":4: expected" },
	{ "qemu_user = fws qemu\n", "not a user or group name" },
	{ "socket_group = -fws\n", "not a user or group name" },
	{ "quota_vms = lots\n", "quota_vms" },
	{ "quota_vm_vcpus = 0\n", "quota_vm_vcpus" },
	{ "quota_vm_memory = 1.5G\n", "1.5G: a size is a whole number" },
	{ "template.small = 1 vcpu\n",
	    "expected \"VCPUS vcpu, MEMORY, DISK, cpu-max" },
	{ "template.small = 1 cpu, 1G\n", "\"cpu\" is not \"vcpu\"" },
	{ "template.small = 0 vcpu, 1G\n", "not a number of vCPUs" },
	{ "template.small = 1 vcpu, 1G, 10X\n", "invalid size" },
	{ "template.small = 1 vcpu, 1G, 1G, 1G\n", "expected" },
	{ "template.../x = 1 vcpu, 1G\n", "invalid VM name" },
	{ "template.c = 1 vcpu, 1G, 10G, loan\n", "expected" },
	{ "template.c = 1 vcpu, 1G, 10G, loan -1d\n", "negative" },
	{ "template.c = 1 vcpu, 1G, 10G, loan 120\n", "invalid duration" },
	{ "template.c = 1 vcpu, 1G, 10G, 120d\n", "expected" },
	{ "template.c = 1 vcpu, 1G, loan 1d, 10G\n", "expected" },
	{ "template.c = 1 vcpu, 1G, cpu-max 0\n", "more than 0" },
	{ "template.c = 1 vcpu, 1G, cpu-max half\n", "not a number of CPUs" },
	{ "template.c = 1 vcpu, 1G, cpu-weight 0\n", "from 1 to 10000" },
	{ "template.c = 1 vcpu, 1G, cpu-weight 10001\n", "from 1 to 10000" },
	{ "template.c = 1 vcpu, 1G, cpu-max 0.5, 10G\n", "expected" },
	{ "cgroup = ../x\n", "cgroup" },
	{ "cgroup = a/b\n", "cgroup" },
	{ "memory_overhead = 10K\n", "memory_overhead" },
	{ "memory_overhead = -1M\n", "memory_overhead" },
	{ "memory_swap = lots\n", "memory_swap" },
	{ "quota_vm_cpu_max = 0.0001\n", "thousandth" },
	{ "quota_vm_cpu_weight = 10001\n", "quota_vm_cpu_weight" },
	{ "template.c = 1 vcpu, 1G, disk 20 MB/s 0 iops\n", "from 1 to" },
	{ "template.c = 1 vcpu, 1G, disk fast\n", "disk: \"fast\"" },
	{ "template.c = 1 vcpu, 1G, disk 20\n", "disk: expected" },
	{ "template.c = 1 vcpu, 1G, disk 5/s\n", "say the unit" },
	{ "template.c = 1 vcpu, 1G, disk 2T/s\n", "from 1K/s" },
	{ "template.c = 1 vcpu, 1G, disk 5M/s, disk 9 iops\n",
	    "\"disk\" given twice" },
	{ "loan_default = 120\n", "loan_default: invalid duration" },
	{ "loan_default = -1d\n", "negative" },
	{ "loan_default = 0d\n", "zero" },
	{ "loan_grace = none\n", "loan_grace: invalid duration" },
	{ "loan_grace = 36601d\n", "longer than" },
	{ "loan_expire = never\n", "not one of: keep delete" },
	{ "loan_warn = 1d, soon\n", "loan_warn: invalid duration" },
	{ "loan_warn = 0s\n", "zero" },
	{ "loan_warn = 1s 2s 3s 4s 5s 6s 7s 8s 9s\n", "at most 8" },
	{ "quota_loan = forever\n", "quota_loan: invalid duration" },
	{ "public_host = gate;rm\n",
	    "public_host: \"gate;rm\" is not a host name" },
	{ "public_host = -oProxyCommand\n", "not a host name" },
	{ "public_host = a:b\n", "not a host name or address" },
	{ "listen_tls = example.org\n", "not an IPv4 or IPv6 address" },
	{ "listen_tls = 127.0.0.1:0\n", "the port is a number" },
	{ "listen_tls = 127.0.0.1:65536\n", "the port is a number" },
	{ "listen_tls = ::1:16514\n", "not an IPv4 or IPv6 address" },
	{ "listen_tls = [::1\n", "no ']'" },
	{ "listen_tls = 127.0.0.1\n", "listen_tls needs tls_allowed" },
	{ "listen_tls = 127.0.0.1\ntls_cert = /c\ntls_key = /k\n"
	    "tls_ca = /a\n", "listen_tls needs tls_allowed" },
	{ "tls_cert = cert.pem\n", "not an absolute path" },
	{ "tls_allowed = alice\n", "is not \"CN => admin\"" },
	{ "tls_allowed = => admin\n", "a common name of 1 to 64" },
	{ "tls_allowed = alice => \n", "not admin or a user name" },
	{ "tls_allowed = alice => bob smith\n", "not admin or a user name" },
	{ "tls_allowed = alice => admin; alice => root\n", "given twice" },
	{ "tls_allowed = alice => admin\ntls_allowed = alice => root\n",
	    "given twice" },
	{ "tls_allowed = alice => no-such-user-here\n",
	    "alice: no user named no-such-user-here" },
	{ "tls_allowed = a\tb => admin\n", "control character" },
	{ "web_url = http://lab.example.org\n", "not an https:// address" },
	{ "web_url = lab.example.org\n", "not an https:// address" },
	{ "web_url = https://\n", "is not https://HOST" },
	{ "web_url = https://lab.example.org/?x=1\n", "is not https://HOST" },
	{ "web_url = https://lab.example.org/a b\n", "is not https://HOST" },
	{ "web_url = https://lab\"<x>.org\n", "is not https://HOST" },
	{ "web_url = https:///x\n", "is not https://HOST" },
	{ "web_user = no-such-user-here\n", "web_user: no user named" },
	{ "web_user = root\n", "has uid 0" },
	{ "web_user = a b\n", "not a user or group name" },
	{ "web_token_ttl = 0\n", "web_token_ttl" },
	{ "web_token_ttl = 3601\n", "web_token_ttl" },
	{ "pam_helper = fws-pam-check\n", "not an absolute path" },
};

static void
test_bad(void **state)
{
	struct fws_config	 cf;
	char			*cause;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cause = NULL;
		assert_int_equal(load_text(bad[i].text, &cf, &cause), -1);
		if (cause == NULL || strstr(cause, bad[i].error) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i,
			    cause ? cause : "(null)", bad[i].error);
		free(cause);
		config_clear(&cf);
	}
}

static void
test_good(void **state)
{
	struct fws_config	 cf;
	char			*cause = NULL;

	(void)state;
	assert_int_equal(load_text(
	    "# fwsd.conf\n"
	    "state_dir = /srv/fws   # trailing comment\n"
	    "run_dir=/run/fws2\n"
	    "\timage_dirs = /srv/iso:/srv/images /srv/more\n"
	    "max_vcpus = 8\n"
	    "max_memory = 16G\n"
	    "max_disk_size = 100gb\n"
	    "accel = tcg\n"
	    "machine = pc\n"
	    "stop_timeout = 5\n"
	    "restart_delay = 2\n"
	    "restart_delay_max = 30\n"
	    "crash_loop_restarts = 3\n"
	    "crash_loop_window = 120\n"
	    "event_history = 500\n"
	    "qemu_user = qemu-runner\n"
	    "admin_group = wheel\n"
	    "quota_vms = 10\n"
	    "quota_vm_memory = 2G\n"
	    "quota_disk = 1TiB\n"
	    "vnc_displays = 1000\n"
	    "default_display = spice\n"
	    "spice_ports = 6000-6009\n"
	    "spice_listen = ::1\n"
	    "migration_ports = 50000-50010\n"
	    "max_clients = 100\n"
	    "max_clients_per_user = 4\n"
	    "client_idle_timeout = 0\n"
	    "console_log_max = 64K\n"
	    "qemu_uids = 200000-265535\n"
	    "quota_snapshots = 3\n"
	    "public_host = vmhost.example.org\n"
	    "template.small = 1 vcpu, 1024 MiB, 10G\n"
	    "template.big = 8 vcpus, 16 GiB\n"
	    "template.small = 2 vcpus, 2048 MiB, 20G\n"
	    "template.course = 1 vcpu, 1024 MiB, 10G, loan 120d\n"
	    "template.lab = 2 vcpus, 2G, loan\t4w\n"
	    "template.short = 1 vcpu, 512M, 0, loan 30m\n"
	    "template.fair = 2 vcpus, 1G, 10G, cpu-max 0.5, cpu-weight 50, "
	    "loan 1d\n"
	    "cgroup = fws-lab\n"
	    "memory_overhead = 64M\n"
	    "memory_swap = 0\n"
	    "template.net = 1 vcpu, 512M, 10G, net 100 Mbit, loan 1d\n"
	    "template.net2 = 1 vcpu, 512M, loan 1d, net 1gbit\n"
	    "quota_vm_net_rate = 50 Mbit\n"
	    "template.io = 1 vcpu, 1G, 10G, disk 20 MB/s 500 iops, loan 1d\n"
	    "template.io2 = 1 vcpu, 1G, loan 2d, disk 300 IOPS 5MiB/s\n"
	    "loan_default = 1d12h\n"
	    "loan_warn = 1d 7d, 1d,30s\n"
	    "loan_grace = 2w\n"
	    "loan_expire = delete\n"
	    "quota_loan = 180d\n", &cf, &cause), 0);
	assert_int_equal(cf.cf_ntemplates, 10);
	assert_int_equal(config_template_find(&cf, "fair")->t_cpu_max, 500);
	assert_int_equal(config_template_find(&cf, "fair")->t_cpu_weight, 50);
	assert_true(config_template_find(&cf, "fair")->t_loan == 86400);
	assert_true(config_template_find(&cf, "fair")->t_disk == 10ULL << 30);
	assert_int_equal(config_template_find(&cf, "course")->t_cpu_max, 0);
	assert_string_equal(cf.cf_cgroup, "fws-lab");
	assert_true(cf.cf_memory_overhead_mib == 64);
	assert_true(cf.cf_memory_swap_mib == 0);
	assert_true(config_template_find(&cf, "net")->t_net_rate == 100000000);
	assert_true(config_template_find(&cf, "net")->t_disk == 10ULL << 30);
	assert_true(config_template_find(&cf, "net")->t_loan == 86400);
	assert_true(config_template_find(&cf, "net2")->t_net_rate ==
	    1000000000);
	assert_true(config_template_find(&cf, "net2")->t_loan == 86400);
	assert_true(config_template_find(&cf, "course")->t_net_rate == 0);
	assert_true(cf.cf_quota.q_vm_net_rate == 50000000);
	assert_true(config_template_find(&cf, "io")->t_io.io_bps == 20 << 20);
	assert_true(config_template_find(&cf, "io")->t_io.io_iops == 500);
	assert_true(config_template_find(&cf, "io")->t_loan == 86400);
	assert_true(config_template_find(&cf, "io2")->t_io.io_bps == 5 << 20);
	assert_true(config_template_find(&cf, "io2")->t_io.io_iops == 300);
	assert_true(config_template_find(&cf, "io2")->t_disk == 0);
	assert_true(config_template_find(&cf, "io2")->t_loan == 2 * 86400);
	assert_true(config_template_find(&cf, "course")->t_io.io_iops == 0);
	assert_true(config_template_find(&cf, "course")->t_loan == 120 * 86400);
	assert_true(config_template_find(&cf, "course")->t_disk == 10ULL << 30);
	assert_true(config_template_find(&cf, "lab")->t_loan == 28 * 86400);
	assert_true(config_template_find(&cf, "lab")->t_disk == 0);
	assert_true(config_template_find(&cf, "short")->t_loan == 1800);
	assert_true(config_template_find(&cf, "big")->t_loan == 0);
	assert_true(cf.cf_loan_default == 86400 + 12 * 3600);
	/* largest first, each once */
	assert_int_equal(cf.cf_loan_nwarn, 3);
	assert_true(cf.cf_loan_warn[0] == 7 * 86400);
	assert_true(cf.cf_loan_warn[1] == 86400);
	assert_true(cf.cf_loan_warn[2] == 30);
	assert_true(cf.cf_loan_grace == 14 * 86400);
	assert_string_equal(cf.cf_loan_expire, "delete");
	assert_true(cf.cf_quota.q_loan == 180 * 86400);
	assert_string_equal(cf.cf_qemu_user, "qemu-runner");
	assert_string_equal(cf.cf_admin_group, "wheel");
	assert_string_equal(cf.cf_socket_group, "fws");
	assert_true(cf.cf_quota.q_vms == 10);
	assert_int_equal(cf.cf_vnc_displays, 1000);
	assert_string_equal(cf.cf_default_display, "spice");
	assert_int_equal(cf.cf_spice_port_first, 6000);
	assert_int_equal(cf.cf_spice_port_last, 6009);
	assert_string_equal(cf.cf_spice_listen, "::1");
	assert_int_equal(cf.cf_mig_port_first, 50000);
	assert_int_equal(cf.cf_mig_port_last, 50010);
	assert_int_equal(cf.cf_max_clients, 100);
	assert_int_equal(cf.cf_max_clients_per_user, 4);
	assert_int_equal(cf.cf_client_idle_timeout, 0);	/* never */
	assert_true(cf.cf_console_log_max == 64 << 10);
	assert_true(cf.cf_qemu_uid_first == 200000);
	assert_true(cf.cf_qemu_uid_last == 265535);
	assert_true(cf.cf_quota.q_snapshots == 3);
	assert_string_equal(cf.cf_public_host, "vmhost.example.org");
	assert_true(cf.cf_quota.q_images == 10);	/* the default */
	assert_true(cf.cf_quota.q_vm_memory_mib == 2048);
	assert_true(cf.cf_quota.q_disk == 1ULL << 40);
	assert_true(cf.cf_quota.q_vm_vcpus == 4);	/* the default */
	/* a template given twice: the later one */
	assert_int_equal(config_template_find(&cf, "small")->t_vcpus, 2);
	assert_true(config_template_find(&cf, "small")->t_disk == 20ULL << 30);
	assert_true(config_template_find(&cf, "big")->t_memory_mib == 16384);
	assert_true(config_template_find(&cf, "big")->t_disk == 0);
	assert_null(config_template_find(&cf, "medium"));
	assert_string_equal(cf.cf_state_dir, "/srv/fws");
	assert_string_equal(cf.cf_run_dir, "/run/fws2");
	assert_int_equal(cf.cf_nimage_dirs, 3);
	assert_string_equal(cf.cf_image_dirs[0], "/srv/iso");
	assert_string_equal(cf.cf_image_dirs[2], "/srv/more");
	assert_int_equal(cf.cf_max_vcpus, 8);
	assert_true(cf.cf_max_memory_mib == 16384);
	assert_true(cf.cf_max_disk_size == 100ULL << 30);
	assert_string_equal(cf.cf_accel, "tcg");
	assert_string_equal(cf.cf_machine, "pc");
	assert_int_equal(cf.cf_stop_timeout, 5);
	assert_int_equal(cf.cf_restart_delay, 2);
	assert_int_equal(cf.cf_restart_delay_max, 30);
	assert_int_equal(cf.cf_crash_loop_restarts, 3);
	assert_int_equal(cf.cf_crash_loop_window, 120);
	assert_int_equal(cf.cf_event_history, 500);
	config_clear(&cf);
}

static void
test_defaults(void **state)
{
	struct fws_config	 cf;
	char			*cause = NULL;

	(void)state;
	config_defaults(&cf);
	/* a missing default file is fine, a missing --config file is not */
	assert_int_equal(config_load(&cf, "/nonexistent/fwsd.conf", 0,
	    &cause), 0);
	assert_int_equal(config_load(&cf, "/nonexistent/fwsd.conf", 1,
	    &cause), -1);
	assert_non_null(strstr(cause, "/nonexistent/fwsd.conf"));
	free(cause);
	assert_int_equal(config_finish(&cf, &cause), 0);
	assert_string_equal(cf.cf_state_dir, FWS_STATE_DIR_DEFAULT);
	assert_int_equal(cf.cf_nimage_dirs, 1);
	assert_string_equal(cf.cf_image_dirs[0], FWS_STATE_DIR_DEFAULT
	    "/images");
	assert_string_equal(cf.cf_accel, "auto");
	/* VNC by default; SPICE, when chosen, where VNC listens */
	assert_string_equal(cf.cf_default_display, "vnc");
	assert_string_equal(cf.cf_spice_listen, cf.cf_vnc_listen);
	assert_int_equal(cf.cf_spice_port_first, FWS_SPICE_PORT_FIRST);
	assert_int_equal(cf.cf_spice_port_last, FWS_SPICE_PORT_LAST);
	assert_int_equal(cf.cf_stop_timeout, FWS_STOP_TIMEOUT);
	assert_int_equal(cf.cf_restart_delay, 1);
	assert_int_equal(cf.cf_restart_delay_max, 60);
	assert_int_equal(cf.cf_crash_loop_restarts, 5);
	assert_int_equal(cf.cf_crash_loop_window, 300);
	assert_int_equal(cf.cf_max_clients, FWS_MAX_CLIENTS);
	assert_int_equal(cf.cf_max_clients_per_user, FWS_MAX_CLIENTS_USER);
	assert_int_equal(cf.cf_client_idle_timeout, FWS_CLIENT_IDLE);
	assert_true(cf.cf_console_log_max == 1 << 20);
	assert_true(cf.cf_qemu_uid_first == FWS_QEMU_UID_FIRST);
	assert_true(cf.cf_qemu_uid_last == FWS_QEMU_UID_LAST);
	/* no loans unless asked for; warnings a week and a day before */
	assert_true(cf.cf_loan_default == 0);
	assert_true(cf.cf_quota.q_loan == 0);
	assert_int_equal(cf.cf_loan_nwarn, 2);
	assert_true(cf.cf_loan_warn[0] == 7 * 86400);
	assert_true(cf.cf_loan_warn[1] == 86400);
	assert_true(cf.cf_loan_grace == 30 * 86400);
	assert_string_equal(cf.cf_loan_expire, "keep");
	/* the host's own name, unless set */
	assert_non_null(cf.cf_public_host);
	assert_true(cf.cf_public_host[0] != '\0');
	config_clear(&cf);
}

/* "none" where no loan, no maximum or no warning is a choice. */
static void
test_loan_none(void **state)
{
	struct fws_config	 cf;
	char			*cause = NULL;

	(void)state;
	assert_int_equal(load_text("loan_default = 30d\nloan_default = none\n"
	    "quota_loan = none\nloan_warn = none\n", &cf, &cause), 0);
	assert_true(cf.cf_loan_default == 0);
	assert_true(cf.cf_quota.q_loan == 0);
	assert_int_equal(cf.cf_loan_nwarn, 0);
	config_clear(&cf);
	/* a disk's I/O ceilings: none is no ceiling, 0 is no value */
	assert_int_equal(load_text("quota_vm_disk_iops = 5\n"
	    "quota_vm_disk_iops = none\nquota_vm_disk_bps = 5M\n"
	    "quota_vm_disk_bps = none\n", &cf, &cause), 0);
	assert_true(cf.cf_quota.q_vm_disk_iops == 0);
	assert_true(cf.cf_quota.q_vm_disk_bps == 0);
	config_clear(&cf);
	assert_int_equal(load_text("quota_vm_disk_iops = 0\n", &cf, &cause),
	    -1);
	free(cause);
	config_clear(&cf);
	cause = NULL;
	assert_int_equal(load_text("quota_vm_disk_bps = 5\n", &cf, &cause),
	    -1);
	free(cause);
	config_clear(&cf);
}

/* Each limit of QUOTA_FIELDS is set by its key, in its member. */
static void
test_quota_keys(void **state)
{
#define QUOTA_TEST_KEY(col, opt, key, kind, used, what, label) \
	{ key, kind, offsetof(struct quota, q_##col) },
	static const struct {
		const char	*key;
		enum quota_kind	 kind;
		size_t		 off;
	} keys[] = { QUOTA_FIELDS(QUOTA_TEST_KEY) };
#undef QUOTA_TEST_KEY
	/* a value of each kind, and what it is in the member */
	static const struct {
		const char	*text;
		uint64_t	 value;
	} val[] = {
		[QUOTA_COUNT] = { "3", 3 },
		[QUOTA_MIB] = { "3G", 3 * 1024 },
		[QUOTA_BYTES] = { "3G", 3ULL << 30 },
		[QUOTA_SECS] = { "3h", 3 * 3600 },
		[QUOTA_CEILING] = { "3", 3 },
		[QUOTA_CPUS] = { "1.5", 1500 },
		[QUOTA_RATE] = { "3mbit", 3000000 },
		[QUOTA_IOPS] = { "300", 300 },
		[QUOTA_BPS] = { "3M", 3ULL << 20 },
		/* quota_vm_disk_iops = none, _bps = none: test_loan_none */
	};
	struct fws_config	 cf;
	char			*cause = NULL, *text;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		text = xasprintf("%s = %s\n", keys[i].key,
		    val[keys[i].kind].text);
		if (load_text(text, &cf, &cause) != 0)
			fail_msg("%s: %s", text, cause ? cause : "(null)");
		assert_true(*(uint64_t *)((char *)&cf.cf_quota + keys[i].off) ==
		    val[keys[i].kind].value);
		config_clear(&cf);
		free(text);
	}
}

/* listen_tls and tls_allowed: entries add up, names become uids */
static void
test_tls(void **state)
{
	struct fws_config	 cf;
	char			*cause = NULL;

	(void)state;
	if (load_text("listen_tls = [::1]:7000\ntls_cert = /c\n"
	    "tls_key = /k\ntls_ca = /a\n"
	    "tls_allowed = ops team => admin ; root-cn => root;\n"
	    "tls_allowed = n => 4242\n", &cf, &cause) != 0)
		fail_msg("%s", cause ? cause : "(null)");
	assert_string_equal(cf.cf_listen_tls, "[::1]:7000");
	assert_int_equal(cf.cf_ntls_allowed, 3);
	assert_string_equal(cf.cf_tls_allowed[0].ta_cn, "ops team");
	assert_null(cf.cf_tls_allowed[0].ta_user);
	assert_int_equal(cf.cf_tls_allowed[0].ta_uid, 0);
	assert_string_equal(cf.cf_tls_allowed[1].ta_cn, "root-cn");
	assert_string_equal(cf.cf_tls_allowed[1].ta_user, "root");
	assert_int_equal(cf.cf_tls_allowed[1].ta_uid, 0);
	assert_int_equal(cf.cf_tls_allowed[2].ta_uid, 4242);
	assert_null(cf.cf_tls_crl);
	config_clear(&cf);
	/* off by default, and with "none"; fwsd's files in /etc/fws/tls */
	assert_int_equal(load_text("listen_tls = 127.0.0.1\n"
	    "listen_tls = none\n", &cf, &cause), 0);
	assert_null(cf.cf_listen_tls);
	assert_int_equal(cf.cf_ntls_allowed, 0);
	assert_string_equal(cf.cf_tls_cert, "/etc/fws/tls/cert.pem");
	assert_string_equal(cf.cf_tls_key, "/etc/fws/tls/key.pem");
	assert_string_equal(cf.cf_tls_ca, "/etc/fws/tls/ca.pem");
	config_clear(&cf);
}

/* the web panel: none by default; web_url loses its trailing / */
static void
test_web(void **state)
{
	struct fws_config	 cf;
	char			*cause = NULL;

	(void)state;
	assert_int_equal(load_text("", &cf, &cause), 0);
	assert_null(cf.cf_web_user);
	assert_int_equal(cf.cf_web_uid, (uid_t)-1);
	assert_null(cf.cf_web_url);
	assert_int_equal(cf.cf_web_token_ttl, 120);
	assert_non_null(strstr(cf.cf_pam_helper, "/fws-pam-check"));
	config_clear(&cf);
	if (load_text("web_user = nobody\n"
	    "web_url = https://[::1]:8443/fws//\nweb_token_ttl = 5\n"
	    "pam_helper = /opt/check\n", &cf, &cause) != 0)
		fail_msg("%s", cause ? cause : "(null)");
	assert_string_equal(cf.cf_web_user, "nobody");
	assert_int_not_equal(cf.cf_web_uid, (uid_t)-1);
	assert_int_not_equal(cf.cf_web_uid, 0);
	assert_string_equal(cf.cf_web_url, "https://[::1]:8443/fws");
	assert_int_equal(cf.cf_web_token_ttl, 5);
	assert_string_equal(cf.cf_pam_helper, "/opt/check");
	config_clear(&cf);
	assert_int_equal(load_text("web_user = nobody\nweb_user = none\n"
	    "web_url = none\n", &cf, &cause), 0);
	assert_null(cf.cf_web_user);
	assert_int_equal(cf.cf_web_uid, (uid_t)-1);
	assert_null(cf.cf_web_url);
	config_clear(&cf);
}

/* the Ceph cluster: none by default; the pools users may use, kept "a b" */
static void
test_ceph(void **state)
{
	struct fws_config	 cf;
	char			*cause = NULL;

	(void)state;
	assert_int_equal(load_text("", &cf, &cause), 0);
	assert_null(cf.cf_ceph_conf);
	assert_null(cf.cf_ceph_keyring);
	assert_null(cf.cf_rbd_pools);
	assert_string_equal(cf.cf_ceph_user, "fws");
	config_clear(&cf);
	if (load_text("ceph_conf = /etc/ceph/ceph.conf\n"
	    "ceph_keyring = /etc/ceph/ceph.client.vm.keyring\n"
	    "ceph_user = vm\nrbd_pools = fws,  vms\tlab\n", &cf, &cause) != 0)
		fail_msg("%s", cause ? cause : "(null)");
	assert_string_equal(cf.cf_ceph_conf, "/etc/ceph/ceph.conf");
	assert_string_equal(cf.cf_ceph_user, "vm");
	assert_string_equal(cf.cf_rbd_pools, "fws vms lab");
	config_clear(&cf);
	assert_int_equal(load_text("ceph_conf = none\nceph_keyring = none\n"
	    "rbd_pools = none\n", &cf, &cause), 0);
	assert_null(cf.cf_ceph_conf);
	assert_null(cf.cf_rbd_pools);
	config_clear(&cf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_loan_none),
		cmocka_unit_test(test_quota_keys),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_ceph),
		cmocka_unit_test(test_web),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
