/*
 * cmd-image.c: the images a user may use: image-list (the library and
 * their own), image-import of a file of theirs (its arguments checked
 * here, image-import.c converts it, its progress and outcome become
 * progress lines and the reply) and image-delete of their own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"
#include "proto.h"

/* image-list: the library and the caller's own (an admin's: everyone's). */
void
cmd_image_list(struct request *rq, json_t *args, struct vm *vm)
{
	int64_t		 owner;
	char		*cause;
	int		 code;

	(void)vm;
	if (request_owner(rq, args, &owner, &code, &cause) == -1) {
		request_cause(rq, code, cause);
		return;
	}
	request_ok(rq, image_list(owner));
}

/*
 * image-import NAME PATH FORMAT [offset, length]: the file (or the slice
 * of it, the vmdk inside an .ova) becomes the caller's image NAME.
 */
void
cmd_image_import(struct request *rq, json_t *args, struct vm *vm)
{
	struct import_spec is;
	char		*cause = NULL;

	(void)vm;
	memset(&is, 0, sizeof(is));
	if (request_owner_arg(args, &is.is_owner, &cause) == -1 ||
	    proto_arg_string(args, "name", 1, &is.is_name, &cause) == -1 ||
	    proto_arg_string(args, "path", 1, &is.is_path, &cause) == -1 ||
	    proto_arg_string(args, "format", 1, &is.is_format, &cause) == -1 ||
	    proto_arg_uint(args, "offset", 0, 0, INT64_MAX, &is.is_offset,
	    &cause) == -1 ||
	    proto_arg_uint(args, "length", 0, 1, INT64_MAX, &is.is_length,
	    &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	import_image(request_caller(rq), &is, request_progress, request_done,
	    rq);
}

/* image-delete NAME: one of the caller's own images, unless a VM uses it. */
void
cmd_image_delete(struct request *rq, json_t *args, struct vm *vm)
{
	const char	*name;
	int64_t		 owner;
	char		*cause, *dir, *path;
	int		 code;

	if (request_owner(rq, args, &owner, &code, &cause) == -1 ||
	    (code = PROTO_ERR_INVALID_ARGUMENT,
	    proto_arg_string(args, "name", 1, &name, &cause) == -1) ||
	    validate_name(name, &cause) == -1) {
		request_cause(rq, code, cause);
		return;
	}
	if (owner < 0)
		owner = request_uid(rq);
	dir = access_user_path(owner, "images");
	path = xasprintf("%s/%s.qcow2", dir, name);
	free(dir);
	/* a VM's disk, or the base of a VM's overlay, stays */
	TAILQ_FOREACH(vm, &vms, vm_entry)
		if (image_in_use(path, vm)) {
			dir = request_sees(rq, vm) ? request_vm_words(rq, vm) :
			    xasprintf("of another user");
			request_error(rq, PROTO_ERR_BAD_STATE, "image %s is used "
			    "by VM %s: delete the VM first", name, dir);
			free(dir);
			free(path);
			return;
		}
	if (unlink(path) == -1) {
		request_error(rq, errno == ENOENT ? PROTO_ERR_NOT_FOUND :
		    PROTO_ERR_INTERNAL, "image %s: %s", name, errno == ENOENT ?
		    "you have no image of that name" : strerror(errno));
		free(path);
		return;
	}
	log_info("image %s of uid %lld deleted", name, (long long)owner);
	request_ok(rq, json_pack("{ss}", "name", name));
	free(path);
}
