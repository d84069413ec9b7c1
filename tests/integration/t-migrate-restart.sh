# t-migrate-restart.sh: an fwsd that ends during a migration, on either
# side; the guest never runs twice.  The hosts share a disk directory
# (migrate-lib.sh); each migration is slow (--bandwidth 1: some 100 MiB
# of RAM at 1 MiB/s), so that it is under way when an fwsd goes.
#  - A's fwsd (the source) killed -9 while the guest is sent: B sees
#    the connection gone and forgets the VM, killing its qemu; A's fwsd,
#    started again, finds the VM migrating at the step "sending",
#    cancels QEMU's migration and lets the guest run on.
#  - B's fwsd killed -9 while its arriving qemu waits for the guest, A's
#    fwsd stopped (SIGSTOP) meanwhile so that it cannot cut the stream
#    (which would end B's qemu of itself): B, started again, kills the
#    arriving qemu it finds and forgets the VM, saying so; A, continued,
#    sees the migration fail and the guest runs on there.
#  - The outcome unknown: B's fwsd held still while the qemus finish the
#    stream, then killed once A sent migrate-finish: A keeps the guest
#    paused, the VM migrating without a job; B, started again, kills the
#    qemu that never ran the guest; resume on A runs it there again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/migrate-lib.sh"

mig_hosts
mig_guest v
# goes_on: v runs on A and its counter goes on
goes_on() {
	wait_until 30 state_is v running || fail "v is $(field v state) on A: $(grep -v "QMP event\|control_" "$T/fwsd.log" | tail -12)"
	n=$(counter_last "$(console_log v)")
	wait_until 30 sh -c "[ \$(grep -a '^CNT:[0-9]' '$(console_log v)' | tail -1 | tr -dc 0-9) -gt $((n + 5)) ]" ||
	    fail "the counter stopped on A"
}
# sending: A's migration of v sends the guest (its stored step)
sending() {
	fwsctl info v --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
sys.exit(0 if v["state"] == "migrating" and (v.get("job") or {}).get("step", "").startswith("sending the guest") else 1)'
}
qemu_pid_of_b() {
	for p in /proc/[0-9]*; do
		c=$({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null)
		case $c in
		*qemu*-incoming*"$T/b/run/"*) echo "${p#/proc/}"; return 0 ;;
		esac
	done
	return 1
}

# --- A's fwsd killed while the guest is sent
fwsctl migrate v --to "tls://$IP_B" --bandwidth 1 >"$T/out" 2>"$T/err" &
MIG=$!
wait_until 60 sending || fail "v is not being sent: $(fwsctl info v --json)"
kill -KILL "$FWSD_PID"
wait "$FWSD_PID" 2>/dev/null
FWSD_PID=
rm -f "$SOCK"
wait "$MIG"; rc=$?
[ "$rc" != 0 ] || fail "migrate exited 0 with A's fwsd gone"
# B: the source's connection gone, its qemu killed, the VM forgotten
wait_until 30 no_qemu_of "$T/b/run" || fail "B's arriving qemu still runs"
wait_until 30 nothing_on_b || fail "B kept v: $(on_b fwsctl list)"
on_b fwsctl events v --json | grep -q "the source's connection was lost" ||
    fail "B's history does not say why: $(on_b fwsctl events v)"
start_fwsd
goes_on
expect_events v migrating migrate-failed
fwsctl events v | grep -q "called off; the guest runs on here" ||
    fail "A's history: $(fwsctl events v | tail -3)"
note "A's fwsd killed while sending: B forgot v at once; A's new fwsd called the migration off, the guest runs on"

# --- B's fwsd killed while its arriving qemu waits, A held still
fwsctl migrate v --to "tls://$IP_B" --bandwidth 1 >"$T/out" 2>"$T/err" &
MIG=$!
wait_until 60 sending || fail "v is not being sent: $(fwsctl info v --json)"
qpid=$(qemu_pid_of_b) || fail "no arriving qemu on B"
kill -STOP "$FWSD_PID"
stop_b KILL
alive "$qpid" || { kill -CONT "$FWSD_PID"; fail "B's qemu ended with its fwsd"; }
start_b
wait_until 30 gone "$qpid" || { kill -CONT "$FWSD_PID"; fail "B did not kill its arriving qemu $qpid"; }
grep -q "arriving when the last fwsd ended: its qemu pid $qpid is killed" "$T/fwsd-b.log" ||
    { kill -CONT "$FWSD_PID"; fail "B's log does not say it killed $qpid"; }
kill -CONT "$FWSD_PID"
wait_until 30 nothing_on_b || fail "B kept v after its restart"
on_b fwsctl events v | grep "deleted" | grep -q "did not end here" ||
    fail "B's history: $(on_b fwsctl events v | tail -3)"
wait "$MIG"; rc=$?
[ "$rc" = 1 ] || fail "migrate exited $rc: $(cat "$T/out" "$T/err")"
goes_on
expect_events v migrating migrate-failed migrating migrate-failed
note "B's fwsd killed with its qemu arriving: B, restarted, killed qemu $qpid and forgot v; A: $(cut -c1-120 "$T/err"); the guest runs on A"

# --- the outcome unknown: B's fwsd held still (SIGSTOP) while the stream
# goes on between the qemus, so that migrate-finish waits in its socket,
# then killed: A had sent it and heard nothing, so the guest stays
# paused there; B, started again, kills the qemu that never ran it; the
# admin resumes it on A
fwsctl migrate v --to "tls://$IP_B" --bandwidth 20 >"$T/out" 2>"$T/err" &
MIG=$!
wait_until 60 sending || fail "v is not being sent: $(fwsctl info v --json)"
kill -STOP "$B_PID"
finishing() {
	fwsctl info v --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
sys.exit(0 if (v.get("job") or {}).get("step") == "the guest starts on the destination" else 1)'
}
wait_until 120 finishing || { kill -CONT "$B_PID"; fail "A never sent migrate-finish: $(fwsctl info v --json | head -40)"; }
qpid=$(qemu_pid_of_b) || fail "no arriving qemu on B"
stop_b KILL
wait "$MIG"; rc=$?
[ "$rc" = 1 ] || fail "migrate exited $rc: $(cat "$T/out" "$T/err")"
grep -q "the outcome of the migration to $IP_B is unknown" "$T/err" ||
    fail "migrate said: $(cat "$T/err")"
state_is v migrating || fail "v is $(field v state) with the outcome unknown"
[ "$(field v job)" = "" ] || fail "v still has a job: $(field v job)"
expect_events v migrate-unknown
n=$(counter_last "$(console_log v)")
sleep 2
[ "$(counter_last "$(console_log v)")" = "$n" ] || fail "the guest runs on A with the outcome unknown"
start_b
wait_until 30 gone "$qpid" || fail "B did not kill its arriving qemu $qpid"
wait_until 30 nothing_on_b || fail "B kept v after its restart"
fwsctl resume v >/dev/null 2>"$T/err" || fail "resume v: $(cat "$T/err")"
goes_on
note "B killed after migrate-finish was sent: A's guest stayed paused, the VM migrating without a job (migrate-unknown); B killed qemu $qpid; resumed on A, the counter goes on"
