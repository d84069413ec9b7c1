/*
 * cmd-disk.c: the "disk-resize" command.  It reads which disk (its
 * index, as info lists the disks) and the size in bytes, and hands them
 * to vm-disk.c, whose answer becomes the reply.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fws.h"
#include "proto.h"

void
cmd_disk_resize(struct request *rq, json_t *args, struct vm *vm)
{
	uint64_t	 disk, size;
	char		*cause;

	if (proto_arg_uint(args, "disk", 1, 0, FWS_DISKS_MAX - 1, &disk,
	    &cause) == -1 ||
	    proto_arg_uint(args, "size", 1, 1, UINT64_MAX >> 1, &size,
	    &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	vm_disk_resize(vm, &rq->rq_caller, (int)disk, size, request_done, rq);
}
