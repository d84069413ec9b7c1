/*
 * logcap.c: caps on the size of files that other processes append to
 * (a VM's console and qemu logs).  It knows files and sizes, not VMs.
 * One inotify descriptor in the event loop holds a one-shot watch per
 * file: the first write arms a timer, the timer looks at the size a
 * second later and puts the watch back, so a quiet file costs nothing
 * and a busy one a stat a second.  A file past its cap keeps its newest
 * part behind a marker line: the front is collapsed away where the file
 * system can (FALLOC_FL_COLLAPSE_RANGE: ext4, xfs), copied over
 * elsewhere.  The writers must append (O_APPEND): their next write then
 * lands at the new end.
 */
#include <sys/types.h>
#include <sys/inotify.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fws.h"
#include "log.h"

#define LOGCAP_MARK	"[older output removed]"
#define LOGCAP_NEAR	4096		/* how far a line boundary is sought */
#define LOGCAP_CHUNK	65536		/* one read and write of a copy */
#define LOGCAP_BLOCK_MAX 65536		/* larger blocks: copied instead */

struct logcap {
	TAILQ_ENTRY(logcap)	 lc_entry;
	char			*lc_path;	/* for messages */
	int			 lc_fd;
	dev_t			 lc_dev;
	ino_t			 lc_ino;
	int			 lc_wd;		/* -1: no watch now */
	int			 lc_unwatched;	/* no watch could be put back */
	uint64_t		 lc_max;
	struct event		*lc_timer;	/* pending: a check is due */
};
static TAILQ_HEAD(, logcap)	 logcaps = TAILQ_HEAD_INITIALIZER(logcaps);
static int			 logcap_ifd = -1;
static struct event		*logcap_ev;

static size_t
logcap_mark_len(void)
{
	return strlen(LOGCAP_MARK) + 1;		/* and its newline */
}

/* pwrite all of buf, or -1. */
static int
logcap_pwrite(int fd, const char *buf, size_t len, off_t off)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = pwrite(fd, buf, len, off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= n;
		off += n;
	}
	return 0;
}

/*
 * Where the kept part of a file of size bytes starts so that about keep
 * bytes are kept: just after a newline if one is near, so that the first
 * kept line is whole; -1 on a read error.
 */
static off_t
logcap_cut(int fd, off_t size, off_t keep)
{
	char	 buf[LOGCAP_NEAR], *nl;
	off_t	 cut = size - keep;
	ssize_t	 n;

	n = pread(fd, buf, keep / 2 < LOGCAP_NEAR ? keep / 2 : LOGCAP_NEAR,
	    cut);
	if (n == -1)
		return -1;
	if ((nl = memchr(buf, '\n', n)) != NULL)
		cut += nl - buf + 1;
	return cut;
}

/*
 * The front up to cut goes by FALLOC_FL_COLLAPSE_RANGE, which takes
 * whole blocks: the blocks before the one holding cut go, the rest of
 * the front (less than a block, but room for the marker) becomes the
 * marker line, padded with blanks.  -1 with errno when the file system
 * cannot (EOPNOTSUPP) or will not (EINVAL) collapse this range.
 */
static int
logcap_collapse(int fd, off_t cut, blksize_t blk)
{
	size_t	 mark = logcap_mark_len(), room;
	off_t	 len;
	char	*fill;
	int	 rc;

	if (blk <= 0 || blk > LOGCAP_BLOCK_MAX || cut < (off_t)mark + blk) {
		errno = EINVAL;
		return -1;
	}
	len = (cut - mark) / blk * blk;
	if (fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, len) == -1)
		return -1;
	room = cut - len;
	if ((fill = malloc(room)) == NULL)
		return -1;
	memset(fill, ' ', room);
	memcpy(fill, LOGCAP_MARK, mark - 1);
	fill[room - 1] = '\n';
	rc = logcap_pwrite(fd, fill, room, 0);
	free(fill);
	return rc;
}

/*
 * Elsewhere the marker and the part from cut on are copied to the front
 * and the file is cut short after them.  The copy goes on until it finds
 * the end, which may have moved meanwhile; only what is appended between
 * that last read and the truncation is lost.
 */
