/*
 * vnc.c: the VMs' screens over VNC.  fwsd picks each VM's display
 * itself (the lowest one no other VM holds and whose port is free on
 * vnc_listen), qemu serves it with password=on, and every start gets a
 * fresh random password through QMP set_password before the guest runs,
 * so nobody sees the screen without asking fwsd.  After a restart of
 * fwsd the display is read back with query-vnc and a new password set.
 * It also tells the way in from elsewhere: straight to vnc_listen, or
 * through ssh to public_host when VNC listens on loopback.  A VM whose
 * display is SPICE (spice.c, which borrows the port check, the reach of
 * an address and the passwords' alphabet from here) has a VNC server
 * too, with no listener (-vnc none): what vnc_connect hands on.
 *
 * A screen is also handed over as a connection (vnc_connect, for the web
 * front-end): one end of a socketpair goes to qemu (QMP getfd, then
 * add_client with skipauth, since only fwsd can hand it one), the other
 * to whoever asked fwsd.  No socket listens for it: nothing on the host
 * can reach a screen this way but through fwsd.
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"
#include "qmp.h"

/* Can port be bound on addr right now? */
int
vnc_port_free(const char *addr, int port)
{
	struct sockaddr_in6	 sin6;
	struct sockaddr_in	 sin;
	int			 s, rc, on = 1;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			return 0;
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		rc = bind(s, (struct sockaddr *)&sin, sizeof(sin));
	} else {
		if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) != 1)
			return 0;
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(port);
		if ((s = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			return 0;
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		rc = bind(s, (struct sockaddr *)&sin6, sizeof(sin6));
	}
	close(s);
	return rc == 0;
}

/* Pick the VM's display; -1 (with cause) when none is free. */
int
vnc_alloc(struct vm *vm, char **cause)
{
	struct vm	*o;
	unsigned char	*taken;
	int		 d, n = conf.cf_vnc_displays;

	/* one pass over the VMs, not one per display; a SPICE port in
	 * the range is taken too, whatever address it is on */
	if ((taken = calloc(n, 1)) == NULL)
		return cause_fail(cause, "out of memory");
	TAILQ_FOREACH(o, &vms, vm_entry) {
		if (o == vm || !vm_is_active(o))
			continue;
		if (o->vm_vnc_display >= 0 && o->vm_vnc_display < n)
			taken[o->vm_vnc_display] = 1;
		if (o->vm_spice_port >= FWS_VNC_PORT_BASE &&
		    o->vm_spice_port - FWS_VNC_PORT_BASE < n)
			taken[o->vm_spice_port - FWS_VNC_PORT_BASE] = 1;
	}
	for (d = 0; d < n && (taken[d] ||
	    !vnc_port_free(conf.cf_vnc_listen, FWS_VNC_PORT_BASE + d)); d++)
		;
	free(taken);
	if (d < n) {
		vm->vm_vnc_display = d;
		return 0;
	}
	return cause_fail(cause, "no free VNC display on %s (ports %d-%d): "
	    "raise vnc_displays in fwsd.conf", conf.cf_vnc_listen,
	    FWS_VNC_PORT_BASE, FWS_VNC_PORT_BASE + n - 1);
}

/* The -vnc argument for qemu: a SPICE VM's has no listener. */
char *
vnc_qemu_arg(const struct vm *vm)
{
	if (vm->vm_vnc_display < 0)
		return xasprintf("none");
	if (strchr(conf.cf_vnc_listen, ':') != NULL)
		return xasprintf("[%s]:%d,password=on", conf.cf_vnc_listen,
		    vm->vm_vnc_display);
	return xasprintf("%s:%d,password=on", conf.cf_vnc_listen,
	    vm->vm_vnc_display);
}

static void
vnc_password_set(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;

	(void)q;
	(void)ret;
	if (err_class != NULL && strcmp(err_class, QMP_ERR_DISCONNECTED) != 0)
		log_warnx("%s: set_password: %s", vm->vm_name, err_desc);
}

/*
 * n - 1 random characters and a NUL into out: letters and digits that
 * cannot be mistaken for each other (no 0/O, 1/l/I), for people to type.
 */
