/*
 * test_logcap.c: logcap_trim, on files in /tmp (ext4 here: the collapse
 * path, skipped where the file system cannot collapse) and in /dev/shm
 * (tmpfs: the copy path), and with the copy forced: a file within its
 * cap is left alone, one over it keeps its newest part from a line
 * boundary behind the marker line, and an appending writer goes on at
 * the new end.
 */
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "fws.h"

struct event_base	*base;		/* logcap.c's event loop: unused here */

#define MARK	"[older output removed]"
#define CAP	(64 << 10)

/* An empty file in dir, already unlinked: fd for reading and writing. */
static int
tmp_file(const char *dir)
{
	char	 path[256];
	int	 fd;

	snprintf(path, sizeof(path), "%s/fws-logcap.XXXXXX", dir);
	if ((fd = mkstemp(path)) == -1)
		fail_msg("mkstemp %s: %s", path, strerror(errno));
	unlink(path);
	return fd;
}

static void
put(int fd, const char *buf, size_t len)
{
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
}

/* Lines "line NNNNNN ...\n" of varying length, size bytes in all. */
static char *
lines(size_t size)
{
	char	*buf = malloc(size + 64), *p = buf;
	int	 i = 0;

	assert_non_null(buf);
	while ((size_t)(p - buf) < size)
		p += sprintf(p, "line %06d %.*s\n", i, i % 37,
		    "abcdefghijklmnopqrstuvwxyz0123456789!"), i++;
	buf[size - 1] = '\n';
	return buf;
}

static char *
slurp(int fd, size_t *len)
{
	struct stat	 sb;
	char		*buf;

	assert_int_equal(fstat(fd, &sb), 0);
	buf = malloc(sb.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, sb.st_size, 0), sb.st_size);
	buf[sb.st_size] = '\0';
	*len = sb.st_size;
	return buf;
}

/*
 * After a cut of orig (olen bytes): the file is within cap and ends with
 * orig; its first line is the marker (padded with blanks when pad) and
 * the rest starts at a line boundary of orig.  Returns the bytes removed
 * from orig's front.
 */
static size_t
check_cut(int fd, const char *orig, size_t olen, size_t cap, int pad)
{
	char	*now, *nl;
	size_t	 len, first, kept, i;

	now = slurp(fd, &len);
	assert_true(len <= cap);
	assert_true(len >= cap / 2 - 4096);
	nl = memchr(now, '\n', len);
	assert_non_null(nl);
	first = nl - now + 1;
	assert_true(first >= strlen(MARK) + 1);
	assert_memory_equal(now, MARK, strlen(MARK));
	for (i = strlen(MARK); i < first - 1; i++)
		assert_int_equal(now[i], ' ');
	if (!pad)
		assert_int_equal(first, strlen(MARK) + 1);
	kept = len - first;
	assert_true(kept < olen);
	assert_memory_equal(now + first, orig + olen - kept, kept);
	assert_int_equal(orig[olen - kept - 1], '\n');
	free(now);
	return olen - kept;
}

static void
test_under_cap(void **state)
{
	const char	*dirs[] = { "/tmp", "/dev/shm" };
	char		*orig, *now;
	size_t		 i, len;
	int		 fd, flags;

	(void)state;
	orig = lines(CAP);
	for (i = 0; i < 2; i++)
		for (flags = 0; flags <= LOGCAP_COPY; flags += LOGCAP_COPY) {
			fd = tmp_file(dirs[i]);
			put(fd, orig, CAP);
			assert_int_equal(logcap_trim(fd, CAP, flags, NULL), 0);
			now = slurp(fd, &len);
			assert_int_equal(len, CAP);
			assert_memory_equal(now, orig, CAP);
			free(now);
			close(fd);
		}
	free(orig);
}

/* The copy path, forced on any file system. */
static void
test_copy(void **state)
{
	char	*orig;
	int	 fd;

	(void)state;
	orig = lines(3 * CAP + 123);
	fd = tmp_file("/tmp");
	put(fd, orig, 3 * CAP + 123);
	assert_int_equal(logcap_trim(fd, CAP, LOGCAP_COPY, NULL), 1);
	check_cut(fd, orig, 3 * CAP + 123, CAP, 0);
	/* cut once: within the cap now */
	assert_int_equal(logcap_trim(fd, CAP, LOGCAP_COPY, NULL), 0);
	close(fd);
	free(orig);
}

/* tmpfs cannot collapse: the copy path, without asking. */
static void
test_tmpfs(void **state)
{
	char	*orig;
	int	 fd;

	(void)state;
	orig = lines(2 * CAP + 7);
	fd = tmp_file("/dev/shm");
	put(fd, orig, 2 * CAP + 7);
	assert_int_equal(logcap_trim(fd, CAP, 0, NULL), 1);
	check_cut(fd, orig, 2 * CAP + 7, CAP, 0);
	close(fd);
	free(orig);
}

