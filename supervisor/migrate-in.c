/*
 * migrate-in.c: a guest that arrives from another host, the
 * destination's side of a migration (the source's is migrate.c).  The
 * source fwsd asks, as an admin over listen_tls:
 *
 *   migrate-incoming  the VM is defined from the source's definition
 *                     (vm-define.c: the same checks as define; its disks
 *                     at their paths, which must be reachable here, or
 *                     with copy_storage made anew, empty), a qemu spawned
 *                     with -incoming defer (the VM is arriving: its job
 *                     JOB_MIGRATE_IN), and told to listen on a port of
 *                     migration_ports (QEMU's TLS on the stream unless
 *                     migration_tls = no); with copy_storage its NBD
 *                     server exports the new disks, writable.  The answer
 *                     says where the source sends the guest.
 *   migrate-finish    the guest is all here: with copy_storage the NBD
 *                     server stops (nobody writes the disks but the
 *                     guest), then cont, and the VM runs here (its
 *                     figures recorded), committed before the answer.
 *   migrate-abort     the qemu is killed and the VM forgotten, with the
 *                     disks made for it.
 *
 * The guest never runs here unless migrate-finish says so: the source's
 * connection lost before it, a qemu that ends, a failed step, and an
 * arriving VM found by a restarted fwsd all end the same way, the qemu
 * killed and the VM forgotten (an "arriving" VM's disks stay when they
 * are the source's, shared).
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "fws.h"
#include "log.h"
#include "qmp.h"

#define MIG_TLS_ID	"fws-mig-tls-in"	/* its TLS credentials */
#define MIG_AUTHZ_ID	"fws-mig-authz-in"	/* who may send: the source */

enum mig_in_step {
	MI_DEFINING,		/* vm_define under way */
	MI_SPAWNED,		/* qemu with -incoming defer, QMP coming */
	MI_LISTENING,		/* migrate-incoming done: the source sends */
	MI_FINISHING,		/* migrate-finish: waiting for the stream's
				   end, then cont */
	MI_FAILED,		/* killed: its end forgets the VM */
};

struct mig_in {
	struct vm	*mi_vm;
	uint64_t	 mi_client;	/* the source's connection; 0: none */
	char		*mi_source;	/* its name, for events */
	char		*mi_peer_dn;	/* its certificate's subject: the
					   one QEMU lets send the guest */
	char		*mi_uuid;
	int		 mi_copy;	/* copy_storage: the disks are ours */
	int		 mi_tls;	/* QEMU's TLS on the stream */
	unsigned	 mi_port;
	enum mig_in_step mi_step;
	int		 mi_received;	/* QMP MIGRATION completed */
	json_t		*mi_disks;	/* copy_storage: the exports */
	json_t		*mi_figures;	/* what the source measured */
	fws_done_fn	 mi_fn;		/* the answer pending, if any */
	void		*mi_arg;
	struct event	*mi_wait;	/* migrate-finish's wait */
	char		*mi_why;
};

/* A VM to forget once its qemu is gone, found again by its uuid. */
struct mig_forget {
	char		 mf_uuid[37];
	int		 mf_keep;	/* vm_remove's */
	char		*mf_why;
};

static void
mig_forget_now(int fd, short what, void *arg)
{
	struct mig_forget	*mf = arg;
	struct vm		*vm;
	char			*cause;

	(void)fd;
	(void)what;
	TAILQ_FOREACH(vm, &vms, vm_entry)
		if (strcmp(vm->vm_uuid, mf->mf_uuid) == 0)
			break;
	if (vm != NULL && !vm_is_active(vm) &&
	    vm_remove(vm, mf->mf_keep, -1, mf->mf_why, &cause) == -1) {
		log_warnx("%s: %s", vm->vm_name, cause);
		free(cause);
	}
	free(mf->mf_why);
	free(mf);
}

/*
 * Forget vm (without a qemu) from the loop, later: its callers still
 * hold it.  Its own disks go when copy made them; shared ones are the
 * source's and stay as they are.
 */
