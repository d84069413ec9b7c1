# lib.sh: what every integration test sources.  It makes a private
# fwsd (temporary state, run and image directories, its own socket),
# helpers to drive it and to check results, and a trap that ends every
# process the test started (fwsd and each qemu, by PID) and removes its
# files, whether the test passes or fails.
#
# FWS_BUILD names the directory holding the fwsd and fwsctl under test
# (build/ by default; check-asan gives build-asan/), FWS_TIME_SCALE
# multiplies every wait (for slow, e.g. sanitized, builds).
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${FWS_BUILD:-$TOP/build}
FWSD=$BUILD/fwsd
FWSCTL_BIN=$BUILD/fwsctl
TIME_SCALE=${FWS_TIME_SCALE:-1}
GUEST_BUILT=$TOP/tests/guest/out
# the test guest: a Debian cloud kernel and a busybox initramfs
GUEST_APPEND=${GUEST_APPEND:-"console=ttyS0 quiet panic=-1"}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-120}

# qemu runs as fws-qemu: what it reads must be reachable by it, wherever
# the tree was cloned, so the guest is copied next to the test's images
T=$(mktemp -d /tmp/fws-it.XXXXXX)
chmod 0755 "$T"
mkdir -p "$T/state" "$T/run" "$T/images" "$T/guest"
chmod 0755 "$T/images" "$T/guest"
GUEST=$T/guest
cp "$GUEST_BUILT/vmlinuz" "$GUEST_BUILT/initrd.img" "$GUEST/" 2>/dev/null
KERNEL=$GUEST/vmlinuz
INITRD=$GUEST/initrd.img
# the VNC servers listen on a loopback address of this test's own
# (127.0.0.0/8 is all loopback): port 5900 and up may be taken by
# another fwsd on the host, e.g. another suite running at once
vnc_n=$(printf '%s' "$T" | cksum | cut -d' ' -f1)
VNC_ADDR=127.$((vnc_n % 254 + 1)).$((vnc_n / 254 % 256)).$((vnc_n / 65024 % 254 + 1))
SOCK=$T/run/fwsd.sock
FWSD_PID=
NETNS=		# set by use_netns: fwsd (and its qemus) run in it
NETNS_ALL=	# every namespace the test made, removed at the end
MOUNTS=		# every file system the test mounted, unmounted at the end
USERS=		# every account the test made, removed at the end
AT_EXIT=		# shell commands the cleanup runs (a host setting put back)
TEST_NAME=$(basename "$0" .sh)
# this test's own cgroup subtree (fwsd.conf's cgroup): tests in parallel
# never share one, and the cleanup removes it
CGROUP_NAME="fws-it-${T##*.}"

# every process whose command line names our temporary directory is ours
our_pids() {
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ "$pid" = "$$" ] && continue
		if { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null | grep -q -- "$T/"; then
			echo "$pid"
		fi
	done
}

