# t-hotplug-nic.sh: nic-add and nic-remove, inside network namespaces
# this test makes.  A NIC added to a running guest appears there
# (/sys/class/net/eth1, its MAC), its tap on the network's bridge, and
# pings the host's address on that bridge; the network's DHCP hosts file
# names it; it is still there after a stop and a start, and gone from
# the guest (its tap too) once removed.  A stopped VM's definition
# changes alone, in the lowest free slot, kept over an fwsd restart.
# The attacks: a closed network for a user, an unknown network, a bad
# MAC or another VM's, a fifth NIC, an unknown MAC to remove, another
# user's VM, a second request while one runs, garbage in raw requests,
# a live add on a network that is down; each refused with the
# definitions untouched.
. "$(dirname "$0")/lib.sh"
use_netns
make_user a; A=$MADE_USER
start_fwsd
GA="$GUEST_APPEND"

fwsctl net-create lan --bridge fwsbr0 --address 10.86.0.1/24 >/dev/null ||
    fail "net-create lan"
fwsctl net-create dnet --bridge fwsbr1 --address 10.87.0.1/24 \
    --dhcp 10.87.0.100-10.87.0.150 --open >/dev/null || fail "net-create dnet"
create_guest h1 --net lan --append "$GA fws.ip=10.86.0.2/24"

nnics() {
	fwsctl info "$1" --json | python3 -c \
	    "import json,sys; print(len(json.load(sys.stdin)['nics']))"
}
nic_field() {
	fwsctl info "$1" --json | python3 -c \
	    "import json,sys; n=json.load(sys.stdin)['nics']; print(n[$2]['$3'] if $2 < len(n) else 'none')"
}
# eth1 NAME: eth1's MAC as the guest reads it, "none" without
eth1() {
	guest_answer "$1" ETH1 '$(cat /sys/class/net/eth1/address 2>/dev/null || echo none)'
}
eth1_is() {
	[ "$(eth1 "$1")" = "$2" ]
}
hosts_file() {
	find "$T" -name net-dnet.dhcp-hosts 2>/dev/null | head -1
}
no_link() {
	! in_ns ip link show "$1" >/dev/null 2>&1
}

# --- live: added, seen, pings, kept through stop and start, removed
M1=52:54:00:86:01:01
fwsctl start h1 >/dev/null || fail "start h1"
wait_console h1 FWS-GUEST-READY
eth1_is h1 none || fail "eth1 before nic-add: $(eth1 h1)"
fwsctl nic-add h1 "dnet,mac=$M1" >"$T/out" || fail "nic-add live: $(cat "$T/err")"
grep -q "^h1: NIC $M1 on network dnet, in the running guest too$" "$T/out" ||
    fail "it said: $(cat "$T/out")"
wait_until 30 eth1_is h1 "$M1" || fail "the guest's eth1: $(eth1 h1)"
tap=$(nic_field h1 1 tap)
in_ns ip -o link show "$tap" | grep -q "master fwsbr1" || fail "tap $tap not on fwsbr1"
grep -q "^$M1,h1$" "$(hosts_file)" ||
    fail "the DHCP hosts file lacks the NIC: $(cat "$(hosts_file)")"
guest_type h1 'ip addr add 10.87.0.5/24 dev eth1; ip link set eth1 up; ping -c 3 10.87.0.1'
wait_console h1 "3 packets received" 30
expect_events h1 started nic
note "a NIC added live: eth1 with its MAC in the guest, pings the bridge, in DHCP's hosts"

fwsctl stop h1 >/dev/null || fail "stop h1"
fwsctl start h1 >/dev/null || fail "start h1 again"
wait_until "$BOOT_TIMEOUT" booted h1 2 || fail "h1 did not boot again"
eth1_is h1 "$M1" || fail "after stop and start, eth1: $(eth1 h1)"
note "still there after stop and start"

fwsctl nic-remove h1 "$M1" >"$T/out" || fail "nic-remove live: $(cat "$T/err")"
grep -q "^h1: NIC $M1 (network dnet) removed, from the running guest too$" \
    "$T/out" || fail "it said: $(cat "$T/out")"
