# t-migrate.sh: live migration between two fwsds.  Two "hosts", A and
# B, each an fwsd in a network namespace of its own (its own state, run
# directory and cgroup subtree), joined by a veth pair (10.251.N.1 and
# .2), with host certificates made by fws-tls-setup (each host's CN
# an admin in the other's tls_allowed) and a shared disk_dir.  A guest
# printing a counter every 100 ms on its serial console is migrated
# A -> B -> A: the counter never restarts (no boot on the destination,
# the numbers go on by one, a gap shows the downtime), the source
# forgets the VM, events on both hosts say where it went and whence it
# came, info --json on the destination has the figures; A's start of
# the VM it no longer has is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/migrate-lib.sh"

mig_hosts
mig_guest v

# --- A -> B
before=$(counter_last "$(console_log v)")
fwsctl migrate v --to "tls://$IP_B" >"$T/out" 2>"$T/err" ||
    fail "migrate v to B: $(cat "$T/err")"
grep -q "^migrated v to $IP_B in [0-9]* ms (downtime [0-9]* ms" "$T/out" ||
    fail "migrate said: $(cat "$T/out")"
[ -z "$(fwsctl list --json | python3 -c 'import json,sys; print(" ".join(v["name"] for v in json.load(sys.stdin)))')" ] ||
    fail "A still has v: $(fwsctl list)"
on_b state_is v running || fail "v is $(on_b field v state) on B"
on_b counter_goes_on v "$(on_b console_log v)" "$before" >"$T/gap"
[ "$(on_b count_in_console v FWS-GUEST-READY)" = 0 ] ||
    fail "the guest booted on B"
expect_events_on A v migrating migrated
on_b expect_events v defined arriving arrived
on_b fwsctl info v --json | python3 -c '
import json, sys
m = json.load(sys.stdin)["migration"]
assert m["from"] == sys.argv[1], m
assert m["total_ms"] > 0 and m["downtime_ms"] >= 0 and m["ram_bytes"] > 0 and 0 <= m["downtime_bytes"] <= m["ram_bytes"], m
print(m["total_ms"], m["downtime_ms"], m["ram_bytes"])' "$IP_A" >"$T/fig" ||
    fail "B's info lacks the figures: $(on_b fwsctl info v --json)"
note "A -> B: the counter goes on (largest gap $(cat "$T/gap") counts), no boot on B, A forgot v; total, downtime ms, bytes: $(cat "$T/fig")"

# --- B -> A, the same way back
before=$(counter_last "$(on_b console_log v)")
on_b fwsctl migrate v --to "tls://$IP_A" >"$T/out" 2>"$T/err" ||
    fail "migrate v back to A: $(cat "$T/err")"
state_is v running || fail "v is $(field v state) on A"
[ -z "$(on_b fwsctl list --json | python3 -c 'import json,sys; print(" ".join(v["name"] for v in json.load(sys.stdin)))')" ] ||
    fail "B still has v"
counter_goes_on v "$(console_log v)" "$before" >"$T/gap2"
[ "$(count_in_console v FWS-GUEST-READY)" = 0 ] || fail "the guest booted on A"
note "B -> A: the counter goes on from $before (largest gap $(cat "$T/gap2") counts)"

# --- one VM, one host: B no longer has it; a stopped VM does not migrate
expect_rc 1 on_b fwsctl start v
expect_err "no VM named"
fwsctl destroy v >/dev/null || fail "destroy v"
expect_rc 1 fwsctl migrate v --to "tls://$IP_B"
expect_err "only a running or paused guest migrates"
[ -z "$(on_b fwsctl list --json | python3 -c 'import json,sys; print(" ".join(v["name"] for v in json.load(sys.stdin)))')" ] ||
    fail "a refused migration left a VM on B"
note "B forgot v; a stopped VM's migration refused, nothing made on B"
