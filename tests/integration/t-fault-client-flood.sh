# t-fault-client-flood.sh: a control client that floods requests and
# never reads a reply.  fwsd keeps answering everyone else promptly,
# drops that client once its unread replies pass fwsd's cap (the log
# says why), and loses nothing; a client that only connects and sits
# there blocks nobody either.
. "$(dirname "$0")/lib.sh"
start_fwsd
create_guest c1 --disk 16M
create_guest c2
save_definitions

cat > "$T/flood.py" <<'EOP'
# connect, send info requests without ever reading; report how it ended
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(30)
line = b'{"id":1,"cmd":"info","args":{"name":"c1"}}\n' * 64
sent, deadline = 0, time.time() + 60
try:
    while time.time() < deadline:
        s.sendall(line)
        sent += 64
        time.sleep(0.02)        # long enough for others to come in
except (BrokenPipeError, ConnectionResetError):
    print("dropped after %d requests" % sent, flush=True)
    sys.exit(0)
except socket.timeout:
    print("blocked after %d requests" % sent, flush=True)
    sys.exit(1)
print("never dropped after %d requests" % sent, flush=True)
sys.exit(1)
EOP
cat > "$T/idle.py" <<'EOP'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
time.sleep(3600)
EOP

python3 "$T/idle.py" "$SOCK" &
python3 "$T/flood.py" "$SOCK" >"$T/flood.out" 2>&1 &
flooder=$!
# meanwhile everyone else is answered at once
answered=0
while alive "$flooder" && [ "$answered" -lt 1000 ]; do
	timeout $((5 * TIME_SCALE)) "$FWSCTL_BIN" --socket "$SOCK" info c2 >/dev/null 2>"$T/err" ||
	    fail "info while a client floods: $(cat "$T/err")"
	answered=$((answered + 1))
done
wait "$flooder" || fail "the flooding client: $(cat "$T/flood.out")"
[ "$answered" -ge 3 ] || fail "only $answered requests answered during the flood"
grep -q "dropped after" "$T/flood.out" || fail "flood: $(cat "$T/flood.out")"
grep -q "does not read its replies, dropped" "$T/fwsd.log" ||
    fail "the drop is not logged"
kill -0 "$FWSD_PID" || fail "fwsd died"
note "$(cat "$T/flood.out"), $answered others answered meanwhile"

# the client after it is served as usual, and nothing changed
expect_rc 1 fwsctl info nosuch
expect_err 'no VM named "nosuch"'
fwsctl start c2 >/dev/null 2>"$T/err" || fail "start c2: $(cat "$T/err")"
fwsctl destroy c2 >/dev/null || fail "destroy c2"
same_definitions "after the flood"
restart_fwsd
same_definitions "after a restart of fwsd"
