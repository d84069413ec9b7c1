/*
 * proto.c: encoding and decoding of control protocol messages (see
 * proto.h), the commands by name, and type-checked access to request
 * arguments, and base64 for bytes a reply carries (a screenshot over
 * TLS).  No I/O; linked into fwsd and fwsctl alike.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "proto.h"

const struct proto_cmd_info proto_cmds[PROTO_NCMDS] = {
#define PROTO_CMD_INFO(id, name, flags) \
	[PROTO_CMD_##id] = { name, flags },
	PROTO_CMDS(PROTO_CMD_INFO)
#undef PROTO_CMD_INFO
};

/* The command of that name, or -1. */
int
proto_cmd_find(const char *name)
{
	int	 i;

	for (i = 0; i < PROTO_NCMDS; i++)
		if (strcmp(proto_cmds[i].pc_name, name) == 0)
			return i;
	return -1;
}

static const char *const proto_err_codes[] = {
	[PROTO_ERR_INVALID_ARGUMENT] = "invalid_argument",
	[PROTO_ERR_UNKNOWN_COMMAND] = "unknown_command",
	[PROTO_ERR_NOT_FOUND] = "not_found",
	[PROTO_ERR_EXISTS] = "exists",
	[PROTO_ERR_BUSY] = "busy",
	[PROTO_ERR_BAD_STATE] = "bad_state",
	[PROTO_ERR_FAILED] = "failed",
	[PROTO_ERR_INTERNAL] = "internal",
	[PROTO_ERR_PERMISSION] = "permission_denied",
	[PROTO_ERR_QUOTA] = "quota_exceeded",
	[PROTO_ERR_LOGGED_OUT] = "logged_out",
};

const char *
proto_err_code(enum proto_err e)
{
	if ((unsigned)e >= sizeof(proto_err_codes) / sizeof(*proto_err_codes))
		return "internal";
	return proto_err_codes[e];
}

/*
 * Parse one request line.  On failure *cause says why and pr_id is still
 * set when the line was an object with a usable id, so the error reply
 * can carry it.
 */
int
proto_request_parse(const char *line, size_t len, struct proto_request *pr,
    char **cause)
{
	json_error_t	 jerr;
	json_t		*cmd, *id, *as;
	size_t		 keys;

	memset(pr, 0, sizeof(*pr));
	pr->pr_id = json_null();
	pr->pr_as = -1;
	if (len > PROTO_MAX_LINE)
		return cause_fail(cause, "request is %zu bytes, at most %d are "
		    "allowed", len, PROTO_MAX_LINE);
	pr->pr_root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (pr->pr_root == NULL)
		return cause_fail(cause, "malformed JSON at column %d: %s",
		    jerr.column, jerr.text);
	if (!json_is_object(pr->pr_root))
		return cause_fail(cause, "a request must be a JSON object");
	id = json_object_get(pr->pr_root, "id");
	if (id != NULL) {
		if (json_is_object(id) || json_is_array(id))
			return cause_fail(cause, "\"id\" must be a number, string "
			    "or null");
		pr->pr_id = id;
	}
	cmd = json_object_get(pr->pr_root, "cmd");
	if (cmd == NULL)
		return cause_fail(cause, "the request has no \"cmd\"");
	if (!json_is_string(cmd))
		return cause_fail(cause, "\"cmd\" must be a string");
	pr->pr_cmd = json_string_value(cmd);
	pr->pr_args = json_object_get(pr->pr_root, "args");
	if (pr->pr_args == NULL || json_is_null(pr->pr_args)) {
		pr->pr_args = json_object();
		json_object_set_new(pr->pr_root, "args", pr->pr_args);
	} else if (!json_is_object(pr->pr_args))
		return cause_fail(cause, "\"args\" must be an object");
	/* "as": the uid the web front-end acts for (who may send it is
	   fwsd's to say) */
	if ((as = json_object_get(pr->pr_root, "as")) != NULL) {
		if (!json_is_integer(as) || json_integer_value(as) < 0 ||
		    json_integer_value(as) >= UINT32_MAX)
			return cause_fail(cause, "\"as\" must be a uid (a whole "
			    "number from 0 to %u)", UINT32_MAX - 1);
		pr->pr_as = json_integer_value(as);
	}
	keys = 2 + (id != NULL) + (as != NULL);
	if (json_object_size(pr->pr_root) != keys)
		return cause_fail(cause, "a request has only \"id\", \"cmd\", "
		    "\"args\" and \"as\"");
	return 0;
}

