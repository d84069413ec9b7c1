/*
 * test_proto.c: the control protocol parser and encoder.  Request lines
 * with the outcome each must have: parsed (command, id) or refused with
 * a sentence, the id kept for the error reply where it could be read.
 * The list of commands is sorted and each is found by its name.  "as",
 * the user the web front-end acts for, is a uid or nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "proto.h"

struct pcase {
	const char	*line;
	const char	*cmd;		/* NULL: must be refused */
	const char	*why;		/* part of the refusal */
	const char	*id;		/* the id as JSON, NULL: null */
};

static const struct pcase cases[] = {
	{ "{\"id\":1,\"cmd\":\"list\"}", "list", NULL, "1" },
	{ "{\"id\":\"a\",\"cmd\":\"start\",\"args\":{\"name\":\"x\"}}",
	    "start", NULL, "\"a\"" },
	{ "{\"cmd\":\"list\",\"args\":null}", "list", NULL, NULL },
	{ "{\"cmd\":\"list\"}", "list", NULL, NULL },
	{ "", NULL, "malformed JSON", NULL },
	{ "{", NULL, "malformed JSON", NULL },
	{ "not json", NULL, "malformed JSON", NULL },
	{ "[1,2]", NULL, "JSON object", NULL },
	{ "\"list\"", NULL, "malformed JSON", NULL },
	{ "{\"id\":7}", NULL, "no \"cmd\"", "7" },
	{ "{\"id\":7,\"cmd\":42}", NULL, "must be a string", "7" },
	{ "{\"id\":7,\"cmd\":\"x\",\"args\":[]}", NULL, "must be an object",
	    "7" },
	{ "{\"id\":{},\"cmd\":\"x\"}", NULL, "\"id\" must be", NULL },
	{ "{\"id\":1,\"cmd\":\"x\",\"extra\":1}", NULL, "only", "1" },
	{ "{\"cmd\":\"x\",\"extra\":1}", NULL, "only", NULL },
	{ "{\"id\":1,\"id\":2,\"cmd\":\"x\"}", NULL, "malformed JSON", NULL },
	{ "{\"id\":1,\"cmd\":\"a\\u0000b\"}", NULL, "malformed JSON", NULL },
};

static void
test_parse_cases(void **state)
{
	struct proto_request	 pr;
	const struct pcase	*c;
	char			*cause, *id;
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		c = &cases[i];
		cause = NULL;
		rc = proto_request_parse(c->line, strlen(c->line), &pr, &cause);
		if (c->cmd != NULL) {
			assert_int_equal(rc, 0);
			assert_string_equal(pr.pr_cmd, c->cmd);
			assert_true(json_is_object(pr.pr_args));
			assert_int_equal(pr.pr_as, -1);
		} else {
			assert_int_equal(rc, -1);
			assert_non_null(cause);
			if (strstr(cause, c->why) == NULL)
				fail_msg("case %zu: \"%s\" lacks \"%s\"", i,
				    cause, c->why);
			free(cause);
		}
		id = json_dumps(pr.pr_id, JSON_ENCODE_ANY);
		assert_string_equal(id, c->id ? c->id : "null");
		free(id);
		proto_request_clear(&pr);
	}
}

/* "as": a uid, or refused; -1 when absent (checked above) */
static const struct {
	const char	*line;
	long long	 as;		/* -2: must be refused */
} as_cases[] = {
	{ "{\"id\":1,\"cmd\":\"list\",\"as\":1001,\"args\":{}}", 1001 },
	{ "{\"cmd\":\"list\",\"as\":0}", 0 },
	{ "{\"cmd\":\"list\",\"as\":4294967294}", 4294967294LL },
	{ "{\"cmd\":\"list\",\"as\":4294967295}", -2 },
	{ "{\"cmd\":\"list\",\"as\":-1}", -2 },
	{ "{\"cmd\":\"list\",\"as\":\"1001\"}", -2 },
	{ "{\"cmd\":\"list\",\"as\":1.0}", -2 },
	{ "{\"cmd\":\"list\",\"as\":null}", -2 },
	{ "{\"cmd\":\"list\",\"as\":[1]}", -2 },
	{ "{\"cmd\":\"list\",\"as\":1,\"x\":1}", -2 },
	{ "{\"cmd\":\"list\",\"as\":1,\"as\":2}", -2 },
};

