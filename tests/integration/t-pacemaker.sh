# t-pacemaker.sh: fws VMs in a two-node Corosync and Pacemaker cluster
# on one machine, through the resource agent ocf:fws:vm.  Each node is
# an fwsd host of migrate-lib.sh (a network namespace, hosts joined by a
# veth, TLS between their fwsds, a shared disk_dir) and a cluster node
# of cluster-lib.sh (corosync and pacemakerd in that namespace, with a
# host name, /etc/corosync, /var/lib/pacemaker, /run and /dev/shm of
# its own).  Fencing is off.  A VM resource (allow-migrate, its
# definition on the shared directory, a preference for hosta) starts
# on hosta, and the agent publishes its vCPUs and memory as utilization;
# a qemu killed by hand is recovered by Pacemaker (its monitor fails,
# stop, start), not by fwsd (restart cluster: no restart of its own);
# crm_resource --move migrates it live to hostb and --clear back (the
# guest's counter goes on, no boot); stopping hosta's pacemakerd and
# corosync moves it to hostb, live too.  Only make check-cluster runs it
# (it needs corosync and pacemaker, and takes minutes).
# integration: cluster
. "$(dirname "$0")/lib.sh"
MIG_NAMES=yes
. "$(dirname "$0")/migrate-lib.sh"
. "$(dirname "$0")/cluster-lib.sh"

RSC=vm-o1
# a cluster's operations are slower than one fwsd's: generous waits
CL_WAIT=240

mig_hosts
create_guest o1 --disk 16M
fwsctl dump o1 >"$SHARED/o1.json" || fail "dump o1"
cluster_start

# --- the resource starts on hosta; utilization published
on_node hosta cibadmin -C -o resources -X "
<primitive id='$RSC' class='ocf' provider='fws' type='vm'>
  <instance_attributes id='$RSC-ia'>
    <nvpair id='$RSC-name' name='name' value='o1'/>
    <nvpair id='$RSC-def' name='definition' value='$SHARED/o1.json'/>
    <nvpair id='$RSC-sock' name='socket' value='/run/fws/fwsd.sock'/>
    <nvpair id='$RSC-ctl' name='fwsctl' value='$FWSCTL_BIN'/>
    <nvpair id='$RSC-uri' name='migration_uri' value='tls://%n'/>
    <nvpair id='$RSC-st' name='stop_timeout' value='10'/>
  </instance_attributes>
  <meta_attributes id='$RSC-meta'>
    <nvpair id='$RSC-mig' name='allow-migrate' value='true'/>
  </meta_attributes>
  <operations>
    <op id='$RSC-mon' name='monitor' interval='5s' timeout='30s'/>
    <op id='$RSC-start' name='start' interval='0' timeout='120s'/>
    <op id='$RSC-stop' name='stop' interval='0' timeout='60s'/>
    <op id='$RSC-mto' name='migrate_to' interval='0' timeout='120s'/>
    <op id='$RSC-mfrom' name='migrate_from' interval='0' timeout='60s'/>
  </operations>
</primitive>" || fail "cibadmin: the resource"
on_node hosta cibadmin -C -o constraints -X \
    "<rsc_location id='$RSC-prefers-a' rsc='$RSC' node='hosta' score='50'/>" ||
    fail "cibadmin: the location"
wait_until $CL_WAIT runs_on hostb "$RSC" hosta ||
    fail "$RSC did not start on hosta: $(on_node hostb crm_mon -1 2>&1 | tail -8)"
state_is o1 running || fail "o1 on A is $(field o1 state)"
[ "$(field o1 restart)" = cluster ] || fail "o1's policy: $(field o1 restart)"
util() {
	[ "$(on_node hostb crm_resource -Q -r "$RSC" -z -g "$1" 2>/dev/null)" = "$2" ]
}
wait_until 60 util cpu 1 && wait_until 60 util memory 256 ||
    fail "utilization: cpu $(on_node hostb crm_resource -Q -r "$RSC" -z -g cpu 2>&1), memory $(on_node hostb crm_resource -Q -r "$RSC" -z -g memory 2>&1)"
note "$RSC started on hosta (restart cluster); utilization cpu 1, memory 256"

