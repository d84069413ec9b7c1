# t-disk-limits.sh: a disk's I/O limits.  A disk limited to 4M/s of
# writes writes no faster inside the guest; set --disk-limit raises it
# live (the guest writes faster, qemu's throttle group says so); the
# limits are kept through an fwsd restart and a stop and a start, come
# with a disk added live, and from a template (a --base overlay too).  A user's ceilings hold:
# above one is refused, asking for none gives the ceiling.  The attacks:
# iops=0, -1, abc, a size without its unit, a total beside its part, an
# unknown key, a disk that is not there, a request fwsctl would not
# send; each refused with nothing changed.
. "$(dirname "$0")/lib.sh"
make_user a; A=$MADE_USER
write_config "template.tio = 1 vcpu, 256M, 16M, disk 8 MB/s 300 iops"
mkdir -p "$T/images"
start_fwsd

disk_io() {	# disk_io NAME N KEY: disk N's limit KEY, "none" for null
	fwsctl info "$1" --json | python3 -c "
import json, sys
d = json.load(sys.stdin)['disks'][$2]
print('none' if d['$3'] is None else d['$3'])"
}
limits_are() {	# limits_are NAME N 'iops iops_rd iops_wr bps bps_rd bps_wr'
	[ "$(for k in iops iops_rd iops_wr bps bps_rd bps_wr; do
		disk_io "$1" "$2" $k; done | tr '\n' ' ')" = "$3 " ]
}
# write_secs NAME: seconds the guest takes to write 16M to /dev/vda
write_secs() {
	guest_answer "$1" DD-SECS '$( (time -p dd if=/dev/zero of=/dev/vda bs=1M count=16 oflag=direct) 2>&1 | sed -n "s/^real //p")'
}
# qom_limits SOCKET N: with fwsd away, disk N's throttle group as the
# qemu of QMP socket SOCKET has it
qom_limits() {
	python3 - "$1" "$2" <<'EOP'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb")
f.readline()
def cmd(c, a):
    f.write((json.dumps({"execute": c, "arguments": a}) + "\n").encode())
    f.flush()
    while True:
        m = json.loads(f.readline())
        if "return" in m or "error" in m:
            return m
cmd("qmp_capabilities", {})
r = cmd("qom-get", {"path": "/objects/fws-io" + sys.argv[2],
    "property": "limits"})["return"]
print(" ".join(str(r[k]) for k in ("iops-total", "iops-read", "iops-write",
    "bps-total", "bps-read", "bps-write")))
EOP
}
M=1048576

# --- bad input: refused, nothing made
for bad in iops=0 iops=-1 iops=abc bps=5 bps=5X iops=5,iops_rd=3 \
    bps=4M,bps_wr=4M speed=4M iops=2000000; do
	expect_rc 2 fwsctl create bad --disk "16M,$bad"
done
expect_rc 2 fwsctl create bad --disk 16M,bps=4M,bps_rd=1M
expect_err "exclude each other"
expect_rc 2 fwsctl create bad --disk 16M,speed=4M
expect_err 'unknown option "speed=4M"'
expect_rc 2 fwsctl create bad --disk 16M,bps=5
expect_err "say the unit"
for bad in '"iops":0' '"iops":-1' '"iops":"abc"' '"bps":"5M"' '"bps":5' \
    '"iops":5,"iops_rd":3' '"speed":1' '"iops":1.5' '"bps_wr":2199023255552'; do
	raw "{\"id\":1,\"cmd\":\"create\",\"args\":{\"name\":\"bad\",\"disks\":[{\"size\":16777216,$bad}]}}" |
	    grep -q '"invalid_argument"' || fail "fwsd took a disk with $bad"
done
fwsctl list | grep -q bad && fail "a refused create left a VM"
note "iops=0/-1/abc, bps without a unit, a total beside its part, unknown keys: refused"

# --- limited: the guest writes no faster than 4M/s
create_guest l1 --disk "24M,bps_wr=4M"
limits_are l1 0 "none none none none none $((4 * M))" ||
    fail "info: $(fwsctl info l1 --json)"