static void
test_parse_as(void **state)
{
	struct proto_request	 pr;
	char			*cause;
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(as_cases) / sizeof(*as_cases); i++) {
		cause = NULL;
		rc = proto_request_parse(as_cases[i].line,
		    strlen(as_cases[i].line), &pr, &cause);
		if (as_cases[i].as == -2) {
			if (rc != -1)
				fail_msg("case %zu parsed", i);
			free(cause);
		} else {
			assert_int_equal(rc, 0);
			assert_true(pr.pr_as == as_cases[i].as);
		}
		proto_request_clear(&pr);
	}
}

static void
test_parse_oversized(void **state)
{
	struct proto_request	 pr;
	char			*line, *cause;
	size_t			 len = PROTO_MAX_LINE + 100;

	(void)state;
	line = malloc(len);
	memset(line, ' ', len);
	assert_int_equal(proto_request_parse(line, len, &pr, &cause), -1);
	assert_non_null(strstr(cause, "at most"));
	free(cause);
	proto_request_clear(&pr);
	free(line);
}

static void
test_replies(void **state)
{
	json_t	*id = json_integer(5), *r, *parsed;
	char	*line, *cause;
	size_t	 len;

	(void)state;
	r = proto_reply_error(id, PROTO_ERR_NOT_FOUND, "no VM named \"x\"");
	line = proto_encode(r, &len);
	assert_string_equal(line, "{\"id\":5,\"ok\":false,\"error\":{\"code\":"
	    "\"not_found\",\"message\":\"no VM named \\\"x\\\"\"}}\n");
	assert_int_equal(len, strlen(line));
	assert_int_equal(proto_reply_parse(line, len - 1, &parsed, &cause), 0);
	json_decref(parsed);
	free(line);
	json_decref(r);

	r = proto_reply_ok(id, json_pack("{ss}", "state", "running"));
	line = proto_encode(r, &len);
	assert_string_equal(line, "{\"id\":5,\"ok\":true,\"result\":"
	    "{\"state\":\"running\"}}\n");
	free(line);
	json_decref(r);
	json_decref(id);

	assert_int_equal(proto_reply_parse("{\"id\":1}", 8, &parsed, &cause),
	    -1);
	free(cause);
	assert_int_equal(proto_reply_parse("{\"ok\":false}", 12, &parsed,
	    &cause), -1);
	free(cause);
	assert_string_equal(proto_err_code(PROTO_ERR_BAD_STATE), "bad_state");
	assert_string_equal(proto_err_code(99), "internal");
}

/* The message of an error reply as it goes out; the caller frees. */
static char *
error_message(json_t *id, const char *msg)
{
	json_t	*r;
	char	*s;

	r = proto_reply_error(id, PROTO_ERR_INVALID_ARGUMENT, msg);
	assert_non_null(r);
	s = strdup(json_string_value(json_object_get(json_object_get(r,
	    "error"), "message")));
	json_decref(r);
	return s;
}

/*
 * An error reply whose message is not UTF-8 still goes out, with '?' for
 * each bad byte: a client's name cut inside a character, or jansson's
 * own text about a line that is not UTF-8, used to leave the request
 * unanswered.
 */
