#!/bin/sh
# tests/guest/build.sh -- owns the tiny test guest that fws's tests and demo
# boot, i.e. everything in tests/guest/out/ (gitignored):
#   vmlinuz     Debian 12's cloud kernel, taken from the real package behind
#               linux-image-cloud-amd64 (apt-get download + dpkg-deb -x;
#               never installed on the host)
#   initrd.img  gzip'ed newc cpio: static busybox, the few kernel modules
#               the guest needs (from the same package) and /init
#   VERSION     the kernel version (uname -r of the guest)
#   cache/      the downloaded .deb, so that editing this script does not
#               download the kernel again
# The guest (boot it with console=ttyS0):
#   - prints FWS-GUEST-READY on ttyS0 once it is up;
#   - runs an interactive shell on ttyS0 (with job control);
#   - on the ACPI power button (QMP system_powerdown) prints
#     FWS-GUEST-POWEROFF and powers off for real (QEMU exits);
#   - panics on "echo c > /proc/sysrq-trigger";
#   - sees a CD drive (/dev/sr0) on the pc machine's IDE (ata_piix; the
#     cloud kernel has no AHCI driver, q35's), and reads the disc in it;
#   - configures eth0 from fws.ip=ADDR/PREFIX on its command line, if any,
#     with a default route from fws.gw=ADDR; or, with fws.dhcp, asks DHCP
#     for eth0's address and prints FWS-GUEST-DHCP ADDR once it has one,
#     then FWS-GUEST-DNS SERVERS domain DOMAIN name HOSTNAME (what DHCP
#     handed out: "none" and "-" for nothing), writes /etc/resolv.conf
#     from them (for nslookup) and takes the host name;
#   - fws-agent [REPLY] answers guest-network-get-interfaces on the QEMU
#     guest agent's port (org.qemu.guest_agent.0) with its interfaces, or
#     with the JSON in the file REPLY; fws-agent -p prints the port.
# Cached: does nothing, silently, when the outputs are newer than this
# script.  tests/guest/selftest.sh boots it under qemu and checks all this.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=$here/out
self=$here/build.sh

uptodate() {
	for f in vmlinuz initrd.img VERSION; do
		[ -s "$out/$f" ] && [ "$out/$f" -nt "$self" ] || return 1
	done
}
uptodate && exit 0

# One build at a time (tests may run in parallel): hold out/.lock.
mkdir -p "$out"
if [ -z "${FWS_GUEST_LOCKED:-}" ] && command -v flock >/dev/null 2>&1; then
	FWS_GUEST_LOCKED=1 exec flock "$out/.lock" sh "$self" "$@"
fi
uptodate && exit 0

say() { echo "guest: $*"; }
die() { echo "guest: build.sh: $*" >&2; exit 1; }

# host tools: busybox-static (the guest's userland), cpio; apt and dpkg-deb
# are part of every Debian system.
need=""
if [ ! -x /bin/busybox ] || ! /bin/busybox --list | grep -qx acpid; then
	need="$need busybox-static"
fi
command -v cpio >/dev/null 2>&1 || need="$need cpio"
command -v gzip >/dev/null 2>&1 || need="$need gzip"
if [ -n "$need" ]; then
	[ "$(id -u)" = 0 ] || die "need root to install:$need"
	say "installing$need"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $need >/dev/null
fi
# it must be static: it runs alone in the initramfs
case $(LC_ALL=C ldd /bin/busybox 2>&1 || true) in
*"not a dynamic executable"*) ;;
*) die "/bin/busybox is not static (install busybox-static)" ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/fws-guest.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

# The real kernel package behind the meta-package.
kpkg() {
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
	    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}
