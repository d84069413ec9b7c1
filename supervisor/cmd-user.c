/*
 * cmd-user.c: what a user of the lending service asks about themselves:
 * their quota (quota; quota-set for admins) and the images they may use
 * (image-list, image-delete of their own).  The quota check create.c
 * makes is here too: a user's limits are the configured defaults, with
 * the admin's overrides from the store on top.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"
#include "proto.h"

/* A quota's fields: its store column, its name in messages, its unit. */
static const struct quota_field {
	const char	*qf_column;
	const char	*qf_what;
	size_t		 qf_off;
	int		 qf_bytes;	/* a size: shown in GiB */
} quota_fields[] = {
	{ "vms", "VMs per user", offsetof(struct quota, q_vms), 0 },
	{ "vm_vcpus", "vCPUs per VM", offsetof(struct quota, q_vm_vcpus), 0 },
	{ "vm_memory_mib", "memory per VM (MiB)",
	    offsetof(struct quota, q_vm_memory_mib), 0 },
	{ "vm_disk", "disk per VM", offsetof(struct quota, q_vm_disk), 1 },
	{ "vcpus", "vCPUs in all", offsetof(struct quota, q_vcpus), 0 },
	{ "memory_mib", "memory in all (MiB)",
	    offsetof(struct quota, q_memory_mib), 0 },
	{ "disk", "disk in all", offsetof(struct quota, q_disk), 1 },
};
#define QUOTA_NFIELDS	(sizeof(quota_fields) / sizeof(*quota_fields))

#define QF(q, f)	(*(uint64_t *)((char *)(q) + (f)->qf_off))

int
quota_of(uid_t uid, struct quota *q, char **cause)
{
	*q = conf.cf_quota;
	return store_quota_get(uid, q, cause);
}

/* What a user's VMs (but skip) take now. */
static void
quota_usage(uid_t uid, const struct vm *skip, struct quota *used)
{
	struct vm	*vm;
	int		 i;

	memset(used, 0, sizeof(*used));
	TAILQ_FOREACH(vm, &vms, vm_entry) {
		if (vm->vm_owner != uid || vm == skip)
			continue;
		used->q_vms++;
		used->q_vcpus += vm->vm_vcpus;
		used->q_memory_mib += vm->vm_memory_mib;
		for (i = 0; i < vm->vm_ndisks; i++)
			used->q_disk += vm->vm_disks[i].d_size;
	}
}

static char *
quota_value(const struct quota_field *f, uint64_t v)
{
	if (f->qf_bytes && v % (1ULL << 30) == 0)
		return xasprintf("%lluG", (unsigned long long)(v >> 30));
	if (f->qf_bytes)
		return xasprintf("%.1fG", v / (double)(1ULL << 30));
	return xasprintf("%llu", (unsigned long long)v);
}

/* Over one limit: the sentence says which, what was asked, what is allowed. */
static int
quota_over(const struct quota_field *f, uint64_t asked, uint64_t allowed,
    uint64_t used, char **cause)
{
	char	*a = quota_value(f, asked), *l = quota_value(f, allowed);
	char	*u = quota_value(f, used);

	if (used > 0 || strcmp(f->qf_column, "vms") == 0)
		cause_fail(cause, "quota exceeded: %s: asked for %s (with the %s "
		    "you have), allowed %s", f->qf_what, a, u, l);
	else
		cause_fail(cause, "quota exceeded: %s: asked for %s, allowed %s",
		    f->qf_what, a, l);
	free(a);
	free(l);
	free(u);
	return -1;
}

/*
 * May uid have vm (disk bytes of disks) on top of what they have?  -1
 * with *code and a sentence when not.
 */
