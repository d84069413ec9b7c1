# t-fault-qmp-stall.sh: a qemu whose monitor stops in the middle of a
# reply.  The qemu is a small fake that speaks QMP on the listening
# socket fwsd hands it (-chardev socket,fd=3) and, on the command named
# in $T/stall-on, writes half a reply and goes silent without closing.
# fwsd keeps serving everyone meanwhile; the waiting request fails with
# a clear error once the QMP timeout passes; a start that stalls is
# killed and reported; a stop of a stalled VM escalates to SIGKILL;
# adoption by a new fwsd does not hang on it; no definition is lost.
. "$(dirname "$0")/lib.sh"

cat > "$T/fake-qmp.py" <<'EOP'
import json, os, socket, sys, time

args = sys.argv[1:]
if "-pidfile" in args:
    with open(args[args.index("-pidfile") + 1], "w") as f:
        f.write("%d\n" % os.getpid())
here = os.path.dirname(os.path.abspath(__file__))
listener = socket.socket(fileno=3)      # fwsd's -chardev socket,fd=3
running = False

def stall_on():
    try:
        with open(os.path.join(here, "stall-on")) as f:
            return f.read().strip()
    except OSError:
        return ""

def send(conn, obj):
    conn.sendall(json.dumps(obj).encode() + b"\r\n")

while True:                             # a new fwsd connects again
    conn, _ = listener.accept()
    send(conn, {"QMP": {"version": {"qemu": {"major": 7, "minor": 2,
                "micro": 0}, "package": "fake"}, "capabilities": []}})
    for line in conn.makefile("rb"):
        req = json.loads(line)
        cmd, rid = req.get("execute"), req.get("id")
        if cmd == stall_on():
            conn.sendall(b'{"return": {"stat')      # ... and nothing more
            print("fake-qmp: stalled in the reply to", cmd, flush=True)
            while True:
                time.sleep(3600)
        ret = {}
        if cmd == "query-status":
            ret = {"status": "running" if running else "prelaunch",
                   "running": running, "singlestep": False}
        elif cmd == "query-vnc":
            ret = {"enabled": False}
        send(conn, {"return": ret, "id": rid})
        if cmd == "cont":
            running = True
        elif cmd == "stop":
            running = False
        elif cmd == "quit":
            sys.exit(0)
    conn.close()
EOP
cat > "$T/qemu-fake" <<EOS
#!/bin/sh
exec python3 "$T/fake-qmp.py" "\$@"
EOS
chmod 755 "$T/qemu-fake"
stall() {
	echo "$1" > "$T/stall-on"
}

# quick: fwsctl answers within a few seconds (fwsd is not blocked)
quick() {
	timeout $((5 * TIME_SCALE)) "$FWSCTL_BIN" --socket "$SOCK" "$@" >"$T/out" 2>"$T/err" ||
	    fail "'fwsctl $*' while QMP stalls: $(cat "$T/err")"
}

write_config "qemu = $T/qemu-fake"
start_fwsd
create_guest s1
create_guest s2
save_definitions

# --- stalled during a start: the start fails, qemu is killed
stall cont
fwsctl start s1 >"$T/start.out" 2>"$T/start.err" &
starter=$!
wait_until 10 state_is s1 starting || fail "s1 never starting: $(field s1 state)"
quick list
grep -q "s1 *starting" "$T/out" || fail "list during the stall: $(cat "$T/out")"
quick info s2
quick version
pid=$(field s1 pid)
wait "$starter" && fail "a start that stalled succeeded: $(cat "$T/start.out")"
grep -q "s1: cont failed: QEMU did not reply in time" "$T/start.err" ||
    fail "start error: $(cat "$T/start.err")"
state_is s1 stopped || fail "s1 after a stalled start: $(field s1 state)"
gone "$pid" || fail "the stalled qemu $pid still runs"
note "stall during start: error after the QMP timeout, qemu killed"

# --- stalled mid-reply while running: pause fails, stop escalates
stall stop
fwsctl start s1 >/dev/null || fail "start s1: $(cat "$T/err")"
state_is s1 running || fail "s1: $(field s1 state)"
pid=$(field s1 pid)
fwsctl pause s1 >"$T/pause.out" 2>"$T/pause.err" &
pauser=$!
sleep 1
quick info s1
quick list
wait "$pauser" && fail "a pause that stalled succeeded: $(cat "$T/pause.out")"
grep -q "s1: QEMU did not reply in time" "$T/pause.err" ||
    fail "pause error: $(cat "$T/pause.err")"
alive "$pid" || fail "the stalled qemu died on its own"
fwsctl stop s1 --timeout 1 >/dev/null 2>"$T/err" || fail "stop s1: $(cat "$T/err")"
state_is s1 stopped || fail "s1 after stop: $(field s1 state)"
field s1 last_exit | grep -q "qemu killed as asked" ||
    fail "s1 last_exit: $(field s1 last_exit)"
gone "$pid" || fail "the stalled qemu $pid outlived stop"
note "stall mid-reply while running: pause fails, stop kills"

# --- a new fwsd adopts a qemu whose monitor stalls: no hang
stall none
fwsctl start s2 >/dev/null || fail "start s2: $(cat "$T/err")"
pid=$(field s2 pid)
stall query-status
restart_fwsd
quick list
grep -q "s2 *running" "$T/out" || fail "s2 after adoption: $(cat "$T/out")"
[ "$(field s2 pid)" = "$pid" ] || fail "s2 was not adopted: $(field s2 pid)"
same_definitions "after adopting a stalled qemu"
fwsctl destroy s2 >/dev/null 2>"$T/err" || fail "destroy s2: $(cat "$T/err")"
gone "$pid" || fail "the stalled qemu $pid outlived destroy"
note "adoption of a stalled qemu: fwsd serves, destroy works"

restart_fwsd
same_definitions "after a restart of fwsd"
