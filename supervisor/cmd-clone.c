/*
 * cmd-clone.c: the "clone" command.  It reads the new VM's name and
 * whether the clone is linked, and hands them to clone.c, whose
 * progress (a full clone's copy) becomes progress lines and whose
 * answer, the new VM, the reply.
 */
#include <stdlib.h>

#include "fws.h"
#include "proto.h"

void
cmd_clone(struct request *rq, json_t *args, struct vm *vm)
{
	struct clone_spec cs;
	char		*cause;

	cs.cl_linked = 0;
	if (proto_arg_string(args, "new_name", 1, &cs.cl_name, &cause) == -1 ||
	    proto_arg_bool(args, "linked", &cs.cl_linked, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	clone_vm(vm, request_caller(rq), &cs, request_progress, request_done,
	    rq);
}
