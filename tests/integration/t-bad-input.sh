# t-bad-input.sh: every kind of bad request gets a clear error with a
# stable code and changes nothing; the daemon keeps serving other
# clients throughout.
. "$(dirname "$0")/lib.sh"
start_fwsd
create_guest good

# the client refuses what it can check itself (exit 2)
expect_rc 2 fwsctl create ../x --kernel "$KERNEL"
expect_err "invalid VM name"
expect_rc 2 fwsctl create x --memory 0 --kernel "$KERNEL"
expect_err "greater than zero"
expect_rc 2 fwsctl stop
expect_rc 2 fwsctl stop good --bogus
# a typo is answered with the nearest verb or option, in one line, and
# the whole usage only when asked for
expect_rc 2 fwsctl lsit
[ "$(cat "$T/err")" = "fwsctl: unknown verb lsit: did you mean list?" ] ||
    fail "lsit: $(cat "$T/err")"
expect_rc 2 fwsctl snap good
expect_err "did you mean snapshot-create, snapshot-delete, snapshot-list or snapshot-revert?"
expect_rc 2 fwsctl stop good --timout 5
[ "$(cat "$T/err")" = "fwsctl stop: unknown option --timout: did you mean --timeout?" ] ||
    fail "--timout: $(cat "$T/err")"
expect_rc 2 fwsctl --jsn list
expect_err "^fwsctl: unknown option --jsn: did you mean --json?$"
expect_rc 2 fwsctl frobnicate x
[ "$(wc -l < "$T/err")" = 1 ] || fail "an unknown verb printed: $(cat "$T/err")"
expect_rc 2 "$FWSCTL_BIN"
# the usage (two lines with the ways to connect) and where to look next
[ "$(wc -l < "$T/err")" = 3 ] && grep -q "^fwsctl help lists the verbs" "$T/err" ||
    fail "fwsctl alone printed: $(cat "$T/err")"
expect_rc 0 fwsctl help
grep -q "^  snapshot-revert " "$T/out" || fail "help lacks the verbs: $(cat "$T/out")"
expect_rc 2 fwsctl create y --disk nosuffix
# a bare number is no size: it was bytes for --disk, MiB for --memory
expect_rc 2 fwsctl create y --disk 10 --kernel "$KERNEL"
expect_err "^fwsctl: --disk 10: say the unit, e.g. 10G$"
expect_rc 2 fwsctl create y --disk 1.5G --kernel "$KERNEL"
expect_err "a whole number of K, M, G or T"

# the daemon refuses the rest (exit 1), with the reason
expect_rc 1 fwsctl create good --kernel "$KERNEL"
expect_err "already exists"
expect_rc 1 fwsctl create y --disk /etc/passwd,format=raw
expect_err "outside the allowed image directories"
expect_rc 1 fwsctl create y --kernel /etc/shadow
expect_err "outside the allowed image directories"
expect_rc 1 fwsctl create y --kernel "$T/images/../../../etc/passwd"
expect_err "outside"
# the host's limits, in the units typed, with the key that sets them
expect_rc 1 fwsctl create y --kernel "$KERNEL" --vcpus 999
expect_err "vcpus 999 is more than this host allows for a VM: max_vcpus = 16"
expect_rc 1 fwsctl create y --kernel "$KERNEL" --memory 100000
expect_err "memory 100000 MiB (97.7G) is more than this host allows for a VM: max_memory = 64G"
expect_rc 1 fwsctl create y --kernel "$KERNEL" --memory 10T
expect_err "memory 10485760 MiB (10T) is more than this host allows for a VM: max_memory = 64G"
expect_rc 1 fwsctl create y --kernel "$KERNEL" --memory 8
expect_err "memory 8 MiB is less than the 16 MiB a VM needs"
expect_rc 1 fwsctl create y --kernel "$KERNEL" --disk 3T
expect_err "disk 3T is more than this host allows for a disk: max_disk_size = 2T"
expect_rc 1 fwsctl create y --kernel "$KERNEL" --mac 01:00:5e:00:00:01
expect_err "multicast"
expect_rc 1 fwsctl create y --kernel "$KERNEL" --mac "$(field good mac)"
expect_err "already used by VM good"
expect_rc 1 fwsctl create y --initrd "$INITRD"
expect_err "needs a kernel"
expect_rc 1 fwsctl create y
expect_err "nothing to boot"
expect_rc 1 fwsctl create y --kernel "$KERNEL" --restart sometimes
expect_err "restart policy"
expect_rc 1 fwsctl start nosuchvm
expect_err 'no VM named "nosuchvm"'
expect_rc 1 fwsctl stop good
expect_err "not running"
expect_rc 1 fwsctl destroy good
expect_err "not running"

