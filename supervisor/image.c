/*
 * image.c: the images VMs are made from.  The library is the configured
 * image_dirs (admins put install ISOs, base images, kernels and initrds
 * there, each named for what it is: image_kinds); each user's own
 * images are the qcow2 files image-import made in STATE/users/UID/images.
 * A file's type and format come from its name, the format is always told
 * to qemu, never probed; a kernel or an initrd is never a disk.
 * Before a qcow2 is used its header is read here: a backing file must
 * be a plain path inside the directories the user may use and name its
 * format, recursively; protocols, "json:" names and external data files
 * are refused.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"

#define QCOW2_MAGIC		"QFI\xfb"
#define QCOW2_EXT_END		0x00000000
#define QCOW2_EXT_BACKING_FMT	0xe2792aca
#define QCOW2_EXT_DATA_FILE	0x44415441
#define QCOW2_INCOMPAT_DATA_FILE (1ULL << 2)
#define QCOW2_BACKING_MAX	1023	/* what qemu itself accepts */
#define QCOW2_HEADER_MAX	65536	/* header and extensions we read */

/*
 * What a library file is, by its name: the first row that matches says,
 * and NAME is what is left between the row's prefix and suffix.  Kernels
 * and initrds come first, under Debian's names in /boot too
 * (vmlinuz-VERSION, initrd.img-VERSION, or bare vmlinuz and initrd.img,
 * named as they are), so that no initrd.img is ever taken for a disk.
 */
static const struct image_kind {
	const char	*ik_prefix;
	const char	*ik_suffix;
	int		 ik_bare;	/* the prefix alone, NAME the file's */
	enum image_type	 ik_type;
	const char	*ik_format;
} image_kinds[] = {
	{ "vmlinuz",	 "",		1,	IMAGE_KERNEL,	"raw" },
	{ "initrd.img",	 "",		1,	IMAGE_INITRD,	"raw" },
	{ "vmlinuz-",	 "",		0,	IMAGE_KERNEL,	"raw" },
	{ "initrd.img-", "",		0,	IMAGE_INITRD,	"raw" },
	{ "",		 ".kernel",	0,	IMAGE_KERNEL,	"raw" },
	{ "",		 ".initrd",	0,	IMAGE_INITRD,	"raw" },
	{ "",		 ".iso",	0,	IMAGE_ISO,	"raw" },
	{ "",		 ".qcow2",	0,	IMAGE_DISK,	"qcow2" },
	{ "",		 ".raw",	0,	IMAGE_DISK,	"raw" },
	{ "",		 ".img",	0,	IMAGE_DISK,	"raw" },
};

static const char *const image_type_names[] = {
	[IMAGE_DISK] = "disk",
	[IMAGE_ISO] = "iso",
	[IMAGE_KERNEL] = "kernel",
	[IMAGE_INITRD] = "initrd",
};

/* How a sentence names one. */
static const char *const image_type_words[] = {
	[IMAGE_DISK] = "image",
	[IMAGE_ISO] = "ISO",
	[IMAGE_KERNEL] = "kernel",
	[IMAGE_INITRD] = "initrd",
};

const char *
image_type_name(enum image_type t)
{
	return image_type_names[t];
}

/*
 * The directories a user's paths may lie in: the library and their own
 * area; an admin's: the library and the whole state directory.  Free
 * with image_dirs_free.
 */
int
image_dirs(uid_t uid, int admin, char **dirs)
{
	int	 i, n = 0;

	for (i = 0; i < conf.cf_nimage_dirs; i++)
		dirs[n++] = xasprintf("%s", conf.cf_image_dirs[i]);
	if (admin) {
		dirs[n++] = xasprintf("%s/vms", conf.cf_state_dir);
		dirs[n++] = xasprintf("%s/users", conf.cf_state_dir);
	} else
		dirs[n++] = access_user_path(uid, "");
	return n;
}

/*
 * Where the files under an owner's disks may be: backing files and
 * read-only disks are images, of the library or the owner's own, never
 * another VM's disk.  Free with image_dirs_free.
 */
