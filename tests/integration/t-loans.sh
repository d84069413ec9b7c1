#!/bin/sh
# t-loans.sh: loans that end.  Users' loans are held to quota_loan (a VM
# made without one gets one), bad dates and durations are refused, and
# nobody touches another's loan; then a running guest lent for seconds is
# warned about, stopped by ACPI and expired (across a restart of fwsd:
# the end comes while fwsd is down and is done when it starts), refuses
# to start, is extended and runs again, expires a second time and, with
# fwsd down again past its grace, is deleted with its disk when fwsd
# starts; a second guest whose end and grace both pass while fwsd is
# down is stopped, expired and deleted, in that order, when it starts.
# Last, under loan_expire = keep an expired VM stays.
. "$(dirname "$0")/lib.sh"

make_user a; A=$MADE_USER
make_user b; B=$MADE_USER
write_config "quota_loan = 1h
loan_warn = 20s, 10s
loan_grace = 25s
loan_expire = delete
stop_timeout = 20"
start_fwsd

# as_raw USER JSON: one request line as USER, the reply line printed
as_raw() {
	printf '%s\n' "$2" | runuser -u "$1" -- socat -t 5 - "UNIX-CONNECT:$SOCK"
}

# loan_end_of COMMAND...: loan_end of the command's --json output
loan_end_of() {
	"$@" --json | python3 -c \
	    'import json,sys; v=json.load(sys.stdin)["loan_end"]; print("" if v is None else v)'
}

# reason_of NAME EVENT: the reason of NAME's newest EVENT
reason_of() {
	fwsctl events "$1" --json --limit 100000 | python3 -c "
import json, sys
r = [json.loads(l) for l in sys.stdin]
r = [e['reason'] for e in r if e['event'] == '$2']
print(r[-1] if r else '')"
}

# count_events NAME EVENT
count_events() {
	events_of "$1" | tr ' ' '\n' | grep -cx -- "$2"
}

warned() {
	[ "$(count_events "$1" loan-warning)" -ge 1 ]
}

# --- bad input, refused before anything is made
expect_rc 2 as "$A" fwsctl create x --kernel "$KERNEL" --for -1d
expect_err 'duration "-1d" is negative'
expect_rc 2 as "$A" fwsctl create x --kernel "$KERNEL" --for 10
expect_err 'invalid duration "10"'
expect_rc 2 as "$A" fwsctl create x --kernel "$KERNEL" --for 0d
expect_err "is zero"
expect_rc 2 as "$A" fwsctl create x --kernel "$KERNEL" --until tomorrow
expect_err 'invalid date "tomorrow"'
expect_rc 2 as "$A" fwsctl create x --kernel "$KERNEL" --until 2027-02-30
expect_err 'date "2027-02-30" does not exist'
expect_rc 2 as "$A" fwsctl create x --kernel "$KERNEL" --until 2027-01-01T25:00
expect_err "does not exist"
expect_rc 2 as "$A" fwsctl create x --kernel "$KERNEL" --for 1d --until 2030-01-01
expect_err "not both"
expect_rc 1 as "$A" fwsctl create x --kernel "$KERNEL" --until 2020-01-01
expect_err "the loan would end 2020-01-01 00:00, which is past"
# the daemon checks again, whatever the client sends
for bad in '-5' '0' '"tomorrow"' '1.5' 'true' '99999999999999'; do
	as_raw "$A" "{\"id\":1,\"cmd\":\"create\",\"args\":{\"name\":\"x\",\"kernel\":\"$KERNEL\",\"until\":$bad}}" \
	    >"$T/out"
	grep -q '"code": *"invalid_argument"' "$T/out" ||
	    fail "create until=$bad: $(cat "$T/out")"
done
# a user may not lend past quota_loan (1h from now)
expect_rc 1 as "$A" fwsctl create x --kernel "$KERNEL" --for 2h
expect_err "quota exceeded: loan: asked until .* (in [0-9][^)]*), allowed 1h ahead at most (quota_loan)"
as_raw "$A" "{\"id\":1,\"cmd\":\"create\",\"args\":{\"name\":\"x\",\"kernel\":\"$KERNEL\",\"until\":$(( $(date +%s) + 7200 ))}}" |
    grep -q '"code": *"quota_exceeded"' || fail "create past quota_loan: not quota_exceeded"
[ "$(as "$A" fwsctl list --json | tr -d ' \n')" = "[]" ] ||
    fail "refused creates left VMs: $(as "$A" fwsctl list)"
