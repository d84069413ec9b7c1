# t-install.sh: make install DESTDIR=... PREFIX=/usr produces the tree an
# operator expects (binaries, the systemd unit pointing at the installed
# fwsd, man pages, completion, an example and a default configuration,
# the web panel's password helper where fwsd finds it and its PAM service,
# the state directory with a safe mode), touches nothing outside DESTDIR
# (no groups or users made), and make uninstall takes it away again,
# leaving configuration and state.  With the default PREFIX=/usr/local
# the unit goes under it (/usr/local/lib/systemd/system), as UNITDIR
# says when given.
# integration: alone (other tests add users to groups: the check of
# the groups before and after would see them)
. "$(dirname "$0")/lib.sh"
R=$T/root
groups_before=$(getent group | sort | md5sum)
make -s -C "$TOP" install DESTDIR="$R" PREFIX=/usr >"$T/install.log" 2>&1 ||
    fail "make install: $(cat "$T/install.log")"
for f in usr/sbin/fwsd usr/bin/fwsctl usr/bin/fws-tls-setup \
    usr/lib/ocf/resource.d/fws/vm \
    usr/share/man/man1/fws-tls-setup.1 lib/systemd/system/fwsd.service \
    usr/share/man/man1/fwsctl.1 usr/share/man/man5/fwsd.conf.5 \
    usr/share/man/man8/fwsd.8 usr/share/bash-completion/completions/fwsctl \
    usr/share/doc/fws/fwsd.conf.example usr/share/doc/fws/fws-snapshot-prune \
    usr/lib/fws/fws-pam-check usr/lib/fws/fws-image-check etc/pam.d/fws-web \
    etc/fws/fwsd.conf \
    usr/sbin/fws-web lib/systemd/system/fws-web.service \
    usr/share/man/man8/fws-web.8 usr/share/doc/fws/fws-web.conf.example \
    etc/fws/fws-web.conf; do
	[ -f "$R/$f" ] || fail "make install did not install /$f"
done
[ -x "$R/usr/sbin/fwsd" ] && [ -x "$R/usr/bin/fwsctl" ] || fail "binaries not executable"
grep -q '^ExecStart=/usr/sbin/fwsd --foreground$' "$R/lib/systemd/system/fwsd.service" ||
    fail "unit: $(grep ExecStart "$R/lib/systemd/system/fwsd.service")"
grep -q '^KillMode=process$' "$R/lib/systemd/system/fwsd.service" || fail "unit lacks KillMode=process"
grep -q '^Type=notify$' "$R/lib/systemd/system/fwsd.service" || fail "unit is not Type=notify"
grep -q '^ExecStart=/usr/sbin/fws-web --foreground$' "$R/lib/systemd/system/fws-web.service" ||
    fail "fws-web's unit: $(grep ExecStart "$R/lib/systemd/system/fws-web.service")"
grep -q '^User=fws-web$' "$R/lib/systemd/system/fws-web.service" ||
    fail "fws-web's unit does not run it as fws-web"
if command -v systemd-analyze >/dev/null; then
	sed "s|^ExecStart=/usr|ExecStart=$R/usr|" "$R/lib/systemd/system/fwsd.service" \
	    > "$T/fwsd.service"
	systemd-analyze verify --man=no "$T/fwsd.service" >"$T/verify" 2>&1 ||
	    fail "systemd-analyze verify: $(cat "$T/verify")"
	sed "s|^ExecStart=/usr|ExecStart=$R/usr|" \
	    "$R/lib/systemd/system/fws-web.service" > "$T/fws-web.service"
	systemd-analyze verify --man=no "$T/fws-web.service" >"$T/verify" 2>&1 ||
	    fail "systemd-analyze verify fws-web: $(cat "$T/verify")"
fi
[ "$(stat -c %a "$R/var/lib/fws")" = 710 ] || fail "state dir mode $(stat -c %a "$R/var/lib/fws")"
[ "$(getent group | sort | md5sum)" = "$groups_before" ] || fail "a DESTDIR install changed the host's groups"
"$R/usr/sbin/fwsd" --version | grep -q "^fwsd " || fail "installed fwsd does not run"
# the installed default configuration is one fwsd accepts
"$R/usr/sbin/fwsd" --config "$R/etc/fws/fwsd.conf" --state-dir "$T/st" \
    --run-dir "$T/rn" --foreground >"$T/conf.log" 2>&1 &
pid=$!
wait_until 10 test -S "$T/rn/fwsd.sock" || fail "fwsd refused the installed fwsd.conf: $(cat "$T/conf.log")"
kill -TERM "$pid"; wait "$pid"
# fwsd finds its password helper (root's alone) in ../lib/fws from itself
for h in fws-pam-check fws-image-check; do
	[ "$(stat -c %a "$R/usr/lib/fws/$h")" = 700 ] ||
	    fail "$h mode $(stat -c %a "$R/usr/lib/fws/$h")"
done
{ cat "$R/etc/fws/fwsd.conf"; echo "web_user = nobody"; } >"$T/web.conf"
"$R/usr/sbin/fwsd" --config "$T/web.conf" --state-dir "$T/st" \
    --run-dir "$T/rn" --foreground >"$T/conf.log" 2>&1 &
pid=$!
wait_until 10 test -S "$T/rn/fwsd.sock" || fail "fwsd with web_user: $(cat "$T/conf.log")"
kill -TERM "$pid"; wait "$pid"
grep -q pam_helper "$T/conf.log" && fail "installed fwsd: $(grep pam_helper "$T/conf.log")"
# a second install keeps an edited configuration
echo "# edited" >> "$R/etc/fws/fwsd.conf"
make -s -C "$TOP" install DESTDIR="$R" PREFIX=/usr >/dev/null 2>&1 || fail "second install"
grep -q "# edited" "$R/etc/fws/fwsd.conf" || fail "install overwrote fwsd.conf"
make -s -C "$TOP" uninstall DESTDIR="$R" PREFIX=/usr >/dev/null 2>&1 || fail "uninstall"
[ -z "$(find "$R" -type f ! -path "$R/etc/*")" ] || fail "left after uninstall: $(find "$R" -type f ! -path "$R/etc/*")"
[ -f "$R/etc/fws/fwsd.conf" ] || fail "uninstall removed the configuration"

# PREFIX=/usr/local (the default): everything under it, the unit too
L=$T/local
make -s -C "$TOP" install DESTDIR="$L" >"$T/install.log" 2>&1 ||
    fail "make install (PREFIX=/usr/local): $(cat "$T/install.log")"
u=$L/usr/local/lib/systemd/system/fwsd.service
[ -f "$u" ] || fail "the unit is not in /usr/local/lib/systemd/system: $(cd "$L" && find . -name fwsd.service)"
grep -q '^ExecStart=/usr/local/sbin/fwsd --foreground$' "$u" ||
    fail "unit: $(grep ExecStart "$u")"
[ ! -e "$L/lib" ] || fail "PREFIX=/usr/local installed into /lib: $(cd "$L" && find lib)"
make -s -C "$TOP" uninstall DESTDIR="$L" >/dev/null 2>&1 || fail "uninstall"
[ -z "$(find "$L" -type f ! -path "$L/etc/*")" ] || fail "left after uninstall: $(find "$L" -type f ! -path "$L/etc/*")"
# UNITDIR, given, wins
E=$T/etc-unit
make -s -C "$TOP" install DESTDIR="$E" UNITDIR=/etc/systemd/system >/dev/null 2>&1 ||
    fail "make install UNITDIR=..."
[ -f "$E/etc/systemd/system/fwsd.service" ] || fail "UNITDIR ignored"
