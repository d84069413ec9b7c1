/*
 * vm-stats.c: what VMs use, for "stats": the CPU time and resident
 * memory of each VM's qemu (/proc), its balloon as the guest last said,
 * its disks' traffic (QMP query-blockstats, asked of every running VM
 * at once, never waited on in turn) and its NICs' (the taps' counters
 * over netlink, turned round: a tap's rx is what the guest sent).  One
 * answer once every qemu asked has answered, or failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "log.h"
#include "netsetup.h"
#include "qmp.h"

struct stats_all {
	fws_done_fn	 sa_fn;
	void		*sa_arg;
	json_t		*sa_list;
	unsigned	 sa_left;	/* QMP answers still due, and one */
};

struct stats_one {
	struct stats_all *so_all;
	json_t		*so_vm;		/* this VM's entry of sa_list */
	int		 so_ndisks;
	int		 so_slot[FWS_DISKS_MAX];	/* each disk's */
};

static void
stats_settle(struct stats_all *sa)
{
	if (--sa->sa_left > 0)
		return;
	sa->sa_fn(sa->sa_arg, FWS_OK, NULL, sa->sa_list);
	free(sa);
}

/* A disk's counters, zero until qemu tells them. */
static json_t *
stats_disk(int i, json_t *s)
{
	return json_pack("{si sI sI sI sI}", "disk", i, "rd_bytes",
	    json_integer_value(json_object_get(s, "rd_bytes")), "wr_bytes",
	    json_integer_value(json_object_get(s, "wr_bytes")), "rd_ops",
	    json_integer_value(json_object_get(s, "rd_operations")), "wr_ops",
	    json_integer_value(json_object_get(s, "wr_operations")));
}

static void
stats_blocks(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct stats_one *so = arg;
	json_t		*disks, *b;
	const char	*node;
	size_t		 i;
	int		 n, k;

	(void)q;
	(void)err_desc;
	disks = json_object_get(so->so_vm, "disks");
	if (err_class == NULL)
		json_array_foreach(ret, i, b) {
			node = json_string_value(json_object_get(b,
			    "node-name"));
			if ((n = vm_qemu_node_slot(node)) == -1)
				continue;
			for (k = 0; k < so->so_ndisks; k++)
				if (so->so_slot[k] == n)
					json_array_set_new(disks, k,
					    stats_disk(k, json_object_get(b,
					    "stats")));
		}
	stats_settle(so->so_all);
	free(so);
}

/* One VM's entry: what /proc and netlink tell at once. */
static json_t *
stats_vm(struct vm *vm)
{
	struct ns_link_stats ls;
	json_t		*o, *disks, *nics, *cg;
	char		 tap[32];
	int		 i, active = vm_is_active(vm) && vm->vm_pid > 0;

	disks = json_array();
	for (i = 0; i < vm->vm_ndisks; i++)
		json_array_append_new(disks, stats_disk(i, NULL));
	nics = json_array();
	for (i = 0; i < vm->vm_nnics; i++) {
		memset(&ls, 0, sizeof(ls));
		if (active && vm_tap_name(vm, i, tap, sizeof(tap)) == 0)
			(void)ns_link_stats(tap, &ls);
		/* the guest's side: what the tap received, it sent */
		json_array_append_new(nics, json_pack("{ss sI sI sI sI}",
		    "mac", vm->vm_nics[i].n_mac, "rx_bytes",
		    (json_int_t)ls.ls_tx_bytes, "tx_bytes",
		    (json_int_t)ls.ls_rx_bytes, "rx_packets",
		    (json_int_t)ls.ls_tx_packets, "tx_packets",
		    (json_int_t)ls.ls_rx_packets));
	}
	o = json_pack("{ss sI ss sf sI sI so so}", "name", vm->vm_name,
	    "owner", (json_int_t)vm->vm_owner, "state",
	    vm_state_name(vm->vm_state), "cpu_seconds", active ?
	    proc_cpu_ns(vm->vm_pid) / 1e9 : 0.0, "rss_bytes", (json_int_t)
	    (active ? proc_rss_bytes(vm->vm_pid) : 0), "memory_mib",
	    (json_int_t)vm->vm_memory_mib, "disks", disks, "nics", nics);
	json_object_set_new(o, "balloon_mib", vm->vm_balloon_mib > 0 ?
	    json_integer((json_int_t)vm->vm_balloon_mib) : json_null());
	/* its cgroup's: time the CPU cap held it back, its memory's peak */
	cg = active ? cgroup_vm_stats(vm) : NULL;
	json_object_set_new(o, "cpu_throttled_seconds", cg != NULL ?
	    json_real(json_integer_value(json_object_get(cg,
	    "cpu_throttled_ns")) / 1e9) : json_null());
	json_object_set_new(o, "cpu_throttled_periods", cg != NULL ?
	    json_incref(json_object_get(cg, "cpu_throttled_periods")) :
	    json_null());
	json_object_set_new(o, "memory_peak_bytes", cg != NULL ?
	    json_incref(json_object_get(cg, "memory_peak")) : json_null());
	json_decref(cg);
	return o;
}

/*
 * The stats of one VM (one), or of every VM ca sees (of owner's, when
 * owner >= 0): fn(arg, FWS_OK, NULL, [{name, owner, state, cpu_seconds,
 * rss_bytes, memory_mib, balloon_mib, cpu_throttled_seconds,
 * cpu_throttled_periods, memory_peak_bytes (null: no cgroup), disks: [{disk, rd_bytes,
 * wr_bytes, rd_ops, wr_ops}], nics: [{mac, rx_bytes, tx_bytes,
 * rx_packets, tx_packets}]}]), the counters from the qemu's start.
 */
void
vm_stats(const struct caller *ca, int64_t owner, struct vm *one,
    fws_done_fn fn, void *arg)
{
	struct stats_all *sa;
	struct stats_one *so;
	struct vm	*vm;
	json_t		*o;
	int		 k;

	if ((sa = calloc(1, sizeof(*sa))) == NULL) {
		fn(arg, FWS_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	sa->sa_fn = fn;
	sa->sa_arg = arg;
	sa->sa_list = json_array();
	sa->sa_left = 1;	/* held until every VM is asked */
	TAILQ_FOREACH(vm, &vms, vm_entry) {
		if ((one != NULL && vm != one) || (one == NULL &&
		    (!caller_sees(ca, vm) || (owner >= 0 &&
		    vm->vm_owner != owner))))
			continue;
		o = stats_vm(vm);
		json_array_append_new(sa->sa_list, o);
		if (!vm_is_active(vm) || vm->vm_ndisks == 0 ||
		    vm->vm_qmp == NULL || !qmp_is_ready(vm->vm_qmp))
			continue;
		if ((so = calloc(1, sizeof(*so))) == NULL)
			continue;
		so->so_all = sa;
		so->so_vm = o;
		so->so_ndisks = vm->vm_ndisks;
		for (k = 0; k < vm->vm_ndisks; k++)
			so->so_slot[k] = vm->vm_disks[k].d_slot;
		sa->sa_left++;
		if (qmp_execute(vm->vm_qmp, "query-blockstats", NULL,
		    FWS_QMP_TIMEOUT, stats_blocks, so) == -1) {
			sa->sa_left--;
			free(so);
		}
	}
	stats_settle(sa);
}
