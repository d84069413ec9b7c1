# t-stop-escalation.sh: stop asks the guest first (ACPI); a guest that
# ignores the power button is quit after --timeout; stop --timeout 0
# quits at once.
. "$(dirname "$0")/lib.sh"
start_fwsd
# rdinit=/bin/sh: a guest with nothing listening to the power button
fwsctl create deaf --memory 256 --kernel "$KERNEL" --initrd "$INITRD" \
    --append "console=ttyS0 quiet rdinit=/bin/sh" >/dev/null || fail "create"
fwsctl start deaf >/dev/null || fail "start"
wait_until 60 sh -c "grep -q '#' $(console_log deaf)" || fail "no shell prompt"
t0=$(date +%s)
fwsctl stop deaf --timeout 3 | grep -q "deaf is stopped" || fail "stop"
t1=$(date +%s)
[ $((t1 - t0)) -ge 3 ] || fail "stop did not wait for the guest"
field deaf last_exit | grep -q "qemu quit" || fail "last_exit: $(field deaf last_exit)"

fwsctl start deaf >/dev/null || fail "start again"
fwsctl stop deaf --timeout 0 | grep -q "stopped" || fail "stop --timeout 0"
field deaf last_exit | grep -q "qemu quit" || fail "last_exit: $(field deaf last_exit)"
