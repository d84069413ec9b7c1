/*
 * config.c: fwsd.conf, a file of "key = value" lines ('#' starts a
 * comment), and the defaults behind it.  It knows the keys and their
 * types; fwsd.c applies command-line overrides on top.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? xasprintf("%s", v) : NULL;
}

void
config_defaults(struct fws_config *cf)
{
	memset(cf, 0, sizeof(*cf));
	set_str(&cf->cf_state_dir, FWS_STATE_DIR_DEFAULT);
	set_str(&cf->cf_run_dir, FWS_RUN_DIR_DEFAULT);
	set_str(&cf->cf_qemu, FWS_QEMU_DEFAULT);
	set_str(&cf->cf_qemu_img, FWS_QEMU_IMG_DEFAULT);
	set_str(&cf->cf_machine, "q35");
	set_str(&cf->cf_accel, "auto");
	set_str(&cf->cf_vnc_listen, "127.0.0.1");
	cf->cf_vnc_displays = FWS_VNC_DISPLAYS;
	set_str(&cf->cf_default_display, "vnc");
	cf->cf_spice_port_first = FWS_SPICE_PORT_FIRST;
	cf->cf_spice_port_last = FWS_SPICE_PORT_LAST;
	set_str(&cf->cf_socket_group, FWS_SOCKET_GROUP);
	set_str(&cf->cf_admin_group, FWS_ADMIN_GROUP);
	set_str(&cf->cf_qemu_user, FWS_QEMU_USER);
	set_str(&cf->cf_ceph_user, FWS_CEPH_USER);
	cf->cf_qemu_uid_first = FWS_QEMU_UID_FIRST;
	cf->cf_qemu_uid_last = FWS_QEMU_UID_LAST;
	cf->cf_quota.q_vms = 4;
	cf->cf_quota.q_vm_vcpus = 4;
	cf->cf_quota.q_vm_memory_mib = 8 * 1024;
	cf->cf_quota.q_vm_disk = 100ULL << 30;
	cf->cf_quota.q_vcpus = 8;
	cf->cf_quota.q_memory_mib = 16 * 1024;
	cf->cf_quota.q_disk = 400ULL << 30;
	cf->cf_quota.q_images = 10;
	cf->cf_quota.q_snapshots = 10;
	cf->cf_max_vcpus = 16;
	cf->cf_max_memory_mib = 64 * 1024;
	cf->cf_max_disk_size = 2ULL << 40;
	cf->cf_stop_timeout = FWS_STOP_TIMEOUT;
	cf->cf_restart_delay = 1;
	cf->cf_restart_delay_max = 60;
	cf->cf_crash_loop_restarts = 5;
	cf->cf_crash_loop_window = 300;
	cf->cf_event_history = 10000;
	cf->cf_max_clients = FWS_MAX_CLIENTS;
	cf->cf_max_clients_per_user = FWS_MAX_CLIENTS_USER;
	cf->cf_client_idle_timeout = FWS_CLIENT_IDLE;
	cf->cf_image_check_timeout = FWS_IMAGE_CHECK_TIMEOUT;
	cf->cf_console_log_max = FWS_CONSOLE_LOG_MAX;
	cf->cf_loan_warn[0] = 7 * 86400;
	cf->cf_loan_warn[1] = 86400;
	cf->cf_loan_nwarn = 2;
	cf->cf_loan_grace = 30 * 86400;
	set_str(&cf->cf_loan_expire, "keep");
	set_str(&cf->cf_cgroup, FWS_CGROUP_DEFAULT);
	cf->cf_memory_overhead_mib = FWS_MEMORY_OVERHEAD;
	set_str(&cf->cf_tls_cert, FWS_TLS_DIR "/cert.pem");
	set_str(&cf->cf_tls_key, FWS_TLS_DIR "/key.pem");
	set_str(&cf->cf_tls_ca, FWS_TLS_DIR "/ca.pem");
	cf->cf_mig_port_first = FWS_MIG_PORT_FIRST;
	cf->cf_mig_port_last = FWS_MIG_PORT_LAST;
	set_str(&cf->cf_mig_tls, "yes");
	set_str(&cf->cf_cgroup_dynmods, "no");
	cf->cf_web_uid = (uid_t)-1;
	cf->cf_web_token_ttl = FWS_WEB_TOKEN_TTL;
}

static int
parse_uint(const char *v, uint64_t max, uint64_t *out)
{
	char			*end;
	unsigned long long	 n;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || n > max)
		return -1;
	*out = n;
	return 0;
}

static int
set_image_dirs(struct fws_config *cf, const char *v, char **cause)
{
	char	*copy, *p, *dir;
	int	 i, rc = 0;

	for (i = 0; i < cf->cf_nimage_dirs; i++)
		free(cf->cf_image_dirs[i]);
	cf->cf_nimage_dirs = 0;
	copy = p = xasprintf("%s", v);
	while (rc == 0 && (dir = strsep(&p, ": \t")) != NULL) {
		if (*dir == '\0')
			continue;
		if (*dir != '/')
			rc = cause_fail(cause, "%s is not an absolute path", dir);
		else if (cf->cf_nimage_dirs == FWS_IMAGE_DIRS_MAX)
			rc = cause_fail(cause, "at most %d directories",
			    FWS_IMAGE_DIRS_MAX);
		else
			cf->cf_image_dirs[cf->cf_nimage_dirs++] =
			    xasprintf("%s", dir);
	}
	free(copy);
	return rc;
}

enum config_type {
	CONFIG_PATH,		/* an absolute path */
	CONFIG_DIRS,		/* absolute paths, ':' or blank separated */
	CONFIG_CHOICE,		/* one of k_choices */
	CONFIG_UINT,		/* k_min .. k_max */
	CONFIG_COUNT,		/* the same, into a 64-bit field */
	CONFIG_MEMORY,		/* MiB, or a size with a suffix */
	CONFIG_SIZE,		/* bytes, with an optional suffix; k_min ..
				   k_max unless k_max is 0 */
	CONFIG_ADDR,		/* an IPv4 or IPv6 address; k_choices:
				   this word too (NULL) */
	CONFIG_HOST,		/* a host name, or an address */
	CONFIG_WORD,		/* a user or group name */
	CONFIG_UIDS,		/* FIRST-LAST: the qemu uids */
	CONFIG_DURATION,	/* s; "none" (0) too when k_min is 0 */
	CONFIG_DURATIONS,	/* loan_warn: durations, or "none" */
	CONFIG_MEMORY0,		/* CONFIG_MEMORY, or 0 */
	CONFIG_CGROUP,		/* a plain name, or "none" */
	CONFIG_CPUS,		/* CPUs, "1.5", in thousandths; "none": 0 */
	CONFIG_CEILING,		/* CONFIG_COUNT, or "none": 0 */
	CONFIG_RATE,		/* bit/s, as tc writes them; "none" (0) */
	CONFIG_LISTEN,		/* ADDRESS[:PORT], a numeric address */
	CONFIG_ALLOWED,		/* tls_allowed: CN => admin|USER; ... */
	CONFIG_PORTS,		/* FIRST-LAST: TCP ports, into two
				   unsigned fields side by side */
	CONFIG_POOLS,		/* RBD pool names, ',' or blank separated;
				   "none" */
	CONFIG_PATH_NONE,	/* an absolute path, or "none" (NULL) */
	CONFIG_WORD_NONE,	/* CONFIG_WORD, or "none" (NULL) */
	CONFIG_URL,		/* an https:// URL, or "none" (NULL) */
};

