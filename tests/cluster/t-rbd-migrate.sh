# t-rbd-migrate.sh: a VM whose disk is an RBD image migrates live
# between two fwsd hosts without copying storage: both reach the same
# Ceph cluster (its daemons in host A's network namespace, on A's veth
# address, so B reaches them over the veth as qemu does), B's define
# finds the image there, and the guest's counter goes on at B, which
# reads what the guest wrote at A; A forgets the VM and leaves the image
# (B's now), which B's delete removes.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/migrate-lib.sh"

CEPH=$TOP/tests/cluster/ceph.sh
CEPH_DIR=$T/ceph
rbd_cleanup() {
	rc=$?
	[ -n "$NETNS" ] && ip netns exec "$NETNS" sh "$CEPH" down "$CEPH_DIR" \
	    >/dev/null 2>&1
	(exit $rc)
	cleanup
}
trap rbd_cleanup EXIT

# the two hosts first (the cluster lives on A's veth address), with
# their Ceph keys in the configuration fwsd reads at its next start
MIG_SHARED=no
MIG_EXTRA="ceph_conf = $CEPH_DIR/ceph.conf
ceph_user = fws
ceph_keyring = $T/fws.keyring
rbd_pools = fws"
ceph_up() {
	CEPH_ADDR=$IP_A ip netns exec "$NETNS" sh "$CEPH" up "$CEPH_DIR" fws ||
	    fail "the Ceph cluster did not start"
	cp "$CEPH_DIR/fws.keyring" "$T/fws.keyring"
}
MIG_BEFORE_START=ceph_up
mig_hosts
admin_rbd() {
	ip netns exec "$NETNS" sh "$CEPH" rbd "$CEPH_DIR" "$@"
}
note "two hosts, one Ceph cluster on A's veth address"

fwsctl create r --memory 128 --kernel "$KERNEL" --initrd "$INITRD" \
    --append "$GUEST_APPEND" --disk rbd:fws/r-disk,size=32M >/dev/null ||
    fail "create r: $(cat "$T/err" 2>/dev/null)"
fwsctl start r >/dev/null || fail "start r"
wait_console r FWS-GUEST-READY
guest_type r "printf RBD-MARK-A | dd of=/dev/vda bs=512 conv=fsync 2>/dev/null; echo WROTE-\$((40+2))"
wait_console r WROTE-42
counter_start r
before=$(counter_last "$(console_log r)")

fwsctl migrate r --to "tls://$IP_B" >"$T/out" 2>"$T/err" ||
    fail "migrate r to B: $(cat "$T/err")"
grep -q "copy" "$T/out" && fail "the storage was copied: $(cat "$T/out")"
on_b state_is r running || fail "r is $(on_b field r state) on B"
on_b counter_goes_on r "$(on_b console_log r)" "$before" >/dev/null
on_b fwsctl info r --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["disks"][0]["path"] == "rbd:fws/r-disk", d["disks"]
m = d["migration"]
assert not m["copy_storage"] and m["disk_bytes"] == 0, m' ||
    fail "B's r: $(on_b fwsctl info r --json)"
on_b guest_type r "dd if=/dev/vda bs=10 count=1 2>/dev/null; echo; echo READ-\$((40+2))"
wait_until 30 grep -q "RBD-MARK-A" "$(on_b console_log r)" ||
    fail "B's guest does not read A's write: $(tail -5 "$(on_b console_log r)")"
expect_rc 1 fwsctl info r
admin_rbd ls --pool fws | grep -qx r-disk || fail "the image went with A's VM"
note "r migrated A -> B over its RBD image, no storage copied; B reads A's write"

# the attack: a user's definition that calls an image its own does not
# make it theirs to delete (an admin's, as a migration's, does)
admin_rbd create --pool fws --image victim --size 16M || fail "rbd create victim"
make_user rbd
on_b fwsctl dump r | python3 -c '
import json, sys
d = json.load(sys.stdin)
d["uuid"] = "5f0e0c55-0d5e-4b8e-9a5e-0000000000aa"
d["name"] = "mine"
d["owner"] = int(sys.argv[1])
d["mac"] = "52:54:00:aa:bb:cc"
d["nics"] = []
d["pins"] = None
d["disks"][0]["path"] = "rbd:fws/victim"
d["disks"][0]["owned"] = True
d["disks"][0]["size"] = 16 << 20
print(json.dumps(d))' "$(id -u "$MADE_USER")" >"$T/mine.json" || fail "a definition"
chmod 0644 "$T/mine.json"
SOCK=$SOCKB as "$MADE_USER" fwsctl define "$T/mine.json" >/dev/null 2>"$T/err" ||
    fail "the user's define: $(cat "$T/err")"
SOCK=$SOCKB as "$MADE_USER" fwsctl info mine --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["disks"][0]
assert d["path"] == "rbd:fws/victim" and not d["owned"], d' ||
    fail "the user owns the image: $(SOCK=$SOCKB as "$MADE_USER" fwsctl info mine --json)"
SOCK=$SOCKB as "$MADE_USER" fwsctl delete mine >/dev/null || fail "the user's delete"
sleep 1
admin_rbd ls --pool fws | grep -qx victim || fail "the user's delete removed another's image"
note "a user's definition calling an image its own: attached, not theirs; kept at delete"

on_b fwsctl destroy r >/dev/null
on_b fwsctl delete r >/dev/null || fail "delete r on B"
# the removal ends after the reply (a killed qemu's watch lasts a while)
wait_until 120 sh -c "! ip netns exec '$NETNS' sh '$CEPH' rbd '$CEPH_DIR' ls --pool fws | grep -qx r-disk" ||
    fail "B's delete left the image"
note "B's delete removes the image, B's own since the migration"
