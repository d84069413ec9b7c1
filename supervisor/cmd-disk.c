/*
 * cmd-disk.c: the "disk-resize", "disk-add" and "disk-remove" commands.
 * They read which disk (its index, as info lists the disks), a size in
 * bytes, a path and its format, and hand them to vm-disk.c and
 * vm-disk-plug.c, whose answer becomes the reply.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* disk-add: {"size": BYTES} or {"path": PATH, "format": F} */
void
cmd_disk_add(struct request *rq, json_t *args, struct vm *vm)
{
	struct create_disk cd;
	uint64_t	 size = 0;
	char		*cause;

	memset(&cd, 0, sizeof(cd));
	if (proto_arg_uint(args, "size", 0, 1, UINT64_MAX >> 1, &size,
	    &cause) == -1 ||
	    proto_arg_string(args, "path", 0, &cd.cd_path, &cause) == -1 ||
	    proto_arg_string(args, "format", 0, &cd.cd_format,
	    &cause) == -1 ||
	    disk_io_from_json(args, &cd.cd_io, NULL, 0, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	cd.cd_size = size;
	if ((cd.cd_path == NULL) == (size == 0)) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "disk-add needs "
		    "either a size or a path");
		return;
	}
	if (is_rbd(cd.cd_path)) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "disk-add: an "
		    "RBD disk is given at create (--disk rbd:POOL/IMAGE)");
		return;
	}
	if (cd.cd_path != NULL && cd.cd_format == NULL) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "disk-add: say "
		    "the format of %s (qcow2 or raw)", cd.cd_path);
		return;
	}
	vm_disk_add(vm, &rq->rq_caller, &cd, request_done, rq);
}

void
cmd_disk_remove(struct request *rq, json_t *args, struct vm *vm)
{
	uint64_t	 disk;
	char		*cause;

	if (proto_arg_uint(args, "disk", 1, 0, FWS_DISKS_MAX - 1, &disk,
	    &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	vm_disk_remove(vm, &rq->rq_caller, (int)disk, request_done, rq);
}
