/*
 * cmd.c: the server's command table.  A request line is parsed (proto.c),
 * its command found in the protocol's list (proto.h) and its row in
 * cmd_table, its arguments checked against the row's list, its VM
 * looked up when it names one, and handed to the row's handler,
 * which answers at once or later through its struct request (request.c:
 * one answer, the wire code picked from the core's error).  Handlers
 * check values; vm.c changes states.  Who asks matters: a user's
 * requests see only their own VMs, admin verbs are refused to users.
 * A request the web front-end makes for a user ("as") is that user's
 * from the start (web.c says whether it may be).
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

#include "fws.h"
#include "log.h"
#include "proto.h"


#define CMD_VM		0x01	/* args.name (and owner) names a VM */
#define CMD_ADMIN	0x04	/* for admins only */
#define CMD_WEB		0x08	/* the web front-end's alone (web_user) */
#define CMD_OWN		0x10	/* the caller's own: never made "as" a user */

/* A command's row: indexed by enum proto_cmd, which names it (proto.h). */
struct cmd {
	void		(*c_fn)(struct request *, json_t *, struct vm *);
	int		  c_flags;
	const char *const c_args[24];	/* NULL-terminated */
};

static void	cmd_delete(struct request *, json_t *, struct vm *);
static void	cmd_start(struct request *, json_t *, struct vm *);
static void	cmd_save(struct request *, json_t *, struct vm *);
static void	cmd_stop(struct request *, json_t *, struct vm *);
static void	cmd_destroy(struct request *, json_t *, struct vm *);
static void	cmd_simple(struct request *, json_t *, struct vm *);
static void	cmd_list(struct request *, json_t *, struct vm *);
static void	cmd_info(struct request *, json_t *, struct vm *);
static void	cmd_console(struct request *, json_t *, struct vm *);
static void	cmd_version(struct request *, json_t *, struct vm *);
static void	cmd_autostart(struct request *, json_t *, struct vm *);
static void	cmd_events(struct request *, json_t *, struct vm *);
static void	cmd_shutdown_all(struct request *, json_t *, struct vm *);
static void	cmd_snapshot(struct request *, json_t *, struct vm *);
static void	cmd_vnc(struct request *, json_t *, struct vm *);
static void	cmd_display(struct request *, json_t *, struct vm *);
static void	cmd_snapshot_list(struct request *, json_t *, struct vm *);
static void	cmd_templates(struct request *, json_t *, struct vm *);
static void	cmd_stats(struct request *, json_t *, struct vm *);

/* quota-set's arguments: every limit by its column */
#define CMD_QUOTA_ARG(col, opt, key, kind, used, what, label)	#col,

