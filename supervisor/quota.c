/*
 * quota.c: a user's limits and what they use of them, and how far ahead
 * their VMs may be lent (quota_loan).  The limits are those QUOTA_FIELDS
 * (fws.h) lists, each the configured default (quota_* in fwsd.conf) or
 * an admin's override from the store.  What a user uses is counted from
 * their VMs' definitions (VMs, vCPUs, memory) and, for disk, from what
 * their files take on the host: every file of their area (their VMs'
 * disks, internal snapshots included, and logs; kept disks; their
 * images, and an import's scratch files), plus what their VMs' disks
 * may still grow to before they reach their virtual size.  The checks
 * answer with a sentence that names the limit, what was asked and what
 * is allowed; the handlers (cmd*.c, create.c, snapshot.c,
 * image-import.c) decide when to ask.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "log.h"

/* Every limit, as QUOTA_FIELDS lists them. */
const struct quota_field quota_fields[] = {
#define QUOTA_FIELD(col, opt, key, kind, used, what, label) \
	{ #col, what, key, offsetof(struct quota, q_##col), kind, used },
	QUOTA_FIELDS(QUOTA_FIELD)
#undef QUOTA_FIELD
	{ NULL, NULL, NULL, 0, 0, 0 },
};

#define QF(q, f)	(*(uint64_t *)((char *)(q) + (f)->qf_off))

static const struct quota_field *
quota_field(const char *column)
{
	const struct quota_field *f;

	for (f = quota_fields; f->qf_column != NULL; f++)
		if (strcmp(f->qf_column, column) == 0)
			return f;
	abort();	/* a column of ours: a broken invariant */
}

int
quota_of(uid_t uid, struct quota *q, char **cause)
{
	*q = conf.cf_quota;
	return store_quota_get(uid, q, cause);
}

/* The bytes a file takes on the host (its allocated blocks). */
static uint64_t
quota_file_bytes(const char *path)
{
	struct stat	 sb;

	if (lstat(path, &sb) == -1 || !S_ISREG(sb.st_mode))
		return 0;
	return (uint64_t)sb.st_blocks * 512;
}

/*
 * What the regular files of dir (and of its subdirectories, to depth)
 * take; *nfiles counts those whose name ends in suffix.
 */
static uint64_t
quota_dir_bytes(const char *dir, int depth, const char *suffix,
    uint64_t *nfiles)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		*p;
	uint64_t	 bytes = 0;
	size_t		 len, slen = suffix ? strlen(suffix) : 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode) && depth > 0)
			bytes += quota_dir_bytes(p, depth - 1, NULL, NULL);
		else if (S_ISREG(sb.st_mode)) {
			bytes += (uint64_t)sb.st_blocks * 512;
			len = strlen(de->d_name);
			if (nfiles != NULL && de->d_name[0] != '.' &&
			    len > slen && strcmp(de->d_name + len - slen,
			    suffix) == 0)
				(*nfiles)++;
		}
		free(p);
	}
	closedir(d);
	return bytes;
}

/* Is path inside dir? */
static int
quota_under(const char *path, const char *dir)
{
	size_t	 len = strlen(dir);

	return strncmp(path, dir, len) == 0 && path[len] == '/';
}

/*
 * What a user's VMs (but skip) take now.  Disk: the files of the
 * user's area, and for each writable disk what it may still grow to
 * (a disk outside the area, given by an admin, counts in full).
 */
void
quota_usage(uid_t uid, const struct vm *skip, struct quota *used)
{
	struct vm	*vm;
	struct vm_disk	*d;
	char		*area, *p;
	uint64_t	 have;
	int		 i;

	memset(used, 0, sizeof(*used));
	area = access_user_path(uid, "");
	p = access_user_path(uid, "vms");
	used->q_disk = quota_dir_bytes(p, 1, NULL, NULL);
	free(p);
	p = access_user_path(uid, "images");
	used->q_disk += quota_dir_bytes(p, 0, ".qcow2", &used->q_images);
	free(p);
	TAILQ_FOREACH(vm, &vms, vm_entry) {
		if (vm->vm_owner != uid || vm == skip)
			continue;
		used->q_vms++;
		used->q_vcpus += vm_quota_vcpus(vm);
		used->q_memory_mib += vm_quota_memory(vm);
		for (i = 0; i < vm->vm_ndisks; i++) {
			d = &vm->vm_disks[i];
			if (d->d_readonly)
				continue;
			have = quota_file_bytes(d->d_path);
			if (!quota_under(d->d_path, area))
				used->q_disk += have > d->d_size ? have :
				    d->d_size;
			else if (d->d_size > have)
				used->q_disk += d->d_size - have;
		}
	}
	free(area);
}

