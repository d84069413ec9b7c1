/*
 * fws.h: defaults, limits, the VM and configuration structures, and the
 * prototypes the supervisor's modules share, grouped by file.
 */
#ifndef FWS_H
#define FWS_H

#include <sys/types.h>
#include <sys/queue.h>
#include <netinet/in.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#define FWS_VERSION		"0.1.0"

#define FWS_CONFIG_DEFAULT	"/etc/fws/fwsd.conf"
#define FWS_STATE_DIR_DEFAULT	"/var/lib/fws"
#define FWS_RUN_DIR_DEFAULT	"/run/fws"
#define FWS_SOCKET_NAME		"fwsd.sock"
#define FWS_DB_NAME		"fws.db"
#define FWS_QEMU_DEFAULT	"/usr/bin/qemu-system-x86_64"
#define FWS_QEMU_IMG_DEFAULT	"/usr/bin/qemu-img"
#define FWS_DNSMASQ		"/usr/sbin/dnsmasq"
#define FWS_DNSMASQ_USER	"dnsmasq"	/* else "nobody" */
#define FWS_DNS_SUFFIX		"fws"	/* a network's domain: NETWORK.fws */
#define FWS_DNS_LABEL_MAX	63	/* one DNS label */
#define FWS_DNS_SERVERS_MAX	4	/* net-create --dns IP,... */
#define FWS_ADDRS_MAX		16	/* addresses shown per NIC */
#define FWS_AGENT_PORT		"org.qemu.guest_agent.0"
#define FWS_AGENT_REFRESH	5	/* s, the guest agent asked at most */
#define FWS_AGENT_TIMEOUT	3	/* s, for its answer */
#define FWS_AGENT_LINE_MAX	(64 * 1024)	/* one line from the agent */
#define FWS_AGENT_READ_MAX	(1024 * 1024)	/* read for one answer */
#define FWS_AGENT_LINES_MAX	64	/* lines read for one answer */

#define FWS_NAME_MAX		63	/* [A-Za-z0-9][A-Za-z0-9_.-]{0,62} */
#define FWS_DISKS_MAX		8
#define FWS_NICS_MAX		4
#define FWS_NET_RATE_MIN	64000ULL	/* bit/s, a NIC's least rate */
#define FWS_NET_RATE_MAX	10000000000ULL	/* 10 Gbit/s, its most */
#define FWS_DISK_NODE		"fws-disk"	/* + slot: block node names */
#define FWS_IO_NODE		"fws-io"	/* + slot: a disk's throttle node,
						   the device's drive */
#define FWS_IO_GROUP		"fws-io"	/* + slot: its throttle group */
#define FWS_UNPLUG_TIMEOUT	30	/* s for a guest to let a device go */
#define FWS_CD_ID		"cd0"		/* the CD drive's device id */
#define FWS_CD_NODE		"fws-cd0"	/* its disc's node at start */
#define FWS_SEED_ID		"seed0"		/* the cloud-init seed's drive */
#define FWS_SEED_NODE		"fws-seed0"	/* and its node */
#define FWS_SEED_FILE		"seed.iso"	/* in the VM's directory */
#define FWS_SEED_KEYS_MAX	16	/* SSH keys in a seed */
#define FWS_SEED_KEY_MAX	(16 * 1024)	/* bytes of one key's line */
#define FWS_SEED_USER_DATA_MAX	(64 * 1024)	/* bytes of a user's own */
#define FWS_SEED_HASH_MAX	256	/* bytes of a password hash */
#define FWS_SEED_JSON_MAX	(48 * 1024)	/* the whole seed as a
					   definition carries it: a VM's
					   definition fits one request */
#define FWS_GENISOIMAGE		"/usr/bin/genisoimage"
#define FWS_NET_NAME_MAX	32	/* names nft tables and files too */
#define FWS_VNC_PORT_BASE	5900	/* display 0's port */
#define FWS_VNC_DISPLAYS	100	/* by default displays 0-99: 5900-5999 */
#define FWS_VNC_DISPLAYS_MAX	59636	/* port 5900 + display < 65536 */
#define FWS_VNC_PASSWORD_LEN	8	/* what VNC authentication takes */
#define FWS_SPICE_PORT_FIRST	5930	/* spice_ports' default */
#define FWS_SPICE_PORT_LAST	5999
#define FWS_SPICE_PASSWORD_LEN	16	/* a SPICE ticket takes up to 60 */
#define FWS_IFNAME_MAX		15	/* Linux IFNAMSIZ - 1 */
#define FWS_IMAGE_DIRS_MAX	8
#define FWS_APPEND_MAX		1024
#define FWS_VCPUS_LIMIT		255	/* what qemu's pc/q35 machines take */
#define FWS_MEMORY_MIN		16	/* MiB, the least a VM is given */
#define FWS_STOP_TIMEOUT	60	/* s, ACPI powerdown before quit */
#define FWS_KILL_GRACE		5	/* s, quit before SIGKILL */
#define FWS_START_TIMEOUT	30	/* s, exec to QMP "running" */
#define FWS_QMP_TIMEOUT		10000	/* ms, one QMP command */
#define FWS_ACCEL_PROBE_TIMEOUT	10	/* s, accel auto's probe qemu */
#define FWS_CRASH_LOOP_MAX	64	/* crash_loop_restarts' ceiling */
#define FWS_RESET_COALESCE_MS	2000	/* RESETs this close are one reboot */
#define FWS_AUTOSTART_MARK	"autostart.done"	/* in RUN_DIR */
#define FWS_TEMPLATES_MAX	32
#define FWS_TEMPLATE_FIELDS	12	/* comma-separated parts of one */
#define FWS_SOCKET_GROUP	"fws"		/* may talk to fwsd */
#define FWS_ADMIN_GROUP		"fws-admin"	/* may do anything */
#define FWS_QEMU_USER		"fws-qemu"	/* qemu's groups come from it */
/*
 * Each VM's qemu runs as a uid of its own from qemu_uids: by default the
 * 65536 uids from 0x70000000, a range systemd leaves unused (above the
 * containers' 524288-1879048191) and above useradd's subordinate ids.
 */
#define FWS_QEMU_UID_FIRST	1879048192U
#define FWS_QEMU_UID_LAST	1879113727U
#define FWS_QEMU_UID_MIN	1000U		/* not the system's accounts */
#define FWS_QEMU_UID_MAX	2147483646U	/* positive as a signed int */
#define FWS_BACKING_DEPTH	16	/* longest backing chain accepted */
#define FWS_CHAIN_MAX		(FWS_BACKING_DEPTH + 1)	/* and its top */
#define FWS_MAX_CLIENTS		1024	/* connections, everyone but root */
#define FWS_MAX_CLIENTS_USER	32	/* connections of one uid */
#define FWS_CLIENT_IDLE		60	/* s an idle connection is kept */
#define FWS_TLS_PORT		"16514"	/* listen_tls's default: libvirt's */
#define FWS_TLS_DIR		"/etc/fws/tls"	/* cert.pem, key.pem, ca.pem */
#define FWS_TLS_HANDSHAKE	10	/* s at most for a TLS handshake */
#define FWS_TLS_CN_MAX		64	/* a certificate's common name */
#define FWS_TLS_DN_MAX		512	/* its whole subject, RFC 4514 */
#define FWS_TLS_ALLOWED_MAX	1024	/* entries of tls_allowed */
#define FWS_PAM_HELPER		"fws-pam-check"	/* beside fwsd, or in
						   ../lib/fws from it */
#define FWS_PAM_SERVICE		"fws-web"	/* /etc/pam.d/fws-web */
#define FWS_IMAGE_CHECKER	"fws-image-check"	/* beside fwsd, or in
						   ../lib/fws from it */
#define FWS_IMAGE_CHECK_TIMEOUT	300	/* s a check may take */
#define FWS_IMAGE_CHECKS_QUEUED	32	/* checks waiting their turn */
#define FWS_IMAGE_CHECKS_OWNER	4	/* of them, one user's images' */
#define FWS_WEB_URL_MAX		200	/* web_url, without the token */
#define FWS_WEB_TOKEN_TTL	120	/* s a one-time login link is valid */
#define FWS_WEB_TOKENS_USER	4	/* live login links of one user */
#define FWS_CONSOLE_LOG_MAX	(1ULL << 20)	/* a VM log's default cap */
#define FWS_CONSOLE_LOG_MIN	(64ULL << 10)	/* console_log_max's range */
#define FWS_CONSOLE_LOG_LIMIT	(1ULL << 30)
#define FWS_DURATION_MAX	((int64_t)36600 * 86400) /* s: 100 years */
#define FWS_LOAN_WARNS_MAX	8	/* durations in loan_warn */
#define FWS_CGROUP_DEFAULT	"fws"	/* the subtree below fwsd's cgroup */
#define FWS_CPU_WEIGHT_DEFAULT	100	/* a VM's share when none is asked */
#define FWS_CPU_WEIGHT_MAX	10000	/* cpu-weight: 1 .. this */
#define FWS_CPU_MAX_MIN		10	/* thousandths of a CPU: cpu-max 0.01 */
#define FWS_CPU_PERIOD		100000	/* us, the period of the CPU cap */
#define FWS_MEMORY_OVERHEAD	192	/* MiB of qemu's own over guest RAM */
#define FWS_MEMORY_OVERHEAD_DIV	8	/* ... and RAM / this */
#define FWS_DEF_VERSION		1	/* dump's "fws_definition": bump
					   when define must read it anew */
#define FWS_MIG_PORT_FIRST	49152	/* migration_ports' default */
#define FWS_MIG_PORT_LAST	49215
#define FWS_MIG_PEER_TIMEOUT	30	/* s: a peer's connection, a reply */
#define FWS_MIG_KEEPALIVE	15	/* s between a source's keepalives */
#define FWS_MIG_FINISH_WAIT	60	/* s: the destination's end of the
					   stream after the source's */

/*
 * What the core says when an operation ends or is refused.  The core
 * (vm.c, snapshot.c, create.c, image-import.c, quota.c) speaks no
 * protocol: the reply layer (cmd*.c) alone picks the wire code.
 */
enum fws_err {
	FWS_OK,
	FWS_ERR_INVALID,	/* a bad value in what was asked */
	FWS_ERR_NOT_FOUND,	/* no such VM, image, snapshot */
	FWS_ERR_EXISTS,		/* the name (or file) is taken */
	FWS_ERR_BUSY,		/* the VM's job (or another) is under way */
	FWS_ERR_STATE,		/* not possible in the VM's state */
	FWS_ERR_PERMISSION,	/* an admin's, or another user's */
	FWS_ERR_QUOTA,		/* over one of the user's limits */
	FWS_ERR_FAILED,		/* qemu or qemu-img refused */
	FWS_ERR_INTERNAL,	/* the host: memory, disk, the store */
};

/* Who asks for an operation: the peer's uid, and whether an admin. */
struct caller {
	uid_t		 ca_uid;
	int		 ca_admin;
};

/*
 * An operation ends: FWS_OK and its result (given to the callee, NULL
 * for none), or an error and why.  arg is the caller's.
 */
typedef void (*fws_done_fn)(void *arg, enum fws_err, const char *why,
    json_t *result);
/* A long operation's progress: percent done, and the step it is in. */
typedef void (*fws_progress_fn)(void *arg, int percent, const char *step);

/*
 * A user's limits.  Per VM: vCPUs, memory, disk, snapshots; per user:
 * how many VMs and images, the totals of their definitions (stopped VMs
 * count too), and the bytes their files take (or may grow to).  A
 * member for each of QUOTA_FIELDS, below.
 */
