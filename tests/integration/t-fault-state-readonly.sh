# t-fault-state-readonly.sh: the state directory turns read-only under
# a running fwsd, then fwsd restarts on it.  Whatever needs a new file
# there (create, start, a snapshot of a stopped VM) fails with the
# path and "Read-only file system"; after the restart the database is
# read-only too and changes to it fail with sqlite's reason; reads are
# answered throughout, nothing is left running or half made, and every
# definition is there once the directory is writable again.
. "$(dirname "$0")/lib.sh"
start_fwsd
create_guest o1
create_guest o2 --disk 16M
save_definitions

read_only "$T/state"
expect_rc 1 fwsctl create o3 --kernel "$KERNEL"
expect_err "state/vms/o3: Read-only file system"
expect_rc 1 fwsctl create o4 --disk 16M --kernel "$KERNEL"
expect_err "state/vms/o4: Read-only file system"
expect_rc 1 fwsctl start o1
expect_err "o1: cannot start: .*state/vms/o1/[a-z]*\.log: Read-only file system"
state_is o1 stopped || fail "o1: $(field o1 state)"
expect_rc 1 fwsctl snapshot-create o2 s1
expect_err "o2: snapshot-create s1: .*Read-only file system"
[ -z "$(our_pids | grep -vx "$FWSD_PID")" ] || fail "left running: $(our_pids)"
[ -z "$(ls "$T/run" | grep -v -e '^fwsd\.sock$' -e '^autostart\.done$')" ] ||
    fail "failed starts left files: $(ls "$T/run" | tr '\n' ' ')"
same_definitions "read-only state dir"
kill -0 "$FWSD_PID" || fail "fwsd died"
note "read-only under fwsd: new files refused with the path"

# a new fwsd on the read-only directory: its database is read-only too
restart_fwsd
same_definitions "fwsd started on a read-only state dir"
expect_rc 1 fwsctl autostart o1 on
expect_err "store: attempt to write a readonly database"
expect_rc 1 fwsctl delete o1
expect_err "store: attempt to write a readonly database"
expect_rc 1 fwsctl start o1
expect_err "Read-only file system"
same_definitions "after refused changes"
note "fwsd started read-only: serves, refuses changes"

stop_fwsd	# its database is open through the read-only mount
read_write "$T/state"
start_fwsd
same_definitions "writable again"
fwsctl autostart o1 on >/dev/null || fail "autostart after read-only"
fwsctl start o1 >/dev/null 2>"$T/err" || fail "start o1: $(cat "$T/err")"
state_is o1 running || fail "o1: $(field o1 state)"
fwsctl destroy o1 >/dev/null || fail "destroy o1"
fwsctl snapshot-create o2 s1 >/dev/null || fail "snapshot o2"
fwsctl create o3 --disk 16M --kernel "$KERNEL" >/dev/null || fail "create o3"
