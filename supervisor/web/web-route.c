/*
 * web-route.c: every route, in one table, and the checks before any of
 * them runs, in one place: an Origin header must be this server's own;
 * every /api and /ws path but /api/session needs a live session (401
 * before anything else is told); a POST, PUT or DELETE needs the
 * session's CSRF token in X-CSRF-Token (403); a WebSocket needs an
 * Origin.  Then the route: a page or a file, the login, an API verb
 * (arguments from the body, the names in the path checked against
 * fwsd's rules, "owner" from the query), or a WebSocket (a VM's, with
 * "owner" too).
 */
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "log.h"
#include "web.h"

#define WEB_ROUTE_SEGS	8

enum web_route_kind {
	RK_PAGE,		/* a page of static_dir */
	RK_FILES,		/* a directory's files */
	RK_LOGIN,		/* /api/session */
	RK_API,			/* a verb of fwsd */
	RK_WS,			/* a WebSocket */
};

enum web_route_dir {
	RD_STATIC,
	RD_NOVNC,
	RD_XTERM,
};

/*
 * A pattern's segments: literals, "*" a VM's name, "+" a snapshot's
 * tag, "**" the rest of the path (a directory's file).
 */
struct web_route {
	const char		*wr_method;
	const char		*wr_pattern;
	enum web_route_kind	 wr_kind;
	const char		*wr_what;	/* a page, a directory's
						   part, or fwsd's verb */
	int			 wr_arg;	/* a directory, or a proxy */
};

static const struct web_route web_routes[] = {
	{ "GET",    "/",			RK_PAGE, "index.html", 0 },
	{ "GET",    "/login",			RK_PAGE, "login.html", 0 },
	{ "GET",    "/static/**",		RK_FILES, "static/", RD_STATIC },
	{ "GET",    "/novnc/**",		RK_FILES, NULL, RD_NOVNC },
	{ "GET",    "/xterm/**",		RK_FILES, NULL, RD_XTERM },
	{ "POST",   "/api/session",		RK_LOGIN, NULL, 0 },
	{ "GET",    "/api/session",		RK_LOGIN, NULL, 0 },
	{ "DELETE", "/api/session",		RK_LOGIN, NULL, 0 },
	{ "GET",    "/api/vms",			RK_API, "list", 0 },
	{ "POST",   "/api/vms",			RK_API, "create", 0 },
	{ "GET",    "/api/vms/*",		RK_API, "info", 0 },
	{ "DELETE", "/api/vms/*",		RK_API, "delete", 0 },
	{ "POST",   "/api/vms/*/start",		RK_API, "start", 0 },
	{ "POST",   "/api/vms/*/stop",		RK_API, "stop", 0 },
	{ "POST",   "/api/vms/*/destroy",	RK_API, "destroy", 0 },
	{ "GET",    "/api/vms/*/snapshots",	RK_API, "snapshot-list", 0 },
	{ "POST",   "/api/vms/*/snapshots",	RK_API, "snapshot-create", 0 },
	{ "POST",   "/api/vms/*/snapshots/+/revert", RK_API,
						"snapshot-revert", 0 },
	{ "DELETE", "/api/vms/*/snapshots/+",	RK_API, "snapshot-delete", 0 },
	{ "GET",    "/api/quota",		RK_API, "quota", 0 },
	{ "GET",    "/api/templates",		RK_API, "templates", 0 },
	{ "GET",    "/api/images",		RK_API, "image-list", 0 },
	{ "GET",    "/api/isos",		RK_API, "image-list", 0 },
	{ "GET",    "/api/networks",		RK_API, "net-list", 0 },
	{ "GET",    "/ws/events",		RK_WS, NULL, WEB_PROXY_EVENTS },
	{ "GET",    "/ws/console/*",		RK_WS, NULL, WEB_PROXY_CONSOLE },
	{ "GET",    "/ws/screen/*",		RK_WS, NULL, WEB_PROXY_SCREEN },
};

/* What a path matched: its name and tag, or the rest of it. */
struct web_match {
	const char	*wm_name;
	const char	*wm_tag;
	const char	*wm_rest;
	char		 wm_buf[2][FWS_NAME_MAX + 2];
};

/*
 * Does path match pattern?  Captured segments land in m; a segment in a
 * name's place that is too long still matches (its check says why).
 */