void
proto_request_clear(struct proto_request *pr)
{
	json_decref(pr->pr_root);
	memset(pr, 0, sizeof(*pr));
}

json_t *
proto_request_new(json_int_t id, const char *cmd, json_t *args)
{
	return json_pack("{sI ss so}", "id", id, "cmd", cmd,
	    "args", args ? args : json_object());
}

json_t *
proto_reply_ok(json_t *id, json_t *result)
{
	return json_pack("{sO sb so}", "id", id ? id : json_null(), "ok", 1,
	    "result", result ? result : json_null());
}

json_t *
proto_reply_error(json_t *id, enum proto_err code, const char *msg)
{
	json_t	*r;
	char	*clean;

	if ((clean = utf8_clean(msg ? msg : "")) == NULL)
		return NULL;
	r = json_pack("{sO sb s{ss ss}}", "id", id ? id : json_null(),
	    "ok", 0, "error", "code", proto_err_code(code), "message", clean);
	free(clean);
	return r;
}

/* One compact line with its newline; the caller frees. */
char *
proto_encode(json_t *msg, size_t *lenp)
{
	char	*s, *line;
	size_t	 len;

	/* 13 digits: event times to the millisecond */
	s = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII |
	    JSON_REAL_PRECISION(13));
	if (s == NULL)
		return NULL;
	len = strlen(s);
	line = realloc(s, len + 2);
	if (line == NULL) {
		free(s);
		return NULL;
	}
	line[len] = '\n';
	line[len + 1] = '\0';
	if (lenp != NULL)
		*lenp = len + 1;
	return line;
}

/* Parse a reply line and check its shape; *reply is the whole object. */
int
proto_reply_parse(const char *line, size_t len, json_t **reply, char **cause)
{
	json_error_t	 jerr;
	json_t		*r, *ok, *err;

	r = json_loadb(line, len, 0, &jerr);
	if (r == NULL)
		return cause_fail(cause, "malformed reply from fwsd: %s", jerr.text);
	ok = json_object_get(r, "ok");
	/* a streamed event or a job's progress answers nothing */
	if (json_is_object(r) && ok == NULL &&
	    (json_is_object(json_object_get(r, "event")) ||
	    json_is_object(json_object_get(r, "progress")))) {
		*reply = r;
		return 0;
	}
	if (!json_is_object(r) || !json_is_boolean(ok))
		goto bad;
	if (json_is_false(ok)) {
		err = json_object_get(r, "error");
		if (!json_is_string(json_object_get(err, "code")) ||
		    !json_is_string(json_object_get(err, "message")))
			goto bad;
	}
	*reply = r;
	return 0;
bad:
	json_decref(r);
	return cause_fail(cause, "reply from fwsd lacks \"ok\" or \"error\"");
}

/* Refuse argument names not in the NULL-terminated list. */
int
proto_args_allowed(json_t *args, const char *const *names, char **cause)
{
	const char	*key;
	json_t		*v;
	int		 i;

	json_object_foreach(args, key, v) {
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(key, names[i]) == 0)
				break;
		if (names[i] == NULL)
			return cause_fail(cause, "unknown argument \"%.64s\"", key);
	}
	return 0;
}

