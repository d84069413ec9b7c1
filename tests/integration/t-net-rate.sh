# t-net-rate.sh: a NIC's rate, each way, inside network namespaces this
# test makes.  A guest whose NIC is limited to 2 Mbit/s moves 1 MiB to
# the host's end of its network, and takes 1 MiB from it, at that rate
# (a TCG guest alone does several times more); set --nic-limit takes the
# limit away live (the same transfers are fast) and puts it back; a
# restart of fwsd finds what went missing meanwhile and makes it again,
# and sweeps away an IFB whose tap is gone; a NIC added live has its
# rate, and its IFB goes with it.  No IFB or qdisc is left after a stop,
# a crash or a delete.  A template's rate, and a user's ceiling
# (quota_vm_net_rate, which a NIC without a rate gets).  Bad rates,
# NICs that are not there, and a user over the ceiling: clear errors,
# nothing changed.
. "$(dirname "$0")/lib.sh"
use_netns
write_config "template.lim = 1 vcpu, 256 MiB, net 3 Mbit
template.big = 1 vcpu, 256 MiB, net 50 Mbit"
start_fwsd
A="$GUEST_APPEND"
XFER=$T/xfer.py
RATE=2000000			# bit/s
BYTES=1048576			# a transfer
# the least time at the rate (with a quarter more for bursts), in ms
LEAST=$((BYTES * 8 * 1000 / (RATE * 5 / 4)))

cat > "$XFER" <<'EOP'
# xfer.py recv ADDR PORT TIMEOUT | send ADDR PORT BYTES TIMEOUT: one TCP
# transfer, timed from the connection to its end: the sender's end of
# it (recv), or the receiver's count of what it read (send, to a peer
# that answers with it); prints the bytes received and the milliseconds
import socket, sys, time
if sys.argv[1] == "recv":
    addr, port, timeout = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    s.settimeout(timeout)
    c, _ = s.accept()
    c.settimeout(timeout)
    t0, n = time.monotonic(), 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        n += len(b)
else:
    addr, port, total = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    end = time.monotonic() + float(sys.argv[5])
    while True:
        try:
            c = socket.create_connection((addr, port), timeout=2)
            break
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)
    c.settimeout(float(sys.argv[5]))
    t0, n, buf = time.monotonic(), 0, b"\0" * 65536
    while n < total:
        n += c.send(buf[:min(65536, total - n)])
    c.shutdown(socket.SHUT_WR)
    # the peer's count of what it read, once it has read it all
    said = b""
    while True:
        b = c.recv(64)
        if not b:
            break
        said += b
    n = int(said.strip() or 0)
print(n, int((time.monotonic() - t0) * 1000))
EOP

# from_guest NAME: the guest sends BYTES to the host's end; prints ms
port=5000
from_guest() {
	port=$((port + 1))
	in_ns python3 "$XFER" recv 10.77.0.1 $port 60 >"$T/xfer" 2>&1 & rp=$!
	wait_until 5 sh -c "ip netns exec $NETNS ss -ltn | grep -q ':$port '" ||
	    fail "the host's end does not listen"
	guest_type "$1" "dd if=/dev/zero bs=64k count=$((BYTES / 65536)) 2>/dev/null | nc 10.77.0.1 $port"
	wait $rp || fail "from $1: $(cat "$T/xfer")"
	set -- $(cat "$T/xfer")
	[ "$1" = "$BYTES" ] || fail "from the guest: $* (not $BYTES bytes)"
	echo "$2"
}

# to_guest NAME ADDR: the host's end sends BYTES to the guest, which
# answers with how many it read; prints ms
to_guest() {
	port=$((port + 1))
	guest_type "$1" "nc -l -p $port -e wc -c"
	in_ns python3 "$XFER" send "$2" $port $BYTES 60 >"$T/xfer" 2>&1 ||
	    fail "to $1: $(cat "$T/xfer")"
	set -- $(cat "$T/xfer")
	[ "$1" = "$BYTES" ] || fail "to the guest: $* (it read not $BYTES bytes)"
	echo "$2"
}