cleanup() {
	rc=$?
	trap - EXIT HUP INT TERM
	trap '' PIPE	# a reader gone (| head) must not stop the cleanup
	# SIGTERM first: fwsd's own exit path runs (and a sanitized fwsd
	# checks for leaks); then whatever is left goes
	if [ -n "$FWSD_PID" ] && kill -TERM "$FWSD_PID" 2>/dev/null; then
		wait_until 10 gone "$FWSD_PID"
		kill -9 "$FWSD_PID" 2>/dev/null
		wait "$FWSD_PID" 2>/dev/null
	fi
	pids=$(our_pids)
	for pid in $pids; do
		kill -9 "$pid" 2>/dev/null
	done
	# a dying process may still hold files in the mounts below
	for pid in $pids; do
		wait_until 5 gone "$pid"
	done
	if [ "$rc" != 0 ] && [ -f "$T/fwsd.log" ]; then
		echo "--- fwsd log (last 30 lines) ---"
		tail -30 "$T/fwsd.log"
		# a second host's (migrate-lib.sh), and its guests' consoles
		if [ -f "$T/fwsd-b.log" ]; then
			echo "--- the second fwsd's log (last 30 lines) ---"
			tail -30 "$T/fwsd-b.log"
		fi
		for f in "$T"/state/vms/*/qemu.log "$T"/state/users/*/vms/*/qemu.log \
		    "$T"/b/state/vms/*/qemu.log; do
			[ -f "$f" ] && { echo "--- $f"; tail -5 "$f"; }
		done
	fi
	for m in $MOUNTS; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	[ -z "$AT_EXIT" ] || eval "$AT_EXIT"
	cgroup_remove
	for ns in $NETNS_ALL; do
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	for u in $USERS; do
		userdel "$u" 2>/dev/null
	done
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM

# is the process there and not a zombie (PID 1 here may not reap)?
alive() {
	[ -r "/proc/$1/stat" ] && ! awk '{ exit $3 != "Z" }' "/proc/$1/stat"
}

gone() {
	! alive "$1"
}

fail() {
	echo "FAIL: $TEST_NAME: $*" >&2
	exit 1
}

note() {
	echo "  $TEST_NAME: $*"
}

# cgroup_dirs: the directories of this test's cgroup subtrees (one per v1
# hierarchy, or the one of v2): its fwsd's, and $CGROUP_NAME-* of a
# second fwsd's
cgroup_dirs() {
	find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -type d \
	    \( -name "$CGROUP_NAME" -o -name "$CGROUP_NAME-*" \) 2>/dev/null
}

# the test's cgroups, its VMs' and the subtree's (their processes were
# killed: a cgroup is busy until its dead are reaped, so a few tries)
cgroup_remove() {
	for d in $(cgroup_dirs); do
		for v in "$d"/*/; do
			[ -d "$v" ] && wait_until 5 rmdir "$v"
		done
		rmdir "$d" 2>/dev/null
	done
}

# tests pin the accelerator: a host's /dev/kvm may exist and still not
# run guests (tests that need "auto" say so in their own lines)
write_config() {
	cat > "$T/fwsd.conf" <<EOC
accel = tcg
image_dirs = $T/images:$GUEST
stop_timeout = 30
vnc_listen = $VNC_ADDR
cgroup = $CGROUP_NAME
$*
EOC
}

# make_netns SUFFIX: a fresh network namespace, named in $MADE_NS;
# removed at the end (not in a subshell: the list must survive)
make_netns() {
	MADE_NS="fws-${T##*.}-$1"
	ip netns add "$MADE_NS" || fail "ip netns add $MADE_NS"
	NETNS_ALL="$NETNS_ALL $MADE_NS"
	ip -n "$MADE_NS" link set lo up
}

# use_netns: fwsd and everything it starts live in a namespace of ours,
# whose resolv.conf (what dnsmasq forwards to) names a server that is
# not there: no name a guest asks for reaches the host's resolvers
use_netns() {
	make_netns fwsd
	NETNS=$MADE_NS
	netns_resolv "$NETNS" 127.0.0.1
}

# ns_cgroups: $T/ns-cgroups, a script that mounts the host's cgroup file
# systems (cpu, cpuacct, memory; cgroup2) again and execs its arguments:
# "ip netns exec" mounts a sysfs of the namespace on /sys, and fwsd there
# would find no cgroups
ns_cgroups() {
	awk '{
		for (i = 1; i <= NF && $i != "-"; i++)
			;
		t = $(i + 1); o = $(i + 3)
		if (t == "tmpfs" && $5 == "/sys/fs/cgroup")
			print "mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup"
		else if (t == "cgroup2" || (t == "cgroup" &&
		    o ~ /(^|,)(cpu|cpuacct|memory)(,|$)/)) {
			sub(/^r[ow],?/, "", o)
			print "mkdir -p " $5 " && mount -t " t \
			    (o != "" ? " -o " o : "") " " t " " $5
		}
	}
	BEGIN { print "set -e" }
	END { print "exec \"$@\"" }' /proc/self/mountinfo >"$T/ns-cgroups"
}

# netns_resolv NS SERVER: what runs under "ip netns exec NS" (fwsd and
# its dnsmasq) reads a resolv.conf naming SERVER alone (removed with NS)
netns_resolv() {
	mkdir -p "/etc/netns/$1" &&
	    echo "nameserver $2" > "/etc/netns/$1/resolv.conf" ||
	    fail "cannot write /etc/netns/$1/resolv.conf"
}

# in_ns COMMAND...: run a command in fwsd's namespace
in_ns() {
	ip netns exec "$NETNS" "$@"
}

# FWSD_WRAP: a command fwsd is run under, e.g. "prlimit --nofile=64:64"
# (it must exec fwsd, so that $FWSD_PID is fwsd's); FWSD_ARGS: more flags
FWSD_WRAP=
FWSD_ARGS=

# start_fwsd [SECONDS]: fwsd in the foreground, serving within SECONDS
# (10 by default)
start_fwsd() {
	[ -f "$T/fwsd.conf" ] || write_config
	[ -z "$NETNS" ] || ns_cgroups
	${NETNS:+ip netns exec "$NETNS" sh "$T/ns-cgroups"} $FWSD_WRAP "$FWSD" --foreground --verbose --config "$T/fwsd.conf" \
	    --state-dir "$T/state" --run-dir "$T/run" $FWSD_ARGS >>"$T/fwsd.log" 2>&1 &
	FWSD_PID=$!
	wait_until "${1:-10}" test -S "$SOCK" || fail "fwsd did not start"
}

stop_fwsd() {
	kill -TERM "$FWSD_PID"
	wait "$FWSD_PID" 2>/dev/null
	FWSD_PID=
}

fwsctl() {
	"$FWSCTL_BIN" --socket "$SOCK" "$@"
}

# wait_until SECONDS COMMAND...: retry the command until it succeeds
# (SECONDS times FWS_TIME_SCALE)
wait_until() {
	limit=$(( $1 * 5 * TIME_SCALE )); shift
	i=0
	while [ "$i" -lt "$limit" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# expect_rc RC COMMAND...: the command must exit with RC; its stderr is
# kept in $T/err for expect_err
expect_rc() {
	want=$1; shift
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	[ "$got" = "$want" ] || fail "'$*' exited $got, not $want: $(cat "$T/err")"
}

expect_err() {
	grep -q -- "$1" "$T/err" || fail "error lacks '$1': $(cat "$T/err")"
}

# field NAME KEY: one value of info --json
field() {
	fwsctl info "$1" --json | python3 -c \
	    "import json,sys; v=json.load(sys.stdin)['$2']; print('' if v is None else v)"
}

state_is() {
	[ "$(field "$1" state)" = "$2" ]
}

# run_file NAME SUFFIX: a VM's file in the run directory (named by uuid)
run_file() {
	echo "$T/run/$(field "$1" uuid).$2"
}

console_log() {
	echo "$T/state/vms/$1/console.log"
}

# the console log of a user's VM: user_console USER NAME
user_console() {
	echo "$T/state/users/$(uid_of "$1")/vms/$2/console.log"
}

# count_in_console NAME TEXT
count_in_console() {
	grep -c -- "$2" "$(console_log "$1")" 2>/dev/null || true
}

wait_console() {
	wait_until "${3:-$BOOT_TIMEOUT}" grep -q -- "$2" "$(console_log "$1")" ||
	    fail "$1: '$2' never appeared on the console"
}

# slow_qemu_img SECONDS: $T/slow-qemu-img, a qemu-img whose "snapshot"
# waits SECONDS first, after leaving $T/marks/img-running (it runs as a
# VM's qemu uid: the marks directory is open to all), for qemu_img =
slow_qemu_img() {
	mkdir -p -m 1777 "$T/marks"
	cat > "$T/slow-qemu-img" <<EOS
#!/bin/sh
if [ "\$1" = snapshot ]; then
	touch "$T/marks/img-running"
	sleep $1
fi
exec /usr/bin/qemu-img "\$@"
EOS
	chmod +x "$T/slow-qemu-img"
}

# guest_answer NAME TAG EXPR: the guest's shell asked to echo
# "TAG:EXPR:" (EXPR expanded there, e.g. '$(nproc)'); prints what it
# answered between "TAG:" and the last ":"
guest_answer() {
	_log=$(console_log "$1")
	_n=$(grep -ac "$2:[0-9A-Za-z]" "$_log")
	guest_type "$1" "echo \"$2:$3:\""
	wait_until 30 sh -c "[ \$(grep -ac '$2:[0-9A-Za-z]' '$_log') -gt $_n ]" ||
	    fail "$1 did not answer $2"
	grep -a "$2:[0-9A-Za-z]" "$_log" | tail -1 | sed "s/.*$2:\(.*\):.*/\1/"
}

# type a line into the guest's shell through fwsctl console
guest_type() {
	printf '%s\n' "$2" | fwsctl console "$1" >/dev/null 2>"$T/err" ||
	    fail "console to $1 failed"
}

create_guest() {
	name=$1; shift
	fwsctl create "$name" --vcpus 1 --memory 256 --kernel "$KERNEL" \
	    --initrd "$INITRD" --append "$GUEST_APPEND" "$@" >/dev/null ||
	    fail "create $name failed"
}

# send one raw line to fwsd, print the reply line
raw() {
	printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:$SOCK"
}

# events_of NAME: the VM's event names, oldest first, on one line
events_of() {
	fwsctl events "$1" --json --limit 100000 | python3 -c \
	    "import json,sys; print(' '.join(json.loads(l)['event'] for l in sys.stdin))"
}

# in_order "LIST" A B ...: the words A, B, ... occur in LIST in that order
in_order() {
	python3 - "$@" <<'EOP'
import sys
have, want = sys.argv[1].split(), sys.argv[2:]
it = iter(have)
sys.exit(0 if all(w in it for w in want) else 1)
EOP
}

# expect_events NAME A B ...: NAME's history holds A, B, ... in order
expect_events() {
	n=$1; shift
	list=$(events_of "$n")
	in_order "$list" "$@" || fail "$n: events '$list' lack '$*' in order"
}

# last_event NAME: the VM's newest event
last_event() {
	events_of "$1" | awk '{ print $NF }'
}

# runs_anew NAME OLDPID: NAME is running, with another qemu than OLDPID
runs_anew() {
	set -- "$1" "$2" "$(fwsctl info "$1" --json | python3 -c \
	    'import json,sys; v=json.load(sys.stdin); print(v["state"], v["pid"])')"
	[ "${3%% *}" = running ] && [ "${3#* }" != "$2" ] && [ "${3#* }" != None ]
}

# booted NAME N: the guest has printed its ready marker at least N times
booted() {
	[ "$(count_in_console "$1" FWS-GUEST-READY)" -ge "$2" ]
}

# make_user SUFFIX [GROUPS]: a fresh unprivileged account in GROUPS
# (by default fws: may use fwsctl; "" for none), named in $MADE_USER;
# removed at the end
make_user() {
	MADE_USER="fwst$(echo "${T##*.}" | tr 'A-Z' 'a-z')$1"
	groups=${2-fws}
	useradd --no-create-home --home-dir /nonexistent --shell /bin/sh \
	    ${groups:+--groups "$groups"} "$MADE_USER" ||
	    fail "useradd $MADE_USER"
	USERS="$USERS $MADE_USER"
}

# make_user_pw SUFFIX [GROUPS]: make_user, with a fresh password in
# $MADE_PASS (PAM logins: the web panel's)
make_user_pw() {
	make_user "$@"
	MADE_PASS="Pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
	echo "$MADE_USER:$MADE_PASS" | chpasswd || fail "chpasswd $MADE_USER"
}

# pam_service: the PAM service fws-web as make install puts it, unless
# the host has one; removed at the end if it was ours and is unchanged
pam_service() {
	[ -e /etc/pam.d/fws-web ] && return 0
	install -m 0644 "$TOP/contrib/pam.d/fws-web" /etc/pam.d/fws-web ||
	    fail "install /etc/pam.d/fws-web"
	AT_EXIT="$AT_EXIT cmp -s $TOP/contrib/pam.d/fws-web /etc/pam.d/fws-web && rm -f /etc/pam.d/fws-web;"
}

# as USER fwsctl ARGS...: fwsctl run by another account
as() {
	u=$1; shift; shift
	runuser -u "$u" -- "$FWSCTL_BIN" --socket "$SOCK" "$@"
}

# uid_of USER
uid_of() {
	id -u "$1"
}

# small_fs DIR SIZE: a tmpfs of SIZE at DIR (for "disk full"), unmounted
# at the end
small_fs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2" tmpfs "$1" || fail "mount tmpfs on $1"
	MOUNTS="$MOUNTS $1"
}

# definitions: what create made of every VM (no run state), one JSON
# line per VM in name order: compared before and after a fault
definitions() {
	for n in $(fwsctl list --json | python3 -c \
	    'import json,sys; print(" ".join(v["name"] for v in json.load(sys.stdin)))'); do
		fwsctl info "$n" --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
keys = ("name", "uuid", "vcpus", "memory_mib", "mac", "disks", "nics",
        "iso", "kernel", "initrd", "append", "restart", "autostart", "created")
print(json.dumps({k: v[k] for k in keys}, sort_keys=True))' || return 1
	done
}

# save_definitions: remember every VM's definition (in $T/defs)
save_definitions() {
	definitions > "$T/defs" && [ -s "$T/defs" ] ||
	    fail "cannot read the definitions: $(fwsctl list 2>&1)"
}

# same_definitions WHEN: fwsd still holds exactly the saved definitions
same_definitions() {
	definitions > "$T/defs.now" 2>"$T/defs.err" ||
	    fail "$1: cannot read the definitions: $(cat "$T/defs.err")"
	cmp -s "$T/defs" "$T/defs.now" ||
	    fail "$1: definitions changed: $(diff "$T/defs" "$T/defs.now")"
}

# restart_fwsd: SIGTERM, then a new fwsd on the same directories
restart_fwsd() {
	stop_fwsd
	start_fwsd
}

# read_only DIR: from now on DIR is read-only for every new open, by a
# read-only bind mount over it (files open already stay writable, as
# after a remount of a busy file system); undone by read_write or at
# the end
read_only() {
	mount --bind "$1" "$1" || fail "bind mount $1"
	MOUNTS="$1 $MOUNTS"
	mount -o remount,bind,ro "$1" || fail "remount $1 read-only"
}

read_write() {
	umount "$1" || fail "umount $1"
}
