/*
 * shape.c: a link's rate limit, both ways, in tc's terms.  What leaves
 * the link (for a tap: what its user, qemu, is sent) goes through a tbf
 * as its root qdisc.  What comes in on it (what qemu sends) cannot be
 * queued where it arrives, so an ingress qdisc's filter (u32 matching
 * everything) redirects it (mirred) to an IFB link made for it, whose
 * root qdisc is a tbf of the same rate; the IFB hands it back to the
 * link's receive path once it may go on.  The kernel needs neither a
 * policer nor matchall for this.  The qdiscs go with the link; the IFB
 * is a link of its own and stays until ns_shape_clear() deletes it.
 * Which names go together (a tap and its IFB) is the caller's.
 */
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <stdint.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/tc.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/action.h>
#include <netlink/route/act/mirred.h>

#include "netsetup.h"

#define NS_SHAPE_HANDLE		0x10000U	/* "1:", the tbf's */
#define NS_SHAPE_INGRESS	0xffff0000U	/* "ffff:" */
#define NS_SHAPE_PRIO		1
#define NS_SHAPE_BURST_MIN	(16 * 1024)	/* bytes: a jumbo frame fits */
#define NS_SHAPE_BURST_MS	10	/* the bucket holds 10 ms at the rate */
#define NS_SHAPE_LATENCY_US	50000	/* the most a packet waits */

/* The link's index, or 0 with *cause set ("what NAME: no such link"). */
static int
ns_shape_index(const char *what, const char *name, char **cause)
{
	struct rtnl_link	*link;
	int			 err, idx;

	if ((err = ns_nl_link_get(name, 0, &link)) != 0) {
		ns_nl_fail(cause, err, "%s %s", what, name);
		return 0;
	}
	idx = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return idx;
}

/* A tbf of rate bytes/s as the root qdisc of link idx, made or changed. */
static int
ns_shape_tbf(struct nl_sock *sk, const char *name, int idx, uint64_t bytes,
    char **cause)
{
	struct rtnl_qdisc	*q;
	uint64_t		 burst;
	int			 err;

	burst = bytes * NS_SHAPE_BURST_MS / 1000;
	if (burst < NS_SHAPE_BURST_MIN)
		burst = NS_SHAPE_BURST_MIN;
	if ((q = rtnl_qdisc_alloc()) == NULL)
		return ns_fail(cause, "link %s: out of memory", name);
	rtnl_tc_set_ifindex(TC_CAST(q), idx);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), NS_SHAPE_HANDLE);
	if ((err = rtnl_tc_set_kind(TC_CAST(q), "tbf")) < 0) {
		rtnl_qdisc_put(q);
		return ns_nl_fail(cause, err, "link %s: tbf", name);
	}
	rtnl_qdisc_tbf_set_rate(q, (int)bytes, (int)burst, 0);
	if ((err = rtnl_qdisc_tbf_set_limit_by_latency(q,
	    NS_SHAPE_LATENCY_US)) < 0) {
		rtnl_qdisc_put(q);
		return ns_nl_fail(cause, err, "link %s: tbf", name);
	}
	err = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_REPLACE);
	rtnl_qdisc_put(q);
	if (err < 0)
		return ns_nl_fail(cause, err, "link %s: cannot limit its rate",
		    name);
	return 0;
}

/* The IFB named ifb, made if missing, and up; its index, 0 on failure. */
static int
ns_shape_ifb(struct nl_sock *sk, const char *ifb, char **cause)
{
	struct rtnl_link	*link;
	char			 kind[NS_KIND_MAX];
	int			 err;

	if (ns_link_kind(ifb, kind, sizeof(kind)) == 0) {
		if (*kind == '\0') {
			ns_fail(cause, "ifb %s: a link of that name exists "
			    "and is not an IFB", ifb);
			return 0;
		}
		if (strcmp(kind, "ifb") != 0) {
			ns_fail(cause, "ifb %s: a %s link of that name exists",
			    ifb, kind);
			return 0;
		}
	} else {
		if ((link = rtnl_link_alloc()) == NULL) {
			ns_fail(cause, "ifb %s: out of memory", ifb);
			return 0;
		}
		rtnl_link_set_name(link, ifb);
		if ((err = rtnl_link_set_type(link, "ifb")) == 0)
			err = rtnl_link_add(sk, link, NLM_F_CREATE |
			    NLM_F_EXCL);
		rtnl_link_put(link);
		if (err < 0 && err != -NLE_EXIST) {
			ns_nl_fail(cause, err, "ifb %s: cannot make it", ifb);
			return 0;
		}
	}
	if (ns_link_set_up(ifb, 1, cause) == -1)
		return 0;
	return ns_shape_index("ifb", ifb, cause);
}

