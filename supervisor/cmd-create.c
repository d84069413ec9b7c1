/*
 * cmd-create.c: the "create" command.  The request's arguments, their
 * types checked in the order create.c checks their values, become a
 * struct create_spec that borrows the request's strings; create.c
 * checks the values and makes the VM, and its outcome becomes the reply
 * (request_done).
 */
#include <stdlib.h>

#include "fws.h"
#include "proto.h"

/*
 * disks: [{"size":BYTES}, {"path":PATH, "format":FORMAT}, ...], each
 * with its I/O limits too ("iops", "bps_wr", ...: per second)
 */
static int
cmd_create_disks(json_t *disks, struct create_spec *cs, int *code,
    char **cause)
{
	static const char *const keys[] = { "size", "path", "format", "iops",
	    "iops_rd", "iops_wr", "bps", "bps_rd", "bps_wr", NULL };
	struct create_disk *d;
	json_t		*o;
	size_t		 i;

	if (disks == NULL || json_is_null(disks))
		return 0;
	if (!json_is_array(disks))
		return cause_fail(cause, "argument \"disks\" must be an array");
	cs->cs_ndisks = json_array_size(disks);
	if ((cs->cs_disks = calloc(cs->cs_ndisks + 1,
	    sizeof(*cs->cs_disks))) == NULL) {
		*code = PROTO_ERR_INTERNAL;
		return cause_fail(cause, "out of memory");
	}
	json_array_foreach(disks, i, o) {
		d = &cs->cs_disks[i];
		if (!json_is_object(o))
			return cause_fail(cause, "disk %zu must be an object",
			    i);
		if (proto_args_allowed(o, keys, cause) == -1 ||
		    proto_arg_string(o, "path", 0, &d->cd_path, cause) == -1 ||
		    proto_arg_string(o, "format", 0, &d->cd_format,
		    cause) == -1 ||
		    proto_arg_uint(o, "size", 0, 1, INT64_MAX, &d->cd_size,
		    cause) == -1 ||
		    disk_io_from_json(o, &d->cd_io, NULL, 0, cause) == -1)
			return -1;
	}
	return 0;
}

/* nics: [{"network":NAME, "mac":MAC, "rate":BITS}, ...] */
static int
cmd_create_nics(json_t *nics, struct create_spec *cs, int *code,
    char **cause)
{
	static const char *const keys[] = { "network", "mac", "rate", NULL };
	struct create_nic *n;
	json_t		*o;
	size_t		 i;

	if (nics == NULL || json_is_null(nics))
		return 0;
	if (!json_is_array(nics))
		return cause_fail(cause, "argument \"nics\" must be an array");
	cs->cs_nnics = json_array_size(nics);
	if ((cs->cs_nics = calloc(cs->cs_nnics + 1,
	    sizeof(*cs->cs_nics))) == NULL) {
		*code = PROTO_ERR_INTERNAL;
		return cause_fail(cause, "out of memory");
	}
	json_array_foreach(nics, i, o) {
		n = &cs->cs_nics[i];
		if (!json_is_object(o))
			return cause_fail(cause, "NIC %zu: not an object", i);
		if (proto_args_allowed(o, keys, cause) == -1 ||
		    proto_arg_string(o, "network", 1, &n->cn_net,
		    cause) == -1 ||
		    proto_arg_string(o, "mac", 0, &n->cn_mac, cause) == -1 ||
		    proto_arg_uint(o, "rate", 0, FWS_NET_RATE_MIN,
		    FWS_NET_RATE_MAX, &n->cn_rate, cause) == -1)
			return -1;
	}
	return 0;
}

/* An integer argument as the spec has it: -1 when not given. */
static int
cmd_create_number(json_t *args, const char *key, uint64_t max,
    int64_t *out, char **cause)
{
	uint64_t	 v;

	*out = -1;
	if (json_object_get(args, key) == NULL ||
	    json_is_null(json_object_get(args, key)))
		return 0;
	if (proto_arg_uint(args, key, 0, 0, max, &v, cause) == -1)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/*
 * The cloud-init seed's arguments ("ssh_keys", "password_hash",
 * "user_data") as one object for create (seed.c checks it); NULL when
 * none is given.  A new reference, the caller's.
 */
static json_t *
cmd_create_seed(json_t *args)
{
	static const char *const keys[] = { "ssh_keys", "password_hash",
	    "user_data", NULL };
	json_t		*seed = NULL, *v;
	int		 i;

	for (i = 0; keys[i] != NULL; i++) {
		if ((v = json_object_get(args, keys[i])) == NULL)
			continue;
		if (seed == NULL)
			seed = json_object();
		json_object_set(seed, keys[i], v);
	}
	return seed;
}

/* The spec of args; -1 with *code and *cause when a type is wrong. */
static int
cmd_create_spec(json_t *args, struct create_spec *cs, int *code,
    char **cause)
{
	*code = PROTO_ERR_INVALID_ARGUMENT;
	if (request_owner_arg(args, &cs->cs_owner, cause) == -1 ||
	    proto_arg_string(args, "name", 1, &cs->cs_name, cause) == -1 ||
	    proto_arg_string(args, "template", 0, &cs->cs_template,
	    cause) == -1 ||
	    cmd_create_number(args, "vcpus", UINT32_MAX, &cs->cs_vcpus,
	    cause) == -1 ||
	    cmd_create_number(args, "memory_mib", UINT64_MAX >> 20,
	    &cs->cs_memory_mib, cause) == -1 ||
	    cmd_create_number(args, "until", INT64_MAX, &cs->cs_until,
	    cause) == -1 ||
	    cmd_create_number(args, "cpu_weight", UINT32_MAX,
	    &cs->cs_cpu_weight, cause) == -1 ||
	    proto_arg_cpus(args, "cpu_max", &cs->cs_cpu_max, cause) == -1 ||
	    proto_arg_string(args, "restart", 0, &cs->cs_restart,
	    cause) == -1 ||
	    proto_arg_string(args, "display", 0, &cs->cs_display,
	    cause) == -1 ||
	    proto_arg_bool(args, "autostart", &cs->cs_autostart,
	    cause) == -1 ||
	    proto_arg_string(args, "mac", 0, &cs->cs_mac, cause) == -1 ||
	    proto_arg_string(args, "iso", 0, &cs->cs_iso, cause) == -1 ||
	    proto_arg_string(args, "kernel", 0, &cs->cs_kernel, cause) == -1 ||
	    proto_arg_string(args, "initrd", 0, &cs->cs_initrd, cause) == -1 ||
	    proto_arg_string(args, "append", 0, &cs->cs_append, cause) == -1 ||
	    cmd_create_nics(json_object_get(args, "nics"), cs, code,
	    cause) == -1 ||
	    proto_arg_string(args, "base", 0, &cs->cs_base, cause) == -1 ||
	    cmd_create_disks(json_object_get(args, "disks"), cs, code,
	    cause) == -1)
		return -1;
	/* "disks" given, even empty or null: no template's disk */
	cs->cs_disks_given = json_object_get(args, "disks") != NULL;
	cs->cs_seed = cmd_create_seed(args);
	return 0;
}

void
cmd_create(struct request *rq, json_t *args, struct vm *vm)
{
	struct create_spec cs = { 0 };
	char		*cause = NULL;
	int		 code;

	(void)vm;
	if (cmd_create_spec(args, &cs, &code, &cause) == -1)
		request_cause(rq, code, cause);
	else
		create_vm(request_caller(rq), &cs, request_done, rq);
	free(cs.cs_disks);
	free(cs.cs_nics);
	json_decref(cs.cs_seed);
}
