# t-cluster-policy.sh: restart cluster, the policy of a VM that a
# cluster manager starts, stops and moves: fwsd never fights it.  A
# crashed qemu is not restarted (the cluster's recovery does it);
# autostart cannot be turned on (create, set, the autostart verb), and
# turning the policy on turns autostart off; fwsd's start-up does not
# start it; its stop after a crash makes it stopped (what a cluster's
# agent asks); a bad policy is refused naming the good ones.
. "$(dirname "$0")/lib.sh"
start_fwsd

expect_rc 1 fwsctl create k0 --memory 128 --restart cluster --autostart
expect_err "cluster's resource (restart cluster)"
expect_rc 1 fwsctl info k0
expect_rc 1 fwsctl create k0 --memory 128 --restart sometimes
expect_err "always, on-failure, never or cluster"
note "create: autostart with restart cluster refused, a bad policy named"

create_guest k1 --autostart
fwsctl set k1 --restart cluster >/dev/null || fail "set --restart cluster"
[ "$(field k1 restart)" = cluster ] || fail "k1 restart: $(field k1 restart)"
[ "$(field k1 autostart)" = False ] || fail "k1 still autostarts"
fwsctl events k1 | grep -q "autostart off" || fail "no event for autostart off: $(fwsctl events k1)"
expect_rc 1 fwsctl autostart k1 on
expect_err "the cluster starts it, not fwsd"
expect_rc 1 fwsctl set k1 --autostart on
expect_err "the cluster starts it, not fwsd"
[ "$(field k1 autostart)" = False ] || fail "k1 autostart turned on"
note "restart cluster turns autostart off, and it stays off"

fwsctl start k1 >/dev/null || fail "start k1"
pid=$(field k1 pid)
kill -9 "$pid"
wait_until 10 state_is k1 crashed || fail "k1 after kill -9: $(field k1 state)"
# the first restart of a crash would be immediate: give it time to be wrong
sleep 3
state_is k1 crashed || fail "fwsd restarted a cluster's VM: $(field k1 state)"
fwsctl events k1 | grep -q "restarting" && fail "a restart was planned: $(fwsctl events k1)"
note "a crashed qemu of a cluster's VM is left to the cluster"
# the cluster's stop of a crashed VM: taken note of, stopped
fwsctl stop k1 >/dev/null || fail "stop of a crashed VM: $(cat "$T/err" 2>/dev/null)"
state_is k1 stopped || fail "k1 after stop: $(field k1 state)"
expect_rc 1 fwsctl destroy k1
expect_err "not running"
note "stop of a crashed VM: stopped; destroy: nothing to kill"

# a new fwsd's start-up (its autostart once per boot) leaves it alone
stop_fwsd
rm -f "$T/run/autostart.done"
start_fwsd
sleep 2
state_is k1 stopped || fail "fwsd's start-up started k1: $(field k1 state)"
fwsctl set k1 --restart on-failure >/dev/null || fail "back to on-failure"
fwsctl autostart k1 on >/dev/null || fail "autostart on once the cluster's no more"
note "fwsd's start-up leaves it alone; another policy lifts it"
