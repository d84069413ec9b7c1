# t-accel.sh: accel = auto on a host whose KVM cannot run guests.  The
# qemu is a fake that, asked for KVM, fails as the real one does on such
# a host (and runs the real qemu otherwise): fwsd probes it before it
# serves, chooses TCG, says why in version and in one log line, and its
# VMs boot with accel=tcg and no -cpu host.  A new qemu binary is probed
# again at the next start, in the background, and its words replace the
# old.  A qemu that never answers ends in TCG after the probe's timeout,
# and fwsd serves only then.  With accel = tcg no probe runs at all.
. "$(dirname "$0")/lib.sh"

# fake_qemu CODE: a new $T/fake-qemu (a new file: another inode and
# mtime, as after an upgrade); asked for KVM it notes the call in
# $T/kvm-calls and runs CODE, else it is the real qemu
fake_qemu() {
	{
		echo '#!/bin/sh'
		echo 'case "$*" in'
		echo '*accel=kvm*)'
		echo '	echo "$*" >> "$(dirname "$0")/kvm-calls"'
		printf '%s\n' "$1"
		echo '	;;'
		echo 'esac'
		echo 'exec /usr/bin/qemu-system-x86_64 "$@"'
	} > "$T/fake-qemu.new"
	chmod 755 "$T/fake-qemu.new"
	mv "$T/fake-qemu.new" "$T/fake-qemu"
}

# what qemu says and does where KVM cannot set an MSR (nested KVM)
MSR_FAULT='	echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x0" >&2
	echo "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3007: kvm_buf_set_msrs: Assertion '\''ret == cpu->kvm_msr_buf->nmsrs'\'' failed." >&2
	kill -ABRT $$'
# where /dev/kvm is root's alone
PERM_FAULT='	echo "Could not access KVM kernel module: Permission denied" >&2
	echo "qemu-system-x86_64: failed to initialize kvm: Permission denied" >&2
	exit 1'
# a qemu that never answers
HANG_FAULT='	while :; do sleep 1; done'

# version_field KEY: one value of version --json
version_field() {
	fwsctl version --json | python3 -c \
	    "import json,sys; print(json.load(sys.stdin)['$1'])"
}

kvm_calls() {
	wc -l < "$T/kvm-calls"
}

# on_tcg NAME: the VM's qemu runs on TCG, without -cpu host
on_tcg() {
	cmd=$(tr '\0' ' ' < "/proc/$(field "$1" pid)/cmdline")
	echo "$cmd" | grep -q -- "-machine q35,accel=tcg " ||
	    fail "$1 does not run on TCG: $cmd"
	echo "$cmd" | grep -q -- "-cpu host" && fail "$1 runs with -cpu host: $cmd"
	return 0
}

# the fake qemu runs as fws-qemu: it may append to the list
: > "$T/kvm-calls"
chmod 666 "$T/kvm-calls"
fake_qemu "$MSR_FAULT"
# write_config's "accel = tcg" comes first: the later line wins
write_config "qemu = $T/fake-qemu
accel = auto"
start_fwsd
[ "$(version_field accel)" = tcg ] || fail "version: $(fwsctl version --json)"
[ "$(version_field accel_config)" = auto ] ||
    fail "version: $(fwsctl version --json)"
version_field accel_reason | grep -q "failed to set MSR 0x10a" ||
    fail "the reason lacks qemu's words: $(version_field accel_reason)"
fwsctl version | grep -q "^accel tcg: KVM cannot run guests here: .*MSR 0x10a" ||
    fail "version: $(fwsctl version)"
[ "$(kvm_calls)" = 1 ] || fail "$(kvm_calls) probes, not 1"
grep -q -- "-machine q35,accel=kvm -cpu host -S" "$T/kvm-calls" ||
    fail "the probe lacks a VM's flags: $(cat "$T/kvm-calls")"
[ "$(grep -c "accel auto: " "$T/fwsd.log")" = 1 ] ||
    fail "not one accel line: $(grep "accel" "$T/fwsd.log")"
grep -q "accel auto: KVM cannot run guests here (qemu-system-x86_64: error: failed to set MSR 0x10a to 0x0; qemu was killed by signal 6 (Aborted)): using TCG" \
    "$T/fwsd.log" || fail "the log lacks the reason: $(grep accel "$T/fwsd.log")"
