#!/bin/sh
# t-private-names.sh: nothing tells a user the names of another user's
# VMs.  A clash of MAC addresses does not say whose, and default MACs
# are random (a MAC derived from "NAME@UID" was an oracle for any name);
# the run and state directories cannot be listed, and the run files are
# named by uuid, so no name can be probed there; taps are named by a
# number fwsd hands out, so no name chosen by a user can take (or show
# in) another user's tap.
. "$(dirname "$0")/lib.sh"

make_user a; A=$MADE_USER
make_user b; B=$MADE_USER
use_netns
start_fwsd
fwsctl net-create lan --bridge fwsbr0 --open >/dev/null || fail "net-create"

json_of() {	# USER VM KEY
	as "$1" fwsctl info "$2" --json | python3 -c \
	    "import json,sys; v=json.load(sys.stdin)['$3']; print(v)"
}

as "$B" fwsctl create secret-plans --memory 128 --net lan --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null || fail "B create"
as "$B" fwsctl start secret-plans >/dev/null || fail "B start"
bmac=$(json_of "$B" secret-plans mac)

# a MAC clash: refused, without a name
expect_rc 1 as "$A" fwsctl create probe --mac "$bmac" --kernel "$KERNEL"
expect_err "MAC address $bmac is already in use"
grep -q secret "$T/err" && fail "a MAC clash names B's VM: $(cat "$T/err")"
# the same name is A's to use, with a MAC of its own
as "$A" fwsctl create secret-plans --memory 128 --net lan --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null || fail "A create"
[ "$(json_of "$A" secret-plans mac)" != "$bmac" ] || fail "A's MAC is B's"
# default MACs are random: made again, the same name gets another
as "$A" fwsctl delete secret-plans >/dev/null
as "$A" fwsctl create secret-plans --memory 128 --net lan --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null || fail "A create"
amac=$(json_of "$A" secret-plans mac)
as "$A" fwsctl delete secret-plans >/dev/null
as "$A" fwsctl create secret-plans --memory 128 --net lan --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null || fail "A create"
[ "$(json_of "$A" secret-plans mac)" != "$amac" ] ||
    fail "the default MAC follows from the name"
note "MAC clashes and default MACs say nothing of names"

# the directories: nothing to list, no name to probe
expect_rc 2 runuser -u "$A" -- ls "$T/run"
expect_rc 2 runuser -u "$A" -- ls "$T/state"
[ "$(stat -c %a "$T/run")" = 711 ] || fail "run dir is $(stat -c %a "$T/run")"
ls "$T/run" | grep -q secret && fail "run files carry VM names: $(ls "$T/run")"
runuser -u "$A" -- stat "$T/run/secret-plans@$(uid_of "$B").pid" \
    >/dev/null 2>&1 && fail "B's VM name can be probed in the run dir"
# the control socket is reachable all the same
as "$A" fwsctl list >/dev/null || fail "A cannot reach fwsd"
note "run and state directories tell nothing"

# taps: fwsd's numbers, one per VM and NIC, no names
as "$A" fwsctl start secret-plans >/dev/null || fail "A start"
atap=$(as "$A" fwsctl info secret-plans --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["nics"][0]["tap"])')
btap=$(as "$B" fwsctl info secret-plans --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["nics"][0]["tap"])')
echo "$atap $btap" | grep -Eq '^fws[0-9]+\.0 fws[0-9]+\.0$' ||
    fail "tap names: $atap $btap"
[ "$atap" != "$btap" ] || fail "two users' VMs share tap $atap"
in_ns ip -o link show "$atap" >/dev/null || fail "no tap $atap"
in_ns ip -o link show "$btap" >/dev/null || fail "no tap $btap"
in_ns ip -o link | grep -q secret && fail "a link carries a VM name"
note "taps $atap and $btap carry no names"
