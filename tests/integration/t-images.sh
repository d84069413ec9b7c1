#!/bin/sh
# t-images.sh: what a user may make a VM of.  Paths outside their area
# and the library are refused (whether or not they exist, through ".."
# too); a qcow2 whose backing file is /etc/shadow or a json: name is
# refused; a raw file holding a qcow2 header stays raw; library ISOs and
# base images (as copy-on-write overlays), library kernels and initrds
# by name (listed as such, never as disks) and templates with a disk
# work; image-import converts a user's own file (and the vmdk in an
# .ova) with the user's rights, and nobody else sees the result.
. "$(dirname "$0")/lib.sh"

make_user a; A=$MADE_USER
make_user b; B=$MADE_USER
write_config "template.small = 1 vcpu, 128 MiB, 64M
quota_vms = 10"
L=$T/images

# the library: a base image, an ISO, and three traps
qemu-img create -q -f qcow2 "$L/base.qcow2" 64M || fail "base"
head -c 1M /dev/zero > "$L/tiny.iso"
qemu-img create -q -f qcow2 -u -b /etc/shadow -F raw "$L/evil.qcow2" 64M ||
    fail "evil"
qemu-img create -q -f qcow2 -u -F raw \
    -b 'json:{"file.driver":"file","file.filename":"/etc/shadow"}' \
    "$L/jsonevil.qcow2" 64M || fail "jsonevil"
