/*
 * vm-define.c: a VM made from a definition (vm-dump.c's JSON, from this
 * host or another).  Every key is type-checked here, an unknown one or
 * a newer "fws_definition" refused; what the definition asks is then a
 * struct create_spec, and create.c checks the values and makes the VM
 * as create does (names, sizes, paths confined to what the caller may
 * use, networks, quotas, the host's limits), keeping its uuid and MACs.
 *
 * The owner: a user defines VMs of their own only (a definition of
 * another uid's VM is refused); an admin keeps the definition's owner,
 * or gives another.  Disks: attached at their paths (one that was the
 * VM's own stays so where this host keeps the VM's own disks: DISK_DIR/
 * UUID or its directory), or with new_disks made anew, empty, of the
 * same sizes and formats, an overlay again on this host's image of the
 * same name; read-only images are attached at their paths either way.
 */
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "proto.h"

static const char *const define_keys[] = { "fws_definition", "uuid", "name",
    "owner", "owner_name", "vcpus", "memory_mib", "cpu_weight", "cpu_max",
    "mac", "restart", "autostart", "loan_end", "iso", "kernel", "initrd",
    "append", "pins", "seed", "display", "disks", "nics", NULL };
static const char *const define_disk_keys[] = { "index", "path", "format",
    "size", "owned", "readonly", "backing", "iops", "iops_rd", "iops_wr",
    "bps", "bps_rd", "bps_wr", NULL };
static const char *const define_backing_keys[] = { "image", "path", "format",
    NULL };
static const char *const define_nic_keys[] = { "network", "mac", "rate",
    NULL };

