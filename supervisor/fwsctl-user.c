/*
 * fwsctl-user.c: fwsctl's verbs for a user of the lending service: the
 * image library and their own images (image-list, image-import,
 * image-delete), their quota (quota; quota-set for admins, quota_loan
 * included), and the templates.  image-import of an .ova finds the disk
 * inside it here, as the user, reading the tar headers: fwsd is told the
 * file, the offset and the length of the vmdk, and qemu-img reads it in
 * place.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "fwsctl.h"

#define TAR_BLOCK	512

int
verb_image_list(struct ctx *c)
{
	json_t	*r, *a, *im;
	char	 vs[16], fs[16], user[64];
	size_t	 i;

	if ((a = fwsctl_call_list(c, PROTO_CMD_IMAGE_LIST, NULL, &r)) == NULL)
		return 0;
	printf("%-24s %-5s %-6s %8s %8s  %s\n", "NAME", "TYPE", "FORMAT",
	    "SIZE", "ON DISK", "OWNER");
	json_array_foreach(a, i, im)
		printf("%-24s %-5s %-6s %8s %8s  %s\n",
		    json_string_value(json_object_get(im, "name")),
		    json_string_value(json_object_get(im, "type")),
		    json_string_value(json_object_get(im, "format")),
		    fwsctl_size(json_object_get(im, "virtual_size"), 0, vs,
		    sizeof(vs)),
		    fwsctl_size(json_object_get(im, "file_size"), 0, fs,
		    sizeof(fs)),
		    json_is_null(json_object_get(im, "owner")) ? "library" :
		    fwsctl_user_name(json_object_get(im, "owner"), user,
		    sizeof(user)));
	json_decref(r);
	return 0;
}

static uint64_t
tar_octal(const char *p, size_t len)
{
	uint64_t	 v = 0;
	size_t		 i;

	for (i = 0; i < len && (p[i] == ' ' || p[i] == '0'); i++)
		;
	for (; i < len && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (p[i] - '0');
	return v;
}

/*
 * The first .vmdk member of an .ova (a tar): its offset and length.
 * Read with the caller's own rights, as any file they import.
 */
static void
ova_find_vmdk(const char *path, uint64_t *offset, uint64_t *length)
{
	char		 h[TAR_BLOCK], name[101];
	uint64_t	 off = 0, size;
	size_t		 nlen;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		fwsctl_errx(1, "%s: %s", path, strerror(errno));
	for (;;) {
		if (pread(fd, h, sizeof(h), off) != (ssize_t)sizeof(h) ||
		    h[0] == '\0')
			break;
		if (memcmp(h + 257, "ustar", 5) != 0)
			fwsctl_errx(1, "%s: not an .ova (a tar archive)", path);
		memcpy(name, h, 100);
		name[100] = '\0';
		size = tar_octal(h + 124, 12);
		nlen = strlen(name);
		if ((h[156] == '0' || h[156] == '\0') && nlen > 5 &&
		    strcmp(name + nlen - 5, ".vmdk") == 0) {
			close(fd);
			*offset = off + TAR_BLOCK;
			*length = size;
			return;
		}
		off += TAR_BLOCK + (size + TAR_BLOCK - 1) / TAR_BLOCK *
		    TAR_BLOCK;
	}
	close(fd);
	fwsctl_errx(1, "%s: no .vmdk disk inside", path);
}

/* The format from --format, else from the file name; never from content. */
static const char *
import_format(struct ctx *c, const char *file)
{
	static const char *const ends[][2] = {
		{ ".qcow2", "qcow2" }, { ".raw", "raw" }, { ".img", "raw" },
		{ ".vmdk", "vmdk" }, { ".vdi", "vdi" }, { ".vhdx", "vhdx" },
		{ ".vhd", "vpc" }, { ".ova", "ova" },
	};
	const char	*fmt = fwsctl_opt(c, "format");
	size_t		 i, len = strlen(file), elen;

	if (fmt != NULL)
		return fmt;
	for (i = 0; i < sizeof(ends) / sizeof(*ends); i++) {
		elen = strlen(ends[i][0]);
		if (len > elen && strcasecmp(file + len - elen, ends[i][0]) == 0)
			return ends[i][1];
	}
	fwsctl_errx(2, "%s: say its format with --format (qcow2, raw, vmdk, "
	    "vdi, vhdx, vpc or ova)", file);
}

