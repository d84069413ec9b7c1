/*
 * web-login.c: /api/session, the one route without a session.  A login
 * is a one-time token from "fwsctl web-login" (fwsd's web-redeem) or a
 * name and password (fwsd's web-auth, which runs PAM); fwsd says who
 * it is (a uid, admin or not) and a new session is made.  Failures of
 * one client address are counted (web-limit.c): too many and it gets
 * 429 without fwsd being asked.  GET says who is logged in, DELETE
 * logs out.  Tokens and passwords are never logged.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "fws.h"
#include "log.h"
#include "web.h"

#define WEB_LOGIN_FAILED	"the login link is not valid (used, " \
				"expired or mistyped)"
#define WEB_LOGIN_COOKIE	"Set-Cookie: " WEB_COOKIE "=%s; Path=/; " \
				"Secure; HttpOnly; SameSite=Strict\r\n"

struct web_login_ctx {
	uint64_t	 lc_conn;
	char		 lc_addr[64];
	char		 lc_user[WEB_NAME_MAX + 1];	/* "": a token's */
	char		 lc_old[WEB_ID_HEX + 1];	/* the session it ends */
};

static void
web_login_refuse(struct web_conn *cn, const char *addr, const char *msg)
{
	web_limit_fail(addr);
	web_http_error(cn, 401, "permission_denied", "%s", msg);
}

/* The name of uid, for the page: from the password database. */
static void
web_login_name(uid_t uid, char *out, size_t outlen)
{
	struct passwd	*pw;

	if ((pw = getpwuid(uid)) != NULL && web_parse_login_name(pw->pw_name))
		snprintf(out, outlen, "%s", pw->pw_name);
	else
		snprintf(out, outlen, "uid %u", (unsigned)uid);
}

static void
web_login_done(void *arg, json_t *reply, int fd, const char *why)
{
	struct web_login_ctx	*lc = arg;
	struct web_conn		*cn = web_http_find(lc->lc_conn);
	struct web_session	*s, *old;
	json_t			*result, *err, *uid;
	const char		*code;
	char			 name[WEB_NAME_MAX + 16], *cookie;
	int			 admin;

	(void)fd;
	if (reply != NULL && !json_is_true(json_object_get(reply, "ok"))) {
		err = json_object_get(reply, "error");
		code = json_string_value(json_object_get(err, "code"));
		if (code != NULL && strcmp(code, "permission_denied") == 0) {
			web_limit_fail(lc->lc_addr);
			log_info("%s: login %s%s refused: %s", lc->lc_addr,
			    lc->lc_user[0] ? "as " : "by a one-time link",
			    lc->lc_user, json_string_value(json_object_get(err,
			    "message")));
			if (cn != NULL)
				web_http_reply_json(cn, 401, json_pack("{sO}",
				    "error", err), NULL);
		} else if (cn != NULL)
			web_http_reply_json(cn, 502, json_pack("{sO}", "error",
			    err), NULL);
		goto done;
	}
	if (cn == NULL)
		goto done;
	if (reply == NULL) {
		web_http_error(cn, 502, "internal", "%s", why);
		goto done;
	}
	result = json_object_get(reply, "result");
	uid = json_object_get(result, "uid");
	admin = json_is_true(json_object_get(result, "admin"));
	if (!json_is_integer(uid) || json_integer_value(uid) <= 0 ||
	    json_integer_value(uid) > 0x7fffffff) {
		web_http_error(cn, 502, "internal", "fwsd's answer names no user");
		goto done;
	}
	if (lc->lc_user[0] != '\0')
		snprintf(name, sizeof(name), "%s", lc->lc_user);
	else
		web_login_name(json_integer_value(uid), name, sizeof(name));
	/* a login replaces the session the browser had */
	if (lc->lc_old[0] != '\0' && (old = web_session_find(lc->lc_old, 0)) !=
	    NULL)
		web_session_delete(old);
	if ((s = web_session_new(json_integer_value(uid), admin, name)) ==
	    NULL) {
		web_http_error(cn, 500, "internal", "no session could be made");
		goto done;
	}
	log_info("%s: %s (uid %u%s) logged in%s", lc->lc_addr, name,
	    (unsigned)s->ss_uid, admin ? ", admin" : "",
	    lc->lc_user[0] ? " with a password" : " with a one-time link");
	web_http_set_user(cn, name);
	cookie = xasprintf(WEB_LOGIN_COOKIE, s->ss_id);
	web_http_reply_json(cn, 200, web_session_json(s), cookie);
	OPENSSL_cleanse(cookie, strlen(cookie));
	free(cookie);
done:
	OPENSSL_cleanse(lc, sizeof(*lc));
	free(lc);
}

