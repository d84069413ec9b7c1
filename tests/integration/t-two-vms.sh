# t-two-vms.sh: two VMs run at once, each with its own qemu, console and
# log; destroying one leaves the other running.
. "$(dirname "$0")/lib.sh"
start_fwsd
create_guest a
create_guest b
fwsctl start a >/dev/null & sa=$!
fwsctl start b >/dev/null & sb=$!
wait $sa || fail "start a"
wait $sb || fail "start b"
[ "$(field a pid)" != "$(field b pid)" ] || fail "one qemu for two VMs"
wait_console a FWS-GUEST-READY
wait_console b FWS-GUEST-READY
guest_type a 'echo I-am-$((1+1))-a'
wait_console a I-am-2-a 20
[ "$(count_in_console b I-am-2-a)" = 0 ] || fail "a's console output reached b"
fwsctl list | grep -q "^a  *running" || fail "list: $(fwsctl list)"
fwsctl destroy a | grep -q "a is stopped" || fail "destroy a"
state_is b running || fail "b stopped with a"
field a last_exit | grep -q "killed" || fail "a: $(field a last_exit)"
fwsctl destroy b >/dev/null || fail "destroy b"
