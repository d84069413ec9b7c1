/*
 * media.c: the disc in a VM's CD drive.  Every VM has the drive (an
 * ide-cd, FWS_CD_ID, empty without an ISO: vm-qemu.c); a media change
 * puts an ISO in or takes it out.  While qemu runs the change is live,
 * through QMP: the ISO, opened read-only here, reaches qemu only as a
 * descriptor (add-fd: an fdset of its own), on which a read-only file
 * node and a raw node are made (blockdev-add); the tray is opened, the
 * disc in the drive removed, the new one inserted, the tray closed, and
 * the nodes and fdset of the disc taken out are let go.  What is in the
 * drive is asked of qemu (query-block), never remembered, so a change
 * works as well on a qemu adopted after fwsd restarted; a change that
 * the last fwsd's end cut short is found then (media_adopt).  When qemu
 * does not run, the definition alone changes.
 *
 * Either way the VM's iso in the store is what its drive holds,
 * committed before the caller hears of it: the disc stays in across the
 * guest's reboots and across stop and start.  A disc put in a stopped
 * VM is booted from once by its next start (as create's --iso is); one
 * put in a running VM is not (its guest is up already).  Which ISO a
 * request may name is the caller's to decide (cmd-media.c); one change
 * per VM at a time.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"
#include "qmp.h"

/* A disc's block graph in qemu: the raw node, its file node, its fdset. */
struct media_disc {
	char		 md_node[48];
	int		 md_raw;	/* the raw node exists */
	int		 md_file;	/* its file node NODE-file exists */
	int64_t		 md_fdset;	/* -1: none of ours */
};

struct media_op {
	struct vm	*mo_vm;
	char		*mo_iso;	/* the disc to put in; NULL: eject */
	int		 mo_fd;		/* its descriptor, until qemu has it */
	media_done_fn	 mo_fn;
	void		*mo_arg;
	size_t		 mo_step;
	struct media_disc mo_new;
	struct media_disc mo_old;	/* what the drive held */
	int		 mo_removed;	/* the old disc is out of the drive */
	int		 mo_inserted;	/* the new one is in */
	/* letting go of discs: mo_drop[mo_dropped], its mo_drop_step */
	struct media_disc *mo_drop[2];
	int		 mo_ndrop;
	int		 mo_dropped;
	int		 mo_drop_step;
	int		 mo_drop_failed;	/* a node stays, so its fdset */
	enum media_err	 mo_err;
	char		*mo_cause;
};

static void	media_next(struct media_op *);
static void	media_drop_next(struct media_op *);

/* The steps of a live change, in order. */
#define MS_INSERT	0x01	/* only when a disc goes in */
#define MS_SOFT		0x02	/* a refusal is logged, the change goes on */

static json_t	*media_drive_args(struct media_op *);
static json_t	*media_open_args(struct media_op *);
static json_t	*media_file_args(struct media_op *);
static json_t	*media_raw_args(struct media_op *);
static json_t	*media_insert_args(struct media_op *);
static int	 media_found(struct media_op *, json_t *);
static int	 media_fd_added(struct media_op *, json_t *);
static int	 media_file_added(struct media_op *, json_t *);
static int	 media_raw_added(struct media_op *, json_t *);
static int	 media_removed(struct media_op *, json_t *);
static int	 media_inserted(struct media_op *, json_t *);

static const struct media_step {
	const char	*ms_cmd;
	int		 ms_flags;
	json_t		*(*ms_args)(struct media_op *);
	int		(*ms_done)(struct media_op *, json_t *);
} media_steps[] = {
	{ "query-block",		0,		NULL,	media_found },
	{ "add-fd",			MS_INSERT,	NULL,
	    media_fd_added },
	{ "blockdev-add",		MS_INSERT,	media_file_args,
	    media_file_added },
	{ "blockdev-add",		MS_INSERT,	media_raw_args,
	    media_raw_added },
	{ "blockdev-open-tray",		0,		media_open_args, NULL },
	{ "blockdev-remove-medium",	0,		media_drive_args,
	    media_removed },
	{ "blockdev-insert-medium",	MS_INSERT,	media_insert_args,
	    media_inserted },
	/* the disc is in: a tray that stays open is the guest's to close */
	{ "blockdev-close-tray",	MS_SOFT,	media_drive_args,
	    NULL },
};
#define MEDIA_NSTEPS	(sizeof(media_steps) / sizeof(*media_steps))