kbit() {
	echo "$((BYTES * 8 / $1)) kbit/s"
}

nic_field() {	# nic_field NAME IDX KEY
	fwsctl info "$1" --json | python3 -c \
	    "import json,sys; v=json.load(sys.stdin)['nics'][$2]['$3']; print('' if v is None else v)"
}

# tc_rate LINK: the rate of the link's root tbf, "" for none
tc_rate() {
	in_ns tc qdisc show dev "$1" root 2>/dev/null |
	    sed -n 's/^qdisc tbf .* rate \([^ ]*\) .*/\1/p'
}

ifbs() {
	in_ns ip -o link show type ifb | awk -F': ' '{ print $2 }' | sed 's/@.*//'
}

fwsctl net-create lan --bridge fwsbr0 --address 10.77.0.1/24 --open >/dev/null ||
    fail "net-create lan"

# --- create: the rate is kept and shown
create_guest v1 --net "lan,rate=2mbit" --append "$A fws.ip=10.77.0.2/24"
[ "$(nic_field v1 0 rate)" = $RATE ] || fail "v1's rate: $(nic_field v1 0 rate)"
fwsctl info v1 | grep -q "(tap fws[0-9]*\.0), 2Mbit each way" ||
    fail "info: $(fwsctl info v1 | grep nics)"

# --- bad rates and NICs: refused, nothing changed
save_definitions
for bad in "abc:invalid rate" "0:say the unit" "10:say the unit" \
    "0mbit:a rate is from 64kbit to 10Gbit" "11gbit:a rate is from" \
    "10mbps:say bits" "1.5mbit:whole number"; do
	expect_rc 2 fwsctl create x1 --kernel "$KERNEL" --net "lan,rate=${bad%%:*}"
	expect_err "${bad#*:}"
	# (set's rate=0 is none, as its other limits' =0)
	if [ "${bad%%:*}" != 0 ]; then
		expect_rc 2 fwsctl set v1 --nic-limit "0,rate=${bad%%:*}"
		expect_err "${bad#*:}"
	fi
	expect_rc 2 fwsctl nic-add v1 "lan,rate=${bad%%:*}"
	expect_err "${bad#*:}"
done
expect_rc 2 fwsctl create x1 --kernel "$KERNEL" --net "lan,speed=1mbit"
expect_err "say mac=MAC or rate=RATE"
expect_rc 1 fwsctl set v1 --nic-limit 1,rate=1mbit
expect_err "v1 has no NIC 1: its NICs are 0 to 0"
expect_rc 2 fwsctl set v1 --nic-limit 7,rate=1mbit
expect_err "NIC: its number in info"
expect_rc 2 fwsctl set v1 --nic-limit 0,rate=1mbit --vcpus 2
expect_err "goes alone"
raw '{"id":1,"cmd":"create","args":{"name":"x2","kernel":"'"$KERNEL"'","nics":[{"network":"lan","rate":10}]}}' |
    grep -q 'between 64000 and 10000000000' || fail "raw create with rate 10 not refused"
raw '{"id":1,"cmd":"create","args":{"name":"x2","kernel":"'"$KERNEL"'","nics":[{"network":"lan","rate":"10mbit"}]}}' |
    grep -q 'must be an integer' || fail "raw create with a string rate not refused"
raw '{"id":1,"cmd":"set","args":{"name":"v1","nic_limit":{"nic":0}}}' |
    grep -q 'say the rate' || fail "raw set without a rate not refused"
raw '{"id":1,"cmd":"set","args":{"name":"v1","nic_limit":{"nic":0,"rate":100000000},"vcpus":2}}' |
    grep -q 'request of its own' || fail "raw set of a rate and vcpus not refused"
