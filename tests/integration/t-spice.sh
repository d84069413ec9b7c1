# t-spice.sh: SPICE screens.  A VM made with --display spice starts with
# a SPICE port of spice_ports that fwsd picked (none held by another VM,
# VNC displays' ports included, and VNC skips SPICE's) and a fresh
# random password per start; fwsctl display --vv gives a remote-viewer
# file that remote-viewer, under Xvfb, shows the guest's screen with:
# what qemu's screendump shows is on the X display pixel for pixel.  A
# wrong password shows nothing (remote-viewer asks again), and a SPICE
# link with it is refused (permission denied), as is an old one after a
# new start, and another VM's.  A third SPICE VM with no port left cannot
# start and says why.  Only the owner and admins see the way in; vnc on a
# SPICE VM points to display; the panel's screen (screen-connect) still
# speaks RFB.  After a restart of fwsd the port is found again and a new
# password works.  set --display takes effect at the next start; dump
# and define carry SPICE; a definition without a display is VNC; with
# default_display = spice a VM made without --display is SPICE; bad
# values are refused, in requests, definitions and fwsd.conf.
. "$(dirname "$0")/lib.sh"
for tool in Xvfb:xvfb remote-viewer:virt-viewer xwd:x11-apps openssl:openssl; do
	command -v "${tool%%:*}" >/dev/null 2>&1 ||
	    fail "${tool%%:*} is missing (package ${tool#*:}: make deps)"
done
make_user a; A=$MADE_USER
make_user b; B=$MADE_USER
# three ports, the first one VNC's display 0 too: who holds which is
# fwsd's to keep apart
write_config "spice_ports = 5900-5902"
start_fwsd

# --- bad values, refused before anything is made
expect_rc 1 fwsctl create x --display rdp
expect_err 'display must be vnc or spice, not "rdp"'
expect_rc 1 fwsctl create x --display ""
expect_err 'display must be vnc or spice, not ""'
r=$(raw '{"id":1,"cmd":"create","args":{"name":"x","display":5}}')
printf "%s\n" "$r" | grep -q '"invalid_argument"' && printf "%s\n" "$r" | grep -q display ||
    fail "a display that is no string: $r"
r=$(raw '{"id":1,"cmd":"create","args":{"name":"x","display":"SPICE"}}')
printf "%s\n" "$r" | grep -q 'display must be vnc or spice' || fail "display SPICE: $r"
expect_rc 1 fwsctl info x
note "bad --display values are refused, nothing made"

fwsctl --owner "$A" create s1 --vcpus 1 --memory 256 --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" --display spice >/dev/null ||
    fail "create s1"
create_guest s2 --display spice
create_guest s3 --display spice
create_guest v1
[ "$(fwsctl --owner "$A" info s1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["display"])')" = spice ] ||
    fail "s1's display: $(fwsctl --owner "$A" info s1)"
[ "$(field v1 display)" = vnc ] || fail "v1's display is not vnc by default"
expect_rc 1 fwsctl set v1 --display rdp
expect_err 'display must be vnc or spice, not "rdp"'
[ "$(field v1 display)" = vnc ] || fail "a refused set changed v1"

# dj NAME KEY: one field of fwsctl display --json (s1 is $A's)
dj() {
	if [ "$1" = s1 ]; then
		fwsctl --owner "$A" display s1 --json
	else
		fwsctl display "$1" --json
	fi | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"
}
link() {
	python3 "$TOP/tests/integration/spice-link.py" "$VNC_ADDR" "$1" "$2" >/dev/null 2>&1
}

fwsctl start v1 >/dev/null || fail "start v1"
[ "$(fwsctl vnc v1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["port"])')" = 5900 ] ||
    fail "v1 is not on display 0"
fwsctl --owner "$A" start s1 >/dev/null && fwsctl start s2 >/dev/null ||
    fail "start s1, s2"
p1=$(dj s1 port); p2=$(dj s2 port)
pw1=$(dj s1 password); pw2=$(dj s2 password)
[ "$(dj s1 protocol)" = spice ] || fail "s1's protocol: $(dj s1 protocol)"
[ "$p1" != "$p2" ] || fail "s1 and s2 share port $p1"
for p in "$p1" "$p2"; do
	[ "$p" = 5901 ] || [ "$p" = 5902 ] || fail "a SPICE port $p besides 5901-5902 (v1 holds 5900)"
