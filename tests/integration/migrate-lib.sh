# migrate-lib.sh: what the migration tests share (sourced after lib.sh).
# mig_hosts makes two "hosts": fwsd A (lib.sh's, in its namespace) and
# fwsd B (in a namespace of its own, with its own state and run
# directories and cgroup subtree), joined by a veth pair with addresses
# of the test's own, each with a host certificate of a CA made by
# fws-tls-setup, listening on listen_tls, the other's CN an admin in
# its tls_allowed; with a shared disk_dir unless MIG_SHARED=no.  With
# MIG_NAMES=yes the hosts' names hosta and hostb (their certificates'
# CNs) are in both namespaces' /etc/hosts, for tls://hostb.

# the test's own /24 in 10.251/16, from its directory's name
mig_n=$(( $(printf '%s' "$T" | cksum | cut -d' ' -f1) % 250 + 1 ))
IP_A=10.251.$mig_n.1
IP_B=10.251.$mig_n.2
PKI=$T/pki
SHARED=$T/shared
SOCKB=$T/b/run/fwsd.sock
HOST_STATE=$T/state
B_PID=

# the console log of a VM of the host HOST_STATE names (A's, or B's in on_b)
console_log() {
	echo "$HOST_STATE/vms/$1/console.log"
}

# on_b COMMAND...: a command (fwsctl, a helper) against B
on_b() {
	SOCK=$SOCKB HOST_STATE=$T/b/state "$@"
}

# mig_conf HOST IP PEER_CN [DISK_DIR]: a host's fwsd.conf lines
mig_conf() {
	printf '%s\n' "listen_tls = $2:16514" \
	    "tls_cert = $PKI/hosts/$1/cert.pem" \
	    "tls_key = $PKI/hosts/$1/key.pem" \
	    "tls_ca = $PKI/ca.pem" \
	    "tls_allowed = $3 => admin" \
	    "public_host = $2" \
	    ${4:+"disk_dir = $4"} \
	    ${MIG_EXTRA:+"$MIG_EXTRA"}
}

start_b() {
	ip netns exec "$NSB" sh "$T/ns-cgroups" $FWSD_WRAP "$FWSD" \
	    --foreground --verbose --config "$T/b/fwsd.conf" \
	    --state-dir "$T/b/state" --run-dir "$T/b/run" \
	    >>"$T/fwsd-b.log" 2>&1 &
	B_PID=$!
	wait_until 10 test -S "$SOCKB" || fail "fwsd B did not start"
}

stop_b() {
	kill -"${1:-TERM}" "$B_PID" 2>/dev/null
	wait "$B_PID" 2>/dev/null
	rm -f "$SOCKB"
	B_PID=
}

mig_hosts() {
	shared=$SHARED
	[ "${MIG_SHARED:-yes}" = yes ] || shared=
	sh "$TOP/contrib/fws-tls-setup" ca "$PKI" >/dev/null ||
	    fail "fws-tls-setup ca"
	sh "$TOP/contrib/fws-tls-setup" host "$PKI" hosta "$IP_A" >/dev/null ||
	    fail "fws-tls-setup host a"
	sh "$TOP/contrib/fws-tls-setup" host "$PKI" hostb "$IP_B" >/dev/null ||
	    fail "fws-tls-setup host b"
	write_config "$(mig_conf hosta "$IP_A" hostb $shared)"
	use_netns
	make_netns b; NSB=$MADE_NS
	netns_resolv "$NSB" 127.0.0.1
	if [ "${MIG_NAMES:-no}" = yes ]; then
		for ns in "$NETNS" "$NSB"; do
			printf '127.0.0.1 localhost\n%s hosta\n%s hostb\n' \
			    "$IP_A" "$IP_B" >"/etc/netns/$ns/hosts"
		done
	fi
	ip -n "$NETNS" link add mva type veth peer name mvb netns "$NSB" ||
	    fail "veth"
	ip -n "$NETNS" addr add "$IP_A/24" dev mva
	ip -n "$NSB" addr add "$IP_B/24" dev mvb
	ip -n "$NETNS" link set mva up
	ip -n "$NSB" link set mvb up
	mkdir -p "$T/b/state" "$T/b/run"
	mkdir -p "$T/b"
	{ sed '/^listen_tls\|^tls_\|^public_host\|^disk_dir\|^cgroup/d' \
	    "$T/fwsd.conf"
	  echo "cgroup = $CGROUP_NAME-b"
	  mig_conf hostb "$IP_B" hosta $shared; } >"$T/b/fwsd.conf"
	# what a test needs in the namespaces before the fwsds start
	[ -n "${MIG_BEFORE_START:-}" ] && $MIG_BEFORE_START
	start_fwsd
	start_b		# lib.sh's cleanup ends it and its qemus by $T
}

# nothing_on_b: B has no VM
nothing_on_b() {
	[ -z "$(on_b fwsctl list --json | python3 -c 'import json,sys; print(" ".join(v["name"] for v in json.load(sys.stdin)))')" ]
}

# mig_guest NAME: a guest with a 16M disk running on A, its counter going
mig_guest() {
	create_guest "$1" --disk 16M
	fwsctl start "$1" >/dev/null || fail "start $1 on A"
	wait_console "$1" FWS-GUEST-READY
	counter_start "$1"
}

# counter_start NAME: the guest prints CNT:N every 100 ms, N from 1
counter_start() {
	guest_type "$1" '(i=0; while :; do i=$((i+1)); echo CNT:$i; usleep 100000; done) &'
	wait_until 30 sh -c "[ \$(grep -ac '^CNT:' '$(console_log "$1")') -gt 5 ]" ||
	    fail "$1: no counter"
}

# counter_last LOG: the last whole counter line's number
counter_last() {
	grep -a '^CNT:[0-9]' "$1" | tail -1 | tr -dc '0-9'
}

# counter_goes_on NAME LOG [FROM]: the counter in LOG (the destination's
# new log) goes on from FROM (or more than 5): at least 15 lines, each
# one more than the last, but for gaps (the downtime) of under 20 s
counter_goes_on() {
	wait_until 60 sh -c "[ \$(grep -ac '^CNT:' '$2') -ge 15 ]" ||
	    fail "$1: the counter stopped: $(tail -3 "$2")"
	python3 - "$2" "${3:-6}" <<'EOP' || fail "$1: the counter restarted or went back: $(grep -a CNT: "$2" | head -5 | tr '\r\n' '  ')"
import re, sys
nums = [int(m.group(1)) for m in
        (re.match(r'^CNT:(\d+)\r?$', l) for l in
         open(sys.argv[1], errors="replace").read().split("\n")) if m]
assert len(nums) >= 15, nums
assert nums[0] >= int(sys.argv[2]), (nums[0], sys.argv[2])
for a, b in zip(nums, nums[1:]):
    assert 0 < b - a < 200, (a, b)
print(max(b - a for a, b in zip(nums, nums[1:])))
EOP
}

# expect_events_on A|B NAME EVENT...: the host's history of NAME holds them
expect_events_on() {
	h=$1; shift
	if [ "$h" = B ]; then on_b expect_events "$@"; else expect_events "$@"; fi
}

# no_qemu_of DIR: no process's command line names DIR (a host's run dir)
no_qemu_of() {
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null |
		    grep -q "qemu.*$1" && return 1
	done
	return 0
}
