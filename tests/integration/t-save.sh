# t-save.sh: save parks a running guest in a file and start resumes it
# where it was: the same boot (boot id, no second boot on the console),
# a value it held only in RAM.  The saved state survives an fwsd
# restart; start --fresh boots afresh and throws it away; delete removes
# it; shutdown-all --save parks every guest and autostart (after a host
# reboot) resumes them.  The attacks: a save that fails half-way (a
# full disk) leaves the guest running and says why; a save of a stopped
# VM, another user's VM, changes to a saved VM's machine, a planted
# symlink where the file goes, a saved state swapped for something else:
# each refused or harmless, nothing lost.
. "$(dirname "$0")/lib.sh"
make_user a; A=$MADE_USER
write_config ""
start_fwsd

saved_file() {
	echo "$T/state/vms/$1/saved.state"
}

# ready NAME VALUE: a fresh boot whose shell holds VALUE in $HELD
ready() {
	_boots=$(count_in_console "$1" FWS-GUEST-READY)
	fwsctl start "$1" >/dev/null || fail "start $1"
	wait_until "$BOOT_TIMEOUT" booted "$1" $((_boots + 1)) ||
	    fail "$1 did not boot"
	guest_type "$1" "HELD=$2"
}

create_guest s1 --disk 32M
ready s1 one-$$
boot=$(guest_answer s1 BOOT '$(cat /proc/sys/kernel/random/boot_id)')
fwsctl save s1 >"$T/out" 2>&1 || fail "save s1: $(cat "$T/out")"
[ "$(cat "$T/out")" = "s1 is saved" ] || fail "save said: $(cat "$T/out")"
state_is s1 saved || fail "s1 is $(field s1 state)"
[ -f "$(saved_file s1)" ] || fail "no saved state file"
fwsctl info s1 --json | python3 -c '
import json, sys
s = json.load(sys.stdin)["saved"]
assert s["bytes"] > 1 << 20 and s["file"].endswith("/saved.state"), s' ||
    fail "info does not show the saved state"
fwsctl list | grep -q "^s1 .*saved" || fail "list: $(fwsctl list)"
expect_events s1 started saving saved
fwsctl start s1 >/dev/null || fail "start s1 from its saved state"
state_is s1 running || fail "s1 is $(field s1 state)"
[ "$(guest_answer s1 BOOT '$(cat /proc/sys/kernel/random/boot_id)')" = \
    "$boot" ] || fail "s1 booted again instead of resuming"
[ "$(guest_answer s1 HELD '$HELD')" = "one-$$" ] ||
    fail "s1 lost what its RAM held"
[ "$(count_in_console s1 FWS-GUEST-READY)" = 1 ] ||
    fail "a second boot on the console"
[ ! -e "$(saved_file s1)" ] || fail "the spent saved state is still there"
note "saved and resumed: the same boot, what RAM held"

# through an fwsd restart; a paused guest too
fwsctl pause s1 >/dev/null || fail "pause s1"
fwsctl save s1 >/dev/null || fail "save of a paused s1"
restart_fwsd
state_is s1 saved || fail "after an fwsd restart s1 is $(field s1 state)"
fwsctl start s1 >/dev/null || fail "start s1 after an fwsd restart"
[ "$(guest_answer s1 HELD '$HELD')" = "one-$$" ] ||
    fail "s1 lost what its RAM held across an fwsd restart"
note "a saved state survives an fwsd restart"

# a saved VM's machine stays as saved: changes refused or pending
fwsctl save s1 >/dev/null || fail "save s1 again"
expect_rc 1 fwsctl stop s1
expect_err "not running"
expect_rc 1 fwsctl snapshot-create s1 snap
expect_err "start --fresh"
expect_rc 1 fwsctl disk-resize s1 0 64M
expect_err "start --fresh"
expect_rc 1 fwsctl save s1
expect_err "only a running guest"
fwsctl set s1 --vcpus 2 >/dev/null || fail "set s1 --vcpus 2"
[ "$(fwsctl info s1 --json | python3 -c \
    'import json,sys; v=json.load(sys.stdin); print(v["vcpus"], v["pending"]["vcpus"])')" = "1 2" ] ||
    fail "a saved VM's vCPUs changed, not pending"
note "a saved VM's machine is kept: stop, snapshot, disk changes refused; set pending"

# start --fresh: a new boot, the state gone, the pending size taken
fwsctl start s1 --fresh >/dev/null || fail "start --fresh"
wait_until 60 booted s1 2 || fail "start --fresh did not boot afresh"
[ ! -e "$(saved_file s1)" ] || fail "start --fresh kept the saved state"
[ "$(guest_answer s1 CPUS '$(nproc)')" = 2 ] ||
    fail "start --fresh did not take the pending vCPUs"
expect_events s1 saved stopped starting started
note "start --fresh boots afresh and discards the state"

