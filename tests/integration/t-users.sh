#!/bin/sh
# t-users.sh: two real unprivileged users share one fwsd.  Each sees and
# controls only their own VMs (another's is "not found", its name never
# shown), names are per user, admin verbs are refused to users, quotas
# and templates hold, and qemu runs as its VM's own uid under seccomp.
. "$(dirname "$0")/lib.sh"

make_user a; A=$MADE_USER
make_user b; B=$MADE_USER
use_netns
write_config "quota_vms = 2
quota_vm_vcpus = 2
quota_vm_memory = 512M
template.tiny = 1 vcpu, 256 MiB"
start_fwsd

[ "$(stat -c '%a %G' "$SOCK")" = "660 fws" ] ||
    fail "socket is $(stat -c '%a %G' "$SOCK"), not 660 fws"

# A's VM, from a template, running
as "$A" fwsctl create web --template tiny --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null || fail "A create"
[ "$(as "$A" fwsctl info web --json | python3 -c \
    'import json,sys; v=json.load(sys.stdin); print(v["vcpus"], v["memory_mib"])')" = "1 256" ] ||
    fail "template tiny not applied"
as "$A" fwsctl start web >/dev/null || fail "A start"
pid=$(as "$A" fwsctl info web --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["pid"])')
note "A's VM runs (pid $pid)"

# qemu runs as the VM's own uid (from qemu_uids, with fws-qemu's groups),
# not root's, and filtered by seccomp
quid=$(as "$A" fwsctl info web --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["qemu_uid"])')
[ "$quid" -ge 1879048192 ] && [ "$quid" -le 1879113727 ] ||
    fail "web's qemu uid $quid is not from qemu_uids"
[ "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")" = "$quid $quid $quid $quid" ] ||
    fail "qemu runs as uid $(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")"
[ "$(awk '/^Gid:/ { print $2 }' "/proc/$pid/status")" = "$(id -g fws-qemu)" ] ||
    fail "qemu runs as gid $(awk '/^Gid:/ { print $2 }' "/proc/$pid/status")"
[ "$(awk '/^Seccomp:/ { print $2 }' "/proc/$pid/status")" = 2 ] ||
    fail "qemu has no seccomp filter"
tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- '-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny' ||
    fail "qemu lacks -sandbox"
note "qemu runs as its VM's own uid with seccomp"

# B sees nothing of it, and can do nothing to it
[ "$(as "$B" fwsctl list --json | tr -d ' \n')" = "[]" ] || fail "B lists A's VM"
for verb in info start stop destroy reboot pause resume console vnc delete; do
	expect_rc 1 as "$B" fwsctl "$verb" web
	expect_err 'no VM named "web"'
done
expect_rc 1 as "$B" fwsctl snapshot-create web s1
expect_err 'no VM named "web"'
expect_rc 1 as "$B" fwsctl snapshot-list web
expect_err 'no VM named "web"'
[ "$(as "$B" fwsctl snapshot-list --all --json | tr -d ' \n')" = "[]" ] ||
    fail "B sees A's snapshots"
as "$B" fwsctl events --json --limit 1000 | grep -q '"web"' &&
    fail "B sees A's events"
expect_rc 1 as "$B" fwsctl --owner "$A" info web
expect_err "only admins act for another user"
state_is_a() { [ "$(as "$A" fwsctl info web --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["state"])')" = running ]; }
state_is_a || fail "A's VM was touched by B"
note "B cannot see or touch A's VM"

# names are per user: B has a web of his own; the admin sees both
as "$B" fwsctl create web --template tiny --kernel "$KERNEL" >/dev/null ||
    fail "B create web"
[ "$(fwsctl list --json | python3 -c \
    'import json,sys; print(sorted(v["owner"] for v in json.load(sys.stdin)))')" = \
    "[$(uid_of "$A"), $(uid_of "$B")]" ] || fail "admin list: $(fwsctl list --json)"
