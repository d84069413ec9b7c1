/*
 * web-auth.c: a user's password checked for the web front-end.  fwsd
 * runs pam_helper (fws-pam-check NAME, as root: PAM reads the shadow
 * file) with the password on its stdin, a pipe written and closed
 * before it runs, and nothing else; the helper answers with the user's
 * uid on stdout and exit status 0, or fails.  It is killed after
 * WEB_AUTH_TIMEOUT seconds.  Whatever failed, the caller hears the
 * same words.
 *
 * Guessing is held back by user name: after WEB_AUTH_FAILS failures for
 * a name within WEB_AUTH_WINDOW seconds, attempts for it are refused
 * without running PAM until the oldest of them is that old; one check
 * per name runs at a time, and WEB_AUTH_RUNNING in all.  What it
 * remembers of failures (WEB_AUTH_NAMES names at most) is in memory.
 * Each outcome is logged with the name, never the password.
 */
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "fws.h"
#include "log.h"

#define WEB_AUTH_TIMEOUT	10	/* s for PAM's answer */
#define WEB_AUTH_FAILS		5	/* failures for a name ... */
#define WEB_AUTH_WINDOW		300	/* s ... within this: refused */
#define WEB_AUTH_RUNNING	8	/* checks at once */
#define WEB_AUTH_NAMES		4096	/* names whose failures are kept */
#define WEB_AUTH_NAME_MAX	32

/* A name's recent failures, and whether a check of it runs. */
struct web_fails {
	TAILQ_ENTRY(web_fails)	 wf_entry;
	char			 wf_name[WEB_AUTH_NAME_MAX + 1];
	time_t			 wf_at[WEB_AUTH_FAILS];	/* monotonic, s */
	int			 wf_n;		/* in wf_at, oldest first */
	int			 wf_running;
};
TAILQ_HEAD(web_fails_list, web_fails);

/* A check under way. */
struct web_check {
	TAILQ_ENTRY(web_check)	 wc_entry;
	struct web_fails	*wc_fails;
	struct proc_watch	*wc_watch;
	struct event		*wc_timer;
	int			 wc_out;	/* the helper's stdout */
	fws_done_fn		 wc_fn;
	void			*wc_arg;
};
TAILQ_HEAD(web_checks, web_check);

static struct web_fails_list	 web_fails = TAILQ_HEAD_INITIALIZER(web_fails);
static int			 web_nfails;
static struct web_checks	 web_checks = TAILQ_HEAD_INITIALIZER(web_checks);
static int			 web_nchecks;

static time_t
web_auth_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Is name a user name as the front-end may send it? */
int
web_auth_name_ok(const char *name)
{
	size_t	 len = strlen(name);

	return len >= 1 && len <= WEB_AUTH_NAME_MAX &&
	    strchr("abcdefghijklmnopqrstuvwxyz_", name[0]) != NULL &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len;
}

static void
web_fails_free(struct web_fails *wf)
{
	TAILQ_REMOVE(&web_fails, wf, wf_entry);
	web_nfails--;
	free(wf);
}

/* Drop the name's failures older than the window. */
static void
web_fails_age(struct web_fails *wf, time_t now)
{
	int	 i, k;

	for (i = k = 0; i < wf->wf_n; i++)
		if (wf->wf_at[i] > now - WEB_AUTH_WINDOW)
			wf->wf_at[k++] = wf->wf_at[i];
	wf->wf_n = k;
}

/* A name with no failure left and no check running is forgotten. */
static void
web_fails_done(struct web_fails *wf)
{
	web_fails_age(wf, web_auth_now());
	if (wf->wf_n == 0 && !wf->wf_running)
		web_fails_free(wf);
}

/*
 * The name's entry, its old failures dropped; a new one when it has
 * none (the first idle one out when WEB_AUTH_NAMES are kept).
 */
static struct web_fails *
web_fails_get(const char *name)
{
	struct web_fails	*wf, *twf;
	time_t			 now = web_auth_now();

	TAILQ_FOREACH(wf, &web_fails, wf_entry)
		if (strcmp(wf->wf_name, name) == 0) {
			web_fails_age(wf, now);
			return wf;
		}
	if (web_nfails >= WEB_AUTH_NAMES) {
		TAILQ_FOREACH_SAFE(wf, &web_fails, wf_entry, twf)
			web_fails_done(wf);
		TAILQ_FOREACH(wf, &web_fails, wf_entry)
			if (!wf->wf_running)
				break;
		if (web_nfails >= WEB_AUTH_NAMES && wf != NULL)
			web_fails_free(wf);
	}
	if ((wf = calloc(1, sizeof(*wf))) == NULL)
		return NULL;
	snprintf(wf->wf_name, sizeof(wf->wf_name), "%s", name);
	TAILQ_INSERT_TAIL(&web_fails, wf, wf_entry);
	web_nfails++;
	return wf;
}

