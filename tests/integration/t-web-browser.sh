# t-web-browser.sh: the web panel in a real browser (headless Chromium
# over WebDriver, tests/web/browser-flow.py) against fwsd, fws-web and a
# guest: a one-time link from fwsctl web-login logs a user in once; a
# password (PAM) logs another in; the panel's form makes a VM, which
# starts from its row; its page shows the guest's screen (a screenshot,
# not blank) and a serial console that the guest answers; stopped with
# fwsctl, the open page says so at once (the events stream, no
# reload); deleted from the list.  Screenshots are kept (the directory
# is printed).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/web-lib.sh"

make_user link; LINK_USER=$MADE_USER
make_user_pw pw; PW_USER=$MADE_USER; PW_PASS=$MADE_PASS
write_web_config
start_fwsd
start_web
note "fws-web on $WEB_URL, the panel from $WEB_STATIC"

LINK=$(login_link "$LINK_USER")
case $LINK in
"$WEB_URL/login#token="*) ;;
*)	fail "web-login printed '$LINK'" ;;
esac
VM=w1
browser browser-flow.py "$WEB_URL" "$LINK" "$LINK_USER" "$PW_USER" \
    "$PW_PASS" "$VM" "$(user_console "$PW_USER" "$VM")" \
    "[\"runuser\", \"-u\", \"$PW_USER\", \"--\", \"$FWSCTL_BIN\", \"--socket\", \"$SOCK\", \"stop\", \"$VM\"]"
fwsctl list --json | grep -q "\"$VM\"" && fail "$VM is still defined"
grep -q "$PW_PASS" "$T/fws-web.log" "$T/fwsd.log" && fail "a password in a log"
note "screenshots in $ARTEFACTS"
