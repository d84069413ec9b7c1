# t-web-fwsd.sh: fwsd's side of the web panel.  The front-end (web_user,
# on the UNIX socket) acts for a user with "as" once fwsd has let that
# user in, by a one-time link (web-login, web-redeem) or a password
# (web-auth, PAM through fws-pam-check), and then sees exactly what the
# user would: their VMs, an admin's all.  "as" from anyone else, from
# root, over TLS, for root or for a user not let in: refused; the
# front-end's own requests are never an admin's.  Links:
# once, until web_token_ttl, four a user, the user's own whoever
# redeems them, malformed ones refused.  Passwords: the right one lets
# in, a wrong one, root, bad names, an oversized or NUL-holding
# password do not; after five failures a name is held back, the right
# password too; the password is never logged.  screen-connect hands the
# owner a connection speaking RFB without a password (qemu's add_client:
# no socket listens for it), and another user nothing.  The front-end's
# connections are exempt from max_clients_per_user.  fwsd stays up
# through it all.
. "$(dirname "$0")/lib.sh"
CLIENT=$TOP/tests/integration/web-client.py

# the admin group: one of the test's own
ADMIN_GROUP="fwsa${T##*.}"
groupadd "$ADMIN_GROUP" || fail "groupadd $ADMIN_GROUP"
AT_EXIT="groupdel $ADMIN_GROUP 2>/dev/null;"
# the front-end's account is in the admin group: its own requests must
# still not be an admin's
make_user web "fws,$ADMIN_GROUP"; WEB=$MADE_USER
make_user a; A=$MADE_USER
make_user b; B=$MADE_USER
make_user adm "fws,$ADMIN_GROUP"; ADM=$MADE_USER
make_user_pw pw; PW=$MADE_USER; PASS=$MADE_PASS
pam_service

# TLS, with a certificate mapped to the front-end's account
SETUP=$TOP/contrib/fws-tls-setup
PKI=$T/pki
{ sh "$SETUP" ca "$PKI" && sh "$SETUP" host "$PKI" 127.0.0.1 &&
    sh "$SETUP" client "$PKI" webcert &&
    sh "$SETUP" client "$PKI" acert; } >/dev/null || fail "fws-tls-setup"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TTL=8
write_config "web_user = $WEB
web_url = https://panel.example.org:8443/
web_token_ttl = $TTL
pam_helper = $BUILD/fws-pam-check
admin_group = $ADMIN_GROUP
max_clients_per_user = 3
listen_tls = 127.0.0.1:$PORT
tls_cert = $PKI/hosts/127.0.0.1/cert.pem
tls_key = $PKI/hosts/127.0.0.1/key.pem
tls_ca = $PKI/ca.pem
tls_allowed = webcert => $WEB; acert => $A"
start_fwsd
UA=$(uid_of "$A"); UB=$(uid_of "$B"); UADM=$(uid_of "$ADM"); UPW=$(uid_of "$PW")

# web USER REQUEST...: requests on one connection of USER's (root:
# "root"), the replies printed one a line
web() {
	u=$1; shift
	if [ "$u" = root ]; then
		python3 "$CLIENT" "$SOCK" "$@"
	else
		runuser -u "$u" -- python3 "$CLIENT" "$SOCK" "$@"
	fi
}

# check REPLY PYTHON-EXPR: the expression holds of the reply (r)
check() {
	printf '%s\n' "$1" | python3 -c "import json,sys; r=json.load(sys.stdin); sys.exit(0 if ($2) else 1)" ||
	    fail "reply '$1' fails: $2"
}

# refused REPLY CODE WORDS: an error of that code, its message with WORDS
refused() {
	check "$1" "not r['ok'] and r['error']['code'] == '$2' and '''$3''' in r['error']['message']"
}

# token USER: a new login link's token, made by USER
token() {
	as "$1" fwsctl web-login --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

redeem() {
	printf '{"id":1,"cmd":"web-redeem","args":{"token":"%s"}}' "$1"
}

# --- web-login: a link for the caller, as fwsctl prints it
r=$(as "$A" fwsctl web-login --json) || fail "web-login as $A"
now=$(date +%s)
check "$r" "len(r['token']) == 64 and all(c in '0123456789abcdef' for c in r['token']) and r['url'] == 'https://panel.example.org:8443/login#token=' + r['token'] and $now <= r['expires'] <= $now + $TTL + 1"
url=$(as "$A" fwsctl web-login) || fail "web-login as $A (text)"
case $url in
https://panel.example.org:8443/login\#token=*) ;;
*)	fail "fwsctl web-login prints '$url'" ;;
esac
refused "$(web root '{"id":1,"cmd":"web-login"}')" permission_denied "root does not use the panel"
refused "$(web "$WEB" '{"id":1,"cmd":"web-login"}')" permission_denied "web front-end"
note "web-login gives a link on web_url; not to root nor the front-end"