done
[ "${#pw1}" = 16 ] || fail "password '$pw1' is not 16 characters"
[ "$pw1" != "$pw2" ] || fail "s1 and s2 share a password"
# the third has no port left: refused, with the reason, and left whole
expect_rc 1 fwsctl start s3
expect_err "s3: cannot start: no free SPICE port on $VNC_ADDR (spice_ports 5900-5902): widen spice_ports"
state_is s3 stopped || fail "s3 after a refused start: $(field s3 state)"
note "SPICE ports: one each, none of VNC's, a start with none left refused"

# --- the password: the right one in, a wrong one, another VM's out
link "$p1" "$pw1" || fail "s1's password was refused"
link "$p1" "wrong-password12" && fail "a wrong password was accepted"
link "$p1" "" && fail "an empty password was accepted"
link "$p2" "$pw1" && fail "s1's password opened s2"
link "$p2" "$pw2" || fail "s2's password was refused"
note "SPICE link: the right password in, wrong ones out"

# --- the way in: for the owner and admins, nobody else
as "$A" fwsctl display s1 >"$T/out" || fail "display as the owner"
grep -q "^s1's screen: SPICE on $VNC_ADDR (port $p1), reachable on $(hostname) alone.$" "$T/out" &&
    grep -q "^On this host: *remote-viewer spice://$VNC_ADDR:$p1$" "$T/out" &&
    grep -q "^From your machine: *ssh -L $p1:$VNC_ADDR:$p1 $A@$(hostname)$" "$T/out" &&
    grep -q "and while it is open: remote-viewer spice://localhost:$p1$" "$T/out" &&
    grep -q "^Password: *$pw1 (new at every start)$" "$T/out" ||
    fail "display s1: $(cat "$T/out")"
expect_rc 1 as "$B" fwsctl display s1
expect_err 'no VM named "s1"'
expect_rc 1 as "$B" fwsctl --owner "$A" display s1
expect_err "only admins"
expect_rc 1 as "$B" fwsctl --owner "$A" display s1 --vv
[ -s "$T/out" ] && fail "a refused --vv wrote: $(cat "$T/out")"
[ "$(dj s1 password)" = "$pw1" ] || fail "an admin does not see s1's screen"
expect_rc 1 as "$A" fwsctl vnc s1
expect_err "s1's screen is served over SPICE, not VNC: fwsctl display s1"
expect_rc 2 fwsctl display s2 --vv --json
[ "$(fwsctl display v1 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["protocol"], d["port"])')" = "vnc 5900" ] ||
    fail "display v1: $(fwsctl display v1 --json)"
fwsctl display v1 --vv | grep -qx "type=vnc" || fail "display v1 --vv: $(fwsctl display v1 --vv)"
expect_rc 1 fwsctl display s3
expect_err "s3 is stopped: no screen to show"
note "display: the owner's and admins', vnc on a SPICE VM points to it"

# --- the connection file, and remote-viewer showing the guest with it
as "$A" fwsctl display s1 --vv >"$T/s1.vv" || fail "display --vv"
want=$(printf '[virt-viewer]\ntype=spice\nhost=%s\nport=%s\npassword=%s\ntitle=s1\ndelete-this-file=1' \
    "$VNC_ADDR" "$p1" "$pw1")
[ "$(cat "$T/s1.vv")" = "$want" ] || fail "the .vv file: $(cat "$T/s1.vv")"
cp "$T/s1.vv" "$T/s1.kept"
sed "s/^password=.*/password=wrong-password12/" "$T/s1.vv" >"$T/bad.vv"

# Xvfb the size of the guest's text screen: remote-viewer (kiosk, its
# window the whole display) shows it unscaled
Xvfb -displayfd 3 -screen 0 720x400x24 -nolisten tcp 3>"$T/xdisplay" \
    >"$T/xvfb.log" 2>&1 &