raw '{"id":1,"cmd":"set","args":{"name":"v1","nic_limit":{"nic":-1,"rate":100000000}}}' |
    grep -q '"invalid_argument"' || fail "raw set of NIC -1 not refused"
raw '{"id":1,"cmd":"set","args":{"name":"v1","nic_limit":[0]}}' |
    grep -q 'must be an object' || fail "raw set of a list not refused"
same_definitions "after bad rates"
[ "$(fwsctl list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] ||
    fail "a refused create made a VM: $(fwsctl list)"
note "bad rates and NICs refused, nothing changed"

# --- running: the tap and its IFB shaped, at the rate each way
fwsctl start v1 >/dev/null || fail "start v1"
wait_console v1 FWS-GUEST-READY
tap=$(nic_field v1 0 tap)
ifb=fwi${tap#fws}
[ "$(tc_rate "$tap")" = 2Mbit ] || fail "tap $tap: $(in_ns tc qdisc show dev "$tap")"
[ "$(tc_rate "$ifb")" = 2Mbit ] || fail "IFB $ifb: $(in_ns tc qdisc show)"
in_ns tc filter show dev "$tap" ingress | grep -q "redirect to device $ifb" ||
    in_ns tc filter show dev "$tap" ingress | grep -q "Redirect to device $ifb" ||
    fail "no redirect to $ifb: $(in_ns tc filter show dev "$tap" ingress)"
out=$(from_guest v1)
in=$(to_guest v1 10.77.0.2)
note "limited to 2 Mbit/s: from the guest $(kbit "$out"), to it $(kbit "$in")"
[ "$out" -ge "$LEAST" ] || fail "1 MiB from the guest in $out ms: faster than the rate"
[ "$in" -ge "$LEAST" ] || fail "1 MiB to the guest in $in ms: faster than the rate"

# --- the limit taken away live: fast, no qdisc, no IFB
fwsctl set v1 --nic-limit 0,none | grep -q "no rate limit, in the running guest too" ||
    fail "set --nic-limit 0,none"
[ -z "$(tc_rate "$tap")" ] || fail "tap $tap still limited: $(tc_rate "$tap")"
[ -z "$(ifbs)" ] || fail "IFBs left: $(ifbs)"
[ -z "$(nic_field v1 0 rate)" ] || fail "v1's rate after none: $(nic_field v1 0 rate)"
fout=$(from_guest v1)
fin=$(to_guest v1 10.77.0.2)
note "unlimited: from the guest $(kbit "$fout"), to it $(kbit "$fin")"
[ $((fout * 2)) -lt "$out" ] || fail "unlimited, from the guest in $fout ms (limited: $out)"
[ $((fin * 2)) -lt "$in" ] || fail "unlimited, to the guest in $fin ms (limited: $in)"
fwsctl set v1 --nic-limit 0,rate=2mbit >/dev/null || fail "set the rate again"
[ "$(tc_rate "$tap")" = 2Mbit ] && [ "$(tc_rate "$ifb")" = 2Mbit ] ||
    fail "rate not back on $tap and $ifb"
fwsctl set v1 --nic-limit 0,rate=2mbit | grep -q "unchanged" || fail "the same rate again changed something"
expect_events v1 changed changed
fwsctl events v1 | grep -q "NIC 0 (.*) rate 2Mbit -> none, live" ||
    fail "no event for the rate's change: $(fwsctl events v1 | tail -3)"

# --- fwsd restarts: what went missing meanwhile is made again, an IFB
# whose tap is gone is swept away
kill -9 "$FWSD_PID"; wait "$FWSD_PID" 2>/dev/null; FWSD_PID=
in_ns tc qdisc del dev "$tap" root || fail "tc qdisc del"
in_ns ip link del "$ifb" || fail "ip link del $ifb"
in_ns ip link add fwi99.0 type ifb || fail "a stray IFB"
in_ns ip link add fwiother type ifb || fail "an IFB not of fwsd's"
start_fwsd
wait_until 10 state_is v1 running || fail "v1 not adopted"
[ "$(tc_rate "$tap")" = 2Mbit ] && [ "$(tc_rate "$ifb")" = 2Mbit ] ||
    fail "rate not made again after the restart: $(in_ns tc qdisc show)"
[ "$(ifbs | tr '\n' ' ')" = "fwiother $ifb " ] ||
    [ "$(ifbs | tr '\n' ' ')" = "$ifb fwiother " ] ||
    fail "IFBs after the restart: $(ifbs)"
in_ns ip link del fwiother
grep -q "rate 2Mbit on tap $tap again" "$T/fwsd.log" || fail "the log does not say"
out=$(from_guest v1)
note "after fwsd's restart: from the guest $(kbit "$out")"
[ "$out" -ge "$LEAST" ] || fail "after the restart, 1 MiB from the guest in $out ms"

# --- a NIC added live has its rate; removed, its IFB goes
fwsctl nic-add v1 "lan,rate=1mbit" | grep -q "rate 1Mbit, in the running guest too" ||
    fail "nic-add with a rate"
tap1=$(nic_field v1 1 tap)
[ "$(tc_rate "$tap1")" = 1Mbit ] || fail "new tap $tap1: $(in_ns tc qdisc show)"
[ "$(tc_rate "fwi${tap1#fws}")" = 1Mbit ] || fail "new IFB: $(in_ns tc qdisc show)"
fwsctl nic-remove v1 "$(nic_field v1 1 mac)" >/dev/null || fail "nic-remove"
[ "$(ifbs)" = "$ifb" ] || fail "IFBs after nic-remove: $(ifbs)"

# --- nothing left after a stop, nor after a crash
fwsctl stop v1 --timeout 0 >/dev/null || fail "stop v1"
[ -z "$(ifbs)" ] || fail "IFBs left after stop: $(ifbs)"
fwsctl set v1 --restart never >/dev/null || fail "set --restart never"
fwsctl start v1 >/dev/null || fail "start v1 again"
[ "$(tc_rate "$ifb")" = 2Mbit ] || fail "no IFB at the start"
kill -9 "$(field v1 pid)"
wait_until 30 sh -c "[ -z \"\$(ip netns exec $NETNS ip -o link show type ifb)\" ]" ||
    fail "IFBs left after a crash: $(ifbs)"
wait_until 30 state_is v1 crashed || fail "v1 is $(field v1 state) after a crash"
fwsctl start v1 >/dev/null || fail "start v1 once more"
[ "$(tc_rate "$ifb")" = 2Mbit ] || fail "no IFB at the start"
fwsctl destroy v1 >/dev/null || fail "destroy v1"
wait_until 30 sh -c "[ -z \"\$(ip netns exec $NETNS ip -o link show type ifb)\" ]" ||
    fail "IFBs left after destroy: $(ifbs)"
note "the rate survives fwsd's restart; no IFB after stop, crash, destroy, nic-remove"

# --- a template's rate; a flag wins
create_guest t1 --template lim --net lan
[ "$(nic_field t1 0 rate)" = 3000000 ] || fail "t1's rate: $(nic_field t1 0 rate)"
create_guest t2 --template lim --net "lan,rate=1mbit"
[ "$(nic_field t2 0 rate)" = 1000000 ] || fail "t2's rate: $(nic_field t2 0 rate)"
fwsctl templates | grep -q "^lim .* 3Mbit" || fail "templates: $(fwsctl templates)"

# --- a user's ceiling
make_user a
U=$MADE_USER
fwsctl quota-set "$U" --vm-net-rate 20mbit >/dev/null || fail "quota-set"
fwsctl quota-set "$U" --vms 6 >/dev/null || fail "quota-set --vms"
as "$U" fwsctl quota | grep -q "net rate per VM .* 20Mbit" || fail "quota: $(as "$U" fwsctl quota)"
ucreate() {
	n=$1; shift
	as "$U" fwsctl create "$n" --vcpus 1 --memory 128 --kernel "$KERNEL" "$@"
}
expect_rc 1 ucreate u1 --net "lan,rate=50mbit"
expect_err "quota exceeded: network rate per VM: asked for 50Mbit, allowed 20Mbit (quota_vm_net_rate)"
ucreate u1 --net lan >/dev/null || fail "the user's create without a rate: $(cat "$T/err")"
[ "$(nic_field u1 0 rate)" = 20000000 ] || fail "u1 escaped its ceiling: $(nic_field u1 0 rate)"
ucreate u2 --net lan --net lan >/dev/null || fail "two NICs without a rate: $(cat "$T/err")"
[ "$(nic_field u2 0 rate) $(nic_field u2 1 rate)" = "10000000 10000000" ] ||
    fail "u2's NICs do not share the ceiling: $(nic_field u2 0 rate) $(nic_field u2 1 rate)"
as "$U" fwsctl clone u2 u3 >/dev/null || fail "clone u2"
# a template's rate holds under the ceiling, the ceiling over it
ucreate u4 --template lim --net lan >/dev/null || fail "u4: $(cat "$T/err")"
ucreate u5 --template big --net lan >/dev/null || fail "u5: $(cat "$T/err")"
[ "$(nic_field u4 0 rate) $(nic_field u5 0 rate)" = "3000000 20000000" ] ||
    fail "templates under a ceiling: $(nic_field u4 0 rate) $(nic_field u5 0 rate)"
[ "$(nic_field u3 0 rate) $(nic_field u3 1 rate)" = "10000000 10000000" ] ||
    fail "u3 escaped its rates by a clone: $(nic_field u3 0 rate) $(nic_field u3 1 rate)"
save_definitions
expect_rc 1 as "$U" fwsctl set u1 --nic-limit 0,rate=30mbit
expect_err "quota exceeded"
as "$U" fwsctl set u1 --nic-limit 0,none >/dev/null || fail "set none under a ceiling"
expect_rc 1 as "$U" fwsctl nic-add u1 lan
expect_err "no rate is left"
expect_rc 1 as "$U" fwsctl nic-add u1 "lan,rate=1mbit"
expect_err "quota exceeded"
same_definitions "after the user's refusals"
[ "$(nic_field u1 0 rate)" = 20000000 ] || fail "u1's rate: $(nic_field u1 0 rate)"
as "$U" fwsctl set u1 --nic-limit 0,rate=5mbit >/dev/null || fail "set under the ceiling"
as "$U" fwsctl nic-add u1 "lan,rate=15mbit" >/dev/null || fail "nic-add within what is left"
# admins are not held by the ceiling
fwsctl --owner "$U" set u1 --nic-limit 0,rate=100mbit >/dev/null ||
    fail "an admin held by the ceiling"
expect_rc 2 fwsctl quota-set "$U" --vm-net-rate 1mbps
expect_err "say bits"
fwsctl quota-set "$U" --vm-net-rate none >/dev/null || fail "quota-set none"
as "$U" fwsctl quota | grep -q "net rate per VM .* none" || fail "quota: $(as "$U" fwsctl quota)"
as "$U" fwsctl set u1 --nic-limit 1,none >/dev/null || fail "no ceiling, no limit"
[ -z "$(nic_field u1 1 rate)" ] || fail "u1's NIC 1: $(nic_field u1 1 rate)"
note "a template's rate; the user's ceiling holds, and is the rate left out"

# --- deleted: nothing of ours remains
for v in v1 t1 t2 u1 u2 u3 u4 u5; do fwsctl delete "$v" >/dev/null || fail "delete $v"; done
fwsctl net-delete lan >/dev/null || fail "net-delete lan"
left=$(in_ns ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//' | grep -v '^lo$')
[ -z "$left" ] || fail "links left: $left"
