#!/bin/sh
# t-demo.sh: contrib/demo.sh (make demo) keeps the user's settings.  Its
# fwsd.conf opens with a block of the demo's own lines, rewritten on
# every run; the user's lines (a file of their own from before, or lines
# added below the block) stay as they are and take effect (here an
# accelerator), run after run.
# The demo's VM boots a kernel and an initrd of its library by name,
# listed as such; its output says where settings go; demo-stop ends the
# VM and fwsd (by its pid file).
. "$(dirname "$0")/lib.sh"
D=$T/demo
conf=$D/fwsd.conf
# the web panel on a port of the test's own
FWS_DEMO_WEB=127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export FWS_DEMO_WEB
demo() {
	FWS_DEMO_DIR=$D sh "$TOP/contrib/demo.sh" "$@" >"$T/demo.out" 2>&1 ||
	    fail "demo.sh $*: $(cat "$T/demo.out")"
}
dctl() {
	"$FWSCTL_BIN" --socket "$D/run/fwsd.sock" "$@"
}

# a configuration of the user's own, before the first run (and the
# test's own cgroup subtree, which the test removes)
mkdir -p "$D"
printf 'accel = tcg\t# mine\nstop_timeout = 20\ncgroup = %s\n' "$CGROUP_NAME" > "$conf"
demo start
grep -q "^accel = tcg	# mine$" "$conf" && grep -q "^stop_timeout = 20$" "$conf" ||
    fail "the user's lines are gone: $(cat "$conf")"
[ "$(grep -c "^image_dirs = $D/images$" "$conf")" = 1 ] ||
    fail "the demo's lines: $(cat "$conf")"
dctl version --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
assert v["accel"] == "tcg" and v["accel_config"] == "tcg", v' ||
    fail "the user's accel is not in use: $(dctl version)"
grep -q "Settings (e.g. accel = kvm) go in $conf" "$T/demo.out" ||
    fail "the demo does not say where settings go: $(cat "$T/demo.out")"
wait_until "$BOOT_TIMEOUT" grep -q FWS-GUEST-READY "$D/state/vms/demo/console.log" ||
    fail "the demo's guest did not boot"
dctl image-list --json | python3 -c '
import json, sys
l = {(i["name"], i["type"]) for i in json.load(sys.stdin)}
assert l == {("guest", "kernel"), ("guest", "initrd")}, l' ||
    fail "image-list: $(dctl image-list)"
note "a first run keeps the user's file, and uses it"

# with the fws-web account (make deps), the panel runs and is said
if getent passwd fws-web >/dev/null; then
	[ "$(curl -sk -o /dev/null -w '%{http_code}' "https://$FWS_DEMO_WEB/api/session")" = 401 ] ||
	    fail "the demo's panel does not answer: $(tail -3 "$D/fws-web.log")"
	grep -q "The web panel: https://$FWS_DEMO_WEB" "$T/demo.out" ||
	    fail "the demo does not say where the panel is: $(cat "$T/demo.out")"
	grep -q "^web_user = fws-web$" "$conf" || fail "no web_user: $(cat "$conf")"
	note "the web panel runs"
fi

# again: the same file; a line added below the block stays too
cp "$conf" "$T/conf.1"
demo start
cmp -s "$conf" "$T/conf.1" || fail "a second run changed fwsd.conf: $(diff "$T/conf.1" "$conf")"
echo "console_log_max = 2M" >> "$conf"
pid=$(cat "$D/fwsd.pid")
demo stop
wait_until 10 gone "$pid" || fail "demo-stop left fwsd running"
[ ! -e "$D/fwsd.pid" ] || fail "fwsd left its pid file"
demo start
grep -q "^console_log_max = 2M$" "$conf" || fail "an added line is gone"
[ "$(grep -c "^image_dirs" "$conf")" = 1 ] || fail "the demo's block repeated: $(cat "$conf")"
pid=$(cat "$D/fwsd.pid")
demo stop
wait_until 10 gone "$pid" || fail "demo-stop left fwsd running"
note "settings kept run after run"
