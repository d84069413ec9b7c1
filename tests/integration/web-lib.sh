# web-lib.sh: what the browser tests share, sourced after lib.sh: the
# panel's accounts (the front-end's, made by the test, and users with a
# password), the PAM service, an fwsd that trusts the front-end, and
# fws-web on a loopback port of its own serving the panel from the
# source tree.  The cleanup of lib.sh ends fws-web with the rest (its
# command line names $T); start_web and stop_web let a test restart it.
#
# xterm.js is not in the tree (make deps puts it in
# $(PREFIX)/share/fws/xterm, from npm); FWS_XTERM_DIR names another
# directory holding xterm.js and xterm.css.
WEB_BIN=$BUILD/fws-web
WEB_PID=
PANEL_SRC=$TOP/supervisor/web/panel
XTERM_DIR=${FWS_XTERM_DIR:-/usr/local/share/fws/xterm}
NOVNC_DIR=${FWS_NOVNC_DIR:-/usr/share/novnc}
WEBDRIVER=$TOP/tests/web
# screenshots and what a failed browser test saw: kept after the test
ARTEFACTS=${FWS_ARTEFACTS:-$TOP/tests/web/artefacts}/$TEST_NAME

[ -x "$WEB_BIN" ] || fail "no $WEB_BIN (make all)"
[ -f "$XTERM_DIR/xterm.js" ] && [ -f "$XTERM_DIR/xterm.css" ] ||
    fail "no xterm.js in $XTERM_DIR (make deps, or FWS_XTERM_DIR)"
[ -f "$NOVNC_DIR/core/rfb.js" ] || fail "no noVNC in $NOVNC_DIR (apt-get install novnc)"
command -v chromium >/dev/null && command -v chromedriver >/dev/null ||
    fail "chromium and chromium-driver are needed (make deps)"
rm -rf "$ARTEFACTS" && mkdir -p "$ARTEFACTS" || fail "mkdir $ARTEFACTS"

WEB_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
WEB_URL=https://127.0.0.1:$WEB_PORT

# the front-end's account: in fws, the group that may open fwsd's socket
make_user web; WEB_USER=$MADE_USER

# the PAM service as make install puts it (removed after, if ours)
pam_service

# the panel's pages from the tree, laid out as make install lays them
WEB_STATIC=$PANEL_SRC

# write_web_config [LINES]: fwsd.conf for a front-end, and fws-web.conf
write_web_config() {
	write_config "web_user = $WEB_USER
web_url = $WEB_URL
pam_helper = $BUILD/fws-pam-check
$*"
	mkdir -p "$T/web" && chown "$WEB_USER" "$T/web" || fail "mkdir $T/web"
	cat > "$T/fws-web.conf" <<EOC
listen = 127.0.0.1:$WEB_PORT
user = $WEB_USER
tls_cert = $T/web/cert.pem
tls_key = $T/web/key.pem
fwsd_socket = $SOCK
static_dir = $WEB_STATIC
novnc_dir = $NOVNC_DIR
xterm_dir = $XTERM_DIR
EOC
}

# start_web: fws-web in the foreground, answering within 10 s
start_web() {
	"$WEB_BIN" --foreground --verbose --config "$T/fws-web.conf" \
	    >>"$T/fws-web.log" 2>&1 &
	WEB_PID=$!
	wait_until 10 curl -sk -o /dev/null "$WEB_URL/login" ||
	    { tail -20 "$T/fws-web.log"; fail "fws-web did not start"; }
}

stop_web() {
	kill -TERM "$WEB_PID" 2>/dev/null
	wait "$WEB_PID" 2>/dev/null
	WEB_PID=
}

# login_link USER: a one-time link of USER's, from fwsctl web-login
login_link() {
	as "$1" fwsctl web-login || fail "fwsctl web-login as $1"
}

# browser SCRIPT ARGS...: a browser test's python driver, with the
# harness on its path; what it saw stays in $ARTEFACTS
# (Chromium's profile under $T: the cleanup finds what is left of it)
browser() {
	_script=$1; shift
	FWS_BROWSER_TMP=$T ARTEFACTS=$ARTEFACTS PYTHONPATH=$WEBDRIVER \
	    python3 "$WEBDRIVER/$_script" "$@" ||
	    { tail -20 "$T/fws-web.log"; fail "$_script failed (artefacts in $ARTEFACTS)"; }
}