int
proto_arg_string(json_t *args, const char *key, int required,
    const char **out, char **cause)
{
	json_t	*v = json_object_get(args, key);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (required)
			return cause_fail(cause, "argument \"%s\" is required", key);
		return 0;
	}
	if (!json_is_string(v))
		return cause_fail(cause, "argument \"%s\" must be a string", key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return cause_fail(cause, "argument \"%s\" contains a NUL byte", key);
	*out = json_string_value(v);
	return 0;
}

/*
 * A number of CPUs as a string ("1.5") in thousandths; absent or null:
 * -1.
 */
int
proto_arg_cpus(json_t *args, const char *key, int64_t *out, char **cause)
{
	json_t		*v = json_object_get(args, key);
	unsigned	 milli;
	char		*why;

	*out = -1;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return cause_fail(cause, "\"%s\" must be a number of CPUs as a "
		    "string, like \"1.5\"", key);
	if (parse_cpus(json_string_value(v), &milli, &why) == -1) {
		cause_fail(cause, "%s %s", key, why);
		free(why);
		return -1;
	}
	*out = milli;
	return 0;
}

/* An integer in [min, max]; absent leaves *out alone unless required. */
int
proto_arg_uint(json_t *args, const char *key, int required, uint64_t min,
    uint64_t max, uint64_t *out, char **cause)
{
	json_t		*v = json_object_get(args, key);
	json_int_t	 n;

	if (v == NULL || json_is_null(v)) {
		if (required)
			return cause_fail(cause, "argument \"%s\" is required", key);
		return 0;
	}
	if (!json_is_integer(v))
		return cause_fail(cause, "argument \"%s\" must be an integer", key);
	n = json_integer_value(v);
	if (n < 0 || (uint64_t)n < min || (uint64_t)n > max)
		return cause_fail(cause, "argument \"%s\" is %lld, it must be between "
		    "%llu and %llu", key, (long long)n,
		    (unsigned long long)min, (unsigned long long)max);
	*out = (uint64_t)n;
	return 0;
}

int
proto_arg_bool(json_t *args, const char *key, int *out, char **cause)
{
	json_t	*v = json_object_get(args, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return cause_fail(cause, "argument \"%s\" must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

static const char proto_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* len bytes as base64 (RFC 4648, padded), NUL-terminated; NULL: no memory. */
char *
proto_b64_encode(const void *data, size_t len)
{
	const unsigned char	*p = data;
	char			*out, *o;
	uint32_t		 v;
	size_t			 i;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3 ||
	    (out = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = proto_b64[v >> 18];
		*o++ = proto_b64[(v >> 12) & 63];
		*o++ = proto_b64[(v >> 6) & 63];
		*o++ = proto_b64[v & 63];
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 :
		    0);
		*o++ = proto_b64[v >> 18];
		*o++ = proto_b64[(v >> 12) & 63];
		*o++ = i + 1 < len ? proto_b64[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/*
 * Padded base64 back to bytes (*len of them); NULL when it is not
 * base64 (or memory runs out).
 */
void *
proto_b64_decode(const char *s, size_t *len)
{
	unsigned char	*out;
	const char	*c;
	size_t		 n = strlen(s), i, j, pad = 0;
	uint32_t	 v;
	int		 k, d;

	if (n % 4 != 0)
		return NULL;
	if (n > 0 && s[n - 1] == '=')
		pad = n > 1 && s[n - 2] == '=' ? 2 : 1;
	if ((out = malloc(n / 4 * 3 + 1)) == NULL)
		return NULL;
	for (i = 0, j = 0; i < n; i += 4) {
		for (v = 0, k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 4 - (int)pad)
				d = 0;
			else if (s[i + k] == '\0' ||
			    (c = strchr(proto_b64, s[i + k])) == NULL) {
				free(out);
				return NULL;
			} else
				d = (int)(c - proto_b64);
			v = v << 6 | (uint32_t)d;
		}
		out[j++] = v >> 16;
		out[j++] = (v >> 8) & 0xff;
		out[j++] = v & 0xff;
	}
	*len = j - pad;
	return out;
}
