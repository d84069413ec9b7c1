# t-set.sh: set changes a VM after create.  A stopped VM takes new vCPUs
# and memory at once (the guest sees them at its start); a running one
# keeps what it runs with and shows the new size as pending, through an
# fwsd restart, until its next start; the policies change at once.  The
# attacks: sizes past the host's limits or the quota (pending sizes
# count, so that VMs cannot each promise the same room), a request that
# changes nothing or says it badly, another user's VM; each refused,
# nothing changed.
. "$(dirname "$0")/lib.sh"
make_user a; A=$MADE_USER
write_config "max_vcpus = 4
max_memory = 1G
quota_vcpus = 3
quota_vm_vcpus = 2"
start_fwsd
create_guest v1

# sizes NAME: "VCPUS MEMORY_MIB PENDING" from info --json
sizes() {
	fwsctl info "$1" --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
p = v["pending"]
print(v["vcpus"], v["memory_mib"], "none" if p is None else
    "%s/%s" % (p.get("vcpus", "-"), p.get("memory_mib", "-")))'
}
# in_guest NAME: "CPUS MEMTOTAL_KIB" as the guest counts them
in_guest() {
	guest_answer "$1" GUEST-SIZE '$(nproc) $(awk "/MemTotal/ {print \$2}" /proc/meminfo)'
}
# mem_about KIB MIB: the guest's MemTotal is what MIB gives a guest
mem_about() {
	[ "$1" -gt $(( ($2 - 64) * 1024 )) ] && [ "$1" -le $(( $2 * 1024 )) ]
}

# --- stopped: at once
fwsctl set v1 --vcpus 2 --memory 320M >"$T/out" || fail "set stopped"
grep -q "v1: vcpus changed" "$T/out" || fail "set said: $(cat "$T/out")"
[ "$(sizes v1)" = "2 320 none" ] || fail "stopped v1: $(sizes v1)"
fwsctl start v1 >/dev/null || fail "start v1"
wait_console v1 FWS-GUEST-READY
set -- $(in_guest v1)
[ "$1" = 2 ] && mem_about "$2" 320 || fail "the guest sees $1 CPUs, $2 KiB"
note "a stopped VM changed at once; the guest sees 2 CPUs, 320M"

# --- running: memory given back and taken again live, by the balloon
# guest_mem_about NAME MIB: the running guest's MemTotal is about MIB
guest_mem_about() {
	set -- "$1" "$2" $(in_guest "$1")
	mem_about "$4" "$2"
}
fwsctl set v1 --memory 224M >"$T/out" || fail "set memory live"
grep -q "v1: memory 224M in the running guest now" "$T/out" ||
    fail "set said: $(cat "$T/out")"
[ "$(sizes v1)" = "2 320 -/224" ] || fail "ballooned v1: $(sizes v1)"
wait_until 30 guest_mem_about v1 224 ||
    fail "the guest still has $(in_guest v1) after the balloon"
wait_until 10 sh -c "[ \"\$($FWSCTL_BIN --socket $SOCK info v1 --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[\"balloon_mib\"])')\" = 224 ]" ||
    fail "info's balloon_mib: $(field v1 balloon_mib)"
fwsctl set v1 --memory 320M >"$T/out" || fail "set memory back"
grep -q "v1: memory 320M in the running guest now" "$T/out" ||
    fail "set said: $(cat "$T/out")"
[ "$(sizes v1)" = "2 320 none" ] || fail "v1 back: $(sizes v1)"
wait_until 30 guest_mem_about v1 320 ||
    fail "the guest has $(in_guest v1) after the balloon let go"
note "memory given back and taken again by the running guest"

# --- running: pending until the next start; policies at once
fwsctl set v1 --vcpus 1 --memory 288M --restart never --autostart on \
    >"$T/out" || fail "set running"
grep -q "v1: from its next start: vcpus 1 memory 288M" "$T/out" ||
    fail "set said: $(cat "$T/out")"