/* Every key fwsd.conf knows, kept sorted. */
static const struct config_key {
	const char		*k_name;
	enum config_type	 k_type;
	size_t			 k_off;
	const char		*k_choices;	/* CONFIG_CHOICE: blank separated;
						   COUNT, SIZE: "none" takes
						   "none" (0: no limit) */
	uint64_t		 k_max;		/* CONFIG_UINT, COUNT, SIZE */
	uint64_t		 k_min;
} config_keys[] = {
	{ "accel", CONFIG_CHOICE, offsetof(struct fws_config, cf_accel),
	    "auto kvm tcg", 0, 0 },
	{ "admin_group", CONFIG_WORD,
	    offsetof(struct fws_config, cf_admin_group), NULL, 0, 0 },
	{ "ceph_conf", CONFIG_PATH_NONE,
	    offsetof(struct fws_config, cf_ceph_conf), NULL, 0, 0 },
	{ "ceph_keyring", CONFIG_PATH_NONE,
	    offsetof(struct fws_config, cf_ceph_keyring), NULL, 0, 0 },
	{ "ceph_user", CONFIG_WORD, offsetof(struct fws_config, cf_ceph_user),
	    NULL, 0, 0 },
	{ "cgroup", CONFIG_CGROUP, offsetof(struct fws_config, cf_cgroup),
	    NULL, 0, 0 },
	{ "cgroup_favordynmods", CONFIG_CHOICE, offsetof(struct fws_config,
	    cf_cgroup_dynmods), "yes no", 0, 0 },
	{ "client_idle_timeout", CONFIG_UINT,
	    offsetof(struct fws_config, cf_client_idle_timeout), NULL, 86400,
	    0 },
	{ "console_log_max", CONFIG_SIZE,
	    offsetof(struct fws_config, cf_console_log_max), NULL,
	    FWS_CONSOLE_LOG_LIMIT, FWS_CONSOLE_LOG_MIN },
	{ "crash_loop_restarts", CONFIG_UINT,
	    offsetof(struct fws_config, cf_crash_loop_restarts), NULL,
	    FWS_CRASH_LOOP_MAX, 1 },
	{ "crash_loop_window", CONFIG_UINT,
	    offsetof(struct fws_config, cf_crash_loop_window), NULL, 86400, 1 },
	{ "default_display", CONFIG_CHOICE,
	    offsetof(struct fws_config, cf_default_display), "vnc spice", 0,
	    0 },
	{ "disk_dir", CONFIG_PATH, offsetof(struct fws_config, cf_disk_dir),
	    NULL, 0, 0 },
	{ "event_history", CONFIG_UINT,
	    offsetof(struct fws_config, cf_event_history), NULL, 10000000, 1 },
	{ "image_check_timeout", CONFIG_UINT,
	    offsetof(struct fws_config, cf_image_check_timeout), NULL, 86400,
	    10 },
	{ "image_checker", CONFIG_PATH,
	    offsetof(struct fws_config, cf_image_checker), NULL, 0, 0 },
	{ "image_dirs", CONFIG_DIRS, 0, NULL, 0, 0 },
	{ "listen_tls", CONFIG_LISTEN,
	    offsetof(struct fws_config, cf_listen_tls), NULL, 0, 0 },
	{ "loan_default", CONFIG_DURATION,
	    offsetof(struct fws_config, cf_loan_default), NULL, 0, 0 },
	{ "loan_expire", CONFIG_CHOICE,
	    offsetof(struct fws_config, cf_loan_expire), "keep delete", 0, 0 },
	{ "loan_grace", CONFIG_DURATION,
	    offsetof(struct fws_config, cf_loan_grace), NULL, 0, 1 },
	{ "loan_warn", CONFIG_DURATIONS, 0, NULL, 0, 0 },
	{ "machine", CONFIG_CHOICE, offsetof(struct fws_config, cf_machine),
	    "q35 pc", 0, 0 },
	{ "max_clients", CONFIG_UINT,
	    offsetof(struct fws_config, cf_max_clients), NULL, 1000000, 1 },
	{ "max_clients_per_user", CONFIG_UINT,
	    offsetof(struct fws_config, cf_max_clients_per_user), NULL, 1000000,
	    1 },
	{ "max_disk_size", CONFIG_SIZE,
	    offsetof(struct fws_config, cf_max_disk_size), NULL, 0, 0 },
	{ "max_memory", CONFIG_MEMORY,
	    offsetof(struct fws_config, cf_max_memory_mib), NULL, 0, 0 },
	{ "max_vcpus", CONFIG_UINT, offsetof(struct fws_config, cf_max_vcpus),
	    NULL, FWS_VCPUS_LIMIT, 1 },
	{ "memory_overhead", CONFIG_MEMORY0,
	    offsetof(struct fws_config, cf_memory_overhead_mib), NULL, 0, 0 },
	{ "memory_swap", CONFIG_MEMORY0,
	    offsetof(struct fws_config, cf_memory_swap_mib), NULL, 0, 0 },
	{ "migration_address", CONFIG_ADDR,
	    offsetof(struct fws_config, cf_mig_address), "none", 0, 0 },
	{ "migration_ports", CONFIG_PORTS,
	    offsetof(struct fws_config, cf_mig_port_first), NULL, 0, 0 },
	{ "migration_tls", CONFIG_CHOICE, offsetof(struct fws_config,
	    cf_mig_tls), "yes no", 0, 0 },
	{ "public_host", CONFIG_HOST,
	    offsetof(struct fws_config, cf_public_host), NULL, 0, 0 },
	{ "qemu", CONFIG_PATH, offsetof(struct fws_config, cf_qemu),
	    NULL, 0, 0 },
	{ "qemu_img", CONFIG_PATH, offsetof(struct fws_config, cf_qemu_img),
	    NULL, 0, 0 },
	{ "qemu_uids", CONFIG_UIDS, 0, NULL, 0, 0 },
	{ "pam_helper", CONFIG_PATH, offsetof(struct fws_config, cf_pam_helper),
	    NULL, 0, 0 },
	{ "qemu_user", CONFIG_WORD, offsetof(struct fws_config, cf_qemu_user),
	    NULL, 0, 0 },
	{ "quota_disk", CONFIG_SIZE,
	    offsetof(struct fws_config, cf_quota.q_disk), NULL, 0, 0 },
	{ "quota_images", CONFIG_COUNT,
	    offsetof(struct fws_config, cf_quota.q_images), NULL, 100000, 0 },
	{ "quota_loan", CONFIG_DURATION,
	    offsetof(struct fws_config, cf_quota.q_loan), NULL, 0, 0 },
	{ "quota_memory", CONFIG_MEMORY,
	    offsetof(struct fws_config, cf_quota.q_memory_mib), NULL, 0, 0 },
	{ "quota_snapshots", CONFIG_COUNT,
	    offsetof(struct fws_config, cf_quota.q_snapshots), NULL, 100000, 0 },
	{ "quota_vcpus", CONFIG_COUNT,
	    offsetof(struct fws_config, cf_quota.q_vcpus), NULL, 65535, 0 },
	{ "quota_vm_cpu_max", CONFIG_CPUS,
	    offsetof(struct fws_config, cf_quota.q_vm_cpu_max), NULL, 0, 0 },
	{ "quota_vm_cpu_weight", CONFIG_CEILING,
	    offsetof(struct fws_config, cf_quota.q_vm_cpu_weight), NULL,
	    FWS_CPU_WEIGHT_MAX, 0 },
	{ "quota_vm_disk", CONFIG_SIZE,
	    offsetof(struct fws_config, cf_quota.q_vm_disk), NULL, 0, 0 },
	{ "quota_vm_disk_bps", CONFIG_SIZE,
	    offsetof(struct fws_config, cf_quota.q_vm_disk_bps), "none",
	    DISK_IO_BPS_MAX, DISK_IO_BPS_MIN },
	{ "quota_vm_disk_iops", CONFIG_COUNT,
	    offsetof(struct fws_config, cf_quota.q_vm_disk_iops), "none",
	    DISK_IO_IOPS_MAX, 1 },
	{ "quota_vm_memory", CONFIG_MEMORY,
	    offsetof(struct fws_config, cf_quota.q_vm_memory_mib), NULL, 0, 0 },
	{ "quota_vm_net_rate", CONFIG_RATE,
	    offsetof(struct fws_config, cf_quota.q_vm_net_rate), NULL, 0, 0 },
	{ "quota_vm_vcpus", CONFIG_COUNT,
	    offsetof(struct fws_config, cf_quota.q_vm_vcpus), NULL,
	    FWS_VCPUS_LIMIT, 1 },
	{ "quota_vms", CONFIG_COUNT,
	    offsetof(struct fws_config, cf_quota.q_vms), NULL, 100000, 0 },
	{ "restart_delay", CONFIG_UINT,
	    offsetof(struct fws_config, cf_restart_delay), NULL, 3600, 0 },
	{ "restart_delay_max", CONFIG_UINT,
	    offsetof(struct fws_config, cf_restart_delay_max), NULL, 86400, 0 },
	{ "rbd_pools", CONFIG_POOLS, offsetof(struct fws_config, cf_rbd_pools),
	    NULL, 0, 0 },
	{ "run_dir", CONFIG_PATH, offsetof(struct fws_config, cf_run_dir),
	    NULL, 0, 0 },
	{ "socket_group", CONFIG_WORD,
	    offsetof(struct fws_config, cf_socket_group), NULL, 0, 0 },
	{ "spice_listen", CONFIG_ADDR,
	    offsetof(struct fws_config, cf_spice_listen), NULL, 0, 0 },
	{ "spice_ports", CONFIG_PORTS,
	    offsetof(struct fws_config, cf_spice_port_first), NULL, 0, 0 },
	{ "state_dir", CONFIG_PATH, offsetof(struct fws_config, cf_state_dir),
	    NULL, 0, 0 },
	{ "stop_timeout", CONFIG_UINT,
	    offsetof(struct fws_config, cf_stop_timeout), NULL, 3600, 0 },
	{ "tls_allowed", CONFIG_ALLOWED, 0, NULL, 0, 0 },
	{ "tls_ca", CONFIG_PATH, offsetof(struct fws_config, cf_tls_ca),
	    NULL, 0, 0 },
	{ "tls_cert", CONFIG_PATH, offsetof(struct fws_config, cf_tls_cert),
	    NULL, 0, 0 },
	{ "tls_crl", CONFIG_PATH, offsetof(struct fws_config, cf_tls_crl),
	    NULL, 0, 0 },
	{ "tls_key", CONFIG_PATH, offsetof(struct fws_config, cf_tls_key),
	    NULL, 0, 0 },
	{ "vnc_displays", CONFIG_UINT,
	    offsetof(struct fws_config, cf_vnc_displays), NULL,
	    FWS_VNC_DISPLAYS_MAX, 1 },
	{ "vnc_listen", CONFIG_ADDR,
	    offsetof(struct fws_config, cf_vnc_listen), NULL, 0, 0 },
	{ "web_token_ttl", CONFIG_UINT,
	    offsetof(struct fws_config, cf_web_token_ttl), NULL, 3600, 1 },
	{ "web_url", CONFIG_URL, offsetof(struct fws_config, cf_web_url),
	    NULL, 0, 0 },
	{ "web_user", CONFIG_WORD_NONE,
	    offsetof(struct fws_config, cf_web_user), NULL, 0, 0 },
};


