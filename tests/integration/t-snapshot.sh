# t-snapshot.sh: snapshots.  A running guest is snapshotted with its
# memory, changed through its console (a file in its tmpfs, a shell
# variable), reverted, and has its old state back.  A stopped VM gets
# disk-only snapshots through qemu-img; what someone does by hand with
# qemu-img shows in the list (the image is the truth).  Errors: a
# duplicate tag, an unknown tag, a raw disk, a disk-only revert of a
# running VM.  --json output has the documented keys.
. "$(dirname "$0")/lib.sh"
start_fwsd
create_guest s1 --disk 64M
fwsctl start s1 >/dev/null || fail "start s1"
wait_console s1 FWS-GUEST-READY
disk=$(fwsctl info s1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["disks"][0]["path"])')

# --- running: save with memory, change, revert, see the old state
guest_type s1 'echo before > /tmp/mark; X=one'
fwsctl snapshot-create s1 snap1 >/dev/null || fail "snapshot-create"
state_is s1 running || fail "s1 not running after the snapshot: $(field s1 state)"
guest_type s1 'echo after > /tmp/mark; X=two'
fwsctl snapshot-revert s1 snap1 >"$T/out" || fail "snapshot-revert"
[ "$(cat "$T/out")" = "s1: reverted to snapshot snap1" ] ||
    fail "snapshot-revert said: $(cat "$T/out")"
guest_type s1 'echo "STATE-$(cat /tmp/mark)-$X"'
wait_console s1 "STATE-before-one" 30
grep -q "STATE-after-two" "$(console_log s1)" && fail "the state after the snapshot survived the revert"
note "running guest reverted to its snapshot"

fwsctl snapshot-list s1 --json >"$T/list" || fail "snapshot-list"
python3 - "$T/list" <<'EOP' || fail "snapshot-list --json: $(cat "$T/list")"
import json, sys
l = json.load(open(sys.argv[1]))
assert len(l) == 1, l
s = l[0]
assert set(s) == {"vm", "owner", "tag", "created", "memory", "vm_state_size", "vm_clock"}, s
assert s["vm"] == "s1" and s["tag"] == "snap1" and s["memory"] is True, s
assert s["vm_state_size"] > 0 and s["created"] > 1700000000, s
EOP

# --- errors while running
expect_rc 1 fwsctl snapshot-create s1 snap1
expect_err "already taken"
expect_rc 1 fwsctl snapshot-revert s1 nosuch
expect_err "no snapshot with that tag"
expect_rc 1 fwsctl snapshot-delete s1 nosuch
expect_err "no snapshot with that tag"
expect_rc 2 fwsctl snapshot-create s1 ../bad
fwsctl snapshot-create s1 donly --disk-only >/dev/null || fail "disk-only on a running VM"
expect_rc 1 fwsctl snapshot-revert s1 donly
expect_err "disk-only snapshot"
fwsctl snapshot-delete s1 donly >/dev/null || fail "delete donly while running"
# the history reads as sentences
fwsctl events s1 --json --limit 100 | python3 -c '
import json, sys
r = [e["reason"] for e in map(json.loads, sys.stdin) if e["event"] == "snapshot"]
assert r == ["snapshot snap1 taken", "reverted to snapshot snap1",
    "snapshot donly taken (disk only)", "snapshot donly deleted"], r' ||
    fail "snapshot events: $(fwsctl events s1)"
note "running: errors and disk-only"

# --- paused: a snapshot too, and it stays paused
fwsctl pause s1 >/dev/null || fail "pause"
fwsctl snapshot-create s1 snap2 >/dev/null || fail "snapshot of a paused VM"
state_is s1 paused || fail "s1 after a snapshot while paused: $(field s1 state)"
fwsctl resume s1 >/dev/null || fail "resume"

# --- fwsd dies while a job runs: the next fwsd reports how it ended,
# and the snapshot shows in the list (read from the image)
qmp=$(run_file s1 qmp)
kill -9 "$FWSD_PID"; wait "$FWSD_PID" 2>/dev/null; FWSD_PID=
python3 - "$qmp" <<'EOP' || fail "the job by hand"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb")
f.readline()
def cmd(c, a):
    f.write((json.dumps({"execute": c, "arguments": a}) + "\n").encode())
    f.flush()
cmd("qmp_capabilities", {})
cmd("snapshot-save", {"job-id": "fws-create-99", "tag": "orphan",
    "vmstate": "fws-disk0", "devices": ["fws-disk0"]})
while True:
    m = json.loads(f.readline())
    if m.get("event") == "JOB_STATUS_CHANGE" and m["data"]["status"] == "concluded":
        break