/* ext4 and xfs collapse whole blocks away: none of the front is copied. */
static void
test_collapse(void **state)
{
	struct statfs	 fs;
	struct stat	 sb;
	char		*orig;
	size_t		 gone;
	int		 fd;

	(void)state;
	if (statfs("/tmp", &fs) == -1 || (fs.f_type != EXT4_SUPER_MAGIC &&
	    fs.f_type != XFS_SUPER_MAGIC))
		skip();
	fd = tmp_file("/tmp");
	orig = lines(3 * CAP + 1001);
	put(fd, orig, 3 * CAP + 1001);
	assert_int_equal(logcap_trim(fd, CAP, 0, NULL), 1);
	gone = check_cut(fd, orig, 3 * CAP + 1001, CAP, 1);
	/* what went is whole blocks, less the marker line's room */
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal((3 * CAP + 1001 - sb.st_size) % sb.st_blksize, 0);
	assert_true(gone > 2 * CAP);
	close(fd);
	free(orig);
}

/* The kept part starts after a newline when one is near, else anywhere. */
static void
test_line_boundary(void **state)
{
	const char	*dirs[] = { "/tmp", "/dev/shm" };
	char		*orig, *now;
	size_t		 i, len, olen = 3 * CAP;
	int		 fd, flags;

	(void)state;
	/* one newline, somewhere after where the cut would be */
	orig = malloc(olen);
	assert_non_null(orig);
	memset(orig, 'x', olen);
	orig[olen - CAP / 2 + 1000] = '\n';
	for (i = 0; i < 2; i++)
		for (flags = 0; flags <= LOGCAP_COPY; flags += LOGCAP_COPY) {
			fd = tmp_file(dirs[i]);
			put(fd, orig, olen);
			assert_int_equal(logcap_trim(fd, CAP, flags, NULL), 1);
			now = slurp(fd, &len);
			/* the kept part is what follows the newline */
			assert_int_equal(now[len - (CAP / 2 - 1001) - 1], '\n');
			assert_memory_equal(now + len - (CAP / 2 - 1001),
			    orig + olen - (CAP / 2 - 1001), CAP / 2 - 1001);
			free(now);
			close(fd);
		}
	/* no newline at all: the newest half of the cap, to the byte */
	memset(orig, 'x', olen);
	fd = tmp_file("/dev/shm");
	put(fd, orig, olen);
	assert_int_equal(logcap_trim(fd, CAP, 0, NULL), 1);
	now = slurp(fd, &len);
	assert_int_equal(len, strlen(MARK) + 1 + CAP / 2);
	assert_memory_equal(now, MARK "\n", strlen(MARK) + 1);
	free(now);
	close(fd);
	free(orig);
}

/* A writer with O_APPEND goes on at the new end, on both paths. */
static void
test_appender(void **state)
{
	char	 path[] = "/tmp/fws-logcap.XXXXXX", *orig, *now;
	size_t	 len, cut;
	int	 fd, wfd, flags;

	(void)state;
	orig = lines(2 * CAP);
	for (flags = 0; flags <= LOGCAP_COPY; flags += LOGCAP_COPY) {
		strcpy(path, "/tmp/fws-logcap.XXXXXX");
		assert_true((fd = mkstemp(path)) != -1);
		assert_true((wfd = open(path, O_WRONLY | O_APPEND)) != -1);
		unlink(path);
		put(wfd, orig, 2 * CAP);
		assert_int_equal(logcap_trim(fd, CAP, flags, NULL), 1);
		now = slurp(fd, &len);
		free(now);
		cut = len;
		put(wfd, "after the cut\n", 14);
		now = slurp(fd, &len);
		assert_int_equal(len, cut + 14);
		assert_memory_equal(now + cut, "after the cut\n", 14);
		free(now);
		close(wfd);
		close(fd);
	}
	free(orig);
}

/* Copying keeps no more than LOGCAP_COPY_MAX, however large the cap. */
static void
test_copy_max(void **state)
{
	uint64_t	 cap = 4 * LOGCAP_COPY_MAX;
	struct stat	 sb;
	int		 fd;

	(void)state;
	fd = tmp_file("/dev/shm");
	assert_int_equal(ftruncate(fd, cap + 1), 0);	/* sparse, no lines */
	assert_int_equal(logcap_trim(fd, cap, 0, NULL), 1);
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_size, strlen(MARK) + 1 + LOGCAP_COPY_MAX);
	close(fd);
}

static void
test_errors(void **state)
{
	char	*cause = NULL;
	int	 fd, p[2];

	(void)state;
	fd = tmp_file("/tmp");
	assert_int_equal(logcap_trim(fd, LOGCAP_MIN - 1, 0, &cause), -1);
	assert_non_null(strstr(cause, "too small"));
	free(cause);
	close(fd);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(logcap_trim(p[0], CAP, 0, &cause), -1);
	assert_string_equal(cause, "not a regular file");
	free(cause);
	close(p[0]);
	close(p[1]);
	assert_int_equal(logcap_trim(-1, CAP, 0, &cause), -1);
	assert_non_null(strstr(cause, "fstat"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_under_cap),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_tmpfs),
		cmocka_unit_test(test_collapse),
		cmocka_unit_test(test_line_boundary),
		cmocka_unit_test(test_appender),
		cmocka_unit_test(test_copy_max),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
