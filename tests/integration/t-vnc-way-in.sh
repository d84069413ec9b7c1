# t-vnc-way-in.sh: fwsctl vnc tells the way to the screen that works
# from a user's own machine, for the vnc_listen configured.  On loopback:
# the exact ssh -L line, as the caller (their user name, looked up by
# fwsctl) to the host's name (gethostname, or public_host), then the
# viewer on localhost.  On a routable address: the viewer on that
# address; on every address (0.0.0.0): on public_host.  --json keeps
# its fields and adds public_host, loopback, viewer and tunnel.  A
# public_host that is no host name keeps fwsd from starting.
. "$(dirname "$0")/lib.sh"
make_user a; A=$MADE_USER
# a namespace of our own: its ports are ours, and it has a routable
# address to listen on
use_netns
in_ns ip addr add 10.77.0.1/32 dev lo || fail "address in the namespace"

# vnc_json USER KEY: one field of fwsctl vnc --json, as USER
vnc_json() {
	as "$1" fwsctl vnc v --json | python3 -c \
	    "import json,sys; v=json.load(sys.stdin)['$2']; print('null' if v is None else v)"
}

# --- loopback, the default public_host
write_config "vnc_listen = 127.0.0.1"
start_fwsd
fwsctl --owner "$A" create v --vcpus 1 --memory 128 --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null || fail "create"
as "$A" fwsctl start v >/dev/null || fail "start"
host=$(hostname)
as "$A" fwsctl vnc v >"$T/out" || fail "vnc: $(cat "$T/out")"
grep -q "^v's screen: VNC display 0 on 127.0.0.1 (port 5900), reachable on $host alone.$" "$T/out" &&
grep -q "^On this host: *gvncviewer 127.0.0.1:0$" "$T/out" &&
grep -q "^From your machine: *ssh -L 5900:127.0.0.1:5900 $A@$host$" "$T/out" &&
grep -q "^ *and while it is open: gvncviewer localhost:0$" "$T/out" &&
grep -q "^Password: *[A-Za-z0-9]\{8\} (new at every start)$" "$T/out" ||
    fail "vnc on loopback said: $(cat "$T/out")"
[ "$(vnc_json "$A" tunnel)" = "ssh -L 5900:127.0.0.1:5900 $A@$host" ] &&
[ "$(vnc_json "$A" viewer)" = "gvncviewer localhost:0" ] &&
[ "$(vnc_json "$A" command)" = "gvncviewer 127.0.0.1:0" ] &&
[ "$(vnc_json "$A" loopback)" = True ] &&
[ "$(vnc_json "$A" public_host)" = "$host" ] &&
[ "$(vnc_json "$A" host)" = 127.0.0.1 ] && [ "$(vnc_json "$A" port)" = 5900 ] &&
[ "$(vnc_json "$A" display)" = 0 ] ||
    fail "vnc --json on loopback: $(as "$A" fwsctl vnc v --json)"
# the caller's name, not the owner's: an admin tunnels as themselves
fwsctl --owner "$A" vnc v | grep -q "ssh -L 5900:127.0.0.1:5900 root@$host$" ||
    fail "the admin's way in: $(fwsctl --owner "$A" vnc v)"
note "loopback: the ssh -L line as the caller, then the viewer on localhost"

# --- a routable address, a public_host of the admin's choosing
fwsctl --owner "$A" destroy v >/dev/null || fail "destroy"
stop_fwsd
write_config "vnc_listen = 10.77.0.1
public_host = gate.example.org"
start_fwsd
as "$A" fwsctl start v >/dev/null || fail "start on 10.77.0.1"
as "$A" fwsctl vnc v >"$T/out" || fail "vnc: $(cat "$T/out")"
grep -q "^v's screen: VNC display 0 (port 5900).$" "$T/out" &&
grep -q "^Viewer: *gvncviewer 10.77.0.1:0$" "$T/out" &&
! grep -q "ssh" "$T/out" || fail "vnc on a routable address said: $(cat "$T/out")"
[ "$(vnc_json "$A" tunnel)" = null ] && [ "$(vnc_json "$A" loopback)" = False ] &&
[ "$(vnc_json "$A" viewer)" = "gvncviewer 10.77.0.1:0" ] &&
[ "$(vnc_json "$A" public_host)" = gate.example.org ] ||
    fail "vnc --json on a routable address: $(as "$A" fwsctl vnc v --json)"
# the server is there, on that address
in_ns python3 -c '
import socket
s = socket.create_connection(("10.77.0.1", 5900), timeout=10)
assert s.recv(12) == b"RFB 003.008\n"' || fail "no VNC server on 10.77.0.1:5900"
note "a routable address: the viewer on it, no ssh"

# --- every address: the viewer on public_host
fwsctl --owner "$A" destroy v >/dev/null || fail "destroy"
stop_fwsd
write_config "vnc_listen = 0.0.0.0
public_host = gate.example.org"
start_fwsd
as "$A" fwsctl start v >/dev/null || fail "start on 0.0.0.0"
as "$A" fwsctl vnc v | grep -q "^Viewer: *gvncviewer gate.example.org:0$" ||
    fail "vnc on every address: $(as "$A" fwsctl vnc v)"
fwsctl --owner "$A" destroy v >/dev/null || fail "destroy"
note "every address: the viewer on public_host"

# --- public_host goes into a command line: a host name or an address
printf 'public_host = gate;rm -rf x\n' > "$T/bad.conf"
"$FWSD" --foreground --config "$T/bad.conf" --state-dir "$T/bad-state" \
    --run-dir "$T/bad-run" >"$T/out" 2>&1 && fail "fwsd took a bad public_host"
grep -q 'public_host: "gate;rm -rf x" is not a host name or address' "$T/out" ||
    fail "fwsd's refusal: $(cat "$T/out")"
note "a public_host that is no host name is refused"
