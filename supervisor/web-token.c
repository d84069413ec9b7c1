/*
 * web-token.c: one-time login links.  A local user asks fwsd for one
 * (web-login); the web front-end trades it for the user's uid
 * (web-redeem).  A token is 32 random bytes, written as 64 hex digits;
 * it is valid web_token_ttl seconds, once, and lives in memory alone:
 * a restart of fwsd forgets them all.  A user holds at most
 * FWS_WEB_TOKENS_USER at once (a new one pushes the oldest out).
 * Tokens are compared in constant time, every live one each time.
 */
#include <sys/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fws.h"
#include "log.h"

#define WEB_TOKEN_BYTES		32

struct web_token {
	TAILQ_ENTRY(web_token)	 wt_entry;
	unsigned char		 wt_secret[WEB_TOKEN_BYTES];
	uid_t			 wt_uid;
	time_t			 wt_ends;	/* CLOCK_MONOTONIC, s */
};
TAILQ_HEAD(web_tokens, web_token);

/* oldest first */
static struct web_tokens web_tokens = TAILQ_HEAD_INITIALIZER(web_tokens);

static time_t
web_token_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
web_token_free(struct web_token *wt)
{
	TAILQ_REMOVE(&web_tokens, wt, wt_entry);
	explicit_bzero(wt->wt_secret, sizeof(wt->wt_secret));
	free(wt);
}

/* Forget the tokens whose time is up. */
static void
web_token_prune(time_t now)
{
	struct web_token	*wt, *twt;

	TAILQ_FOREACH_SAFE(wt, &web_tokens, wt_entry, twt)
		if (wt->wt_ends <= now)
			web_token_free(wt);
}

/*
 * A new token for uid: its 64 hex digits in hex (65 bytes) and when it
 * ends, in Unix seconds.  -1 and why when none can be made.
 */
int
web_token_new(uid_t uid, char *hex, time_t *expires, char **cause)
{
	struct web_token	*wt, *oldest = NULL;
	time_t			 now = web_token_now();
	int			 n = 0, i;

	web_token_prune(now);
	TAILQ_FOREACH(wt, &web_tokens, wt_entry)
		if (wt->wt_uid == uid && n++ == 0)
			oldest = wt;
	if (n >= FWS_WEB_TOKENS_USER)
		web_token_free(oldest);
	if ((wt = calloc(1, sizeof(*wt))) == NULL)
		return cause_fail(cause, "out of memory");
	if (getrandom(wt->wt_secret, sizeof(wt->wt_secret), 0) !=
	    (ssize_t)sizeof(wt->wt_secret)) {
		free(wt);
		return cause_fail(cause, "no random bytes from the kernel");
	}
	wt->wt_uid = uid;
	wt->wt_ends = now + conf.cf_web_token_ttl;
	TAILQ_INSERT_TAIL(&web_tokens, wt, wt_entry);
	for (i = 0; i < WEB_TOKEN_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", wt->wt_secret[i]);
	*expires = time(NULL) + conf.cf_web_token_ttl;
	return 0;
}

/* 64 lower-case hex digits into 32 bytes; -1 when it is not that. */
static int
web_token_decode(const char *hex, unsigned char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	const char		*hi, *lo;
	int			 i;

	if (strlen(hex) != 2 * WEB_TOKEN_BYTES)
		return -1;
	for (i = 0; i < WEB_TOKEN_BYTES; i++) {
		if (hex[2 * i] == '\0' || hex[2 * i + 1] == '\0' ||
		    (hi = strchr(digits, hex[2 * i])) == NULL ||
		    (lo = strchr(digits, hex[2 * i + 1])) == NULL)
			return -1;
		out[i] = (hi - digits) << 4 | (lo - digits);
	}
	return 0;
}

/*
 * Trade a token for its user's uid: it is gone once used.  -1 when it
 * is no live token (used, expired, never made, or not hex).
 */
int
web_token_redeem(const char *hex, uid_t *uid)
{
	struct web_token	*wt, *found = NULL;
	unsigned char		 want[WEB_TOKEN_BYTES], diff;
	time_t			 now = web_token_now();
	int			 i;

	web_token_prune(now);
	if (web_token_decode(hex, want) == -1)
		return -1;
	/* every token, every byte: the time taken tells nothing */
	TAILQ_FOREACH(wt, &web_tokens, wt_entry) {
		diff = 0;
		for (i = 0; i < WEB_TOKEN_BYTES; i++)
			diff |= wt->wt_secret[i] ^ want[i];
		if (diff == 0)
			found = wt;
	}
	explicit_bzero(want, sizeof(want));
	if (found == NULL)
		return -1;
	*uid = found->wt_uid;
	web_token_free(found);
	return 0;
}

void
web_token_release(void)
{
	struct web_token	*wt;

	while ((wt = TAILQ_FIRST(&web_tokens)) != NULL)
		web_token_free(wt);
}
