/*
 * fwsctl.c: the command-line client.  One table of verbs, a row for each
 * of the protocol's commands (proto.h), drives option parsing, dispatch,
 * usage and the suggestions for a typo; each verb turns its arguments
 * into one control request (proto.c), and prints the reply as a table
 * or sentence, or as JSON with --json.  Names (users,
 * owners) are looked up here, never by fwsd.  Exit status: 0 done, 1
 * refused or unreachable, 2 usage error.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fws.h"
#include "fwsctl.h"
#include "proto.h"

/* A verb's row: indexed by enum proto_cmd, which names it (proto.h). */
struct verb {
	int		(*v_fn)(struct ctx *);
	int		 v_needs_name;	/* 0 none, 1 NAME, 2 [NAME], 3 NAME ARG,
					   4 NAME ARG... */
	const char	*v_opts;	/* "timeout= keep-disks": '=' takes a value */
	const char	*v_usage;
	const char	*v_help;
};

static int	verb_create(struct ctx *);
static int	verb_simple(struct ctx *);
static int	verb_stop(struct ctx *);
static int	verb_delete(struct ctx *);
static int	verb_info(struct ctx *);
static int	verb_console(struct ctx *);
static int	verb_version(struct ctx *);
static int	verb_autostart(struct ctx *);
static int	verb_events(struct ctx *);
static int	verb_shutdown_all(struct ctx *);
static int	verb_start(struct ctx *);
static int	verb_net_create(struct ctx *);
static int	verb_net_simple(struct ctx *);
static int	verb_net_list(struct ctx *);
static int	verb_net_public(struct ctx *);
static int	verb_net_info(struct ctx *);
static int	verb_net_leases(struct ctx *);
static int	verb_snapshot(struct ctx *);
static int	verb_snapshot_list(struct ctx *);
static int	verb_vnc(struct ctx *);
static int	verb_net_open(struct ctx *);
static int	verb_media(struct ctx *);
static int	verb_send_key(struct ctx *);
static int	verb_screenshot(struct ctx *);
static int	verb_set(struct ctx *);
static int	verb_disk_resize(struct ctx *);
static int	verb_disk_add(struct ctx *);
static int	verb_disk_remove(struct ctx *);
static int	verb_nic_add(struct ctx *);
static int	verb_nic_remove(struct ctx *);
static int	verb_rename(struct ctx *);
static int	verb_clone(struct ctx *);
static int	verb_web_login(struct ctx *);
static int	verb_display(struct ctx *);

/* quota-set's options and their usage: every limit of QUOTA_FIELDS */
#define QUOTA_COUNT_ARG		"N"
#define QUOTA_MIB_ARG		"SIZE"
#define QUOTA_BYTES_ARG		"SIZE"
#define QUOTA_SECS_ARG		"DURATION|none"
#define QUOTA_CEILING_ARG	"N|none"
#define QUOTA_CPUS_ARG		"CPUS|none"
#define QUOTA_RATE_ARG		"RATE|none"
#define QUOTA_IOPS_ARG		"N|none"
#define QUOTA_BPS_ARG		"SIZE|none"
#define VERB_QUOTA_OPT(col, opt, key, kind, used, what, label)	opt "= "
#define VERB_QUOTA_USAGE(col, opt, key, kind, used, what, label) \
	" [--" opt " " kind##_ARG "]"

static const struct verb verbs[PROTO_NCMDS] = {
	[PROTO_CMD_AUTOSTART] = { verb_autostart, 3, "", "NAME on|off",
	    "start the VM when fwsd starts (once per boot of the host)" },
	[PROTO_CMD_CLONE] = { verb_clone, 3, "linked json",
	    "NAME NEW-NAME [--linked] [--json]",
	    "make a new VM of a stopped VM's disks: copies of them, or\n"
	    "\t   with --linked overlays on them (they become images)" },
	[PROTO_CMD_CONSOLE] = { verb_console, 1, "", "NAME",
	    "attach to the serial console (leave with Ctrl-])" },
	[PROTO_CMD_CREATE] = { verb_create, 1,
	    "template= vcpus= memory= disk= base= iso= kernel= initrd= append= "
	    "mac= restart= autostart net= until= for= cpu-weight= cpu-max= "
	    "ssh-key= password-hash= user-data= display=",
	    "NAME [--template T] [--vcpus N] [--memory MiB|SIZE]\n\t"
	    "[--cpu-weight N] [--cpu-max CPUS] [--base "
	    "IMAGE|rbd:POOL/IMAGE@SNAP]\n\t[--disk SIZE|PATH[,format=F]|"
	    "rbd:POOL/IMAGE[,size=SIZE][,iops=N][,bps=SIZE]...]..."
	    "\n\t[--iso NAME|PATH] "
	    "[--kernel NAME|PATH [--initrd NAME|PATH]\n\t[--append CMDLINE]] "
	    "[--mac MAC] [--restart on-failure|always|never|cluster]\n\t[--autostart] "
	    "[--net NETWORK[,mac=MAC][,rate=RATE]]...\n\t[--until DATE | "
	    "--for DURATION]\n\t[--ssh-key FILE]... [--password-hash HASH] | "
	    "[--user-data FILE]\n\t[--display vnc|spice]",
	    "define a VM; --disk SIZE makes a new qcow2 disk, --base IMAGE a\n"
	    "\t   copy-on-write overlay on a library (or your own) image;\n"
	    "\t   rbd:POOL/IMAGE an RBD image (made with size=, else attached),\n"
	    "\t   --base rbd:POOL/IMAGE@SNAP a clone of an RBD snapshot;\n"
	    "\t   --until or --for lends it until a time; --cpu-weight (1-10000,\n"
	    "\t   100 by default) is its share of busy CPUs, --cpu-max CPUS\n"
	    "\t   (e.g. 0.5) caps it; --ssh-key, --password-hash (crypt(3)'s,\n"
	    "\t   e.g. mkpasswd's) or --user-data give the guest a cloud-init\n"
	    "\t   seed (NoCloud); --display serves its screen over VNC or\n"
	    "\t   SPICE (fwsd.conf's default_display by default)" },
	[PROTO_CMD_DEFINE] = { verb_define, 1, "new-disks json",
	    "FILE|- [--new-disks] [--json]",
	    "make a VM from a definition (dump's JSON, from this host or\n"
	    "\t   another): its uuid and MACs kept, its disks attached at\n"
	    "\t   their paths, or with --new-disks made anew, empty, of the\n"
	    "\t   same sizes" },
	[PROTO_CMD_DELETE] = { verb_delete, 1, "keep-disks",
	    "NAME [--keep-disks]",
	    "delete a stopped VM and the disks fwsd made for it" },
	[PROTO_CMD_DESTROY] = { verb_simple, 1, "", "NAME",
	    "stop a VM at once (kill its qemu)" },
	[PROTO_CMD_DISPLAY] = { verb_display, 1, "vv json",
	    "NAME [--vv | --json]",
	    "how to see the VM's screen (VNC or SPICE), and its password;\n"
	    "\t   --vv writes a connection file for remote-viewer to stdout" },
	[PROTO_CMD_DISK_ADD] = { verb_disk_add, 4, "json",
	    "NAME SIZE|PATH[,format=qcow2|raw][,iops=N][,bps=SIZE]... "
	    "[--json]",
	    "give a VM another disk: a new one of SIZE, or a file, with\n"
	    "\t   its I/O limits (iops[_rd|_wr]=N, bps[_rd|_wr]=SIZE a\n"
	    "\t   second); live when the VM runs" },
	[PROTO_CMD_DISK_REMOVE] = { verb_disk_remove, 4, "json",
	    "NAME DISK [--json]",
	    "take disk DISK (its number in info) from a VM, live when it\n"
	    "\t   runs (not disk 0 then); a disk fwsd made is deleted" },
	[PROTO_CMD_DISK_RESIZE] = { verb_disk_resize, 4, "json",
	    "NAME DISK SIZE [--json]",
	    "grow a disk (DISK: its number in info), live when the VM\n"
	    "\t   runs; never shrink" },
	[PROTO_CMD_DUMP] = { verb_dump, 1, "compact", "NAME [--compact]",
	    "print a VM's definition as JSON, which define takes (on this\n"
	    "\t   host or another)" },
	[PROTO_CMD_EMULATOR_PIN] = { verb_vcpu_pin, 3, "json",
	    "NAME CPUS|all [--json]",
	    "run the VM's other qemu threads (main loop, I/O) on those\n"
	    "\t   host CPUs only; all: anywhere again" },
	[PROTO_CMD_EVENTS] = { verb_events, 2, "json follow limit=",
	    "[NAME] [--follow] [--limit N] [--json]",
	    "show the lifecycle history; --follow streams new events" },
	[PROTO_CMD_IMAGE_ACCEPT] = { verb_image_accept, 1, "json",
	    "NAME [--owner USER] [--json]",
	    "let an image reach public networks whatever its check found\n"
	    "\t   (admins)" },
	[PROTO_CMD_IMAGE_CHECK] = { verb_image_check, 1, "json",
	    "NAME [--json]",
	    "check an image for well-known credentials (again; or wait for\n"
	    "\t   the check under way) and show what was found" },
	[PROTO_CMD_IMAGE_DELETE] = { verb_image_delete, 1, "", "NAME",
	    "delete one of your own images" },
	[PROTO_CMD_IMAGE_IMPORT] = { verb_image_import, 3, "format=",
	    "NAME FILE [--format qcow2|raw|vmdk|vdi|vhdx|vpc|ova|box]",
	    "convert your image (an .ova or a Vagrant .box too) into a qcow2 of your own" },
	[PROTO_CMD_IMAGE_LIST] = { verb_image_list, 0, "json", "[--json]",
	    "list the image library (ISOs, base images) and your images" },
	[PROTO_CMD_INFO] = { verb_info, 1, "json", "NAME [--json]",
	    "show a VM's definition and state" },
	[PROTO_CMD_LIST] = { verb_list, 0, "json", "[--json]", "list VMs" },
	[PROTO_CMD_LOAN] = { verb_loan, 1, "extend= until= for= remove json",
	    "NAME [--extend DURATION | --until DATE | --for DURATION |\n\t"
	    "--remove] [--json]",
	    "show a VM's loan, or extend it, or give it a new end" },
	[PROTO_CMD_LOANS] = { verb_loans, 0, "json", "[--json]",
	    "list what ends when: the VMs lent until a time" },
	[PROTO_CMD_MEDIA] = { verb_media, 1, "iso= eject json",
	    "NAME --iso NAME|PATH | NAME --eject",
	    "put an ISO in the VM's CD drive, or take it out: live when\n"
	    "\t   it runs, for its next start when it does not" },
	[PROTO_CMD_MIGRATE] = { verb_migrate, 1,
	    "to= copy-storage bandwidth= max-downtime= timeout= json",
	    "NAME --to tls://HOST[:PORT] [--copy-storage] [--bandwidth MiB/s]"
	    "\n\t[--max-downtime MS] [--timeout S] [--json]",
	    "move a running guest to another host's fwsd (live); its disks\n"
	    "\t   shared by both, or with --copy-storage copied over" },
	[PROTO_CMD_NET_CREATE] = { verb_net_create, 1,
	    "bridge= uplink= address= nat dhcp= dns= no-dns no-autostart open "
	    "public",
	    "NAME --bridge BR [--uplink IF] [--address CIDR] [--nat]\n\t"
	    "[--dhcp START-END [--dns IP[,IP]... | --no-dns]] "
	    "[--no-autostart]\n\t[--open] [--public]",
	    "define and start a network (a bridge, maybe NAT and DHCP, whose\n"
	    "\t   guests get fwsd's resolver unless --dns or --no-dns)" },
	[PROTO_CMD_NET_DELETE] = { verb_net_simple, 1, "", "NAME",
	    "stop and delete a network no VM uses" },
	[PROTO_CMD_NET_INFO] = { verb_net_info, 1, "json", "NAME [--json]",
	    "show a network and the NICs on it" },
	[PROTO_CMD_NET_LEASES] = { verb_net_leases, 1, "json", "NAME [--json]",
	    "show the DHCP leases: MAC, IP, VM" },
	[PROTO_CMD_NET_LIST] = { verb_net_list, 0, "json", "[--json]",
	    "list networks" },
	[PROTO_CMD_NET_OPEN] = { verb_net_open, 3, "", "NAME on|off",
	    "let users attach their VMs to the network, or not" },
	[PROTO_CMD_NET_PUBLIC] = { verb_net_public, 3, "", "NAME on|off",
	    "mark a network as reaching outside addresses: only VMs whose\n"
	    "\t   images are clean or accepted may join it" },
	[PROTO_CMD_NET_START] = { verb_net_simple, 1, "", "NAME",
	    "bring a network up" },
	[PROTO_CMD_NET_STOP] = { verb_net_simple, 1, "", "NAME",
	    "take a network down (no running VM may use it)" },
	[PROTO_CMD_NIC_ADD] = { verb_nic_add, 4, "json",
	    "NAME NETWORK[,mac=MAC][,rate=RATE] [--json]",
	    "give a VM another NIC on NETWORK; live when the VM runs" },
	[PROTO_CMD_NIC_REMOVE] = { verb_nic_remove, 4, "json",
	    "NAME MAC [--json]",
	    "take the NIC with MAC from a VM, live when it runs" },
	[PROTO_CMD_PAUSE] = { verb_simple, 1, "", "NAME",
	    "pause a running VM" },
	[PROTO_CMD_QUOTA] = { verb_quota, 0, "json", "[--json]",
	    "show your limits and what your VMs use of them" },
	[PROTO_CMD_QUOTA_SET] = { verb_quota_set, 1,
	    QUOTA_FIELDS(VERB_QUOTA_OPT), "USER" QUOTA_FIELDS(VERB_QUOTA_USAGE),
	    "set a user's limits (\"default\" puts one back)" },
	[PROTO_CMD_REBOOT] = { verb_simple, 1, "", "NAME", "reset a VM" },
	[PROTO_CMD_RENAME] = { verb_rename, 3, "json", "NAME NEW-NAME [--json]",
	    "give a VM without a qemu a new name" },
	[PROTO_CMD_RESUME] = { verb_simple, 1, "", "NAME",
	    "resume a paused VM" },
	[PROTO_CMD_SAVE] = { verb_simple, 1, "json", "NAME [--json]",
	    "park a running guest: its RAM and devices to a file, qemu\n"
	    "\t   quits; the next start resumes it where it was" },
	[PROTO_CMD_SCREENSHOT] = { verb_screenshot, 3, "json", "NAME FILE",
	    "a PNG of the VM's screen, written to FILE (- for stdout)" },
	[PROTO_CMD_SEND_KEY] = { verb_send_key, 4, "", "NAME KEYS...",
	    "press keys on the guest's keyboard, one combination after\n"
	    "\t   another (e.g. ctrl-alt-delete, or h i ret)" },
	[PROTO_CMD_SET] = { verb_set, 1, "vcpus= memory= restart= autostart= "
	    "kernel= initrd= append= cpu-weight= cpu-max= disk-limit= "
	    "nic-limit= display= json",
	    "NAME [--vcpus N] [--memory MiB|SIZE] [--restart POLICY]\n\t"
	    "[--autostart on|off] [--kernel NAME|PATH|none]\n\t"
	    "[--initrd NAME|PATH|none] [--append LINE]\n\t"
	    "[--cpu-weight N|default] [--cpu-max CPUS|none]\n\t"
	    "[--disk-limit DISK,iops=N,bps=SIZE,...|DISK,none]...\n\t"
	    "[--display vnc|spice] [--json]\n\t"
	    "| NAME --nic-limit NIC,rate=RATE|none [--json]",
	    "change a VM: at once when it is stopped; a running one's\n"
	    "\t   vCPUs and memory from its next start (less memory, and\n"
	    "\t   up to what it started with, live too); its CPU weight\n"
	    "\t   and cap and a disk's I/O limits at once, live too; a\n"
	    "\t   NIC's rate each way (NIC: its number in info), live too;\n"
	    "\t   its display from its next start" },
	[PROTO_CMD_SHUTDOWN_ALL] = { verb_shutdown_all, 0, "timeout= save json",
	    "[--timeout SECONDS | --save] [--json]",
	    "stop every VM, as stop does, all at once (--save: save\n"
	    "\t   every running guest instead, as save does)" },
	[PROTO_CMD_SNAPSHOT_CREATE] = { verb_snapshot, 3, "disk-only json",
	    "NAME TAG [--disk-only]",
	    "snapshot a VM (a running one with its memory, unless "
	    "--disk-only)" },
	[PROTO_CMD_SNAPSHOT_DELETE] = { verb_snapshot, 3, "json", "NAME TAG",
	    "delete a snapshot" },
	[PROTO_CMD_SNAPSHOT_LIST] = { verb_snapshot_list, 2, "all json",
	    "NAME [--json] | --all [--json]",
	    "list a VM's snapshots, or every VM's" },
	[PROTO_CMD_SNAPSHOT_REVERT] = { verb_snapshot, 3, "json", "NAME TAG",
	    "go back to a snapshot" },
	[PROTO_CMD_START] = { verb_start, 1, "fresh json", "NAME [--fresh] [--json]",
	    "start a VM (a saved one resumes, unless --fresh throws\n"
	    "\t   its saved state away); returns once it runs" },
	[PROTO_CMD_STATS] = { verb_stats, 2, "json prometheus",
	    "[NAME] [--json | --prometheus]",
	    "what VMs use: CPU, memory, disk and network traffic (in\n"
	    "\t   Prometheus's text format with --prometheus)" },
	[PROTO_CMD_STOP] = { verb_stop, 1, "timeout=",
	    "NAME [--timeout SECONDS]",
	    "ask the guest to power off (ACPI), then quit, then kill" },
	[PROTO_CMD_TEMPLATES] = { verb_templates, 0, "json", "[--json]",
	    "list the templates create can take" },
	[PROTO_CMD_VCPU_INFO] = { verb_vcpu_info, 1, "json", "NAME [--json]",
	    "each vCPU's thread, the host CPU it last ran on, where it\n"
	    "\t   may run" },
	[PROTO_CMD_VCPU_PIN] = { verb_vcpu_pin, 4, "json",
	    "NAME VCPU CPUS|all [--json]",
	    "run a vCPU on those host CPUs only (e.g. 2-3), from now on\n"
	    "\t   and at every start; all: anywhere again" },
	[PROTO_CMD_VERSION] = { verb_version, 0, "json", "[--json]",
	    "show fwsctl's and fwsd's versions" },
	[PROTO_CMD_VNC] = { verb_vnc, 1, "json", "NAME [--json]",
	    "how to see the VM's screen, and its password" },
	[PROTO_CMD_WEB_LOGIN] = { verb_web_login, 0, "json", "[--json]",
	    "a link that logs you in to the web panel, once, within two\n"
	    "\t   minutes (fwsd.conf's web_token_ttl)" },
};
#undef VERB_QUOTA_OPT
#undef VERB_QUOTA_USAGE

