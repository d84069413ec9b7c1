/*
 * cmd-media.c: the "media" command.  It decides which ISO a request may
 * put in a VM's CD drive, as create's --iso does (image_file_arg: a
 * library name, or a path confined to the directories the caller may
 * use; a user's must be an image), and never a file some VM writes as
 * a disk; media.c makes the change, and its outcome becomes the reply.
 */
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "proto.h"

/* media.c's outcomes as the protocol's error codes */
static const enum proto_err cmd_media_codes[] = {
	[MEDIA_EMPTY] = PROTO_ERR_BAD_STATE,
	[MEDIA_BUSY] = PROTO_ERR_BUSY,
	[MEDIA_NO_DRIVE] = PROTO_ERR_BAD_STATE,
	[MEDIA_FAILED] = PROTO_ERR_FAILED,
	[MEDIA_STORE] = PROTO_ERR_INTERNAL,
};

static void
cmd_media_done(struct vm *vm, enum media_err err, const char *cause,
    void *arg)
{
	struct request	*rq = arg;
	json_t		*o;

	if (err != MEDIA_OK) {
		request_error(rq, cmd_media_codes[err], "%s", cause);
		return;
	}
	o = vm_to_json(vm, 0);
	json_object_set_new(o, "iso", vm->vm_iso != NULL ?
	    json_string(vm->vm_iso) : json_null());
	json_object_set_new(o, "live", json_boolean(vm->vm_state ==
	    VM_RUNNING || vm->vm_state == VM_PAUSED));
	json_object_set_new(o, "boot_once", json_boolean(vm->vm_iso != NULL &&
	    !vm->vm_iso_booted));
	request_ok(rq, o);
}

/* media NAME with "iso": NAME|PATH, or "eject": true */
void
cmd_media(struct request *rq, json_t *args, struct vm *vm)
{
	struct vm	*other;
	const char	*iso;
	char		*path = NULL, *cause;
	int		 eject = 0;

	if (proto_arg_string(args, "iso", 0, &iso, &cause) == -1 ||
	    proto_arg_bool(args, "eject", &eject, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if ((iso == NULL) == !eject) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "give an ISO to "
		    "put in (\"iso\") or \"eject\": true, one of the two");
		return;
	}
	if (iso != NULL) {
		if (image_file_arg(vm->vm_owner, request_admin(rq), IMAGE_ISO,
		    iso, &path, &cause) == -1) {
			request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
			return;
		}
		if ((other = vm_disk_writer(path)) != NULL) {
			if (request_sees(rq, other))
				request_error(rq, PROTO_ERR_INVALID_ARGUMENT,
				    "%s is a disk of VM %s, not an ISO", path,
				    other->vm_name);
			else
				request_error(rq, PROTO_ERR_INVALID_ARGUMENT,
				    "%s is a disk of another VM, not an ISO",
				    path);
			free(path);
			return;
		}
	}
	media_change(vm, path, cmd_media_done, rq);
	free(path);
}