int
verb_image_import(struct ctx *c)
{
	json_t		*args = fwsctl_name_args(c), *r, *res;
	const char	*file = c->c_pos[1], *fmt;
	char		 real[PATH_MAX], vs[16], *cause;
	uint64_t	 offset, length;

	if (validate_name(c->c_name, &cause) == -1)
		fwsctl_errx(2, "%s", cause);
	if (realpath(file, real) == NULL)
		fwsctl_errx(1, "%s: %s", file, strerror(errno));
	fmt = import_format(c, file);
	json_object_set_new(args, "path", json_string(real));
	if (strcmp(fmt, "ova") == 0) {
		ova_find_vmdk(real, &offset, &length);
		json_object_set_new(args, "format", json_string("vmdk"));
		json_object_set_new(args, "offset", json_integer(offset));
		json_object_set_new(args, "length", json_integer(length));
	} else
		json_object_set_new(args, "format", json_string(fmt));
	r = fwsctl_call(PROTO_CMD_IMAGE_IMPORT, args, NULL);
	res = json_object_get(r, "result");
	if (c->c_json)
		fwsctl_print_json(res);
	else
		printf("image %s imported (%s): fwsctl create NAME --base %s\n",
		    c->c_name, fwsctl_size(json_object_get(res,
		    "virtual_size"), 0, vs, sizeof(vs)), c->c_name);
	json_decref(r);
	return 0;
}

int
verb_image_delete(struct ctx *c)
{
	json_t	*r = fwsctl_call(PROTO_CMD_IMAGE_DELETE, fwsctl_name_args(c),
	    NULL);

	if (c->c_json)
		fwsctl_print_json(json_object_get(r, "result"));
	else
		printf("image %s deleted\n", c->c_name);
	json_decref(r);
	return 0;
}

/* kind: 0 a count, 1 MiB, 2 bytes; used is NULL for a per-VM limit */
static void
quota_line(const char *what, json_t *lim, json_t *used, int kind)
{
	char	 a[16], b[16];

	if (kind != 0)
		printf("%-16s %8s %8s\n", what, used ? fwsctl_size(used,
		    kind == 1, a, sizeof(a)) : "", fwsctl_size(lim, kind == 1,
		    b, sizeof(b)));
	else if (used != NULL)
		printf("%-16s %8lld %8lld\n", what,
		    (long long)json_integer_value(used),
		    (long long)json_integer_value(lim));
	else
		printf("%-16s %8s %8lld\n", what, "",
		    (long long)json_integer_value(lim));
}

int
verb_quota(struct ctx *c)
{
	json_t	*r = fwsctl_call(PROTO_CMD_QUOTA, NULL, NULL), *q, *l, *u;
	char	*t;

	q = json_object_get(r, "result");
	if (c->c_json) {
		fwsctl_print_json(q);
		json_decref(r);
		return 0;
	}
	l = json_object_get(q, "limits");
	u = json_object_get(q, "used");
	if (json_is_true(json_object_get(q, "exempt")))
		printf("(an admin's own VMs are not held to a quota)\n");
	printf("%-16s %8s %8s\n", "", "USED", "LIMIT");
	quota_line("VMs", json_object_get(l, "vms"), json_object_get(u, "vms"),
	    0);
	quota_line("vCPUs", json_object_get(l, "vcpus"), json_object_get(u,
	    "vcpus"), 0);
	quota_line("memory", json_object_get(l, "memory_mib"),
	    json_object_get(u, "memory_mib"), 1);
	quota_line("disk", json_object_get(l, "disk"), json_object_get(u,
	    "disk"), 2);
	quota_line("images", json_object_get(l, "images"), json_object_get(u,
	    "images"), 0);
	quota_line("vCPUs per VM", json_object_get(l, "vm_vcpus"), NULL, 0);
	quota_line("memory per VM", json_object_get(l, "vm_memory_mib"), NULL,
	    1);
	quota_line("disk per VM", json_object_get(l, "vm_disk"), NULL, 2);
	quota_line("snapshots per VM", json_object_get(l, "snapshots"), NULL,
	    0);
	/* an older fwsd does not say; null: no limit */
	if ((u = json_object_get(l, "loan")) != NULL) {
		t = json_is_integer(u) ? duration_text(json_integer_value(u)) :
		    xasprintf("none");
		printf("%-16s %8s %8s\n", "loan ahead", "", t);
		free(t);
	}
	json_decref(r);
	return 0;
}

