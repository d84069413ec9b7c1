# t-rename.sh: rename gives a VM without a qemu a new name.  Its
# directory (logs, the disk fwsd made) moves, the disk's path follows,
# it starts and boots from it, the name and paths hold through an fwsd
# restart, and its history stays where it was written (an event under
# each name).  Refused with nothing changed: a running VM, a name that
# is taken (by a VM, or by a directory a deleted VM left), a bad name,
# another user's VM; a user's VMs of the same name as another user's
# are each their own.
. "$(dirname "$0")/lib.sh"
make_user a; A=$MADE_USER
start_fwsd
create_guest old --disk 32M
fwsctl start old >/dev/null || fail "start old"
wait_console old FWS-GUEST-READY
OLDDIR=$T/state/vms/old
[ -f "$OLDDIR/disk0.qcow2" ] || fail "no disk in $OLDDIR"

expect_rc 1 fwsctl rename old new
expect_err "old is running: stop it before renaming it"
fwsctl destroy old >/dev/null || fail "destroy old"
uuid=$(field old uuid)

fwsctl rename old new >"$T/out" || fail "rename: $(cat "$T/out")"
grep -q "^old is now new$" "$T/out" || fail "rename said: $(cat "$T/out")"
[ ! -e "$OLDDIR" ] && [ -f "$T/state/vms/new/disk0.qcow2" ] ||
    fail "the directory did not move: $(ls "$T/state/vms")"
[ "$(field new uuid)" = "$uuid" ] || fail "a new uuid"
fwsctl info new --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
ok = v["disks"][0]["path"].endswith("/vms/new/disk0.qcow2") and \
    v["serial_log"].endswith("/vms/new/console.log")
sys.exit(0 if ok else 1)' || fail "paths: $(fwsctl info new --json)"
expect_rc 1 fwsctl info old
expect_err "no VM named \"old\""
fwsctl events old --json | grep -q '"reason": *"to new"' ||
    fail "no event under the old name"
fwsctl events new --json | grep -q '"reason": *"from old"' ||
    fail "no event under the new name"
fwsctl start new >/dev/null || fail "start new"
wait_until "$BOOT_TIMEOUT" booted new 2 || fail "new did not boot"
guest_type new 'ls /sys/block/vda >/dev/null && echo VDA-THERE'
wait_console new "^VDA-THERE"
fwsctl destroy new >/dev/null || fail "destroy new"
stop_fwsd
start_fwsd
[ "$(field new uuid)" = "$uuid" ] || fail "after an fwsd restart: $(fwsctl list)"
fwsctl info new --json | grep -q '/vms/new/disk0.qcow2' ||
    fail "the disk's path after a restart"
note "renamed: its directory, disk, logs and history follow; it boots"

# refused, nothing changed
create_guest other
expect_rc 1 fwsctl rename new other
expect_err "a VM named other already exists"
mkdir "$T/state/vms/left"
expect_rc 1 fwsctl rename new left
expect_err "already exists (kept from a deleted VM?)"
rmdir "$T/state/vms/left"
expect_rc 2 fwsctl rename new ../x
expect_err "invalid VM name"
expect_rc 2 fwsctl rename new
for bad in '' ',"new_name":""' ',"new_name":"a/b"' ',"new_name":"../x"' \
    ',"new_name":7' ',"new_name":"x\u0000y"'; do
	raw "{\"id\":1,\"cmd\":\"rename\",\"args\":{\"name\":\"new\"$bad}}" |
	    grep -q '"invalid_argument"' || fail "fwsd took rename with '$bad'"
done
[ -f "$T/state/vms/new/disk0.qcow2" ] && [ "$(field new uuid)" = "$uuid" ] ||
    fail "a refusal changed new"
fwsctl rename new new >/dev/null || fail "the same name is no change"
note "a running VM, a taken name, a leftover directory, bad names refused"

# users: another's VM is not theirs to name; names are per owner
as "$A" fwsctl create mine --memory 128 --kernel "$KERNEL" >/dev/null ||
    fail "create mine"
expect_rc 1 as "$A" fwsctl rename new stolen
expect_err "no VM named \"new\""
as "$A" fwsctl rename mine new >/dev/null || fail "a user's own name"
[ -d "$T/state/users/$(uid_of "$A")/vms/new" ] || fail "the user's directory"
[ "$(field new uuid)" = "$uuid" ] || fail "the admin's new changed"
note "another user's VM not found; a name is per owner"
