# t-snapshot-busy.sh: one snapshot operation per VM.  While one runs
# (qemu-img made slow by a wrapper, so the window is certain), lifecycle
# verbs and a second snapshot operation on that VM get "busy", and other
# VMs are served meanwhile: nothing waits on the job.
. "$(dirname "$0")/lib.sh"
slow_qemu_img 3
write_config "qemu_img = $T/slow-qemu-img"
start_fwsd
create_guest b1 --disk 32M
create_guest b2
fwsctl snapshot-create b1 slow >"$T/slow.out" 2>&1 &
job=$!
wait_until 10 test -e "$T/marks/img-running" || fail "qemu-img never ran"
expect_rc 1 fwsctl start b1
expect_err "snapshot operation is under way"
expect_rc 1 fwsctl snapshot-create b1 other
expect_err "under way"
expect_rc 1 fwsctl delete b1
expect_err "under way"
fwsctl start b2 >/dev/null || fail "another VM was not served during the job"
fwsctl list >/dev/null || fail "list during the job"
wait "$job" || fail "the slow snapshot failed: $(cat "$T/slow.out")"
fwsctl snapshot-list b1 --json | grep -q '"slow"' || fail "slow not listed"
fwsctl start b1 >/dev/null || fail "start after the job"

# on a terminal, fwsctl shows what it waits for, and for how long
fwsctl stop b1 --timeout 0 >/dev/null || fail "stop b1"
script -qec "$FWSCTL_BIN --socket $SOCK snapshot-create b1 shown" "$T/typescript" \
    >/dev/null 2>&1 || fail "snapshot-create on a terminal: $(cat "$T/typescript")"
# the count follows the clock: a loaded machine may skip a second, so
# ask for two different counts, not for a given one
ticks=$(grep -Eo "waiting for fwsd to snapshot-create: [0-9]+ s" "$T/typescript" |
    sort -u | wc -l)
[ "$ticks" -ge 2 ] || fail "no progress shown: $(cat -v "$T/typescript")"