static char *
quota_value(const struct quota_field *f, uint64_t v)
{
	char	 buf[32];

	switch (f->qf_kind) {
	case QUOTA_SECS:
		return v == 0 ? xasprintf("none") : duration_text(v);
	case QUOTA_BYTES:
		return xasprintf("%s", format_size(v, buf, sizeof(buf)));
	case QUOTA_CPUS:
		return xasprintf("%s", v == 0 ? "none" : format_cpus(v, buf,
		    sizeof(buf)));
	case QUOTA_RATE:
		return v == 0 ? xasprintf("none") :
		    xasprintf("%s", format_rate(v, buf, sizeof(buf)));
	case QUOTA_IOPS:
		return v == 0 ? xasprintf("none") : xasprintf("%llu IOPS",
		    (unsigned long long)v);
	case QUOTA_BPS:
		return v == 0 ? xasprintf("none") : xasprintf("%s/s",
		    format_size(v, buf, sizeof(buf)));
	default:
		return xasprintf("%llu", (unsigned long long)v);
	}
}

/*
 * Over one limit: the sentence says which (and the fwsd.conf key that
 * sets it), what was asked (with what is used), what is allowed.
 */
static int
quota_over(const char *column, uint64_t asked, uint64_t used,
    uint64_t allowed, enum fws_err *code, char **cause)
{
	const struct quota_field *f = quota_field(column);
	char	*a = quota_value(f, asked), *l = quota_value(f, allowed);
	char	*u = quota_value(f, used);

	*code = FWS_ERR_QUOTA;
	if (used > 0 || strcmp(f->qf_column, "vms") == 0)
		cause_fail(cause, "quota exceeded: %s: asked for %s (with the %s "
		    "you have), allowed %s (%s)", f->qf_what, a, u, l,
		    f->qf_key);
	else
		cause_fail(cause, "quota exceeded: %s: asked for %s, allowed %s "
		    "(%s)", f->qf_what, a, l, f->qf_key);
	free(a);
	free(l);
	free(u);
	return -1;
}

/* used + asked over the limit of column in q? */
static int
quota_exceeds(const struct quota *q, const char *column, uint64_t used,
    uint64_t asked, enum fws_err *code, char **cause)
{
	const struct quota_field *f = quota_field(column);

	if (used + asked <= QF(q, f))
		return 0;
	return quota_over(column, used + asked, used, QF(q, f), code, cause);
}

/*
 * May uid have vm on top of what they have?  Its new disks count in
 * full, existing files it takes as disks by what they may still grow.
 * -1 with *code and a sentence when not.
 */
int
quota_check(uid_t uid, const struct vm *vm, enum fws_err *code,
    char **cause)
{
	struct quota	 q, used;
	uint64_t	 size = 0, grow = 0, have;
	int		 i;

	*code = FWS_ERR_INTERNAL;
	if (quota_of(uid, &q, cause) == -1)
		return -1;
	quota_usage(uid, vm, &used);
	for (i = 0; i < vm->vm_ndisks; i++) {
		if (vm->vm_disks[i].d_readonly)
			continue;
		size += vm->vm_disks[i].d_size;
		have = quota_file_bytes(vm->vm_disks[i].d_path);
		if (vm->vm_disks[i].d_size > have)
			grow += vm->vm_disks[i].d_size - have;
	}
	if (quota_exceeds(&q, "vms", used.q_vms, 1, code, cause) == -1 ||
	    quota_exceeds(&q, "vm_vcpus", 0, vm_quota_vcpus(vm), code,
	    cause) == -1 ||
	    quota_exceeds(&q, "vm_memory_mib", 0, vm_quota_memory(vm), code,
	    cause) == -1 ||
	    quota_exceeds(&q, "vm_disk", 0, size, code, cause) == -1 ||
	    quota_exceeds(&q, "vcpus", used.q_vcpus, vm_quota_vcpus(vm), code,
	    cause) == -1 ||
	    quota_exceeds(&q, "memory_mib", used.q_memory_mib,
	    vm_quota_memory(vm), code, cause) == -1 ||
	    quota_exceeds(&q, "disk", used.q_disk, grow, code, cause) == -1)
		return -1;
	return 0;
}

/*
 * May vm, holding nsnaps snapshots, take another?  One with the VM's
 * memory may take as much as its memory on the host.
 */
int
quota_check_snapshot(const struct vm *vm, unsigned nsnaps, int memory,
    enum fws_err *code, char **cause)
{
	struct quota	 q, used;

	*code = FWS_ERR_INTERNAL;
	if (quota_of(vm->vm_owner, &q, cause) == -1)
		return -1;
	quota_usage(vm->vm_owner, NULL, &used);
	if (quota_exceeds(&q, "snapshots", nsnaps, 1, code, cause) == -1 ||
	    quota_exceeds(&q, "disk", used.q_disk, memory ?
	    vm->vm_memory_mib << 20 : 0, code, cause) == -1)
		return -1;
	return 0;
}