static void
web_check_free(struct web_check *wc)
{
	TAILQ_REMOVE(&web_checks, wc, wc_entry);
	web_nchecks--;
	proc_unwatch(wc->wc_watch);
	if (wc->wc_timer != NULL)
		event_free(wc->wc_timer);
	if (wc->wc_out != -1)
		close(wc->wc_out);
	wc->wc_fails->wf_running = 0;
	web_fails_done(wc->wc_fails);
	free(wc);
}

/* The check is over: ok with uid, or failed. */
static void
web_check_end(struct web_check *wc, int ok, uid_t uid)
{
	struct web_fails	*wf = wc->wc_fails;
	fws_done_fn		 fn = wc->wc_fn;
	void			*arg = wc->wc_arg;
	char			 name[sizeof(wf->wf_name)];

	snprintf(name, sizeof(name), "%s", wf->wf_name);
	if (ok) {
		wf->wf_n = 0;
		log_info("web: %s logged in with a password (uid %u)", name,
		    (unsigned)uid);
	} else {
		if (wf->wf_n == WEB_AUTH_FAILS) {
			memmove(wf->wf_at, wf->wf_at + 1,
			    (WEB_AUTH_FAILS - 1) * sizeof(*wf->wf_at));
			wf->wf_n--;
		}
		wf->wf_at[wf->wf_n++] = web_auth_now();
		log_info("web: %s: a password refused (%d in %d s)", name,
		    wf->wf_n, WEB_AUTH_WINDOW);
	}
	web_check_free(wc);
	if (ok)
		fn(arg, FWS_OK, NULL, json_pack("{sI}", "uid",
		    (json_int_t)uid));
	else
		fn(arg, FWS_ERR_PERMISSION, "authentication failed", NULL);
}

