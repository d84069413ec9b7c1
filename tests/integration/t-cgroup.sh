# t-cgroup.sh: every qemu runs in a cgroup of its own below fwsd's
# subtree, named by the VM's uuid, from its first instruction: qemu here
# is a wrapper that notes its cgroup before it execs the real one, and a
# child that cannot join its cgroup never execs at all (the start fails,
# saying why).  The files hold what was asked (weight, cap, memory); a
# guest capped at 0.5 CPU that spins uses about half a CPU; set changes
# the weight and the cap live; the limits survive an fwsd restart; a
# deleted VM leaves no cgroup; cgroup = none refuses limits.  The
# attacks: weights and caps out of range or not numbers, and a user past
# their ceilings or leaving a flag out to escape them: refused, nothing
# changed.
. "$(dirname "$0")/lib.sh"
make_user a; A=$MADE_USER
# qemu's first instruction is the wrapper's: it says where it runs
mkdir -m 1777 "$T/first"
cat > "$T/qemu-wrap" <<EOW
#!/bin/sh
cat /proc/self/cgroup > "$T/first/\$\$"
exec /usr/bin/qemu-system-x86_64 "\$@"
EOW
chmod 0755 "$T/qemu-wrap"
write_config "qemu = $T/qemu-wrap
restart_delay = 1"
start_fwsd