grep -q "v1: restart changed" "$T/out" || fail "set said: $(cat "$T/out")"
[ "$(sizes v1)" = "2 320 1/288" ] || fail "running v1: $(sizes v1)"
[ "$(field v1 restart)" = never ] || fail "restart not changed at once"
[ "$(field v1 autostart)" = True ] || fail "autostart not changed at once"
fwsctl info v1 | grep -q "^pending .*vcpus 1 memory 288M (from the next start)" ||
    fail "info does not show what is pending"
set -- $(in_guest v1)
[ "$1" = 2 ] || fail "the running guest changed: $1 CPUs"
expect_events v1 changed
stop_fwsd
start_fwsd
wait_until 10 fwsctl list || fail "fwsd does not answer"
[ "$(sizes v1)" = "2 320 1/288" ] || fail "after an fwsd restart: $(sizes v1)"
fwsctl stop v1 >/dev/null || fail "stop v1"
fwsctl start v1 >/dev/null || fail "start v1 again"
[ "$(sizes v1)" = "1 288 none" ] || fail "the start did not take it: $(sizes v1)"
wait_until "$BOOT_TIMEOUT" booted v1 2 || fail "v1 did not boot again"
set -- $(in_guest v1)
[ "$1" = 1 ] && mem_about "$2" 288 || fail "the guest sees $1 CPUs, $2 KiB"
# back to what it runs with: nothing pending any more
fwsctl set v1 --vcpus 2 >/dev/null && [ "$(sizes v1)" = "1 288 2/-" ] ||
    fail "pending vcpus: $(sizes v1)"
fwsctl set v1 --vcpus 1 --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
sys.exit(0 if r["pending"] is None and r["changed"] == ["pending_vcpus"] else 1)' ||
    fail "set back: $(fwsctl info v1 --json)"
fwsctl set v1 --vcpus 1 | grep -q "nothing changed" || fail "a no-op set"
note "a running VM's sizes pending until its next start, through an fwsd restart"

# --- the kernel's command line: pending while it runs, taken at its
# start; the kernel and initrd go with "none"
marker() {
	guest_answer "$1" MARK '$(tr " " "\n" </proc/cmdline | grep fws.marker= | cut -d= -f2)'
}
fwsctl set v1 --append "$GUEST_APPEND fws.marker=two" >"$T/out" ||
    fail "set --append: $(cat "$T/out")"
grep -q "from its next start: append $GUEST_APPEND fws.marker=two" "$T/out" ||
    fail "set said: $(cat "$T/out")"
fwsctl info v1 | grep -q "^pending .*append $GUEST_APPEND fws.marker=two" ||
    fail "info does not show the pending command line"
[ "$(field v1 append)" = "$GUEST_APPEND" ] || fail "the definition changed while it runs"
fwsctl stop v1 >/dev/null && fwsctl start v1 >/dev/null || fail "restart v1"
[ "$(field v1 append)" = "$GUEST_APPEND fws.marker=two" ] ||
    fail "the start did not take the command line: $(field v1 append)"
[ "$(field v1 pending)" = "" ] || fail "still pending: $(field v1 pending)"
wait_until "$BOOT_TIMEOUT" booted v1 3 || fail "v1 did not boot again"
[ "$(marker v1)" = two ] || fail "the guest's command line: $(marker v1)"
create_guest v2
fwsctl set v2 --kernel none >/dev/null || fail "set --kernel none"
[ "$(field v2 kernel)$(field v2 initrd)$(field v2 append)" = "" ] ||
    fail "v2 still boots a kernel: $(fwsctl info v2 --json)"
expect_rc 1 fwsctl set v2 --initrd "$INITRD"
expect_err "needs a kernel"
fwsctl set v2 --kernel "$KERNEL" --initrd "$INITRD" --append "$GUEST_APPEND" \
    >/dev/null || fail "a kernel again"
