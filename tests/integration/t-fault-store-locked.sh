# t-fault-store-locked.sh: another process holds the sqlite database's
# write lock (BEGIN EXCLUSIVE).  Reads are answered; every change to a
# definition is refused with the store's reason and leaves nothing
# behind; a VM started meanwhile runs (its state cannot be recorded, as
# the log says) and is found again by the next fwsd; fwsd even starts
# with the lock held; no definition is lost.
. "$(dirname "$0")/lib.sh"

LOCKER=
# lock: a python3 sqlite3 connection holds the write lock until unlock
lock() {
	rm -f "$T/locked"
	python3 - "$T/state/fws.db" "$T/locked" <<'EOP' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
db.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(3600)
EOP
	LOCKER=$!
	wait_until 10 test -e "$T/locked" || fail "could not lock the database"
}
unlock() {
	kill "$LOCKER"
	wait "$LOCKER" 2>/dev/null
	LOCKER=
}

start_fwsd
create_guest l1
create_guest l2 --disk 16M
save_definitions
disk=$(fwsctl info l2 --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["disks"][0]["path"])')

lock
# reads
fwsctl list >"$T/out" || fail "list while locked"
grep -q "^l2 " "$T/out" || fail "list while locked: $(cat "$T/out")"
same_definitions "while locked"
fwsctl events l1 >/dev/null || fail "events while locked"
# changes are refused, with the reason
expect_rc 1 fwsctl create l3 --kernel "$KERNEL"
expect_err "l3: store: database is locked"
expect_rc 1 fwsctl create l4 --disk 16M --kernel "$KERNEL"
expect_err "l4: store: database is locked"
expect_rc 1 fwsctl autostart l1 on
expect_err "store: database is locked"
[ "$(field l1 autostart)" = False ] || fail "autostart changed: $(field l1 autostart)"
expect_rc 1 fwsctl delete l2
expect_err "store: database is locked"
[ -f "$disk" ] || fail "a refused delete removed $disk"
same_definitions "after refused changes"
[ "$(ls "$T/state/vms")" = "$(printf 'l1\nl2')" ] ||
    fail "refused creates left files: $(ls "$T/state/vms")"
note "locked: reads answered, changes refused, nothing left behind"

# a start goes on without the store; the log says what was not recorded
fwsctl start l1 >/dev/null 2>"$T/err" || fail "start l1 while locked: $(cat "$T/err")"
state_is l1 running || fail "l1: $(field l1 state)"
pid=$(field l1 pid)
grep -q "l1: cannot record state running: store: database is locked" "$T/fwsd.log" ||
    fail "the lost state change is not logged"
# fwsd starts with the lock held and finds the qemu the store missed
restart_fwsd
wait_until 30 state_is l1 running || fail "l1 not adopted while locked: $(field l1 state)"
[ "$(field l1 pid)" = "$pid" ] || fail "l1: pid $(field l1 pid), not $pid"
same_definitions "fwsd started while locked"
note "locked: a start runs unrecorded, the next fwsd adopts it"

unlock
restart_fwsd
same_definitions "after the lock is gone"
wait_until 30 state_is l1 running || fail "l1 after unlock: $(field l1 state)"
[ "$(field l1 pid)" = "$pid" ] || fail "l1: pid $(field l1 pid), not $pid"
fwsctl destroy l1 >/dev/null || fail "destroy l1"
fwsctl create l3 --kernel "$KERNEL" >/dev/null || fail "create l3 after unlock"
fwsctl create l4 --disk 16M --kernel "$KERNEL" >/dev/null ||
    fail "create l4 after unlock: $(fwsctl create l4 --disk 16M --kernel "$KERNEL" 2>&1)"
fwsctl delete l2 >/dev/null || fail "delete l2 after unlock"
[ ! -e "$disk" ] || fail "delete l2 left $disk"
