# t-ocf.sh: the resource agent contrib/ocf/fws (ocf:fws:vm) against
# live fwsds.  resource-agents' own ocf-tester passes it on a VM of
# fwsd A (meta-data valid against ra-api-1.dtd, probes, start, monitor,
# stop, starting a started and stopping a stopped resource).  monitor
# tells running (0), cleanly stopped (7) and failed (1: a qemu killed
# by hand), and the agent's stop then start recover it (fwsd itself
# does not: the agent gave it restart cluster).  On a node without the
# VM, start defines it from a definition file; migrate_to moves the
# running guest to host B (two hosts in namespaces, as t-migrate), and
# migrate_from on B finds it running.  Bad parameters are refused as
# OCF says (not installed, not configured).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/migrate-lib.sh"

command -v ocf-tester >/dev/null || fail "ocf-tester missing (resource-agents)"
# ocf-tester runs meta-data as nobody: the agent where nobody reads it
mkdir -p "$T/ocf" && chmod 0755 "$T/ocf"
AGENT=$T/ocf/vm
install -m 0755 "$TOP/contrib/ocf/fws" "$AGENT"

mig_hosts
create_guest o1 --disk 16M

# agent [on SOCKET] ACTION [VAR=VALUE...]: the agent as Pacemaker runs it
agent() {
	sock=$SOCK
	[ "$1" = on ] && { sock=$2; shift 2; }
	a=$1; shift
	env OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=vm-o1 \
	    OCF_RESKEY_name=o1 OCF_RESKEY_socket="$sock" \
	    OCF_RESKEY_fwsctl="$FWSCTL_BIN" OCF_RESKEY_CRM_meta_timeout=60000 \
	    OCF_RESKEY_stop_timeout=3 \
	    "$@" "$AGENT" "$a" >"$T/agent.out" 2>&1
}

# --- ocf-tester: the project's own test of an agent
# (a guest just started may not see the power button yet: a short stop)
ocf-tester -n vm-o1 -o name=o1 -o socket="$SOCK" -o fwsctl="$FWSCTL_BIN" \
    -o stop_timeout=2 "$AGENT" >"$T/tester" 2>&1 ||
    fail "ocf-tester: $(cat "$T/tester")"
grep -q "passed all tests" "$T/tester" || fail "ocf-tester said: $(cat "$T/tester")"
[ "$(field o1 restart)" = cluster ] || fail "o1's policy is $(field o1 restart)"
note "ocf-tester passes; the VM's policy is restart cluster"

# --- monitor: running, stopped, failed; recovery is the cluster's
agent start || fail "start: $(cat "$T/agent.out")"
agent monitor; [ $? = 0 ] || fail "monitor of a running VM: $(cat "$T/agent.out")"
kill -9 "$(field o1 pid)"
wait_until 10 state_is o1 crashed || fail "o1 after kill: $(field o1 state)"
agent monitor; rc=$?
[ "$rc" = 1 ] || fail "monitor of a crashed VM said $rc: $(cat "$T/agent.out")"
state_is o1 crashed || fail "fwsd restarted o1 itself: $(field o1 state)"
agent stop || fail "stop after the crash: $(cat "$T/agent.out")"
agent monitor; rc=$?
[ "$rc" = 7 ] || fail "monitor after stop said $rc"
boots=$(count_in_console o1 FWS-GUEST-READY)
agent start || fail "start after the crash: $(cat "$T/agent.out")"
state_is o1 running || fail "o1 is $(field o1 state) after the agent's start"
note "monitor: running 0, failed 1, stopped 7; stop and start recover"

# --- migrate_to A -> B, migrate_from on B
wait_until "$BOOT_TIMEOUT" booted o1 $((boots + 1)) || fail "o1 did not boot again"
counter_start o1
before=$(counter_last "$(console_log o1)")
agent migrate_to OCF_RESKEY_CRM_meta_migrate_target="$IP_B" \
    OCF_RESKEY_CRM_meta_migrate_source="$IP_A" ||
    fail "migrate_to: $(cat "$T/agent.out")"
agent on "$SOCKB" migrate_from OCF_RESKEY_CRM_meta_migrate_target="$IP_B" \
    OCF_RESKEY_CRM_meta_migrate_source="$IP_A" ||
    fail "migrate_from: $(cat "$T/agent.out")"
agent monitor; rc=$?
[ "$rc" = 7 ] || fail "monitor on A after the migration said $rc"
agent on "$SOCKB" monitor || fail "monitor on B: $(cat "$T/agent.out")"
on_b counter_goes_on o1 "$(on_b console_log o1)" "$before" >/dev/null
[ "$(on_b field o1 restart)" = cluster ] || fail "o1 on B: $(on_b field o1 restart)"
note "migrate_to moves the guest to B (its counter goes on), migrate_from finds it"

# --- start from a definition on a node that lacks the VM
on_b fwsctl dump o1 >"$T/o1.json" || fail "dump on B"
agent on "$SOCKB" stop || fail "stop on B: $(cat "$T/agent.out")"
expect_rc 6 agent start
grep -q "not defined on this node, and no definition" "$T/agent.out" ||
    fail "start without the VM or a definition: $(cat "$T/agent.out")"
agent start OCF_RESKEY_definition="$T/o1.json" ||
    fail "start from the definition: $(cat "$T/agent.out")"
state_is o1 running || fail "o1 on A: $(field o1 state)"
[ "$(field o1 uuid)" = "$(on_b field o1 uuid)" ] || fail "another uuid"
agent stop || fail "stop on A"
note "start defines the VM from its definition where it is missing"

# --- bad parameters, as OCF says
agent validate-all OCF_RESKEY_name='../x'; rc=$?
[ "$rc" = 6 ] || fail "a bad name: $rc (not configured is 6)"
agent validate-all OCF_RESKEY_fwsctl=/nonexistent/fwsctl; rc=$?
[ "$rc" = 5 ] || fail "no fwsctl: $rc (not installed is 5)"
agent monitor OCF_RESKEY_fwsctl=/nonexistent/fwsctl OCF_RESKEY_CRM_meta_interval=0; rc=$?
[ "$rc" = 7 ] || fail "a probe without fwsctl: $rc (not running is 7)"
agent validate-all OCF_RESKEY_migration_uri='ssh://b'; rc=$?
[ "$rc" = 6 ] || fail "a bad migration_uri: $rc"
agent migrate_to; rc=$?
[ "$rc" = 2 ] || fail "migrate_to without a target: $rc"
agent meta-data && xmllint --noout "$T/agent.out" || fail "meta-data is not XML"
note "bad parameters: not configured, not installed, a probe says not running"
