/*
 * fwsctl-archive.c: the disk inside an archive that image-import is
 * given: the .vmdk of an .ova, and the disk of a Vagrant box (.box: a
 * tar, usually gzipped, holding box.img for the libvirt provider, or an
 * .ovf and a .vmdk for virtualbox, with metadata.json saying which).
 *
 * Everything here runs as the user who imports, with their rights: a
 * compressed box is unpacked by gzip, bzip2 or xz (a child, argv only)
 * into a temporary file of theirs, removed when fwsctl ends; the tar
 * headers are read to find where the disk lies, and fwsd is told the
 * file, the offset and the length, so that qemu-img (as the user too)
 * reads the disk in place.  Nothing inside an archive is trusted: names
 * and sizes are bounded, a member that runs past the file's end is
 * refused, and the disk's format comes from its name or metadata.json
 * among a fixed few, never from probing its content.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "fws.h"
#include "fwsctl.h"

#define TAR_BLOCK	512
#define TAR_NAME_MAX	255	/* longer member names are not a disk's */
#define PAX_MAX		(64 << 10)
#define METADATA_MAX	(64 << 10)

extern char **environ;

/* The unpacked copy of a compressed box, removed at exit or signal. */
static char	unpacked[PATH_MAX];

static void
unpacked_remove(void)
{
	if (unpacked[0] != '\0')
		unlink(unpacked);
}