void
vnc_random_password(char *out, size_t n)
{
	static const char	 alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	    "abcdefghijkmnopqrstuvwxyz23456789";
	unsigned char		 r[64];
	size_t			 i;

	if (n < 1 || n > sizeof(r))
		abort();
	if (getrandom(r, n - 1, 0) != (ssize_t)(n - 1))
		abort();	/* the kernel's RNG does not fail for 64 bytes */
	for (i = 0; i < n - 1; i++)
		out[i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
	out[n - 1] = '\0';
}

/* A fresh password (VNC takes 8 characters), set in qemu. */
void
vnc_new_password(struct vm *vm)
{
	if (vm->vm_qmp == NULL || vm->vm_vnc_display < 0)
		return;
	vnc_random_password(vm->vm_vnc_password,
	    sizeof(vm->vm_vnc_password));
	qmp_execute(vm->vm_qmp, "set_password", json_pack("{ss ss}",
	    "protocol", "vnc", "password", vm->vm_vnc_password),
	    FWS_QMP_TIMEOUT, vnc_password_set, vm);
}

static void
vnc_adopt_done(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;
	const char	*service;

	(void)q;
	(void)err_desc;
	if (err_class != NULL || !json_is_true(json_object_get(ret,
	    "enabled")))
		return;
	service = json_string_value(json_object_get(ret, "service"));
	if (service != NULL && atoi(service) >= FWS_VNC_PORT_BASE)
		vm->vm_vnc_display = atoi(service) - FWS_VNC_PORT_BASE;
	vnc_new_password(vm);
}

/* After a restart of fwsd: which display, and a password we know. */
void
vnc_adopt(struct vm *vm)
{
	if (vm->vm_qmp != NULL)
		qmp_execute(vm->vm_qmp, "query-vnc", NULL, FWS_QMP_TIMEOUT,
		    vnc_adopt_done, vm);
}

/* Where a listen address is: this host alone, every address, or one. */
enum vnc_reach
vnc_reach(const char *addr)
{
	struct in_addr	 in4;
	struct in6_addr	 in6;

	if (inet_pton(AF_INET, addr, &in4) == 1) {
		if ((ntohl(in4.s_addr) >> 24) == 127)
			return VNC_LOOPBACK;
		return in4.s_addr == htonl(INADDR_ANY) ? VNC_ANY : VNC_ADDRESS;
	}
	if (inet_pton(AF_INET6, addr, &in6) != 1)
		return VNC_ADDRESS;
	if (IN6_IS_ADDR_LOOPBACK(&in6) || (IN6_IS_ADDR_V4MAPPED(&in6) &&
	    in6.s6_addr[12] == 127))
		return VNC_LOOPBACK;
	return IN6_IS_ADDR_UNSPECIFIED(&in6) ? VNC_ANY : VNC_ADDRESS;
}

/* "gvncviewer HOST:DISPLAY", an IPv6 address in brackets */
static char *
vnc_viewer(const char *host, int display)
{
	if (strchr(host, ':') != NULL)
		return xasprintf("gvncviewer [%s]:%d", host, display);
	return xasprintf("gvncviewer %s:%d", host, display);
}

/*
 * What the vnc and display verbs tell: where the screen is and its
 * password; "command", the viewer on this host; "viewer", the viewer on
 * the user's own machine: through an ssh tunnel to public_host when VNC
 * listens on loopback ("loopback": fwsctl adds the ssh line, which
 * needs the user's name), else straight to the address (public_host
 * when VNC listens on every address); "vv_host", the host a viewer's
 * connection file names (the listen address itself on loopback: the
 * same on this host and, for 127.0.0.1, at the tunnel's end).
 */
json_t *
vnc_to_json(const struct vm *vm)
{
	enum vnc_reach	 reach = vnc_reach(conf.cf_vnc_listen);
	const char	*vv_host;
	char		*cmd, *viewer;
	json_t		*o;

	vv_host = reach == VNC_ANY ? conf.cf_public_host : conf.cf_vnc_listen;
	cmd = vnc_viewer(conf.cf_vnc_listen, vm->vm_vnc_display);
	viewer = vnc_viewer(reach == VNC_LOOPBACK ? "localhost" : vv_host,
	    vm->vm_vnc_display);
	o = json_pack("{ss ss ss si si ss ss ss sb ss ss}", "name",
	    vm->vm_name, "protocol", "vnc", "host", conf.cf_vnc_listen,
	    "display", vm->vm_vnc_display, "port",
	    FWS_VNC_PORT_BASE + vm->vm_vnc_display, "password",
	    vm->vm_vnc_password, "command", cmd, "public_host",
	    conf.cf_public_host, "loopback", reach == VNC_LOOPBACK, "viewer",
	    viewer, "vv_host", vv_host);
	free(cmd);
	free(viewer);
	return o;
}

/*
 * Has vm's qemu a screen (a VNC server, with a listener or not)?  A
 * VNC display or a SPICE port is given before qemu starts, and read
 * back when fwsd adopts it.
 */
int
vnc_has_screen(const struct vm *vm)
{
	return vm->vm_vnc_display >= 0 || vm->vm_spice_port >= 0;
}

/* A connection to a screen under way: getfd, then add_client. */
struct vnc_conn {
	char		 vc_name[FWS_NAME_MAX + 1];
	char		 vc_fdname[32];
	int		 vc_fd;		/* our end, handed on */
	fws_done_fn	 vc_fn;
	void		*vc_arg;
};

static unsigned	vnc_conn_seq;

static void
vnc_conn_fail(struct vnc_conn *vc, const char *what)
{
	char	*why;

	why = xasprintf("%s: screen: %s", vc->vc_name, what);
	vc->vc_fn(vc->vc_arg, FWS_ERR_FAILED, why, NULL);
	free(why);
	close(vc->vc_fd);
	free(vc);
}

static void
vnc_conn_added(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vnc_conn	*vc = arg;

	(void)ret;
	if (err_class != NULL) {
		/* qemu keeps a descriptor add_client did not take: let it go */
		if (strcmp(err_class, QMP_ERR_DISCONNECTED) != 0)
			qmp_execute(q, "closefd", json_pack("{ss}", "fdname",
			    vc->vc_fdname), FWS_QMP_TIMEOUT, NULL, NULL);
		vnc_conn_fail(vc, strcmp(err_class, QMP_ERR_DISCONNECTED) == 0 ?
		    "qemu went away" : err_desc);
		return;
	}
	/* "fd": the connected end, for the reply layer to hand on */
	vc->vc_fn(vc->vc_arg, FWS_OK, NULL, json_pack("{ss si}", "name",
	    vc->vc_name, "fd", vc->vc_fd));
	free(vc);
}

static void
vnc_conn_got(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vnc_conn	*vc = arg;

	(void)ret;
	if (err_class != NULL) {
		vnc_conn_fail(vc, strcmp(err_class, QMP_ERR_DISCONNECTED) == 0 ?
		    "qemu went away" : err_desc);
		return;
	}
	if (qmp_execute(q, "add_client", json_pack("{ss ss sb}", "protocol",
	    "vnc", "fdname", vc->vc_fdname, "skipauth", 1), FWS_QMP_TIMEOUT,
	    vnc_conn_added, vc) == -1)
		vnc_conn_fail(vc, "qemu went away");
}

/*
 * A connection to vm's screen, speaking RFB with no password asked:
 * fn(arg, FWS_OK, NULL, {name, fd}), fd a connected socket that fn's
 * caller closes; or the core's error and why.
 */
void
vnc_connect(struct vm *vm, fws_done_fn fn, void *arg)
{
	struct vnc_conn	*vc;
	char		*why;
	int		 sv[2];

	if (!vnc_has_screen(vm)) {
		why = xasprintf("%s has no screen yet", vm->vm_name);
		fn(arg, FWS_ERR_STATE, why, NULL);
		free(why);
		return;
	}
	if (vm->vm_qmp == NULL || !qmp_is_ready(vm->vm_qmp)) {
		why = xasprintf("%s: no QMP connection to qemu", vm->vm_name);
		fn(arg, FWS_ERR_FAILED, why, NULL);
		free(why);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		why = xasprintf("%s: screen: socketpair: %s", vm->vm_name,
		    strerror(errno));
		fn(arg, FWS_ERR_INTERNAL, why, NULL);
		free(why);
		return;
	}
	if ((vc = calloc(1, sizeof(*vc))) == NULL) {
		close(sv[0]);
		close(sv[1]);
		fn(arg, FWS_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	snprintf(vc->vc_name, sizeof(vc->vc_name), "%s", vm->vm_name);
	/* a name of its own: two connections at once never swap fds */
	snprintf(vc->vc_fdname, sizeof(vc->vc_fdname), "fws-screen-%u",
	    ++vnc_conn_seq);
	vc->vc_fd = sv[0];
	vc->vc_fn = fn;
	vc->vc_arg = arg;
	/* the library sends a copy of qemu's end: ours is closed now */
	if (qmp_execute_fd(vm->vm_qmp, "getfd", json_pack("{ss}", "fdname",
	    vc->vc_fdname), sv[1], FWS_QMP_TIMEOUT, vnc_conn_got, vc) == -1) {
		close(sv[1]);
		vnc_conn_fail(vc, "qemu went away");
		return;
	}
	close(sv[1]);
}