# raw protocol: malformed and hostile lines get error replies
r=$(raw '{"id":1,"cmd":"list"') ; echo "$r" | grep -q '"code":"invalid_argument"' || fail "truncated JSON: $r"
r=$(raw 'hello') ; echo "$r" | grep -q '"id":null,"ok":false' || fail "garbage: $r"
r=$(raw '{"id":2,"cmd":"reformat"}') ; echo "$r" | grep -q '"id":2,"ok":false,"error":{"code":"unknown_command"' || fail "unknown: $r"
r=$(raw '{"id":3,"cmd":"start","args":{"name":5}}') ; echo "$r" | grep -q 'must be a string' || fail "type: $r"
r=$(raw '{"id":4,"cmd":"start","args":{"name":"good","force":true}}') ; echo "$r" | grep -q 'unknown argument \\"force\\"' || fail "extra arg: $r"
r=$(raw '{"id":5,"cmd":"create","args":{"name":"../etc","kernel":"'"$KERNEL"'"}}') ; echo "$r" | grep -q '"code":"invalid_argument","message":"invalid VM name' || fail "name: $r"
r=$(raw '{"id":6,"cmd":"create","args":{"name":"z","memory_mib":0,"kernel":"'"$KERNEL"'"}}') ; echo "$r" | grep -q 'memory 0 MiB is less than the 16 MiB' || fail "memory 0: $r"
r=$(raw '{"id":6,"cmd":"create","args":{"name":"z","memory_mib":"lots","kernel":"'"$KERNEL"'"}}') ; echo "$r" | grep -q 'argument \\"memory_mib\\" must be an integer' || fail "memory type: $r"
r=$(raw '{"id":6,"cmd":"create","args":{"name":"z","vcpus":0,"kernel":"'"$KERNEL"'"}}') ; echo "$r" | grep -q 'vcpus 0: a VM needs at least 1' || fail "vcpus 0: $r"
r=$(raw '{"id":7,"cmd":"create","args":{"name":"z","disks":[{"size":1,"path":"/x"}]}}') ; echo "$r" | grep -q 'either a size or a path' || fail "disk: $r"
r=$(raw '{"id":8,"cmd":"create","args":{"name":"z","disks":"big"}}') ; echo "$r" | grep -q 'must be an array' || fail "disks type: $r"
r=$(raw '{"id":9,"cmd":"stop","args":{"name":"good","timeout":-1}}') ; echo "$r" | grep -q 'between 0 and 3600' || fail "timeout: $r"
# several requests on one connection, answered in order by id
r=$(printf '{"id":"a","cmd":"version"}\n{"id":"b","cmd":"info","args":{"name":"good"}}\n' | socat -t 5 - "UNIX-CONNECT:$SOCK")
[ "$(echo "$r" | wc -l)" = 2 ] && echo "$r" | head -1 | grep -q '"id":"a"' || fail "pipelined: $r"
# an oversized line: an error, and the connection is closed
# (a client of our own: fwsd may close before the whole line is written,
# and the answer must still be read)
r=$(python3 - "$SOCK" <<'EOP'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
try:
    s.sendall(b'{"cmd":"' + b"x" * 70000 + b'"}\n')
except BrokenPipeError:
    pass
print(s.recv(4096).decode())
EOP
)
echo "$r" | grep -q "too long" || fail "oversized line: $(echo "$r" | head -c 200)"

# a client that connects, sends half a line and stalls blocks nobody
python3 - "$SOCK" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.send(b'{"id":1,"cmd":"li'); time.sleep(8)
PY
stall=$!
sleep 0.5
fwsctl list >/dev/null || fail "a stalled client blocked list"
kill "$stall" 2>/dev/null; wait "$stall" 2>/dev/null

# events, autostart, shutdown-all: bad values are refused clearly
expect_rc 2 fwsctl events ../x
expect_rc 2 fwsctl events --limit -1
expect_rc 2 fwsctl autostart good
expect_rc 2 fwsctl shutdown-all --timeout soon
raw '{"id":1,"cmd":"events","args":{"limit":-1}}' | grep -q '"invalid_argument"' ||
    fail "negative limit accepted"
raw '{"id":2,"cmd":"events","args":{"name":"../x"}}' | grep -q '"invalid_argument"' ||
    fail "bad events name accepted"
raw '{"id":3,"cmd":"events","args":{"follow":"yes"}}' | grep -q '"invalid_argument"' ||
    fail "follow must be a boolean"
raw '{"id":4,"cmd":"autostart","args":{"name":"good"}}' | grep -q 'enabled' ||
    fail "autostart without enabled accepted"
raw '{"id":5,"cmd":"shutdown-all","args":{"timeout":99999}}' | grep -q '"invalid_argument"' ||
    fail "shutdown-all timeout out of range accepted"
# a follower that goes away is forgotten; fwsd goes on
printf '{"id":1,"cmd":"events","args":{"follow":true}}\n' | socat -t 1 - "UNIX-CONNECT:$SOCK" >/dev/null
fwsctl autostart good on >/dev/null && fwsctl autostart good off >/dev/null ||
    fail "events after a follower left"

# nothing of the above changed the store
[ "$(fwsctl list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] ||
    fail "refused requests left VMs behind: $(fwsctl list)"
ls "$T/state/vms" | grep -qv '^good$' && fail "refused requests left files: $(ls "$T/state/vms")"

# delete while running is refused; start twice is refused
fwsctl start good >/dev/null || fail "start good"
expect_rc 1 fwsctl delete good
expect_err "stop it before deleting"
expect_rc 1 fwsctl start good
expect_err "already running"
kill -0 "$FWSD_PID" || fail "fwsd died"
fwsctl destroy good >/dev/null
