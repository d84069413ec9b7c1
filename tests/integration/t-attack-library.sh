#!/bin/sh
# t-attack-library.sh: users cannot write the image library, nor take its
# files.  A library image given as a disk is read-only to the guest: it
# is never handed to qemu's uid, qemu gets a descriptor fwsd opened
# read-only (not the path), the guest's writes fail, and the file keeps
# its owner, mode and bytes, as do the ISO, kernel and initrd.  A
# definition from before read-only disks is read-only after a restart.
. "$(dirname "$0")/lib.sh"

make_user a; A=$MADE_USER
write_config "quota_vms = 10"
L=$T/images
truncate -s 8M "$L/data.raw"
printf 'FWS-LIBRARY-DATA' | dd of="$L/data.raw" conv=notrunc status=none
head -c 1M /dev/zero > "$L/tiny.iso"
chmod 0644 "$L"/*
start_fwsd

library() {
	for f in "$L/data.raw" "$L/tiny.iso" "$KERNEL" "$INITRD"; do
		echo "$(stat -c '%n %u %g %a' "$f") $(sha256sum < "$f")"
	done
}
readonly_disk() {
	as "$A" fwsctl info lib --json | python3 -c \
	    'import json,sys; print(json.load(sys.stdin)["disks"][0]["readonly"])'
}
before=$(library)

as "$A" fwsctl create lib --memory 128 --disk "$L/data.raw" --iso tiny \
    --kernel "$KERNEL" --initrd "$INITRD" --append "$GUEST_APPEND" \
    >/dev/null || fail "create with a library disk: $(cat "$T/err")"
[ "$(readonly_disk)" = True ] || fail "a library disk is not read-only"
expect_rc 1 as "$A" fwsctl snapshot-create lib s1
expect_err "disk 0 is a read-only image"

as "$A" fwsctl start lib >/dev/null || fail "start lib"
wait_until "$BOOT_TIMEOUT" grep -q FWS-GUEST-READY "$(user_console "$A" lib)" ||
    fail "lib did not boot"
pid=$(as "$A" fwsctl info lib --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["pid"])')
# qemu got descriptors, opened read-only, not the library's paths
tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -e data.raw -e tiny.iso &&
    fail "qemu was given a library path"
for fd in /proc/"$pid"/fd/*; do
	case $(readlink "$fd") in
	"$L/data.raw"|"$L/tiny.iso")
		flags=$(awk '/^flags:/ { print $2 }' "/proc/$pid/fdinfo/${fd##*/}")
		[ $((0$flags & 3)) = 0 ] ||
		    fail "qemu holds $(readlink "$fd") open for writing ($flags)";;
	esac
done
# the guest sees a read-only disk, and its writes go nowhere
guest_type lib 'echo ro=$(cat /sys/block/vda/ro); echo FWS-OVERWRITE | dd of=/dev/vda conv=notrunc 2>/dev/null; sync; echo FWS-TRIED'
wait_until 30 grep -q FWS-TRIED "$(user_console "$A" lib)" || fail "guest did not try"
grep -q "ro=1" "$(user_console "$A" lib)" || fail "the guest's disk is writable"
as "$A" fwsctl destroy lib >/dev/null
[ "$(library)" = "$before" ] || fail "the library changed: $(library)"
note "a library disk is read-only; owner, mode and bytes kept"

# a definition from before read-only disks: the library disk is still
# never handed to qemu (the store says writable; fwsd knows better)
stop_fwsd
python3 - "$T/state/fws.db" <<'EOP'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE disks SET readonly = 0")
db.commit()
EOP
start_fwsd
[ "$(readonly_disk)" = True ] || fail "an old definition's library disk is writable"
as "$A" fwsctl start lib >/dev/null || fail "start lib after restart"
as "$A" fwsctl destroy lib >/dev/null
[ "$(library)" = "$before" ] || fail "the library changed: $(library)"
note "an old definition's library disk is read-only too"
