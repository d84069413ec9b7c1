# t-dns.sh: a network's name server, and the VMs' names on it, inside
# network namespaces this test makes.  A guest's DHCP answer carries
# fwsd's name server, its domain and the guest's own VM name; from it a
# guest resolves another VM's name; other names are forwarded to the
# resolver in the namespace's resolv.conf (an upstream of the test's in
# a peer namespace), never names under .fws, bare names or private
# reverse names.  A guest claiming another VM's name in DHCP, even after
# taking a MAC of its own, names nobody.  Two owners' VMs of one name
# are web and web-UID, first come first served; a VM made later is
# named at once (dnsmasq told), a deleted one's name is gone.  --dns
# and --no-dns are what the guests get; bad values are refused.
. "$(dirname "$0")/lib.sh"
make_user a; UA=$MADE_USER
make_user b; UB=$MADE_USER
use_netns
A="$GUEST_APPEND"

# --- an upstream resolver in a peer namespace: what fwsd's dnsmasq
# forwards to (the namespace's resolv.conf names it), logging every query
make_netns up
UP=$MADE_NS
in_ns ip link add fwsup0 type veth peer name fwsup1 netns "$UP" || fail "veth"
in_ns ip addr add 192.168.91.1/24 dev fwsup0
in_ns ip link set fwsup0 up
ip -n "$UP" addr add 192.168.91.2/24 dev fwsup1
ip -n "$UP" link set fwsup1 up
ip netns exec "$UP" /usr/sbin/dnsmasq --keep-in-foreground \
    --conf-file=/dev/null --no-resolv --no-hosts --user=root \
    --bind-interfaces --listen-address=192.168.91.2 \
    --address=/upstream.test/192.0.2.7 --log-queries --log-facility=- \
    --pid-file="$T/up.pid" >"$T/up.log" 2>&1 &
netns_resolv "$NETNS" 192.168.91.2
start_fwsd

# dhcp_ip FILE: the address the guest's console says DHCP gave it last
dhcp_ip() {
	sed -n 's/^FWS-GUEST-DHCP \([0-9.]*\).*/\1/p' "$1" | tail -n 1
}
# dns_line FILE: the guest's last FWS-GUEST-DNS line, without the tag
dns_line() {
	sed -n 's/^FWS-GUEST-DNS \(.*[^[:space:]]\)[[:space:]]*$/\1/p' "$1" |
	    tail -n 1
}
# resolve NAME: the addresses fwsd's name server on lan gives for NAME
resolve() {
	in_ns busybox nslookup "$1" 10.91.0.1 2>/dev/null |
	    awk '$1 == "Address:" && $2 !~ /:53$/ { print $2 }'
}

fwsctl net-create lan --bridge fwsbr0 --address 10.91.0.1/24 \
    --dhcp 10.91.0.100-10.91.0.199 --open >/dev/null || fail "net-create lan"
fwsctl net-info lan --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["dns"]
assert d == {"mode": "local", "domain": "lan.fws", "servers": ["10.91.0.1"]}, d' ||
    fail "net-info lan: $(fwsctl net-info lan --json)"

# --- two guests: what DHCP gives them, and each other's names
create_guest g1 --net lan --append "$A fws.dhcp"
create_guest g2 --net lan --append "$A fws.dhcp"
fwsctl start g1 >/dev/null && fwsctl start g2 >/dev/null || fail "start g1 g2"
wait_console g1 FWS-GUEST-DNS
wait_console g2 FWS-GUEST-DNS
ip1=$(dhcp_ip "$(console_log g1)")
ip2=$(dhcp_ip "$(console_log g2)")
[ "$(dns_line "$(console_log g1)")" = "10.91.0.1 domain lan.fws name g1" ] ||
    fail "g1's DHCP answer: $(dns_line "$(console_log g1)")"
[ "$(dns_line "$(console_log g2)")" = "10.91.0.1 domain lan.fws name g2" ] ||
    fail "g2's DHCP answer: $(dns_line "$(console_log g2)")"
fwsctl info g1 --json | python3 -c '
import json, sys
nic = json.load(sys.stdin)["nics"][0]
assert nic["hostname"] == "g1" and nic["dns_name"] == "g1.lan.fws", nic' ||
    fail "g1's names: $(field g1 nics)"
