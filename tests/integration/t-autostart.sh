# t-autostart.sh: VMs marked autostart start when fwsd starts, once per
# boot of the host (the mark is in the run directory, which a reboot
# empties), so restarting fwsd does not start a VM the operator stopped.
# shutdown-all stops every VM and cancels pending restarts.
. "$(dirname "$0")/lib.sh"
start_fwsd
create_guest s1 --autostart
create_guest s2
fwsctl autostart s2 on >/dev/null || fail "autostart on"
[ "$(field s2 autostart)" = True ] || fail "s2 autostart: $(field s2 autostart)"
fwsctl autostart s2 off >/dev/null || fail "autostart off"
[ "$(field s2 autostart)" = False ] || fail "s2 autostart: $(field s2 autostart)"
expect_rc 2 fwsctl autostart s2 maybe
expect_rc 1 fwsctl autostart nosuch on
expect_err "no VM named"

# "reboot": fwsd stops, the run directory is emptied
stop_fwsd
rm -f "$T/run/autostart.done"
start_fwsd
wait_until 60 state_is s1 running || fail "s1 not autostarted: $(field s1 state)"
state_is s2 stopped || fail "s2 started: $(field s2 state)"
expect_events s1 starting started
fwsctl events s1 | grep -q "autostart" || fail "no autostart reason: $(fwsctl events s1)"

# the operator stops s1; a restart of fwsd leaves it stopped
fwsctl stop s1 --timeout 0 >/dev/null || fail "stop s1"
stop_fwsd
start_fwsd
state_is s1 stopped || fail "s1 started again by an fwsd restart"

# shutdown-all: everything stops, at once
fwsctl start s1 >/dev/null && fwsctl start s2 >/dev/null || fail "start both"
p1=$(field s1 pid); p2=$(field s2 pid)
fwsctl shutdown-all --timeout 0 >"$T/out" || fail "shutdown-all"
grep -q "s1" "$T/out" && grep -q "s2" "$T/out" || fail "shutdown-all said: $(cat "$T/out")"
state_is s1 stopped && state_is s2 stopped || fail "not all stopped"
! alive "$p1" && ! alive "$p2" || fail "a qemu survived shutdown-all"
fwsctl shutdown-all >"$T/out" || fail "shutdown-all with nothing running"
grep -q "no VM was running" "$T/out" || fail "shutdown-all said: $(cat "$T/out")"
