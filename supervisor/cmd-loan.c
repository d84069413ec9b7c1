/*
 * cmd-loan.c: the loans as their users ask about them: loan shows a
 * VM's, extends it (a duration added to its end, or to now once it has
 * ended), sets its end (until) or, for admins, removes it; loans lists
 * what ends when.  A user may lend no VM past quota_loan from now;
 * admins lend for as long as they like.  The new end is committed before
 * the reply; an expired VM whose loan is extended may start again
 * (vm.c), and loan.c's timer is told.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fws.h"
#include "log.h"
#include "proto.h"

/* A VM's loan as loan and loans show it. */
static json_t *
cmd_loan_json(const struct vm *vm)
{
	json_t	*o;

	o = json_pack("{ss sI ss}", "name", vm->vm_name, "owner",
	    (json_int_t)vm->vm_owner, "state", vm_state_name(vm->vm_state));
	loan_json_add(o, vm, 1);
	return o;
}

/* "loan of web extended to 2026-12-01 12:00 (from 2026-11-01 12:00)" */
static char *
cmd_loan_words(const struct vm *vm, int64_t old)
{
	int64_t	 end = vm->vm_loan.lo_end;
	char	*from, *to, *s;

	if (end == 0)
		return xasprintf("loan of %s removed: it never ends",
		    vm->vm_name);
	to = date_text(end);
	if (old == 0) {
		s = xasprintf("loan of %s set: it ends %s", vm->vm_name, to);
		free(to);
		return s;
	}
	from = date_text(old);
	s = xasprintf("loan of %s %s to %s (from %s)", vm->vm_name,
	    end >= old ? "extended" : "shortened", to, from);
	free(from);
	free(to);
	return s;
}

/*
 * loan NAME [until T | extend S | remove]: without one of them, the
 * VM's loan as it is.
 */
void
cmd_loan(struct request *rq, json_t *args, struct vm *vm)
{
	struct vm_loan	 was = vm->vm_loan;
	uint64_t	 until = 0, extend = 0;
	int64_t		 now = time(NULL), end;
	char		*cause, *why, *s;
	enum fws_err	 code;
	int		 remove = 0, has_until;

	has_until = json_object_get(args, "until") != NULL &&
	    !json_is_null(json_object_get(args, "until"));
	if (proto_arg_uint(args, "until", 0, 0, INT64_MAX, &until,
	    &cause) == -1 ||
	    proto_arg_uint(args, "extend", 0, 1, FWS_DURATION_MAX, &extend,
	    &cause) == -1 ||
	    proto_arg_bool(args, "remove", &remove, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (has_until + (extend != 0) + remove > 1) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "give one of "
		    "\"until\", \"extend\" and \"remove\"");
		return;
	}
	if (!has_until && extend == 0 && !remove) {
		request_ok(rq, cmd_loan_json(vm));
		return;
	}
	if (remove && !request_admin(rq)) {
		request_error(rq, PROTO_ERR_PERMISSION, "only admins remove a "
		    "loan (root or group %s)", conf.cf_admin_group);
		return;
	}
	if (extend != 0 && was.lo_end == 0) {
		request_error(rq, PROTO_ERR_BAD_STATE, "%s has no loan to "
		    "extend: it never ends (--until or --for sets one)",
		    vm->vm_name);
		return;
	}
	/* an ended loan is extended from now: its time to come */
	if (extend != 0)
		end = (was.lo_end > now ? was.lo_end : now) + (int64_t)extend;
	else
		end = remove ? 0 : (int64_t)until;
	if (end != 0 && loan_end_valid(end, now, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (!request_admin(rq) && quota_check_loan(vm->vm_owner, end, now,
	    &code, &cause) == -1) {
		request_cause(rq, request_code(code), cause);
		return;
	}
	if (end == was.lo_end) {
		request_ok(rq, cmd_loan_json(vm));
		return;
	}
	/* committed before anyone is told; its warnings start over */
	vm->vm_loan.lo_end = end;
	vm->vm_loan.lo_warned = 0;
	if (store_vm_update_loan(vm, &cause) == -1) {
		vm->vm_loan = was;
		request_cause(rq, PROTO_ERR_INTERNAL, cause);
		return;
	}
	vm->vm_loan_retry = 0;
	why = cmd_loan_words(vm, was.lo_end);
	if (vm->vm_state == VM_EXPIRED) {
		s = xasprintf("%s: it may start again", why);
		vm_unexpire(vm, s);
		free(s);
	} else
		event_record(vm, "loan", "%s", why);
	free(why);
	loan_changed();
	request_ok(rq, cmd_loan_json(vm));
}

static int
cmd_loans_cmp(const void *a, const void *b)
{
	const struct vm	*x = *(const struct vm *const *)a;
	const struct vm	*y = *(const struct vm *const *)b;

	if (x->vm_loan.lo_end != y->vm_loan.lo_end)
		return x->vm_loan.lo_end < y->vm_loan.lo_end ? -1 : 1;
	if (x->vm_owner != y->vm_owner)
		return x->vm_owner < y->vm_owner ? -1 : 1;
	return strcmp(x->vm_name, y->vm_name);
}

/* loans: the VMs lent until a time, soonest end first. */
void
cmd_loans(struct request *rq, json_t *args, struct vm *vm)
{
	struct vm	**a;
	json_t		*out;
	int64_t		 owner;
	size_t		 n = 0, i;
	char		*cause;
	int		 code;

	if (request_owner(rq, args, &owner, &code, &cause) == -1) {
		request_cause(rq, code, cause);
		return;
	}
	TAILQ_FOREACH(vm, &vms, vm_entry)
		n++;
	if ((a = calloc(n + 1, sizeof(*a))) == NULL) {
		request_error(rq, PROTO_ERR_INTERNAL, "out of memory");
		return;
	}
	n = 0;
	TAILQ_FOREACH(vm, &vms, vm_entry)
		if (vm->vm_loan.lo_end != 0 && request_sees(rq, vm) &&
		    (owner < 0 || vm->vm_owner == owner))
			a[n++] = vm;
	qsort(a, n, sizeof(*a), cmd_loans_cmp);
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(out, cmd_loan_json(a[i]));
	free(a);
	request_ok(rq, out);
}
