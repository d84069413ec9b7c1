/*
 * rbd.c: VM disks that are Ceph RBD images.  The cluster is fwsd.conf's
 * (ceph_conf, ceph_user, ceph_keyring); users may use the pools of
 * rbd_pools, admins any.  Images are made, looked at, cloned and removed
 * by Ceph's own rbd tool, run as a child (an argv, never a shell; its
 * words to a file of the run directory, its end watched in the loop),
 * with the names validate_rbd passed given as options (--pool, --image),
 * never as one spec the tool would split.  What rbd and qemu say when
 * the cluster refuses is put in fws's words here.  The key stays in the
 * keyring, root's alone: qemu and qemu-img get it from a descriptor
 * (rbd_key_fd), a QEMU secret object.  The qemu command line's rbd
 * nodes are vm-qemu.c's; what is done with the images, the callers'.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fws.h"
#include "log.h"

#define RBD_ARGS_MAX	24
/*
 * A killed qemu's watch on its image lasts some 30 s (the OSDs'
 * osd_client_watch_timeout): rbd rm says "still has watchers" meanwhile
 */
#define RBD_REMOVE_TRIES	12
#define RBD_REMOVE_WAIT		10	/* s between tries */
#define RBD_OUTPUT_MAX	(64 * 1024)
#define RBD_KEY_MAX	128	/* a cephx key in base64 is 40 */

struct rbd_run {
	struct rbd_name	 rr_name;	/* what the words are about */
	rbd_done_fn	 rr_fn;
	void		*rr_arg;
	struct proc_watch *rr_watch;
	pid_t		 rr_pid;
	char		*rr_out;
};

static unsigned	rbd_seq;

int
rbd_enabled(void)
{
	return conf.cf_ceph_conf != NULL;
}

/* May ca put disks in pool?  Admins any; users those of rbd_pools. */
int
rbd_pool_allowed(const struct caller *ca, const char *pool, char **cause)
{
	char	*copy, *p, *w;
	int	 found = 0;

	if (!rbd_enabled())
		return cause_fail(cause, "this host has no Ceph cluster for "
		    "RBD disks (fwsd.conf: ceph_conf)");
	if (ca->ca_admin)
		return 0;
	if (conf.cf_rbd_pools != NULL) {
		p = copy = xasprintf("%s", conf.cf_rbd_pools);
		while (!found && (w = strsep(&p, " ")) != NULL)
			found = strcmp(w, pool) == 0;
		free(copy);
	}
	if (!found)
		return cause_fail(cause, "RBD pool %s is not one users may use "
		    "(rbd_pools: %s)", pool, conf.cf_rbd_pools != NULL ?
		    conf.cf_rbd_pools : "none");
	return 0;
}