# bad input and other users
fwsctl stop s1 --timeout 0 >/dev/null || fail "stop s1"
expect_rc 1 fwsctl save s1
expect_err "s1 is stopped, not running"
expect_rc 1 fwsctl save nosuch
expect_err "no VM named"
expect_rc 1 as "$A" fwsctl save s1
expect_err "no VM named"
expect_rc 1 as "$A" fwsctl start s1 --fresh
expect_err "no VM named"
expect_rc 2 fwsctl save
raw '{"id":1,"cmd":"start","args":{"name":"s1","fresh":"yes"}}' |
    grep -q 'must be true or false' || fail "a bad fresh was taken"
state_is s1 stopped || fail "s1 is $(field s1 state) after refusals"
note "a stopped VM, a missing one, another user's: refused"

# a save that fails half-way (its file system full): the guest runs on
create_guest s2
small_fs "$T/state/vms/s2" 8M
ready s2 two-$$
fwsctl save s2 >"$T/out" 2>&1 && fail "a save into a full disk said ok"
grep -q "save failed\|writing the guest's state failed" "$T/out" ||
    fail "the failure does not say why: $(cat "$T/out")"
state_is s2 running || fail "after a failed save s2 is $(field s2 state)"
[ "$(guest_answer s2 HELD '$HELD')" = "two-$$" ] ||
    fail "the guest did not run on after a failed save"
no_saved_files() {
	[ -z "$(ls "$T/state/vms/$1" | grep saved)" ]
}
wait_until 10 no_saved_files s2 ||
    fail "a failed save left files: $(ls "$T/state/vms/s2")"
expect_events s2 started saving save-failed
note "a save that fails half-way: the guest runs on, the reason told"

# a symlink planted where the file goes is replaced, never followed;
# a saved state swapped for a link is refused at resume, kept saved
echo victim >"$T/victim"
fwsctl destroy s2 >/dev/null
umount "$T/state/vms/s2" && MOUNTS=
ln -s "$T/victim" "$T/state/vms/s1/saved.state.tmp"
ready s1 three-$$
fwsctl save s1 >/dev/null || fail "save s1 past a planted link"
[ "$(cat "$T/victim")" = victim ] || fail "the save followed a planted link"
mv "$(saved_file s1)" "$T/real.state"
ln -s "$T/real.state" "$(saved_file s1)"
expect_rc 1 fwsctl start s1
expect_err "not a file fwsd made\|could not resume"
state_is s1 saved || fail "a refused resume left s1 $(field s1 state)"
rm "$(saved_file s1)"
mv "$T/real.state" "$(saved_file s1)"
fwsctl start s1 >/dev/null || fail "start s1 with its own state back"
[ "$(guest_answer s1 HELD '$HELD')" = "three-$$" ] ||
    fail "s1 lost its state after a refused resume"
note "planted links: not followed, not resumed from; the state kept"

# a disk added live is in the machine the saved state resumes into
fwsctl disk-add s1 16M >/dev/null || fail "disk-add to the running s1"
[ "$(guest_answer s1 VDB '$(for i in 1 2 3 4 5 6 7 8 9 10; do
    [ -e /sys/block/vdb ] && break; sleep 1; done; cat /sys/block/vdb/size)')" = 32768 ] ||
    fail "the guest did not see its new disk"
fwsctl save s1 >/dev/null || fail "save s1 with a disk added live"
fwsctl start s1 >/dev/null || fail "resume s1 with a disk added live"
[ "$(guest_answer s1 VDB '$(cat /sys/block/vdb/size)')" = 32768 ] ||
    fail "the resumed guest lost its added disk"
[ "$(guest_answer s1 HELD '$HELD')" = "three-$$" ] ||
    fail "s1 lost its state with a disk added live"
note "a disk added live: saved and resumed with it"

# shutdown-all --save, then a host reboot: autostart resumes
create_guest s3
fwsctl set s1 --autostart on >/dev/null || fail "autostart s1"
ready s3 four-$$
fwsctl shutdown-all --save >"$T/out" 2>&1 || fail "shutdown-all --save: $(cat "$T/out")"
grep -q "^saved.* s1" "$T/out" && grep -q "s3" "$T/out" ||
    fail "shutdown-all --save said: $(cat "$T/out")"
state_is s1 saved && state_is s3 saved || fail "not every guest was saved"
stop_fwsd
rm -f "$T/run/"*autostart*	# the host rebooted: the run dir is new
start_fwsd
wait_until 30 state_is s1 running || fail "autostart did not resume s1"
[ "$(guest_answer s1 HELD '$HELD')" = "three-$$" ] ||
    fail "autostart booted s1 instead of resuming it"
state_is s3 saved || fail "s3 (no autostart) is $(field s3 state)"
note "shutdown-all --save, a reboot: autostart resumes, the rest stay saved"

# delete takes the saved state with it
fwsctl delete s3 >/dev/null || fail "delete a saved VM"
[ ! -e "$T/state/vms/s3" ] || fail "delete left $(ls "$T/state/vms/s3")"
note "delete removes a saved state"