static const char	*socket_path;
static int64_t		 owner_uid = -1;	/* --owner: for an admin */

/* --owner USER: a user name or a uid. */
void
fwsctl_owner(const char *user)
{
	struct passwd	*pw;
	char		*end;
	unsigned long	 uid;

	if ((pw = getpwnam(user)) != NULL) {
		owner_uid = pw->pw_uid;
		return;
	}
	errno = 0;
	uid = strtoul(user, &end, 10);
	if (*user < '0' || *user > '9' || *end != '\0' || errno != 0 ||
	    uid >= UINT32_MAX)
		fwsctl_errx(2, "--owner %s: no such user", user);
	owner_uid = uid;
}

/* The caller's uid, asked of the kernel once. */
uid_t
fwsctl_uid(void)
{
	static uid_t	 uid;
	static int	 known;

	if (!known) {
		uid = getuid();
		known = 1;
	}
	return uid;
}

/*
 * A uid's user name, or the number when it has none.  Each uid is looked
 * up once (a listing names the same few owners again and again, and a
 * lookup may read /etc/passwd or ask a directory): the answers are kept
 * for the life of the process.
 */
const char *
fwsctl_uid_name(uid_t uid)
{
	static struct {
		uid_t	 un_uid;
		char	*un_name;
	}		*names;
	static size_t	 nnames;
	struct passwd	*pw;
	size_t		 i;
	void		*p;

	for (i = 0; i < nnames; i++)
		if (names[i].un_uid == uid)
			return names[i].un_name;
	if ((p = reallocarray(names, nnames + 1, sizeof(*names))) == NULL)
		fwsctl_errx(1, "out of memory");
	names = p;
	names[nnames].un_uid = uid;
	if ((pw = getpwuid(uid)) != NULL)
		names[nnames].un_name = xasprintf("%s", pw->pw_name);
	else
		names[nnames].un_name = xasprintf("%u", (unsigned)uid);
	return names[nnames++].un_name;
}

/* A uid from fwsd shown as its user name when it has one. */
const char *
fwsctl_user_name(json_t *uid, char *buf, size_t len)
{
	json_int_t	 n = json_integer_value(uid);

	if (!json_is_integer(uid))
		return "-";
	if (n < 0 || n > UINT32_MAX)
		snprintf(buf, len, "%lld", (long long)n);
	else
		snprintf(buf, len, "%s", fwsctl_uid_name(n));
	return buf;
}

static const char *
str_or_none(json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "";
}

/*
 * A VM's name as an admin needs it, among several users' VMs: "web" when
 * it is the caller's own, else "web (alice)".
 */
const char *
fwsctl_vm_name(json_t *name, json_t *owner, char *buf, size_t len)
{
	char	 user[64];

	if (!json_is_integer(owner) ||
	    json_integer_value(owner) == (json_int_t)fwsctl_uid())
		snprintf(buf, len, "%s", str_or_none(name));
	else
		snprintf(buf, len, "%s (%s)", str_or_none(name),
		    fwsctl_user_name(owner, user, sizeof(user)));
	return buf;
}

/*
 * fwsd names another user's VM "web (uid 1001)" in its messages, as it
 * looks up no names: shown here as "web (alice)".
 */
static void
fwsctl_print_refusal(const char *msg)
{
	const char	*p = msg, *q;
	char		 user[64], *end;
	unsigned long	 uid;
	json_t		*j;

	while ((q = strstr(p, "(uid ")) != NULL) {
		errno = 0;
		uid = strtoul(q + 5, &end, 10);
		if (q[5] < '0' || q[5] > '9' || *end != ')' || errno != 0 ||
		    uid >= UINT32_MAX) {
			fprintf(stderr, "%.*s", (int)(q + 5 - p), p);
			p = q + 5;
			continue;
		}
		j = json_integer(uid);
		fprintf(stderr, "%.*s(%s)", (int)(q - p), p,
		    fwsctl_user_name(j, user, sizeof(user)));
		json_decref(j);
		p = end + 1;
	}
	fprintf(stderr, "%s\n", p);
}

#define USAGE_COLS	79

/*
 * A verb's usage, printed from column col.  A line that would grow past
 * USAGE_COLS (as quota-set's, made from QUOTA_FIELDS, would) breaks
 * before a "[" and goes on after a tab, as the breaks written in the
 * table do.
 */
static void
usage_words(FILE *f, const char *u, int col)
{
	const char	*p = u, *q, *nl, *s;
	int		 len, w;

	while (*p != '\0') {
		if ((q = strstr(p + 1, " [")) == NULL)
			q = p + strlen(p);
		len = q - p;
		if ((nl = memchr(p, '\n', len)) != NULL) {
			/* a break written in the table */
			fprintf(f, "%.*s", (int)(nl + 1 - p), p);
			col = 0;
			p = nl + 1;
			continue;
		}
		for (w = col, s = p; s < q; s++)
			w = *s == '\t' ? (w / 8 + 1) * 8 : w + 1;
		if (w > USAGE_COLS && *p == ' ' && col > 8) {
			fprintf(f, "\n\t");
			p++;
			len--;
			for (w = 8, s = p; s < q; s++)
				w++;
		}
		fprintf(f, "%.*s", len, p);
		col = w;
		p = q;
	}
}

/*
 * Usage: of one verb or of all; asked for (--help, help) on stdout, exit
 * 0.  Unasked, the whole list would scroll the error away: one line.
 */
static void __attribute__((noreturn))
usage_out(int only, int asked)
{
	FILE	*f = asked ? stdout : stderr;
	int	 i, col;

	if (only != -1) {
		col = fprintf(f, "usage: fwsctl %s ", proto_cmds[only].pc_name);
		usage_words(f, verbs[only].v_usage, col);
		fprintf(f, "\n");
		if (asked)
			fprintf(f, "\n%s\n", verbs[only].v_help);
		exit(asked ? 0 : 2);
	}
	fprintf(f, "usage: fwsctl [--socket PATH | --connect URI [--cert FILE] "
	    "[--key FILE] [--ca FILE]]\n              [--json] [--owner USER] "
	    "VERB ...\n");
	if (!asked) {
		fprintf(f, "fwsctl help lists the verbs; fwsctl VERB --help "
		    "shows one.\n");
		exit(2);
	}
	fprintf(f, "\n");
	for (i = 0; i < PROTO_NCMDS; i++) {
		if (verbs[i].v_fn == NULL)
			continue;
		col = fprintf(f, "  %-8s ", proto_cmds[i].pc_name);
		usage_words(f, verbs[i].v_usage, col);
		fprintf(f, "\n           %s\n", verbs[i].v_help);
	}
	fprintf(f, "\nAdmins act for a user with --owner USER.\n"
	    "The socket is $FWS_SOCKET, or %s/%s.\n"
	    "--connect tls://HOST[:PORT] (or $FWS_CONNECT) reaches a remote "
	    "fwsd (port %s);\n"
	    "its certificates are cert.pem, key.pem, ca.pem in $FWS_TLS_DIR, "
	    "~/.config/fws/tls\nor /etc/fws/tls, unless --cert, --key, --ca "
	    "name others.\n"
	    "fwsctl VERB --help shows one verb; man fwsctl tells more.\n",
	    FWS_RUN_DIR_DEFAULT, FWS_SOCKET_NAME, FWS_TLS_PORT);
	exit(asked ? 0 : 2);
}

static void __attribute__((noreturn))
usage(int only)
{
	usage_out(only, 0);
}

/*
 * fwsctl --verbs (not in the usage): every command of the protocol, one
 * a line, for t-verbs.sh to hold against fwsd, the completion and the
 * manual.  Fails when one has no verb here (or one that has none, of
 * fwsd to fwsd or of the web front-end, has).
 */
static void __attribute__((noreturn))
list_verbs(void)
{
	int	 i, missing = 0;

	for (i = 0; i < PROTO_NCMDS; i++) {
		if (proto_cmds[i].pc_flags & PROTO_NO_VERB) {
			if (verbs[i].v_fn != NULL) {
				fprintf(stderr, "fwsctl: a verb for the command "
				    "%s, which has none\n", proto_cmds[i].pc_name);
				missing = 1;
			}
			continue;
		}
		if (verbs[i].v_fn == NULL) {
			fprintf(stderr, "fwsctl: no verb for the command %s\n",
			    proto_cmds[i].pc_name);
			missing = 1;
		} else
			printf("%s\n", proto_cmds[i].pc_name);
	}
	exit(missing);
}

#define SUGGEST_LEN	32	/* longer words are not typos of ours */
#define SUGGEST_MAX	8

/*
 * What a mistyped word may have meant: the candidates it begins
 * ("snap"), else the nearest within a typo or two ("lsit").
 */
struct suggest {
	const char	*sg_word;
	struct {
		const char	*s;
		int		 len;
	}		 sg_best[SUGGEST_MAX];
	int		 sg_n;
	int		 sg_dist;	/* of sg_best; 0: words it begins */
};

/* Edits from a to b, a swap of neighbours counting as one (OSA). */
static int
suggest_distance(const char *a, int la, const char *b, int lb)
{
	int	 d[SUGGEST_LEN + 1][SUGGEST_LEN + 1], i, j, v;

	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

static void
suggest_add(struct suggest *sg, const char *cand, int len)
{
	int	 wlen = strlen(sg->sg_word), dist, i;

	/* the very word is no suggestion: it was refused for its value */
	if (wlen == 0 || wlen > SUGGEST_LEN || len > SUGGEST_LEN ||
	    (wlen == len && strncmp(cand, sg->sg_word, len) == 0))
		return;
	for (i = 0; i < sg->sg_n; i++)
		if (sg->sg_best[i].len == len &&
		    strncmp(sg->sg_best[i].s, cand, len) == 0)
			return;		/* an option listed twice */
	if (wlen >= 2 && wlen < len && strncmp(cand, sg->sg_word, wlen) == 0)
		dist = 0;
	else if ((dist = suggest_distance(sg->sg_word, wlen, cand, len)) > 2 ||
	    dist > (wlen + 1) / 2)
		return;
	if (sg->sg_n == 0 || dist < sg->sg_dist) {
		sg->sg_n = 0;
		sg->sg_dist = dist;
	} else if (dist > sg->sg_dist || sg->sg_n == SUGGEST_MAX)
		return;
	sg->sg_best[sg->sg_n].s = cand;
	sg->sg_best[sg->sg_n++].len = len;
}

/* "LEAD WORD: did you mean --a, --b or --c?", or LEAD WORD OTHERWISE */
static void __attribute__((noreturn))
suggest_fail(struct suggest *sg, const char *lead, const char *dashes,
    const char *otherwise)
{
	int	 i;

	fprintf(stderr, "%s%.64s", lead, sg->sg_word);
	if (sg->sg_n == 0) {
		fprintf(stderr, "%s\n", otherwise);
		exit(2);
	}
	fprintf(stderr, ": did you mean ");
	for (i = 0; i < sg->sg_n; i++)
		fprintf(stderr, "%s%s%.*s", i == 0 ? "" : i == sg->sg_n - 1 ?
		    " or " : ", ", dashes, sg->sg_best[i].len,
		    sg->sg_best[i].s);
	fprintf(stderr, "?\n");
	exit(2);
}

/* An unknown verb: the nearest of the table's, not the whole usage. */
static void __attribute__((noreturn))
unknown_verb(const char *word)
{
	struct suggest	 sg = { .sg_word = word };
	int		 i;

	for (i = 0; i < PROTO_NCMDS; i++)
		if (verbs[i].v_fn != NULL)
			suggest_add(&sg, proto_cmds[i].pc_name,
			    strlen(proto_cmds[i].pc_name));
	suggest_fail(&sg, "fwsctl: unknown verb ", "",
	    " (fwsctl help lists them)");
}

/*
 * An unknown option: the nearest of those the verb takes (v NULL: of the
 * global ones), then how to see them all.
 */
static void __attribute__((noreturn))
unknown_option(int cmd, const char *word)
{
	static const char	 global[] = "socket= connect= cert= key= ca= "
	    "json owner= help version";
	static const char	 every[] = "json owner= help";
	const struct verb	*v = cmd != -1 ? &verbs[cmd] : NULL;
	struct suggest		 sg = { .sg_word = word };
	const char		*lists[2], *p, *vname;
	char			 lead[64], hint[64];
	int			 i, len;

	vname = v != NULL ? proto_cmds[cmd].pc_name : "";
	lists[0] = v != NULL ? v->v_opts : global;
	lists[1] = v != NULL ? every : "";
	for (i = 0; i < 2; i++)
		for (p = lists[i]; *p != '\0'; p += len + (p[len] == ' ')) {
			len = strcspn(p, " ");
			/* "timeout=": the name before the '=' */
			suggest_add(&sg, p, len > 0 && p[len - 1] == '=' ?
			    len - 1 : len);
		}
	snprintf(lead, sizeof(lead), "fwsctl%s%s: unknown option --",
	    v != NULL ? " " : "", vname);
	snprintf(hint, sizeof(hint), " (fwsctl %s%s--help lists them)",
	    vname, v != NULL ? " " : "");
	suggest_fail(&sg, lead, "--", hint);
}

void
fwsctl_errx(int code, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "fwsctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(code);
}

const char *
fwsctl_opt(struct ctx *c, const char *name)
{
	int	 i;

	for (i = c->c_nopts - 1; i >= 0; i--)
		if (strcmp(c->c_opt[i], name) == 0)
			return c->c_val[i];
	return NULL;
}

/* Does the verb take --name, and with a value? 0 no, 1 flag, 2 value. */
static int
opt_kind(const struct verb *v, const char *name)
{
	const char	*p = v->v_opts;
	size_t		 len = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		if ((p == v->v_opts || p[-1] == ' ') &&
		    (p[len] == '\0' || p[len] == ' '))
			return 1;
		if ((p == v->v_opts || p[-1] == ' ') && p[len] == '=')
			return 2;
		p += len;
	}
	return 0;
}

