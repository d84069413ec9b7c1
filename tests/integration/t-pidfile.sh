#!/bin/sh
# t-pidfile.sh: fwsd on a host without systemd.  --pidfile holds fwsd's
# pid once it serves (the daemon's own once it detaches; a relative path
# is kept where it was given), a second fwsd naming it is refused while
# the first lives, which serves on, a file left by an fwsd that was
# killed is taken over, and SIGTERM removes it and leaves the guests
# running for the next fwsd to adopt.  The README's start-stop-daemon
# lines start and stop fwsd so.
. "$(dirname "$0")/lib.sh"
PF=$T/fwsd.pid

FWSD_ARGS="--pidfile $PF"
start_fwsd
wait_until 10 test -s "$PF" || fail "no pid file"
[ "$(cat "$PF")" = "$FWSD_PID" ] || fail "the pid file holds $(cat "$PF"), not $FWSD_PID"
create_guest g1
fwsctl start g1 >/dev/null || fail "start g1"
qpid=$(field g1 pid)
note "the pid file holds fwsd's pid"

# a second fwsd on the same pid file: refused, in the foreground or not;
# the first serves on
mkdir -p "$T/st2" "$T/rn2"
for fg in --foreground ""; do
	expect_rc 1 "$FWSD" $fg --config "$T/fwsd.conf" --state-dir "$T/st2" \
	    --run-dir "$T/rn2" --pidfile "$PF"
	expect_err "pid file $PF is held by another fwsd (pid $FWSD_PID)"
done
[ ! -e "$T/rn2/fwsd.sock" ] || fail "the second fwsd serves"
[ "$(cat "$PF")" = "$FWSD_PID" ] || fail "the second fwsd wrote the pid file"
fwsctl version >/dev/null || fail "the first fwsd stopped serving"
note "a second fwsd is refused"

# SIGTERM: the file goes, the guest runs on
stop_fwsd
[ ! -e "$PF" ] || fail "the pid file is left after SIGTERM"
alive "$qpid" || fail "the guest ended with fwsd"

# an fwsd killed leaves its file: the next one takes it over
start_fwsd
kill -9 "$FWSD_PID"
wait "$FWSD_PID" 2>/dev/null
dead=$FWSD_PID
FWSD_PID=
[ "$(cat "$PF")" = "$dead" ] || fail "a killed fwsd's pid file: $(cat "$PF")"
start_fwsd
wait_until 10 sh -c "[ \"\$(cat '$PF')\" = $FWSD_PID ]" ||
    fail "a stale pid file was not taken over: $(cat "$PF")"
state_is g1 running && [ "$(field g1 pid)" = "$qpid" ] ||
    fail "g1 not adopted"
stop_fwsd
note "SIGTERM removes it, the guest runs on; a stale one is taken over"

# detached, with a relative path: the daemon's pid, where it was given
(cd "$T" && "$FWSD" --config "$T/fwsd.conf" --state-dir "$T/state" \
    --run-dir "$T/run" --pidfile rel.pid) || fail "fwsd did not detach"
pid=$(cat "$T/rel.pid") || fail "no pid file where it was given"
[ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$FWSD")" ] ||
    fail "the pid file holds $pid, not the daemon's pid"
fwsctl version >/dev/null || fail "the daemon does not serve"
kill -TERM "$pid"
wait_until 10 gone "$pid" || fail "fwsd did not exit on SIGTERM"
[ ! -e "$T/rel.pid" ] || fail "the relative pid file is left"
note "detached: the daemon's pid, a relative path kept"

# as the README starts and stops it
command -v start-stop-daemon >/dev/null || fail "start-stop-daemon is missing"
start-stop-daemon --start --pidfile "$PF" --exec "$FWSD" -- \
    --pidfile "$PF" --config "$T/fwsd.conf" --state-dir "$T/state" \
    --run-dir "$T/run" >"$T/ssd.log" 2>&1 || fail "start-stop-daemon --start: $(cat "$T/ssd.log")"
fwsctl version >/dev/null || fail "fwsd does not serve"
pid=$(cat "$PF")
expect_rc 1 start-stop-daemon --start --pidfile "$PF" --exec "$FWSD" -- \
    --pidfile "$PF" --config "$T/fwsd.conf" --state-dir "$T/state" \
    --run-dir "$T/run"
state_is g1 running || fail "g1 not adopted"
start-stop-daemon --stop --signal TERM --retry 30 --pidfile "$PF" \
    >"$T/ssd.log" 2>&1 || fail "start-stop-daemon --stop: $(cat "$T/ssd.log")"
gone "$pid" || fail "fwsd still runs"
[ ! -e "$PF" ] || fail "the pid file is left"
alive "$qpid" || fail "the guest ended with fwsd"
note "started and stopped by start-stop-daemon"
