/*
 * test_web_parse.c: what fws-web reads from a browser (web-parse.c):
 * request heads accepted and refused (limits, smuggling shapes, bare
 * CR/LF, duplicated headers, Transfer-Encoding), keep-alive, cookies,
 * token lists, Origin against Host, ids, login names, queries; the
 * static files' paths (traversal, encoded or not, hidden files) and
 * types (web-static.c); fwsd's error codes to statuses (web-status.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "fws.h"
#include "web.h"

/* web-static.c's replies are not reached by the pure functions tested */
void
web_http_reply_file(struct web_conn *cn, const char *t, int fd, size_t len)
{
	(void)cn; (void)t; (void)fd; (void)len;
	fail();
}

void
web_http_error(struct web_conn *cn, int status, const char *code,
    const char *fmt, ...)
{
	(void)cn; (void)status; (void)code; (void)fmt;
	fail();
}

static int
parse(const char *head, struct web_req *hr)
{
	char	*cause = NULL;
	int	 rc;

	rc = web_parse_head(head, strlen(head), hr, &cause);
	if (rc == -1)
		assert_non_null(cause);
	free(cause);
	return rc;
}

static void
test_head(void **state)
{
	struct web_req	 hr;

	(void)state;
	assert_int_equal(parse("GET /api/vms?owner=1001 HTTP/1.1\r\n"
	    "Host: lab.example.org:8443\r\nCookie: a=b\r\n"
	    "X-Thing:   spaced value  \r\n\r\n", &hr), 0);
	assert_string_equal(hr.hr_method, "GET");
	assert_string_equal(hr.hr_path, "/api/vms");
	assert_string_equal(hr.hr_query, "owner=1001");
	assert_int_equal(hr.hr_minor, 1);
	assert_true(hr.hr_keep_alive);
	assert_string_equal(web_parse_header(&hr, "host"), "lab.example.org:8443");
	assert_string_equal(web_parse_header(&hr, "x-thing"), "spaced value");
	assert_null(web_parse_header(&hr, "origin"));
	web_parse_clear(&hr);

	assert_int_equal(parse("POST /api/session HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 42\r\nConnection: close\r\n\r\n", &hr), 0);
	assert_int_equal(hr.hr_length, 42);
	assert_false(hr.hr_keep_alive);
	web_parse_clear(&hr);

	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &hr), 0);
	assert_false(hr.hr_keep_alive);
	web_parse_clear(&hr);
}

static void
test_head_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"\r\n",
		"GET /\r\n\r\n",
		"GET / HTTP/2.0\r\nHost: h\r\n\r\n",
		"get / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET http://evil/ HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\n",			/* no Host */
		"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nCookie: a\r\nCookie: b\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
		    "Content-Length: 6\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -5\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5x\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",
		"GET / HTTP/1.1\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: \x01\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: caf\xc3\xa9\r\n\r\n",
		"GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n",
	};
	struct web_req	 hr;
	char		*big, *cause = NULL;
	size_t		 i, len;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		if (parse(bad[i], &hr) != -1)
			fail_msg("accepted: %s", bad[i]);
		web_parse_clear(&hr);
	}
	/* a NUL inside */
	assert_int_equal(web_parse_head("GET / HTTP/1.1\r\nHost: h\0\r\n\r\n",
	    27, &hr, &cause), -1);
	free(cause);
	web_parse_clear(&hr);
	/* more headers than allowed; a head over the limit */
	big = malloc(WEB_HEAD_MAX * 2);
	len = snprintf(big, WEB_HEAD_MAX, "GET / HTTP/1.1\r\nHost: h\r\n");
	for (i = 0; i < WEB_HEADERS_MAX; i++)
		len += snprintf(big + len, WEB_HEAD_MAX - len, "X-%zu: v\r\n", i);
	len += snprintf(big + len, WEB_HEAD_MAX - len, "\r\n");
	assert_int_equal(parse(big, &hr), -1);
	web_parse_clear(&hr);
	memset(big, 'a', WEB_HEAD_MAX * 2 - 1);
	memcpy(big, "GET / HTTP/1.1\r\nHost: h\r\nX: ", 28);
	memcpy(big + WEB_HEAD_MAX * 2 - 5, "\r\n\r\n", 5);
	assert_int_equal(parse(big, &hr), -1);
	web_parse_clear(&hr);
	free(big);
}

static void
test_cookie(void **state)
{
	char	 v[80];

	(void)state;
	assert_int_equal(web_parse_cookie("fws_session=abc", "fws_session", v,
	    sizeof(v)), 0);
	assert_string_equal(v, "abc");
	assert_int_equal(web_parse_cookie("a=1; fws_session=xyz; b=2",
	    "fws_session", v, sizeof(v)), 0);
	assert_string_equal(v, "xyz");
	assert_int_equal(web_parse_cookie("a=1;fws_session=q", "fws_session",
	    v, sizeof(v)), 0);
	assert_string_equal(v, "q");
	/* absent, a longer name, twice, too long */
	assert_int_equal(web_parse_cookie(NULL, "fws_session", v, sizeof(v)),
	    -1);
	assert_int_equal(web_parse_cookie("xfws_session=1; fws_sessionx=2",
	    "fws_session", v, sizeof(v)), -1);
	assert_int_equal(web_parse_cookie("fws_session=1; fws_session=2",
	    "fws_session", v, sizeof(v)), -1);
	assert_int_equal(web_parse_cookie("fws_session=0123456789", "fws_session",
	    v, 5), -1);
	assert_int_equal(web_parse_cookie("fws_session", "fws_session", v,
	    sizeof(v)), -1);
}