int
image_base_dirs(uid_t owner, char **dirs)
{
	int	 i, n = 0;

	for (i = 0; i < conf.cf_nimage_dirs; i++)
		dirs[n++] = xasprintf("%s", conf.cf_image_dirs[i]);
	dirs[n++] = access_user_path(owner, "images");
	return n;
}

/* Is path an image: of the library, or one of owner's own? */
int
image_is_base(uid_t owner, const char *path)
{
	char	*resolved, *dirs[FWS_IMAGE_DIRS_MAX + 1];
	int	 n, rc;

	n = image_base_dirs(owner, dirs);
	rc = path_confine(path, dirs, n, &resolved, NULL) == 0;
	if (rc)
		free(resolved);
	image_dirs_free(dirs, n);
	return rc;
}

void
image_dirs_free(char **dirs, int n)
{
	while (n-- > 0)
		free(dirs[n]);
}

static uint64_t
be64(const unsigned char *p)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Read len bytes at off; -1 when the file is shorter. */
static int
read_at(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

/*
 * Is name (a qcow2 header's backing file) a plain path?  qemu would read
 * "json:{...}" as options and "proto:..." as a protocol (nbd:, http:,
 * ...): those could reach anything.
 */
static int
image_plain_path(const char *name)
{
	const char	*colon = strchr(name, ':'), *slash = strchr(name, '/');

	if (*name == '\0' || strncmp(name, "json:", 5) == 0)
		return 0;
	return colon == NULL || (slash != NULL && slash < colon);
}

/*
 * A qcow2's header, read from fd: its virtual size, and its backing
 * file's name and format (backing[0] is '\0' when it has none).  An
 * external data file is refused: qemu would open it by the name the
 * header holds.
 */
static int
image_qcow2_header(int fd, const char *path, uint64_t *size, char *backing,
    char *fmt, size_t fmtlen, char **cause)
{
	unsigned char	 h[104], ext[8];
	uint64_t	 boff, incompat = 0;
	uint32_t	 blen, version, hlen = 72, etype, elen;
	off_t		 off;

	backing[0] = fmt[0] = '\0';
	if (read_at(fd, h, 72, 0) == -1 || memcmp(h, QCOW2_MAGIC, 4) != 0)
		return cause_fail(cause, "%s is not a qcow2 image", path);
	version = be32(h + 4);
	if (version != 2 && version != 3)
		return cause_fail(cause, "%s: qcow2 version %u is not known",
		    path, version);
	boff = be64(h + 8);
	blen = be32(h + 16);
	*size = be64(h + 24);
	if (version == 3) {
		if (read_at(fd, h, sizeof(h), 0) == -1)
			return cause_fail(cause, "%s: short qcow2 header", path);
		incompat = be64(h + 72);
		hlen = be32(h + 100);
		if (hlen < 104 || hlen > QCOW2_HEADER_MAX)
			return cause_fail(cause, "%s: bad qcow2 header length",
			    path);
	}
	if (incompat & QCOW2_INCOMPAT_DATA_FILE)
		return cause_fail(cause, "%s keeps its data in an external file: "
		    "refused", path);
	/* the header extensions, up to the end marker */
	for (off = hlen; off < QCOW2_HEADER_MAX; off += 8 + ((elen + 7) & ~7U)) {
		if (read_at(fd, ext, sizeof(ext), off) == -1)
			return cause_fail(cause, "%s: truncated qcow2 header "
			    "extensions", path);
		etype = be32(ext);
		elen = be32(ext + 4);
		if (etype == QCOW2_EXT_END)
			break;
		if (elen > QCOW2_HEADER_MAX)
			return cause_fail(cause, "%s: bad qcow2 header extension",
			    path);
		if (etype == QCOW2_EXT_DATA_FILE)
			return cause_fail(cause, "%s names an external data file: "
			    "refused", path);
		if (etype == QCOW2_EXT_BACKING_FMT) {
			if (elen >= fmtlen || read_at(fd, fmt, elen,
			    off + 8) == -1)
				return cause_fail(cause, "%s: bad backing format",
				    path);
			fmt[elen] = '\0';
		}
	}
	if (boff == 0)
		return 0;
	if (blen == 0 || blen > QCOW2_BACKING_MAX ||
	    read_at(fd, backing, blen, boff) == -1)
		return cause_fail(cause, "%s: bad backing file name", path);
	backing[blen] = '\0';
	if (memchr(backing, '\0', blen) != NULL || !image_plain_path(backing))
		return cause_fail(cause, "%s: backing file \"%.64s\" is not a plain "
		    "path (a protocol or json: name): refused", path, backing);
	if (strcmp(fmt, "qcow2") != 0 && strcmp(fmt, "raw") != 0)
		return cause_fail(cause, "%s: backing file %s %s: refused (its "
		    "format would be probed)", path, backing, fmt[0] ?
		    "has a format other than qcow2 or raw" : "names no format");
	return 0;
}

/* Open one layer of a chain and read what it is. */
static int
image_layer_open(struct image_layer *l, const char *path, const char *fmt,
    char *backing, char *bfmt, size_t bfmtlen, char **cause)
{
	struct stat	 sb;

	backing[0] = '\0';
	l->il_path = xasprintf("%s", path);
	snprintf(l->il_format, sizeof(l->il_format), "%s", fmt);
	if ((l->il_fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1)
		return cause_fail(cause, "%s: %s", path, strerror(errno));
	if (fstat(l->il_fd, &sb) == -1 || !S_ISREG(sb.st_mode))
		return cause_fail(cause, "%s: not a regular file", path);
	l->il_dev = sb.st_dev;
	l->il_ino = sb.st_ino;
	if (strcmp(fmt, "raw") == 0) {
		l->il_size = sb.st_size;	/* whatever it holds is the guest's */
		return 0;
	}
	if (strcmp(fmt, "qcow2") != 0)
		return cause_fail(cause, "%s: format %s is not qcow2 or raw",
		    path, fmt);
	return image_qcow2_header(l->il_fd, path, &l->il_size, backing, bfmt,
	    bfmtlen, cause);
}

/*
 * Open an image (path resolved, already confined) of format fmt and
 * every file of its backing chain, reading each header from the
 * descriptor that qemu will be given: each backing file must be a plain
 * path inside dirs and name its format.  The chain is the caller's to
 * close, on failure too.
 */
int
image_chain_open(const char *path, const char *fmt, char **dirs, int ndirs,
    struct image_chain *ic, char **cause)
{
	struct image_layer *l;
	char		 backing[QCOW2_BACKING_MAX + 1], bfmt[32], *dir, *full;
	char		 next[PATH_MAX], *resolved, *why;
	int		 i, rc;

	memset(ic, 0, sizeof(*ic));
	for (i = 0; i < FWS_CHAIN_MAX; i++)
		ic->ic_layer[i].il_fd = -1;
	for (;;) {
		l = &ic->ic_layer[ic->ic_n++];
		if (image_layer_open(l, path, fmt, backing, bfmt, sizeof(bfmt),
		    cause) == -1)
			return -1;
		if (backing[0] == '\0')
			return 0;
		if (ic->ic_n == FWS_CHAIN_MAX)
			return cause_fail(cause, "%s: a backing chain longer than "
			    "%d", ic->ic_layer[0].il_path, FWS_BACKING_DEPTH);
		/* relative names are relative to the image's directory, as
		 * qemu has it */
		if (backing[0] == '/')
			full = xasprintf("%s", backing);
		else {
			dir = xasprintf("%s", l->il_path);
			*strrchr(dir, '/') = '\0';
			full = xasprintf("%s/%s", dir, backing);
			free(dir);
		}
		rc = path_confine(full, dirs, ndirs, &resolved, &why);
		free(full);
		if (rc == -1) {
			cause_fail(cause, "%s: backing file %s: %s", l->il_path,
			    backing, why);
			free(why);
			return -1;
		}
		for (i = 0; i < ic->ic_n; i++)
			if (strcmp(ic->ic_layer[i].il_path, resolved) == 0) {
				free(resolved);
				return cause_fail(cause, "%s: a backing chain that "
				    "loops", ic->ic_layer[0].il_path);
			}
		/* the next layer: the resolved name, in the header's format */
		snprintf(next, sizeof(next), "%s", resolved);
		free(resolved);
		path = next;
		fmt = strcmp(bfmt, "qcow2") == 0 ? "qcow2" : "raw";
	}
}

void
image_chain_close(struct image_chain *ic)
{
	int	 i;

	for (i = 0; i < ic->ic_n; i++) {
		if (ic->ic_layer[i].il_fd != -1)
			close(ic->ic_layer[i].il_fd);
		free(ic->ic_layer[i].il_path);
	}
	memset(ic, 0, sizeof(*ic));
}

/*
 * May an image (path resolved, already confined) of format fmt be given
 * to qemu?  Its virtual size goes to *size.
 */
int
image_check(const char *path, const char *fmt, char **dirs, int ndirs,
    uint64_t *size, char **cause)
{
	struct image_chain	 ic;
	int			 rc;

	rc = image_chain_open(path, fmt, dirs, ndirs, &ic, cause);
	if (rc == 0 || ic.ic_n > 0)
		*size = ic.ic_layer[0].il_size;
	image_chain_close(&ic);
	return rc;
}

/*
 * How many internal snapshots a qcow2 holds, from its header (read on
 * fd, opened by the caller).
 */
int
image_snapshot_count(int fd, const char *path, uint32_t *n, char **cause)
{
	unsigned char	 h[64];

	if (read_at(fd, h, sizeof(h), 0) == -1 ||
	    memcmp(h, QCOW2_MAGIC, 4) != 0)
		return cause_fail(cause, "%s is not a qcow2 image", path);
	*n = be32(h + 60);
	return 0;
}

/*
 * Is image (a resolved path) a disk of vm, in the chain of one, or its
 * ISO, kernel or initrd?
 */
int
image_in_use(const char *image, const struct vm *vm)
{
	struct image_chain	 ic;
	char			*root[] = { "/" };
	const char		*read[] = { vm->vm_iso, vm->vm_kernel,
				    vm->vm_initrd };
	size_t			 k;
	int			 i, j, used = 0;

	for (k = 0; k < sizeof(read) / sizeof(*read); k++)
		if (read[k] != NULL && strcmp(read[k], image) == 0)
			return 1;
	for (i = 0; i < vm->vm_ndisks && !used; i++) {
		if (strcmp(vm->vm_disks[i].d_path, image) == 0) {
			used = 1;
			break;
		}
		(void)image_chain_open(vm->vm_disks[i].d_path,
		    vm->vm_disks[i].d_format, root, 1, &ic, NULL);
		for (j = 1; j < ic.ic_n; j++)
			if (strcmp(ic.ic_layer[j].il_path, image) == 0)
				used = 1;
		image_chain_close(&ic);
	}
	return used;
}

/* What file is, and its NAME (of FWS_NAME_MAX at most) in name. */
static const struct image_kind *
image_kind_of(const char *file, char *name, size_t namelen)
{
	const struct image_kind	*k;
	size_t			 len = strlen(file), plen, slen, i;

	for (i = 0; i < sizeof(image_kinds) / sizeof(*image_kinds); i++) {
		k = &image_kinds[i];
		plen = strlen(k->ik_prefix);
		slen = strlen(k->ik_suffix);
		if (k->ik_bare) {
			if (strcmp(file, k->ik_prefix) != 0)
				continue;
			plen = slen = 0;
		} else if (len <= plen + slen || strncmp(file, k->ik_prefix,
		    plen) != 0 || strcmp(file + len - slen, k->ik_suffix) != 0)
			continue;
		if (len - plen - slen >= namelen)
			return NULL;
		snprintf(name, namelen, "%.*s", (int)(len - plen - slen),
		    file + plen);
		return validate_name(name, NULL) == 0 ? k : NULL;
	}
	return NULL;
}

/* Add dir's images to a (library ones with owner -1). */
static void
image_scan(json_t *a, const char *dir, int64_t owner)
{
	const struct image_kind	*k;
	struct dirent		*de;
	struct stat		 sb;
	DIR			*d;
	char			*path, name[FWS_NAME_MAX + 1];
	uint64_t		 vsize;
	json_t			*o;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		/* a user's own images are disks, whatever their names */
		if ((k = image_kind_of(de->d_name, name,
		    sizeof(name))) == NULL ||
		    (owner >= 0 && k->ik_type != IMAGE_DISK))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode)) {
			free(path);
			continue;
		}
		/* a qcow2's virtual size is in its header, read before (and
		 * whatever) image_check says of its backing file */
		vsize = sb.st_size;
		if (strcmp(k->ik_format, "qcow2") == 0 && image_check(path,
		    "qcow2", NULL, 0, &vsize, NULL) == -1 && vsize == 0)
			vsize = sb.st_size;
		o = json_pack("{ss ss ss ss sI sI}", "name", name, "type",
		    image_type_name(k->ik_type), "format", k->ik_format, "path",
		    path, "virtual_size", (json_int_t)vsize, "file_size",
		    (json_int_t)sb.st_blocks * 512);
		json_object_set_new(o, "owner", owner < 0 ? json_null() :
		    json_integer(owner));
		json_array_append_new(a, o);
		free(path);
	}
	closedir(d);
}

