#!/bin/sh
# t-attack-quota.sh: what a user's files take on the host is held to
# their quota.  An import bomb (a small compressed image that unpacks
# to far more than the quota) fails as it grows, with a clear error and
# no scratch file left; images are counted (quota_images) and imported
# one at a time; a loop of memory snapshots is refused once the next
# one may not fit, and the snapshots of a VM are counted
# (quota_snapshots); the quota shows what the files really take.
. "$(dirname "$0")/lib.sh"

make_user a; A=$MADE_USER
write_config "quota_disk = 400M
quota_images = 2
quota_vms = 10"
start_fwsd
H=$T/home-a
mkdir -p "$H"
AREA=$T/state/users/$(uid_of "$A")
used_disk() {
	as "$A" fwsctl quota --json | python3 -c \
	    'import json,sys; print(json.load(sys.stdin)["used"]["disk"])'
}
on_host() {	# what A's area takes, as du counts it
	du -s -B1 "$AREA" | cut -f1
}

# --- the bombs: a 1G image with nothing in it, and 600M of data
# compressed to almost nothing
qemu-img create -q -f qcow2 "$H/empty-bomb.qcow2" 1G
qemu-img create -q -f qcow2 "$H/data.qcow2" 600M
qemu-io -f qcow2 -c "write -q -P 0x5a 0 600M" "$H/data.qcow2" >/dev/null ||
    fail "qemu-io"
qemu-img convert -q -c -f qcow2 -O qcow2 "$H/data.qcow2" "$H/bomb.qcow2"
rm "$H/data.qcow2"
[ "$(stat -c %s "$H/bomb.qcow2")" -lt $((16 << 20)) ] ||
    fail "the bomb is not small: $(stat -c %s "$H/bomb.qcow2")"
truncate -s 8M "$H/small.raw"
chown -R "$A" "$H"
for b in empty-bomb bomb; do
	expect_rc 1 as "$A" fwsctl image-import "$b" "$H/$b.qcow2"
	expect_err "quota exceeded: disk in all: larger than the .* left (quota_disk)"
	[ -z "$(ls -A "$AREA/images")" ] ||
	    fail "$b left files behind: $(ls -A "$AREA/images")"
done
[ "$(on_host)" -lt $((1 << 20)) ] || fail "the bombs took $(on_host) bytes"
note "import bombs refused as they grow, nothing left"

# --- images are counted, and imported one at a time
as "$A" fwsctl image-import one "$H/small.raw" >/dev/null || fail "import one"
as "$A" fwsctl image-import two "$H/small.raw" >/dev/null || fail "import two"
expect_rc 1 as "$A" fwsctl image-import three "$H/small.raw"
expect_err "quota exceeded: images per user: asked for 3 (with the 2 you have), allowed 2 (quota_images)"
as "$A" fwsctl image-delete two >/dev/null || fail "image-delete two"
# scratch files an fwsd left behind go when the next one starts
touch "$AREA/images/.gone.raw" "$AREA/images/.gone.qcow2.part"
restart_fwsd
[ ! -e "$AREA/images/.gone.raw" ] && [ ! -e "$AREA/images/.gone.qcow2.part" ] ||
    fail "scratch files survived a restart: $(ls -A "$AREA/images")"
note "images counted; scratch files cleaned at start"

# --- a snapshot loop: refused once another may not fit
as "$A" fwsctl create s --memory 128 --disk 32M --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null || fail "create s"
before=$(used_disk)
as "$A" fwsctl start s >/dev/null || fail "start s"
wait_until "$BOOT_TIMEOUT" grep -q FWS-GUEST-READY "$(user_console "$A" s)" ||
    fail "s did not boot"
i=0 refused=
while [ $i -lt 10 ]; do
	i=$((i + 1))
	# the guest dirties its memory between snapshots
	guest_type s "dd if=/dev/urandom of=/dev/null bs=1M count=16 2>/dev/null; echo FWS-DIRTY-$i"
	if ! as "$A" fwsctl snapshot-create s "m$i" >/dev/null 2>"$T/err"; then
		refused=$i
		break
	fi
	[ "$(on_host)" -le $((400 << 20)) ] ||
	    fail "snapshot m$i took the area to $(on_host) bytes"
done
[ -n "$refused" ] || fail "ten memory snapshots of 128M fit a 400M quota"
[ "$refused" -gt 1 ] || fail "not even one snapshot fit: $(cat "$T/err")"
expect_err "quota exceeded: disk in all: asked for .* allowed 400M (quota_disk)"
[ "$(on_host)" -le $((400 << 20)) ] || fail "the area takes $(on_host) bytes"
[ "$(used_disk)" -gt "$before" ] || fail "the quota does not count snapshots"
note "snapshot $refused of a loop refused at the quota ($(on_host) bytes on the host)"

# --- the snapshots of one VM are counted
as "$A" fwsctl destroy s >/dev/null
as "$A" fwsctl create t --memory 64 --disk 16M --kernel "$KERNEL" >/dev/null ||
    fail "create t"
fwsctl quota-set "$A" --snapshots 2 >/dev/null || fail "quota-set --snapshots"
as "$A" fwsctl snapshot-create t d1 >/dev/null || fail "snapshot d1"
as "$A" fwsctl snapshot-create t d2 >/dev/null || fail "snapshot d2"
expect_rc 1 as "$A" fwsctl snapshot-create t d3
expect_err "quota exceeded: snapshots per VM: asked for 3 (with the 2 you have), allowed 2 (quota_snapshots)"
as "$A" fwsctl snapshot-delete t d1 >/dev/null || fail "snapshot-delete"
as "$A" fwsctl snapshot-create t d3 >/dev/null || fail "d3 after a delete"
as "$A" fwsctl version >/dev/null || fail "fwsd stopped serving"
note "snapshots per VM counted"
