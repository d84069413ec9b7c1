# cluster-lib.sh: a two-node Corosync and Pacemaker cluster on
# migrate-lib.sh's two hosts (sourced after lib.sh and migrate-lib.sh,
# with MIG_NAMES=yes).  Node hosta is fwsd A's network namespace, node
# hostb fwsd B's; each node's corosync and pacemakerd run there under a
# UTS and mount namespace of their own (cluster-node.sh): the node's
# own host name, /etc/corosync, /var/lib/corosync, /var/lib/pacemaker,
# /var/log/pacemaker, /run and /dev/shm, its fwsd's socket at
# /run/fws/fwsd.sock, and the agent under test as ocf:fws:vm.  Corosync
# speaks knet over the hosts' veth, with an authkey made here, two_node.
# Fencing is off: stonith-enabled=false (nothing here can fence a node).
# on_node runs a command (crm_resource, crm_mon, ...) inside a node; the
# trap ends both nodes before lib.sh's cleanup: pacemakerd and corosync
# asked first, then every process left in a node's mount namespace
# (which only the node's processes have) killed.

CLUSTER=$T/cluster
NODES="hosta hostb"
NODE_hosta=
NODE_hostb=
# the mount namespace of each node: every process in it is the node's
MNT_hosta=
MNT_hostb=

# node_dir NAME
node_dir() {
	echo "$CLUSTER/$1"
}

# node_var NAME VAR: a node's NODE_ (shell PID) or MNT_ (namespace)
node_var() {
	eval "echo \"\${$2_$1}\""
}

# on_node NAME COMMAND...: the command inside the node's namespaces
on_node() {
	n=$1; shift
	nsenter -t "$(node_var "$n" NODE)" -n -u -m -- "$@"
}

# cluster_conf: corosync.conf of both nodes
cluster_conf() {
	cat <<EOC
totem {
	version: 2
	cluster_name: fws-test
	transport: knet
	crypto_cipher: aes256
	crypto_hash: sha256
}
nodelist {
	node {
		ring0_addr: $IP_A
		name: hosta
		nodeid: 1
	}
	node {
		ring0_addr: $IP_B
		name: hostb
		nodeid: 2
	}
}
quorum {
	provider: corosync_votequorum
	two_node: 1
}
logging {
	to_logfile: yes
	logfile: $CLUSTER/$1/corosync.log
	to_stderr: no
	to_syslog: no
	timestamp: on
}
EOC
}

