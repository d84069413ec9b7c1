/*
 * tap.c: taps for VM NICs, and their names.  A tap is opened on
 * /dev/net/tun and never made persistent: it lives exactly as long as
 * its descriptors, so the qemu that inherits it takes it along when it
 * dies.  Where the tap goes (a bridge) and its state (up) are link.c's;
 * which VM and NIC it belongs to is the caller's, through ns_tap_name().
 */
#include <sys/ioctl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_tun.h>

#include "fws.h"
#include "netsetup.h"

#define NS_TUN_PATH	"/dev/net/tun"
#define NS_TAP_PREFIX	"fws"
#define NS_TAP_HASHLEN	7	/* hex digits: 28 bits */
#define NS_TAP_IDX_MAX	9999
#define NS_TAP_VMCHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"abcdefghijklmnopqrstuvwxyz0123456789_.-@"
#define NS_TAP_OWNER	'@'	/* "NAME@UID": a user's VM, always hashed */

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
			return cause_fail(cause, "tap %s: a link of that name "
			    "exists and is not a tap", name);
		return cause_fail(cause, "tap %s: a %s link of that name "
		    "exists", name, kind);
	}

	if ((fd = open(NS_TUN_PATH, O_RDWR | O_CLOEXEC)) == -1)
		return cause_fail(cause, "tap %s: %s: %s", name, NS_TUN_PATH,
		    strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	/* length checked by ns_ifname_valid(): it fits with its NUL */
	memcpy(ifr.ifr_name, name, strlen(name));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		saved = errno;
		close(fd);
		if (saved == EBUSY)
			return cause_fail(cause, "tap %s: %s (another process "
			    "holds it)", name, strerror(saved));
		if (existed)
			return cause_fail(cause, "tap %s: the tun device of "
			    "that name cannot be opened as a tap: %s", name,
			    strerror(saved));
		return cause_fail(cause, "tap %s: %s", name, strerror(saved));
	}
	/* a leftover persistent tap is ours now, and goes with our fd */
	if (existed && ioctl(fd, TUNSETPERSIST, 0) == -1) {
		saved = errno;
		close(fd);
		return cause_fail(cause, "tap %s: cannot make it "
		    "non-persistent: %s", name, strerror(saved));
	}
	*fdp = fd;
	return 0;
}

/* 64-bit FNV-1a of s, folded to 32 bits. */
static uint32_t
ns_tap_hash(const char *s)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return (uint32_t)(h ^ (h >> 32));
}

int
ns_tap_name(const char *vm, int idx, char *buf, size_t len)
{
	const char	*p;
	size_t		 vlen, dlen, plen;
	char		 digits[8];
	int		 n;

	if (vm == NULL || *vm == '\0' || idx < 0 || idx > NS_TAP_IDX_MAX ||
	    len < NS_IFNAME_MAX + 1)
		return -1;
	for (p = vm; *p != '\0'; p++)
		if (strchr(NS_TAP_VMCHARS, *p) == NULL)
			return -1;
	/* a user's VM: the hash tells owners apart, the prefix is the name */
	if ((p = strchr(vm, NS_TAP_OWNER)) != NULL)
		vlen = p - vm;
	else
		vlen = strlen(vm);
	dlen = (size_t)snprintf(digits, sizeof(digits), "%d", idx);

	/* the short form: "fws" VM "." idx */
	if (p == NULL && strlen(NS_TAP_PREFIX) + vlen + 1 + dlen <=
	    NS_IFNAME_MAX)
		n = snprintf(buf, len, "%s%s.%s", NS_TAP_PREFIX, vm, digits);
	else {
		/* the long form: "fws" P H "-" idx, at most 15 bytes */
		plen = NS_IFNAME_MAX - strlen(NS_TAP_PREFIX) - NS_TAP_HASHLEN -
		    1 - dlen;
		n = snprintf(buf, len, "%s%.*s%0*x-%s", NS_TAP_PREFIX,
		    (int)(vlen < plen ? vlen : plen), vm, NS_TAP_HASHLEN,
		    (unsigned)(ns_tap_hash(vm) & 0xfffffff), digits);
	}
	if (n < 0 || (size_t)n > NS_IFNAME_MAX)
		return -1;
	return 0;
}
