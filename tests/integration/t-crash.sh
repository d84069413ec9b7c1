# t-crash.sh: a qemu that dies under fwsd (kill -9) makes its VM
# "crashed" with the reason; it can be started again.  A guest that
# powers itself off is "stopped", not crashed.
. "$(dirname "$0")/lib.sh"
start_fwsd
create_guest c1 --restart never
fwsctl start c1 >/dev/null || fail "start"
pid=$(field c1 pid)
kill -9 "$pid"
wait_until 10 state_is c1 crashed || fail "state after kill -9: $(field c1 state)"
field c1 last_exit | grep -q "killed by signal 9" || fail "last_exit: $(field c1 last_exit)"
[ ! -e "$(run_file c1 qmp)" ] || fail "stale QMP socket"
fwsctl start c1 >/dev/null || fail "start after crash"
wait_console c1 FWS-GUEST-READY
guest_type c1 'poweroff -f'
wait_until 30 state_is c1 stopped || fail "guest poweroff: $(field c1 state)"
field c1 last_exit | grep -q "the guest powered off" || fail "last_exit: $(field c1 last_exit)"