# --- web-redeem: the front-end's alone; once; the link's user
TA=$(token "$A")
refused "$(web "$A" "$(redeem "$TA")")" permission_denied "front-end's (web_user) alone"
refused "$(web root "$(redeem "$TA")")" permission_denied "front-end's (web_user) alone"
out=$(web "$WEB" "$(redeem "$TA")" "$(redeem "$TA")")
check "$(echo "$out" | sed -n 1p)" "r['ok'] and r['result'] == {'uid': $UA, 'admin': False}"
refused "$(echo "$out" | sed -n 2p)" permission_denied "the login link is not valid (used, expired or mistyped)"
# malformed: short, long, upper case, not hex, not a string, missing
TA=$(token "$A")
UP=$(echo "$TA" | tr 'a-f' 'A-F')
for bad in "${TA%?}" "${TA}0" "$UP" "$(echo "$TA" | tr '0-9' 'g-p')" ''; do
	refused "$(web "$WEB" "$(redeem "$bad")")" permission_denied "not valid"
done
refused "$(web "$WEB" '{"id":1,"cmd":"web-redeem","args":{"token":7}}')" invalid_argument token
refused "$(web "$WEB" '{"id":1,"cmd":"web-redeem","args":{}}')" invalid_argument token
# a link is "as" nobody
refused "$(web "$WEB" "{\"id\":1,\"cmd\":\"web-redeem\",\"as\":$UA,\"args\":{\"token\":\"$TA\"}}")" \
    permission_denied "never made for another user"
check "$(web "$WEB" "$(redeem "$(token "$A")")")" "r['ok'] and r['result']['uid'] == $UA"
# expiry
TB=$(token "$B")
sleep $((TTL + 1))
refused "$(web "$WEB" "$(redeem "$TB")")" permission_denied "not valid"
# four links a user: a fifth pushes the oldest out
T1=$(token "$B"); T2=$(token "$B"); T3=$(token "$B"); T4=$(token "$B"); T5=$(token "$B")
out=$(web "$WEB" "$(redeem "$T1")" "$(redeem "$T2")" "$(redeem "$T5")")
refused "$(echo "$out" | sed -n 1p)" permission_denied "not valid"
check "$(echo "$out" | sed -n 2p)" "r['ok'] and r['result']['uid'] == $UB"
check "$(echo "$out" | sed -n 3p)" "r['ok'] and r['result']['uid'] == $UB"
note "web-redeem: once, until web_token_ttl, four a user, malformed refused"

# --- "as": the front-end acts for a user let in, as that user
mk() {
	printf '{"id":1,"cmd":"create","as":%s,"args":{"name":"%s","vcpus":1,"memory_mib":256,"kernel":"%s","initrd":"%s","append":"%s"}}' \
	    "$1" "$2" "$KERNEL" "$INITRD" "$GUEST_APPEND"
}
names() {
	python3 -c 'import json,sys; r=json.load(sys.stdin); print(" ".join(sorted(v["name"] for v in r["result"])) if r["ok"] else "ERR " + r["error"]["message"])'
}
list_as() {
	web "$WEB" "{\"id\":1,\"cmd\":\"list\",\"as\":$1}" | names
}
check "$(web "$WEB" "$(mk "$UA" avm)")" "r['ok'] and r['result']['owner'] == $UA"
as "$B" fwsctl create bvm --vcpus 1 --memory 256 --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null || fail "create bvm as $B"
[ "$(list_as "$UA")" = avm ] || fail "list as $A: $(list_as "$UA")"
[ "$(list_as "$UB")" = bvm ] || fail "list as $B: $(list_as "$UB")"
refused "$(web "$WEB" "{\"id\":1,\"cmd\":\"info\",\"as\":$UB,\"args\":{\"name\":\"avm\"}}")" not_found avm
refused "$(web "$WEB" "{\"id\":1,\"cmd\":\"start\",\"as\":$UB,\"args\":{\"name\":\"avm\",\"owner\":$UA}}")" \
    permission_denied "only admins act for another user"