# --- a qemu killed by hand: Pacemaker's recovery, not fwsd's
wait_console o1 FWS-GUEST-READY
pid=$(field o1 pid)
kill -9 "$pid"
failcount() {
	[ "$(on_node hostb crm_failcount -Q -G -r "$RSC" -N hosta 2>/dev/null)" -ge 1 ]
}
wait_until 60 failcount || fail "no failure counted: $(on_node hostb crm_mon -1 2>&1 | tail -8)"
wait_until $CL_WAIT runs_on hostb "$RSC" hosta ||
    fail "$RSC not recovered: $(on_node hostb crm_mon -1 2>&1 | tail -8)"
runs_anew o1 "$pid" || fail "o1 after the recovery: $(field o1 state)"
expect_events o1 crashed stopped starting started
events_of o1 | grep -qw restarting && fail "fwsd restarted o1 itself: $(events_of o1)"
cat "$(node_dir hosta)/var/log/pacemaker/pacemaker.log" \
    "$(node_dir hostb)/var/log/pacemaker/pacemaker.log" |
    grep -q "Recover.*$RSC" ||
    fail "no recovery of $RSC in the schedulers' logs"
wait_until "$BOOT_TIMEOUT" booted o1 2 || fail "o1 did not boot again"
on_node hostb crm_resource --cleanup -r "$RSC" >/dev/null ||
    fail "crm_resource --cleanup"
note "a killed qemu: monitor failed, Pacemaker recovered it (stop, start), fwsd did not restart it"

# --- crm_resource --move: a live migration to hostb, --clear: back
counter_start o1
before=$(counter_last "$(console_log o1)")
on_node hosta crm_resource --move -r "$RSC" -N hostb >/dev/null 2>&1 ||
    fail "crm_resource --move"
wait_until $CL_WAIT runs_on hosta "$RSC" hostb ||
    fail "$RSC did not move: $(on_node hosta crm_mon -1 2>&1 | tail -8)"
on_b state_is o1 running || fail "o1 on B: $(on_b field o1 state)"
on_b counter_goes_on o1 "$(on_b console_log o1)" "$before" >"$T/gap" ||
    exit 1
[ "$(on_b count_in_console o1 FWS-GUEST-READY)" = 0 ] || fail "o1 booted on B"
on_b expect_events o1 arriving arrived
note "--move: migrated live to hostb (the counter went on, largest gap $(cat "$T/gap") counts)"

before=$(counter_last "$(on_b console_log o1)")
on_node hosta crm_resource --clear -r "$RSC" >/dev/null 2>&1 ||
    fail "crm_resource --clear"
wait_until $CL_WAIT runs_on hostb "$RSC" hosta ||
    fail "$RSC did not come back: $(on_node hosta crm_mon -1 2>&1 | tail -8)"
counter_goes_on o1 "$(console_log o1)" "$before" >"$T/gap" || exit 1
[ "$(count_in_console o1 FWS-GUEST-READY)" = 0 ] || fail "o1 booted on A"
note "--clear: back to hosta (its preference), live again"

# --- hosta's cluster stack stops: the VM goes to hostb
before=$(counter_last "$(console_log o1)")
node_stop hosta
wait_until $CL_WAIT runs_on hostb "$RSC" hostb ||
    fail "$RSC not on hostb: $(on_node hostb crm_mon -1 2>&1 | tail -8)"
on_b state_is o1 running || fail "o1 on B: $(on_b field o1 state)"
on_b counter_goes_on o1 "$(on_b console_log o1)" "$before" >"$T/gap" ||
    exit 1
[ "$(on_b count_in_console o1 FWS-GUEST-READY)" = 0 ] ||
    fail "o1 booted on B: a stop and start, not a migration"
note "hosta's pacemakerd and corosync stopped: Pacemaker migrated $RSC live to hostb first"

# --- the end: the resource stopped by the cluster
on_node hostb crm_resource -r "$RSC" --meta -p target-role -v Stopped \
    >/dev/null 2>&1 || fail "target-role=Stopped"
wait_until $CL_WAIT on_b state_is o1 stopped ||
    fail "o1 on B: $(on_b field o1 state)"
note "target-role=Stopped: stopped"
