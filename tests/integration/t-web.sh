# t-web.sh: fws-web, the web panel's daemon, over HTTPS on loopback
# against a real fwsd.  It makes a self-signed certificate at its first
# start and leaves root for its account; speaks TLS 1.2 and 1.3, not
# 1.1; every reply carries the security headers.  Static files come from
# their directories alone: no traversal, plain or encoded, no symbolic
# link out, no hidden file.  Every /api and /ws route is 401 without a
# session, with a forged cookie too; a login from another site's page
# is 403.  Malformed requests (oversized, chunked, bad JSON) are
# refused and fws-web stays up.  A one-time link (fwsctl web-login)
# logs a user in, once; so does a password (PAM); the session's API
# needs its CSRF token, sees the user's VMs alone (another's: 404, its
# console and screen too; 403 naming its owner; an owner that is not a
# uid, or given twice: 400); the events WebSocket tells a start as it
# happens; the console WebSocket types into the guest and reads its
# answer; the screen's speaks RFB; bad frames close the WebSocket.
# Logout ends the session.  Ten failed logins from one address: 429
# there, not elsewhere.  No token, password or cookie is logged.
# fwsd restarted: a session's next request is 401 logged_out.  fws-web
# killed: fwsd and the VM go on; restarted: sessions are gone.
. "$(dirname "$0")/lib.sh"
WSC=$TOP/tests/integration/ws-client.py
WEBD=$BUILD/fws-web
command -v curl >/dev/null 2>&1 || fail "curl is missing (package curl)"
command -v openssl >/dev/null 2>&1 || fail "openssl is missing"

make_user web; WEB=$MADE_USER
make_user a; A=$MADE_USER
make_user b; B=$MADE_USER
make_user_pw pw; PW=$MADE_USER; PASS=$MADE_PASS
pam_service
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=https://127.0.0.1:$PORT
write_config "web_user = $WEB
web_url = $URL
pam_helper = $BUILD/fws-pam-check"
start_fwsd

# the pages, and what must not be served
W=$T/www
mkdir -p "$W/static/sub" "$T/novnc/core" "$T/xterm"
echo '<!DOCTYPE html><title>panel</title>' > "$W/index.html"
echo '<!DOCTYPE html><title>login</title>' > "$W/login.html"
echo '<!DOCTYPE html><title>vm</title>' > "$W/vm.html"
echo 'console.log("app");' > "$W/static/app.js"
echo 'body { color: black; }' > "$W/static/sub/panel.css"
echo 'HIDDEN' > "$W/static/.hidden.js"
echo 'SECRET' > "$T/secret.js"
ln -s /etc/passwd "$W/static/passwd.js"
ln -s ../../secret.js "$W/static/out.js"
ln -s app.js "$W/static/alias.js"
echo 'export default 1;' > "$T/novnc/core/rfb.js"
echo 'var Terminal;' > "$T/xterm/xterm.js"
chmod -R a+rX "$W" "$T/novnc" "$T/xterm"
cat > "$T/fws-web.conf" <<EOC
listen = 127.0.0.1:$PORT
tls_cert = $T/web-tls/cert.pem
tls_key = $T/web-tls/key.pem
fwsd_socket = $SOCK
static_dir = $W
novnc_dir = $T/novnc
xterm_dir = $T/xterm
user = $WEB
EOC
WEB_PID=
start_web() {
	"$WEBD" --config "$T/fws-web.conf" --verbose >>"$T/fws-web.log" 2>&1 &
	WEB_PID=$!
	wait_until 10 curl -sk -o /dev/null "$URL/" ||
	    fail "fws-web did not start: $(tail -5 "$T/fws-web.log")"
}
start_web
grep -q "made a self-signed certificate" "$T/fws-web.log" ||
    fail "the self-signed certificate was not said"
[ "$(stat -c %a "$T/web-tls/key.pem")" = 600 ] || fail "the key is not 0600"
[ "$(awk '/^Uid:/ { print $2 }' "/proc/$WEB_PID/status")" = "$(uid_of "$WEB")" ] ||
    fail "fws-web kept root"
note "self-signed certificate made, root left"

