/*
 * web-parse.c: what fws-web reads from a browser, parsed without I/O: an
 * HTTP/1.1 request head (request line and headers, with their limits),
 * the Cookie, Connection and Upgrade headers, the query, the Origin
 * against the Host, and the shapes of ids and login names.  Anything
 * it cannot read with certainty it refuses: web-http.c answers 400.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fws.h"
#include "web.h"

/* A header a request must not carry twice: two could be read two ways. */
static const char *const web_parse_single[] = {
	"host", "origin", "cookie", "content-length", "x-csrf-token",
	"sec-websocket-key", "sec-websocket-version", "transfer-encoding",
	"upgrade", "content-type",
};

static int
tchar(int c)
{
	return isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
blank(int c)
{
	return c == ' ' || c == '\t';
}

/* A header's name, in lower case in place; -1 when it is no token. */
static int
web_parse_name(char *s)
{
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (!tchar((unsigned char)*s))
			return -1;
		*s = tolower((unsigned char)*s);
	}
	return 0;
}

/* Visible ASCII and blanks only: no controls, nothing above 0x7e. */
static int
web_parse_value_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (!blank(*s) && (*s < 0x21 || *s > 0x7e))
			return -1;
	return 0;
}

static int
web_parse_line(struct web_req *hr, char *line, char **cause)
{
	char	*colon, *v, *e;
	size_t	 i;

	if (hr->hr_nheaders == WEB_HEADERS_MAX)
		return cause_fail(cause, "more than %d headers", WEB_HEADERS_MAX);
	if (blank(*line))
		return cause_fail(cause, "a folded header line");
	if ((colon = strchr(line, ':')) == NULL)
		return cause_fail(cause, "a header line without ':'");
	*colon = '\0';
	if (web_parse_name(line) == -1)
		return cause_fail(cause, "a header's name is not a token");
	v = colon + 1;
	while (blank(*v))
		v++;
	e = v + strlen(v);
	while (e > v && blank(e[-1]))
		*--e = '\0';
	if (web_parse_value_ok(v) == -1)
		return cause_fail(cause, "header %s holds control or non-ASCII "
		    "characters", line);
	for (i = 0; i < sizeof(web_parse_single) / sizeof(*web_parse_single);
	    i++)
		if (strcmp(line, web_parse_single[i]) == 0 &&
		    web_parse_header(hr, line) != NULL)
			return cause_fail(cause, "header %s given twice", line);
	hr->hr_headers[hr->hr_nheaders].wh_name = line;
	hr->hr_headers[hr->hr_nheaders].wh_value = v;
	hr->hr_nheaders++;
	return 0;
}

static int
web_parse_request_line(struct web_req *hr, char *line, char **cause)
{
	char	*sp1, *sp2, *target, *q, *p;

	if ((sp1 = strchr(line, ' ')) == NULL ||
	    (sp2 = strchr(sp1 + 1, ' ')) == NULL || strchr(sp2 + 1, ' '))
		return cause_fail(cause, "a malformed request line");
	*sp1 = *sp2 = '\0';
	hr->hr_method = line;
	for (p = line; *p != '\0'; p++)
		if (!isupper((unsigned char)*p))
			return cause_fail(cause, "a malformed method");
	if (*line == '\0' || strlen(line) > 16)
		return cause_fail(cause, "a malformed method");
	target = sp1 + 1;
	if (*target != '/')
		return cause_fail(cause, "the target is not a path");
	for (p = target; *p != '\0'; p++)
		if (*p < 0x21 || *p > 0x7e || *p == '#')
			return cause_fail(cause, "the target holds a character "
			    "that is not allowed");
	if ((q = strchr(target, '?')) != NULL) {
		*q = '\0';
		hr->hr_query = q + 1;
	} else
		hr->hr_query = "";
	hr->hr_path = target;
	if (strcmp(sp2 + 1, "HTTP/1.1") == 0)
		hr->hr_minor = 1;
	else if (strcmp(sp2 + 1, "HTTP/1.0") == 0)
		hr->hr_minor = 0;
	else
		return cause_fail(cause, "not HTTP/1.0 or HTTP/1.1");
	return 0;
}

/*
 * Parse the head (len bytes, its blank line included) into hr.  On
 * failure, *cause says why; the caller answers 400 (or 501 for a body
 * sent in chunks) and closes.
 */
