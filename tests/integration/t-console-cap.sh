# t-console-cap.sh: a guest cannot fill the host's disk through its
# console.  With console_log_max = 64K, a guest that prints 2 MB to its
# serial port leaves a console.log near the cap while it writes (over it
# by what it writes in the second between two looks: under TCG 100 to
# 300 KB, so bounded here at 10 times the cap, a third of the flood)
# and within the cap once it is quiet, cut at the front: the boot's
# FWS-GUEST-READY gone, the newest line kept.  It stays so after a stop
# and a start (qemu.log, grown meanwhile, is cut before qemu starts) and
# after fwsd restarts and adopts the guest.
. "$(dirname "$0")/lib.sh"
CAP=65536
BOUND=$((10 * CAP))
write_config "console_log_max = 64K"
start_fwsd

create_guest c1
fwsctl start c1 >/dev/null || fail "start c1"
wait_console c1 FWS-GUEST-READY
LOG=$(console_log c1)
QLOG=$(dirname "$LOG")/qemu.log

size() {
	stat -c %s "$1"
}

# flood TAG: the guest prints 2 MB of lines, then FWS-TAG-DONE (typed
# so that the echo of the command line does not show it); the log's
# size is looked at every 0.1 s meanwhile, the largest seen in $SEEN
flood() {
	guest_type c1 "d=DONE; yes FWS-CHATTER-0123456789 | head -c 2000000; echo FWS-$1-\$d"
	SEEN=0
	start=$(date +%s)
	i=0
	while ! grep -q "FWS-$1-DONE" "$LOG"; do
		s=$(size "$LOG")
		[ "$s" -gt "$SEEN" ] && SEEN=$s
		i=$((i + 1))
		[ "$i" -lt $((3000 * TIME_SCALE)) ] ||
		    fail "FWS-$1-DONE never appeared ($(size "$LOG") bytes)"
		sleep 0.1
	done
	note "$1: 2 MB in $(( $(date +%s) - start )) s, console.log at most $SEEN bytes"
}

# capped TAG GONE: the flood TAG stayed within the bound, cut the log
# (GONE, printed before it, is gone), and the log is within the cap once
# the guest is quiet
capped() {
	[ "$SEEN" -le "$BOUND" ] ||
	    fail "$1: console.log reached $SEEN bytes (bound $BOUND)"
	! grep -q "$2" "$LOG" || fail "$1: console.log was not cut: $2 is there"
	# (a grep that reads while fwsd cuts the front may miss the end:
	# the data moves under its offset; look again)
	wait_until 5 grep -q "FWS-$1-DONE" "$LOG" ||
	    fail "$1: the newest line is gone"
	head -n 1 "$LOG" | grep -q '^\[older output removed\]' ||
	    fail "$1: console.log does not start with the marker"
	sleep 3
	[ "$(size "$LOG")" -le "$CAP" ] ||
	    fail "$1: console.log is $(size "$LOG") bytes once quiet"
	grep -q "FWS-$1-DONE" "$LOG" || fail "$1: the newest line went"
}

flood C1
capped C1 FWS-GUEST-READY

# stop and start: the caps go with qemu and come back with the next;
# qemu.log, grown meanwhile, is cut before qemu starts
fwsctl stop c1 >/dev/null || fail "stop c1"
yes "FWS-QEMU-LOG-FILLER 0123456789" | head -c 300000 >> "$QLOG"
fwsctl start c1 >/dev/null || fail "start c1 again"
[ "$(size "$QLOG")" -le "$CAP" ] ||
    fail "qemu.log is $(size "$QLOG") bytes after the start"
head -n 1 "$QLOG" | grep -q '^\[older output removed\]' ||
    fail "qemu.log was not cut before the start"
wait_console c1 FWS-GUEST-READY
flood C2
capped C2 FWS-GUEST-READY

# fwsd restarts while the guest runs: adopted, and capped again
restart_fwsd
wait_until 10 state_is c1 running || fail "c1 not adopted: $(field c1 state)"
[ "$(last_event c1)" = adopted ] || fail "c1: $(events_of c1)"
guest_type c1 'echo FWS-MARK-$((6*7))'
wait_console c1 FWS-MARK-42 20
flood C3
capped C3 FWS-MARK-42

! grep -E "not capped|capped already|cannot watch" "$T/fwsd.log" ||
    fail "fwsd lost track of a log"
