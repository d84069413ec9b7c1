# t-notify.sh: fwsd under systemd's notification protocol, with a fake
# NOTIFY_SOCKET receiver: READY=1 comes once the control socket answers
# (a client connecting at that moment is served), STATUS= carries the VM
# counts, WATCHDOG=1 arrives at half of WATCHDOG_USEC, and STOPPING=1
# on SIGTERM.  Under systemd (JOURNAL_STREAM set) log lines carry <N>
# priority prefixes.
. "$(dirname "$0")/lib.sh"
python3 - "$T/notify" "$SOCK" >"$T/notes" 2>"$T/notes.err" <<'EOP' &
import json, socket, sys, time
rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
rx.bind(sys.argv[1])
rx.settimeout(30)
t0 = time.monotonic()
while True:
    msg = rx.recv(4096).decode()
    line = "%.3f %s" % (time.monotonic() - t0, msg)
    if msg == "READY=1":
        # at READY the control socket must already serve a request
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(sys.argv[2])
        c.sendall(b'{"id":1,"cmd":"version"}\n')
        line += " served=" + str(b'"ok":true' in c.recv(4096))
        c.close()
    print(line, flush=True)
    if msg == "STOPPING=1":
        break
EOP
rxpid=$!
wait_until 5 test -S "$T/notify" || fail "no receiver"
NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=400000 JOURNAL_STREAM=8:1234 start_fwsd
wait_until 10 grep -q "READY=1" "$T/notes" || fail "no READY=1: $(cat "$T/notes" "$T/notes.err")"
grep -q "READY=1 served=True" "$T/notes" || fail "READY before the socket served: $(cat "$T/notes")"
grep -q "STATUS=0 of 0 VMs running" "$T/notes" || fail "no STATUS: $(cat "$T/notes")"
create_guest n1
fwsctl start n1 >/dev/null || fail "start n1"
wait_until 10 grep -q "STATUS=1 of 1 VMs running" "$T/notes" || fail "STATUS not updated: $(cat "$T/notes")"
sleep 1.5
pings=$(grep -c "WATCHDOG=1" "$T/notes")
[ "$pings" -ge 4 ] || fail "$pings watchdog pings in 1.5 s (every 0.2 s expected)"
qpid=$(field n1 pid)
grep -q "^<6>" "$T/fwsd.log" || fail "no <6> priority prefixes: $(head -3 "$T/fwsd.log")"
stop_fwsd
wait_until 5 grep -q "STOPPING=1" "$T/notes" || fail "no STOPPING=1: $(cat "$T/notes")"
wait "$rxpid"
# the qemu it started was not told about the notify socket
tr '\0' '\n' < "/proc/$qpid/environ" | grep -q NOTIFY_SOCKET &&
    fail "qemu inherited NOTIFY_SOCKET"
true
