# t-fault-conn-flood.sh: connections as an attack.  An ordinary user
# opens 20,000 connections as fast as it can and holds what fwsd lets
# it keep: fwsd keeps max_clients_per_user of them, refuses the rest
# with one line naming the limit, stays idle, logs a count rather than
# a line per connection, and root is answered at once; a second user
# meets max_clients.  Idle connections are closed after
# client_idle_timeout, while an events --follow stream and a slow
# request are not.  Out of descriptors (fwsd under a limit of 64),
# fwsd refuses what it cannot hold without spinning, and serves again
# once connections close.
. "$(dirname "$0")/lib.sh"

HZ=$(getconf CLK_TCK)
# cpu_ticks: fwsd's user + system time so far, in clock ticks
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$FWSD_PID/stat"
}

log_lines() {
	wc -l < "$T/fwsd.log"
}

# idle_cpu WHAT: fwsd may use 0.5 s of CPU in 2 s while WHAT is held
idle_cpu() {
	c0=$(cpu_ticks)
	sleep 2
	used=$(( $(cpu_ticks) - c0 ))
	[ "$used" -lt $((HZ / 2 * TIME_SCALE)) ] ||
	    fail "$1: fwsd used $used of $HZ ticks a second over 2 s"
	note "$1: fwsd used $((used * 1000 / HZ)) ms of CPU in 2 s"
}

# root_list_ms: root's fwsctl list, in milliseconds (fails if refused)
root_list_ms() {
	t0=$(date +%s%N)
	fwsctl list >/dev/null 2>"$T/err" || fail "root's list: $(cat "$T/err")"
	echo $(( ($(date +%s%N) - t0) / 1000000 ))
}

# flood.py SOCKET N: open N connections to fwsd as fast as possible.
# Those fwsd refuses (it says why and closes them) are closed; the rest
# are held until stdin ends.  Prints how many were held and refused, and
# fwsd's reasons.
cat > "$T/flood.py" <<'EOP'
import errno, json, resource, select, signal, socket, sys
signal.alarm(120)
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
path, n = sys.argv[1], int(sys.argv[2])
ep = select.epoll()
held, refused, why = {}, 0, set()

def reap(timeout):
    global refused
    events = ep.poll(timeout)
    for fd, _ in events:
        s = held.pop(fd)
        ep.unregister(fd)
        try:
            line = s.recv(4096)
            why.add(json.loads(line)["error"]["message"])
        except (OSError, ValueError, KeyError):
            why.add("closed without a reason")
        s.close()
        refused += 1
    return len(events)

for i in range(n):
    while True:
        try:
            s = socket.socket(socket.AF_UNIX)
            break
        except OSError as e:
            if e.errno != errno.EMFILE:
                raise
            reap(1)             # our own limit: wait for refusals
    s.connect(path)
    held[s.fileno()] = s
    ep.register(s.fileno(), select.EPOLLIN)
    reap(0)
while reap(1.5) > 0:            # the last refusals (fwsd may pause 1 s)
    pass
print("held %d refused %d: %s" % (len(held), refused, "; ".join(sorted(why))),
      flush=True)
sys.stdin.read()
EOP

# flood USER|root NAME N: run flood.py in the background as USER, its
# output in $T/NAME.out, holding until release NAME; its PID in $FLOOD
flood() {
	mkfifo "$T/$2.hold"
	if [ "$1" = root ]; then
		python3 "$T/flood.py" "$SOCK" "$3" <"$T/$2.hold" >"$T/$2.out" 2>&1 &
	else
		runuser -u "$1" -- python3 "$T/flood.py" "$SOCK" "$3" \
		    <"$T/$2.hold" >"$T/$2.out" 2>&1 &
	fi
	FLOOD=$!
	# the write end, kept open in a descriptor of its own per flood
	eval "exec $4>\"\$T/\$2.hold\""
	wait_until 60 grep -q "^held" "$T/$2.out" ||
	    fail "$2 did not finish connecting: $(cat "$T/$2.out")"
}

# held NAME: how many connections the flood NAME holds
held() {
	sed -n 's/^held \([0-9]*\) .*/\1/p' "$T/$1.out"
}

# --- caps: 20,000 connections from one user, 100 from another
write_config "max_clients = 40"
start_fwsd
soft=$(awk '/^Max open files/ { print $4 }' "/proc/$FWSD_PID/limits")
hard=$(awk '/^Max open files/ { print $5 }' "/proc/$FWSD_PID/limits")
[ "$soft" = "$hard" ] || fail "fwsd's descriptor limit is $soft, not its hard limit $hard"
make_user a
ua=$MADE_USER
make_user b
ub=$MADE_USER
lines0=$(log_lines)
c0=$(cpu_ticks)
t0=$(date +%s%N)
flood "$ua" flood-a 20000 3
flood_a=$FLOOD
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
note "$ua: $(cut -d: -f1 "$T/flood-a.out") in $ms ms, fwsd's CPU $(( ($(cpu_ticks) - c0) * 1000 / HZ )) ms"
[ "$(held flood-a)" = 32 ] || fail "$ua holds $(held flood-a) connections, not 32: $(cat "$T/flood-a.out")"
grep -q "refused 19968: too many connections from uid $(uid_of "$ua") (max_clients_per_user = 32)\$" "$T/flood-a.out" ||
    fail "$ua was not told why: $(cat "$T/flood-a.out")"