fwsctl info l1 | grep -q "I/O limits: written 4M/s" || fail "info: $(fwsctl info l1)"
fwsctl start l1 >/dev/null || fail "start l1"
wait_console l1 FWS-GUEST-READY
slow=$(write_secs l1)
python3 -c "import sys; sys.exit(0 if float('$slow') >= 3.0 else 1)" ||
    fail "16M at 4M/s took $slow s"
note "16M written at bps_wr=4M: $slow s"

# --- raised live: faster, and qemu has it
fwsctl set l1 --disk-limit 0,bps_wr=256M >"$T/out" || fail "set --disk-limit"
grep -q "disk 0's I/O limits in the running guest now" "$T/out" ||
    fail "set said: $(cat "$T/out")"
limits_are l1 0 "none none none none none $((256 * M))" || fail "info after set"
fast=$(write_secs l1)
python3 -c "import sys; sys.exit(0 if float('$fast') < float('$slow') - 1 else 1)" ||
    fail "at 256M/s 16M took $fast s (at 4M/s $slow s)"
fwsctl events l1 | grep -q "disk 0 I/O limits written 4M/s -> written 256M/s" ||
    fail "events: $(fwsctl events l1)"
note "raised live to 256M/s: $fast s"

# --- a disk added live comes with its limits
fwsctl disk-add l1 8M,iops=200 >/dev/null || fail "disk-add with iops"
limits_are l1 1 "200 none none none none none" || fail "disk 1: $(fwsctl info l1 --json)"

# --- kept through an fwsd restart: qemu's groups are what info says
QMP=$(run_file l1 qmp)
stop_fwsd
[ "$(qom_limits "$QMP" 0)" = "0 0 0 0 0 $((256 * M))" ] ||
    fail "qemu's group 0: $(qom_limits "$QMP" 0)"
[ "$(qom_limits "$QMP" 1)" = "200 0 0 0 0 0" ] ||
    fail "qemu's group 1: $(qom_limits "$QMP" 1)"
start_fwsd
wait_until 10 state_is l1 running || fail "l1 not adopted"
limits_are l1 0 "none none none none none $((256 * M))" || fail "after restart"
fwsctl disk-remove l1 1 >/dev/null || fail "disk-remove live: $(cat "$T/err")"
note "kept through an fwsd restart; a disk added live has its own; removed"

# --- bad set: refused, unchanged
expect_rc 2 fwsctl set l1 --disk-limit 0,iops=5,iops_rd=3
expect_rc 2 fwsctl set l1 --disk-limit 0,bps=5
expect_rc 2 fwsctl set l1 --disk-limit 0,speed=5M
expect_rc 2 fwsctl set l1 --disk-limit x,iops=5
expect_rc 1 fwsctl set l1 --disk-limit 3,iops=5
expect_err "l1 has no disk 3"
for bad in '{"disk":0,"iops":5,"iops_rd":3}' '{"disk":0}' '{"disk":9,"iops":1}' \
    '{"disk":0,"speed":1}' '{"disk":"0","iops":1}' '{"disk":0,"iops":-1}'; do
	raw "{\"id\":1,\"cmd\":\"set\",\"args\":{\"name\":\"l1\",\"disk_limits\":[$bad]}}" |
	    grep -q '"invalid_argument"' || fail "fwsd took set with $bad"
done
raw '{"id":1,"cmd":"set","args":{"name":"l1","disk_limits":{"disk":0}}}' |
    grep -q '"invalid_argument"' || fail "fwsd took disk_limits as an object"
limits_are l1 0 "none none none none none $((256 * M))" || fail "changed by a refusal"
note "bad --disk-limit: refused, unchanged"

# --- kept through stop and start: on qemu's command line
fwsctl set l1 --disk-limit 0,iops_rd=100,bps=8M >/dev/null || fail "set iops_rd, bps"
limits_are l1 0 "none 100 none $((8 * M)) none none" || fail "merged: $(fwsctl info l1 --json)"
fwsctl stop l1 >/dev/null || fail "stop l1"
fwsctl start l1 >/dev/null || fail "start l1 again"
wait_until 10 state_is l1 running || fail "l1 not running"
tr '\0' '\n' <"/proc/$(field l1 pid)/cmdline" |
    grep -q '"bps-total":8388608,"bps-write":0,"iops-read":100,' ||
    fail "qemu's command line: $(tr '\0' ' ' <"/proc/$(field l1 pid)/cmdline")"