guest_type g1 "nslookup g2.lan.fws 2>&1 | sed 's/^/NS1 /'"
wait_console g1 "^NS1 Address: $ip2[^0-9]*\$" 30
guest_type g1 "nslookup g2 2>&1 | sed 's/^/NS2 /'"
wait_console g1 "^NS2 Address: $ip2[^0-9]*\$" 30
# other names go to the upstream
guest_type g1 "nslookup www.upstream.test 2>&1 | sed 's/^/NS3 /'"
wait_console g1 "^NS3 Address: 192.0.2.7" 30
note "a guest resolves another VM's name, and names upstream"

# --- local names are never forwarded: under .fws, bare, private reverse
[ -z "$(resolve nosuch.lan.fws)" ] || fail "nosuch.lan.fws resolves"
[ -z "$(resolve g1.other.fws)" ] || fail "g1.other.fws resolves"
guest_type g1 "nslookup nosuchname 2>&1 | sed 's/^/NS4 /'"
guest_type g1 "nslookup 10.91.0.250 2>&1 | sed 's/^/NS5 /'"
wait_console g1 "^NS5 " 30
sleep 1
grep -q "upstream.test" "$T/up.log" || fail "the upstream saw no query: $(cat "$T/up.log")"
grep -Eq "query.* (nosuch\.lan\.fws|g1\.other\.fws|nosuchname|[^ ]*\.fws|250\.0\.91\.10)" "$T/up.log" &&
    fail "local names were forwarded: $(grep query "$T/up.log")"
note "names under .fws, bare names and private reverse names stay local"

# --- a guest claims another's name: nothing changes
guest_type g2 "udhcpc -i eth0 -n -q -x hostname:g1 -s /etc/udhcpc.script"
wait_until 30 sh -c "[ \$(grep -c FWS-GUEST-DNS '$(console_log g2)') -ge 2 ]" ||
    fail "g2's second DHCP answer never came"
[ "$(dns_line "$(console_log g2)")" = "10.91.0.1 domain lan.fws name g2" ] ||
    fail "g2 claiming g1: $(dns_line "$(console_log g2)")"
[ "$(resolve g1.lan.fws)" = "$ip1" ] || fail "g1.lan.fws is $(resolve g1.lan.fws), not $ip1"
[ "$(resolve g2.lan.fws)" = "$ip2" ] || fail "g2.lan.fws is $(resolve g2.lan.fws), not $ip2"
# ... even from a MAC of its own, no VM's
guest_type g2 "ip link set eth0 down; ip link set eth0 address 52:54:00:de:ad:01; ip link set eth0 up; udhcpc -i eth0 -n -q -x hostname:g1 -s /etc/udhcpc.script"
wait_until 30 sh -c "[ \$(grep -c FWS-GUEST-DNS '$(console_log g2)') -ge 3 ]" ||
    fail "g2's DHCP answer for its new MAC never came"
case $(dns_line "$(console_log g2)") in
*"name -") ;;
*) fail "a MAC of no VM got a name: $(dns_line "$(console_log g2)")" ;;
esac
[ "$(resolve g1.lan.fws)" = "$ip1" ] || fail "g1.lan.fws is $(resolve g1.lan.fws) after a claim"
fwsctl net-leases lan --json | python3 -c '
import json, sys
for l in json.load(sys.stdin):
    if l["mac"] == "52:54:00:de:ad:01":
        assert l["vm"] is None and l["hostname"] is None, l
        break
else:
    raise SystemExit("no lease for the new MAC")' ||
    fail "net-leases: $(fwsctl net-leases lan --json)"
note "names a guest claims name nobody"
fwsctl destroy g1 >/dev/null && fwsctl destroy g2 >/dev/null || fail "destroy g1 g2"

# --- two owners, one name: web, then web-UID; the later one named at
# once (dnsmasq reads the names again), a deleted one's name is gone
as "$UA" fwsctl create web --vcpus 1 --memory 256 --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$A fws.dhcp" --net lan >/dev/null ||
    fail "$UA create web"
as "$UB" fwsctl create web --vcpus 1 --memory 256 --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$A fws.dhcp" --net lan >/dev/null ||
    fail "$UB create web"