static json_t *
media_drive_args(struct media_op *mo)
{
	(void)mo;
	return json_pack("{ss}", "id", FWS_CD_ID);
}

/* A guest may have locked its tray: it is opened all the same. */
static json_t *
media_open_args(struct media_op *mo)
{
	(void)mo;
	return json_pack("{ss sb}", "id", FWS_CD_ID, "force", 1);
}

static json_t *
media_file_args(struct media_op *mo)
{
	char	 node[64], file[32];

	snprintf(node, sizeof(node), "%s-file", mo->mo_new.md_node);
	snprintf(file, sizeof(file), "/dev/fdset/%" PRId64,
	    mo->mo_new.md_fdset);
	return json_pack("{ss ss ss sb}", "driver", "file", "node-name", node,
	    "filename", file, "read-only", 1);
}

static json_t *
media_raw_args(struct media_op *mo)
{
	char	 file[64];

	snprintf(file, sizeof(file), "%s-file", mo->mo_new.md_node);
	return json_pack("{ss ss ss sb}", "driver", "raw", "node-name",
	    mo->mo_new.md_node, "file", file, "read-only", 1);
}

static json_t *
media_insert_args(struct media_op *mo)
{
	return json_pack("{ss ss}", "id", FWS_CD_ID, "node-name",
	    mo->mo_new.md_node);
}

