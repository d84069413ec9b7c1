# t-owners.sh: wherever an admin sees VMs of several users, each VM is
# named with its owner, "web (alice)", unless it is the admin's own:
# list (its OWNER column), info, events, snapshot-list --all,
# shutdown-all, net-info, net-leases and net-delete's refusal.  Two
# users and the admin all have a "web".  The names are looked up by
# fwsctl, from the owner's uid in the JSON (or "(uid N)" in a message):
# fwsd looks up none.
. "$(dirname "$0")/lib.sh"
make_user a; A=$MADE_USER
make_user b; B=$MADE_USER
use_netns
start_fwsd
fwsctl net-create dnet --bridge fwsbr1 --address 10.78.0.1/24 \
    --dhcp 10.78.0.100-10.78.0.150 --open >/dev/null || fail "net-create"
fwsctl create web --memory 128 --kernel "$KERNEL" >/dev/null ||
    fail "the admin's web"
for u in "$A" "$B"; do
	as "$u" fwsctl create web --memory 128 --disk 16M --net dnet \
	    --kernel "$KERNEL" --initrd "$INITRD" \
	    --append "$GUEST_APPEND fws.dhcp" >/dev/null || fail "$u create"
	as "$u" fwsctl start web >/dev/null || fail "$u start"
	as "$u" fwsctl snapshot-create web s1 --disk-only >/dev/null ||
	    fail "$u snapshot"
done
for u in "$A" "$B"; do
	wait_until "$BOOT_TIMEOUT" grep -q "FWS-GUEST-DHCP" \
	    "$(user_console "$u" web)" || fail "$u's web got no lease"
done

# lines LIST WORDS...: each of WORDS is on a line of LIST
lines() {
	l=$1; shift
	for w; do
		grep -qF -- "$w" "$l" || fail "'$w' is not in: $(cat "$l")"
	done
}

fwsctl net-leases dnet >"$T/out" || fail "net-leases"
lines "$T/out" "web ($A)" "web ($B)"
fwsctl net-leases dnet --json | python3 -c '
import json, sys
owners = sorted(l["owner"] for l in json.load(sys.stdin))
assert owners == sorted(map(int, sys.argv[1:])), owners' \
    "$(uid_of "$A")" "$(uid_of "$B")" || fail "net-leases --json: owners"
fwsctl net-info dnet >"$T/out" || fail "net-info"
lines "$T/out" "web ($A)" "web ($B)"
fwsctl net-info dnet --json | grep -q '"owner"' || fail "net-info --json: no owner"
note "net-leases and net-info say whose"

expect_rc 1 fwsctl net-delete dnet
expect_err "^fwsctl: network dnet is used by VM web (\($A\|$B\)): delete the VM first$"
raw '{"id":1,"cmd":"net-delete","args":{"name":"dnet"}}' |
    grep -q 'used by VM web (uid [0-9]*)' || fail "fwsd's own words name no uid"
note "net-delete's refusal says whose"

fwsctl events --limit 1000 >"$T/out" || fail "events"
lines "$T/out" "  web ($A) " "  web ($B) "
grep -q "  web  *created by root: " "$T/out" || fail "the admin's own web: $(cat "$T/out")"
fwsctl snapshot-list --all >"$T/out" || fail "snapshot-list --all"
lines "$T/out" "web ($A)" "web ($B)"
fwsctl snapshot-list --all --json | grep -q '"owner"' ||
    fail "snapshot-list --json: no owner"
fwsctl --owner "$A" info web | grep -q "^owner  *$A$" || fail "info: no owner"
fwsctl list | grep -q "^$B  *web " || fail "list: $(fwsctl list)"
# a user sees her own, by name alone
as "$A" fwsctl events --limit 1000 | grep -q "web (" &&
    fail "a user's own VM named with its owner: $(as "$A" fwsctl events)"
note "events, snapshot-list --all, info, list say whose"

fwsctl shutdown-all --timeout 0 >"$T/out" || fail "shutdown-all"
grep -Eq "^stopped web \(($A|$B)\), web \(($A|$B)\)$" "$T/out" ||
    fail "shutdown-all: $(cat "$T/out")"
note "shutdown-all says whose"
as "$A" fwsctl start web >/dev/null || fail "start again"
fwsctl shutdown-all --timeout 0 --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["stopped"] == ["web"], r
assert r["vms"] == [{"name": "web", "owner": int(sys.argv[1])}], r' \
    "$(uid_of "$A")" || fail "shutdown-all --json: no owners"
