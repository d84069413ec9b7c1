/*
 * web-api.c: an /api request becomes one fwsd verb, asked with "as" the
 * session's uid, and fwsd's reply becomes the HTTP reply: 200
 * {"result": ...} or {"error": {"code", "message"}} with the status of
 * web-status.c's table.  What the route is and what its arguments are
 * is web-route.c's; what the user may do is fwsd's alone.
 */
#include <stdlib.h>

#include "fws.h"
#include "log.h"
#include "web.h"

/* What a call to fwsd carries back: the request it answers, by id. */
struct web_api_ctx {
	uint64_t	 ac_conn;
};

/* fwsd's reply (or NULL and why) as the HTTP reply to cn. */
void
web_api_reply(struct web_conn *cn, json_t *reply, int fd, const char *why)
{
	json_t	*err;

	(void)fd;
	if (reply == NULL) {
		web_http_error(cn, 502, "internal", "%s", why);
		return;
	}
	if (json_is_true(json_object_get(reply, "ok"))) {
		web_http_reply_json(cn, 200, json_pack("{sO}", "result",
		    json_object_get(reply, "result")), NULL);
		return;
	}
	err = json_object_get(reply, "error");
	web_http_reply_json(cn, web_status_of(json_string_value(
	    json_object_get(err, "code"))), json_pack("{sO}", "error", err),
	    NULL);
}

static void
web_api_done(void *arg, json_t *reply, int fd, const char *why)
{
	struct web_api_ctx	*ac = arg;
	struct web_conn		*cn;

	if ((cn = web_http_find(ac->ac_conn)) != NULL)
		web_api_reply(cn, reply, fd, why);
	free(ac);
}

/* Ask fwsd verb with args (taken) for the session's user. */
void
web_api_call(struct web_conn *cn, struct web_session *s, const char *verb,
    json_t *args)
{
	struct web_api_ctx	*ac;

	if ((ac = calloc(1, sizeof(*ac))) == NULL) {
		json_decref(args);
		web_http_error(cn, 500, "internal", "out of memory");
		return;
	}
	ac->ac_conn = web_http_id(cn);
	web_fwsd_call(verb, (int64_t)s->ss_uid, args, web_api_done, ac);
}
