# t-lifecycle.sh: one VM through its whole life: create, start (running
# only once QMP says so), the guest boots and its console answers,
# pause, resume, reboot (the guest boots again), a graceful stop the
# guest honours, delete.
. "$(dirname "$0")/lib.sh"
start_fwsd

create_guest t1
state_is t1 stopped || fail "a new VM is not stopped"
# the default MAC: 52:54 and random bytes, never derived from the name
# (a clash would tell users other users' VM names)
field t1 mac | grep -Eq '^52:54(:[0-9a-f]{2}){4}$' ||
    fail "MAC is not 52:54:xx:xx:xx:xx: $(field t1 mac)"
[ "$(field t1 mac)" != "52:54:$(printf t1 | gzip -c | tail -c8 | od -An -tx1 -N4 | awk '{print $4":"$3":"$2":"$1}')" ] ||
    fail "MAC is the CRC32 of the name: $(field t1 mac)"
fwsctl list --json | python3 -c '
import json, sys
l = json.load(sys.stdin)
assert len(l) == 1 and set(l[0]) == {"name","uuid","state","vcpus","memory_mib","pid","owner","loan_end","addresses"}, l
assert l[0]["addresses"] == [], l
assert l[0]["owner"] == 0 and l[0]["loan_end"] is None, l
assert l[0]["pid"] is None and l[0]["memory_mib"] == 256' || fail "list --json"

out=$(fwsctl start t1) || fail "start failed"
echo "$out" | grep -q "t1 is running (pid [0-9]*)" || fail "start said: $out"
state_is t1 running || fail "not running after start returned"
pid=$(field t1 pid)
tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "-uuid $(field t1 uuid)" ||
    fail "pid $pid is not t1's qemu"
tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "-nodefaults -no-user-config" ||
    fail "qemu lacks -nodefaults -no-user-config"
wait_console t1 FWS-GUEST-READY
note "booted"

expect_rc 1 fwsctl start t1
expect_err "already running"

guest_type t1 'echo hello-$((6*7))'
wait_console t1 hello-42 20
note "console answers"

fwsctl pause t1 | grep -q "t1 is paused" || fail "pause"
state_is t1 paused || fail "not paused"
expect_rc 1 fwsctl pause t1
expect_err "not running"
fwsctl resume t1 | grep -q "t1 is running" || fail "resume"

fwsctl reboot t1 >/dev/null || fail "reboot"
wait_until "$BOOT_TIMEOUT" sh -c "[ \$(grep -c FWS-GUEST-READY $(console_log t1)) -ge 2 ]" ||
    fail "the guest did not boot again after reboot"
[ "$(field t1 pid)" = "$pid" ] || fail "reboot changed the qemu process"
note "rebooted"

fwsctl stop t1 | grep -q "t1 is stopped" || fail "stop"
grep -q FWS-GUEST-POWEROFF "$(console_log t1)" || fail "the guest was not asked to power off"
state_is t1 stopped || fail "not stopped"
field t1 last_exit | grep -q "the guest shut down" || fail "last_exit: $(field t1 last_exit)"
[ -z "$(field t1 pid)" ] || fail "a stopped VM has a pid"
! alive "$pid" || fail "qemu $pid still exists"
[ ! -e "$(run_file t1 qmp)" ] && [ ! -e "$(run_file t1 pid)" ] || fail "run files left behind"

# the state survives a restart of fwsd
stop_fwsd
start_fwsd
state_is t1 stopped || fail "state lost over an fwsd restart"

fwsctl delete t1 | grep -q "deleted t1" || fail "delete"
[ "$(fwsctl list --json)" = "[]" ] || fail "list not empty after delete"
[ ! -e "$T/state/vms/t1" ] || fail "t1's directory is still there"
expect_rc 1 fwsctl info t1
expect_err 'no VM named "t1"'
