# t-web-browser-more.sh: the panel's snapshots and an admin's view in a
# real browser (headless Chromium over WebDriver,
# tests/web/browser-more.py) against fwsd, fws-web and guests, fwsd in
# a network namespace of the test's (its networks' bridges live there).
# A user makes a VM with a disk from the form, starts it, and from the
# list takes a snapshot, reverts to it (the guest's state comes back,
# its page shows the events live) and deletes it.  Another user can do
# none of it to that snapshot (404, 403 naming the owner), nor open
# that VM's console or screen, and sees no owners nor networks.  An
# admin (admin_group: a group of the test's) sees every owner's VMs
# and the networks, opens another user's VM of a name the admin's own
# VM has too (its console and screen by ?owner=UID: the other user's,
# not the admin's), and stops it from the list.  The history agrees.
# Screenshots are kept (the directory is printed).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/web-lib.sh"
use_netns

ADMIN_GROUP="fwsa${T##*.}"
groupadd "$ADMIN_GROUP" || fail "groupadd $ADMIN_GROUP"
AT_EXIT="$AT_EXIT groupdel $ADMIN_GROUP 2>/dev/null;"
make_user a; A=$MADE_USER
make_user b; B=$MADE_USER
make_user adm "fws,$ADMIN_GROUP"; ADM=$MADE_USER
UA=$(uid_of "$A"); UB=$(uid_of "$B"); UADM=$(uid_of "$ADM")
write_web_config "admin_group = $ADMIN_GROUP"
start_fwsd
start_web

# two networks: one open to users, one not
fwsctl net-create lan --bridge fwsbr0 --address 10.77.0.1/24 >/dev/null &&
    fwsctl net-open lan on >/dev/null || fail "net-create lan"
fwsctl net-create priv --bridge fwsbr1 --address 10.78.0.1/24 >/dev/null ||
    fail "net-create priv"

# B's VM runs (booting while A works); the admin has a stopped one of
# the same name
as "$B" fwsctl create shared --vcpus 1 --memory 256 --kernel vmlinuz \
    --initrd initrd.img --append "$GUEST_APPEND fws.who=bee" >/dev/null ||
    fail "create shared as $B"
as "$B" fwsctl start shared >/dev/null || fail "start shared"
as "$ADM" fwsctl create shared --vcpus 1 --memory 128 --kernel vmlinuz \
    --initrd initrd.img >/dev/null || fail "create shared as $ADM"

python3 - "$T/more.json" <<EOP || fail "the driver's configuration"
import json, sys
json.dump({
    "url": "$WEB_URL", "fwsctl": "$FWSCTL_BIN", "sock": "$SOCK",
    "a": {"user": "$A", "uid": $UA}, "b": {"user": "$B", "uid": $UB},
    "adm": {"user": "$ADM", "uid": $UADM},
    "append": "$GUEST_APPEND",
    "snap_vm": "snapvm", "snap_console": "$(user_console "$A" snapvm)",
    "shared_vm": "shared", "shared_mark": "bee",
    "shared_console": "$(user_console "$B" shared)",
    "net_open": "lan",
    "net_rows": {"lan": ["lan", "fwsbr0", "10.77.0.1/24", "up", "yes"],
                 "priv": ["priv", "fwsbr1", "10.78.0.1/24", "up", "no"]},
}, open(sys.argv[1], "w"))
EOP
browser browser-more.py "$T/more.json"

# the history: the snapshot's life as A's, the stop as the admin's
fwsctl events --json --limit 1000 >"$T/events" || fail "events"
python3 - "$T/events" "$UA" "$UB" "$UADM" <<'EOP' || fail "the history: $(cat "$T/events")"
import json, sys
ua, ub, uadm = map(int, sys.argv[2:5])
ev = [json.loads(l) for l in open(sys.argv[1])]
snap = [(e["reason"], e["actor"]) for e in ev
        if e["vm"] == "snapvm" and e["event"] == "snapshot"]
assert snap == [("snapshot s1 taken", ua), ("reverted to snapshot s1", ua),
                ("snapshot s1 deleted", ua)], snap
stops = [e for e in ev if e["vm"] == "shared" and e["owner"] == ub and
         e["event"] == "stopping"]
assert stops and stops[-1]["actor"] == uadm, stops
assert not [e for e in ev if e["owner"] == uadm and e["event"] != "created"], \
    "the admin's own VM was touched"
EOP
[ "$(fwsctl info shared --owner "$UB" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" = stopped ] ||
    fail "B's shared is not stopped"
[ "$(fwsctl snapshot-list snapvm --owner "$UA" --json)" = "[]" ] ||
    fail "snapvm's snapshots: $(fwsctl snapshot-list snapvm --owner "$UA")"
note "the history: s1 taken, reverted to, deleted by $A; B's shared stopped by $ADM"
note "screenshots in $ARTEFACTS"
