# t-cgroup-oom.sh: a guest that fills its memory takes its qemu past the
# cgroup's memory limit (guest RAM and qemu's overhead: a base of 0 here,
# so that the limit is within reach); the kernel kills qemu, and the VM's
# events say "crashed: killed by the memory limit", not a bare signal.
# The restart policy treats it as any crash: the VM runs again; stats
# shows the new qemu's memory high-water mark, under the limit.
. "$(dirname "$0")/lib.sh"
write_config "memory_overhead = 0
restart_delay = 1"
start_fwsd
create_guest m1
fwsctl start m1 >/dev/null || fail "start m1"
wait_console m1 FWS-GUEST-READY
pid=$(field m1 pid)
memmax=$(fwsctl info m1 --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["limits"]["memory_max"])')
# 256M of RAM and an eighth of it: the base is 0
[ "$memmax" = $(( (256 + 32) * 1048576 )) ] || fail "memory limit $memmax"
# a file in the guest's RAM (a tmpfs of its own: the root's holds half
# the RAM): every page of it is one qemu holds
guest_type m1 'mkdir -p /m; mount -t tmpfs -o size=200m t /m; dd if=/dev/zero of=/m/f bs=1M count=190'
wait_until 60 runs_anew m1 "$pid" || fail "m1 not restarted: $(field m1 state), $(field m1 last_exit)"
fwsctl events m1 | grep -q "crashed.*killed by the memory limit" ||
    fail "no OOM crash in the events: $(fwsctl events m1 | tail -4)"
expect_events m1 started crashed restarting starting started
note "qemu killed by the memory limit: '$(fwsctl events m1 | grep crashed | tail -1 | sed 's/.*crashed/crashed/')'; restarted"
wait_console m1 FWS-GUEST-READY
peak=$(fwsctl stats m1 --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)[0]["memory_peak_bytes"] or 0)')
[ "$peak" -gt 0 ] && [ "$peak" -le "$memmax" ] || fail "memory peak $peak, limit $memmax"
fwsctl destroy m1 >/dev/null
echo "ok"
