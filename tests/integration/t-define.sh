# t-define.sh: definitions that travel.  Two fwsds (A and B, each with
# its own state, run directory, network namespace and cgroup subtree)
# share a disk_dir.  A VM made on A (an overlay on a library image and a
# disk of its own, two NICs, limits, pins, a loan, autostart) is dumped
# on A and defined on B: B's dump is A's.  While A runs it, B's start is
# refused as "in use by another qemu" and leaves no qemu; once A's is
# stopped, B boots it from the shared disks and the guest reads what it
# wrote on A.  define --new-disks makes empty disks of the same sizes
# (the overlay again on B's image of the same name).  Refused, nothing
# made: an unknown key, wrong types, a newer version, a host file or
# another user's disk as a disk, a taken uuid, MAC or name, a user's
# definition over their quota or of another owner, a huge or deeply
# nested definition.
. "$(dirname "$0")/lib.sh"
make_user a; UA=$MADE_USER
make_user b; UB=$MADE_USER
SHARED=$T/shared
write_config "disk_dir = $SHARED"
use_netns
start_fwsd
SOCKA=$SOCK
fwsctl net-create lan --bridge fwsbr0 --address 10.98.0.1/24 --open \
    >/dev/null || fail "net-create lan on A"

# --- B: a second fwsd, in a namespace of its own, sharing disk_dir
make_netns b; NSB=$MADE_NS
netns_resolv "$NSB" 127.0.0.1
mkdir -p "$T/b/state" "$T/b/run"
sed "s/^cgroup = .*/cgroup = $CGROUP_NAME-b/" "$T/fwsd.conf" >"$T/b/fwsd.conf"
SOCKB=$T/b/run/fwsd.sock
ip netns exec "$NSB" sh "$T/ns-cgroups" $FWSD_WRAP "$FWSD" --foreground \
    --verbose --config "$T/b/fwsd.conf" --state-dir "$T/b/state" \
    --run-dir "$T/b/run" >>"$T/fwsd-b.log" 2>&1 &
B_PID=$!
wait_until 10 test -S "$SOCKB" || fail "fwsd B did not start"
# on B COMMAND...: a command (fwsctl, a helper) against B
on_b() {
	SOCK=$SOCKB HOST_STATE=$T/b/state "$@"
}
HOST_STATE=$T/state
console_log() {
	echo "$HOST_STATE/vms/$1/console.log"
}
on_b fwsctl net-create lan --bridge fwsbr0 --address 10.98.0.1/24 --open \
    >/dev/null || fail "net-create lan on B"

# --- on A: a VM with everything a definition holds
printf BASE-MARK > "$T/images/base.raw"
truncate -s 32M "$T/images/base.raw"
create_guest v --base base --disk 16M,iops=200 --net lan,rate=8mbit \
    --net lan --cpu-weight 300 --cpu-max 0.5 --for 30d --autostart
fwsctl vcpu-pin v 0 0 >/dev/null || fail "vcpu-pin v"
fwsctl dump v >"$T/a.json" || fail "dump v on A"
python3 - "$T/a.json" "$SHARED" <<'EOP' || fail "A's dump: $(cat "$T/a.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["fws_definition"] == 1 and d["name"] == "v" and d["owner"] == 0
assert d["owner_name"] == "root" and d["autostart"] is True
assert d["cpu_weight"] == 300 and d["cpu_max"] == "0.5", d
assert d["pins"] == {"vcpus": {"0": "0"}} and d["loan_end"] > 0
assert [n["rate"] for n in d["nics"]] == [8000000, None], d["nics"]
assert len(d["disks"]) == 2 and d["disks"][1]["iops"] == 200
for i, k in enumerate(d["disks"]):
    assert k["index"] == i and k["owned"] and not k["readonly"]
    assert k["path"].startswith(sys.argv[2] + "/" + d["uuid"] + "/"), k
assert d["disks"][0]["backing"]["image"] == "base", d["disks"][0]
assert d["disks"][1]["backing"] is None
EOP
[ "$(cat "$SHARED/$(field v uuid)/owner")" = 0 ] ||
    fail "DISK_DIR/UUID/owner does not say root's"