static int
web_route_match(const char *pattern, const char *path, struct web_match *m)
{
	const char	*p = pattern, *q = path, *pe, *qe;
	size_t		 plen, qlen;
	int		 ncap = 0;

	memset(m, 0, sizeof(*m));
	if (strcmp(pattern, "/") == 0)
		return strcmp(path, "/") == 0;
	while (*p == '/' && *q == '/') {
		p++;
		q++;
		pe = p + strcspn(p, "/");
		qe = q + strcspn(q, "/");
		plen = pe - p;
		qlen = qe - q;
		if (plen == 2 && memcmp(p, "**", 2) == 0) {
			m->wm_rest = q;
			return *q != '\0';
		}
		if (plen == 1 && (*p == '*' || *p == '+')) {
			if (qlen == 0)
				return 0;
			if (qlen > FWS_NAME_MAX)
				qlen = FWS_NAME_MAX + 1;
			memcpy(m->wm_buf[ncap], q, qlen);
			m->wm_buf[ncap][qlen] = '\0';
			if (*p == '*')
				m->wm_name = m->wm_buf[ncap];
			else
				m->wm_tag = m->wm_buf[ncap];
			ncap++;
		} else if (plen != qlen || memcmp(p, q, plen) != 0)
			return 0;
		p = pe;
		q = qe;
	}
	return *p == '\0' && *q == '\0';
}

static const char *
web_route_dir(int which)
{
	switch (which) {
	case RD_NOVNC:
		return web_conf.wcf_novnc_dir;
	case RD_XTERM:
		return web_conf.wcf_xterm_dir;
	default:
		return web_conf.wcf_static_dir;
	}
}

