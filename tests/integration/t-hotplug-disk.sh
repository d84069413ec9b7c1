# t-hotplug-disk.sh: disk-add and disk-remove.  A disk added to a
# running guest is seen there (/sys/block/vdb, its size), is still there
# after a stop and a start, grows live, and is gone from the guest once
# removed; a stopped VM's definition changes alone.  A disk fwsd made
# is deleted when it is removed, a file it did not make is kept.  The
# attacks: past the quota, a path outside the allowed directories or
# another VM's disk, a size of 0 or garbage, a bad format, disk 0 of a
# running VM, a disk that is not there, another user's VM, a VM in the
# wrong state, a second request while one runs; each refused with the
# definition untouched.
. "$(dirname "$0")/lib.sh"
make_user a; A=$MADE_USER
write_config "quota_disk = 200M
quota_vm_disk = 1G"
mkdir -p "$T/images" "$T/outside"
start_fwsd
create_guest h1 --disk 32M

disk_field() {
	fwsctl info "$1" --json | python3 -c \
	    "import json,sys; d=json.load(sys.stdin)['disks']; print(d[$2]['$3'] if $2 < len(d) else 'none')"
}
ndisks() {
	fwsctl info "$1" --json | python3 -c \
	    "import json,sys; print(len(json.load(sys.stdin)['disks']))"
}
# vdb NAME: /sys/block/vdb/size as the guest reads it, "none" without
vdb() {
	guest_answer "$1" VDB-SIZE '$(cat /sys/block/vdb/size 2>/dev/null || echo none)'
}
vdb_is() {
	[ "$(vdb "$1")" = "$2" ]
}

# --- live: added, seen, kept through stop and start, grown, removed
fwsctl start h1 >/dev/null || fail "start h1"
wait_console h1 FWS-GUEST-READY
vdb_is h1 none || fail "vdb before disk-add: $(vdb h1)"
fwsctl disk-add h1 48M >"$T/out" || fail "disk-add live: $(cat "$T/err")"
grep -q "^h1: disk 1 is .*/disk1.qcow2 (qcow2, 48M), in the running guest too$" \
    "$T/out" || fail "it said: $(cat "$T/out")"
wait_until 30 vdb_is h1 $((48 << 11)) || fail "the guest sees vdb: $(vdb h1)"
P1=$(disk_field h1 1 path)
[ -f "$P1" ] && [ "$(disk_field h1 1 owned)" = True ] || fail "disk 1: $P1"
expect_events h1 started disk
note "a disk added live: the guest sees /dev/vdb, 48M"

fwsctl stop h1 >/dev/null || fail "stop h1"
fwsctl start h1 >/dev/null || fail "start h1 again"
wait_until "$BOOT_TIMEOUT" booted h1 2 || fail "h1 did not boot again"
vdb_is h1 $((48 << 11)) || fail "after stop and start, vdb: $(vdb h1)"
fwsctl disk-resize h1 1 64M >/dev/null || fail "disk-resize of disk 1"
wait_until 30 vdb_is h1 $((64 << 11)) || fail "vdb grown: $(vdb h1)"
note "still there after stop and start; grown live"

expect_rc 1 fwsctl disk-remove h1 0
expect_err "boot disk (disk 0)"
fwsctl disk-remove h1 1 >"$T/out" || fail "disk-remove live: $(cat "$T/err")"
grep -q "^h1: disk 1 (.*) removed, its file deleted, from the running guest too$" \
    "$T/out" || fail "it said: $(cat "$T/out")"
vdb_is h1 none || fail "vdb after disk-remove: $(vdb h1)"
[ -e "$P1" ] && fail "the removed disk's file is still there"
[ "$(ndisks h1)" = 1 ] || fail "h1 has $(ndisks h1) disks"
fwsctl disk-add h1 16M >/dev/null || fail "disk-add again"
wait_until 30 vdb_is h1 $((16 << 11)) || fail "the new vdb: $(vdb h1)"
fwsctl disk-remove h1 1 >/dev/null || fail "disk-remove again"
vdb_is h1 none || fail "vdb after the second disk-remove: $(vdb h1)"
note "a disk removed live: gone from the guest, its file deleted"

# --- stopped: the definition alone; a file fwsd did not make is kept
fwsctl stop h1 >/dev/null || fail "stop h1"
qemu-img create -q -f raw "$T/state/vms/own.raw" 8M
fwsctl disk-add h1 "$T/state/vms/own.raw" >"$T/out" || fail "disk-add a file"
grep -q "^h1: disk 1 is $T/state/vms/own.raw (raw, 8M)$" "$T/out" ||
    fail "it said: $(cat "$T/out")"
