/*
 * create.c: making a VM.  The request's definition is checked in full
 * (name, template, sizes, limits and the owner's quota, paths confined
 * to the directories the caller may use, images' backing chains, MAC,
 * networks open to the caller), the name is reserved, new disks (empty,
 * or qcow2 overlays on a base image) are made one after another by
 * qemu-img in the background, and only then is the VM committed to the
 * store and announced.  On any failure the disks made so far go away.
 *
 * create_vm takes what was asked as a struct create_spec, its types
 * checked by the reply layer (cmd-create.c), and completes through a
 * callback with the VM, or a domain error and a sentence.
 *
 * A VM may be lent until a time: asked for ("until"), or its template's
 * loan, or loan_default, or for a user's VM under quota_loan the longest
 * it allows (defaults longer than that are cut to it); a user's own
 * request may not ask past quota_loan.
 *
 * A disk file belongs to one VM: a path that is already another VM's
 * disk (or ISO, kernel, initrd) is refused.  An image of the library or
 * of the owner's own is attached read-only, never handed to qemu to
 * write; other files become the VM's.  qemu-img runs as the VM's own
 * qemu uid, on a file made for it, and never opens the base of an
 * overlay (it is given its size).
 *
 * An RBD disk ("rbd:POOL/IMAGE", rbd.c) is in a pool the caller may use:
 * with a size the image is made (rbd create) and is the VM's, without
 * one an existing image is attached (rbd info says it is there, and its
 * size); --base rbd:POOL/IMAGE@SNAP makes disk 0 a clone of that
 * snapshot (rbd clone), the VM's, named after the VM's uuid.  One image
 * is one VM's disk, as a file is.
 */
#include <sys/random.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"

/* What is done for a disk before the VM is committed. */
enum create_step {
	STEP_NONE,		/* an existing file: nothing */
	STEP_QEMU_IMG,		/* a new file: qemu-img create */
	STEP_RBD_CREATE,	/* a new RBD image: rbd create */
	STEP_RBD_INFO,		/* an existing RBD image: rbd info, its size */
	STEP_RBD_BASE,		/* a clone's snapshot: rbd info, its size */
	STEP_RBD_CLONE,		/* then rbd clone */
};

struct create {
	struct vm		*cr_vm;
	struct caller		 cr_caller;	/* who asks */
	fws_done_fn		 cr_done;
	void			*cr_arg;
	char			*cr_dirs[FWS_IMAGE_DIRS_MAX + 3];
	int			 cr_ndirs;
	char			*cr_base[FWS_DISKS_MAX];	/* the disk is an
						   overlay on it (--base: 0) */
	char			*cr_base_format[FWS_DISKS_MAX];
	enum create_step	 cr_new[FWS_DISKS_MAX];	/* what makes it */
	struct rbd_name		 cr_rbd_base[FWS_DISKS_MAX];	/* a clone's */
	struct rbd_run		*cr_rbd;	/* rbd at work */
	int			 cr_next;	/* disk qemu-img works on */
	int			 cr_made[FWS_DISKS_MAX];
	int			 cr_define;	/* a definition: "defined" */
	struct proc_watch	*cr_watch;
	struct seed_iso		*cr_seed;	/* the seed under way */
	int			 cr_seeded;	/* the seed is made */
	char			*cr_log;	/* qemu-img's output */
	uint64_t		 cr_net_rate;	/* the template's NICs' */
};

static void	create_next(struct create *);
static void	create_rbd_step(struct create *);
static int	create_limits(struct create *, const char *, char **);

