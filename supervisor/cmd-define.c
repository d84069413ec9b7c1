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