fwsctl set l1 --disk-limit 0,none >/dev/null || fail "set none"
limits_are l1 0 "none none none none none none" || fail "none: $(fwsctl info l1 --json)"
fwsctl destroy l1 >/dev/null
note "kept through stop and start; none takes them away"

# --- a template's limits, flags given win
fwsctl create t1 --template tio >/dev/null || fail "create from tio"
limits_are t1 0 "300 none none $((8 * M)) none none" || fail "t1: $(fwsctl info t1 --json)"
fwsctl create t2 --template tio --disk 16M,iops_wr=50 >/dev/null || fail "create t2"
limits_are t2 0 "none none 50 $((8 * M)) none none" || fail "t2: $(fwsctl info t2 --json)"
fwsctl templates | grep -q "^tio .* 8M/s, 300 IOPS$" || fail "templates: $(fwsctl templates)"
qemu-img create -q -f qcow2 "$T/images/base.qcow2" 16M
fwsctl create b1 --template tio --base base >/dev/null || fail "create b1 --base"
limits_are b1 0 "300 none none $((8 * M)) none none" || fail "b1: $(fwsctl info b1 --json)"
note "a template's disk limits, on a --base overlay too; a disk's own win"

# --- a user's ceilings
expect_rc 2 fwsctl quota-set "$A" --vm-disk-bps 5
fwsctl quota-set "$A" --vm-disk-iops 500 --vm-disk-bps 10M >/dev/null ||
    fail "quota-set ceilings"
as "$A" fwsctl quota | grep -q "^I/O per disk  *10M/s$" || fail "quota: $(as "$A" fwsctl quota)"
ucreate() {
	as "$A" fwsctl create "$@" --memory 128 --kernel "$KERNEL" \
	    --initrd "$INITRD" --append "$GUEST_APPEND"
}
expect_rc 1 ucreate u1 --disk 16M,bps=20M
expect_err "quota exceeded: I/O bytes per disk: disk 0's bps asked for 20M/s, allowed 10M/s (quota_vm_disk_bps)"
expect_rc 1 ucreate u1 --disk 16M,iops_wr=600
expect_err "quota_vm_disk_iops"
as "$A" fwsctl list | grep -q u1 && fail "a refused create left u1"
ucreate u1 --disk 16M >/dev/null || fail "create u1 under the ceilings"
limits_are u1 0 "500 none none $((10 * M)) none none" || fail "u1: $(fwsctl info u1 --json)"
as "$A" fwsctl set u1 --disk-limit 0,none >/dev/null || fail "set none under a ceiling"
limits_are u1 0 "500 none none $((10 * M)) none none" || fail "none escaped the ceiling"
as "$A" fwsctl set u1 --disk-limit 0,bps_rd=5M >/dev/null || fail "set bps_rd"
limits_are u1 0 "500 none none none $((5 * M)) $((10 * M))" || fail "bps_rd: $(fwsctl info u1 --json)"
expect_rc 1 as "$A" fwsctl set u1 --disk-limit 0,bps_wr=11M
expect_err "quota_vm_disk_bps"
limits_are u1 0 "500 none none none $((5 * M)) $((10 * M))" || fail "changed by a refusal"
expect_rc 1 as "$A" fwsctl disk-add u1 8M,iops=501
expect_err "quota_vm_disk_iops"
as "$A" fwsctl disk-add u1 8M >/dev/null || fail "disk-add under the ceilings"
limits_are u1 1 "500 none none $((10 * M)) none none" || fail "u1 disk 1"
fwsctl create r1 --disk 16M,bps=1T >/dev/null || fail "an admin's own VM is held to none"
note "ceilings: above refused, none gives the ceiling; an admin's own VMs free"