fwsctl list | grep -q "^$A " || fail "admin's list does not name the owner"
expect_rc 1 fwsctl info web
expect_err '2 users have a VM named "web"'
[ "$(fwsctl --owner "$A" info web --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["state"])')" = running ] ||
    fail "admin --owner info"
note "names are per user; the admin sees both"

# admin verbs are refused to users
expect_rc 1 as "$A" fwsctl net-create lan --bridge fwsbr0
expect_err "net-create is for admins only"
expect_rc 1 as "$A" fwsctl shutdown-all
expect_err "for admins only"
expect_rc 1 as "$A" fwsctl quota-set "$A" --vms 100
expect_err "for admins only"
# networks: only the open ones are a user's to attach to
fwsctl net-create lan --bridge fwsbr0 >/dev/null || fail "admin net-create"
expect_rc 1 as "$A" fwsctl create n1 --kernel "$KERNEL" --net lan
expect_err 'no network named "lan" open to users'
as "$A" fwsctl net-list | grep -q lan && fail "A sees a closed network"
fwsctl net-open lan on >/dev/null || fail "net-open"
as "$A" fwsctl net-list | grep -q lan || fail "A does not see an open network"
note "admin verbs refused; closed networks invisible"

# quotas: the limit, the value asked, the value allowed
expect_rc 1 as "$B" fwsctl create big --vcpus 3 --kernel "$KERNEL"
expect_err "quota exceeded: vCPUs per VM: asked for 3, allowed 2"
expect_rc 1 as "$B" fwsctl create big --memory 1024 --kernel "$KERNEL"
expect_err "quota exceeded: memory per VM (MiB): asked for 1024, allowed 512"
as "$A" fwsctl create n1 --memory 128 --kernel "$KERNEL" --net lan \
    >/dev/null || fail "A's second VM"
expect_rc 1 as "$A" fwsctl create third --memory 128 --kernel "$KERNEL"
expect_err "quota exceeded: VMs per user: asked for 3 (with the 2 you have), allowed 2"
expect_rc 2 fwsctl quota-set "$A" --vms -1
expect_rc 1 fwsctl quota-set "$A"
expect_err "no limit to set"
expect_rc 1 fwsctl create bad --template huge --kernel "$KERNEL"
expect_err 'no template named "huge"'
fwsctl quota-set "$A" --vms 3 >/dev/null || fail "quota-set"
as "$A" fwsctl create third --memory 128 --kernel "$KERNEL" >/dev/null ||
    fail "A's third VM after quota-set"
[ "$(as "$A" fwsctl quota --json | python3 -c \
    'import json,sys; q=json.load(sys.stdin); print(q["limits"]["vms"], q["used"]["vms"])')" = "3 3" ] ||
    fail "quota: $(as "$A" fwsctl quota --json)"
# an admin acting for B is held to B's quota; the admin's own VMs are not
fwsctl --owner "$B" create forb --memory 128 --kernel "$KERNEL" >/dev/null ||
    fail "admin create for B"
as "$B" fwsctl list | grep -q forb || fail "B does not own forb"
expect_rc 1 fwsctl --owner "$B" create more --memory 128 --kernel "$KERNEL"
expect_err "quota exceeded: VMs per user"
fwsctl create adminvm --vcpus 4 --memory 2048 --kernel "$KERNEL" >/dev/null ||
    fail "the admin's own VM is held to a quota"
note "quotas hold and say why"

# after a restart of fwsd everything is as it was
stop_fwsd
start_fwsd
[ "$(fwsctl list --json | python3 -c \
    'import json,sys; print(len(json.load(sys.stdin)))')" = 6 ] ||
    fail "VMs lost over a restart: $(fwsctl list)"
[ "$(as "$B" fwsctl list --json | python3 -c \
    'import json,sys; print(sorted(v["name"] for v in json.load(sys.stdin)))')" = \
    "['forb', 'web']" ] || fail "B's list after restart"
wait_until 30 state_is_a || fail "A's VM not adopted"
as "$A" fwsctl destroy web >/dev/null || fail "A destroy"
note "ownership survives a restart of fwsd"