static void
parse(struct ctx *c, int argc, char **argv)
{
	const struct verb	*v = c->c_verb;
	char			*name, *eq;
	int			 i, kind;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			usage_out(c->c_cmd, 1);
		if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') {
			if (c->c_npos == (v->v_needs_name == 0 ? 0 :
			    v->v_needs_name == 3 ? 2 : v->v_needs_name == 4 ?
			    MAX_POS : 1))
				usage(c->c_cmd);
			c->c_pos[c->c_npos++] = argv[i];
			c->c_name = c->c_pos[0];
			continue;
		}
		name = argv[i] + 2;
		if (strcmp(name, "json") == 0) {
			c->c_json = 1;
			continue;
		}
		if (strncmp(name, "owner", 5) == 0 && (name[5] == '\0' ||
		    name[5] == '=')) {
			if (name[5] == '=')
				fwsctl_owner(name + 6);
			else if (i + 1 < argc)
				fwsctl_owner(argv[++i]);
			else
				usage(c->c_cmd);
			continue;
		}
		if ((eq = strchr(name, '=')) != NULL)
			*eq = '\0';
		if ((kind = opt_kind(v, name)) == 0)
			unknown_option(c->c_cmd, name);
		if (c->c_nopts == MAX_OPTS)
			fwsctl_errx(2, "too many options");
		c->c_opt[c->c_nopts] = name;
		if (kind == 1) {
			if (eq != NULL)
				usage(c->c_cmd);
			c->c_val[c->c_nopts++] = "";
		} else if (eq != NULL)
			c->c_val[c->c_nopts++] = eq + 1;
		else if (i + 1 < argc)
			c->c_val[c->c_nopts++] = argv[++i];
		else {
			fprintf(stderr, "fwsctl %s: --%s needs a value\n",
			    proto_cmds[c->c_cmd].pc_name, name);
			usage(c->c_cmd);
		}
	}
	if ((v->v_needs_name == 1 && c->c_npos < 1) ||
	    (v->v_needs_name >= 3 && c->c_npos < 2))
		usage(c->c_cmd);
}

/*
 * The socket refused us (EACCES): when the cause is that we are not in
 * its group, say so and how to get in, rather than "Permission denied".
 * Returns when it is something else.
 */
static void
fwsctl_not_in_group(void)
{
	struct stat	 sb;
	struct passwd	*pw;
	struct group	*gr;
	gid_t		 groups[NGROUPS_MAX + 1];
	char		 gname[64], user[64];
	int		 i, n, listed = 0;

	if (stat(socket_path, &sb) == -1 || geteuid() == 0 ||
	    (sb.st_mode & (S_IRGRP | S_IWGRP)) != (S_IRGRP | S_IWGRP) ||
	    getegid() == sb.st_gid)
		return;
	if ((n = getgroups(NGROUPS_MAX + 1, groups)) == -1)
		return;
	for (i = 0; i < n; i++)
		if (groups[i] == sb.st_gid)
			return;		/* in it: the cause is elsewhere */
	if ((pw = getpwuid(getuid())) != NULL) {
		snprintf(user, sizeof(user), "%s", pw->pw_name);
		listed = pw->pw_gid == sb.st_gid;
	} else
		snprintf(user, sizeof(user), "%u", (unsigned)getuid());
	if ((gr = getgrgid(sb.st_gid)) != NULL) {
		snprintf(gname, sizeof(gname), "%s", gr->gr_name);
		for (i = 0; gr->gr_mem[i] != NULL; i++)
			if (strcmp(gr->gr_mem[i], user) == 0)
				listed = 1;
	} else
		snprintf(gname, sizeof(gname), "%u", (unsigned)sb.st_gid);
	/* added to the group since this session began: it cannot know */
	if (listed)
		fwsctl_errx(1, "you are in group %s, which may use fwsd, but "
		    "this login session is not yet: log in again (or run "
		    "newgrp %s)", gname, gname);
	fwsctl_errx(1, "you are not in group %s, which may use fwsd (ask an "
	    "admin: usermod -a -G %s %s)", gname, gname, user);
}

int
fwsctl_connect(void)
{
	char	*cause;
	int	 s;

	if ((s = sock_connect(socket_path, 0, &cause)) == -1) {
		if (errno == EACCES)
			fwsctl_not_in_group();
		fwsctl_errx(1, "cannot reach fwsd at %s (is fwsd running? "
		    "--socket or FWS_SOCKET name another socket)", cause);
	}
	return s;
}

/* The connection to fwsd and what was read from it but not used yet. */
#define FWSCTL_REPLY_MAX	(256 << 20)	/* bytes in one line */
static const char *conn_waiting;	/* shown while a slow reply is due */
static int	 conn_progress;		/* a progress line is showing */
static char	*conn_buf;		/* what was read, grown to a line */
static size_t	 conn_size, conn_have;
static size_t	 conn_used;		/* the line handed out last */
static int64_t	 conn_asked;		/* when the request went, monotonic ms */
/* a verb's own words for the wait, after secs seconds (else generic) */
static void	(*conn_line)(char *, size_t, int);

/* The monotonic clock in milliseconds. */
static int64_t
fwsctl_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A slow request (start, stop, snapshots...) on a terminal: after a
 * second, show what is awaited and for how long, in place, once a
 * second, until the reply comes; then clear the line.  The wake-ups
 * keep to whole seconds after the request, so a late one does not
 * push the next ones late and the count goes 1, 2, 3.
 */
static void
fwsctl_progress(void)
{
	char		 line[256];
	int64_t		 elapsed;
	int		 secs, shown = 0;

	if ((conn_waiting == NULL && conn_line == NULL) ||
	    !isatty(STDERR_FILENO))
		return;
	for (;;) {
		elapsed = fwsctl_now_ms() - conn_asked;
		if (conn_wait((int)(1000 - elapsed % 1000)) != 0)
			break;
		if (conn_progress)
			continue;	/* the job's own progress shows */
		secs = (int)((fwsctl_now_ms() - conn_asked) / 1000);
		if (conn_line != NULL)
			conn_line(line, sizeof(line), secs);
		else
			snprintf(line, sizeof(line), "%s: %d s", conn_waiting,
			    secs);
		fprintf(stderr, "\r\033[K%s", line);
		shown = 1;
	}
	if (shown || conn_progress)
		fprintf(stderr, "\r\033[K");
}

/* Send one request (args consumed) on a new connection. */
static void
fwsctl_send(enum proto_cmd cmd, json_t *args)
{
	json_t	*req;
	char	*line;
	size_t	 len;
	ssize_t	 n;

	if (proto_cmds[cmd].pc_flags & PROTO_SLOW)
		conn_waiting = xasprintf("waiting for fwsd to %s",
		    proto_cmds[cmd].pc_name);
	if (owner_uid >= 0) {
		if (args == NULL)
			args = json_object();
		json_object_set_new(args, "owner", json_integer(owner_uid));
	}
	req = proto_request_new(1, proto_cmds[cmd].pc_name, args);
	line = proto_encode(req, &len);
	json_decref(req);
	if (line == NULL)
		fwsctl_errx(1, "cannot encode the request");
	conn_open();
	conn_have = conn_used = 0;
	conn_asked = fwsctl_now_ms();
	/*
	 * fwsd may have refused the connection (too many of them) and closed
	 * it already: its reason is still there to read, instead of dying of
	 * SIGPIPE
	 */
	n = conn_send(line, len);
	if (n == -1 && errno != EPIPE && errno != ECONNRESET)
		fwsctl_errx(1, "write to fwsd: %s", strerror(errno));
	if (n != -1 && (size_t)n != len)
		fwsctl_errx(1, "write to fwsd: short write");
	free(line);
}

/*
 * The next line from fwsd, its newline made a NUL, and its length in
 * *lenp: valid until the next read, which consumes it.  NULL at the end
 * of the stream.  A descriptor passed along lands in *fdp when fdp is
 * given.  The buffer grows to the longest line (a list of many VMs),
 * up to FWSCTL_REPLY_MAX.
 */
static char *
fwsctl_line(int *fdp, size_t *lenp)
{
	char	*nl, *p;
	size_t	 seen = 0;
	ssize_t	 n;

	if (conn_used > 0) {
		conn_have -= conn_used;
		memmove(conn_buf, conn_buf + conn_used, conn_have);
		conn_used = 0;
	}
	for (;;) {
		if (conn_have > seen && (nl = memchr(conn_buf + seen, '\n',
		    conn_have - seen)) != NULL)
			break;
		seen = conn_have;
		if (conn_have == conn_size) {
			if (conn_size >= FWSCTL_REPLY_MAX)
				fwsctl_errx(1, "reply from fwsd too long");
			conn_size = conn_size == 0 ? 64 * 1024 : conn_size * 2;
			if ((p = realloc(conn_buf, conn_size)) == NULL)
				fwsctl_errx(1, "out of memory");
			conn_buf = p;
		}
		fwsctl_progress();
		n = conn_recv(conn_buf + conn_have, conn_size - conn_have,
		    fdp);
		if (n <= 0)
			return NULL;
		conn_have += n;
	}
	*nl = '\0';
	*lenp = nl - conn_buf;
	conn_used = *lenp + 1;
	return conn_buf;
}

/* The next line from fwsd, parsed; NULL at the end of the stream. */
static json_t *
fwsctl_read(int *fdp)
{
	json_t	*msg;
	char	*line, *cause;
	size_t	 len;

	if ((line = fwsctl_line(fdp, &len)) == NULL)
		return NULL;
	if (proto_reply_parse(line, len, &msg, &cause) == -1)
		fwsctl_errx(1, "%s", cause);
	return msg;
}

/* {"percent":P,"step":S} on a terminal, in place of the waiting line. */
static void
show_progress(json_t *p)
{
	if (!json_is_object(p) || !isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\r\033[K%s: %lld%% (%s)", conn_waiting ?
	    conn_waiting : "progress",
	    (long long)json_integer_value(json_object_get(p, "percent")),
	    str_or_none(json_object_get(p, "step")));
	conn_progress = 1;
}

/* The reply to the request sent; exits 1 with fwsd's message on refusal. */
static json_t *
fwsctl_reply(int *fdp)
{
	json_t		*reply;
	const char	*msg;

	if (fdp != NULL)
		*fdp = -1;
	/* a long job's progress comes first, as it goes */
	while ((reply = fwsctl_read(fdp)) != NULL &&
	    json_object_get(reply, "ok") == NULL) {
		show_progress(json_object_get(reply, "progress"));
		json_decref(reply);
	}
	if (reply == NULL)
		fwsctl_errx(1, "fwsd closed the connection without replying");
	if (json_is_false(json_object_get(reply, "ok"))) {
		msg = json_string_value(json_object_get(json_object_get(reply,
		    "error"), "message"));
		fprintf(stderr, "fwsctl: ");
		fwsctl_print_refusal(msg ? msg : "refused, no reason given");
		json_decref(reply);
		exit(1);
	}
	return reply;
}

/*
 * One request, one reply.  A descriptor passed with the reply lands in
 * *fdp when fdp is given.  Exits 1 with fwsd's message on refusal.
 */
json_t *
fwsctl_call(enum proto_cmd cmd, json_t *args, int *fdp)
{
	json_t		*reply;

	fwsctl_send(cmd, args);
	reply = fwsctl_reply(fdp);
	conn_close();
	return reply;
}

/*
 * fwsctl_call for a reply too large for a JSON tree of it to be quick to
 * make (a list of hundreds of VMs): scan reads the first line as it
 * came, and when it takes it (returns 0) that was the reply, and NULL is
 * returned.  Else the line is parsed and checked as fwsctl_call does,
 * refusals and all, and the reply returned.
 */
json_t *
fwsctl_call_scan(enum proto_cmd cmd, json_t *args,
    int (*scan)(const char *, size_t, void *), void *arg)
{
	json_t	*reply = NULL;
	char	*line;
	size_t	 len;

	fwsctl_send(cmd, args);
	if ((line = fwsctl_line(NULL, &len)) == NULL ||
	    scan(line, len, arg) == -1) {
		/* read it again: the line as it came, its newline back */
		if (line != NULL) {
			line[len] = '\n';
			conn_used = 0;
		}
		reply = fwsctl_reply(NULL);
	}
	conn_close();
	return reply;
}

/*
 * fwsctl_call for a listing.  With --json the result is printed and
 * NULL returned; else the result, *rp being the reply to json_decref.
 */
json_t *
fwsctl_call_list(struct ctx *c, enum proto_cmd cmd, json_t *args,
    json_t **rp)
{
	json_t	*r = fwsctl_call(cmd, args, NULL), *a;

	a = json_object_get(r, "result");
	if (c->c_json || a == NULL) {
		if (c->c_json)
			fwsctl_print_json(a);
		json_decref(r);
		return NULL;
	}
	*rp = r;
	return a;
}

json_t *
fwsctl_name_args(struct ctx *c)
{
	return json_pack("{ss}", "name", c->c_name);
}

void
fwsctl_print_json(json_t *v)
{
	char	*s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY |
	    JSON_REAL_PRECISION(13));

	printf("%s\n", s ? s : "null");
	free(s);
}