#define CONFIG_TEMPLATE		"template."
#define CONFIG_WORD_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
				"abcdefghijklmnopqrstuvwxyz0123456789_.-"
#define CONFIG_HOST_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
				"abcdefghijklmnopqrstuvwxyz0123456789.-:"
#define CONFIG_HOST_MAX		253	/* a DNS name's longest */
/* what web_url may hold after https://: a login link is built on it */
#define CONFIG_URL_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
				"abcdefghijklmnopqrstuvwxyz0123456789" \
				".-:[]/_~%"

/* "1024 MiB" and "1024MiB" alike: a size without its blanks. */
static char *
squeeze(const char *s)
{
	char	*out = xasprintf("%s", s), *p, *q;

	for (p = q = out; *p != '\0'; p++)
		if (*p != ' ' && *p != '\t')
			*q++ = *p;
	*q = '\0';
	return out;
}

/* A template's "loan 120d": how long its VMs are lent. */
static int
config_template_loan(struct fws_template *t, char *v, char **why)
{
	return parse_duration(conf_trim(v), &t->t_loan, why);
}

/* A template's "cpu-max 0.5": its VMs' CPU cap, in CPUs. */
static int
config_template_cpu_max(struct fws_template *t, char *v, char **why)
{
	return parse_cpus(conf_trim(v), &t->t_cpu_max, why);
}

