#!/bin/sh
# t-media.sh: a disc goes in and out of a VM's CD drive, as the guest
# sees it (what /dev/sr0 reads, and its size).  A VM made without an ISO
# has an empty drive; on a running VM "media --iso" and "media --eject"
# are live (the disc goes to qemu as a read-only descriptor, never a
# path; the old one is let go), and the disc stays in across a reboot of
# the guest, a stop and start, and a restart of fwsd (whose successor
# changes the disc of the qemu it adopted, and finds a change the last
# fwsd's end cut short: the store and the drive apart).  On a stopped
# VM the change is recorded, and the next start boots from a disc put
# in once.  Bad
# requests fail with a clear error and change nothing: no such ISO, a
# path outside, another user's VM, a VM's disk as an ISO, an eject with
# no disc, neither or both of --iso and --eject.  The ISOs stay root's
# and unchanged.
. "$(dirname "$0")/lib.sh"

make_user a; A=$MADE_USER
make_user b; B=$MADE_USER
# the test guest reads a CD on the pc machine's IDE (it has no AHCI)
write_config "machine = pc
quota_vms = 10"
L=$T/images
for d in A B; do
	head -c 1M /dev/zero > "$L/disc-$d.iso"
	printf 'FWS-DISC-%s' "$d" | dd of="$L/disc-$d.iso" conv=notrunc status=none
done
truncate -s 2M "$L/disc-B.iso"
chmod 0644 "$L"/*.iso
start_fwsd

library() {
	for f in "$L/disc-A.iso" "$L/disc-B.iso"; do
		echo "$(stat -c '%n %u %g %a %s' "$f") $(sha256sum < "$f")"
	done
}
before=$(library)

info() {
	as "$A" fwsctl info "$1" --json | python3 -c \
	    "import json,sys; v=json.load(sys.stdin)['$2']; print('' if v is None else v)"
}

# cd_is NAME WANT: the guest reads WANT from its CD drive: the disc's
# first 10 bytes, '/', the bytes it holds ("/0": no disc; an empty
# drive's /sys/block/sr0/size is not 0).  The first read after a change
# may meet the drive's "medium changed": asked again.
probe=0
cd_is() {
	log=$(user_console "$A" "$1")
	tries=0
	while [ "$tries" -lt 8 ]; do
		probe=$((probe + 1))
		guest_type "$1" "echo \"CD$probe=\$(dd if=/dev/sr0 bs=2048 count=1 2>/dev/null | head -c 10)/\$(cat /dev/sr0 2>/dev/null | wc -c)\""
		# the typed line shows "CDn=$(": wait for the answer
		wait_until 15 grep -q "CD$probe=[^\$]" "$log" ||
		    fail "$1: no answer from the guest"
		grep -q "CD$probe=$2" "$log" && return 0
		tries=$((tries + 1))
		sleep 1
	done
	fail "$1 reads '$(grep -a "CD$probe=[^\$]" "$log" | tail -1 | tr -d '\r')' from its CD drive, not '$2'"
}

ready_count() {
	grep -c FWS-GUEST-READY "$(user_console "$A" "$1")" 2>/dev/null || echo 0
}

# boots NAME N: the guest is up for the Nth time
boots() {
	wait_until "$BOOT_TIMEOUT" sh -c "[ \$(grep -c FWS-GUEST-READY '$(user_console "$A" "$1")') -ge $2 ]" ||
	    fail "$1 did not boot (time $2)"
}

qemu_pid() {
	info "$1" pid
}

# holds NAME FILE: NAME's qemu holds FILE, read-only, never by its path
holds() {
	pid=$(qemu_pid "$1")
	tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -e disc-A -e disc-B &&
	    fail "qemu was given a disc's path"
	for fd in /proc/"$pid"/fd/*; do
		[ "$(readlink "$fd")" = "$2" ] || continue
		flags=$(awk '/^flags:/ { print $2 }' "/proc/$pid/fdinfo/${fd##*/}")
		[ $((0$flags & 3)) = 0 ] || fail "qemu holds $2 open for writing"
		return 0
	done
	return 1
}

as "$A" fwsctl create m1 --memory 128 --kernel vmlinuz --initrd initrd.img \
    --append "$GUEST_APPEND" >/dev/null || fail "create m1: $(cat "$T/err")"
as "$A" fwsctl start m1 >/dev/null || fail "start m1"
boots m1 1
cd_is m1 /0
expect_rc 1 as "$A" fwsctl media m1 --eject
expect_err "there is no disc in m1's CD drive"
note "a VM without an ISO has an empty CD drive"

# --- live: in, swapped, out
out=$(as "$A" fwsctl media m1 --iso disc-A) || fail "media --iso disc-A: $(cat "$T/err")"
[ "$out" = "m1: $L/disc-A.iso is in the CD drive" ] || fail "media said: $out"
cd_is m1 FWS-DISC-A/1048576
holds m1 "$L/disc-A.iso" || fail "qemu does not hold disc-A.iso"
as "$A" fwsctl media m1 --iso "$L/disc-B.iso" >/dev/null ||
    fail "media --iso PATH: $(cat "$T/err")"