eth1_is h1 none || fail "eth1 after nic-remove: $(eth1 h1)"
tap=$(nic_field h1 0 tap)
wait_until 10 no_link "${tap%.*}.1" || fail "the removed NIC's tap is left"
[ "$(nnics h1)" = 1 ] || fail "h1 has $(nnics h1) NICs"
grep -q "$M1" "$(hosts_file)" && fail "the DHCP hosts file keeps the NIC"
fwsctl nic-add h1 dnet >/dev/null || fail "nic-add again"
M2=$(nic_field h1 1 mac)
wait_until 30 eth1_is h1 "$M2" || fail "the new eth1: $(eth1 h1)"
fwsctl nic-remove h1 "$M2" >/dev/null || fail "nic-remove again"
eth1_is h1 none || fail "eth1 after the second nic-remove: $(eth1 h1)"
note "a NIC removed live: gone from the guest, its tap and its DHCP host gone"

# --- stopped: the definition alone, the lowest free slot
fwsctl stop h1 >/dev/null || fail "stop h1"
fwsctl nic-add h1 lan --json >"$T/out" || fail "nic-add stopped"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['nic'] == 1 and r['network'] == 'lan' and not r['live'], r" \
    "$T/out" || fail "it said: $(cat "$T/out")"
fwsctl nic-add h1 dnet,mac=52:54:00:86:01:03 >/dev/null || fail "nic-add a third"
[ "$(nnics h1)" = 3 ] || fail "h1 has $(nnics h1) NICs"
M2=$(nic_field h1 1 mac)
fwsctl nic-remove h1 "$M2" >/dev/null || fail "nic-remove stopped"
[ "$(nic_field h1 1 mac)" = 52:54:00:86:01:03 ] || fail "NIC 1 is $(nic_field h1 1 mac)"
stop_fwsd
start_fwsd
[ "$(nnics h1)" = 2 ] || fail "after a restart h1 has $(nnics h1) NICs"
[ "$(nic_field h1 1 network)" = dnet ] || fail "after a restart NIC 1 is on $(nic_field h1 1 network)"
note "a stopped VM's NICs added and removed, kept over a restart"

# --- refused, nothing changed
create_guest h2 --net lan
save_definitions
expect_rc 1 fwsctl nic-add h1 nosuch
expect_err "no network named \"nosuch\""
expect_rc 1 fwsctl nic-add h1 "lan,mac=$(nic_field h2 0 mac)"
expect_err "already used by VM h2"
expect_rc 1 fwsctl nic-add h1 "lan,mac=52:54:00:86:01:03"
expect_err "has a NIC with MAC address 52:54:00:86:01:03 already"
expect_rc 2 fwsctl nic-add h1 "lan,mac=52:54:00:zz:00:01"
expect_err "invalid MAC address"
expect_rc 2 fwsctl nic-add h1 "lan,mac=01:00:5e:00:00:01"
expect_err "multicast"
expect_rc 2 fwsctl nic-add h1 "../lan"
expect_rc 1 fwsctl nic-remove h1 52:54:00:86:99:99
expect_err "h1 has no NIC with MAC address 52:54:00:86:99:99"
expect_rc 2 fwsctl nic-remove h1 banana
expect_rc 2 fwsctl nic-add h1
fwsctl nic-add h1 lan >/dev/null && fwsctl nic-add h1 lan >/dev/null ||
    fail "NICs 3 and 4"
save_definitions
expect_rc 1 fwsctl nic-add h1 lan
expect_err "h1 has 4 NICs, the most a VM may have"
for bad in '"network":5' '"network":"lan","mac":7' '"network":"lan","mac":"zz"' \
    '"network":"lan","mac":"01:00:5e:00:00:01"' '"mac":"52:54:00:86:01:09"' \
    '"network":"../../etc"' '"network":"lan","bogus":1' '"network":["lan"]'; do
	raw "{\"id\":1,\"cmd\":\"nic-add\",\"args\":{\"name\":\"h2\",$bad}}" |
	    grep -q '"invalid_argument"' || fail "fwsd took nic-add with $bad"
done
for bad in '' ',"mac":null' ',"mac":"52-54-00-86-01-03"' ',"mac":{}'; do
	raw "{\"id\":1,\"cmd\":\"nic-remove\",\"args\":{\"name\":\"h1\"$bad}}" |
	    grep -q '"invalid_argument"' || fail "fwsd took nic-remove with '$bad'"