/*
 * May uid import another image, and how many bytes may it take (its
 * virtual size, as its raw copy takes as much)?
 */
int
quota_check_import(uid_t uid, uint64_t *room, enum fws_err *code,
    char **cause)
{
	struct quota	 q, used;

	*code = FWS_ERR_INTERNAL;
	if (quota_of(uid, &q, cause) == -1)
		return -1;
	quota_usage(uid, NULL, &used);
	if (quota_exceeds(&q, "images", used.q_images, 1, code, cause) == -1 ||
	    quota_exceeds(&q, "disk", used.q_disk, 1, code, cause) == -1)
		return -1;
	*room = q.q_disk - used.q_disk;
	return 0;
}

/*
 * May uid have n more images, made of files they have already, and
 * bytes more of disk (what the disks those files were may grow to
 * again, as overlays)?
 */
int
quota_check_bases(uid_t uid, unsigned n, uint64_t bytes, enum fws_err *code,
    char **cause)
{
	struct quota	 q, used;

	*code = FWS_ERR_INTERNAL;
	if (quota_of(uid, &q, cause) == -1)
		return -1;
	quota_usage(uid, NULL, &used);
	if (quota_exceeds(&q, "images", used.q_images, n, code, cause) == -1 ||
	    quota_exceeds(&q, "disk", used.q_disk, bytes, code, cause) == -1)
		return -1;
	return 0;
}

/*
 * May uid's VM be lent until end (0: for ever)?  Not later than
 * quota_loan from now, when it is set.
 */
int
quota_check_loan(uid_t uid, int64_t end, int64_t now, enum fws_err *code,
    char **cause)
{
	struct quota	 q;
	char		*max, *when, *ahead;

	*code = FWS_ERR_INTERNAL;
	if (quota_of(uid, &q, cause) == -1)
		return -1;
	if (q.q_loan == 0 || (end != 0 && end - now <= (int64_t)q.q_loan))
		return 0;
	*code = FWS_ERR_QUOTA;
	max = duration_text(q.q_loan);
	if (end == 0)
		cause_fail(cause, "quota exceeded: loan: asked for a loan "
		    "without end, allowed %s ahead at most (quota_loan)", max);
	else {
		when = date_text(end);
		ahead = duration_words(end - now);
		cause_fail(cause, "quota exceeded: loan: asked until %s (in "
		    "%s), allowed %s ahead at most (quota_loan)", when, ahead,
		    max);
		free(when);
		free(ahead);
	}
	free(max);
	return -1;
}

/*
 * The rate a NIC of vm gets when asked (bit/s; 0: none asked), for ca:
 * its owner's VM's NICs may have quota_vm_net_rate in all (the NIC at
 * index skip, whose rate is being changed, left out), and a NIC asked
 * none gets what is left of it, so that leaving the rate out escapes
 * nothing.  No ceiling, or an admin asking (ceilings hold users, not
 * admins): what was asked.  -1 with *code and a sentence when over.
 */
int
quota_net_rate(const struct caller *ca, const struct vm *vm, int skip,
    uint64_t asked, uint64_t *rate, enum fws_err *code, char **cause)
{
	struct quota	 q;
	uint64_t	 others = 0, left;
	char		 a[16], b[16];
	int		 i;

	*code = FWS_ERR_INTERNAL;
	*rate = asked;
	if (ca->ca_admin)
		return 0;
	if (quota_of(vm->vm_owner, &q, cause) == -1)
		return -1;
	if (q.q_vm_net_rate == 0)
		return 0;
	for (i = 0; i < vm->vm_nnics; i++)
		if (i != skip)
			others += vm->vm_nics[i].n_rate;
	left = q.q_vm_net_rate > others ? q.q_vm_net_rate - others : 0;
	if (asked == 0 && left >= FWS_NET_RATE_MIN) {
		*rate = left;
		return 0;
	}
	if (asked == 0) {
		*code = FWS_ERR_QUOTA;
		return cause_fail(cause, "quota exceeded: %s: no rate is left "
		    "for another NIC (the others have %s), allowed %s in all "
		    "(quota_vm_net_rate)", quota_field("vm_net_rate")->qf_what,
		    format_rate(others, a, sizeof(a)),
		    format_rate(q.q_vm_net_rate, b, sizeof(b)));
	}
	if (asked <= left)
		return 0;
	return quota_over("vm_net_rate", others + asked, others,
	    q.q_vm_net_rate, code, cause);
}

