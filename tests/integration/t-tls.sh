# t-tls.sh: the remote API over TLS.  fwsd listens on 127.0.0.1 with
# certificates made by contrib/fws-tls-setup; fwsctl --connect tls://
# gets the same answers as over the UNIX socket (list, info, create,
# start, screenshot inline, destroy, quota, snapshot-list, stats,
# delete...), each request logged with its certificate's subject.  A
# user-mapped certificate sees that user's VMs only.  Refused during the
# handshake, before any request is read, and logged with why: no client
# certificate, an expired one, one of another CA, one not in
# tls_allowed.  The console cannot travel over TLS and says so.
# Attacks: garbage instead of a ClientHello, a handshake never
# finished (closed after client_idle_timeout), a line too long after
# it, more connections than max_clients_per_user: fwsd stays up and
# serves the others.
. "$(dirname "$0")/lib.sh"

SETUP=$TOP/contrib/fws-tls-setup
PKI=$T/pki
sh "$SETUP" ca "$PKI" >/dev/null || fail "fws-tls-setup ca"
sh "$SETUP" host "$PKI" 127.0.0.1 >/dev/null || fail "fws-tls-setup host"
for c in ops stud stranger; do
	sh "$SETUP" client "$PKI" "$c" >/dev/null || fail "fws-tls-setup client $c"
done
sh "$SETUP" client "$PKI" old --start 20200101000000Z \
    --end 20210101000000Z >/dev/null || fail "fws-tls-setup client old"
# another CA, and its certificate for a name fwsd allows
sh "$SETUP" ca "$T/pki2" --name other-ca >/dev/null || fail "second CA"
sh "$SETUP" client "$T/pki2" ops >/dev/null || fail "second CA's ops"
# bad arguments are refused
expect_rc 1 sh "$SETUP" client "$PKI" 'bad name'
expect_rc 2 sh "$SETUP" frobnicate "$PKI"

make_user stud
STUD=$MADE_USER
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
write_config "listen_tls = 127.0.0.1:$PORT
tls_cert = $PKI/hosts/127.0.0.1/cert.pem
tls_key = $PKI/hosts/127.0.0.1/key.pem
tls_ca = $PKI/ca.pem
tls_allowed = ops => admin; old => admin
tls_allowed = stud => $STUD
client_idle_timeout = 3
max_clients_per_user = 4"
start_fwsd
wait_until 10 grep -q "tls: listening on 127.0.0.1:$PORT" "$T/fwsd.log" ||
    fail "fwsd does not say it listens: $(tail -3 "$T/fwsd.log")"
URI=tls://127.0.0.1:$PORT

# remote [CLIENT] ARGS...: fwsctl over TLS with CLIENT's certificate
remote() {
	who=$1; shift
	FWS_TLS_DIR=$PKI/clients/$who "$FWSCTL_BIN" --connect "$URI" "$@"
}

# same WHAT: $T/local and $T/remote hold the same JSON, volatile fields
# (times, counters) aside
same() {
	python3 - "$T/local" "$T/remote" <<'EOP' || fail "$1: local and remote differ: $(cat "$T/local") / $(cat "$T/remote")"
import json, sys
VOLATILE = {"cpu_seconds", "cpu_ns", "uptime", "time", "timestamp", "at",
            "rx_bytes", "tx_bytes", "rd_bytes", "wr_bytes", "rd_ops",
            "wr_ops", "memory_rss", "rss", "cpu", "ts"}
def norm(v):
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items() if k not in VOLATILE}
    if isinstance(v, list):
        return [norm(x) for x in v]
    return v
# one JSON value, or one a line (events)
def load(p):
    text = open(p).read()
    try:
        return norm(json.loads(text))
    except ValueError:
        return norm([json.loads(l) for l in text.splitlines() if l.strip()])
a, b = load(sys.argv[1]), load(sys.argv[2])
sys.exit(0 if a == b else 1)
EOP
}

# logged PATTERN: fwsd's log has (or soon has) a line matching it
logged() {
	wait_until 5 grep -q "$1" "$T/fwsd.log"
}

# both WHAT ARGS...: the verb's --json answer locally and as ops remotely
both() {
	what=$1; shift
	fwsctl --json "$@" >"$T/local" 2>"$T/err" || fail "local $what: $(cat "$T/err")"
	remote ops --json "$@" >"$T/remote" 2>"$T/err" || fail "remote $what: $(cat "$T/err")"
	same "$what"
}

