# t-clone.sh: clone makes a new VM of a stopped VM's disks.  A full
# clone is a copy: it boots with the marks written to the source's disks
# (an overlay on a library image, and a disk of its own), its own uuid
# and MACs, no snapshots, and what it writes stays its own; on a
# terminal the copy's progress shows.  A linked clone: the source's
# disks become the owner's images under an overlay of each VM; both
# boot with the same marks and neither sees what the other writes; the
# images cannot be deleted while used; a disk with snapshots is
# refused.  Refused with nothing changed: a running source, a taken or
# bad name, another user's VM, over the quota (VMs, disk); a qemu-img
# failing half-way leaves no VM and no file behind.
. "$(dirname "$0")/lib.sh"
command -v script >/dev/null || fail "script(1) is missing (util-linux)"
make_user a; A=$MADE_USER
use_netns
start_fwsd
fwsctl net-create lan --bridge fwsbr0 --address 10.97.0.1/24 >/dev/null ||
    fail "net-create lan"
# a library image with a mark of its own, disk 0 an overlay on it
printf BASE-MARK > "$T/images/base.raw"
truncate -s 32M "$T/images/base.raw"
create_guest src --base base --disk 16M --net lan --net lan
fwsctl start src >/dev/null || fail "start src"
wait_console src FWS-GUEST-READY

# mark NAME DISK OFFSET TEXT: TEXT written by the guest at OFFSET of DISK
mark() {
	guest_type "$1" "printf $4 | dd of=/dev/$2 bs=512 seek=$3 conv=fsync 2>/dev/null; echo MARKED-$4"
	wait_console "$1" "^MARKED-$4" 60
}
# seen NAME DISK OFFSET: the guest's 9 bytes at sector OFFSET of DISK
seen() {
	guest_answer "$1" SEEN "\$(dd if=/dev/$2 bs=512 skip=$3 count=1 2>/dev/null | head -c 9)"
}
# host_seen PATH FORMAT OFFSET: the same, read on the host from a disk
host_seen() {
	rm -f "$T/host.raw"
	qemu-img convert -U -f "$2" -O raw "$1" "$T/host.raw" ||
	    fail "cannot read $1"
	dd if="$T/host.raw" bs=512 skip="$3" count=1 2>/dev/null | head -c 9
}
mac_of() {
	guest_answer "$1" MAC '$(cat /sys/class/net/eth0/address)'
}
disk_path() {
	fwsctl info "$1" --json | python3 -c \
	    "import json,sys; print(json.load(sys.stdin)['disks'][$2]['path'])"
}

mark src vdb 0 SRC-MARK1
mark src vda 8 SRC-VDA-1
srcmac=$(mac_of src)
[ "$srcmac" = "$(field src mac)" ] || fail "src's MAC: $srcmac"

expect_rc 1 fwsctl clone src c0
expect_err "src is running: stop it before cloning it"
[ ! -e "$T/state/vms/c0" ] || fail "a refused clone left a directory"
fwsctl destroy src >/dev/null || fail "destroy src"
fwsctl snapshot-create src s1 >/dev/null || fail "snapshot src"
SRC0=$(disk_path src 0)
SRC1=$(disk_path src 1)
sum_src() {
	cat "$SRC0" "$SRC1" | md5sum
}
sums=$(sum_src)

# --- a full clone, on a terminal: its progress shows
script -qec "$FWSCTL_BIN --socket $SOCK clone src c1" "$T/typescript" \
    >/dev/null 2>&1 || fail "clone on a terminal: $(cat -v "$T/typescript")"
grep -Eq "waiting for fwsd to clone: [0-9]+% \(copying\)" "$T/typescript" ||
    fail "no progress shown: $(cat -v "$T/typescript")"
grep -q "c1: a full clone of src" "$T/typescript" ||
    fail "clone said: $(cat -v "$T/typescript")"
[ "$(sum_src)" = "$sums" ] || fail "the full clone changed src's disks"
[ "$(field c1 uuid)" != "$(field src uuid)" ] || fail "the same uuid"
[ "$(field c1 autostart)" = False ] || fail "autostart copied"
fwsctl info c1 --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
s = json.loads(sys.argv[1])
macs = [n["mac"] for n in v["nics"]]
ok = v["vcpus"] == s["vcpus"] and v["memory_mib"] == s["memory_mib"] and \
    [n["network"] for n in v["nics"]] == ["lan", "lan"] and \
    len(set(macs + [n["mac"] for n in s["nics"]])) == 4 and \
    v["mac"] == macs[0] and v["kernel"] == s["kernel"] and \
    v["append"] == s["append"] and v["restart"] == s["restart"] and \
    all(d["path"].startswith(sys.argv[2]) for d in v["disks"])