static void
mig_forget(struct vm *vm, int copy, const char *why)
{
	struct mig_forget	*mf;
	struct timeval		 tv = { 0, 0 };

	if ((mf = calloc(1, sizeof(*mf))) == NULL)
		return;
	snprintf(mf->mf_uuid, sizeof(mf->mf_uuid), "%s", vm->vm_uuid);
	mf->mf_keep = copy ? 0 : VM_REMOVE_UNTOUCHED;
	mf->mf_why = xasprintf("%s", why);
	if (event_base_once(base, -1, EV_TIMEOUT, mig_forget_now, mf,
	    &tv) == -1) {
		free(mf->mf_why);
		free(mf);
	}
}

/* RUN_DIR/UUID.tls: QEMU's copies of fwsd's certificate, key and CA. */
char *
migrate_tls_dir(const struct vm *vm)
{
	return vm_run_path(vm, "tls");
}

static int
mig_copy_file(const char *from, const char *to, uid_t uid, char **cause)
{
	char	 buf[16384];
	ssize_t	 n;
	int	 in, out, rc = 0;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1)
		return cause_fail(cause, "%s: %s", from, strerror(errno));
	(void)unlink(to);
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		close(in);
		return cause_fail(cause, "%s: %s", to, strerror(errno));
	}
	while (rc == 0 && (n = read(in, buf, sizeof(buf))) != 0)
		if (n == -1 || write(out, buf, n) != n)
			rc = cause_fail(cause, "%s: %s", to, strerror(errno));
	close(in);
	if (close(out) == -1 && rc == 0)
		rc = cause_fail(cause, "%s: %s", to, strerror(errno));
	if (rc == 0)
		rc = access_give_qemu(to, uid, cause);
	return rc;
}

/*
 * The files QEMU's tls-creds-x509 reads, for an endpoint (server: the
 * destination, else the client): fwsd's own certificate and key, and
 * the CA, given to the VM's qemu uid.
 */
int
migrate_tls_files(const struct vm *vm, int server, char **cause)
{
	const char	*role = server ? "server" : "client";
	char		*dir, *to;
	int		 rc;

	dir = migrate_tls_dir(vm);
	if (access_run_dir(dir, cause) == -1) {
		free(dir);
		return -1;
	}
	to = xasprintf("%s/ca-cert.pem", dir);
	rc = mig_copy_file(conf.cf_tls_ca, to, vm->vm_qemu_uid, cause);
	free(to);
	if (rc == 0) {
		to = xasprintf("%s/%s-cert.pem", dir, role);
		rc = mig_copy_file(conf.cf_tls_cert, to, vm->vm_qemu_uid,
		    cause);
		free(to);
	}
	if (rc == 0) {
		to = xasprintf("%s/%s-key.pem", dir, role);
		rc = mig_copy_file(conf.cf_tls_key, to, vm->vm_qemu_uid, cause);
		free(to);
	}
	free(dir);
	return rc;
}

/* The directory and its copies go (qemu read them when told to). */
void
migrate_tls_remove(const struct vm *vm)
{
	const char	*const names[] = { "ca-cert.pem", "server-cert.pem",
	    "server-key.pem", "client-cert.pem", "client-key.pem" };
	char		*dir = migrate_tls_dir(vm), *p;
	struct stat	 st;
	size_t		 i;

	/* most VMs never migrated: one look, not six calls that fail */
	if (lstat(dir, &st) == -1 && errno == ENOENT) {
		free(dir);
		return;
	}
	for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
		p = xasprintf("%s/%s", dir, names[i]);
		(void)unlink(p);
		free(p);
	}
	if (rmdir(dir) == -1 && errno != ENOENT)
		log_warn("rmdir %s", dir);
	free(dir);
}

static void
mig_in_free(struct mig_in *mi)
{
	if (mi->mi_vm != NULL && mi->mi_vm->vm_mig_in == mi)
		mi->mi_vm->vm_mig_in = NULL;
	if (mi->mi_wait != NULL)
		event_free(mi->mi_wait);
	json_decref(mi->mi_disks);
	json_decref(mi->mi_figures);
	free(mi->mi_source);
	free(mi->mi_peer_dn);
	free(mi->mi_uuid);
	free(mi->mi_why);
	free(mi);
}

