# t-snapshot-adopt.sh: a snapshot operation that outlives its fwsd.  A
# stopped VM's snapshots are changed by qemu-img (made slow here by a
# wrapper, so the window is certain); fwsd is killed -9 mid-way.  The
# next fwsd follows that qemu-img to its end as the VM's job: verbs get
# "busy", the snapshot lands in the index, and events say what was taken
# over.  A run file that lies (a PID now another process's, garbage) is
# not followed.
. "$(dirname "$0")/lib.sh"
slow_qemu_img 4
write_config "qemu_img = $T/slow-qemu-img"
start_fwsd
create_guest a1 --disk 32M --disk 16M

no_job() {
	[ "$(field "$1" job)" = "" ]
}

# reasons NAME: the VM's event reasons, one per line
reasons() {
	fwsctl events "$1" --json --limit 1000 | python3 -c \
	    "import json,sys; [print(json.loads(l)['reason']) for l in sys.stdin]"
}

fwsctl snapshot-create a1 across >"$T/across.out" 2>&1 &
job=$!
wait_until 10 test -e "$T/marks/img-running" || fail "qemu-img never ran"
note="$(run_file a1 snapshot)"
test -s "$note" || fail "no run file names the qemu-img"
img_pid=$(cut -d' ' -f1 "$note")
alive "$img_pid" || fail "the run file names pid $img_pid, not running"
kill -9 "$FWSD_PID"; wait "$FWSD_PID" 2>/dev/null; FWSD_PID=
wait "$job" && fail "the request outlived its fwsd: $(cat "$T/across.out")"
alive "$img_pid" || fail "qemu-img died with fwsd"
start_fwsd
# the killed fwsd's socket is there already: wait for the new one's answer
wait_until 10 fwsctl list || fail "the next fwsd does not answer"

# the job is the next fwsd's now
fwsctl info a1 --json | python3 -c '
import json, sys
j = json.load(sys.stdin)["job"]
sys.exit(0 if j and j["kind"] == "snapshot" else 1)' ||
    fail "no snapshot job after the restart: $(fwsctl info a1 --json)"
expect_rc 1 fwsctl start a1
expect_err "snapshot operation is under way"
expect_rc 1 fwsctl snapshot-delete a1 across
expect_err "under way"
reasons a1 | grep -q "snapshot-create across was under way when fwsd ended (qemu-img pid $img_pid): followed to its end" ||
    fail "no event says the job was taken over: $(reasons a1)"
note "taken over"

# to its end: both disks have it (the second one by this fwsd), indexed
wait_until 30 sh -c "! test -e '$note'" || fail "the job never ended"
wait_until 10 no_job a1 || fail "the VM's job did not end: $(field a1 job)"
fwsctl snapshot-list a1 --json | grep -q '"across"' || fail "across not listed"
# has_once TAG: each disk of a1 holds snapshot TAG, once
has_once() {
	for d in 0 1; do
		path=$(fwsctl info a1 --json | python3 -c \
		    "import json,sys; print(json.load(sys.stdin)['disks'][$d]['path'])")
		n=$(/usr/bin/qemu-img snapshot -l -U "$path" | grep -c " $1 ")
		[ "$n" = 1 ] || fail "disk $d holds snapshot $1 $n times"
	done
}
has_once across
last_event a1 | grep -q snapshot || fail "no snapshot event at the end"
reasons a1 | tail -1 | grep -q "snapshot across taken" ||
    fail "the end is not recorded: $(reasons a1 | tail -3)"
ls "$T/run" | grep -q qemu-img && fail "qemu-img output left: $(ls "$T/run")"
fwsctl start a1 >/dev/null || fail "start after the job"
fwsctl destroy a1 >/dev/null || fail "destroy a1"
note "followed to its end"

# lies: a PID that is another process now (its start time differs), and
# garbage; neither makes a job
stop_fwsd
sleep 600 &
other=$!
echo "$other 1 create 0 qemu-img.9.out fake" >"$note"
start_fwsd
[ "$(field a1 job)" = "" ] || fail "a reused PID made a job: $(field a1 job)"
alive "$other" || fail "fwsd touched another process"
kill "$other"; wait "$other" 2>/dev/null
reasons a1 | tail -1 | grep -q "snapshot-create fake ended while fwsd was away" ||
    fail "the ended job is not said: $(reasons a1 | tail -1)"
test -e "$note" && fail "the run file was kept"
stop_fwsd
printf '1 2 create 7 ../../etc/passwd x\n' >"$note"
start_fwsd
[ "$(field a1 job)" = "" ] || fail "garbage made a job"
test -e "$note" && fail "the garbage was kept"
grep -q "not understood, removed" "$T/fwsd.log" || fail "garbage not logged"
# and a stopped VM's snapshot with no restart in between: every disk once
fwsctl snapshot-create a1 after >/dev/null || fail "snapshot after the lies"
has_once after
note "lies not followed"