ub=$(uid_of "$UB")
dn() {
	as "$1" fwsctl info web --json | python3 -c \
	    'import json,sys; print(json.load(sys.stdin)["nics"][0]["hostname"])'
}
[ "$(dn "$UA")" = web ] || fail "$UA's web is named $(dn "$UA")"
[ "$(dn "$UB")" = "web-$ub" ] || fail "$UB's web is named $(dn "$UB")"
as "$UA" fwsctl start web >/dev/null && as "$UB" fwsctl start web >/dev/null ||
    fail "start the webs"
ca=$(user_console "$UA" web)
cb=$(user_console "$UB" web)
wait_until "$BOOT_TIMEOUT" grep -q FWS-GUEST-DNS "$ca" || fail "$UA's web: no DHCP"
wait_until "$BOOT_TIMEOUT" grep -q FWS-GUEST-DNS "$cb" || fail "$UB's web: no DHCP"
[ "$(dns_line "$ca")" = "10.91.0.1 domain lan.fws name web" ] ||
    fail "$UA's web got: $(dns_line "$ca")"
[ "$(dns_line "$cb")" = "10.91.0.1 domain lan.fws name web-$ub" ] ||
    fail "$UB's web got: $(dns_line "$cb")"
[ "$(resolve web.lan.fws)" = "$(dhcp_ip "$ca")" ] ||
    fail "web.lan.fws is $(resolve web.lan.fws), not $UA's $(dhcp_ip "$ca")"
[ "$(resolve "web-$ub.lan.fws")" = "$(dhcp_ip "$cb")" ] ||
    fail "web-$ub.lan.fws is $(resolve "web-$ub.lan.fws")"
note "two owners' web: web and web-$ub"
as "$UA" fwsctl destroy web >/dev/null && as "$UA" fwsctl delete web >/dev/null ||
    fail "$UA delete web"
[ "$(dn "$UB")" = web ] || fail "$UB's web, alone now, is named $(dn "$UB")"
fwsctl --owner "$UB" destroy web >/dev/null || fail "destroy $UB's web"
note "a deleted VM's name passes on"

# --- --dns and --no-dns: what the guests get
fwsctl net-create pub --bridge fwsbr1 --address 10.92.0.1/24 \
    --dhcp 10.92.0.100-10.92.0.199 --dns 192.0.2.53,192.0.2.54 >/dev/null ||
    fail "net-create pub"
fwsctl net-create bare --bridge fwsbr2 --address 10.93.0.1/24 \
    --dhcp 10.93.0.100-10.93.0.199 --no-dns >/dev/null || fail "net-create bare"
fwsctl net-list --json | python3 -c '
import json, sys
d = {n["name"]: n["dns"] for n in json.load(sys.stdin)}
assert d["pub"] == {"mode": "servers", "domain": None,
                    "servers": ["192.0.2.53", "192.0.2.54"]}, d
assert d["bare"] == {"mode": "none", "domain": None, "servers": []}, d' ||
    fail "net-list: $(fwsctl net-list --json)"
create_guest p1 --net pub --append "$A fws.dhcp"
create_guest q1 --net bare --append "$A fws.dhcp"
fwsctl start p1 >/dev/null && fwsctl start q1 >/dev/null || fail "start p1 q1"
wait_console p1 FWS-GUEST-DNS
wait_console q1 FWS-GUEST-DNS
[ "$(dns_line "$(console_log p1)")" = "192.0.2.53,192.0.2.54 domain - name p1" ] ||
    fail "p1's DHCP answer: $(dns_line "$(console_log p1)")"
[ "$(dns_line "$(console_log q1)")" = "none domain - name q1" ] ||
    fail "q1's DHCP answer: $(dns_line "$(console_log q1)")"
fwsctl info p1 --json | python3 -c '
import json, sys
nic = json.load(sys.stdin)["nics"][0]
assert nic["hostname"] == "p1" and nic["dns_name"] is None, nic' ||
    fail "p1's names: $(field p1 nics)"
# neither network runs a name server
for addr in 10.92.0.1 10.93.0.1; do
	in_ns timeout 5 busybox nslookup p1 "$addr" >/dev/null 2>&1 &&
	    fail "a name server answers on $addr"
