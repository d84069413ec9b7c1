# t-fault-qemu.sh: qemu cannot run.  Missing, not executable, or failing
# at once with a message of its own: start fails with the reason (qemu's
# own words when it said any), the VM stays stopped, nothing is left
# running, and no definition is lost, before or after a restart of fwsd.
. "$(dirname "$0")/lib.sh"

# a qemu that refuses to start, as a real one does on a bad host
cat > "$T/qemu-fails" <<'EOS'
#!/bin/sh
echo "qemu-system-x86_64: -machine q35: no accelerator found (fault injected)" >&2
exit 1
EOS
chmod 755 "$T/qemu-fails"
cp "$T/qemu-fails" "$T/qemu-noexec"
chmod 644 "$T/qemu-noexec"

write_config "qemu = $T/qemu-fails"
start_fwsd
create_guest q1
create_guest q2 --restart always
save_definitions

expect_rc 1 fwsctl start q1
expect_err "q1: qemu failed to start: .*no accelerator found (fault injected)"
state_is q1 stopped || fail "q1 after a failed start: $(field q1 state)"
field q1 last_exit | grep -q "no accelerator found" ||
    fail "last_exit: $(field q1 last_exit)"
# again: the same answer, not a stale one
expect_rc 1 fwsctl start q1
expect_err "no accelerator found"
# an operator's start that fails is not a crash: no restart, even with
# "always"
expect_rc 1 fwsctl start q2
expect_err "no accelerator found"
sleep 2
state_is q2 stopped || fail "q2 after a failed start: $(field q2 state)"
[ "$(field q2 restarts)" = 0 ] || fail "q2 restarted: $(field q2 restarts)"
[ -z "$(our_pids | grep -vx "$FWSD_PID")" ] || fail "left running: $(our_pids)"
same_definitions "after failed starts"
note "qemu failing at start: its own words"

# words that are not UTF-8 (a Latin-1 locale, a stray byte) reach the
# client and the event history with the bad bytes as '?', not dropped
printf '#!/bin/sh\nprintf "qemu: caf\\351 \\377 (fault injected)\\n" >&2\nexit 1\n' \
    > "$T/qemu-latin1"
chmod 755 "$T/qemu-latin1"
stop_fwsd
write_config "qemu = $T/qemu-latin1"
start_fwsd
expect_rc 1 fwsctl start q1
expect_err "qemu failed to start: .*caf? ? (fault injected)"
fwsctl events q1 --json --limit 1 > "$T/ev" || fail "events: $(cat "$T/err")"
grep -q 'caf? ? (fault injected)' "$T/ev" || fail "event reason: $(cat "$T/ev")"
note "qemu's words not in UTF-8: kept, bad bytes as ?"

# not executable, then missing
restart_fwsd_with() {
	stop_fwsd
	write_config "qemu = $1"
	start_fwsd
}
restart_fwsd_with "$T/qemu-noexec"
same_definitions "after a restart of fwsd"
expect_rc 1 fwsctl start q1
expect_err "q1: cannot start: $T/qemu-noexec: Permission denied"
state_is q1 stopped || fail "q1: $(field q1 state)"
restart_fwsd_with "$T/no-such-qemu"
expect_rc 1 fwsctl start q1
expect_err "q1: cannot start: $T/no-such-qemu: No such file or directory"
state_is q1 stopped || fail "q1: $(field q1 state)"
[ -z "$(our_pids | grep -vx "$FWSD_PID")" ] || fail "left running: $(our_pids)"
note "qemu not executable, qemu missing: the path and why"

# the real qemu again: everything is there and starts
restart_fwsd_with /usr/bin/qemu-system-x86_64
same_definitions "with a working qemu"
fwsctl start q1 >/dev/null || fail "start q1 with a working qemu: $(cat "$T/err")"
state_is q1 running || fail "q1: $(field q1 state)"
fwsctl destroy q1 >/dev/null || fail "destroy q1"
