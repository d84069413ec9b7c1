# t-cgroup-dynmods.sh: cgroup_favordynmods.  On cgroup v1 a qemu joins
# its cgroups before exec, and each join waits for an RCU grace period
# unless the kernel favours dynamic changes, a switch for the whole
# kernel set by a cgroup2 mount's favordynmods.  Without the key fwsd
# leaves the host alone and says what a start pays; with "yes" it
# remounts the cgroup2 keeping every flag and option the mount had, and
# VMs still start in their cgroups.  A value that is not yes or no stops
# fwsd with the key named.  On v2 (qemu born in its cgroup) nothing is
# touched.  The host's mount is put back at the end (Linux 6.18 keeps
# part of the switch until the next boot: joins stay quick, which no
# other test depends on either way).
. "$(dirname "$0")/lib.sh"

# the first cgroup2 mount: "PATH PER-MOUNT-OPTIONS SUPER-OPTIONS"
v2_mount() {
	awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) == "cgroup2") {
	    print $5, $6, $(i + 3); exit } }' /proc/self/mountinfo
}
has_opt() { case ",$1," in *",$2,"*) return 0 ;; esac; return 1; }

# a value fwsd does not know: it does not start, and says which key
write_config "cgroup_favordynmods = maybe"
$FWSD --foreground --config "$T/fwsd.conf" --state-dir "$T/state" \
    --run-dir "$T/run" >"$T/bad.log" 2>&1 &
bad=$!
wait_until 10 gone "$bad" || fail "fwsd ran with cgroup_favordynmods = maybe"
grep -q "cgroup_favordynmods" "$T/bad.log" ||
    fail "the refusal does not name the key: $(cat "$T/bad.log")"

BEFORE=$(v2_mount)
V1=0
grep -q ' - cgroup cgroup [^ ]*memory' /proc/self/mountinfo && V1=1
note "cgroup2: ${BEFORE:-none}; v1 controllers: $V1"

# --- without the key: nothing touched
write_config
start_fwsd
[ "$(v2_mount)" = "$BEFORE" ] || fail "fwsd changed the cgroup2 mount unasked"
if [ "$V1" = 1 ]; then
	set -- $BEFORE
	if [ $# = 3 ] && has_opt "$3" favordynmods; then
		grep -q "favordynmods is on" "$T/fwsd.log" ||
		    fail "fwsd did not see favordynmods on"
	else
		grep -q "cgroup_favordynmods = yes in fwsd.conf saves it" \
		    "$T/fwsd.log" || fail "fwsd did not say what a v1 join costs"
	fi
else
	! grep -q "favordynmods" "$T/fwsd.log" ||
	    fail "favordynmods spoken of on v2: $(grep favordynmods "$T/fwsd.log")"
fi
stop_fwsd

[ "$V1" = 1 ] && [ -n "$BEFORE" ] || { note "not v1 beside a cgroup2: nothing more to try"; exit 0; }
set -- $BEFORE
V2_PATH=$1 MNTOPTS=$2 SUPER=$3
if has_opt "$SUPER" favordynmods; then
	note "favordynmods was on already: the remount is not tried"
	exit 0
fi
# put the host back: the flags of the mount and its options as they were
restore="remount,$MNTOPTS"
for o in $(echo "$SUPER" | tr ',' ' '); do
	case $o in rw|ro) ;; *) restore="$restore,$o" ;; esac
done
AT_EXIT="mount -t cgroup2 -o '$restore' none '$V2_PATH'"

# --- with it: remounted, every flag and option kept, VMs still start
write_config "cgroup_favordynmods = yes"
start_fwsd
grep -q "favordynmods set on $V2_PATH" "$T/fwsd.log" ||
    fail "fwsd did not set favordynmods: $(grep cgroups: "$T/fwsd.log")"
set -- $(v2_mount)
[ "$1" = "$V2_PATH" ] && [ "$2" = "$MNTOPTS" ] ||
    fail "the mount's flags changed: $MNTOPTS -> $2"
has_opt "$3" favordynmods || fail "no favordynmods on $V2_PATH: $3"
for o in $(echo "$SUPER" | tr ',' ' '); do
	has_opt "$3" "$o" || fail "option $o of $V2_PATH lost: $SUPER -> $3"
done
create_guest d1
fwsctl start d1 >/dev/null || fail "start d1 with favordynmods"
pid=$(field d1 pid)
grep -q ":memory:.*$(field d1 uuid)" "/proc/$pid/cgroup" ||
    fail "d1's qemu is not in its memory cgroup: $(cat "/proc/$pid/cgroup")"
fwsctl destroy d1 >/dev/null || fail "destroy d1"

# --- a second fwsd start sees it on and leaves it
stop_fwsd
start_fwsd
grep -q "favordynmods is on" "$T/fwsd.log" || fail "fwsd did not see favordynmods on"
stop_fwsd

# the cleanup puts the mount back: try it now, and check it
eval "$AT_EXIT" || fail "the cgroup2 mount could not be put back"
AT_EXIT=
[ "$(v2_mount)" = "$BEFORE" ] || fail "the cgroup2 mount is not as it was: $(v2_mount)"
note "favordynmods set and put back on $V2_PATH"
