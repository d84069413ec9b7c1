#!/bin/sh
# t-image-box.sh: image-import of Vagrant boxes.  A libvirt box (gzipped
# tar: metadata.json, Vagrantfile, box.img in qcow2), a virtualbox box
# (plain tar: .ovf and .vmdk), an xz-compressed one with pax headers,
# each imported with the user's rights and its data come through; a box
# whose qcow2 points at /etc/shadow gets nothing of it; a box with no
# disk, a corrupt gzip, a cut-short tar, a format metadata.json may not
# name and a box the user may not read are refused with a clear error,
# and fwsctl's unpacked copy is gone after each, good or bad.
. "$(dirname "$0")/lib.sh"

make_user a; A=$MADE_USER
start_fwsd

H=$T/home-a
mkdir -p "$H/lv" "$H/vb" "$H/empty" "$H/bad" "$H/evil" "$H/tmp"
printf 'FWS-BOX-MARK' > "$H/src.raw"
truncate -s 16M "$H/src.raw"
# the libvirt provider's box, members named "./..." as vagrant's are
qemu-img convert -q -f raw -O qcow2 "$H/src.raw" "$H/lv/box.img"
echo '{"provider": "libvirt", "format": "qcow2", "virtual_size": 1}' \
    > "$H/lv/metadata.json"
echo 'Vagrant.configure("2") do |c| end' > "$H/lv/Vagrantfile"
(cd "$H/lv" && tar -czf ../libvirt.box ./metadata.json ./Vagrantfile \
    ./box.img)
(cd "$H/lv" && tar --format=posix -cJf ../libvirt-pax.box metadata.json \
    box.img)
# the virtualbox provider's, not compressed
qemu-img convert -q -f raw -O vmdk -o subformat=streamOptimized \
    "$H/src.raw" "$H/vb/box-disk001.vmdk"
echo '<Envelope/>' > "$H/vb/box.ovf"
echo '{"provider": "virtualbox"}' > "$H/vb/metadata.json"
(cd "$H/vb" && tar -cf ../virtualbox.box metadata.json box.ovf \
    box-disk001.vmdk)
# the bad ones
echo '{"provider": "virtualbox"}' > "$H/empty/metadata.json"
(cd "$H/empty" && tar -czf ../nodisk.box metadata.json)
head -c $(($(stat -c %s "$H/libvirt.box") / 2)) "$H/libvirt.box" > "$H/corrupt.box"
tar -cf "$H/whole.tar" -C "$H/vb" metadata.json box-disk001.vmdk
head -c 20000 "$H/whole.tar" > "$H/short.box"
cp "$H/lv/box.img" "$H/bad/box.img"
echo '{"provider": "libvirt", "format": "vdi"}' > "$H/bad/metadata.json"
(cd "$H/bad" && tar -czf ../vdi.box metadata.json box.img)
qemu-img create -q -f qcow2 -u -b /etc/shadow -F raw "$H/evil/box.img" 16M
(cd "$H/evil" && tar -czf ../evil.box box.img)
echo 'not a tar at all' > "$H/plain.box"
yes 'not a tar either' | head -c 4096 > "$H/text.box"
chown -R "$A" "$H"
chmod 0700 "$H"
cp "$H/libvirt.box" "$T/roots.box"
chmod 0600 "$T/roots.box"

# fwsctl's unpacked copies go in the user's TMPDIR; none stays
export TMPDIR="$H/tmp"
tmp_empty() {
	[ -z "$(ls -A "$H/tmp")" ] || fail "left in TMPDIR: $(ls -A "$H/tmp")"
}

area=$T/state/users/$(uid_of "$A")/images
for b in libvirt libvirt-pax virtualbox; do
	as "$A" fwsctl image-import "$b" "$H/$b.box" >/dev/null ||
	    fail "import $b.box: $(cat "$T/err" 2>/dev/null)"
	tmp_empty
	qemu-img convert -q -f qcow2 -O raw "$area/$b.qcow2" "$T/back.raw"
	[ "$(head -c 12 "$T/back.raw")" = FWS-BOX-MARK ] ||
	    fail "$b: the data did not come through"
	[ "$(stat -c %s "$T/back.raw")" = $((16 << 20)) ] ||
	    fail "$b: the size did not come through"
done
note "libvirt (gzip, xz with pax headers) and virtualbox boxes import"

expect_rc 1 as "$A" fwsctl image-import x "$H/nodisk.box"
expect_err 'no disk inside (provider "virtualbox")'
tmp_empty
expect_rc 1 as "$A" fwsctl image-import x "$H/corrupt.box"
expect_err "gzip could not unpack it"
tmp_empty
expect_rc 1 as "$A" fwsctl image-import x "$H/short.box"
expect_err "runs past the end of the file"
expect_rc 1 as "$A" fwsctl image-import x "$H/vdi.box"
expect_err 'format "vdi": not qcow2 or raw'
tmp_empty
expect_rc 1 as "$A" fwsctl image-import x "$H/plain.box"
expect_err "not a Vagrant box (an empty or unreadable tar archive)"
expect_rc 1 as "$A" fwsctl image-import x "$H/text.box"
expect_err "not a Vagrant box (a tar archive)"
expect_rc 1 as "$A" fwsctl image-import x "$T/roots.box"
expect_err "Permission denied"
# a qcow2 inside a box reaches no more than the user may read
expect_rc 1 as "$A" fwsctl image-import x "$H/evil.box"
expect_err "qemu-img could not read it"
tmp_empty
[ "$(ls -A "$area" | sort | tr '\n' ' ')" = \
    "libvirt-pax.qcow2 libvirt.qcow2 virtualbox.qcow2 " ] ||
    fail "left in the image area: $(ls -A "$area")"
# an interrupted unpacking leaves nothing either
head -c 64M /dev/urandom > "$H/big.raw"
(cd "$H" && tar -czf big.box big.raw)
chown "$A" "$H/big.box"
runuser -u "$A" -- "$FWSCTL_BIN" --socket "$SOCK" image-import big \
    "$H/big.box" >/dev/null 2>&1 &
pid=$!
wait_until 20 sh -c "ls -A '$H/tmp' | grep -q ." ||
    fail "no unpacked copy appeared"
kill -TERM "$pid" 2>/dev/null
wait "$pid" || :
tmp_empty
as "$A" fwsctl version >/dev/null || fail "fwsd stopped serving"
note "a box without a disk, corrupt, cut short, of a bad format or not ours: refused; nothing left"
