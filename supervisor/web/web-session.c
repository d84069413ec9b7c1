/*
 * web-session.c: the logged-in browsers.  A session is a random 256-bit
 * id (the cookie) with the uid fwsd gave at login, whether an admin,
 * the name shown, and a random 256-bit CSRF token; it ends after
 * session_idle without a request or session_max after the login, at
 * logout, or when its user logs in a WEB_SESSIONS_PER_UID+1th time
 * (the oldest goes).  In memory only: a restart forgets every session.
 * Ids and tokens are compared in constant time.  The clock is given at
 * init, so that tests can move time.
 */
#include <sys/queue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "fws.h"
#include "web.h"

struct web_session_entry {
	TAILQ_ENTRY(web_session_entry)	 se_entry;
	struct web_session		 se_s;
};
TAILQ_HEAD(web_sessions, web_session_entry);

static struct web_sessions	 web_sessions =
    TAILQ_HEAD_INITIALIZER(web_sessions);
static size_t			 web_session_n;
static int64_t			 web_session_idle = WEB_SESSION_IDLE;
static int64_t			 web_session_max = WEB_SESSION_MAX;
static int64_t			(*web_session_clock)(void) = web_clock;

/* Seconds on a clock that never goes back. */
int64_t
web_clock(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

void
web_session_init(int64_t idle, int64_t max, int64_t (*clock)(void))
{
	web_session_idle = idle;
	web_session_max = max;
	web_session_clock = clock != NULL ? clock : web_clock;
}

static int
web_session_random(char *out)
{
	unsigned char	 raw[WEB_ID_HEX / 2];
	size_t		 i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	for (i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

static void
web_session_free(struct web_session_entry *se)
{
	TAILQ_REMOVE(&web_sessions, se, se_entry);
	web_session_n--;
	free(se->se_s.ss_user);
	OPENSSL_cleanse(&se->se_s, sizeof(se->se_s));
	free(se);
}

static int
web_session_live(const struct web_session *s, int64_t now)
{
	return now - s->ss_used < web_session_idle &&
	    now - s->ss_created < web_session_max;
}

/*
 * A new session for uid; NULL when randomness or memory fails.  The
 * oldest sessions make room: the user's own beyond their cap, anyone's
 * beyond the whole table's.
 */
struct web_session *
web_session_new(uid_t uid, int admin, const char *user)
{
	struct web_session_entry	*se, *old = NULL;
	int64_t				 now = web_session_clock();
	size_t				 mine = 0;

	web_session_expire();
	TAILQ_FOREACH(se, &web_sessions, se_entry)
		if (se->se_s.ss_uid == uid && mine++ == 0)
			old = se;	/* the list is oldest first */
	if (mine >= WEB_SESSIONS_PER_UID)
		web_session_free(old);
	if (web_session_n >= WEB_SESSIONS_MAX)
		web_session_free(TAILQ_FIRST(&web_sessions));
	if ((se = calloc(1, sizeof(*se))) == NULL ||
	    (se->se_s.ss_user = strdup(user)) == NULL ||
	    web_session_random(se->se_s.ss_id) == -1 ||
	    web_session_random(se->se_s.ss_csrf) == -1) {
		if (se != NULL)
			free(se->se_s.ss_user);
		free(se);
		return NULL;
	}
	se->se_s.ss_uid = uid;
	se->se_s.ss_admin = admin;
	se->se_s.ss_created = se->se_s.ss_used = now;
	TAILQ_INSERT_TAIL(&web_sessions, se, se_entry);
	web_session_n++;
	return &se->se_s;
}

/*
 * The live session of that id, or NULL.  A request (touch) counts as
 * use; a check that the session is still there does not.
 */
struct web_session *
web_session_find(const char *id, int touch)
{
	struct web_session_entry	*se, *found = NULL;
	int64_t				 now = web_session_clock();

	if (!web_parse_hex_id(id))
		return NULL;
	/* every entry is compared: how long it takes says nothing */
	TAILQ_FOREACH(se, &web_sessions, se_entry)
		if (CRYPTO_memcmp(se->se_s.ss_id, id, WEB_ID_HEX) == 0)
			found = se;
	if (found == NULL)
		return NULL;
	if (!web_session_live(&found->se_s, now)) {
		web_session_free(found);
		return NULL;
	}
	if (touch)
		found->se_s.ss_used = now;
	return &found->se_s;
}

void
web_session_delete(struct web_session *s)
{
	struct web_session_entry	*se;

	se = (struct web_session_entry *)((char *)s -
	    offsetof(struct web_session_entry, se_s));
	web_session_free(se);
}

/* Forget every session that has ended. */
void
web_session_expire(void)
{
	struct web_session_entry	*se, *next;
	int64_t				 now = web_session_clock();

	TAILQ_FOREACH_SAFE(se, &web_sessions, se_entry, next)
		if (!web_session_live(&se->se_s, now))
			web_session_free(se);
}

/* Every session forgotten (at exit). */
void
web_session_clear(void)
{
	while (!TAILQ_EMPTY(&web_sessions))
		web_session_free(TAILQ_FIRST(&web_sessions));
}

size_t
web_session_count(void)
{
	return web_session_n;
}

/* What GET /api/session and a login answer. */
json_t *
web_session_json(const struct web_session *s)
{
	return json_pack("{ss sI sb ss}", "user", s->ss_user,
	    "uid", (json_int_t)s->ss_uid, "admin", s->ss_admin,
	    "csrf", s->ss_csrf);
}

int
web_session_csrf_ok(const struct web_session *s, const char *token)
{
	return web_parse_hex_id(token) &&
	    CRYPTO_memcmp(s->ss_csrf, token, WEB_ID_HEX) == 0;
}
