# t-crash-loop.sh: restarts back off (the first at once, then
# restart_delay, doubling) and a VM that keeps crashing is marked failed
# after crash_loop_restarts restarts within crash_loop_window; it stays
# down until the operator starts it, which clears the count.
. "$(dirname "$0")/lib.sh"
write_config "restart_delay = 1
crash_loop_restarts = 2
crash_loop_window = 300"
start_fwsd
create_guest l1
fwsctl start l1 >/dev/null || fail "start"
for i in 1 2; do
	pid=$(field l1 pid)
	kill -9 "$pid"
	wait_until 60 runs_anew l1 "$pid" || fail "restart $i: $(field l1 state)"
done
fwsctl events l1 --json | grep '"restarting"' >"$T/restarting"
grep -q '"in 0 s' "$T/restarting" || fail "first restart not at once: $(cat "$T/restarting")"
grep -q '"in 1 s' "$T/restarting" || fail "second restart not backed off: $(cat "$T/restarting")"

pid=$(field l1 pid)
kill -9 "$pid"
wait_until 30 state_is l1 failed || fail "third crash: $(field l1 state)"
[ -z "$(field l1 pid)" ] || fail "a failed VM has a qemu"
[ -z "$(field l1 next_restart)" ] || fail "a failed VM has a restart pending"
[ "$(field l1 restarts)" = 2 ] || fail "restarts: $(field l1 restarts)"
expect_events l1 crashed restarting started crashed restarting started crashed failed
fwsctl list | grep -q "^l1 *failed" || fail "list: $(fwsctl list)"
# destroy and console make no sense now; a stop takes note (stopped),
# and start works either way
expect_rc 1 fwsctl destroy l1
expect_err "not running"
fwsctl stop l1 >/dev/null || fail "stop of a failed VM"
state_is l1 stopped || fail "a failed VM stopped is $(field l1 state)"
fwsctl start l1 >/dev/null || fail "start after failed"
state_is l1 running || fail "after start: $(field l1 state)"
# the count started over: one more crash is restarted, not failed
pid=$(field l1 pid)
kill -9 "$pid"
wait_until 60 runs_anew l1 "$pid" || fail "crash after a fresh start: $(field l1 state)"

# a restart still waiting for its time when fwsd stops is not forgotten
stop_fwsd
write_config "restart_delay = 60"
start_fwsd
wait_until 10 state_is l1 running || fail "l1 not adopted: $(field l1 state)"
pid=$(field l1 pid)
kill -9 "$pid"
wait_until 60 runs_anew l1 "$pid" || fail "first crash after adoption"
pid=$(field l1 pid)
kill -9 "$pid"
restart_pending() { [ -n "$(field l1 next_restart)" ]; }
wait_until 10 restart_pending || fail "no restart pending: $(field l1 state)"
state_is l1 crashed || fail "l1 while waiting: $(field l1 state)"
stop_fwsd
start_fwsd
wait_until 60 runs_anew l1 "$pid" || fail "pending restart lost: $(field l1 state)"