/* The key of ceph_user in ceph_keyring ("key = AQ..=="), or -1. */
static int
rbd_key_read(char *key, size_t len, char **cause)
{
	char	 line[512], section[128], *p, *v;
	FILE	*f;
	int	 in = 0;

	snprintf(section, sizeof(section), "[client.%s]", conf.cf_ceph_user);
	if ((f = fopen(conf.cf_ceph_keyring, "re")) == NULL)
		return cause_fail(cause, "ceph_keyring %s: %s",
		    conf.cf_ceph_keyring, strerror(errno));
	*key = '\0';
	while (*key == '\0' && fgets(line, sizeof(line), f) != NULL) {
		p = line + strspn(line, " \t");
		p[strcspn(p, "\r\n")] = '\0';
		if (*p == '[') {
			in = strcmp(p, section) == 0;
			continue;
		}
		if (!in || strncmp(p, "key", 3) != 0)
			continue;
		v = p + 3 + strspn(p + 3, " \t");
		if (*v != '=')
			continue;
		v += 1 + strspn(v + 1, " \t");
		v[strcspn(v, " \t")] = '\0';
		if (strlen(v) == 0 || strlen(v) >= len ||
		    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789+/=") != strlen(v))
			break;
		snprintf(key, len, "%s", v);
	}
	fclose(f);
	if (*key == '\0')
		return cause_fail(cause, "ceph_keyring %s has no key for "
		    "client.%s", conf.cf_ceph_keyring, conf.cf_ceph_user);
	return 0;
}

/*
 * At start-up: the keyring is made root's alone (0600), as the key is
 * only ever handed to qemu through a descriptor, and must hold
 * ceph_user's key.
 */
int
rbd_init(char **cause)
{
	char		 key[RBD_KEY_MAX];
	struct stat	 sb;

	if (!rbd_enabled())
		return 0;
	if (stat(conf.cf_ceph_keyring, &sb) == -1)
		return cause_fail(cause, "ceph_keyring %s: %s",
		    conf.cf_ceph_keyring, strerror(errno));
	if (sb.st_uid != 0 || (sb.st_mode & 077) != 0) {
		if (chown(conf.cf_ceph_keyring, 0, 0) == -1 ||
		    chmod(conf.cf_ceph_keyring, 0600) == -1)
			return cause_fail(cause, "ceph_keyring %s: %s",
			    conf.cf_ceph_keyring, strerror(errno));
		log_info("ceph_keyring %s: made root's alone (0600)",
		    conf.cf_ceph_keyring);
	}
	if (rbd_key_read(key, sizeof(key), cause) == -1)
		return -1;
	explicit_bzero(key, sizeof(key));
	return 0;
}

/*
 * A descriptor holding the key in base64 (a memfd, no file anywhere),
 * for a QEMU secret object (format=base64) read from /dev/fd/N by the
 * qemu or qemu-img it is given to; -1 and why.
 */
int
rbd_key_fd(char **cause)
{
	char	 key[RBD_KEY_MAX];
	int	 fd;

	if (rbd_key_read(key, sizeof(key), cause) == -1)
		return -1;
	if ((fd = memfd_create("fws-rbd-key", MFD_CLOEXEC)) == -1) {
		explicit_bzero(key, sizeof(key));
		return cause_fail(cause, "memfd_create: %s", strerror(errno));
	}
	if (write(fd, key, strlen(key)) != (ssize_t)strlen(key) ||
	    lseek(fd, 0, SEEK_SET) == -1) {
		explicit_bzero(key, sizeof(key));
		close(fd);
		return cause_fail(cause, "the RBD key: %s", strerror(errno));
	}
	explicit_bzero(key, sizeof(key));
	return fd;
}

/*
 * What rbd said, in fws's words: its exit status is the errno of what
 * failed; the last line of its output, when nothing better is known.
 */
static char *
rbd_words(const struct rbd_name *rn, int status, const char *out)
{
	const char	*last = strrchr(out, '\n') ? strrchr(out, '\n') + 1 : out;
	int		 code = status > 0 && WIFEXITED(status) ?
	    WEXITSTATUS(status) : -1;

	if (strstr(out, "couldn't connect to the cluster") != NULL ||
	    strstr(out, "handle_auth_bad_method") != NULL) {
		if (code == EACCES || code == EPERM)
			return xasprintf("rbd: cannot connect to the Ceph "
			    "cluster as client.%s: permission denied (check "
			    "ceph_keyring)", conf.cf_ceph_user);
		return xasprintf("rbd: cannot connect to the Ceph cluster "
		    "(ceph_conf %s): %s", conf.cf_ceph_conf, last);
	}
	if (code == ETIMEDOUT || code == 124)
		return xasprintf("rbd: the Ceph cluster does not answer "
		    "(ceph_conf %s)", conf.cf_ceph_conf);
	if (code == ENOENT && strstr(out, "error opening pool") != NULL)
		return xasprintf("RBD pool %s does not exist", rn->rn_pool);
	if (code == ENOENT && *rn->rn_snap != '\0' &&
	    strstr(out, "snap") != NULL)
		return xasprintf("RBD image %s/%s has no snapshot %s",
		    rn->rn_pool, rn->rn_image, rn->rn_snap);
	if (code == ENOENT)
		return xasprintf("RBD image %s/%s does not exist", rn->rn_pool,
		    rn->rn_image);
	if (code == EEXIST)
		return xasprintf("RBD image %s/%s already exists", rn->rn_pool,
		    rn->rn_image);
	if (code == EPERM || code == EACCES)
		return xasprintf("client.%s may not do that in RBD pool %s "
		    "(its caps): %s", conf.cf_ceph_user, rn->rn_pool, last);
	return xasprintf("rbd: %s", *last ? last : "failed");
}

static void
rbd_run_exited(pid_t pid, int status, void *arg)
{
	struct rbd_run	*rr = arg;
	json_t		*out = NULL;
	char		*text, *p, *why = NULL;

	(void)pid;
	proc_unwatch(rr->rr_watch);
	rr->rr_watch = NULL;
	text = proc_output(rr->rr_out, RBD_OUTPUT_MAX);
	unlink(rr->rr_out);
	if (status != 0) {
		why = rbd_words(&rr->rr_name, status, text);
		log_debug("%s: rbd on %s/%s: %s", __func__,
		    rr->rr_name.rn_pool, rr->rr_name.rn_image, text);
	}
	else {
		/* --format json: one line, after any warnings */
		for (p = text + strlen(text); p > text && p[-1] != '\n'; p--)
			;
		if (*p == '{' || *p == '[')
			out = json_loads(p, 0, NULL);
	}
	free(text);
	rr->rr_fn(rr->rr_arg, why, out);
	free(why);
	json_decref(out);
	free(rr->rr_out);
	free(rr);
}

/*
 * rbd ARGS (NULL-ended) against the configured cluster, as root; rn
 * names what the words are about.  fn(arg, NULL, output as JSON or
 * NULL) once it succeeded, fn(arg, why, NULL) once it failed; never
 * before rbd_run returns.  NULL and why when it cannot run at all.
 */
struct rbd_run *
rbd_run(const char *const *args, const struct rbd_name *rn, rbd_done_fn fn,
    void *arg, char **cause)
{
	struct rbd_run	*rr;
	struct proc_spec ps;
	const char	*argv[RBD_ARGS_MAX + 1];
	char		 name[32];
	int		 n = 0, i, fd;

	argv[n++] = FWS_RBD_TOOL;
	argv[n++] = "--conf";
	argv[n++] = conf.cf_ceph_conf;
	argv[n++] = "--id";
	argv[n++] = conf.cf_ceph_user;
	argv[n++] = "--keyring";
	argv[n++] = conf.cf_ceph_keyring;
	/* a cluster that does not answer fails the request, in time */
	argv[n++] = "--client-mount-timeout";
	argv[n++] = "30";
	argv[n++] = "--rados-osd-op-timeout";
	argv[n++] = "60";
	for (i = 0; args[i] != NULL; i++) {
		if (n == RBD_ARGS_MAX)
			abort();	/* our own arguments: a bug */
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	log_debug("%s: rbd %s %s on %s/%s", __func__, args[0],
	    args[1] != NULL ? args[1] : "", rn->rn_pool, rn->rn_image);
	if ((rr = calloc(1, sizeof(*rr))) == NULL)
		abort();
	rr->rr_name = *rn;
	rr->rr_fn = fn;
	rr->rr_arg = arg;
	snprintf(name, sizeof(name), "rbd.%u.out", ++rbd_seq);
	rr->rr_out = xasprintf("%s/%s", conf.cf_run_dir, name);
	fd = open(rr->rr_out, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		cause_fail(cause, "%s: %s", rr->rr_out, strerror(errno));
		goto fail;
	}
	memset(&ps, 0, sizeof(ps));
	ps.ps_argv = (char *const *)argv;
	ps.ps_stdout = fd;
	if (proc_spawn(&ps, &rr->rr_pid, cause) == -1) {
		close(fd);
		goto fail;
	}
	close(fd);
	if ((rr->rr_watch = proc_watch(rr->rr_pid, rbd_run_exited, rr,
	    cause)) == NULL) {
		kill(rr->rr_pid, SIGKILL);
		goto fail;
	}
	return rr;
fail:
	unlink(rr->rr_out);
	free(rr->rr_out);
	free(rr);
	return NULL;
}

/* Forget a run (its caller is gone): it is killed, fn is never called. */
void
rbd_run_cancel(struct rbd_run *rr)
{
	if (rr == NULL)
		return;
	kill(rr->rr_pid, SIGKILL);
	proc_unwatch(rr->rr_watch);
	unlink(rr->rr_out);
	free(rr->rr_out);
	free(rr);
}

/*
 * An image fwsd made, removed in the background: its snapshots, then it;
 * tried again a while when refused (a dead qemu's watch stays a while).
 */
struct rbd_removal {
	struct rbd_name	 rm_name;
	char		 rm_vm[FWS_NAME_MAX + 1];
	int		 rm_step;	/* 0: snap purge, 1: rm */
	int		 rm_tries;
	struct event	*rm_timer;
};

static void	rbd_remove_step(struct rbd_removal *);

static void
rbd_remove_again(int fd, short what, void *arg)
{
	struct rbd_removal *rm = arg;

	(void)fd;
	(void)what;
	rbd_remove_step(rm);
}

static void
rbd_remove_free(struct rbd_removal *rm)
{
	if (rm->rm_timer != NULL)
		event_free(rm->rm_timer);
	free(rm);
}

static void
rbd_remove_done(void *arg, const char *why, json_t *out)
{
	struct rbd_removal *rm = arg;
	struct timeval	 tv = { RBD_REMOVE_WAIT, 0 };

	(void)out;
	/* a snapshot or watch of a qemu that just died: again, later */
	if (why != NULL && ++rm->rm_tries < RBD_REMOVE_TRIES &&
	    (rm->rm_timer != NULL || (rm->rm_timer = evtimer_new(base,
	    rbd_remove_again, rm)) != NULL)) {
		log_debug("%s: RBD image %s/%s: %s; again in %d s", rm->rm_vm,
		    rm->rm_name.rn_pool, rm->rm_name.rn_image, why,
		    RBD_REMOVE_WAIT);
		evtimer_add(rm->rm_timer, &tv);
		return;
	}
	if (why != NULL) {
		log_warnx("%s: RBD image %s/%s stays: %s", rm->rm_vm,
		    rm->rm_name.rn_pool, rm->rm_name.rn_image, why);
		rbd_remove_free(rm);
		return;
	}
	if (++rm->rm_step == 2) {
		log_info("%s: RBD image %s/%s removed", rm->rm_vm,
		    rm->rm_name.rn_pool, rm->rm_name.rn_image);
		rbd_remove_free(rm);
		return;
	}
	rbd_remove_step(rm);
}

static void
rbd_remove_step(struct rbd_removal *rm)
{
	const char	*args[] = { rm->rm_step == 0 ? "snap" : "rm",
	    rm->rm_step == 0 ? "purge" : "--no-progress", "--pool",
	    rm->rm_name.rn_pool, "--image", rm->rm_name.rn_image,
	    rm->rm_step == 0 ? "--no-progress" : NULL, NULL };
	char		*cause;

	if (rbd_run(args, &rm->rm_name, rbd_remove_done, rm,
	    &cause) == NULL) {
		log_warnx("%s: RBD image %s/%s stays: %s", rm->rm_vm,
		    rm->rm_name.rn_pool, rm->rm_name.rn_image, cause);
		free(cause);
		rbd_remove_free(rm);
	}
}

/* Remove the image path ("rbd:POOL/IMAGE") of vm's, in the background. */
void
rbd_image_remove(const char *vm, const char *path)
{
	struct rbd_removal *rm;

	if ((rm = calloc(1, sizeof(*rm))) == NULL)
		abort();
	if (validate_rbd(path, RBD_SNAP_NONE, &rm->rm_name, NULL) == -1) {
		free(rm);
		return;
	}
	snprintf(rm->rm_vm, sizeof(rm->rm_vm), "%s", vm);
	rbd_remove_step(rm);
}

/*
 * qemu's words on an rbd disk that would not open (its log's last
 * lines), in fws's, or NULL when they are about something else.
 */
char *
rbd_qemu_words(const struct vm *vm, const char *tail)
{
	struct rbd_name	 rn;
	const char	*p;
	int		 i;

	if (strstr(tail, "error connecting") != NULL ||
	    strstr(tail, "error reading conf") != NULL) {
		if (strstr(tail, "Permission denied") != NULL ||
		    strstr(tail, "Operation not permitted") != NULL)
			return xasprintf("rbd: cannot connect to the Ceph "
			    "cluster as client.%s: permission denied (check "
			    "ceph_keyring)", conf.cf_ceph_user);
		return xasprintf("rbd: cannot connect to the Ceph cluster "
		    "(ceph_conf %s)", conf.cf_ceph_conf);
	}
	if ((p = strstr(tail, "error opening pool")) != NULL) {
		for (i = 0; i < vm->vm_ndisks; i++)
			if (is_rbd(vm->vm_disks[i].d_path) &&
			    validate_rbd(vm->vm_disks[i].d_path, RBD_SNAP_NONE,
			    &rn, NULL) == 0 && strstr(p, rn.rn_pool) != NULL)
				return xasprintf("disk %d: RBD pool %s does not "
				    "exist", i, rn.rn_pool);
		return xasprintf("an RBD pool does not exist");
	}
	if (strstr(tail, "error reading header from") != NULL ||
	    (strstr(tail, "rbd") != NULL &&
	    strstr(tail, "No such file or directory") != NULL)) {
		for (i = 0; i < vm->vm_ndisks; i++)
			if (is_rbd(vm->vm_disks[i].d_path) &&
			    validate_rbd(vm->vm_disks[i].d_path, RBD_SNAP_NONE,
			    &rn, NULL) == 0 && strstr(tail, rn.rn_image) != NULL)
				return xasprintf("disk %d: RBD image %s/%s does "
				    "not exist", i, rn.rn_pool, rn.rn_image);
	}
	return NULL;
}