/*
 * Disk number disk of a user's VM under the user's ceilings on a disk's
 * I/O (quota_vm_disk_iops, quota_vm_disk_bps): a limit above one is
 * refused, and where none is asked the ceiling is the limit
 * (disk_io_ceiling).  -1 with *code and a sentence when over.
 */
int
quota_disk_io(uid_t uid, struct disk_io *io, int disk, enum fws_err *code,
    char **cause)
{
	const struct quota_field *f;
	struct quota	 q;
	char		*a, *l;
	int		 k;

	*code = FWS_ERR_INTERNAL;
	if (quota_of(uid, &q, cause) == -1)
		return -1;
	if (disk_io_ceiling(io, q.q_vm_disk_iops, q.q_vm_disk_bps, &k) == 0)
		return 0;
	f = quota_field(k < DISK_IO_BPS ? "vm_disk_iops" : "vm_disk_bps");
	a = quota_value(f, *disk_io_field(io, k));
	l = quota_value(f, QF(&q, f));
	*code = FWS_ERR_QUOTA;
	cause_fail(cause, "quota exceeded: %s: disk %d's %s asked for %s, "
	    "allowed %s (%s)", f->qf_what, disk, disk_io_keys[k], a, l,
	    f->qf_key);
	free(a);
	free(l);
	return -1;
}

/* Why a file could not grow past room, the bytes of quota_disk left. */
char *
quota_room_words(uint64_t room)
{
	char	*r = quota_value(quota_field("disk"), room), *s;

	s = xasprintf("quota exceeded: disk in all: larger than the %s left "
	    "(quota_disk)", r);
	free(r);
	return s;
}

/* The limits and what is used of them, as the quota verb shows them. */
json_t *
quota_to_json(uid_t uid, char **cause)
{
	const struct quota_field *f;
	struct quota	 q, used;
	json_t		*lim, *use;

	if (quota_of(uid, &q, cause) == -1)
		return NULL;
	quota_usage(uid, NULL, &used);
	lim = json_object();
	use = json_object();
	for (f = quota_fields; f->qf_column != NULL; f++) {
		/* a duration, a ceiling or a rate of 0 is no limit at all */
		json_object_set_new(lim, f->qf_column, (f->qf_kind ==
		    QUOTA_SECS || f->qf_kind == QUOTA_CEILING || f->qf_kind ==
		    QUOTA_CPUS || f->qf_kind == QUOTA_RATE || f->qf_kind ==
		    QUOTA_IOPS || f->qf_kind == QUOTA_BPS) && QF(&q, f) == 0 ?
		    json_null() : json_integer(QF(&q, f)));
		if (f->qf_used)
			json_object_set_new(use, f->qf_column,
			    json_integer(QF(&used, f)));
	}
	return json_pack("{so so}", "limits", lim, "used", use);
}

/*
 * A VM's CPU weight and cap against uid's ceilings (quota_vm_cpu_weight,
 * quota_vm_cpu_max; 0: none).  weight and milli (NULL: not asked) are
 * what is asked, 0 for the default weight or no cap: more than a
 * ceiling is refused; none at all takes the ceiling (no further than
 * the VM's vcpus), so that leaving the option out never escapes it.
 */
int
quota_check_cpu(uid_t uid, unsigned vcpus, unsigned *weight,
    unsigned *milli, enum fws_err *code, char **cause)
{
	struct quota	 q;
	char		 a[32], b[32];

	*code = FWS_ERR_INTERNAL;
	if (quota_of(uid, &q, cause) == -1)
		return -1;
	*code = FWS_ERR_QUOTA;
	if (weight != NULL && q.q_vm_cpu_weight > 0) {
		if (*weight > q.q_vm_cpu_weight)
			return cause_fail(cause, "quota exceeded: CPU weight per "
			    "VM: asked for %u, allowed %llu "
			    "(quota_vm_cpu_weight)", *weight,
			    (unsigned long long)q.q_vm_cpu_weight);
		if (*weight == 0 && q.q_vm_cpu_weight < FWS_CPU_WEIGHT_DEFAULT)
			*weight = q.q_vm_cpu_weight;
	}
	if (milli != NULL && q.q_vm_cpu_max > 0) {
		if (*milli > q.q_vm_cpu_max)
			return cause_fail(cause, "quota exceeded: CPU cap per "
			    "VM: asked for %s CPUs, allowed %s "
			    "(quota_vm_cpu_max)", format_cpus(*milli, a,
			    sizeof(a)), format_cpus(q.q_vm_cpu_max, b,
			    sizeof(b)));
		if (*milli == 0)
			*milli = q.q_vm_cpu_max < vcpus * 1000ULL ?
			    q.q_vm_cpu_max : vcpus * 1000;
	}
	*code = FWS_OK;
	return 0;
}