pkg=$(kpkg)
if [ -z "$pkg" ]; then
	[ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null
	pkg=$(kpkg)
fi
[ -n "$pkg" ] || die "cannot resolve linux-image-cloud-amd64 (apt-get update?)"

# Download it (or reuse the cached .deb).  As root, apt would try to drop to
# the _apt user, which cannot write into our private temp dir.
mkdir -p "$out/cache"
deb=$(ls "$out/cache/${pkg}_"*.deb 2>/dev/null | tail -n 1 || true)
if [ -z "$deb" ]; then
	say "downloading $pkg"
	dl() {
		(cd "$work" && apt-get download -qq \
		    -o APT::Sandbox::User=root "$pkg" >/dev/null)
	}
	if ! dl; then
		[ "$(id -u)" = 0 ] || die "apt-get download $pkg failed"
		apt-get update -qq >/dev/null
		dl || die "apt-get download $pkg failed"
	fi
	rm -f "$out/cache/"*.deb
	mv "$work/${pkg}_"*.deb "$out/cache/"
	deb=$(ls "$out/cache/${pkg}_"*.deb | tail -n 1)
fi
dpkg-deb -x "$deb" "$work/pkg"
kver=$(ls "$work/pkg/lib/modules")
[ -f "$work/pkg/boot/vmlinuz-$kver" ] || die "no vmlinuz-$kver in $deb"
moddir=$work/pkg/lib/modules/$kver
config=$work/pkg/boot/config-$kver

root=$work/root
mkdir -p "$root/bin" "$root/sbin" "$root/lib/modules" "$root/etc/acpi/PWRF" \
    "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/root" \
    "$root/run" "$root/var/log"
ln -s ../run "$root/var/run"

# Modules the guest loads, each after those it depends on (read from the
# module's .modinfo, whose strings are NUL separated).  A wanted driver that
# is built in (=y) needs nothing.  (sh has no local variables: add_module
# recomputes what its recursive calls overwrite.)
: > "$work/seen"
: > "$root/etc/modules"
modfile() {
	find "$moddir" \( -name "$1.ko" -o -name "$(echo "$1" | tr _ -).ko" \) |
	    head -n 1
}
add_module() {
	grep -qx "$1" "$work/seen" && return 0
	echo "$1" >> "$work/seen"
	[ -n "$(modfile "$1")" ] || die "module $1 is not in $pkg"
	for d in $(tr '\0' '\n' < "$(modfile "$1")" |
	    sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '); do
		add_module "$d"
	done
	cp "$(modfile "$1")" "$root/lib/modules/"
	basename "$(modfile "$1")" >> "$root/etc/modules"
}
want() {	# want CONFIG_X module
	case $(grep "^$1=" "$config" || true) in
	"$1=y") ;;
	"$1=m") add_module "$(echo "$2" | tr - _)" ;;
	*) die "$1 is neither built in nor a module in $pkg" ;;
	esac
}
want CONFIG_ACPI_BUTTON button		# ACPI power button -> input event
want CONFIG_INPUT_EVDEV evdev		# /dev/input/event* for acpid
want CONFIG_VIRTIO_PCI virtio_pci	# virtio devices for later tests
want CONFIG_VIRTIO_NET virtio_net
want CONFIG_VIRTIO_BLK virtio_blk
want CONFIG_PVPANIC_MMIO pvpanic-mmio	# -device pvpanic (ISA)
want CONFIG_PVPANIC_PCI pvpanic-pci	# -device pvpanic-pci
want CONFIG_ATA_PIIX ata_piix		# the pc machine's IDE: the CD drive
want CONFIG_BLK_DEV_SR sr_mod		# /dev/sr0
want CONFIG_VIRTIO_CONSOLE virtio_console	# the guest agent's port
want CONFIG_VIRTIO_BALLOON virtio_balloon	# set --memory, live

cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
done

# busybox acpid maps the power button's KEY_POWER input event to the action
# PWRF/00000080 and runs that file (relative to its -c directory).
cat > "$root/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
# ACPI power button (QMP system_powerdown): power off for real.
# leading newline: the shell's prompt may be on the current line
printf '\nFWS-GUEST-POWEROFF\n' > "$(cat /run/console)"
sync
exec poweroff -f
EOF
chmod 755 "$root/etc/acpi/PWRF/00000080"

# udhcpc calls this with the lease in its environment
cat > "$root/etc/udhcpc.script" <<'EOF'
#!/bin/sh
case $1 in
bound|renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	[ -n "${router:-}" ] && ip route add default via "${router%% *}"
	# the name servers, as a real guest's resolver takes them
	{
		[ -n "${domain:-}" ] && echo "search $domain"
		for s in ${dns:-}; do echo "nameserver $s"; done
	} > /etc/resolv.conf
	[ -n "${hostname:-}" ] && hostname "$hostname"
	con=$(cat /run/console)
	printf '\nFWS-GUEST-DHCP %s\n' "$ip" > "$con"
	printf '\nFWS-GUEST-DNS %s domain %s name %s\n' "$(echo ${dns:-none} |
	    tr ' ' ,)" "${domain:--}" "${hostname:--}" > "$con"
	;;
esac
exit 0
EOF
chmod 755 "$root/etc/udhcpc.script"