struct quota {
	uint64_t	 q_vms;
	uint64_t	 q_vm_vcpus;
	uint64_t	 q_vm_memory_mib;
	uint64_t	 q_vm_disk;		/* bytes */
	uint64_t	 q_vcpus;
	uint64_t	 q_memory_mib;
	uint64_t	 q_disk;		/* bytes */
	uint64_t	 q_images;
	uint64_t	 q_snapshots;
	uint64_t	 q_loan;		/* s a loan may reach; 0: any */
	uint64_t	 q_vm_cpu_weight;	/* 0: no ceiling */
	uint64_t	 q_vm_cpu_max;		/* thousandths of a CPU; 0: none */
	uint64_t	 q_vm_net_rate;		/* bit/s a VM's NICs may have in
						   all; 0: no ceiling */
	uint64_t	 q_vm_disk_iops;	/* ceiling of each disk's; 0: none */
	uint64_t	 q_vm_disk_bps;		/* bytes/s, the same */
};
enum quota_kind {
	QUOTA_COUNT,
	QUOTA_MIB,			/* memory, in MiB */
	QUOTA_BYTES,			/* a size */
	QUOTA_SECS,			/* a duration; 0: no limit */
	QUOTA_CEILING,			/* a number; 0: no ceiling */
	QUOTA_CPUS,			/* thousandths of a CPU; 0: no ceiling */
	QUOTA_RATE,			/* bit/s; 0: no ceiling */
	QUOTA_IOPS,			/* operations a second; 0: no limit */
	QUOTA_BPS,			/* bytes a second; 0: no limit */
};

/*
 * Every limit, once, in the order they are stored, sent and set:
 *   X(column, option, key, kind, used, what, label)
 * column is its member q_COLUMN of struct quota, its column of the
 * store's quotas table and its name in the quota and quota-set
 * commands; option is fwsctl quota-set's --OPTION; key its fwsd.conf
 * key (config.c); used: fwsd counts what a user uses of it (quota.c);
 * what names it in a refusal, label in fwsctl quota's table.  store.c,
 * quota.c, cmd.c and fwsctl iterate this list.
 */
#define QUOTA_FIELDS(X)							\
	X(vms, "vms", "quota_vms", QUOTA_COUNT, 1,			\
	    "VMs per user", "VMs")					\
	X(vm_vcpus, "vm-vcpus", "quota_vm_vcpus", QUOTA_COUNT, 0,	\
	    "vCPUs per VM", "vCPUs per VM")				\
	X(vm_memory_mib, "vm-memory", "quota_vm_memory", QUOTA_MIB, 0,	\
	    "memory per VM (MiB)", "memory per VM")			\
	X(vm_disk, "vm-disk", "quota_vm_disk", QUOTA_BYTES, 0,		\
	    "disk per VM", "disk per VM")				\
	X(vcpus, "vcpus", "quota_vcpus", QUOTA_COUNT, 1,		\
	    "vCPUs in all", "vCPUs")					\
	X(memory_mib, "memory", "quota_memory", QUOTA_MIB, 1,		\
	    "memory in all (MiB)", "memory")				\
	X(disk, "disk", "quota_disk", QUOTA_BYTES, 1,			\
	    "disk in all", "disk")					\
	X(images, "images", "quota_images", QUOTA_COUNT, 1,		\
	    "images per user", "images")				\
	X(snapshots, "snapshots", "quota_snapshots", QUOTA_COUNT, 0,	\
	    "snapshots per VM", "snapshots per VM")			\
	X(loan, "loan", "quota_loan", QUOTA_SECS, 0,			\
	    "loan", "loan ahead")					\
	X(vm_cpu_weight, "vm-cpu-weight", "quota_vm_cpu_weight",	\
	    QUOTA_CEILING, 0, "CPU weight per VM", "CPU weight per VM")	\
	X(vm_cpu_max, "vm-cpu-max", "quota_vm_cpu_max", QUOTA_CPUS, 0,	\
	    "CPU cap per VM (CPUs)", "CPU cap per VM")		\
	X(vm_net_rate, "vm-net-rate", "quota_vm_net_rate", QUOTA_RATE, 0, \
	    "network rate per VM", "net rate per VM")	\
	X(vm_disk_iops, "vm-disk-iops", "quota_vm_disk_iops", QUOTA_IOPS, \
	    0, "I/O operations per disk", "IOPS per disk")		\
	X(vm_disk_bps, "vm-disk-bps", "quota_vm_disk_bps", QUOTA_BPS, 0, \
	    "I/O bytes per disk", "I/O per disk")

/* One of them as fwsd holds it (quota.c's quota_fields). */
struct quota_field {
	const char	*qf_column;
	const char	*qf_what;
	const char	*qf_key;
	size_t		 qf_off;
	enum quota_kind	 qf_kind;
	int		 qf_used;	/* counted in what a user uses */
};

/*
 * A disk's I/O limits (disk-io.c), each per second; 0: no limit.  A total
 * and its read or write part exclude each other, as qemu has it.
 */
struct disk_io {
	uint64_t	 io_iops;	/* operations, read and written */
	uint64_t	 io_iops_rd;
	uint64_t	 io_iops_wr;
	uint64_t	 io_bps;	/* bytes, read and written */
	uint64_t	 io_bps_rd;
	uint64_t	 io_bps_wr;
};

/* A template (flavor): what "create --template NAME" fills in. */
struct fws_template {
	char		 t_name[FWS_NAME_MAX + 1];
	unsigned	 t_vcpus;
	uint64_t	 t_memory_mib;
	uint64_t	 t_disk;		/* bytes; 0: no disk */
	struct disk_io	 t_io;			/* its VMs' disks' limits */
	int64_t		 t_loan;		/* s; 0: the default loan */
	unsigned	 t_cpu_weight;		/* 0: none given */
	unsigned	 t_cpu_max;		/* thousandths of a CPU; 0: none */
	uint64_t	 t_net_rate;		/* bit/s of each NIC; 0: none */
};

/*
 * One entry of tls_allowed: a client certificate's common name, and who
 * it is to fwsd: an admin (as root), or a local user (never an admin).
 */
struct tls_allow {
	char		 ta_cn[FWS_TLS_CN_MAX + 1];
	char		*ta_user;	/* NULL: admin */
	uid_t		 ta_uid;	/* ta_user's, found by config_finish */
};

/* config.c */
struct fws_config {
	char		*cf_state_dir;
	char		*cf_run_dir;
	char		*cf_disk_dir;		/* VMs' own new disks: DIR/UUID;
						   NULL: each VM's dir */
	char		*cf_qemu;
	char		*cf_qemu_img;
	char		*cf_image_dirs[FWS_IMAGE_DIRS_MAX];
	int		 cf_nimage_dirs;
	char		*cf_machine;
	char		*cf_accel;		/* auto, kvm or tcg */
	unsigned	 cf_max_vcpus;
	uint64_t	 cf_max_memory_mib;
	uint64_t	 cf_max_disk_size;	/* bytes */
	unsigned	 cf_stop_timeout;	/* s */
	unsigned	 cf_restart_delay;	/* s, first backed-off restart */
	unsigned	 cf_restart_delay_max;	/* s */
	unsigned	 cf_crash_loop_restarts;	/* this many restarts ... */
	unsigned	 cf_crash_loop_window;	/* s, ... within this: failed */
	unsigned	 cf_event_history;	/* events kept in the store */
	uint64_t	 cf_console_log_max;	/* bytes, each of a VM's logs */
	char		*cf_vnc_listen;		/* address of the VNC servers */
	char		*cf_public_host;	/* the host's name for users */
	unsigned	 cf_vnc_displays;	/* displays 0 .. this - 1 */
	char		*cf_default_display;	/* vnc or spice: create's */
	char		*cf_spice_listen;	/* address of the SPICE servers;
						   vnc_listen's unless set */
	unsigned	 cf_spice_port_first;	/* spice_ports; its last next */
	unsigned	 cf_spice_port_last;
	char		*cf_socket_group;	/* group of the control socket */
	char		*cf_admin_group;	/* its members are admins */
	char		*cf_qemu_user;		/* qemu has its groups */
	uid_t		 cf_qemu_uid_first;	/* qemu_uids: one per VM */
	uid_t		 cf_qemu_uid_last;
	unsigned	 cf_max_clients;	/* connections but root's */
	unsigned	 cf_max_clients_per_user;	/* of one uid but root */
	unsigned	 cf_client_idle_timeout;	/* s; 0: never closed */
	struct quota	 cf_quota;		/* each user's default limits */
	int64_t		 cf_loan_default;	/* s; 0: no loan, never ends */
	int64_t		 cf_loan_warn[FWS_LOAN_WARNS_MAX];	/* s before the
					   end, largest first */
	int		 cf_loan_nwarn;
	int64_t		 cf_loan_grace;		/* s after the end: deleted */
	char		*cf_loan_expire;	/* keep or delete */
	struct fws_template cf_templates[FWS_TEMPLATES_MAX];
	int		 cf_ntemplates;
	char		*cf_cgroup;		/* the VMs' subtree; "none": off */
	char		*cf_cgroup_dynmods;	/* cgroup_favordynmods: yes, no */
	uint64_t	 cf_memory_overhead_mib;	/* qemu's own, over RAM */
	uint64_t	 cf_memory_swap_mib;	/* swap a qemu may use */
	char		*cf_listen_tls;		/* ADDRESS[:PORT]; NULL: off */
	char		*cf_tls_cert;		/* fwsd's certificate (chain) */
	char		*cf_tls_key;
	char		*cf_tls_ca;		/* clients' certificates' CA */
	char		*cf_tls_crl;		/* revoked ones; NULL: none */
	struct tls_allow *cf_tls_allowed;
	int		 cf_ntls_allowed;
	unsigned	 cf_mig_port_first;	/* migration_ports; its last
						   next */
	unsigned	 cf_mig_port_last;
	char		*cf_mig_address;	/* migration_address; NULL:
						   listen_tls's */
	char		*cf_mig_tls;		/* migration_tls: yes or no */
	char		*cf_ceph_conf;		/* NULL: no RBD disks */
	char		*cf_ceph_user;		/* "fws": client.fws */
	char		*cf_ceph_keyring;	/* its key: root's alone */
	char		*cf_rbd_pools;		/* users' pools: "a b"; NULL none */
	char		*cf_web_user;		/* the web front-end; NULL none */
	uid_t		 cf_web_uid;		/* its uid; (uid_t)-1: none */
	char		*cf_web_url;		/* the panel's address; NULL none */
	unsigned	 cf_web_token_ttl;	/* s a login link is valid */
	char		*cf_pam_helper;		/* fws-pam-check */
	char		*cf_image_checker;	/* fws-image-check */
	unsigned	 cf_image_check_timeout;	/* s */
};
void	 config_defaults(struct fws_config *);
int	 config_load(struct fws_config *, const char *, int, char **);
/* conf-file.c: the "key = value" file of fwsd.conf and fws-web.conf */
typedef int (*conf_set_fn)(void *, const char *, const char *, char **);
int	 conf_file_read(const char *, int, conf_set_fn, void *, char **);
char	*conf_trim(char *);
int	 config_finish(struct fws_config *, char **);
void	 config_clear(struct fws_config *);
const struct fws_template *config_template_find(const struct fws_config *,
	    const char *);

