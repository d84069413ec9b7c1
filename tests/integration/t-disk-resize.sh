# t-disk-resize.sh: disk-resize grows a disk: a stopped VM's with
# qemu-img (the guest sees the size at its start), a running one's live
# (the guest sees the new capacity while it runs); the size is kept
# through an fwsd restart.  The attacks: shrinking, a disk that is not
# there, a shared read-only image, past the host's limit or the quota,
# bad shapes, another user's VM; each refused with the disk untouched.
. "$(dirname "$0")/lib.sh"
make_user a; A=$MADE_USER
write_config "max_disk_size = 1G
quota_vm_disk = 100M"
mkdir -p "$T/images"
qemu-img create -q -f qcow2 "$T/images/shared.qcow2" 16M
start_fwsd
create_guest r1 --disk 32M --disk "$T/images/shared.qcow2"

# disk_size NAME N: the size info says disk N has
disk_size() {
	fwsctl info "$1" --json | python3 -c \
	    "import json,sys; print(json.load(sys.stdin)['disks'][$2]['size'])"
}
disk_path() {
	fwsctl info "$1" --json | python3 -c \
	    "import json,sys; print(json.load(sys.stdin)['disks'][$2]['path'])"
}
# file_size PATH: the virtual size qemu-img reads in the file
file_size() {
	qemu-img info -U --output=json "$1" | python3 -c \
	    "import json,sys; print(json.load(sys.stdin)['virtual-size'])"
}
# guest_sectors NAME: /sys/block/vda/size as the guest reads it
guest_sectors() {
	guest_answer "$1" VDA-SIZE '$(cat /sys/block/vda/size)'
}
sectors_are() {
	[ "$(guest_sectors "$1")" = "$2" ]
}
P0=$(disk_path r1 0)

# --- stopped: qemu-img
fwsctl disk-resize r1 0 48M >"$T/out" || fail "disk-resize stopped"
grep -q "^r1: disk 0 is 48M$" "$T/out" || fail "it said: $(cat "$T/out")"
[ "$(disk_size r1 0)" = $((48 << 20)) ] || fail "info: $(disk_size r1 0)"
[ "$(file_size "$P0")" = $((48 << 20)) ] || fail "the file: $(file_size "$P0")"
ls "$T/run" | grep -q qemu-img && fail "qemu-img's output left: $(ls "$T/run")"
fwsctl start r1 >/dev/null || fail "start r1"
wait_console r1 FWS-GUEST-READY
sectors_are r1 $((48 << 11)) || fail "the guest sees $(guest_sectors r1) sectors"
note "a stopped VM's disk grown by qemu-img; the guest sees it"

# --- running: live
fwsctl disk-resize r1 0 64M >"$T/out" || fail "disk-resize running"
grep -q "^r1: disk 0 is 64M, in the running guest too$" "$T/out" ||
    fail "it said: $(cat "$T/out")"
wait_until 30 sectors_are r1 $((64 << 11)) ||
    fail "the running guest sees $(guest_sectors r1) sectors"
[ "$(file_size "$P0")" = $((64 << 20)) ] || fail "the file: $(file_size "$P0")"
expect_events r1 disk disk
fwsctl disk-resize r1 0 64M --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
sys.exit(0 if (r["disk"], r["size"], r["live"]) == (0, 64 << 20, False) else 1)' ||
    fail "the same size is no change"
stop_fwsd
start_fwsd
wait_until 10 fwsctl list || fail "fwsd does not answer"
[ "$(disk_size r1 0)" = $((64 << 20)) ] || fail "after a restart: $(disk_size r1 0)"
note "a running VM's disk grown live, kept through an fwsd restart"

# --- refused, the disks untouched
expect_rc 1 fwsctl disk-resize r1 0 32M
expect_err "shrinking it to 32M is refused"
expect_rc 1 fwsctl disk-resize r1 2 64M
expect_err "r1 has no disk 2"
expect_rc 1 fwsctl disk-resize r1 1 64M
expect_err "read-only image"
expect_rc 1 fwsctl disk-resize r1 0 2G
expect_err "max_disk_size = 1G"
expect_rc 2 fwsctl disk-resize r1 0
expect_rc 2 fwsctl disk-resize r1 x 64M
expect_rc 2 fwsctl disk-resize r1 0 64
for bad in '"disk":0' '"size":1048576' '"disk":-1,"size":1048576' \
    '"disk":"0","size":1048576' '"disk":0,"size":0' '"disk":0,"size":1.5'; do
	raw "{\"id\":1,\"cmd\":\"disk-resize\",\"args\":{\"name\":\"r1\",$bad}}" |
	    grep -q '"invalid_argument"' || fail "fwsd took disk-resize with $bad"
done
[ "$(file_size "$P0")" = $((64 << 20)) ] || fail "a refusal changed disk 0"
[ "$(file_size "$T/images/shared.qcow2")" = $((16 << 20)) ] ||
    fail "the shared image changed"
note "shrinking, no such disk, a shared image, past the limit refused"

# --- a user's quota, another user's VM
as "$A" fwsctl create u1 --memory 128 --disk 64M --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null || fail "create u1"
expect_rc 1 as "$A" fwsctl disk-resize u1 0 128M
expect_err "quota"
as "$A" fwsctl disk-resize u1 0 96M >/dev/null || fail "within the quota"
expect_rc 1 as "$A" fwsctl disk-resize r1 0 96M
expect_err "no VM named \"r1\""
note "the quota holds; another user's VM not found"
