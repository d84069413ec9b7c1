/*
 * request.c: a request in flight, as the reply layer (cmd*.c) has it:
 * who asks, whose VMs it may name, and its one answer: a reply (ok or an
 * error with its wire code, mapped from the core's errors), or progress
 * ahead of it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fws.h"
#include "log.h"
#include "proto.h"

uint64_t
request_client(const struct request *rq)
{
	return rq->rq_client;
}

json_t *
request_id(const struct request *rq)
{
	return rq->rq_id;
}

uid_t
request_uid(const struct request *rq)
{
	return rq->rq_caller.ca_uid;
}

int
request_admin(const struct request *rq)
{
	return rq->rq_caller.ca_admin;
}

const struct caller *
request_caller(const struct request *rq)
{
	return &rq->rq_caller;
}

int
request_sees(const struct request *rq, const struct vm *vm)
{
	return caller_sees(&rq->rq_caller, vm);
}

char *
request_vm_words(const struct request *rq, const struct vm *vm)
{
	return caller_vm_words(&rq->rq_caller, vm);
}

/*
 * The uid a request's "owner" names, -1 when it names none (absent or
 * null); -1 from the function itself when it is no uid.  Who may name
 * whom is caller_owner's.
 */
int
request_owner_arg(json_t *args, int64_t *asked, char **cause)
{
	uint64_t	 uid = 0;
	json_t		*v;

	if (proto_arg_uint(args, "owner", 0, 0, UINT32_MAX - 1, &uid,
	    cause) == -1)
		return -1;
	v = json_object_get(args, "owner");
	*asked = v != NULL && !json_is_null(v) ? (int64_t)uid : -1;
	return 0;
}

/*
 * Whose VMs a request means: "owner" when given (a user may only name
 * themselves), else -1 for an admin (everyone's) or the caller's uid.
 * -1 from the function itself: *cause (and *code) say why not.
 */
int
request_owner(struct request *rq, json_t *args, int64_t *owner, int *code,
    char **cause)
{
	int64_t		 asked;

	*code = PROTO_ERR_INVALID_ARGUMENT;
	if (request_owner_arg(args, &asked, cause) == -1)
		return -1;
	*code = PROTO_ERR_PERMISSION;
	return caller_owner(&rq->rq_caller, asked, owner, cause);
}

/* The wire's code for the core's error. */
int
request_code(enum fws_err err)
{
	switch (err) {
	case FWS_OK:
	case FWS_ERR_INTERNAL:
		break;
	case FWS_ERR_INVALID:
		return PROTO_ERR_INVALID_ARGUMENT;
	case FWS_ERR_NOT_FOUND:
		return PROTO_ERR_NOT_FOUND;
	case FWS_ERR_EXISTS:
		return PROTO_ERR_EXISTS;
	case FWS_ERR_BUSY:
		return PROTO_ERR_BUSY;
	case FWS_ERR_STATE:
		return PROTO_ERR_BAD_STATE;
	case FWS_ERR_PERMISSION:
		return PROTO_ERR_PERMISSION;
	case FWS_ERR_QUOTA:
		return PROTO_ERR_QUOTA;
	case FWS_ERR_FAILED:
		return PROTO_ERR_FAILED;
	}
	return PROTO_ERR_INTERNAL;
}

/*
 * The core's completion for a request (an fws_done_fn, arg the
 * request): the result as the reply, or the error with its words.
 */
void
request_done(void *arg, enum fws_err err, const char *why, json_t *result)
{
	struct request	*rq = arg;

	if (err == FWS_OK)
		request_ok(rq, result);
	else {
		json_decref(result);
		request_error(rq, request_code(err), "%s", why ? why :
		    "failed");
	}
}

/*
 * The completion of a verb on the request's VM: the VM as list shows it
 * (the core's result says only which), or the error.
 */
void
request_vm_done(void *arg, enum fws_err err, const char *why, json_t *result)
{
	struct request	*rq = arg;

	if (err == FWS_OK && rq->rq_vm != NULL) {
		json_decref(result);
		result = vm_to_json(rq->rq_vm, 0);
	}
	request_done(rq, err, why, result);
}

/*
 * A long operation's progress, sent to the request's client ahead of
 * its reply (an fws_progress_fn, arg the request).
 */
void
request_progress(void *arg, int percent, const char *step)
{
	struct request	*rq = arg;

	control_push(rq->rq_client, json_pack("{sO s{si ss}}", "id",
	    rq->rq_id, "progress", "percent", percent, "step", step));
}

void
request_free(struct request *rq)
{
	json_decref(rq->rq_id);
	free(rq);
}

void
request_ok(struct request *rq, json_t *result)
{
	control_send(rq->rq_client, proto_reply_ok(rq->rq_id, result));
	request_free(rq);
}

/*
 * The reply ok with fd attached (SCM_RIGHTS: the UNIX socket only); fd
 * stays the caller's to close.  A connection with replies queued cannot
 * carry it: busy, saying to ask for what on an idle one.
 */
void
request_ok_fd(struct request *rq, json_t *result, int fd, const char *what)
{
	if (control_send_fd(rq->rq_client, proto_reply_ok(rq->rq_id, result),
	    fd) == -1)
		request_error(rq, PROTO_ERR_BUSY, "the connection has replies "
		    "queued: ask for the %s on an idle connection", what);
	else
		request_free(rq);
}

void
request_error(struct request *rq, int code, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	log_debug("%s: %s: %s", rq->rq_cmd, proto_err_code(code), msg);
	control_send(rq->rq_client, proto_reply_error(rq->rq_id, code, msg));
	free(msg);
	request_free(rq);
}

/* Answer with the cause sentence as the message and free it. */
void
request_cause(struct request *rq, int code, char *cause)
{
	request_error(rq, code, "%s", cause ? cause : "invalid request");
	free(cause);
}

