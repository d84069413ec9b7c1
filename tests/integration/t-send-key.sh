# t-send-key.sh: send-key types on the guest's keyboard.  Inside the
# guest a reader on its first virtual terminal (tty1, fed by the PS/2
# keyboard qemu emulates) echoes a line to the serial console: the keys
# arrive, in order, with shift.  Then the attacks: names that are no
# key, shapes that are no combination, too many, the wrong state,
# another user's VM; each refused, the guest typed nothing.
. "$(dirname "$0")/lib.sh"
start_fwsd
create_guest k1
fwsctl start k1 >/dev/null || fail "start k1"
wait_console k1 FWS-GUEST-READY

# the guest reads one line from tty1 and says it on the serial console
guest_type k1 '(read -r l </dev/tty1; echo "KEYS-GOT:$l:") >/dev/ttyS0 2>&1 &'
sleep 1
fwsctl send-key k1 f w s shift-x 1 minus ret >"$T/out" 2>"$T/err" ||
    fail "send-key: $(cat "$T/err")"
[ -s "$T/out" ] && fail "send-key printed: $(cat "$T/out")"
wait_console k1 "KEYS-GOT:fwsX1-:" 30
note "typed on the guest's keyboard"

# bad names and shapes: nothing typed
guest_type k1 '(read -r l </dev/tty1; echo "KEYS-AGAIN:$l:") >/dev/ttyS0 2>&1 &'
sleep 1
expect_rc 1 fwsctl send-key k1 nosuchkey
expect_err "k1: send-key: "
expect_rc 1 fwsctl send-key k1 'ctrl;reboot'
expect_err "bad key combination"
expect_rc 1 fwsctl send-key k1 ctrl--alt
expect_err "bad key combination"
expect_rc 1 fwsctl send-key k1 CTRL
expect_err "bad key combination"
expect_rc 1 fwsctl send-key k1 a-b-c-d-e-f-g-h-i
expect_err "at most 8 keys"
# shellcheck disable=SC2046
expect_rc 2 fwsctl send-key k1 $(seq 1 65 | sed 's/.*/a/')
expect_rc 2 fwsctl send-key k1
many=$(seq 1 65 | sed 's/.*/"a"/' | paste -sd, -)
raw "{\"id\":1,\"cmd\":\"send-key\",\"args\":{\"name\":\"k1\",\"keys\":[$many]}}" |
    grep -q '1 to 64 key combinations' || fail "fwsd took 65 combinations"
for bad in '"keys":"ret"' '"keys":[]' '"keys":[1]' '"keys":[["ret"]]' \
    '"keys":null'; do
	raw "{\"id\":1,\"cmd\":\"send-key\",\"args\":{\"name\":\"k1\",$bad}}" |
	    grep -q '"invalid_argument"' || fail "fwsd took $bad"
done
fwsctl send-key k1 o k ret --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
sys.exit(0 if r["name"] == "k1" else 1)' || fail "send-key --json"
wait_console k1 "KEYS-AGAIN:ok:" 30
note "bad names and shapes refused, nothing typed"

# the wrong state, another user's VM
fwsctl pause k1 >/dev/null || fail "pause"
expect_rc 1 fwsctl send-key k1 ret
expect_err "k1 is paused, not running"
fwsctl resume k1 >/dev/null || fail "resume"
fwsctl destroy k1 >/dev/null || fail "destroy"
expect_rc 1 fwsctl send-key k1 ret
expect_err "k1 is stopped"
fwsctl start k1 >/dev/null || fail "start again"
make_user a
expect_rc 1 as "$MADE_USER" fwsctl send-key k1 ret
expect_err "no VM named \"k1\""
note "the wrong state and another user's VM refused"
