# t-stop-progress.sh: stop on a terminal says what it waits for.  A
# guest that ignores the power button (its acpid killed, as an installer
# or a boot menu would) keeps stop waiting for its timeout: under a
# pseudo-terminal fwsctl shows "asked the guest to power off... N s;
# will force in M s", in place, once a second, then that it makes qemu
# quit, and clears the line at the end; the default timeout is fwsd's
# (stop_timeout).  Not on a terminal, or with --json, nothing extra.
. "$(dirname "$0")/lib.sh"
command -v script >/dev/null || fail "script(1) is missing (util-linux)"
write_config "stop_timeout = 3"
start_fwsd

# deaf NAME: a running guest that ignores the ACPI power button
deaf() {
	create_guest "$1"
	fwsctl start "$1" >/dev/null || fail "start $1"
	wait_console "$1" FWS-GUEST-READY
	# the typed line is echoed too: only the output has "ACPID-2-GONE"
	guest_type "$1" 'kill $(cat /run/acpid.pid) && echo ACPID-$((1+1))-GONE'
	wait_console "$1" ACPID-2-GONE 30
}

# on a terminal: the countdown, fwsd's default timeout (3 s)
deaf d1
script -qc "$FWSCTL_BIN --socket $SOCK stop d1" /dev/null >"$T/tty" ||
    fail "stop d1 on a terminal: $(cat "$T/tty")"
state_is d1 stopped || fail "d1 is $(field d1 state)"
tr '\r' '\n' < "$T/tty" | sed 's/\x1b\[K//g' >"$T/lines"
grep -qx "d1: asked the guest to power off... 1 s; will force in 2 s" "$T/lines" &&
grep -qx "d1: asked the guest to power off... 2 s; will force in 1 s" "$T/lines" &&
grep -q "^d1: the guest did not power off in 3 s: making qemu quit... [3-9] s$" "$T/lines" ||
    fail "no countdown on a terminal: $(cat -A "$T/tty")"
# updated in place (carriage returns, no new lines) and cleared at the end
[ "$(grep -c 'asked the guest' "$T/tty")" = 1 ] ||
    fail "the progress is not one line rewritten: $(cat -A "$T/tty")"
grep -q "$(printf '\r\033\\[K')d1 is stopped" "$T/tty" ||
    fail "the line was not cleared before the answer: $(cat -A "$T/tty")"
expect_events d1 stopping stopped
field d1 last_exit | grep -q "qemu quit as asked" ||
    fail "d1 did not need forcing: $(field d1 last_exit)"
note "on a terminal: a countdown to the force, in place, cleared"

# --timeout is the one counted down
deaf d2
script -qc "$FWSCTL_BIN --socket $SOCK stop d2 --timeout 2" /dev/null >"$T/tty" ||
    fail "stop d2: $(cat "$T/tty")"
tr '\r' '\n' < "$T/tty" | sed 's/\x1b\[K//g' | grep -qx \
    "d2: asked the guest to power off... 1 s; will force in 1 s" ||
    fail "--timeout 2 not counted down: $(cat -A "$T/tty")"
note "--timeout counted down"

# not a terminal, or --json: the answer alone
fwsctl start d2 >/dev/null || fail "start d2 again"
fwsctl stop d2 --timeout 2 >"$T/out" 2>"$T/err" || fail "stop d2: $(cat "$T/err")"
[ "$(cat "$T/out")" = "d2 is stopped" ] && [ ! -s "$T/err" ] ||
    fail "not a terminal: $(cat -A "$T/out" "$T/err")"
fwsctl start d2 >/dev/null || fail "start d2 once more"
script -qc "$FWSCTL_BIN --socket $SOCK stop d2 --timeout 2 --json" /dev/null >"$T/tty" ||
    fail "stop --json: $(cat "$T/tty")"
grep -q "power off\|will force" "$T/tty" &&
    fail "--json showed progress: $(cat -A "$T/tty")"
note "not on a terminal, nor with --json"