/* A path made absolute against our directory; fwsd checks where it is. */
json_t *
fwsctl_abs_path(const char *p)
{
	char	 cwd[PATH_MAX];
	json_t	*v;
	char	*s;

	if (p[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return json_string(p);
	s = xasprintf("%s/%s", cwd, p);
	v = json_string(s);
	free(s);
	return v;
}

/*
 * Where a spec's options start: the first "," before a "word=" (a path
 * may hold other commas), or NULL.
 */
static char *
spec_options(char *spec)
{
	char	*p;
	size_t	 n;

	for (p = strchr(spec, ','); p != NULL; p = strchr(p + 1, ',')) {
		n = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz_");
		if (n > 0 && p[1 + n] == '=')
			return p;
	}
	return NULL;
}

/* A disk's I/O limits into its JSON: only those asked for. */
static void
disk_spec_limits(json_t *d, const struct disk_io *io)
{
	int	 k;

	disk_io_to_json(d, io);
	for (k = 0; k < DISK_IO_NKEYS; k++)
		if (json_is_null(json_object_get(d, disk_io_keys[k])))
			json_object_del(d, disk_io_keys[k]);
}

/*
 * --disk rbd:POOL/IMAGE[,size=SIZE] with I/O limits: a new RBD image of
 * SIZE, or an existing one; path is spec's copy, freed here.
 */
static json_t *
rbd_disk_spec(const char *what, const char *spec, char *path)
{
	struct disk_io	 io;
	struct rbd_name	 rn;
	uint64_t	 size = 0;
	char		*opts, *opt, *cause;
	json_t		*d;
	int		 rc;

	memset(&io, 0, sizeof(io));
	if ((opts = strchr(path, ',')) != NULL)
		*opts++ = '\0';
	if (validate_rbd(path, RBD_SNAP_NONE, &rn, &cause) == -1)
		fwsctl_errx(2, "%s %s: %s", what, spec, cause);
	while ((opt = strsep(&opts, ",")) != NULL) {
		if (strncmp(opt, "size=", 5) == 0) {
			if (parse_size(opt + 5, &size, &cause) == -1)
				fwsctl_errx(2, "%s %s: %s", what, spec, cause);
			continue;
		}
		if ((rc = disk_io_parse_opt(opt, &io, NULL, 0, &cause)) == -1)
			fwsctl_errx(2, "%s %s: %s", what, spec, cause);
		if (rc == 1)
			fwsctl_errx(2, "%s %s: unknown option \"%s\": give "
			    "size=SIZE, bps[_rd|_wr]=SIZE (a second) or "
			    "iops[_rd|_wr]=N", what, spec, opt);
	}
	if (disk_io_check(&io, &cause) == -1)
		fwsctl_errx(2, "%s %s: %s", what, spec, cause);
	d = json_pack("{ss ss}", "path", path, "format", "rbd");
	if (size > 0)
		json_object_set_new(d, "size", json_integer((json_int_t)size));
	disk_spec_limits(d, &io);
	free(path);
	return d;
}

/*
 * --disk SIZE or --disk PATH[,format=F], either with I/O limits
 * (",iops=N,bps=SIZE,..." per second; what: "--disk", "disk-add:");
 * the format is never guessed from content: from ,format= or the file
 * name's ending.
 */
static json_t *
disk_spec(const char *what, const char *spec)
{
	struct disk_io	 io;
	uint64_t	 size;
	char		*path, *opts, *opt, *cause;
	const char	*fmt = NULL, *dot;
	json_t		*d;
	int		 rc;

	memset(&io, 0, sizeof(io));
	path = xasprintf("%s", spec);
	if (is_rbd(spec))
		return rbd_disk_spec(what, spec, path);
	if (*spec >= '0' && *spec <= '9')
		opts = strchr(path, ',');
	else
		opts = spec_options(path);
	if (opts != NULL)
		*opts++ = '\0';
	while ((opt = strsep(&opts, ",")) != NULL) {
		if (strncmp(opt, "format=", 7) == 0 && !(*spec >= '0' &&
		    *spec <= '9')) {
			fmt = opt + 7;
			continue;
		}
		if ((rc = disk_io_parse_opt(opt, &io, NULL, 0, &cause)) == -1)
			fwsctl_errx(2, "%s %s: %s", what, spec, cause);
		if (rc == 1)
			fwsctl_errx(2, "%s %s: unknown option \"%s\": give "
			    "%sSIZE (a second) or iops%s=N", what, spec, opt,
			    *spec >= '0' && *spec <= '9' ? "bps[_rd|_wr]=" :
			    "format=qcow2|raw, bps[_rd|_wr]=", "[_rd|_wr]");
	}
	if (disk_io_check(&io, &cause) == -1)
		fwsctl_errx(2, "%s %s: %s", what, spec, cause);
	if (*spec >= '0' && *spec <= '9') {
		if (parse_size(path, &size, &cause) == -1)
			fwsctl_errx(2, "%s %s", what, cause);
		d = json_pack("{sI}", "size", (json_int_t)size);
	} else {
		if (fmt == NULL && (dot = strrchr(path, '.')) != NULL) {
			if (strcmp(dot, ".qcow2") == 0)
				fmt = "qcow2";
			else if (strcmp(dot, ".raw") == 0 ||
			    strcmp(dot, ".img") == 0)
				fmt = "raw";
		}
		if (fmt == NULL)
			fwsctl_errx(2, "%s %s: say its format: %s,format=qcow2 "
			    "or ,format=raw", what, spec, path);
		d = json_pack("{so ss}", "path", fwsctl_abs_path(path),
		    "format", fmt);
	}
	disk_spec_limits(d, &io);
	free(path);
	return d;
}

/*
 * set --disk-limit DISK,KEY=VALUE,...: the keys given change (0 or none:
 * no limit); DISK,none: no limits at all.
 */
static json_t *
disk_limit_arg(const char *spec)
{
	struct disk_io	 io;
	unsigned	 given = 0;
	unsigned long	 disk;
	char		*copy, *opts, *opt, *end, *cause;
	json_t		*o;
	int		 k, rc;

	memset(&io, 0, sizeof(io));
	copy = xasprintf("%s", spec);
	opts = copy;
	opt = strsep(&opts, ",");
	disk = strtoul(opt, &end, 10);
	if (*opt < '0' || *opt > '9' || *end != '\0' ||
	    disk >= FWS_DISKS_MAX || opts == NULL)
		fwsctl_errx(2, "--disk-limit %s: DISK,iops=N,bps=SIZE,... or "
		    "DISK,none (DISK: its number in info)", spec);
	if (strcmp(opts, "none") == 0) {
		given = (1U << DISK_IO_NKEYS) - 1;
		opts = NULL;
	}
	while ((opt = strsep(&opts, ",")) != NULL) {
		if ((rc = disk_io_parse_opt(opt, &io, &given, 1, &cause)) == -1)
			fwsctl_errx(2, "--disk-limit %s: %s", spec, cause);
		if (rc == 1)
			fwsctl_errx(2, "--disk-limit %s: unknown option \"%s\": "
			    "give iops[_rd|_wr]=N, bps[_rd|_wr]=SIZE (a "
			    "second; 0: no limit) or none", spec, opt);
	}
	if (disk_io_check(&io, &cause) == -1)
		fwsctl_errx(2, "--disk-limit %s: %s", spec, cause);
	o = json_pack("{sI}", "disk", (json_int_t)disk);
	for (k = 0; k < DISK_IO_NKEYS; k++)
		if (given & (1U << k))
			json_object_set_new(o, disk_io_keys[k], json_integer(
			    (json_int_t)*disk_io_field(&io, k)));
	free(copy);
	return o;
}

static json_t *
disk_arg(const char *spec)
{
	return disk_spec("--disk", spec);
}

/*
 * --iso, --kernel, --initrd: a name is the library's (fwsd finds it);
 * a path (with a '/', or an ISO's file name) is made absolute.
 */
static json_t *
library_arg(const char *v)
{
	if (strchr(v, '/') == NULL && strstr(v, ".iso") == NULL)
		return json_string(v);
	return fwsctl_abs_path(v);
}

/* Each --opt given, made a JSON value by fn, into the array args.key. */
static void
opt_array(struct ctx *c, const char *opt, json_t *(*fn)(const char *),
    json_t *args, const char *key)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; i < c->c_nopts; i++)
		if (strcmp(c->c_opt[i], opt) == 0)
			json_array_append_new(a, fn(c->c_val[i]));
	if (json_array_size(a) > 0)
		json_object_set(args, key, a);
	json_decref(a);
}

/*
 * NETWORK[,mac=MAC][,rate=RATE] (what: "--net", "nic-add:"): the rate
 * as tc writes it, bit/s in the request
 */
static json_t *
nic_spec(const char *what, const char *spec)
{
	char		*copy = xasprintf("%s", spec), *p = copy, *opt, *cause;
	const char	*net;
	uint64_t	 rate;
	json_t		*o;

	net = strsep(&p, ",");
	if (validate_name(net, &cause) == -1)
		fwsctl_errx(2, "%s %s: %s", what, spec, cause);
	o = json_pack("{ss}", "network", net);
	while ((opt = strsep(&p, ",")) != NULL) {
		if (strncmp(opt, "mac=", 4) == 0 &&
		    json_object_get(o, "mac") == NULL) {
			if (validate_mac(opt + 4, &cause) == -1)
				fwsctl_errx(2, "%s %s: %s", what, spec, cause);
			json_object_set_new(o, "mac", json_string(opt + 4));
		} else if (strncmp(opt, "rate=", 5) == 0 &&
		    json_object_get(o, "rate") == NULL) {
			if (parse_rate(opt + 5, &rate, &cause) == -1)
				fwsctl_errx(2, "%s %s: rate %s", what, spec,
				    cause);
			json_object_set_new(o, "rate", json_integer(rate));
		} else
			fwsctl_errx(2, "%s %s: \"%s\": say mac=MAC or "
			    "rate=RATE (each once)", what, spec, opt);
	}
	free(copy);
	return o;
}

/* --net NETWORK[,mac=MAC][,rate=RATE] */
static json_t *
nic_arg(const char *spec)
{
	return nic_spec("--net", spec);
}

/*
 * --cpu-weight N and --cpu-max CPUS into args (set: "default" and "none"
 * too); fwsd checks the ranges, a word that is no number stops here.
 */
static void
cpu_args(struct ctx *c, json_t *args, int set)
{
	const char	*v;
	char		*end, *cause;
	unsigned long long n;
	unsigned	 milli;

	if ((v = fwsctl_opt(c, "cpu-weight")) != NULL) {
		if (set && strcmp(v, "default") == 0)
			json_object_set_new(args, "cpu_weight",
			    json_string("default"));
		else {
			errno = 0;
			n = strtoull(v, &end, 10);
			if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 ||
			    n > UINT32_MAX)
				fwsctl_errx(2, "--cpu-weight %s: not a number "
				    "from 1 to %d%s", v, FWS_CPU_WEIGHT_MAX,
				    set ? ", or default" : "");
			json_object_set_new(args, "cpu_weight",
			    json_integer((json_int_t)n));
		}
	}
	if ((v = fwsctl_opt(c, "cpu-max")) != NULL) {
		if (!(set && strcmp(v, "none") == 0) &&
		    parse_cpus(v, &milli, &cause) == -1)
			fwsctl_errx(2, "--cpu-max %s", cause);
		json_object_set_new(args, "cpu_max", json_string(v));
	}
}

int
verb_create(struct ctx *c)
{
	json_t		*args, *r, *res;
	const char	*v, *vcpus, *memory;
	uint64_t	 n = 0, mib = 0;
	int64_t		 until;
	char		*cause, *end;
	int		 lent;

	/* what can be refused is checked before the request is built */
	if (validate_name(c->c_name, &cause) == -1)
		fwsctl_errx(2, "%s", cause);
	if ((vcpus = fwsctl_opt(c, "vcpus")) != NULL) {
		n = strtoull(vcpus, &end, 10);
		if (*vcpus < '0' || *vcpus > '9' || *end != '\0' || n > 1024)
			fwsctl_errx(2, "--vcpus %s: not a number of CPUs",
			    vcpus);
	}
	if ((memory = fwsctl_opt(c, "memory")) != NULL &&
	    parse_memory_mib(memory, &mib, &cause) == -1)
		fwsctl_errx(2, "--memory %s", cause);
	lent = fwsctl_until(c, &until);
	args = fwsctl_name_args(c);
	cpu_args(c, args, 0);
	if ((v = fwsctl_opt(c, "template")) != NULL)
		json_object_set_new(args, "template", json_string(v));
	if ((v = fwsctl_opt(c, "base")) != NULL)
		json_object_set_new(args, "base", json_string(v));
	if (vcpus != NULL)
		json_object_set_new(args, "vcpus", json_integer(n));
	if (memory != NULL)
		json_object_set_new(args, "memory_mib", json_integer(mib));
	opt_array(c, "disk", disk_arg, args, "disks");
	if ((v = fwsctl_opt(c, "iso")) != NULL)
		json_object_set_new(args, "iso", library_arg(v));
	if ((v = fwsctl_opt(c, "kernel")) != NULL)
		json_object_set_new(args, "kernel", library_arg(v));
	if ((v = fwsctl_opt(c, "initrd")) != NULL)
		json_object_set_new(args, "initrd", library_arg(v));
	if ((v = fwsctl_opt(c, "append")) != NULL)
		json_object_set_new(args, "append", json_string(v));
	if ((v = fwsctl_opt(c, "mac")) != NULL)
		json_object_set_new(args, "mac", json_string(v));
	if ((v = fwsctl_opt(c, "restart")) != NULL)
		json_object_set_new(args, "restart", json_string(v));
	if ((v = fwsctl_opt(c, "display")) != NULL)
		json_object_set_new(args, "display", json_string(v));
	if (fwsctl_opt(c, "autostart") != NULL)
		json_object_set_new(args, "autostart", json_true());
	opt_array(c, "net", nic_arg, args, "nics");
	if (lent)
		json_object_set_new(args, "until", json_integer(until));
	fwsctl_seed_args(c, args);
	r = fwsctl_call(PROTO_CMD_CREATE, args, NULL);
	res = json_object_get(r, "result");
	if (c->c_json)
		fwsctl_print_json(res);
	else if (json_is_integer(json_object_get(res, "loan_end"))) {
		end = date_text(json_integer_value(json_object_get(res,
		    "loan_end")));
		printf("created %s (uuid %s), lent until %s\n", c->c_name,
		    json_string_value(json_object_get(res, "uuid")), end);
		free(end);
	} else
		printf("created %s (uuid %s)\n", c->c_name,
		    json_string_value(json_object_get(res, "uuid")));
	json_decref(r);
	return 0;
}

static void
print_state(struct ctx *c, json_t *r)
{
	json_t		*res = json_object_get(r, "result");
	json_t		*pid = json_object_get(res, "pid");

	if (c->c_json) {
		fwsctl_print_json(res);
		return;
	}
	if (json_is_integer(pid))
		printf("%s is %s (pid %lld)\n", c->c_name,
		    json_string_value(json_object_get(res, "state")),
		    (long long)json_integer_value(pid));
	else
		printf("%s is %s\n", c->c_name,
		    json_string_value(json_object_get(res, "state")));
}