cp "$L/evil.qcow2" "$L/fake.img"	# raw bytes that look like qcow2
chmod 0644 "$L"/*
start_fwsd

# paths outside A's area and the library: one answer, exists or not
for p in /etc/shadow /etc/no-such-file "$L/../../../etc/passwd" \
    "$T/state/fws.db"; do
	expect_rc 1 as "$A" fwsctl create x --kernel "$p"
	expect_err "outside the allowed image directories"
done
expect_rc 1 as "$A" fwsctl create x --disk /etc/passwd,format=raw
expect_err "outside the allowed image directories"
as "$B" fwsctl create bvm --disk 32M --kernel "$KERNEL" >/dev/null ||
    fail "B create"
bdisk=$T/state/users/$(uid_of "$B")/vms/bvm/disk0.qcow2
[ -f "$bdisk" ] || fail "B's disk is not at $bdisk"
expect_rc 1 as "$A" fwsctl create x --disk "$bdisk" --kernel "$KERNEL"
expect_err "outside the allowed image directories"
note "paths outside refused"

# backing files: /etc/shadow and json: refused, for admins too
expect_rc 1 as "$A" fwsctl create x --base evil --kernel "$KERNEL"
expect_err "backing file /etc/shadow: /etc/shadow: outside the allowed"
expect_rc 1 as "$A" fwsctl create x --disk "$L/evil.qcow2" --kernel "$KERNEL"
expect_err "backing file /etc/shadow"
expect_rc 1 fwsctl create x --disk "$L/evil.qcow2" --kernel "$KERNEL"
expect_err "backing file /etc/shadow"
expect_rc 1 as "$A" fwsctl create x --disk "$L/jsonevil.qcow2" --kernel "$KERNEL"
expect_err "is not a plain path"
note "backing chains leaving the directories refused"

# a raw file with a qcow2 header is raw: qemu (as fws-qemu) would fail
# on /etc/shadow if it took it for qcow2
as "$A" fwsctl create rawvm --memory 128 --disk "$L/fake.img" \
    --kernel "$KERNEL" --initrd "$INITRD" --append "$GUEST_APPEND" \
    >/dev/null || fail "create rawvm"
as "$A" fwsctl start rawvm >/dev/null || fail "start rawvm: $(cat "$T/err")"
pid=$(as "$A" fwsctl info rawvm --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["pid"])')
tr '\0' '\n' < "/proc/$pid/cmdline" |
    grep -qx '{"driver":"raw","file":"fws-disk0-file","node-name":"fws-disk0","read-only":true}' ||
    fail "fake.img not given as raw"
as "$A" fwsctl destroy rawvm >/dev/null
note "a raw file with a qcow2 header stays raw"

# library ISO by name, base image as an overlay, template with a disk
as "$A" fwsctl image-list --json > "$T/list" || fail "image-list"
python3 - "$T/list" <<'EOP' || fail "image-list: $(cat "$T/list")"
import json, sys
l = {i["name"]: i for i in json.load(open(sys.argv[1]))}
assert l["tiny"]["type"] == "iso" and l["base"]["type"] == "disk", l
assert l["base"]["format"] == "qcow2" and l["fake"]["format"] == "raw", l
assert l["base"]["virtual_size"] == 64 << 20 and l["base"]["owner"] is None, l
# the test guest's files, in the library as they are built
assert l["vmlinuz"]["type"] == "kernel" and l["initrd.img"]["type"] == "initrd", l
assert "initrd" not in l, l
EOP
as "$A" fwsctl create inst --iso tiny --disk 64M >/dev/null ||
    fail "create --iso tiny: $(cat "$T/err")"
[ "$(as "$A" fwsctl info inst --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["iso"])')" = "$L/tiny.iso" ] ||
    fail "library ISO not found by name"
as "$A" fwsctl create ov --memory 128 --base base --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null ||
    fail "create --base"
ov=$T/state/users/$(uid_of "$A")/vms/ov/disk0.qcow2
qemu-img info -U --output=json "$ov" | python3 -c '
import json, sys
i = json.load(sys.stdin)
assert i["backing-filename"] == sys.argv[1], i
assert i["backing-filename-format"] == "qcow2", i' "$L/base.qcow2" ||
    fail "overlay has not the base as backing file"
[ "$(stat -c '%u %a' "$ov")" = "$(as "$A" fwsctl info ov --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["qemu_uid"])') 600" ] ||
    fail "overlay not handed to its VM's qemu uid"
as "$A" fwsctl start ov >/dev/null || fail "start the overlay VM"
as "$A" fwsctl destroy ov >/dev/null
as "$A" fwsctl create t1 --template small --kernel "$KERNEL" >/dev/null ||
    fail "template with a disk"
[ "$(as "$A" fwsctl info t1 --json | python3 -c \
    'import json,sys; d=json.load(sys.stdin)["disks"]; print(len(d), d[0]["size"])')" = \
    "1 $((64 << 20))" ] || fail "template's disk"
as "$A" fwsctl create kn --memory 128 --kernel vmlinuz --initrd initrd.img \
    --append "$GUEST_APPEND" >/dev/null || fail "create --kernel NAME: $(cat "$T/err")"
[ "$(as "$A" fwsctl info kn --json | python3 -c \
    'import json,sys; v=json.load(sys.stdin); print(v["kernel"], v["initrd"])')" = \
    "$(realpath "$KERNEL") $(realpath "$INITRD")" ] ||
    fail "library kernel and initrd not found by name"
expect_rc 1 as "$A" fwsctl create x --kernel nosuch
expect_err 'no kernel named "nosuch" in the image library'
expect_rc 1 as "$A" fwsctl create x --base initrd --kernel vmlinuz
expect_err 'no image named "initrd"'
expect_rc 1 as "$A" fwsctl create x --iso vmlinuz
expect_err 'no ISO named "vmlinuz"'
note "library ISO, kernel and initrd by name, base overlay, template disk"

# image-import: A's own files, read with A's rights
H=$T/home-a
mkdir -p "$H"
printf 'FWS-IMPORT-MARK' > "$H/src.raw"
truncate -s 16M "$H/src.raw"
qemu-img convert -q -f raw -O vmdk -o subformat=streamOptimized \
    "$H/src.raw" "$H/disk.vmdk"
echo '<Envelope/>' > "$H/app.ovf"
(cd "$H" && tar -cf app.ova app.ovf disk.vmdk)
qemu-img create -q -f qcow2 -u -b /etc/shadow -F raw "$H/sneaky.qcow2" 16M
chown -R "$A" "$H"
chmod 0700 "$H"
as "$A" fwsctl image-import mine "$H/src.raw" >/dev/null ||
    fail "import raw: $(cat "$T/err")"
as "$A" fwsctl image-import appliance "$H/app.ova" >/dev/null ||
    fail "import ova: $(cat "$T/err")"
area=$T/state/users/$(uid_of "$A")/images
for i in mine appliance; do
	qemu-img info -U --output=json "$area/$i.qcow2" | python3 -c '
import json, sys
i = json.load(sys.stdin)
assert i["format"] == "qcow2" and "backing-filename" not in i, i
assert i["virtual-size"] == 16 << 20, i' || fail "$i.qcow2 is not what it should be"
	qemu-img convert -q -f qcow2 -O raw "$area/$i.qcow2" "$T/back.raw"
	[ "$(head -c 15 "$T/back.raw")" = FWS-IMPORT-MARK ] ||
	    fail "$i: the data did not come through"
done
# bad requests: a clear error each, and fwsd goes on serving
expect_rc 1 as "$A" fwsctl image-import odd "$H/src.raw" --format iso
expect_err "format iso: not one of"
expect_rc 2 as "$A" fwsctl image-import ../up "$H/src.raw"
expect_err "invalid VM name"
expect_rc 1 as "$A" fwsctl image-import mine "$H/src.raw"
expect_err "you have an image of that name already"
r=$(runuser -u "$A" -- python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(json.dumps({"id": 1, "cmd": "image-import", "args": {"name": "x",
    "path": "relative.raw", "format": "raw"}}).encode() + b"\n")
print(s.makefile().readline())' "$SOCK")
echo "$r" | grep -q '"code": *"invalid_argument".*absolute path' ||
    fail "relative import path: $r"
expect_rc 1 as "$A" fwsctl image-delete nosuch
expect_err "you have no image of that name"
as "$A" fwsctl version >/dev/null || fail "fwsd stopped serving"
# what A may not read, A may not import; nothing is left behind
expect_rc 1 as "$A" fwsctl image-import shadow /etc/shadow --format raw
expect_err "Permission denied"
expect_rc 1 as "$A" fwsctl image-import sneaky "$H/sneaky.qcow2"
expect_err "qemu-img could not read it"
[ "$(ls -A "$area" | sort | tr '\n' ' ')" = "appliance.qcow2 mine.qcow2 " ] ||
    fail "left in the image area: $(ls -A "$area")"
# A's images are A's
as "$A" fwsctl image-list | grep -q "^mine .* $A\$" || fail "A's list lacks mine"
as "$B" fwsctl image-list | grep -q mine && fail "B sees A's image"
expect_rc 1 as "$B" fwsctl create x --base mine --kernel "$KERNEL"
expect_err 'no image named "mine"'
as "$A" fwsctl create fromimg --base mine --kernel "$KERNEL" >/dev/null ||
    fail "create from an imported image"
expect_rc 1 as "$A" fwsctl image-delete mine
expect_err "image mine is used by VM fromimg"
as "$A" fwsctl image-delete appliance >/dev/null || fail "image-delete"
[ ! -e "$area/appliance.qcow2" ] || fail "image-delete left the file"
note "image-import with the user's rights; raw, ova; private to A"