XVFB_PID=$!
AT_EXIT="$AT_EXIT kill $XVFB_PID 2>/dev/null;"
wait_until 20 test -s "$T/xdisplay" || fail "Xvfb did not start: $(cat "$T/xvfb.log")"
X=:$(cat "$T/xdisplay")
# viewer FILE LOG: remote-viewer on the X display, its PID in RV_PID
viewer() {
	DISPLAY=$X remote-viewer --debug --kiosk --kiosk-quit=on-disconnect \
	    "$1" >"$2" 2>&1 &
	RV_PID=$!
	AT_EXIT="$AT_EXIT kill $RV_PID 2>/dev/null;"
}
# shown: the guest's screen (fwsctl screenshot) is on the X display
shown() {
	xwd -root -silent -display "$X" >"$T/x.xwd" &&
	    fwsctl --owner "$A" screenshot s1 "$T/guest.png" >/dev/null &&
	    python3 "$TOP/tests/integration/screen-match.py" "$T/guest.png" \
	    "$T/x.xwd" >"$T/match" 2>&1
}
viewer "$T/s1.vv" "$T/rv.log"
wait_until 60 shown || fail "remote-viewer does not show s1's screen: $(cat "$T/match"); $(tail -5 "$T/rv.log")"
grep -q "main channel: opened" "$T/rv.log" || fail "remote-viewer's log: $(tail -5 "$T/rv.log")"
[ -e "$T/s1.vv" ] && fail "remote-viewer kept the file (delete-this-file)"
note "remote-viewer with display --vv: $(cat "$T/match")"
kill "$RV_PID"; wait "$RV_PID" 2>/dev/null

# a wrong password: remote-viewer says so, and shows no guest
viewer "$T/bad.vv" "$T/rv-bad.log"
wait_until 30 grep -q "auth failure" "$T/rv-bad.log" ||
    fail "remote-viewer with a wrong password: $(tail -5 "$T/rv-bad.log")"
shown && fail "a wrong password showed the screen: $(cat "$T/match")"
grep -q "not there" "$T/match" || fail "no answer from screen-match: $(cat "$T/match")"
kill "$RV_PID"; wait "$RV_PID" 2>/dev/null
note "remote-viewer with a wrong password: auth failure, no screen"

# --- a new start, a new password; the old one is refused
fwsctl --owner "$A" stop s1 --timeout 0 >/dev/null || fail "stop s1"
fwsctl --owner "$A" start s1 >/dev/null || fail "start s1 again"
pw1b=$(dj s1 password); p1b=$(dj s1 port)
[ "$pw1b" != "$pw1" ] || fail "the password did not change with the start"
link "$p1b" "$pw1" && fail "the old password still works"
link "$p1b" "$pw1b" || fail "the new password was refused"
# the old file is of no use either
sed -n 's/^password=//p' "$T/s1.kept" | grep -qx "$pw1b" && fail "the old file holds the new password"
note "a new start: a new password, the old one refused"

# --- the panel's screen: RFB over a socket fwsd hands on, for SPICE too
r=$(python3 "$TOP/tests/integration/web-client.py" "$SOCK" \
    '{"id":1,"cmd":"screen-connect","args":{"name":"s2"}}')
printf "%s\n" "$r" | python3 -c "import json,sys; r=json.load(sys.stdin); sys.exit(0 if r['ok'] and r['fd'] == 'RFB 003.008\n' else 1)" ||
    fail "screen-connect to a SPICE VM: $r"
note "screen-connect (the web panel's) speaks RFB to a SPICE VM"

# --- fwsd restarts: same port, a password it knows, the old one refused
kill -9 "$FWSD_PID"; wait "$FWSD_PID" 2>/dev/null; FWSD_PID=
start_fwsd
wait_until 10 state_is s2 running || fail "s2 not adopted"
have_password() { [ -n "$(dj s2 password 2>/dev/null)" ]; }
wait_until 10 have_password || fail "no password after the restart: $(fwsctl display s2 2>&1)"
[ "$(dj s2 port)" = "$p2" ] ||
    fail "s2's port moved"
pw2b=$(dj s2 password)
link "$p2" "$pw2b" || fail "the password after the restart was refused"
link "$p2" "$pw2" && fail "the password from before the restart still works"
expect_rc 1 fwsctl vnc s2
expect_err "served over SPICE"
note "after a restart of fwsd: the port read back, a new password"

# --- VNC skips SPICE's ports: with v1 gone and s3 on 5900, v1 comes back
# on display 3
fwsctl destroy v1 >/dev/null || fail "destroy v1"
fwsctl start s3 >/dev/null || fail "start s3 on the freed port: $(cat "$T/err")"
[ "$(dj s3 port)" = 5900 ] ||
    fail "s3 is not on 5900"