/*
 * The root qdisc (parent TC_H_ROOT) or the ingress one (TC_H_INGRESS)
 * of link idx, from a fresh dump; the caller puts it.  NULL: none, or
 * the dump failed (*err < 0 then).
 */
static struct rtnl_qdisc *
ns_shape_qdisc(struct nl_sock *sk, int idx, uint32_t parent, int *err)
{
	struct nl_cache		*cache;
	struct rtnl_qdisc	*q;

	if ((*err = rtnl_qdisc_alloc_cache(sk, &cache)) < 0)
		return NULL;
	q = rtnl_qdisc_get_by_parent(cache, idx, parent);
	nl_cache_free(cache);
	return q;
}

/* 1 when kind is q's (q NULL: never); puts q. */
static int
ns_shape_is(struct rtnl_qdisc *q, const char *kind)
{
	const char	*k;
	int		 is;

	if (q == NULL)
		return 0;
	k = rtnl_tc_get_kind(TC_CAST(q));
	is = k != NULL && strcmp(k, kind) == 0;
	rtnl_qdisc_put(q);
	return is;
}

/*
 * Does link idx's ingress hold our filter, redirecting all to the IFB
 * of index ifb?  1 yes, 0 no, -1 the dump failed.
 */
static int
ns_shape_has_redirect(struct nl_sock *sk, int idx, int ifb)
{
	struct nl_cache		*cache;
	struct nl_object	*obj;
	struct rtnl_act		*act;
	const char		*k;
	int			 found = 0;

	if (rtnl_cls_alloc_cache(sk, idx, NS_SHAPE_INGRESS, &cache) < 0)
		return -1;
	for (obj = nl_cache_get_first(cache); obj != NULL && !found;
	    obj = nl_cache_get_next(obj)) {
		k = rtnl_tc_get_kind(TC_CAST(obj));
		if (k == NULL || strcmp(k, "u32") != 0 ||
		    (act = rtnl_u32_get_action((struct rtnl_cls *)obj)) ==
		    NULL)
			continue;
		k = rtnl_tc_get_kind(TC_CAST(act));
		found = k != NULL && strcmp(k, "mirred") == 0 &&
		    (int)rtnl_mirred_get_ifindex(act) == ifb &&
		    rtnl_mirred_get_action(act) == TCA_EGRESS_REDIR;
	}
	nl_cache_free(cache);
	return found;
}