/* The pending answer, if any, with err and why (printf). */
static void
mig_in_answer(struct mig_in *mi, enum fws_err err, json_t *result,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
mig_in_answer(struct mig_in *mi, enum fws_err err, json_t *result,
    const char *fmt, ...)
{
	fws_done_fn	 fn = mi->mi_fn;
	va_list		 ap;
	char		*why = NULL;

	if (fn == NULL) {
		json_decref(result);
		return;
	}
	mi->mi_fn = NULL;
	if (fmt != NULL) {
		va_start(ap, fmt);
		if (vasprintf(&why, fmt, ap) == -1)
			why = NULL;
		va_end(ap);
	}
	fn(mi->mi_arg, err, why, result);
	free(why);
}

/*
 * The arrival fails: qemu is killed (its end forgets the VM, see
 * migrate_in_exited), and whoever waits hears why.
 */
static void
mig_in_fail(struct mig_in *mi, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
mig_in_fail(struct mig_in *mi, const char *fmt, ...)
{
	struct vm	*vm = mi->mi_vm;
	va_list		 ap;

	if (mi->mi_step == MI_FAILED)
		return;
	va_start(ap, fmt);
	if (vasprintf(&mi->mi_why, fmt, ap) == -1)
		mi->mi_why = xasprintf("failed");
	va_end(ap);
	mi->mi_step = MI_FAILED;
	log_warnx("%s: the migration from %s failed: %s", vm->vm_name,
	    mi->mi_source, mi->mi_why);
	vm_run->ro_timer(vm, -1);
	vm_run->ro_kill(vm);
	mig_in_answer(mi, FWS_ERR_FAILED, NULL, "%s", mi->mi_why);
}

/* The source's migrate-incoming answered: where to send the guest. */
static void
mig_in_listening(struct mig_in *mi)
{
	json_t	*res;

	mi->mi_step = MI_LISTENING;
	vm_run->ro_timer(mi->mi_vm, -1);
	vm_job_progress(mi->mi_vm, -1, "waiting for the guest");
	res = json_pack("{ss sI sO* sb}", "uuid", mi->mi_vm->vm_uuid, "port",
	    (json_int_t)mi->mi_port, "address", conf.cf_mig_address != NULL ?
	    json_string(conf.cf_mig_address) : NULL, "tls", mi->mi_tls);
	if (mi->mi_disks != NULL)
		json_object_set(res, "disks", mi->mi_disks);
	mig_in_answer(mi, FWS_OK, res, NULL);
}

/* The address the incoming qemu listens on: migration_address, else
 * listen_tls's, else every address. */
static char *
mig_in_listen_host(void)
{
	char	 host[VALIDATE_HOST_MAX + 1], port[VALIDATE_PORT_LEN + 1];
	char	*why;

	if (conf.cf_mig_address != NULL)
		return xasprintf("%s", conf.cf_mig_address);
	if (conf.cf_listen_tls != NULL && validate_hostport(conf.cf_listen_tls,
	    FWS_TLS_PORT, host, sizeof(host), port, sizeof(port), &why) == 0)
		return xasprintf("%s", host);
	return xasprintf("0.0.0.0");
}

static char *
mig_in_uri(const char *scheme, unsigned port)
{
	char	*host = mig_in_listen_host(), *uri;

	uri = xasprintf(strchr(host, ':') != NULL ? "%s:[%s]:%u" :
	    "%s:%s:%u", scheme, host, port);
	free(host);
	return uri;
}

/* The QMP steps of the arrival, in order. */
enum mig_in_qmp {
	MQ_TLS,			/* object-add tls-creds-x509 */
	MQ_AUTHZ,		/* object-add authz-simple: the source alone */
	MQ_CAPS,		/* migrate-set-capabilities: events */
	MQ_PARAMS,		/* migrate-set-parameters: tls-creds */
	MQ_NBD,			/* copy: nbd-server-start */
	MQ_EXPORTS,		/* copy: block-export-add, one per disk */
	MQ_INCOMING,		/* migrate-incoming */
	MQ_DONE,
};

struct mig_in_ctx {
	struct mig_in	*mc_mi;
	enum mig_in_qmp	 mc_step;
	int		 mc_disk;
};

static void	mig_in_next(struct mig_in *, enum mig_in_qmp, int);

static const char *const mig_in_qmp_names[] = {
	[MQ_TLS] = "object-add", [MQ_AUTHZ] = "object-add",
	[MQ_CAPS] = "migrate-set-capabilities",
	[MQ_PARAMS] = "migrate-set-parameters", [MQ_NBD] = "nbd-server-start",
	[MQ_EXPORTS] = "block-export-add", [MQ_INCOMING] = "migrate-incoming",
	[MQ_DONE] = "",
};

static void
mig_in_reply(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct mig_in_ctx	*mc = arg;
	struct mig_in		*mi = mc->mc_mi;
	enum mig_in_qmp		 step = mc->mc_step;
	int			 disk = mc->mc_disk;

	(void)q;
	(void)ret;
	free(mc);
	if (mi == NULL || mi->mi_step != MI_SPAWNED)
		return;
	if (err_class != NULL) {
		mig_in_fail(mi, "QMP %s: %s", mig_in_qmp_names[step], err_desc);
		return;
	}
	if (step == MQ_EXPORTS && disk + 1 < mi->mi_vm->vm_ndisks)
		mig_in_next(mi, MQ_EXPORTS, disk + 1);
	else
		mig_in_next(mi, step + 1, 0);
}

static void
mig_in_next(struct mig_in *mi, enum mig_in_qmp step, int disk)
{
	struct vm		*vm = mi->mi_vm;
	struct mig_in_ctx	*mc;
	json_t			*args = NULL;
	char			*dir, *uri, *host;

	for (;;) {
		if (((step == MQ_TLS || step == MQ_PARAMS) && !mi->mi_tls) ||
		    (step == MQ_AUTHZ && (!mi->mi_tls ||
		    mi->mi_peer_dn == NULL)) ||
		    ((step == MQ_NBD || step == MQ_EXPORTS) && !mi->mi_copy)) {
			step++;
			continue;
		}
		if (step == MQ_EXPORTS) {
			while (disk < vm->vm_ndisks &&
			    vm->vm_disks[disk].d_readonly)
				disk++;
			if (disk >= vm->vm_ndisks) {
				step++;
				disk = 0;
				continue;
			}
		}
		break;
	}
	switch (step) {
	case MQ_TLS:
		dir = migrate_tls_dir(vm);
		args = json_pack("{ss ss ss ss sb}", "qom-type",
		    "tls-creds-x509", "id", MIG_TLS_ID, "dir", dir, "endpoint",
		    "server", "verify-peer", 1);
		free(dir);
		break;
	case MQ_AUTHZ:
		/*
		 * Any certificate of tls_ca passes QEMU's TLS; the stream
		 * and the disks' exports take the source's alone (a user's
		 * certificate of the same CA must not feed this qemu)
		 */
		args = json_pack("{ss ss ss}", "qom-type", "authz-simple",
		    "id", MIG_AUTHZ_ID, "identity", mi->mi_peer_dn);
		break;
	case MQ_CAPS:
		args = json_pack("{s[{ss sb}]}", "capabilities", "capability",
		    "events", "state", 1);
		break;
	case MQ_PARAMS:
		args = json_pack("{ss}", "tls-creds", MIG_TLS_ID);
		if (mi->mi_peer_dn != NULL)
			json_object_set_new(args, "tls-authz",
			    json_string(MIG_AUTHZ_ID));
		break;
	case MQ_NBD:
		/* the disks' exports: the port after the migration's */
		host = mig_in_listen_host();
		args = json_pack("{s{ss s{ss so}}}", "addr", "type", "inet",
		    "data", "host", host, "port", json_sprintf("%u",
		    mi->mi_port + 1));
		free(host);
		if (mi->mi_tls)
			json_object_set_new(args, "tls-creds",
			    json_string(MIG_TLS_ID));
		if (mi->mi_tls && mi->mi_peer_dn != NULL)
			json_object_set_new(args, "tls-authz",
			    json_string(MIG_AUTHZ_ID));
		break;
	case MQ_EXPORTS:
		args = json_pack("{ss so so so sb}", "type", "nbd", "id",
		    json_sprintf("fws-mig-export%d", vm->vm_disks[disk].d_slot),
		    "node-name", json_sprintf(FWS_DISK_NODE "%d",
		    vm->vm_disks[disk].d_slot), "name", json_sprintf(
		    FWS_DISK_NODE "%d", vm->vm_disks[disk].d_slot), "writable",
		    1);
		if (mi->mi_disks == NULL)
			mi->mi_disks = json_object();
		json_object_set_new(mi->mi_disks, json_string_value(
		    json_object_get(args, "name")), json_integer(mi->mi_port +
		    1));
		break;
	case MQ_INCOMING:
		uri = mig_in_uri("tcp", mi->mi_port);
		args = json_pack("{ss}", "uri", uri);
		free(uri);
		break;
	case MQ_DONE:
	default:
		mig_in_listening(mi);
		return;
	}
	if ((mc = calloc(1, sizeof(*mc))) == NULL) {
		json_decref(args);
		mig_in_fail(mi, "out of memory");
		return;
	}
	mc->mc_mi = mi;
	mc->mc_step = step;
	mc->mc_disk = disk;
	if (vm->vm_qmp == NULL || qmp_execute(vm->vm_qmp,
	    mig_in_qmp_names[step], args, FWS_QMP_TIMEOUT, mig_in_reply,
	    mc) == -1) {
		free(mc);
		mig_in_fail(mi, "no QMP connection to qemu");
	}
}

/* vm-run.c: QMP is up on the arriving VM's qemu. */
void
migrate_in_ready(struct vm *vm)
{
	struct mig_in	*mi = vm->vm_mig_in;

	if (mi == NULL || mi->mi_step != MI_SPAWNED)
		return;
	vm_job_progress(vm, -1, "qemu told where to listen");
	mig_in_next(mi, MQ_TLS, 0);
}

/* A port of migration_ports no other arriving VM has (nor its + 1). */
static unsigned
mig_in_port(void)
{
	struct vm	*vm;
	unsigned	 port;
	int		 used;

	for (port = conf.cf_mig_port_first; port + 1 <= conf.cf_mig_port_last;
	    port += 2) {
		used = 0;
		TAILQ_FOREACH(vm, &vms, vm_entry)
			if (vm->vm_mig_in != NULL &&
			    vm->vm_mig_in->mi_port == port)
				used = 1;
		if (!used)
			return port;
	}
	return 0;
}

/* vm_define's end: the VM is here, stopped; its qemu now. */
static void
mig_in_defined(void *arg, enum fws_err err, const char *why, json_t *res)
{
	struct mig_in	*mi = arg;
	struct vm	*vm;
	enum fws_err	 jerr;
	uid_t		 uid;
	int		 admin;
	char		*cause;

	if (err != FWS_OK) {
		json_decref(res);
		mig_in_answer(mi, err, NULL, "this host refuses the VM: %s",
		    why);
		mig_in_free(mi);
		return;
	}
	json_decref(res);
	TAILQ_FOREACH(vm, &vms, vm_entry)
		if (strcmp(vm->vm_uuid, mi->mi_uuid) == 0)
			break;
	if (vm == NULL) {
		mig_in_answer(mi, FWS_ERR_INTERNAL, NULL, "the VM defined is "
		    "gone");
		mig_in_free(mi);
		return;
	}
	/* the source went while it was defined: nobody would send it */
	if (control_peer(mi->mi_client, &uid, &admin) == -1) {
		mig_in_answer(mi, FWS_ERR_FAILED, NULL, "the source's "
		    "connection was lost");
		log_warnx("%s: the migration from %s failed: the source's "
		    "connection was lost", vm->vm_name, mi->mi_source);
		mig_forget(vm, mi->mi_copy, "its migration did not begin: the "
		    "source's connection was lost");
		mig_in_free(mi);
		return;
	}
	if ((mi->mi_port = mig_in_port()) == 0 || vm_job_begin(vm,
	    JOB_MIGRATE_IN, -1, mi, &jerr, &cause) == -1) {
		if (mi->mi_port == 0)
			cause = xasprintf("every port of migration_ports "
			    "(%u-%u) is taken", conf.cf_mig_port_first,
			    conf.cf_mig_port_last);
		mig_in_answer(mi, FWS_ERR_BUSY, NULL, "%s", cause);
		free(cause);
		mig_forget(vm, mi->mi_copy, "its migration could not begin");
		mig_in_free(mi);
		return;
	}
	mi->mi_vm = vm;
	vm->vm_mig_in = mi;
	/* a restarted fwsd knows what it is, and what is its */
	json_decref(vm->vm_migration);
	vm->vm_migration = json_pack("{ss ss sb}", "from", mi->mi_source,
	    "step", "arriving", "copy_storage", mi->mi_copy);
	if (store_vm_update_migration(vm, &cause) == -1 ||
	    (mi->mi_tls && migrate_tls_files(vm, 1, &cause) == -1)) {
		mig_in_answer(mi, FWS_ERR_INTERNAL, NULL, "%s", cause);
		free(cause);
		vm_job_end(vm, mi);
		mig_forget(vm, mi->mi_copy, "its migration could not begin");
		mig_in_free(mi);
		return;
	}
	mi->mi_step = MI_SPAWNED;
	if (vm_event(vm, EV_ARRIVE, "from %s, to port %u", mi->mi_source,
	    mi->mi_port) == -1) {
		/* no qemu: the start's failure is recorded, the job over */
		mig_in_answer(mi, FWS_ERR_FAILED, NULL, "%s: %s", vm->vm_name,
		    vm->vm_last_exit != NULL ? vm->vm_last_exit :
		    "qemu did not start");
		migrate_tls_remove(vm);
		mig_forget(vm, mi->mi_copy, "its qemu did not start");
		mig_in_free(mi);
	}
}

/*
 * migrate-incoming: {"definition": {...}, "source": HOST, "copy_storage":
 * bool, "tls": bool}, checked by cmd-migrate.c.  done once qemu listens
 * (its port, and the disks' exports) or with why not.
 */
void
migrate_in(const struct caller *ca, uint64_t client, json_t *args,
    fws_done_fn done, void *arg)
{
	struct mig_in	*mi;
	json_t		*def = json_object_get(args, "definition");
	const char	*uuid, *dn;

	uuid = json_string_value(json_object_get(def, "uuid"));
	if (uuid == NULL) {
		done(arg, FWS_ERR_INVALID, "definition: \"uuid\" is required",
		    NULL);
		return;
	}
	if ((mi = calloc(1, sizeof(*mi))) == NULL) {
		done(arg, FWS_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	mi->mi_client = client;
	mi->mi_source = xasprintf("%s", json_string_value(json_object_get(args,
	    "source")));
	if ((dn = control_subject(client)) != NULL)
		mi->mi_peer_dn = xasprintf("%s", dn);
	mi->mi_uuid = xasprintf("%s", uuid);
	mi->mi_copy = json_is_true(json_object_get(args, "copy_storage"));
	mi->mi_tls = json_is_true(json_object_get(args, "tls"));
	if (mi->mi_tls && strcmp(conf.cf_mig_tls, "no") == 0)
		mi->mi_tls = 0;
	mi->mi_fn = done;
	mi->mi_arg = arg;
	mi->mi_step = MI_DEFINING;
	if (!mi->mi_tls && strcmp(conf.cf_mig_tls, "no") != 0) {
		mig_in_answer(mi, FWS_ERR_INVALID, NULL, "this host takes "
		    "guests over QEMU's TLS only (migration_tls)");
		mig_in_free(mi);
		return;
	}
	vm_define(ca, def, -1, mi->mi_copy, mig_in_defined, mi);
}

/* The stream is all here: the guest runs (cont). */
static void
mig_in_cont_done(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;
	struct mig_in	*mi = vm->vm_mig_in;
	json_t		*fig;
	char		*cause;

	(void)q;
	(void)ret;
	if (mi == NULL || mi->mi_step != MI_FINISHING)
		return;
	if (err_class != NULL) {
		mig_in_fail(mi, "QMP cont: %s", err_desc);
		return;
	}
	fig = json_is_object(mi->mi_figures) ? json_copy(mi->mi_figures) :
	    json_object();
	json_object_set_new(fig, "from", json_string(mi->mi_source));
	json_object_set_new(fig, "time", json_integer(time(NULL)));
	json_object_set_new(fig, "copy_storage", json_boolean(mi->mi_copy));
	json_decref(vm->vm_migration);
	vm->vm_migration = fig;
	if (store_vm_update_migration(vm, &cause) == -1) {
		log_warnx("%s: %s", vm->vm_name, cause);
		free(cause);
	}
	migrate_tls_remove(vm);
	vm->vm_mig_in = NULL;
	vm_event(vm, EV_ARRIVED, "from %s", mi->mi_source);
	vm_pins_apply(vm);
	mig_in_answer(mi, FWS_OK, json_pack("{ss ss}", "name", vm->vm_name,
	    "state", vm_state_name(vm->vm_state)), NULL);
	mi->mi_vm = NULL;
	mig_in_free(mi);
}

static void
mig_in_run(struct mig_in *mi)
{
	struct vm	*vm = mi->mi_vm;

	vm_job_progress(vm, -1, "the guest runs");
	if (vm->vm_qmp == NULL || qmp_execute(vm->vm_qmp, "cont", NULL,
	    FWS_QMP_TIMEOUT, mig_in_cont_done, vm) == -1)
		mig_in_fail(mi, "no QMP connection to qemu");
}

/* The disks' exports are closed: nobody writes them but the guest. */
static void
mig_in_nbd_stopped(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;
	struct mig_in	*mi = vm->vm_mig_in;

	(void)q;
	(void)ret;
	if (mi == NULL || mi->mi_step != MI_FINISHING)
		return;
	if (err_class != NULL) {
		mig_in_fail(mi, "QMP nbd-server-stop: %s", err_desc);
		return;
	}
	mig_in_run(mi);
}

/*
 * The stream and the disks' copies are complete: with copy_storage the
 * NBD server (and its writable exports) ends first, then the guest runs.
 */
static void
mig_in_cont(struct mig_in *mi)
{
	struct vm	*vm = mi->mi_vm;

	if (!mi->mi_copy) {
		mig_in_run(mi);
		return;
	}
	vm_job_progress(vm, -1, "closing the disks' exports");
	if (vm->vm_qmp == NULL || qmp_execute(vm->vm_qmp, "nbd-server-stop",
	    NULL, FWS_QMP_TIMEOUT, mig_in_nbd_stopped, vm) == -1)
		mig_in_fail(mi, "no QMP connection to qemu");
}

static void
mig_in_finish_timeout(int fd, short what, void *arg)
{
	struct mig_in	*mi = arg;

	(void)fd;
	(void)what;
	mig_in_fail(mi, "the guest's state did not all arrive within %d s of "
	    "the source's end", FWS_MIG_FINISH_WAIT);
}

/* migrate-finish: the source has sent everything; the guest runs here. */
void
migrate_in_finish(struct vm *vm, json_t *figures, fws_done_fn done,
    void *arg)
{
	static const char *const keys[] = { "total_ms", "downtime_ms",
	    "setup_ms", "ram_bytes", "downtime_bytes", "disk_bytes" };
	struct mig_in	*mi = vm->vm_mig_in;
	struct timeval	 tv = { FWS_MIG_FINISH_WAIT, 0 };
	size_t		 i;

	if (vm->vm_state != VM_ARRIVING || mi == NULL ||
	    mi->mi_step != MI_LISTENING) {
		done(arg, FWS_ERR_STATE, vm->vm_state == VM_ARRIVING ?
		    "its migration is not waiting for its end" :
		    "it is not arriving", NULL);
		return;
	}
	mi->mi_fn = done;
	mi->mi_arg = arg;
	mi->mi_step = MI_FINISHING;
	/* what the source measured, as numbers only */
	json_decref(mi->mi_figures);
	mi->mi_figures = json_object();
	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (json_is_integer(json_object_get(figures, keys[i])))
			json_object_set(mi->mi_figures, keys[i],
			    json_object_get(figures, keys[i]));
	if (mi->mi_received) {
		mig_in_cont(mi);
		return;
	}
	vm_job_progress(vm, -1, "the end of the guest's state");
	if ((mi->mi_wait = evtimer_new(base, mig_in_finish_timeout,
	    mi)) != NULL)
		evtimer_add(mi->mi_wait, &tv);
}

/* migrate-abort: the source calls it off. */
void
migrate_in_abort(struct vm *vm, fws_done_fn done, void *arg)
{
	struct mig_in	*mi = vm->vm_mig_in;

	if (vm->vm_state != VM_ARRIVING || mi == NULL) {
		done(arg, FWS_ERR_STATE, "it is not arriving", NULL);
		return;
	}
	mig_in_fail(mi, "called off by %s", mi->mi_source);
	done(arg, FWS_OK, NULL, json_pack("{ss}", "name", vm->vm_name));
}

/* QMP's MIGRATION event on an arriving VM's qemu. */
void
migrate_in_event(struct vm *vm, const char *status, json_t *data)
{
	struct mig_in	*mi = vm->vm_mig_in;

	(void)data;
	if (mi == NULL || mi->mi_step == MI_FAILED)
		return;
	if (strcmp(status, "completed") == 0) {
		mi->mi_received = 1;
		if (mi->mi_step == MI_FINISHING) {
			if (mi->mi_wait != NULL)
				evtimer_del(mi->mi_wait);
			mig_in_cont(mi);
		}
	} else if (strcmp(status, "failed") == 0)
		mig_in_fail(mi, "qemu could not load the guest's state");
	else if (strcmp(status, "active") == 0)
		vm_job_progress(vm, -1, "the guest arrives");
}

/* The job's timer: qemu did not come up to listen in time. */
void
migrate_in_timer(struct vm *vm)
{
	struct mig_in	*mi = vm->vm_mig_in;

	if (mi != NULL)
		mig_in_fail(mi, "qemu did not listen within %d s",
		    FWS_START_TIMEOUT);
}

/*
 * vm-run.c: the arriving VM's qemu ended (killed, or of itself): the
 * VM is forgotten.  Not for a VM that arrived: it has no mig_in.
 */
void
migrate_in_exited(struct vm *vm)
{
	struct mig_in	*mi = vm->vm_mig_in;
	json_t		*m = vm->vm_migration;
	char		*why;
	int		 copy;

	if (vm_is_active(vm))
		return;
	/* an arrival's record; a VM that arrived has its figures instead */
	if (mi == NULL && (m == NULL || json_object_get(m, "step") == NULL ||
	    json_object_get(m, "from") == NULL))
		return;
	copy = mi != NULL ? mi->mi_copy :
	    json_is_true(json_object_get(m, "copy_storage"));
	why = xasprintf("its migration from %s did not end here: %s",
	    mi != NULL ? mi->mi_source : json_string_value(json_object_get(m,
	    "from")), mi != NULL && mi->mi_why != NULL ? mi->mi_why :
	    "its qemu ended");
	migrate_tls_remove(vm);
	if (mi != NULL) {
		mig_in_answer(mi, FWS_ERR_FAILED, NULL, "%s", why);
		vm_job_end(vm, mi);
		mig_in_free(mi);
	}
	mig_forget(vm, copy, why);
	free(why);
}

/* vm-run.c's teardown: nothing waits on this qemu's QMP any more. */
void
migrate_in_gone(struct vm *vm)
{
	struct mig_in	*mi = vm->vm_mig_in;

	if (mi != NULL && mi->mi_step != MI_FAILED) {
		mi->mi_step = MI_FAILED;
		if (mi->mi_why == NULL)
			mi->mi_why = xasprintf("its qemu ended");
	}
}

/* The source's connection is gone: what had not finished is called off. */
void
migrate_in_client_gone(uint64_t client)
{
	struct vm	*vm;

	TAILQ_FOREACH(vm, &vms, vm_entry)
		if (vm->vm_mig_in != NULL && vm->vm_mig_in->mi_client == client) {
			/* the answer, if one is pending, goes nowhere */
			vm->vm_mig_in->mi_client = 0;
			mig_in_fail(vm->vm_mig_in, "the source's connection "
			    "was lost");
		}
}

/*
 * vm-adopt.c: an arriving VM found by a restarted fwsd: the source was
 * never answered, or its end never came: its qemu is killed, the VM
 * forgotten.
 */
void
migrate_in_adopt(struct vm *vm)
{
	if (vm->vm_state == VM_ARRIVING && vm->vm_watch != NULL) {
		log_info("%s: arriving when the last fwsd ended: its qemu pid "
		    "%d is killed", vm->vm_name, (int)vm->vm_pid);
		vm_run->ro_kill(vm);
		return;
	}
	if (vm->vm_state != VM_ARRIVING)
		migrate_in_exited(vm);
}
