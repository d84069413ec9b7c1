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

# a disk-only snapshot is an RBD snapshot; one with RAM is impossible
fwsctl snapshot-create r1 s1 --disk-only >/dev/null || fail "snapshot-create r1 s1 --disk-only"
admin_rbd snap ls --pool fws --image r1-data | grep -qw s1 || fail "no RBD snapshot s1"
expect_rc 1 fwsctl snapshot-create r1 s2
expect_err "a snapshot with RAM is impossible on RBD"
expect_err "disk-only"
fwsctl snapshot-list r1 | grep -qw s2 && fail "a refused snapshot is listed"
mark r1 MARK-TWO
[ "$(seen r1)" = MARK-TWO ] || fail "r1 does not read its second mark"
expect_rc 1 fwsctl snapshot-revert r1 s1
expect_err "stop r1, then revert"
# quit, not killed: a killed qemu holds its image's lock some 30 s
fwsctl stop r1 --timeout 2 >/dev/null || fail "stop r1"
fwsctl snapshot-list r1 | grep -qw s1 || fail "snapshot-list r1: $(fwsctl snapshot-list r1)"
fwsctl snapshot-revert r1 s1 >/dev/null || fail "snapshot-revert r1 s1"
fwsctl start r1 >/dev/null || fail "start r1 again"
wait_console r1 FWS-GUEST-READY
wait_until 60 booted r1 2 || fail "r1 did not boot again"
[ "$(seen r1)" = MARK-ONE ] || fail "after the revert r1 reads $(seen r1)"
note "disk-only snapshot, reverted on the stopped VM"

# an existing image, attached: its size is rbd's, it is not the VM's
admin_rbd create --pool fws --image shared --size 32M || fail "rbd create shared"
rbd_guest r2 --disk rbd:fws/shared >/dev/null || fail "create r2"
fwsctl info r2 --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["disks"]
assert d[0]["size"] == 32 << 20 and not d[0]["owned"], d' || fail "info r2: $(field r2 disks)"
# one image, one VM
expect_rc 1 rbd_guest r3 --disk rbd:fws/shared
expect_err "a disk belongs to one VM"

# a clone of a protected snapshot as disk 0
printf BASE-MRK > "$T/base.raw"
truncate -s 32M "$T/base.raw"
admin_rbd import --dest-pool fws "$T/base.raw" base >/dev/null 2>&1 &&
    admin_rbd snap create --no-progress --pool fws --image base --snap v1 &&
    admin_rbd snap protect --pool fws --image base --snap v1 || fail "base@v1"
rbd_guest r4 --base rbd:fws/base@v1 >/dev/null || fail "create r4"
r4_image=$(fwsctl info r4 --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["disks"][0]
assert d["owned"] and d["size"] == 32 << 20 and d["path"].startswith("rbd:fws/fws-"), d
print(d["path"][len("rbd:fws/"):])') || fail "info r4: $(field r4 disks)"
admin_rbd info --pool fws --image "$r4_image" | grep -q "parent: fws/base@v1" || fail "r4's disk is no clone of base@v1"
fwsctl start r4 >/dev/null || fail "start r4"
wait_console r4 FWS-GUEST-READY
[ "$(seen r4)" = BASE-MRK ] || fail "r4 reads $(seen r4), not the base's mark"
fwsctl stop r4 --timeout 2 >/dev/null
note "attach, clone"

# refused, saying why, and nothing made
make_user alice
expect_rc 1 as "$MADE_USER" fwsctl create u1 --memory 128 --kernel "$KERNEL" --disk rbd:other/u1,size=32M
expect_err "RBD pool other is not one users may use"
expect_rc 1 rbd_guest bad1 --disk rbd:nopool/x,size=32M
expect_err "RBD pool nopool does not exist"
expect_rc 1 rbd_guest bad2 --disk rbd:fws/nope
expect_err "RBD image fws/nope does not exist"
expect_rc 1 rbd_guest bad3 --base rbd:fws/base@nosnap
expect_err "has no snapshot nosnap"
expect_rc 1 rbd_guest bad4 --disk rbd:fws/r1-data,size=32M
expect_err "a disk belongs to one VM"
admin_rbd create --pool fws --image taken --size 8M || fail "rbd create taken"
expect_rc 1 rbd_guest bad5 --disk rbd:fws/taken,size=32M
expect_err "RBD image fws/taken already exists"
has_image fws taken || fail "an image fwsd found there was removed"
for name in "rbd:fws/a/b" "rbd:fws/a@s" "rbd:fws:conf=/etc/passwd/x" "rbd:fws/x:id=admin" \
    "rbd:fws/a=b" "rbd:-p/x" "rbd:fws/--pool"; do
	expect_rc 2 rbd_guest bad6 --disk "$name"
	# and fwsd itself, asked without fwsctl
	raw '{"id":1,"cmd":"create","args":{"name":"bad6","kernel":"'"$KERNEL"'","disks":[{"path":"'"$name"'","format":"rbd","size":33554432}]}}' > "$T/reply"
	grep -q '"code":"invalid_argument"' "$T/reply" || fail "fwsd took $name: $(cat "$T/reply")"
done
expect_rc 2 rbd_guest bad7 --disk "rbd:fws/x,size=10"
expect_rc 1 fwsctl disk-add r2 rbd:fws/other-disk
fwsctl list | grep -q bad && fail "a refused VM is listed"
note "bad pools, images and names refused"

# a wrong key: refused by rbd at create, by qemu at start, in fws's words
good_key=$(sed -n 's/.*key = //p' "$T/fws.keyring")
sed -i "s|key = .*|key = AQBk+0FmAAAAABAAZ1wKmD7E6Ha1WlYgfrIQwg==|" "$T/fws.keyring"
expect_rc 1 rbd_guest bad8 --disk rbd:fws/bad8,size=32M
expect_err "cannot connect to the Ceph cluster as client.fws: permission denied (check ceph_keyring)"
expect_rc 1 fwsctl start r2
expect_err "cannot connect to the Ceph cluster as client.fws: permission denied (check ceph_keyring)"
state_is r2 stopped || fail "r2 is $(field r2 state) after a refused start"
sed -i "s|key = .*|key = $good_key|" "$T/fws.keyring"
note "a wrong key"

# delete: the images fwsd made go, the attached one stays
fwsctl stop r1 --timeout 2 >/dev/null || fail "stop r1"
fwsctl delete r1 >/dev/null && fwsctl delete r2 >/dev/null && fwsctl delete r4 >/dev/null ||
    fail "delete r1 r2 r4"
wait_until 60 sh -c "! sh '$CEPH' rbd '$CEPH_DIR' ls --pool fws | grep -qx r1-data" ||
    fail "r1-data stays after delete"
wait_until 60 sh -c "! sh '$CEPH' rbd '$CEPH_DIR' ls --pool fws | grep -qx '$r4_image'" ||
    fail "r4's clone stays after delete"
has_image fws shared || fail "the attached image was removed"
has_image fws base || fail "the base was removed"
note "delete"