static int
logcap_copy(int fd, off_t cut)
{
	static char	 buf[LOGCAP_CHUNK];
	off_t		 rd = cut, wr = logcap_mark_len();
	ssize_t		 n;

	memcpy(buf, LOGCAP_MARK "\n", wr);
	if (logcap_pwrite(fd, buf, wr, 0) == -1)
		return -1;
	for (;;) {
		if ((n = pread(fd, buf, sizeof(buf), rd)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		if (logcap_pwrite(fd, buf, n, wr) == -1)
			return -1;
		rd += n;
		wr += n;
	}
	return ftruncate(fd, wr);
}

/*
 * Cut the file open as fd (for reading and writing, without O_APPEND)
 * down when it is over max bytes: about the newest half of max is kept,
 * from a line boundary, behind a marker line.  Collapsed where the file
 * system can; else copied, and then no more than LOGCAP_COPY_MAX is kept,
 * so that a cut never holds the event loop for long.  LOGCAP_COPY in
 * flags copies anyway.  Returns 1 when the file was cut, 0 when it was
 * within its cap, -1 with a sentence in *cause.
 */
int
logcap_trim(int fd, uint64_t max, int flags, char **cause)
{
	struct stat	 sb;
	off_t		 keep, cut;

	if (max < LOGCAP_MIN)
		return cause_fail(cause, "a cap of %llu bytes is too small",
		    (unsigned long long)max);
	if (fstat(fd, &sb) == -1)
		return cause_fail(cause, "fstat: %s", strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return cause_fail(cause, "not a regular file");
	if ((uint64_t)sb.st_size <= max)
		return 0;
	if (!(flags & LOGCAP_COPY)) {
		if ((cut = logcap_cut(fd, sb.st_size, max / 2)) == -1)
			return cause_fail(cause, "read: %s", strerror(errno));
		if (logcap_collapse(fd, cut, sb.st_blksize) == 0)
			return 1;
		if (errno != EOPNOTSUPP && errno != EINVAL && errno != ENOSYS)
			return cause_fail(cause, "cannot cut: %s",
			    strerror(errno));
	}
	keep = max / 2 < LOGCAP_COPY_MAX ? max / 2 : LOGCAP_COPY_MAX;
	if ((cut = logcap_cut(fd, sb.st_size, keep)) == -1)
		return cause_fail(cause, "read: %s", strerror(errno));
	if (logcap_copy(fd, cut) == -1)
		return cause_fail(cause, "cannot cut: %s", strerror(errno));
	return 1;
}

static void
logcap_check_now(struct logcap *lc)
{
	char	*cause;

	switch (logcap_trim(lc->lc_fd, lc->lc_max, 0, &cause)) {
	case -1:
		log_warnx("%s: %s", lc->lc_path, cause);
		free(cause);
		break;
	case 1:
		log_debug("%s: over %llu bytes: its older part removed",
		    lc->lc_path, (unsigned long long)lc->lc_max);
		break;
	}
}

/*
 * The next write to the file, whatever its name now, is reported once:
 * the watch is on the file we hold open.
 */
static int
logcap_watch(struct logcap *lc)
{
	char	 self[64];

	snprintf(self, sizeof(self), "/proc/self/fd/%d", lc->lc_fd);
	lc->lc_wd = inotify_add_watch(logcap_ifd, self, IN_MODIFY |
	    IN_ONESHOT);
	return lc->lc_wd == -1 ? -1 : 0;
}

static void
logcap_arm(struct logcap *lc)
{
	struct timeval	 tv = { 1, 0 };

	if (!evtimer_pending(lc->lc_timer, NULL))
		evtimer_add(lc->lc_timer, &tv);
}

/*
 * A second after a write: watch again (a watch that is still there is
 * kept, as after a queue overflow), then cut the file if it is over.
 */
static void
logcap_timer(int fd, short what, void *arg)
{
	struct logcap	*lc = arg;

	(void)fd;
	(void)what;
	if (logcap_watch(lc) == -1) {
		/* looked at every second until the watch is back */
		if (!lc->lc_unwatched)
			log_warn("%s: cannot watch, checked every second",
			    lc->lc_path);
		lc->lc_unwatched = 1;
		logcap_arm(lc);
	} else if (lc->lc_unwatched) {
		log_info("%s: watched again", lc->lc_path);
		lc->lc_unwatched = 0;
	}
	logcap_check_now(lc);
}

/*
 * A one-shot watch fired (IN_MODIFY) or went (IN_IGNORED: it fired, or
 * the file is gone): either way it is no more, and a check is due.  A
 * queue that overflowed (wd -1) may have lost any of them.
 */
static void
logcap_event(int wd, uint32_t mask)
{
	struct logcap	*lc;

	TAILQ_FOREACH(lc, &logcaps, lc_entry) {
		if (mask & IN_Q_OVERFLOW)
			logcap_arm(lc);
		else if (lc->lc_wd == wd) {
			lc->lc_wd = -1;
			logcap_arm(lc);
			return;
		}
	}
}

static void
logcap_read(int fd, short what, void *arg)
{
	char			 buf[4096] __attribute__((aligned(
				    __alignof__(struct inotify_event))));
	const struct inotify_event *ie;
	ssize_t			 n, off;

	(void)what;
	(void)arg;
	if ((n = read(fd, buf, sizeof(buf))) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("%s: inotify read", __func__);
		return;
	}
	for (off = 0; off + (ssize_t)sizeof(*ie) <= n; ) {
		ie = (const struct inotify_event *)(buf + off);
		logcap_event(ie->wd, ie->mask);
		off += sizeof(*ie) + ie->len;
	}
}

static int
logcap_open_inotify(char **cause)
{
	if (logcap_ifd != -1)
		return 0;
	if ((logcap_ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		return cause_fail(cause, "inotify: %s", strerror(errno));
	logcap_ev = event_new(base, logcap_ifd, EV_READ | EV_PERSIST,
	    logcap_read, NULL);
	if (logcap_ev == NULL || event_add(logcap_ev, NULL) == -1) {
		if (logcap_ev != NULL)
			event_free(logcap_ev);
		logcap_ev = NULL;
		close(logcap_ifd);
		logcap_ifd = -1;
		return cause_fail(cause, "inotify: cannot add its event");
	}
	return 0;
}

/*
 * fwsd ends: the inotify descriptor goes (with the caps left).  It is
 * kept open in between, not closed with the last cap: closing an
 * inotify descriptor waits for an RCU grace period (a millisecond or
 * more), and the last cap goes when a VM ends, on the way to the reply
 * to its destroy.
 */
void
logcap_release(void)
{
	while (!TAILQ_EMPTY(&logcaps))
		logcap_remove(TAILQ_FIRST(&logcaps));
	if (logcap_ifd == -1)
		return;
	event_free(logcap_ev);
	logcap_ev = NULL;
	close(logcap_ifd);
	logcap_ifd = -1;
}

/*
 * Cap the file at path (an existing regular file, not a link) at max
 * bytes from now on, and cut it now if it is over already.  NULL with a
 * sentence in *cause when it cannot be watched.
 */
struct logcap *
logcap_add(const char *path, uint64_t max, char **cause)
{
	struct logcap	*lc;
	struct stat	 sb;
	int		 fd = -1, saved;

	if (max < LOGCAP_MIN) {
		cause_fail(cause, "%s: a cap of %llu bytes is too small", path,
		    (unsigned long long)max);
		return NULL;
	}
	if (logcap_open_inotify(cause) == -1)
		return NULL;
	fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &sb) == -1) {
		cause_fail(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		cause_fail(cause, "%s: not a regular file", path);
		goto fail;
	}
	/* one watch per file: a second cap would share, and lose, it */
	TAILQ_FOREACH(lc, &logcaps, lc_entry)
		if (lc->lc_dev == sb.st_dev && lc->lc_ino == sb.st_ino) {
			cause_fail(cause, "%s: capped already", path);
			goto fail;
		}
	if ((lc = calloc(1, sizeof(*lc))) == NULL) {
		cause_fail(cause, "out of memory");
		goto fail;
	}
	lc->lc_path = xasprintf("%s", path);
	lc->lc_fd = fd;
	lc->lc_dev = sb.st_dev;
	lc->lc_ino = sb.st_ino;
	lc->lc_max = max;
	lc->lc_timer = evtimer_new(base, logcap_timer, lc);
	if (lc->lc_timer == NULL || logcap_watch(lc) == -1) {
		saved = errno;
		if (lc->lc_timer != NULL)
			event_free(lc->lc_timer);
		free(lc->lc_path);
		free(lc);
		errno = saved;
		cause_fail(cause, "%s: cannot watch: %s", path,
		    errno == ENOSPC ? "too many inotify watches "
		    "(fs.inotify.max_user_watches)" : strerror(errno));
		goto fail;
	}
	TAILQ_INSERT_TAIL(&logcaps, lc, lc_entry);
	logcap_check_now(lc);
	return lc;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	errno = saved;
	return NULL;
}

/*
 * Stop capping: after a last check when the file was written to since
 * the one before.  NULL is fine.
 */
void
logcap_remove(struct logcap *lc)
{
	if (lc == NULL)
		return;
	if (evtimer_pending(lc->lc_timer, NULL))
		logcap_check_now(lc);
	TAILQ_REMOVE(&logcaps, lc, lc_entry);
	event_free(lc->lc_timer);
	if (lc->lc_wd != -1)
		inotify_rm_watch(logcap_ifd, lc->lc_wd);
	close(lc->lc_fd);
	free(lc->lc_path);
	free(lc);
}
