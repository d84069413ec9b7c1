/*
 * fuzz_proto.c: the control protocol's decoding, proto.c, with one
 * request line per input.  It owns the checks that what
 * proto_request_parse accepts has the shape proto.h promises, that the
 * argument helpers take and refuse exactly what their contracts say, and
 * that a request or reply built from what was read encodes to one ASCII
 * line that parses back to the same thing.  The input also goes through
 * fwsctl's reply parser.  Which commands exist is cmd.c's business; a few
 * of its argument lists stand in for the table here.
 */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "proto.h"

#define SENTINEL	0x5a5a5a5a5a5a5a5aULL

/* Argument lists as cmd.c's table has them, NULL terminated. */
static const char *const create_args[] = { "name", "vcpus", "memory_mib",
	"disks", "iso", "kernel", "initrd", "append", "mac", "restart",
	"autostart", "nics", NULL };
static const char *const net_create_args[] = { "name", "bridge", "uplink",
	"address", "nat", "dhcp_start", "dhcp_end", "autostart", NULL };
static const char *const events_args[] = { "name", "follow", "limit", NULL };
static const char *const stop_args[] = { "name", "timeout", NULL };
static const char *const no_args[] = { NULL };
static const char *const *const arg_lists[] = { create_args,
	net_create_args, events_args, stop_args, no_args };

/* Bounds as the handlers use them. */
static const struct {
	uint64_t	min, max;
} bounds[] = {
	{ 0, 3600 }, { 1, 255 }, { 16, 65536 }, { 0, 1000000 },
	{ 1, 2ULL << 40 }, { 0, UINT64_MAX },
};

/* Equal as JSON, reals to the 13 digits proto_encode keeps. */
static int
same_json(json_t *a, json_t *b)
{
	const char	*key;
	json_t		*v;
	double		 x, y;
	size_t		 i;

	if (json_is_real(a) && json_is_real(b)) {
		x = json_real_value(a);
		y = json_real_value(b);
		return fabs(x - y) <= 1e-12 * fmax(fabs(x), fabs(y));
	}
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach(a, key, v)
			if (json_object_get(b, key) == NULL ||
			    !same_json(v, json_object_get(b, key)))
				return 0;
		return 1;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++)
			if (!same_json(json_array_get(a, i),
			    json_array_get(b, i)))
				return 0;
		return 1;
	}
	return json_equal(a, b);
}

/* One line of ASCII, control characters escaped, ending in its newline. */
static void
check_line(const char *line, size_t len)
{
	size_t	 i;

	FUZZ_ASSERT(line != NULL && len > 1);
	FUZZ_ASSERT(strlen(line) == len);
	FUZZ_ASSERT(line[len - 1] == '\n');
	for (i = 0; i < len - 1; i++)
		FUZZ_ASSERT(line[i] >= 0x20 && line[i] <= 0x7f);
}

static void	check_reply(json_t *, json_t *, unsigned, const char *);

/*
 * Handlers quote what a client sent, cut to a number of bytes: the
 * error reply must still go out.
 */
static void
check_quoted(const char *fmt, int width, const char *s)
{
	char	*msg;

	if (asprintf(&msg, fmt, width, s) == -1)
		abort();
	check_reply(json_null(), NULL, PROTO_ERR_NOT_FOUND, msg);
	free(msg);
}

static void
check_string(json_t *args, const char *key, int required)
{
	static const char	 unset[] = "unset";
	json_t			*v = json_object_get(args, key);
	const char		*out = unset;
	char			*cause = NULL;
	int			 rc;

	rc = proto_arg_string(args, key, required, &out, &cause);
	if (v == NULL || json_is_null(v)) {
		FUZZ_ASSERT(out == NULL);
		FUZZ_ASSERT(rc == (required ? -1 : 0));
	} else if (json_is_string(v)) {
		FUZZ_ASSERT(rc == 0);
		FUZZ_ASSERT(out == json_string_value(v));
		FUZZ_ASSERT(strlen(out) == json_string_length(v));
		check_quoted("no VM named \"%.*s\"", 64, out);
	} else {
		FUZZ_ASSERT(rc == -1);
		FUZZ_ASSERT(out == NULL);
	}
	FUZZ_ASSERT((rc == -1) == (cause != NULL));
	free(cause);
}