EOP
start_fwsd
wait_until 10 state_is s1 running || fail "s1 not adopted"
job_reported() { fwsctl events s1 | grep -q "ended while fwsd was away"; }
wait_until 10 job_reported || fail "the orphan job was not reported: $(fwsctl events s1)"
fwsctl snapshot-list s1 --json | grep -q '"orphan"' || fail "orphan not listed"
fwsctl snapshot-delete s1 orphan >/dev/null || fail "delete orphan"
note "a job that ended while fwsd was away: reported, listed"

# --- stopped: qemu-img does the work; the image is the truth
fwsctl stop s1 --timeout 0 >/dev/null || fail "stop"
fwsctl snapshot-create s1 cold >/dev/null || fail "snapshot of a stopped VM"
qemu-img snapshot -c byhand "$disk" || fail "qemu-img by hand"
qemu-img snapshot -d snap2 "$disk" || fail "qemu-img -d by hand"
fwsctl snapshot-list s1 --json >"$T/list" || fail "snapshot-list stopped"
python3 - "$T/list" <<'EOP' || fail "stopped list: $(cat "$T/list")"
import json, sys
l = {s["tag"]: s for s in json.load(open(sys.argv[1]))}
assert set(l) == {"snap1", "cold", "byhand"}, l
assert l["cold"]["memory"] is False and l["snap1"]["memory"] is True, l
EOP
fwsctl snapshot-revert s1 cold >/dev/null || fail "revert of a stopped VM"
fwsctl snapshot-delete s1 byhand >/dev/null || fail "delete of a stopped VM"
qemu-img snapshot -l "$disk" | grep -q byhand && fail "byhand still in the image"
# a change is checked on fwsd's index; when the index does not know a
# tag, the image is read before "no snapshot" is said
qemu-img snapshot -c unindexed "$disk" || fail "qemu-img by hand"
fwsctl snapshot-delete s1 unindexed >/dev/null 2>"$T/err" ||
    fail "delete of a tag the index did not know: $(cat "$T/err")"
qemu-img snapshot -l "$disk" | grep -q unindexed && fail "unindexed still in the image"
expect_rc 1 fwsctl snapshot-delete s1 unindexed
expect_err "no snapshot with that tag"
note "stopped: qemu-img, reconciled with the image"

# --- a raw disk; --all
# (a writable one: outside the library, whose images are read-only)
qemu-img create -q -f raw "$T/state/vms/r.raw" 16M
create_guest r1 --disk "$T/state/vms/r.raw"
expect_rc 1 fwsctl snapshot-create r1 x
expect_err "need qcow2"
fwsctl snapshot-list --all --json >"$T/all" || fail "snapshot-list --all"
python3 - "$T/all" <<'EOP' || fail "--all: $(cat "$T/all")"
import json, sys
l = json.load(open(sys.argv[1]))
assert sorted(s["tag"] for s in l if s["vm"] == "s1") == ["cold", "snap1"], l
EOP
expect_events s1 snapshot
note "raw disks refused; --all lists every VM"

# --- the disk fills up during a save: a clear error, the VM runs on,
# the image holds no half snapshot
small_fs "$T/state/vms/small" 6M
qemu-img create -q -f qcow2 "$T/state/vms/small/full.qcow2" 64M
create_guest f1 --disk "$T/state/vms/small/full.qcow2"
fwsctl start f1 >/dev/null || fail "start f1"
wait_console f1 FWS-GUEST-READY
expect_rc 1 fwsctl snapshot-create f1 big
expect_err "Error while writing VM state"
state_is f1 running || fail "f1 after a full disk: $(field f1 state)"
[ "$(fwsctl snapshot-list f1 --json)" = "[]" ] || fail "a half snapshot is listed: $(fwsctl snapshot-list f1)"
guest_type f1 'echo STILL-ALIVE'
wait_console f1 STILL-ALIVE 30
qemu-img check -U -q "$T/state/vms/small/full.qcow2" || fail "the image is damaged"
fwsctl destroy f1 >/dev/null
note "disk full during a save: error, VM running, image sound"

# --- the example script: list, then prune, snapshots older than N days
export PATH="$BUILD:$PATH"
sleep 1	# "older than 0 days" means created before now
"$TOP/contrib/fws-snapshot-prune" --socket "$SOCK" --days 0 --vm s1 >"$T/prune" ||
    fail "prune listing: $(cat "$T/prune")"
[ "$(wc -l < "$T/prune")" = 2 ] || fail "prune listed: $(cat "$T/prune")"
"$TOP/contrib/fws-snapshot-prune" --socket "$SOCK" --days 0 --vm s1 --delete >"$T/prune" ||
    fail "prune --delete: $(cat "$T/prune")"
[ "$(fwsctl snapshot-list s1 --json)" = "[]" ] || fail "left after prune: $(fwsctl snapshot-list s1)"
note "contrib/fws-snapshot-prune"
