# t-pin.sh: vcpu-pin and emulator-pin keep a VM's threads on host CPUs
# of the operator's choice, as the kernel sees it (each thread's
# Cpus_allowed_list in /proc): live, kept in the definition through an
# fwsd restart, applied again to the new threads of the next start, and
# undone with "all".  vcpu-info shows each vCPU's thread and where it
# runs.  Refused with nothing changed: a vCPU the VM does not have, CPUs
# the host does not have, bad lists, another user's VM; vcpu-info of a
# stopped VM.
. "$(dirname "$0")/lib.sh"
make_user a; A=$MADE_USER
start_fwsd
create_guest p1 --vcpus 2
fwsctl start p1 >/dev/null || fail "start p1"
LAST=$(( $(getconf _NPROCESSORS_CONF) - 1 ))
ALL="0-$LAST"
[ "$LAST" -ge 1 ] || { note "one CPU: nothing to pin apart"; exit 0; }

# allowed TID: the thread's Cpus_allowed_list
allowed() {
	awk '/^Cpus_allowed_list:/ { print $2 }' "/proc/$(field p1 pid)/task/$1/status"
}
# tid N: vCPU N's thread, from vcpu-info
tid() {
	fwsctl vcpu-info p1 --json | python3 -c \
	    "import json,sys; print(json.load(sys.stdin)['vcpus'][$1]['thread_id'])"
}
main_tid() {
	field p1 pid
}

fwsctl vcpu-info p1 --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
ok = [c["vcpu"] for c in v["vcpus"]] == [0, 1] and \
    all(c["thread_id"] > 0 and c["pin"] is None for c in v["vcpus"]) and \
    v["emulator"]["thread_id"] > 0
sys.exit(0 if ok else 1)' || fail "vcpu-info: $(fwsctl vcpu-info p1 --json)"
fwsctl vcpu-info p1 | grep -q "^VCPU .*HOST-CPU .*AFFINITY" || fail "vcpu-info's table"
[ "$(allowed "$(tid 0)")" = "$ALL" ] || fail "vCPU 0 is pinned already"

fwsctl vcpu-pin p1 0 "$LAST" >"$T/out" || fail "vcpu-pin"
grep -q "^p1: vCPU 0 runs on $LAST$" "$T/out" || fail "it said: $(cat "$T/out")"
wait_until 10 sh -c "[ \"\$(awk '/^Cpus_allowed_list:/ { print \$2 }' /proc/$(field p1 pid)/task/$(tid 0)/status)\" = $LAST ]" ||
    fail "vCPU 0 may run on $(allowed "$(tid 0)")"
fwsctl emulator-pin p1 0 >/dev/null || fail "emulator-pin"
wait_until 10 sh -c "[ \"\$(awk '/^Cpus_allowed_list:/ { print \$2 }' /proc/$(main_tid)/task/$(main_tid)/status)\" = 0 ]" ||
    fail "the main thread may run on $(allowed "$(main_tid)")"
[ "$(allowed "$(tid 1)")" = "$ALL" ] || fail "vCPU 1 was pinned too: $(allowed "$(tid 1)")"
[ "$(allowed "$(tid 0)")" = "$LAST" ] || fail "the emulator's pin moved vCPU 0"
expect_events p1 pinned pinned
note "live: vCPU 0 on CPU $LAST, the emulator on CPU 0, vCPU 1 anywhere"

stop_fwsd
start_fwsd
[ "$(field p1 pins)" != "" ] || fail "the pins were lost"
fwsctl destroy p1 >/dev/null || fail "destroy"
fwsctl start p1 >/dev/null || fail "start again"
wait_until 10 sh -c "fwsctl() { \"$FWSCTL_BIN\" --socket \"$SOCK\" \"\$@\"; };
    fwsctl vcpu-info p1 --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
sys.exit(0 if v[\"vcpus\"][0][\"affinity\"] == \"$LAST\" and
    v[\"emulator\"][\"affinity\"] == \"0\" and
    v[\"vcpus\"][1][\"affinity\"] == \"$ALL\" else 1)'" ||
    fail "the next start's threads: $(fwsctl vcpu-info p1)"
note "kept through an fwsd restart, applied to the next start's threads"

fwsctl vcpu-pin p1 0 all >/dev/null && fwsctl emulator-pin p1 all >/dev/null ||
    fail "unpin"
wait_until 10 sh -c "[ \"\$(awk '/^Cpus_allowed_list:/ { print \$2 }' /proc/$(field p1 pid)/task/$(tid 0)/status)\" = $ALL ]" ||
    fail "vCPU 0 still on $(allowed "$(tid 0)")"
[ "$(allowed "$(main_tid)")" = "$ALL" ] || fail "the main thread still on $(allowed "$(main_tid)")"
[ "$(field p1 pins)" = "" ] || fail "pins left: $(field p1 pins)"
note "all: anywhere again"

# refused, nothing changed
expect_rc 1 fwsctl vcpu-pin p1 2 0
expect_err "p1 has 2 vCPUs: no vCPU 2"
expect_rc 1 fwsctl vcpu-pin p1 0 "0-$((LAST + 1))"
expect_err "this host has CPUs 0-$LAST"
for bad in 1- x 0,,1 -1 "0 1"; do
	expect_rc 1 fwsctl vcpu-pin p1 0 "$bad"
	expect_err "CPU list"
done
expect_rc 2 fwsctl vcpu-pin p1 x 0
expect_rc 2 fwsctl emulator-pin p1
for bad in '"vcpu":0' '"cpus":"0"' '"vcpu":"0","cpus":"0"' '"vcpu":0,"cpus":7'; do
	raw "{\"id\":1,\"cmd\":\"vcpu-pin\",\"args\":{\"name\":\"p1\",$bad}}" |
	    grep -q '"invalid_argument"' || fail "fwsd took vcpu-pin with $bad"
done
[ "$(field p1 pins)" = "" ] || fail "a refusal pinned: $(field p1 pins)"
expect_rc 1 as "$A" fwsctl vcpu-pin p1 0 0
expect_err "no VM named \"p1\""
expect_rc 1 as "$A" fwsctl vcpu-info p1
expect_err "no VM named \"p1\""
fwsctl destroy p1 >/dev/null
expect_rc 1 fwsctl vcpu-info p1
expect_err "p1 is stopped"
fwsctl vcpu-pin p1 1 0 >/dev/null || fail "a stopped VM's pin"
[ "$(fwsctl info p1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["pins"]["vcpus"]["1"])')" = 0 ] ||
    fail "a stopped VM's pin not kept"
note "bad vCPUs, CPUs and lists refused; another user's VM not found"
