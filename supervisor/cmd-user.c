/*
 * cmd-user.c: what a user of the lending service asks about themselves:
 * their quota (quota; quota-set for admins; quota.c counts).  The
 * images they may use are cmd-image.c's.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "log.h"
#include "proto.h"

/* quota [--owner UID]: the limits and what is used of them. */
void
cmd_quota(struct request *rq, json_t *args, struct vm *vm)
{
	json_t		*o;
	int64_t		 owner;
	char		*cause;
	int		 code;

	(void)vm;
	if (request_owner(rq, args, &owner, &code, &cause) == -1) {
		request_cause(rq, code, cause);
		return;
	}
	if (owner < 0)
		owner = request_uid(rq);
	if ((o = quota_to_json(owner, &cause)) == NULL) {
		request_cause(rq, PROTO_ERR_INTERNAL, cause);
		return;
	}
	json_object_set_new(o, "owner", json_integer(owner));
	json_object_set_new(o, "exempt", json_boolean(request_admin(rq) &&
	    owner == request_uid(rq)));
	request_ok(rq, o);
}

/*
 * quota-set --owner UID [vms=N ...]: -1 (JSON null) puts back the
 * default; loan is in seconds, 0 for no limit.
 */
void
cmd_quota_set(struct request *rq, json_t *args, struct vm *vm)
{
	const struct quota_field *f;
	json_t		*v;
	uint64_t	 owner;
	char		*cause, names[256];
	size_t		 len = 0;
	int		 n = 0;

	(void)vm;
	if (proto_arg_uint(args, "owner", 1, 0, UINT32_MAX - 1, &owner,
	    &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	/* all checked before any is stored */
	for (f = quota_fields; f->qf_column != NULL; f++) {
		v = json_object_get(args, f->qf_column);
		if (v == NULL || json_is_null(v))
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "quota %s "
			    "must be a whole number, or null for the default",
			    f->qf_column);
			return;
		}
		if (f->qf_kind == QUOTA_RATE && json_integer_value(v) != 0 &&
		    (json_integer_value(v) < (json_int_t)FWS_NET_RATE_MIN ||
		    json_integer_value(v) > (json_int_t)FWS_NET_RATE_MAX)) {
			request_error(rq, PROTO_ERR_INVALID_ARGUMENT,
			    "quota %s is in bit/s, from %llu to %llu (0: no "
			    "ceiling)", f->qf_column, FWS_NET_RATE_MIN,
			    FWS_NET_RATE_MAX);
			return;
		}
		if ((f->qf_kind == QUOTA_IOPS && json_integer_value(v) >
		    DISK_IO_IOPS_MAX) || (f->qf_kind == QUOTA_BPS &&
		    (json_integer_value(v) > (json_int_t)DISK_IO_BPS_MAX ||
		    (json_integer_value(v) > 0 && json_integer_value(v) <
		    (json_int_t)DISK_IO_BPS_MIN)))) {
			request_error(rq, PROTO_ERR_INVALID_ARGUMENT,
			    "quota %s is per second, at most %llu (0: no "
			    "limit)", f->qf_column, f->qf_kind == QUOTA_IOPS ?
			    (unsigned long long)DISK_IO_IOPS_MAX :
			    (unsigned long long)DISK_IO_BPS_MAX);
			return;
		}
		if (f->qf_kind == QUOTA_SECS &&
		    json_integer_value(v) > FWS_DURATION_MAX) {
			request_error(rq, PROTO_ERR_INVALID_ARGUMENT,
			    "quota %s is in seconds, at most %lld (0: no "
			    "limit)", f->qf_column,
			    (long long)FWS_DURATION_MAX);
			return;
		}
		if (f->qf_kind == QUOTA_CEILING &&
		    json_integer_value(v) > FWS_CPU_WEIGHT_MAX) {
			request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "quota %s "
			    "is a weight, at most %d (0: no ceiling)",
			    f->qf_column, FWS_CPU_WEIGHT_MAX);
			return;
		}
		if (f->qf_kind == QUOTA_CPUS &&
		    json_integer_value(v) > FWS_VCPUS_LIMIT * 1000) {
			request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "quota %s "
			    "is in thousandths of a CPU, at most %d (0: no "
			    "ceiling)", f->qf_column, FWS_VCPUS_LIMIT * 1000);
			return;
		}
	}
	for (f = quota_fields; f->qf_column != NULL; f++) {
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
		for (f = quota_fields; f->qf_column != NULL; f++)
			if (len < sizeof(names))
				len += snprintf(names + len, sizeof(names) - len,
				    "%s%s", len > 0 ? ", " : "", f->qf_column);
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "no limit to set: "
		    "give one of %s", names);
		return;
	}
	log_info("quota of uid %llu changed", (unsigned long long)owner);
	json_object_set_new(args, "owner", json_integer(owner));
	cmd_quota(rq, args, NULL);
}
