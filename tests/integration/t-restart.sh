# t-restart.sh: the restart policy.  With on-failure (the default) a
# qemu killed with -9 and a guest that panics are restarted and the guest
# boots again, while a guest that powers itself off stays stopped; with
# always a guest power-off restarts too, and an operator stop never does.
# A reboot inside the guest restarts nothing.  events --follow, running
# all along, sees every event in order.
. "$(dirname "$0")/lib.sh"
start_fwsd
fwsctl events --follow --json >"$T/follow" 2>"$T/follow.err" &
create_guest a1
fwsctl start a1 >/dev/null || fail "start a1"
wait_console a1 FWS-GUEST-READY

# kill -9: crashed, restarted at once, boots again
pid=$(field a1 pid)
kill -9 "$pid"
wait_until 60 runs_anew a1 "$pid" || fail "a1 not restarted: $(field a1 state)"
wait_until "$BOOT_TIMEOUT" booted a1 2 ||
    fail "a1 did not boot again"
[ "$(field a1 restarts)" = 1 ] || fail "restarts: $(field a1 restarts)"
field a1 last_exit | grep -q "killed by signal 9" ||
    fail "last_exit: $(field a1 last_exit)"
expect_events a1 created starting started crashed restarting starting started
note "restarted after kill -9"

# a reboot inside the guest is not a crash
pid=$(field a1 pid)
guest_type a1 'reboot -f'
wait_until "$BOOT_TIMEOUT" booted a1 3 ||
    fail "a1 did not come back from its reboot"
[ "$(field a1 pid)" = "$pid" ] || fail "a guest reboot replaced qemu"
[ "$(field a1 restarts)" = 1 ] || fail "a guest reboot counted as a restart"
[ "$(last_event a1)" = reset ] || fail "last event after reboot: $(last_event a1)"
note "guest reboot: same qemu"

# guest panic (pvpanic): crashed, restarted
guest_type a1 'echo c > /proc/sysrq-trigger'
wait_until 60 runs_anew a1 "$pid" || fail "a1 not restarted after panic"
field a1 last_exit | grep -q "panicked" || fail "last_exit: $(field a1 last_exit)"
wait_until "$BOOT_TIMEOUT" booted a1 4 ||
    fail "a1 did not boot after its panic"
note "restarted after a guest panic"

# the guest powers off: on-failure leaves it stopped
guest_type a1 'poweroff -f'
wait_until 30 state_is a1 stopped || fail "a1 after poweroff: $(field a1 state)"
# the decision is taken with the exit: no restart is pending now
[ "$(last_event a1)" = stopped ] || fail "a1 after poweroff: $(events_of a1)"
[ -z "$(field a1 next_restart)" ] || fail "a1 has a restart pending"
field a1 last_exit | grep -q "powered off" || fail "last_exit: $(field a1 last_exit)"
note "poweroff with on-failure: stopped"

# always: a power-off restarts too, an operator stop does not
create_guest a2 --restart always
fwsctl start a2 >/dev/null || fail "start a2"
wait_console a2 FWS-GUEST-READY
pid=$(field a2 pid)
guest_type a2 'poweroff -f'
wait_until 60 runs_anew a2 "$pid" || fail "a2 (always) not restarted"
expect_events a2 started stopped restarting starting started
fwsctl stop a2 --timeout 0 >/dev/null || fail "stop a2"
state_is a2 stopped || fail "a2 after stop: $(field a2 state)"
[ "$(last_event a2)" = stopped ] || fail "a2 restarted after an operator stop"
note "always: restarted after poweroff, not after stop"

# the stream saw the same story, in order, with growing sequence numbers
python3 - "$T/follow" <<'EOP' || fail "events --follow: $(cat "$T/follow" "$T/follow.err")"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
seqs = [e["seq"] for e in evs]
assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
a1 = [e["event"] for e in evs if e["vm"] == "a1"]
want = ["created", "starting", "started", "crashed", "restarting",
        "starting", "started", "reset", "crashed", "restarting", "starting",
        "started", "stopped"]
assert a1 == want, a1
EOP
note "events --follow in order"
