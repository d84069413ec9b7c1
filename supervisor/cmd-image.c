/*
 * cmd-image.c: the images a user may use: image-list (the library and
 * their own, each disk with what its credential check found),
 * image-import of a file of theirs (its arguments checked here,
 * image-import.c converts it, its progress and outcome become progress
 * lines and the reply), image-delete of their own, image-check (a
 * user's of their own, an admin's of any; image-creds.c runs it, its
 * progress shown as an import's) and image-accept (admins: an image may
 * reach public networks whatever was found in it).
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
	json_t		*a, *im;
	char		*cause;
	size_t		 i;
	int		 code;

	(void)vm;
	if (request_owner(rq, args, &owner, &code, &cause) == -1) {
		request_cause(rq, code, cause);
		return;
	}
	a = image_list(owner);
	json_array_foreach(a, i, im)
		if (strcmp(json_string_value(json_object_get(im, "type")),
		    "disk") == 0)
			json_object_set_new(im, "check", creds_json(
			    json_string_value(json_object_get(im, "path"))));
	request_ok(rq, a);
}

/*
 * The disk image a request names ("name", "owner"): a user's own, or
 * (for an admin, without an owner) the admin's own or the library's.
 * 0 with its path and format (the caller's to free) and whose it is
 * (-1: the library's); -1 when answered.
 */
static int
cmd_image_named(struct request *rq, json_t *args, const char **name,
    char **path, char **fmt, int64_t *whose)
{
	int64_t		 owner;
	char		*cause, *own, *dirs[FWS_IMAGE_DIRS_MAX + 1];
	uint64_t	 size;
	int		 code, n, rc;

	if (request_owner(rq, args, &owner, &code, &cause) == -1 ||
	    (code = PROTO_ERR_INVALID_ARGUMENT,
	    proto_arg_string(args, "name", 1, name, &cause) == -1) ||
	    validate_name(*name, &cause) == -1) {
		request_cause(rq, code, cause);
		return -1;
	}
	if (owner < 0)
		owner = request_uid(rq);
	if (image_find(owner, *name, IMAGE_DISK, path, fmt, &cause) == -1) {
		request_cause(rq, PROTO_ERR_NOT_FOUND, cause);
		return -1;
	}
	own = access_user_path(owner, "images");
	*whose = strncmp(*path, own, strlen(own)) == 0 &&
	    (*path)[strlen(own)] == '/' ? owner : -1;
	free(own);
	if (*whose < 0 && !request_admin(rq)) {
		request_error(rq, PROTO_ERR_PERMISSION, "image %s is the "
		    "library's: an admin checks it", *name);
		goto fail;
	}
	/* its backing chain as any image's: a file the owner may use */
	n = image_base_dirs(*whose < 0 ? request_uid(rq) : (uid_t)*whose, dirs);
	rc = image_check(*path, *fmt, dirs, n, &size, &cause);
	image_dirs_free(dirs, n);
	if (rc == -1) {
		request_error(rq, PROTO_ERR_FAILED, "image %s: %s", *name,
		    cause);
		free(cause);
		goto fail;
	}
	return 0;
fail:
	free(*path);
	free(*fmt);
	return -1;
}

/*
 * image-check NAME: look into the image for well-known credentials
 * again (or wait for the check under way), its progress pushed.
 */
void
cmd_image_check(struct request *rq, json_t *args, struct vm *vm)
{
	const char	*name;
	char		*path, *fmt;
	int64_t		 whose;

	(void)vm;
	if (cmd_image_named(rq, args, &name, &path, &fmt, &whose) == -1)
		return;
	creds_check(path, fmt, name, whose, request_progress, request_done,
	    rq);
	free(path);
	free(fmt);
}

/* image-accept NAME: it may reach public networks, whatever it holds. */
void
cmd_image_accept(struct request *rq, json_t *args, struct vm *vm)
{
	const char	*name;
	char		*path, *fmt, *cause;
	int64_t		 whose;
	json_t		*o;

	(void)vm;
	if (cmd_image_named(rq, args, &name, &path, &fmt, &whose) == -1)
		return;
	if (creds_accept(path, request_uid(rq), &cause) == -1) {
		request_cause(rq, PROTO_ERR_INTERNAL, cause);
	} else {
		log_info("image %s (%s) accepted by uid %u for public networks",
		    name, path, (unsigned)request_uid(rq));
		o = creds_json(path);
		json_object_set_new(o, "name", json_string(name));
		json_object_set_new(o, "owner", whose < 0 ? json_null() :
		    json_integer(whose));
		request_ok(rq, o);
	}
	free(path);
	free(fmt);
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
	char		*cause, *dir, *path, *real;
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
	/* its findings and acceptance go with it (by its resolved name,
	 * which is the file's while it is there) */
	real = realpath(path, NULL);
	if (unlink(path) == -1) {
		request_error(rq, errno == ENOENT ? PROTO_ERR_NOT_FOUND :
		    PROTO_ERR_INTERNAL, "image %s: %s", name, errno == ENOENT ?
		    "you have no image of that name" : strerror(errno));
		free(real);
		free(path);
		return;
	}
	log_info("image %s of uid %lld deleted", name, (long long)owner);
	if (creds_forget(real != NULL ? real : path, &cause) == -1) {
		log_warnx("image %s: %s", path, cause);
		free(cause);
	}
	free(real);
	request_ok(rq, json_pack("{ss}", "name", name));
	free(path);
}
