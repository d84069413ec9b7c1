#!/bin/sh
# ceph.sh: a throwaway one-node Ceph cluster for the tests, all of it in
# one directory: a monitor on 127.0.0.1 (or CEPH_ADDR; msgr v2, a free
# port), a manager and one OSD keeping its objects in memory (memstore), cephx
# with a generated admin key, one size-1 pool per name given and a key
# for client.fws with the rbd profile on those pools alone.  Every daemon
# runs as root in the foreground of a child of ours, its PID kept in
# DIR/pids; nothing is read from or written to /etc/ceph or /var/lib/ceph.
#
#   ceph.sh up DIR [POOL...]   make DIR (it must not exist) and start;
#                              DIR/ceph.conf, DIR/admin.keyring and
#                              DIR/fws.keyring are then there (pools: fws)
#   ceph.sh down DIR           end every daemon of DIR by PID, remove DIR
#   ceph.sh admin DIR ARGS...  run "ceph ARGS" as client.admin
#   ceph.sh rbd DIR ARGS...    run "rbd ARGS" as client.admin
#
# It fails (and tears down what it started) unless the pools take I/O
# within CEPH_UP_TIMEOUT seconds (90).
set -u

usage() {
	echo "usage: ceph.sh up|down|admin|rbd DIR [ARGS...]" >&2
	exit 2
}