sys.exit(0 if ok else 1)' "$(fwsctl info src --json)" "$T/state/vms/c1/" ||
    fail "c1's definition: $(fwsctl info c1 --json)"
fwsctl snapshot-list c1 --json | grep -q '"tag"' &&
    fail "snapshots copied: $(fwsctl snapshot-list c1 --json)"
fwsctl snapshot-list src --json | grep -q '"s1"' || fail "src lost s1"
qemu-img info -U "$(disk_path c1 0)" | grep -q "backing file: $T/images/base.raw" ||
    fail "c1's disk 0 is not on the base: $(qemu-img info -U "$(disk_path c1 0)")"
expect_events c1 created
expect_events src cloned
fwsctl start c1 >/dev/null || fail "start c1"
wait_console c1 FWS-GUEST-READY
[ "$(seen c1 vdb 0)" = SRC-MARK1 ] || fail "c1's vdb: $(seen c1 vdb 0)"
[ "$(seen c1 vda 8)" = SRC-VDA-1 ] || fail "c1's vda: $(seen c1 vda 8)"
[ "$(seen c1 vda 0)" = BASE-MARK ] || fail "c1's base: $(seen c1 vda 0)"
c1mac=$(mac_of c1)
[ "$c1mac" = "$(field c1 mac)" ] && [ "$c1mac" != "$srcmac" ] ||
    fail "c1's MAC: $c1mac (src's $srcmac)"
mark c1 vdb 0 C1-MARK-2
fwsctl destroy c1 >/dev/null || fail "destroy c1"
[ "$(host_seen "$SRC1" qcow2 0)" = SRC-MARK1 ] || fail "c1's write reached src"
[ "$(sum_src)" = "$sums" ] || fail "c1 changed src's disks"
note "a full clone: src's marks, its own uuid and MACs, no snapshots, its writes its own"

# --- linked: refused while a disk holds snapshots
expect_rc 1 fwsctl clone src l1 --linked
expect_err "disk 0 holds 1 snapshot"
[ "$(sum_src)" = "$sums" ] || fail "a refused linked clone changed src"
fwsctl snapshot-delete src s1 >/dev/null || fail "snapshot-delete"
fwsctl clone src l1 --linked >"$T/out" || fail "linked clone: $(cat "$T/out")"
grep -q "l1: a linked clone of src" "$T/out" || fail "it said $(cat "$T/out")"
IMG=$T/state/users/0/images
[ -f "$IMG/src.disk0.1.qcow2" ] && [ -f "$IMG/src.disk1.1.qcow2" ] ||
    fail "no images: $(ls -la "$IMG")"
[ "$(stat -c %u:%a "$IMG/src.disk1.1.qcow2")" = 0:600 ] ||
    fail "the image is not root's alone: $(stat -c %u:%a "$IMG/src.disk1.1.qcow2")"
[ "$(disk_path src 1)" = "$SRC1" ] || fail "src's disk moved"
qemu-img info -U "$SRC1" | grep -q "backing file: $IMG/src.disk1.1.qcow2" ||
    fail "src's disk 1 is no overlay: $(qemu-img info -U "$SRC1")"
qemu-img info -U "$(disk_path l1 1)" | grep -q "backing file: $IMG/src.disk1.1.qcow2" ||
    fail "l1's disk 1 is no overlay: $(qemu-img info -U "$(disk_path l1 1)")"
fwsctl image-list --json | grep -q '"src.disk1.1"' || fail "image-list lacks it"
expect_rc 1 fwsctl image-delete src.disk1.1
expect_err "is used by VM"
ls "$(dirname "$SRC1")" | grep -q '\.clone$' && fail "a temporary overlay left"
fwsctl start l1 >/dev/null || fail "start l1"
wait_console l1 FWS-GUEST-READY
[ "$(seen l1 vdb 0)" = SRC-MARK1 ] || fail "l1's vdb: $(seen l1 vdb 0)"
[ "$(seen l1 vda 8)" = SRC-VDA-1 ] || fail "l1's vda: $(seen l1 vda 8)"
[ "$(seen l1 vda 0)" = BASE-MARK ] || fail "l1's base: $(seen l1 vda 0)"
[ "$(mac_of l1)" != "$srcmac" ] || fail "l1 has src's MAC"
mark l1 vdb 0 L1-MARK-3
fwsctl destroy l1 >/dev/null || fail "destroy l1"
: > "$(console_log src)"
fwsctl start src >/dev/null || fail "src does not start after a linked clone"
wait_console src FWS-GUEST-READY
[ "$(seen src vdb 0)" = SRC-MARK1 ] || fail "l1's write reached src: $(seen src vdb 0)"
mark src vdb 0 SRC-MARK4
fwsctl destroy src >/dev/null || fail "destroy src"
[ "$(host_seen "$(disk_path l1 1)" qcow2 0)" = L1-MARK-3 ] ||
    fail "src's write reached l1"