static const struct cmd cmd_table[PROTO_NCMDS] = {
	[PROTO_CMD_AUTOSTART] = { cmd_autostart, CMD_VM,
	    { "name", "owner", "enabled" } },
	[PROTO_CMD_CLONE] = { cmd_clone, CMD_VM,
	    { "name", "owner", "new_name", "linked" } },
	[PROTO_CMD_CONSOLE] = { cmd_console, CMD_VM, { "name", "owner" } },
	[PROTO_CMD_CREATE] = { cmd_create, 0, { "name", "owner", "vcpus",
	    "memory_mib", "disks", "iso", "kernel", "initrd", "append", "mac",
	    "restart", "autostart", "nics", "template", "base", "until",
	    "cpu_weight", "cpu_max", "ssh_keys", "password_hash",
	    "user_data", "display" } },
	[PROTO_CMD_DEFINE] = { cmd_define, 0,
	    { "definition", "owner", "new_disks" } },
	[PROTO_CMD_DELETE] = { cmd_delete, CMD_VM,
	    { "name", "owner", "keep_disks" } },
	[PROTO_CMD_DESTROY] = { cmd_destroy, CMD_VM, { "name", "owner" } },
	[PROTO_CMD_DISK_ADD] = { cmd_disk_add, CMD_VM,
	    { "name", "owner", "size", "path", "format", "iops", "iops_rd",
	    "iops_wr", "bps", "bps_rd", "bps_wr" } },
	[PROTO_CMD_DISK_REMOVE] = { cmd_disk_remove, CMD_VM,
	    { "name", "owner", "disk" } },
	[PROTO_CMD_DISK_RESIZE] = { cmd_disk_resize, CMD_VM,
	    { "name", "owner", "disk", "size" } },
	[PROTO_CMD_DISPLAY] = { cmd_display, CMD_VM, { "name", "owner" } },
	[PROTO_CMD_DUMP] = { cmd_dump, CMD_VM, { "name", "owner" } },
	[PROTO_CMD_EMULATOR_PIN] = { cmd_vcpu_pin, CMD_VM,
	    { "name", "owner", "cpus" } },
	[PROTO_CMD_EVENTS] = { cmd_events, 0,
	    { "name", "owner", "follow", "limit" } },
	[PROTO_CMD_IMAGE_ACCEPT] = { cmd_image_accept, CMD_ADMIN, { "name",
	    "owner" } },
	[PROTO_CMD_IMAGE_CHECK] = { cmd_image_check, 0, { "name", "owner" } },
	[PROTO_CMD_IMAGE_DELETE] = { cmd_image_delete, 0, { "name", "owner" } },
	[PROTO_CMD_IMAGE_IMPORT] = { cmd_image_import, 0, { "name", "owner",
	    "path", "format", "offset", "length" } },
	[PROTO_CMD_IMAGE_LIST] = { cmd_image_list, 0, { "owner" } },
	[PROTO_CMD_INFO] = { cmd_info, CMD_VM, { "name", "owner" } },
	[PROTO_CMD_LIST] = { cmd_list, 0, { "owner" } },
	[PROTO_CMD_LOAN] = { cmd_loan, CMD_VM,
	    { "name", "owner", "until", "extend", "remove" } },
	[PROTO_CMD_LOANS] = { cmd_loans, 0, { "owner" } },
	[PROTO_CMD_MEDIA] = { cmd_media, CMD_VM,
	    { "name", "owner", "iso", "eject" } },
	[PROTO_CMD_MIGRATE] = { cmd_migrate, CMD_VM | CMD_ADMIN,
	    { "name", "owner", "to", "copy_storage", "bandwidth",
	    "max_downtime", "timeout" } },
	[PROTO_CMD_MIGRATE_ABORT] = { cmd_migrate_abort, CMD_ADMIN,
	    { "uuid" } },
	[PROTO_CMD_MIGRATE_FINISH] = { cmd_migrate_finish, CMD_ADMIN,
	    { "uuid", "figures" } },
	[PROTO_CMD_MIGRATE_INCOMING] = { cmd_migrate_incoming, CMD_ADMIN,
	    { "definition", "source", "copy_storage", "tls" } },
	[PROTO_CMD_NET_CREATE] = { cmd_net_create, CMD_ADMIN, { "name",
	    "bridge", "uplink", "address", "nat", "dhcp_start", "dhcp_end",
	    "autostart", "open", "public", "dns", "no_dns" } },
	[PROTO_CMD_NET_DELETE] = { cmd_net_delete, CMD_ADMIN, { "name" } },
	[PROTO_CMD_NET_INFO] = { cmd_net_info, CMD_ADMIN, { "name" } },
	[PROTO_CMD_NET_LEASES] = { cmd_net_leases, CMD_ADMIN, { "name" } },
	[PROTO_CMD_NET_LIST] = { cmd_net_list, 0, { NULL } },
	[PROTO_CMD_NET_OPEN] = { cmd_net_open, CMD_ADMIN, { "name", "open" } },
	[PROTO_CMD_NET_PUBLIC] = { cmd_net_public, CMD_ADMIN, { "name",
	    "public" } },
	[PROTO_CMD_NET_START] = { cmd_net_start, CMD_ADMIN, { "name" } },
	[PROTO_CMD_NET_STOP] = { cmd_net_stop, CMD_ADMIN, { "name" } },
	[PROTO_CMD_NIC_ADD] = { cmd_nic_add, CMD_VM,
	    { "name", "owner", "network", "mac", "rate" } },
	[PROTO_CMD_NIC_REMOVE] = { cmd_nic_remove, CMD_VM,
	    { "name", "owner", "mac" } },
	[PROTO_CMD_PAUSE] = { cmd_simple, CMD_VM, { "name", "owner" } },
	[PROTO_CMD_QUOTA] = { cmd_quota, 0, { "owner" } },
	[PROTO_CMD_QUOTA_SET] = { cmd_quota_set, CMD_ADMIN,
	    { "owner", QUOTA_FIELDS(CMD_QUOTA_ARG) } },
	[PROTO_CMD_REBOOT] = { cmd_simple, CMD_VM, { "name", "owner" } },
	[PROTO_CMD_RENAME] = { cmd_rename, CMD_VM,
	    { "name", "owner", "new_name" } },
	[PROTO_CMD_RESUME] = { cmd_simple, CMD_VM, { "name", "owner" } },
	[PROTO_CMD_SAVE] = { cmd_save, CMD_VM, { "name", "owner" } },
	[PROTO_CMD_SCREEN_CONNECT] = { cmd_screen_connect, CMD_VM,
	    { "name", "owner" } },
	[PROTO_CMD_SCREENSHOT] = { cmd_screenshot, CMD_VM, { "name", "owner" } },
	[PROTO_CMD_SEND_KEY] = { cmd_send_key, CMD_VM,
	    { "name", "owner", "keys" } },
	[PROTO_CMD_SET] = { cmd_set, CMD_VM, { "name", "owner", "vcpus",
	    "memory_mib", "restart", "autostart", "kernel", "initrd",
	    "append", "cpu_weight", "cpu_max", "disk_limits", "nic_limit",
	    "display" } },
	[PROTO_CMD_SHUTDOWN_ALL] = { cmd_shutdown_all, CMD_ADMIN,
	    { "timeout", "save" } },
	[PROTO_CMD_SNAPSHOT_CREATE] = { cmd_snapshot, CMD_VM,
	    { "name", "owner", "tag", "disk_only" } },
	[PROTO_CMD_SNAPSHOT_DELETE] = { cmd_snapshot, CMD_VM,
	    { "name", "owner", "tag" } },
	[PROTO_CMD_SNAPSHOT_LIST] = { cmd_snapshot_list, 0,
	    { "name", "owner", "all" } },
	[PROTO_CMD_SNAPSHOT_REVERT] = { cmd_snapshot, CMD_VM,
	    { "name", "owner", "tag" } },
	[PROTO_CMD_START] = { cmd_start, CMD_VM, { "name", "owner", "fresh" } },
	[PROTO_CMD_STATS] = { cmd_stats, 0, { "name", "owner" } },
	[PROTO_CMD_STOP] = { cmd_stop, CMD_VM,
	    { "name", "owner", "timeout" } },
	[PROTO_CMD_TEMPLATES] = { cmd_templates, 0, { NULL } },
	[PROTO_CMD_VCPU_INFO] = { cmd_vcpu_info, CMD_VM, { "name", "owner" } },
	[PROTO_CMD_VCPU_PIN] = { cmd_vcpu_pin, CMD_VM,
	    { "name", "owner", "vcpu", "cpus" } },
	[PROTO_CMD_VERSION] = { cmd_version, 0, { NULL } },
	[PROTO_CMD_VNC] = { cmd_vnc, CMD_VM, { "name", "owner" } },
	[PROTO_CMD_WEB_AUTH] = { cmd_web_auth, CMD_WEB | CMD_OWN,
	    { "user", "password" } },
	[PROTO_CMD_WEB_LOGIN] = { cmd_web_login, CMD_OWN, { NULL } },
	[PROTO_CMD_WEB_REDEEM] = { cmd_web_redeem, CMD_WEB | CMD_OWN,
	    { "token" } },
};
#undef CMD_QUOTA_ARG