/* start, destroy, reboot, pause, resume: the verb is the command */
static int
verb_simple(struct ctx *c)
{
	json_t	*r = fwsctl_call(c->c_cmd, fwsctl_name_args(c), NULL);

	print_state(c, r);
	json_decref(r);
	return 0;
}

/* start NAME [--fresh] */
static int
verb_start(struct ctx *c)
{
	json_t	*args = fwsctl_name_args(c), *r;

	if (fwsctl_opt(c, "fresh") != NULL)
		json_object_set_new(args, "fresh", json_true());
	r = fwsctl_call(PROTO_CMD_START, args, NULL);
	print_state(c, r);
	json_decref(r);
	return 0;
}

/* send-key NAME KEYS...: each argument one combination, in order */
static int
verb_send_key(struct ctx *c)
{
	json_t	*args = fwsctl_name_args(c), *keys = json_array(), *r;
	int	 i;

	for (i = 1; i < c->c_npos; i++)
		json_array_append_new(keys, json_string(c->c_pos[i]));
	json_object_set_new(args, "keys", keys);
	r = fwsctl_call(c->c_cmd, args, NULL);
	if (c->c_json)
		fwsctl_print_json(json_object_get(r, "result"));
	json_decref(r);
	return 0;
}

/* args (made here when NULL) with --timeout SECONDS, when given */
static json_t *
timeout_arg(struct ctx *c, json_t *args)
{
	const char	*v;
	char		*end;
	unsigned long	 t = 0;

	if ((v = fwsctl_opt(c, "timeout")) != NULL) {
		t = strtoul(v, &end, 10);
		if (*v < '0' || *v > '9' || *end != '\0' || t > 3600)
			fwsctl_errx(2, "--timeout %s: give seconds, 0 to 3600",
			    v);
	}
	if (args == NULL)
		args = json_object();
	if (v != NULL)
		json_object_set_new(args, "timeout", json_integer(t));
	return args;
}

/* What stop waits for, from its timeout (-1: not known) and the time. */
static const char	*stop_name;
static long long	 stop_timeout;

static void
stop_line(char *buf, size_t len, int secs)
{
	if (stop_timeout == 0)
		snprintf(buf, len, "%s: asked qemu to quit... %d s", stop_name,
		    secs);
	else if (stop_timeout < 0)
		snprintf(buf, len, "%s: asked the guest to power off... %d s",
		    stop_name, secs);
	else if (secs < stop_timeout)
		snprintf(buf, len, "%s: asked the guest to power off... %d s; "
		    "will force in %lld s", stop_name, secs,
		    stop_timeout - secs);
	else
		snprintf(buf, len, "%s: the guest did not power off in %lld s: "
		    "making qemu quit... %d s", stop_name, stop_timeout, secs);
}

static int
verb_stop(struct ctx *c)
{
	json_t		*args, *r, *t;

	/* the timeout is checked before the name is taken in */
	args = timeout_arg(c, NULL);
	json_object_set_new(args, "name", json_string(c->c_name));
	/*
	 * A guest may ignore the power button (an installer, a boot
	 * menu): on a terminal, say what is awaited, and until when.  The
	 * default timeout is fwsd's to know.
	 */
	if (!c->c_json && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO)) {
		stop_name = c->c_name;
		if ((t = json_object_get(args, "timeout")) != NULL)
			stop_timeout = json_integer_value(t);
		else {
			r = fwsctl_call(PROTO_CMD_VERSION, NULL, NULL);
			t = json_object_get(json_object_get(r, "result"),
			    "stop_timeout");
			stop_timeout = json_is_integer(t) ?
			    json_integer_value(t) : -1;
			json_decref(r);
		}
		conn_line = stop_line;
	}
	r = fwsctl_call(PROTO_CMD_STOP, args, NULL);
	print_state(c, r);
	json_decref(r);
	return 0;
}

static int
verb_delete(struct ctx *c)
{
	json_t	*args = fwsctl_name_args(c), *r;
	int	 keep = fwsctl_opt(c, "keep-disks") != NULL;

	json_object_set_new(args, "keep_disks", json_boolean(keep));
	r = fwsctl_call(PROTO_CMD_DELETE, args, NULL);
	if (c->c_json)
		fwsctl_print_json(json_object_get(r, "result"));
	else
		printf("deleted %s%s\n", c->c_name, keep ? " (disks kept)" : "");
	json_decref(r);
	return 0;
}

/*
 * A size from the JSON for people, in the one style of format_size:
 * bytes, or MiB when mib is set (as memory is given); "-" when absent.
 */
const char *
fwsctl_size(json_t *v, int mib, char *buf, size_t len)
{
	json_int_t	 n = json_integer_value(v);

	if (!json_is_integer(v) || n < 0 || (mib && n > (json_int_t)(
	    UINT64_MAX >> 20)))
		return "-";
	return format_size(mib ? (uint64_t)n << 20 : (uint64_t)n, buf, len);
}

static void
info_line(const char *key, json_t *v)
{
	char	*s;

	if (v == NULL || json_is_null(v))
		return;
	if (json_is_string(v))
		printf("%-12s %s\n", key, json_string_value(v));
	else {
		s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		printf("%-12s %s\n", key, s ? s : "?");
		free(s);
	}
}

/* info's limits: the CPU's share and cap, memory, the cgroup. */
static void
info_limits(json_t *l)
{
	json_t	*v;
	char	 buf[32];

	if (!json_is_object(l))
		return;		/* an older fwsd does not say */
	printf("%-12s cpu weight %lld, cpu max ", "limits",
	    (long long)json_integer_value(json_object_get(l, "cpu_weight")));
	if (json_is_number(v = json_object_get(l, "cpu_max")))
		printf("%s CPUs", format_cpus((unsigned)(json_number_value(v) *
		    1000 + 0.5), buf, sizeof(buf)));
	else
		printf("none");
	if (json_is_integer(v = json_object_get(l, "memory_max")))
		printf(", memory %s", fwsctl_size(v, 0, buf, sizeof(buf)));
	else
		printf(", memory not limited");
	if (json_is_integer(v = json_object_get(l, "memory_swap_max")))
		printf(", swap %s", fwsctl_size(v, 0, buf, sizeof(buf)));
	printf("\n");
	if (json_is_string(v = json_object_get(l, "cgroup")))
		printf("%-12s %s\n", "cgroup", json_string_value(v));
}

/* What the cloud-init seed gives the guest (an older fwsd: nothing). */
static void
info_seed(json_t *s)
{
	json_int_t	 n;

	if (!json_is_object(s))
		return;
	if (json_is_true(json_object_get(s, "user_data"))) {
		printf("%-12s cloud-init, the owner's own user-data\n", "seed");
		return;
	}
	n = json_integer_value(json_object_get(s, "ssh_keys"));
	printf("%-12s cloud-init, %lld SSH key%s%s\n", "seed", (long long)n,
	    n == 1 ? "" : "s", json_is_true(json_object_get(s, "password")) ?
	    ", a password hash" : "");
}

static int
verb_info(struct ctx *c)
{
	json_t		*r = fwsctl_call(PROTO_CMD_INFO, fwsctl_name_args(c),
	    NULL);
	json_t		*o = json_object_get(r, "result"), *d, *a;
	const char	*keys[] = { "name", "uuid", "state", "pid", "vcpus",
	    "mac", "restart", "autostart", "restarts", "iso", "kernel",
	    "initrd", "append", "serial_log", "qemu_log", "last_exit" };
	struct disk_io	 io;
	char		 mem[32], tbuf[64], user[64], *s;
	time_t		 t;
	size_t		 i, k;

	if (c->c_json) {
		fwsctl_print_json(o);
		json_decref(r);
		return 0;
	}
	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		info_line(keys[i], json_object_get(o, keys[i]));
		if (strcmp(keys[i], "name") == 0)
			printf("%-12s %s\n", "owner", fwsctl_user_name(
			    json_object_get(o, "owner"), user, sizeof(user)));
		if (strcmp(keys[i], "vcpus") == 0)
			printf("%-12s %s\n", "memory", fwsctl_size(
			    json_object_get(o, "memory_mib"), 1, mem,
			    sizeof(mem)));
	}
	if (json_is_object(json_object_get(o, "pending"))) {
		json_t	*p = json_object_get(o, "pending"), *v;

		printf("%-12s", "pending");
		if ((v = json_object_get(p, "vcpus")) != NULL)
			printf(" vcpus %lld", (long long)json_integer_value(v));
		if ((v = json_object_get(p, "memory_mib")) != NULL)
			printf(" memory %s", fwsctl_size(v, 1, mem,
			    sizeof(mem)));
		if ((v = json_object_get(p, "kernel")) != NULL)
			printf(" kernel %s", json_is_string(v) ?
			    json_string_value(v) : "none");
		if ((v = json_object_get(p, "initrd")) != NULL)
			printf(" initrd %s", json_is_string(v) ?
			    json_string_value(v) : "none");
		if ((v = json_object_get(p, "append")) != NULL)
			printf(" append %s", json_is_string(v) ?
			    json_string_value(v) : "none");
		printf(" (from the next start)\n");
	}
	if (json_is_integer(json_object_get(o, "last_exit_time"))) {
		t = json_integer_value(json_object_get(o, "last_exit_time"));
		strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S",
		    localtime(&t));
		printf("%-12s %s\n", "last_exit_at", tbuf);
	}
	if (json_is_integer(json_object_get(o, "next_restart"))) {
		t = json_integer_value(json_object_get(o, "next_restart"));
		strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S",
		    localtime(&t));
		printf("%-12s %s\n", "next_restart", tbuf);
	}
	if (json_is_integer(json_object_get(o, "loan_end"))) {
		s = date_text(json_integer_value(json_object_get(o,
		    "loan_end")));
		printf("%-12s %s\n", "loan_end", s);
		free(s);
	}
	if (json_is_integer(json_object_get(o, "loan_next_at"))) {
		s = date_text(json_integer_value(json_object_get(o,
		    "loan_next_at")));
		printf("%-12s %s at %s\n", "loan_next", json_string_value(
		    json_object_get(o, "loan_next")), s);
		free(s);
	}
	info_limits(json_object_get(o, "limits"));
	info_seed(json_object_get(o, "seed"));
	json_array_foreach(json_object_get(o, "nics"), i, d) {
		printf("%-12s %s on network %s (tap %s), %s%s\n", i == 0 ?
		    "nics" : "", json_string_value(json_object_get(d, "mac")),
		    json_string_value(json_object_get(d, "network")),
		    json_string_value(json_object_get(d, "tap")),
		    json_is_integer(json_object_get(d, "rate")) ?
		    format_rate(json_integer_value(json_object_get(d, "rate")),
		    mem, sizeof(mem)) : "no rate limit",
		    json_is_integer(json_object_get(d, "rate")) ? " each way" :
		    "");
		if (json_is_string(json_object_get(d, "hostname")))
			printf("%-12s   named %s%s%s%s\n", "",
			    json_string_value(json_object_get(d, "hostname")),
			    json_is_string(json_object_get(d, "dns_name")) ?
			    " (" : "", str_or_none(json_object_get(d,
			    "dns_name")), json_is_string(json_object_get(d,
			    "dns_name")) ? " in DNS)" : "");
		json_array_foreach(json_object_get(d, "addresses"), k, a)
			printf("%-12s   address %s (%s)\n", "", str_or_none(a),
			    strcmp(str_or_none(json_object_get(d,
			    "addresses_from")), "agent") == 0 ?
			    "from the guest agent" : "leased by DHCP");
	}
	s = NULL;
	json_array_foreach(json_object_get(o, "disks"), i, d) {
		printf("%-12s %s (%s, %s, %s)\n", i == 0 ? "disks" : "",
		    json_string_value(json_object_get(d, "path")),
		    json_string_value(json_object_get(d, "format")),
		    json_is_true(json_object_get(d, "owned")) ? "made by fwsd" :
		    json_is_true(json_object_get(d, "readonly")) ?
		    "an image, read-only" : "attached",
		    fwsctl_size(json_object_get(d, "size"), 0, mem,
		    sizeof(mem)));
		/* an older fwsd says nothing of limits */
		if (json_object_get(d, "iops") != NULL &&
		    disk_io_from_json(d, &io, NULL, 0, &s) == 0) {
			s = disk_io_text(&io);
			printf("%-12s   I/O limits: %s\n", "", s);
		}
		free(s);
		s = NULL;
	}
	json_decref(r);
	return 0;
}

static int
verb_console(struct ctx *c)
{
	json_t	*r;
	int	 fd;

	r = fwsctl_call(PROTO_CMD_CONSOLE, fwsctl_name_args(c), &fd);
	json_decref(r);
	if (fd == -1)
		fwsctl_errx(1, "fwsd sent no console connection");
	return fwsctl_console(c->c_name, fd);
}

/* rename NAME NEW-NAME */
static int
verb_rename(struct ctx *c)
{
	json_t	*args, *r;
	char	*cause;

	if (validate_name(c->c_pos[1], &cause) == -1)
		fwsctl_errx(2, "rename: %s", cause);
	args = fwsctl_name_args(c);
	json_object_set_new(args, "new_name", json_string(c->c_pos[1]));
	r = fwsctl_call(PROTO_CMD_RENAME, args, NULL);
	if (c->c_json)
		fwsctl_print_json(json_object_get(r, "result"));
	else
		printf("%s is now %s\n", c->c_name, json_string_value(
		    json_object_get(json_object_get(r, "result"), "name")));
	json_decref(r);
	return 0;
}

/* clone NAME NEW-NAME [--linked] */
static int
verb_clone(struct ctx *c)
{
	json_t	*args, *r;
	char	*cause;

	if (validate_name(c->c_pos[1], &cause) == -1)
		fwsctl_errx(2, "clone: %s", cause);
	args = fwsctl_name_args(c);
	json_object_set_new(args, "new_name", json_string(c->c_pos[1]));
	if (fwsctl_opt(c, "linked") != NULL)
		json_object_set_new(args, "linked", json_true());
	r = fwsctl_call(PROTO_CMD_CLONE, args, NULL);
	if (c->c_json)
		fwsctl_print_json(json_object_get(r, "result"));
	else
		printf("%s: a %s clone of %s\n", c->c_pos[1],
		    fwsctl_opt(c, "linked") != NULL ? "linked" : "full",
		    c->c_name);
	json_decref(r);
	return 0;
}

/* disk-add NAME SIZE|PATH[,format=F] */
static int
verb_disk_add(struct ctx *c)
{
	json_t		*args, *r, *res, *d;
	char		 buf[32];

	if (c->c_npos != 2)
		usage(c->c_cmd);
	d = disk_spec("disk-add:", c->c_pos[1]);
	args = fwsctl_name_args(c);
	json_object_update(args, d);
	json_decref(d);
	r = fwsctl_call(PROTO_CMD_DISK_ADD, args, NULL);
	res = json_object_get(r, "result");
	if (c->c_json)
		fwsctl_print_json(res);
	else
		printf("%s: disk %lld is %s (%s, %s%s)%s\n", c->c_name,
		    (long long)json_integer_value(json_object_get(res, "disk")),
		    json_string_value(json_object_get(res, "path")),
		    json_string_value(json_object_get(res, "format")),
		    fwsctl_size(json_object_get(res, "size"), 0, buf,
		    sizeof(buf)), json_is_true(json_object_get(res,
		    "readonly")) ? ", read-only" : "",
		    json_is_true(json_object_get(res, "live")) ?
		    ", in the running guest too" : "");
	json_decref(r);
	return 0;
}