static void
test_tokens_origin(void **state)
{
	(void)state;
	assert_true(web_parse_has_token("keep-alive, Upgrade", "upgrade"));
	assert_true(web_parse_has_token("websocket", "websocket"));
	assert_false(web_parse_has_token("notwebsocket", "websocket"));
	assert_false(web_parse_has_token(NULL, "websocket"));
	assert_true(web_parse_has_token("chat,  binary ", "binary"));

	assert_true(web_parse_origin_ok("https://lab:8443", "lab:8443"));
	assert_true(web_parse_origin_ok("https://LAB:8443", "lab:8443"));
	assert_false(web_parse_origin_ok("http://lab:8443", "lab:8443"));
	assert_false(web_parse_origin_ok("https://lab:8443.evil", "lab:8443"));
	assert_false(web_parse_origin_ok("https://evil", "lab:8443"));
	assert_false(web_parse_origin_ok("null", "lab:8443"));
	assert_false(web_parse_origin_ok("https://lab:8443", NULL));
	assert_false(web_parse_origin_ok("https://", ""));
}

static void
test_ids_names(void **state)
{
	char	 id[WEB_ID_HEX + 1], v[16];

	(void)state;
	memset(id, 'a', WEB_ID_HEX);
	id[WEB_ID_HEX] = '\0';
	assert_true(web_parse_hex_id(id));
	id[3] = 'A';
	assert_false(web_parse_hex_id(id));
	id[3] = 'g';
	assert_false(web_parse_hex_id(id));
	id[3] = 'a';
	id[WEB_ID_HEX - 1] = '\0';
	assert_false(web_parse_hex_id(id));
	assert_false(web_parse_hex_id(NULL));

	assert_true(web_parse_login_name("alice"));
	assert_true(web_parse_login_name("_svc-1"));
	assert_false(web_parse_login_name(""));
	assert_false(web_parse_login_name("Alice"));
	assert_false(web_parse_login_name("1abc"));
	assert_false(web_parse_login_name("-x"));
	assert_false(web_parse_login_name("a b"));
	assert_false(web_parse_login_name("a/../b"));
	assert_false(web_parse_login_name("abcdefghijklmnopqrstuvwxyz0123456"));
	assert_true(web_parse_login_name("abcdefghijklmnopqrstuvwxyz012345"));

	assert_int_equal(web_parse_query("owner=1001&x=2", "owner", v,
	    sizeof(v)), 0);
	assert_string_equal(v, "1001");
	assert_int_equal(web_parse_query("x=2", "owner", v, sizeof(v)), -1);
	assert_int_equal(web_parse_query("owner=1&owner=2", "owner", v,
	    sizeof(v)), -2);
	assert_int_equal(web_parse_query("owner=12345678901234567890", "owner",
	    v, 16), -2);
	assert_int_equal(web_parse_query("", "owner", v, sizeof(v)), -1);
}

static void
test_static_path(void **state)
{
	static const char *const bad[] = {
		"", "..", "../etc/passwd", "a/../../etc/passwd", "a/..",
		"%2e%2e/%2e%2e/etc/passwd", "%2E%2E%2Fetc", "..%2f..%2fetc",
		"a//b", "a/", "/etc/passwd", ".hidden", "a/.git/config",
		"a%00.html", "a%zz", "a%2", "a\\..\\b", "a%5c..%5cb",
		"%2fetc%2fpasswd", "a%0a.js",
	};
	char	 out[256];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (web_static_path(bad[i], out, sizeof(out)) != -1)
			fail_msg("accepted: %s", bad[i]);
	assert_int_equal(web_static_path("core/rfb.js", out, sizeof(out)), 0);
	assert_string_equal(out, "core/rfb.js");
	assert_int_equal(web_static_path("a%20b.css", out, sizeof(out)), 0);
	assert_string_equal(out, "a b.css");
	assert_int_equal(web_static_path("x.js", out, 3), -1);

	assert_string_equal(web_static_type("panel.css"), "text/css; "
	    "charset=utf-8");
	assert_string_equal(web_static_type("core/rfb.js"), "text/javascript; "
	    "charset=utf-8");
	assert_null(web_static_type("passwd"));
	assert_null(web_static_type("a.sh"));
	assert_null(web_static_type("a.js/b"));
	assert_null(web_static_type("a.HTML"));
}

static void
test_status(void **state)
{
	(void)state;
	assert_int_equal(web_status_of("not_found"), 404);
	assert_int_equal(web_status_of("permission_denied"), 403);
	assert_int_equal(web_status_of("quota_exceeded"), 403);
	assert_int_equal(web_status_of("invalid_argument"), 400);
	assert_int_equal(web_status_of("unknown_command"), 400);
	assert_int_equal(web_status_of("busy"), 409);
	assert_int_equal(web_status_of("bad_state"), 409);
	assert_int_equal(web_status_of("failed"), 500);
	assert_int_equal(web_status_of("internal"), 500);
	assert_int_equal(web_status_of("something new"), 500);
	assert_int_equal(web_status_of(NULL), 500);
	assert_string_equal(web_status_reason(404), "Not Found");
	assert_string_equal(web_status_reason(429), "Too Many Requests");
	assert_string_equal(web_status_reason(299), "Unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_head_refused),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_tokens_origin),
		cmocka_unit_test(test_ids_names),
		cmocka_unit_test(test_static_path),
		cmocka_unit_test(test_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