# the cgroup subtree's directory in hierarchy CTRL (v1: cpu, cpuacct,
# memory; v2: any), and a VM's there
sub_dir() {
	for d in $(cgroup_dirs); do
		case $d in
		*/unified/*) ;;
		*/"$1"/*|*/"$1,"*/*|*,"$1"/*) echo "$d"; return ;;
		esac
	done
}
V1=1
[ -n "$(sub_dir memory)" ] || V1=0
vm_cg() {
	if [ "$V1" = 1 ]; then
		echo "$(sub_dir "$2")/$(field "$1" uuid)"
	else
		echo "$(cgroup_dirs | head -1)/$(field "$1" uuid)"
	fi
}
cpu_files() {
	d=$(vm_cg "$1" cpu)
	if [ "$V1" = 1 ]; then
		echo "$(cat "$d/cpu.shares") $(cat "$d/cpu.cfs_quota_us") $(cat "$d/cpu.cfs_period_us")"
	else
		echo "$(cat "$d/cpu.weight") $(cat "$d/cpu.max")"
	fi
}
mem_file() {
	d=$(vm_cg "$1" memory)
	if [ "$V1" = 1 ]; then cat "$d/memory.limit_in_bytes"; else cat "$d/memory.max"; fi
}
# cpu_used NAME: the cgroup's CPU time so far, in ns
cpu_used() {
	if [ "$V1" = 1 ]; then
		cat "$(vm_cg "$1" cpuacct)/cpuacct.usage"
	else
		echo $(( $(awk '/^usage_usec/ { print $2 }' "$(vm_cg "$1" cpu)/cpu.stat") * 1000 ))
	fi
}
limits() {
	fwsctl info "$1" --json | python3 -c '
import json, sys
l = json.load(sys.stdin)["limits"]
print(l["cpu_weight"], l["cpu_max"], l["memory_max"])'
}
grep -q "cgroups: v[12]" "$T/fwsd.log" || fail "fwsd did not log its cgroup layout"
note "$(grep -o 'cgroups: v[12][^:]*' "$T/fwsd.log" | head -1)"

# --- placed before exec, limits in the files
create_guest c1 --cpu-max 0.5 --cpu-weight 200
fwsctl events c1 | grep -q "created by root: .*, cpu weight 200, cpu max 0.5" ||
    fail "the created event lacks the limits: $(fwsctl events c1)"
fwsctl start c1 >/dev/null || fail "start c1"
pid=$(field c1 pid)
uuid=$(field c1 uuid)
[ -f "$T/first/$pid" ] || fail "the wrapper did not note its cgroup"
n=$(grep -c "/$CGROUP_NAME/$uuid\$" "$T/first/$pid")
[ "$n" -ge 1 ] || fail "qemu's first instruction ran outside its cgroup: $(cat "$T/first/$pid")"
[ "$(grep -c "/$CGROUP_NAME/$uuid\$" "/proc/$pid/cgroup")" = "$n" ] ||
    fail "qemu is not in its cgroups: $(cat "/proc/$pid/cgroup")"
if [ "$V1" = 1 ]; then
	[ "$(cpu_files c1)" = "2048 50000 100000" ] || fail "cpu files: $(cpu_files c1)"
else
	[ "$(cpu_files c1)" = "200 50000 100000" ] || fail "cpu files: $(cpu_files c1)"
fi
# guest RAM 256M, the 192M base, an eighth of 256M
[ "$(mem_file c1)" = $(( (256 + 192 + 32) * 1048576 )) ] || fail "memory limit: $(mem_file c1)"
[ "$(limits c1)" = "200 0.5 $(( (256 + 192 + 32) * 1048576 ))" ] || fail "info limits: $(limits c1)"
fwsctl info c1 | grep -q "^limits .*cpu weight 200, cpu max 0.5 CPUs, memory 480M" ||
    fail "info: $(fwsctl info c1 | grep limits)"
note "qemu in its cgroup from its first instruction; weight, cap and memory in the files"

# --- a guest capped at 0.5 CPU spins: about half a CPU, never more
wait_console c1 FWS-GUEST-READY
guest_type c1 'while :; do :; done &'
sleep 2
ok=0
for try in 1 2 3; do
	u0=$(cpu_used c1); t0=$(date +%s%N)
	sleep 5
	u1=$(cpu_used c1); t1=$(date +%s%N)
	share=$(( (u1 - u0) * 1000 / (t1 - t0) ))	# thousandths of a CPU
	note "try $try: the capped guest used $share/1000 of a CPU"
	[ "$share" -le 550 ] || fail "a 0.5 CPU cap let qemu use $share/1000"
	if [ "$share" -ge 450 ]; then ok=1; break; fi
done
[ "$ok" = 1 ] || fail "the capped guest never reached 0.45 CPU (a busy host?)"
fwsctl stats c1 --json | python3 -c '
import json, sys
s = json.load(sys.stdin)[0]
assert s["cpu_throttled_seconds"] > 0, s
assert s["memory_peak_bytes"] > 0, s' || fail "stats: $(fwsctl stats c1 --json)"

# --- set: live, and in the store
fwsctl set c1 --cpu-max 0.25 --cpu-weight default >"$T/out" || fail "set live"
if [ "$V1" = 1 ]; then
	[ "$(cpu_files c1)" = "1024 25000 100000" ] || fail "live set: $(cpu_files c1)"
else
	[ "$(cpu_files c1)" = "100 25000 100000" ] || fail "live set: $(cpu_files c1)"
fi
fwsctl events c1 | grep -q "cpu weight 200 -> 100, cpu max 0.5 -> 0.25" ||
    fail "no changed event: $(fwsctl events c1 | tail -3)"
note "set changed the weight and the cap of the running qemu"

# --- bad input: refused, nothing changed
before=$(limits c1)
for w in 0 10001 -5 abc 1.5; do
	expect_rc_not0() { "$@" >"$T/out" 2>"$T/err" && fail "'$*' was taken"; }
	expect_rc_not0 fwsctl set c1 --cpu-weight "$w"
	expect_rc_not0 fwsctl create bad --kernel "$KERNEL" --cpu-weight "$w"
done
for m in 0 -1 2 abc 0.001 1.5.5; do
	expect_rc_not0 fwsctl set c1 --cpu-max "$m"
	expect_rc_not0 fwsctl create bad --kernel "$KERNEL" --cpu-max "$m"
done
expect_rc 1 fwsctl set c1 --cpu-max 2
expect_err "more than the VM's 1 vCPU"
expect_rc 1 fwsctl set c1 --cpu-weight 0
expect_err "from 1 to 10000"
# raw requests, past fwsctl's own checks
raw '{"id":1,"cmd":"set","args":{"name":"c1","cpu_weight":"lots"}}' | grep -q '"error"' ||
    fail "a weight that is a word was taken"
raw '{"id":2,"cmd":"set","args":{"name":"c1","cpu_max":1}}' | grep -q '"error"' ||
    fail "a cap that is a number, not a string, was taken"
raw '{"id":3,"cmd":"create","args":{"name":"bad","cpu_max":"0.5x"}}' | grep -q '"error"' ||
    fail "a cap 0.5x was taken"
raw '{"id":4,"cmd":"set","args":{"name":"c1","vcpus":1,"cpu_max":"3"}}' | grep -q '"error"' ||
    fail "a cap over the vCPUs was taken"
[ "$(limits c1)" = "$before" ] || fail "limits changed by refused requests: $(limits c1)"
[ "$(cpu_files c1 | cut -d' ' -f2)" = 25000 ] || fail "the cgroup changed: $(cpu_files c1)"
fwsctl info bad >/dev/null 2>&1 && fail "a refused create made a VM"
note "weights 0, 10001, words; caps 0, -1, over the vCPUs, words: refused"

# --- a user's ceilings: more is refused, leaving the flag out takes them
fwsctl quota-set "$A" --vm-cpu-max 0.5 --vm-cpu-weight 50 >/dev/null ||
    fail "quota-set ceilings"
expect_rc 1 as "$A" fwsctl create u1 --memory 128 --kernel "$KERNEL" --cpu-max 1
expect_err "quota exceeded: CPU cap per VM: asked for 1 CPUs, allowed 0.5"
expect_rc 1 as "$A" fwsctl create u1 --memory 128 --kernel "$KERNEL" --cpu-weight 51
expect_err "CPU weight per VM: asked for 51, allowed 50"
as "$A" fwsctl info u1 >/dev/null 2>&1 && fail "a refused create made u1"
as "$A" fwsctl create u1 --memory 128 --kernel "$KERNEL" >/dev/null ||
    fail "create within the ceilings: $(cat "$T/err")"
set -- $(as "$A" fwsctl info u1 --json | python3 -c '
import json, sys
l = json.load(sys.stdin)["limits"]
print(l["cpu_weight"], l["cpu_max"])')
[ "$1 $2" = "50 0.5" ] || fail "a VM without flags escaped the ceilings: $1 $2"
expect_rc 1 as "$A" fwsctl set u1 --cpu-max 0.75
expect_err "allowed 0.5"
as "$A" fwsctl set u1 --cpu-max none >/dev/null || fail "set none within the ceiling"
as "$A" fwsctl info u1 --json | grep -q '"cpu_max": 0.5' || fail "none escaped the ceiling"
# an admin is not held by them
fwsctl set u1 --owner "$A" --cpu-max 1 --cpu-weight 400 >/dev/null ||
    fail "an admin was held by a user's ceiling: $(cat "$T/err")"
note "ceilings: more refused, none takes the ceiling; an admin is not held"

# --- fwsd restarts: the qemu is found in its cgroup, limits written again
echo 7 > "$(vm_cg c1 cpu)/$( [ "$V1" = 1 ] && echo cpu.shares || echo cpu.weight)"
stop_fwsd
alive "$pid" || fail "qemu ended with fwsd"
start_fwsd
wait_until 20 state_is c1 running || fail "c1 not adopted: $(field c1 state)"
[ "$(field c1 pid)" = "$pid" ] || fail "another qemu after the restart"
if [ "$V1" = 1 ]; then
	[ "$(cpu_files c1)" = "1024 25000 100000" ] || fail "after restart: $(cpu_files c1)"
else
	[ "$(cpu_files c1)" = "100 25000 100000" ] || fail "after restart: $(cpu_files c1)"
fi
fwsctl set c1 --cpu-max 0.3 >/dev/null || fail "set after the restart"
[ "$(cpu_files c1 | cut -d' ' -f2)" = 30000 ] || fail "live set after restart: $(cpu_files c1)"
note "after an fwsd restart: the limits written again, set works live"

# --- gone with the qemu, and with the VM
dir=$(vm_cg c1 cpu)
fwsctl destroy c1 >/dev/null || fail "destroy"
wait_until 10 state_is c1 stopped || fail "c1 not stopped"
# (removed just after the reply: a v1 memory cgroup's removal is dear)
wait_until 5 [ ! -d "$dir" ] || fail "$dir left after its qemu ended"
fwsctl start c1 >/dev/null || fail "start c1 again"
fwsctl destroy c1 >/dev/null
fwsctl delete c1 >/dev/null || fail "delete"
for d in $(cgroup_dirs); do
	[ -z "$(find "$d" -mindepth 1 -type d)" ] || fail "cgroups left: $(find "$d" -mindepth 1 -type d)"
done
note "no cgroup left after the qemu ended and after delete"

# --- a child that cannot join its cgroup never execs qemu: the start
# fails.  A real-time fwsd's child cannot join a cpu cgroup without RT
# time (v1, RT group scheduling): the join fails before exec.
if [ "$V1" = 1 ] && [ -f "$(sub_dir cpu)/cpu.rt_runtime_us" ] &&
    command -v chrt >/dev/null; then
	stop_fwsd
	FWSD_WRAP="chrt -r 1"
	start_fwsd
	create_guest c2
	before=$(ls "$T/first" | wc -l)
	expect_rc 1 fwsctl start c2
	expect_err "cannot join its cgroup"
	[ "$(ls "$T/first" | wc -l)" = "$before" ] || fail "qemu was exec'd outside its cgroup"
	state_is c2 stopped || fail "c2: $(field c2 state)"
	note "a child that cannot join its cgroup fails the start before exec"
	stop_fwsd
	FWSD_WRAP=
else
	note "skipped: the failed join (needs v1 RT group scheduling and chrt)"
fi

# --- cgroup = none: said at start, limits refused, VMs run without
[ -n "$FWSD_PID" ] && stop_fwsd
write_config "qemu = $T/qemu-wrap
cgroup = none"
start_fwsd
grep -q "cgroups: off (cgroup = none)" "$T/fwsd.log" || fail "cgroup = none not logged"
expect_rc 1 fwsctl create c3 --kernel "$KERNEL" --cpu-max 0.5
expect_err "not enforced on this host"
fwsctl info c3 >/dev/null 2>&1 && fail "c3 made without its limit"
create_guest c3
fwsctl start c3 >/dev/null || fail "start c3 without cgroups"
expect_rc 1 fwsctl set c3 --cpu-weight 300
expect_err "not enforced on this host"
[ "$(limits c3)" = "100 None None" ] || fail "c3's limits without cgroups: $(limits c3)"
fwsctl destroy c3 >/dev/null
note "cgroup = none: limits refused, VMs run in fwsd's cgroup"
echo "ok"