fwsctl dump v --compact | python3 -c 'import json,sys; json.load(sys.stdin)' ||
    fail "dump --compact is no JSON"
note "dump: version, owner, sizes, limits, pins, loan, disks in disk_dir/UUID"

fwsctl start v >/dev/null || fail "start v on A"
wait_console v FWS-GUEST-READY
guest_type v "printf ON-HOST-A | dd of=/dev/vdb bs=512 seek=4 conv=fsync 2>/dev/null; echo MARKED-A"
wait_console v "^MARKED-A" 60

# --- B: the same definition; its dump is A's
on_b fwsctl define - <"$T/a.json" >"$T/out" 2>"$T/err" ||
    fail "define on B: $(cat "$T/err")"
grep -q "^defined v (uuid $(field v uuid)), lent until" "$T/out" ||
    fail "define said: $(cat "$T/out")"
on_b fwsctl dump v >"$T/b.json" || fail "dump v on B"
cmp -s "$T/a.json" "$T/b.json" ||
    fail "B's dump differs: $(diff "$T/a.json" "$T/b.json")"
on_b fwsctl events v --json | grep -q '"defined"' || fail "no defined event"
note "define on B: B's dump is A's, to the byte"

# --- one VM, one host: A runs it, B's start is refused, no qemu left
expect_rc 1 on_b fwsctl start v
expect_err "disk 0 ($SHARED/$(field v uuid)/disk0.qcow2) is in use by another qemu, perhaps on another host sharing the directory"
expect_err "qemu failed to start"
for p in /proc/[0-9]*; do
	{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q "qemu.*$T/b/" &&
	    fail "B's refused start left a qemu (${p#/proc/})"
done
[ "$(on_b field v state)" != running ] || fail "B's v runs"
note "B's start while A runs: refused, in use by another qemu, none left"

fwsctl destroy v >/dev/null || fail "destroy v on A"
on_b fwsctl start v >/dev/null 2>"$T/err" ||
    fail "start v on B: $(cat "$T/err")"
on_b wait_console v FWS-GUEST-READY
got=$(on_b guest_answer v SEEN '$(dd if=/dev/vdb bs=512 skip=4 count=1 2>/dev/null | head -c 9)')
[ "$got" = ON-HOST-A ] || fail "B's guest reads '$got', not A's mark"
on_b fwsctl destroy v >/dev/null || fail "destroy v on B"
note "stopped on A, v boots on B and reads what it wrote on A"

# --- define --new-disks: empty disks of the same sizes
python3 - "$T/a.json" "$T/n.json" <<'EOP'
import json, sys
d = json.load(open(sys.argv[1]))
d["uuid"] = "0f1e2d3c-4b5a-4697-8877-665544332211"
d["name"] = "n"
d["mac"] = "52:54:00:aa:00:01"
for i, n in enumerate(d["nics"]):
    n["mac"] = "52:54:00:aa:00:%02x" % (i + 1)
json.dump(d, open(sys.argv[2], "w"))
EOP
on_b fwsctl define --new-disks "$T/n.json" >/dev/null 2>"$T/err" ||
    fail "define --new-disks: $(cat "$T/err")"
N0=$SHARED/0f1e2d3c-4b5a-4697-8877-665544332211/disk0.qcow2
N1=$SHARED/0f1e2d3c-4b5a-4697-8877-665544332211/disk1.qcow2
qemu-img info -U --output=json "$N0" | python3 -c '
import json,sys; i=json.load(sys.stdin)
assert i["virtual-size"] == 32 << 20 and i["backing-filename"].endswith("/images/base.raw"), i' ||
    fail "n's disk 0 is no overlay on base of 32M"
qemu-img info -U --output=json "$N1" | python3 -c '
import json,sys; i=json.load(sys.stdin); assert i["virtual-size"] == 16 << 20, i' ||
    fail "n's disk 1 is not of 16M"
qemu-img convert -U -f qcow2 -O raw "$N1" "$T/n1.raw"
! grep -q ON-HOST-A "$T/n1.raw" || fail "n's new disk 1 holds A's mark"
on_b fwsctl delete n >/dev/null || fail "delete n"
[ ! -e "$SHARED/0f1e2d3c-4b5a-4697-8877-665544332211" ] ||
    fail "delete n left its DISK_DIR/UUID"
note "define --new-disks: an overlay again on base, an empty 16M disk"

# --- disk_dir: clone, disk-add, rename and delete with disks there
fwsctl clone v c >/dev/null 2>"$T/err" || fail "clone v: $(cat "$T/err")"
CU=$(field c uuid)
[ -f "$SHARED/$CU/disk1.qcow2" ] || fail "c's disk 1 is not in $SHARED/$CU"
fwsctl disk-add c 8M >/dev/null 2>"$T/err" || fail "disk-add c: $(cat "$T/err")"
[ -f "$SHARED/$CU/disk2.qcow2" ] || fail "c's new disk is not in $SHARED/$CU"
fwsctl rename c c2 >/dev/null || fail "rename c"
fwsctl dump c2 | grep -q "\"$SHARED/$CU/disk2.qcow2\"" ||
    fail "c2's disks moved: $(fwsctl dump c2)"
fwsctl disk-remove c2 2 >/dev/null || fail "disk-remove c2"
[ ! -e "$SHARED/$CU/disk2.qcow2" ] || fail "disk-remove left the file"
fwsctl delete c2 >/dev/null || fail "delete c2"
[ ! -e "$SHARED/$CU" ] || fail "delete c2 left $SHARED/$CU"
[ -f "$SHARED/$(field v uuid)/disk1.qcow2" ] || fail "v's disks went"
note "disk_dir: clone, disk-add, rename, disk-remove, delete"

# --- refused, nothing made
nvms() {
	on_b fwsctl list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
before=$(nvms)
# refused FILE WORDS [AS-USER]: define FILE on B is refused saying WORDS
refused() {
	if [ -n "${3-}" ]; then
		runuser -u "$3" -- "$FWSCTL_BIN" --socket "$SOCKB" define "$1" \
		    >"$T/out" 2>"$T/err" && fail "define $1 was made"
	else
		expect_rc 1 on_b fwsctl define "$1"
	fi
	expect_err "$2"
	[ "$(nvms)" = "$before" ] || fail "a refused define ($2) made a VM"
}
# edit KEY=PYTHON...: $T/e.json, A's definition with those keys changed
edit() {
	python3 - "$T/a.json" "$T/e.json" "$@" <<'EOP'
import json, sys
d = json.load(open(sys.argv[1]))
d["uuid"] = "aaaaaaaa-4b5a-4697-8877-665544332211"
d["name"] = "e"
d["mac"] = "52:54:00:bb:00:01"
for i, n in enumerate(d["nics"]):
    n["mac"] = "52:54:00:bb:00:%02x" % (i + 1)
for kv in sys.argv[3:]:
    k, v = kv.split("=", 1)
    exec("d%s = %s" % (k, v))
json.dump(d, open(sys.argv[2], "w"))
EOP
}
edit '["zz"]=1';		refused "$T/e.json" 'unknown argument "zz"'
edit '["vcpus"]="2"';		refused "$T/e.json" 'argument "vcpus" must be an integer'
edit '["disks"][0]["size"]="1G"';	refused "$T/e.json" 'disk 0: argument "size" must be an integer'
edit '["nics"]={}';		refused "$T/e.json" '"nics" must be an array'
edit '["fws_definition"]=2';	refused "$T/e.json" 'a definition of version 2: this fwsd reads version 1'
edit '["uuid"]="../../etc"';	refused "$T/e.json" 'invalid uuid'
python3 - "$T/a.json" "$T/e.json" <<'EOP'
import json, sys
d = json.load(open(sys.argv[1])); d["name"] = "other"
json.dump(d, open(sys.argv[2], "w"))
EOP
refused "$T/e.json" "uuid $(field v uuid) is VM v's on this host"
edit '["nics"][1]["mac"]="'"$(field v mac)"'"'
refused "$T/e.json" "MAC address $(field v mac) is already used by VM v"
edit '["name"]="v"';		refused "$T/e.json" "a VM named v already exists"
edit '["disks"]=[dict(d["disks"][1], path="/etc/shadow", format="raw", index=0)]'
refused "$T/e.json" "/etc/shadow"
note "refused: unknown key, wrong types, newer version, bad uuid, taken uuid, MAC, name, a host file"

# --- users: another owner, another user's disk, their quota
UIDA=$(uid_of "$UA"); UIDB=$(uid_of "$UB")
edit "[\"owner\"]=$UIDA" '["disks"]=[]' '["pins"]=None' '["cpu_weight"]=None' '["cpu_max"]=None'
cp "$T/e.json" "$T/ua.json"
edit '["disks"]=[]' '["pins"]=None'
refused "$T/e.json" "a user defines VMs of their own only" "$UA"
# user b's VM on A, its disk in the shared directory; user a names it
SOCK=$SOCKA as "$UB" fwsctl create w --kernel "$KERNEL" --initrd "$INITRD" \
    --disk 8M >/dev/null 2>"$T/err" || fail "user b's create: $(cat "$T/err")"
SOCK=$SOCKA as "$UB" fwsctl dump w >"$T/w.json" || fail "user b's dump"
python3 - "$T/w.json" "$T/e.json" "$UIDA" <<'EOP'
import json, sys
d = json.load(open(sys.argv[1])); d["owner"] = int(sys.argv[3])
d.pop("owner_name", None)
json.dump(d, open(sys.argv[2], "w"))
EOP
refused "$T/e.json" "outside" "$UA"
# and under another uuid, the same disk
python3 - "$T/e.json" <<'EOP'
import json, sys
d = json.load(open(sys.argv[1])); d["uuid"] = "bbbbbbbb-4b5a-4697-8877-665544332211"
json.dump(d, open(sys.argv[1], "w"))
EOP
refused "$T/e.json" "outside" "$UA"
on_b fwsctl quota-set "$UA" --vm-memory 128M >/dev/null || fail "quota-set"
refused "$T/ua.json" "quota" "$UA"
on_b fwsctl quota-set "$UA" --vm-memory default >/dev/null || fail "quota-set back"
runuser -u "$UA" -- "$FWSCTL_BIN" --socket "$SOCKB" define "$T/ua.json" \
    >/dev/null 2>"$T/err" || fail "user a's own definition: $(cat "$T/err")"
before=$(nvms)
note "users: another owner, another user's disk (its uuid or another), the quota"

# --- huge, deeply nested
python3 -c 'print("{\"fws_definition\":1,\"x\":" + "[" * 5000 + "]" * 5000 + "}")' >"$T/deep.json"
refused "$T/deep.json" "not JSON"
python3 -c 'print("{\"fws_definition\":1,\"append\":\"" + "a" * 70000 + "\"}")' >"$T/big.json"
refused "$T/big.json" "too large for a definition"
head -c 2000000 /dev/zero | tr '\0' ' ' >"$T/huge.json"
refused "$T/huge.json" "larger than"
deep=$(python3 -c 'print("[" * 3000 + "]" * 3000)')
SOCK=$SOCKB raw "{\"id\":1,\"cmd\":\"define\",\"args\":{\"definition\":$deep}}" >"$T/out"
grep -q '"ok":false' "$T/out" || fail "a deep request: $(cat "$T/out")"
SOCK=$SOCKB raw '{"id":1,"cmd":"define","args":{"definition":[1]}}' | grep -q "a definition is a JSON object" ||
    fail "a definition of an array was not refused"
[ "$(nvms)" = "$before" ] || fail "a refused define made a VM"
on_b fwsctl version >/dev/null || fail "fwsd B died"
note "refused: deeply nested, too large for a line, a huge file, not an object"

kill -TERM "$B_PID"
wait "$B_PID" 2>/dev/null