flood "$ub" flood-b 100 4
flood_b=$FLOOD
[ "$(held flood-b)" = 8 ] || fail "$ub holds $(held flood-b) connections, not 8: $(cat "$T/flood-b.out")"
grep -q "refused 92: too many connections from all users (max_clients = 40)\$" "$T/flood-b.out" ||
    fail "$ub was not told why: $(cat "$T/flood-b.out")"

# while they are held: root is answered at once, fwsd is idle, the
# users' own fwsctl is told why
ms=$(root_list_ms)
[ "$ms" -lt $((1000 * TIME_SCALE)) ] || fail "root's list took $ms ms during the flood"
note "root's list answered in $ms ms during the flood"
idle_cpu "40 connections held, 20,060 refused"
expect_rc 1 as "$ua" fwsctl list
expect_err "too many connections from uid $(uid_of "$ua") (max_clients_per_user = 32)"
expect_rc 1 as "$ub" fwsctl list
expect_err "max_clients = 40"
lines=$(( $(log_lines) - lines0 ))
[ "$lines" -lt 100 ] || fail "the flood wrote $lines log lines"
note "the flood wrote $lines log lines (40 connections admitted)"
grep -q "refused a connection from pid [0-9]*: too many connections from uid $(uid_of "$ua")" "$T/fwsd.log" ||
    fail "the first refusal is not logged"
# then one line sums up the others
wait_until 12 grep -q "refused [0-9]* connections in 10 s: [0-9]* over max_clients_per_user (uid $(uid_of "$ua"))" "$T/fwsd.log" ||
    fail "no line counts the refusals: $(grep refused "$T/fwsd.log")"
note "$(grep -o "refused [0-9]* connections in 10 s.*" "$T/fwsd.log" | head -1)"

# the flood over, the users are served again
exec 3>&- 4>&-
wait "$flood_a" "$flood_b"
wait_until 5 as "$ua" fwsctl list || fail "$ua's list after the flood"
as "$ub" fwsctl list >/dev/null || fail "$ub's list after the flood"

# --- idle connections are closed; streams and slow requests are not
write_config "client_idle_timeout = 2"
restart_fwsd
"$FWSCTL_BIN" --socket "$SOCK" events --follow --json --limit 0 \
    >"$T/follow.out" 2>&1 &
follower=$!
# rdinit=/bin/sh: nothing in the guest listens to the power button
fwsctl create deaf --memory 256 --kernel "$KERNEL" --initrd "$INITRD" \
    --append "console=ttyS0 quiet rdinit=/bin/sh" >/dev/null || fail "create deaf"
fwsctl start deaf >/dev/null || fail "start deaf"
r=$(python3 - "$SOCK" <<'EOP'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(15)
t0 = time.time()
try:
    r = s.recv(100)
    t = time.time() - t0
    ok = r == b"" and 1.5 < t < 6
    print("ok" if ok else "bad", "eof" if r == b"" else "data", "after %.1f s" % t)
except socket.timeout:
    print("bad: still open after 15 s")
EOP
)
case $r in
ok*) note "an idle connection: ${r#ok }" ;;
*) fail "an idle connection: $r" ;;
esac
# a request longer than the timeout: the guest ignores the button
t0=$(date +%s)
fwsctl stop deaf --timeout 4 >/dev/null 2>"$T/err" || fail "a slow stop: $(cat "$T/err")"
[ $(( $(date +%s) - t0 )) -ge 4 ] || fail "stop did not wait for the guest"
alive "$follower" || fail "events --follow was closed: $(cat "$T/follow.out")"
create_guest late
wait_until 5 grep -q '"vm":"late","event":"created"' "$T/follow.out" ||
    fail "events --follow got no event: $(cat "$T/follow.out")"
note "events --follow kept past the idle timeout, a 4 s stop answered"
kill "$follower"
wait "$follower" 2>/dev/null

# --- out of descriptors: root opens more connections than fwsd has
write_config
FWSD_WRAP="prlimit --nofile=64:64"
restart_fwsd
lines0=$(log_lines)
flood root flood-r 300 5
flood_r=$FLOOD
note "root: $(cut -d: -f1 "$T/flood-r.out")"
grep -q "fwsd is out of file descriptors" "$T/flood-r.out" ||
    fail "the connections beyond the descriptors: $(cat "$T/flood-r.out")"
idle_cpu "out of descriptors"
expect_rc 1 fwsctl list
expect_err "fwsd is out of file descriptors"
lines=$(( $(log_lines) - lines0 ))
[ "$lines" -lt 100 ] || fail "out of descriptors, fwsd wrote $lines log lines"
note "out of descriptors, fwsd wrote $lines log lines ($(held flood-r) connections admitted)"
exec 5>&-
wait "$flood_r"
wait_until 5 fwsctl list || fail "root's list once the connections closed"
kill -0 "$FWSD_PID" || fail "fwsd died"