/* A template's "cpu-weight 100": its VMs' CPU weight. */
static int
config_template_cpu_weight(struct fws_template *t, char *v, char **why)
{
	uint64_t	 n;

	v = conf_trim(v);
	if (parse_uint(v, FWS_CPU_WEIGHT_MAX, &n) == -1 || n == 0)
		return cause_fail(why, "cpu-weight %s is not a number from 1 "
		    "to %d", v, FWS_CPU_WEIGHT_MAX);
	t->t_cpu_weight = n;
	return 0;
}

/* A template's "net 100 Mbit": each of its VMs' NICs' rate. */
static int
config_template_net(struct fws_template *t, char *v, char **why)
{
	char	*rate = squeeze(v);
	int	 rc;

	rc = parse_rate(rate, &t->t_net_rate, why);
	free(rate);
	return rc;
}

/*
 * A template's "disk 20 MB/s 500 iops" (either part may be left out):
 * its disks' I/O limits, bytes a second (the size grammar, "/s" after
 * the unit) and operations a second.
 */
static int
config_template_disk(struct fws_template *t, char *v, char **why)
{
	char		*w, *num = NULL, *sz, *end;
	unsigned long long n;
	size_t		 len;
	int		 rc;

	while ((w = strsep(&v, " \t")) != NULL) {
		if (*w == '\0')
			continue;
		len = strlen(w);
		if (strcasecmp(w, "iops") == 0 && num != NULL) {
			n = strtoull(num, &end, 10);
			if (*num < '0' || *num > '9' || *end != '\0' || n == 0 ||
			    n > DISK_IO_IOPS_MAX)
				return cause_fail(why, "disk: %s iops: operations "
				    "a second from 1 to %d", num,
				    DISK_IO_IOPS_MAX);
			t->t_io.io_iops = n;
			num = NULL;
		} else if (len > 2 && strcmp(w + len - 2, "/s") == 0) {
			w[len - 2] = '\0';
			sz = xasprintf("%s%s", num ? num : "", w);
			rc = parse_size(sz, &t->t_io.io_bps, why);
			free(sz);
			if (rc == -1)
				return -1;
			if (t->t_io.io_bps < DISK_IO_BPS_MIN ||
			    t->t_io.io_bps > DISK_IO_BPS_MAX)
				return cause_fail(why, "disk: bytes a second "
				    "from 1K/s to 1T/s");
			num = NULL;
		} else if (num == NULL && *w >= '0' && *w <= '9')
			num = w;
		else
			return cause_fail(why, "disk: \"%s\": expected "
			    "\"disk 20 MB/s 500 iops\" (either part)", w);
	}
	if (num != NULL || (t->t_io.io_iops == 0 && t->t_io.io_bps == 0))
		return cause_fail(why, "disk: expected \"disk 20 MB/s 500 "
		    "iops\" (either part)");
	return 0;
}

/*
 * A template's named parts, after its sizes: "loan 120d", "disk 20
 * MB/s 500 iops", "cpu-max 0.5", "cpu-weight 100", "net 100 Mbit".  Each
 * takes the words after its name.
 */
static const struct {
	const char	*tp_name;
	int		(*tp_fn)(struct fws_template *, char *, char **);
} config_template_parts[] = {
	{ "cpu-max", config_template_cpu_max },
	{ "cpu-weight", config_template_cpu_weight },
	{ "disk", config_template_disk },
	{ "loan", config_template_loan },
	{ "net", config_template_net },
};

/*
 * template.NAME = VCPUS [vcpu[s]], MEMORY[, DISK][, PART...]: e.g. "1
 * vcpu, 1024 MiB, 10G, cpu-max 0.5, cpu-weight 100, disk 20 MB/s 500
 * iops, net 100 Mbit, loan 120d".  The disk may be left out (or 0): the
 * template then makes none; the parts after it (config_template_parts),
 * each once, in any order: without a loan its VMs take the default,
 * without the others they have no such limit.
 */
