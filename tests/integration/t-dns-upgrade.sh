# t-dns-upgrade.sh: a network's dnsmasq started by an older fwsd (DHCP
# only, --port=0) is found at start-up, stopped and replaced by one with
# this fwsd's options: the network's name server answers, the VMs'
# names file is read; one started with today's options is kept.
. "$(dirname "$0")/lib.sh"
use_netns
start_fwsd

dhcp_pid() {
	fwsctl net-info lan --json | python3 -c \
	    'import json,sys; print(json.load(sys.stdin)["dhcp_pid"])'
}

fwsctl net-create lan --bridge fwsbr0 --address 10.97.0.1/24 \
    --dhcp 10.97.0.100-10.97.0.150 >/dev/null || fail "net-create lan"
pid=$(dhcp_pid)
stop_fwsd
kill "$pid"
wait_until 10 gone "$pid" || fail "dnsmasq $pid did not stop"
# what an older fwsd ran: DHCP alone
in_ns /usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null \
    --port=0 --bind-interfaces --interface=fwsbr0 --except-interface=lo \
    --dhcp-range=10.97.0.100,10.97.0.150,255.255.255.0,1h \
    --dhcp-authoritative --log-dhcp --log-facility=- \
    --dhcp-leasefile="$T/state/networks/lan/leases" \
    --pid-file="$T/run/net-lan.dnsmasq.pid" >>"$T/old.log" 2>&1 &
wait_until 10 test -s "$T/run/net-lan.dnsmasq.pid" || fail "the old dnsmasq did not start"
old=$(cat "$T/run/net-lan.dnsmasq.pid")

start_fwsd
wait_until 10 gone "$old" || fail "the old dnsmasq $old was kept"
wait_until 10 sh -c "[ \"\$('$FWSCTL_BIN' --socket '$SOCK' net-info lan --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[\"dhcp_pid\"])')\" != None ]" ||
    fail "no dnsmasq after the old one: $(fwsctl net-info lan --json)"
new=$(dhcp_pid)
tr '\0' ' ' < "/proc/$new/cmdline" | grep -q -- "--dhcp-hostsfile=$T/run/net-lan.dhcp-hosts --dhcp-ignore-names" ||
    fail "the new dnsmasq lacks the names: $(tr '\0' ' ' < "/proc/$new/cmdline")"
in_ns busybox nslookup nosuch.lan.fws 10.97.0.1 2>&1 | grep -q "NXDOMAIN" ||
    fail "no name server on lan: $(in_ns busybox nslookup nosuch.lan.fws 10.97.0.1 2>&1)"
note "an older fwsd's dnsmasq is replaced"

restart_fwsd
[ "$(dhcp_pid)" = "$new" ] || fail "a current dnsmasq was replaced on restart"
note "a current one is kept"
