/*
 * cmd-set.c: the "set" and "rename" commands.  set reads what a request
 * changes in a VM's definition (vcpus, memory_mib, restart, autostart,
 * the boot files, the CPU weight and cap, disk_limits, display),
 * refuses a request that changes nothing or says it badly, and hands
 * the change to vm-set.c, whose answer (what changed now, what waits
 * for the next start) becomes the reply; a NIC's rate (nic_limit, in a
 * request of its own) goes to vm-nic.c instead.  rename hands the new
 * name to vm-rename.c.
 */
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "proto.h"

/*
 * A boot file a request names: a library name or a path it may use, as
 * create takes them, never a VM's disk; "" is none.  *path is "" then,
 * else the resolved path (the caller frees it); -1 and a reply sent.
 */
static int
cmd_set_file(struct request *rq, struct vm *vm, const char *v,
    enum image_type t, char **path)
{
	struct vm	*other;
	char		*cause;

	*path = NULL;
	if (v == NULL)
		return 0;
	if (*v == '\0') {
		*path = xasprintf("%s", "");
		return 0;
	}
	if (image_file_arg(vm->vm_owner, request_admin(rq), t, v, path,
	    &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return -1;
	}
	if ((other = vm_disk_writer(*path)) != NULL) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "%s is a disk of "
		    "%s, not %s", request_sees(rq, other) ? *path : v,
		    request_sees(rq, other) ? other->vm_name : "another VM",
		    t == IMAGE_KERNEL ? "a kernel" : "an initrd");
		free(*path);
		*path = NULL;
		return -1;
	}
	return 0;
}

/*
 * nic_limit: {"nic": IDX, "rate": BITS or null (no limit)}, alone in its
 * request (its change is vm-nic.c's, with a write of its own).  1: not
 * asked; 0: handed on; -1: refused, the reply sent.
 */
static int
cmd_set_nic_limit(struct request *rq, json_t *args, struct vm *vm)
{
	static const char *const keys[] = { "nic", "rate", NULL };
	json_t		*o = json_object_get(args, "nic_limit"), *v;
	const char	*k;
	uint64_t	 nic, rate = 0;
	char		*cause;

	if (o == NULL)
		return 1;
	json_object_foreach(args, k, v)
		if (strcmp(k, "name") != 0 && strcmp(k, "owner") != 0 &&
		    strcmp(k, "nic_limit") != 0) {
			request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "nic_limit "
			    "is changed in a request of its own, not with %s",
			    k);
			return -1;
		}
	if (!json_is_object(o)) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "argument "
		    "\"nic_limit\" must be an object {\"nic\": N, \"rate\": "
		    "BITS or null}");
		return -1;
	}
	if (proto_args_allowed(o, keys, &cause) == -1 ||
	    proto_arg_uint(o, "nic", 1, 0, FWS_NICS_MAX - 1, &nic,
	    &cause) == -1 ||
	    proto_arg_uint(o, "rate", 0, FWS_NET_RATE_MIN, FWS_NET_RATE_MAX,
	    &rate, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return -1;
	}
	if (json_object_get(o, "rate") == NULL) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "nic_limit: say "
		    "the rate (bit/s), or null for no limit");
		return -1;
	}
	vm_nic_limit(vm, &rq->rq_caller, (int)nic, rate, request_done, rq);
	return 0;
}

/*
 * cpu_weight: 1 .. 10000, or "default"; cpu_max: CPUs as a string
 * ("1.5"), or "none".  Into ch (0: the default, no cap); -1 and a reply
 * sent when said badly.
 */
static int
cmd_set_cpu(struct request *rq, json_t *args, struct vm_change *ch)
{
	json_t		*w = json_object_get(args, "cpu_weight");
	json_t		*m = json_object_get(args, "cpu_max");
	unsigned	 milli;
	char		*cause;

	if (w != NULL && !json_is_null(w)) {
		if (json_is_string(w) && strcmp(json_string_value(w),
		    "default") == 0)
			ch->vc_cpu_weight = 0;
		else if (!json_is_integer(w)) {
			request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "cpu_weight "
			    "must be a number from 1 to %d, or \"default\"",
			    FWS_CPU_WEIGHT_MAX);
			return -1;
		} else if (cgroup_weight_check(json_integer_value(w),
		    &cause) == -1) {
			request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
			return -1;
		} else
			ch->vc_cpu_weight = json_integer_value(w);
	}
	if (m != NULL && !json_is_null(m)) {
		if (!json_is_string(m)) {
			request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "cpu_max "
			    "must be a number of CPUs as a string (\"1.5\"), or "
			    "\"none\"");
			return -1;
		}
		if (strcmp(json_string_value(m), "none") == 0)
			ch->vc_cpu_max = 0;
		else if (parse_cpus(json_string_value(m), &milli,
		    &cause) == -1) {
			request_cause(rq, PROTO_ERR_INVALID_ARGUMENT,
			    xasprintf("cpu_max %s", cause));
			free(cause);
			return -1;
		} else
			ch->vc_cpu_max = milli;
	}
	if ((ch->vc_cpu_weight >= 0 || ch->vc_cpu_max >= 0) &&
	    !cgroup_enabled()) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "%s",
		    cgroup_off_words());
		return -1;
	}
	return 0;
}

/*
 * disk_limits: [{"disk":N, "iops":N, "bps_wr":BYTES, ...}]: the keys
 * given change (0: no limit).  *io is the caller's to free.
 */