/* disk-remove NAME DISK */
static int
verb_disk_remove(struct ctx *c)
{
	json_t		*args, *r, *res;
	uint64_t	 disk;
	char		*end;

	if (c->c_npos != 2)
		usage(c->c_cmd);
	disk = strtoull(c->c_pos[1], &end, 10);
	if (*c->c_pos[1] < '0' || *c->c_pos[1] > '9' || *end != '\0' ||
	    disk >= FWS_DISKS_MAX)
		fwsctl_errx(2, "disk-remove: DISK %s: the disk's number, as "
		    "info lists them (0 is the first)", c->c_pos[1]);
	args = fwsctl_name_args(c);
	json_object_set_new(args, "disk", json_integer(disk));
	r = fwsctl_call(PROTO_CMD_DISK_REMOVE, args, NULL);
	res = json_object_get(r, "result");
	if (c->c_json)
		fwsctl_print_json(res);
	else
		printf("%s: disk %llu (%s) removed%s%s\n", c->c_name,
		    (unsigned long long)disk, json_string_value(
		    json_object_get(res, "path")),
		    json_is_true(json_object_get(res, "deleted")) ?
		    ", its file deleted" : ", its file kept",
		    json_is_true(json_object_get(res, "live")) ?
		    ", from the running guest too" : "");
	json_decref(r);
	return 0;
}

/* nic-add NAME NETWORK[,mac=MAC][,rate=RATE] */
static int
verb_nic_add(struct ctx *c)
{
	json_t		*args, *r, *res, *n;
	char		 rb[16];

	if (c->c_npos != 2)
		usage(c->c_cmd);
	n = nic_spec("nic-add:", c->c_pos[1]);
	args = fwsctl_name_args(c);
	json_object_update(args, n);
	json_decref(n);
	r = fwsctl_call(PROTO_CMD_NIC_ADD, args, NULL);
	res = json_object_get(r, "result");
	if (c->c_json)
		fwsctl_print_json(res);
	else
		printf("%s: NIC %s on network %s%s%s%s\n", c->c_name,
		    json_string_value(json_object_get(res, "mac")),
		    json_string_value(json_object_get(res, "network")),
		    json_is_integer(json_object_get(res, "rate")) ?
		    ", rate " : "", json_is_integer(json_object_get(res,
		    "rate")) ? format_rate(json_integer_value(json_object_get(
		    res, "rate")), rb, sizeof(rb)) : "",
		    json_is_true(json_object_get(res, "live")) ?
		    ", in the running guest too" : "");
	json_decref(r);
	return 0;
}

/* nic-remove NAME MAC */
static int
verb_nic_remove(struct ctx *c)
{
	json_t		*args, *r, *res;
	char		*cause;

	if (c->c_npos != 2)
		usage(c->c_cmd);
	if (validate_mac(c->c_pos[1], &cause) == -1)
		fwsctl_errx(2, "nic-remove: %s", cause);
	args = fwsctl_name_args(c);
	json_object_set_new(args, "mac", json_string(c->c_pos[1]));
	r = fwsctl_call(PROTO_CMD_NIC_REMOVE, args, NULL);
	res = json_object_get(r, "result");
	if (c->c_json)
		fwsctl_print_json(res);
	else
		printf("%s: NIC %s (network %s) removed%s\n", c->c_name,
		    json_string_value(json_object_get(res, "mac")),
		    json_string_value(json_object_get(res, "network")),
		    json_is_true(json_object_get(res, "live")) ?
		    ", from the running guest too" : "");
	json_decref(r);
	return 0;
}

/* disk-resize NAME DISK SIZE */
static int
verb_disk_resize(struct ctx *c)
{
	json_t		*args, *r, *res;
	uint64_t	 disk, size;
	char		*cause, *end, buf[32];

	if (c->c_npos != 3)
		usage(c->c_cmd);
	disk = strtoull(c->c_pos[1], &end, 10);
	if (*c->c_pos[1] < '0' || *c->c_pos[1] > '9' || *end != '\0' ||
	    disk >= FWS_DISKS_MAX)
		fwsctl_errx(2, "disk-resize: DISK %s: the disk's number, as "
		    "info lists them (0 is the first)", c->c_pos[1]);
	if (parse_size(c->c_pos[2], &size, &cause) == -1)
		fwsctl_errx(2, "disk-resize: SIZE %s", cause);
	args = fwsctl_name_args(c);
	json_object_set_new(args, "disk", json_integer(disk));
	json_object_set_new(args, "size", json_integer(size));
	r = fwsctl_call(PROTO_CMD_DISK_RESIZE, args, NULL);
	res = json_object_get(r, "result");
	if (c->c_json)
		fwsctl_print_json(res);
	else
		printf("%s: disk %llu is %s%s\n", c->c_name,
		    (unsigned long long)disk, fwsctl_size(json_object_get(res,
		    "size"), 0, buf, sizeof(buf)),
		    json_is_true(json_object_get(res, "live")) ?
		    ", in the running guest too" : "");
	json_decref(r);
	return 0;
}

/* set NAME --vcpus N ...: what changed now, what waits for a start */
/*
 * --nic-limit NIC,rate=RATE|none (or NIC,none): {"nic": NIC, "rate":
 * bit/s or null}; NULL when not given.  Alone: set's other options are
 * another request.
 */
static json_t *
nic_limit_arg(struct ctx *c)
{
	const char	*v = fwsctl_opt(c, "nic-limit"), *r;
	char		*end, *cause;
	unsigned long	 nic;
	uint64_t	 rate;
	int		 i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < c->c_nopts; i++)
		if (strcmp(c->c_opt[i], "nic-limit") != 0 &&
		    strcmp(c->c_opt[i], "json") != 0)
			fwsctl_errx(2, "set %s: --nic-limit goes alone, not with "
			    "--%s", c->c_name, c->c_opt[i]);
	errno = 0;
	nic = strtoul(v, &end, 10);
	if (*v < '0' || *v > '9' || errno != 0 || nic >= FWS_NICS_MAX ||
	    *end != ',')
		fwsctl_errx(2, "--nic-limit %s: say NIC,rate=RATE or NIC,none "
		    "(NIC: its number in info, 0 to %d)", v, FWS_NICS_MAX - 1);
	r = end + 1;
	if (strncmp(r, "rate=", 5) == 0)
		r += 5;
	if (strcmp(r, "none") == 0 || strcmp(r, "0") == 0)
		return json_pack("{sI sn}", "nic", (json_int_t)nic, "rate");
	if (parse_rate(r, &rate, &cause) == -1)
		fwsctl_errx(2, "--nic-limit %s: rate %s", v, cause);
	return json_pack("{sI sI}", "nic", (json_int_t)nic, "rate",
	    (json_int_t)rate);
}

/* set NAME --nic-limit NIC,rate=RATE|none */
static int
verb_set_nic_limit(struct ctx *c, json_t *limit)
{
	json_t	*args = fwsctl_name_args(c), *r, *res, *rate;
	char	 rb[16];

	json_object_set_new(args, "nic_limit", limit);
	r = fwsctl_call(PROTO_CMD_SET, args, NULL);
	res = json_object_get(r, "result");
	rate = json_object_get(res, "rate");
	if (c->c_json)
		fwsctl_print_json(res);
	else
		printf("%s: NIC %lld (%s): %s%s%s%s\n", c->c_name,
		    (long long)json_integer_value(json_object_get(res, "nic")),
		    json_string_value(json_object_get(res, "mac")),
		    json_array_size(json_object_get(res, "changed")) == 0 ?
		    "unchanged, " : "", json_is_integer(rate) ? "rate " :
		    "no rate limit", json_is_integer(rate) ? format_rate(
		    json_integer_value(rate), rb, sizeof(rb)) : "",
		    json_is_true(json_object_get(res, "live")) ?
		    ", in the running guest too" : "");
	json_decref(r);
	return 0;
}

static int
verb_set(struct ctx *c)
{
	json_t		*args, *r, *res, *pend, *v;
	const char	*vcpus, *memory, *restart, *autostart, *kernel, *initrd;
	const char	*append, *display;
	uint64_t	 n = 0, mib = 0;
	char		*cause, *end, mem[32];
	const char	*boot[3] = { "kernel", "initrd", "append" };
	size_t		 i;

	if ((v = nic_limit_arg(c)) != NULL)
		return verb_set_nic_limit(c, v);
	vcpus = fwsctl_opt(c, "vcpus");
	memory = fwsctl_opt(c, "memory");
	restart = fwsctl_opt(c, "restart");
	autostart = fwsctl_opt(c, "autostart");
	kernel = fwsctl_opt(c, "kernel");
	initrd = fwsctl_opt(c, "initrd");
	append = fwsctl_opt(c, "append");
	if (vcpus == NULL && memory == NULL && restart == NULL &&
	    autostart == NULL && kernel == NULL && initrd == NULL &&
	    append == NULL && fwsctl_opt(c, "cpu-weight") == NULL &&
	    fwsctl_opt(c, "cpu-max") == NULL && fwsctl_opt(c,
	    "disk-limit") == NULL && fwsctl_opt(c, "display") == NULL)
		fwsctl_errx(2, "set %s: say what to change: --vcpus, --memory, "
		    "--restart, --autostart, --kernel, --initrd, --append, "
		    "--cpu-weight, --cpu-max, --disk-limit, --display or "
		    "--nic-limit", c->c_name);
	if (vcpus != NULL) {
		n = strtoull(vcpus, &end, 10);
		if (*vcpus < '0' || *vcpus > '9' || *end != '\0' || n > 1024)
			fwsctl_errx(2, "--vcpus %s: not a number of CPUs",
			    vcpus);
	}
	if (memory != NULL && parse_memory_mib(memory, &mib, &cause) == -1)
		fwsctl_errx(2, "--memory %s", cause);
	if (autostart != NULL && strcmp(autostart, "on") != 0 &&
	    strcmp(autostart, "off") != 0)
		fwsctl_errx(2, "--autostart %s: on or off", autostart);
	args = fwsctl_name_args(c);
	if (vcpus != NULL)
		json_object_set_new(args, "vcpus", json_integer(n));
	if (memory != NULL)
		json_object_set_new(args, "memory_mib", json_integer(mib));
	if (restart != NULL)
		json_object_set_new(args, "restart", json_string(restart));
	if (autostart != NULL)
		json_object_set_new(args, "autostart",
		    json_boolean(strcmp(autostart, "on") == 0));
	/* "none": no kernel (and so no initrd or command line), no initrd */
	if (kernel != NULL)
		json_object_set_new(args, "kernel", strcmp(kernel, "none") == 0 ?
		    json_string("") : library_arg(kernel));
	if (initrd != NULL)
		json_object_set_new(args, "initrd", strcmp(initrd, "none") == 0 ?
		    json_string("") : library_arg(initrd));
	if (append != NULL)
		json_object_set_new(args, "append", json_string(append));
	if ((display = fwsctl_opt(c, "display")) != NULL)
		json_object_set_new(args, "display", json_string(display));
	cpu_args(c, args, 1);
	opt_array(c, "disk-limit", disk_limit_arg, args, "disk_limits");
	r = fwsctl_call(PROTO_CMD_SET, args, NULL);
	res = json_object_get(r, "result");
	if (c->c_json) {
		fwsctl_print_json(res);
		json_decref(r);
		return 0;
	}
	if (json_array_size(json_object_get(res, "changed")) == 0)
		printf("%s: nothing changed\n", c->c_name);
	json_array_foreach(json_object_get(res, "changed"), i, v) {
		if (strncmp(json_string_value(v), "pending_", 8) == 0 ||
		    strncmp(json_string_value(v), "live_", 5) == 0)
			continue;
		printf("%s: %s changed\n", c->c_name, json_string_value(v));
	}
	if ((v = json_object_get(json_object_get(res, "live"),
	    "memory_mib")) != NULL)
		printf("%s: memory %s in the running guest now (its balloon)\n",
		    c->c_name, fwsctl_size(v, 1, mem, sizeof(mem)));
	json_array_foreach(json_object_get(json_object_get(res, "live"),
	    "disks"), i, v)
		printf("%s: disk %lld's I/O limits in the running guest now\n",
		    c->c_name, (long long)json_integer_value(v));
	if ((v = json_object_get(res, "live_error")) != NULL)
		printf("%s: not changed in the running guest: %s\n", c->c_name,
		    json_string_value(v));
	pend = json_object_get(res, "pending");
	if (json_is_object(pend)) {
		printf("%s: from its next start:", c->c_name);
		if ((v = json_object_get(pend, "vcpus")) != NULL)
			printf(" vcpus %lld", (long long)json_integer_value(v));
		if ((v = json_object_get(pend, "memory_mib")) != NULL)
			printf(" memory %s", fwsctl_size(v, 1, mem,
			    sizeof(mem)));
		for (i = 0; i < 3; i++)
			if ((v = json_object_get(pend, boot[i])) != NULL)
				printf(" %s %s", boot[i], json_is_string(v) ?
				    json_string_value(v) : "none");
		printf("\n");
	}
	json_decref(r);
	return 0;
}

/* Write all of buf to fd; exits naming file when it cannot. */
static void
write_out(int fd, const char *file, const char *buf, size_t n)
{
	ssize_t	 k;
	size_t	 w;

	for (w = 0; w < n; ) {
		k = write(fd, buf + w, n - w);
		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0)
			fwsctl_errx(1, "%s: %s", file, strerror(errno));
		w += k;
	}
}

/*
 * screenshot NAME FILE: the PNG fwsd hands on, into FILE ("-": stdout):
 * an open file over the UNIX socket, the bytes in the reply (base64)
 * over TLS
 */
static int
verb_screenshot(struct ctx *c)
{
	const char	*file = c->c_pos[1], *png;
	json_t		*r, *res;
	char		 buf[65536], *bytes = NULL;
	ssize_t		 n = 0;
	off_t		 off = 0;
	size_t		 len = 0;
	int		 fd, out;

	r = fwsctl_call(PROTO_CMD_SCREENSHOT, fwsctl_name_args(c), &fd);
	res = json_object_get(r, "result");
	if (fd == -1 && (png = json_string_value(json_object_get(res,
	    "png"))) != NULL) {
		if ((bytes = proto_b64_decode(png, &len)) == NULL)
			fwsctl_errx(1, "fwsd sent a picture that is not base64");
		json_object_del(res, "png");
	} else if (fd == -1)
		fwsctl_errx(1, "fwsd sent no picture");
	if (strcmp(file, "-") == 0)
		out = STDOUT_FILENO;
	else if ((out = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0666)) == -1)
		fwsctl_errx(1, "%s: %s", file, strerror(errno));
	if (bytes != NULL)
		write_out(out, file, bytes, len);
	else {
		while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
			write_out(out, file, buf, n);
			off += n;
		}
		if (n == -1)
			fwsctl_errx(1, "reading the picture: %s",
			    strerror(errno));
		close(fd);
	}
	free(bytes);
	if (out != STDOUT_FILENO && close(out) == -1)
		fwsctl_errx(1, "%s: %s", file, strerror(errno));
	if (out == STDOUT_FILENO)
		;	/* the picture is the output */
	else if (c->c_json) {
		json_object_set_new(res, "file", json_string(file));
		fwsctl_print_json(res);
	} else
		printf("%s: %lldx%lld screenshot in %s\n", c->c_name,
		    (long long)json_integer_value(json_object_get(res, "width")),
		    (long long)json_integer_value(json_object_get(res,
		    "height")), file);
	json_decref(r);
	return 0;
}