static int
media_fail(struct media_op *mo, enum media_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
media_fail(struct media_op *mo, enum media_err err, const char *fmt, ...)
{
	va_list	 ap;

	if (mo->mo_cause == NULL) {
		mo->mo_err = err;
		va_start(ap, fmt);
		if (vasprintf(&mo->mo_cause, fmt, ap) == -1)
			mo->mo_cause = NULL;
		va_end(ap);
	}
	return -1;
}

/*
 * query-block: the drive, and the disc in it.  A disc's node is the
 * raw node over NODE-file on /dev/fdset/N, as vm-qemu.c and this file
 * make them.
 */
static int
media_found(struct media_op *mo, json_t *ret)
{
	json_t		*b, *in = NULL;
	const char	*qdev, *node, *file;
	size_t		 i;
	int		 found = 0, n;
	long long	 set;

	json_array_foreach(ret, i, b) {
		qdev = json_string_value(json_object_get(b, "qdev"));
		if (qdev != NULL && strcmp(qdev, FWS_CD_ID) == 0) {
			found = 1;
			in = json_object_get(b, "inserted");
		}
	}
	if (!found)
		return media_fail(mo, MEDIA_NO_DRIVE, "%s has no CD drive: its "
		    "qemu was started by an older fwsd; stop and start it to "
		    "get one", mo->mo_vm->vm_name);
	if (in == NULL) {
		if (mo->mo_iso == NULL)
			return media_fail(mo, MEDIA_EMPTY, "there is no disc "
			    "in %s's CD drive", mo->mo_vm->vm_name);
		return 0;
	}
	node = json_string_value(json_object_get(in, "node-name"));
	file = json_string_value(json_object_get(in, "file"));
	if (node == NULL || strlen(node) >= sizeof(mo->mo_old.md_node) - 8)
		return media_fail(mo, MEDIA_FAILED, "qemu names no node for "
		    "the disc in %s's CD drive", mo->mo_vm->vm_name);
	snprintf(mo->mo_old.md_node, sizeof(mo->mo_old.md_node), "%s", node);
	mo->mo_old.md_raw = mo->mo_old.md_file = 1;
	if (file != NULL && sscanf(file, "/dev/fdset/%lld%n", &set, &n) == 1 &&
	    file[n] == '\0' && set >= 0)
		mo->mo_old.md_fdset = set;
	return 0;
}

/*
 * The new disc's nodes are named after its fdset, which lives as long
 * as they do (it is let go after them): no two discs' names meet.
 */
static int
media_fd_added(struct media_op *mo, json_t *ret)
{
	json_t	*set = json_object_get(ret, "fdset-id");

	if (!json_is_integer(set) || json_integer_value(set) < 0)
		return media_fail(mo, MEDIA_FAILED, "qemu's add-fd returned no "
		    "fdset");
	mo->mo_new.md_fdset = json_integer_value(set);
	snprintf(mo->mo_new.md_node, sizeof(mo->mo_new.md_node),
	    FWS_CD_NODE "-m%" PRId64, mo->mo_new.md_fdset);
	return 0;
}

static int
media_file_added(struct media_op *mo, json_t *ret)
{
	(void)ret;
	mo->mo_new.md_file = 1;
	return 0;
}

static int
media_raw_added(struct media_op *mo, json_t *ret)
{
	(void)ret;
	mo->mo_new.md_raw = 1;
	return 0;
}

static int
media_removed(struct media_op *mo, json_t *ret)
{
	(void)ret;
	mo->mo_removed = 1;
	return 0;
}

static int
media_inserted(struct media_op *mo, json_t *ret)
{
	(void)ret;
	mo->mo_inserted = 1;
	return 0;
}

/* The definition: the drive holds iso (NULL: nothing), booted or not. */
static int
media_record(struct vm *vm, const char *iso, int booted, char **cause)
{
	char	*was = vm->vm_iso;
	int	 was_booted = vm->vm_iso_booted;

	vm->vm_iso = iso != NULL ? xasprintf("%s", iso) : NULL;
	vm->vm_iso_booted = booted;
	if (store_vm_update_iso(vm, cause) == -1) {
		free(vm->vm_iso);
		vm->vm_iso = was;
		vm->vm_iso_booted = was_booted;
		return -1;
	}
	free(was);
	return 0;
}

static void
media_free(struct media_op *mo)
{
	vm_job_end(mo->mo_vm, mo);
	if (mo->mo_fd != -1)
		close(mo->mo_fd);
	free(mo->mo_iso);
	free(mo->mo_cause);
	free(mo);
}

/*
 * The end: the definition follows what the drive holds (unless qemu
 * went away: then its next start puts the stored disc back), and the
 * caller is told.
 */
static void
media_end(struct media_op *mo)
{
	struct vm	*vm = mo->mo_vm;
	char		*cause;

	if (mo->mo_err == MEDIA_OK || (mo->mo_removed && !mo->mo_inserted &&
	    vm->vm_qmp != NULL && qmp_is_ready(vm->vm_qmp))) {
		if (media_record(vm, mo->mo_inserted ? mo->mo_iso : NULL,
		    vm->vm_iso_booted || mo->mo_inserted, &cause) == -1) {
			log_warnx("%s: %s", vm->vm_name, cause);
			media_fail(mo, MEDIA_STORE, "the CD drive of %s "
			    "changed, but fwsd cannot record it: %s",
			    vm->vm_name, cause);
			free(cause);
		}
		if (mo->mo_err == MEDIA_OK && mo->mo_iso != NULL)
			event_record(vm, "media", "%s put in the CD drive",
			    mo->mo_iso);
		else if (mo->mo_err == MEDIA_OK)
			event_record(vm, "media", "the CD drive emptied");
		else if (mo->mo_err != MEDIA_STORE) {
			event_record(vm, "media", "the CD drive is empty: %s",
			    mo->mo_cause);
			cause = mo->mo_cause;
			mo->mo_cause = xasprintf("%s; the CD drive is empty "
			    "now", cause);
			free(cause);
		}
	}
	vm_job_end(vm, mo);
	mo->mo_fn(vm, mo->mo_err, mo->mo_cause, mo->mo_arg);
	media_free(mo);
}

static void
media_reply(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct media_op		*mo = arg;
	const struct media_step	*ms = &media_steps[mo->mo_step];

	(void)q;
	if (err_class != NULL) {
		if (strcmp(err_class, QMP_ERR_DISCONNECTED) == 0) {
			media_fail(mo, MEDIA_FAILED, "%s: qemu went away",
			    mo->mo_vm->vm_name);
			media_end(mo);
			return;
		}
		if (ms->ms_flags & MS_SOFT)
			log_warnx("%s: %s: %s", mo->mo_vm->vm_name, ms->ms_cmd,
			    err_desc);
		else
			media_fail(mo, MEDIA_FAILED, "%s: %s: %s",
			    mo->mo_vm->vm_name, ms->ms_cmd, err_desc);
	} else if (ms->ms_done != NULL)
		ms->ms_done(mo, ret);
	mo->mo_step++;
	media_next(mo);
}

/* Send the next step that applies, or let go of the discs out of use. */
static void
media_next(struct media_op *mo)
{
	const struct media_step	*ms;
	struct qmp		*q = mo->mo_vm->vm_qmp;
	json_t			*args;
	int			 rc;

	for (; mo->mo_cause == NULL && mo->mo_step < MEDIA_NSTEPS;
	    mo->mo_step++) {
		ms = &media_steps[mo->mo_step];
		if ((ms->ms_flags & MS_INSERT) && mo->mo_iso == NULL)
			continue;
		args = ms->ms_args != NULL ? ms->ms_args(mo) : json_object();
		if (mo->mo_fd != -1 && strcmp(ms->ms_cmd, "add-fd") == 0) {
			rc = qmp_execute_fd(q, ms->ms_cmd, args, mo->mo_fd,
			    FWS_QMP_TIMEOUT, media_reply, mo);
			/* qmp sends a copy */
			close(mo->mo_fd);
			mo->mo_fd = -1;
		} else
			rc = qmp_execute(q, ms->ms_cmd, args, FWS_QMP_TIMEOUT,
			    media_reply, mo);
		if (rc == -1) {
			media_fail(mo, MEDIA_FAILED, "%s: no QMP connection to "
			    "qemu", mo->mo_vm->vm_name);
			break;
		}
		return;
	}
	/*
	 * Done or not: the discs out of the drive go.  After a failure,
	 * what was made for the new one; the old one once it is out.
	 */
	if (mo->mo_cause == NULL || mo->mo_removed)
		mo->mo_drop[mo->mo_ndrop++] = &mo->mo_old;
	if (!mo->mo_inserted)
		mo->mo_drop[mo->mo_ndrop++] = &mo->mo_new;
	media_drop_next(mo);
}

/* Letting go of a disc: its raw node, its file node, its fdset. */
static void
media_dropped(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct media_op	*mo = arg;

	(void)q;
	(void)ret;
	if (err_class != NULL) {
		if (strcmp(err_class, QMP_ERR_DISCONNECTED) != 0)
			log_warnx("%s: letting go of a disc: %s",
			    mo->mo_vm->vm_name, err_desc);
		mo->mo_drop_failed = 1;
	}
	media_drop_next(mo);
}

static void
media_drop_next(struct media_op *mo)
{
	struct media_disc	*md;
	struct qmp		*q = mo->mo_vm->vm_qmp;
	const char		*cmd;
	char			 node[64];
	json_t			*args;

	while (mo->mo_dropped < mo->mo_ndrop) {
		md = mo->mo_drop[mo->mo_dropped];
		cmd = "blockdev-del";
		args = NULL;
		switch (mo->mo_drop_step++) {
		case 0:
			if (md->md_raw)
				args = json_pack("{ss}", "node-name",
				    md->md_node);
			break;
		case 1:
			snprintf(node, sizeof(node), "%s-file", md->md_node);
			if (md->md_file)
				args = json_pack("{ss}", "node-name", node);
			break;
		case 2:
			/* a node that stays may still read from its fdset */
			cmd = "remove-fd";
			if (md->md_fdset >= 0 && !mo->mo_drop_failed)
				args = json_pack("{sI}", "fdset-id",
				    (json_int_t)md->md_fdset);
			break;
		default:
			mo->mo_dropped++;
			mo->mo_drop_step = 0;
			mo->mo_drop_failed = 0;
			continue;
		}
		if (args == NULL)
			continue;
		if (q != NULL && qmp_execute(q, cmd, args, FWS_QMP_TIMEOUT,
		    media_dropped, mo) == 0)
			return;
		mo->mo_drop_failed = 1;
	}
	media_end(mo);
}

static void
media_disc_init(struct media_disc *md)
{
	memset(md, 0, sizeof(*md));
	md->md_fdset = -1;
}

/*
 * Put iso (a resolved path the caller has checked) in vm's CD drive, or
 * take the disc out (iso NULL).  fn hears how it went, at once or later,
 * exactly once.
 */
void
media_change(struct vm *vm, const char *iso, media_done_fn fn, void *arg)
{
	struct media_op	*mo;
	struct stat	 sb;
	enum fws_err	 err;
	char		*cause;
	int		 live;

	/* a change under way, a start, a stop, a snapshot: busy */
	if (vm_check(vm, EV_MEDIA, &err, &cause) == -1) {
		fn(vm, MEDIA_BUSY, cause, arg);
		free(cause);
		return;
	}
	switch (vm->vm_state) {
	case VM_RUNNING:
	case VM_PAUSED:
		live = 1;
		break;
	default:
		live = 0;
		break;
	}
	/* a running VM's drive says itself (query-block): it may hold a
	 * disc a change cut short left, which the store does not know */
	if (iso == NULL && vm->vm_iso == NULL && !live) {
		cause = xasprintf("there is no disc in %s's CD drive",
		    vm->vm_name);
		fn(vm, MEDIA_EMPTY, cause, arg);
		free(cause);
		return;
	}
	if (!live) {
		/* the next start boots from a disc put in now, once */
		if (media_record(vm, iso, 0, &cause) == -1) {
			fn(vm, MEDIA_STORE, cause, arg);
			free(cause);
			return;
		}
		if (iso != NULL)
			event_record(vm, "media", "%s put in the CD drive, for "
			    "the next start to boot from once", iso);
		else
			event_record(vm, "media", "the CD drive emptied");
		fn(vm, MEDIA_OK, NULL, arg);
		return;
	}
	if ((mo = calloc(1, sizeof(*mo))) == NULL) {
		fn(vm, MEDIA_FAILED, "out of memory", arg);
		return;
	}
	mo->mo_vm = vm;
	mo->mo_fn = fn;
	mo->mo_arg = arg;
	mo->mo_fd = -1;
	media_disc_init(&mo->mo_new);
	media_disc_init(&mo->mo_old);
	if (iso != NULL) {
		mo->mo_iso = xasprintf("%s", iso);
		if ((mo->mo_fd = open(iso, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		    O_NONBLOCK)) == -1 || fstat(mo->mo_fd, &sb) == -1 ||
		    !S_ISREG(sb.st_mode)) {
			media_fail(mo, MEDIA_FAILED, "%s: %s", iso, mo->mo_fd ==
			    -1 ? strerror(errno) : "not a regular file");
			fn(vm, mo->mo_err, mo->mo_cause, arg);
			media_free(mo);
			return;
		}
	}
	if (vm->vm_qmp == NULL || !qmp_is_ready(vm->vm_qmp)) {
		media_fail(mo, MEDIA_FAILED, "%s: no QMP connection to qemu",
		    vm->vm_name);
		fn(vm, mo->mo_err, mo->mo_cause, arg);
		media_free(mo);
		return;
	}
	if (vm_job_begin(vm, JOB_MEDIA, -1, mo, &err, &cause) == -1) {
		media_fail(mo, MEDIA_BUSY, "%s", cause);
		free(cause);
		fn(vm, mo->mo_err, mo->mo_cause, arg);
		media_free(mo);
		return;
	}
	media_next(mo);
}

static void
media_adopt_found(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;
	json_t		*b, *in = NULL;
	const char	*qdev;
	char		*cause;
	size_t		 i;
	int		 found = 0, tx;

	(void)q;
	(void)err_desc;
	if (err_class != NULL)
		return;
	json_array_foreach(ret, i, b) {
		qdev = json_string_value(json_object_get(b, "qdev"));
		if (qdev != NULL && strcmp(qdev, FWS_CD_ID) == 0) {
			found = 1;
			in = json_object_get(b, "inserted");
		}
	}
	if (!found || (in != NULL) == (vm->vm_iso != NULL))
		return;
	if (in != NULL) {
		event_record(vm, "media", "the CD drive holds a disc fwsd has "
		    "no record of: a change of it was cut short when fwsd "
		    "ended; media --eject takes it out");
		return;
	}
	/* the store follows the drive, with the event: one write */
	if ((tx = store_begin(&cause)) == -1) {
		log_warnx("%s: %s", vm->vm_name, cause);
		free(cause);
		return;
	}
	event_record(vm, "media", "the CD drive is empty, not holding %s: a "
	    "change of it was cut short when fwsd ended", vm->vm_iso);
	if (media_record(vm, NULL, 0, &cause) == -1) {
		store_rollback();
		log_warnx("%s: %s", vm->vm_name, cause);
		free(cause);
		return;
	}
	if (store_commit(&cause) == -1) {
		log_warnx("%s: %s", vm->vm_name, cause);
		free(cause);
	}
}

/*
 * After a restart of fwsd: the CD drive of a qemu it adopted against
 * the store.  A change cut short by the last fwsd's end leaves them
 * apart: an empty drive the store gives a disc (the store follows the
 * drive), or a disc the store has no record of (left in; "media
 * --eject" takes it out).  An event says which.
 */
void
media_adopt(struct vm *vm)
{
	if (vm->vm_qmp != NULL)
		qmp_execute(vm->vm_qmp, "query-block", NULL, FWS_QMP_TIMEOUT,
		    media_adopt_found, vm);
}
