/*
 * fwsctl-user.c: fwsctl's verbs for a user of the lending service: the
 * image library and their own images (image-list, image-import,
 * image-delete, image-check; image-accept for admins), their quota
 * (quota; quota-set for admins: every limit of QUOTA_FIELDS, quota_loan
 * included), and the templates.  The disk inside an .ova or a Vagrant
 * .box is found by fwsctl-archive.c.
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

/*
 * A disk image's credential check in a word or two: "clean", "3 found",
 * "checking", "unchecked", "failed", "accepted" (an admin's word beats
 * the findings); "-" for what is not checked (ISOs, kernels).
 */
static const char *
check_words(json_t *check, char *buf, size_t len)
{
	const char	*state = json_string_value(json_object_get(check,
			    "state"));

	if (state == NULL)
		return "-";
	if (!json_is_null(json_object_get(check, "accepted")) &&
	    json_object_get(check, "accepted") != NULL)
		return "accepted";
	if (strcmp(state, "findings") == 0) {
		snprintf(buf, len, "%zu found", json_array_size(
		    json_object_get(check, "findings")));
		return buf;
	}
	return state;
}

int
verb_image_list(struct ctx *c)
{
	json_t	*r, *a, *im;
	char	 vs[16], fs[16], user[64], cw[16];
	size_t	 i;

	if ((a = fwsctl_call_list(c, PROTO_CMD_IMAGE_LIST, NULL, &r)) == NULL)
		return 0;
	printf("%-24s %-5s %-6s %8s %8s  %-10s %s\n", "NAME", "TYPE",
	    "FORMAT", "SIZE", "ON DISK", "CHECK", "OWNER");
	json_array_foreach(a, i, im)
		printf("%-24s %-5s %-6s %8s %8s  %-10s %s\n",
		    json_string_value(json_object_get(im, "name")),
		    json_string_value(json_object_get(im, "type")),
		    json_string_value(json_object_get(im, "format")),
		    fwsctl_size(json_object_get(im, "virtual_size"), 0, vs,
		    sizeof(vs)),
		    fwsctl_size(json_object_get(im, "file_size"), 0, fs,
		    sizeof(fs)),
		    check_words(json_object_get(im, "check"), cw, sizeof(cw)),
		    json_is_null(json_object_get(im, "owner")) ? "library" :
		    fwsctl_user_name(json_object_get(im, "owner"), user,
		    sizeof(user)));
	json_decref(r);
	return 0;
}

/* What image-check and image-accept say of an image: its state, each
 * finding on a line of its own. */
static void
check_print(const char *name, json_t *o)
{
	const char	*state = json_string_value(json_object_get(o, "state"));
	json_t		*f, *acc = json_object_get(o, "accepted");
	char		 user[64];
	size_t		 i, n = json_array_size(json_object_get(o, "findings"));

	if (state == NULL)
		state = "?";
	if (strcmp(state, "clean") == 0)
		printf("image %s: clean (no well-known credentials found)\n",
		    name);
	else if (strcmp(state, "findings") == 0)
		printf("image %s: %zu finding%s\n", name, n, n == 1 ? "" : "s");
	else if (strcmp(state, "failed") == 0)
		printf("image %s: could not be checked: %s\n", name,
		    json_string_value(json_object_get(o, "error")));
	else
		printf("image %s: %s\n", name, state);
	json_array_foreach(json_object_get(o, "findings"), i, f)
		printf("  %-20s %-12s %s\n",
		    json_string_value(json_object_get(f, "kind")),
		    json_is_string(json_object_get(f, "file")) ?
		    json_string_value(json_object_get(f, "file")) : "-",
		    json_string_value(json_object_get(f, "detail")));
	if (json_is_object(acc))
		printf("image %s: accepted for public networks by %s\n", name,
		    fwsctl_user_name(json_object_get(acc, "by"), user,
		    sizeof(user)));
	else if (strcmp(state, "clean") != 0)
		printf("image %s: kept off public networks (fwsctl "
		    "image-accept, an admin's)\n", name);
}

