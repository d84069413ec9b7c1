/*
 * web.c: the web front-end's standing with fwsd.  The front-end is
 * web_user's connections on the UNIX socket (never over TLS, whatever
 * a certificate maps to); it may send a request for a user ("as": UID)
 * once fwsd itself has let that user in: a one-time link redeemed
 * (web-token.c) or a password checked (web-auth.c), since fwsd started.
 * So a front-end taken over can act for the users who log in while it
 * is, not for any uid it names; its own requests are never an admin's
 * (cmd.c), whatever its groups.  The request is then that user's:
 * their uid, and admin when they are (access_is_admin).  The users let
 * in live in memory: after a restart of fwsd they log in again.
 */
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "log.h"

static uid_t	*web_uids;	/* let in since fwsd started, sorted */
static size_t	 web_nuids;

static int
web_uid_cmp(const void *a, const void *b)
{
	uid_t	 x = *(const uid_t *)a, y = *(const uid_t *)b;

	return x < y ? -1 : x > y;
}

static int
web_is_in(uid_t uid)
{
	return web_nuids > 0 && bsearch(&uid, web_uids, web_nuids,
	    sizeof(*web_uids), web_uid_cmp) != NULL;
}

/* Is connection client, whose peer is uid, the web front-end? */
int
web_is_front(uint64_t client, uid_t uid)
{
	return conf.cf_web_user != NULL && uid == conf.cf_web_uid &&
	    control_passes_fds(client);
}

/* uid has logged in to the panel: the front-end may act for it. */
void
web_let_in(uid_t uid)
{
	uid_t	*grown;
	size_t	 i;

	if (web_is_in(uid))
		return;
	if ((grown = reallocarray(web_uids, web_nuids + 1,
	    sizeof(*grown))) == NULL) {
		log_warn("%s: reallocarray", __func__);
		return;
	}
	web_uids = grown;
	for (i = web_nuids; i > 0 && web_uids[i - 1] > uid; i--)
		web_uids[i] = web_uids[i - 1];
	web_uids[i] = uid;
	web_nuids++;
}

/*
 * A request of connection client made for uid as: ca (its peer's, on
 * entry) becomes that user's.  -1 and why not: the peer is not the
 * front-end or uid is root's; -2 when the user has not logged in since
 * fwsd started (the front-end sends them to its login page).
 */
int
web_act_for(uint64_t client, struct caller *ca, int64_t as, char **cause)
{
	uid_t	 uid = (uid_t)as;

	if (!web_is_front(client, ca->ca_uid))
		return cause_fail(cause, "only the web front-end (web_user) "
		    "acts for another user");
	if (as == 0)
		return cause_fail(cause, "root does not use the panel");
	if (!web_is_in(uid)) {
		cause_fail(cause, "uid %lld has not logged in to the panel "
		    "since fwsd started: log in again", (long long)as);
		return -2;
	}
	ca->ca_uid = uid;
	ca->ca_admin = access_is_admin(uid);
	return 0;
}

void
web_release(void)
{
	free(web_uids);
	web_uids = NULL;
	web_nuids = 0;
}