/* A number that may be null: -1 then. */
static int
define_number(json_t *o, const char *key, uint64_t max, int64_t *out,
    char **cause)
{
	uint64_t	 v;

	*out = -1;
	if (json_object_get(o, key) == NULL ||
	    json_is_null(json_object_get(o, key)))
		return 0;
	if (proto_arg_uint(o, key, 0, 0, max, &v, cause) == -1)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* Disk i of a definition as create takes it. */
static int
define_disk(json_t *o, size_t i, uid_t owner, int new_disks,
    struct create_disk *d, char **cause)
{
	json_t		*b;
	const char	*bimage, *bpath, *bfmt;
	char		*why;
	uint64_t	 idx = i, size = 0;
	int		 owned = 0, readonly = 0;

	if (!json_is_object(o))
		return cause_fail(cause, "must be an object");
	if (proto_args_allowed(o, define_disk_keys, cause) == -1 ||
	    proto_arg_uint(o, "index", 0, 0, FWS_DISKS_MAX, &idx,
	    cause) == -1 ||
	    proto_arg_string(o, "path", 1, &d->cd_path, cause) == -1 ||
	    proto_arg_string(o, "format", 1, &d->cd_format, cause) == -1 ||
	    proto_arg_uint(o, "size", 0, 1, INT64_MAX, &size, cause) == -1 ||
	    proto_arg_bool(o, "owned", &owned, cause) == -1 ||
	    proto_arg_bool(o, "readonly", &readonly, cause) == -1 ||
	    disk_io_from_json(o, &d->cd_io, NULL, 0, cause) == -1)
		return -1;
	if (idx != i)
		return cause_fail(cause, "\"index\" is %llu, not its place in "
		    "the list", (unsigned long long)idx);
	bimage = bpath = bfmt = NULL;
	b = json_object_get(o, "backing");
	if (b != NULL && !json_is_null(b)) {
		if (!json_is_object(b))
			return cause_fail(cause, "\"backing\" must be an object "
			    "or null");
		if (proto_args_allowed(b, define_backing_keys, &why) == -1 ||
		    proto_arg_string(b, "image", 0, &bimage, &why) == -1 ||
		    proto_arg_string(b, "path", 1, &bpath, &why) == -1 ||
		    proto_arg_string(b, "format", 1, &bfmt, &why) == -1) {
			cause_fail(cause, "backing: %s", why);
			free(why);
			return -1;
		}
	}
	/* an image stays one: never given to a guest to write */
	if (readonly && !image_is_base(owner, d->cd_path))
		return cause_fail(cause, "%s is no image here (fwsctl "
		    "image-list): a read-only disk is one", d->cd_path);
	if (!new_disks || readonly) {
		d->cd_owned = owned;
		return 0;
	}
	/* made anew: empty, or an overlay on this host's image */
	d->cd_path = NULL;
	d->cd_size = size;
	if (size == 0)
		return cause_fail(cause, "\"size\" is needed to make it anew");
	if (b != NULL && !json_is_null(b)) {
		if (bimage == NULL)
			return cause_fail(cause, "an overlay on %s, which is no "
			    "image of the library or the owner's: it cannot be "
			    "made again", bpath);
		if (strcmp(d->cd_format, "qcow2") != 0)
			return cause_fail(cause, "an overlay is a qcow2");
		d->cd_backing = bimage;
	}
	return 0;
}

static int
define_disks(json_t *disks, uid_t owner, int new_disks,
    struct create_spec *cs, char **cause)
{
	json_t	*o;
	size_t	 i;
	char	*why;

	if (disks == NULL || json_is_null(disks))
		return 0;
	if (!json_is_array(disks))
		return cause_fail(cause, "\"disks\" must be an array");
	if (json_array_size(disks) > FWS_DISKS_MAX)
		return cause_fail(cause, "%zu disks, at most %d are allowed",
		    json_array_size(disks), FWS_DISKS_MAX);
	cs->cs_ndisks = json_array_size(disks);
	if ((cs->cs_disks = calloc(cs->cs_ndisks + 1,
	    sizeof(*cs->cs_disks))) == NULL)
		abort();
	json_array_foreach(disks, i, o) {
		if (define_disk(o, i, owner, new_disks, &cs->cs_disks[i],
		    &why) == -1) {
			cause_fail(cause, "disk %zu: %s", i, why);
			free(why);
			return -1;
		}
	}
	return 0;
}

static int
define_nics(json_t *nics, struct create_spec *cs, char **cause)
{
	struct create_nic *n;
	json_t		*o;
	size_t		 i;
	char		*why = NULL;

	if (nics == NULL || json_is_null(nics))
		return 0;
	if (!json_is_array(nics))
		return cause_fail(cause, "\"nics\" must be an array");
	if (json_array_size(nics) > FWS_NICS_MAX)
		return cause_fail(cause, "%zu NICs, at most %d are allowed",
		    json_array_size(nics), FWS_NICS_MAX);
	cs->cs_nnics = json_array_size(nics);
	if ((cs->cs_nics = calloc(cs->cs_nnics + 1,
	    sizeof(*cs->cs_nics))) == NULL)
		abort();
	json_array_foreach(nics, i, o) {
		n = &cs->cs_nics[i];
		if (!json_is_object(o))
			why = xasprintf("must be an object");
		else if (proto_args_allowed(o, define_nic_keys, &why) == 0 &&
		    proto_arg_string(o, "network", 1, &n->cn_net, &why) == 0 &&
		    proto_arg_string(o, "mac", 1, &n->cn_mac, &why) == 0)
			(void)proto_arg_uint(o, "rate", 0, FWS_NET_RATE_MIN,
			    FWS_NET_RATE_MAX, &n->cn_rate, &why);
		if (why != NULL) {
			cause_fail(cause, "NIC %zu: %s", i, why);
			free(why);
			return -1;
		}
	}
	return 0;
}

/*
 * The spec of def for ca: -1, *err and *cause when a key is unknown, a
 * type wrong, the version newer or the owner not the caller's to name.
 * The spec borrows def's strings.
 */
static int
define_spec(const struct caller *ca, json_t *def, int64_t owner,
    int new_disks, struct create_spec *cs, enum fws_err *err, char **cause)
{
	uint64_t	 version = 0, downer = 0;
	const char	*oname;		/* for people to read: not used */
	json_t		*pins;

	*err = FWS_ERR_INVALID;
	if (!json_is_object(def))
		return cause_fail(cause, "a definition is a JSON object");
	if (proto_args_allowed(def, define_keys, cause) == -1 ||
	    proto_arg_uint(def, "fws_definition", 1, 1, INT32_MAX, &version,
	    cause) == -1)
		return -1;
	if (version > FWS_DEF_VERSION)
		return cause_fail(cause, "a definition of version %llu: this "
		    "fwsd reads version %d", (unsigned long long)version,
		    FWS_DEF_VERSION);
	if (proto_arg_string(def, "uuid", 1, &cs->cs_uuid, cause) == -1 ||
	    proto_arg_string(def, "name", 1, &cs->cs_name, cause) == -1 ||
	    proto_arg_uint(def, "owner", 1, 0, UINT32_MAX - 1, &downer,
	    cause) == -1 ||
	    proto_arg_string(def, "owner_name", 0, &oname, cause) == -1)
		return -1;
	/* whose: a user's own only; an admin's choice, else as it says */
	if (!ca->ca_admin && (owner >= 0 ? owner : (int64_t)downer) !=
	    (int64_t)ca->ca_uid) {
		*err = FWS_ERR_PERMISSION;
		return cause_fail(cause, "the definition is of uid %llu's VM: "
		    "a user defines VMs of their own only",
		    (unsigned long long)downer);
	}
	cs->cs_owner = owner >= 0 ? owner : (int64_t)downer;
	if (define_number(def, "vcpus", UINT32_MAX, &cs->cs_vcpus,
	    cause) == -1 ||
	    define_number(def, "memory_mib", UINT64_MAX >> 20,
	    &cs->cs_memory_mib, cause) == -1 ||
	    define_number(def, "cpu_weight", UINT32_MAX, &cs->cs_cpu_weight,
	    cause) == -1 ||
	    proto_arg_cpus(def, "cpu_max", &cs->cs_cpu_max, cause) == -1 ||
	    proto_arg_string(def, "mac", 0, &cs->cs_mac, cause) == -1 ||
	    proto_arg_string(def, "restart", 0, &cs->cs_restart,
	    cause) == -1 ||
	    proto_arg_bool(def, "autostart", &cs->cs_autostart, cause) == -1 ||
	    define_number(def, "loan_end", INT64_MAX, &cs->cs_until,
	    cause) == -1 ||
	    proto_arg_string(def, "iso", 0, &cs->cs_iso, cause) == -1 ||
	    proto_arg_string(def, "kernel", 0, &cs->cs_kernel, cause) == -1 ||
	    proto_arg_string(def, "initrd", 0, &cs->cs_initrd, cause) == -1 ||
	    proto_arg_string(def, "append", 0, &cs->cs_append, cause) == -1 ||
	    proto_arg_string(def, "display", 0, &cs->cs_display,
	    cause) == -1 ||
	    define_nics(json_object_get(def, "nics"), cs, cause) == -1 ||
	    define_disks(json_object_get(def, "disks"), cs->cs_owner,
	    new_disks, cs, cause) == -1)
		return -1;
	pins = json_object_get(def, "pins");
	if (pins != NULL && !json_is_null(pins)) {
		if (!json_is_object(pins))
			return cause_fail(cause, "\"pins\" must be an object "
			    "or null");
		cs->cs_pins = pins;
	}
	/* no display: VNC, what every VM had before there was a choice
	 * (not this host's default_display) */
	if (cs->cs_display == NULL)
		cs->cs_display = vm_display_name(VM_DISPLAY_VNC);
	/* the seed's content: checked by create as create's own (seed.c) */
	cs->cs_seed = json_object_get(def, "seed");
	cs->cs_disks_given = 1;		/* no template's disk */
	return 0;
}

/*
 * Make the VM def defines, for ca: owner a uid (-1: the definition's),
 * new_disks to make its writable disks anew rather than attach them.
 * done(arg, ...) once, as create_vm calls it (maybe before vm_define
 * returns); def is read before vm_define returns only.
 */
void
vm_define(const struct caller *ca, json_t *def, int64_t owner,
    int new_disks, fws_done_fn done, void *arg)
{
	struct create_spec cs;
	enum fws_err	 err;
	char		*cause = NULL, *why;

	memset(&cs, 0, sizeof(cs));
	if (define_spec(ca, def, owner, new_disks, &cs, &err,
	    &cause) == -1) {
		why = xasprintf("definition: %s", cause);
		done(arg, err, why, NULL);
		free(why);
		free(cause);
	} else
		create_vm(ca, &cs, done, arg);
	free(cs.cs_disks);
	free(cs.cs_nics);
}