# node_start NAME NETNS FWS_RUN: the node's directories, then its
# corosync and pacemakerd (cluster-node.sh)
node_start() {
	d=$(node_dir "$1")
	mkdir -p "$d/etc/corosync" "$d/var/lib/corosync" \
	    "$d/var/log/pacemaker"
	for s in cib pengine blackbox cores; do
		mkdir -p "$d/var/lib/pacemaker/$s"
	done
	chown -R hacluster:haclient "$d/var/lib/pacemaker" "$d/var/log/pacemaker"
	chmod 0750 "$d/var/lib/pacemaker"/*
	cluster_conf "$1" >"$d/etc/corosync/corosync.conf"
	install -m 0400 "$CLUSTER/authkey" "$d/etc/corosync/authkey"
	ip netns exec "$2" unshare --uts --mount --propagation private \
	    sh "$TOP/tests/integration/cluster-node.sh" "$1" "$d" "$3" \
	    "$CLUSTER/ocf" >>"$d/node.out" 2>&1 &
	wait_until 30 test -s "$d/node.pid" ||
	    fail "node $1 did not start: $(cat "$d/node.out" "$d/corosync.log" 2>/dev/null | tail -5)"
	pid=$(cat "$d/node.pid")
	eval "NODE_$1=$pid"
	eval "MNT_$1=$(readlink "/proc/$pid/ns/mnt")"
}

# cluster_start: both nodes, up and joined, a DC elected, fencing off
cluster_start() {
	command -v corosync >/dev/null && command -v pacemakerd >/dev/null &&
	    command -v crm_resource >/dev/null ||
	    fail "corosync, pacemaker or pacemaker-cli-utils missing (make check-cluster installs them)"
	mkdir -p "$CLUSTER/ocf/fws"
	chmod 0755 "$CLUSTER" "$CLUSTER/ocf" "$CLUSTER/ocf/fws"
	install -m 0755 "$TOP/contrib/ocf/fws" "$CLUSTER/ocf/fws/vm"
	head -c 256 /dev/urandom >"$CLUSTER/authkey"
	node_start hosta "$NETNS" "$T/run"
	node_start hostb "$NSB" "$T/b/run"
	wait_until 120 cluster_up hosta ||
	    fail "the cluster did not form: $(on_node hosta crm_mon -1 2>&1 | head -20)"
	on_node hosta crm_attribute -t crm_config -n stonith-enabled -v false ||
	    fail "stonith-enabled=false"
	# two_node keeps the quorum of a lone survivor; said again here
	on_node hosta crm_attribute -t crm_config -n no-quorum-policy -v ignore ||
	    fail "no-quorum-policy=ignore"
	note "fencing is off (stonith-enabled=false): a test cluster cannot fence"
}

# cluster_up NAME: seen from NAME, a DC and every node online
cluster_up() {
	on_node "$1" crm_mon -1 --output-as=xml 2>/dev/null | python3 -c '
import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.stdin).getroot()
dc = t.find("summary/current_dc")
nodes = {n.get("name"): n.get("online") for n in t.iter("node")
         if n.get("name")}
ok = dc is not None and dc.get("present") == "true" and \
    all(nodes.get(n) == "true" for n in sys.argv[1:])
sys.exit(0 if ok else 1)' ${2:-$NODES}
}

# runs_on SEEN_FROM RSC NODE: the cluster says RSC runs on NODE alone,
# with no action pending
runs_on() {
	[ "$(on_node "$1" crm_resource -Q -W -r "$2" 2>/dev/null)" = "$3" ] &&
	    on_node "$1" crm_mon -1 --output-as=xml 2>/dev/null | python3 -c '
import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.stdin).getroot()
r = [r for r in t.iter("resource") if r.get("id") == sys.argv[1]]
sys.exit(0 if r and r[0].get("role") == "Started" and
         r[0].get("active") == "true" and r[0].get("failed") == "false" and
         r[0].get("nodes_running_on") == "1" else 1)' "$2"
}

# node_stop NAME: its pacemakerd, gracefully (its resources go
# elsewhere first), then its corosync
node_stop() {
	d=$(node_dir "$1")
	p=$(cat "$d/pacemakerd.pid")
	kill -TERM "$p"
	wait_until 180 gone "$p" || fail "pacemakerd of $1 did not stop"
	c=$(cat "$d/corosync.pid")
	kill -TERM "$c"
	wait_until 60 gone "$c" || fail "corosync of $1 did not stop"
}

# node_pids NAME: every process in the node's mount namespace
node_pids() {
	mnt=$(node_var "$1" MNT)
	[ -n "$mnt" ] || return 0
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$mnt" ] &&
		    echo "${p#/proc/}"
	done
}

# cluster_cleanup: the cluster in maintenance (its resources left as
# they are: lib.sh's cleanup ends the qemus), each node's pacemakerd and
# corosync asked to stop (so that they reap their children), then
# whatever is left of the node killed; their mounts go with their
# namespace
cluster_cleanup() {
	for n in $NODES; do
		[ -n "$(node_pids "$n")" ] || continue
		timeout 10 nsenter -t "$(node_var "$n" NODE)" -n -u -m -- \
		    crm_attribute -t crm_config -n maintenance-mode -v true \
		    >/dev/null 2>&1 && break
	done
	for n in $NODES; do
		[ -n "$(node_pids "$n")" ] || continue
		d=$(node_dir "$n")
		if [ "$rc" != 0 ] && [ -f "$d/var/log/pacemaker/pacemaker.log" ]; then
			echo "--- $n: pacemaker log (last 20 lines) ---"
			tail -20 "$d/var/log/pacemaker/pacemaker.log"
		fi
		for f in pacemakerd corosync; do
			p=$(cat "$d/$f.pid" 2>/dev/null)
			[ -n "$p" ] && kill -TERM "$p" 2>/dev/null &&
			    wait_until 30 gone "$p"
		done
		pids=$(node_pids "$n")
		[ -n "$pids" ] && kill -9 $pids 2>/dev/null
		for p in $pids; do
			wait_until 10 gone "$p"
		done
	done
}
trap 'rc=$?; cluster_cleanup; (exit $rc); cleanup' EXIT
