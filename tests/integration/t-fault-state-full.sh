# t-fault-state-full.sh: the state directory's file system is full.
# Changes to the store fail with sqlite's "database or disk is full",
# new disks and snapshots with qemu-img's "No space left on device";
# nothing is left half made; a VM still starts (its state is not
# recorded, as the log says) and stops; reads are answered; the
# database survives intact, and every definition is there, before and
# after fwsd restarts, and once space is back.
. "$(dirname "$0")/lib.sh"
small_fs "$T/state" 8M
start_fwsd
create_guest u1
create_guest u2 --disk 16M
save_definitions
disk=$(fwsctl info u2 --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["disks"][0]["path"])')

# fill it to the last block
dd if=/dev/zero of="$T/state/filler" bs=64k 2>/dev/null
[ "$(df -k --output=avail "$T/state" | tail -1 | tr -d ' ')" = 0 ] ||
    fail "the state dir is not full: $(df -k "$T/state")"

expect_rc 1 fwsctl create u3 --kernel "$KERNEL"
expect_err "u3: store: database or disk is full"
expect_rc 1 fwsctl create u4 --disk 16M --kernel "$KERNEL"
expect_err "u4: qemu-img could not create .*No space left on device"
expect_rc 1 fwsctl autostart u1 on
expect_err "store: database or disk is full"
expect_rc 1 fwsctl delete u2
expect_err "store: database or disk is full"
[ -f "$disk" ] || fail "a refused delete removed $disk"
expect_rc 1 fwsctl snapshot-create u2 s1
expect_err "u2: snapshot-create s1: .*No space left on device"
[ "$(ls "$T/state/vms")" = "$(printf 'u1\nu2')" ] ||
    fail "refused creates left files: $(ls "$T/state/vms" | tr '\n' ' ')"
same_definitions "state dir full"
note "full: changes refused with the reason, nothing half made"

fwsctl start u1 >/dev/null 2>"$T/err" || fail "start u1 on a full disk: $(cat "$T/err")"
state_is u1 running || fail "u1: $(field u1 state)"
grep -q "u1: cannot record state running: store: database or disk is full" \
    "$T/fwsd.log" || fail "the lost state change is not logged"
fwsctl destroy u1 >/dev/null || fail "destroy u1 on a full disk"
state_is u1 stopped || fail "u1: $(field u1 state)"
kill -0 "$FWSD_PID" || fail "fwsd died"
restart_fwsd
same_definitions "fwsd restarted on a full state dir"
note "full: VMs still start and stop, fwsd restarts"

rm "$T/state/filler"
restart_fwsd
same_definitions "space back"
python3 - "$T/state/fws.db" <<'EOP' || fail "the database is damaged"
import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()
sys.exit(0 if r[0] == "ok" else 1)
EOP
fwsctl autostart u1 on >/dev/null || fail "autostart with space back"
fwsctl create u3 --disk 16M --kernel "$KERNEL" >/dev/null || fail "create u3 with space back"
fwsctl snapshot-create u2 s1 >/dev/null || fail "snapshot u2 with space back"
fwsctl delete u2 >/dev/null || fail "delete u2 with space back"
[ ! -e "$disk" ] || fail "delete left $disk"
