#!/bin/sh
# t-attack-disks.sh: the attack on other users' disks, as a red-team
# review made it.  A user gives one of their VMs a raw view of a qcow2
# file, and its guest writes a qcow2 header into it that names another
# user's disk (as backing file, or as external data file), or claims a
# larger virtual size.  fwsd must never let qemu (or qemu-img) open
# the victim's disk: a file is one VM's disk only; every chain is read
# again at each start and revert; qemu gets the block graph fwsd built;
# and each VM's qemu runs as a uid of its own that cannot open another
# VM's files anyway.  The victim's bytes, owner and mode never change.
. "$(dirname "$0")/lib.sh"

make_user a; A=$MADE_USER
make_user b; B=$MADE_USER
write_config "quota_vms = 10"
start_fwsd
CRAFT="python3 $TOP/tests/integration/qcow2-craft.py"
AREA_A=$T/state/users/$(uid_of "$A")/vms

wait_user_console() {	# USER VM TEXT
	wait_until "$BOOT_TIMEOUT" grep -q -- "$3" "$(user_console "$1" "$2")" ||
	    fail "$2: '$3' never appeared on the console"
}
qemu_uid_of() {		# USER VM
	as "$1" fwsctl info "$2" --json | python3 -c \
	    'import json,sys; print(json.load(sys.stdin)["qemu_uid"])'
}
victim_is_intact() {
	[ "$(sha256sum < "$BDISK")" = "$BSUM" ] ||
	    fail "$1: the victim's disk changed"
	[ "$(stat -c '%u %a' "$BDISK")" = "$BSTAT" ] ||
	    fail "$1: the victim's disk is now $(stat -c '%U %a' "$BDISK")"
}

# --- B's VM keeps a secret on its disk
as "$B" fwsctl create victim --memory 128 --disk 32M --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null || fail "B create"
as "$B" fwsctl start victim >/dev/null || fail "B start"
wait_user_console "$B" victim FWS-GUEST-READY
guest_type victim 'echo FWS-VICTIM-SECRET | dd of=/dev/vda bs=512 seek=2048 conv=notrunc 2>/dev/null; sync; echo FWS-SECRET-WRITTEN'
wait_user_console "$B" victim FWS-SECRET-WRITTEN
BUID=$(qemu_uid_of "$B" victim)
as "$B" fwsctl destroy victim >/dev/null || fail "B destroy"
BDISK=$T/state/users/$(uid_of "$B")/vms/victim/disk0.qcow2
BSUM=$(sha256sum < "$BDISK")
BSTAT=$(stat -c '%u %a' "$BDISK")
[ "$BSTAT" = "$BUID 600" ] || fail "B's disk is $BSTAT, not its qemu's ($BUID) 0600"
note "B's disk holds a secret, its qemu uid's alone"

# --- a file is one VM's disk: no raw view of a qcow2 fwsd made
as "$A" fwsctl create x --memory 128 --disk 32M --kernel "$KERNEL" >/dev/null ||
    fail "A create x"
AX=$AREA_A/x/disk0.qcow2
XUID=$(qemu_uid_of "$A" x)
[ "$XUID" != "$BUID" ] || fail "two VMs share qemu uid $XUID"
[ "$(stat -c '%u %a' "$AX")" = "$XUID 600" ] || fail "x's disk: $(stat -c '%u %a' "$AX")"
expect_rc 1 as "$A" fwsctl create y --disk "$AX,format=raw" --kernel "$KERNEL"
expect_err "is a file of VM x: a disk belongs to one VM"
expect_rc 1 as "$A" fwsctl create y --disk "$BDISK,format=raw" --kernel "$KERNEL"
expect_err "outside the allowed image directories"
note "another VM's disk cannot be attached"

# --- the guest's own attack: a kept disk given a raw view, its header
# rewritten by the guest to name B's disk as backing file
as "$A" fwsctl delete x --keep-disks >/dev/null || fail "delete x"
[ "$(stat -c '%u %a' "$AX")" = "0 600" ] ||
    fail "a kept disk stays its old qemu uid's: $(stat -c '%u %a' "$AX")"
as "$A" fwsctl create y --memory 128 --disk "$AX,format=raw" \
    --kernel "$KERNEL" --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null ||
    fail "A create y with the kept disk, raw"
