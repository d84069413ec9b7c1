# t-migrate-storage.sh: live migration with --copy-storage between two
# hosts that share no disk directory (migrate-lib.sh's hosts, MIG_SHARED
# = no).  The guest writes while it runs: each count N of its counter
# goes to its disk's sector 2048 + N (with fsync) before it is printed,
# so that every write before, during and after a copy has its own
# place; 8 MiB of noise make the copy last at --bandwidth 1.  Failing
# during the copy: --timeout 3, then B's fwsd killed: the guest runs on
# at A and reads its marker from its disk; B removes the empty disk it
# made (at once, or when it starts again, its arriving qemu killed).
# Then A -> B: the counter goes on there, the disk on B holds the marker
# and every count up to the last (none lost: neither those of the
# copy's bulk, nor those written while it ran or while RAM went), B's
# NBD server is closed, and A's copy of the disk is gone.
. "$(dirname "$0")/lib.sh"
MIG_SHARED=no
. "$(dirname "$0")/migrate-lib.sh"

mig_hosts
create_guest v --disk 64M
fwsctl start v >/dev/null || fail "start v on A"
wait_console v FWS-GUEST-READY
A_DISK=$(fwsctl info v --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["disks"][0]["path"])')

# the marker, then the counter that writes each count to the disk
guest_type v 'printf BEFORE-MIG | dd of=/dev/vda bs=512 seek=4 conv=fsync 2>/dev/null; echo MARKED'
wait_console v MARKED
guest_type v '(i=0; while [ $i -lt 60000 ]; do i=$((i+1)); printf "DW:%08d" $i | dd of=/dev/vda bs=512 seek=$((2048+i)) conv=fsync 2>/dev/null; echo CNT:$i; usleep 100000; done) &'
wait_until 30 sh -c "[ \$(grep -ac '^CNT:' '$(console_log v)') -gt 5 ]" ||
    fail "v: no counter"

# written_upto RAW: the last count N such that sectors 2049..2048+N of
# the raw image RAW hold DW:1..DW:N, every one of them
written_upto() {
	python3 - "$1" <<'EOP'
import sys
f = open(sys.argv[1], "rb")
n = 0
while True:
    f.seek((2048 + n + 1) * 512)
    if f.read(11) != b"DW:%08d" % (n + 1):
        break
    n += 1
f.seek(4 * 512)
if f.read(10) != b"BEFORE-MIG":
    print("no marker")
    sys.exit(1)
later = 0
for k in range(n + 2, n + 200):
    f.seek((2048 + k) * 512)
    if f.read(3) == b"DW:":
        later = k
print(n if later == 0 else "hole at %d, count %d written" % (n + 1, later))
sys.exit(0 if later == 0 else 1)
EOP
}

# job_step NAME: the step of the VM's job on A, if any
job_step() {
	fwsctl info "$1" --json | python3 -c \
	    'import json,sys; print((json.load(sys.stdin).get("job") or {}).get("step") or "")'
}
nothing_on_b() {
	[ -z "$(on_b fwsctl list --json | python3 -c 'import json,sys; print(" ".join(v["name"] for v in json.load(sys.stdin)))')" ] &&
	    [ -z "$(find "$T/b/state" -name '*.qcow2')" ]
}
# runs_on_a: v runs on A, its counter going on, its marker read from disk
runs_on_a() {
	wait_until 30 state_is v running || fail "v is $(field v state) on A"
	n=$(counter_last "$(console_log v)")
	wait_until 30 sh -c "[ \$(grep -a '^CNT:[0-9]' '$(console_log v)' | tail -1 | tr -dc 0-9) -gt $((n + 5)) ]" ||
	    fail "the counter stopped on A"
	got=$(guest_answer v SEEN '$(echo 3 >/proc/sys/vm/drop_caches; dd if=/dev/vda bs=512 skip=4 count=1 2>/dev/null | head -c 10)')
	[ "$got" = BEFORE-MIG ] || fail "the guest reads '$got' on A"
}

# 8 MiB the copy takes 8 s for at --bandwidth 1
guest_type v 'dd if=/dev/urandom of=/dev/vda bs=1M count=8 seek=32 conv=fsync 2>/dev/null; echo FILLED'
wait_console v FILLED

