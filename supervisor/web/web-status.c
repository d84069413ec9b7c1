/*
 * web-status.c: HTTP statuses: fwsd's stable error codes (proto.h) to
 * the status fws-web answers with, in one table, and each status's
 * reason phrase.
 */
#include <string.h>

#include "web.h"

static const struct {
	const char	*code;
	int		 status;
} web_status_codes[] = {
	{ "not_found",		404 },
	{ "permission_denied",	403 },
	{ "quota_exceeded",	403 },
	{ "logged_out",		401 },	/* fwsd restarted: log in again */
	{ "invalid_argument",	400 },
	{ "unknown_command",	400 },
	{ "busy",		409 },
	{ "bad_state",		409 },
	{ "exists",		409 },
};

/* The status for fwsd's error code; 500 for any other. */
int
web_status_of(const char *code)
{
	size_t	 i;

	if (code == NULL)
		return 500;
	for (i = 0; i < sizeof(web_status_codes) / sizeof(*web_status_codes);
	    i++)
		if (strcmp(web_status_codes[i].code, code) == 0)
			return web_status_codes[i].status;
	return 500;
}

static const struct {
	int		 status;
	const char	*reason;
} web_status_reasons[] = {
	{ 101, "Switching Protocols" },
	{ 200, "OK" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 411, "Length Required" },
	{ 413, "Content Too Large" },
	{ 415, "Unsupported Media Type" },
	{ 426, "Upgrade Required" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
};

const char *
web_status_reason(int status)
{
	size_t	 i;

	for (i = 0; i < sizeof(web_status_reasons) /
	    sizeof(*web_status_reasons); i++)
		if (web_status_reasons[i].status == status)
			return web_status_reasons[i].reason;
	return "Unknown";
}