/*
 * An import's scratch files (".NAME.raw", ".NAME.qcow2.part" in a
 * user's images), left by an fwsd that ended during one: at start, none
 * is being written.
 */
void
image_scratch_clean(void)
{
	struct dirent	*de, *ie;
	DIR		*d, *id;
	char		*users, *dir, *p;
	size_t		 len;

	users = xasprintf("%s/users", conf.cf_state_dir);
	if ((d = opendir(users)) == NULL) {
		free(users);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		dir = xasprintf("%s/%s/images", users, de->d_name);
		if ((id = opendir(dir)) != NULL) {
			while ((ie = readdir(id)) != NULL) {
				len = strlen(ie->d_name);
				if (ie->d_name[0] != '.' || ((len < 5 ||
				    strcmp(ie->d_name + len - 4, ".raw") != 0) &&
				    (len < 12 || strcmp(ie->d_name + len - 11,
				    ".qcow2.part") != 0)))
					continue;
				p = xasprintf("%s/%s", dir, ie->d_name);
				if (unlink(p) == 0)
					log_info("%s: an unfinished import's "
					    "scratch file, removed", p);
				free(p);
			}
			closedir(id);
		}
		free(dir);
	}
	closedir(d);
	free(users);
}

/* The library, then the user's own images (every user's: owner -1). */
json_t *
image_list(int64_t owner)
{
	json_t		*a = json_array();
	DIR		*d;
	struct dirent	*de;
	char		*p, *end;
	unsigned long	 uid;
	int		 i;

	for (i = 0; i < conf.cf_nimage_dirs; i++)
		image_scan(a, conf.cf_image_dirs[i], -1);
	if (owner >= 0) {
		p = access_user_path(owner, "images");
		image_scan(a, p, owner);
		free(p);
		return a;
	}
	p = xasprintf("%s/users", conf.cf_state_dir);
	if ((d = opendir(p)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			errno = 0;
			uid = strtoul(de->d_name, &end, 10);
			if (de->d_name[0] < '0' || de->d_name[0] > '9' ||
			    *end != '\0' || errno != 0 || uid >= UINT32_MAX)
				continue;
			free(p);
			p = access_user_path(uid, "images");
			image_scan(a, p, uid);
		}
		closedir(d);
	}
	free(p);
	return a;
}