[ $# -ge 2 ] || usage
verb=$1
D=$2
shift 2
TIMEOUT=${CEPH_UP_TIMEOUT:-90}
# the address the daemons listen on (one of this network namespace's)
ADDR=${CEPH_ADDR:-127.0.0.1}

say() {
	echo "ceph.sh: $*" >&2
}

as_admin() {
	timeout 60 ceph -c "$D/ceph.conf" --id admin \
	    --keyring "$D/admin.keyring" "$@"
}

as_admin_rbd() {
	timeout 60 rbd -c "$D/ceph.conf" --id admin \
	    --keyring "$D/admin.keyring" "$@"
}

# a port on ADDR that nothing listens on now
free_port() {
	python3 -c 'import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 0))
print(s.getsockname()[1])' "$ADDR"
}

# start NAME COMMAND...: a daemon in the foreground, in the background of
# this shell, its PID kept in DIR/pids, its output in DIR/log/NAME.out
start() {
	name=$1
	shift
	"$@" -f >"$D/log/$name.out" 2>&1 </dev/null &
	echo "$! $name" >> "$D/pids"
}

down() {
	[ -f "$D/pids" ] || { rm -rf "$D"; return 0; }
	# the OSD first: it says goodbye to a monitor that still listens
	for sig in TERM KILL; do
		tac "$D/pids" | while read -r pid name; do
			kill -"$sig" "$pid" 2>/dev/null
		done
		i=0
		while [ $i -lt 20 ]; do
			left=0
			while read -r pid name; do
				kill -0 "$pid" 2>/dev/null && left=1
			done < "$D/pids"
			[ $left = 0 ] && break
			sleep 0.5
			i=$((i + 1))
		done
		[ $left = 0 ] && break
	done
	rm -rf "$D"
}

fail_up() {
	say "$*"
	for f in "$D"/log/*.out "$D"/log/*.log; do
		[ -s "$f" ] && { echo "--- $f" >&2; tail -5 "$f" >&2; }
	done
	down
	exit 1
}

up() {
	[ -e "$D" ] && { say "$D exists"; exit 1; }
	mkdir -p "$D/log" "$D/run" "$D/mon.a" "$D/mgr.x" "$D/osd.0" ||
	    exit 1
	chmod 0755 "$D"
	D=$(cd "$D" && pwd)
	[ $# -gt 0 ] || set -- fws
	fsid=$(cat /proc/sys/kernel/random/uuid)
	port=$(free_port) || fail_up "no free port"
	cat > "$D/ceph.conf" <<EOC
[global]
fsid = $fsid
mon host = [v2:$ADDR:$port]
public addr = $ADDR
cluster addr = $ADDR
ms bind ipv6 = false
ms bind msgr1 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file = $D/run/\$name.pid
osd pool default size = 1
osd pool default min size = 1
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
auth allow insecure global id reclaim = false
mon data avail warn = 1
mon data avail crit = 0
client mount timeout = 30
rados mon op timeout = 30
rados osd op timeout = 30
[mon]
mon data = $D/mon.\$id
mon cluster log file = $D/log/cluster.log
[mgr]
mgr data = $D/mgr.\$id
[osd]
osd data = $D/osd.\$id
osd objectstore = memstore
memstore device bytes = 1073741824
osd max object name len = 460
osd max object namespace len = 64
[client.admin]
keyring = $D/admin.keyring
EOC
	ceph-authtool --create-keyring "$D/mon.keyring" --gen-key -n mon. \
	    --cap mon 'allow *' >/dev/null &&
	ceph-authtool --create-keyring "$D/admin.keyring" --gen-key \
	    -n client.admin --cap mon 'allow *' --cap osd 'allow *' \
	    --cap mgr 'allow *' --cap mds 'allow *' >/dev/null &&
	ceph-authtool "$D/mon.keyring" --import-keyring "$D/admin.keyring" \
	    >/dev/null &&
	monmaptool --create --fsid "$fsid" --addv a "[v2:$ADDR:$port]" \
	    "$D/monmap" >/dev/null &&
	ceph-mon -c "$D/ceph.conf" --mkfs -i a --monmap "$D/monmap" \
	    --keyring "$D/mon.keyring" >"$D/log/mkfs.out" 2>&1 ||
	    fail_up "cannot make the monitor"
	start mon.a ceph-mon -c "$D/ceph.conf" -i a
	as_admin auth get-or-create mgr.x mon 'allow profile mgr' \
	    osd 'allow *' mds 'allow *' -o "$D/mgr.x/keyring" ||
	    fail_up "the monitor does not answer"
	start mgr.x ceph-mgr -c "$D/ceph.conf" -i x
	# the OSD's key, made here and given to the monitor with the OSD
	uuid=$(cat /proc/sys/kernel/random/uuid)
	key=$(ceph-authtool --gen-print-key) &&
	ceph-authtool --create-keyring "$D/osd.0/keyring" -n osd.0 \
	    --add-key "$key" >/dev/null &&
	printf '{"cephx_secret": "%s"}\n' "$key" > "$D/osd.0/new.json" &&
	id=$(as_admin osd new "$uuid" -i "$D/osd.0/new.json") && [ "$id" = 0 ] ||
	    fail_up "cannot add an OSD"
	ceph-osd -c "$D/ceph.conf" -i 0 --mkfs --osd-uuid "$uuid" \
	    >"$D/log/osd-mkfs.out" 2>&1 || fail_up "cannot make the OSD"
	start osd.0 ceph-osd -c "$D/ceph.conf" -i 0
	caps=""
	for pool in "$@"; do
		as_admin osd pool create "$pool" 8 8 >/dev/null 2>&1 ||
		    fail_up "cannot create pool $pool"
		caps="$caps${caps:+, }profile rbd pool=$pool"
	done
	# a pool takes I/O once its PGs are active: rbd pool init writes to
	# it, so it waits for that (at most TIMEOUT seconds)
	for pool in "$@"; do
		timeout "$TIMEOUT" rbd -c "$D/ceph.conf" --id admin \
		    --keyring "$D/admin.keyring" pool init "$pool" ||
		    fail_up "pool $pool takes no I/O after $TIMEOUT s"
	done
	as_admin auth get-or-create client.fws mon 'profile rbd' \
	    osd "$caps" mgr 'profile rbd' -o "$D/fws.keyring" ||
	    fail_up "cannot make client.fws"
}

case "$verb" in
up)	up "$@" ;;
down)	down ;;
admin)	as_admin "$@" ;;
rbd)	as_admin_rbd "$@" ;;
*)	usage ;;
esac