/* image-check and image-accept: both answer with the image's check. */
static int
check_call(struct ctx *c, enum proto_cmd cmd)
{
	json_t	*r = fwsctl_call(cmd, fwsctl_name_args(c), NULL);

	if (c->c_json)
		fwsctl_print_json(json_object_get(r, "result"));
	else
		check_print(c->c_name, json_object_get(r, "result"));
	json_decref(r);
	return 0;
}

int
verb_image_check(struct ctx *c)
{
	return check_call(c, PROTO_CMD_IMAGE_CHECK);
}

int
verb_image_accept(struct ctx *c)
{
	return check_call(c, PROTO_CMD_IMAGE_ACCEPT);
}

/* The format from --format, else from the file name; never from content. */
static const char *
import_format(struct ctx *c, const char *file)
{
	static const char *const ends[][2] = {
		{ ".qcow2", "qcow2" }, { ".raw", "raw" }, { ".img", "raw" },
		{ ".vmdk", "vmdk" }, { ".vdi", "vdi" }, { ".vhdx", "vhdx" },
		{ ".vhd", "vpc" }, { ".ova", "ova" }, { ".box", "box" },
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
	    "vdi, vhdx, vpc, ova or box)", file);
}

int
verb_image_import(struct ctx *c)
{
	json_t		*args = fwsctl_name_args(c), *r, *res;
	const char	*file = c->c_pos[1], *fmt;
	struct archive_disk ad;
	char		 real[PATH_MAX], vs[16], *cause;

	if (validate_name(c->c_name, &cause) == -1)
		fwsctl_errx(2, "%s", cause);
	if (realpath(file, real) == NULL)
		fwsctl_errx(1, "%s: %s", file, strerror(errno));
	fmt = import_format(c, file);
	json_object_set_new(args, "path", json_string(real));
	if (strcmp(fmt, "ova") == 0 || strcmp(fmt, "box") == 0) {
		archive_find_disk(real, fmt, &ad);
		json_object_set_new(args, "path", json_string(ad.ad_path));
		json_object_set_new(args, "format",
		    json_string(ad.ad_format));
		json_object_set_new(args, "offset",
		    json_integer(ad.ad_offset));
		json_object_set_new(args, "length",
		    json_integer(ad.ad_length));
	} else
		json_object_set_new(args, "format", json_string(fmt));
	r = fwsctl_call(PROTO_CMD_IMAGE_IMPORT, args, NULL);
	res = json_object_get(r, "result");
	if (c->c_json)
		fwsctl_print_json(res);
	else {
		printf("image %s imported (%s): fwsctl create NAME --base %s\n",
		    c->c_name, fwsctl_size(json_object_get(res,
		    "virtual_size"), 0, vs, sizeof(vs)), c->c_name);
		printf("image %s: being checked for well-known credentials, "
		    "kept off public networks until clean (fwsctl image-check "
		    "%s waits for it)\n", c->c_name, c->c_name);
	}
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

/* The limits as QUOTA_FIELDS (fws.h) lists them, for quota and quota-set. */
static const struct {
	const char	*qc_column;	/* in the reply and the request */
	const char	*qc_option;	/* quota-set --OPTION */
	const char	*qc_label;	/* in quota's table */
	enum quota_kind	 qc_kind;
	int		 qc_used;	/* fwsd says what is used of it */
} quota_cols[] = {
#define FWSCTL_QUOTA_COL(col, opt, key, kind, used, what, label) \
	{ #col, opt, label, kind, used },
	QUOTA_FIELDS(FWSCTL_QUOTA_COL)
#undef FWSCTL_QUOTA_COL
};

/* One line of quota's table: what is used (if fwsd counts it), the limit. */
static void
quota_line(size_t i, json_t *limits, json_t *used)
{
	json_t	*l = json_object_get(limits, quota_cols[i].qc_column), *u;
	char	 a[16], b[16], *t;

	if (l == NULL)
		return;		/* an older fwsd does not say */
	u = quota_cols[i].qc_used ? json_object_get(used,
	    quota_cols[i].qc_column) : NULL;
	switch (quota_cols[i].qc_kind) {
	case QUOTA_SECS:
		/* null: no limit */
		t = json_is_integer(l) ? duration_text(json_integer_value(l)) :
		    xasprintf("none");
		printf("%-16s %8s %8s\n", quota_cols[i].qc_label, "", t);
		free(t);
		break;
	case QUOTA_RATE:
		/* null: no ceiling */
		printf("%-16s %8s %8s\n", quota_cols[i].qc_label, "",
		    json_is_integer(l) ? format_rate(json_integer_value(l), a,
		    sizeof(a)) : "none");
		break;
	case QUOTA_IOPS:
	case QUOTA_BPS:
		/* null: no limit; bytes a second */
		if (!json_is_integer(l))
			t = xasprintf("none");
		else if (quota_cols[i].qc_kind == QUOTA_IOPS)
			t = xasprintf("%lld", (long long)json_integer_value(l));
		else
			t = xasprintf("%s/s", fwsctl_size(l, 0, a, sizeof(a)));
		printf("%-16s %8s %8s\n", quota_cols[i].qc_label, "", t);
		free(t);
		break;
	case QUOTA_MIB:
	case QUOTA_BYTES:
		printf("%-16s %8s %8s\n", quota_cols[i].qc_label, u != NULL ?
		    fwsctl_size(u, quota_cols[i].qc_kind == QUOTA_MIB, a,
		    sizeof(a)) : "", fwsctl_size(l, quota_cols[i].qc_kind ==
		    QUOTA_MIB, b, sizeof(b)));
		break;
	case QUOTA_CEILING:
	case QUOTA_CPUS:
		/* null: no ceiling */
		if (!json_is_integer(l))
			t = xasprintf("none");
		else if (quota_cols[i].qc_kind == QUOTA_CPUS)
			t = xasprintf("%s", format_cpus(json_integer_value(l), a,
			    sizeof(a)));
		else
			t = xasprintf("%lld", (long long)json_integer_value(l));
		printf("%-16s %8s %8s\n", quota_cols[i].qc_label, "", t);
		free(t);
		break;
	case QUOTA_COUNT:
		if (u != NULL)
			printf("%-16s %8lld %8lld\n", quota_cols[i].qc_label,
			    (long long)json_integer_value(u),
			    (long long)json_integer_value(l));
		else
			printf("%-16s %8s %8lld\n", quota_cols[i].qc_label, "",
			    (long long)json_integer_value(l));
		break;
	}
}

int
verb_quota(struct ctx *c)
{
	json_t	*r = fwsctl_call(PROTO_CMD_QUOTA, NULL, NULL), *q, *l, *u;
	size_t	 i;

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
	/* the limits of what is used first, then those of each VM */
	for (i = 0; i < sizeof(quota_cols) / sizeof(*quota_cols); i++)
		if (quota_cols[i].qc_used)
			quota_line(i, l, u);
	for (i = 0; i < sizeof(quota_cols) / sizeof(*quota_cols); i++)
		if (!quota_cols[i].qc_used)
			quota_line(i, l, u);
	json_decref(r);
	return 0;
}

int
verb_quota_set(struct ctx *c)
{
	json_t		*args = json_object(), *r, *owner;
	const char	*v, *key;
	char		*end, *cause, user[64];
	uint64_t	 n;
	unsigned	 cpus;
	int64_t		 secs;
	size_t		 i;
	int		 rc;

	/* USER: as --owner does, through the one place that resolves it */
	fwsctl_owner(c->c_name);
	for (i = 0; i < sizeof(quota_cols) / sizeof(*quota_cols); i++) {
		if ((v = fwsctl_opt(c, quota_cols[i].qc_option)) == NULL)
			continue;
		key = quota_cols[i].qc_column;
		if (strcmp(v, "default") == 0) {
			json_object_set_new(args, key, json_null());
			continue;
		}
		switch (quota_cols[i].qc_kind) {
		case QUOTA_SECS:
			/* a duration's 0 is no limit */
			if (strcmp(v, "none") == 0) {
				secs = 0;
				rc = 0;
			} else
				rc = parse_duration(v, &secs, &cause);
			n = secs;
			break;
		case QUOTA_MIB:
			rc = parse_memory_mib(v, &n, &cause);
			break;
		case QUOTA_BYTES:
			rc = parse_size(v, &n, &cause);
			break;
		case QUOTA_BPS:
			/* none: no ceiling */
			n = 0;
			rc = strcmp(v, "none") == 0 ? 0 :
			    parse_size(v, &n, &cause);
			break;
		case QUOTA_RATE:
			/* 0: no ceiling */
			n = 0;
			rc = strcmp(v, "none") == 0 ? 0 :
			    parse_rate(v, &n, &cause);
			break;
		case QUOTA_CPUS:
			/* a ceiling's 0 is none */
			if (strcmp(v, "none") == 0) {
				n = 0;
				rc = 0;
			} else {
				rc = parse_cpus(v, &cpus, &cause);
				n = cpus;
			}
			break;
		case QUOTA_CEILING:
			if (strcmp(v, "none") == 0) {
				n = 0;
				rc = 0;
				break;
			}
			/* FALLTHROUGH */
		default:
			if (quota_cols[i].qc_kind == QUOTA_IOPS &&
			    strcmp(v, "none") == 0)
				v = "0";
			errno = 0;
			n = strtoull(v, &end, 10);
			rc = (*v < '0' || *v > '9' || *end != '\0' ||
			    errno != 0) ? -1 : 0;
			cause = rc == -1 ? xasprintf("%s: not a number", v) :
			    NULL;
			break;
		}
		if (rc == -1)
			fwsctl_errx(2, "--%s %s", quota_cols[i].qc_option, cause);
		json_object_set_new(args, key, json_integer(n));
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
	struct disk_io	 io;
	json_t		*r, *a, *t, *v;
	char		 ms[16], ds[16], cs[16], ws[16], rs[16], *loan, *dio;
	size_t		 i;

	if ((a = fwsctl_call_list(c, PROTO_CMD_TEMPLATES, NULL, &r)) == NULL)
		return 0;
	printf("%-16s %5s %8s %8s %8s  %-8s %7s %6s  %s\n", "NAME", "VCPUS",
	    "MEMORY", "DISK", "NET", "LOAN", "CPU-MAX", "WEIGHT", "DISK I/O");
	json_array_foreach(a, i, t) {
		loan = json_is_integer(json_object_get(t, "loan")) ?
		    duration_text(json_integer_value(json_object_get(t,
		    "loan"))) : xasprintf("-");
		memset(&io, 0, sizeof(io));
		if (json_is_integer(json_object_get(t, "disk_iops")))
			io.io_iops = json_integer_value(json_object_get(t,
			    "disk_iops"));
		if (json_is_integer(json_object_get(t, "disk_bps")))
			io.io_bps = json_integer_value(json_object_get(t,
			    "disk_bps"));
		dio = disk_io_none(&io) ? xasprintf("-") : disk_io_text(&io);
		v = json_object_get(t, "cpu_max");
		printf("%-16s %5lld %8s %8s %8s  %-8s %7s %6s  %s\n",
		    json_string_value(json_object_get(t, "name")),
		    (long long)json_integer_value(json_object_get(t, "vcpus")),
		    fwsctl_size(json_object_get(t, "memory_mib"), 1, ms,
		    sizeof(ms)),
		    json_integer_value(json_object_get(t, "disk")) ?
		    fwsctl_size(json_object_get(t, "disk"), 0, ds,
		    sizeof(ds)) : "-", json_is_integer(json_object_get(t,
		    "net_rate")) ? format_rate(json_integer_value(
		    json_object_get(t, "net_rate")), rs, sizeof(rs)) : "-",
		    loan, json_is_number(v) ?
		    format_cpus((unsigned)(json_number_value(v) * 1000 + 0.5),
		    cs, sizeof(cs)) : "-", json_is_integer(json_object_get(t,
		    "cpu_weight")) ? (snprintf(ws, sizeof(ws), "%lld",
		    (long long)json_integer_value(json_object_get(t,
		    "cpu_weight"))), ws) : "-", dio);
		free(loan);
		free(dio);
	}
	json_decref(r);
	return 0;
}
