# t-disks.sh: disks made by qemu-img in the state directory, existing
# images attached from the allowed directories with an explicit format,
# deleted with their VM unless kept, and never overwritten.
. "$(dirname "$0")/lib.sh"
start_fwsd

fwsctl create d1 --memory 128 --disk 1G --disk 64M --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null || fail "create d1"
img=$T/state/vms/d1/disk0.qcow2
[ -f "$img" ] || fail "no disk0.qcow2"
qemu-img info --output=json "$img" | python3 -c '
import json, sys
i = json.load(sys.stdin)
assert i["format"] == "qcow2" and i["virtual-size"] == 1 << 30, i' || fail "disk0 is not a 1G qcow2"
fwsctl info d1 --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["disks"]
assert [x["size"] for x in d] == [1 << 30, 64 << 20], d
assert all(x["format"] == "qcow2" and x["path"].startswith("/") for x in d), d' || fail "info disks"

# the guest sees both disks as virtio block devices
fwsctl start d1 >/dev/null || fail "start d1"
wait_console d1 FWS-GUEST-READY
guest_type d1 'echo disks: $(cat /sys/block/vda/size) $(cat /sys/block/vdb/size)'
wait_console d1 "disks: 2097152 131072" 20
fwsctl destroy d1 >/dev/null

# an existing raw image, attached; a raw file is not taken for qcow2
truncate -s 10M "$T/images/data.raw"
fwsctl create d2 --disk "$T/images/data.raw" --kernel "$KERNEL" >/dev/null || fail "attach raw"
field d2 disks | grep -q "'format': 'raw'" || fail "format: $(field d2 disks)"
expect_rc 1 fwsctl create d3 --disk "$T/images/data.raw,format=qcow2" --kernel "$KERNEL"
expect_err "not a qcow2 image"
# a raw image that starts like a qcow2 stays raw: formats are never probed
printf 'QFI\373' > "$T/images/fake.img"
truncate -s 1M "$T/images/fake.img"
fwsctl create d4 --disk "$T/images/fake.img" --kernel "$KERNEL" >/dev/null || fail "attach fake"
field d4 disks | grep -q "'format': 'raw'" || fail "fake.img: $(field d4 disks)"
fwsctl start d4 >/dev/null || fail "start d4"
# an image of the library: read-only, a descriptor fwsd opened, raw
field d4 disks | grep -q "'readonly': True" || fail "fake.img: $(field d4 disks)"
tr '\0' '\n' < "/proc/$(field d4 pid)/cmdline" |
    grep -qx '{"driver":"raw","file":"fws-disk0-file","node-name":"fws-disk0","read-only":true}' ||
    fail "qemu not told raw"
tr '\0' ' ' < "/proc/$(field d4 pid)/cmdline" | grep -q "fake.img" &&
    fail "qemu was given the library image by its path"
fwsctl destroy d4 >/dev/null && fwsctl delete d4 >/dev/null || fail "d4"
qemu-img create -q -f qcow2 "$T/images/real.qcow2" 32M
expect_rc 1 fwsctl create d3 --disk "$T/images/data.raw,format=vmdk" --kernel "$KERNEL"
expect_err "format must be qcow2 or raw"
fwsctl create d3 --disk "$T/images/real.qcow2" --kernel "$KERNEL" >/dev/null || fail "attach qcow2"
[ "$(fwsctl info d3 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["disks"][0]["size"])')" = $((32 << 20)) ] ||
    fail "virtual size of an attached qcow2"

# delete removes what fwsd made, never what it was given
fwsctl delete d2 >/dev/null && fwsctl delete d3 >/dev/null || fail "delete d2 d3"
[ -f "$T/images/data.raw" ] && [ -f "$T/images/real.qcow2" ] || fail "an attached image was deleted"
fwsctl delete d1 --keep-disks | grep -q "disks kept" || fail "delete --keep-disks"
[ -f "$img" ] || fail "--keep-disks did not keep the disk"
# a new VM of the same name does not overwrite the kept disk
expect_rc 1 fwsctl create d1 --disk 1G --kernel "$KERNEL"
expect_err "already exists"
[ "$(fwsctl list --json)" = "[]" ] || fail "a refused create left a VM"
# but it can attach it
fwsctl create d1 --disk "$img" --kernel "$KERNEL" >/dev/null || fail "attach kept disk"
fwsctl delete d1 >/dev/null
[ -f "$img" ] || fail "an attached disk was deleted"

# a disk over the configured limit
stop_fwsd
write_config "max_disk_size = 2G"
start_fwsd
expect_rc 1 fwsctl create big --disk 3G --kernel "$KERNEL"
expect_err "disk 3G is more than this host allows for a disk: max_disk_size = 2G"