note "bad dates, durations and loans past quota_loan refused at create"

# --- under quota_loan a user's VM never goes without an end
now=$(date +%s)
as "$A" fwsctl create a1 --kernel "$KERNEL" >/dev/null || fail "A create a1"
end=$(loan_end_of as "$A" fwsctl info a1)
[ -n "$end" ] && [ "$end" -ge $((now + 3600)) ] && [ "$end" -le $((now + 3610)) ] ||
    fail "a1's loan ends at '$end', not an hour from $now"
as "$A" fwsctl list | grep -q "^a1 .*$(date -d "@$end" '+%Y-%m-%d %H:%M')" ||
    fail "list lacks a1's end: $(as "$A" fwsctl list)"
as "$A" fwsctl loans | grep -q "^a1 .*warning at" || fail "loans: $(as "$A" fwsctl loans)"
note "a user's VM made without a loan is lent for quota_loan"

# --- extending: within quota_loan for users, beyond it for admins
expect_rc 1 as "$A" fwsctl loan a1 --extend 2h
expect_err "quota exceeded: loan: asked until .* (in [0-9][^)]*), allowed 1h ahead at most (quota_loan)"
as_raw "$A" '{"id":1,"cmd":"loan","args":{"name":"a1","extend":7200}}' |
    grep -q '"code": *"quota_exceeded"' || fail "extend past quota_loan: not quota_exceeded"
# again and again: the same answer, nothing changed
for i in 1 2 3; do
	expect_rc 1 as "$A" fwsctl loan a1 --extend 61m
	expect_err "(quota_loan)"
done
[ "$(loan_end_of as "$A" fwsctl info a1)" = "$end" ] || fail "a refused extension changed the loan"
as "$A" fwsctl loan a1 --for 30m >/dev/null || fail "A shortens a1's loan"
as "$A" fwsctl loan a1 --extend 20m >/dev/null || fail "A extends within quota_loan"
end=$(loan_end_of as "$A" fwsctl info a1)
[ "$end" -ge $((now + 3000)) ] && [ "$end" -le $((now + 3010)) ] || fail "a1 after --for 30m --extend 20m: $end"
expect_rc 1 as "$A" fwsctl loan a1 --extend 20m
expect_err "(quota_loan)"
reason_of a1 loan | grep -q "loan of a1 extended to .* (from .*)" || fail "loan event: $(reason_of a1 loan)"
# bad values, to the client and to the daemon
expect_rc 2 as "$A" fwsctl loan a1 --extend -1d
expect_err "negative"
expect_rc 2 as "$A" fwsctl loan a1 --extend soon
expect_err "invalid duration"
expect_rc 2 as "$A" fwsctl loan a1 --extend 1d --for 1d
expect_err "give one of"
expect_rc 1 as "$A" fwsctl loan a1 --until 2020-01-01T12:00
expect_err "which is past"
for args in '"extend":0' '"extend":-60' '"extend":"1d"' '"until":"2027-01-01"' \
    '"until":1,"extend":60' '"remove":"yes"' '"forever":true'; do
	as_raw "$A" "{\"id\":1,\"cmd\":\"loan\",\"args\":{\"name\":\"a1\",$args}}" >"$T/out"
	grep -q '"code": *"invalid_argument"' "$T/out" || fail "loan $args: $(cat "$T/out")"
done
[ "$(loan_end_of as "$A" fwsctl info a1)" = "$end" ] || fail "bad requests changed the loan"
# only admins take a loan away
expect_rc 1 as "$A" fwsctl loan a1 --remove
expect_err "only admins remove a loan"
# another user's VM: not found, whatever the verb
expect_rc 1 as "$B" fwsctl loan a1
expect_err 'no VM named "a1"'
expect_rc 1 as "$B" fwsctl loan a1 --extend 1m
expect_err 'no VM named "a1"'
expect_rc 1 as "$B" fwsctl --owner "$A" loan a1 --extend 1m
expect_err "only admins act for another user"
[ "$(as "$B" fwsctl loans --json | tr -d ' \n')" = "[]" ] || fail "B sees A's loans"
# an admin lends beyond quota_loan, and may take the loan away
fwsctl --owner "$A" loan a1 --extend 30d >/dev/null || fail "admin extends beyond quota_loan"
[ "$(loan_end_of as "$A" fwsctl info a1)" -ge $((now + 30 * 86400)) ] || fail "admin's extension"
fwsctl loans | grep -q "^$A  *a1 " || fail "admin's loans lack the owner: $(fwsctl loans)"
fwsctl --owner "$A" create a2 --kernel "$KERNEL" --for 90d >/dev/null ||
    fail "admin creates for A beyond quota_loan"
