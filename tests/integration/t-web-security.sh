# t-web-security.sh: the web panel under attack, as a browser shows it
# (tests/web/browser-security.py in headless Chromium, against fwsd,
# fws-web and a guest).  Markup a user can make the server say (a name
# typed into the form, echoed in the refusal; a kernel command line;
# the reason of an event) shows as text and never runs; no page breaks
# its Content-Security-Policy; the session cookie is out of the page's
# reach; another user's VM is not found, nor its console or screen
# WebSockets.  fws-web killed with a page open: fwsd and the guest run
# on untouched, the page lets go; started again, it knows no session:
# the page asks to log in, and the user does.  Sessions end (their
# cookie then 401): after session_idle without a request, and after
# session_max however busy (t-web.sh has the rest of the list: no or a
# forged cookie, no CSRF token, another user's VM and its WebSockets
# over HTTP, ten wrong passwords, TLS 1.1, the restart over HTTP).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/web-lib.sh"

make_user_pw a; A=$MADE_USER; A_PASS=$MADE_PASS
make_user_pw b; B=$MADE_USER; B_PASS=$MADE_PASS
write_web_config
start_fwsd
start_web

EVIL2='<img src=x id=evil2 onerror="window.fwsPwned=2">'
EVIL3='<img src=x id=evil3 onerror="window.fwsPwned=3">'
as "$A" fwsctl create sa --vcpus 1 --memory 256 --kernel vmlinuz \
    --initrd initrd.img --append "$GUEST_APPEND $EVIL2" >/dev/null ||
    fail "create sa as $A"
as "$A" fwsctl start sa >/dev/null || fail "start sa"
as "$B" fwsctl create sb --vcpus 1 --memory 256 --kernel vmlinuz \
    --initrd initrd.img --append "$GUEST_APPEND" >/dev/null ||
    fail "create sb as $B"
as "$B" fwsctl start sb >/dev/null || fail "start sb"
PID_A=$(fwsctl info --owner "$A" sa --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')

CTL=$T/control
SET_ARGV=$(python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' \
    runuser -u "$A" -- "$FWSCTL_BIN" --socket "$SOCK" set sa \
    --append "$GUEST_APPEND $EVIL3")
FWS_BROWSER_TMP=$T ARTEFACTS=$ARTEFACTS PYTHONPATH=$WEBDRIVER \
    python3 "$WEBDRIVER/browser-security.py" "$WEB_URL" "$A" "$A_PASS" \
    "$B" "$B_PASS" sa sb \
    "$SET_ARGV" "$CTL" &
PY=$!
# the driver's asks: kill fws-web (fwsd and the guest must not notice),
# start it again
while alive "$PY"; do
	if [ -e "$CTL.kill" ] && [ ! -e "$CTL.killed" ]; then
		kill -9 "$WEB_PID"
		wait "$WEB_PID" 2>/dev/null
		alive "$FWSD_PID" || fail "fwsd went with fws-web"
		[ "$(fwsctl info --owner "$A" sa --json | python3 -c 'import json,sys; v=json.load(sys.stdin); print(v["state"], v["pid"])')" = "running $PID_A" ] ||
		    fail "sa changed when fws-web was killed"
		touch "$CTL.killed"
	fi
	if [ -e "$CTL.start" ] && [ ! -e "$CTL.started" ]; then
		start_web
		touch "$CTL.started"
	fi
	sleep 0.2
done
wait "$PY" || { tail -20 "$T/fws-web.log"; fail "browser-security.py failed (artefacts in $ARTEFACTS)"; }
[ -e "$CTL.started" ] || fail "fws-web was never restarted"
note "fwsd and sa ran on through fws-web's death (pid $PID_A)"
note "screenshots in $ARTEFACTS"

# --- sessions expire: idle, then at their end however busy
stop_web
printf 'session_idle = 4s\nsession_max = 10s\n' >> "$T/fws-web.conf"
start_web
# login USER JAR: a session of USER's (a one-time link) in cookie jar JAR
login() {
	tok=$(as "$1" fwsctl web-login --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])') ||
	    fail "web-login as $1"
	[ "$(curl -sk -o /dev/null -w '%{http_code}' -c "$2" -H 'Content-Type: application/json' \
	    -d "{\"token\":\"$tok\"}" "$WEB_URL/api/session")" = 200 ] || fail "login as $1"
}
code() {
	curl -sk -o /dev/null -w '%{http_code}' -b "$1" "$WEB_URL$2"
}
login "$A" "$T/jar1"
[ "$(code "$T/jar1" /api/vms)" = 200 ] || fail "a fresh session refused"
sleep 5
[ "$(code "$T/jar1" /api/vms)" = 401 ] || fail "an idle session lived on"
[ "$(code "$T/jar1" /api/session)" = 401 ] || fail "an idle session is still told"
# a request a second (never 4 s apart, even on a loaded machine) for 7 s
# keeps the session; past 10 s from the login it ends all the same
login "$A" "$T/jar2"
t0=$(date +%s)
while [ $(( $(date +%s) - t0 )) -lt 7 ]; do
	[ "$(code "$T/jar2" /api/vms)" = 200 ] ||
	    fail "a busy session ended at $(( $(date +%s) - t0 )) s"
	sleep 1
done
while [ $(( $(date +%s) - t0 )) -lt 11 ]; do
	sleep 0.5
done
[ "$(code "$T/jar2" /api/vms)" = 401 ] || fail "a session outlived session_max"
note "sessions end: 4 s idle, 10 s after the login however busy"