cd_is m1 FWS-DISC-B/2097152
holds m1 "$L/disc-B.iso" || fail "qemu does not hold disc-B.iso"
holds m1 "$L/disc-A.iso" && fail "qemu still holds disc-A.iso, taken out"
[ "$(info m1 iso)" = "$L/disc-B.iso" ] || fail "info iso: $(info m1 iso)"
note "a disc put in and swapped while the guest runs"

# the disc stays in over a reboot of the guest
as "$A" fwsctl reboot m1 >/dev/null || fail "reboot"
boots m1 2
cd_is m1 FWS-DISC-B/2097152
out=$(as "$A" fwsctl media m1 --eject) || fail "eject: $(cat "$T/err")"
[ "$out" = "m1: the CD drive is empty" ] || fail "eject said: $out"
cd_is m1 /0
[ -z "$(info m1 iso)" ] || fail "info iso after eject: $(info m1 iso)"
holds m1 "$L/disc-B.iso" && fail "qemu still holds disc-B.iso, ejected"
note "the disc stays in over a reboot; ejected live"

# and over a stop and start: the drive holds what it held, the disk (or
# here the kernel) boots
as "$A" fwsctl media m1 --iso disc-A >/dev/null || fail "media --iso disc-A"
as "$A" fwsctl stop m1 --timeout 20 >/dev/null || fail "stop"
[ "$(info m1 iso)" = "$L/disc-A.iso" ] || fail "stopped: info iso $(info m1 iso)"
as "$A" fwsctl start m1 >/dev/null || fail "start again"
tr '\0' ' ' < "/proc/$(qemu_pid m1)/cmdline" | grep -q -- '-boot once' &&
    fail "a disc put in a running VM is booted from at the next start"
boots m1 3
cd_is m1 FWS-DISC-A/1048576
note "the disc stays in over a stop and a start"

# fwsd restarts: the next one changes the disc of the qemu it adopted
restart_fwsd
wait_until 10 sh -c "[ \"\$(as '$A' fwsctl info m1 --json 2>/dev/null | grep -c running)\" -ge 1 ]"
as "$A" fwsctl media m1 --iso disc-B >/dev/null ||
    fail "media after an fwsd restart: $(cat "$T/err")"
cd_is m1 FWS-DISC-B/2097152
note "a disc changed in a qemu adopted by a new fwsd"

# --- stopped: recorded; the next start boots from a disc put in once
as "$A" fwsctl stop m1 --timeout 20 >/dev/null || fail "stop"
out=$(as "$A" fwsctl media m1 --eject) || fail "eject stopped: $(cat "$T/err")"
[ "$out" = "m1: the CD drive is empty" ] || fail "eject said: $out"
[ -z "$(info m1 iso)" ] || fail "stopped eject not recorded"
out=$(as "$A" fwsctl media m1 --iso disc-A) || fail "media stopped: $(cat "$T/err")"
[ "$out" = "m1: $L/disc-A.iso is in the CD drive; the next start boots from it once" ] ||
    fail "media said: $out"
as "$A" fwsctl media m1 --iso disc-B --json > "$T/out" || fail "media --json"
python3 - "$T/out" "$L/disc-B.iso" <<'EOP' || fail "media --json: $(cat "$T/out")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["iso"] == sys.argv[2] and r["live"] is False and r["boot_once"] is True, r
assert r["name"] == "m1" and r["state"] == "stopped", r
EOP
stop_fwsd
start_fwsd
[ "$(info m1 iso)" = "$L/disc-B.iso" ] || fail "not kept over an fwsd restart"
as "$A" fwsctl start m1 >/dev/null || fail "start with disc-B"
tr '\0' ' ' < "/proc/$(qemu_pid m1)/cmdline" | grep -q -- '-boot once=d' ||
    fail "the next start does not boot from the disc put in"
boots m1 4
cd_is m1 FWS-DISC-B/2097152
# the disc qemu was started with goes as one put in later does
as "$A" fwsctl media m1 --iso disc-A >/dev/null || fail "swap the start's disc"
cd_is m1 FWS-DISC-A/1048576
holds m1 "$L/disc-B.iso" && fail "qemu still holds disc-B.iso, its start's disc"
expect_events m1 media media media
grep -q "letting go of a disc" "$T/fwsd.log" &&
    fail "a disc taken out was not let go: $(grep "letting go" "$T/fwsd.log")"
note "a stopped VM's drive changed, kept, booted from once"

# --- bad requests: a clear error, nothing changed
as "$A" fwsctl create d1 --disk 16M --kernel vmlinuz >/dev/null ||
    fail "create d1"
disk=$T/state/users/$(uid_of "$A")/vms/d1/disk0.qcow2
expect_rc 1 as "$A" fwsctl media m1 --iso nosuch
expect_err 'no ISO named "nosuch" in the image library'
for p in /etc/passwd /etc/no-such-file "$L/../../../etc/shadow" \
    "$T/state/fws.db"; do
	expect_rc 1 as "$A" fwsctl media m1 --iso "$p"
	expect_err "outside the allowed image directories"