note "a linked clone: overlays on the images src's disks became; neither sees the other"

# --- refused, nothing changed
save_definitions
sums=$(sum_src)
expect_rc 1 fwsctl clone src c1
expect_err "a VM named c1 already exists"
expect_rc 2 fwsctl clone src ../x
expect_err "invalid VM name"
for bad in '' ',"new_name":""' ',"new_name":"a/b"' ',"new_name":7' \
    ',"new_name":"x","linked":"yes"'; do
	raw "{\"id\":1,\"cmd\":\"clone\",\"args\":{\"name\":\"src\"$bad}}" |
	    grep -q '"invalid_argument"' || fail "fwsd took clone with '$bad'"
done
expect_rc 1 as "$A" fwsctl clone src stolen
expect_err "no VM named \"src\""
same_definitions "after bad clones"
[ "$(sum_src)" = "$sums" ] || fail "a refused clone changed src"
note "a taken name, bad names, another user's VM refused"

# a user's quota: VMs, then disk
UA=$(uid_of "$A")
as "$A" fwsctl create u1 --memory 128 --kernel "$KERNEL" --disk 16M \
    >/dev/null || fail "create u1"
fwsctl quota-set "$A" --vms 1 >/dev/null || fail "quota-set --vms"
expect_rc 1 as "$A" fwsctl clone u1 u2
expect_err "quota exceeded: VMs per user"
fwsctl quota-set "$A" --vms default --disk 20M >/dev/null ||
    fail "quota-set --disk"
expect_rc 1 as "$A" fwsctl clone u1 u2
expect_err "quota exceeded: disk in all"
expect_rc 1 as "$A" fwsctl clone u1 u2 --linked
expect_err "quota exceeded: disk in all"
fwsctl quota-set "$A" --disk default >/dev/null || fail "quota-set default"
[ ! -e "$T/state/users/$UA/vms/u2" ] || fail "a refused clone left u2's directory"
ls "$T/state/users/$UA/images" | grep -q . && fail "a refused clone left images"
as "$A" fwsctl clone u1 u2 --linked >/dev/null || fail "the user's linked clone"
[ "$(as "$A" fwsctl info u2 --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["owner"])')" = "$UA" ] ||
    fail "u2 is not the user's"
note "over the quota refused; a user's clone is theirs"

# --- qemu-img failing half-way: no VM, no file left
mkdir -p -m 1777 "$T/marks"
cat > "$T/fail-qemu-img" <<EOS
#!/bin/sh
# the second convert (or overlay) fails, after writing some of it
case "\$1" in convert|create)
	if [ -e "$T/marks/one-done" ]; then
		/usr/bin/qemu-img "\$@" >/dev/null 2>&1
		echo "qemu-img: injected failure" >&2
		exit 1
	fi
	touch "$T/marks/one-done";;
esac
exec /usr/bin/qemu-img "\$@"
EOS
chmod +x "$T/fail-qemu-img"
write_config "qemu_img = $T/fail-qemu-img"
restart_fwsd
save_definitions
sums=$(sum_src)
find "$T/state/vms" "$T/state/users" -type f | sort >"$T/before"
expect_rc 1 fwsctl clone src c2
expect_err "c2: disk 1: qemu-img failed: qemu-img: injected failure"
expect_rc 1 fwsctl info c2
rm -f "$T/marks/one-done"
expect_rc 1 fwsctl clone src l2 --linked
expect_err "l2: disk 0: qemu-img failed: qemu-img: injected failure"
same_definitions "after failed clones"
[ "$(sum_src)" = "$sums" ] || fail "a failed clone changed src's disks"
find "$T/state/vms" "$T/state/users" -type f | sort >"$T/after"
cmp -s "$T/before" "$T/after" ||
    fail "files left: $(diff "$T/before" "$T/after")"
[ ! -e "$T/state/vms/c2" ] && [ ! -e "$T/state/vms/l2" ] ||
    fail "a failed clone left a directory"
fwsctl start src >/dev/null || fail "src after failed clones"
note "qemu-img failing half-way: nothing left, src unchanged"
