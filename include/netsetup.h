/*
 * netsetup.h: link plumbing over rtnetlink (netsetup/).
 *
 * The library knows links (bridges, taps, uplinks, addresses) by their
 * interface names; it knows nothing of fwsd's networks or VMs.  It keeps
 * one NETLINK_ROUTE socket, opened by ns_open() and used synchronously.
 * A fallible function returns 0 (or a descriptor) and -1 on failure
 * with *cause set (when cause is not NULL) to an allocated sentence that
 * names the link and the reason, such as "bridge br0: Operation not
 * permitted"; the caller frees it (it is NULL when memory ran out).
 * Nothing here prints or exits, and nothing here needs fwsd's headers:
 * netsetup/ includes this one, libc's, the kernel's and libnl's alone.
 */
#ifndef FWS_NETSETUP_H
#define FWS_NETSETUP_H

#include <netinet/in.h>
#include <stdint.h>
#include <stddef.h>

#define NS_IFNAME_MAX	15	/* Linux IFNAMSIZ - 1 */
#define NS_KIND_MAX	32	/* "bridge", "veth", "tun", ... */

/* nl.c */
/* Open and connect the netlink socket (again is harmless). */
int	 ns_open(char **);
void	 ns_close(void);

/* link.c */
/*
 * 0 when name can be a Linux interface name: 1 to 15 bytes of printable
 * ASCII without '/', ':' or spaces, and neither "." nor "..".
 */
int	 ns_ifname_valid(const char *, char **);
/*
 * 1 when a link of that name exists, 0 when it does not, -1 when netlink
 * cannot tell (no socket, an error): -1 is true, so a caller asking "is
 * it there?" errs towards "yes".
 */
int	 ns_link_exists(const char *);
/*
 * The link's kind ("bridge", "veth", "tun" for taps, ...) into buf; ""
 * for a link with no kind (a physical NIC, lo).  -1 when the link is
 * missing or buf too small.
 */
int	 ns_link_kind(const char *, char *, size_t);
/* Delete the link; a missing link is not an error. */
int	 ns_link_delete(const char *, char **);
/* Set the link administratively up (up != 0) or down. */
int	 ns_link_set_up(const char *, int, char **);
/*
 * Enslave ifname into the bridge (leaving it alone when it is already
 * there), or release it from whatever master it has when bridge is
 * NULL.  The bridge must exist and be a bridge.
 */
int	 ns_link_set_master(const char *, const char *, char **);
/*
 * The name of ifname's master into buf, "" when it has none; -1 when
 * ifname is missing, the lookup fails or buf is too small.
 */
int	 ns_link_master(const char *, char *, size_t);
/*
 * Call fn once per link in the namespace with its name, its kind ("" for
 * none), its master's name ("" for none) and whether it is
 * administratively up.  The strings are only valid during the call.
 */
typedef void (*ns_link_fn)(const char *name, const char *kind,
    const char *master, int up, void *arg);
int	 ns_link_list(ns_link_fn, void *, char **);
/*
 * The link's traffic counters, as the kernel counts them on that side
 * (a tap's rx is what its user, qemu, sent); -1 when it is missing.
 */
struct ns_link_stats {
	uint64_t	 ls_rx_bytes;
	uint64_t	 ls_tx_bytes;
	uint64_t	 ls_rx_packets;
	uint64_t	 ls_tx_packets;
};
int	 ns_link_stats(const char *, struct ns_link_stats *);

/* bridge.c */
/*
 * Create a bridge (down), with the MAC address mac ("xx:xx:...") unless
 * NULL: a fixed MAC keeps the host's address on the bridge from changing
 * as ports come and go (a bridge otherwise takes its lowest port's).  An
 * existing bridge of that name is left as it is and is success; an
 * existing link of another kind is a failure that names its kind.
 */
int	 ns_bridge_create(const char *, const char *, char **);

/* addr.c */
/*
 * Add the IPv4 address with its prefix length (1 to 32) and its
 * broadcast to ifname.  The same address already there is success.
 * Reading addresses from text is the caller's.
 */
int	 ns_addr_add(const char *, const struct in_addr *, int, char **);

/* tap.c */
/*
 * Open a tap named name (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, close on
 * exec) and put its descriptor in *fdp.  The tap is not persistent: it
 * disappears when the last descriptor for it closes, so whoever keeps a
 * copy keeps the tap.  A persistent tap of that name left over is taken
 * over and made non-persistent; a tap another process holds, or a link
 * of another kind with that name, is a failure.
 */
int	 ns_tap_open(const char *, int *, char **);

/* shape.c */
/* The most ns_shape_set() takes: tbf's rate is 32-bit bytes/s in libnl */
#define NS_SHAPE_RATE_MAX	(8ULL * INT32_MAX)	/* bit/s */
/*
 * Limit what the link ifname sends and what it receives to rate bit/s
 * each way: a tbf as its root qdisc, and its ingress redirected to the
 * IFB link ifb (made here when missing, and up), whose root qdisc is a
 * tbf of the same rate.  Done again, it changes the rate; rate 0 is
 * ns_shape_clear().  The qdiscs go with ifname; the IFB does not.
 */
int	 ns_shape_set(const char *, const char *, uint64_t, char **);
/*
 * Take the limits away: ifname's tbf and ingress qdiscs (none, or no
 * link, is fine), then the IFB ifb.
 */
int	 ns_shape_clear(const char *, const char *, char **);
/*
 * The limit on ifname through ifb as the kernel holds it: 1 and *rate
 * (bit/s) when both ways are limited alike, 0 when neither is, -1 when
 * they are in part, differ, or cannot be read.
 */
int	 ns_shape_rate(const char *, const char *, uint64_t *);

/* nl.c: shared inside netsetup/ only */
struct nl_sock;
struct rtnl_link;
int	 ns_fail(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
struct nl_sock	*ns_nl_sock(const char *, const char *, char **);
int	 ns_nl_fail(char **, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	 ns_nl_missing(int);
int	 ns_nl_link_get(const char *, int, struct rtnl_link **);

#endif
