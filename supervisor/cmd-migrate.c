/*
 * cmd-migrate.c: the "migrate" command (an admin's: a guest sent to
 * another host, migrate.c) and the commands one fwsd sends another
 * during it (migrate-in.c): migrate-incoming, migrate-finish and
 * migrate-abort, admins' too (the source's certificate is an admin in
 * the destination's tls_allowed).  Types are checked here; the core
 * checks the rest.
 */
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "proto.h"

#define MIGRATE_BANDWIDTH_MAX	(1ULL << 20)	/* MiB/s */
#define MIGRATE_DOWNTIME_MAX	(3600 * 1000)	/* ms */
#define MIGRATE_TIMEOUT_MAX	(7 * 86400)	/* s */

/*
 * migrate NAME {"to": "tls://HOST[:PORT]", "copy_storage": bool,
 * "bandwidth": MiB/s, "max_downtime": ms, "timeout": s}
 */
void
cmd_migrate(struct request *rq, json_t *args, struct vm *vm)
{
	struct migrate_spec	 ms;
	char			 host[VALIDATE_HOST_MAX + 1];
	char			 port[VALIDATE_PORT_LEN + 1];
	const char		*to;
	uint64_t		 bw = 0, down = 0, timeout = 0;
	char			*cause;

	memset(&ms, 0, sizeof(ms));
	if (proto_arg_string(args, "to", 1, &to, &cause) == -1 ||
	    proto_arg_bool(args, "copy_storage", &ms.ms_copy_storage,
	    &cause) == -1 ||
	    proto_arg_uint(args, "bandwidth", 0, 1, MIGRATE_BANDWIDTH_MAX, &bw,
	    &cause) == -1 ||
	    proto_arg_uint(args, "max_downtime", 0, 1, MIGRATE_DOWNTIME_MAX,
	    &down, &cause) == -1 ||
	    proto_arg_uint(args, "timeout", 0, 1, MIGRATE_TIMEOUT_MAX,
	    &timeout, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (strncmp(to, "tls://", 6) != 0 || strchr(to + 6, '/') != NULL) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "\"to\": %.64s is "
		    "not tls://HOST[:PORT]", to);
		return;
	}
	if (validate_hostport(to + 6, FWS_TLS_PORT, host, sizeof(host), port,
	    sizeof(port), &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	ms.ms_host = host;
	ms.ms_port = port;
	ms.ms_bandwidth = bw << 20;
	ms.ms_downtime = down;
	ms.ms_timeout = (unsigned)timeout;
	migrate_out(vm, request_caller(rq), &ms, request_progress,
	    request_done, rq);
}

/*
 * migrate-incoming {"definition": {...}, "source": HOST, "copy_storage":
 * bool, "tls": bool}: from the source's fwsd
 */
void
cmd_migrate_incoming(struct request *rq, json_t *args, struct vm *vm)
{
	const char	*source;
	char		*cause;
	int		 copy = 0, tls = 0;

	(void)vm;
	if (proto_arg_string(args, "source", 1, &source, &cause) == -1 ||
	    proto_arg_bool(args, "copy_storage", &copy, &cause) == -1 ||
	    proto_arg_bool(args, "tls", &tls, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (!json_is_object(json_object_get(args, "definition"))) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "argument "
		    "\"definition\" must be an object");
		return;
	}
	/* a name in the events and the log: a host's, nothing else */
	if (*source == '\0' || strlen(source) > VALIDATE_HOST_MAX ||
	    strspn(source, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789.-:") != strlen(source)) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "\"source\" is not "
		    "a host name or address");
		return;
	}
	migrate_in(request_caller(rq), request_client(rq), args, request_done,
	    rq);
}

/* The arriving VM a migrate-finish or migrate-abort names by uuid. */
static struct vm *
cmd_migrate_vm(struct request *rq, json_t *args)
{
	struct vm	*vm;
	const char	*uuid;
	char		*cause;

	if (proto_arg_string(args, "uuid", 1, &uuid, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return NULL;
	}
	TAILQ_FOREACH(vm, &vms, vm_entry)
		if (strcmp(vm->vm_uuid, uuid) == 0 && !vm_is_hidden(vm))
			return vm;
	request_error(rq, PROTO_ERR_NOT_FOUND, "no VM of uuid %.40s", uuid);
	return NULL;
}

/* migrate-finish {"uuid": UUID, "figures": {...}}: the guest runs here */
void
cmd_migrate_finish(struct request *rq, json_t *args, struct vm *vm)
{
	json_t	*fig = json_object_get(args, "figures");

	if (fig != NULL && !json_is_object(fig)) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "argument "
		    "\"figures\" must be an object");
		return;
	}
	if ((vm = cmd_migrate_vm(rq, args)) == NULL)
		return;
	migrate_in_finish(vm, fig, request_done, rq);
}

/* migrate-abort {"uuid": UUID}: the arriving VM is forgotten */
void
cmd_migrate_abort(struct request *rq, json_t *args, struct vm *vm)
{
	if ((vm = cmd_migrate_vm(rq, args)) == NULL)
		return;
	migrate_in_abort(vm, request_done, rq);
}