# A QEMU guest agent that knows one command, for the tests of fwsd's side
cat > "$root/bin/fws-agent" <<'EOF'
#!/bin/sh
# fws-agent [REPLY]: on the QEMU guest agent's port, answer each
# guest-network-get-interfaces with this guest's interfaces and addresses
# (or with the JSON value in the file REPLY), anything else with an
# error; each answer carries its request's id.  fws-agent -p: the port.
port=
for f in /sys/class/virtio-ports/*/name; do
	[ "$(cat "$f" 2>/dev/null)" = org.qemu.guest_agent.0 ] &&
	    port=/dev/$(basename "$(dirname "$f")")
done
[ -n "$port" ] || { echo "fws-agent: no guest agent port" >&2; exit 1; }
if [ "${1:-}" = -p ]; then
	echo "$port"
	exit 0
fi
ifaces() {
	sep=
	printf '['
	for d in /sys/class/net/*; do
		i=${d##*/}
		printf '%s{"name":"%s","hardware-address":"%s","ip-addresses":[' \
		    "$sep" "$i" "$(cat "$d/address")"
		ip -o addr show dev "$i" | {
			s=
			while read -r _ _ fam a _; do
				case $fam in
				inet) t=ipv4 ;;
				inet6) t=ipv6 ;;
				*) continue ;;
				esac
				printf '%s{"ip-address-type":"%s","ip-address":"%s","prefix":%s}' \
				    "$s" "$t" "${a%/*}" "${a#*/}"
				s=,
			done
		}
		printf ']}'
		sep=,
	done
	printf ']'
}
printf '\nFWS-GUEST-AGENT %s\n' "$port" > "$(cat /run/console)"
# the port reads as closed while nobody on the host holds it: open again
while :; do
	exec 3<>"$port"
	while read -r line <&3; do
		id=$(printf '%s' "$line" | sed -n 's/.*"id": *\([0-9][0-9]*\).*/\1/p')
		case $line in
		*guest-network-get-interfaces*)
			if [ -n "${1:-}" ]; then ret=$(cat "$1"); else ret=$(ifaces); fi
			printf '{"return":%s,"id":%s}\n' "$ret" "${id:-null}" >&3
			;;
		*)
			printf '{"error":{"class":"CommandNotFound","desc":"fws-agent knows guest-network-get-interfaces only"},"id":%s}\n' \
			    "${id:-null}" >&3
			;;
		esac
	done
	exec 3>&-
	sleep 1
done
EOF
chmod 755 "$root/bin/fws-agent"

echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"

cat > "$root/init" <<'EOF'
#!/bin/sh
# /init of the fws test guest (written by tests/guest/build.sh).
export PATH=/bin:/sbin HOME=/root TERM=vt100
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts

con=/dev/ttyS0
[ -c "$con" ] || con=/dev/console
echo "$con" > /run/console

for m in $(cat /etc/modules); do
	insmod "/lib/modules/$m" 2>/dev/null || true
done

echo 1 > /proc/sys/kernel/sysrq	# echo c > /proc/sysrq-trigger panics
hostname fws-guest
ip link set lo up

for arg in $(cat /proc/cmdline); do
	case $arg in
	fws.ip=*)
		if [ -e /sys/class/net/eth0 ]; then
			ip addr add "${arg#fws.ip=}" dev eth0
			ip link set eth0 up
		fi
		;;
	fws.gw=*)
		gw=${arg#fws.gw=}
		;;
	fws.dhcp)
		dhcp=1
		;;
	esac
done
[ -n "${gw:-}" ] && ip route add default via "$gw"
if [ -n "${dhcp:-}" ] && [ -e /sys/class/net/eth0 ]; then
	ip link set eth0 up
	udhcpc -i eth0 -s /etc/udhcpc.script -t 20 -T 1 -A 2 -b -q \
	    >/dev/null 2>&1
fi

# power button -> /etc/acpi/PWRF/00000080 (FWS-GUEST-POWEROFF, poweroff -f)
acpid -c /etc/acpi -l /run/acpid.log -p /run/acpid.pid

echo FWS-GUEST-READY > "$con"

# PID 1 must not exit: respawn the shell whenever it ends.
while :; do
	setsid cttyhack sh -l
	sleep 1
done
EOF
chmod 755 "$root/init"
echo 'PS1="fws-guest# "' > "$root/etc/profile"

cp "$work/pkg/boot/vmlinuz-$kver" "$work/vmlinuz"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet |
    gzip -9n) > "$work/initrd.img"
echo "$kver" > "$work/VERSION"
# VERSION last: it is the newest output only once all are in place
for f in vmlinuz initrd.img VERSION; do
	cp "$work/$f" "$out/.$f.$$"
	mv -f "$out/.$f.$$" "$out/$f"
done
say "built $out: kernel $kver ($pkg), initrd $(wc -c < "$out/initrd.img") bytes"