int
quota_check(uid_t uid, const struct vm *vm, uint64_t disk, int *code,
    char **cause)
{
	struct quota	 q, used;
	const struct quota_field *f;

	*code = PROTO_ERR_INTERNAL;
	if (quota_of(uid, &q, cause) == -1)
		return -1;
	*code = PROTO_ERR_QUOTA;
	quota_usage(uid, vm, &used);
	f = &quota_fields[0];
	if (used.q_vms + 1 > q.q_vms)
		return quota_over(f, used.q_vms + 1, q.q_vms, used.q_vms, cause);
	if (vm->vm_vcpus > q.q_vm_vcpus)
		return quota_over(&quota_fields[1], vm->vm_vcpus, q.q_vm_vcpus,
		    0, cause);
	if (vm->vm_memory_mib > q.q_vm_memory_mib)
		return quota_over(&quota_fields[2], vm->vm_memory_mib,
		    q.q_vm_memory_mib, 0, cause);
	if (disk > q.q_vm_disk)
		return quota_over(&quota_fields[3], disk, q.q_vm_disk, 0, cause);
	if (used.q_vcpus + vm->vm_vcpus > q.q_vcpus)
		return quota_over(&quota_fields[4], used.q_vcpus + vm->vm_vcpus,
		    q.q_vcpus, used.q_vcpus, cause);
	if (used.q_memory_mib + vm->vm_memory_mib > q.q_memory_mib)
		return quota_over(&quota_fields[5], used.q_memory_mib +
		    vm->vm_memory_mib, q.q_memory_mib, used.q_memory_mib, cause);
	if (used.q_disk + disk > q.q_disk)
		return quota_over(&quota_fields[6], used.q_disk + disk, q.q_disk,
		    used.q_disk, cause);
	return 0;
}

/* quota [--owner UID]: the limits and what is used of them. */
void
cmd_quota(struct request *rq, json_t *args, struct vm *vm)
{
	struct quota	 q, used;
	const struct quota_field *f;
	json_t		*o, *lim, *use;
	int64_t		 owner;
	char		*cause;
	size_t		 i;
	int		 code;

	(void)vm;
	if (request_owner(rq, args, &owner, &code, &cause) == -1) {
		request_cause(rq, code, cause);
		return;
	}
	if (owner < 0)
		owner = request_uid(rq);
	if (quota_of(owner, &q, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INTERNAL, cause);
		return;
	}
	quota_usage(owner, NULL, &used);
	lim = json_object();
	use = json_object();
	for (i = 0; i < QUOTA_NFIELDS; i++) {
		f = &quota_fields[i];
		json_object_set_new(lim, f->qf_column, json_integer(QF(&q, f)));
	}
	json_object_set_new(use, "vms", json_integer(used.q_vms));
	json_object_set_new(use, "vcpus", json_integer(used.q_vcpus));
	json_object_set_new(use, "memory_mib", json_integer(used.q_memory_mib));
	json_object_set_new(use, "disk", json_integer(used.q_disk));
	o = json_pack("{sI so so sb}", "owner", (json_int_t)owner, "limits",
	    lim, "used", use, "exempt", request_admin(rq) &&
	    owner == request_uid(rq));
	request_ok(rq, o);
}

/* quota-set --owner UID [vms=N ...]: -1 (JSON null) puts back the default. */
void
cmd_quota_set(struct request *rq, json_t *args, struct vm *vm)
{
	const struct quota_field *f;
	json_t		*v;
	uint64_t	 owner;
	char		*cause;
	size_t		 i;
	int		 n = 0;

	(void)vm;
	if (proto_arg_uint(args, "owner", 1, 0, UINT32_MAX - 1, &owner,
	    &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	/* all checked before any is stored */
	for (i = 0; i < QUOTA_NFIELDS; i++) {
		v = json_object_get(args, quota_fields[i].qf_column);
		if (v == NULL || json_is_null(v))
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "quota %s "
			    "must be a whole number, or null for the default",
			    quota_fields[i].qf_column);
			return;
		}
	}
	for (i = 0; i < QUOTA_NFIELDS; i++) {
		f = &quota_fields[i];
		if ((v = json_object_get(args, f->qf_column)) == NULL)
			continue;
		n++;
		if (store_quota_set(owner, f->qf_column, json_is_null(v) ? -1 :
		    json_integer_value(v), &cause) == -1) {
			request_cause(rq, PROTO_ERR_INTERNAL, cause);
			return;
		}
	}
	if (n == 0) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "no limit to set: "
		    "give one of vms, vm_vcpus, vm_memory_mib, vm_disk, vcpus, "
		    "memory_mib, disk");
		return;
	}
	log_info("quota of uid %llu changed", (unsigned long long)owner);
	json_object_set_new(args, "owner", json_integer(owner));
	cmd_quota(rq, args, NULL);
}

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
			request_error(rq, PROTO_ERR_BAD_STATE, "image %s is used "
			    "by VM %s: delete the VM first", name,
			    request_sees(rq, vm) ? vm->vm_name :
			    "of another user");
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
