# t-valgrind-fwsctl.sh: fwsctl is clean under valgrind: no invalid
# access, no use of uninitialised memory, no leak, whether fwsd answers,
# refuses, is not there, or fwsctl only prints its usage.  The plain
# build's fwsctl is used (valgrind cannot run a sanitized one) against
# whichever fwsd the suite tests.
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || fail "valgrind is not installed (make deps)"
VG_FWSCTL=$TOP/build/fwsctl
[ -x "$VG_FWSCTL" ] || fail "$VG_FWSCTL is not built (make all)"
start_fwsd
create_guest v1 --disk 16M
create_guest v2 --restart never

# vg RC ARGS...: fwsctl ARGS under valgrind exits RC, and valgrind has
# nothing to say (its own exit status, 99, is not one of fwsctl's)
n=0
vg() {
	want=$1; shift
	n=$((n + 1))
	valgrind -q --error-exitcode=99 --leak-check=full \
	    --show-leak-kinds=definite,indirect,possible \
	    --errors-for-leak-kinds=definite,indirect,possible \
	    --log-file="$T/vg.$n" "$VG_FWSCTL" "$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ -s "$T/vg.$n" ] || [ "$got" = 99 ]; then
		cat "$T/vg.$n"
		fail "valgrind on 'fwsctl $*' (exit $got)"
	fi
	[ "$got" = "$want" ] || fail "'fwsctl $*' exited $got, not $want: $(cat "$T/err")"
}

# answers
vg 0 --socket "$SOCK" list
grep -q "v1" "$T/out" || fail "list: $(cat "$T/out")"
vg 0 --socket "$SOCK" --json list
vg 0 --socket "$SOCK" list --json
vg 0 --socket "$SOCK" info v1
vg 0 --socket "$SOCK" info v1 --json
grep -q '"disk0.qcow2\|disk0.qcow2' "$T/out" || fail "info --json: $(cat "$T/out")"
vg 0 --socket "$SOCK" version
vg 0 --socket "$SOCK" events
vg 0 --socket "$SOCK" events v1 --json --limit 5
vg 0 --socket "$SOCK" autostart v2 on
vg 0 --socket "$SOCK" autostart v2 off
vg 0 --socket "$SOCK" image-list
vg 0 --socket "$SOCK" image-list --json
vg 0 --socket "$SOCK" quota
vg 0 --socket "$SOCK" quota --json
vg 0 --socket "$SOCK" templates
vg 0 --socket "$SOCK" --owner root list
vg 0 --socket "$SOCK" quota-set root --vms 6 --memory default
vg 0 --socket "$SOCK" image-import im1 "$KERNEL" --format raw
vg 0 --socket "$SOCK" create v5 --kernel "$KERNEL" --for 1d
vg 0 --socket "$SOCK" create v6 --kernel "$KERNEL" --until 2099-01-01T12:00
vg 0 --socket "$SOCK" loan v5
vg 0 --socket "$SOCK" loan v5 --extend 1d12h
vg 0 --socket "$SOCK" loan v6 --for 2w --json
vg 0 --socket "$SOCK" loans
vg 0 --socket "$SOCK" loans --json
vg 0 --socket "$SOCK" info v5
vg 0 --socket "$SOCK" quota-set root --loan 30d
vg 0 --socket "$SOCK" quota-set root --loan none
vg 0 --socket "$SOCK" start v2
vg 0 --socket "$SOCK" vnc v2
vg 0 --socket "$SOCK" vnc v2 --json
vg 0 --socket "$SOCK" events v2 --limit 5
vg 0 --socket "$SOCK" shutdown-all --timeout 0
note "answers"

# fwsd refuses
vg 1 --socket "$SOCK" info nosuch
expect_err 'no VM named "nosuch"'
vg 1 --socket "$SOCK" start nosuch
vg 1 --socket "$SOCK" stop v1
expect_err "not running"
vg 1 --socket "$SOCK" create v1 --kernel "$KERNEL"
expect_err "already exists"
vg 1 --socket "$SOCK" create v3 --kernel /etc/passwd
expect_err "outside the allowed image directories"
vg 1 --socket "$SOCK" image-delete nosuch
vg 1 --socket "$SOCK" create v4 --template nosuch
vg 1 --socket "$SOCK" image-import im1 "$T/no-such.qcow2"
vg 1 --socket "$SOCK" image-import im1 "$KERNEL" --format raw
expect_err "an image of that name already"
vg 1 --socket "$SOCK" loan v1 --extend 1d
expect_err "no loan to extend"
vg 1 --socket "$SOCK" loan v5 --until 2020-01-01
expect_err "which is past"
note "refusals"

# usage: asked for, and wrong
vg 0 --help
vg 0 info --help
vg 0 help
vg 2
vg 2 frobnicate
vg 2 lsit
vg 2 snap
vg 2 --jsn list
vg 2 --socket "$SOCK" stop v1 --timout 3
vg 2 --socket "$SOCK" create x --disk 10
vg 2 --socket "$SOCK" create ../x --kernel "$KERNEL"
vg 2 --socket "$SOCK" create x --vcpus many --kernel "$KERNEL"
vg 2 --socket "$SOCK" create x --memory 0 --kernel "$KERNEL"
vg 2 --socket "$SOCK" create x --disk nosuffix
vg 2 --socket "$SOCK" events ../x
vg 2 --socket "$SOCK" events --limit -1
vg 2 --socket "$SOCK" stop v1 --timeout soon
vg 2 --socket "$SOCK" shutdown-all --timeout soon
vg 2 --socket "$SOCK" autostart v1 maybe
vg 2 --socket "$SOCK" snapshot-list
vg 2 --socket "$SOCK" image-import ../x "$KERNEL"
: >"$T/file.unknown"
vg 2 --socket "$SOCK" image-import x "$T/file.unknown"
vg 2 --socket "$SOCK" --owner no-such-user-here list
vg 2 --socket "$SOCK" quota-set root --vms many
vg 2 --socket "$SOCK" quota-set root --vm-memory 0
vg 2 --socket "$SOCK" create x --template t --memory lots
vg 2 --socket "$SOCK" create x --kernel "$KERNEL" --for -1d
vg 2 --socket "$SOCK" create x --kernel "$KERNEL" --until 2027-02-30
vg 2 --socket "$SOCK" loan v5 --extend 1d --remove
vg 2 --socket "$SOCK" quota-set root --loan forever
note "usage"

# no fwsd there
vg 1 --socket "$T/no-such.sock" list
expect_err "cannot reach fwsd"
vg 1 --socket "$T/no-such.sock" info v1 --json
vg 1 --socket /dev/null list
vg 1 --socket "$T/$(printf '%0200d' 0).sock" list
expect_err "too long"
note "unreachable sockets"
