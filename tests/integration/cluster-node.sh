#!/bin/sh
# cluster-node.sh NAME DIR FWS_RUN OCF_DIR: one node of a test's
# Corosync and Pacemaker cluster (cluster-lib.sh starts it under
# "ip netns exec NS unshare --uts --mount --propagation private", so
# that the node has the host's network namespace, its own host name and
# its own mounts).  Over the host's directories it mounts the node's
# own, from DIR: /etc/corosync, /var/lib/corosync, /var/lib/pacemaker,
# /var/log/pacemaker; a tmpfs on /run (with the node's fwsd run
# directory FWS_RUN at /run/fws, the same path on every node) and on
# /dev/shm (libqb's IPC buffers); OCF_DIR as /usr/lib/ocf/resource.d.
# None of it is seen outside, and all of it goes with the node's last
# process.  Then corosync and pacemakerd in the foreground, their PIDs
# in DIR/corosync.pid and DIR/pacemakerd.pid; this shell's own PID (a
# way into the node's namespaces) in DIR/node.pid once the node is up.
set -e
name=$1 dir=$2 fwsrun=$3 ocf=$4

hostname "$name"
for d in /etc/corosync /var/lib/corosync /var/lib/pacemaker \
    /var/log/pacemaker; do
	mount --bind "$dir$d" "$d"
done
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir /run/fws
mount --bind "$fwsrun" /run/fws
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount --bind "$ocf" /usr/lib/ocf/resource.d

corosync -f >>"$dir/corosync.out" 2>&1 &
echo $! >"$dir/corosync.pid"
# pacemakerd asks corosync's cmap what cluster it is in
i=0
until corosync-cmapctl totem.cluster_name >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 600 ] || { echo "corosync does not answer" >&2; exit 1; }
	sleep 0.1
done
PCMK_logfile=/var/log/pacemaker/pacemaker.log PCMK_logfacility=none \
    pacemakerd >>"$dir/pacemakerd.out" 2>&1 &
echo $! >"$dir/pacemakerd.pid"
echo $$ >"$dir/node.pid"
wait