static int
config_template(struct fws_config *cf, const char *name, const char *v,
    char **cause)
{
	struct fws_template	 t;
	char			*copy, *p, *field[FWS_TEMPLATE_FIELDS], *sz, *why;
	uint64_t		 n;
	size_t			 j, len;
	int			 i, nf = 0, rc = -1, named;

	memset(&t, 0, sizeof(t));
	if (validate_name(name, &why) == -1) {
		cause_fail(cause, "template \"%s\": %s", name, why);
		free(why);
		return -1;
	}
	snprintf(t.t_name, sizeof(t.t_name), "%s", name);
	copy = p = xasprintf("%s", v);
	while (nf < FWS_TEMPLATE_FIELDS &&
	    (field[nf] = strsep(&p, ",")) != NULL) {
		field[nf] = conf_trim(field[nf]);
		nf++;
	}
	/*
	 * The named parts, words of their own at the end ("30m" would read
	 * as a disk too): each once
	 */
	for (named = 0; nf > 2; nf--) {
		for (j = 0; j < sizeof(config_template_parts) /
		    sizeof(*config_template_parts); j++) {
			len = strlen(config_template_parts[j].tp_name);
			if (strncmp(field[nf - 1], config_template_parts[j].tp_name,
			    len) == 0 && (field[nf - 1][len] == ' ' ||
			    field[nf - 1][len] == '\t'))
				break;
		}
		if (j == sizeof(config_template_parts) /
		    sizeof(*config_template_parts))
			break;
		if (named & (1 << j)) {
			cause_fail(cause, "template %s: \"%s\" given twice",
			    name, config_template_parts[j].tp_name);
			goto done;
		}
		named |= 1 << j;
		sz = NULL;
		if (config_template_parts[j].tp_fn(&t, field[nf - 1] + len + 1,
		    &why) == -1)
			goto bad;
	}
	if (nf < 2 || nf > 3 || p != NULL) {
		cause_fail(cause, "template %s: expected \"VCPUS vcpu, MEMORY, "
		    "DISK, cpu-max CPUS, cpu-weight N, disk BYTES/s N iops, "
		    "net RATE, loan DURATION\" (all but the vCPUs and memory "
		    "optional), like \"1 vcpu, 1024 MiB, 10G, cpu-max 0.5, "
		    "disk 20 MB/s 500 iops, net 100 Mbit, loan 120d\"", name);
		goto done;
	}
	if ((sz = strchr(field[0], ' ')) != NULL) {
		*sz++ = '\0';
		sz = conf_trim(sz);
		if (strcmp(sz, "vcpu") != 0 && strcmp(sz, "vcpus") != 0) {
			cause_fail(cause, "template %s: \"%s\" is not \"vcpu\"",
			    name, sz);
			goto done;
		}
	}
	if (parse_uint(field[0], FWS_VCPUS_LIMIT, &n) == -1 || n == 0) {
		cause_fail(cause, "template %s: %s is not a number of vCPUs from "
		    "1 to %d", name, field[0], FWS_VCPUS_LIMIT);
		goto done;
	}
	t.t_vcpus = n;
	for (i = 1; i < nf; i++) {
		sz = squeeze(field[i]);
		if (i == 1 && parse_memory_mib(sz, &t.t_memory_mib, &why) == -1)
			goto bad;
		if (i == 2 && strcmp(sz, "0") != 0 && parse_size(sz, &t.t_disk,
		    &why) == -1)
			goto bad;
		free(sz);
	}
	for (i = 0; i < cf->cf_ntemplates; i++)
		if (strcmp(cf->cf_templates[i].t_name, name) == 0)
			break;
	if (i == FWS_TEMPLATES_MAX) {
		cause_fail(cause, "at most %d templates", FWS_TEMPLATES_MAX);
		goto done;
	}
	cf->cf_templates[i] = t;
	if (i == cf->cf_ntemplates)
		cf->cf_ntemplates++;
	rc = 0;
	goto done;
bad:
	cause_fail(cause, "template %s: %s", name, why);
	free(why);
	free(sz);
done:
	free(copy);
	return rc;
}

/* A template by name, or NULL. */
const struct fws_template *
config_template_find(const struct fws_config *cf, const char *name)
{
	int	 i;

	for (i = 0; i < cf->cf_ntemplates; i++)
		if (strcmp(cf->cf_templates[i].t_name, name) == 0)
			return &cf->cf_templates[i];
	return NULL;
}

/* Is v one of the blank separated words of choices, a whole word? */
static int
is_choice(const char *choices, const char *v)
{
	size_t		 len = strlen(v), n;
	const char	*p;

	for (p = choices; *p != '\0'; p += n + (p[n] == ' ')) {
		n = strcspn(p, " ");
		if (n == len && strncmp(p, v, n) == 0)
			return 1;
	}
	return 0;
}

/* qemu_uids = FIRST-LAST, inside FWS_QEMU_UID_MIN .. FWS_QEMU_UID_MAX */
static int
config_uids(struct fws_config *cf, const char *v)
{
	char		*copy = xasprintf("%s", v), *dash;
	uint64_t	 first, last;
	int		 rc = -1;

	if ((dash = strchr(copy, '-')) != NULL) {
		*dash = '\0';
		if (parse_uint(conf_trim(copy), FWS_QEMU_UID_MAX, &first) == 0 &&
		    parse_uint(conf_trim(dash + 1), FWS_QEMU_UID_MAX,
		    &last) == 0 && first >= FWS_QEMU_UID_MIN && first < last) {
			cf->cf_qemu_uid_first = first;
			cf->cf_qemu_uid_last = last;
			rc = 0;
		}
	}
	free(copy);
	return rc;
}

/* migration_ports, spice_ports = FIRST-LAST: TCP ports, 1024 .. 65535 */
static int
config_ports(unsigned *port_first, unsigned *port_last, const char *v)
{
	char		*copy = xasprintf("%s", v), *dash;
	uint64_t	 first, last;
	int		 rc = -1;

	if ((dash = strchr(copy, '-')) != NULL) {
		*dash = '\0';
		if (parse_uint(conf_trim(copy), 65535, &first) == 0 &&
		    parse_uint(conf_trim(dash + 1), 65535, &last) == 0 &&
		    first >= 1024 && first <= last) {
			*port_first = first;
			*port_last = last;
			rc = 0;
		}
	}
	free(copy);
	return rc;
}

static int
duration_cmp(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x > y ? -1 : x < y;
}

/* loan_warn = 7d, 1d: durations ("," or blank separated), or none */
static int
config_loan_warn(struct fws_config *cf, const char *v, char **cause)
{
	int64_t	 warn[FWS_LOAN_WARNS_MAX];
	char	*copy, *p, *word, *why;
	int	 n = 0, i, k, rc = 0;

	if (strcmp(v, "none") == 0) {
		cf->cf_loan_nwarn = 0;
		return 0;
	}
	copy = p = xasprintf("%s", v);
	while (rc == 0 && (word = strsep(&p, ", \t")) != NULL) {
		if (*word == '\0')
			continue;
		if (n == FWS_LOAN_WARNS_MAX)
			rc = cause_fail(cause, "loan_warn: at most %d "
			    "durations", FWS_LOAN_WARNS_MAX);
		else if (parse_duration(word, &warn[n++], &why) == -1) {
			rc = cause_fail(cause, "loan_warn: %s", why);
			free(why);
		}
	}
	free(copy);
	if (rc == -1)
		return -1;
	/* largest first, each once */
	qsort(warn, n, sizeof(*warn), duration_cmp);
	for (i = k = 0; i < n; i++)
		if (k == 0 || warn[k - 1] != warn[i])
			warn[k++] = warn[i];
	memcpy(cf->cf_loan_warn, warn, k * sizeof(*warn));
	cf->cf_loan_nwarn = k;
	return 0;
}

/*
 * tls_allowed = CN => admin|USER[; CN => ...]: each client certificate
 * whose common name is CN is an admin (root) or the local user USER (a
 * name or a uid, resolved by config_finish).  The key may be repeated:
 * the entries add up; a CN may appear once.
 */
