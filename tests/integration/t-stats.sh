# t-stats.sh: stats says what VMs use, in a network namespace this test
# makes: a running VM's qemu CPU time and resident memory, its disk's
# bytes and operations (they grow by what the guest writes), its NIC's
# bytes and packets from the guest's side (they grow by the guest's
# pings to the host), as a table, JSON and Prometheus's text format.  A user sees
# their own VMs only; a stopped VM counts nothing; bad requests refused.
. "$(dirname "$0")/lib.sh"
make_user a; A=$MADE_USER
use_netns
start_fwsd
fwsctl net-create lan --bridge fwsbr0 --address 10.96.0.1/24 >/dev/null ||
    fail "net-create lan"
fwsctl create s1x --kernel "$KERNEL" >/dev/null || fail "create s1x"
# the guest's address: its kernel command line
fwsctl create s1 --vcpus 1 --memory 256 --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND fws.ip=10.96.0.2/24" \
    --disk 32M --net lan >/dev/null || fail "create s1"
fwsctl start s1 >/dev/null || fail "start s1"
wait_console s1 FWS-GUEST-READY

# stat NAME EXPR: a python expression over s1's stats object (v)
stat() {
	fwsctl stats "$1" --json | python3 -c "
import json, sys
v = json.load(sys.stdin)[0]
print($2)"
}

[ "$(stat s1 'v["name"], v["state"], len(v["disks"]), len(v["nics"])')" = \
    "s1 running 1 1" ] || fail "stats: $(fwsctl stats s1 --json)"
[ "$(stat s1 'v["cpu_seconds"] > 0 and v["rss_bytes"] > (16 << 20)')" = True ] ||
    fail "no CPU time or memory: $(fwsctl stats s1 --json)"
wr0=$(stat s1 'v["disks"][0]["wr_bytes"]')
ops0=$(stat s1 'v["disks"][0]["wr_ops"]')
guest_type s1 'dd if=/dev/zero of=/dev/vda bs=1M count=8 conv=fsync 2>/dev/null; echo DD-DONE'
wait_console s1 "^DD-DONE" 60
wr1=$(stat s1 'v["disks"][0]["wr_bytes"]')
ops1=$(stat s1 'v["disks"][0]["wr_ops"]')
[ "$wr1" -ge $((wr0 + (8 << 20))) ] && [ "$ops1" -gt "$ops0" ] ||
    fail "the disk's counters: $wr0 -> $wr1 bytes, $ops0 -> $ops1 writes"
note "the disk's written bytes grow by what the guest wrote"

rx0=$(stat s1 'v["nics"][0]["rx_packets"]')
tx0=$(stat s1 'v["nics"][0]["tx_bytes"]')
guest_type s1 'ping -c 5 -i 0.2 -W 5 10.96.0.1 >/dev/null && echo PING-DONE'
wait_console s1 "^PING-DONE" 60
rx1=$(stat s1 'v["nics"][0]["rx_packets"]')
tx1=$(stat s1 'v["nics"][0]["tx_bytes"]')
[ "$rx1" -ge $((rx0 + 5)) ] && [ "$tx1" -ge $((tx0 + 5 * 98)) ] ||
    fail "the NIC's counters: rx $rx0 -> $rx1 packets, tx $tx0 -> $tx1 bytes"
note "the NIC counts, from the guest's side, the guest's pings to the host"

# a table, and the exposition format
fwsctl stats >"$T/table" || fail "stats"
grep -q "^NAME .*DISK-WRITE .*NET-TX" "$T/table" && grep -q "^s1 .*running" "$T/table" &&
    grep -q "^s1x .*stopped" "$T/table" || fail "the table: $(cat "$T/table")"
fwsctl stats --prometheus >"$T/prom" || fail "stats --prometheus"
python3 - "$T/prom" <<'EOP' || fail "not the exposition format: $(head -20 "$T/prom")"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
sample = re.compile(r'^(fws_[a-z_]+)\{((?:[a-z]+="(?:[^"\\]|\\.)*",?)*)\} (\S+)$')
types, seen = {}, {}
for l in lines:
    if l.startswith("# TYPE "):
        _, _, name, kind = l.split()
        types[name] = kind
        continue
    if l.startswith("# HELP "):
        continue
    m = sample.match(l)
    assert m, "bad line: %r" % l
    assert m.group(1) in types, "no TYPE before %r" % l
    float(m.group(3))
    seen[(m.group(1), m.group(2))] = float(m.group(3))
def get(name, labels):
    return [v for (n, l), v in seen.items() if n == name and l.startswith(labels)]
assert get("fws_vm_running", 'vm="s1",') == [1.0]
assert get("fws_vm_running", 'vm="s1x",') == [0.0]
assert get("fws_vm_disk_written_bytes_total", 'vm="s1",')[0] >= 8 << 20
assert get("fws_vm_network_receive_packets_total", 'vm="s1",')[0] >= 5
assert not get("fws_vm_cpu_seconds_total", 'vm="s1x",'), "a stopped VM counts"
assert types["fws_vm_cpu_seconds_total"] == "counter"
EOP
note "a table and Prometheus's text format"

# another user sees nothing of it; bad requests
as "$A" fwsctl stats --json | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin) != [])' ||
    fail "a user sees others' VMs"
expect_rc 1 as "$A" fwsctl stats s1
expect_err "no VM named \"s1\""
expect_rc 1 fwsctl stats nosuch
expect_err "no VM named \"nosuch\""
for bad in '"name":7' '"owner":"x"' '"zz":1'; do
	raw "{\"id\":1,\"cmd\":\"stats\",\"args\":{$bad}}" |
	    grep -q '"invalid_argument"' || fail "fwsd took stats with $bad"
done
note "a user sees only their own; bad requests refused"