fwsctl --owner "$A" loan a1 --remove >/dev/null || fail "admin removes a1's loan"
[ -z "$(loan_end_of as "$A" fwsctl info a1)" ] || fail "a1 still has a loan"
as "$A" fwsctl loan a1 | grep -q "has no loan: it never ends" || fail "loan a1: $(as "$A" fwsctl loan a1)"
expect_rc 1 as "$A" fwsctl loan a1 --extend 1d
expect_err "a1 has no loan to extend"
as_raw "$A" '{"id":1,"cmd":"loan","args":{"name":"a1","extend":60}}' |
    grep -q '"code": *"bad_state"' || fail "extend without a loan: not bad_state"
as "$A" fwsctl loans --json | python3 -c '
import json, sys
l = json.load(sys.stdin)
assert [v["name"] for v in l] == ["a2"], l' || fail "A's loans: $(as "$A" fwsctl loans --json)"
note "extensions held to quota_loan for users, not for admins; others not found"

# --- a running guest's loan ends, with fwsd away at its end
create_guest web --disk 16M --for 1d
disk=$(fwsctl info web --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["disks"][0]["path"])')
[ -f "$disk" ] || fail "web's disk $disk is missing"
fwsctl start web >/dev/null || fail "start web"
wait_console web FWS-GUEST-READY
pid=$(field web pid)
t0=$(date +%s)
fwsctl loan web --for 25s >/dev/null || fail "loan web --for 25s"
wait_until 15 warned web || fail "no warning: $(events_of web)"
reason_of web loan-warning | grep -Eq "^loan of web ends .*: (1[0-9]|20) seconds left$" ||
    fail "warning: $(reason_of web loan-warning)"
note "warned $(( $(date +%s) - t0 )) s after the loan was set"
stop_fwsd
alive "$pid" || fail "stopping fwsd stopped the guest"
# the end (t0 + 25) passes while fwsd is away
while [ "$(date +%s)" -le $((t0 + 27)) ]; do sleep 1; done
alive "$pid" || fail "the guest died while fwsd was away"
start_fwsd
wait_until 40 state_is web expired || fail "web not expired after fwsd started: $(field web state) $(events_of web)"
gone "$pid" || fail "qemu $pid outlived the loan's end"
field web last_exit | grep -q "the guest shut down as asked" ||
    fail "web was not stopped by ACPI: $(field web last_exit)"
expect_events web loan loan-warning stopping stopped expired
[ "$(count_events web loan-warning)" = 1 ] || fail "a warning after the end: $(events_of web)"
reason_of web stopping | grep -q "^its loan ended: ACPI power button" ||
    fail "stopping: $(reason_of web stopping)"
reason_of web expired | grep -q "^loan of web ended .*: stopped and expired$" ||
    fail "expired: $(reason_of web expired)"
fwsctl list | grep -q " web  *expired " || fail "list: $(fwsctl list)"
note "the end while fwsd was away: stopped by ACPI and expired at its start"

# an expired VM does not start, however often asked
for i in 1 2 3; do
	expect_rc 1 fwsctl start web
	expect_err "web is expired: its loan ended .*; it starts again once the loan is extended"
done
expect_rc 1 fwsctl snapshot-create web s1
expect_err "web is expired: its snapshots wait"
[ "$(fwsctl snapshot-list web --json | tr -d ' \n')" = "[]" ] ||
    fail "snapshot-list of an expired VM: $(fwsctl snapshot-list web --json)"
state_is web expired || fail "web after refused starts: $(field web state)"
fwsctl loan web | grep -q "next: deletion at" || fail "loan web: $(fwsctl loan web)"
[ "$(field web loan_next)" = deletion ] || fail "loan_next: $(field web loan_next)"
fwsctl loan web --extend 1d >/dev/null || fail "extend the expired web"
state_is web stopped || fail "web after extension: $(field web state)"
reason_of web loan | grep -q "extended to .*: it may start again" || fail "loan: $(reason_of web loan)"
end=$(field web loan_end)
[ "$end" -ge $(( $(date +%s) + 86390 )) ] || fail "an ended loan extended from its end, not from now"
fwsctl start web >/dev/null || fail "start web after the extension"
create_guest web2 --disk 16M --for 1d
disk2=$(fwsctl info web2 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["disks"][0]["path"])')
fwsctl start web2 >/dev/null || fail "start web2"
wait_until "$BOOT_TIMEOUT" booted web 2 || fail "web did not boot again"
wait_console web2 FWS-GUEST-READY
note "start refused while expired; extended, it runs again"

