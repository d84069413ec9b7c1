# t-start-failure.sh: when qemu cannot start, start fails with qemu's
# own words, the VM stays stopped and nothing is left running.
. "$(dirname "$0")/lib.sh"
start_fwsd
truncate -s 1M "$T/images/gone.raw"
fwsctl create f1 --disk "$T/images/gone.raw" --kernel "$KERNEL" >/dev/null || fail "create"
rm "$T/images/gone.raw"
expect_rc 1 fwsctl start f1
expect_err "gone.raw"
state_is f1 stopped || fail "state: $(field f1 state)"
[ -z "$(our_pids | grep -vx "$FWSD_PID")" ] || fail "left running: $(our_pids)"

# a qemu binary that is not there
stop_fwsd
write_config "qemu = /nonexistent/qemu-system-x86_64"
start_fwsd
create_guest f2
expect_rc 1 fwsctl start f2
expect_err "/nonexistent/qemu-system-x86_64"
state_is f2 stopped || fail "state: $(field f2 state)"