refused "$(web "$WEB" "{\"id\":1,\"cmd\":\"quota-set\",\"as\":$UA,\"args\":{\"owner\":$UA,\"vms\":99}}")" \
    permission_denied "for admins only"
# a user not let in, root, a uid of no one, not a uid at all
refused "$(web "$WEB" "{\"id\":1,\"cmd\":\"list\",\"as\":$UADM}")" logged_out "has not logged in"
refused "$(web "$WEB" '{"id":1,"cmd":"list","as":0}')" permission_denied "root does not use the panel"
refused "$(web "$WEB" '{"id":1,"cmd":"list","as":4000000000}')" logged_out "has not logged in"
for bad in -1 '"1000"' 1.5 null 4294967295 '[1]'; do
	refused "$(web "$WEB" "{\"id\":1,\"cmd\":\"list\",\"as\":$bad}")" invalid_argument '"as" must be a uid'
done
refused "$(web "$WEB" "{\"id\":1,\"cmd\":\"list\",\"as\":$UA,\"zz\":1}")" invalid_argument 'only "id"'
# "as" from anyone but the front-end: a user, root, and the front-end's
# own certificate over TLS
for u in "$A" "$B" root; do
	refused "$(web "$u" "{\"id\":1,\"cmd\":\"list\",\"as\":$UA}")" permission_denied \
	    "only the web front-end (web_user) acts for another user"
done
C=$PKI/clients/webcert
r=$(python3 "$CLIENT" --tls "127.0.0.1:$PORT" "$C/cert.pem" "$C/key.pem" "$PKI/ca.pem" \
    "{\"id\":1,\"cmd\":\"list\",\"as\":$UA}" "$(redeem "$(token "$A")")" '{"id":2,"cmd":"list"}')
refused "$(echo "$r" | sed -n 1p)" permission_denied "only the web front-end"
refused "$(echo "$r" | sed -n 2p)" permission_denied "front-end's (web_user) alone"
check "$(echo "$r" | sed -n 3p)" "r['ok'] and r['result'] == []"
# fwsd's own verbs and the logins are never made for a user
for v in migrate-finish web-login web-auth; do
	refused "$(web "$WEB" "{\"id\":1,\"cmd\":\"$v\",\"as\":$UA}")" permission_denied "never made for another user"
done
# the front-end's own requests, for nobody, are not an admin's
check "$(web "$WEB" '{"id":1,"cmd":"list"}')" "r['ok'] and r['result'] == []"
refused "$(web "$WEB" "{\"id\":1,\"cmd\":\"quota-set\",\"args\":{\"owner\":$UA,\"vms\":9}}")" \
    permission_denied "for admins only"
grep -q "web_user $WEB is in admin_group" "$T/fwsd.log" || fail "no warning of web_user in admin_group"
# an admin let in sees everyone's
check "$(web "$WEB" "$(redeem "$(token "$ADM")")")" "r['ok'] and r['result'] == {'uid': $UADM, 'admin': True}"
[ "$(list_as "$UADM")" = "avm bvm" ] || fail "list as admin $ADM: $(list_as "$UADM")"
note "\"as\": the user's own VMs, an admin's all; refused from others, over TLS, for root and the unknown"

# --- a VM started for a user: the events name them; their stream
# follows their VMs alone
runuser -u "$WEB" -- python3 "$CLIENT" --stay "$SOCK" \
    "{\"id\":1,\"cmd\":\"events\",\"as\":$UA,\"args\":{\"follow\":true,\"limit\":0}}" \
    >"$T/follow" 2>&1 &