/*
 * The VM a request names.  An admin naming no owner gets their own VM
 * of that name, else the only one of that name; several are ambiguous.
 */
static struct vm *
request_vm(struct request *rq, json_t *args, const char *name)
{
	struct vm	*vm, *found = NULL;
	int64_t		 owner;
	int		 code, n = 0;
	char		*cause;

	if (request_owner(rq, args, &owner, &code, &cause) == -1) {
		request_cause(rq, code, cause);
		return NULL;
	}
	/* a user (owner is theirs), or an admin naming the owner */
	if (owner >= 0) {
		if ((found = vm_find(owner, name)) == NULL)
			goto none;
		return found;
	}
	/* an admin: their own, else the only one of that name */
	if ((found = vm_find(rq->rq_caller.ca_uid, name)) != NULL)
		return found;
	TAILQ_FOREACH(vm, &vms, vm_entry)
		if (!vm_is_hidden(vm) && strcmp(vm->vm_name, name) == 0) {
			found = vm;
			n++;
		}
	if (n == 1)
		return found;
	if (n > 1) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "%d users have a "
		    "VM named \"%.64s\": say whose with --owner", n, name);
		return NULL;
	}
none:
	request_error(rq, PROTO_ERR_NOT_FOUND, "no VM named \"%.64s\"", name);
	return NULL;
}

