/*
 * image-creds.c: the credential check of disk images.  image_checker
 * (fws-image-check) looks into an image for well-known credentials
 * (accounts without a password or with a well-known one, Vagrant's
 * insecure keys, sshd letting them in) and its findings are stored with
 * the image's path and identity (device, inode, size, mtime: a file put
 * in its place, a re-import, is unchecked again; a deleted image's are
 * forgotten).  One check runs at a time (its appliance is a VM of its
 * own), FWS_IMAGE_CHECKS_QUEUED more wait, of which one user's images
 * take FWS_IMAGE_CHECKS_OWNER places at most (one user's imports never
 * fill the queue for everyone); asking for an image being
 * checked waits for that check.  The helper is watched (its pidfd), its
 * output read in the loop (progress lines, then one result line;
 * CREDS_OUTPUT_MAX bytes at most) and it is killed after
 * image_check_timeout seconds.  It runs under TCG unless fwsd proved
 * that KVM runs guests (accel.c), with a directory of fwsd's run
 * directory for its scratch (its /tmp's writes: nothing it leaves
 * outlives it, killed or not).
 *
 * What an image is as far as public networks go (creds_cleared): clean
 * (checked, nothing found) or accepted by an admin whatever it holds;
 * anything else (never checked, being checked, failed, findings) is
 * not.  Which VMs that stops is public-policy.c's; the requests are
 * cmd-image.c's.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "fws.h"
#include "log.h"

#define CREDS_OUTPUT_MAX	(256 * 1024)	/* all the helper may say */
#define CREDS_WORDS_MAX		400		/* of it, in an error */
#define CREDS_STEP_MAX		48		/* a progress step's words */
#define CREDS_IDENT_MAX		96

/* Someone waiting for a check's outcome. */
struct creds_waiter {
	TAILQ_ENTRY(creds_waiter) cw_entry;
	fws_progress_fn		 cw_progress;	/* may be NULL */
	fws_done_fn		 cw_done;	/* may be NULL */
	void			*cw_arg;
};
TAILQ_HEAD(creds_waiters, creds_waiter);

struct creds_job {
	TAILQ_ENTRY(creds_job)	 cj_entry;
	char			*cj_path;	/* resolved */
	char			*cj_format;
	char			 cj_name[FWS_NAME_MAX + 1];
	int64_t			 cj_owner;	/* -1: the library's */
	char			 cj_ident[CREDS_IDENT_MAX];
	struct creds_waiters	 cj_waiters;
	int			 cj_running;
	int			 cj_ended;	/* its outcome being told */
	int			 cj_percent;
	char			*cj_gone;	/* cancelled: why */
	char			*cj_timedout;
	struct proc_watch	*cj_watch;
	pid_t			 cj_pid;	/* its process group's too */
	struct bufferevent	*cj_out;
	struct event		*cj_timer;
	size_t			 cj_read;	/* bytes of output so far */
	char			*cj_result;	/* the "result" line's JSON */
	char			 cj_said[CREDS_WORDS_MAX];	/* last words */
};
TAILQ_HEAD(creds_jobs, creds_job);

static struct creds_jobs	 jobs = TAILQ_HEAD_INITIALIZER(jobs);
static int			 njobs;

static void	creds_next(void);

/*
 * Kill the helper, not reaped yet (its watch has not fired), and its
 * process group: libguestfs's appliance (a qemu) and its recovery
 * process are in it, and die with it rather than outlive it.
 */
static void
creds_kill(struct creds_job *cj)
{
	if (cj->cj_watch == NULL)
		return;
	if (cj->cj_pid > 0)
		(void)kill(-cj->cj_pid, SIGKILL);
	(void)proc_signal(cj->cj_watch, SIGKILL);
}

/*
 * The key an image's findings are stored under: its path resolved
 * (the same file named through a link, or as a backing file, is one),
 * or as given when it is not there.
 */
static char *
creds_key(const char *path)
{
	char	*real;

	if ((real = realpath(path, NULL)) != NULL)
		return real;
	return xasprintf("%s", path);
}

