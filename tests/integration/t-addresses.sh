# t-addresses.sh: a VM's addresses as its owner sees them, inside a
# network namespace this test makes.  A user's running VM shows what its
# network's DHCP leased it (info --json's nics[].addresses, list --json's
# addresses, fwsctl list's ADDRESS column); once the guest runs a guest
# agent, what the agent says (an address DHCP never gave shows).  What a
# lying agent says is checked: other NICs' MACs, malformed addresses,
# wrong types are left out, a NIC shows 16 addresses at most, and an
# answer that is no list of interfaces counts for nothing.  Another user
# sees nothing of it; a stopped VM has no address.
. "$(dirname "$0")/lib.sh"
make_user a; UA=$MADE_USER
make_user b; UB=$MADE_USER
use_netns
start_fwsd

fwsctl net-create lan --bridge fwsbr0 --address 10.95.0.1/24 \
    --dhcp 10.95.0.100-10.95.0.199 --open >/dev/null || fail "net-create lan"
as "$UA" fwsctl create web --vcpus 1 --memory 256 --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND fws.dhcp" --net lan \
    >/dev/null || fail "$UA create web"
as "$UA" fwsctl start web >/dev/null || fail "$UA start web"
CON=$(user_console "$UA" web)
wait_until "$BOOT_TIMEOUT" grep -q FWS-GUEST-DHCP "$CON" || fail "web: no DHCP"
IP=$(sed -n 's/^FWS-GUEST-DHCP \([0-9.]*\).*/\1/p' "$CON" | tail -n 1)
MAC=$(as "$UA" fwsctl info web --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["mac"])')

# in_web COMMAND: typed into the guest's shell
in_web() {
	printf '%s\n' "$1" | fwsctl --owner "$UA" console web >/dev/null \
	    2>"$T/err" || fail "console to web failed: $(cat "$T/err")"
}

# addrs_are WHO FROM ADDR...: WHO's info shows NIC 0 with exactly these
# addresses, from FROM ("agent" or "dhcp"), and list --json the same
addrs_are() {
	who=$1 from=$2
	shift 2
	as "$who" fwsctl info web --json >"$T/info" 2>&1 &&
	as "$who" fwsctl list --json >"$T/list" 2>&1 &&
	python3 - "$T/info" "$T/list" "$from" "$@" <<'EOP'
import json, sys
info, lst = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
frm, want = sys.argv[3], sys.argv[4:]
# the guest's own IPv6 link-local address may come and go
def sound(a):
    return [x for x in a if not x.startswith("fe80:")]
nic = info["nics"][0]
assert sound(nic["addresses"]) == want, nic
assert nic["addresses_from"] == (frm if want else None), nic
assert sound(info["addresses"]) == want, info
assert [sound(v["addresses"]) for v in lst if v["name"] == "web"] == [want], lst
EOP
}

# --- the lease, as the owner sees it
addrs_are "$UA" dhcp "$IP" || fail "web's addresses: $(cat "$T/info")"
as "$UA" fwsctl list >"$T/out" || fail "$UA list"
[ "$(awk 'NR == 1 { print $6 } NR == 2 { print $6 }' "$T/out" | tr '\n' ' ')" = "ADDRESS $IP " ] ||
    fail "list's ADDRESS column: $(cat "$T/out")"
as "$UA" fwsctl info web >"$T/out" || fail "$UA info"
grep -q "address $IP (leased by DHCP)" "$T/out" || fail "info: $(cat "$T/out")"
grep -q "named web (web.lan.fws in DNS)" "$T/out" ||
    fail "info lacks the names: $(cat "$T/out")"
note "the owner sees the leased address"

# --- another user sees nothing of it; the admin sees it
[ "$(as "$UB" fwsctl list --json | tr -d ' \n')" = "[]" ] ||
    fail "$UB's list: $(as "$UB" fwsctl list --json)"
as "$UB" fwsctl list | grep -qF "$IP" && fail "$UB's list shows $IP"
expect_rc 1 as "$UB" fwsctl info web
expect_err 'no VM named "web"'
expect_rc 1 as "$UB" fwsctl --owner "$UA" info web
expect_err "only admins act for another user"
expect_rc 1 as "$UB" fwsctl net-leases lan
expect_err "for admins only"
fwsctl --owner "$UA" info web --json | grep -qF "\"$IP\"" ||
    fail "the admin does not see web's address"
note "another user sees nothing of it"

