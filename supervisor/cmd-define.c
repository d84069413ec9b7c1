/*
 * cmd-define.c: the "dump" and "define" commands.  dump answers with a
 * VM's definition (vm-dump.c); define hands a definition and its
 * options to the core (vm-define.c), whose outcome becomes the reply.
 */
#include <stdlib.h>

#include "fws.h"
#include "proto.h"

/* dump NAME: the definition that define takes back */
void
cmd_dump(struct request *rq, json_t *args, struct vm *vm)
{
	(void)args;
	request_ok(rq, vm_definition(vm));
}

/* define: {"definition": {...}, "owner": UID, "new_disks": true} */
void
cmd_define(struct request *rq, json_t *args, struct vm *vm)
{
	json_t	*def = json_object_get(args, "definition");
	int64_t	 owner;
	int	 new_disks = 0;
	char	*cause;

	(void)vm;
	if (request_owner_arg(args, &owner, &cause) == -1 ||
	    proto_arg_bool(args, "new_disks", &new_disks, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (def == NULL) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "argument "
		    "\"definition\" is required");
		return;
	}
	if (!request_admin(rq) && owner >= 0 &&
	    owner != (int64_t)request_uid(rq)) {
		request_error(rq, PROTO_ERR_PERMISSION, "only admins act for "
		    "another user");
		return;
	}
	vm_define(request_caller(rq), def, owner, new_disks, request_done, rq);
}