static int
web_route_changes(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/* The session the request's cookie names, or NULL. */
static struct web_session *
web_route_session(struct web_req *hr)
{
	char	 id[WEB_ID_HEX + 2];

	if (web_parse_cookie(web_parse_header(hr, "cookie"), WEB_COOKIE, id,
	    sizeof(id)) == -1)
		return NULL;
	return web_session_find(id, 1);
}

/*
 * The uid the query's "owner" names (an admin's view of another user's
 * VM), -1 when it names none; -2 when the request was answered (not a
 * uid, or given twice).  Whether the user may name it is fwsd's.
 */
static int64_t
web_route_owner(struct web_conn *cn, struct web_req *hr)
{
	char	 owner[16];

	switch (web_parse_query(hr->hr_query, "owner", owner, sizeof(owner))) {
	case -1:
		return -1;
	case 0:
		if (*owner != '\0' && strlen(owner) <= 10 &&
		    strspn(owner, "0123456789") == strlen(owner))
			return strtoll(owner, NULL, 10);
		break;
	}
	web_http_error(cn, 400, "invalid_argument", "owner is a uid, given "
	    "once");
	return -2;
}

/*
 * An API route's arguments: the body's object (or none), the path's
 * name and tag over whatever it said, "owner" from the query.  NULL
 * when the request was answered already (a bad value).
 */
static json_t *
web_route_args(struct web_conn *cn, struct web_req *hr,
    const struct web_match *m)
{
	json_t		*args;
	json_error_t	 jerr;
	char		*cause;
	int64_t		 owner;

	if (hr->hr_length > 0 && strcmp(hr->hr_method, "GET") != 0) {
		args = json_loadb(hr->hr_body, hr->hr_length,
		    JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(args)) {
			json_decref(args);
			web_http_error(cn, 400, "invalid_argument", "the body is "
			    "not a JSON object");
			return NULL;
		}
	} else
		args = json_object();
	if (m->wm_name != NULL) {
		if (validate_name(m->wm_name, &cause) == -1)
			goto bad;
		json_object_set_new(args, "name", json_string(m->wm_name));
	}
	if (m->wm_tag != NULL) {
		if (validate_name(m->wm_tag, &cause) == -1)
			goto bad;
		json_object_set_new(args, "tag", json_string(m->wm_tag));
	}
	if ((owner = web_route_owner(cn, hr)) == -2) {
		json_decref(args);
		return NULL;
	}
	if (owner >= 0)
		json_object_set_new(args, "owner", json_integer(owner));
	return args;
bad:
	json_decref(args);
	web_http_error(cn, 400, "invalid_argument", "%s", cause);
	free(cause);
	return NULL;
}

void
web_route_dispatch(struct web_conn *cn, struct web_req *hr)
{
	const struct web_route	*wr, *found = NULL;
	struct web_session	*s = NULL;
	struct web_match	 m;
	const char		*origin = web_parse_header(hr, "origin");
	const char		*path = hr->hr_path, *csrf;
	char			*rest;
	json_t			*args;
	size_t			 i;
	int64_t			 owner;
	int			 guarded, ws, path_known = 0;

	if (origin != NULL && !web_parse_origin_ok(origin,
	    web_parse_header(hr, "host"))) {
		web_http_error(cn, 403, "permission_denied", "the request comes "
		    "from another site (Origin %.100s)", origin);
		return;
	}
	ws = strncmp(path, "/ws/", 4) == 0;
	guarded = (ws || strncmp(path, "/api/", 5) == 0 ||
	    strcmp(path, "/api") == 0) && strcmp(path, "/api/session") != 0;
	if (guarded || strcmp(path, "/api/session") == 0)
		s = web_route_session(hr);
	if (s != NULL)
		web_http_set_user(cn, s->ss_user);
	if (guarded) {
		if (s == NULL) {
			web_http_error(cn, 401, "permission_denied", "log in first");
			return;
		}
		if (ws && origin == NULL) {
			web_http_error(cn, 403, "permission_denied", "a WebSocket "
			    "needs an Origin");
			return;
		}
	}
	if (s != NULL && web_route_changes(hr->hr_method) &&
	    !(strcmp(path, "/api/session") == 0 &&
	    strcmp(hr->hr_method, "POST") == 0)) {
		csrf = web_parse_header(hr, "x-csrf-token");
		if (csrf == NULL || !web_session_csrf_ok(s, csrf)) {
			web_http_error(cn, 403, "permission_denied", "the request "
			    "lacks the session's X-CSRF-Token");
			return;
		}
	}
	for (i = 0; i < sizeof(web_routes) / sizeof(*web_routes); i++) {
		wr = &web_routes[i];
		if (!web_route_match(wr->wr_pattern, path, &m))
			continue;
		path_known = 1;
		if (strcmp(wr->wr_method, hr->hr_method) == 0) {
			found = wr;
			break;
		}
	}
	if (found == NULL && !path_known && strcmp(hr->hr_method, "GET") == 0 &&
	    strchr(path + 1, '/') == NULL && web_static_type(path) != NULL &&
	    strcmp(web_static_type(path), web_static_type("x.html")) == 0) {
		/* a page of the panel: /vm.html, /login.html */
		web_static_serve(cn, web_conf.wcf_static_dir, path + 1);
		return;
	}
	if (found == NULL) {
		if (path_known)
			web_http_error(cn, 405, "invalid_argument", "%s is not "
			    "allowed here", hr->hr_method);
		else
			web_http_error(cn, 404, "not_found", "no such page");
		return;
	}
	switch (found->wr_kind) {
	case RK_PAGE:
		web_static_serve(cn, web_conf.wcf_static_dir, found->wr_what);
		break;
	case RK_FILES:
		if (found->wr_what != NULL) {
			rest = xasprintf("%s%s", found->wr_what, m.wm_rest);
			web_static_serve(cn, web_route_dir(found->wr_arg), rest);
			free(rest);
		} else
			web_static_serve(cn, web_route_dir(found->wr_arg),
			    m.wm_rest);
		break;
	case RK_LOGIN:
		if (strcmp(hr->hr_method, "POST") == 0)
			web_login_post(cn, hr);
		else if (s == NULL)
			web_http_error(cn, 401, "permission_denied",
			    "log in first");
		else if (strcmp(hr->hr_method, "GET") == 0)
			web_login_get(cn, s);
		else
			web_login_delete(cn, s);
		break;
	case RK_API:
		if ((args = web_route_args(cn, hr, &m)) != NULL)
			web_api_call(cn, s, found->wr_what, args);
		break;
	case RK_WS:
		if (m.wm_name != NULL && validate_name(m.wm_name, NULL) == -1) {
			web_http_error(cn, 400, "invalid_argument", "not a VM's "
			    "name");
			break;
		}
		owner = -1;
		if (m.wm_name != NULL && (owner = web_route_owner(cn, hr)) == -2)
			break;
		web_proxy_open(cn, s, found->wr_arg, m.wm_name, owner);
		break;
	}
}