static int
cmd_set_disk_limits(json_t *a, struct disk_io_set **io, size_t *n,
    char **cause)
{
	static const char *const keys[] = { "disk", "iops", "iops_rd",
	    "iops_wr", "bps", "bps_rd", "bps_wr", NULL };
	uint64_t	 disk;
	json_t		*o;
	size_t		 i;

	*io = NULL;
	*n = 0;
	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > FWS_DISKS_MAX)
		return cause_fail(cause, "argument \"disk_limits\" must be "
		    "an array of 1 to %d objects", FWS_DISKS_MAX);
	if ((*io = calloc(json_array_size(a), sizeof(**io))) == NULL)
		return cause_fail(cause, "out of memory");
	json_array_foreach(a, i, o) {
		if (!json_is_object(o))
			return cause_fail(cause, "disk_limits %zu must be an "
			    "object", i);
		if (proto_args_allowed(o, keys, cause) == -1 ||
		    proto_arg_uint(o, "disk", 1, 0, FWS_DISKS_MAX - 1, &disk,
		    cause) == -1 ||
		    disk_io_from_json(o, &(*io)[i].ds_io, &(*io)[i].ds_given,
		    1, cause) == -1)
			return -1;
		if ((*io)[i].ds_given == 0)
			return cause_fail(cause, "disk_limits %zu: give a "
			    "limit: iops, iops_rd, iops_wr, bps, bps_rd or "
			    "bps_wr (0: none)", i);
		(*io)[i].ds_disk = (int)disk;
		(*n)++;
	}
	return 0;
}

void
cmd_set(struct request *rq, json_t *args, struct vm *vm)
{
	struct vm_change ch = { -1, -1, -1, -1, NULL, NULL, NULL, -1, -1, -1,
	    NULL, 0 };
	struct disk_io_set *io = NULL;
	const char	*kernel, *initrd, *append;
	char		*kpath = NULL, *ipath = NULL;
	enum vm_restart	 restart;
	enum vm_display	 display;
	const char	*policy = NULL, *dname = NULL;
	uint64_t	 n;
	char		*cause;
	int		 given;

	if (cmd_set_nic_limit(rq, args, vm) != 1)
		return;
	/* absent or null: unchanged (n stays past any allowed value) */
	n = UINT64_MAX;
	if (proto_arg_uint(args, "vcpus", 0, 0, UINT32_MAX, &n, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (n != UINT64_MAX)
		ch.vc_vcpus = (int64_t)n;
	n = UINT64_MAX;
	if (proto_arg_uint(args, "memory_mib", 0, 0, UINT32_MAX, &n,
	    &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (n != UINT64_MAX)
		ch.vc_memory_mib = (int64_t)n;
	if (proto_arg_string(args, "restart", 0, &policy, &cause) == -1 ||
	    proto_arg_bool(args, "autostart", &ch.vc_autostart,
	    &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (policy != NULL) {
		if (vm_restart_parse(policy, &restart) == -1) {
			request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "restart "
			    "policy must be " VM_RESTART_WORDS ", not "
			    "\"%.32s\"", policy);
			return;
		}
		ch.vc_restart = restart;
	}
	if (proto_arg_string(args, "display", 0, &dname, &cause) == -1 ||
	    (dname != NULL && vm_display_parse(dname, &display,
	    &cause) == -1)) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (dname != NULL)
		ch.vc_display = display;
	if (proto_arg_string(args, "kernel", 0, &kernel, &cause) == -1 ||
	    proto_arg_string(args, "initrd", 0, &initrd, &cause) == -1 ||
	    proto_arg_string(args, "append", 0, &append, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (append != NULL && strlen(append) > FWS_APPEND_MAX) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "the kernel "
		    "command line is longer than %d characters",
		    FWS_APPEND_MAX);
		return;
	}
	/* no kernel: nothing to boot it with either */
	if (kernel != NULL && *kernel == '\0') {
		if (initrd == NULL)
			initrd = "";
		if (append == NULL)
			append = "";
	}
	if (cmd_set_cpu(rq, args, &ch) == -1)
		return;
	if (cmd_set_disk_limits(json_object_get(args, "disk_limits"), &io,
	    &ch.vc_nio, &cause) == -1) {
		free(io);
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	ch.vc_io = io;
	given = ch.vc_vcpus >= 0 || ch.vc_memory_mib >= 0 ||
	    ch.vc_restart >= 0 || ch.vc_autostart >= 0 || kernel != NULL ||
	    initrd != NULL || append != NULL || ch.vc_cpu_weight >= 0 ||
	    ch.vc_cpu_max >= 0 || ch.vc_nio > 0 || ch.vc_display >= 0;
	if (!given) {
		request_error(rq, PROTO_ERR_INVALID_ARGUMENT, "nothing to "
		    "change: give vcpus, memory_mib, restart, autostart, "
		    "kernel, initrd, append, cpu_weight, cpu_max, disk_limits, "
		    "display or nic_limit");
		return;
	}
	if (cmd_set_file(rq, vm, kernel, IMAGE_KERNEL, &kpath) == -1) {
		free(io);
		return;
	}
	if (cmd_set_file(rq, vm, initrd, IMAGE_INITRD, &ipath) == -1) {
		free(kpath);
		free(io);
		return;
	}
	ch.vc_kernel = kpath;
	ch.vc_initrd = ipath;
	ch.vc_append = append;
	vm_set(vm, &rq->rq_caller, &ch, request_done, rq);
	free(kpath);
	free(ipath);
	free(io);
}

void
cmd_rename(struct request *rq, json_t *args, struct vm *vm)
{
	enum fws_err	 err;
	const char	*to;
	json_t		*res;
	char		*cause;

	if (proto_arg_string(args, "new_name", 1, &to, &cause) == -1) {
		request_cause(rq, PROTO_ERR_INVALID_ARGUMENT, cause);
		return;
	}
	if (vm_rename(vm, &rq->rq_caller, to, &res, &err, &cause) == -1) {
		request_done(rq, err, cause, NULL);
		free(cause);
		return;
	}
	request_ok(rq, res);
}