# --- the same answers both ways
remote ops create r1 --vcpus 1 --memory 256 --disk 32M --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null 2>"$T/err" ||
    fail "remote create: $(cat "$T/err")"
both list list
both info info r1
both version version
both templates templates
both quota quota
remote ops snapshot-create r1 s1 >/dev/null 2>"$T/err" || fail "remote snapshot-create: $(cat "$T/err")"
both snapshot-list snapshot-list r1
both image-list image-list
both net-list net-list
both loans loans
both stats stats
both events events r1
remote ops start r1 >/dev/null 2>"$T/err" || fail "remote start: $(cat "$T/err")"
[ "$(field r1 state)" = running ] || fail "r1 is $(field r1 state) after a remote start"
both info-running info r1
wait_until 30 sh -c "FWS_TLS_DIR=$PKI/clients/ops '$FWSCTL_BIN' --connect $URI screenshot r1 '$T/r1.png'" ||
    fail "remote screenshot: $(remote ops screenshot r1 "$T/r1.png" 2>&1)"
head -c 8 "$T/r1.png" | od -An -c | grep -q 'P   N   G' || fail "not a PNG"
fwsctl screenshot r1 "$T/local.png" >/dev/null || fail "local screenshot"
# the console is a descriptor: refused over TLS, saying why
expect_rc 1 remote ops console r1 </dev/null
expect_err "cannot travel over TLS"
remote ops destroy r1 >/dev/null 2>"$T/err" || fail "remote destroy: $(cat "$T/err")"
[ "$(field r1 state)" = stopped ] || fail "r1 is $(field r1 state) after a remote destroy"
# a unix: target is the UNIX socket
"$FWSCTL_BIN" --connect "unix:$SOCK" list >/dev/null || fail "--connect unix:"
# each remote request was logged with the subject, the verb and the VM
grep -q "tls CN=ops (uid 0, admin): start r1" "$T/fwsd.log" ||
    fail "no log line for the remote start"
grep -q "tls CN=ops (uid 0, admin): list$" "$T/fwsd.log" ||
    fail "no log line for the remote list"

# --- a user-mapped certificate: that user's VMs only
fwsctl --owner "$STUD" create mine --vcpus 1 --memory 256 --kernel "$KERNEL" \
    >/dev/null || fail "create mine"
fwsctl create theirs --vcpus 1 --memory 256 --kernel "$KERNEL" >/dev/null ||
    fail "create theirs"
names=$(remote stud list --json | python3 -c \
    'import json,sys; print(" ".join(v["name"] for v in json.load(sys.stdin)))')
[ "$names" = mine ] || fail "stud's remote list: '$names', not 'mine'"
expect_rc 1 remote stud info theirs
expect_err 'no VM named "theirs"'
expect_rc 1 remote stud info r1
expect_rc 1 remote stud net-create n1 --bridge fwsbr9
expect_err "admins only"
as "$STUD" fwsctl --json quota >"$T/local" || fail "stud's local quota"
remote stud --json quota >"$T/remote" || fail "stud's remote quota"
same "stud's quota"
remote stud delete mine >/dev/null || fail "stud deletes mine remotely"

# --- refusals, each before any request is read
n_req=$(grep -c "tls CN=" "$T/fwsd.log")
# expired, of another CA, not in tls_allowed: fwsctl fails, fwsd says why
expect_rc 1 remote old list
logged "refused: certificate CN=old.*certificate has expired" ||
    fail "no line for the expired certificate: $(grep refused "$T/fwsd.log")"
expect_rc 1 env FWS_TLS_DIR="$T/pki2/clients/ops" "$FWSCTL_BIN" --connect "$URI" \
    --ca "$PKI/ca.pem" list
logged "refused: certificate CN=ops (depth 0): unable to get local issuer" ||
    fail "no line for the other CA's certificate: $(grep refused "$T/fwsd.log")"
expect_rc 1 remote stranger list
logged "refused: certificate CN=stranger is not in tls_allowed" ||
    fail "no line for the certificate not allowed"
# no certificate at all (a client that sends a request anyway)
python3 - "$PORT" "$PKI/ca.pem" <<'EOP' || fail "a client without a certificate was not refused"
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))),
                    server_hostname="127.0.0.1")
