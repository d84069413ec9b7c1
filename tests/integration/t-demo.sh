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