void
create_uuid(char *buf, size_t len)
{
	unsigned char	 u[16];

	if (getrandom(u, sizeof(u), 0) != sizeof(u))
		abort();	/* the kernel's RNG does not fail for 16 bytes */
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
	    u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/*
 * A MAC address no VM has: 52:54 (QEMU's, locally administered) and
 * four random bytes.  Never derived from the VM's name: a clash would
 * then tell a user another user's VM names.
 */
void
create_random_mac(char *buf, size_t len)
{
	unsigned char	 b[4];
	int		 tries;

	for (tries = 0; tries < 64; tries++) {
		if (getrandom(b, sizeof(b), 0) != sizeof(b))
			abort();	/* the kernel's RNG does not fail for 4 bytes */
		snprintf(buf, len, "52:54:%02x:%02x:%02x:%02x", b[0], b[1],
		    b[2], b[3]);
		if (create_clash(0, NULL, buf) == NULL)
			return;
	}
}

/*
 * A MAC address another VM than vm has taken (-2): whose is said only
 * to who may see that VM, so a clash tells a user nothing of other
 * users' VMs.  Shared with nic-add (vm-nic.c).
 */
int
create_mac_free(const struct caller *ca, const struct vm *vm,
    const char *mac, char **cause)
{
	struct vm	*other;
	char		*who;

	if ((other = create_clash(0, NULL, mac)) == NULL || other == vm)
		return 0;
	if (caller_sees(ca, other)) {
		who = caller_vm_words(ca, other);
		*cause = xasprintf("MAC address %s is already used by VM %s",
		    mac, who);
		free(who);
	} else
		*cause = xasprintf("MAC address %s is already in use", mac);
	return -2;
}

static int
create_mac_taken(struct create *cr, const char *mac, char **cause)
{
	return create_mac_free(&cr->cr_caller, cr->cr_vm, mac, cause);
}

/*
 * A network a NIC of ca's may join: one that exists, and for a user one
 * open to users; a closed one reads as none.  Shared with nic-add.
 */
int
create_nic_net(const struct caller *ca, const char *net, char **cause)
{
	struct net	*n;

	if ((n = net_find(net)) == NULL || (!ca->ca_admin && !n->net_open))
		return cause_fail(cause, "no network named \"%.64s\"%s", net,
		    ca->ca_admin ? "" : " open to users (fwsctl net-list)");
	return 0;
}

/*
 * A uuid a definition keeps: well formed, and no VM's here (whose, to
 * who may see it).
 */
static int
create_uuid_free(struct create *cr, const char *uuid, enum fws_err *err,
    char **cause)
{
	struct vm	*vm;
	char		*who;
	int		 rc;

	*err = FWS_ERR_INVALID;
	if (validate_uuid(uuid, cause) == -1)
		return -1;
	*err = FWS_ERR_EXISTS;
	TAILQ_FOREACH(vm, &vms, vm_entry) {
		if (strcmp(vm->vm_uuid, uuid) != 0)
			continue;
		if (!vm_is_hidden(vm) && caller_sees(&cr->cr_caller, vm)) {
			who = caller_vm_words(&cr->cr_caller, vm);
			rc = cause_fail(cause, "uuid %s is VM %s's on this host",
			    uuid, who);
			free(who);
			return rc;
		}
		return cause_fail(cause, "a VM with uuid %s exists on this "
		    "host", uuid);
	}
	return 0;
}

/*
 * Is the name taken by another of the owner's VMs, or the MAC by any VM
 * (or one being created)?
 */
struct vm *
create_clash(uid_t owner, const char *name, const char *mac)
{
	struct vm	*vm;
	int		 i;

	TAILQ_FOREACH(vm, &vms, vm_entry) {
		if ((name != NULL && vm->vm_owner == owner &&
		    strcmp(vm->vm_name, name) == 0) ||
		    (mac != NULL && strcasecmp(vm->vm_mac, mac) == 0))
			return vm;
		for (i = 0; mac != NULL && i < vm->vm_nnics; i++)
			if (strcasecmp(vm->vm_nics[i].n_mac, mac) == 0)
				return vm;
	}
	return NULL;
}

/*
 * The NICs: each on an existing network (one open to users, for a
 * user), with a MAC no other NIC has.  NIC 0 takes the VM's MAC; NIC
 * i > 0 defaults to a random one.
 */
static int
create_nics(struct create *cr, const struct create_spec *cs, char **cause)
{
	struct vm	*vm = cr->cr_vm;
	struct vm_nic	*nic;
	const char	*net, *mac;
	size_t		 i;
	int		 j;

	if (cs->cs_nnics == 0)
		return 0;
	if (cs->cs_nnics > FWS_NICS_MAX)
		return cause_fail(cause, "at most %d NICs", FWS_NICS_MAX);
	for (i = 0; i < cs->cs_nnics; i++) {
		net = cs->cs_nics[i].cn_net;
		mac = cs->cs_nics[i].cn_mac;
		if (create_nic_net(&cr->cr_caller, net, cause) == -1)
			return -1;
		if (mac != NULL && validate_mac(mac, cause) == -1)
			return -1;
		nic = &vm->vm_nics[vm->vm_nnics++];
		snprintf(nic->n_net, sizeof(nic->n_net), "%s", net);
		/* as asked (0: the template's, create_net_rates) */
		nic->n_rate = cs->cs_nics[i].cn_rate;
		if (mac != NULL)
			snprintf(nic->n_mac, sizeof(nic->n_mac), "%s", mac);
		else if (i == 0)
			snprintf(nic->n_mac, sizeof(nic->n_mac), "%s",
			    vm->vm_mac);
		else
			create_random_mac(nic->n_mac, sizeof(nic->n_mac));
		for (j = 0; j < vm->vm_nnics - 1; j++)
			if (strcasecmp(vm->vm_nics[j].n_mac, nic->n_mac) == 0)
				return cause_fail(cause, "MAC address %s is "
				    "given to two NICs", nic->n_mac);
		if (i > 0 && strcasecmp(vm->vm_mac, nic->n_mac) == 0)
			return cause_fail(cause, "MAC address %s is the VM's "
			    "own", nic->n_mac);
		if (create_mac_taken(cr, nic->n_mac, cause) == -2)
			return -2;
	}
	/* NIC 0's own MAC is the VM's: one place says what the guest sees */
	snprintf(vm->vm_mac, sizeof(vm->vm_mac), "%s", vm->vm_nics[0].n_mac);
	return 0;
}

/*
 * The VM that has path as a writable disk (cr's own: among its disks
 * before upto), or, when writable asks about a disk to be written, as
 * anything at all (a disk, ISO, kernel or initrd); NULL when none.
 * Read-only files may be shared; a file written by a guest is one VM's.
 */
static struct vm *
create_file_user(struct create *cr, const char *path, int upto,
    int writable)
{
	struct vm	*vm;
	int		 i, n;

	TAILQ_FOREACH(vm, &vms, vm_entry) {
		n = vm == cr->cr_vm ? upto : vm->vm_ndisks;
		for (i = 0; i < n; i++)
			if ((writable || !vm->vm_disks[i].d_readonly) &&
			    strcmp(vm->vm_disks[i].d_path, path) == 0)
				return vm;
		if (!writable || vm == cr->cr_vm)
			continue;
		if ((vm->vm_iso != NULL && strcmp(vm->vm_iso, path) == 0) ||
		    (vm->vm_kernel != NULL && strcmp(vm->vm_kernel,
		    path) == 0) || (vm->vm_initrd != NULL &&
		    strcmp(vm->vm_initrd, path) == 0))
			return vm;
	}
	return NULL;
}

/* A file another VM (or this one) has: -1, whose only to who may know. */
static int
create_file_taken(struct create *cr, const char *path, struct vm *other,
    char **cause)
{
	char	*who;
	int	 rc;

	if (other == cr->cr_vm)
		return cause_fail(cause, "%s is given to %s twice", path,
		    cr->cr_vm->vm_name);
	if (caller_sees(&cr->cr_caller, other)) {
		who = caller_vm_words(&cr->cr_caller, other);
		rc = cause_fail(cause, "%s is a file of VM %s: a disk belongs "
		    "to one VM", path, who);
		free(who);
		return rc;
	}
	return cause_fail(cause, "%s is a file of another VM: a disk belongs "
	    "to one VM", path);
}

/*
 * A file asked for (image_file_arg): a library name, or a path inside
 * the directories the caller may use.  qemu only reads these; none may
 * be a VM's disk.
 */
static int
create_path_arg(struct create *cr, const char *v, enum image_type t,
    char **out, char **cause)
{
	struct vm	*other;

	*out = NULL;
	if (v == NULL)
		return 0;
	if (image_file_arg(cr->cr_vm->vm_owner, cr->cr_caller.ca_admin, t,
	    v, out, cause) == -1)
		return -1;
	if ((other = create_file_user(cr, *out, 0, 0)) != NULL) {
		create_file_taken(cr, *out, other, cause);
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* Check an image's chain: backing files only among the owner's images. */
static int
create_chain_check(struct create *cr, const char *path, const char *fmt,
    uint64_t *size, char **cause)
{
	char	*dirs[FWS_IMAGE_DIRS_MAX + 1];
	int	 n, rc;

	n = image_base_dirs(cr->cr_vm->vm_owner, dirs);
	rc = image_check(path, fmt, dirs, n, size, cause);
	image_dirs_free(dirs, n);
	return rc;
}

/*
 * An existing file as disk idx: its format is given, never probed; a
 * qcow2's header is read (image.c): its virtual size, and a backing
 * chain that stays among the owner's images and names its formats.  An
 * image is attached read-only; any other file becomes this VM's, unless
 * it is another VM's already.
 */
/*
 * An RBD image as disk idx: its name checked, its pool one the caller
 * may use, no other VM's; made when size is given, else attached.
 */
static int
create_rbd_disk(struct create *cr, struct vm_disk *d, int idx,
    const char *path, const char *fmt, uint64_t size, char **cause)
{
	struct rbd_name	 rn;
	struct vm	*other;

	if (fmt != NULL && strcmp(fmt, "rbd") != 0)
		return cause_fail(cause, "disk %s: an RBD image's format is rbd",
		    path);
	if (validate_rbd(path, RBD_SNAP_NONE, &rn, cause) == -1 ||
	    rbd_pool_allowed(&cr->cr_caller, rn.rn_pool, cause) == -1)
		return -1;
	d->d_path = xasprintf(FWS_RBD_PREFIX "%s/%s", rn.rn_pool,
	    rn.rn_image);
	d->d_format = xasprintf("rbd");
	if ((other = create_file_user(cr, d->d_path, idx, 1)) != NULL)
		return create_file_taken(cr, d->d_path, other, cause);
	d->d_size = size;
	d->d_owned = size > 0;
	cr->cr_new[idx] = size > 0 ? STEP_RBD_CREATE : STEP_RBD_INFO;
	return 0;
}

static int
create_existing_disk(struct create *cr, struct vm_disk *d, int idx,
    const char *path, const char *fmt, char **cause)
{
	struct vm	*other;

	if (is_rbd(path))
		return create_rbd_disk(cr, d, idx, path, fmt, 0, cause);
	if (fmt == NULL || (strcmp(fmt, "qcow2") != 0 &&
	    strcmp(fmt, "raw") != 0)) {
		*cause = xasprintf("disk %s: format must be qcow2 or raw", path);
		return -1;
	}
	if (path_confine(path, cr->cr_dirs, cr->cr_ndirs, &d->d_path,
	    cause) == -1)
		return -1;
	d->d_format = xasprintf("%s", fmt);
	d->d_readonly = image_is_base(cr->cr_vm->vm_owner, d->d_path);
	if ((other = create_file_user(cr, d->d_path, idx,
	    !d->d_readonly)) != NULL)
		return create_file_taken(cr, d->d_path, other, cause);
	return create_chain_check(cr, d->d_path, fmt, &d->d_size, cause);
}

/*
 * An existing file as a new disk of vm (disk-add), checked as create
 * checks its --disk PATH: confined to the directories ca may use, its
 * format given, a chain among the owner's images, read-only when it is
 * an image, no other VM's (nor this one's twice).  d is filled (d_path
 * and d_format are the caller's to free, also on failure).  0, -1 for
 * a bad path, -2 for a file another VM has.
 */
int
create_disk_check(const struct caller *ca, struct vm *vm, const char *path,
    const char *fmt, struct vm_disk *d, char **cause)
{
	struct create	 cr;
	int		 rc;

	memset(&cr, 0, sizeof(cr));
	cr.cr_vm = vm;
	cr.cr_caller = *ca;
	cr.cr_ndirs = image_dirs(vm->vm_owner, ca->ca_admin, cr.cr_dirs);
	rc = create_existing_disk(&cr, d, vm->vm_ndisks, path, fmt, cause);
	if (rc == -1 && d->d_path != NULL && d->d_format != NULL &&
	    create_file_user(&cr, d->d_path, vm->vm_ndisks,
	    !d->d_readonly) != NULL)
		rc = -2;
	image_dirs_free(cr.cr_dirs, cr.cr_ndirs);
	return rc;
}

/*
 * d (the VM's last disk) made by qemu-img, of format fmt, in the
 * directory of the VM's own disks (vm_disk_dir); -2 when a file is
 * there already.
 */
static int
create_new_disk(struct create *cr, struct vm_disk *d, const char *fmt,
    char **cause)
{
	struct vm	*vm = cr->cr_vm;
	char		*dir;

	if (strcmp(fmt, "qcow2") != 0 && strcmp(fmt, "raw") != 0)
		return cause_fail(cause, "disk %d: format must be qcow2 or "
		    "raw", vm->vm_ndisks - 1);
	dir = vm_disk_dir(vm);
	d->d_path = xasprintf("%s/disk%d.%s", dir, vm->vm_ndisks - 1, fmt);
	free(dir);
	d->d_format = xasprintf("%s", fmt);
	d->d_owned = 1;
	cr->cr_new[vm->vm_ndisks - 1] = STEP_QEMU_IMG;
	if (access(d->d_path, F_OK) == 0) {
		*cause = xasprintf("%s already exists (kept from a deleted "
		    "VM?): remove it, or attach it as an existing disk",
		    d->d_path);
		return -2;
	}
	return 0;
}

/*
 * Disk 0 as a qcow2 overlay on a base image (the owner's own or the
 * library's), at least as large as the template's disk.
 */
static int
create_base_disk(struct create *cr, const char *name, uint64_t size,
    char **cause)
{
	struct vm	*vm = cr->cr_vm;
	struct vm_disk	*d = &vm->vm_disks[vm->vm_ndisks++];
	uint64_t	 bsize;

	int		 i = vm->vm_ndisks - 1;

	if (is_rbd(name)) {
		if (validate_rbd(name, RBD_SNAP_MUST, &cr->cr_rbd_base[i],
		    cause) == -1 || rbd_pool_allowed(&cr->cr_caller,
		    cr->cr_rbd_base[i].rn_pool, cause) == -1)
			return -1;
		/* in the base's pool, named after the VM: no user picks it */
		d->d_path = xasprintf(FWS_RBD_PREFIX "%s/fws-%s-disk%d",
		    cr->cr_rbd_base[i].rn_pool, vm->vm_uuid, i);
		d->d_format = xasprintf("rbd");
		d->d_owned = 1;
		d->d_size = size;	/* at least; the snapshot's if larger */
		cr->cr_new[i] = STEP_RBD_BASE;
		return 0;
	}
	if (image_find(vm->vm_owner, name, IMAGE_DISK, &cr->cr_base[i],
	    &cr->cr_base_format[i], cause) == -1 ||
	    create_chain_check(cr, cr->cr_base[i], cr->cr_base_format[i],
	    &bsize, cause) == -1)
		return -1;
	d->d_size = size > bsize ? size : bsize;
	return create_new_disk(cr, d, "qcow2", cause);
}

/*
 * Does a defined disk that was its VM's own stay so here: a writable
 * file in the directory of the VM's own disks, or in its directory?
 * Anywhere else it is attached as not owned: never deleted with the VM.
 */
static int
create_own_place(struct create *cr, const struct vm_disk *d)
{
	char	*dirs[2], *resolved;
	int	 rc;

	if (d->d_readonly)
		return 0;
	dirs[0] = vm_disk_dir(cr->cr_vm);
	dirs[1] = vm_dir(cr->cr_vm);
	rc = path_confine(d->d_path, dirs, 2, &resolved, NULL) == 0;
	if (rc)
		free(resolved);
	free(dirs[0]);
	free(dirs[1]);
	return rc;
}

/* The disks asked for, after disk 0 when that is an overlay. */
static int
create_disks(struct create *cr, const struct create_spec *cs, char **cause)
{
	struct vm	*vm = cr->cr_vm;
	struct vm_disk	*d;
	const char	*path, *fmt;
	size_t		 i;
	int		 rc;

	if (cs->cs_ndisks + vm->vm_ndisks > FWS_DISKS_MAX) {
		*cause = xasprintf("%zu disks asked for, at most %d are allowed",
		    cs->cs_ndisks + vm->vm_ndisks, FWS_DISKS_MAX);
		return -1;
	}
	for (i = 0; i < cs->cs_ndisks; i++) {
		d = &vm->vm_disks[vm->vm_ndisks++];
		path = cs->cs_disks[i].cd_path;
		fmt = cs->cs_disks[i].cd_format;
		d->d_size = cs->cs_disks[i].cd_size;
		d->d_io = cs->cs_disks[i].cd_io;
		if (is_rbd(path)) {
			if (create_rbd_disk(cr, d, vm->vm_ndisks - 1, path,
			    fmt, d->d_size, cause) == -1)
				return -1;
			/*
			 * A definition's own image (every host reaches it
			 * alike) stays the VM's when an admin defines it, as
			 * a migration's destination does; a user never gets
			 * to delete an image by calling it theirs
			 */
			if (cs->cs_disks[i].cd_owned && cr->cr_caller.ca_admin)
				d->d_owned = 1;
			continue;
		}
		if ((path == NULL) == (d->d_size == 0)) {
			*cause = xasprintf("disk %zu needs either a size or a "
			    "path", i);
			return -1;
		}
		if (path != NULL) {
			if (create_existing_disk(cr, d, vm->vm_ndisks - 1, path,
			    fmt, cause) == -1)
				return -1;
			if (cs->cs_disks[i].cd_owned)
				d->d_owned = create_own_place(cr, d);
			continue;
		}
		if (cs->cs_disks[i].cd_backing != NULL) {
			vm->vm_ndisks--;
			if ((rc = create_base_disk(cr,
			    cs->cs_disks[i].cd_backing, d->d_size,
			    cause)) != 0)
				return rc;
			continue;
		}
		if ((rc = create_new_disk(cr, d, fmt != NULL ? fmt : "qcow2",
		    cause)) != 0)
			return rc;
	}
	return 0;
}

/*
 * The loan: "until" (a time: fwsctl's --until, or --for from now), else
 * the template's, else loan_default, else none.  A VM lent to a user
 * (not an admin's own) whose quota_loan is set is lent at most that
 * long by default, and for that long when nothing else says.  Whether
 * a user may ask for "until" is create_quota's.
 */
static int
create_loan(struct create *cr, int64_t until, const struct fws_template *t,
    char **cause)
{
	struct vm	*vm = cr->cr_vm;
	struct quota	 q;
	int64_t		 now = time(NULL), len = 0;

	if (until >= 0) {
		if (loan_end_valid(until, now, cause) == -1)
			return -1;
		vm->vm_loan.lo_end = until;
		return 0;
	}
	if (t != NULL && t->t_loan != 0)
		len = t->t_loan;
	else
		len = conf.cf_loan_default;
	if (!caller_exempt(&cr->cr_caller, vm->vm_owner)) {
		if (quota_of(vm->vm_owner, &q, cause) == -1)
			return -1;
		if (q.q_loan != 0 && (len == 0 || len > (int64_t)q.q_loan))
			len = q.q_loan;
	}
	vm->vm_loan.lo_end = len != 0 ? now + len : 0;
	return 0;
}

/*
 * With disk_dir, where disks may be attached from besides: for an
 * admin all of it; for a user, a definition's DISK_DIR/UUID when it
 * holds their VM's disks ("owner"), never another user's.
 */
static void
create_disk_dirs(struct create *cr)
{
	struct vm	*vm = cr->cr_vm;
	uid_t		 owner;

	if (conf.cf_disk_dir == NULL)
		return;
	if (cr->cr_caller.ca_admin)
		cr->cr_dirs[cr->cr_ndirs++] = xasprintf("%s",
		    conf.cf_disk_dir);
	else if (cr->cr_define && vm_disk_dir_owner(vm->vm_uuid,
	    &owner) == 0 && owner == vm->vm_owner)
		cr->cr_dirs[cr->cr_ndirs++] = vm_disk_dir(vm);
}

/*
 * Check the whole definition into cr->cr_vm; -1 invalid, -2 exists,
 * -3 forbidden.
 */
static int
create_parse(struct create *cr, const struct create_spec *cs, char **cause)
{
	struct vm	*vm = cr->cr_vm;
	const struct fws_template *t = NULL;
	const char	*tname = cs->cs_template, *append = cs->cs_append;
	uint64_t	 tdisk = 0;
	struct disk_io	*io;
	int64_t		 owner;
	int		 rc, i;

	if (caller_owner(&cr->cr_caller, cs->cs_owner, &owner, cause) == -1)
		return -3;
	vm->vm_owner = owner < 0 ? cr->cr_caller.ca_uid : (uid_t)owner;
	cr->cr_ndirs = image_dirs(vm->vm_owner, cr->cr_caller.ca_admin,
	    cr->cr_dirs);
	create_disk_dirs(cr);
	if (validate_name(cs->cs_name, cause) == -1)
		return -1;
	snprintf(vm->vm_name, sizeof(vm->vm_name), "%s", cs->cs_name);
	if (create_clash(vm->vm_owner, cs->cs_name, NULL) != NULL) {
		*cause = xasprintf("a VM named %s already exists", cs->cs_name);
		return -2;
	}
	vm->vm_vcpus = 1;
	vm->vm_memory_mib = 1024;
	if (tname != NULL) {
		if ((t = config_template_find(&conf, tname)) == NULL) {
			*cause = xasprintf("no template named \"%.64s\" (fwsctl "
			    "templates)", tname);
			return -1;
		}
		vm->vm_vcpus = t->t_vcpus;
		vm->vm_memory_mib = t->t_memory_mib;
		vm->vm_cpu_weight = t->t_cpu_weight;
		vm->vm_cpu_max = t->t_cpu_max;
		tdisk = t->t_disk;
		cr->cr_net_rate = t->t_net_rate;
	}
	/* the host's limits, in the user's words, below */
	if (cs->cs_vcpus >= 0)
		vm->vm_vcpus = cs->cs_vcpus > UINT32_MAX ? UINT32_MAX :
		    cs->cs_vcpus;
	if (cs->cs_memory_mib >= 0)
		vm->vm_memory_mib = cs->cs_memory_mib;
	if ((cs->cs_cpu_weight >= 0 || cs->cs_cpu_max >= 0) &&
	    !cgroup_enabled()) {
		*cause = xasprintf("%s", cgroup_off_words());
		return -1;
	}
	if (cs->cs_cpu_weight >= 0) {
		if (cgroup_weight_check(cs->cs_cpu_weight, cause) == -1)
			return -1;
		vm->vm_cpu_weight = (unsigned)cs->cs_cpu_weight;
	}
	if (cs->cs_cpu_max >= 0)
		vm->vm_cpu_max = (unsigned)cs->cs_cpu_max;
	if (create_loan(cr, cs->cs_until, t, cause) == -1)
		return -1;
	if (cs->cs_restart != NULL && vm_restart_parse(cs->cs_restart,
	    &vm->vm_restart) == -1) {
		*cause = xasprintf("restart policy must be " VM_RESTART_WORDS
		    ", not \"%.32s\"", cs->cs_restart);
		return -1;
	}
	if (vm_autostart_check(vm, vm->vm_restart, cs->cs_autostart,
	    cause) == -1)
		return -1;
	vm->vm_autostart = cs->cs_autostart;
	/* the screen: as asked, else the host's default (a valid word) */
	if (vm_display_parse(cs->cs_display != NULL ? cs->cs_display :
	    conf.cf_default_display, &vm->vm_display, cause) == -1)
		return -1;
	if (cs->cs_mac != NULL && validate_mac(cs->cs_mac, cause) == -1)
		return -1;
	if (cs->cs_mac != NULL)
		snprintf(vm->vm_mac, sizeof(vm->vm_mac), "%s", cs->cs_mac);
	else
		create_random_mac(vm->vm_mac, sizeof(vm->vm_mac));
	if (create_mac_taken(cr, vm->vm_mac, cause) == -2)
		return -2;
	if (create_path_arg(cr, cs->cs_iso, IMAGE_ISO, &vm->vm_iso,
	    cause) == -1 ||
	    create_path_arg(cr, cs->cs_kernel, IMAGE_KERNEL, &vm->vm_kernel,
	    cause) == -1 ||
	    create_path_arg(cr, cs->cs_initrd, IMAGE_INITRD, &vm->vm_initrd,
	    cause) == -1)
		return -1;
	if (append != NULL) {
		if (strlen(append) > FWS_APPEND_MAX) {
			*cause = xasprintf("the kernel command line is longer "
			    "than %d characters", FWS_APPEND_MAX);
			return -1;
		}
		vm->vm_append = xasprintf("%s", append);
	}
	if ((vm->vm_initrd != NULL || vm->vm_append != NULL) &&
	    vm->vm_kernel == NULL) {
		*cause = xasprintf("an initrd or a kernel command line needs "
		    "a kernel");
		return -1;
	}
	if ((rc = create_nics(cr, cs, cause)) != 0)
		return rc;
	if (cs->cs_base != NULL && (rc = create_base_disk(cr, cs->cs_base,
	    tdisk, cause)) != 0)
		return rc;
	if ((rc = create_disks(cr, cs, cause)) != 0)
		return rc;
	/* the template's disk, when nothing else gives the VM one */
	if (vm->vm_ndisks == 0 && tdisk > 0 && !cs->cs_disks_given) {
		vm->vm_disks[0].d_size = tdisk;
		vm->vm_ndisks = 1;
		if ((rc = create_new_disk(cr, &vm->vm_disks[0], "qcow2",
		    cause)) != 0)
			return rc;
	}
	/*
	 * The template's I/O limits on each disk, operations and bytes
	 * each where the disk asked for none of them
	 */
	for (i = 0; t != NULL && i < vm->vm_ndisks; i++) {
		io = &vm->vm_disks[i].d_io;
		if (io->io_iops == 0 && io->io_iops_rd == 0 &&
		    io->io_iops_wr == 0)
			io->io_iops = t->t_io.io_iops;
		if (io->io_bps == 0 && io->io_bps_rd == 0 && io->io_bps_wr == 0)
			io->io_bps = t->t_io.io_bps;
	}
	if ((rc = create_limits(cr, tname, cause)) != 0)
		return rc;
	/* a NIC on a public network: the images its disks come from */
	if (public_check(vm, NULL, cr->cr_base, FWS_DISKS_MAX, cause) == -1)
		return -3;
	if (cs->cs_pins != NULL) {
		if (vm_pins_check(cs->cs_pins, vm->vm_vcpus, cause) == -1)
			return -1;
		vm->vm_pins = json_deep_copy(cs->cs_pins);
	}
	return seed_check(cs->cs_seed, &vm->vm_seed, cause);
}

/*
 * The host's limits, said in the units people type, with the fwsd.conf
 * key that sets each: "memory 100000 MiB (97.7G) is more than this host
 * allows for a VM: max_memory = 64G".  Every disk fwsd is to make is
 * checked, whether given, a template's or an overlay as large as its
 * base; disks that exist already are what they are.
 */
static int
create_limits(struct create *cr, const char *tname, char **cause)
{
	struct vm	*vm = cr->cr_vm;
	struct vm_disk	*d;
	char		 a[32], b[32], *from;
	int		 i, rc = 0;

	from = tname != NULL ? xasprintf(" (from template %s)", tname) :
	    xasprintf("%s", "");
	rc = vm_limits(vm->vm_vcpus, vm->vm_memory_mib, from, cause);
	if (rc == 0 && vm->vm_cpu_max > 0)
		rc = cgroup_cpu_max_check(vm->vm_cpu_max, vm->vm_vcpus, cause);
	for (i = 0; rc == 0 && i < vm->vm_ndisks; i++) {
		d = &vm->vm_disks[i];
		if (cr->cr_new[i] && d->d_size > conf.cf_max_disk_size)
			rc = cause_fail(cause, "disk %s%s is more than this "
			    "host allows for a disk: max_disk_size = %s",
			    format_size(d->d_size, a, sizeof(a)),
			    cr->cr_base[i] != NULL ? " (an overlay as "
			    "large as its base)" : "",
			    format_size(conf.cf_max_disk_size, b, sizeof(b)));
	}
	free(from);
	return rc;
}

/*
 * The NICs' rates within the owner's ceiling (quota_net_rate): those
 * asked for must fit in it together, then those without one share what
 * is left of it evenly, so that a NIC made without a rate escapes
 * nothing; the template's rate, if any, where it is less than their
 * share (or where there is no ceiling).
 */
static int
create_net_rates(struct create *cr, enum fws_err *err, char **cause)
{
	struct vm	*vm = cr->cr_vm;
	uint64_t	 left;
	char		*why, r[16];
	int		 i, first = -1, n = 0;

	for (i = 0; i < vm->vm_nnics; i++) {
		if (vm->vm_nics[i].n_rate == 0) {
			if (first == -1)
				first = i;
			n++;
		} else if (quota_net_rate(&cr->cr_caller, vm, i,
		    vm->vm_nics[i].n_rate, &vm->vm_nics[i].n_rate, err,
		    &why) == -1)
			goto over;
	}
	if (first == -1)
		return 0;
	/* what the first NIC without a rate would get is what is left */
	i = first;
	if (quota_net_rate(&cr->cr_caller, vm, first, 0, &left, err,
	    &why) == -1)
		goto over;
	if (left == 0 || (cr->cr_net_rate > 0 && cr->cr_net_rate <= left / n))
		left = cr->cr_net_rate * n;	/* no ceiling, or below it */
	if (left == 0)
		return 0;
	if (left / n < FWS_NET_RATE_MIN) {
		*err = FWS_ERR_QUOTA;
		*cause = xasprintf("quota exceeded: %d NICs without a rate "
		    "cannot share the %s left (quota_vm_net_rate)", n,
		    format_rate(left, r, sizeof(r)));
		return -1;
	}
	for (i = 0; i < vm->vm_nnics; i++)
		if (vm->vm_nics[i].n_rate == 0)
			vm->vm_nics[i].n_rate = left / n;
	return 0;
over:
	*cause = xasprintf("NIC %d: %s", i, why);
	free(why);
	return -1;
}

/*
 * A user's VM must fit their quota; an admin's own VMs have only the
 * host's limits.  Admins lend for as long as they like.  -1, *err and
 * *cause when over.
 */
static int
create_quota(struct create *cr, enum fws_err *err, char **cause)
{
	struct vm	*vm = cr->cr_vm;
	int		 i;

	if (!cr->cr_caller.ca_admin && quota_check_loan(vm->vm_owner,
	    vm->vm_loan.lo_end, time(NULL), err, cause) == -1)
		return -1;
	/* the CPU's ceilings hold users, never an admin (who sets them) */
	if (!cr->cr_caller.ca_admin && quota_check_cpu(vm->vm_owner,
	    vm->vm_vcpus, &vm->vm_cpu_weight, &vm->vm_cpu_max, err,
	    cause) == -1)
		return -1;
	if (create_net_rates(cr, err, cause) == -1)
		return -1;
	for (i = 0; i < vm->vm_ndisks && !cr->cr_caller.ca_admin; i++)
		if (quota_disk_io(vm->vm_owner, &vm->vm_disks[i].d_io, i, err,
		    cause) == -1)
			return -1;
	if (caller_exempt(&cr->cr_caller, vm->vm_owner))
		return 0;
	return quota_check(vm->vm_owner, vm, err, cause);
}

static void
create_free(struct create *cr, int discard)
{
	int	 i;
	char	*dir;

	if (discard) {
		for (i = 0; i < cr->cr_next; i++)
			if (cr->cr_made[i] &&
			    is_rbd(cr->cr_vm->vm_disks[i].d_path))
				rbd_image_remove(cr->cr_vm->vm_name,
				    cr->cr_vm->vm_disks[i].d_path);
			else if (cr->cr_made[i])
				unlink(cr->cr_vm->vm_disks[i].d_path);
		if (cr->cr_seeded)
			seed_iso_remove(cr->cr_vm);
		dir = vm_dir(cr->cr_vm);
		rmdir(dir);	/* only if nothing else is in it */
		free(dir);
		vm_rmdir_disks(cr->cr_vm);
		TAILQ_REMOVE(&vms, cr->cr_vm, vm_entry);
		vm_free(cr->cr_vm);
	}
	if (cr->cr_log != NULL)
		unlink(cr->cr_log);
	free(cr->cr_log);
	rbd_run_cancel(cr->cr_rbd);
	seed_iso_cancel(cr->cr_seed);
	proc_unwatch(cr->cr_watch);
	image_dirs_free(cr->cr_dirs, cr->cr_ndirs);
	for (i = 0; i < FWS_DISKS_MAX; i++) {
		free(cr->cr_base[i]);
		free(cr->cr_base_format[i]);
	}
	free(cr);
}

/* The VM is not made: say why (why is freed), and take back what was. */
static void
create_fail(struct create *cr, enum fws_err err, char *why)
{
	cr->cr_done(cr->cr_arg, err, why, NULL);
	free(why);
	create_free(cr, 1);
}

static void
create_disk_done(pid_t pid, int status, void *arg)
{
	struct create	*cr = arg;
	char		*out, *why;

	(void)pid;
	proc_unwatch(cr->cr_watch);
	cr->cr_watch = NULL;
	if (status != 0) {
		/* its last line says why; one before it may be that it could
		 * not delete the file in fwsd's directory (fwsd does) */
		out = proc_output(cr->cr_log, 1024);
		why = xasprintf("%s: qemu-img could not create %s: %s",
		    cr->cr_vm->vm_name, cr->cr_vm->vm_disks[cr->cr_next].d_path,
		    strrchr(out, '\n') ? strrchr(out, '\n') + 1 : out);
		free(out);
		cr->cr_made[cr->cr_next] = 1;	/* whatever it left */
		cr->cr_next++;
		create_fail(cr, FWS_ERR_FAILED, why);
		return;
	}
	cr->cr_made[cr->cr_next] = 1;
	if (access_give_qemu(cr->cr_vm->vm_disks[cr->cr_next].d_path,
	    cr->cr_vm->vm_qemu_uid, &out) == -1) {
		why = xasprintf("%s: %s", cr->cr_vm->vm_name, out);
		free(out);
		cr->cr_next++;
		create_fail(cr, FWS_ERR_INTERNAL, why);
		return;
	}
	cr->cr_next++;
	create_next(cr);
}

/* genisoimage is done: the seed is there (why NULL), or not. */
static void
create_seed_done(void *arg, char *why)
{
	struct create	*cr = arg;

	cr->cr_seed = NULL;	/* seed.c's to free */
	if (why != NULL) {
		create_fail(cr, FWS_ERR_FAILED, xasprintf("%s: %s",
		    cr->cr_vm->vm_name, why));
		return;
	}
	cr->cr_seeded = 1;
	create_next(cr);
}

/* The CPU's limits, for the created event: ", cpu max 0.5", or "". */
static char *
create_cpu_words(const struct vm *vm)
{
	char	 w[32], a[16];

	*w = '\0';
	if (vm->vm_cpu_weight > 0)
		snprintf(w, sizeof(w), ", cpu weight %u", vm->vm_cpu_weight);
	return xasprintf("%s%s%s", w, vm->vm_cpu_max ? ", cpu max " : "",
	    vm->vm_cpu_max ? format_cpus(vm->vm_cpu_max, a, sizeof(a)) : "");
}

/* rbd's step for the disk at cr_next is over: why NULL when it went. */
static void
create_rbd_done(void *arg, const char *why, json_t *out)
{
	struct create	*cr = arg;
	struct vm_disk	*d = &cr->cr_vm->vm_disks[cr->cr_next];
	json_t		*j;
	uint64_t	 size = 0;

	cr->cr_rbd = NULL;
	if ((j = json_object_get(out, "size")) != NULL &&
	    json_is_integer(j) && json_integer_value(j) > 0)
		size = (uint64_t)json_integer_value(j);
	if (why == NULL && (cr->cr_new[cr->cr_next] == STEP_RBD_INFO ||
	    cr->cr_new[cr->cr_next] == STEP_RBD_BASE) && size == 0)
		why = "rbd info says no size";
	if (why != NULL) {
		/* rbd create and clone make all or nothing: an image there
		 * already (EEXIST) is someone else's, never removed */
		cr->cr_made[cr->cr_next] = 0;
		cr->cr_next++;
		create_fail(cr, FWS_ERR_FAILED, xasprintf("%s: disk %d (%s): %s",
		    cr->cr_vm->vm_name, cr->cr_next - 1, d->d_path, why));
		return;
	}
	switch (cr->cr_new[cr->cr_next]) {
	case STEP_RBD_INFO:
		d->d_size = size;
		break;
	case STEP_RBD_BASE:
		if (size > d->d_size)
			d->d_size = size;
		cr->cr_new[cr->cr_next] = STEP_RBD_CLONE;
		create_next(cr);
		return;
	default:
		cr->cr_made[cr->cr_next] = 1;
		break;
	}
	cr->cr_next++;
	create_next(cr);
}

/* The rbd step of the disk at cr_next, as its cr_new says. */
static void
create_rbd_step(struct create *cr)
{
	struct vm	*vm = cr->cr_vm;
	struct vm_disk	*d = &vm->vm_disks[cr->cr_next];
	struct rbd_name	 rn, *parent = &cr->cr_rbd_base[cr->cr_next];
	const char	*args[16];
	char		 size[32], *cause, *why;
	int		 n = 0;

	if (validate_rbd(d->d_path, RBD_SNAP_NONE, &rn, &cause) == -1)
		abort();	/* made above */
	switch (cr->cr_new[cr->cr_next]) {
	case STEP_RBD_CREATE:
		/* sizes are whole KiB (validate.c) */
		snprintf(size, sizeof(size), "%lluK",
		    (unsigned long long)(d->d_size / 1024));
		args[n++] = "create";
		args[n++] = "--size";
		args[n++] = size;
		break;
	case STEP_RBD_BASE:
		rn = *parent;
		/* FALLTHROUGH */
	case STEP_RBD_INFO:
		args[n++] = "info";
		args[n++] = "--format";
		args[n++] = "json";
		break;
	case STEP_RBD_CLONE:
		args[n++] = "clone";
		args[n++] = "--pool";
		args[n++] = parent->rn_pool;
		args[n++] = "--image";
		args[n++] = parent->rn_image;
		args[n++] = "--snap";
		args[n++] = parent->rn_snap;
		args[n++] = "--dest-pool";
		args[n++] = rn.rn_pool;
		args[n++] = "--dest";
		args[n++] = rn.rn_image;
		args[n] = NULL;
		break;
	default:
		abort();
	}
	if (cr->cr_new[cr->cr_next] != STEP_RBD_CLONE) {
		args[n++] = "--pool";
		args[n++] = rn.rn_pool;
		args[n++] = "--image";
		args[n++] = rn.rn_image;
		if (*rn.rn_snap != '\0') {
			args[n++] = "--snap";
			args[n++] = rn.rn_snap;
		}
		args[n] = NULL;
	}
	/* a clone's words are about its base (args point into rn) */
	if ((cr->cr_rbd = rbd_run(args, cr->cr_new[cr->cr_next] ==
	    STEP_RBD_CLONE ? parent : &rn, create_rbd_done, cr,
	    &cause)) == NULL) {
		why = xasprintf("%s: cannot run rbd: %s", vm->vm_name, cause);
		free(cause);
		cr->cr_next++;
		create_fail(cr, FWS_ERR_FAILED, why);
	}
}

/* Make the next disk, or once all are made, commit the VM. */
static void
create_next(struct create *cr)
{
	struct vm	*vm = cr->cr_vm;
	struct vm_disk	*d;
	struct proc_spec ps;
	char		*argv[13], size[32], *cause, *why, *end, *cpu;
	pid_t		 pid;
	int		 fd;

	while (cr->cr_next < vm->vm_ndisks &&
	    cr->cr_new[cr->cr_next] == STEP_NONE)
		cr->cr_next++;
	if (cr->cr_next == vm->vm_ndisks && vm->vm_seed != NULL &&
	    !cr->cr_seeded) {
		/* the seed, then the store: a VM is never without its seed */
		if ((cr->cr_seed = seed_iso_make(vm, create_seed_done, cr,
		    &cause)) == NULL) {
			why = xasprintf("%s: cannot make the cloud-init seed: "
			    "%s", vm->vm_name, cause);
			free(cause);
			create_fail(cr, FWS_ERR_FAILED, why);
		}
		return;
	}
	if (cr->cr_next == vm->vm_ndisks) {
		if (store_vm_insert(vm, &cause) == -1) {
			why = xasprintf("%s: %s", vm->vm_name, cause);
			free(cause);
			create_fail(cr, FWS_ERR_INTERNAL, why);
			return;
		}
		vm_job_end(vm, NULL);	/* made: everyone may see it */
		/* its networks name it (their dnsmasq told) */
		net_dhcp_sync();
		end = vm->vm_loan.lo_end ? date_text(vm->vm_loan.lo_end) : NULL;
		cpu = create_cpu_words(vm);
		event_record_by(vm, cr->cr_caller.ca_uid, cr->cr_define ?
		    "defined" : "created", "vcpus %u, memory %llu MiB, disks %d, "
		    "restart %s, display %s%s%s%s%s", vm->vm_vcpus,
		    (unsigned long long)vm->vm_memory_mib, vm->vm_ndisks,
		    vm_restart_name(vm->vm_restart),
		    vm_display_name(vm->vm_display),
		    vm->vm_autostart ? ", autostart" : "", cpu,
		    end ? ", lent until " : "", end ? end : "");
		free(end);
		free(cpu);
		loan_changed();
		cr->cr_done(cr->cr_arg, FWS_OK, NULL, vm_to_json(vm, 1));
		create_free(cr, 0);
		return;
	}
	d = &vm->vm_disks[cr->cr_next];
	if (cr->cr_new[cr->cr_next] != STEP_QEMU_IMG) {
		create_rbd_step(cr);
		return;
	}
	snprintf(size, sizeof(size), "%llu", (unsigned long long)d->d_size);
	argv[0] = conf.cf_qemu_img;
	argv[1] = "create";
	argv[2] = "-q";
	argv[3] = "-f";
	argv[4] = d->d_format;
	argv[5] = d->d_path;
	argv[6] = size;
	argv[7] = NULL;
	if (cr->cr_base[cr->cr_next] != NULL) {
		/* an overlay: the base's format is written into its header,
		 * and the base is not opened (-u): its size is known */
		argv[5] = "-u";
		argv[6] = "-F";
		argv[7] = cr->cr_base_format[cr->cr_next];
		argv[8] = "-b";
		argv[9] = cr->cr_base[cr->cr_next];
		argv[10] = d->d_path;
		argv[11] = size;
		argv[12] = NULL;
	}
	/* the file is made here, the VM's; qemu-img, as the VM's qemu uid,
	 * can write nothing else */
	cr->cr_made[cr->cr_next] = 1;
	if ((fd = open(d->d_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1 || (close(fd), access_give_qemu(d->d_path,
	    vm->vm_qemu_uid, &cause)) == -1) {
		if (fd == -1)
			cause = xasprintf("%s: %s", d->d_path, strerror(errno));
		cr->cr_next++;
		create_fail(cr, FWS_ERR_INTERNAL, cause);
		return;
	}
	fd = open(cr->cr_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	memset(&ps, 0, sizeof(ps));
	ps.ps_argv = argv;
	ps.ps_stdout = fd;
	access_spec_qemu(&ps, vm->vm_qemu_uid);
	if (proc_spawn(&ps, &pid, &cause) == -1 ||
	    (cr->cr_watch = proc_watch(pid, create_disk_done, cr,
	    &cause)) == NULL) {
		if (fd != -1)
			close(fd);
		why = xasprintf("%s: cannot run qemu-img: %s", vm->vm_name,
		    cause);
		free(cause);
		cr->cr_next++;
		create_fail(cr, FWS_ERR_FAILED, why);
		return;
	}
	if (fd != -1)
		close(fd);
}

/* Give up before anything was made: say why (why is freed). */
static void
create_abandon(struct create *cr, enum fws_err err, char *why)
{
	int	 i;

	cr->cr_done(cr->cr_arg, err, why, NULL);
	free(why);
	image_dirs_free(cr->cr_dirs, cr->cr_ndirs);
	for (i = 0; i < FWS_DISKS_MAX; i++) {
		free(cr->cr_base[i]);
		free(cr->cr_base_format[i]);
	}
	vm_free(cr->cr_vm);
	free(cr);
}

/*
 * Make the VM cs asks for, on behalf of ca.  done(arg, ...) is called
 * once: with FWS_OK and the VM as vm_to_json gives it in full, or with
 * the error and why; maybe before create_vm returns.  cs is read before
 * create_vm returns only.
 */
void
create_vm(const struct caller *ca, const struct create_spec *cs,
    fws_done_fn done, void *arg)
{
	struct create	*cr;
	struct vm	*vm;
	enum fws_err	 err;
	char		*cause = NULL;
	int		 rc;

	if ((cr = calloc(1, sizeof(*cr))) == NULL) {
		done(arg, FWS_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	cr->cr_caller = *ca;
	cr->cr_done = done;
	cr->cr_arg = arg;
	cr->cr_vm = vm = vm_new();
	vm->vm_restart = VM_RESTART_ON_FAILURE;
	cr->cr_define = cs->cs_uuid != NULL;
	/* first: the directory of its disks is named by it */
	if (cs->cs_uuid != NULL) {
		if (create_uuid_free(cr, cs->cs_uuid, &err, &cause) == -1) {
			create_abandon(cr, err, cause);
			return;
		}
		snprintf(vm->vm_uuid, sizeof(vm->vm_uuid), "%s", cs->cs_uuid);
	} else
		create_uuid(vm->vm_uuid, sizeof(vm->vm_uuid));
	if ((rc = create_parse(cr, cs, &cause)) != 0) {
		create_abandon(cr, rc == -2 ? FWS_ERR_EXISTS : rc == -3 ?
		    FWS_ERR_PERMISSION : FWS_ERR_INVALID, cause);
		return;
	}
	if (vm->vm_ndisks == 0 && vm->vm_iso == NULL && vm->vm_kernel == NULL) {
		create_abandon(cr, FWS_ERR_INVALID, xasprintf("%s has nothing "
		    "to boot: give it a disk, an ISO or a kernel",
		    vm->vm_name));
		return;
	}
	if (create_quota(cr, &err, &cause) == -1) {
		create_abandon(cr, err, cause);
		return;
	}
	vm->vm_created = time(NULL);
	/* its job until it is made: nobody sees it, nothing touches it */
	if (vm_job_begin(vm, JOB_CREATE, cr->cr_caller.ca_uid, NULL, &err,
	    &cause) == -1) {
		create_abandon(cr, err, cause);
		return;
	}
	TAILQ_INSERT_TAIL(&vms, vm, vm_entry);
	/* every qemu uid taken: a limit of the host's, refused as a quota */
	if (vm_qemu_uid_pick(vm, conf.cf_qemu_uid_first,
	    conf.cf_qemu_uid_last - 1, &cause) == -1) {
		create_fail(cr, FWS_ERR_QUOTA, cause);
		return;
	}
	if (vm_mkdir(vm, &cause) == -1) {
		create_fail(cr, FWS_ERR_INTERNAL, cause);
		return;
	}
	/* not in the state dir: a full one would swallow qemu-img's words */
	cr->cr_log = vm_run_path(vm, "qemu-img.out");
	create_next(cr);
}