/* Which file is at path: "" when none can be seen. */
static void
creds_ident(const char *path, char *ident, size_t len)
{
	struct stat	 sb;

	ident[0] = '\0';
	if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode))
		return;
	snprintf(ident, len, "%ju:%ju:%jd:%jd.%09ld", (uintmax_t)sb.st_dev,
	    (uintmax_t)sb.st_ino, (intmax_t)sb.st_size,
	    (intmax_t)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
}

/* Checks of owner's images running or waiting. */
static int
creds_owner_jobs(int64_t owner)
{
	struct creds_job	*cj;
	int			 n = 0;

	TAILQ_FOREACH(cj, &jobs, cj_entry)
		if (cj->cj_owner == owner)
			n++;
	return n;
}

static struct creds_job *
creds_job_find(const char *path)
{
	struct creds_job	*cj;

	TAILQ_FOREACH(cj, &jobs, cj_entry)
		if (!cj->cj_ended && cj->cj_gone == NULL &&
		    strcmp(cj->cj_path, path) == 0)
			return cj;
	return NULL;
}

static void
creds_job_free(struct creds_job *cj)
{
	struct creds_waiter	*cw;

	TAILQ_REMOVE(&jobs, cj, cj_entry);
	njobs--;
	while ((cw = TAILQ_FIRST(&cj->cj_waiters)) != NULL) {
		TAILQ_REMOVE(&cj->cj_waiters, cw, cw_entry);
		free(cw);
	}
	if (cj->cj_out != NULL)
		bufferevent_free(cj->cj_out);
	if (cj->cj_timer != NULL)
		event_free(cj->cj_timer);
	proc_unwatch(cj->cj_watch);
	free(cj->cj_path);
	free(cj->cj_format);
	free(cj->cj_gone);
	free(cj->cj_timedout);
	free(cj->cj_result);
	free(cj);
}

/* Tell every waiter the outcome (result is each one's copy), then go. */
static void
creds_job_end(struct creds_job *cj, enum fws_err err, const char *why,
    json_t *result)
{
	struct creds_waiter	*cw;

	TAILQ_FOREACH(cw, &cj->cj_waiters, cw_entry)
		if (cw->cw_done != NULL)
			cw->cw_done(cw->cw_arg, err, why, result != NULL ?
			    json_deep_copy(result) : NULL);
	json_decref(result);
	creds_job_free(cj);
}

static void
creds_progress(struct creds_job *cj, int percent, const char *step)
{
	struct creds_waiter	*cw;

	if (percent <= cj->cj_percent)
		return;
	cj->cj_percent = percent;
	TAILQ_FOREACH(cw, &cj->cj_waiters, cw_entry)
		if (cw->cw_progress != NULL)
			cw->cw_progress(cw->cw_arg, percent, step);
}

/* Keep a line as the helper's last words, printable and short. */
static void
creds_said(struct creds_job *cj, const char *line)
{
	size_t	 i;

	snprintf(cj->cj_said, sizeof(cj->cj_said), "%s", line);
	for (i = 0; cj->cj_said[i] != '\0'; i++)
		if ((unsigned char)cj->cj_said[i] < 0x20 ||
		    (unsigned char)cj->cj_said[i] >= 0x7f)
			cj->cj_said[i] = '?';
}

/* One line of the helper's: progress, the result, or words. */
static void
creds_line(struct creds_job *cj, const char *line)
{
	char	 step[CREDS_STEP_MAX + 1];
	int	 pct, n = 0;

	if (strncmp(line, "progress ", 9) == 0) {
		if (sscanf(line + 9, "%3d %n", &pct, &n) == 1 && n > 0 &&
		    pct >= 0 && pct < 100) {
			creds_said(cj, line + 9 + n);
			memcpy(step, cj->cj_said, sizeof(step) - 1);
			step[sizeof(step) - 1] = '\0';
			creds_progress(cj, pct, step);
		}
	} else if (strncmp(line, "result ", 7) == 0) {
		free(cj->cj_result);
		cj->cj_result = xasprintf("%s", line + 7);
	} else if (strncmp(line, "error ", 6) == 0)
		creds_said(cj, line + 6);
	else if (line[0] != '\0')
		creds_said(cj, line);
}