try:
    s.sendall(b'{"id":1,"cmd":"list"}\n')
    data = s.recv(4096)
    sys.exit(1 if data else 0)
except (ssl.SSLError, ConnectionError):
    sys.exit(0)
EOP
logged "refused: handshake: .*peer did not return a certificate" ||
    fail "no line for the client without a certificate: $(grep refused "$T/fwsd.log")"
# the server's name is checked: this certificate is for 127.0.0.1 only
expect_rc 1 env FWS_TLS_DIR="$PKI/clients/ops" "$FWSCTL_BIN" --connect \
    "tls://localhost:$PORT" list
expect_err "certificate"
[ "$(grep -c "tls CN=" "$T/fwsd.log")" = "$n_req" ] ||
    fail "a refused client's request was read: $(grep "tls CN=" "$T/fwsd.log" | tail -2)"

# --- attacks: garbage, a stalled handshake, a line too long, a flood
python3 - "$PORT" "$PKI" <<'EOP' || fail "attacks"
import socket, ssl, sys, time
port, pki = int(sys.argv[1]), sys.argv[2]
# garbage instead of a ClientHello: closed
g = socket.create_connection(("127.0.0.1", port))
g.sendall(b"GET / HTTP/1.0\r\n\r\n" * 100)
g.settimeout(10)
try:
    while g.recv(4096):
        pass
except ConnectionError:
    pass
# a handshake never finished: closed within client_idle_timeout
t0 = time.time()
h = socket.create_connection(("127.0.0.1", port))
h.sendall(b"\x16\x03\x01")
h.settimeout(15)
try:
    while h.recv(4096):
        pass
except ConnectionError:
    pass
took = time.time() - t0
assert took < 12, "a stalled handshake was kept %.1f s" % took
def client(who):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(pki + "/ca.pem")
    ctx.load_cert_chain(pki + "/clients/%s/cert.pem" % who,
                        pki + "/clients/%s/key.pem" % who)
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                        server_hostname="127.0.0.1")
    s.settimeout(10)
    return s
def reply(s):
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(65536)
        if not d:
            break
        buf += d
    return buf
# a line too long: told so, and closed
s = client("ops")
try:
    s.sendall(b"x" * 200000)
except (ssl.SSLError, ConnectionError):
    pass
r = reply(s)
assert b"too long" in r, r
# max_clients_per_user holds: stud's fifth connection is refused
held = [client("stud") for _ in range(4)]
for c in held:
    c.sendall(b'{"id":1,"cmd":"version"}\n')
    assert b'"ok":true' in reply(c).replace(b" ", b"")
fifth = client("stud")
r = reply(fifth)
assert b"max_clients_per_user" in r, r
for c in held:
    c.close()
EOP
logged "refused: no handshake in time" ||
    fail "no line for the stalled handshake"
alive "$FWSD_PID" || fail "fwsd died"
remote ops list >/dev/null || fail "fwsd no longer serves over TLS"
fwsctl list >/dev/null || fail "fwsd no longer serves its socket"

# --- bad keys and files are refused at start-up
stop_fwsd
cp "$T/fwsd.conf" "$T/good.conf"
for bad in "listen_tls = 127.0.0.1:99999" "listen_tls = example.org:1" \
    "tls_allowed = ops" "tls_allowed = newcn => no_such_user_$$" \
    "tls_allowed = ops => admin; ops => admin"; do
	{ cat "$T/good.conf"; echo "$bad"; } >"$T/bad.conf"
	expect_rc 1 "$FWSD" --foreground --config "$T/bad.conf" \
	    --state-dir "$T/state" --run-dir "$T/run2"
done
# files that are not there, or not a key: fwsd does not start
{ cat "$T/good.conf"; echo "tls_ca = $T/nonexistent.pem"; } >"$T/bad.conf"
expect_rc 1 "$FWSD" --foreground --config "$T/bad.conf" \
    --state-dir "$T/state" --run-dir "$T/run2"
expect_err "tls_ca $T/nonexistent.pem"
{ cat "$T/good.conf"; echo "tls_key = $PKI/ca.pem"; } >"$T/bad.conf"
expect_rc 1 "$FWSD" --foreground --config "$T/bad.conf" \
    --state-dir "$T/state" --run-dir "$T/run2"
expect_err "tls_key"
note "remote answers match, refusals logged, attacks survived"
