/*
 * cmd-set.c: the "set" and "rename" commands.  set reads what a request
 * changes in a VM's definition (vcpus, memory_mib, restart, autostart),
 * refuses a request that changes nothing or says it badly, and hands
 * the change to vm-set.c, whose answer (what changed now, what waits
 * for the next start) becomes the reply; rename hands the new name to
 * vm-rename.c.
 */
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "proto.h"

void
cmd_set(struct request *rq, json_t *args, struct vm *vm)
{
	struct vm_change ch = { -1, -1, -1, -1 };
	enum vm_restart	 restart;
	const char	*policy = NULL;
	uint64_t	 n;
	char		*cause;
	int		 given;

	/* absent or null: unchanged (n stays past any allowed value) */
	n = UINT64_MAX;
	if (proto_arg_uint(args, "vcpus", 0, 0, UINT32_MAX, &n, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (n != UINT64_MAX)
		ch.vc_vcpus = (int64_t)n;
	n = UINT64_MAX;
	if (proto_arg_uint(args, "memory_mib", 0, 0, UINT32_MAX, &n,
	    &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (n != UINT64_MAX)
		ch.vc_memory_mib = (int64_t)n;
	if (proto_arg_string(args, "restart", 0, &policy, &cause) == -1 ||
	    proto_arg_bool(args, "autostart", &ch.vc_autostart,
	    &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (policy != NULL) {
		if (vm_restart_parse(policy, &restart) == -1) {
			request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "restart "
			    "policy must be always, on-failure or never, not "
			    "\"%.32s\"", policy);
			return;
		}
		ch.vc_restart = restart;
	}
	given = ch.vc_vcpus >= 0 || ch.vc_memory_mib >= 0 ||
	    ch.vc_restart >= 0 || ch.vc_autostart >= 0;
	if (!given) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "nothing to "
		    "change: give vcpus, memory_mib, restart or autostart");
		return;
	}
	vm_set(vm, &rq->rq_caller, &ch, request_done, rq);
}

void
cmd_rename(struct request *rq, json_t *args, struct vm *vm)
{
	enum fws_err	 err;
	const char	*to;
	json_t		*res;
	char		*cause;

	if (proto_arg_string(args, "new_name", 1, &to, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (vm_rename(vm, &rq->rq_caller, to, &res, &err, &cause) == -1) {
		request_done(rq, err, cause, NULL);
		free(cause);
		return;
	}
	request_ok(rq, res);
}