/*
 * An image of type t by name: for a disk the owner's own first, then
 * the library's.  The path (resolved) and format are the caller's to
 * free.
 */
int
image_find(uid_t owner, const char *name, enum image_type t, char **path,
    char **fmt, char **cause)
{
	const struct image_kind	*k;
	struct stat		 sb;
	char			*dir, *p, nm[FWS_NAME_MAX + 1];
	size_t			 i;
	int			 d;

	if (validate_name(name, cause) == -1)
		return -1;
	if (t == IMAGE_DISK) {
		dir = access_user_path(owner, "images");
		p = xasprintf("%s/%s.qcow2", dir, name);
		free(dir);
		if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
			*path = p;
			*fmt = xasprintf("qcow2");
			return 0;
		}
		free(p);
	}
	for (d = 0; d < conf.cf_nimage_dirs; d++)
		for (i = 0; i < sizeof(image_kinds) / sizeof(*image_kinds);
		    i++) {
			k = &image_kinds[i];
			if (k->ik_type != t || (k->ik_bare &&
			    strcmp(name, k->ik_prefix) != 0))
				continue;
			if (k->ik_bare)
				p = xasprintf("%s/%s", conf.cf_image_dirs[d],
				    name);
			else
				p = xasprintf("%s/%s%s%s",
				    conf.cf_image_dirs[d], k->ik_prefix, name,
				    k->ik_suffix);
			/* a file is what its name says first: initrd.img is
			 * no disk named "initrd" */
			if (image_kind_of(strrchr(p, '/') + 1, nm,
			    sizeof(nm)) == k && stat(p, &sb) == 0 &&
			    S_ISREG(sb.st_mode) &&
			    (*path = realpath(p, NULL)) != NULL) {
				free(p);
				*fmt = xasprintf("%s", k->ik_format);
				return 0;
			}
			free(p);
		}
	return cause_fail(cause, "no %s named \"%s\" in the image library%s "
	    "(fwsctl image-list)", image_type_words[t], name, t == IMAGE_DISK ?
	    " or your own images" : "");
}

