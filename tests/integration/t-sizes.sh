# t-sizes.sh: sizes as people type and read them.  A size says its unit,
# in any spelling (16M, 16m, 16MB, 16mb, 16MiB are one size: powers of
# 1024), in fwsctl's options and in fwsd.conf alike; a bare number is
# refused with a hint (it was bytes for --disk and MiB for --memory).
# fwsctl shows sizes in one style (512M, 1G, 1.5G) in list, info,
# templates, quota and snapshot-list, while --json keeps bytes and MiB.
. "$(dirname "$0")/lib.sh"
write_config "template.small = 1 vcpu, 1536 MiB, 1gb
quota_vm_disk = 30GiB"
start_fwsd

# bytes of every disk of a VM, from info --json
disk_bytes() {
	fwsctl info "$1" --json | python3 -c \
	    'import json,sys; print(" ".join(str(d["size"]) for d in json.load(sys.stdin)["disks"]))'
}

# one size, however its unit is written
for spec in 16M 16m 16MB 16mb 16MiB 16mib; do
	create_guest "d$spec" --disk "$spec"
	[ "$(disk_bytes "d$spec")" = 16777216 ] ||
	    fail "--disk $spec made $(disk_bytes "d$spec") bytes"
done
note "16M, 16m, 16MB, 16mb, 16MiB, 16mib: one size"

# a bare number is no size, wherever a size is typed
expect_rc 2 fwsctl create bare --disk 10 --kernel "$KERNEL"
expect_err "^fwsctl: --disk 10: say the unit, e.g. 10G$"
expect_rc 2 fwsctl quota-set root --vm-disk 5
expect_err "^fwsctl: --vm-disk 5: say the unit, e.g. 5G$"
fwsctl list --json | grep -q '"bare"' && fail "a refused create left a VM"
# --memory alone takes a bare number, as MiB
create_guest mib --memory 300
[ "$(field mib memory_mib)" = 300 ] || fail "--memory 300 is $(field mib memory_mib) MiB"
create_guest gib --memory 1gib
[ "$(field gib memory_mib)" = 1024 ] || fail "--memory 1gib is $(field gib memory_mib) MiB"
# fwsd.conf likewise, naming the key; fwsd does not start on it
printf 'max_disk_size = 10\n' > "$T/bare.conf"
"$FWSD" --foreground --config "$T/bare.conf" --state-dir "$T/bare-state" \
    --run-dir "$T/bare-run" >"$T/out" 2>&1 && fail "fwsd took max_disk_size = 10"
grep -q "max_disk_size = 10: say the unit, e.g. 10G" "$T/out" ||
    fail "fwsd's refusal: $(cat "$T/out")"
note "a bare number is refused with a hint, in fwsctl and fwsd.conf"

# shown in one style
fwsctl info d16M | grep -q "^disks .*(qcow2, made by fwsd, 16M)$" ||
    fail "info: $(fwsctl info d16M)"
fwsctl info gib | grep -q "^memory  *1G$" || fail "info: $(fwsctl info gib)"
fwsctl list | grep -q "^mib  *stopped  *1  *300M " || fail "list: $(fwsctl list)"
fwsctl templates | grep -q "^small  *1  *1.5G  *1G  *-  *-  *-  *-  *-$" ||
    fail "templates: $(fwsctl templates)"
fwsctl templates --json | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert len(t) == 1 and t[0]["name"] == "small", t
assert (t[0]["vcpus"], t[0]["memory_mib"], t[0]["disk"]) == (1, 1536, 1 << 30), t' ||
    fail "templates --json: $(fwsctl templates --json)"
fwsctl quota | grep -q "^disk per VM  *30G$" || fail "quota: $(fwsctl quota)"
fwsctl quota | grep -q "^memory per VM  *8G$" || fail "quota: $(fwsctl quota)"
fwsctl snapshot-create d16M first >/dev/null || fail "snapshot-create"
fwsctl snapshot-list d16M | grep -q "^d16M  *first .* no  *0B " ||
    fail "snapshot-list: $(fwsctl snapshot-list d16M)"
# no table holds raw bytes or a MiB count any more
for verb in list templates quota image-list "snapshot-list d16M"; do
	fwsctl $verb | grep -Eq '[0-9]{5,}|(^| )[0-9]+ ?(MiB|bytes)' &&
	    fail "$verb shows a raw count: $(fwsctl $verb)"
done
note "info, list, templates, quota, snapshot-list: one style; --json in bytes and MiB"