enum vm_state {
	VM_STOPPED,
	VM_STARTING,
	VM_RUNNING,
	VM_PAUSED,
	VM_STOPPING,
	VM_CRASHED,
	VM_FAILED,		/* crash loop: restarts stopped */
	VM_EXPIRED,		/* its loan ended: no start until extended */
	VM_SAVED,		/* no qemu; its RAM and devices in a file: the
				   next start resumes the guest */
	VM_MIGRATING,		/* its guest goes to another host (migrate.c);
				   without a job: the outcome is unknown */
	VM_ARRIVING,		/* a qemu waiting for a guest from another
				   host (migrate-in.c): it never runs here
				   before the source says so */
};
#define VM_STATE_LAST	VM_ARRIVING

enum vm_restart {
	VM_RESTART_ON_FAILURE,
	VM_RESTART_ALWAYS,
	VM_RESTART_NEVER,
	VM_RESTART_CLUSTER,	/* never, and the VM is a cluster manager's:
				   fwsd never starts it on its own */
};
#define VM_RESTART_WORDS	"always, on-failure, never or cluster"

/* How a VM's screen is served to users (vnc.c, spice.c). */
enum vm_display {
	VM_DISPLAY_VNC,
	VM_DISPLAY_SPICE,
};
#define VM_DISPLAY_WORDS	"vnc or spice"

struct vm_disk {
	char		*d_path;	/* absolute */
	char		*d_format;	/* "qcow2" or "raw": never probed */
	uint64_t	 d_size;	/* bytes; virtual size when created here */
	int		 d_owned;	/* created by fwsd: deleted with the VM */
	int		 d_readonly;	/* an image of the library (or the
					   owner's): the guest only reads it */
	int		 d_slot;	/* qemu's number for it (node, device,
					   store row): kept while it is there */
	struct disk_io	 d_io;		/* its throttle group's limits */
};

/* A NIC: a tap on a network's bridge, passed to qemu as an fd. */
struct vm_nic {
	char		 n_net[FWS_NAME_MAX + 1];	/* network name */
	char		 n_mac[18];
	int		 n_slot;	/* qemu's number for it (netdev,
					   device, tap, store row) */
	uint64_t	 n_rate;	/* bit/s each way (net.c shapes its
					   tap); 0: no limit */
	/* run time: its name in the network's DNS (net-dns.c), "" none */
	char		 n_dns[FWS_DNS_LABEL_MAX + 1];
};

struct request;
struct vm;
struct qmp;
struct event;
struct proc_watch;
struct snap_op;
struct save_op;
struct agent;
struct plug;
struct create_disk;
struct mig_out;
struct mig_in;

/*
 * What happens to a VM: the operator's verbs, what fwsd decides itself,
 * what its qemu does, and what fwsd finds when it starts.  vm.c's table
 * says, for each state, what each does.
 */
enum vm_event {
	/* asked for: by the operator (or fwsd's own: AUTOSTART) */
	EV_START,
	EV_AUTOSTART,		/* autostart, or a restart that is due */
	EV_STOP,		/* ACPI power button, then quit, then kill */
	EV_DESTROY,		/* kill */
	EV_PAUSE,
	EV_RESUME,
	EV_REBOOT,
	EV_SNAPSHOT,		/* a snapshot operation's begin */
	EV_MEDIA,		/* a change of the CD drive's begin */
	EV_KEYS,		/* send-key: keys pressed on the guest's keyboard */
	EV_SCREEN,		/* screenshot: a picture of the guest's screen */
	EV_DISK,		/* a change of the disks' begin (disk-resize,
				   disk-add, disk-remove) */
	EV_NIC,			/* a change of the NICs' begin (nic-add,
				   nic-remove) */
	EV_RENAME,		/* a new name, for a VM without a qemu */
	EV_SAVE,		/* save: the guest's state to a file, qemu quits */
	EV_DISCARD,		/* start --fresh: the saved state thrown away */
	EV_CLONE,		/* a clone's begin: its disks read, no qemu */
	EV_MIGRATE,		/* a migration's begin: the destination waits */
	EV_ARRIVE,		/* a qemu spawned for a guest that arrives */
	EV_DELETE,
	EV_LOAN_END,		/* loan.c: the loan ended */
	EV_LOAN_EXTENDED,	/* loan.c: the loan reaches further again */
	EV_RESTART_CANCEL,	/* a stop during a restart's wait */
	/* told by qemu */
	EV_SPAWN_FAILED,	/* no qemu: fork, exec, a file, a tap */
	EV_RUNNING,		/* the start is done: qemu runs the guest */
	EV_START_FAILED,	/* a QMP step of the start failed, or timed out */
	EV_PAUSED,		/* QMP STOP: paused (by pause, or by itself) */
	EV_RESUMED,		/* QMP RESUME */
	EV_STOP_TIMER,		/* a stop's step took too long */
	EV_EXIT_ASKED,		/* qemu ended: a stop or destroy did it */
	EV_EXIT_POWEROFF,	/* qemu ended: the guest powered off */
	EV_EXIT_PANIC,		/* qemu ended: the guest panicked */
	EV_EXIT_CRASH,		/* qemu ended, nobody asked */
	EV_EXIT_START,		/* qemu ended during the operator's start */
	EV_EXIT_SAVED,		/* qemu quit after its state was saved */
	EV_EXIT_RESTORE,	/* qemu ended before a saved state was back */
	EV_SAVE_FAILED,		/* a save's step failed: the guest runs on */
	EV_MIGRATE_BACK,	/* a migration failed: the guest runs here */
	EV_MIGRATE_BACK_PAUSED,	/* ... and stays paused, as it was */
	EV_MIGRATE_UNKNOWN,	/* its end not heard: the guest stays paused */
	EV_EXIT_MIGRATED,	/* qemu quit: the guest runs on the destination */
	EV_ARRIVED,		/* the arrived guest runs (the source said so) */
	/* fwsd's own */
	EV_RESTART_DUE,		/* the restart policy's wait is over */
	EV_CRASH_LOOP,		/* the restart policy gives up */
	EV_ADOPT_ALIVE,		/* fwsd started: the VM's qemu still runs */
	EV_ADOPT_RUNNING,	/* ... and QMP says it runs the guest */
	EV_ADOPT_PAUSED,	/* ... or that it does not */
	EV_ADOPT_LOST,		/* fwsd started: the VM's qemu is gone */
	EV_ADOPT_SAVED,		/* ... gone after its state was saved whole */
};
#define EV_LAST		EV_ADOPT_SAVED

/*
 * A VM's job: the one long operation under way on it.  Every busy
 * refusal comes from it.  (Migrate and save come here.)
 */
enum vm_job_kind {
	JOB_NONE,
	JOB_CREATE,		/* being made: nobody sees it yet */
	JOB_START,
	JOB_STOP,		/* stop, destroy, shutdown-all, a loan's end */
	JOB_RESTART,		/* the restart policy's wait */
	JOB_SNAPSHOT,
	JOB_MEDIA,
	JOB_DISK,		/* a disk grown, added or removed */
	JOB_NIC,		/* a NIC added or removed */
	JOB_SAVE,		/* the guest's state to a file, then qemu quits */
	JOB_CLONE,		/* its disks copied (or made bases) for a clone */
	JOB_MIGRATE_OUT,	/* its guest goes to another host */
	JOB_MIGRATE_IN,		/* its guest comes from another host */
};
#define JOB_LAST	JOB_MIGRATE_IN

struct vm_job {
	enum vm_job_kind j_kind;
	int64_t		 j_since;	/* wall clock, s */
	int64_t		 j_since_ms;	/* monotonic, ms */
	int64_t		 j_actor;	/* uid that asked; -1: fwsd itself */
	int		 j_percent;	/* progress; -1: not known */
	const char	*j_step;	/* its step now, in words */
	void		*j_op;		/* the operation's own (snapshot.c,
					   media.c) */
	/* a start's */
	int		 j_by_fwsd;	/* autostart, restart: not an operator */
	char		*j_error;	/* why a start failed, from fwsd */
	/* a stop's */
	int		 j_stop_step;	/* 0 power button, 1 quit, 2 kill */
	int		 j_loan;	/* a loan's end asked for it */
	unsigned	 j_timeout;	/* s for the guest to power off */
	/* a restart's wait */
	int64_t		 j_due;		/* wall clock, s */
	/* a save's */
	int		 j_saved;	/* the state is whole on disk: qemu was
					   asked to quit */
};

/* An event of a transition, as the history records it. */
struct vm_record {
	const char	*r_event;
	const char	*r_reason;
};

/* Someone waiting for a VM's start or stop to end. */
struct vm_waiter {
	TAILQ_ENTRY(vm_waiter)	 w_entry;
	fws_done_fn		 w_fn;
	void			*w_arg;
	enum vm_state		 w_want;	/* VM_RUNNING, VM_STOPPED, or
						   VM_SAVED (a save's end) */
};
TAILQ_HEAD(vm_waiters, vm_waiter);

/* A VM's loan: when it ends, and how far its warnings have gone. */
struct vm_loan {
	int64_t		 lo_end;	/* wall clock, s; 0: no loan, no end */
	int64_t		 lo_warned;	/* the last warning given, s before
					   the end; 0: none yet */
};

struct vm {
	TAILQ_ENTRY(vm)	 vm_entry;
	int64_t		 vm_id;			/* store's row id */
	uid_t		 vm_owner;		/* the user it is lent to */
	uid_t		 vm_qemu_uid;		/* its qemu's, from qemu_uids */
	char		 vm_name[FWS_NAME_MAX + 1];	/* unique per owner */
	char		 vm_uuid[37];
	unsigned	 vm_vcpus;
	uint64_t	 vm_memory_mib;
	/* set on a VM with a qemu: from its next start (0: none) */
	unsigned	 vm_pending_vcpus;
	uint64_t	 vm_pending_memory_mib;
	uint64_t	 vm_balloon_mib;	/* the guest's, as it says; 0:
						   not known */
	json_t		*vm_pins;		/* {"vcpus": {"0": "2-3"},
						   "emulator": "0"}; NULL */
	json_t		*vm_pending_boot;	/* set on a VM with a qemu:
						   {"kernel": PATH|null, ...}
						   from its next start; NULL */
	char		 vm_mac[18];
	char		*vm_iso;
	char		*vm_kernel;
	char		*vm_initrd;
	char		*vm_append;
	int		 vm_iso_booted;		/* once=d already used */
	enum vm_restart	 vm_restart;
	int		 vm_autostart;		/* started when fwsd starts */
	enum vm_display	 vm_display;		/* from its next start */
	struct vm_disk	 vm_disks[FWS_DISKS_MAX];
	int		 vm_ndisks;
	struct vm_nic	 vm_nics[FWS_NICS_MAX];
	int		 vm_nnics;
	int64_t		 vm_created;
	struct vm_loan	 vm_loan;
	json_t		*vm_seed;		/* its cloud-init seed's content
						   (seed.c); NULL: none */

	/* persisted run state: vm.c alone writes vm_state */
	enum vm_state	 vm_state;
	pid_t		 vm_pid;
	uint64_t	 vm_pid_start;		/* its start time, for identity */
	char		*vm_last_exit;		/* why it last stopped */
	int64_t		 vm_last_exit_time;
	unsigned	 vm_restarts;		/* automatic restarts, ever */
	/* fair shares (cgroup.c): 0, the default weight, no cap */
	unsigned	 vm_cpu_weight;
	unsigned	 vm_cpu_max;		/* thousandths of a CPU */
	/* its last migration (migrate.c): under way, its step (so that
	 * a restarted fwsd knows what was done), or its figures; NULL */
	json_t		*vm_migration;