# --- --timeout during the copy: called off, B's new disk removed
expect_rc 1 fwsctl migrate v --to "tls://$IP_B" --copy-storage \
    --bandwidth 1 --timeout 3
expect_err "copying the disks: not done within --timeout 3 s"
said=$(cut -c1-120 "$T/err")
runs_on_a
wait_until 30 nothing_on_b || fail "B kept v or its disk: $(on_b fwsctl list) $(find "$T/b/state" -name '*.qcow2')"
[ -e "$A_DISK" ] || fail "A's disk is gone"
expect_events v migrating migrate-failed
note "--timeout 3 during the copy: $said; v runs on A, B has nothing"

# --- B's fwsd killed during the copy: the guest runs on A; B, restarted,
# kills the arriving qemu and removes the empty disk it made
fwsctl migrate v --to "tls://$IP_B" --copy-storage --bandwidth 1 \
    >"$T/out" 2>"$T/err" &
MIG=$!
wait_until 60 sh -c "[ \"\$(FWS_BUILD='$BUILD' '$FWSCTL_BIN' --socket '$SOCK' info v --json | python3 -c 'import json,sys; print((json.load(sys.stdin).get(\"job\") or {}).get(\"step\") or \"\")')\" = 'copying the disks' ]" ||
    fail "no copy under way: $(job_step v)"
[ -n "$(find "$T/b/state" -name '*.qcow2')" ] || fail "B made no disk"
stop_b KILL
wait "$MIG"; rc=$?
[ "$rc" = 1 ] || fail "migrate exited $rc with B gone: $(cat "$T/out" "$T/err")"
said=$(cut -c1-120 "$T/err")
runs_on_a
expect_events v migrating migrate-failed migrating migrate-failed
start_b
wait_until 30 no_qemu_of "$T/b/run" || fail "B's leftover qemu still runs"
wait_until 30 nothing_on_b || fail "B kept v or its disk after its restart"
note "B killed during the copy: $said; v runs on A; B, restarted, has nothing"

# --- the attack: a user's certificate of the hosts' CA on B's NBD
# export of the disk being copied; QEMU's tls-authz lets the source's
# certificate alone in
sh "$TOP/contrib/fws-tls-setup" client "$PKI" stud >/dev/null ||
    fail "fws-tls-setup client stud"
creds() {	# creds DIR CERT_DIR: the files QEMU's tls-creds-x509 reads
	mkdir -p "$1"
	cp "$PKI/ca.pem" "$1/ca-cert.pem"
	cp "$2/cert.pem" "$1/client-cert.pem"
	cp "$2/key.pem" "$1/client-key.pem"
}
creds "$T/stud-creds" "$PKI/clients/stud"
creds "$T/hosta-creds" "$PKI/hosts/hosta"
# nbd_info CREDS PORT: qemu-img reads the export's size from A's namespace
nbd_info() {
	ip netns exec "$NETNS" timeout 20 qemu-img info \
	    --object "tls-creds-x509,id=t0,dir=$1,endpoint=client" \
	    --image-opts "driver=nbd,server.type=inet,server.host=$IP_B,server.port=$2,export=fws-disk0,tls-creds=t0" \
	    >"$T/nbd.out" 2>&1
}
fwsctl migrate v --to "tls://$IP_B" --copy-storage --bandwidth 1 \
    --timeout 25 >"$T/out" 2>"$T/err" &
MIG=$!
wait_until 60 sh -c "[ \"\$(FWS_BUILD='$BUILD' '$FWSCTL_BIN' --socket '$SOCK' info v --json | python3 -c 'import json,sys; print((json.load(sys.stdin).get(\"job\") or {}).get(\"step\") or \"\")')\" = 'copying the disks' ]" ||
    fail "no copy under way: $(job_step v)"