static int
config_tls_allowed(struct fws_config *cf, const char *v, char **cause)
{
	struct tls_allow	*ta, *grown;
	char			*copy, *p, *entry, *arrow, *cn, *who;
	size_t			 i;
	int			 j, rc = -1;

	copy = p = xasprintf("%s", v);
	while ((entry = strsep(&p, ";")) != NULL) {
		entry = conf_trim(entry);
		if (*entry == '\0')
			continue;
		if ((arrow = strstr(entry, "=>")) == NULL) {
			cause_fail(cause, "tls_allowed: \"%.80s\" is not \"CN => "
			    "admin\" or \"CN => USER\"", entry);
			goto done;
		}
		*arrow = '\0';
		cn = conf_trim(entry);
		who = conf_trim(arrow + 2);
		if (*cn == '\0' || strlen(cn) > FWS_TLS_CN_MAX) {
			cause_fail(cause, "tls_allowed: a common name of 1 to "
			    "%d characters before \"=>\"", FWS_TLS_CN_MAX);
			goto done;
		}
		for (i = 0; cn[i] != '\0'; i++)
			if ((unsigned char)cn[i] < 0x20 || cn[i] == 0x7f) {
				cause_fail(cause, "tls_allowed: a control "
				    "character in a common name");
				goto done;
			}
		if (*who == '\0' || strspn(who, CONFIG_WORD_CHARS) !=
		    strlen(who) || *who == '-' || strlen(who) > 32) {
			cause_fail(cause, "tls_allowed: %s: \"%.40s\" is not "
			    "admin or a user name", cn, who);
			goto done;
		}
		for (j = 0; j < cf->cf_ntls_allowed; j++)
			if (strcmp(cf->cf_tls_allowed[j].ta_cn, cn) == 0) {
				cause_fail(cause, "tls_allowed: %s is given "
				    "twice", cn);
				goto done;
			}
		if (cf->cf_ntls_allowed == FWS_TLS_ALLOWED_MAX) {
			cause_fail(cause, "tls_allowed: at most %d entries",
			    FWS_TLS_ALLOWED_MAX);
			goto done;
		}
		grown = reallocarray(cf->cf_tls_allowed,
		    cf->cf_ntls_allowed + 1, sizeof(*grown));
		if (grown == NULL) {
			cause_fail(cause, "tls_allowed: out of memory");
			goto done;
		}
		cf->cf_tls_allowed = grown;
		ta = &cf->cf_tls_allowed[cf->cf_ntls_allowed++];
		memset(ta, 0, sizeof(*ta));
		snprintf(ta->ta_cn, sizeof(ta->ta_cn), "%s", cn);
		ta->ta_user = strcmp(who, "admin") == 0 ? NULL :
		    xasprintf("%s", who);
		ta->ta_uid = (uid_t)-1;
	}
	rc = 0;
done:
	free(copy);
	return rc;
}

/*
 * The uid of each user tls_allowed names, found now, before the loop
 * runs: NSS may block.  A number is a uid as it is.
 */
static int
config_tls_users(struct fws_config *cf, char **cause)
{
	struct tls_allow	*ta;
	struct passwd		*pw;
	uint64_t		 n;
	int			 i;

	for (i = 0; i < cf->cf_ntls_allowed; i++) {
		ta = &cf->cf_tls_allowed[i];
		if (ta->ta_user == NULL)
			ta->ta_uid = 0;
		else if (parse_uint(ta->ta_user, UINT32_MAX - 1, &n) == 0)
			ta->ta_uid = (uid_t)n;
		else if ((pw = getpwnam(ta->ta_user)) != NULL)
			ta->ta_uid = pw->pw_uid;
		else
			return cause_fail(cause, "tls_allowed: %s: no user "
			    "named %s", ta->ta_cn, ta->ta_user);
	}
	return 0;
}

/* rbd_pools: names as validate_rbd_part has them, kept "a b c". */
static int
set_pools(char **field, const char *key, const char *v, char **cause)
{
	char	*copy = xasprintf("%s", v), *p = copy, *w, *out = NULL, *t;
	char	*why;

	if (strcmp(v, "none") == 0)
		*p = '\0';
	while ((w = strsep(&p, ", \t")) != NULL) {
		if (*w == '\0')
			continue;
		if (validate_rbd_part("pool", w, &why) == -1) {
			free(copy);
			free(out);
			cause_fail(cause, "%s: %s", key, why);
			free(why);
			return -1;
		}
		t = out == NULL ? xasprintf("%s", w) : xasprintf("%s %s", out, w);
		free(out);
		out = t;
	}
	free(copy);
	free(*field);
	*field = out;
	return 0;
}

/*
 * web_url = https://HOST[:PORT][/PATH], or none: the panel's address as
 * users reach it.  Login links are built on it ("URL/login#token=..."),
 * so it holds no query, fragment, quote or blank; a trailing / goes.
 */
static int
config_url(char **field, const char *key, const char *v, char **cause)
{
	const char	*rest = v + strlen("https://");
	size_t		 len;

	if (strcmp(v, "none") == 0) {
		set_str(field, NULL);
		return 0;
	}
	if (strncmp(v, "https://", strlen("https://")) != 0)
		return cause_fail(cause, "%s: \"%.64s\" is not an https:// "
		    "address (the panel serves TLS alone)", key, v);
	len = strlen(rest);
	while (len > 0 && rest[len - 1] == '/')
		len--;
	if (len == 0 || *rest == '/' || *rest == ':' || len >
	    FWS_WEB_URL_MAX - strlen("https://") ||
	    strspn(rest, CONFIG_URL_CHARS) < len)
		return cause_fail(cause, "%s: \"%.64s\" is not https://HOST"
		    "[:PORT][/PATH] (letters, digits and .-:[]/_~%% alone, at "
		    "most %d characters)", key, v, FWS_WEB_URL_MAX);
	free(*field);
	*field = xasprintf("https://%.*s", (int)len, rest);
	return 0;
}

/*
 * web_user's uid, found now, before the loop runs (NSS may block): the
 * front-end must be an account of its own, never root.
 */
static int
config_web_user(struct fws_config *cf, char **cause)
{
	struct passwd	*pw;

	cf->cf_web_uid = (uid_t)-1;
	if (cf->cf_web_user == NULL)
		return 0;
	if ((pw = getpwnam(cf->cf_web_user)) == NULL)
		return cause_fail(cause, "web_user: no user named %s (make "
		    "install makes fws-web; or say none)", cf->cf_web_user);
	if (pw->pw_uid == 0)
		return cause_fail(cause, "web_user %s has uid 0: the web "
		    "front-end runs as an account of its own", cf->cf_web_user);
	cf->cf_web_uid = pw->pw_uid;
	return 0;
}