static void
creds_read(struct bufferevent *bev, void *arg)
{
	struct creds_job	*cj = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	size_t			 len;
	char			*line;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		cj->cj_read += len + 1;
		if (cj->cj_read <= CREDS_OUTPUT_MAX)
			creds_line(cj, line);
		free(line);
	}
	/* a line without its end, or too much in all: it is killed */
	if (cj->cj_read + evbuffer_get_length(in) > CREDS_OUTPUT_MAX) {
		evbuffer_drain(in, evbuffer_get_length(in));
		if (cj->cj_timedout == NULL) {
			cj->cj_timedout = xasprintf("%s said more than %d "
			    "bytes: killed", conf.cf_image_checker,
			    CREDS_OUTPUT_MAX);
			creds_kill(cj);
		}
	}
}

static void
creds_timeout(int fd, short what, void *arg)
{
	struct creds_job	*cj = arg;

	(void)fd;
	(void)what;
	if (cj->cj_timedout == NULL)
		cj->cj_timedout = xasprintf("the check took longer than %u s "
		    "(image_check_timeout): killed",
		    conf.cf_image_check_timeout);
	/* its end comes through the watch */
	creds_kill(cj);
}

/*
 * The helper's result line: a JSON object whose findings is an array;
 * NULL when it is not.
 */
static json_t *
creds_result_parse(const char *s)
{
	json_t	*r, *f;

	if (s == NULL || (r = json_loads(s, 0, NULL)) == NULL)
		return NULL;
	f = json_object_get(r, "findings");
	if (!json_is_object(r) || !json_is_array(f)) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* What a request is told of an image: its name, owner and state. */
static json_t *
creds_reply(const char *name, int64_t owner, const char *path)
{
	json_t	*o = creds_json(path);

	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "owner", owner < 0 ? json_null() :
	    json_integer(owner));
	return o;
}

static void
creds_exited(pid_t pid, int status, void *arg)
{
	struct creds_job	*cj = arg;
	char			 now[CREDS_IDENT_MAX], *why = NULL, *words;
	char			*findings = NULL, *cause = NULL;
	json_t			*r = NULL;

	(void)pid;
	proc_unwatch(cj->cj_watch);
	cj->cj_watch = NULL;
	if (cj->cj_out != NULL)
		creds_read(cj->cj_out, cj);
	cj->cj_ended = 1;
	if (cj->cj_gone != NULL) {
		why = xasprintf("image %s: %s", cj->cj_name, cj->cj_gone);
		goto end;
	}
	creds_ident(cj->cj_path, now, sizeof(now));
	if (strcmp(now, cj->cj_ident) != 0) {
		/* what was checked is not there any more: nothing kept */
		why = xasprintf("image %s changed while it was checked: check "
		    "it again", cj->cj_name);
		goto end;
	}
	if (cj->cj_timedout != NULL)
		why = xasprintf("%s", cj->cj_timedout);
	else if (status != 0 || (r = creds_result_parse(cj->cj_result)) ==
	    NULL) {
		words = proc_status_words(status);
		why = xasprintf("%s %s%s%s", conf.cf_image_checker, words,
		    cj->cj_said[0] != '\0' ? ": " : "", cj->cj_said);
		free(words);
	}
	if (r != NULL)
		findings = json_dumps(json_object_get(r, "findings"),
		    JSON_COMPACT);
	if (store_imgcheck_result(cj->cj_path, cj->cj_ident, time(NULL),
	    findings, why, &cause) == -1) {
		log_warnx("image %s: its check's outcome not kept: %s",
		    cj->cj_name, cause);
		free(why);
		why = cause;
		cause = NULL;
	} else if (why != NULL) {
		log_warnx("image %s (%s): could not be checked: %s",
		    cj->cj_name, cj->cj_path, why);
		words = xasprintf("image %s could not be checked: %s",
		    cj->cj_name, why);
		free(why);
		why = words;
	} else
		log_info("image %s (%s) checked: %zu finding%s", cj->cj_name,
		    cj->cj_path, json_array_size(json_object_get(r,
		    "findings")), json_array_size(json_object_get(r,
		    "findings")) == 1 ? "" : "s");
	free(findings);
	json_decref(r);
end:
	if (why != NULL)
		creds_job_end(cj, FWS_ERR_FAILED, why, NULL);
	else
		creds_job_end(cj, FWS_OK, NULL, creds_reply(cj->cj_name,
		    cj->cj_owner, cj->cj_path));
	free(why);
	creds_next();
	creds_resume();		/* with the queue empty, what is owed */
}

