# t-net.sh: networks, inside network namespaces this test makes (never
# the host's).  Two guests on one bridge with static addresses ping each
# other; a guest gets its address from fwsd's dnsmasq and net-leases
# names it; a guest behind a NAT network reaches a peer namespace that
# has no route back to it.  Taps go with their qemu; a restart of fwsd
# keeps taps and dnsmasq; nothing (tap, bridge, rule, dnsmasq) is left
# once VMs and networks are deleted.  Bad inputs are refused clearly.
. "$(dirname "$0")/lib.sh"
use_netns
start_fwsd
A="$GUEST_APPEND"

# --- two guests on one bridge
fwsctl net-create lan --bridge fwsbr0 --address 10.77.0.1/24 >/dev/null ||
    fail "net-create lan: $(fwsctl net-create lan --bridge fwsbr0 2>&1)"
in_ns ip -o link show fwsbr0 | grep -q "link/ether fe:54:" ||
    fail "bridge fwsbr0 lacks its fixed MAC: $(in_ns ip -o link show fwsbr0)"
create_guest v1 --net lan --append "$A fws.ip=10.77.0.2/24"
create_guest v2 --net lan --restart never --append "$A fws.ip=10.77.0.3/24"
fwsctl start v1 >/dev/null && fwsctl start v2 >/dev/null || fail "start v1 v2"
wait_console v1 FWS-GUEST-READY
wait_console v2 FWS-GUEST-READY
[ "$(in_ns ip -o link show master fwsbr0 | wc -l)" = 2 ] ||
    fail "taps on fwsbr0: $(in_ns ip -o link show master fwsbr0)"
tap1=$(fwsctl info v1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["nics"][0]["tap"])')
in_ns ip -o link show "$tap1" | grep -q "master fwsbr0" || fail "v1's tap $tap1 not on fwsbr0"
guest_type v1 'ping -c 3 10.77.0.3'
wait_console v1 "3 packets received" 30
in_ns busybox ping -c 1 -W 5 10.77.0.3 >/dev/null || fail "the bridge cannot reach v2"
note "two guests ping each other"

# --- DHCP from fwsd's dnsmasq
fwsctl net-create dnet --bridge fwsbr1 --address 10.78.0.1/24 \
    --dhcp 10.78.0.100-10.78.0.150 >/dev/null || fail "net-create dnet"
dpid=$(fwsctl net-info dnet --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["dhcp_pid"])')
alive "$dpid" || fail "no dnsmasq for dnet"
create_guest v3 --net dnet --append "$A fws.dhcp"
fwsctl start v3 >/dev/null || fail "start v3"
wait_console v3 "FWS-GUEST-DHCP 10.78.0.1"
mac3=$(field v3 mac)
fwsctl net-leases dnet --json >"$T/leases" || fail "net-leases"
python3 - "$T/leases" "$mac3" <<'EOP' || fail "leases: $(cat "$T/leases")"
import json, sys
leases = json.load(open(sys.argv[1]))
assert any(l["mac"] == sys.argv[2] and l["vm"] == "v3" and
           l["ip"].startswith("10.78.0.1") for l in leases), leases
EOP
note "DHCP lease for v3"

# --- NAT out of the namespace's default route to a peer namespace
make_netns peer
PEER=$MADE_NS
in_ns ip link add up0 type veth peer name pe0 netns "$PEER" || fail "veth"
in_ns ip addr add 192.168.77.1/24 dev up0
in_ns ip link set up0 up
ip -n "$PEER" addr add 192.168.77.2/24 dev pe0
ip -n "$PEER" link set pe0 up
in_ns ip route add default via 192.168.77.2
fwsctl net-create wan --bridge fwsbr2 --address 10.79.0.1/24 --nat >/dev/null ||
    fail "net-create wan"
in_ns nft list table ip fws-wan >/dev/null || fail "no nft table fws-wan"
create_guest v4 --net wan --append "$A fws.ip=10.79.0.2/24 fws.gw=10.79.0.1"
fwsctl start v4 >/dev/null || fail "start v4"
wait_console v4 FWS-GUEST-READY
# the peer has no route to 10.79.0.0/24: only masquerading brings replies
guest_type v4 'ping -c 3 192.168.77.2'
wait_console v4 "3 packets received" 30
note "NAT to a peer namespace"