/*
 * A remote request, a line in the log: who (the certificate's subject),
 * the verb, and the VM's name when it names one.  Only names fit to be
 * read are written: the line is the client's choice.
 */
static void
cmd_log_remote(const char *subject, const struct request *rq, int cmd,
    json_t *args)
{
	const char	*name = json_string_value(json_object_get(args, "name"));

	if (cmd == -1) {
		log_info("tls %s (uid %u): an unknown verb", subject,
		    (unsigned)rq->rq_caller.ca_uid);
		return;
	}
	if (name != NULL && validate_name(name, NULL) == -1)
		name = "(an invalid name)";
	log_info("tls %s (uid %u%s): %s%s%s", subject,
	    (unsigned)rq->rq_caller.ca_uid, rq->rq_caller.ca_admin ?
	    ", admin" : "", proto_cmds[cmd].pc_name, name != NULL ? " " : "",
	    name != NULL ? name : "");
}

/*
 * A request the web front-end makes for user as: from now on it is
 * theirs.  -1 when it may not be, answered.
 */
static int
cmd_as(struct request *rq, uint64_t client, int cmd, int64_t as)
{
	char	*cause;
	int	 rc;

	if (web_is_front(client, rq->rq_caller.ca_uid) &&
	    ((cmd_table[cmd].c_flags & CMD_OWN) ||
	    (proto_cmds[cmd].pc_flags & PROTO_INTERNAL))) {
		request_error(rq, PROTO_ERR_PERMISSION, "%s is never made for "
		    "another user", proto_cmds[cmd].pc_name);
		return -1;
	}
	if ((rc = web_act_for(client, &rq->rq_caller, as, &cause)) < 0) {
		request_cause(rq, rc == -2 ? PROTO_ERR_LOGGED_OUT :
		    PROTO_ERR_PERMISSION, cause);
		return -1;
	}
	log_debug("web: %s for uid %u%s", proto_cmds[cmd].pc_name,
	    (unsigned)as, rq->rq_caller.ca_admin ? " (admin)" : "");
	return 0;
}