done
expect_rc 1 as "$A" fwsctl media m1 --iso "$disk"
expect_err "must be an image (fwsctl image-list), not a VM's disk"
expect_rc 1 fwsctl --owner "$A" media m1 --iso "$disk"
expect_err "is a disk of VM d1, not an ISO"
mkdir "$L/shelf"
expect_rc 1 as "$A" fwsctl media m1 --iso "$L/shelf"
expect_err "not a regular file"
expect_rc 1 as "$B" fwsctl media m1 --iso disc-A
expect_err 'no VM named "m1"'
expect_rc 1 as "$B" fwsctl media m1 --eject
expect_err 'no VM named "m1"'
expect_rc 1 as "$A" fwsctl media d1 --eject
expect_err "there is no disc in d1's CD drive"
expect_rc 2 as "$A" fwsctl media m1
expect_rc 2 as "$A" fwsctl media m1 --iso disc-A --eject
for args in '{"name":"m1"}' '{"name":"m1","iso":"disc-A","eject":true}' \
    '{"name":"m1","iso":5}' '{"name":"m1","eject":"yes"}' \
    '{"name":"m1","iso":"disc-A","path":"/x"}'; do
	r=$(raw "{\"id\":1,\"cmd\":\"media\",\"args\":$args}")
	echo "$r" | grep -q '"code": *"invalid_argument"' ||
	    fail "media $args: $r"
done
as "$A" fwsctl version >/dev/null || fail "fwsd stopped serving"
[ "$(info m1 iso)" = "$L/disc-A.iso" ] || fail "a bad request changed m1's disc"
cd_is m1 FWS-DISC-A/1048576
[ -z "$(info d1 iso)" ] || fail "a bad request gave d1 a disc"
note "bad requests refused, nothing changed"

# over and over, and many at once: each is done or "busy", qemu keeps
# no more descriptors than it had, and the definition says what the
# guest reads
pid=$(qemu_pid m1)
nfd=$(ls "/proc/$pid/fd" | wc -l)
for i in 1 2 3 4 5 6 7 8 9 10; do
	d=A; [ $((i % 2)) = 1 ] && d=B
	as "$A" fwsctl media m1 --iso "disc-$d" >/dev/null ||
	    fail "swap $i: $(cat "$T/err")"
done
[ "$(ls "/proc/$pid/fd" | wc -l)" = "$nfd" ] ||
    fail "qemu's descriptors grew from $nfd to $(ls "/proc/$pid/fd" | wc -l)"
many=
for i in 1 2 3 4 5 6; do
	d=A; [ $((i % 2)) = 1 ] && d=B
	as "$A" fwsctl media m1 --iso "disc-$d" >"$T/many.$i" 2>&1 &
	many="$many $!"
done
# not a bare wait: fwsd is a child of this shell too
for p in $many; do
	wait "$p"
done
for i in 1 2 3 4 5 6; do
	grep -q -e "is in the CD drive" -e "change of its CD drive is under way" \
	    "$T/many.$i" || fail "at once $i: $(cat "$T/many.$i")"
done
d=$(basename "$(info m1 iso)" .iso)
case $d in
disc-A) cd_is m1 FWS-DISC-A/1048576 ;;
disc-B) cd_is m1 FWS-DISC-B/2097152 ;;
*) fail "m1's iso after the rush: $(info m1 iso)" ;;
esac
[ "$(ls "/proc/$pid/fd" | wc -l)" = "$nfd" ] ||
    fail "qemu's descriptors grew from $nfd to $(ls "/proc/$pid/fd" | wc -l)"
note "changes over and over, and at once"

# a change cut short by the end of fwsd: the store and the drive apart,
# found by the next fwsd (the store is made to say what a change cut
# after its QMP steps and before its write would leave)
DB=$T/state/fws.db
set_iso() {	# set_iso PATH: the store's disc of m1 ("": none)
	python3 - "$DB" "$1" <<'EOP' || fail "cannot edit the store"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE vms SET iso = ? WHERE name = 'm1'",
          (sys.argv[2] or None,))
c.commit()
EOP
}
reason_has() {
	as "$A" fwsctl events m1 --json | grep -q "$1"
}
stop_fwsd
set_iso ""
start_fwsd
wait_until 10 reason_has "holds a disc fwsd has no record of" ||
    fail "the unrecorded disc is not said: $(as "$A" fwsctl events m1)"
[ -z "$(info m1 iso)" ] || fail "info iso: $(info m1 iso)"
as "$A" fwsctl media m1 --eject >/dev/null 2>"$T/err" ||
    fail "eject the unrecorded disc: $(cat "$T/err")"
cd_is m1 /0
stop_fwsd
set_iso "$L/disc-A.iso"
start_fwsd
wait_until 10 reason_has "the CD drive is empty, not holding" ||
    fail "the empty drive is not said: $(as "$A" fwsctl events m1)"
[ -z "$(info m1 iso)" ] || fail "the store still gives a disc: $(info m1 iso)"
note "a change cut short by fwsd's end: found, said, and put right"

as "$A" fwsctl destroy m1 >/dev/null
[ "$(library)" = "$before" ] || fail "the ISOs changed: $(library)"
note "the ISOs stay root's and unchanged"
