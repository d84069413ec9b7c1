# t-migrate-fail.sh: migrations that fail leave the guest running on
# the source and nothing on the destination.  Refused before anything
# starts: a destination without the disk's path (the shared file moved
# away for a moment: A's qemu keeps its descriptor; certificates
# refused: t-migrate-auth).  Killed mid-way: the destination's fwsd
# dies during a slow (--bandwidth) migration; the guest runs on at the
# source, its counter going on, and the destination's leftover qemu is
# killed (if QEMU did not end it already, the stream cut) and its VM
# forgotten when its fwsd starts again.  --timeout on a slow migration:
# called off, the guest runs on, B has nothing left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/migrate-lib.sh"

mig_hosts
mig_guest v

# --- the disk's path is not on B: refused, the guest runs on
DISK=$SHARED/$(field v uuid)/disk0.qcow2
mv "$DISK" "$DISK.away" || fail "mv $DISK"
expect_rc 1 fwsctl migrate v --to "tls://$IP_B"
mv "$DISK.away" "$DISK"
expect_err "refused"
expect_err "$DISK: No such file"
state_is v running || fail "v is $(field v state) after a refused migration"
nothing_on_b || fail "B kept a VM: $(on_b fwsctl list)"
note "no disk path on B: refused ($(cut -c1-160 "$T/err"))"

# --- B's fwsd killed mid-way: the guest runs on here
fwsctl migrate v --to "tls://$IP_B" --bandwidth 1 \
    >"$T/out" 2>"$T/err" &
MIG=$!
wait_until 60 sh -c "ls /proc/[0-9]*/cmdline 2>/dev/null | while read f; do tr '\0' ' ' <\$f 2>/dev/null; echo; done | grep -q 'qemu.*$T/b/run.*incoming'" ||
    fail "no arriving qemu on B"
# A sends the guest once B has said where: then B dies
wait_until 60 state_is v migrating || fail "v never migrating: $(field v state)"
sleep 1
stop_b KILL
wait "$MIG"; rc=$?
[ "$rc" = 1 ] || fail "migrate exited $rc with B gone: $(cat "$T/out" "$T/err")"
wait_until 30 state_is v running || fail "v is $(field v state) after B died"
before=$(counter_last "$(console_log v)")
sleep 3
[ "$(counter_last "$(console_log v)")" -gt "$before" ] ||
    fail "the counter stopped on A"
expect_events v migrating migrate-failed
note "B killed mid-way: $(cut -c1-140 "$T/err"); v runs on A"
no_qemu_of "$T/b/run" && left="its qemu ended with the stream" ||
    left="its qemu left running"
on_b fwsctl list >/dev/null 2>&1 && fail "B still answers"
start_b
wait_until 30 no_qemu_of "$T/b/run" || fail "B's leftover qemu still runs"
wait_until 10 nothing_on_b || fail "B kept the VM after its restart"
on_b fwsctl events v --json | grep -q '"deleted"' ||
    fail "B's history does not say the VM was forgotten"
note "B restarted ($left): no qemu of B's left, the VM forgotten"

# --- --timeout on a slow migration: called off, B cleaned.  1 s ends it
# in whichever step it is (often B's preparation: B, which was still
# defining the VM, sees the source gone and forgets it); a longer one
# while the guest is sent (some 100 MiB at 1 MiB/s)
for to in 1 $((6 * TIME_SCALE)); do
	expect_rc 1 fwsctl migrate v --to "tls://$IP_B" --bandwidth 1 \
	    --timeout "$to"
	expect_err "not done within --timeout $to s"
	[ "$to" = 1 ] || expect_err "sending the guest: not done"
	said=$(cut -c1-120 "$T/err")
	wait_until 30 state_is v running || fail "v is $(field v state) after --timeout $to"
	wait_until 30 nothing_on_b || fail "B kept v after --timeout $to: $(on_b fwsctl list)"
	wait_until 30 no_qemu_of "$T/b/run" || fail "B's qemu runs on after --timeout $to"
	before=$(counter_last "$(console_log v)")
	wait_until 30 sh -c "[ \$(grep -a '^CNT:[0-9]' '$(console_log v)' | tail -1 | tr -dc 0-9) -gt $((before + 5)) ]" ||
	    fail "the counter stopped on A after --timeout $to"
	note "--timeout $to: $said; v runs on A, nothing on B"
done
grep -q "did not begin: the source's connection was lost" "$T/fwsd-b.log" &&
    note "B saw the source gone while it defined the VM, and forgot it"
:
