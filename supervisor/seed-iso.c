/*
 * seed-iso.c: a VM's cloud-init seed image (what it holds is seed.c's).
 * genisoimage makes it as a child (never a shell, never waited for)
 * from user-data and meta-data written in the VM's directory (seed.d,
 * root's alone, gone once it is made): an ISO 9660 image labelled
 * cidata with Joliet and Rock Ridge names, as NoCloud reads it.  The
 * image is the VM's directory's FWS_SEED_FILE, root's, 0600: qemu gets
 * it as a read-only descriptor (vm-run.c), and no qemu uid may open it
 * by its name.  create.c makes it before the VM is committed; delete
 * removes it.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"

struct seed_iso {
	struct proc_watch	*si_watch;
	seed_done_fn		 si_done;
	void			*si_arg;
	char			*si_dir;	/* the files genisoimage reads */
	char			*si_new;	/* what it writes */
	char			*si_path;	/* the seed, once it is made */
	char			*si_log;	/* its words */
};

char *
seed_iso_path(const struct vm *vm)
{
	return vm_file(vm, FWS_SEED_FILE);
}

/* A file of root's alone in dir, made anew with text. */
static int
seed_iso_write(const char *dir, const char *name, const char *text,
    char **cause)
{
	char	*p = xasprintf("%s/%s", dir, name);
	size_t	 len = strlen(text);
	int	 fd;

	unlink(p);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1 || write(fd, text, len) != (ssize_t)len) {
		cause_fail(cause, "%s: %s", p, strerror(errno));
		if (fd != -1)
			close(fd);
		free(p);
		return -1;
	}
	close(fd);
	free(p);
	return 0;
}

/* The sources' directory, emptied and gone. */
static void
seed_iso_clean(const char *dir)
{
	char	*p;

	p = xasprintf("%s/user-data", dir);
	unlink(p);
	free(p);
	p = xasprintf("%s/meta-data", dir);
	unlink(p);
	free(p);
	rmdir(dir);
}

static void
seed_iso_free(struct seed_iso *si)
{
	proc_unwatch(si->si_watch);
	seed_iso_clean(si->si_dir);
	unlink(si->si_new);
	if (si->si_log != NULL)
		unlink(si->si_log);
	free(si->si_dir);
	free(si->si_new);
	free(si->si_path);
	free(si->si_log);
	free(si);
}

static void
seed_iso_exited(pid_t pid, int status, void *arg)
{
	struct seed_iso	*si = arg;
	char		*out, *why = NULL, *err;

	(void)pid;
	if (status != 0) {
		out = proc_output(si->si_log, 1024);
		why = xasprintf("genisoimage could not make the cloud-init "
		    "seed: %s", strrchr(out, '\n') ? strrchr(out, '\n') + 1 :
		    out);
		free(out);
	} else if (access_take_back(si->si_new, &err) == -1) {
		why = xasprintf("the cloud-init seed: %s", err);
		free(err);
	} else if (rename(si->si_new, si->si_path) == -1)
		why = xasprintf("the cloud-init seed: rename %s: %s",
		    si->si_new, strerror(errno));
	/* its sources gone first: a failed create removes the directory */
	proc_unwatch(si->si_watch);
	si->si_watch = NULL;
	seed_iso_clean(si->si_dir);
	unlink(si->si_new);
	si->si_done(si->si_arg, why);
	free(why);
	seed_iso_free(si);
}

/*
 * Make vm's seed (vm_seed) in the background; done(arg, why) once it is
 * there (why NULL) or not (why says why, freed after done returns).
 * NULL and *cause when genisoimage cannot be run at all.
 */
struct seed_iso *
seed_iso_make(const struct vm *vm, seed_done_fn done, void *arg, char **cause)
{
	struct seed_iso	*si;
	struct proc_spec ps;
	char		*argv[12], *ud, *md, *udp, *mdp;
	pid_t		 pid;
	int		 fd = -1, rc;

	if ((si = calloc(1, sizeof(*si))) == NULL) {
		*cause = xasprintf("out of memory");
		return NULL;
	}
	si->si_done = done;
	si->si_arg = arg;
	si->si_dir = vm_file(vm, "seed.d");
	si->si_new = vm_file(vm, FWS_SEED_FILE ".new");
	si->si_path = seed_iso_path(vm);
	si->si_log = vm_run_path(vm, "genisoimage.out");
	seed_iso_clean(si->si_dir);
	unlink(si->si_new);
	ud = seed_user_data(vm->vm_seed);
	md = seed_meta_data(vm->vm_uuid, vm->vm_name);
	rc = access_mkdir_private(si->si_dir, cause) == -1 ||
	    seed_iso_write(si->si_dir, "user-data", ud, cause) == -1 ||
	    seed_iso_write(si->si_dir, "meta-data", md, cause) == -1 ? -1 : 0;
	free(ud);
	free(md);
	if (rc == -1) {
		seed_iso_free(si);
		return NULL;
	}
	udp = xasprintf("%s/user-data", si->si_dir);
	mdp = xasprintf("%s/meta-data", si->si_dir);
	argv[0] = FWS_GENISOIMAGE;
	argv[1] = "-quiet";
	argv[2] = "-output";
	argv[3] = si->si_new;
	argv[4] = "-volid";
	argv[5] = "cidata";
	argv[6] = "-joliet";
	argv[7] = "-rock";
	argv[8] = udp;
	argv[9] = mdp;
	argv[10] = NULL;
	fd = open(si->si_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	memset(&ps, 0, sizeof(ps));
	ps.ps_argv = argv;
	ps.ps_stdout = fd;
	ps.ps_fsize_max = 4 * 1024 * 1024;	/* the image of a few KiB */
	rc = 0;
	if (proc_spawn(&ps, &pid, cause) == -1 ||
	    (si->si_watch = proc_watch(pid, seed_iso_exited, si, cause)) == NULL)
		rc = -1;
	if (fd != -1)
		close(fd);
	free(udp);
	free(mdp);
	if (rc == -1) {
		seed_iso_free(si);
		return NULL;
	}
	return si;
}

/* Give up on a seed under way: genisoimage killed, its files gone. */
void
seed_iso_cancel(struct seed_iso *si)
{
	if (si == NULL)
		return;
	if (si->si_watch != NULL)
		proc_signal(si->si_watch, SIGKILL);
	unlink(si->si_path);
	seed_iso_free(si);
}

/* A deleted VM's seed. */
void
seed_iso_remove(const struct vm *vm)
{
	char	*p = seed_iso_path(vm);

	if (unlink(p) == -1 && errno != ENOENT)
		log_warn("%s: unlink %s", vm->vm_name, p);
	free(p);
}