/* POST /api/session {"token":HEX} or {"user":NAME,"password":...} */
void
web_login_post(struct web_conn *cn, struct web_req *hr)
{
	struct web_login_ctx	*lc;
	json_t			*body, *token, *user, *pass;
	const char		*addr = web_http_addr(cn);
	char			 retry[64], cookie[WEB_ID_HEX + 2];
	int64_t			 secs;
	json_error_t		 jerr;

	if (web_limit_check(addr, &secs) == -1) {
		snprintf(retry, sizeof(retry), "Retry-After: %lld\r\n",
		    (long long)secs);
		web_http_reply_json(cn, 429, json_pack("{s{ss ss}}", "error",
		    "code", "permission_denied", "message",
		    "too many failed logins from this address: try again "
		    "later"), retry);
		return;
	}
	body = json_loadb(hr->hr_body, hr->hr_length, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (!json_is_object(body)) {
		json_decref(body);
		web_http_error(cn, 400, "invalid_argument", "the body is a JSON "
		    "object: {\"token\":...} or {\"user\":...,\"password\":...}");
		return;
	}
	token = json_object_get(body, "token");
	user = json_object_get(body, "user");
	pass = json_object_get(body, "password");
	if ((lc = calloc(1, sizeof(*lc))) == NULL) {
		json_decref(body);
		web_http_error(cn, 500, "internal", "out of memory");
		return;
	}
	lc->lc_conn = web_http_id(cn);
	snprintf(lc->lc_addr, sizeof(lc->lc_addr), "%s", addr);
	if (web_parse_cookie(web_parse_header(hr, "cookie"), WEB_COOKIE, cookie,
	    sizeof(cookie)) == 0 && web_parse_hex_id(cookie))
		memcpy(lc->lc_old, cookie, WEB_ID_HEX + 1);
	if (token != NULL && json_object_size(body) == 1) {
		if (!json_is_string(token) ||
		    !web_parse_hex_id(json_string_value(token))) {
			web_login_refuse(cn, addr, WEB_LOGIN_FAILED);
			goto fail;
		}
		web_fwsd_call("web-redeem", -1, json_pack("{sO}", "token",
		    token), web_login_done, lc);
	} else if (user != NULL && pass != NULL && json_object_size(body) == 2) {
		if (!json_is_string(user) ||
		    !web_parse_login_name(json_string_value(user)) ||
		    !json_is_string(pass) ||
		    json_string_length(pass) > WEB_PASSWORD_MAX ||
		    json_string_length(pass) != strlen(json_string_value(pass))) {
			web_login_refuse(cn, addr, "authentication failed");
			goto fail;
		}
		snprintf(lc->lc_user, sizeof(lc->lc_user), "%s",
		    json_string_value(user));
		web_fwsd_call("web-auth", -1, json_pack("{sO sO}", "user", user,
		    "password", pass), web_login_done, lc);
	} else {
		web_http_error(cn, 400, "invalid_argument", "the body is "
		    "{\"token\":...} or {\"user\":...,\"password\":...}");
		goto fail;
	}
	json_decref(body);
	return;
fail:
	free(lc);
	json_decref(body);
}

/* GET /api/session: who is logged in. */
void
web_login_get(struct web_conn *cn, struct web_session *s)
{
	web_http_reply_json(cn, 200, web_session_json(s), NULL);
}

/* DELETE /api/session: logged out, the cookie dropped too. */
void
web_login_delete(struct web_conn *cn, struct web_session *s)
{
	log_info("%s: %s (uid %u) logged out", web_http_addr(cn), s->ss_user,
	    (unsigned)s->ss_uid);
	web_session_delete(s);
	web_http_reply_json(cn, 200, json_pack("{sn}", "result"),
	    "Set-Cookie: " WEB_COOKIE "=; Path=/; Secure; HttpOnly; "
	    "SameSite=Strict; Max-Age=0\r\n");
}