static void
test_reply_not_utf8(void **state)
{
	static const char	 line[] = "{\"id\":4,\"cmd\":\"create\","
	    "\"args\":{\"n\\u00e\xcc\x9a\xdd\xc5}}";
	struct proto_request	 pr;
	json_t			*id = json_integer(3);
	char			*cause = NULL, *s;

	(void)state;
	s = error_message(id, "no VM named \"abc\xc3\"");
	assert_string_equal(s, "no VM named \"abc?\"");
	free(s);
	/* overlong, surrogate, past U+10FFFF, stray continuation, cut */
	s = error_message(id, "\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 "
	    "\x80 \xe2\x82");
	assert_string_equal(s, "?? ??? ???? ? ??");
	free(s);
	s = error_message(id, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe");
	assert_string_equal(s, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe");
	free(s);
	json_decref(id);

	assert_int_equal(proto_request_parse(line, sizeof(line) - 1, &pr,
	    &cause), -1);
	s = error_message(pr.pr_id, cause);
	assert_non_null(strstr(s, "malformed JSON"));
	free(s);
	free(cause);
	proto_request_clear(&pr);
}

static void
test_args(void **state)
{
	const char *const allowed[] = { "name", "timeout", NULL };
	json_t		*a;
	const char	*s;
	uint64_t	 n = 60;
	int		 b = 0;
	char		*cause;

	(void)state;
	a = json_pack("{ss si sb}", "name", "x", "timeout", 5, "flag", 1);
	assert_int_equal(proto_args_allowed(a, allowed, &cause), -1);
	assert_non_null(strstr(cause, "\"flag\""));
	free(cause);
	assert_int_equal(proto_arg_string(a, "name", 1, &s, &cause), 0);
	assert_string_equal(s, "x");
	assert_int_equal(proto_arg_string(a, "timeout", 1, &s, &cause), -1);
	assert_non_null(strstr(cause, "must be a string"));
	free(cause);
	assert_int_equal(proto_arg_string(a, "missing", 1, &s, &cause), -1);
	assert_non_null(strstr(cause, "required"));
	free(cause);
	assert_int_equal(proto_arg_string(a, "missing", 0, &s, &cause), 0);
	assert_null(s);
	assert_int_equal(proto_arg_uint(a, "timeout", 0, 0, 10, &n, &cause), 0);
	assert_true(n == 5);
	assert_int_equal(proto_arg_uint(a, "timeout", 0, 6, 10, &n, &cause),
	    -1);
	assert_non_null(strstr(cause, "between 6 and 10"));
	free(cause);
	assert_int_equal(proto_arg_uint(a, "name", 0, 0, 10, &n, &cause), -1);
	free(cause);
	assert_int_equal(proto_arg_bool(a, "flag", &b, &cause), 0);
	assert_int_equal(b, 1);
	assert_int_equal(proto_arg_bool(a, "name", &b, &cause), -1);
	free(cause);
	json_decref(a);

	a = json_pack("{si}", "timeout", -3);
	assert_int_equal(proto_arg_uint(a, "timeout", 0, 0, 10, &n, &cause),
	    -1);
	free(cause);
	json_decref(a);
	a = json_pack("{sf}", "timeout", 1.5);
	assert_int_equal(proto_arg_uint(a, "timeout", 0, 0, 10, &n, &cause),
	    -1);
	assert_non_null(strstr(cause, "integer"));
	free(cause);
	json_decref(a);
}

/* The commands: sorted, each found by its name, nothing else found. */
static void
test_cmds(void **state)
{
	int	 i;

	(void)state;
	for (i = 0; i < PROTO_NCMDS; i++) {
		assert_non_null(proto_cmds[i].pc_name);
		if (i > 0)
			assert_true(strcmp(proto_cmds[i - 1].pc_name,
			    proto_cmds[i].pc_name) < 0);
		assert_int_equal(proto_cmd_find(proto_cmds[i].pc_name), i);
	}
	assert_int_equal(proto_cmd_find("help"), -1);
	assert_int_equal(proto_cmd_find(""), -1);
	assert_int_equal(proto_cmd_find("start "), -1);
	assert_string_equal(proto_cmds[PROTO_CMD_NET_START].pc_name,
	    "net-start");
	assert_true(proto_cmds[PROTO_CMD_START].pc_flags & PROTO_SLOW);
	assert_false(proto_cmds[PROTO_CMD_LIST].pc_flags & PROTO_SLOW);
}

/* base64 both ways, RFC 4648's vectors, and what is not base64 */
static void
test_b64(void **state)
{
	static const char *const vec[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	static const char *const bad[] = { "Zg=", "Z===", "Zm9v!", "=Zm9",
	    "Zg==Zg==", "Zm 9", "Zm9v\n" };
	unsigned char	 bin[256];
	char		*e, *d;
	size_t		 i, len;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(*vec); i++) {
		e = proto_b64_encode(vec[i][0], strlen(vec[i][0]));
		assert_string_equal(e, vec[i][1]);
		d = proto_b64_decode(e, &len);
		assert_non_null(d);
		assert_int_equal(len, strlen(vec[i][0]));
		assert_memory_equal(d, vec[i][0], len);
		free(e);
		free(d);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if ((d = proto_b64_decode(bad[i], &len)) != NULL)
			fail_msg("\"%s\" decoded", bad[i]);
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 7 + 3);
	for (i = 0; i <= sizeof(bin); i += 17) {
		e = proto_b64_encode(bin, i);
		d = proto_b64_decode(e, &len);
		assert_int_equal(len, i);
		assert_memory_equal(d, bin, i);
		free(e);
		free(d);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmds),
		cmocka_unit_test(test_parse_cases),
		cmocka_unit_test(test_parse_as),
		cmocka_unit_test(test_parse_oversized),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_reply_not_utf8),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_b64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