done
raw '{"id":1,"cmd":"nic-add","args":"lan"}' | grep -q '"ok":false' ||
    fail "fwsd took nic-add with args a string"
same_definitions "refusals"
note "unknown networks, bad and taken MACs, a fifth NIC, an unknown MAC, garbage refused"

# --- a user: closed networks, another user's VM
fwsctl net-create priv --bridge fwsbr2 --address 10.88.0.1/24 >/dev/null ||
    fail "net-create priv"
as "$A" fwsctl create u1 --memory 128 --kernel "$KERNEL" --initrd "$INITRD" \
    --append "$GA" >/dev/null || fail "create u1"
save_definitions
expect_rc 1 as "$A" fwsctl nic-add u1 priv
expect_err "no network named \"priv\" open to users"
expect_rc 1 as "$A" fwsctl nic-add u1 lan
expect_err "no network named \"lan\" open to users"
expect_rc 1 as "$A" fwsctl nic-add u1 "dnet,mac=$(nic_field h2 0 mac)"
expect_err "is already in use"
grep -q "h2" "$T/err" && fail "a user was told another owner's VM: $(cat "$T/err")"
expect_rc 1 as "$A" fwsctl nic-add h1 dnet
expect_err "no VM named \"h1\""
expect_rc 1 as "$A" fwsctl nic-remove h2 "$(nic_field h2 0 mac)"
expect_err "no VM named \"h2\""
same_definitions "a user's refused requests"
as "$A" fwsctl nic-add u1 dnet >/dev/null || fail "a user's NIC on an open network"
[ "$(nnics u1)" = 1 ] || fail "u1 has $(nnics u1) NICs"
as "$A" fwsctl delete u1 >/dev/null || fail "delete u1"
note "closed networks refused to a user, another user's VM not found"

# --- busy: a paused guest cannot let its NIC go, so the removal waits
fwsctl delete h2 >/dev/null || fail "delete h2"
fwsctl nic-remove h1 "$(nic_field h1 3 mac)" >/dev/null || fail "nic-remove NIC 3"
fwsctl nic-remove h1 "$(nic_field h1 2 mac)" >/dev/null || fail "nic-remove NIC 2"
fwsctl start h1 >/dev/null || fail "start h1"
wait_until "$BOOT_TIMEOUT" booted h1 3 || fail "h1 did not boot a third time"
M3=52:54:00:86:01:03
fwsctl pause h1 >/dev/null || fail "pause h1"
fwsctl nic-remove h1 "$M3" >"$T/slow.out" 2>&1 &
REMOVER=$!
nic_job() {
	fwsctl info h1 --json | python3 -c \
	    "import json,sys; j=json.load(sys.stdin)['job']; sys.exit(0 if j and j['kind'] == 'nic' else 1)"
}
wait_until 10 nic_job || fail "no NIC job seen"
expect_rc 1 fwsctl nic-add h1 lan
expect_err "busy"
expect_rc 1 fwsctl nic-remove h1 "$M3"
expect_err "busy"
[ "$(nnics h1)" = 2 ] || fail "h1 has $(nnics h1) NICs while the removal waits"
fwsctl resume h1 >/dev/null || fail "resume h1"
wait "$REMOVER" || fail "the waiting nic-remove failed: $(cat "$T/slow.out")"
[ "$(nnics h1)" = 1 ] || fail "h1 has $(nnics h1) NICs after the removal"
eth1_is h1 none || fail "eth1 after the waited removal: $(eth1 h1)"
note "busy while a NIC job runs"

# --- a live add that cannot be made leaves nothing behind
fwsctl net-create down --bridge fwsbr3 --address 10.89.0.1/24 >/dev/null ||
    fail "net-create down"
fwsctl net-stop down >/dev/null || fail "net-stop down"
save_definitions
expect_rc 1 fwsctl nic-add h1 down
expect_err "network down is not started"
same_definitions "a NIC on a network that is down"
[ "$(in_ns ip -o link show | grep -c "${tap%.*}\.")" = 1 ] ||
    fail "taps of h1: $(in_ns ip -o link show | grep "${tap%.*}\.")"
fwsctl destroy h1 >/dev/null
note "a live add on a network that is down refused, no tap left"