[ "$(field v2 kernel)" = "$KERNEL" ] || fail "v2's kernel: $(field v2 kernel)"
expect_rc 1 fwsctl set v2 --kernel /etc/passwd
expect_err "/etc/passwd"
create_guest v3 --disk 16M
expect_rc 1 fwsctl set v2 --initrd "$(fwsctl info v3 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["disks"][0]["path"])')"
expect_err "is a disk of v3, not an initrd"
expect_rc 1 fwsctl set v2 --append "$(head -c 1100 /dev/zero | tr '\0' x)"
expect_err "longer than 1024"
[ "$(field v2 kernel)" = "$KERNEL" ] || fail "a refusal changed v2's kernel"
note "the kernel's command line pending until the next start; none; bad files refused"

# --- bad input: nothing changes
before=$(fwsctl info v1 --json | python3 -c 'import json,sys; v=json.load(sys.stdin); print(v["vcpus"], v["memory_mib"], v["pending"], v["restart"])')
expect_rc 1 fwsctl set v1 --vcpus 0
expect_err "a VM needs at least 1"
expect_rc 1 fwsctl set v1 --vcpus 5
expect_err "max_vcpus = 4"
expect_rc 1 fwsctl set v1 --memory 2G
expect_err "max_memory = 1G"
expect_rc 1 fwsctl set v1 --memory 8M
expect_err "less than the 16 MiB"
expect_rc 1 fwsctl set v1 --vcpus 2 --restart sometimes
expect_err "restart policy must be"
expect_rc 2 fwsctl set v1
expect_rc 2 fwsctl set v1 --vcpus two
expect_rc 2 fwsctl set v1 --autostart maybe
for bad in '' ',"vcpus":"2"' ',"vcpus":-1' ',"memory_mib":1.5' \
    ',"autostart":"yes"' ',"restart":7' ',"vcpus":99999999999'; do
	raw "{\"id\":1,\"cmd\":\"set\",\"args\":{\"name\":\"v1\"$bad}}" |
	    grep -q '"invalid_argument"' || fail "fwsd took set with '$bad'"
done
after=$(fwsctl info v1 --json | python3 -c 'import json,sys; v=json.load(sys.stdin); print(v["vcpus"], v["memory_mib"], v["pending"], v["restart"])')
[ "$before" = "$after" ] || fail "a refused set changed v1: $before -> $after"
note "sizes past the host's limits, bad policies and shapes refused"

# --- a user's quota: 3 vCPUs in all, 2 per VM; pending sizes count
as "$A" fwsctl create u1 --vcpus 1 --memory 128 --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null || fail "create u1"
as "$A" fwsctl create u2 --vcpus 1 --memory 128 --kernel "$KERNEL" \
    --initrd "$INITRD" --append "$GUEST_APPEND" >/dev/null || fail "create u2"
expect_rc 1 as "$A" fwsctl set u1 --vcpus 3
expect_err "vm_vcpus"
as "$A" fwsctl start u1 >/dev/null || fail "start u1"
as "$A" fwsctl set u1 --vcpus 2 >/dev/null || fail "u1 to 2 vCPUs (pending)"
expect_rc 1 as "$A" fwsctl set u2 --vcpus 2
expect_err "quota"
[ "$(as "$A" fwsctl info u2 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["vcpus"])')" = 1 ] ||
    fail "a refused set changed u2"
expect_rc 1 as "$A" fwsctl set u1 --kernel "$(fwsctl info v3 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["disks"][0]["path"])')"
expect_err "outside"
[ "$(as "$A" fwsctl info u1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["kernel"])')" = "$KERNEL" ] ||
    fail "a user's refused kernel changed u1"
expect_rc 1 as "$A" fwsctl set v1 --vcpus 1
expect_err "no VM named \"v1\""
note "the quota holds, pending sizes counted; a user's files confined; another user's VM not found"