	/* run time only */
	struct vm_job	 vm_job;		/* vm.c's: the one under way */
	int64_t		 vm_cmd_actor;		/* uid of a pause or resume */
	int		 vm_vnc_display;	/* -1: none (no VNC listener) */
	char		 vm_vnc_password[FWS_VNC_PASSWORD_LEN + 1];
	int		 vm_spice_port;		/* -1: none */
	char		 vm_spice_password[FWS_SPICE_PASSWORD_LEN + 1];
	struct proc_watch *vm_watch;
	struct qmp	*vm_qmp;
	struct agent	*vm_agent;		/* the guest agent's channel */
	struct plug	*vm_plug;		/* a device_del waiting for
						   DEVICE_DELETED (vm-plug.c) */
	struct event	*vm_timer;		/* the job's: start deadline,
						   stop steps, restart wait */
	int64_t		 vm_reset_by;		/* uid whose reboot is due */
	int		 vm_guest_shutdown;	/* QMP: the guest shut down */
	int		 vm_guest_panicked;	/* QMP: the guest panicked */
	int		 vm_restoring;		/* this start resumes a saved
						   state (vm-save.c) */
	struct save_op	*vm_save_op;		/* vm-save.c's, while its qemu
						   lives (a destroy may take
						   the job over) */
	struct mig_out	*vm_mig_out;		/* migrate.c's, the same way */
	struct mig_in	*vm_mig_in;		/* migrate-in.c's */
	int64_t		 vm_reset_ms;		/* last RESET event, mono */
	int64_t		 vm_recent[FWS_CRASH_LOOP_MAX];	/* restart times, mono */
	unsigned	 vm_nrecent;
	off_t		 vm_log_offset;		/* qemu.log size before start */
	struct logcap	*vm_logcaps[2];		/* console.log, qemu.log */
	uint64_t	 vm_cg_ooms;		/* its cgroup's OOM kills when
						   its qemu started (cgroup.c) */
	uint64_t	 vm_cg_memory;		/* the memory limit in force,
						   bytes; 0: none */
	unsigned	 vm_ifbs;		/* slots whose tap has an IFB
						   of fwsd's (net.c) */
	int64_t		 vm_loan_retry;		/* a failed deletion: again */
	struct vm_waiters vm_waiters;
};
TAILQ_HEAD(vmlist, vm);

/* vm-def.c: the VM list, lookups, the names of states and policies */
extern struct vmlist	vms;
const char	*vm_state_name(enum vm_state);
const char	*vm_restart_name(enum vm_restart);
int		 vm_restart_parse(const char *, enum vm_restart *);
const char	*vm_display_name(enum vm_display);
int		 vm_display_parse(const char *, enum vm_display *, char **);
int		 vm_autostart_check(const struct vm *, enum vm_restart, int,
		    char **);
struct vm	*vm_find(uid_t, const char *);
char		*vm_key(const struct vm *);
int		 vm_tap_name(const struct vm *, int, char *, size_t);
int		 vm_slot_tap_name(const struct vm *, int, char *, size_t);
int		 vm_slot_ifb_name(const struct vm *, int, char *, size_t);
int		 vm_qemu_uid_pick(struct vm *, uid_t, uid_t, char **);
struct vm	*vm_new(void);
void		 vm_free(struct vm *);
int		 vm_is_active(const struct vm *);
int		 vm_is_hidden(const struct vm *);
void		 vm_state_set(struct vm *, enum vm_state);
const char	*vm_job_name(enum vm_job_kind);
int64_t		 vm_actor(const struct vm *);

/*
 * vm.c: the state machine.  Every change of a VM's state is vm_event()
 * over vm.c's table; the qemu side (vm-run.c, or a test's fake) acts
 * through struct vm_run_ops and reports back with vm_event().
 */