# --- a guest agent: its addresses win, an address DHCP never gave shows
in_web "ip addr add 10.95.0.250/24 dev eth0; fws-agent &"
wait_until 60 grep -q FWS-GUEST-AGENT "$CON" || fail "the guest's agent did not start"
wait_until 30 addrs_are "$UA" agent "$IP" 10.95.0.250 ||
    fail "the agent's addresses never showed: $(cat "$T/info")"
as "$UA" fwsctl list | awk 'NR == 2 { print $6 }' | grep -qx "$IP" ||
    fail "list's ADDRESS is not the first IPv4: $(as "$UA" fwsctl list)"
note "the guest agent's addresses show"

# --- an agent that lies: only the sound addresses of web's own MAC
up=$(echo "$MAC" | tr 'a-f' 'A-F')
# (the port is one process's at a time: the old agent goes first)
in_web "killall fws-agent"
in_web "printf '%s' '[{\"name\":\"eth0\",\"hardware-address\":\"52:54:00:00:00:99\",\"ip-addresses\":[{\"ip-address-type\":\"ipv4\",\"ip-address\":\"10.95.0.77\",\"prefix\":24}]},' > /tmp/r1"
in_web "printf '%s' '{\"name\":\"x\",\"hardware-address\":\"$up\",\"ip-addresses\":[{\"ip-address-type\":\"ipv4\",\"ip-address\":\"999.1.1.1\"},{\"ip-address-type\":\"ipv4\",\"ip-address\":\"10.95.0.2; rm -rf /\"},{\"ip-address-type\":\"ipv6\",\"ip-address\":\"10.95.0.5\"},' >> /tmp/r1"
in_web "printf '%s' '{\"ip-address-type\":\"ipv4\",\"ip-address\":12345},{\"ip-address-type\":\"bogus\",\"ip-address\":\"10.95.0.6\"},\"no object\",{\"ip-address-type\":\"ipv4\",\"ip-address\":\"10.95.0.251\",\"prefix\":24},{\"ip-address-type\":\"ipv6\",\"ip-address\":\"FD00:0::1\"}]},' >> /tmp/r1"
in_web "printf '%s' '{\"hardware-address\":12,\"ip-addresses\":\"x\"},{\"hardware-address\":\"$MAC\"},\"junk\",null,[[[[1]]]]]' >> /tmp/r1; sleep 1; fws-agent /tmp/r1 &"
wait_until 30 addrs_are "$UA" agent 10.95.0.251 fd00::1 ||
    fail "a lying agent: $(cat "$T/info")"
note "a lying agent's malformed and foreign addresses are left out"

# --- 40 addresses: 16 shown
in_web "killall fws-agent"
in_web "{ printf '[{\"hardware-address\":\"$MAC\",\"ip-addresses\":['; for i in \$(seq 1 40); do printf '{\"ip-address-type\":\"ipv4\",\"ip-address\":\"10.95.1.%s\"},' \$i; done; printf '{}]}]'; } > /tmp/r2; sleep 1; fws-agent /tmp/r2 &"
wait_until 30 addrs_are "$UA" agent $(seq -f 10.95.1.%g 1 16) ||
    fail "40 addresses: $(cat "$T/info")"
# --- no list of interfaces (too many, or none at all): the lease again
in_web "killall fws-agent"
in_web "{ printf '['; for i in \$(seq 1 100); do printf '{\"hardware-address\":\"$MAC\"},'; done; printf '{}]'; } > /tmp/r3; sleep 1; fws-agent /tmp/r3 &"
wait_until 30 addrs_are "$UA" dhcp "$IP" ||
    fail "100 interfaces: $(cat "$T/info")"
in_web "killall fws-agent; sleep 1; fws-agent &"
wait_until 30 addrs_are "$UA" agent "$IP" 10.95.0.250 ||
    fail "a sound agent again: $(cat "$T/info")"
in_web "killall fws-agent; echo '\"x\"' > /tmp/r4; sleep 1; fws-agent /tmp/r4 &"
wait_until 30 addrs_are "$UA" dhcp "$IP" ||
    fail "a string for interfaces: $(cat "$T/info")"
note "at most 16 addresses; an answer that is no list counts for nothing"

# --- a stopped VM has no address
as "$UA" fwsctl stop web --timeout 0 >/dev/null || fail "$UA stop web"
addrs_are "$UA" dhcp || fail "a stopped VM's addresses: $(cat "$T/info")"
as "$UA" fwsctl list | awk 'NR == 2 { print $6 }' | grep -qx -- - ||
    fail "a stopped VM's ADDRESS: $(as "$UA" fwsctl list)"
note "a stopped VM has none"