static void
unpacked_signal(int sig)
{
	if (unpacked[0] != '\0')
		unlink(unpacked);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A tar header's number: octal, or GNU's base-256 for large sizes. */
static int
tar_number(const unsigned char *p, size_t len, uint64_t *v)
{
	size_t	 i;

	*v = 0;
	if (p[0] & 0x80) {
		if (p[0] != 0x80)
			return -1;	/* negative, or too large */
		for (i = 1; i < len; i++) {
			if (*v >> 56)
				return -1;
			*v = (*v << 8) | p[i];
		}
		return 0;
	}
	for (i = 0; i < len && (p[i] == ' ' || p[i] == '0'); i++)
		;
	for (; i < len && p[i] >= '0' && p[i] <= '7'; i++) {
		if (*v >> 60)
			return -1;
		*v = *v * 8 + (p[i] - '0');
	}
	for (; i < len; i++)
		if (p[i] != ' ' && p[i] != '\0')
			return -1;
	return 0;
}

/*
 * The "size" and "path" records of a pax extended header, which apply
 * to the member that follows.  Records are "LEN KEY=VALUE\n".
 */
static void
pax_read(const char *data, size_t len, uint64_t *size, char *path,
    size_t pathlen)
{
	const char	*p = data, *end = data + len, *eq, *rec_end;
	char		*num_end;
	unsigned long	 rlen;

	while (p < end) {
		errno = 0;
		rlen = strtoul(p, &num_end, 10);
		if (errno != 0 || num_end == p || *num_end != ' ' ||
		    rlen == 0 || rlen > (size_t)(end - p))
			return;
		rec_end = p + rlen;
		if (rec_end[-1] != '\n')
			return;
		eq = memchr(num_end + 1, '=', rec_end - num_end - 1);
		if (eq != NULL) {
			size_t	 klen = eq - num_end - 1;
			size_t	 vlen = rec_end - eq - 2;

			if (klen == 4 && memcmp(num_end + 1, "size", 4) == 0) {
				char	 v[24];

				if (vlen < sizeof(v)) {
					memcpy(v, eq + 1, vlen);
					v[vlen] = '\0';
					errno = 0;
					*size = strtoull(v, &num_end, 10);
					if (errno != 0 || *num_end != '\0')
						*size = UINT64_MAX;
				}
			} else if (klen == 4 &&
			    memcmp(num_end + 1, "path", 4) == 0 &&
			    vlen < pathlen) {
				memcpy(path, eq + 1, vlen);
				path[vlen] = '\0';
			}
		}
		p = rec_end;
	}
}

/* A member's name without a leading "./". */
static const char *
member_name(const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	return name;
}

static int
ends_with(const char *s, const char *end)
{
	size_t	 len = strlen(s), elen = strlen(end);

	return len > elen && strcasecmp(s + len - elen, end) == 0;
}

/* What a walk of the tar found: each wanted member's place. */
struct tar_found {
	uint64_t	 tf_img_off, tf_img_len;	/* box.img */
	uint64_t	 tf_vmdk_off, tf_vmdk_len;	/* the first .vmdk */
	uint64_t	 tf_vhdx_off, tf_vhdx_len;	/* the first .vhdx */
	uint64_t	 tf_meta_off, tf_meta_len;	/* metadata.json */
	int		 tf_img, tf_vmdk, tf_vhdx, tf_meta;
};

/*
 * Walk the tar's headers (ustar, GNU and pax), noting where the members
 * a disk may be lie.  Exits with a clear error on anything odd.
 */
static void
tar_walk(int fd, const char *path, const char *what, struct tar_found *tf)
{
	unsigned char	 h[TAR_BLOCK];
	char		 name[TAR_NAME_MAX + 1], pax_path[TAR_NAME_MAX + 1];
	char		*pax;
	const char	*n;
	uint64_t	 off = 0, size, pax_size = UINT64_MAX, file_size;
	struct stat	 sb;
	ssize_t		 got;
	int		 members = 0;

	if (fstat(fd, &sb) == -1)
		fwsctl_errx(1, "%s: %s", path, strerror(errno));
	file_size = sb.st_size;
	memset(tf, 0, sizeof(*tf));
	pax_path[0] = '\0';
	for (;;) {
		got = pread(fd, h, sizeof(h), off);
		if (got == -1)
			fwsctl_errx(1, "%s: %s", path, strerror(errno));
		if (got != (ssize_t)sizeof(h) || h[0] == '\0')
			break;
		if (memcmp(h + 257, "ustar", 5) != 0)
			fwsctl_errx(1, "%s: not %s (a tar archive)", path, what);
		if (tar_number(h + 124, 12, &size) == -1)
			fwsctl_errx(1, "%s: a member's size is not a number",
			    path);
		if (pax_size != UINT64_MAX)
			size = pax_size;
		if (size > file_size || off + TAR_BLOCK > file_size - size)
			fwsctl_errx(1, "%s: a member runs past the end of the "
			    "file (cut short?)", path);
		if (h[156] == 'x') {
			/* a pax header for the next member */
			if (size > PAX_MAX)
				fwsctl_errx(1, "%s: a pax header of %llu "
				    "bytes", path, (unsigned long long)size);
			if ((pax = malloc(size + 1)) == NULL)
				fwsctl_errx(1, "out of memory");
			if (pread(fd, pax, size, off + TAR_BLOCK) !=
			    (ssize_t)size)
				fwsctl_errx(1, "%s: cannot read a pax header",
				    path);
			pax_read(pax, size, &pax_size, pax_path,
			    sizeof(pax_path));
			free(pax);
		} else {
			if (pax_path[0] != '\0')
				memcpy(name, pax_path, sizeof(name));
			else {
				memcpy(name, h, 100);
				name[100] = '\0';
			}
			n = member_name(name);
			if (h[156] == '0' || h[156] == '\0') {
				if (!tf->tf_img && strcmp(n, "box.img") == 0) {
					tf->tf_img = 1;
					tf->tf_img_off = off + TAR_BLOCK;
					tf->tf_img_len = size;
				} else if (!tf->tf_vmdk &&
				    ends_with(n, ".vmdk")) {
					tf->tf_vmdk = 1;
					tf->tf_vmdk_off = off + TAR_BLOCK;
					tf->tf_vmdk_len = size;
				} else if (!tf->tf_vhdx &&
				    ends_with(n, ".vhdx")) {
					tf->tf_vhdx = 1;
					tf->tf_vhdx_off = off + TAR_BLOCK;
					tf->tf_vhdx_len = size;
				} else if (!tf->tf_meta &&
				    strcmp(n, "metadata.json") == 0) {
					tf->tf_meta = 1;
					tf->tf_meta_off = off + TAR_BLOCK;
					tf->tf_meta_len = size;
				}
			}
			pax_size = UINT64_MAX;
			pax_path[0] = '\0';
		}
		if (++members > 100000)
			fwsctl_errx(1, "%s: too many members", path);
		off += TAR_BLOCK + (size + TAR_BLOCK - 1) / TAR_BLOCK *
		    TAR_BLOCK;
	}
	if (members == 0)
		fwsctl_errx(1, "%s: not %s (an empty or unreadable tar "
		    "archive)", path, what);
}

/* metadata.json's "provider" and "format", if it says them. */
static void
box_metadata(int fd, const char *path, const struct tar_found *tf,
    char *provider, size_t plen, char *format, size_t flen)
{
	json_t		*m;
	json_error_t	 e;
	const char	*s;
	char		*buf;

	provider[0] = format[0] = '\0';
	if (!tf->tf_meta || tf->tf_meta_len > METADATA_MAX)
		return;
	if ((buf = malloc(tf->tf_meta_len + 1)) == NULL)
		fwsctl_errx(1, "out of memory");
	if (pread(fd, buf, tf->tf_meta_len, tf->tf_meta_off) !=
	    (ssize_t)tf->tf_meta_len)
		fwsctl_errx(1, "%s: cannot read metadata.json", path);
	buf[tf->tf_meta_len] = '\0';
	m = json_loads(buf, 0, &e);
	free(buf);
	if (m == NULL || !json_is_object(m))
		fwsctl_errx(1, "%s: its metadata.json is not a JSON object",
		    path);
	if ((s = json_string_value(json_object_get(m, "provider"))) != NULL)
		snprintf(provider, plen, "%s", s);
	if ((s = json_string_value(json_object_get(m, "format"))) != NULL)
		snprintf(format, flen, "%s", s);
	json_decref(m);
}

/* The unpacker a box's first bytes call for; NULL: a plain tar. */
static const char *
box_unpacker(int fd, const char *path)
{
	unsigned char	 m[6];
	ssize_t		 got;

	if ((got = pread(fd, m, sizeof(m), 0)) == -1)
		fwsctl_errx(1, "%s: %s", path, strerror(errno));
	if (got >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		return "gzip";
	if (got >= 3 && memcmp(m, "BZh", 3) == 0)
		return "bzip2";
	if (got >= 6 && memcmp(m, "\xfd" "7zXZ\0", 6) == 0)
		return "xz";
	return NULL;
}

/*
 * Unpack the compressed box on fd into a temporary file of the caller's
 * (TMPDIR, else /var/tmp, which is rarely in memory), with the unpacker
 * as a child: "PROGRAM -dc" reading fd, writing the file.  Returns the
 * file's descriptor; its path is in unpacked[].
 */
static int
box_unpack(int fd, const char *path, const char *prog)
{
	posix_spawn_file_actions_t fa;
	const char	*dir = getenv("TMPDIR");
	char		*argv[] = { (char *)prog, "-dc", NULL };
	pid_t		 pid;
	int		 out, status, rc;

	if (dir == NULL || dir[0] != '/')
		dir = "/var/tmp";
	if (snprintf(unpacked, sizeof(unpacked), "%s/fwsctl-box.XXXXXX",
	    dir) >= (int)sizeof(unpacked))
		fwsctl_errx(1, "TMPDIR: too long");
	atexit(unpacked_remove);
	signal(SIGINT, unpacked_signal);
	signal(SIGTERM, unpacked_signal);
	signal(SIGHUP, unpacked_signal);
	if ((out = mkstemp(unpacked)) == -1) {
		unpacked[0] = '\0';
		fwsctl_errx(1, "%s: %s", dir, strerror(errno));
	}
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "unpacking %s with %s into %s\n", path, prog,
		    dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
	rc = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		fwsctl_errx(1, "%s: cannot run %s to unpack it: %s", path,
		    prog, strerror(rc));
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			fwsctl_errx(1, "waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fwsctl_errx(1, "%s: %s could not unpack it (corrupt, cut "
		    "short, or no room in %s?)", path, prog, dir);
	return out;
}

/*
 * The disk of a Vagrant box: box.img (libvirt; qcow2 unless
 * metadata.json says raw), else the .vmdk (virtualbox, vmware), else
 * the .vhdx (hyperv).
 */
static void
box_find_disk(const char *path, struct archive_disk *ad)
{
	struct tar_found tf;
	const char	*prog;
	char		 provider[64], format[16];
	int		 fd, tfd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		fwsctl_errx(1, "%s: %s", path, strerror(errno));
	snprintf(ad->ad_path, sizeof(ad->ad_path), "%s", path);
	tfd = fd;
	if ((prog = box_unpacker(fd, path)) != NULL) {
		tfd = box_unpack(fd, path, prog);
		snprintf(ad->ad_path, sizeof(ad->ad_path), "%s", unpacked);
	}
	tar_walk(tfd, path, "a Vagrant box", &tf);
	box_metadata(tfd, path, &tf, provider, sizeof(provider), format,
	    sizeof(format));
	if (tfd != fd)
		close(tfd);
	close(fd);
	if (tf.tf_img) {
		if (format[0] != '\0' && strcmp(format, "qcow2") != 0 &&
		    strcmp(format, "raw") != 0)
			fwsctl_errx(1, "%s: its metadata.json gives the format "
			    "\"%.16s\": not qcow2 or raw", path, format);
		ad->ad_format = strcmp(format, "raw") == 0 ? "raw" : "qcow2";
		ad->ad_offset = tf.tf_img_off;
		ad->ad_length = tf.tf_img_len;
	} else if (tf.tf_vmdk) {
		ad->ad_format = "vmdk";
		ad->ad_offset = tf.tf_vmdk_off;
		ad->ad_length = tf.tf_vmdk_len;
	} else if (tf.tf_vhdx) {
		ad->ad_format = "vhdx";
		ad->ad_offset = tf.tf_vhdx_off;
		ad->ad_length = tf.tf_vhdx_len;
	} else
		fwsctl_errx(1, "%s: no disk inside%s%s%s (a box holds box.img "
		    "for libvirt, or a .vmdk for virtualbox)", path,
		    provider[0] != '\0' ? " (provider \"" : "",
		    provider[0] != '\0' ? provider : "",
		    provider[0] != '\0' ? "\")" : "");
	if (ad->ad_length == 0)
		fwsctl_errx(1, "%s: its disk is empty", path);
}

/* The first .vmdk of an .ova (a tar, never compressed). */
static void
ova_find_disk(const char *path, struct archive_disk *ad)
{
	struct tar_found tf;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		fwsctl_errx(1, "%s: %s", path, strerror(errno));
	tar_walk(fd, path, "an .ova", &tf);
	close(fd);
	if (!tf.tf_vmdk || tf.tf_vmdk_len == 0)
		fwsctl_errx(1, "%s: no .vmdk disk inside", path);
	snprintf(ad->ad_path, sizeof(ad->ad_path), "%s", path);
	ad->ad_format = "vmdk";
	ad->ad_offset = tf.tf_vmdk_off;
	ad->ad_length = tf.tf_vmdk_len;
}

/*
 * Where the disk of the archive at path (kind "ova" or "box") lies.
 * Exits with a clear error when it has none fwsd could import.
 */
void
archive_find_disk(const char *path, const char *kind,
    struct archive_disk *ad)
{
	memset(ad, 0, sizeof(*ad));
	if (strcmp(kind, "box") == 0)
		box_find_disk(path, ad);
	else
		ova_find_disk(path, ad);
}
