# t-event-actors.sh: events say who acted.  What a user or an admin
# asked for (create, start, stop, pause, resume, reboot, snapshot,
# autostart, delete) carries their uid ("actor" in the JSON) and reads
# "started by alice", "stopped by root for alice"; what fwsd or the
# guest did (a crash, a restart) names nobody.  The actor is stored:
# it is there after a restart of fwsd.
. "$(dirname "$0")/lib.sh"
make_user a; A=$MADE_USER
AUID=$(uid_of "$A")
start_fwsd

as "$A" fwsctl create web --memory 128 --disk 16M --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null || fail "create"
as "$A" fwsctl start web >/dev/null || fail "start"
as "$A" fwsctl pause web >/dev/null || fail "pause"
as "$A" fwsctl resume web >/dev/null || fail "resume"
fwsctl --owner "$A" reboot web >/dev/null || fail "reboot"
as "$A" fwsctl snapshot-create web s1 --disk-only >/dev/null || fail "snapshot"
as "$A" fwsctl autostart web on >/dev/null || fail "autostart"
# the admin stops it for her
fwsctl --owner "$A" stop web --timeout 0 >/dev/null || fail "stop"
# a crash is nobody's: kill its qemu, the policy restarts it
as "$A" fwsctl start web >/dev/null || fail "start again"
pid=$(as "$A" fwsctl info web --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
kill -9 "$pid"
restarted() { as "$A" fwsctl events web --json --limit 100 | grep -q '"restarting"'; }
wait_until 20 restarted || fail "no restart after the crash"
runs() { [ "$(as "$A" fwsctl info web --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" = running ]; }
wait_until 30 runs || fail "web did not run again"
fwsctl --owner "$A" destroy web >/dev/null || fail "destroy"
fwsctl --owner "$A" delete web >/dev/null || fail "delete"

# actors, from the JSON: A's uid, root's 0, or null
restart_fwsd	# stored, not only pushed
as "$A" fwsctl events web --json --limit 1000 >"$T/ev" || fail "events --json"
python3 - "$T/ev" "$AUID" <<'EOP' || fail "actors: $(cat "$T/ev")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
a = int(sys.argv[2])
def actors(name):
    return [e["actor"] for e in ev if e["event"] == name]
assert all("actor" in e for e in ev), ev
assert actors("created") == [a], actors("created")
assert actors("paused") == [a] and actors("resumed") == [a]
assert actors("reset") == [0], actors("reset")
assert actors("snapshot") == [a] and actors("autostart") == [a]
assert actors("deleted") == [0], actors("deleted")
# her two starts; then fwsd's own after the crash
assert actors("starting") == [a, a, None], actors("starting")
assert actors("started") == [a, a, None], actors("started")
# the admin's stop and destroy; the crash, nobody's
assert actors("stopping") == [0, 0], actors("stopping")
assert actors("stopped") == [0, 0], actors("stopped")
assert actors("crashed") == [None] and actors("restarting") == [None]
EOP
note "the JSON carries each event's actor, after a restart of fwsd too"

# in words: as she reads them, and as the admin does
as "$A" fwsctl events web --limit 1000 >"$T/mine"
grep -q "  web  *created by $A: vcpus 1" "$T/mine" &&
grep -q "  web  *started by $A: qemu pid" "$T/mine" &&
grep -q "  web  *paused by $A" "$T/mine" &&
grep -q "  web  *reset by root for $A: system_reset$" "$T/mine" &&
grep -q "  web  *snapshot by $A: snapshot s1 taken (disk only)$" "$T/mine" &&
grep -q "  web  *stopped by root for $A: qemu quit as asked" "$T/mine" &&
grep -q "  web  *crashed: qemu killed by signal 9" "$T/mine" &&
grep -q "  web  *deleted by root for $A" "$T/mine" ||
    fail "her events: $(cat "$T/mine")"
grep -q "  \(crashed\|restarting\) by " "$T/mine" &&
    fail "a crash or restart names someone: $(cat "$T/mine")"
fwsctl events web --limit 1000 >"$T/admin"
grep -q "  web ($A)  *stopped by root: qemu quit as asked" "$T/admin" &&
grep -q "  web ($A)  *started by $A: qemu pid" "$T/admin" ||
    fail "the admin's events: $(cat "$T/admin")"
note "started by $A, stopped by root for $A"