void
cmd_dispatch(uint64_t client, const char *line, size_t len)
{
	struct proto_request	 pr;
	struct request		*rq;
	const struct cmd	*c = NULL;
	struct vm		*vm = NULL;
	const char		*name, *subject;
	char			*cause = NULL;
	int			 i;

	if ((rq = calloc(1, sizeof(*rq))) == NULL) {
		log_warn("%s: calloc", __func__);
		return;
	}
	rq->rq_client = client;
	if (control_peer(client, &rq->rq_caller.ca_uid,
	    &rq->rq_caller.ca_admin) == -1) {
		free(rq);
		return;
	}
	/* the front-end's own requests are never an admin's */
	if (web_is_front(client, rq->rq_caller.ca_uid))
		rq->rq_caller.ca_admin = 0;
	if (proto_request_parse(line, len, &pr, &cause) == -1) {
		if ((subject = control_subject(client)) != NULL)
			log_info("tls %s (uid %u): a malformed request", subject,
			    (unsigned)rq->rq_caller.ca_uid);
		rq->rq_id = json_incref(pr.pr_id);
		proto_request_clear(&pr);
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	rq->rq_id = json_incref(pr.pr_id);
	snprintf(rq->rq_cmd, sizeof(rq->rq_cmd), "%s", pr.pr_cmd);
	i = proto_cmd_find(pr.pr_cmd);
	if ((subject = control_subject(client)) != NULL)
		cmd_log_remote(subject, rq, i, pr.pr_args);
	if (i != -1 && cmd_table[i].c_fn != NULL)
		c = &cmd_table[i];
	if (c == NULL) {
		request_error(rq, PROTO_ERR_UNKNOWN_COMMAND, "unknown command "
		    "\"%.32s\"", pr.pr_cmd);
		goto done;
	}
	if ((c->c_flags & CMD_WEB) && !web_is_front(client,
	    rq->rq_caller.ca_uid)) {
		request_error(rq, PROTO_ERR_PERMISSION, "%s is the web "
		    "front-end's (web_user) alone", proto_cmds[i].pc_name);
		goto done;
	}
	if (pr.pr_as >= 0 && cmd_as(rq, client, i, pr.pr_as) == -1)
		goto done;
	if ((c->c_flags & CMD_ADMIN) && !rq->rq_caller.ca_admin) {
		request_error(rq, PROTO_ERR_PERMISSION, "%s is for admins only "
		    "(root or group %s)", proto_cmds[i].pc_name,
		    conf.cf_admin_group);
		goto done;
	}
	if (proto_args_allowed(pr.pr_args, c->c_args, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		goto done;
	}
	if (c->c_flags & CMD_VM) {
		if (proto_arg_string(pr.pr_args, "name", 1, &name,
		    &cause) == -1) {
			request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
			goto done;
		}
		if ((vm = request_vm(rq, pr.pr_args, name)) == NULL)
			goto done;
		rq->rq_vm = vm;
	}
	c->c_fn(rq, pr.pr_args, vm);
done:
	proto_request_clear(&pr);
}

static void
cmd_start(struct request *rq, json_t *args, struct vm *vm)
{
	char	*cause;
	int	 fresh = 0;

	if (proto_arg_bool(args, "fresh", &fresh, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	/* said before anything moves: its disks' images on a public net */
	if (!vm_is_active(vm) && public_check(vm, NULL, NULL, 0,
	    &cause) == -1) {
		request_cause(rq, PROTO_ERR_PERMISSION, cause);
		return;
	}
	if (fresh == 1)
		vm_start_fresh(vm, &rq->rq_caller, request_vm_done, rq);
	else
		vm_start(vm, &rq->rq_caller, request_vm_done, rq);
}

/* save NAME: answered once qemu is gone and the VM is saved */
static void
cmd_save(struct request *rq, json_t *args, struct vm *vm)
{
	(void)args;
	vm_save(vm, &rq->rq_caller, request_vm_done, rq);
}

static void
cmd_stop(struct request *rq, json_t *args, struct vm *vm)
{
	uint64_t	 timeout = conf.cf_stop_timeout;
	char		*cause;

	if (proto_arg_uint(args, "timeout", 0, 0, 3600, &timeout,
	    &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	vm_stop(vm, timeout, &rq->rq_caller, request_vm_done, rq);
}

static void
cmd_destroy(struct request *rq, json_t *args, struct vm *vm)
{
	(void)args;
	vm_destroy(vm, &rq->rq_caller, request_vm_done, rq);
}

static void
cmd_simple(struct request *rq, json_t *args, struct vm *vm)
{
	(void)args;
	if (strcmp(rq->rq_cmd, "pause") == 0)
		vm_pause(vm, &rq->rq_caller, request_vm_done, rq);
	else if (strcmp(rq->rq_cmd, "resume") == 0)
		vm_resume(vm, &rq->rq_caller, request_vm_done, rq);
	else
		vm_reboot(vm, &rq->rq_caller, request_vm_done, rq);
}

/* The caller's VMs; an admin's list is everyone's (or one owner's). */
static void
cmd_list(struct request *rq, json_t *args, struct vm *vm)
{
	json_t	*a;
	int64_t	 owner;
	int	 code;
	char	*cause;

	if (request_owner(rq, args, &owner, &code, &cause) == -1) {
		request_cause(rq, code, cause);
		return;
	}
	/* the leases read once for all; the agents asked for later */
	net_lease_refresh();
	a = json_array();
	TAILQ_FOREACH(vm, &vms, vm_entry)
		if (request_sees(rq, vm) && (owner < 0 ||
		    vm->vm_owner == owner)) {
			agent_refresh(vm);
			json_array_append_new(a, vm_to_json(vm, 0));
		}
	request_ok(rq, a);
}

static void
cmd_info(struct request *rq, json_t *args, struct vm *vm)
{
	(void)args;
	net_lease_refresh();
	agent_refresh(vm);
	request_ok(rq, vm_to_json(vm, 1));
}

static void
cmd_version(struct request *rq, json_t *args, struct vm *vm)
{
	(void)args;
	(void)vm;
	request_ok(rq, json_pack("{ss si ss ss ss si}", "version", FWS_VERSION,
	    "protocol", PROTO_VERSION, "accel", accel_name(), "accel_config",
	    conf.cf_accel, "accel_reason", accel_reason(), "stop_timeout",
	    (int)conf.cf_stop_timeout));
}

static void
cmd_console(struct request *rq, json_t *args, struct vm *vm)
{
	char	*cause;
	int	 fd;

	(void)args;
	if (!control_passes_fds(rq->rq_client)) {
		request_error(rq, PROTO_ERR_FAILED, "the console is a "
		    "connection handed over the UNIX socket (SCM_RIGHTS): it "
		    "cannot travel over TLS; use fwsctl console on the host, or "
		    "vnc");
		return;
	}
	if (vm_may_look(vm, LOOK_CONSOLE, &cause) == -1) {
		request_cause(rq, PROTO_ERR_BAD_STATE, cause);
		return;
	}
	if ((fd = vm_console_connect(vm, &cause)) == -1) {
		request_error(rq, PROTO_ERR_FAILED, "%s: console: %s",
		    vm->vm_name, cause);
		free(cause);
		return;
	}
	request_ok_fd(rq, json_pack("{ss}", "name", vm->vm_name), fd,
	    "console");
	close(fd);
}

static void
cmd_delete(struct request *rq, json_t *args, struct vm *vm)
{
	json_t		*o;
	enum fws_err	 err;
	char		*cause;
	int		 keep = 0;

	if (proto_arg_bool(args, "keep_disks", &keep, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (vm_may_delete(vm, &err, &cause) == -1) {
		request_cause(rq, request_code(err), cause);
		return;
	}
	o = json_pack("{ss sb}", "name", vm->vm_name, "kept_disks", keep);
	if (vm_remove(vm, keep, rq->rq_caller.ca_uid, keep ? "disks kept" :
	    "with the disks fwsd made", &cause) == -1) {
		json_decref(o);
		request_cause(rq, PROTO_ERR_INTERNAL, cause);
		return;
	}
	loan_changed();		/* its loan's steps are gone with it */
	request_ok(rq, o);
}

static void
cmd_autostart(struct request *rq, json_t *args, struct vm *vm)
{
	char	*cause;
	int	 on = -1, was = vm->vm_autostart;

	if (proto_arg_bool(args, "enabled", &on, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (on == -1) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "argument "
		    "\"enabled\" (true or false) is required");
		return;
	}
	if (vm_autostart_check(vm, vm->vm_restart, on, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	vm->vm_autostart = on;
	if (store_vm_update_autostart(vm, &cause) == -1) {
		vm->vm_autostart = was;
		request_cause(rq, PROTO_ERR_INTERNAL, cause);
		return;
	}
	if (on != was)
		event_record_by(vm, rq->rq_caller.ca_uid, "autostart", "%s", on ? "on" :
		    "off");
	request_ok(rq, json_pack("{ss sb}", "name", vm->vm_name, "autostart",
	    on));
}

/*
 * The newest events (of one VM, deleted or not); with follow, the
 * reply is followed by {"id":ID,"event":{...}} lines as events happen,
 * until the client closes the connection.
 */
static void
cmd_events(struct request *rq, json_t *args, struct vm *vm)
{
	const char	*name;
	uint64_t	 limit = 100;
	int64_t		 owner;
	json_t		*a;
	char		*cause;
	int		 follow = 0, code;

	(void)vm;
	if (request_owner(rq, args, &owner, &code, &cause) == -1) {
		request_cause(rq, code, cause);
		return;
	}
	if (proto_arg_string(args, "name", 0, &name, &cause) == -1 ||
	    (name != NULL && validate_name(name, &cause) == -1) ||
	    proto_arg_bool(args, "follow", &follow, &cause) == -1 ||
	    proto_arg_uint(args, "limit", 0, 0, 1000000, &limit,
	    &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if ((a = store_event_list(owner, name, limit, &cause)) == NULL) {
		request_cause(rq, PROTO_ERR_INTERNAL, cause);
		return;
	}
	if (follow && event_follow(rq->rq_client, rq->rq_id, owner,
	    name) == -1) {
		json_decref(a);
		request_error(rq, PROTO_ERR_INTERNAL, "out of memory");
		return;
	}
	request_ok(rq, a);
}

static void
cmd_shutdown_all(struct request *rq, json_t *args, struct vm *vm)
{
	uint64_t	 timeout = conf.cf_stop_timeout;
	char		*cause;
	int		 save = 0;

	(void)vm;
	if (proto_arg_uint(args, "timeout", 0, 0, 3600, &timeout,
	    &cause) == -1 ||
	    proto_arg_bool(args, "save", &save, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (save == 1)
		vm_save_all(&rq->rq_caller, request_done, rq);
	else
		vm_shutdown_all(timeout, &rq->rq_caller, request_done, rq);
}

/* snapshot-create, -revert, -delete NAME TAG */
static void
cmd_snapshot(struct request *rq, json_t *args, struct vm *vm)
{
	const char	*tag;
	char		*cause;
	int		 disk_only = 0;

	if (proto_arg_string(args, "tag", 1, &tag, &cause) == -1 ||
	    validate_name(tag, &cause) == -1 ||
	    proto_arg_bool(args, "disk_only", &disk_only, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	snapshot_op(vm, &rq->rq_caller, rq->rq_cmd + strlen("snapshot-"), tag,
	    disk_only, request_done, rq);
}

/* snapshot-list NAME, or with "all" every VM's */
static void
cmd_snapshot_list(struct request *rq, json_t *args, struct vm *vm)
{
	const char	*name;
	char		*cause;
	int64_t		 owner;
	int		 all = 0, code;

	if (proto_arg_bool(args, "all", &all, &cause) == -1 ||
	    proto_arg_string(args, "name", !all, &name, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (all) {
		if (request_owner(rq, args, &owner, &code, &cause) == -1)
			request_cause(rq, code, cause);
		else
			snapshot_list_all(&rq->rq_caller, owner, request_done,
			    rq);
		return;
	}
	if ((vm = request_vm(rq, args, name)) != NULL)
		snapshot_op(vm, &rq->rq_caller, "list", NULL, 0, request_done,
		    rq);
}

/* What VMs use: one (by name) or every VM the caller sees. */
static void
cmd_stats(struct request *rq, json_t *args, struct vm *vm)
{
	const char	*name;
	char		*cause;
	int64_t		 owner;
	int		 code;

	if (proto_arg_string(args, "name", 0, &name, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (name != NULL) {
		if ((vm = request_vm(rq, args, name)) != NULL)
			vm_stats(&rq->rq_caller, -1, vm, request_done, rq);
		return;
	}
	if (request_owner(rq, args, &owner, &code, &cause) == -1)
		request_cause(rq, code, cause);
	else
		vm_stats(&rq->rq_caller, owner, NULL, request_done, rq);
}

/* Where the VM's screen is, and its password (fresh at every start). */
static void
cmd_vnc(struct request *rq, json_t *args, struct vm *vm)
{
	char	*cause;

	(void)args;
	if (vm_may_look(vm, LOOK_SCREEN, &cause) == -1) {
		request_cause(rq, PROTO_ERR_BAD_STATE, cause);
		return;
	}
	if (vm->vm_spice_port >= 0) {
		request_error(rq, PROTO_ERR_BAD_STATE, "%s's screen is served "
		    "over SPICE, not VNC: fwsctl display %s tells how to reach "
		    "it", vm->vm_name, vm->vm_name);
		return;
	}
	if (vm->vm_vnc_display < 0 || vm->vm_vnc_password[0] == '\0') {
		request_error(rq, PROTO_ERR_BAD_STATE, "%s has no screen yet",
		    vm->vm_name);
		return;
	}
	request_ok(rq, vnc_to_json(vm));
}

/*
 * Where the VM's screen is, over what its qemu serves (VNC or SPICE,
 * whatever set --display said since), and its password.
 */
static void
cmd_display(struct request *rq, json_t *args, struct vm *vm)
{
	char	*cause;

	(void)args;
	if (vm_may_look(vm, LOOK_SCREEN, &cause) == -1) {
		request_cause(rq, PROTO_ERR_BAD_STATE, cause);
		return;
	}
	if (vm->vm_spice_port >= 0 && vm->vm_spice_password[0] != '\0')
		request_ok(rq, spice_to_json(vm));
	else if (vm->vm_vnc_display >= 0 && vm->vm_vnc_password[0] != '\0')
		request_ok(rq, vnc_to_json(vm));
	else
		request_error(rq, PROTO_ERR_BAD_STATE, "%s has no screen yet",
		    vm->vm_name);
}

/* The templates "create --template" takes. */
static void
cmd_templates(struct request *rq, json_t *args, struct vm *vm)
{
	const struct fws_template *t;
	json_t	*a = json_array();
	int	 i;

	(void)args;
	(void)vm;
	for (i = 0; i < conf.cf_ntemplates; i++) {
		t = &conf.cf_templates[i];
		json_array_append_new(a, json_pack(
		    "{ss si sI sI so so so so so so}",
		    "name", t->t_name, "vcpus", (int)t->t_vcpus, "memory_mib",
		    (json_int_t)t->t_memory_mib, "disk", (json_int_t)t->t_disk,
		    "loan", t->t_loan ? json_integer(t->t_loan) : json_null(),
		    "cpu_weight", t->t_cpu_weight ? json_integer(t->t_cpu_weight) :
		    json_null(), "cpu_max", t->t_cpu_max ?
		    json_real(t->t_cpu_max / 1000.0) : json_null(),
		    "net_rate", t->t_net_rate ? json_integer(
		    (json_int_t)t->t_net_rate) : json_null(),
		    "disk_iops", t->t_io.io_iops ?
		    json_integer((json_int_t)t->t_io.io_iops) : json_null(),
		    "disk_bps", t->t_io.io_bps ?
		    json_integer((json_int_t)t->t_io.io_bps) : json_null()));
	}
	request_ok(rq, a);
}

/* A connection closed: it follows no events any more. */
void
cmd_client_gone(uint64_t client)
{
	event_unfollow(client);
	migrate_in_client_gone(client);
}
