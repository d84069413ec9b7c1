/*
 * cmd-pin.c: the "vcpu-info", "vcpu-pin" and "emulator-pin" commands.
 * A pin's request names the vCPU (vcpu-pin) and the CPU list, or
 * "cpus": null to let the threads run anywhere again; vm-pin.c checks
 * the list against the host and applies it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "proto.h"

void
cmd_vcpu_info(struct request *rq, json_t *args, struct vm *vm)
{
	(void)args;
	vm_vcpu_info(vm, request_done, rq);
}

/* vcpu-pin {vcpu, cpus} and emulator-pin {cpus}: cpus null unpins */
void
cmd_vcpu_pin(struct request *rq, json_t *args, struct vm *vm)
{
	const char	*cpus;
	uint64_t	 vcpu = 0;
	char		*cause;
	int		 emulator = strcmp(rq->rq_cmd, "emulator-pin") == 0;

	if ((!emulator && proto_arg_uint(args, "vcpu", 1, 0, UINT16_MAX,
	    &vcpu, &cause) == -1) ||
	    proto_arg_string(args, "cpus", 0, &cpus, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (json_object_get(args, "cpus") == NULL) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "argument "
		    "\"cpus\" is required (null: any CPU)");
		return;
	}
	vm_pin(vm, &rq->rq_caller, emulator ? -1 : (int)vcpu, cpus,
	    request_done, rq);
}
