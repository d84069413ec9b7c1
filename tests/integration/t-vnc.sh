# t-vnc.sh: VNC consoles.  fwsd gives each running VM its own display
# and a fresh random password per start; a real RFB 3.8 handshake with
# VNC authentication succeeds with that password and fails with a wrong
# one; a stopped VM has no screen; after a restart of fwsd the display
# is found again and a new password works.  With vnc_displays = 2 a
# third VM cannot start, says why, and starts once a display is free.
. "$(dirname "$0")/lib.sh"
write_config "vnc_displays = 2"
start_fwsd
create_guest w1
create_guest w2
create_guest w3
fwsctl start w1 >/dev/null && fwsctl start w2 >/dev/null || fail "start"

# rfb PORT PASSWORD: 0 when VNC authentication accepts the password
rfb() {
	python3 - "$VNC_ADDR" "$1" "$2" <<'EOP'
import socket, subprocess, sys
addr, port, password = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
s = socket.create_connection((addr, port), timeout=10)
def recv(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            sys.exit("connection closed")
        b += c
    return b
assert recv(12) == b"RFB 003.008\n"
s.sendall(b"RFB 003.008\n")
types = recv(recv(1)[0])
assert 2 in types, types            # VNC authentication offered
s.sendall(b"\x02")
challenge = recv(16)
# VNC's DES key: the password, NUL-padded to 8 bytes, each byte's bits
# reversed
key = bytes(int("{:08b}".format(b)[::-1], 2) for b in password[:8].ljust(8, b"\0"))
resp = subprocess.run(["openssl", "enc", "-des-ecb", "-nopad", "-K",
    key.hex(), "-provider", "legacy", "-provider", "default"],
    input=challenge, capture_output=True, check=True).stdout
s.sendall(resp)
sys.exit(0 if recv(4) == b"\0\0\0\0" else 1)
EOP
}

vnc_field() {
	fwsctl vnc "$1" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"
}
p1=$(vnc_field w1 port); p2=$(vnc_field w2 port)
pw1=$(vnc_field w1 password)
[ "$p1" != "$p2" ] || fail "w1 and w2 share port $p1"
[ "${#pw1}" = 8 ] || fail "password '$pw1' is not 8 characters"
fwsctl vnc w1 | grep -q "^On this host: *gvncviewer $VNC_ADDR:" || fail "vnc: $(fwsctl vnc w1)"
rfb "$p1" "$pw1" || fail "the right password was refused"
rfb "$p1" "wrong123" && fail "a wrong password was accepted"
rfb "$p2" "$pw1" && fail "w1's password opened w2"
note "RFB handshake: right password in, wrong ones out"

# a new start, a new password; a stopped VM has no screen
fwsctl stop w1 --timeout 0 >/dev/null || fail "stop w1"
expect_rc 1 fwsctl vnc w1
expect_err "no screen"
fwsctl start w1 >/dev/null || fail "start w1 again"
pw1b=$(vnc_field w1 password)
[ "$pw1b" != "$pw1" ] || fail "the password did not change with the start"
rfb "$(vnc_field w1 port)" "$pw1" && fail "the old password still works"
rfb "$(vnc_field w1 port)" "$pw1b" || fail "the new password was refused"

# fwsd restarts: same display, a password it knows
kill -9 "$FWSD_PID"; wait "$FWSD_PID" 2>/dev/null; FWSD_PID=
start_fwsd
wait_until 10 state_is w2 running || fail "w2 not adopted"
have_password() { [ -n "$(vnc_field w2 password 2>/dev/null)" ]; }
wait_until 10 have_password || fail "no password after the restart: $(fwsctl vnc w2 2>&1)"
[ "$(vnc_field w2 port)" = "$p2" ] || fail "w2's display moved"
rfb "$p2" "$(vnc_field w2 password)" || fail "the password after the restart was refused"
note "after a restart of fwsd"

# two displays, both held: the third start says why and leaves w3 whole
expect_rc 1 fwsctl start w3
expect_err "w3: cannot start: no free VNC display on $VNC_ADDR (ports 5900-5901): raise vnc_displays"
state_is w3 stopped || fail "w3 after a refused start: $(field w3 state)"
fwsctl destroy w1 >/dev/null || fail "destroy w1"
fwsctl start w3 >/dev/null || fail "start w3 on the freed display: $(cat "$T/err")"
[ "$(vnc_field w3 port)" = "$(( $p2 == 5900 ? 5901 : 5900 ))" ] ||
    fail "w3 on port $(vnc_field w3 port)"
note "vnc_displays: a start beyond them refused with the reason"
