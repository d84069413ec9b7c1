/*
 * cmd-web.c: the requests of the web panel's logins, handlers in
 * cmd.c's table.  web-login gives a local user a one-time link
 * (web-token.c); the front-end trades a link (web-redeem) or a name
 * and password (web-auth, web-auth.c) for the user's uid, and fwsd
 * lets it act for that user from then on (web.c).  cmd.c has already
 * said who may ask: web-login the caller for themselves, the others
 * the front-end alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "log.h"
#include "proto.h"

#define WEB_PASSWORD_MAX	512	/* bytes */

/* A user the front-end may act for from now on: their uid, admin. */
static json_t *
cmd_web_let_in(uid_t uid)
{
	web_let_in(uid);
	return json_pack("{sI sb}", "uid", (json_int_t)uid, "admin",
	    access_is_admin(uid));
}

/* web-login: a one-time link to the panel for the caller. */
void
cmd_web_login(struct request *rq, json_t *args, struct vm *vm)
{
	uid_t	 uid = rq->rq_caller.ca_uid;
	time_t	 expires;
	char	 hex[65], *cause, *url = NULL;

	(void)args;
	(void)vm;
	if (!control_passes_fds(rq->rq_client)) {
		request_error(rq, PROTO_ERR_PERMISSION, "a login link is for "
		    "a user on the host: ask with fwsctl web-login there, not "
		    "over TLS");
		return;
	}
	if (conf.cf_web_user == NULL) {
		request_error(rq, PROTO_ERR_FAILED, "fwsd has no web panel "
		    "(web_user = none in fwsd.conf)");
		return;
	}
	if (uid == 0 || uid == conf.cf_web_uid) {
		request_error(rq, PROTO_ERR_PERMISSION, "%s does not use the "
		    "panel: log in as yourself", uid == 0 ? "root" :
		    "the web front-end (web_user)");
		return;
	}
	if (web_token_new(uid, hex, &expires, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INTERNAL, cause);
		return;
	}
	log_info("web: uid %u asked for a login link", (unsigned)uid);
	if (conf.cf_web_url != NULL)
		url = xasprintf("%s/login#token=%s", conf.cf_web_url, hex);
	request_ok(rq, json_pack("{ss sI so}", "token", hex, "expires",
	    (json_int_t)expires, "url", url != NULL ? json_string(url) :
	    json_null()));
	explicit_bzero(hex, sizeof(hex));
	free(url);
}

/* web-redeem TOKEN: the front-end's; the link's user, once. */
void
cmd_web_redeem(struct request *rq, json_t *args, struct vm *vm)
{
	const char	*token;
	char		*cause;
	uid_t		 uid;

	(void)vm;
	if (proto_arg_string(args, "token", 1, &token, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (web_token_redeem(token, &uid) == -1) {
		log_info("web: a login link refused");
		request_error(rq, PROTO_ERR_PERMISSION, "the login link is not "
		    "valid (used, expired or mistyped)");
		return;
	}
	log_info("web: uid %u logged in with a link", (unsigned)uid);
	request_ok(rq, cmd_web_let_in(uid));
}

static void
cmd_web_auth_done(void *arg, enum fws_err err, const char *why,
    json_t *result)
{
	struct request	*rq = arg;
	uid_t		 uid;

	if (err != FWS_OK) {
		request_done(rq, err, why, result);
		return;
	}
	uid = (uid_t)json_integer_value(json_object_get(result, "uid"));
	json_decref(result);
	request_ok(rq, cmd_web_let_in(uid));
}

/* web-auth USER PASSWORD: the front-end's; PAM says, web-auth.c asks. */
void
cmd_web_auth(struct request *rq, json_t *args, struct vm *vm)
{
	const char	*user;
	json_t		*pw;
	char		*cause;

	(void)vm;
	if (proto_arg_string(args, "user", 1, &user, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (!web_auth_name_ok(user)) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "\"user\" is not "
		    "a user name ([a-z_][a-z0-9_-]*, 1 to 32 characters)");
		return;
	}
	pw = json_object_get(args, "password");
	if (!json_is_string(pw)) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "argument "
		    "\"password\" (a string) is required");
		return;
	}
	if (json_string_length(pw) > WEB_PASSWORD_MAX ||
	    strlen(json_string_value(pw)) != json_string_length(pw)) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "\"password\" "
		    "holds at most %d bytes, and no NUL", WEB_PASSWORD_MAX);
		return;
	}
	web_auth(user, json_string_value(pw), json_string_length(pw),
	    cmd_web_auth_done, rq);
}
