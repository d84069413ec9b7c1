/*
 * cmd-nic.c: the "nic-add" and "nic-remove" commands.  They read the
 * network, the MAC address and the rate and hand them to vm-nic.c,
 * whose answer becomes the reply.
 */
#include <stdlib.h>

#include "fws.h"
#include "proto.h"

/* nic-add: {"network": NET, "mac": MAC, "rate": BITS (both optional)} */
void
cmd_nic_add(struct request *rq, json_t *args, struct vm *vm)
{
	const char	*net, *mac = NULL;
	uint64_t	 rate = 0;
	char		*cause;

	if (proto_arg_string(args, "network", 1, &net, &cause) == -1 ||
	    proto_arg_string(args, "mac", 0, &mac, &cause) == -1 ||
	    proto_arg_uint(args, "rate", 0, FWS_NET_RATE_MIN, FWS_NET_RATE_MAX,
	    &rate, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (validate_name(net, &cause) == -1 ||
	    (mac != NULL && validate_mac(mac, &cause) == -1)) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	vm_nic_add(vm, &rq->rq_caller, net, mac, rate, request_done, rq);
}

/* nic-remove: {"mac": MAC} */
void
cmd_nic_remove(struct request *rq, json_t *args, struct vm *vm)
{
	const char	*mac;
	char		*cause;

	if (proto_arg_string(args, "mac", 1, &mac, &cause) == -1 ||
	    validate_mac(mac, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	vm_nic_remove(vm, &rq->rq_caller, mac, request_done, rq);
}