static void
check_uint(json_t *args, const char *key, int required, uint64_t min,
    uint64_t max)
{
	json_t		*v = json_object_get(args, key);
	json_int_t	 n;
	uint64_t	 out = SENTINEL;
	char		*cause = NULL;
	int		 rc;

	rc = proto_arg_uint(args, key, required, min, max, &out, &cause);
	if (v == NULL || json_is_null(v)) {
		FUZZ_ASSERT(rc == (required ? -1 : 0));
		FUZZ_ASSERT(out == SENTINEL);
	} else if (json_is_integer(v) && (n = json_integer_value(v)) >= 0 &&
	    (uint64_t)n >= min && (uint64_t)n <= max) {
		FUZZ_ASSERT(rc == 0);
		FUZZ_ASSERT(out == (uint64_t)n);
	} else {
		FUZZ_ASSERT(rc == -1);
		FUZZ_ASSERT(out == SENTINEL);
	}
	FUZZ_ASSERT((rc == -1) == (cause != NULL));
	free(cause);
}

static void
check_bool(json_t *args, const char *key)
{
	json_t	*v = json_object_get(args, key);
	char	*cause = NULL;
	int	 rc, out = 7;

	rc = proto_arg_bool(args, key, &out, &cause);
	if (v == NULL || json_is_null(v)) {
		FUZZ_ASSERT(rc == 0 && out == 7);
	} else if (json_is_boolean(v)) {
		FUZZ_ASSERT(rc == 0 && out == json_is_true(v));
	} else {
		FUZZ_ASSERT(rc == -1 && out == 7);
	}
	FUZZ_ASSERT((rc == -1) == (cause != NULL));
	free(cause);
}

/* Refused exactly when some argument is not on the list. */
static void
check_allowed(json_t *args, const char *const *names)
{
	char	*cause = NULL;
	size_t	 i, known = 0;
	int	 rc;

	for (i = 0; names[i] != NULL; i++)
		if (json_object_get(args, names[i]) != NULL)
			known++;
	rc = proto_args_allowed(args, names, &cause);
	FUZZ_ASSERT(rc == (known == json_object_size(args) ? 0 : -1));
	FUZZ_ASSERT((rc == -1) == (cause != NULL));
	free(cause);
}

static void
check_args(json_t *args)
{
	const char	*key;
	json_t		*v;
	size_t		 i, j;

	for (i = 0; i < sizeof(arg_lists) / sizeof(*arg_lists); i++)
		check_allowed(args, arg_lists[i]);
	/* the names handlers ask for, and whatever the request brought */
	for (i = 0; create_args[i] != NULL; i++) {
		check_string(args, create_args[i], 0);
		check_string(args, create_args[i], 1);
		check_bool(args, create_args[i]);
		for (j = 0; j < sizeof(bounds) / sizeof(*bounds); j++)
			check_uint(args, create_args[i], j & 1,
			    bounds[j].min, bounds[j].max);
	}
	json_object_foreach(args, key, v) {
		check_string(args, key, 1);
		check_bool(args, key);
		for (j = 0; j < sizeof(bounds) / sizeof(*bounds); j++)
			check_uint(args, key, 1, bounds[j].min, bounds[j].max);
	}
}

/* What proto.h promises of a request that parsed. */
static void
check_request(const struct proto_request *pr)
{
	const char	*key;
	json_t		*v;

	FUZZ_ASSERT(json_is_object(pr->pr_root));
	FUZZ_ASSERT(pr->pr_id != NULL);
	FUZZ_ASSERT(!json_is_object(pr->pr_id) && !json_is_array(pr->pr_id));
	v = json_object_get(pr->pr_root, "id");
	FUZZ_ASSERT(v != NULL ? pr->pr_id == v : json_is_null(pr->pr_id));
	FUZZ_ASSERT(pr->pr_cmd != NULL);
	FUZZ_ASSERT(pr->pr_cmd == json_string_value(json_object_get(
	    pr->pr_root, "cmd")));
	FUZZ_ASSERT(json_is_object(pr->pr_args));
	FUZZ_ASSERT(pr->pr_args == json_object_get(pr->pr_root, "args"));
	json_object_foreach(pr->pr_root, key, v)
		FUZZ_ASSERT(strcmp(key, "id") == 0 || strcmp(key, "cmd") == 0 ||
		    strcmp(key, "args") == 0);
}

/*
 * The message of an error reply is the sentence given, each byte that
 * is not UTF-8 turned into '?': exactly the sentence when it is UTF-8.
 */