as "$A" fwsctl start y >/dev/null || fail "start y"
wait_user_console "$A" y FWS-GUEST-READY
$CRAFT backing "$T/evil-backing.qcow2" "$BDISK" qcow2
guest_type y "echo $($CRAFT line "$T/evil-backing.qcow2") | base64 -d | gunzip | dd of=/dev/vda conv=notrunc 2>/dev/null; sync; echo FWS-HEADER-WRITTEN"
wait_user_console "$A" y FWS-HEADER-WRITTEN
as "$A" fwsctl destroy y >/dev/null
qemu-img info -U "$AX" | grep -q "backing file: $BDISK" ||
    fail "the guest did not manage to write its header"
as "$A" fwsctl delete y --keep-disks >/dev/null || fail "delete y"
expect_rc 1 as "$A" fwsctl create z --disk "$AX,format=qcow2" --kernel "$KERNEL"
expect_err "backing file $BDISK: $BDISK: outside the allowed image directories"
victim_is_intact "after the guest's raw write"
note "a header a guest wrote is refused at create"

# --- headers rewritten after create: refused at start and at revert
as "$A" fwsctl create w --memory 128 --disk 32M --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null || fail "A create w"
AW=$AREA_A/w/disk0.qcow2
WUID=$(qemu_uid_of "$A" w)
as "$A" fwsctl snapshot-create w s1 >/dev/null || fail "snapshot w"
cp "$AW" "$T/w-clean.qcow2"
$CRAFT data-file "$T/evil-data.qcow2" "$BDISK"
$CRAFT size "$T/evil-size.qcow2" $((100 << 30))
# what a guest holding a raw view of w's disk would have written
for evil in backing data size; do
	dd if="$T/evil-$evil.qcow2" of="$AW" conv=notrunc status=none
	case $evil in
	backing) why="backing file $BDISK: $BDISK: outside the allowed" ;;
	data) why="keeps its data in an external file: refused" ;;
	size) why="its virtual size is now 107374182400 bytes, more than the 33554432" ;;
	esac
	expect_rc 1 as "$A" fwsctl start w
	expect_err "$why"
	state_w=$(as "$A" fwsctl info w --json | python3 -c \
	    'import json,sys; print(json.load(sys.stdin)["state"])')
	[ "$state_w" = stopped ] || fail "w is $state_w after a refused start"
	if [ "$evil" != size ]; then
		expect_rc 1 as "$A" fwsctl snapshot-revert w s1
		expect_err "${why%%:*}"
	fi
	victim_is_intact "after w's $evil header"
	cp "$T/w-clean.qcow2" "$AW"
done
# the clean disk starts again, and reverts
as "$A" fwsctl snapshot-revert w s1 >/dev/null || fail "revert w: $(cat "$T/err")"
as "$A" fwsctl start w >/dev/null || fail "start w: $(cat "$T/err")"
pid=$(as "$A" fwsctl info w --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["pid"])')
[ "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = "$WUID" ] ||
    fail "w's qemu does not run as its own uid $WUID"
tr '\0' '\n' < "/proc/$pid/cmdline" | grep -q '"backing":null' ||
    fail "w's disk is not given an explicit empty chain"
as "$A" fwsctl destroy w >/dev/null
note "rewritten headers refused at start and revert"

# --- and were a header ever followed: one VM's qemu uid cannot open
# another VM's disk (w's uid reads w's disk, not B's)
qgid=$(id -g fws-qemu)
setpriv --reuid="$WUID" --regid="$qgid" --clear-groups -- \
    head -c 1 "$AW" >/dev/null || fail "w's uid cannot read w's own disk"
setpriv --reuid="$WUID" --regid="$qgid" --clear-groups -- \
    head -c 1 "$BDISK" >/dev/null 2>&1 && fail "w's uid can read B's disk"
# and nobody but root and qemu may look into fwsd's directories
expect_rc 2 runuser -u "$A" -- ls "$T/state"
expect_rc 2 runuser -u fws-qemu -- ls "$T/state/users"
expect_rc 2 runuser -u "$A" -- ls "$T/run"
victim_is_intact "at the end"
note "qemu uids and directories keep VMs apart"