# hit [CURL ARGS...] URL: prints the status; headers in $T/hdrs, body
# in $T/body
hit() {
	curl -sk --path-as-is --max-time 30 -o "$T/body" -D "$T/hdrs" \
	    -w '%{http_code}' "$@"
}

# want STATUS [CURL ARGS...] URL
want() {
	w=$1; shift
	got=$(hit "$@")
	[ "$got" = "$w" ] || fail "$* gave $got, not $w: $(head -c 300 "$T/body")"
}

# --- TLS 1.2 and 1.3, not 1.1
for v in tls1_2 tls1_3; do
	openssl s_client -connect "127.0.0.1:$PORT" "-$v" </dev/null \
	    >"$T/tls" 2>&1 || fail "$v refused: $(tail -5 "$T/tls")"
done
# the client allowed everything (its own security level would refuse 1.1)
openssl s_client -connect "127.0.0.1:$PORT" -tls1_1 \
    -cipher 'DEFAULT:@SECLEVEL=0' </dev/null >"$T/tls" 2>&1 &&
    fail "TLS 1.1 accepted: $(grep -i protocol "$T/tls")"
grep -q "alert protocol version\|unsupported protocol\|wrong version" "$T/tls" ||
    fail "TLS 1.1 failed, not for its version: $(tail -5 "$T/tls")"
note "TLS 1.2 and 1.3 accepted, 1.1 refused"

# --- the headers of every reply
want 200 "$URL/"
for h in "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'" \
    "X-Content-Type-Options: nosniff" "Referrer-Policy: no-referrer" \
    "Strict-Transport-Security: max-age=31536000"; do
	tr -d '\r' < "$T/hdrs" | grep -qxF -- "$h" || fail "no '$h' on /"
done
grep -q "panel" "$T/body" || fail "/ is not index.html"
want 401 "$URL/api/vms"
tr -d '\r' < "$T/hdrs" | grep -qx "Cache-Control: no-store" ||
    fail "/api without Cache-Control: no-store"
grep -q "Content-Security-Policy" "$T/hdrs" || fail "no CSP on an error"
note "security headers on pages, API and errors"

# --- static files, and nothing else
want 200 "$URL/login"; grep -q login "$T/body" || fail "/login is not login.html"
want 200 "$URL/vm.html"
want 200 "$URL/static/app.js"
grep -qi "^Content-Type: text/javascript" "$T/hdrs" || fail "app.js's type"
want 200 "$URL/static/sub/panel.css"
grep -qi "^Content-Type: text/css" "$T/hdrs" || fail "panel.css's type"
want 200 "$URL/static/alias.js"	# a link inside the directory
want 200 "$URL/novnc/core/rfb.js"
want 200 "$URL/xterm/xterm.js"
for p in /static/passwd.js /static/out.js /static/.hidden.js /static/ \
    /static/sub /static/../../etc/passwd /static/../index.html \
    /static/%2e%2e/%2e%2e/etc/passwd /static/..%2f..%2fetc%2fpasswd \
    /static/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd /static//etc/passwd \
    /static/%2fetc%2fpasswd /novnc/../../../../etc/passwd \
    /xterm/..%2f..%2fsecret.js /static/app.js%00.html /static/..%5c..%5csecret.js \
    /..%2fsecret.js /%2e%2e/secret.js /etc/passwd /secret.js; do
	got=$(hit "$URL$p")
	case $got in
	200) fail "$p served: $(head -c 100 "$T/body")" ;;
	4*) ;;
	*) fail "$p gave $got" ;;
	esac
	grep -q "root:\|SECRET\|HIDDEN" "$T/body" && fail "$p leaked a file"
done
note "static files from their directories only"
# a reply is not held back (Nagle's algorithm against a delayed ACK
# would hold each one 40 ms): 30 requests on one connection, median
python3 - "$PORT" <<'EOP' || fail "replies are held back"
import http.client, ssl, sys, time
c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]),
    context=ssl._create_unverified_context())
ts = []
for i in range(30):
    t = time.perf_counter()
    c.request("GET", "/static/app.js")
    r = c.getresponse(); r.read()
    ts.append(time.perf_counter() - t)
ts.sort()
print("  t-web: median of 30 kept-alive requests %.1f ms" % (ts[15] * 1000))
sys.exit(0 if ts[15] < 0.025 else 1)
EOP