# --- a second end, then fwsd away past the grace: deleted when it starts;
# web2's end and grace both pass while fwsd is away
pid=$(field web pid)
pid2=$(field web2 pid)
t1=$(date +%s)
fwsctl loan web --for 8s >/dev/null || fail "loan web --for 8s"
fwsctl loan web2 --for 30s >/dev/null || fail "loan web2 --for 30s"
wait_until 40 state_is web expired || fail "web not expired the second time: $(field web state)"
gone "$pid" || fail "qemu $pid outlived the second end"
[ "$(count_events web expired)" = 2 ] || fail "expired events: $(events_of web)"
[ "$(date +%s)" -lt $((t1 + 28)) ] || fail "too slow: web2's end came before fwsd was stopped"
stop_fwsd
[ -f "$disk" ] || fail "web's disk went before its grace"
while [ "$(date +%s)" -le $((t1 + 30 + 25 + 2)) ]; do sleep 1; done
[ -f "$disk" ] || fail "web's disk went while fwsd was away"
alive "$pid2" || fail "web2's guest died while fwsd was away"
start_fwsd
wait_until 15 sh -c "! \"$FWSCTL_BIN\" --socket \"$SOCK\" info web >/dev/null 2>&1" ||
    fail "web not deleted after its grace: $(field web state)"
expect_rc 1 fwsctl info web
expect_err 'no VM named "web"'
[ ! -e "$disk" ] || fail "web's disk $disk outlived the VM"
[ ! -d "$T/state/vms/web" ] || fail "web's directory outlived the VM: $(ls "$T/state/vms/web")"
[ "$(last_event web)" = deleted ] || fail "web's last event: $(events_of web)"
reason_of web deleted | grep -q "^after the loan's grace: its loan ended .*, loan_grace 25s; with the disks fwsd made$" ||
    fail "deleted: $(reason_of web deleted)"
note "deleted with its disk when fwsd started after the grace"
wait_until 40 sh -c "! \"$FWSCTL_BIN\" --socket \"$SOCK\" info web2 >/dev/null 2>&1" ||
    fail "web2 not deleted: $(field web2 state) $(events_of web2)"
gone "$pid2" || fail "web2's qemu $pid2 outlived its VM"
[ ! -e "$disk2" ] || fail "web2's disk $disk2 outlived the VM"
fwsctl events web2 --json --limit 100000 | python3 -c '
import json, sys
e = [json.loads(l) for l in sys.stdin]
last = max(i for i, v in enumerate(e) if v["event"] == "loan")
tail = [v["event"] for v in e[last + 1:]]
assert tail[-4:] == ["stopping", "stopped", "expired", "deleted"], tail
assert "loan-warning" not in tail[tail.index("stopping"):], tail
r = {v["event"]: v["reason"] for v in e[last + 1:]}
assert r["stopping"].startswith("its loan ended: ACPI power button"), r
assert r["stopped"].startswith("the guest shut down as asked"), r' ||
    fail "web2's end at start-up: $(events_of web2)"
note "end and grace passed while away: stopped by ACPI, expired, deleted, in order"

# --- keep: an expired VM stays, and can be started once extended
stop_fwsd
write_config "loan_warn = none
loan_grace = 1s
loan_expire = keep"
start_fwsd
create_guest k1 --for 3s
wait_until 15 state_is k1 expired || fail "k1 not expired: $(field k1 state)"
reason_of k1 expired | grep -q "^loan of k1 ended .*: expired$" || fail "k1: $(reason_of k1 expired)"
sleep 3
state_is k1 expired || fail "k1 under keep: $(field k1 state)"
[ -z "$(field k1 loan_next)" ] || fail "k1 has a next step under keep: $(field k1 loan_next)"
[ "$(count_events k1 loan-warning)" = 0 ] || fail "a warning with loan_warn = none"
fwsctl loan k1 --remove >/dev/null || fail "remove k1's loan"
state_is k1 stopped || fail "k1 after its loan was removed: $(field k1 state)"
note "keep: an expired VM stays until extended"