int
web_parse_head(const char *head, size_t len, struct web_req *hr,
    char **cause)
{
	const char	*v, *conn;
	char		*line, *next, *end;
	unsigned long long n;
	int		 first = 1;

	memset(hr, 0, sizeof(*hr));
	if (len > WEB_HEAD_MAX)
		return cause_fail(cause, "the request head is over %d bytes",
		    WEB_HEAD_MAX);
	if (memchr(head, '\0', len) != NULL)
		return cause_fail(cause, "a NUL in the request head");
	if ((hr->hr_buf = malloc(len + 1)) == NULL)
		return cause_fail(cause, "out of memory");
	memcpy(hr->hr_buf, head, len);
	hr->hr_buf[len] = '\0';
	for (line = hr->hr_buf; *line != '\0'; line = next) {
		if ((end = strstr(line, "\r\n")) == NULL)
			return cause_fail(cause, "a line without CRLF");
		*end = '\0';
		next = end + 2;
		if (strchr(line, '\r') != NULL || strchr(line, '\n') != NULL)
			return cause_fail(cause, "a bare CR or LF");
		if (*line == '\0')
			break;
		if (first) {
			if (web_parse_request_line(hr, line, cause) == -1)
				return -1;
			first = 0;
		} else if (web_parse_line(hr, line, cause) == -1)
			return -1;
	}
	if (first)
		return cause_fail(cause, "no request line");
	if (web_parse_header(hr, "transfer-encoding") != NULL)
		return cause_fail(cause, "Transfer-Encoding is not supported: "
		    "send Content-Length");
	if ((v = web_parse_header(hr, "content-length")) != NULL) {
		if (*v == '\0' || strspn(v, "0123456789") != strlen(v) ||
		    strlen(v) > 12)
			return cause_fail(cause, "a malformed Content-Length");
		n = strtoull(v, NULL, 10);
		hr->hr_length = n;
	}
	if (hr->hr_minor == 1 && web_parse_header(hr, "host") == NULL)
		return cause_fail(cause, "HTTP/1.1 without Host");
	if ((v = web_parse_header(hr, "host")) != NULL &&
	    (*v == '\0' || strspn(v, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != strlen(v)))
		return cause_fail(cause, "a malformed Host");
	conn = web_parse_header(hr, "connection");
	if (hr->hr_minor == 1)
		hr->hr_keep_alive = conn == NULL ||
		    !web_parse_has_token(conn, "close");
	else
		hr->hr_keep_alive = 0;
	return 0;
}

void
web_parse_clear(struct web_req *hr)
{
	free(hr->hr_buf);
	free(hr->hr_body);
	memset(hr, 0, sizeof(*hr));
}

/* The value of the header of that (lower-case) name, or NULL. */
const char *
web_parse_header(const struct web_req *hr, const char *name)
{
	int	 i;

	for (i = 0; i < hr->hr_nheaders; i++)
		if (strcmp(hr->hr_headers[i].wh_name, name) == 0)
			return hr->hr_headers[i].wh_value;
	return NULL;
}

/*
 * The value of cookie name in a Cookie header, copied to out: 0, or -1
 * when it is absent, given twice (which one would count?), or too long.
 */
int
web_parse_cookie(const char *header, const char *name, char *out,
    size_t outlen)
{
	const char	*p, *eq, *end;
	size_t		 nlen = strlen(name), vlen;
	int		 found = 0;

	if (header == NULL)
		return -1;
	for (p = header; *p != '\0'; p = *end ? end + 1 : end) {
		while (*p == ' ')
			p++;
		end = p + strcspn(p, ";");
		eq = memchr(p, '=', end - p);
		if (eq == NULL || (size_t)(eq - p) != nlen ||
		    memcmp(p, name, nlen) != 0)
			continue;
		vlen = end - (eq + 1);
		while (vlen > 0 && eq[vlen] == ' ')
			vlen--;
		if (found || vlen >= outlen)
			return -1;
		memcpy(out, eq + 1, vlen);
		out[vlen] = '\0';
		found = 1;
	}
	return found ? 0 : -1;
}

/* Is token one of a comma-separated list (any case)? */
int
web_parse_has_token(const char *list, const char *token)
{
	const char	*p, *end, *s, *e;
	size_t		 len = strlen(token);

	if (list == NULL)
		return 0;
	for (p = list; *p != '\0'; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ",");
		for (s = p; s < end && blank(*s); s++)
			;
		for (e = end; e > s && blank(e[-1]); e--)
			;
		if ((size_t)(e - s) == len && strncasecmp(s, token, len) == 0)
			return 1;
	}
	return 0;
}

/* Is origin this server's own, "https://" and the Host? */
int
web_parse_origin_ok(const char *origin, const char *host)
{
	static const char	 scheme[] = "https://";

	if (origin == NULL || host == NULL || *host == '\0')
		return 0;
	if (strncasecmp(origin, scheme, sizeof(scheme) - 1) != 0)
		return 0;
	return strcasecmp(origin + sizeof(scheme) - 1, host) == 0;
}

/* Exactly WEB_ID_HEX lower-case hex digits? */
int
web_parse_hex_id(const char *s)
{
	return s != NULL && strlen(s) == WEB_ID_HEX &&
	    strspn(s, "0123456789abcdef") == WEB_ID_HEX;
}

/*
 * A query parameter's value, as given (web-route.c wants digits only,
 * so nothing is decoded): 0, -1 when absent, -2 when given twice or
 * too long (a request to refuse, not one to read as naming nothing).
 */
int
web_parse_query(const char *query, const char *name, char *out,
    size_t outlen)
{
	const char	*p, *end, *eq;
	size_t		 nlen = strlen(name), vlen;
	int		 found = 0;

	for (p = query; *p != '\0'; p = *end ? end + 1 : end) {
		end = p + strcspn(p, "&");
		eq = memchr(p, '=', end - p);
		if (eq == NULL || (size_t)(eq - p) != nlen ||
		    memcmp(p, name, nlen) != 0)
			continue;
		vlen = end - (eq + 1);
		if (found || vlen >= outlen)
			return -2;
		memcpy(out, eq + 1, vlen);
		out[vlen] = '\0';
		found = 1;
	}
	return found ? 0 : -1;
}

/* A login name as fwsd takes it: ^[a-z_][a-z0-9_-]{0,31}$ */
int
web_parse_login_name(const char *s)
{
	size_t	 len;

	if (s == NULL || (len = strlen(s)) == 0 || len > WEB_NAME_MAX)
		return 0;
	if (!(islower((unsigned char)*s) || *s == '_'))
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len;
}