fwsctl disk-add h1 24M >/dev/null || fail "disk-add stopped"
[ "$(ndisks h1)" = 3 ] || fail "h1 has $(ndisks h1) disks"
P2=$(disk_field h1 2 path)
[ -f "$P2" ] || fail "no new file $P2"
fwsctl disk-remove h1 1 >"$T/out" || fail "disk-remove stopped"
grep -q "its file kept$" "$T/out" || fail "it said: $(cat "$T/out")"
[ -f "$T/state/vms/own.raw" ] || fail "a file fwsd did not make was deleted"
[ "$(stat -c %u "$T/state/vms/own.raw")" = 0 ] || fail "own.raw is not root's again"
[ "$(disk_field h1 1 path)" = "$P2" ] || fail "disk 1 is not the 24M one"
fwsctl disk-remove h1 1 >/dev/null || fail "disk-remove the made one"
[ -e "$P2" ] && fail "a disk fwsd made was kept"
stop_fwsd
start_fwsd
[ "$(ndisks h1)" = 1 ] || fail "after a restart h1 has $(ndisks h1) disks"
note "a stopped VM's disks added and removed; a made file deleted, a foreign one kept"

# --- refused, nothing changed
create_guest h2 --disk 16M
save_definitions
expect_rc 1 fwsctl disk-remove h1 3
expect_err "h1 has no disk 3"
expect_rc 1 fwsctl disk-add h1 "$T/outside/../../../etc/passwd,format=raw"
expect_rc 1 fwsctl disk-add h1 "/etc/passwd,format=raw"
expect_rc 1 fwsctl disk-add h1 "$(disk_field h2 0 path),format=qcow2"
expect_err "a disk belongs to one VM"
expect_rc 1 fwsctl disk-add h1 "$(disk_field h1 0 path),format=qcow2"
expect_rc 1 fwsctl disk-add h1 "$T/state/vms/own.raw,format=vmdk"
expect_err "format must be qcow2 or raw"
expect_rc 2 fwsctl disk-add h1 0M
expect_rc 2 fwsctl disk-add h1 banana
expect_rc 2 fwsctl disk-add h1 10
expect_rc 2 fwsctl disk-remove h1 x
for bad in '"size":0' '"size":-1' '"size":"1M"' '"path":"/x"' \
    '"size":1048576,"path":"/x","format":"raw"' '"disk":0'; do
	raw "{\"id\":1,\"cmd\":\"disk-add\",\"args\":{\"name\":\"h1\",$bad}}" |
	    grep -q '"invalid_argument"' || fail "fwsd took disk-add with $bad"
done
raw '{"id":1,"cmd":"disk-remove","args":{"name":"h1","disk":-1}}' |
    grep -q '"invalid_argument"' || fail "fwsd took disk -1"
same_definitions "refusals"
fwsctl delete h2 >/dev/null || fail "delete h2"
note "no such disk, outside paths, another VM's disk, bad sizes and formats refused"

# --- a user's quota and VMs, the state, busy
as "$A" fwsctl create u1 --memory 128 --disk 64M --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null || fail "create u1"
expect_rc 1 as "$A" fwsctl disk-add u1 150M
expect_err "quota"
as "$A" fwsctl disk-add u1 32M >/dev/null || fail "within the quota"
save_definitions
expect_rc 1 as "$A" fwsctl disk-add h1 8M
expect_err "no VM named \"h1\""
expect_rc 1 as "$A" fwsctl disk-remove h1 0
expect_err "no VM named \"h1\""
same_definitions "another user's requests"
as "$A" fwsctl delete u1 >/dev/null || fail "delete u1"

# a qemu-img whose "create" takes 5 s: the disk job is seen under way
cat > "$T/slow-create" <<EOS
#!/bin/sh
[ "\$1" = create ] && sleep 5
exec /usr/bin/qemu-img "\$@"
EOS
chmod +x "$T/slow-create"
stop_fwsd
write_config "qemu_img = $T/slow-create"
start_fwsd
fwsctl start h1 >/dev/null || fail "start h1"
fwsctl disk-add h1 8M >/dev/null 2>&1 &
ADDER=$!
disk_job() {
	fwsctl info h1 --json | python3 -c \
	    "import json,sys; j=json.load(sys.stdin)['job']; sys.exit(0 if j and j['kind'] == 'disk' else 1)"
}
wait_until 10 disk_job || fail "no disk job seen"
expect_rc 1 fwsctl disk-remove h1 0
expect_err "busy"
expect_rc 1 fwsctl disk-add h1 8M
expect_err "busy"
wait "$ADDER" || fail "the slow disk-add failed"
[ "$(ndisks h1)" = 2 ] || fail "h1 has $(ndisks h1) disks after the busy one"
fwsctl destroy h1 >/dev/null
note "the quota holds, another user's VM not found, busy while one runs"
