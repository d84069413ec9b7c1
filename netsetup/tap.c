/*
 * tap.c: taps.  A tap is opened on /dev/net/tun and never made
 * persistent: it lives exactly as long as its descriptors, so the
 * process that inherits it (a VM's qemu) takes it along when it dies.
 * Where the tap goes (a bridge) and its state (up) are link.c's; its
 * name, and what it is for, are the caller's.
 */
#include <sys/ioctl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_tun.h>

#include "netsetup.h"

#define NS_TUN_PATH	"/dev/net/tun"

int
ns_tap_open(const char *name, int *fdp, char **cause)
{
	struct ifreq	 ifr;
	char		 kind[NS_KIND_MAX];
	int		 fd, saved, existed;

	*fdp = -1;
	if (ns_ifname_valid(name, cause) == -1)
		return -1;
	/*
	 * TUNSETIFF on another kind of link says only "Invalid argument":
	 * say what is in the way.
	 */
	existed = ns_link_kind(name, kind, sizeof(kind)) == 0;
	if (existed && strcmp(kind, "tun") != 0) {
		if (*kind == '\0')
			return ns_fail(cause, "tap %s: a link of that name "
			    "exists and is not a tap", name);
		return ns_fail(cause, "tap %s: a %s link of that name "
		    "exists", name, kind);
	}

	if ((fd = open(NS_TUN_PATH, O_RDWR | O_CLOEXEC)) == -1)
		return ns_fail(cause, "tap %s: %s: %s", name, NS_TUN_PATH,
		    strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	/* length checked by ns_ifname_valid(): it fits with its NUL */
	memcpy(ifr.ifr_name, name, strlen(name));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		saved = errno;
		close(fd);
		if (saved == EBUSY)
			return ns_fail(cause, "tap %s: %s (another process "
			    "holds it)", name, strerror(saved));
		if (existed)
			return ns_fail(cause, "tap %s: the tun device of "
			    "that name cannot be opened as a tap: %s", name,
			    strerror(saved));
		return ns_fail(cause, "tap %s: %s", name, strerror(saved));
	}
	/* a leftover persistent tap is ours now, and goes with our fd */
	if (existed && ioctl(fd, TUNSETPERSIST, 0) == -1) {
		saved = errno;
		close(fd);
		return ns_fail(cause, "tap %s: cannot make it "
		    "non-persistent: %s", name, strerror(saved));
	}
	*fdp = fd;
	return 0;
}