/* Apply one key; a sentence in *cause for an unknown key or bad value. */
static int
config_set(struct fws_config *cf, const char *key, const char *v,
    char **cause)
{
	const struct config_key	*k = NULL;
	struct in_addr		 in4;
	struct in6_addr		 in6;
	char			 host[VALIDATE_HOST_MAX + 1];
	char			 port[VALIDATE_PORT_LEN + 1];
	char			*field, lo[32], hi[32], *why, *field_text;
	uint64_t		 n;
	unsigned		 u;
	size_t			 i;

	if (strncmp(key, CONFIG_TEMPLATE, strlen(CONFIG_TEMPLATE)) == 0)
		return config_template(cf, key + strlen(CONFIG_TEMPLATE), v,
		    cause);
	for (i = 0; i < sizeof(config_keys) / sizeof(*config_keys); i++)
		if (strcmp(config_keys[i].k_name, key) == 0)
			k = &config_keys[i];
	if (k == NULL)
		return cause_fail(cause, "unknown key \"%s\"", key);
	field = (char *)cf + k->k_off;
	switch (k->k_type) {
	case CONFIG_PATH_NONE:
		if (strcmp(v, "none") == 0) {
			set_str((char **)field, NULL);
			break;
		}
		/* FALLTHROUGH */
	case CONFIG_PATH:
		if (*v != '/')
			return cause_fail(cause, "%s: %s is not an absolute path",
			    key, v);
		set_str((char **)field, v);
		break;
	case CONFIG_DIRS:
		if (set_image_dirs(cf, v, cause) == -1)
			return -1;
		break;
	case CONFIG_CHOICE:
		if (!is_choice(k->k_choices, v))
			return cause_fail(cause, "%s: %s is not one of: %s", key, v,
			    k->k_choices);
		set_str((char **)field, v);
		break;
	case CONFIG_CEILING:
		if (strcmp(v, "none") == 0) {
			*(uint64_t *)field = 0;
			break;
		}
		/* FALLTHROUGH */
	case CONFIG_UINT:
	case CONFIG_COUNT:
		if (k->k_type == CONFIG_COUNT && k->k_choices != NULL &&
		    strcmp(v, k->k_choices) == 0) {
			*(uint64_t *)field = 0;
			break;
		}
		if (parse_uint(v, k->k_max, &n) == -1 || n < k->k_min)
			return cause_fail(cause, "%s: %s is not a whole number "
			    "from %llu to %llu", key, v,
			    (unsigned long long)k->k_min,
			    (unsigned long long)k->k_max);
		if (k->k_type == CONFIG_COUNT || k->k_type == CONFIG_CEILING)
			*(uint64_t *)field = n;
		else
			*(unsigned *)field = n;
		break;
	case CONFIG_WORD_NONE:
		if (strcmp(v, "none") == 0) {
			set_str((char **)field, NULL);
			break;
		}
		/* FALLTHROUGH */
	case CONFIG_WORD:
		if (strspn(v, CONFIG_WORD_CHARS) != strlen(v) || *v == '-' ||
		    strlen(v) > 32)
			return cause_fail(cause, "%s: \"%s\" is not a user or "
			    "group name", key, v);
		set_str((char **)field, v);
		break;
	case CONFIG_POOLS:
		if (set_pools((char **)field, key, v, cause) == -1)
			return -1;
		break;
	case CONFIG_MEMORY0:
		if (strcmp(v, "0") == 0) {
			*(uint64_t *)field = 0;
			break;
		}
		/* FALLTHROUGH */
	case CONFIG_MEMORY:
		if (parse_memory_mib(v, (uint64_t *)field, &why) == -1)
			goto why;
		break;
	case CONFIG_CPUS:
		if (strcmp(v, "none") == 0 || strcmp(v, "0") == 0)
			*(uint64_t *)field = 0;
		else if (parse_cpus(v, &u, &why) == -1)
			goto why;
		else
			*(uint64_t *)field = u;
		break;
	case CONFIG_CGROUP:
		/* a directory's name in the cgroup tree, nothing more */
		if (strcmp(v, "none") != 0 && validate_name(v, &why) == -1)
			goto why;
		set_str((char **)field, v);
		break;
	case CONFIG_SIZE:
		if (k->k_choices != NULL && strcmp(v, k->k_choices) == 0) {
			*(uint64_t *)field = 0;
			break;
		}
		if (parse_size(v, &n, &why) == -1)
			goto why;
		if (k->k_max != 0 && (n < k->k_min || n > k->k_max))
			return cause_fail(cause, "%s: %s is not a size from "
			    "%s to %s", key, v, format_size(k->k_min, lo,
			    sizeof(lo)), format_size(k->k_max, hi, sizeof(hi)));
		*(uint64_t *)field = n;
		break;
	case CONFIG_UIDS:
		if (config_uids(cf, v) == -1)
			return cause_fail(cause, "%s: %s is not a range FIRST-LAST "
			    "of uids from %u to %u, like %u-%u", key, v,
			    FWS_QEMU_UID_MIN, FWS_QEMU_UID_MAX, FWS_QEMU_UID_FIRST,
			    FWS_QEMU_UID_LAST);
		break;
	case CONFIG_PORTS:
		if (config_ports((unsigned *)field, (unsigned *)field + 1,
		    v) == -1)
			return cause_fail(cause, "%s: %s is not a range FIRST-LAST "
			    "of TCP ports from 1024 to 65535, like %d-%d", key, v,
			    (unsigned *)field == &cf->cf_mig_port_first ?
			    FWS_MIG_PORT_FIRST : FWS_SPICE_PORT_FIRST,
			    (unsigned *)field == &cf->cf_mig_port_first ?
			    FWS_MIG_PORT_LAST : FWS_SPICE_PORT_LAST);
		break;
	case CONFIG_DURATION:
		if (k->k_min == 0 && strcmp(v, "none") == 0)
			*(int64_t *)field = 0;
		else if (parse_duration(v, (int64_t *)field, &why) == -1) {
			cause_fail(cause, "%s: %s", key, why);
			free(why);
			return -1;
		}
		break;
	case CONFIG_DURATIONS:
		if (config_loan_warn(cf, v, cause) == -1)
			return -1;
		break;
	case CONFIG_RATE:
		/* "100 Mbit" as tc's "100mbit" */
		if (strcmp(v, "none") == 0) {
			*(uint64_t *)field = 0;
			break;
		}
		field_text = squeeze(v);
		n = parse_rate(field_text, (uint64_t *)field, &why);
		free(field_text);
		if (n != 0)
			goto why;
		break;
	case CONFIG_LISTEN:
		if (strcmp(v, "none") == 0) {
			set_str((char **)field, NULL);
			break;
		}
		if (validate_hostport(v, FWS_TLS_PORT, host, sizeof(host), port,
		    sizeof(port), &why) == -1)
			goto why;
		if (inet_pton(AF_INET, host, &in4) != 1 &&
		    inet_pton(AF_INET6, host, &in6) != 1)
			return cause_fail(cause, "%s: %s is not an IPv4 or IPv6 "
			    "address (as ADDRESS:PORT, [IPV6]:PORT)", key, host);
		set_str((char **)field, v);
		break;
	case CONFIG_ALLOWED:
		return config_tls_allowed(cf, v, cause);
	case CONFIG_URL:
		if (config_url((char **)field, key, v, cause) == -1)
			return -1;
		break;
	case CONFIG_ADDR:
		if (k->k_choices != NULL && strcmp(v, k->k_choices) == 0) {
			set_str((char **)field, NULL);
			break;
		}
		if (inet_pton(AF_INET, v, &in4) != 1 &&
		    inet_pton(AF_INET6, v, &in6) != 1)
			return cause_fail(cause, "%s: %s is not an IPv4 or IPv6 "
			    "address", key, v);
		set_str((char **)field, v);
		break;
	case CONFIG_HOST:
		/* it is shown to users in a command line: nothing else */
		if (strspn(v, CONFIG_HOST_CHARS) != strlen(v) || *v == '-' ||
		    *v == '.' || strlen(v) > CONFIG_HOST_MAX ||
		    (strchr(v, ':') != NULL && inet_pton(AF_INET6, v,
		    &in6) != 1))
			return cause_fail(cause, "%s: \"%.64s\" is not a host "
			    "name or address", key, v);
		set_str((char **)field, v);
		break;
	}
	return 0;
why:
	/* the parsers' sentences start with the value: "10: say the unit" */
	cause_fail(cause, "%s = %s", key, why);
	free(why);
	return -1;
}