static int
verb_version(struct ctx *c)
{
	json_t		*r = fwsctl_call(PROTO_CMD_VERSION, NULL, NULL);
	json_t		*o = json_object_get(r, "result");
	const char	*accel, *reason;

	if (c->c_json) {
		json_object_set_new(o, "client", json_string(FWS_VERSION));
		fwsctl_print_json(o);
		json_decref(r);
		return 0;
	}
	printf("fwsctl %s\nfwsd %s (protocol %lld)\n", FWS_VERSION,
	    json_string_value(json_object_get(o, "version")),
	    (long long)json_integer_value(json_object_get(o, "protocol")));
	accel = json_string_value(json_object_get(o, "accel"));
	reason = json_string_value(json_object_get(o, "accel_reason"));
	/* an older fwsd does not say */
	if (accel != NULL && reason != NULL)
		printf("accel %s: %s\n", accel, reason);
	json_decref(r);
	return 0;
}

static int
verb_autostart(struct ctx *c)
{
	json_t		*args, *r;
	const char	*v = c->c_pos[1];
	int		 on;

	if (strcmp(v, "on") == 0 || strcmp(v, "yes") == 0)
		on = 1;
	else if (strcmp(v, "off") == 0 || strcmp(v, "no") == 0)
		on = 0;
	else
		fwsctl_errx(2, "autostart %s: say on or off", v);
	args = fwsctl_name_args(c);
	json_object_set_new(args, "enabled", json_boolean(on));
	r = fwsctl_call(PROTO_CMD_AUTOSTART, args, NULL);
	if (c->c_json)
		fwsctl_print_json(json_object_get(r, "result"));
	else
		printf("%s: autostart %s\n", c->c_name, on ? "on" : "off");
	json_decref(r);
	return 0;
}

/*
 * One event: a JSON line with --json, else time, VM ("web (alice)" when
 * another's), what happened and who asked ("stopped by root", "for
 * alice" when it is the caller's VM and someone else acted), and why.
 */
static void
print_event(struct ctx *c, json_t *e)
{
	json_t		*owner = json_object_get(e, "owner");
	json_t		*actor = json_object_get(e, "actor");
	const char	*reason = str_or_none(json_object_get(e, "reason"));
	char		*s, tbuf[64], vm[128], who[160], a[64], o[64];
	double		 t = json_number_value(json_object_get(e, "time"));
	time_t		 secs = (time_t)t;
	size_t		 len;
	int		 mine;

	if (c->c_json) {
		s = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER |
		    JSON_REAL_PRECISION(13));
		printf("%s\n", s ? s : "{}");
		free(s);
		fflush(stdout);
		return;
	}
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S", localtime(&secs));
	fwsctl_vm_name(json_object_get(e, "vm"), owner, vm, sizeof(vm));
	who[0] = '\0';
	if (json_is_integer(actor)) {
		snprintf(who, sizeof(who), " by %s", fwsctl_user_name(actor, a,
		    sizeof(a)));
		/* another's VM is named with its owner already */
		mine = json_integer_value(owner) == (json_int_t)fwsctl_uid();
		if (mine && json_integer_value(actor) !=
		    json_integer_value(owner)) {
			len = strlen(who);
			snprintf(who + len, sizeof(who) - len, " for %s",
			    fwsctl_user_name(owner, o, sizeof(o)));
		}
	}
	printf("%s.%03d  %-16s %s%s%s%s\n", tbuf,
	    (int)((t - (double)secs) * 1000), vm,
	    str_or_none(json_object_get(e, "event")), who,
	    *reason != '\0' ? ": " : "", reason);
	fflush(stdout);
}

static int
verb_events(struct ctx *c)
{
	json_t		*args, *r, *e;
	const char	*v;
	char		*cause, *end;
	unsigned long	 limit = 10;
	int		 follow = fwsctl_opt(c, "follow") != NULL;
	size_t		 i;

	if (c->c_name != NULL && validate_name(c->c_name, &cause) == -1)
		fwsctl_errx(2, "%s", cause);
	if ((v = fwsctl_opt(c, "limit")) != NULL) {
		limit = strtoul(v, &end, 10);
		if (*v < '0' || *v > '9' || *end != '\0' || limit > 1000000)
			fwsctl_errx(2, "--limit %s: give a count, 0 to 1000000",
			    v);
	}
	args = json_object();
	if (c->c_name != NULL)
		json_object_set_new(args, "name", json_string(c->c_name));
	if (v != NULL || follow)
		json_object_set_new(args, "limit", json_integer(limit));
	json_object_set_new(args, "follow", json_boolean(follow));
	fwsctl_send(PROTO_CMD_EVENTS, args);
	r = fwsctl_reply(NULL);
	json_array_foreach(json_object_get(r, "result"), i, e)
		print_event(c, e);
	json_decref(r);
	if (!follow)
		return 0;
	while ((r = fwsctl_read(NULL)) != NULL) {
		if ((e = json_object_get(r, "event")) != NULL)
			print_event(c, e);
		json_decref(r);
	}
	fwsctl_errx(1, "fwsd closed the connection");
}

/* shutdown-all --save's answer: the saved, then each failure; 1 if any */
static int
print_saved_all(struct ctx *c, json_t *res, json_t *r)
{
	json_t	*saved = json_object_get(res, "saved");
	json_t	*failed = json_object_get(res, "failed"), *n;
	char	 name[128];
	size_t	 i;
	int	 rc = json_array_size(failed) > 0;

	if (c->c_json)
		fwsctl_print_json(res);
	else if (json_array_size(saved) == 0 && !rc)
		printf("no VM was running\n");
	else {
		if (json_array_size(saved) > 0) {
			printf("saved");
			json_array_foreach(saved, i, n)
				printf("%s %s", i == 0 ? "" : ",",
				    fwsctl_vm_name(json_object_get(n, "name"),
				    json_object_get(n, "owner"), name,
				    sizeof(name)));
			printf("\n");
		}
		json_array_foreach(failed, i, n)
			fprintf(stderr, "fwsctl: not saved: %s\n",
			    str_or_none(json_object_get(n, "error")));
	}
	json_decref(r);
	return rc;
}

static int
verb_shutdown_all(struct ctx *c)
{
	json_t		*r, *a, *n, *stopped, *args;
	char		 name[128];
	size_t		 i;

	args = timeout_arg(c, NULL);
	if (fwsctl_opt(c, "save") != NULL) {
		if (fwsctl_opt(c, "timeout") != NULL)
			fwsctl_errx(2, "shutdown-all: --save or --timeout, not "
			    "both (a save does not wait for the guest)");
		json_object_set_new(args, "save", json_true());
		r = fwsctl_call(PROTO_CMD_SHUTDOWN_ALL, args, NULL);
		return print_saved_all(c, json_object_get(r, "result"), r);
	}
	r = fwsctl_call(PROTO_CMD_SHUTDOWN_ALL, args, NULL);
	a = json_object_get(json_object_get(r, "result"), "stopped");
	/* with their owners: two users may both have a "web" */
	if ((stopped = json_object_get(json_object_get(r, "result"), "vms")) ==
	    NULL)
		stopped = a;
	if (c->c_json)
		fwsctl_print_json(json_object_get(r, "result"));
	else if (json_array_size(a) == 0)
		printf("no VM was running\n");
	else {
		printf("stopped");
		json_array_foreach(stopped, i, n)
			printf("%s %s", i == 0 ? "" : ",", json_is_object(n) ?
			    fwsctl_vm_name(json_object_get(n, "name"),
			    json_object_get(n, "owner"), name, sizeof(name)) :
			    str_or_none(n));
		printf("\n");
	}
	json_decref(r);
	return 0;
}

static int
verb_net_create(struct ctx *c)
{
	json_t		*args, *r, *dns;
	const char	*v;
	char		*range, *dash, *cause, *p, *save = NULL;

	if (validate_name(c->c_name, &cause) == -1)
		fwsctl_errx(2, "%s", cause);
	if ((v = fwsctl_opt(c, "dhcp")) != NULL && strchr(v, '-') == NULL)
		fwsctl_errx(2, "--dhcp %s: give START-END, e.g. "
		    "10.0.0.100-10.0.0.199", v);
	if ((v = fwsctl_opt(c, "bridge")) == NULL)
		fwsctl_errx(2, "net-create %s: --bridge BR is needed",
		    c->c_name);
	args = fwsctl_name_args(c);
	json_object_set_new(args, "bridge", json_string(v));
	if ((v = fwsctl_opt(c, "uplink")) != NULL)
		json_object_set_new(args, "uplink", json_string(v));
	if ((v = fwsctl_opt(c, "address")) != NULL)
		json_object_set_new(args, "address", json_string(v));
	if (fwsctl_opt(c, "nat") != NULL)
		json_object_set_new(args, "nat", json_true());
	if (fwsctl_opt(c, "no-autostart") != NULL)
		json_object_set_new(args, "autostart", json_false());
	if (fwsctl_opt(c, "open") != NULL)
		json_object_set_new(args, "open", json_true());
	if (fwsctl_opt(c, "public") != NULL)
		json_object_set_new(args, "public", json_true());
	if ((v = fwsctl_opt(c, "dhcp")) != NULL) {
		range = xasprintf("%s", v);
		dash = strchr(range, '-');
		*dash = '\0';
		json_object_set_new(args, "dhcp_start", json_string(range));
		json_object_set_new(args, "dhcp_end", json_string(dash + 1));
		free(range);
	}
	/* --dns IP,IP: fwsd checks each address */
	if ((v = fwsctl_opt(c, "dns")) != NULL) {
		dns = json_array();
		range = xasprintf("%s", v);
		for (p = strtok_r(range, ",", &save); p != NULL;
		    p = strtok_r(NULL, ",", &save))
			json_array_append_new(dns, json_string(p));
		free(range);
		json_object_set_new(args, "dns", dns);
	}
	if (fwsctl_opt(c, "no-dns") != NULL)
		json_object_set_new(args, "no_dns", json_true());
	r = fwsctl_call(PROTO_CMD_NET_CREATE, args, NULL);
	if (c->c_json)
		fwsctl_print_json(json_object_get(r, "result"));
	else
		printf("network %s is up on bridge %s\n", c->c_name,
		    json_string_value(json_object_get(json_object_get(r,
		    "result"), "bridge")));
	json_decref(r);
	return 0;
}

/* net-start, net-stop, net-delete: the verb is the command */
static int
verb_net_simple(struct ctx *c)
{
	json_t		*r = fwsctl_call(c->c_cmd, fwsctl_name_args(c), NULL);
	const char	*done;

	if (c->c_json)
		fwsctl_print_json(json_object_get(r, "result"));
	else {
		done = c->c_cmd == PROTO_CMD_NET_START ? "up" :
		    c->c_cmd == PROTO_CMD_NET_STOP ? "down" :
		    "deleted";
		printf("network %s is %s\n", c->c_name, done);
	}
	json_decref(r);
	return 0;
}

/* net-open and net-public: NAME on|off, the one flag each sets. */
static int
net_switch(struct ctx *c, const char *verb, const char *key,
    const char *on_words, const char *off_words)
{
	json_t		*args = fwsctl_name_args(c), *r;
	const char	*v = c->c_pos[1];

	if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
		fwsctl_errx(2, "%s %s: say on or off, not \"%s\"", verb,
		    c->c_name, v);
	json_object_set_new(args, key, json_boolean(strcmp(v, "on") == 0));
	r = fwsctl_call(c->c_cmd, args, NULL);
	if (c->c_json)
		fwsctl_print_json(json_object_get(r, "result"));
	else
		printf("network %s is %s\n", c->c_name, strcmp(v, "on") == 0 ?
		    on_words : off_words);
	json_decref(r);
	return 0;
}

static int
verb_net_open(struct ctx *c)
{
	return net_switch(c, "net-open", "open", "open to users",
	    "closed to users");
}

static int
verb_net_public(struct ctx *c)
{
	return net_switch(c, "net-public", "public", "public: only VMs from "
	    "clean or accepted images join it", "not public");
}

static const char *
str_or(json_t *v, const char *none)
{
	return json_is_string(v) ? json_string_value(v) : none;
}

/* A network's DNS in words: its domain, the servers, or "none". */
static void
dns_words(json_t *d, char *buf, size_t len)
{
	json_t	*s;
	size_t	 i, off;

	if (!json_is_object(d)) {
		snprintf(buf, len, "-");
		return;
	}
	if (json_is_string(json_object_get(d, "domain"))) {
		snprintf(buf, len, "%s", json_string_value(json_object_get(d,
		    "domain")));
		return;
	}
	snprintf(buf, len, "none");
	off = 0;
	json_array_foreach(json_object_get(d, "servers"), i, s)
		if (off < len)
			off += snprintf(buf + off, len - off, "%s%s",
			    i == 0 ? "" : ",", str_or(s, "?"));
}

static int
verb_net_list(struct ctx *c)
{
	json_t	*r, *a, *n, *d;
	char	 dhcp[64], dns[128];
	size_t	 i;

	if ((a = fwsctl_call_list(c, PROTO_CMD_NET_LIST, NULL, &r)) == NULL)
		return 0;
	printf("%-16s %-6s %-15s %-18s %-4s %-6s %-31s %s\n", "NAME",
	    "STATE", "BRIDGE", "ADDRESS", "NAT", "PUBLIC", "DHCP", "DNS");
	json_array_foreach(a, i, n) {
		d = json_object_get(n, "dhcp");
		if (json_is_object(d))
			snprintf(dhcp, sizeof(dhcp), "%s-%s",
			    json_string_value(json_object_get(d, "start")),
			    json_string_value(json_object_get(d, "end")));
		else
			snprintf(dhcp, sizeof(dhcp), "-");
		dns_words(json_object_get(n, "dns"), dns, sizeof(dns));
		printf("%-16s %-6s %-15s %-18s %-4s %-6s %-31s %s\n",
		    json_string_value(json_object_get(n, "name")),
		    json_is_true(json_object_get(n, "active")) ? "up" : "down",
		    json_string_value(json_object_get(n, "bridge")),
		    str_or(json_object_get(n, "address"), "-"),
		    json_is_true(json_object_get(n, "nat")) ? "yes" : "no",
		    json_is_true(json_object_get(n, "public")) ? "yes" : "no",
		    dhcp, dns);
	}
	json_decref(r);
	return 0;
}

static int
verb_net_info(struct ctx *c)
{
	json_t	*r = fwsctl_call(PROTO_CMD_NET_INFO, fwsctl_name_args(c), NULL);
	json_t	*o = json_object_get(r, "result"), *nic;
	const char *keys[] = { "name", "bridge", "uplink", "address", "nat",
	    "dhcp", "dns", "dhcp_pid", "autostart", "active", "public" };
	char	 vm[128];
	size_t	 i;

	if (c->c_json) {
		fwsctl_print_json(o);
		json_decref(r);
		return 0;
	}
	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		info_line(keys[i], json_object_get(o, keys[i]));
	json_array_foreach(json_object_get(o, "nics"), i, nic)
		printf("%-12s %s  %s%s%s\n", i == 0 ? "nics" : "",
		    str_or_none(json_object_get(nic, "mac")),
		    fwsctl_vm_name(json_object_get(nic, "vm"),
		    json_object_get(nic, "owner"), vm, sizeof(vm)),
		    json_is_string(json_object_get(nic, "hostname")) ?
		    " named " : "", str_or(json_object_get(nic, "hostname"),
		    ""));
	json_decref(r);
	return 0;
}