/* The helper ended: its stdout holds the uid when it said yes. */
static void
web_check_exited(pid_t pid, int status, void *arg)
{
	struct web_check	*wc = arg;
	char			 buf[32], *end;
	unsigned long		 uid = 0;
	ssize_t			 n;
	int			 ok;

	(void)pid;
	n = read(wc->wc_out, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	errno = 0;
	if (n > 0)
		uid = strtoul(buf, &end, 10);
	ok = status == 0 && n > 0 && buf[0] >= '0' && buf[0] <= '9' &&
	    errno == 0 && (*end == '\n' || *end == '\0') && uid < UINT32_MAX;
	/* root and the front-end itself do not use the panel */
	if (ok && (uid == 0 || (uid_t)uid == conf.cf_web_uid))
		ok = 0;
	if (status != 0 && status != W_EXITCODE(1, 0)) {
		end = proc_status_words(status);
		log_warnx("web: %s: %s %s", wc->wc_fails->wf_name,
		    conf.cf_pam_helper, end);
		free(end);
	}
	web_check_end(wc, ok, (uid_t)uid);
}

static void
web_check_timeout(int fd, short what, void *arg)
{
	struct web_check	*wc = arg;

	(void)fd;
	(void)what;
	log_warnx("web: %s: %s took over %d s: killed", wc->wc_fails->wf_name,
	    conf.cf_pam_helper, WEB_AUTH_TIMEOUT);
	/* its end comes through the watch */
	(void)proc_signal(wc->wc_watch, SIGKILL);
}

/*
 * Run the helper for name with the password (len bytes) on its stdin:
 * the check, or -1 and why it could not run.
 */
static struct web_check *
web_check_spawn(const char *name, const char *password, size_t len,
    char **cause)
{
	struct web_check	*wc;
	struct proc_spec	 ps;
	struct timeval		 tv = { WEB_AUTH_TIMEOUT, 0 };
	char			*argv[] = { conf.cf_pam_helper, (char *)name,
	    NULL };
	pid_t			 pid;
	int			 in[2], out[2];
	ssize_t			 n;

	if (pipe2(in, O_CLOEXEC) == -1) {
		cause_fail(cause, "pipe: %s", strerror(errno));
		return NULL;
	}
	if (pipe2(out, O_CLOEXEC | O_NONBLOCK) == -1) {
		cause_fail(cause, "pipe: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		return NULL;
	}
	/* at most 512 bytes into an empty pipe: the write does not block */
	n = len > 0 ? write(in[1], password, len) : 0;
	close(in[1]);
	if (n != (ssize_t)len) {
		cause_fail(cause, "pipe: %s", strerror(errno));
		goto fail;
	}
	memset(&ps, 0, sizeof(ps));
	ps.ps_argv = argv;
	ps.ps_stdin = in[0];
	ps.ps_stdout = out[1];
	if (proc_spawn(&ps, &pid, cause) == -1)
		goto fail;
	close(in[0]);
	close(out[1]);
	if ((wc = calloc(1, sizeof(*wc))) == NULL) {
		kill(pid, SIGKILL);
		close(out[0]);
		cause_fail(cause, "out of memory");
		return NULL;
	}
	wc->wc_out = out[0];
	if ((wc->wc_watch = proc_watch(pid, web_check_exited, wc,
	    cause)) == NULL) {
		kill(pid, SIGKILL);
		close(out[0]);
		free(wc);
		return NULL;
	}
	if ((wc->wc_timer = evtimer_new(base, web_check_timeout, wc)) == NULL ||
	    evtimer_add(wc->wc_timer, &tv) == -1) {
		/* it is killed if it hangs; without a timer, at once */
		(void)proc_signal(wc->wc_watch, SIGKILL);
	}
	return wc;
fail:
	close(in[0]);
	close(out[0]);
	close(out[1]);
	return NULL;
}

/*
 * Check name's password (len bytes): fn(arg, FWS_OK, NULL, {"uid":N}),
 * or FWS_ERR_PERMISSION with the same words whatever failed, or with
 * the wait when the name is held back; FWS_ERR_BUSY when a check of
 * the name, or too many, run.  A refusal made before anything runs is
 * told from inside this call.
 */
void
web_auth(const char *name, const char *password, size_t len,
    fws_done_fn fn, void *arg)
{
	struct web_fails	*wf;
	struct web_check	*wc;
	time_t			 now = web_auth_now();
	char			*cause, *why;

	if ((wf = web_fails_get(name)) == NULL) {
		fn(arg, FWS_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	if (wf->wf_n >= WEB_AUTH_FAILS) {
		log_info("web: %s: held back (%d passwords refused in %d s)",
		    name, wf->wf_n, WEB_AUTH_WINDOW);
		why = xasprintf("too many failed logins for %s: try again in "
		    "%lld s", name, (long long)(wf->wf_at[0] + WEB_AUTH_WINDOW -
		    now));
		fn(arg, FWS_ERR_PERMISSION, why, NULL);
		free(why);
		web_fails_done(wf);
		return;
	}
	if (wf->wf_running || web_nchecks >= WEB_AUTH_RUNNING) {
		fn(arg, FWS_ERR_BUSY, wf->wf_running ? "a login of that user "
		    "is under way: try again in a moment" : "too many logins "
		    "under way: try again in a moment", NULL);
		web_fails_done(wf);
		return;
	}
	/* root never logs in to the panel: no guess at its password runs */
	if (strcmp(name, "root") == 0 || len == 0) {
		log_info("web: %s: refused without asking PAM (%s)", name,
		    len == 0 ? "an empty password" : "root");
		fn(arg, FWS_ERR_PERMISSION, "authentication failed", NULL);
		web_fails_done(wf);
		return;
	}
	if ((wc = web_check_spawn(name, password, len, &cause)) == NULL) {
		log_warnx("web: %s: %s", name, cause);
		free(cause);
		fn(arg, FWS_ERR_INTERNAL, "the password cannot be checked now: "
		    "see fwsd's log", NULL);
		web_fails_done(wf);
		return;
	}
	wf->wf_running = 1;
	wc->wc_fails = wf;
	wc->wc_fn = fn;
	wc->wc_arg = arg;
	TAILQ_INSERT_TAIL(&web_checks, wc, wc_entry);
	web_nchecks++;
}

/* fwsd exits: the checks under way are ended, their callers told. */
void
web_auth_release(void)
{
	struct web_check	*wc;
	struct web_fails	*wf;
	fws_done_fn		 fn;
	void			*arg;

	while ((wc = TAILQ_FIRST(&web_checks)) != NULL) {
		proc_kill_wait(wc->wc_watch);
		fn = wc->wc_fn;
		arg = wc->wc_arg;
		web_check_free(wc);
		fn(arg, FWS_ERR_INTERNAL, "fwsd is exiting", NULL);
	}
	while ((wf = TAILQ_FIRST(&web_fails)) != NULL)
		web_fails_free(wf);
}