# ready only once the probe is over
[ "$(grep -n "accel auto: " "$T/fwsd.log" | cut -d: -f1)" -lt \
    "$(grep -n "serving on" "$T/fwsd.log" | cut -d: -f1)" ] ||
    fail "fwsd served before the probe ended"
grep -q "serving on .*, accel tcg" "$T/fwsd.log" || fail "serving line"
note "KVM that aborts on an MSR: TCG, and qemu's words say why"

create_guest a1
expect_rc 0 fwsctl start a1
wait_console a1 FWS-GUEST-READY
on_tcg a1
[ "$(kvm_calls)" = 1 ] || fail "the same qemu was probed again"
note "a VM boots on TCG"

# an upgrade: another qemu, which fails otherwise; the start in hand is
# on TCG (the answer so far), the new probe's words follow
fwsctl destroy a1 >/dev/null || fail "destroy a1"
fake_qemu "$PERM_FAULT"
create_guest a2
expect_rc 0 fwsctl start a2
on_tcg a2
wait_until 15 sh -c "'$FWSCTL_BIN' --socket '$SOCK' version | grep -q 'Permission denied'" ||
    fail "the reason stayed: $(version_field accel_reason)"
version_field accel_reason | grep -q "Could not access KVM kernel module: Permission denied" ||
    fail "reason: $(version_field accel_reason)"
[ "$(version_field accel)" = tcg ] || fail "accel: $(version_field accel)"
grep -q "accel auto: $T/fake-qemu changed: probing KVM again" "$T/fwsd.log" ||
    fail "the re-probe was not logged"
grep -q "accel auto: KVM cannot run guests here (Could not access KVM kernel module: Permission denied; qemu exited with status 1): using TCG" \
    "$T/fwsd.log" || fail "the new answer was not logged"
[ "$(kvm_calls)" = 2 ] || fail "$(kvm_calls) probes, not 2"
fwsctl destroy a2 >/dev/null || fail "destroy a2"
expect_rc 0 fwsctl start a1
on_tcg a1
[ "$(kvm_calls)" = 2 ] || fail "$(kvm_calls) probes, not 2"
fwsctl destroy a1 >/dev/null || fail "destroy a1"
note "a new qemu binary: probed again, the new words shown"

# a qemu that hangs when asked for KVM: fwsd waits for the probe's
# timeout, then serves on TCG; the probe qemu is gone
stop_fwsd
fake_qemu "$HANG_FAULT"
start=$(date +%s)
start_fwsd 30
[ $(( $(date +%s) - start )) -ge 9 ] || fail "fwsd served before the timeout"
version_field accel_reason | grep -q "qemu did not answer within 10 s" ||
    fail "reason: $(version_field accel_reason)"
[ "$(version_field accel)" = tcg ] || fail "accel: $(version_field accel)"
grep -q "accel auto: KVM cannot run guests here (qemu did not answer within 10 s): using TCG" \
    "$T/fwsd.log" || fail "the timeout was not logged"
for p in $(our_pids); do
	tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q "accel=kvm" &&
	    alive "$p" && fail "the probe qemu $p is still there"
done
expect_rc 0 fwsctl start a1
on_tcg a1
fwsctl destroy a1 >/dev/null || fail "destroy a1"
note "a qemu that never answers: TCG after 10 s"

# accel = tcg: no probe, not even for a new binary
stop_fwsd
: > "$T/kvm-calls"
fake_qemu "$MSR_FAULT"
write_config "qemu = $T/fake-qemu"
logged=$(grep -c "accel auto: " "$T/fwsd.log")
start_fwsd
[ "$(version_field accel_reason)" = "set in fwsd.conf" ] ||
    fail "reason: $(version_field accel_reason)"
[ "$(version_field accel_config)" = tcg ] || fail "accel_config"
expect_rc 0 fwsctl start a1
on_tcg a1
fake_qemu "$PERM_FAULT"
expect_rc 0 fwsctl start a2
on_tcg a2
[ ! -s "$T/kvm-calls" ] || fail "a probe ran: $(cat "$T/kvm-calls")"
[ "$(grep -c "accel auto: " "$T/fwsd.log")" = "$logged" ] ||
    fail "a probe was logged: $(grep "accel auto: " "$T/fwsd.log" | tail -1)"
note "accel = tcg: no probe"
