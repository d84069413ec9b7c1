/*
 * caller.c: who asks for an operation, and what follows from it: which
 * VMs they see, whose VMs they may name, and how a VM is named to them.
 * The reply layer fills a struct caller from the socket's peer; the core
 * takes it with every operation.
 */
#include <stdlib.h>

#include "fws.h"

/* May the caller see this VM?  Its owner and the admins may. */
int
caller_sees(const struct caller *ca, const struct vm *vm)
{
	return !vm_is_hidden(vm) && (ca->ca_admin || vm->vm_owner == ca->ca_uid);
}

/*
 * A VM as a message names it to the caller: "web", or "web (uid 1001)"
 * when it is another user's, which only an admin sees.  fwsd looks up
 * no user names (NSS could block the loop): fwsctl shows the uid as the
 * user's name.
 */
char *
caller_vm_words(const struct caller *ca, const struct vm *vm)
{
	if (vm->vm_owner == ca->ca_uid)
		return xasprintf("%s", vm->vm_name);
	return xasprintf("%s (uid %u)", vm->vm_name, (unsigned)vm->vm_owner);
}

/*
 * Whose VMs the caller means: asked (a uid, -1 when the request named
 * none; a user may only name themselves), else -1 for an admin
 * (everyone's) or the caller's own uid.  -1 and *cause when a user
 * names another: a permission error.
 */
int
caller_owner(const struct caller *ca, int64_t asked, int64_t *owner,
    char **cause)
{
	if (asked < 0) {
		*owner = ca->ca_admin ? -1 : (int64_t)ca->ca_uid;
		return 0;
	}
	if (!ca->ca_admin && asked != (int64_t)ca->ca_uid)
		return cause_fail(cause, "only admins act for another user");
	*owner = asked;
	return 0;
}

/* An admin acting on their own VMs: no quota holds them. */
int
caller_exempt(const struct caller *ca, uid_t owner)
{
	return ca->ca_admin && owner == ca->ca_uid;
}