/* Link idx's ingress qdisc made anew with the filter to IFB ifb. */
static int
ns_shape_redirect(struct nl_sock *sk, const char *name, int idx, int ifb,
    char **cause)
{
	struct rtnl_qdisc	*q;
	struct rtnl_cls		*cls = NULL;
	struct rtnl_act		*act = NULL;
	int			 err;

	if (ns_shape_has_redirect(sk, idx, ifb) == 1)
		return 0;
	/* whatever ingress is there (an old redirect) goes with its filters */
	if ((q = ns_shape_qdisc(sk, idx, TC_H_INGRESS, &err)) != NULL) {
		err = rtnl_qdisc_delete(sk, q);
		rtnl_qdisc_put(q);
		if (err < 0)
			return ns_nl_fail(cause, err, "link %s: cannot "
			    "replace its ingress qdisc", name);
	} else if (err < 0)
		return ns_nl_fail(cause, err, "link %s: qdiscs", name);
	if ((q = rtnl_qdisc_alloc()) == NULL)
		return ns_fail(cause, "link %s: out of memory", name);
	rtnl_tc_set_ifindex(TC_CAST(q), idx);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_INGRESS);
	rtnl_tc_set_handle(TC_CAST(q), NS_SHAPE_INGRESS);
	if ((err = rtnl_tc_set_kind(TC_CAST(q), "ingress")) == 0)
		err = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_qdisc_put(q);
	if (err < 0)
		return ns_nl_fail(cause, err, "link %s: cannot add an ingress "
		    "qdisc", name);

	if ((cls = rtnl_cls_alloc()) == NULL || (act = rtnl_act_alloc()) ==
	    NULL) {
		err = -NLE_NOMEM;
		goto fail;
	}
	rtnl_tc_set_ifindex(TC_CAST(cls), idx);
	rtnl_tc_set_parent(TC_CAST(cls), NS_SHAPE_INGRESS);
	rtnl_cls_set_prio(cls, NS_SHAPE_PRIO);
	rtnl_cls_set_protocol(cls, ETH_P_ALL);
	if ((err = rtnl_tc_set_kind(TC_CAST(cls), "u32")) < 0 ||
	    (err = rtnl_u32_add_key_uint32(cls, 0, 0, 0, 0)) < 0 ||
	    (err = rtnl_u32_set_cls_terminal(cls)) < 0 ||
	    (err = rtnl_tc_set_kind(TC_CAST(act), "mirred")) < 0 ||
	    (err = rtnl_mirred_set_action(act, TCA_EGRESS_REDIR)) < 0 ||
	    (err = rtnl_mirred_set_policy(act, TC_ACT_STOLEN)) < 0 ||
	    (err = rtnl_mirred_set_ifindex(act, ifb)) < 0 ||
	    (err = rtnl_u32_add_action(cls, act)) < 0)
		goto fail;
	err = rtnl_cls_add(sk, cls, NLM_F_CREATE | NLM_F_EXCL);
fail:
	if (act != NULL)
		rtnl_act_put(act);
	if (cls != NULL)
		rtnl_cls_put(cls);
	if (err < 0)
		return ns_nl_fail(cause, err, "link %s: cannot redirect what "
		    "it receives", name);
	return 0;
}

int
ns_shape_set(const char *ifname, const char *ifb, uint64_t rate,
    char **cause)
{
	struct nl_sock	*sk;
	uint64_t	 bytes = rate / 8;
	int		 idx, ifb_idx;

	if (rate == 0)
		return ns_shape_clear(ifname, ifb, cause);
	if (ns_ifname_valid(ifname, cause) == -1 ||
	    ns_ifname_valid(ifb, cause) == -1)
		return -1;
	if (bytes < 1 || bytes > NS_SHAPE_RATE_MAX / 8)
		return ns_fail(cause, "link %s: a rate of %llu bit/s cannot "
		    "be set: from 8 to %llu", ifname, (unsigned long long)rate,
		    (unsigned long long)NS_SHAPE_RATE_MAX);
	if ((sk = ns_nl_sock("link", ifname, cause)) == NULL)
		return -1;
	if ((idx = ns_shape_index("link", ifname, cause)) == 0)
		return -1;
	if (ns_shape_tbf(sk, ifname, idx, bytes, cause) == -1)
		return -1;
	if ((ifb_idx = ns_shape_ifb(sk, ifb, cause)) == 0 ||
	    ns_shape_tbf(sk, ifb, ifb_idx, bytes, cause) == -1 ||
	    ns_shape_redirect(sk, ifname, idx, ifb_idx, cause) == -1)
		return -1;
	return 0;
}