/*
 * A file a VM only reads (an ISO, a kernel, an initrd) as a request
 * gives it: a name (no '/') is the library's; a path must lie, resolved,
 * in the directories the caller may use (image_dirs) and be a regular
 * file, and a user's must be an image (the library's or their own),
 * never a VM's disk.  Whether it is some VM's disk is the caller's to
 * ask.  *path (resolved) is the caller's to free.
 */
int
image_file_arg(uid_t owner, int admin, enum image_type t, const char *v,
    char **path, char **cause)
{
	struct stat	 sb;
	char		*dirs[FWS_IMAGE_DIRS_MAX + 2], *fmt;
	int		 n, rc;

	*path = NULL;
	if (strchr(v, '/') == NULL) {
		if (image_find(owner, v, t, path, &fmt, cause) == -1)
			return -1;
		free(fmt);
		return 0;
	}
	n = image_dirs(owner, admin, dirs);
	rc = path_confine(v, dirs, n, path, cause);
	image_dirs_free(dirs, n);
	if (rc == -1)
		return -1;
	if (stat(*path, &sb) == -1 || !S_ISREG(sb.st_mode))
		rc = cause_fail(cause, "%s: not a regular file", v);
	/* only a VM's disks are in a user's area outside the images */
	else if (!admin && !image_is_base(owner, *path))
		rc = cause_fail(cause, "%s: the %s must be an image (fwsctl "
		    "image-list), not a VM's disk", v, image_type_words[t]);
	if (rc == -1) {
		free(*path);
		*path = NULL;
	}
	return rc;
}

/*
 * The name of the disk image at path (resolved), of the owner's own or
 * the library's, as image_find would find it: 0 and name, or -1 when
 * path is no image that name finds.
 */
int
image_disk_name(uid_t owner, const char *path, char *name, size_t len)
{
	const struct image_kind	*k;
	const char		*file;
	char			*found, *fmt;
	size_t			 n;
	int			 rc;

	if ((file = strrchr(path, '/')) == NULL)
		return -1;
	file++;
	n = strlen(file);
	if ((k = image_kind_of(file, name, len)) == NULL ||
	    k->ik_type != IMAGE_DISK) {
		if (n <= 6 || strcmp(file + n - 6, ".qcow2") != 0 ||
		    n - 6 >= len)
			return -1;
		snprintf(name, len, "%.*s", (int)(n - 6), file);
	}
	if (image_find(owner, name, IMAGE_DISK, &found, &fmt, NULL) == -1)
		return -1;
	rc = strcmp(found, path) == 0 ? 0 : -1;
	free(found);
	free(fmt);
	return rc;
}
