# t-fwsd-restart.sh: fwsd's own exit never takes a guest down: after
# SIGTERM, and after kill -9, the qemu keeps running, and the next fwsd
# adopts it (same PID, QMP works).  A VM whose qemu died while fwsd was
# away is recorded as crashed.
. "$(dirname "$0")/lib.sh"
start_fwsd
create_guest r1
create_guest r2
fwsctl start r1 >/dev/null && fwsctl start r2 >/dev/null || fail "start"
p1=$(field r1 pid)
p2=$(field r2 pid)

stop_fwsd
alive "$p1" || fail "SIGTERM to fwsd killed r1's qemu"
start_fwsd
wait_until 10 state_is r1 running || fail "r1 not adopted: $(field r1 state)"
[ "$(field r1 pid)" = "$p1" ] || fail "r1 has a new qemu"

kill -9 "$FWSD_PID"; wait "$FWSD_PID" 2>/dev/null; FWSD_PID=
alive "$p2" || fail "kill -9 of fwsd killed r2's qemu"
kill -9 "$p2"
start_fwsd
wait_until 10 state_is r1 running || fail "r1 not adopted after kill -9"
[ "$(field r1 pid)" = "$p1" ] || fail "r1 restarted"
state_is r2 crashed || fail "r2: $(field r2 state)"
field r2 last_exit | grep -q "while fwsd was not running" || fail "r2: $(field r2 last_exit)"
# QMP works on the adopted qemu
fwsctl pause r1 >/dev/null && fwsctl resume r1 >/dev/null || fail "QMP on adopted r1"
fwsctl stop r1 --timeout 0 >/dev/null || fail "stop adopted r1"
! alive "$p1" || fail "r1's qemu survived stop"