int
ns_shape_clear(const char *ifname, const char *ifb, char **cause)
{
	struct nl_sock		*sk;
	struct rtnl_qdisc	*q;
	struct rtnl_link	*link;
	uint32_t		 parents[2] = { TC_H_INGRESS, TC_H_ROOT };
	const char		*kinds[2] = { "ingress", "tbf" }, *k;
	int			 err, idx, i;

	if (ns_ifname_valid(ifname, cause) == -1 ||
	    ns_ifname_valid(ifb, cause) == -1)
		return -1;
	if ((sk = ns_nl_sock("link", ifname, cause)) == NULL)
		return -1;
	/* the link gone (a tap with its qemu) took its qdiscs along */
	if ((err = ns_nl_link_get(ifname, 0, &link)) == 0) {
		idx = rtnl_link_get_ifindex(link);
		rtnl_link_put(link);
		/* the redirect first: nothing is sent to an IFB being deleted */
		for (i = 0; i < 2; i++) {
			if ((q = ns_shape_qdisc(sk, idx, parents[i], &err)) ==
			    NULL) {
				if (err < 0)
					return ns_nl_fail(cause, err, "link %s: "
					    "qdiscs", ifname);
				continue;
			}
			k = rtnl_tc_get_kind(TC_CAST(q));
			err = k != NULL && strcmp(k, kinds[i]) == 0 ?
			    rtnl_qdisc_delete(sk, q) : 0;
			rtnl_qdisc_put(q);
			if (err < 0 && !ns_nl_missing(err) &&
			    err != -NLE_OBJ_NOTFOUND)
				return ns_nl_fail(cause, err, "link %s: cannot "
				    "take its %s qdisc away", ifname, kinds[i]);
		}
	} else if (!ns_nl_missing(err))
		return ns_nl_fail(cause, err, "link %s", ifname);
	return ns_link_delete(ifb, cause);
}

int
ns_shape_rate(const char *ifname, const char *ifb, uint64_t *rate)
{
	struct nl_sock		*sk;
	struct rtnl_qdisc	*q, *qi;
	const char		*k;
	int			 err, idx, ifb_idx, out, in, redirect;

	*rate = 0;
	if (ns_ifname_valid(ifname, NULL) == -1 ||
	    ns_ifname_valid(ifb, NULL) == -1 ||
	    (sk = ns_nl_sock("link", ifname, NULL)) == NULL ||
	    (idx = ns_shape_index("link", ifname, NULL)) == 0)
		return -1;
	/* what leaves the link */
	q = ns_shape_qdisc(sk, idx, TC_H_ROOT, &err);
	if (err < 0)
		return -1;
	k = q != NULL ? rtnl_tc_get_kind(TC_CAST(q)) : NULL;
	out = k != NULL && strcmp(k, "tbf") == 0 ?
	    rtnl_qdisc_tbf_get_rate(q) : 0;
	if (q != NULL)
		rtnl_qdisc_put(q);
	/* what comes in: redirected to an IFB with a tbf */
	in = 0;
	redirect = 0;
	if (ns_link_exists(ifb) == 1) {
		ifb_idx = ns_shape_index("ifb", ifb, NULL);
		q = ifb_idx != 0 ? ns_shape_qdisc(sk, ifb_idx, TC_H_ROOT,
		    &err) : NULL;
		k = q != NULL ? rtnl_tc_get_kind(TC_CAST(q)) : NULL;
		in = k != NULL && strcmp(k, "tbf") == 0 ?
		    rtnl_qdisc_tbf_get_rate(q) : 0;
		if (q != NULL)
			rtnl_qdisc_put(q);
		redirect = ifb_idx != 0 &&
		    ns_shape_is(ns_shape_qdisc(sk, idx, TC_H_INGRESS, &err),
		    "ingress") && ns_shape_has_redirect(sk, idx, ifb_idx) == 1;
	} else if ((qi = ns_shape_qdisc(sk, idx, TC_H_INGRESS, &err)) !=
	    NULL) {
		/* an ingress qdisc, but no IFB to send to: in part */
		rtnl_qdisc_put(qi);
		return -1;
	}
	if (out <= 0 && in <= 0 && !redirect)
		return 0;
	if (out <= 0 || in != out || !redirect)
		return -1;
	*rate = (uint64_t)out * 8;
	return 1;
}