/* config_set, as conf_file_read calls it */
static int
config_set_pair(void *cf, const char *key, const char *v, char **why)
{
	return config_set(cf, key, v, why);
}

/*
 * Read path into cf.  A missing file is fine unless must_exist (the path
 * was given with --config).  Errors name the file and the line.
 */
int
config_load(struct fws_config *cf, const char *path, int must_exist,
    char **cause)
{
	return conf_file_read(path, must_exist, config_set_pair, cf, cause);
}

/*
 * A helper's path unless set (pam_helper: fws-pam-check; image_checker:
 * fws-image-check): beside fwsd's own binary (the build tree), else in
 * ../lib/fws from it (make install's LIBDIR: /usr/local/sbin/fwsd,
 * /usr/local/lib/fws/fws-pam-check).
 */
static void
config_helper(char **path, const char *name)
{
	char	 exe[PATH_MAX], *slash, *p;
	ssize_t	 n;

	if (*path != NULL)
		return;
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0) {
		*path = xasprintf("/usr/local/lib/fws/%s", name);
		return;
	}
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	p = xasprintf("%s/%s", exe, name);
	if (access(p, X_OK) == 0) {
		*path = p;
		return;
	}
	free(p);
	*path = xasprintf("%s/../lib/fws/%s", exe, name);
}

/* Fill what depends on other keys, or on the host. */
int
config_finish(struct fws_config *cf, char **cause)
{
	char	 host[CONFIG_HOST_MAX + 1];

	/* the name users reach the host by, unless set: its own */
	if (cf->cf_public_host == NULL) {
		if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		set_str(&cf->cf_public_host, host);
	}
	/* SPICE listens where VNC does, unless told otherwise */
	if (cf->cf_spice_listen == NULL)
		set_str(&cf->cf_spice_listen, cf->cf_vnc_listen);
	if (cf->cf_nimage_dirs == 0)
		cf->cf_image_dirs[cf->cf_nimage_dirs++] =
		    xasprintf("%s/images", cf->cf_state_dir);
	if (cf->cf_state_dir[0] != '/' || cf->cf_run_dir[0] != '/')
		return cause_fail(cause, "state and run directories must be absolute "
		    "paths");
	if (cf->cf_disk_dir != NULL && cf->cf_disk_dir[0] != '/')
		return cause_fail(cause, "disk_dir must be an absolute path");
	if ((cf->cf_ceph_conf == NULL) != (cf->cf_ceph_keyring == NULL))
		return cause_fail(cause, "RBD disks need ceph_conf and "
		    "ceph_keyring, both (none: no RBD disks)");
	if (cf->cf_listen_tls != NULL && cf->cf_ntls_allowed == 0)
		return cause_fail(cause, "listen_tls needs tls_allowed: no "
		    "certificate may connect");
	config_helper(&cf->cf_pam_helper, FWS_PAM_HELPER);
	config_helper(&cf->cf_image_checker, FWS_IMAGE_CHECKER);
	if (config_web_user(cf, cause) == -1)
		return -1;
	return config_tls_users(cf, cause);
}

void
config_clear(struct fws_config *cf)
{
	int	 i;

	free(cf->cf_state_dir);
	free(cf->cf_run_dir);
	free(cf->cf_disk_dir);
	free(cf->cf_qemu);
	free(cf->cf_qemu_img);
	free(cf->cf_machine);
	free(cf->cf_accel);
	free(cf->cf_vnc_listen);
	free(cf->cf_spice_listen);
	free(cf->cf_default_display);
	free(cf->cf_public_host);
	free(cf->cf_socket_group);
	free(cf->cf_admin_group);
	free(cf->cf_qemu_user);
	free(cf->cf_loan_expire);
	free(cf->cf_cgroup);
	free(cf->cf_listen_tls);
	free(cf->cf_mig_address);
	free(cf->cf_mig_tls);
	free(cf->cf_cgroup_dynmods);
	free(cf->cf_tls_cert);
	free(cf->cf_tls_key);
	free(cf->cf_tls_ca);
	free(cf->cf_tls_crl);
	for (i = 0; i < cf->cf_ntls_allowed; i++)
		free(cf->cf_tls_allowed[i].ta_user);
	free(cf->cf_tls_allowed);
	free(cf->cf_ceph_conf);
	free(cf->cf_ceph_user);
	free(cf->cf_ceph_keyring);
	free(cf->cf_rbd_pools);
	free(cf->cf_web_user);
	free(cf->cf_web_url);
	free(cf->cf_pam_helper);
	free(cf->cf_image_checker);
	for (i = 0; i < cf->cf_nimage_dirs; i++)
		free(cf->cf_image_dirs[i]);
	memset(cf, 0, sizeof(*cf));
}
