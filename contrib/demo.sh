#!/bin/sh
# demo.sh: "make demo".  Starts an fwsd whose state, sockets and config
# live in ./demo-state (nothing to set up), creates a VM booting the
# test guest and starts it, then says what to type next.  "make
# demo-stop" ends the VM and the daemon again.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
d=$top/demo-state
sock=$d/run/fwsd.sock
fwsctl="$top/build/fwsctl --socket $sock"

case "${1:-start}" in
stop)
	if [ -S "$sock" ]; then
		$fwsctl stop demo --timeout 20 2>/dev/null || true
		pid=$(cat "$d/fwsd.pid" 2>/dev/null || true)
		[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	fi
	echo "demo stopped (state kept in $d; rm -rf it to start afresh)"
	exit 0
	;;
esac

mkdir -p "$d/state" "$d/run" "$d/images"
chmod 0755 "$d" "$d/images"
cp "$top/tests/guest/out/vmlinuz" "$top/tests/guest/out/initrd.img" "$d/images/"
chmod 0644 "$d/images/vmlinuz" "$d/images/initrd.img"
# qemu runs as fws-qemu, which must be able to reach ./demo-state; a tree
# in a private home directory is out of its reach: then (for the demo
# only) qemu runs as root, and the configuration says so
confine=
if ! runuser -u fws-qemu -- test -r "$d/images/vmlinuz" 2>/dev/null; then
	confine="qemu_user = root	# fws-qemu cannot reach $d"
	echo "note: fws-qemu cannot reach $d: the demo's qemu runs as root" >&2
fi
cat > "$d/fwsd.conf" <<EOC
# written by make demo
image_dirs = $d/images
$confine
EOC
if ! $fwsctl version >/dev/null 2>&1; then
	# a session of its own: closing this terminal does not end fwsd
	setsid "$top/build/fwsd" --foreground --config "$d/fwsd.conf" \
	    --state-dir "$d/state" --run-dir "$d/run" >>"$d/fwsd.log" 2>&1 &
	echo $! > "$d/fwsd.pid"
	i=0
	until $fwsctl version >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 50 ]; then
			echo "fwsd did not start; see $d/fwsd.log" >&2
			exit 1
		fi
		sleep 0.1
	done
fi
if ! $fwsctl info demo >/dev/null 2>&1; then
	$fwsctl create demo --vcpus 1 --memory 256 \
	    --kernel "$d/images/vmlinuz" \
	    --initrd "$d/images/initrd.img" \
	    --append "console=ttyS0 quiet"
fi
state=$($fwsctl info demo --json | sed -n 's/.*"state": "\([a-z]*\)".*/\1/p')
[ "$state" = running ] || $fwsctl start demo
$fwsctl list
cat <<EOM

fwsd is running with its state in $d.  Next:

  export FWS_SOCKET=$sock
  build/fwsctl list                 # the VMs and their states
  build/fwsctl info demo            # one VM in detail
  build/fwsctl console demo         # its serial console (leave with Ctrl-])
  build/fwsctl stop demo            # ACPI power-off, then quit, then kill
  make demo-stop                    # stop the VM and fwsd
EOM
