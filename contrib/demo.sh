#!/bin/sh
# demo.sh: "make demo".  Starts an fwsd whose state, sockets and config
# live in ./demo-state (nothing to set up; FWS_DEMO_DIR names another
# directory), creates a VM booting the test guest and starts it, then
# says what to type next.  "make demo-stop" ends the VM and the daemon
# again.  demo-state/fwsd.conf opens with a block of the demo's own
# lines, rewritten on every run; whatever else the file holds is the
# user's, kept as it is, and wins (a key's last line counts).
#
# The web panel comes too, when the account fws-web exists (make deps
# makes it): fws-web on https://127.0.0.1:8443 (FWS_DEMO_WEB names
# another ADDRESS:PORT) with a self-signed certificate in
# demo-state/web, the pages from the tree; the demo prints a one-time
# login link for the user who ran sudo (root does not use the panel).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
d=${FWS_DEMO_DIR:-$top/demo-state}
sock=$d/run/fwsd.sock
conf=$d/fwsd.conf
fwsctl="$top/build/fwsctl --socket $sock"
web_listen=${FWS_DEMO_WEB:-127.0.0.1:8443}
web_url=https://$web_listen
web=
getent passwd fws-web >/dev/null 2>&1 && [ -x "$top/build/fws-web" ] && web=yes
begin="# --- make demo's own lines, rewritten on every run ---"
end="# --- your settings go below: kept by make demo, they win ---"

case "${1:-start}" in
stop)
	if [ -S "$sock" ]; then
		$fwsctl stop demo --timeout 20 2>/dev/null || true
		pid=$(cat "$d/fwsd.pid" 2>/dev/null || true)
		[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	fi
	pid=$(cat "$d/fws-web.pid" 2>/dev/null || true)
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	rm -f "$d/fws-web.pid"
	echo "demo stopped (state kept in $d; rm -rf it to start afresh)"
	exit 0
	;;
esac

mkdir -p "$d/state" "$d/run" "$d/images"
chmod 0755 "$d" "$d/images"
# the test guest, named as the library names kernels and initrds
cp "$top/tests/guest/out/vmlinuz" "$d/images/guest.kernel"
cp "$top/tests/guest/out/initrd.img" "$d/images/guest.initrd"
chmod 0644 "$d/images/guest.kernel" "$d/images/guest.initrd"
# qemu runs as fws-qemu, which must be able to reach ./demo-state; a tree
# in a private home directory is out of its reach: then (for the demo
# only) qemu runs as root, and the configuration says so
confine=
if ! runuser -u fws-qemu -- test -r "$d/images/guest.kernel" 2>/dev/null; then
	confine="qemu_user = root	# fws-qemu cannot reach $d"
	echo "note: fws-qemu cannot reach $d: the demo's qemu runs as root" >&2
fi
# the demo's block, then the user's lines: those after the block of an
# earlier run, or a whole file of the user's own (one an older demo
# wrote is the demo's alone)
{
	echo "$begin"
	echo "image_dirs = $d/images"
	[ -z "$confine" ] || echo "$confine"
	if [ -n "$web" ]; then
		echo "web_user = fws-web"
		echo "web_url = $web_url"
		echo "pam_helper = $top/build/fws-pam-check"
	fi
	echo "$end"
	if [ ! -f "$conf" ]; then
		echo "#accel = kvm"
	elif grep -qxF -- "$end" "$conf"; then
		awk -v end="$end" 'mine { print } $0 == end { mine = 1 }' \
		    "$conf"
	elif [ "$(head -n 1 "$conf")" != "# written by make demo" ]; then
		cat "$conf"
	fi
} > "$conf.new"
mv "$conf.new" "$conf"
if ! $fwsctl version >/dev/null 2>&1; then
	# a session of its own: closing this terminal does not end fwsd
	setsid "$top/build/fwsd" --foreground --config "$conf" \
	    --state-dir "$d/state" --run-dir "$d/run" --pidfile "$d/fwsd.pid" \
	    >>"$d/fwsd.log" 2>&1 &
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
	    --kernel guest --initrd guest \
	    --append "console=ttyS0 quiet"
fi
state=$($fwsctl info demo --json | sed -n 's/.*"state": "\([a-z]*\)".*/\1/p')
[ "$state" = running ] || $fwsctl start demo
$fwsctl list
login=
if [ -n "$web" ]; then
	mkdir -p "$d/web"
	cat > "$d/fws-web.conf" <<EOC
# written by make demo on every run
listen = $web_listen
tls_cert = $d/web/cert.pem
tls_key = $d/web/key.pem
fwsd_socket = $sock
static_dir = $top/supervisor/web/panel
xterm_dir = ${FWS_XTERM_DIR:-/usr/local/share/fws/xterm}
EOC
	if ! curl -sk -o /dev/null "$web_url/" 2>/dev/null; then
		setsid "$top/build/fws-web" --config "$d/fws-web.conf" \
		    >>"$d/fws-web.log" 2>&1 &
		echo $! > "$d/fws-web.pid"
		i=0
		until curl -sk -o /dev/null "$web_url/" 2>/dev/null; do
			i=$((i + 1))
			if [ $i -gt 50 ]; then
				echo "fws-web did not start; see $d/fws-web.log" >&2
				break
			fi
			sleep 0.1
		done
	fi
	if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
		login=$(runuser -u "$SUDO_USER" -- $fwsctl web-login 2>&1 || true)
	fi
fi
cat <<EOM

fwsd is running with its state in $d.  Next:

  export FWS_SOCKET=$sock
  build/fwsctl list                 # the VMs and their states
  build/fwsctl info demo            # one VM in detail
  build/fwsctl console demo         # its serial console (leave with Ctrl-])
  build/fwsctl stop demo            # ACPI power-off, then quit, then kill
  make demo-stop                    # stop the VM and fwsd

Settings (e.g. accel = kvm) go in $conf, below the
demo's own lines: make demo keeps them, then make demo-stop and make
demo again to use them.
EOM
if [ -n "$web" ]; then
	cat <<EOM

The web panel: $web_url (a self-signed certificate: the browser warns).
${login:+A one-time login link for $SUDO_USER (2 minutes): $login
}Another user (in group fws) makes one with:
  build/fwsctl --socket $sock web-login
EOM
fi