# --- without a session: 401 everywhere under /api and /ws
for r in "GET /api/vms" "GET /api/vms/x" "POST /api/vms" \
    "POST /api/vms/x/start" "POST /api/vms/x/stop" "POST /api/vms/x/destroy" \
    "DELETE /api/vms/x" "GET /api/vms/x/snapshots" "POST /api/vms/x/snapshots" \
    "POST /api/vms/x/snapshots/s/revert" "DELETE /api/vms/x/snapshots/s" \
    "GET /api/quota" "GET /api/templates" "GET /api/images" "GET /api/isos" \
    "GET /api/networks" "GET /api/session" "DELETE /api/session" \
    "GET /api/nothing" "GET /ws/events" "GET /ws/console/x" "GET /ws/screen/x"; do
	want 401 -X "${r% *}" "$URL${r#* }"
	want 401 -X "${r% *}" -H "Cookie: fws_session=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" "$URL${r#* }"
done
want 401 -H "Cookie: fws_session=../../etc" "$URL/api/vms"
for p in /ws/events /ws/console/x /ws/screen/x; do
	python3 "$WSC" "127.0.0.1:$PORT" "$p" >"$T/ws" 2>&1
	grep -q "^status 401" "$T/ws" || fail "WebSocket $p: $(cat "$T/ws")"
done
note "every /api and /ws route 401 without a session, forged or not"

# --- a login from another site's page: 403 before anything
want 403 -X POST -H "Origin: https://evil.example" \
    -H "Content-Type: application/json" -d '{"token":"00"}' "$URL/api/session"
want 403 -X POST -H "Origin: http://127.0.0.1:$PORT" \
    -H "Content-Type: application/json" -d '{"token":"00"}' "$URL/api/session"
note "a session-less cross-site login refused"

# --- malformed requests refused, fws-web up (from an address of their own:
# the failed logins count)
B2="--interface 127.0.0.3"
head -c 70000 /dev/zero | tr '\0' 'a' > "$T/big"
want 413 $B2 -X POST -H "Content-Type: application/json" \
    --data-binary @"$T/big" "$URL/api/session"
want 400 $B2 -X POST -H "Content-Type: application/json" \
    -H "Transfer-Encoding: chunked" -d '{}' "$URL/api/session"
want 431 $B2 -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' 'b')" "$URL/"
want 400 $B2 -X POST -H "Content-Type: application/json" -d '{"token":' \
    "$URL/api/session"
want 400 $B2 -X POST -H "Content-Type: application/json" -d '[1]' \
    "$URL/api/session"
want 415 $B2 -X POST -d 'token=1' "$URL/api/session"
want 401 $B2 -X POST -H "Content-Type: application/json" \
    -d '{"token":"../../etc/passwd"}' "$URL/api/session"
want 401 $B2 -X POST -H "Content-Type: application/json" \
    -d '{"user":"root;ls","password":"x"}' "$URL/api/session"
printf 'GARBAGE\r\n\r\n' | openssl s_client -quiet -connect "127.0.0.1:$PORT" \
    2>/dev/null | head -1 | grep -q "400" || fail "garbage not answered 400"
alive "$WEB_PID" || fail "fws-web died of a malformed request"
note "malformed requests refused; fws-web up"