static void
check_message(const char *got, const char *msg)
{
	json_t	*s;
	size_t	 i;

	FUZZ_ASSERT(got != NULL && strlen(got) == strlen(msg));
	for (i = 0; msg[i] != '\0'; i++)
		FUZZ_ASSERT(got[i] == msg[i] || got[i] == '?');
	if ((s = json_string(msg)) != NULL)
		FUZZ_ASSERT(strcmp(got, msg) == 0);
	json_decref(s);
}

/* A reply to what was read encodes to a line fwsctl reads back. */
static void
check_reply(json_t *id, json_t *result, unsigned code, const char *msg)
{
	json_t	*reply, *back, *err;
	char	*line, *cause = NULL;
	size_t	 len;

	if (msg != NULL)
		reply = proto_reply_error(id, code, msg);
	else
		reply = proto_reply_ok(id, json_deep_copy(result));
	FUZZ_ASSERT(reply != NULL);
	line = proto_encode(reply, &len);
	FUZZ_ASSERT(line != NULL);
	check_line(line, len);
	FUZZ_ASSERT(proto_reply_parse(line, len - 1, &back, &cause) == 0);
	FUZZ_ASSERT(same_json(json_object_get(back, "id"), id));
	if (msg != NULL) {
		FUZZ_ASSERT(json_is_false(json_object_get(back, "ok")));
		err = json_object_get(back, "error");
		FUZZ_ASSERT(strcmp(json_string_value(json_object_get(err,
		    "code")), proto_err_code(code)) == 0);
		check_message(json_string_value(json_object_get(err,
		    "message")), msg);
	} else {
		FUZZ_ASSERT(json_is_true(json_object_get(back, "ok")));
		FUZZ_ASSERT(same_json(json_object_get(back, "result"), result));
	}
	json_decref(back);
	json_decref(reply);
	free(line);
}

/* fwsctl's request for what was read parses to the same request. */
static void
check_resend(const struct proto_request *pr)
{
	struct proto_request	 again;
	json_t			*req;
	char			*line, *cause = NULL;
	size_t			 len;

	req = proto_request_new(42, pr->pr_cmd, json_deep_copy(pr->pr_args));
	FUZZ_ASSERT(req != NULL);
	line = proto_encode(req, &len);
	FUZZ_ASSERT(line != NULL);
	check_line(line, len);
	if (len - 1 <= PROTO_MAX_LINE) {
		FUZZ_ASSERT(proto_request_parse(line, len - 1, &again,
		    &cause) == 0);
		check_request(&again);
		FUZZ_ASSERT(json_integer_value(again.pr_id) == 42);
		FUZZ_ASSERT(strcmp(again.pr_cmd, pr->pr_cmd) == 0);
		FUZZ_ASSERT(same_json(again.pr_args, pr->pr_args));
		proto_request_clear(&again);
	}
	json_decref(req);
	free(line);
}

/* fwsctl's side: a reply it accepts has the shape it then relies on. */
static void
check_client(const uint8_t *data, size_t size)
{
	json_t	*r, *err;
	char	*cause = NULL;

	if (proto_reply_parse((const char *)data, size, &r, &cause) == -1) {
		FUZZ_ASSERT(cause != NULL);
		free(cause);
		return;
	}
	FUZZ_ASSERT(json_is_object(r));
	if (json_object_get(r, "ok") == NULL)
		FUZZ_ASSERT(json_is_object(json_object_get(r, "event")));
	else if (json_is_false(json_object_get(r, "ok"))) {
		err = json_object_get(r, "error");
		FUZZ_ASSERT(json_is_string(json_object_get(err, "code")));
		FUZZ_ASSERT(json_is_string(json_object_get(err, "message")));
	} else
		FUZZ_ASSERT(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_request	 pr;
	char			*cause = NULL;

	if (proto_request_parse((const char *)data, size, &pr, &cause) == 0) {
		FUZZ_ASSERT(cause == NULL);
		check_request(&pr);
		check_quoted("unknown command \"%.*s\"", 32, pr.pr_cmd);
		check_args(pr.pr_args);
		check_reply(pr.pr_id, pr.pr_args, 0, NULL);
		check_resend(&pr);
	} else {
		FUZZ_ASSERT(cause != NULL);
		/* the id of a refused request is still fit for the reply */
		FUZZ_ASSERT(pr.pr_id != NULL);
		FUZZ_ASSERT(!json_is_object(pr.pr_id) &&
		    !json_is_array(pr.pr_id));
		check_reply(pr.pr_id, NULL, size % (PROTO_ERR_INTERNAL + 2),
		    cause);
		free(cause);
	}
	proto_request_clear(&pr);
	check_client(data, size);
	return 0;
}
