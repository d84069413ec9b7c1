# t-rbd.sh: VM disks on Ceph RBD, against a one-node cluster of the
# test's own (ceph.sh): an image made with its VM boots the test guest,
# which writes to it; a disk-only snapshot, reverted on the stopped VM;
# an existing image attached, a clone of a snapshot as disk 0; a pool
# users may not use, a missing pool or image, a wrong key and names
# that would smuggle options refused, saying so; delete removes the
# images fwsd made and keeps the attached one.
. "$(dirname "$0")/../integration/lib.sh"

CEPH=$TOP/tests/cluster/ceph.sh
CEPH_DIR=$T/ceph
# the cluster first (its daemons by PID), then lib.sh's cleanup
rbd_cleanup() {
	rc=$?
	sh "$CEPH" down "$CEPH_DIR" >/dev/null 2>&1
	(exit $rc)
	cleanup
}
trap rbd_cleanup EXIT
sh "$CEPH" up "$CEPH_DIR" fws other || fail "the Ceph cluster did not start"
note "cluster up"
# rbd as the admin, to look at what fwsd did
admin_rbd() {
	sh "$CEPH" rbd "$CEPH_DIR" "$@"
}
has_image() {
	admin_rbd ls --pool "$1" | grep -qx "$2"
}
cp "$CEPH_DIR/fws.keyring" "$T/fws.keyring"
chmod 0644 "$T/fws.keyring"
write_config "ceph_conf = $CEPH_DIR/ceph.conf
ceph_user = fws
ceph_keyring = $T/fws.keyring
rbd_pools = fws, nopool"
start_fwsd
# the keyring is root's alone now: qemu gets the key by a descriptor
[ "$(stat -c %a "$T/fws.keyring")" = 600 ] || fail "keyring mode $(stat -c %a "$T/fws.keyring")"

rbd_guest() {
	_name=$1
	shift
	fwsctl create "$_name" --memory 128 --kernel "$KERNEL" \
	    --initrd "$INITRD" --append "$GUEST_APPEND" "$@"
}

# an image made with its VM: rbd create, the VM's
rbd_guest r1 --disk rbd:fws/r1-data,size=64M >/dev/null || fail "create r1"
has_image fws r1-data || fail "no image fws/r1-data"
admin_rbd info --pool fws --image r1-data --format json | python3 -c '
import json, sys
assert json.load(sys.stdin)["size"] == 64 << 20' || fail "r1-data is not 64M"
fwsctl info r1 --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["disks"]
assert d[0]["path"] == "rbd:fws/r1-data" and d[0]["format"] == "rbd", d
assert d[0]["owned"] and d[0]["size"] == 64 << 20, d' || fail "info r1: $(field r1 disks)"

# mark NAME TEXT: written by the guest at the start of vda
mark() {
	guest_type "$1" "printf $2 | dd of=/dev/vda bs=512 conv=fsync 2>/dev/null; echo MARKED-$2"
	wait_console "$1" "^MARKED-$2" 60
}
seen() {
	guest_answer "$1" SEEN '$(dd if=/dev/vda bs=512 count=1 2>/dev/null | head -c 8)'
}

fwsctl start r1 >/dev/null || fail "start r1"
# qemu's rbd driver: pool and image as options, the key a secret by fd
tr '\0' '\n' < "/proc/$(field r1 pid)/cmdline" > "$T/cmdline"
grep -q '"driver":"rbd"' "$T/cmdline" && grep -q '"image":"r1-data"' "$T/cmdline" &&
    grep -q '"key-secret":"fws-rbd-key"' "$T/cmdline" || fail "no rbd node: $(grep rbd "$T/cmdline")"
grep -q "$(sed -n 's/.*key = //p' "$CEPH_DIR/fws.keyring")" "$T/cmdline" && fail "the key is on qemu's command line"
wait_console r1 FWS-GUEST-READY
mark r1 MARK-ONE
[ "$(seen r1)" = MARK-ONE ] || fail "r1 does not read its mark"
note "r1 boots and writes"