done
note "--dns and --no-dns are what the guests get"

# --- bad values, refused with the reason; nothing made
expect_rc 1 fwsctl net-create x1 --bridge fwsbr9 --address 10.94.0.1/24 \
    --dhcp 10.94.0.100-10.94.0.199 --dns 300.1.1.1
expect_err "not an IPv4 address"
expect_rc 1 fwsctl net-create x1 --bridge fwsbr9 --address 10.94.0.1/24 \
    --dhcp 10.94.0.100-10.94.0.199 --dns 2001:db8::53
expect_err "DHCP hands out IPv4 name servers"
expect_rc 1 fwsctl net-create x1 --bridge fwsbr9 --address 10.94.0.1/24 \
    --dhcp 10.94.0.100-10.94.0.199 --dns 0.0.0.0
expect_err "no name server can have"
expect_rc 1 fwsctl net-create x1 --bridge fwsbr9 --address 10.94.0.1/24 \
    --dhcp 10.94.0.100-10.94.0.199 --dns 224.0.0.1
expect_err "no name server can have"
expect_rc 1 fwsctl net-create x1 --bridge fwsbr9 --address 10.94.0.1/24 \
    --dhcp 10.94.0.100-10.94.0.199 --dns 192.0.2.1,192.0.2.1
expect_err "given twice"
expect_rc 1 fwsctl net-create x1 --bridge fwsbr9 --address 10.94.0.1/24 \
    --dhcp 10.94.0.100-10.94.0.199 --dns 192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4,192.0.2.5
expect_err "1 to 4 IPv4 addresses"
expect_rc 1 fwsctl net-create x1 --bridge fwsbr9 --address 10.94.0.1/24 \
    --dhcp 10.94.0.100-10.94.0.199 --dns 192.0.2.1 --no-dns
expect_err "not both"
expect_rc 1 fwsctl net-create x1 --bridge fwsbr9 --address 10.94.0.1/24 --dns 192.0.2.1
expect_err "needs --dhcp"
expect_rc 1 fwsctl net-create x1 --bridge fwsbr9 --no-dns
expect_err "needs --dhcp"
expect_rc 1 fwsctl net-create x1 --bridge fwsbr9 --address 10.94.0.1/24 \
    --dhcp 10.94.0.100-10.94.0.199 --dns ,
expect_err "IPv4"
# the protocol, typed wrong
for args in '"dns":"192.0.2.1"' '"dns":[1]' '"dns":[]' '"dns":{}' \
    '"no_dns":"yes"' '"dns":["192.0.2.1\u0000x"]'; do
	reply=$(raw "{\"id\":1,\"cmd\":\"net-create\",\"args\":{\"name\":\"x2\",\"bridge\":\"fwsbr9\",\"address\":\"10.94.0.1/24\",\"dhcp_start\":\"10.94.0.100\",\"dhcp_end\":\"10.94.0.199\",$args}}")
	echo "$reply" | grep -q '"code": *"invalid_argument"' ||
	    fail "net-create with $args: $reply"
done
fwsctl net-info x1 >/dev/null 2>&1 && fail "a refused net-create made x1"
fwsctl net-info x2 >/dev/null 2>&1 && fail "a refused net-create made x2"
! in_ns ip link show fwsbr9 >/dev/null 2>&1 || fail "a refused net-create left fwsbr9"
# users may not make networks at all
expect_rc 1 as "$UA" fwsctl net-create x3 --bridge fwsbr9 --no-dns
expect_err "for admins only"
note "bad name servers refused"

# --- the files of the names go with their networks
fwsctl shutdown-all --timeout 0 >/dev/null || fail "shutdown-all"
for v in g1 g2 p1 q1; do fwsctl delete "$v" >/dev/null || fail "delete $v"; done
fwsctl --owner "$UB" delete web >/dev/null || fail "delete $UB's web"
for n in lan pub bare; do
	fwsctl net-delete "$n" >/dev/null || fail "net-delete $n"
	[ ! -e "$T/run/net-$n.dhcp-hosts" ] || fail "net-$n.dhcp-hosts left"
done
note "nothing left behind"
