/*
 * spice.c: the screens of VMs whose display is SPICE, as vnc.c serves
 * the others'.  fwsd picks each VM's port itself (the lowest of
 * spice_ports that no other VM holds, as a SPICE port or as a VNC
 * display's, and that is free on spice_listen); qemu serves it with
 * ticketing on and no password at first, which lets no client in, and
 * every start gets a fresh random password through QMP set_password
 * before the guest runs, so nobody sees the screen without asking fwsd.
 * After a restart of fwsd the port is read back with query-spice and a
 * new password set.  It tells the way in as vnc.c does, for
 * remote-viewer.  Such a VM keeps a VNC server with no listener (vnc.c)
 * for what fwsd hands on itself: the web panel's screen.
 */
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "log.h"
#include "qmp.h"

/* Pick the VM's port; -1 (with cause) when none is free. */
int
spice_alloc(struct vm *vm, char **cause)
{
	struct vm	*o;
	unsigned char	*taken;
	unsigned	 first = conf.cf_spice_port_first;
	unsigned	 n = conf.cf_spice_port_last - first + 1, p;
	int		 vport;

	/* one pass over the VMs, not one per port */
	if ((taken = calloc(n, 1)) == NULL)
		return cause_fail(cause, "out of memory");
	TAILQ_FOREACH(o, &vms, vm_entry) {
		if (o == vm || !vm_is_active(o))
			continue;
		if (o->vm_spice_port >= 0 && (unsigned)o->vm_spice_port >=
		    first && (unsigned)o->vm_spice_port - first < n)
			taken[o->vm_spice_port - first] = 1;
		vport = FWS_VNC_PORT_BASE + o->vm_vnc_display;
		if (o->vm_vnc_display >= 0 && (unsigned)vport >= first &&
		    (unsigned)vport - first < n)
			taken[vport - first] = 1;
	}
	for (p = 0; p < n && (taken[p] ||
	    !vnc_port_free(conf.cf_spice_listen, first + p)); p++)
		;
	free(taken);
	if (p < n) {
		vm->vm_spice_port = first + p;
		return 0;
	}
	return cause_fail(cause, "no free SPICE port on %s (spice_ports "
	    "%u-%u): widen spice_ports in fwsd.conf", conf.cf_spice_listen,
	    first, conf.cf_spice_port_last);
}

/*
 * The -spice argument for qemu: ticketing on (no password yet: nobody
 * gets in before spice_new_password).
 */
char *
spice_qemu_arg(const struct vm *vm)
{
	return xasprintf("port=%d,addr=%s,disable-ticketing=off",
	    vm->vm_spice_port, conf.cf_spice_listen);
}

static void
spice_password_set(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;

	(void)q;
	(void)ret;
	if (err_class != NULL && strcmp(err_class, QMP_ERR_DISCONNECTED) != 0)
		log_warnx("%s: set_password (spice): %s", vm->vm_name,
		    err_desc);
}

/* A fresh password, set in qemu. */
void
spice_new_password(struct vm *vm)
{
	if (vm->vm_qmp == NULL || vm->vm_spice_port < 0)
		return;
	vnc_random_password(vm->vm_spice_password,
	    sizeof(vm->vm_spice_password));
	qmp_execute(vm->vm_qmp, "set_password", json_pack("{ss ss}",
	    "protocol", "spice", "password", vm->vm_spice_password),
	    FWS_QMP_TIMEOUT, spice_password_set, vm);
}

static void
spice_adopt_done(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct vm	*vm = arg;
	json_int_t	 port;

	(void)q;
	(void)err_desc;
	if (err_class != NULL || !json_is_true(json_object_get(ret,
	    "enabled")))
		return;
	port = json_integer_value(json_object_get(ret, "port"));
	if (port <= 0 || port > 65535)
		return;
	vm->vm_spice_port = (int)port;
	spice_new_password(vm);
}

/*
 * After a restart of fwsd: which port, and a password we know.  Asked of
 * every qemu adopted: what it serves, whatever its definition says now.
 */
void
spice_adopt(struct vm *vm)
{
	if (vm->vm_qmp != NULL)
		qmp_execute(vm->vm_qmp, "query-spice", NULL, FWS_QMP_TIMEOUT,
		    spice_adopt_done, vm);
}

/* "remote-viewer spice://HOST:PORT", an IPv6 address in brackets */
static char *
spice_viewer(const char *host, int port)
{
	if (strchr(host, ':') != NULL)
		return xasprintf("remote-viewer spice://[%s]:%d", host, port);
	return xasprintf("remote-viewer spice://%s:%d", host, port);
}

/*
 * What the display verb tells of a SPICE screen, in vnc_to_json's
 * words: "command" on this host, "viewer" from the user's machine
 * (through the ssh tunnel fwsctl adds when "loopback"), "vv_host" for
 * the connection file.
 */
json_t *
spice_to_json(const struct vm *vm)
{
	enum vnc_reach	 reach = vnc_reach(conf.cf_spice_listen);
	const char	*vv_host;
	char		*cmd, *viewer;
	json_t		*o;

	vv_host = reach == VNC_ANY ? conf.cf_public_host :
	    conf.cf_spice_listen;
	cmd = spice_viewer(conf.cf_spice_listen, vm->vm_spice_port);
	viewer = spice_viewer(reach == VNC_LOOPBACK ? "localhost" : vv_host,
	    vm->vm_spice_port);
	o = json_pack("{ss ss ss si ss ss ss sb ss ss}", "name", vm->vm_name,
	    "protocol", "spice", "host", conf.cf_spice_listen, "port",
	    vm->vm_spice_port, "password", vm->vm_spice_password, "command",
	    cmd, "public_host", conf.cf_public_host, "loopback",
	    reach == VNC_LOOPBACK, "viewer", viewer, "vv_host", vv_host);
	free(cmd);
	free(viewer);
	return o;
}
