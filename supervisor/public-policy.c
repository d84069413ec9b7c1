/*
 * public-policy.c: which VMs may reach a public network (net-create
 * --public, net-public: one whose guests reach addresses outside the
 * host).  A VM whose disks come from an image (a base in an overlay's
 * backing chain, or an image attached as it is) may join one only when
 * each such image, of the library or the owner's own, is cleared by
 * image-creds.c: checked and clean, or accepted by an admin.  Asked at
 * every door: create and define (the bases its disks are to be made
 * from), nic-add, disk-add, a start (a network may have become public
 * since), and net-public itself (the VMs running on the network).  The
 * refusal names each image and what was found in it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "log.h"

#define PUBLIC_WHY_MAX	4000	/* of the reasons, in a refusal */

/* Add what path (a file under the VM's disks) is to *why, if an image. */
static void
public_image(const struct vm *vm, const char *path, char ***seen, int *nseen,
    char **why)
{
	char	 name[FWS_NAME_MAX + 1], *one, *t, **more;
	int	 i;

	if (!image_is_base(vm->vm_owner, path))
		return;
	for (i = 0; i < *nseen; i++)
		if (strcmp((*seen)[i], path) == 0)
			return;
	/* never a VM let through for want of memory */
	if ((more = reallocarray(*seen, *nseen + 1, sizeof(char *))) == NULL)
		abort();
	*seen = more;
	(*seen)[(*nseen)++] = xasprintf("%s", path);
	if (image_disk_name(vm->vm_owner, path, name, sizeof(name)) == -1)
		snprintf(name, sizeof(name), "%s", strrchr(path, '/') != NULL ?
		    strrchr(path, '/') + 1 : path);
	if (creds_cleared(path, name, &one))
		return;
	if (*why == NULL)
		*why = one;
	else {
		t = xasprintf("%s; %s", *why, one);
		free(*why);
		free(one);
		*why = t;
	}
}

/*
 * The network the VM is on (or is to join: net) that is public, or
 * NULL.
 */
static const struct net *
public_net_of(const struct vm *vm, const char *net)
{
	const struct net	*n;
	int			 i;

	if (net != NULL && (n = net_find(net)) != NULL && n->net_public)
		return n;
	for (i = 0; i < vm->vm_nnics; i++)
		if ((n = net_find(vm->vm_nics[i].n_net)) != NULL &&
		    n->net_public)
			return n;
	return NULL;
}

/* Why the images under vm's disks (and images) are not all cleared. */
static char *
public_images_why(const struct vm *vm, char *const *images, int nimages)
{
	struct image_chain	 ic;
	char			*root[] = { "/" }, **seen = NULL, *why = NULL;
	int			 i, j, nseen = 0;

	for (i = 0; i < nimages; i++)
		if (images[i] != NULL)
			public_image(vm, images[i], &seen, &nseen, &why);
	for (i = 0; i < vm->vm_ndisks; i++) {
		if (vm->vm_disks[i].d_path == NULL ||
		    strcmp(vm->vm_disks[i].d_format, "rbd") == 0)
			continue;
		/* a disk not made yet has no chain: its base is in images */
		(void)image_chain_open(vm->vm_disks[i].d_path,
		    vm->vm_disks[i].d_format, root, 1, &ic, NULL);
		for (j = 0; j < ic.ic_n; j++)
			if (ic.ic_layer[j].il_fd != -1)
				public_image(vm, ic.ic_layer[j].il_path, &seen,
				    &nseen, &why);
		image_chain_close(&ic);
	}
	for (i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	if (why != NULL && strlen(why) > PUBLIC_WHY_MAX)
		strcpy(why + PUBLIC_WHY_MAX - 3, "...");
	return why;
}

/*
 * May vm be on its networks, and on net (one it is to join; NULL:
 * none), with its disks and the images its disks are to be made from
 * (nimages of them; NULL entries skipped)?  0, or -1 and why not.
 */
int
public_check(const struct vm *vm, const char *net, char *const *images,
    int nimages, char **cause)
{
	const struct net	*n;
	char			*why;
	int			 rc;

	if ((n = public_net_of(vm, net)) == NULL ||
	    (why = public_images_why(vm, images, nimages)) == NULL)
		return 0;
	rc = cause_fail(cause, "network %s is public (it reaches outside "
	    "addresses): %s (an admin may accept an image: fwsctl "
	    "image-accept; or import a fixed one)", n->net_name, why);
	free(why);
	return rc;
}

/*
 * May network n become public?  Not while a VM running on it has
 * disks from images not cleared: -1 and why (naming it, as ca sees it).
 */
int
public_net_check(const struct net *n, const struct caller *ca, char **cause)
{
	const struct vm	*vm;
	char		*why, *who;
	int		 i, rc;

	TAILQ_FOREACH(vm, &vms, vm_entry) {
		if (!vm_is_active(vm))
			continue;
		for (i = 0; i < vm->vm_nnics; i++)
			if (strcmp(vm->vm_nics[i].n_net, n->net_name) == 0)
				break;
		if (i == vm->vm_nnics ||
		    (why = public_images_why(vm, NULL, 0)) == NULL)
			continue;
		who = caller_vm_words(ca, vm);
		rc = cause_fail(cause, "network %s cannot become public while VM "
		    "%s runs on it: %s (stop it, or an admin accepts the image: "
		    "fwsctl image-accept)", n->net_name, who, why);
		free(who);
		free(why);
		return rc;
	}
	return 0;
}