/* Start the helper on a job; -1 and why when it cannot run. */
static int
creds_spawn(struct creds_job *cj, char **cause)
{
	struct proc_spec ps;
	struct timeval	 tv = { conf.cf_image_check_timeout, 0 };
	char		*argv[8], *scratch;
	pid_t		 pid;
	int		 p[2], n = 0, rc;

	/* where its private /tmp's writes go (fws-image-check.c) */
	scratch = xasprintf("%s/image-check", conf.cf_run_dir);
	if (mkdir(scratch, 0700) == -1 && errno != EEXIST) {
		rc = cause_fail(cause, "%s: %s", scratch, strerror(errno));
		free(scratch);
		return rc;
	}
	argv[n++] = conf.cf_image_checker;
	/* KVM only where fwsd has seen it run guests */
	if (strcmp(accel_name(), "kvm") != 0)
		argv[n++] = "--tcg";
	argv[n++] = "--scratch";
	argv[n++] = scratch;
	argv[n++] = cj->cj_format;
	argv[n++] = cj->cj_path;
	argv[n] = NULL;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1) {
		free(scratch);
		return cause_fail(cause, "pipe: %s", strerror(errno));
	}
	memset(&ps, 0, sizeof(ps));
	ps.ps_argv = argv;
	ps.ps_stdout = p[1];
	rc = proc_spawn(&ps, &pid, cause);
	free(scratch);
	if (rc == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	cj->cj_out = bufferevent_socket_new(base, p[0], BEV_OPT_CLOSE_ON_FREE);
	if (cj->cj_out == NULL) {
		close(p[0]);
		kill(pid, SIGKILL);
		return cause_fail(cause, "out of memory");
	}
	bufferevent_setcb(cj->cj_out, creds_read, NULL, NULL, cj);
	bufferevent_enable(cj->cj_out, EV_READ);
	if ((cj->cj_watch = proc_watch(pid, creds_exited, cj, cause)) == NULL) {
		kill(pid, SIGKILL);
		return -1;
	}
	cj->cj_pid = pid;
	if ((cj->cj_timer = evtimer_new(base, creds_timeout, cj)) == NULL ||
	    evtimer_add(cj->cj_timer, &tv) == -1)
		creds_kill(cj);
	cj->cj_running = 1;
	log_info("image %s (%s): checking it for well-known credentials",
	    cj->cj_name, cj->cj_path);
	return 0;
}

/* The next job waiting, when none runs. */
static void
creds_next(void)
{
	struct creds_job	*cj;
	char			*cause, *why;

	while ((cj = TAILQ_FIRST(&jobs)) != NULL && !cj->cj_running) {
		if (creds_spawn(cj, &cause) == 0) {
			creds_progress(cj, 1, "starting");
			return;
		}
		/* failed, not owed: it would fail again */
		if (store_imgcheck_result(cj->cj_path, cj->cj_ident,
		    time(NULL), NULL, cause, &why) == -1) {
			log_warnx("image %s: %s", cj->cj_name, why);
			free(why);
		}
		why = xasprintf("image %s could not be checked: %s",
		    cj->cj_name, cause);
		free(cause);
		creds_job_end(cj, FWS_ERR_FAILED, why, NULL);
		free(why);
	}
}

