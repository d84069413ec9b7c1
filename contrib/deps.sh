#!/bin/sh
# deps.sh: install every build, test and runtime dependency of fws from
# Debian's packages.  Idempotent and quiet when everything is there.
# "deps.sh fuzz" installs what make fuzz needs instead: the libraries,
# clang and libFuzzer's runtime (which make check does without).
# "deps.sh cluster" installs what make check-cluster adds: QEMU's rbd
# block driver, a Ceph monitor, manager and OSD with the ceph and rbd
# tools (tests/cluster starts a one-node cluster of them), Corosync and
# Pacemaker with its command-line tools; their services are not started
# (the tests start their own).
#
# The web panel needs noVNC (Debian's novnc) and xterm.js 5: Debian's
# node-xterm 3.8 has no bundle a browser can load, so xterm.js comes
# from npm (@xterm/xterm 5.5.0) into XTERM_DIR (fws-web.conf's
# xterm_dir; /usr/local/share/fws/xterm unless make says otherwise).
# Its browser tests drive Debian's chromium through chromium-driver.
# SPICE screens are tested with remote-viewer (virt-viewer) on an X
# server of the test's own (xvfb), its screen taken with xwd (x11-apps).
# "deps.sh test" is the same as "deps.sh": everything make check needs.
#
# fws-image-check reads images with libguestfs (libguestfs-dev, whose
# libguestfs0 brings supermin and the packages of its appliance), whose
# appliance boots the host's kernel from /boot and /lib/modules: a host
# with none there (a container) gets Debian's cloud kernel package, which
# the host itself never boots.
set -e
xterm_dir=${XTERM_DIR:-/usr/local/share/fws/xterm}
xterm_version=5.5.0
# xterm.js for the panel's console, from npm (nothing of it is kept in
# the tree); once there, left alone
xterm() {
	case "$1" in fuzz|cluster) return 0 ;; esac
	[ -f "$xterm_dir/xterm.js" ] && [ -f "$xterm_dir/xterm.css" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "deps: xterm.js missing from $xterm_dir (run make deps as root)" >&2
		return 1
	fi
	# a host may have Node.js with its own npm (which Debian's npm
	# package conflicts with): Debian's only when there is none
	if ! command -v npm >/dev/null; then
		echo "deps: installing npm"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    --no-install-recommends npm >/dev/null
	fi
	tmp=$(mktemp -d)
	echo "deps: xterm.js $xterm_version from npm into $xterm_dir"
	npm install --silent --no-audit --no-fund --prefix "$tmp" \
	    "@xterm/xterm@$xterm_version" >/dev/null
	install -d -m 0755 "$xterm_dir"
	install -m 0644 "$tmp/node_modules/@xterm/xterm/lib/xterm.js" \
	    "$tmp/node_modules/@xterm/xterm/css/xterm.css" "$xterm_dir/"
	rm -rf "$tmp"
}

build="make pkg-config libevent-dev libjansson-dev libnl-3-dev
libnl-route-3-dev libsqlite3-dev libnftables-dev libssl-dev libpam0g-dev"
# the appliance's kernel, when the host has none of its own
kernel=""
case "$1" in fuzz|cluster) ;; *)
	ls /boot/vmlinuz-* >/dev/null 2>&1 && [ -d /lib/modules ] ||
	    kernel=linux-image-cloud-amd64 ;;
esac
case "$1" in
fuzz)	pkgs="$build clang libclang-rt-dev" ;;
""|test)	pkgs="$build libguestfs-dev gcc libcmocka-dev qemu-system-x86 qemu-utils
busybox-static cpio gzip socat iproute2 python3 python3-yaml genisoimage
nftables dnsmasq-base groff-base man-db openssl valgrind resource-agents
libxml2-utils curl novnc chromium chromium-driver virt-viewer xvfb x11-apps" ;;
cluster) pkgs="qemu-block-extra ceph-mon ceph-mgr ceph-osd ceph-common corosync
pacemaker pacemaker-cli-utils" ;;
*)	echo "usage: deps.sh [test|fuzz|cluster]" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs $kernel; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$' || missing="$missing $p"
done
# fwsd runs qemu as fws-qemu: the accounts come with the packages
[ "$(id -u)" = 0 ] && sh "$(dirname "$0")/accounts.sh"
[ -z "$missing" ] && { xterm "$1"; exit $?; }
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run make ${1:+$1-}deps as root)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# an old or empty package list makes install fail; refresh it first
apt-get update -qq
# a package's service is not started by its installation: on a host
# without a policy of its own, one that refuses every start meanwhile
policy=/usr/sbin/policy-rc.d
if [ "$1" = cluster ] && [ ! -e "$policy" ]; then
	trap 'rm -f "$policy"' EXIT
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
fi
apt-get install -y -qq --no-install-recommends $missing >/dev/null
xterm "$1"