# --- a one-time link logs user A in, once
token() {
	as "$1" fwsctl web-login --json | python3 -c \
	    'import json,sys; print(json.load(sys.stdin)["token"])'
}
TOKA=$(token "$A") || fail "web-login as $A"
[ ${#TOKA} = 64 ] || fail "token $TOKA"
want 200 -X POST -H "Content-Type: application/json" -H "Origin: $URL" \
    -d "{\"token\":\"$TOKA\"}" "$URL/api/session"
tr -d '\r' < "$T/hdrs" | grep -qE '^Set-Cookie: fws_session=[0-9a-f]{64}; Path=/; Secure; HttpOnly; SameSite=Strict$' ||
    fail "the cookie: $(grep -i set-cookie "$T/hdrs")"
SA=$(tr -d '\r' < "$T/hdrs" | sed -n 's/^Set-Cookie: fws_session=\([0-9a-f]*\);.*/\1/p')
CA="Cookie: fws_session=$SA"
CSRFA=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["user"] == sys.argv[2] and r["uid"] == int(sys.argv[3]) and r["admin"] is False; print(r["csrf"])' \
    "$T/body" "$A" "$(uid_of "$A")") || fail "login answer: $(cat "$T/body")"
want 401 -X POST -H "Content-Type: application/json" \
    -d "{\"token\":\"$TOKA\"}" "$URL/api/session"
want 200 -H "$CA" "$URL/api/session"
grep -q "$CSRFA" "$T/body" || fail "GET /api/session: $(cat "$T/body")"
want 200 -H "$CA" "$URL/api/vms"
[ "$(cat "$T/body")" = '{"result":[]}' ] || fail "A's list: $(cat "$T/body")"
note "a one-time link logs in once"

# --- the API as A: CSRF needed, A's VMs alone
as "$B" fwsctl create bvm --vcpus 1 --memory 128 --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null || fail "create bvm"
BODY="{\"name\":\"w1\",\"vcpus\":1,\"memory_mib\":128,\"kernel\":\"$KERNEL\",\"initrd\":\"$INITRD\",\"append\":\"$GUEST_APPEND\"}"
want 403 -X POST -H "$CA" -H "Content-Type: application/json" -d "$BODY" "$URL/api/vms"
want 403 -X POST -H "$CA" -H "X-CSRF-Token: $(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" \
    -H "Content-Type: application/json" -d "$BODY" "$URL/api/vms"
want 403 -X POST -H "$CA" -H "X-CSRF-Token: $CSRFA" -H "Origin: https://evil.example" \
    -H "Content-Type: application/json" -d "$BODY" "$URL/api/vms"
as "$A" fwsctl info w1 >/dev/null 2>&1 && fail "w1 made without CSRF"
want 200 -X POST -H "$CA" -H "X-CSRF-Token: $CSRFA" -H "Origin: $URL" \
    -H "Content-Type: application/json" -d "$BODY" "$URL/api/vms"
as "$A" fwsctl info w1 >/dev/null || fail "w1 not made as $A"
want 200 -H "$CA" "$URL/api/vms/w1"
grep -q '"name":"w1"' "$T/body" || fail "info w1: $(cat "$T/body")"
want 404 -H "$CA" "$URL/api/vms/bvm"
want 404 -X POST -H "$CA" -H "X-CSRF-Token: $CSRFA" "$URL/api/vms/bvm/destroy"
want 400 -H "$CA" "$URL/api/vms/-bad"
want 400 -H "$CA" "$URL/api/vms/a%2fb"
want 400 -H "$CA" "$URL/api/vms/w1?owner=1;2"
want 400 -H "$CA" "$URL/api/vms/w1?owner=$(uid_of "$A")&owner=$(uid_of "$B")"
want 400 -H "$CA" "$URL/api/vms/w1?owner=00000000000000000$(uid_of "$A")"
want 403 -H "$CA" "$URL/api/vms/bvm?owner=$(uid_of "$B")"
want 400 -X POST -H "$CA" -H "X-CSRF-Token: $CSRFA" \
    -H "Content-Type: application/json" -d '"x"' "$URL/api/vms"
want 409 -X POST -H "$CA" -H "X-CSRF-Token: $CSRFA" \
    -H "Content-Type: application/json" -d "$BODY" "$URL/api/vms"
want 405 -X PUT -H "$CA" -H "X-CSRF-Token: $CSRFA" "$URL/api/vms"
for p in quota templates images isos networks; do
	want 200 -H "$CA" "$URL/api/$p"
done
as "$B" fwsctl info bvm >/dev/null || fail "B's VM touched"
note "the API needs the CSRF token and shows A's VMs alone"

# --- WebSockets: Origin needed; events as they happen; another's VM 404
python3 "$WSC" --cookie "fws_session=$SA" --origin none "127.0.0.1:$PORT" \
    /ws/events >"$T/ws" 2>&1
grep -q "^status 403" "$T/ws" || fail "a WebSocket without Origin: $(cat "$T/ws")"
python3 "$WSC" --cookie "fws_session=$SA" --origin https://evil.example \
    "127.0.0.1:$PORT" /ws/events >"$T/ws" 2>&1
grep -q "^status 403" "$T/ws" || fail "a WebSocket from elsewhere: $(cat "$T/ws")"
for p in console screen; do
	python3 "$WSC" --cookie "fws_session=$SA" "127.0.0.1:$PORT" \
	    "/ws/$p/bvm" >"$T/ws" 2>&1
	grep -q "^status 404" "$T/ws" || fail "$p of B's VM: $(cat "$T/ws")"
	# naming its owner: only admins may
	python3 "$WSC" --cookie "fws_session=$SA" "127.0.0.1:$PORT" \
	    "/ws/$p/bvm?owner=$(uid_of "$B")" >"$T/ws" 2>&1
	grep -q "^status 403" "$T/ws" || fail "$p of B's VM by owner: $(cat "$T/ws")"
	for q in "owner=x" "owner=1&owner=2"; do
		python3 "$WSC" --cookie "fws_session=$SA" "127.0.0.1:$PORT" \
		    "/ws/$p/bvm?$q" >"$T/ws" 2>&1
		grep -q "^status 400" "$T/ws" || fail "$p ?$q: $(cat "$T/ws")"
	done
done
python3 "$WSC" --cookie "fws_session=$SA" --expect '"vm":"w1"' --timeout 60 \
    "127.0.0.1:$PORT" /ws/events >"$T/events" 2>&1 &
EV_PID=$!
sleep 1
want 200 -X POST -H "$CA" -H "X-CSRF-Token: $CSRFA" "$URL/api/vms/w1/start"
wait "$EV_PID" || fail "no event of w1: $(cat "$T/events")"
grep -q '^text: {.*"event":"started"' "$T/events" ||
    grep -q '^text: {.*"vm":"w1"' "$T/events" || fail "events: $(cat "$T/events")"
grep -q '"vm":"bvm"' "$T/events" && fail "B's events seen by A"
note "events pushed as they happen; WebSockets need the Origin"

# --- the console: typed into, answered; the screen speaks RFB
wait_until "$BOOT_TIMEOUT" grep -q FWS-GUEST-READY "$(user_console "$A" w1)" ||
    fail "w1 did not boot"
python3 "$WSC" --cookie "fws_session=$SA" --send '\necho WEBCON-$((6*7))\n' \
    --expect "WEBCON-42" --timeout 30 "127.0.0.1:$PORT" /ws/console/w1 \
    >"$T/ws" 2>&1 || fail "console: $(cat "$T/ws")"
python3 "$WSC" --cookie "fws_session=$SA" --protocol binary --expect "RFB 003.008" \
    "127.0.0.1:$PORT" /ws/screen/w1 >"$T/ws" 2>&1 || fail "screen: $(cat "$T/ws")"
grep -q "^protocol: binary" "$T/ws" || fail "the binary protocol not taken"
# a ping answered; frames a browser must not send close the socket
python3 "$WSC" --cookie "fws_session=$SA" --ping hi --expect hi \
    "127.0.0.1:$PORT" /ws/console/w1 >"$T/ws" 2>&1 || fail "ping: $(cat "$T/ws")"
python3 "$WSC" --cookie "fws_session=$SA" --unmasked "127.0.0.1:$PORT" \
    /ws/console/w1 >"$T/ws" 2>&1
grep -q "^close: 1002" "$T/ws" || fail "an unmasked frame: $(cat "$T/ws")"
python3 "$WSC" --cookie "fws_session=$SA" --oversized "127.0.0.1:$PORT" \
    /ws/console/w1 >"$T/ws" 2>&1
grep -q "^close: 1009" "$T/ws" || fail "a 2 MiB frame: $(cat "$T/ws")"
python3 "$WSC" --cookie "fws_session=$SA" --close "127.0.0.1:$PORT" \
    /ws/console/w1 >"$T/ws" 2>&1
grep -q "^close: 1000" "$T/ws" || fail "a close: $(cat "$T/ws")"
alive "$WEB_PID" || fail "fws-web died of a WebSocket"
note "console typed into and answered, screen speaks RFB, bad frames close"

# --- a password logs in (PAM); a wrong one does not
want 401 -X POST -H "Content-Type: application/json" \
    -d "{\"user\":\"$PW\",\"password\":\"wrong\"}" "$URL/api/session"
want 200 -X POST -H "Content-Type: application/json" \
    -d "{\"user\":\"$PW\",\"password\":\"$PASS\"}" "$URL/api/session"
grep -q "\"user\":\"$PW\"" "$T/body" || fail "password login: $(cat "$T/body")"
note "a password logs in, a wrong one not"

# --- logout ends the session
want 403 -X DELETE -H "$CA" "$URL/api/session"
want 200 -X DELETE -H "$CA" -H "X-CSRF-Token: $CSRFA" "$URL/api/session"
want 401 -H "$CA" "$URL/api/vms"
note "logout ends the session"

# --- ten failed logins from one address: 429 there, not elsewhere
B4="--interface 127.0.0.4"
i=0
while [ $i -lt 10 ]; do
	want 401 $B4 -X POST -H "Content-Type: application/json" \
	    -d "{\"token\":\"$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')\"}" \
	    "$URL/api/session"
	i=$((i + 1))
done
TOKA=$(token "$A") || fail "web-login as $A"
want 429 $B4 -X POST -H "Content-Type: application/json" \
    -d "{\"token\":\"$TOKA\"}" "$URL/api/session"
grep -qi "^Retry-After: [0-9]" "$T/hdrs" || fail "429 without Retry-After"
want 200 -X POST -H "Content-Type: application/json" \
    -d "{\"token\":\"$TOKA\"}" "$URL/api/session"
SA=$(tr -d '\r' < "$T/hdrs" | sed -n 's/^Set-Cookie: fws_session=\([0-9a-f]*\);.*/\1/p')
note "ten failures: 429 for that address alone"

# --- nothing secret in the logs
for s in "$TOKA" "$PASS" "$SA" "$CSRFA"; do
	grep -qF -- "$s" "$T/fws-web.log" "$T/fwsd.log" &&
	    fail "a secret in the logs: $(grep -F -- "$s" "$T/fws-web.log" "$T/fwsd.log" | head -2)"
done
grep -q "GET /api/vms 200 $A" "$T/fws-web.log" || fail "no request line for A"
note "a line per request; no token, password or cookie logged"

# --- fwsd restarted: it forgets who logged in, and a session's next
# request is 401 logged_out (the page goes to its login), not 403
TOKR=$(token "$A") || fail "web-login as $A"
want 200 -X POST -H "Content-Type: application/json" -H "Origin: $URL" \
    -d "{\"token\":\"$TOKR\"}" "$URL/api/session"
SR=$(tr -d '\r' < "$T/hdrs" | sed -n 's/^Set-Cookie: fws_session=\([0-9a-f]*\);.*/\1/p')
want 200 -H "Cookie: fws_session=$SR" "$URL/api/vms"
restart_fwsd
want 401 -H "Cookie: fws_session=$SR" "$URL/api/vms"
grep -q '"logged_out"' "$T/body" || fail "after fwsd's restart: $(cat "$T/body")"
note "after fwsd restarts, a session's request is 401 logged_out"

# --- fws-web killed: fwsd and the VM go on; restarted: log in again
kill -9 "$WEB_PID"
wait "$WEB_PID" 2>/dev/null
as "$A" fwsctl list >/dev/null || fail "fwsd hurt by fws-web's death"
[ "$(as "$A" fwsctl info w1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" = running ] ||
    fail "w1 hurt by fws-web's death"
start_web
want 401 -H "Cookie: fws_session=$SA" "$URL/api/vms"
# the end: fws-web's own exit path (a sanitized build checks for leaks)
kill -TERM "$WEB_PID"
wait_until 10 gone "$WEB_PID" || fail "fws-web did not stop on SIGTERM"
wait "$WEB_PID" 2>/dev/null
grep -q "AddressSanitizer\|runtime error\|LeakSanitizer" "$T/fws-web.log" &&
    fail "sanitizer: $(grep -A5 "Sanitizer\|runtime error" "$T/fws-web.log" | head -20)"
as "$A" fwsctl destroy w1 >/dev/null 2>&1
note "fws-web's death leaves fwsd and VMs alone; a restart forgets sessions"