struct vm_run_ops {
	int	(*ro_spawn)(struct vm *, char **);	/* qemu, -S, QMP */
	int	(*ro_powerdown)(struct vm *, int);	/* ACPI; 1: cont too */
	int	(*ro_quit)(struct vm *);
	void	(*ro_kill)(struct vm *);
	/* a QMP command (args consumed; NULL: none), answered to fn */
	int	(*ro_command)(struct vm *, const char *, json_t *, fws_done_fn,
		    void *);
	void	(*ro_attach)(struct vm *, int);		/* adopted: 1 start */
	void	(*ro_teardown)(struct vm *);		/* qemu is gone */
	/* and once those waiting are told: its run's files */
	void	(*ro_sweep)(struct vm *);
	void	(*ro_timer)(struct vm *, int);		/* s; -1: none */
	/* one durable write: the run state and its events, together */
	void	(*ro_commit)(struct vm *, int64_t, const struct vm_record *,
		    int);
	/* a job ended (or a loan's state changed): loan.c looks again */
	void	(*ro_changed)(struct vm *, enum vm_job_kind);
	void	(*ro_discard)(struct vm *);		/* the saved state */
};
extern const struct vm_run_ops *vm_run;
const char	*vm_event_name(enum vm_event);
int		 vm_event(struct vm *, enum vm_event, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
int		 vm_job_begin(struct vm *, enum vm_job_kind, int64_t, void *,
		    enum fws_err *, char **);
int		 vm_check(struct vm *, enum vm_event, enum fws_err *, char **);
void		 vm_start_failed(struct vm *, const char *);
void		 vm_job_end(struct vm *, void *);
void		 vm_job_progress(struct vm *, int, const char *);

void		 vm_start(struct vm *, const struct caller *, fws_done_fn,
		    void *);
void		 vm_stop(struct vm *, unsigned, const struct caller *,
		    fws_done_fn, void *);
void		 vm_destroy(struct vm *, const struct caller *, fws_done_fn,
		    void *);
void		 vm_pause(struct vm *, const struct caller *, fws_done_fn,
		    void *);
int		 vm_migration_unknown(const struct vm *);
void		 vm_resume(struct vm *, const struct caller *, fws_done_fn,
		    void *);
void		 vm_reboot(struct vm *, const struct caller *, fws_done_fn,
		    void *);
void		 vm_send_keys(struct vm *, const struct caller *, json_t *,
		    fws_done_fn, void *);

/* A disk's I/O limits changed: the keys given (a bit each, in
 * disk_io_keys' order) take ds_io's values, 0 none (disk_io_merge). */
struct disk_io_set {
	int		 ds_disk;	/* its number, as info lists disks */
	struct disk_io	 ds_io;
	unsigned	 ds_given;
};
/* vm-set.c: a VM's definition changed (fwsctl set); the sizes it will
 * have: vm-def.c */
struct vm_change {
	int64_t		 vc_vcpus;	/* -1: unchanged */
	int64_t		 vc_memory_mib;	/* -1: unchanged */
	int		 vc_restart;	/* an enum vm_restart; -1: unchanged */
	int		 vc_autostart;	/* 0, 1; -1: unchanged */
	/* NULL: unchanged; "": none; else the resolved path, the line */
	const char	*vc_kernel;
	const char	*vc_initrd;
	const char	*vc_append;
	int64_t		 vc_cpu_weight;	/* -1: unchanged; 0: the default */
	int64_t		 vc_cpu_max;	/* thousandths; -1: unchanged; 0: none */
	int		 vc_display;	/* an enum vm_display; -1: unchanged */
	/* set --disk-limit: disks' I/O limits; NULL, 0: unchanged */
	const struct disk_io_set *vc_io;
	size_t		 vc_nio;
};
void		 vm_set(struct vm *, const struct caller *,
		    const struct vm_change *, fws_done_fn, void *);
int		 vm_limits(unsigned, uint64_t, const char *, char **);
void		 vm_pending_apply(struct vm *);
json_t		*vm_pending_json(const struct vm *);
unsigned	 vm_quota_vcpus(const struct vm *);
uint64_t	 vm_quota_memory(const struct vm *);
struct vm	*vm_disk_writer(const char *);
unsigned	 vm_next_vcpus(const struct vm *);
uint64_t	 vm_next_memory(const struct vm *);

/* vm-stats.c: what VMs use: CPU, memory, disk and network traffic */
void		 vm_stats(const struct caller *, int64_t, struct vm *,
		    fws_done_fn, void *);

/* vm-pin.c: the host CPUs a VM's threads may run on */
void		 vm_pins_apply(struct vm *);
int		 vm_pins_check(json_t *, unsigned, char **);
void		 vm_vcpu_info(struct vm *, fws_done_fn, void *);
void		 vm_pin(struct vm *, const struct caller *, int, const char *,
		    fws_done_fn, void *);

/* vm-dump.c: a VM's definition that travels (read back: vm-define.c) */
json_t		*vm_definition(const struct vm *);

/* vm-define.c: a VM made from a definition */
void		 vm_define(const struct caller *, json_t *, int64_t, int,
		    fws_done_fn, void *);

/* vm-rename.c: a VM's new name */
int		 vm_rename(struct vm *, const struct caller *, const char *,
		    json_t **, enum fws_err *, char **);

/* vm-disk.c: a VM's disks grown */
void		 vm_disk_resize(struct vm *, const struct caller *, int,
		    uint64_t, fws_done_fn, void *);

/* vm-save.c: a guest's state parked in a file, and resumed from it */
void		 vm_save(struct vm *, const struct caller *, fws_done_fn,
		    void *);
void		 vm_save_all(const struct caller *, fws_done_fn, void *);
void		 vm_start_fresh(struct vm *, const struct caller *, fws_done_fn,
		    void *);
char		*vm_saved_path(const struct vm *);
int		 vm_saved_exists(const struct vm *);
void		 vm_saved_discard(struct vm *, int);
void		 vm_saved_release(void);
void		 vm_save_migration(struct vm *, json_t *);
void		 vm_save_gone(struct vm *);
void		 vm_restore_begin(struct vm *);
void		 vm_restore_running(struct vm *);
json_t		*vm_saved_json(const struct vm *);
/* vm-plug.c: QMP steps that plug devices into a running qemu, and out */
#define PLUG_GONE	"qemu went away"
typedef void (*plug_done_fn)(struct vm *, json_t *, const char *, void *);
void		 plug_run(struct vm *, json_t *, const int *, int,
		    plug_done_fn, void *);
json_t		*plug_cmd(const char *, json_t *);
int		 plug_record(struct vm *, int64_t, const char *, char **,
		    const char *, ...) __attribute__((format(printf, 5, 6)));
void		 plug_unplug(struct vm *, const char *, plug_done_fn, void *);
void		 plug_deleted(struct vm *, json_t *);
void		 plug_vm_gone(struct vm *);

/* vm-disk-plug.c: a disk added to a VM, or taken from it */
void		 vm_disk_add(struct vm *, const struct caller *,
		    const struct create_disk *, fws_done_fn, void *);
void		 vm_disk_remove(struct vm *, const struct caller *, int,
		    fws_done_fn, void *);

/* vm-nic.c: a NIC added to a VM, or taken from it */
void		 vm_nic_add(struct vm *, const struct caller *, const char *,
		    const char *, uint64_t, fws_done_fn, void *);
void		 vm_nic_remove(struct vm *, const struct caller *,
		    const char *, fws_done_fn, void *);
void		 vm_nic_limit(struct vm *, const struct caller *, int,
		    uint64_t, fws_done_fn, void *);

/* vm-screen.c: a picture of a VM's screen */
void		 vm_screenshot(struct vm *, fws_done_fn, void *);
void		 vm_shutdown_all(unsigned, const struct caller *, fws_done_fn,
		    void *);
void		 vm_save_wait(struct vm *, fws_done_fn, void *);
int		 vm_may_delete(struct vm *, enum fws_err *, char **);
enum vm_look {
	LOOK_CONSOLE,			/* its serial console */
	LOOK_SCREEN,			/* its screen (VNC or SPICE) */
	LOOK_THREADS,			/* its vCPUs' threads */
};
int		 vm_may_look(const struct vm *, enum vm_look, char **);
void		 vm_start_by_fwsd(struct vm *, const char *);
void		 vm_expire(struct vm *);
void		 vm_unexpire(struct vm *, const char *);
void		 vm_timer_fired(struct vm *);
void		 vm_release(struct vm *);
void		 vm_adopted_status(struct vm *, const char *);

/* vm-paths.c: where a VM's files are */
char		*vm_dir(const struct vm *);
char		*vm_file(const struct vm *, const char *);
int		 vm_mkdir(const struct vm *, char **);
char		*vm_run_path(const struct vm *, const char *);
char		*vm_disk_dir(const struct vm *);
int		 vm_disk_dir_init(char **);
int		 vm_disk_dir_owner(const char *, uid_t *);
void		 vm_rmdir_disks(const struct vm *);

/* vm-run.c: a VM's qemu: its run files, process, QMP; vm.c's run ops */
extern const struct vm_run_ops vm_run_qemu;
void		 vm_cleanup_run_files(struct vm *);
void		 vm_run_exited(pid_t, int, void *);
int		 vm_logs_cap(struct vm *, char **);
void		 vm_logs_uncap(struct vm *);
int		 vm_console_connect(struct vm *, char **);
void		 vm_release_all(void);

/* vm-remove.c: a VM deleted, with its files */
#define VM_REMOVE_UNTOUCHED	2	/* vm_remove's keep: disks as they are */
int		 vm_remove(struct vm *, int, int64_t, const char *, char **);
void		 vm_delete(struct vm *);

/* vm-json.c: a VM as list and info show it */
json_t		*vm_to_json(const struct vm *, int);
json_t		*vm_job_json(const struct vm *);

/*
 * vm-restart.c: the restart policy, a pure function: after an exit
 * nobody asked for, restart now, after a delay, or give up (failed).
 */
enum restart_decision {
	RESTART_NONE,
	RESTART_AFTER,		/* *delay s from now */
	RESTART_FAILED,		/* a crash loop */
};
struct restart_policy {
	unsigned	 rp_delay;	/* restart_delay */
	unsigned	 rp_delay_max;
	unsigned	 rp_loop_restarts;	/* crash_loop_restarts */
	unsigned	 rp_loop_window;	/* crash_loop_window, s */
};
void		 restart_policy_of(const struct fws_config *,
		    struct restart_policy *);
enum restart_decision restart_decide(struct vm *,
		    const struct restart_policy *, int64_t, int64_t,
		    unsigned *);
void		 restart_note(struct vm *, int64_t);

/* loan-policy.c: a loan's next step and its time, a pure function */
enum loan_step {
	LOAN_NONE,		/* no loan, or nothing more to do */
	LOAN_WARN,		/* say that the end is near */
	LOAN_EXPIRE,		/* the end: stop the VM, expire it */
	LOAN_DELETE,		/* the grace is over: delete it */
};
struct loan_policy {
	const int64_t	*lp_warn;	/* s before the end, largest first */
	int		 lp_nwarn;
	int64_t		 lp_grace;	/* s after the end */
	int		 lp_delete;	/* loan_expire = delete */
};
const char	*loan_step_name(enum loan_step);
int		 loan_over(const struct vm_loan *, int64_t);
enum loan_step	 loan_next(const struct vm_loan *, int,
		    const struct loan_policy *, int64_t, int64_t *, int64_t *);
int		 loan_end_valid(int64_t, int64_t, char **);

/* loan.c: the one timer of the loans' steps */
void		 loan_init(void);
void		 loan_release(void);
void		 loan_changed(void);
void		 loan_json_add(json_t *, const struct vm *, int);

/* vm-adopt.c: fwsd's own start-up: what it finds, told to vm.c */
void		 vm_adopt_all(void);
void		 vm_autostart_all(void);

/* snapshot.c: internal snapshots, by QMP jobs or qemu-img */
void		 snapshot_op(struct vm *, const struct caller *, const char *,
		    const char *, int, fws_done_fn, void *);
void		 snapshot_list_all(const struct caller *, int64_t, fws_done_fn,
		    void *);
void		 snapshot_job_status(struct vm *, json_t *);
void		 snapshot_vm_gone(struct vm *);
void		 snapshot_adopt(struct vm *);
void		 snapshot_adopt_stopped(struct vm *);

/* media.c: the disc in a VM's CD drive, changed live or in its definition */
enum media_err {
	MEDIA_OK,
	MEDIA_EMPTY,		/* nothing to take out */
	MEDIA_BUSY,		/* a change under way, or the VM between states */
	MEDIA_NO_DRIVE,		/* a qemu from before every VM had a drive */
	MEDIA_FAILED,		/* qemu refused, or went away */
	MEDIA_STORE,		/* the definition cannot be written */
};
typedef void (*media_done_fn)(struct vm *, enum media_err, const char *,
    void *);
void		 media_change(struct vm *, const char *, media_done_fn,
		    void *);
void		 media_adopt(struct vm *);

/* events.c: the lifecycle history, stored and streamed */
void		 event_record(const struct vm *, const char *, const char *,
		    ...) __attribute__((format(printf, 3, 4)));
void		 event_record_by(const struct vm *, int64_t, const char *,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
int		 event_follow(uint64_t, json_t *, int64_t, const char *);
void		 event_unfollow(uint64_t);

/* vm-agent.c: the QEMU guest agent's channel, the addresses it tells */
void		 agent_open(struct vm *, int);
void		 agent_close(struct vm *);
void		 agent_forget(struct vm *);
void		 agent_refresh(struct vm *);
json_t		*agent_addresses(const struct vm *, const char *);

/* vm-qemu.c: the qemu command line, a pure function of its inputs */
/*
 * A disk's files as qemu gets them, top first: layer 0 is the disk
 * (ql_fd -1: opened by qemu by its path, writable), the others its
 * backing files, each a read-only descriptor.  qd_nlayers 0: the disk
 * alone, by path.
 */
struct vm_qemu_disk {
	int		 qd_nlayers;
	struct {
		int		 ql_fd;
		const char	*ql_format;
	}		 qd_layer[FWS_CHAIN_MAX];
};
struct vm_qemu_paths {
	const char	*qp_qemu;
	const char	*qp_machine;
	const char	*qp_accel;	/* "kvm" or "tcg": accel_for_start() */
	const char	*qp_serial_log;
	const char	*qp_pidfile;
	int		 qp_qmp_fd;
	int		 qp_serial_fd;
	int		 qp_agent_fd;	/* the guest agent's channel; 0: none */
	int		 qp_boot_iso;	/* first boot from the ISO */
	int		 qp_incoming;	/* -incoming defer: a saved state */
	int		 qp_tap_fd[FWS_NICS_MAX];	/* one per NIC */
	const char	*qp_vnc;	/* the -vnc argument, or NULL */
	const char	*qp_spice;	/* the -spice argument, or NULL */
	struct vm_qemu_disk qp_disks[FWS_DISKS_MAX];
	int		 qp_iso_fd;	/* the ISO, read-only */
	int		 qp_seed_fd;	/* the cloud-init seed; 0: none */
	int		 qp_rbd_key_fd;	/* the RBD key (rbd_key_fd); -1 none */
	const char	*qp_ceph_conf;	/* RBD disks' cluster and user */
	const char	*qp_ceph_user;
};
char	**vm_qemu_argv(const struct vm *, const struct vm_qemu_paths *);
json_t	 *vm_qemu_rbd_node(const char *, const char *, const char *,
	    const char *, int);
char	 *vm_qemu_port(const char *, const char *, int);
int	  vm_qemu_node_slot(const char *);
void	  vm_qemu_argv_free(char **);
char	 *vm_qemu_escape(const char *);

/* accel.c: the accelerator, "auto" probed with the configured qemu */
void		 accel_init(void);
int		 accel_probing(void);
const char	*accel_name(void);
const char	*accel_reason(void);
const char	*accel_for_start(void);
void		 accel_release(void);
char		*accel_qemu_words(const char *);

/*
 * cgroup.c: each qemu in a cgroup of its own below fwsd's (v1 or v2),
 * with its CPU weight and cap and its memory limit
 */
#define FWS_CGROUP_JOIN		3	/* v1: cpu, cpuacct, memory */
enum cgroup_mode {
	CGROUP_OFF,		/* cgroup = none: nothing enforced */
	CGROUP_V1,		/* a hierarchy per controller */
	CGROUP_V2,		/* the unified hierarchy */
};
enum cgroup_ctrl {
	CG_CPU,
	CG_CPUACCT,
	CG_MEMORY,
};
#define CG_NCTRL	3
/* Where fwsd's own cgroup is, from the mount table and /proc/self/cgroup. */
struct cgroup_layout {
	enum cgroup_mode cl_mode;
	/* v1: each controller's directory of fwsd's cgroup; v2: [0] only */
	char		*cl_own[CG_NCTRL];
	char		*cl_rel[CG_NCTRL];	/* its path in the hierarchy */
	int		 cl_dynmods;	/* a cgroup mount says favordynmods */
	/* the first cgroup2 mount (even an empty one): where favordynmods
	   can be set; its per-mount and its file system's options */
	char		*cl_v2_mount;
	char		*cl_v2_mntopts;
	char		*cl_v2_superopts;
};
int		 cgroup_layout_parse(const char *, const char *,
		    struct cgroup_layout *, char **);
int		 cgroup_dynmods_remount(const char *, const char *,
		    unsigned long *, char **);
void		 cgroup_layout_clear(struct cgroup_layout *);
unsigned	 cgroup_shares(unsigned);
void		 cgroup_quota(unsigned, unsigned *, unsigned *);
uint64_t	 cgroup_memory_max(uint64_t, uint64_t);
int		 cgroup_weight_check(int64_t, char **);
int		 cgroup_cpu_max_check(int64_t, unsigned, char **);
int		 cgroup_init(char **);
void		 cgroup_release(void);
int		 cgroup_enabled(void);
const char	*cgroup_off_words(void);
struct proc_spec;
int		 cgroup_vm_prepare(struct vm *, struct proc_spec *, char **);
void		 cgroup_spec_close(struct proc_spec *);
int		 cgroup_vm_apply_cpu(struct vm *, char **);
void		 cgroup_vm_adopt(struct vm *);
int		 cgroup_vm_oom_killed(struct vm *);
void		 cgroup_vm_release(struct vm *);
void		 cgroup_vm_remove(struct vm *);
void		 cgroup_sweep(void);
json_t		*cgroup_vm_json(const struct vm *);
json_t		*cgroup_vm_stats(const struct vm *);

/* proc.c */
typedef void (*proc_exit_fn)(pid_t, int, void *);
/*
 * what qemu inherits: QMP, serial, the guest agent's channel, taps, the
 * ISO, the cloud-init seed, every disk's chain
 */
#define FWS_SPAWN_KEEP_MAX	(3 + FWS_NICS_MAX + 2 + \
				 FWS_DISKS_MAX * FWS_CHAIN_MAX)
struct proc_spec {
	char *const	*ps_argv;
	int		 ps_stdin;	/* its stdin; 0 (fwsd's own, never
					   given): /dev/null */
	int		 ps_stdout;	/* also stderr; -1: /dev/null */
	int		 ps_keep[FWS_SPAWN_KEEP_MAX];	/* dup'ed to fd 3, 4, ... */
	int		 ps_nkeep;
	uid_t		 ps_uid;	/* 0: stays root */
	gid_t		 ps_gid;
	const gid_t	*ps_groups;	/* supplementary groups */
	size_t		 ps_ngroups;
	uint64_t	 ps_fsize_max;	/* largest file it may write; 0: any */
	int		 ps_cgroup[FWS_CGROUP_JOIN];	/* cgroup.procs files
					   it joins before it runs */
	int		 ps_ncgroup;
	int		 ps_join_quick;	/* the kernel favours dynamic changes:
					   a join waits for no grace period */
	int		 ps_cgroup_born;	/* v2: born in ps_cgroup_dir */
	int		 ps_cgroup_dir;		/* (CLONE_INTO_CGROUP) */
};
int	 proc_spawn(const struct proc_spec *, pid_t *, char **);
struct proc_watch;
struct proc_watch *proc_watch(pid_t, proc_exit_fn, void *, char **);
void	 proc_unwatch(struct proc_watch *);
int	 proc_signal(struct proc_watch *, int);
void	 proc_kill_wait(struct proc_watch *);
char	*proc_status_words(int);
uint64_t proc_start_time(pid_t);
uint64_t proc_cpu_ns(pid_t);
uint64_t proc_rss_bytes(pid_t);
int	 proc_cmdline_has(pid_t, const char *const *);
int	 proc_cmdline_is(pid_t, char *const *);
pid_t	 proc_pidfile(const char *);
char	*proc_output(const char *, size_t);

/* vm-img.c: qemu-img on a VM's disks, as its qemu uid */
pid_t	 vm_qemu_img(const struct vm *, const char *const *, const char *,
	    proc_exit_fn, void *, struct proc_watch **, char **);
pid_t	 vm_qemu_img_fd(const struct vm *, const char *const *, int,
	    proc_exit_fn, void *, struct proc_watch **, char **);
pid_t	 vm_qemu_img_keep(const struct vm *, const char *const *, int, int,
	    proc_exit_fn, void *, struct proc_watch **, char **);
struct evbuffer;
double	 img_progress_read(struct evbuffer *, char *, size_t);
char	*img_last_words(const char *, const char *);

/* What a network's DHCP hands out as name servers. */
enum net_dns {
	NET_DNS_LOCAL,		/* dnsmasq's own, on the bridge (default) */
	NET_DNS_SERVERS,	/* the servers net-create --dns named */
	NET_DNS_NONE,		/* none */
};

/* A lease, as dnsmasq's lease file has it (net-lease.c). */
struct net_lease {
	char		 nl_mac[18];
	char		 nl_ip[16];
	char		 nl_host[FWS_DNS_LABEL_MAX + 1];	/* "": none */
	int64_t		 nl_expires;	/* 0: never */
};

/* A network: a bridge fwsd makes (or finds), with optional NAT and DHCP. */
struct net {
	TAILQ_ENTRY(net) net_entry;
	int64_t		 net_id;
	char		 net_name[FWS_NAME_MAX + 1];
	char		 net_bridge[FWS_IFNAME_MAX + 1];
	char		*net_uplink;		/* enslaved into the bridge */
	char		*net_address;		/* the host's CIDR on it */
	int		 net_nat;
	char		*net_dhcp_start;
	char		*net_dhcp_end;
	enum net_dns	 net_dns;
	char		*net_dns_servers;	/* "IP,IP": NET_DNS_SERVERS */
	int		 net_autostart;
	int64_t		 net_created;
	int		 net_bridge_made;	/* fwsd made it: deletes it */
	int		 net_open;		/* users may attach VMs to it */
	int		 net_public;		/* reaches outside addresses:
						   image_policy.c's */

	/* run time */
	int		 net_active;
	struct proc_watch *net_dhcpd;		/* dnsmasq */
	pid_t		 net_dhcpd_pid;
	int		 net_dhcpd_replace;	/* an older one, told to go */
	struct event	*net_dhcpd_timer;	/* its restart */
	/* its lease file as last read (net-lease.c) */
	struct net_lease *net_lease_v;
	size_t		 net_lease_n;
	int		 net_lease_read;
	dev_t		 net_lease_dev;
	ino_t		 net_lease_ino;
	off_t		 net_lease_size;
	struct timespec	 net_lease_mtime;
};
TAILQ_HEAD(netlist, net);

/* net-def.c */
extern struct netlist	nets;
struct net	*net_find(const char *);
struct net	*net_new(void);
void		 net_free(struct net *);
const char	*net_dns_mode_name(enum net_dns);
int		 net_dns_mode_parse(const char *, enum net_dns *);

/* net.c */
int		 net_start(struct net *, char **);
int		 net_stop(struct net *, char **);
int		 net_in_use(const struct net *, int, const struct vm **);
void		 net_autostart_all(void);
void		 net_release_all(void);
json_t		*net_to_json(const struct net *, int);
int		 net_vm_taps(struct vm *, int *, char **);
int		 net_vm_tap(struct vm *, const struct vm_nic *, int *,
		    char **);
void		 net_vm_adopt(struct vm *);
int		 net_vm_shape(struct vm *, const struct vm_nic *,
		    char **);
void		 net_vm_untap(struct vm *, int);
int		 net_vm_has_tap(const struct vm *, int);
void		 net_vm_untaps(struct vm *);
void		 net_ifb_sweep(void);

/* net-lease.c: the leases dnsmasq gave, read back */
void		 net_lease_refresh(void);
int		 net_lease_addresses(const struct net *, const char *,
		    json_t *);
json_t		*net_leases(struct net *, char **);

/* net-nat.c: nftables rules, one table per network */
int		 net_nat_add(const struct net *, char **);
int		 net_nat_remove(const struct net *, char **);

/* net-dhcp.c: a supervised dnsmasq per network */
int		 net_dhcp_start(struct net *, char **);
void		 net_dhcp_stop(struct net *);
void		 net_dhcp_release(struct net *);
char		*net_dhcp_leasefile(const struct net *);
void		 net_dhcp_reload(struct net *);
void		 net_dhcp_sync(void);

/* net-dns.c: the VMs' names on a network, the name servers handed out */
#define NET_DNS_ARGS_MAX	10	/* dnsmasq words net_dns_args adds */
char		*net_dns_domain(const struct net *);
json_t		*net_dns_fqdn(const struct net *, const char *);
char		*net_dns_hostsfile(const struct net *);
void		 net_dns_assign(struct net *);
int		 net_dns_write_hosts(struct net *, int *, char **);
void		 net_dns_args(const struct net *, char **, int *);
json_t		*net_dns_to_json(const struct net *);

/* store.c */
int	 store_open(const char *, char **);
void	 store_close(void);
int	 store_schema_version(void);
int	 store_vm_insert(struct vm *, char **);
int	 store_begin(char **);
int	 store_commit(char **);
void	 store_rollback(void);
int	 store_vm_update_run(const struct vm *, char **);
int	 store_vm_update_qemu_uid(const struct vm *, char **);
int	 store_vm_update_iso_booted(const struct vm *, char **);
int	 store_vm_update_iso(const struct vm *, char **);
int	 store_vm_update_autostart(const struct vm *, char **);
int	 store_vm_update_config(const struct vm *, char **);
int	 store_disk_update_size(const struct vm *, int, char **);
int	 store_disk_update_io(const struct vm *, int, char **);
int	 store_vm_devices(const struct vm *, char **);
int	 store_nic_update_rate(const struct vm *, int, char **);
int	 store_vm_rename(const struct vm *, char **);
int	 store_vm_update_pins(const struct vm *, char **);
int	 store_vm_update_loan(const struct vm *, char **);
int	 store_vm_update_migration(const struct vm *, char **);
int64_t	 store_event_insert(int64_t, uid_t, int64_t, const char *,
	    const char *, const char *, char **);
int	 store_event_prune(unsigned, char **);
json_t	*store_event_list(int64_t, const char *, unsigned, char **);
int	 store_vm_delete(const struct vm *, char **);
int	 store_vm_load(struct vmlist *, char **);
int	 store_net_insert(struct net *, char **);
int	 store_net_delete(const struct net *, char **);
int	 store_net_update(const struct net *, char **);
int	 store_net_load(struct netlist *, char **);
int	 store_snap_sync(const struct vm *, json_t *, char **);
json_t	*store_snap_list(const struct vm *);
json_t	*store_snap_index(const struct vm *);
int	 store_quota_get(uid_t, struct quota *, char **);
/* what fws-image-check found in an image, by its path */
struct imgcheck_rec {
	char		*ir_ident;	/* which file: imgcheck_ident */
	int64_t		 ir_checked;	/* when the check ended; -1: never */
	char		*ir_findings;	/* JSON array; NULL: none known */
	char		*ir_error;	/* why the check failed */
	int64_t		 ir_accepted_by;	/* the admin's uid; -1: no */
	int64_t		 ir_accepted;	/* when */
};
int	 store_imgcheck_get(const char *, struct imgcheck_rec *, char **);
void	 store_imgcheck_free(struct imgcheck_rec *);
int	 store_imgcheck_result(const char *, const char *, int64_t,
	    const char *, const char *, char **);
int	 store_imgcheck_accept(const char *, const char *, uid_t, int64_t,
	    char **);
int	 store_imgcheck_want(const char *, const char *, char **);
json_t	*store_imgcheck_owed(char **);
int	 store_imgcheck_delete(const char *, char **);
int	 store_quota_set(uid_t, const char *, int64_t, char **);

/* create.c: making a VM */
/* A disk asked for: a new one of cd_size bytes, or the file cd_path. */
struct create_disk {
	const char	*cd_path;	/* NULL: a new disk */
	const char	*cd_format;	/* cd_path's, never probed; a new
					   disk's (NULL: qcow2) */
	uint64_t	 cd_size;	/* bytes; 0: none given */
	struct disk_io	 cd_io;		/* its limits; none: the template's */
	/* a definition's (vm-define.c) */
	int		 cd_owned;	/* cd_path was its VM's: it stays so
					   where the VM's own disks are */
	const char	*cd_backing;	/* a new disk: a qcow2 overlay on
					   this image (by name) */
};
/*
 * A NIC asked for: on network cn_net, with MAC cn_mac (NULL: made), at
 * most cn_rate bit/s each way (0: the template's, else none).
 */
struct create_nic {
	const char	*cn_net;
	const char	*cn_mac;
	uint64_t	 cn_rate;
};
/*
 * What "create" asks for, the types checked (cmd-create.c); create_vm
 * checks the values.  NULL, or -1 for a number: not given.  The strings
 * and arrays are the caller's.
 */
struct create_spec {
	const char	*cs_name;
	int64_t		 cs_owner;	/* a uid; -1: the caller's */
	const char	*cs_template;
	int64_t		 cs_vcpus;	/* -1: the template's, else 1 */
	int64_t		 cs_memory_mib;	/* -1: the template's, else 1024 */
	int64_t		 cs_until;	/* the loan's end; -1: the default */
	int64_t		 cs_cpu_weight;	/* -1: the template's, else none */
	int64_t		 cs_cpu_max;	/* thousandths; -1: the template's */
	const char	*cs_restart;	/* a policy's name */
	const char	*cs_display;	/* vnc, spice; NULL: default_display */
	int		 cs_autostart;
	const char	*cs_mac;
	const char	*cs_iso;	/* library names, or paths */
	const char	*cs_kernel;
	const char	*cs_initrd;
	const char	*cs_append;	/* the kernel's command line */
	const char	*cs_base;	/* disk 0 is an overlay on this image */
	struct create_disk *cs_disks;
	size_t		 cs_ndisks;
	int		 cs_disks_given;	/* even none: no template disk */
	struct create_nic *cs_nics;
	size_t		 cs_nnics;
	/* a definition's (vm-define.c): NULL, none */
	const char	*cs_uuid;	/* kept: the VM is "defined" */
	json_t		*cs_pins;	/* vm_pins' shape, checked here */
	/* {"ssh_keys": [...], "password_hash": H, "user_data": U}; NULL */
	json_t		*cs_seed;
};
void	 create_vm(const struct caller *, const struct create_spec *,
	    fws_done_fn, void *);
void	 create_uuid(char *, size_t);
void	 create_random_mac(char *, size_t);
struct vm *create_clash(uid_t, const char *, const char *);
int	 create_mac_free(const struct caller *, const struct vm *,
	    const char *, char **);
int	 create_nic_net(const struct caller *, const char *, char **);

/* seed.c: what a VM's cloud-init seed (NoCloud) holds, checked */
int	 seed_key_check(const char *, size_t, char **);
int	 seed_hash_check(const char *, char **);
int	 seed_check(json_t *, json_t **, char **);
char	*seed_user_data(const json_t *);
char	*seed_meta_data(const char *, const char *);
json_t	*seed_summary(const json_t *);

/* seed-iso.c: its image, made by genisoimage */
typedef void (*seed_done_fn)(void *, char *);
struct seed_iso;
char	*seed_iso_path(const struct vm *);
struct seed_iso *seed_iso_make(const struct vm *, seed_done_fn, void *,
	    char **);
void	 seed_iso_cancel(struct seed_iso *);
void	 seed_iso_remove(const struct vm *);

/* rbd.c: disks that are Ceph RBD images, through the rbd tool */
#define FWS_RBD_TOOL	"/usr/bin/rbd"
#define FWS_CEPH_USER	"fws"		/* ceph_user: client.fws */
#define FWS_RBD_SECRET	"fws-rbd-key"	/* qemu's secret object's id */
typedef void (*rbd_done_fn)(void *, const char *, json_t *);
struct rbd_run;
struct rbd_name;
int	 rbd_enabled(void);
int	 rbd_pool_allowed(const struct caller *, const char *, char **);
int	 rbd_init(char **);
int	 rbd_key_fd(char **);
struct rbd_run *rbd_run(const char *const *, const struct rbd_name *,
	    rbd_done_fn, void *, char **);
void	 rbd_run_cancel(struct rbd_run *);
void	 rbd_image_remove(const char *, const char *);
char	*rbd_qemu_words(const struct vm *, const char *);

/* clone.c: a VM made from another's disks */
/* What "clone" asks for, the types checked (cmd-clone.c). */
struct clone_spec {
	const char	*cl_name;	/* the new VM's */
	int		 cl_linked;	/* overlays on the source's disks */
};
void	 clone_vm(struct vm *, const struct caller *,
	    const struct clone_spec *, fws_progress_fn, fws_done_fn, void *);
int	 create_disk_check(const struct caller *, struct vm *, const char *,
	    const char *, struct vm_disk *, char **);

/* control.c */
typedef void (*control_line_fn)(uint64_t, const char *, size_t);
typedef void (*control_gone_fn)(uint64_t);
int	 control_listen(const char *, gid_t, gid_t, control_line_fn,
	    control_gone_fn, char **);
int	 control_peer(uint64_t, uid_t *, int *);
const char *control_subject(uint64_t);
int	 control_passes_fds(uint64_t);
struct bufferevent;
void	 control_adopt(struct bufferevent *, uid_t, int, const char *);
void	 control_shutdown(void);

/* control-tls.c: listen_tls, clients with certificates */
int	 control_tls_listen(char **);
void	 control_tls_shutdown(void);
int	 control_send(uint64_t, json_t *);
int	 control_send_fd(uint64_t, json_t *, int);
int	 control_push(uint64_t, json_t *);
int	 control_stream(uint64_t);

/* peer.c: a connection to another fwsd, as its client */
struct peer;
typedef void (*peer_up_fn)(void *, const char *);
typedef void (*peer_gone_fn)(void *, const char *);
typedef void (*peer_reply_fn)(void *, json_t *, const char *, const char *);
struct peer	*peer_open(const char *, const char *, peer_up_fn, peer_gone_fn,
		    void *, char **);
const char	*peer_where(const struct peer *);
int		 peer_request(struct peer *, const char *, json_t *, int,
		    peer_reply_fn, void *);
void		 peer_close(struct peer *);
void		 peer_release(void);

/* migrate.c: a guest sent to another host (the source's side) */
/* What "migrate" asks for, the types checked (cmd-migrate.c). */
struct migrate_spec {
	const char	*ms_host;	/* the destination's fwsd */
	const char	*ms_port;
	int		 ms_copy_storage;
	uint64_t	 ms_bandwidth;	/* bytes/s; 0: no cap */
	uint64_t	 ms_downtime;	/* ms; 0: QEMU's */
	unsigned	 ms_timeout;	/* s; 0: none */
};
void	 migrate_out(struct vm *, const struct caller *,
	    const struct migrate_spec *, fws_progress_fn, fws_done_fn, void *);
void	 migrate_out_event(struct vm *, const char *, json_t *);
void	 migrate_out_gone(struct vm *);
void	 migrate_out_exited(struct vm *);
void	 migrate_adopt(struct vm *);
int	 migrate_handed_over(const struct vm *);

/* migrate-in.c: a guest that arrives from another host */
void	 migrate_in(const struct caller *, uint64_t, json_t *, fws_done_fn,
	    void *);
void	 migrate_in_finish(struct vm *, json_t *, fws_done_fn, void *);
void	 migrate_in_abort(struct vm *, fws_done_fn, void *);
void	 migrate_in_ready(struct vm *);
void	 migrate_in_event(struct vm *, const char *, json_t *);
void	 migrate_in_timer(struct vm *);
void	 migrate_in_gone(struct vm *);
void	 migrate_in_exited(struct vm *);
void	 migrate_in_client_gone(uint64_t);
void	 migrate_in_adopt(struct vm *);
char	*migrate_tls_dir(const struct vm *);
void	 migrate_tls_remove(const struct vm *);
int	 migrate_tls_files(const struct vm *, int, char **);

/* access.c: the qemu user, directories and files qemu may use */
int		 access_init(gid_t *, gid_t *, char **);
int		 access_is_admin(uid_t);
void		 access_release(void);
uid_t		 access_qemu_uid(uid_t);
int		 access_mkdir(const char *, char **);
int		 access_mkdir_private(const char *, char **);
int		 access_run_dir(const char *, char **);
int		 access_give_qemu(const char *, uid_t, char **);
int		 access_take_back(const char *, char **);
void		 access_spec_qemu(struct proc_spec *, uid_t);
int		 access_spec_user(struct proc_spec *, uid_t, gid_t *, char **);
char		*access_user_path(uid_t, const char *);
int		 access_user_area(uid_t, char **);

/* vnc.c: the VMs' screens */
enum vnc_reach {
	VNC_LOOPBACK,		/* this host alone */
	VNC_ANY,		/* every address */
	VNC_ADDRESS,		/* one */
};
int		 vnc_alloc(struct vm *, char **);
char		*vnc_qemu_arg(const struct vm *);
void		 vnc_new_password(struct vm *);
void		 vnc_adopt(struct vm *);
json_t		*vnc_to_json(const struct vm *);
void		 vnc_connect(struct vm *, fws_done_fn, void *);
int		 vnc_has_screen(const struct vm *);
int		 vnc_port_free(const char *, int);
enum vnc_reach	 vnc_reach(const char *);
void		 vnc_random_password(char *, size_t);

/* spice.c: the screens of VMs whose display is SPICE */
int		 spice_alloc(struct vm *, char **);
char		*spice_qemu_arg(const struct vm *);
void		 spice_new_password(struct vm *);
void		 spice_adopt(struct vm *);
json_t		*spice_to_json(const struct vm *);

/* logcap.c: caps on files other processes append to */
#define LOGCAP_MIN	4096		/* the smallest cap */
#define LOGCAP_COPY_MAX	(8 << 20)	/* kept at most, where copied */
#define LOGCAP_COPY	0x1		/* logcap_trim: copy, never collapse */
struct logcap;
struct logcap	*logcap_add(const char *, uint64_t, char **);
void		 logcap_remove(struct logcap *);
void		 logcap_release(void);
int		 logcap_trim(int, uint64_t, int, char **);

/* pidfile.c: fwsd --pidfile, for hosts without systemd */
int	 pidfile_lock(const char *, char **);
void	 pidfile_write(void);
void	 pidfile_remove(void);

/* notify.c: sd_notify(3) for systemd */
void	 notify_init(void);
void	 notify_ready(void);
void	 notify_status(void);
void	 notify_stopping(void);

/* web.c: the web front-end, the users it may act for */
int	 web_is_front(uint64_t, uid_t);
void	 web_let_in(uid_t);
int	 web_act_for(uint64_t, struct caller *, int64_t, char **);
void	 web_release(void);

/* web-token.c: one-time login links */
int	 web_token_new(uid_t, char *, time_t *, char **);
int	 web_token_redeem(const char *, uid_t *);
void	 web_token_release(void);

/* web-auth.c: passwords checked by PAM (fws-pam-check), held back */
int	 web_auth_name_ok(const char *);
void	 web_auth(const char *, const char *, size_t, fws_done_fn, void *);
void	 web_auth_release(void);

/* cmd-web.c: handlers in cmd.c's table */
void	 cmd_web_login(struct request *, json_t *, struct vm *);
void	 cmd_web_redeem(struct request *, json_t *, struct vm *);
void	 cmd_web_auth(struct request *, json_t *, struct vm *);

/* cmd-net.c: handlers in cmd.c's table */
void	 cmd_net_create(struct request *, json_t *, struct vm *);
void	 cmd_net_delete(struct request *, json_t *, struct vm *);
void	 cmd_net_list(struct request *, json_t *, struct vm *);
void	 cmd_net_info(struct request *, json_t *, struct vm *);
void	 cmd_net_start(struct request *, json_t *, struct vm *);
void	 cmd_net_stop(struct request *, json_t *, struct vm *);
void	 cmd_net_leases(struct request *, json_t *, struct vm *);
void	 cmd_net_open(struct request *, json_t *, struct vm *);
void	 cmd_net_public(struct request *, json_t *, struct vm *);

/* image.c: the library, users' images, backing chains */
/* What a library file is, from its name. */
enum image_type {
	IMAGE_DISK,
	IMAGE_ISO,
	IMAGE_KERNEL,
	IMAGE_INITRD,
};
/* One file of an image's chain, opened read-only and checked. */
struct image_layer {
	int		 il_fd;
	char		*il_path;	/* resolved */
	char		 il_format[8];	/* "qcow2" or "raw" */
	uint64_t	 il_size;	/* virtual size */
	dev_t		 il_dev;
	ino_t		 il_ino;
};
/* An image (layer 0) and its backing files, top to bottom. */
struct image_chain {
	struct image_layer ic_layer[FWS_CHAIN_MAX];
	int		 ic_n;
};
int	 image_dirs(uid_t, int, char **);
int	 image_base_dirs(uid_t, char **);
int	 image_is_base(uid_t, const char *);
void	 image_dirs_free(char **, int);
int	 image_chain_open(const char *, const char *, char **, int,
	    struct image_chain *, char **);
void	 image_chain_close(struct image_chain *);
int	 image_check(const char *, const char *, char **, int, uint64_t *,
	    char **);
int	 image_snapshot_count(int, const char *, uint32_t *, char **);
json_t	*image_list(int64_t);
int	 image_in_use(const char *, const struct vm *);
const char *image_type_name(enum image_type);
int	 image_find(uid_t, const char *, enum image_type, char **, char **,
	    char **);
int	 image_file_arg(uid_t, int, enum image_type, const char *, char **,
	    char **);
int	 image_disk_name(uid_t, const char *, char *, size_t);
void	 image_scratch_clean(void);

/* cmd-create.c: the create command (a handler in cmd.c's table) */
void	 cmd_create(struct request *, json_t *, struct vm *);

/* cmd-define.c: dump and define (handlers in cmd.c's table) */
void	 cmd_dump(struct request *, json_t *, struct vm *);
void	 cmd_define(struct request *, json_t *, struct vm *);

/* cmd-migrate.c: migrate, and what one fwsd asks another (cmd.c's table) */
void	 cmd_migrate(struct request *, json_t *, struct vm *);
void	 cmd_migrate_incoming(struct request *, json_t *, struct vm *);
void	 cmd_migrate_finish(struct request *, json_t *, struct vm *);
void	 cmd_migrate_abort(struct request *, json_t *, struct vm *);

/* cmd-media.c: the media command (a handler in cmd.c's table) */
void	 cmd_media(struct request *, json_t *, struct vm *);

/* cmd-set.c: set and rename (handlers in cmd.c's table) */
void	 cmd_set(struct request *, json_t *, struct vm *);
void	 cmd_rename(struct request *, json_t *, struct vm *);

/* cmd-clone.c: the clone command (a handler in cmd.c's table) */
void	 cmd_clone(struct request *, json_t *, struct vm *);

/* cmd-disk.c: disk-resize, disk-add, disk-remove (cmd.c's table) */
void	 cmd_disk_resize(struct request *, json_t *, struct vm *);
void	 cmd_disk_add(struct request *, json_t *, struct vm *);
void	 cmd_disk_remove(struct request *, json_t *, struct vm *);

/* cmd-nic.c: nic-add, nic-remove (cmd.c's table) */
void	 cmd_nic_add(struct request *, json_t *, struct vm *);
void	 cmd_nic_remove(struct request *, json_t *, struct vm *);

/* cmd-pin.c: vcpu-info, vcpu-pin, emulator-pin (cmd.c's table) */
void	 cmd_vcpu_info(struct request *, json_t *, struct vm *);
void	 cmd_vcpu_pin(struct request *, json_t *, struct vm *);

/* cmd-screen.c: send-key and screenshot (handlers in cmd.c's table) */
void	 cmd_send_key(struct request *, json_t *, struct vm *);
void	 cmd_screenshot(struct request *, json_t *, struct vm *);
void	 cmd_screen_connect(struct request *, json_t *, struct vm *);

/* cmd-user.c: quotas (handlers in cmd.c's table) */
void	 cmd_quota(struct request *, json_t *, struct vm *);
void	 cmd_quota_set(struct request *, json_t *, struct vm *);

/* cmd-image.c: the image library (handlers in cmd.c's table) */
void	 cmd_image_list(struct request *, json_t *, struct vm *);
void	 cmd_image_import(struct request *, json_t *, struct vm *);
void	 cmd_image_delete(struct request *, json_t *, struct vm *);
void	 cmd_image_check(struct request *, json_t *, struct vm *);
void	 cmd_image_accept(struct request *, json_t *, struct vm *);

/* image-import.c: a user's own image, converted into their area */
/* What "image-import" asks for, the types checked (cmd-image.c). */
struct import_spec {
	const char	*is_name;
	int64_t		 is_owner;	/* a uid; -1: the caller's */
	const char	*is_path;
	const char	*is_format;	/* never probed */
	uint64_t	 is_offset;	/* with is_length: a slice of is_path */
	uint64_t	 is_length;	/* 0: the whole file */
};
void	 import_image(const struct caller *, const struct import_spec *,
	    fws_progress_fn, fws_done_fn, void *);

/* image-creds.c: the credential check of images (fws-image-check) */
void	 creds_check(const char *, const char *, const char *, int64_t,
	    fws_progress_fn, fws_done_fn, void *);
int	 creds_forget(const char *, char **);
json_t	*creds_json(const char *);
int	 creds_cleared(const char *, const char *, char **);
int	 creds_accept(const char *, uid_t, char **);
void	 creds_resume(void);
void	 creds_release(void);

/* public-policy.c: which VMs may reach a public network */
int	 public_check(const struct vm *, const char *, char *const *, int,
	    char **);
int	 public_net_check(const struct net *, const struct caller *, char **);

/* cmd-loan.c: loan and loans (handlers in cmd.c's table) */
void	 cmd_loan(struct request *, json_t *, struct vm *);
void	 cmd_loans(struct request *, json_t *, struct vm *);

/* quota.c: a user's limits and what they use */
extern const struct quota_field quota_fields[];
int	 quota_of(uid_t, struct quota *, char **);
void	 quota_usage(uid_t, const struct vm *, struct quota *);
int	 quota_check(uid_t, const struct vm *, enum fws_err *, char **);
int	 quota_check_snapshot(const struct vm *, unsigned, int,
	    enum fws_err *, char **);
int	 quota_check_import(uid_t, uint64_t *, enum fws_err *, char **);
int	 quota_check_bases(uid_t, unsigned, uint64_t, enum fws_err *,
	    char **);
int	 quota_check_loan(uid_t, int64_t, int64_t, enum fws_err *, char **);
int	 quota_check_cpu(uid_t, unsigned, unsigned *, unsigned *,
	    enum fws_err *, char **);
int	 quota_net_rate(const struct caller *, const struct vm *, int,
	    uint64_t, uint64_t *, enum fws_err *, char **);
int	 quota_disk_io(uid_t, struct disk_io *, int, enum fws_err *, char **);
char	*quota_room_words(uint64_t);
json_t	*quota_to_json(uid_t, char **);

/* cmd.c: the command table */
void	 cmd_dispatch(uint64_t, const char *, size_t);
void	 cmd_client_gone(uint64_t);

/* request.c: a request in flight and its answer */
/* A request in flight: answered exactly once, then freed. */
struct request {
	uint64_t	 rq_client;
	json_t		*rq_id;
	char		 rq_cmd[32];
	struct caller	 rq_caller;	/* who asks */
	struct vm	*rq_vm;		/* the VM it names, if any */
};
void	 request_vm_done(void *, enum fws_err, const char *, json_t *);
void	 request_ok(struct request *, json_t *);
void	 request_ok_fd(struct request *, json_t *, int, const char *);
void	 request_error(struct request *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	 request_cause(struct request *, int, char *);
void	 request_free(struct request *);
uid_t	 request_uid(const struct request *);
const struct caller *request_caller(const struct request *);
int	 request_code(enum fws_err);
void	 request_done(void *, enum fws_err, const char *, json_t *);
void	 request_progress(void *, int, const char *);
uint64_t request_client(const struct request *);
json_t	*request_id(const struct request *);
int	 request_admin(const struct request *);
int	 request_sees(const struct request *, const struct vm *);
char	*request_vm_words(const struct request *, const struct vm *);
int	 request_owner_arg(json_t *, int64_t *, char **);
int	 request_owner(struct request *, json_t *, int64_t *, int *, char **);

/* caller.c: who asks, what they see, whose VMs they may name */
int	 caller_sees(const struct caller *, const struct vm *);
char	*caller_vm_words(const struct caller *, const struct vm *);
int	 caller_owner(const struct caller *, int64_t, int64_t *, char **);
int	 caller_exempt(const struct caller *, uid_t);

/* fwsd.c */
extern struct fws_config	 conf;
extern struct event_base	*base;

/* cause.c: shared with fwsctl */
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
int	 cause_fail(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* sock.c: shared with fwsctl */
int	 sock_listen(const char *, mode_t, int, char **);
int	 sock_connect(const char *, int, char **);
ssize_t	 sock_send_fd(int, const void *, size_t, int, int);
ssize_t	 sock_recv_fd(int, void *, size_t, int *);

/* disk-io.c: a disk's I/O limits, read, checked, said (shared with fwsctl) */
#define DISK_IO_NKEYS		6
#define DISK_IO_BPS		3		/* the first key of bytes */
#define DISK_IO_IOPS_MAX	1000000		/* operations per second */
#define DISK_IO_BPS_MIN		1024ULL		/* bytes per second */
#define DISK_IO_BPS_MAX		(1ULL << 40)
extern const char *const disk_io_keys[DISK_IO_NKEYS];
uint64_t *disk_io_field(struct disk_io *, int);
int	 disk_io_key(const char *);
int	 disk_io_none(const struct disk_io *);
int	 disk_io_parse_opt(const char *, struct disk_io *, unsigned *, int,
	    char **);
int	 disk_io_from_json(json_t *, struct disk_io *, unsigned *, int,
	    char **);
int	 disk_io_check(const struct disk_io *, char **);
void	 disk_io_merge(struct disk_io *, const struct disk_io *, unsigned);
int	 disk_io_ceiling(struct disk_io *, uint64_t, uint64_t, int *);
char	*disk_io_text(const struct disk_io *);
void	 disk_io_to_json(json_t *, const struct disk_io *);
json_t	*disk_io_qemu_limits(const struct disk_io *);

/* validate.c: shared with fwsctl */
int	 validate_name(const char *, char **);
/*
 * An RBD image as fws names it: "rbd:POOL/IMAGE", "rbd:POOL/IMAGE@SNAP"
 * (validate_rbd); each part FWS_RBD_NAME_MAX characters at most.
 */
#define FWS_RBD_PREFIX		"rbd:"
#define FWS_RBD_NAME_MAX	64
struct rbd_name {
	char		 rn_pool[FWS_RBD_NAME_MAX + 1];
	char		 rn_image[FWS_RBD_NAME_MAX + 1];
	char		 rn_snap[FWS_RBD_NAME_MAX + 1];	/* "": none */
};
enum rbd_snap_rule {
	RBD_SNAP_NONE,		/* an image alone */
	RBD_SNAP_MUST,		/* an image's snapshot */
};
int	 validate_rbd(const char *, enum rbd_snap_rule, struct rbd_name *,
	    char **);
int	 validate_rbd_part(const char *, const char *, char **);
int	 is_rbd(const char *);
int	 validate_hexval(int);
int	 validate_mac(const char *, char **);
int	 validate_uuid(const char *, char **);
#define VALIDATE_IPV4_LEN	15	/* "255.255.255.255" */
#define VALIDATE_CIDR_LEN	18	/* "255.255.255.255/32" */
int	 validate_ipv4(const char *, struct in_addr *, char **);
int	 validate_cidr(const char *, struct in_addr *, int *, char **);
#define VALIDATE_HOST_MAX	253	/* a DNS name's longest */
#define VALIDATE_PORT_LEN	5
int	 validate_hostport(const char *, const char *, char *, size_t,
	    char *, size_t, char **);
int	 parse_size(const char *, uint64_t *, char **);
int	 parse_memory_mib(const char *, uint64_t *, char **);
int	 parse_cpus(const char *, unsigned *, char **);
const char *format_cpus(unsigned, char *, size_t);
const char *format_size(uint64_t, char *, size_t);
int	 parse_rate(const char *, uint64_t *, char **);
const char *format_rate(uint64_t, char *, size_t);
void	 mac_from_name(const char *, char *, size_t);
int	 path_confine(const char *, char *const *, int, char **, char **);
int	 parse_duration(const char *, int64_t *, char **);
int	 parse_date(const char *, int64_t *, char **);
char	*duration_text(int64_t);
char	*duration_words(int64_t);
char	*date_text(int64_t);
char	*utf8_clean(const char *);

#endif