fwsctl start v1 >/dev/null || fail "start v1 again"
[ "$(fwsctl vnc v1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["display"])')" = 3 ] ||
    fail "v1 is on display $(fwsctl vnc v1 --json), not 3"
note "VNC displays skip the ports SPICE holds"

# --- set --display: from the next start
fwsctl set s2 --display vnc >"$T/out" || fail "set s2 --display vnc"
grep -q "display" "$T/out" || fail "set's answer: $(cat "$T/out")"
[ "$(field s2 display)" = vnc ] || fail "s2's display after set"
[ "$(dj s2 protocol)" = spice ] ||
    fail "the running s2 changed its screen"
expect_events s2 changed
fwsctl events s2 --json --limit 5 | grep -q 'display spice -> vnc from the next start' ||
    fail "set's event: $(fwsctl events s2 --limit 3)"
fwsctl stop s2 --timeout 0 >/dev/null && fwsctl start s2 >/dev/null || fail "restart s2"
[ "$(dj s2 protocol)" = vnc ] ||
    fail "s2 is not VNC after its next start"
fwsctl vnc s2 >/dev/null || fail "vnc s2 after the change"
note "set --display: the next start serves the new one"

# --- dump and define carry it; a definition without one is VNC
fwsctl stop s3 --timeout 0 >/dev/null && fwsctl destroy v1 >/dev/null ||
    fail "stop s3, v1"
fwsctl dump s3 >"$T/s3.json" && fwsctl dump v1 >"$T/v1.json" || fail "dump"
grep -q '"display": "spice"' "$T/s3.json" || fail "s3's dump: $(cat "$T/s3.json")"
grep -q '"display"' "$T/v1.json" && fail "a VNC VM's dump names its display"
fwsctl delete s3 >/dev/null && fwsctl delete v1 >/dev/null || fail "delete s3, v1"
sed 's/"display": "spice"/"display": "rdp"/' "$T/s3.json" >"$T/bad.json"
expect_rc 1 fwsctl define "$T/bad.json"
expect_err 'display must be vnc or spice, not "rdp"'
fwsctl define "$T/s3.json" >/dev/null || fail "define s3"
[ "$(field s3 display)" = spice ] || fail "s3 defined as $(field s3 display)"
note "dump and define carry the display"

# --- default_display = spice: what create makes without --display; a
# definition without one stays VNC; a bad default keeps fwsd from starting
printf 'default_display = rdp\n' >"$T/bad.conf"
"$FWSD" --foreground --config "$T/bad.conf" --state-dir "$T/bad-state" \
    --run-dir "$T/bad-run" >"$T/out" 2>&1 && fail "fwsd took default_display = rdp"
grep -q 'default_display: rdp is not one of: vnc spice' "$T/out" ||
    fail "fwsd's refusal: $(cat "$T/out")"
printf 'spice_ports = 5999-5930\n' >"$T/bad.conf"
"$FWSD" --foreground --config "$T/bad.conf" --state-dir "$T/bad-state" \
    --run-dir "$T/bad-run" >"$T/out" 2>&1 && fail "fwsd took spice_ports = 5999-5930"
grep -q 'spice_ports: 5999-5930 is not a range FIRST-LAST' "$T/out" ||
    fail "fwsd's refusal: $(cat "$T/out")"
stop_fwsd
write_config "spice_ports = 5900-5902
default_display = spice"
start_fwsd
create_guest d1
[ "$(field d1 display)" = spice ] || fail "d1 is $(field d1 display) with default_display = spice"
create_guest d2 --display vnc
[ "$(field d2 display)" = vnc ] || fail "d2 is not vnc with --display vnc"
fwsctl define "$T/v1.json" >/dev/null || fail "define v1"
[ "$(field v1 display)" = vnc ] || fail "v1 defined as $(field v1 display)"
fwsctl start d1 >/dev/null || fail "start d1"
pd=$(fwsctl display d1 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["protocol"], d["port"], d["password"])')
[ "${pd%% *}" = spice ] || fail "d1's screen: $pd"
set -- $pd
link "$2" "$3" || fail "d1's password was refused"
note "default_display = spice: create's default, not a definition's"