int
verb_quota_set(struct ctx *c)
{
	static const struct {
		const char	*opt, *key;
		int		 kind;	/* 0 count, 1 MiB, 2 bytes, 3 s */
	} opts[] = {
		{ "vms", "vms", 0 }, { "vm-vcpus", "vm_vcpus", 0 },
		{ "vm-memory", "vm_memory_mib", 1 }, { "vm-disk", "vm_disk", 2 },
		{ "vcpus", "vcpus", 0 }, { "memory", "memory_mib", 1 },
		{ "disk", "disk", 2 }, { "images", "images", 0 },
		{ "snapshots", "snapshots", 0 }, { "loan", "loan", 3 },
	};
	json_t		*args = json_object(), *r, *owner;
	const char	*v;
	char		*end, *cause, user[64];
	uint64_t	 n;
	int64_t		 secs;
	size_t		 i;
	int		 rc;

	/* USER: as --owner does, through the one place that resolves it */
	fwsctl_owner(c->c_name);
	for (i = 0; i < sizeof(opts) / sizeof(*opts); i++) {
		if ((v = fwsctl_opt(c, opts[i].opt)) == NULL)
			continue;
		if (strcmp(v, "default") == 0) {
			json_object_set_new(args, opts[i].key, json_null());
			continue;
		}
		/* a duration's 0 is no limit */
		if (opts[i].kind == 3 && strcmp(v, "none") == 0) {
			json_object_set_new(args, opts[i].key, json_integer(0));
			continue;
		}
		if (opts[i].kind == 3) {
			rc = parse_duration(v, &secs, &cause);
			n = secs;
		} else if (opts[i].kind == 1)
			rc = parse_memory_mib(v, &n, &cause);
		else if (opts[i].kind == 2)
			rc = parse_size(v, &n, &cause);
		else {
			errno = 0;
			n = strtoull(v, &end, 10);
			rc = (*v < '0' || *v > '9' || *end != '\0' ||
			    errno != 0) ? -1 : 0;
			cause = rc == -1 ? xasprintf("%s: not a number", v) :
			    NULL;
		}
		if (rc == -1)
			fwsctl_errx(2, "--%s %s", opts[i].opt, cause);
		json_object_set_new(args, opts[i].key, json_integer(n));
	}
	r = fwsctl_call(PROTO_CMD_QUOTA_SET, args, NULL);
	owner = json_object_get(json_object_get(r, "result"), "owner");
	if (c->c_json)
		fwsctl_print_json(json_object_get(r, "result"));
	else
		printf("quota of %s set\n", fwsctl_user_name(owner, user,
		    sizeof(user)));
	json_decref(r);
	return 0;
}

int
verb_templates(struct ctx *c)
{
	json_t	*r, *a, *t;
	char	 ms[16], ds[16], *loan;
	size_t	 i;

	if ((a = fwsctl_call_list(c, PROTO_CMD_TEMPLATES, NULL, &r)) == NULL)
		return 0;
	printf("%-16s %5s %8s %8s  %s\n", "NAME", "VCPUS", "MEMORY", "DISK",
	    "LOAN");
	json_array_foreach(a, i, t) {
		loan = json_is_integer(json_object_get(t, "loan")) ?
		    duration_text(json_integer_value(json_object_get(t,
		    "loan"))) : xasprintf("-");
		printf("%-16s %5lld %8s %8s  %s\n",
		    json_string_value(json_object_get(t, "name")),
		    (long long)json_integer_value(json_object_get(t, "vcpus")),
		    fwsctl_size(json_object_get(t, "memory_mib"), 1, ms,
		    sizeof(ms)),
		    json_integer_value(json_object_get(t, "disk")) ?
		    fwsctl_size(json_object_get(t, "disk"), 0, ds,
		    sizeof(ds)) : "-", loan);
		free(loan);
	}
	json_decref(r);
	return 0;
}