# the export: B's qemu's highest listening port (the migration's + 1)
port=$(ip netns exec "$NSB" ss -ltnpH | grep qemu | sed 's/.*:\([0-9][0-9]*\) .*/\1/' | sort -n | tail -1)
[ -n "$port" ] || fail "B's qemu listens on no port"
nbd_info "$T/stud-creds" "$port" && fail "a user's certificate read B's export: $(cat "$T/nbd.out")"
stud_said=$(tr '\n' ' ' <"$T/nbd.out" | cut -c1-100)
nbd_info "$T/hosta-creds" "$port" || fail "the source's certificate was refused too: $(cat "$T/nbd.out")"
wait "$MIG"
runs_on_a
wait_until 30 nothing_on_b || fail "B kept v or its disk after the timeout"
note "a user's certificate of the same CA on B's export: refused ($stud_said); the source's: let in"

# --- A -> B with the disk copied
before=$(counter_last "$(console_log v)")
fwsctl migrate v --to "tls://$IP_B" --copy-storage >"$T/out" 2>"$T/err" ||
    fail "migrate v --copy-storage: $(cat "$T/err")"
cp "$T/out" "$T/said"
grep -q "^migrated v to $IP_B in [0-9]* ms (downtime [0-9]* ms, [0-9]* MiB of RAM, its disks copied)" "$T/out" ||
    fail "migrate said: $(cat "$T/out")"
on_b state_is v running || fail "v is $(on_b field v state) on B"
on_b counter_goes_on v "$(on_b console_log v)" "$before" >"$T/gap"
# the counts from $before to B's first were written on A during it
first_b=$(grep -a '^CNT:[0-9]' "$(on_b console_log v)" | head -1 | tr -dc '0-9')
[ "$(on_b count_in_console v FWS-GUEST-READY)" = 0 ] ||
    fail "the guest booted on B"
[ ! -e "$A_DISK" ] || fail "A's copy of the disk stays: $A_DISK"
# B's NBD server, which took the copy, is closed before the guest runs
ip netns exec "$NSB" ss -Hltn | grep -q ':4915[0-9] ' &&
    fail "B still listens: $(ip netns exec "$NSB" ss -Hltn)"
B_DISK=$(on_b fwsctl info v --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["disks"][0]["path"])')
[ "$B_DISK" != "$A_DISK" ] || fail "B's disk is A's path: $B_DISK"
# the guest reads its marker from B's disk (its page cache dropped)
got=$(on_b guest_answer v SEEN '$(echo 3 >/proc/sys/vm/drop_caches; dd if=/dev/vda bs=512 skip=4 count=1 2>/dev/null | head -c 10)')
[ "$got" = BEFORE-MIG ] || fail "the guest reads '$got' on B"
on_b expect_events v defined arriving arrived
on_b fwsctl info v --json | python3 -c '
import json, sys
m = json.load(sys.stdin)["migration"]
assert m["copy_storage"] is True and m["disk_bytes"] >= 64 << 20, m
assert m["total_ms"] > 0 and m["downtime_ms"] >= 0 and m["ram_bytes"] > 0 and 0 <= m["downtime_bytes"] <= m["ram_bytes"], m
print(m["total_ms"], m["downtime_ms"], m["disk_bytes"])' >"$T/fig" ||
    fail "B's figures: $(on_b fwsctl info v --json); migrate said $(cat "$T/said")"
# B's disk, the guest gone: every count is there, up to the last
on_b fwsctl destroy v >/dev/null || fail "destroy v on B"
last_b=$(counter_last "$(on_b console_log v)")
qemu-img convert -O raw "$B_DISK" "$T/b.raw" || fail "qemu-img convert"
upto=$(written_upto "$T/b.raw") || fail "B's disk: $upto"
[ "$upto" -ge "$last_b" ] ||
    fail "B's disk holds the counts up to $upto, the guest printed $last_b"
[ "$first_b" -gt $((before + 1)) ] && [ "$last_b" -gt "$first_b" ] ||
    fail "no count written during the migration ($before, $first_b, $last_b)"
rm -f "$T/b.raw"
note "A -> B, disk copied: the counter goes on (largest gap $(cat "$T/gap") counts); B's disk holds the marker and counts 1-$upto (migrate began at $before, B's first $first_b); A's disk gone; total, downtime ms, disk bytes: $(cat "$T/fig")"
