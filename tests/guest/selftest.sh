#!/bin/sh
# tests/guest/selftest.sh -- owns the end-to-end check of the test guest
# built by tests/guest/build.sh: boots it under qemu (TCG is fine), waits
# for FWS-GUEST-READY on the serial log, runs a command through the serial
# socket, then presses the ACPI power button over QMP (system_powerdown)
# and checks that the guest prints FWS-GUEST-POWEROFF and that qemu exits
# by itself.  Prints the boot time.  Exit status 0 on success.
# Environment (all optional):
#   FWS_GUEST_APPEND     kernel command line (default: the recommended one)
#   FWS_GUEST_QEMU_ARGS  extra qemu arguments (word-split)
#   FWS_GUEST_CHECK      extra shell command to run in the guest; its output
#                        must contain FWS_GUEST_EXPECT
#   FWS_GUEST_LOG        copy the serial log to this file at exit
#   QEMU                 qemu binary (default qemu-system-x86_64)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
QEMU=${QEMU:-qemu-system-x86_64}
APPEND=${FWS_GUEST_APPEND:-"console=ttyS0 quiet"}
BOOT_TIMEOUT=120
OFF_TIMEOUT=30

sh "$here/build.sh"

command -v python3 >/dev/null || { echo "selftest: needs python3" >&2; exit 1; }
accel=tcg
[ -w /dev/kvm ] && accel=kvm:tcg

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fws-guest-selftest.XXXXXX")
qpid=""
cleanup() {
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
	if [ -n "${FWS_GUEST_LOG:-}" ] && [ -f "$tmp/serial.log" ]; then
		cp "$tmp/serial.log" "$FWS_GUEST_LOG" || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

fail() {
	echo "selftest: FAIL: $*" >&2
	if [ -f "$tmp/serial.log" ]; then
		echo "---- serial log ----" >&2
		tail -n 40 "$tmp/serial.log" >&2
		echo "--------------------" >&2
	fi
	[ -s "$tmp/qemu.err" ] && cat "$tmp/qemu.err" >&2
	exit 1
}
now() { python3 -c 'import time; print("%.3f" % time.monotonic())'; }
elapsed() { python3 -c "import sys; print('%.1f' % ($(now) - $1))"; }
# wait_log PATTERN SECONDS: until the serial log has a line matching
wait_log() {
	python3 - "$tmp/serial.log" "$1" "$2" "$qpid" <<'EOF'
import os, re, sys, time
path, pat, limit, pid = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
end = time.monotonic() + limit
rx = re.compile(pat.encode(), re.M)
while time.monotonic() < end:
    try:
        with open(path, "rb") as f:
            if rx.search(f.read()):
                sys.exit(0)
    except FileNotFoundError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit(2)
    time.sleep(0.05)
sys.exit(1)
EOF
}
# serial_send TEXT: write TEXT and a newline to the guest's serial port
serial_send() {
	python3 - "$tmp/serial.sock" "$1" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
time.sleep(0.2)
s.close()
EOF
}
# qmp COMMAND: run one QMP command (after the capabilities handshake)
qmp() {
	python3 - "$tmp/qmp.sock" "$1" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile("rwb")
def reply():
    while True:
        m = json.loads(f.readline())
        if "event" not in m:
            return m
assert "QMP" in reply()
for cmd in ("qmp_capabilities", sys.argv[2]):
    f.write(json.dumps({"execute": cmd}).encode() + b"\n")
    f.flush()
    r = reply()
    if "return" not in r:
        sys.exit("qmp %s: %s" % (cmd, r))
s.close()
EOF
}

t0=$(now)
# shellcheck disable=SC2086
"$QEMU" -nodefaults -no-user-config -machine q35,accel=$accel -m 256 \
    -display none \
    -kernel "$here/out/vmlinuz" -initrd "$here/out/initrd.img" \
    -append "$APPEND" \
    -chardev "socket,id=ser0,path=$tmp/serial.sock,server=on,wait=off,logfile=$tmp/serial.log" \
    -serial chardev:ser0 \
    -qmp "unix:$tmp/qmp.sock,server=on,wait=off" \
    ${FWS_GUEST_QEMU_ARGS:-} \
    </dev/null >/dev/null 2>"$tmp/qemu.err" &
qpid=$!

wait_log '^FWS-GUEST-READY' "$BOOT_TIMEOUT" ||
    fail "no FWS-GUEST-READY within ${BOOT_TIMEOUT}s"
boot=$(elapsed "$t0")
echo "selftest: guest ready after ${boot}s (accel=$accel, append: $APPEND)"

serial_send 'echo hello-$((6*7))'
wait_log '^hello-42' 20 || fail "no hello-42 from the serial shell"
echo "selftest: serial shell works"

if [ -n "${FWS_GUEST_CHECK:-}" ]; then
	serial_send "${FWS_GUEST_CHECK}"
	wait_log "${FWS_GUEST_EXPECT:?FWS_GUEST_EXPECT unset}" 20 ||
	    fail "no '$FWS_GUEST_EXPECT' from: $FWS_GUEST_CHECK"
	echo "selftest: check passed: $FWS_GUEST_CHECK"
fi

t1=$(now)
qmp system_powerdown || fail "QMP system_powerdown failed"
i=0
while kill -0 "$qpid" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -le $((OFF_TIMEOUT * 10)) ] ||
	    fail "qemu still running ${OFF_TIMEOUT}s after system_powerdown"
	sleep 0.1
done
rc=0
wait "$qpid" || rc=$?
qpid=""
[ "$rc" = 0 ] || fail "qemu exited with status $rc"
grep -q '^FWS-GUEST-POWEROFF' "$tmp/serial.log" ||
    fail "qemu exited but FWS-GUEST-POWEROFF is not in the serial log"
echo "selftest: ACPI poweroff took $(elapsed "$t1")s; qemu exited cleanly"
echo "selftest: OK (boot ${boot}s, initrd $(wc -c < "$here/out/initrd.img") bytes, kernel $(cat "$here/out/VERSION"))"