FOLLOW=$!
wait_until 10 grep -q '"result"' "$T/follow" || fail "events follow: $(cat "$T/follow")"
check "$(web "$WEB" "{\"id\":1,\"cmd\":\"start\",\"as\":$UA,\"args\":{\"name\":\"avm\"}}")" "r['ok']"
as "$B" fwsctl start bvm >/dev/null || fail "start bvm"
wait_until 30 grep -q '"started"' "$T/follow" || fail "no started event for avm: $(cat "$T/follow")"
kill "$FOLLOW" 2>/dev/null; wait "$FOLLOW" 2>/dev/null
grep -q '"bvm"' "$T/follow" && fail "$A's stream shows bvm: $(cat "$T/follow")"
a=$(fwsctl events avm --json --limit 100 | python3 -c "
import json,sys
print(' '.join(str(e['actor']) for e in map(json.loads, sys.stdin) if e['event'] in ('created', 'started')))")
[ "$a" = "$UA $UA" ] || fail "avm's created and started name '$a' as the actors, not $UA"
note "events of a request made for a user name that user; the user's stream follows their VMs"

# --- screen-connect: a connection that speaks RFB, for the owner alone
wait_until 30 state_is avm running || fail "avm is not running"
r=$(web "$WEB" "{\"id\":1,\"cmd\":\"screen-connect\",\"as\":$UA,\"args\":{\"name\":\"avm\"}}")
check "$r" "r['ok'] and r['result'] == {'name': 'avm'} and r['fd'] == 'RFB 003.008\n' and r['fd_security'] == [1]"
refused "$(web "$WEB" "{\"id\":1,\"cmd\":\"screen-connect\",\"as\":$UB,\"args\":{\"name\":\"avm\"}}")" not_found avm
refused "$(web "$WEB" "{\"id\":1,\"cmd\":\"screen-connect\",\"as\":$UB,\"args\":{\"name\":\"avm\",\"owner\":$UA}}")" \
    permission_denied "only admins"
check "$(web "$WEB" "{\"id\":1,\"cmd\":\"screen-connect\",\"as\":$UADM,\"args\":{\"name\":\"bvm\"}}")" \
    "r['ok'] and r['fd'] == 'RFB 003.008\n'"
# the owner on their own connection too; the VNC server of TCP still
# asks its password
check "$(web "$A" '{"id":1,"cmd":"screen-connect","args":{"name":"avm"}}')" "r['ok'] and r['fd_security'] == [1]"
port=$(fwsctl vnc avm --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["port"])')
sec=$(python3 -c "
import socket
s = socket.create_connection(('$VNC_ADDR', $port), 10)
s.recv(12); s.sendall(b'RFB 003.008\n'); n = s.recv(1); print(list(s.recv(n[0])))")
[ "$sec" = "[2]" ] || fail "the TCP VNC server offers $sec, not VNC authentication alone"
# not over TLS; not a stopped VM; several at once
C=$PKI/clients/acert
r=$(python3 "$CLIENT" --tls "127.0.0.1:$PORT" "$C/cert.pem" "$C/key.pem" "$PKI/ca.pem" \
    '{"id":1,"cmd":"screen-connect","args":{"name":"avm"}}')
refused "$r" failed "cannot travel over TLS"
refused "$(web "$WEB" "{\"id\":1,\"cmd\":\"screen-connect\",\"as\":$UA,\"args\":{\"name\":\"nosuch\"}}")" not_found nosuch
out=$(python3 "$CLIENT" --pipeline "$SOCK" \
    '{"id":1,"cmd":"screen-connect","args":{"name":"avm","owner":'"$UA"'}}' \
    '{"id":2,"cmd":"screen-connect","args":{"name":"bvm","owner":'"$UB"'}}' 2>&1)
[ "$(echo "$out" | grep -c '"ok": true')" -ge 1 ] || fail "two screens at once: $out"
check "$(web "$WEB" "{\"id\":1,\"cmd\":\"console\",\"as\":$UA,\"args\":{\"name\":\"avm\"}}")" "r['ok'] and 'fd' in r"
fwsctl destroy bvm >/dev/null && fwsctl destroy avm >/dev/null ||
    fail "destroy"
refused "$(web "$WEB" "{\"id\":1,\"cmd\":\"screen-connect\",\"as\":$UB,\"args\":{\"name\":\"bvm\"}}")" bad_state "no screen"
note "screen-connect: RFB without a password for the owner (and admins), nothing for another user"

# --- the front-end's connections are not held to max_clients_per_user (3)
python3 - "$SOCK" "$WEB" "$A" <<'EOP' || fail "connection caps: $(cat "$T/err" 2>/dev/null)"
import json, os, socket, sys, pwd
sock, web, user = sys.argv[1:]

def conns(who, n):
    pid = os.fork()
    if pid == 0:
        os.setgid(pwd.getpwnam(who).pw_gid)
        os.setgroups(os.getgrouplist(who, pwd.getpwnam(who).pw_gid))
        os.setuid(pwd.getpwnam(who).pw_uid)
        ok = 0
        ss = []
        for i in range(n):
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock)
            try:
                s.sendall(b'{"id":1,"cmd":"version"}\n')
            except OSError:
                pass    # refused and closed already
            ss.append(s)
        for s in ss:
            try:
                r = json.loads(s.makefile().readline())
            except (OSError, ValueError):
                continue
            ok += r.get("ok", False) is True
        os._exit(ok)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

got = conns(web, 8)
if got != 8:
    sys.exit("the front-end had %d of 8 connections" % got)
got = conns(user, 5)
if got != 3:
    sys.exit("a user had %d of 5 connections (max_clients_per_user = 3)" % got)
EOP
note "the front-end holds 8 connections, a user 3 (max_clients_per_user)"

# --- web-auth: PAM says; the same words whatever failed
auth() {
	python3 -c 'import json,sys; print(json.dumps({"id": 1, "cmd": "web-auth", "args": {"user": sys.argv[1], "password": sys.argv[2]}}))' "$1" "$2"
}
check "$(web "$WEB" "$(auth "$PW" "$PASS")")" "r['ok'] and r['result'] == {'uid': $UPW, 'admin': False}"
check "$(web "$WEB" "{\"id\":1,\"cmd\":\"list\",\"as\":$UPW}")" "r['ok'] and r['result'] == []"
refused "$(web "$WEB" "$(auth "$PW" "$PASS-not")")" permission_denied "authentication failed"
refused "$(web "$WEB" "$(auth "nosuch$(echo "${T##*.}" | tr A-Z a-z)" "$PASS")")" permission_denied "authentication failed"
refused "$(web "$WEB" "$(auth root "$PASS")")" permission_denied "authentication failed"
refused "$(web "$WEB" "$(auth "$PW" '')")" permission_denied "authentication failed"
refused "$(web "$A" "$(auth "$PW" "$PASS")")" permission_denied "front-end's (web_user) alone"
refused "$(web root "$(auth "$PW" "$PASS")")" permission_denied "front-end's (web_user) alone"
# bad names, oversized and NUL-holding passwords: refused before PAM
for bad in Root 'a b' '' '-x' 1abc "$(printf 'a%.0s' $(seq 33))" 'a;b' '../x' "$PW
"; do
	refused "$(web "$WEB" "$(auth "$bad" "$PASS")")" invalid_argument "is not a user name"
done
long=$(printf 'x%.0s' $(seq 513))
refused "$(web "$WEB" "$(auth "$PW" "$long")")" invalid_argument "at most 512 bytes"
refused "$(web "$WEB" "{\"id\":1,\"cmd\":\"web-auth\",\"args\":{\"user\":\"$PW\",\"password\":\"a\\u0000b\"}}")" \
    invalid_argument "NUL"
refused "$(web "$WEB" "{\"id\":1,\"cmd\":\"web-auth\",\"args\":{\"user\":\"$PW\",\"password\":7}}")" \
    invalid_argument password
refused "$(web "$WEB" "{\"id\":1,\"cmd\":\"web-auth\",\"args\":{\"user\":\"$PW\"}}")" invalid_argument password
# one check of a name at a time
out=$(runuser -u "$WEB" -- python3 "$CLIENT" --pipeline "$SOCK" "$(auth "$PW" wrong1)" "$(auth "$PW" wrong2)")
echo "$out" | grep -q 'login of that user is under way' || fail "two checks of $PW at once: $out"
# five failures in all (one above, one just now) hold the name back,
# the right password too
for i in 2 3 4; do
	refused "$(web "$WEB" "$(auth "$PW" "wrong$i")")" permission_denied "authentication failed"
done
r=$(web "$WEB" "$(auth "$PW" "$PASS")")
refused "$r" permission_denied "too many failed logins for $PW: try again in"
wait=$(printf '%s' "$r" | sed -n 's/.*try again in \([0-9]*\) s.*/\1/p')
[ "$wait" -gt 250 ] && [ "$wait" -le 300 ] || fail "held back for '$wait' s"
grep -q "$PW: held back" "$T/fwsd.log" || fail "the hold is not logged"
grep -q "$PW: a password refused" "$T/fwsd.log" || fail "a refusal is not logged"
grep -q "$PW logged in with a password (uid $UPW)" "$T/fwsd.log" || fail "the login is not logged"
grep -q -e "$PASS" -e wrong3 "$T/fwsd.log" && fail "fwsd's log holds a password"
note "web-auth: PAM's yes, the same no whatever failed, names checked, held back after 5 failures, no password logged"

# --- fwsd is up, and serves
check "$(web root '{"id":1,"cmd":"version"}')" "r['ok']"
alive "$FWSD_PID" || fail "fwsd is gone"