static int
verb_net_leases(struct ctx *c)
{
	json_t	*r, *a, *l;
	char	 vm[128];
	size_t	 i;

	if ((a = fwsctl_call_list(c, PROTO_CMD_NET_LEASES, fwsctl_name_args(c),
	    &r)) == NULL)
		return 0;
	printf("%-17s  %-15s  %s\n", "MAC", "IP", "VM");
	json_array_foreach(a, i, l)
		printf("%-17s  %-15s  %s\n",
		    json_string_value(json_object_get(l, "mac")),
		    json_string_value(json_object_get(l, "ip")),
		    json_is_string(json_object_get(l, "vm")) ?
		    fwsctl_vm_name(json_object_get(l, "vm"), json_object_get(l,
		    "owner"), vm, sizeof(vm)) : "-");
	json_decref(r);
	return 0;
}

/* snapshot-create, -revert, -delete NAME TAG: the verb is the command */
static int
verb_snapshot(struct ctx *c)
{
	json_t		*args, *r;
	char		*cause;

	if (validate_name(c->c_pos[1], &cause) == -1)
		fwsctl_errx(2, "tag %s", cause);
	args = fwsctl_name_args(c);
	json_object_set_new(args, "tag", json_string(c->c_pos[1]));
	if (fwsctl_opt(c, "disk-only") != NULL)
		json_object_set_new(args, "disk_only", json_true());
	r = fwsctl_call(c->c_cmd, args, NULL);
	if (c->c_json)
		fwsctl_print_json(json_object_get(r, "result"));
	else if (c->c_cmd == PROTO_CMD_SNAPSHOT_REVERT)
		printf("%s: reverted to snapshot %s\n", c->c_name, c->c_pos[1]);
	else
		printf("%s: snapshot %s %s\n", c->c_name, c->c_pos[1],
		    c->c_cmd == PROTO_CMD_SNAPSHOT_CREATE ? "taken" : "deleted");
	json_decref(r);
	return 0;
}

static int
verb_snapshot_list(struct ctx *c)
{
	json_t	*args, *r, *a, *s;
	char	 tbuf[64], size[32], vm[128];
	time_t	 t;
	size_t	 i;

	if ((fwsctl_opt(c, "all") != NULL) == (c->c_name != NULL))
		usage(c->c_cmd);
	if (c->c_name == NULL)
		args = json_pack("{sb}", "all", 1);
	else
		args = fwsctl_name_args(c);
	if ((a = fwsctl_call_list(c, PROTO_CMD_SNAPSHOT_LIST, args, &r)) == NULL)
		return 0;
	printf("%-16s %-20s %-19s %-6s %10s %10s\n", "VM", "TAG", "CREATED",
	    "MEMORY", "STATE", "VM CLOCK");
	json_array_foreach(a, i, s) {
		fwsctl_vm_name(json_object_get(s, "vm"), json_object_get(s,
		    "owner"), vm, sizeof(vm));
		t = json_integer_value(json_object_get(s, "created"));
		strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S", localtime(&t));
		fwsctl_size(json_object_get(s, "vm_state_size"), 0, size,
		    sizeof(size));
		printf("%-16s %-20s %-19s %-6s %10s %9.1fs\n", vm,
		    json_string_value(json_object_get(s, "tag")), tbuf,
		    json_is_true(json_object_get(s, "memory")) ? "yes" : "no",
		    size, json_number_value(json_object_get(s, "vm_clock")));
	}
	json_decref(r);
	return 0;
}

/*
 * The way to the screen that works from where the user is.  VNC on
 * loopback is reached from elsewhere through ssh to the host, as the
 * caller: that line is made here, where the caller's name is known
 * ("tunnel" in the JSON), fwsd gives the rest.
 */
static int
verb_media(struct ctx *c)
{
	json_t		*args, *r, *o;
	const char	*iso = fwsctl_opt(c, "iso");
	int		 eject = fwsctl_opt(c, "eject") != NULL;

	if ((iso == NULL) == !eject) {
		fprintf(stderr, "fwsctl media: give --iso NAME|PATH or "
		    "--eject\n");
		usage(c->c_cmd);
	}
	args = fwsctl_name_args(c);
	if (iso != NULL)
		json_object_set_new(args, "iso", library_arg(iso));
	else
		json_object_set_new(args, "eject", json_true());
	r = fwsctl_call(PROTO_CMD_MEDIA, args, NULL);
	o = json_object_get(r, "result");
	if (c->c_json)
		fwsctl_print_json(o);
	else if (!json_is_string(json_object_get(o, "iso")))
		printf("%s: the CD drive is empty\n", c->c_name);
	else
		printf("%s: %s is in the CD drive%s\n", c->c_name,
		    json_string_value(json_object_get(o, "iso")),
		    json_is_true(json_object_get(o, "boot_once")) ?
		    "; the next start boots from it once" : "");
	json_decref(r);
	return 0;
}

/*
 * web-login: the link to open in a browser (web_url's), or the token
 * alone when fwsd knows no web_url.
 */
static int
verb_web_login(struct ctx *c)
{
	json_t		*r = fwsctl_call(PROTO_CMD_WEB_LOGIN, NULL, NULL);
	json_t		*o = json_object_get(r, "result");
	const char	*url = json_string_value(json_object_get(o, "url"));
	long long	 ttl;

	if (c->c_json) {
		fwsctl_print_json(o);
		json_decref(r);
		return 0;
	}
	ttl = json_integer_value(json_object_get(o, "expires")) -
	    (long long)time(NULL);
	if (url != NULL)
		printf("%s\n", url);
	else
		printf("token %s\nfwsd knows no address of the panel (web_url "
		    "in fwsd.conf): open the panel's /login#token=TOKEN\n",
		    str_or_none(json_object_get(o, "token")));
	if (isatty(STDOUT_FILENO))
		printf("Open it within %lld s; it works once.\n",
		    ttl > 0 ? ttl : 0);
	json_decref(r);
	return 0;
}

/*
 * The ssh line that brings a screen's port (vnc's or display's reply)
 * to the user's machine when it listens on loopback; NULL otherwise.
 */
static char *
screen_tunnel(json_t *o)
{
	const char	*host, *pub;
	char		 user[64];
	long long	 port;

	host = str_or_none(json_object_get(o, "host"));
	pub = json_string_value(json_object_get(o, "public_host"));
	port = json_integer_value(json_object_get(o, "port"));
	if (!json_is_true(json_object_get(o, "loopback")) || pub == NULL)
		return NULL;
	snprintf(user, sizeof(user), "%s", fwsctl_uid_name(fwsctl_uid()));
	return xasprintf("ssh -L %lld:%s%s%s:%lld %s@%s", port,
	    strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
	    port, user, pub);
}

static int
verb_vnc(struct ctx *c)
{
	json_t		*r = fwsctl_call(PROTO_CMD_VNC, fwsctl_name_args(c),
	    NULL);
	json_t		*o = json_object_get(r, "result");
	const char	*host, *pub, *viewer, *cmd;
	char		*tunnel;
	long long	 display, port;

	host = str_or_none(json_object_get(o, "host"));
	pub = json_string_value(json_object_get(o, "public_host"));
	cmd = str_or_none(json_object_get(o, "command"));
	/* an older fwsd gives neither: its command is all there is */
	if ((viewer = json_string_value(json_object_get(o, "viewer"))) == NULL)
		viewer = cmd;
	display = json_integer_value(json_object_get(o, "display"));
	port = json_integer_value(json_object_get(o, "port"));
	tunnel = screen_tunnel(o);
	if (c->c_json) {
		json_object_set_new(o, "tunnel", tunnel ? json_string(tunnel) :
		    json_null());
		fwsctl_print_json(o);
	} else if (tunnel != NULL) {
		printf("%s's screen: VNC display %lld on %s (port %lld), "
		    "reachable on %s alone.\n", c->c_name, display, host, port,
		    pub);
		printf("%-19s %s\n", "On this host:", cmd);
		printf("%-19s %s\n", "From your machine:", tunnel);
		printf("%-19s and while it is open: %s\n", "", viewer);
	} else {
		printf("%s's screen: VNC display %lld (port %lld).\n",
		    c->c_name, display, port);
		printf("%-19s %s\n", "Viewer:", viewer);
	}
	if (!c->c_json)
		printf("%-19s %s (new at every start)\n", "Password:",
		    str_or_none(json_object_get(o, "password")));
	free(tunnel);
	json_decref(r);
	return 0;
}

/*
 * A remote-viewer connection file (.vv) for the screen display's reply
 * describes: its protocol, where it is and its password.  The viewer
 * removes it once read (delete-this-file).
 */
static void
display_vv(const char *name, json_t *o)
{
	const char	*host;

	/* an fwsd without vv_host: the address it listens on */
	if ((host = json_string_value(json_object_get(o, "vv_host"))) == NULL)
		host = str_or_none(json_object_get(o, "host"));
	printf("[virt-viewer]\n");
	printf("type=%s\n", str_or_none(json_object_get(o, "protocol")));
	printf("host=%s\n", host);
	printf("port=%lld\n", (long long)json_integer_value(
	    json_object_get(o, "port")));
	printf("password=%s\n", str_or_none(json_object_get(o, "password")));
	printf("title=%s\n", name);
	printf("delete-this-file=1\n");
}

static int
verb_display(struct ctx *c)
{
	json_t		*r, *o;
	const char	*proto, *host, *pub, *cmd, *viewer;
	char		*tunnel;
	long long	 port;

	if (c->c_json && fwsctl_opt(c, "vv") != NULL)
		fwsctl_errx(2, "display: --vv or --json, not both");
	r = fwsctl_call(PROTO_CMD_DISPLAY, fwsctl_name_args(c), NULL);
	o = json_object_get(r, "result");
	if (fwsctl_opt(c, "vv") != NULL) {
		display_vv(c->c_name, o);
		json_decref(r);
		return 0;
	}
	tunnel = screen_tunnel(o);
	if (c->c_json) {
		json_object_set_new(o, "tunnel", tunnel ? json_string(tunnel) :
		    json_null());
		fwsctl_print_json(o);
		free(tunnel);
		json_decref(r);
		return 0;
	}
	proto = strcmp(str_or_none(json_object_get(o, "protocol")),
	    "spice") == 0 ? "SPICE" : "VNC";
	host = str_or_none(json_object_get(o, "host"));
	pub = str_or_none(json_object_get(o, "public_host"));
	cmd = str_or_none(json_object_get(o, "command"));
	viewer = str_or_none(json_object_get(o, "viewer"));
	port = json_integer_value(json_object_get(o, "port"));
	if (tunnel != NULL) {
		printf("%s's screen: %s on %s (port %lld), reachable on %s "
		    "alone.\n", c->c_name, proto, host, port, pub);
		printf("%-19s %s\n", "On this host:", cmd);
		printf("%-19s %s\n", "From your machine:", tunnel);
		printf("%-19s and while it is open: %s\n", "", viewer);
	} else {
		printf("%s's screen: %s on %s (port %lld).\n", c->c_name,
		    proto, host, port);
		printf("%-19s %s\n", "Viewer:", viewer);
	}
	printf("%-19s %s (new at every start)\n", "Password:",
	    str_or_none(json_object_get(o, "password")));
	printf("%-19s fwsctl display %s --vv > %s.vv; remote-viewer %s.vv\n",
	    "Or, in one file:", c->c_name, c->c_name, c->c_name);
	free(tunnel);
	json_decref(r);
	return 0;
}

/*
 * A global option that takes a value: "--NAME VALUE" or "--NAME=VALUE"
 * at argv[*i] sets *val (and moves *i past the value).  0 when argv[*i]
 * is another option.
 */
static int
global_value(char **argv, int argc, int *i, const char *name,
    const char **val)
{
	size_t	 len = strlen(name);

	if (strncmp(argv[*i], name, len) != 0)
		return 0;
	if (argv[*i][len] == '=') {
		*val = argv[*i] + len + 1;
		return 1;
	}
	if (argv[*i][len] != '\0')
		return 0;
	if (*i + 1 >= argc)
		fwsctl_errx(2, "%s needs a value", name);
	*val = argv[++*i];
	return 1;
}

int
main(int argc, char *argv[])
{
	struct conn_target	 to;
	struct ctx		 c;
	const char		*connect = NULL, *owner = NULL;
	const char		*cert = NULL, *key = NULL, *ca = NULL;
	char			*def, *cause;
	int			 i = 1, cmd, rc;

	memset(&c, 0, sizeof(c));
	socket_path = NULL;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (global_value(argv, argc, &i, "--socket", &socket_path) ||
		    global_value(argv, argc, &i, "--connect", &connect) ||
		    global_value(argv, argc, &i, "--cert", &cert) ||
		    global_value(argv, argc, &i, "--key", &key) ||
		    global_value(argv, argc, &i, "--ca", &ca))
			continue;
		if (global_value(argv, argc, &i, "--owner", &owner))
			fwsctl_owner(owner);
		else if (strcmp(argv[i], "--json") == 0)
			c.c_json = 1;
		else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			usage_out(-1, 1);
		else if (strcmp(argv[i], "--version") == 0) {
			printf("fwsctl %s\n", FWS_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--verbs") == 0)
			list_verbs();
		else if (strncmp(argv[i], "--", 2) == 0 && argv[i][2] != '\0') {
			argv[i][strcspn(argv[i], "=")] = '\0';
			unknown_option(-1, argv[i] + 2);
		} else
			fwsctl_errx(2, "unknown option %.64s (fwsctl --help "
			    "lists them)", argv[i]);
	}
	if (i == argc)
		usage(-1);
	/* the command line first, then the environment */
	if (connect == NULL && socket_path == NULL)
		connect = getenv("FWS_CONNECT");
	if (connect != NULL && *connect == '\0')
		connect = NULL;
	if (socket_path == NULL)
		socket_path = getenv("FWS_SOCKET");
	if (connect != NULL) {
		if (conn_parse(connect, &to, &cause) == -1)
			fwsctl_errx(2, "--connect %s", cause);
		if (!to.ct_tls)
			socket_path = to.ct_path;
	}
	if (socket_path == NULL || *socket_path == '\0') {
		def = xasprintf("%s/%s", FWS_RUN_DIR_DEFAULT, FWS_SOCKET_NAME);
		socket_path = def;
	}
	if (connect == NULL) {
		memset(&to, 0, sizeof(to));
		to.ct_path = socket_path;
	}
	if (!to.ct_tls && (cert != NULL || key != NULL || ca != NULL))
		fwsctl_errx(2, "--cert, --key and --ca go with --connect "
		    "tls://HOST");
	conn_target(&to);
	conn_tls_files(cert, key, ca);
	if (strcmp(argv[i], "help") == 0)
		usage_out(-1, 1);
	if ((cmd = proto_cmd_find(argv[i])) == -1 || verbs[cmd].v_fn == NULL)
		unknown_verb(argv[i]);
	c.c_cmd = cmd;
	c.c_verb = &verbs[cmd];
	parse(&c, argc - i - 1, argv + i + 1);
	rc = c.c_verb->v_fn(&c);
	conn_release();
	return rc;
}
