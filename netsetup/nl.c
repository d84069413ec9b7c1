/*
 * nl.c: netsetup's one NETLINK_ROUTE socket, the sentences handed back
 * through a char **cause, and the translation of libnl's negative NLE_*
 * codes into them (STYLE: in one place).  libnl folds the kernel's errno
 * into a few NLE_* codes ("Unspecific failure"), so an error callback
 * keeps the kernel's own errno and extended-ack message for the
 * sentence.  What the requests mean is left to link.c, bridge.c, addr.c
 * and tap.c.
 */
#include <sys/socket.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/socket.h>
#include <netlink/route/link.h>

#include "netsetup.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

static struct nl_sock	*ns_sock;
static int		 ns_kerr;	/* the kernel's last errno */
static char		 ns_kmsg[160];	/* and its extended ack */

/*
 * libnl's error callback: note what the kernel said, then let libnl go
 * on as without it (NL_STOP: it returns the NLE_* code).
 */
static int
ns_nl_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr	*h;
	struct nlattr	*a;
	size_t		 off;

	(void)nla;
	(void)arg;
	ns_kerr = e->error < 0 ? -e->error : e->error;
	ns_kmsg[0] = '\0';
	h = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	/* the TLVs follow our request, or only its header when capped */
	off = sizeof(*e);
	if (!(h->nlmsg_flags & NLM_F_CAPPED) &&
	    e->msg.nlmsg_len >= NLMSG_HDRLEN)
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	off = NLMSG_HDRLEN + NLMSG_ALIGN(off);
	if (off >= h->nlmsg_len)
		return NL_STOP;
	a = nla_find((struct nlattr *)((char *)h + off), h->nlmsg_len - off,
	    NLMSGERR_ATTR_MSG);
	if (a != NULL && nla_len(a) > 0)
		snprintf(ns_kmsg, sizeof(ns_kmsg), "%.*s",
		    (int)strnlen(nla_data(a), nla_len(a)),
		    (const char *)nla_data(a));
	return NL_STOP;
}

/*
 * Set *cause (when cause is not NULL) to the formatted sentence, and
 * return -1, for "return ns_fail(...)".  Out of memory, *cause is NULL.
 */
int
ns_fail(char **cause, const char *fmt, ...)
{
	va_list	 ap;

	if (cause == NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		*cause = NULL;
	va_end(ap);
	return -1;
}

int
ns_open(char **cause)
{
	struct nl_sock	*sk;
	struct nl_cb	*cb;
	int		 err, on = 1;

	if (ns_sock != NULL)
		return 0;
	if ((sk = nl_socket_alloc()) == NULL)
		return ns_fail(cause, "netlink: cannot allocate a socket");
	/* libnl opens it close-on-exec: qemu does not inherit it */
	if ((err = nl_connect(sk, NETLINK_ROUTE)) < 0) {
		nl_socket_free(sk);
		return ns_nl_fail(cause, err, "netlink");
	}
	/* the kernel's messages are a bonus: older kernels lack them */
	(void)setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK,
	    &on, sizeof(on));
	cb = nl_socket_get_cb(sk);
	nl_cb_err(cb, NL_CB_CUSTOM, ns_nl_error, NULL);
	nl_cb_put(cb);
	ns_sock = sk;
	return 0;
}

void
ns_close(void)
{
	if (ns_sock == NULL)
		return;
	nl_close(ns_sock);
	nl_socket_free(ns_sock);
	ns_sock = NULL;
}

/*
 * The socket, or NULL with "what name: ..." (name may be NULL) when
 * ns_open() was not called.
 */
struct nl_sock *
ns_nl_sock(const char *what, const char *name, char **cause)
{
	ns_kerr = 0;
	if (ns_sock == NULL)
		ns_fail(cause, "%s%s%s: the netlink socket is not open",
		    what, name != NULL ? " " : "", name != NULL ? name : "");
	return ns_sock;
}

/*
 * Set *cause to the formatted prefix, ": " and why: "no such link", or
 * what the kernel said when err is its error, or libnl's text.  Returns
 * -1.
 */
int
ns_nl_fail(char **cause, int err, const char *fmt, ...)
{
	va_list	 ap;
	char	*prefix;
	int	 kerr = ns_kerr;

	ns_kerr = 0;
	if (cause == NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&prefix, fmt, ap) == -1)
		prefix = NULL;
	va_end(ap);
	if (prefix == NULL) {
		*cause = NULL;
		return -1;
	}
	if (ns_nl_missing(err))
		ns_fail(cause, "%s: no such link", prefix);
	else if (kerr != 0 && -nl_syserr2nlerr(kerr) == err)
		ns_fail(cause, "%s: %s", prefix, *ns_kmsg != '\0' ? ns_kmsg :
		    strerror(kerr));
	else
		ns_fail(cause, "%s: %s", prefix, nl_geterror(err));
	free(prefix);
	return -1;
}

/* Whether a libnl code means "there is no such link". */
int
ns_nl_missing(int err)
{
	return err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND;
}

/*
 * Ask the kernel for the link named name (or, name NULL, with index
 * ifindex) into *linkp, which the caller puts.  Returns 0 or a negative
 * NLE_* code; ns_nl_missing() tells a missing link.
 */
int
ns_nl_link_get(const char *name, int ifindex, struct rtnl_link **linkp)
{
	*linkp = NULL;
	if (ns_sock == NULL)
		return -NLE_BAD_SOCK;
	return rtnl_link_get_kernel(ns_sock, ifindex, name, linkp);
}