# --- bad inputs
expect_rc 1 fwsctl create x1 --net nosuch
expect_err "no network named"
expect_rc 1 fwsctl create x2 --net "lan,mac=$(field v1 mac)"
expect_err "already used by VM v1"
expect_rc 1 fwsctl net-create bad1 --bridge averyveryverylongbridgename
expect_err "longer than 15 characters"
expect_rc 1 fwsctl net-create lan2 --bridge fwsbr0
expect_err "fwsbr0"
expect_rc 1 fwsctl net-create bad2 --bridge fwsbr9 --address 10.80.0.1
expect_err "prefix"
expect_rc 1 fwsctl net-create bad3 --bridge fwsbr9 --address 10.80.0.1/24 --dhcp 10.81.0.2-10.81.0.9
expect_err "must lie in"
expect_rc 1 fwsctl net-create bad4 --bridge fwsbr9 --nat
expect_err "NAT needs"
expect_rc 1 fwsctl net-delete lan
expect_err "used by VM"
expect_rc 1 fwsctl net-stop lan
expect_err "running VM"
expect_rc 1 fwsctl net-info nosuch
expect_err "no network named"
expect_rc 1 fwsctl net-create up1 --bridge fwsbr8 --uplink nosuch0
expect_err "nosuch0"
! in_ns ip link show fwsbr8 >/dev/null 2>&1 || fail "a failed net-create left its bridge"
expect_rc 1 fwsctl net-info up1
in_ns ip link add fwsdum0 type veth peer name fwsdum1
expect_rc 1 fwsctl net-create dum --bridge fwsdum0
expect_err "fwsdum0"
in_ns ip link del fwsdum0
note "bad inputs refused"

# --- an uplink (the classic br0 over eno1): enslaved, released on delete
in_ns ip link add fwsup0 type veth peer name fwsup1
fwsctl net-create bridged --bridge fwsbr3 --uplink fwsup0 >/dev/null || fail "net-create bridged"
in_ns ip -o link show fwsup0 | grep -q "master fwsbr3" || fail "uplink not in fwsbr3"
fwsctl net-delete bridged >/dev/null || fail "net-delete bridged"
in_ns ip -o link show fwsup0 | grep -q "master" && fail "uplink still enslaved"
! in_ns ip link show fwsbr3 >/dev/null 2>&1 || fail "bridge fwsbr3 left"
in_ns ip link del fwsup0
note "uplink enslaved and released"

# --- fwsd restarts: taps stay on their bridges, dnsmasq is kept
kill -9 "$FWSD_PID"; wait "$FWSD_PID" 2>/dev/null; FWSD_PID=
start_fwsd
wait_until 10 state_is v1 running || fail "v1 not adopted"
fwsctl net-list --json | python3 -c 'import json,sys; n=json.load(sys.stdin); assert all(x["active"] for x in n), n' ||
    fail "networks not back up after the restart: $(fwsctl net-list)"
in_ns ip -o link show "$tap1" | grep -q "master fwsbr0" || fail "v1's tap lost its bridge"
[ "$(fwsctl net-info dnet --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["dhcp_pid"])')" = "$dpid" ] ||
    fail "dnsmasq replaced after an fwsd restart"
# (a line typed while the console changes hands may be lost, and the
# first packet may go before the tap is back: what counts is that
# packets pass, read from the output after this point)
off=$(wc -c < "$(console_log v1)")
passed() { tail -c +$((off + 1)) "$(console_log v1)" | grep -Eq ' [1-9] packets received'; }
guest_type v1 'ping -c 3 10.77.0.3'
wait_until 20 passed || { guest_type v1 'ping -c 3 10.77.0.3'; wait_until 20 passed; } ||
    fail "v1 cannot reach v2 after the restart: $(tail -c +$((off + 1)) "$(console_log v1)" | tail -5)"
note "fwsd restart keeps taps and dnsmasq"

# --- taps go with their qemu: stop, crash
fwsctl stop v1 --timeout 0 >/dev/null || fail "stop v1"
! in_ns ip link show "$tap1" >/dev/null 2>&1 || fail "tap $tap1 left after stop"
tap2=$(fwsctl info v2 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["nics"][0]["tap"])')
kill -9 "$(field v2 pid)"
wait_until 30 sh -c "! ip netns exec $NETNS ip link show $tap2 >/dev/null 2>&1" ||
    fail "tap $tap2 left after a crash"

# --- delete everything: nothing of ours remains
fwsctl shutdown-all --timeout 0 >/dev/null || fail "shutdown-all"
for v in v1 v2 v3 v4; do fwsctl delete "$v" >/dev/null || fail "delete $v"; done
for n in lan dnet wan; do fwsctl net-delete "$n" >/dev/null || fail "net-delete $n"; done
left=$(in_ns ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//' | grep -v -e '^lo$' -e '^up0$')
[ -z "$left" ] || fail "links left: $left"
[ -z "$(in_ns nft list tables)" ] || fail "nft tables left: $(in_ns nft list tables)"
! alive "$dpid" || fail "dnsmasq left running"
note "nothing left behind"
