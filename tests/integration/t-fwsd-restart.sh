# t-fwsd-restart.sh: fwsd's own end never takes a guest down.  After
# kill -9 and after SIGTERM, the next fwsd adopts every qemu (same PIDs,
# QMP works, no guest booted twice); a VM whose qemu died while fwsd was
# away is restarted, once, by its policy; nothing stale is left behind.
. "$(dirname "$0")/lib.sh"
start_fwsd
for n in r1 r2 r3; do
	create_guest $n
	fwsctl start $n >/dev/null || fail "start $n"
done
for n in r1 r2 r3; do
	wait_console $n FWS-GUEST-READY
done
p1=$(field r1 pid); p2=$(field r2 pid); p3=$(field r3 pid)

same_pids() {
	[ "$(field r1 pid)" = "$p1" ] && [ "$(field r2 pid)" = "$p2" ] &&
	    [ "$(field r3 pid)" = "$p3" ]
}
booted_once() {
	for n in "$@"; do
		[ "$(count_in_console $n FWS-GUEST-READY)" = 1 ] ||
		    fail "$n booted again"
	done
}

# kill -9
kill -9 "$FWSD_PID"; wait "$FWSD_PID" 2>/dev/null; FWSD_PID=
alive "$p1" && alive "$p2" && alive "$p3" || fail "kill -9 of fwsd killed a qemu"
start_fwsd
for n in r1 r2 r3; do
	wait_until 10 state_is $n running || fail "$n not adopted: $(field $n state)"
done
same_pids || fail "a qemu was replaced after kill -9"
booted_once r1 r2 r3
[ "$(last_event r1)" = adopted ] || fail "r1: $(events_of r1)"
fwsctl pause r1 >/dev/null && state_is r1 paused || fail "QMP pause on adopted r1"
fwsctl resume r1 >/dev/null && state_is r1 running || fail "QMP resume on adopted r1"
note "adopted after kill -9"

# SIGTERM: a clean exit, guests untouched
kill -TERM "$FWSD_PID"; wait "$FWSD_PID"; rc=$?; FWSD_PID=
[ "$rc" = 0 ] || fail "fwsd exited $rc on SIGTERM"
[ ! -e "$SOCK" ] || fail "control socket left after SIGTERM"
alive "$p1" && alive "$p2" && alive "$p3" || fail "SIGTERM to fwsd killed a qemu"
start_fwsd
for n in r1 r2 r3; do
	wait_until 10 state_is $n running || fail "$n not adopted: $(field $n state)"
done
same_pids || fail "a qemu was replaced after SIGTERM"
booted_once r1 r2 r3
note "adopted after SIGTERM"

# r2's qemu dies while fwsd is away: restarted once, the others kept
kill -9 "$FWSD_PID"; wait "$FWSD_PID" 2>/dev/null; FWSD_PID=
kill -9 "$p2"
start_fwsd
wait_until 60 runs_anew r2 "$p2" || fail "r2 not restarted: $(field r2 state)"
[ "$(field r2 restarts)" = 1 ] || fail "r2 restarts: $(field r2 restarts)"
field r2 last_exit | grep -q "while fwsd was not running" ||
    fail "r2: $(field r2 last_exit)"
[ "$(cat "$(run_file r2 pid)")" = "$(field r2 pid)" ] || fail "stale r2 pidfile"
[ "$(field r1 pid)" = "$p1" ] && [ "$(field r3 pid)" = "$p3" ] ||
    fail "r1 or r3 replaced"
wait_until "$BOOT_TIMEOUT" booted r2 2 ||
    fail "r2 did not boot again"
booted_once r1 r3
note "a qemu lost while away: restarted once"

# the store lags behind a spawn (fwsd died in between): qemu's pidfile
# finds the process, which is adopted, not started a second time
kill -9 "$FWSD_PID"; wait "$FWSD_PID" 2>/dev/null; FWSD_PID=
python3 - "$T/state/fws.db" <<'EOP'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE vms SET state = 'stopped', pid = NULL, pid_start = NULL "
           "WHERE name = 'r3'")
db.commit()
EOP
start_fwsd
wait_until 30 state_is r3 running || fail "r3 not adopted from its pidfile: $(field r3 state)"
[ "$(field r3 pid)" = "$p3" ] || fail "r3 started a second time"
booted_once r3
note "a qemu missing from the store: adopted through its pidfile"

# the explicit way to stop them all; nothing left in the run directory
fwsctl shutdown-all --timeout 30 >/dev/null || fail "shutdown-all"
for n in r1 r2 r3; do
	state_is $n stopped || fail "$n: $(field $n state)"
done
ls "$T/run" | grep -E '\.(qmp|serial|pid)$' && fail "stale files in the run dir"
[ -z "$(our_pids | grep -v "^$FWSD_PID\$")" ] || fail "a qemu outlived shutdown-all"