/* A check of the file now at key (resolved) is owed until it ends. */
static void
creds_owe(const char *key)
{
	char	 ident[CREDS_IDENT_MAX], *cause;

	creds_ident(key, ident, sizeof(ident));
	if (ident[0] != '\0' && store_imgcheck_want(key, ident, &cause) == -1) {
		log_warnx("image %s: its check owed not kept: %s", key, cause);
		free(cause);
	}
}

/*
 * Check the image at path (resolved, its chain confined: image_check)
 * of format fmt, named name (of owner; -1: the library's).  progress and
 * done (either may be NULL: nobody waits) are told of it; done once,
 * with the image as creds_json has it, maybe before creds_check
 * returns.  A check of that image under way or waiting is the one waited
 * for.
 */
void
creds_check(const char *path, const char *fmt, const char *name,
    int64_t owner, fws_progress_fn progress, fws_done_fn done, void *arg)
{
	struct creds_job	*cj;
	struct creds_waiter	*cw;
	char			*key, why[128];

	if ((cw = calloc(1, sizeof(*cw))) == NULL) {
		if (done != NULL)
			done(arg, FWS_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	cw->cw_progress = progress;
	cw->cw_done = done;
	cw->cw_arg = arg;
	key = creds_key(path);
	if ((cj = creds_job_find(key)) != NULL) {
		free(key);
		TAILQ_INSERT_TAIL(&cj->cj_waiters, cw, cw_entry);
		if (progress != NULL && cj->cj_percent > 0)
			progress(arg, cj->cj_percent, "checking");
		return;
	}
	why[0] = '\0';
	if (njobs >= FWS_IMAGE_CHECKS_QUEUED + 1)
		snprintf(why, sizeof(why), "too many image checks waiting: "
		    "try again later");
	else if (owner >= 0 &&
	    creds_owner_jobs(owner) >= FWS_IMAGE_CHECKS_OWNER)
		snprintf(why, sizeof(why), "%d checks of this user's images "
		    "are under way or waiting, the most one user may have: "
		    "try again when one has ended", FWS_IMAGE_CHECKS_OWNER);
	if (why[0] != '\0') {
		free(cw);
		if (done != NULL)
			done(arg, FWS_ERR_BUSY, why, NULL);
		else
			creds_owe(key);	/* fwsd's own: taken up later */
		free(key);
		return;
	}
	if ((cj = calloc(1, sizeof(*cj))) == NULL) {
		free(cw);
		free(key);
		if (done != NULL)
			done(arg, FWS_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	TAILQ_INIT(&cj->cj_waiters);
	TAILQ_INSERT_TAIL(&cj->cj_waiters, cw, cw_entry);
	TAILQ_INSERT_TAIL(&jobs, cj, cj_entry);
	njobs++;
	cj->cj_path = key;
	cj->cj_format = xasprintf("%s", fmt);
	snprintf(cj->cj_name, sizeof(cj->cj_name), "%s", name);
	cj->cj_owner = owner;
	creds_ident(cj->cj_path, cj->cj_ident, sizeof(cj->cj_ident));
	if (cj->cj_ident[0] == '\0') {
		creds_job_end(cj, FWS_ERR_NOT_FOUND, "the image is not there",
		    NULL);
		return;
	}
	/* owed until it ends: an fwsd restart takes it up again */
	creds_owe(cj->cj_path);
	creds_next();
}

/*
 * The checks owed: those an fwsd restart cut short, and those fwsd
 * asked for itself (after an import) while the queue was full.  With
 * the queue empty, they are queued again within its limits, their
 * chains confined as any check's (a user's image may back onto the
 * library's and the user's own alone); the rest wait for the queue to
 * empty again.  A file no longer there, or replaced, is owed nothing.
 */
void
creds_resume(void)
{
	json_t		*owed, *list, *images, *im, *pair;
	const char	*path, *ident, *fmt, *name;
	char		 now[CREDS_IDENT_MAX], *cause = NULL, *key, *dirs[
			    FWS_IMAGE_DIRS_MAX + 1];
	size_t		 i;
	int64_t		 owner;
	uint64_t	 size;
	int		 n, rc;

	if (njobs > 0)
		return;
	if ((owed = store_imgcheck_owed(&cause)) == NULL) {
		log_warnx("image checks owed: %s", cause);
		free(cause);
		return;
	}
	/* the disk images there are, by their keys */
	images = json_object();
	list = json_array_size(owed) > 0 ? image_list(-1) : json_array();
	json_array_foreach(list, i, im)
		if (strcmp(json_string_value(json_object_get(im, "type")),
		    "disk") == 0) {
			key = creds_key(json_string_value(json_object_get(im,
			    "path")));
			json_object_set(images, key, im);
			free(key);
		}
	json_decref(list);
	json_array_foreach(owed, i, pair) {
		path = json_string_value(json_array_get(pair, 0));
		ident = json_string_value(json_array_get(pair, 1));
		creds_ident(path, now, sizeof(now));
		im = json_object_get(images, path);
		name = json_string_value(json_object_get(im, "name"));
		if (name == NULL || strcmp(now, ident) != 0) {
			if (store_imgcheck_delete(path, &cause) == -1) {
				log_warnx("image %s: %s", path, cause);
				free(cause);
				cause = NULL;
			}
			continue;
		}
		fmt = json_string_value(json_object_get(im, "format"));
		owner = json_is_null(json_object_get(im, "owner")) ? -1 :
		    json_integer_value(json_object_get(im, "owner"));
		if (owner < 0)
			for (n = 0; n < conf.cf_nimage_dirs; n++)
				dirs[n] = xasprintf("%s", conf.cf_image_dirs[n]);
		else
			n = image_base_dirs((uid_t)owner, dirs);
		rc = image_check(path, fmt, dirs, n, &size, &cause);
		image_dirs_free(dirs, n);
		if (rc == -1) {
			log_warnx("image %s (%s): not checked: %s", name, path,
			    cause);
			if (store_imgcheck_result(path, ident, time(NULL),
			    NULL, cause, &cause) == -1)
				log_warnx("image %s: %s", path, cause);
			free(cause);
			cause = NULL;
			continue;
		}
		if (njobs >= FWS_IMAGE_CHECKS_QUEUED + 1)
			break;
		if (owner >= 0 &&
		    creds_owner_jobs(owner) >= FWS_IMAGE_CHECKS_OWNER)
			continue;
		log_info("image %s (%s): its check owed is taken up", name,
		    path);
		creds_check(path, fmt, name, owner, NULL, NULL, NULL);
	}
	json_decref(images);
	json_decref(owed);
}

/*
 * The image at path is deleted, or replaced: its findings go, and a
 * check of it under way ends (its waiters told).
 */
int
creds_forget(const char *path, char **cause)
{
	struct creds_job	*cj;
	char			*key = creds_key(path);
	int			 rc;

	if ((cj = creds_job_find(key)) != NULL) {
		if (cj->cj_running) {
			cj->cj_gone = xasprintf("deleted or replaced while it "
			    "was checked");
			creds_kill(cj);
		} else
			creds_job_end(cj, FWS_ERR_NOT_FOUND, "the image was "
			    "deleted or replaced before its check", NULL);
	}
	rc = store_imgcheck_delete(key, cause);
	free(key);
	return rc;
}

/*
 * What is known of the image at path: {"state": "unchecked",
 * "queued", "checking", "clean", "findings" or "failed", "findings":
 * [...], "error", "checked" (when), "accepted": {"by", "at"} or null}.
 * What is stored of another file at that path is not this one's.
 */
json_t *
creds_json(const char *path)
{
	struct imgcheck_rec	 r;
	struct creds_job	*cj;
	char			 ident[CREDS_IDENT_MAX], *cause = NULL;
	const char		*state = "unchecked";
	json_t			*o, *f = NULL;
	char			*key = creds_key(path);
	int			 rc;

	creds_ident(key, ident, sizeof(ident));
	o = json_object();
	if ((rc = store_imgcheck_get(key, &r, &cause)) == -1) {
		log_warnx("image %s: %s", path, cause);
		free(cause);
		rc = 0;
	}
	if (rc == 1 && strcmp(r.ir_ident, ident) != 0) {
		store_imgcheck_free(&r);
		rc = 0;
	}
	if (rc == 1 && r.ir_checked < 0 && r.ir_accepted_by < 0)
		state = "queued";	/* owed: creds_resume takes it up */
	if (rc == 1 && r.ir_checked >= 0) {
		if (r.ir_error != NULL)
			state = "failed";
		else if (r.ir_findings != NULL &&
		    (f = json_loads(r.ir_findings, 0, NULL)) != NULL &&
		    json_is_array(f))
			state = json_array_size(f) == 0 ? "clean" : "findings";
		else
			state = "failed";
		json_object_set_new(o, "checked", json_integer(r.ir_checked));
		if (r.ir_error != NULL)
			json_object_set_new(o, "error",
			    json_string(r.ir_error));
	}
	if ((cj = creds_job_find(key)) != NULL)
		state = cj->cj_running ? "checking" : "queued";
	free(key);
	json_object_set_new(o, "state", json_string(state));
	json_object_set_new(o, "findings", json_is_array(f) ? json_incref(f) :
	    json_array());
	json_decref(f);
	if (rc == 1 && r.ir_accepted_by >= 0)
		json_object_set_new(o, "accepted", json_pack("{sI sI}", "by",
		    (json_int_t)r.ir_accepted_by, "at",
		    (json_int_t)r.ir_accepted));
	else
		json_object_set_new(o, "accepted", json_null());
	if (rc == 1)
		store_imgcheck_free(&r);
	return o;
}

/*
 * May the image at path reach a public network?  1 when clean or
 * accepted; 0 and why not (naming it name, each finding said).
 */
int
creds_cleared(const char *path, const char *name, char **why)
{
	json_t		*o = creds_json(path), *f;
	const char	*state = json_string_value(json_object_get(o, "state"));
	char		*list = NULL, *t;
	size_t		 i;

	*why = NULL;
	if (!json_is_null(json_object_get(o, "accepted")) ||
	    strcmp(state, "clean") == 0) {
		json_decref(o);
		return 1;
	}
	if (strcmp(state, "findings") == 0) {
		json_array_foreach(json_object_get(o, "findings"), i, f) {
			t = xasprintf("%s%s%s", list != NULL ? list : "",
			    list != NULL ? "; " : "",
			    json_string_value(json_object_get(f, "detail")));
			free(list);
			list = t;
		}
		*why = xasprintf("image %s holds well-known credentials: %s",
		    name, list);
		free(list);
	} else if (strcmp(state, "failed") == 0)
		*why = xasprintf("image %s could not be checked for well-known "
		    "credentials (%s)", name, json_string_value(json_object_get(o,
		    "error")));
	else
		*why = xasprintf("image %s %s", name, strcmp(state,
		    "unchecked") == 0 ? "has not been checked for well-known "
		    "credentials (fwsctl image-check)" : "is still being checked "
		    "for well-known credentials");
	json_decref(o);
	return 0;
}

/* An admin (uid) accepts the image at path as it is now. */
int
creds_accept(const char *path, uid_t uid, char **cause)
{
	char	 ident[CREDS_IDENT_MAX], *key = creds_key(path);
	int	 rc;

	creds_ident(key, ident, sizeof(ident));
	if (ident[0] == '\0')
		rc = cause_fail(cause, "%s: not there", path);
	else
		rc = store_imgcheck_accept(key, ident, uid, time(NULL), cause);
	free(key);
	return rc;
}

/* fwsd is exiting: a check under way is killed and reaped. */
void
creds_release(void)
{
	struct creds_job	*cj;

	while ((cj = TAILQ_FIRST(&jobs)) != NULL) {
		if (cj->cj_watch != NULL) {
			if (cj->cj_pid > 0)
				(void)kill(-cj->cj_pid, SIGKILL);
			proc_kill_wait(cj->cj_watch);
		}
		creds_job_free(cj);
	}
}
