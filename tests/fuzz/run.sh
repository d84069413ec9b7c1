#!/bin/sh
# run.sh SECONDS TARGET...: run each libFuzzer target for SECONDS over a
# copy of its seeds (tests/fuzz/corpus/NAME), so that what it finds goes
# to build/fuzz/corpus/NAME and never into the committed corpus.  A
# crash, a leak, a broken invariant or a hang is kept as
# build/fuzz/crashes/NAME/crash-* (or leak-*, timeout-*); run the target
# on that file alone to see it again.  Prints a line per target and
# "fuzz: N passed, N failed"; fails when any target failed.
time=$1
shift
here=$(dirname "$0")
passed=0 failed=0
for bin in "$@"; do
	t=$(basename "$bin")
	out=$(dirname "$bin")
	work=$out/corpus/$t
	crashes=$out/crashes/$t
	log=$out/$t.log
	mkdir -p "$work" "$crashes"
	cp -R "$here/corpus/$t/." "$work/"
	dict=
	[ -f "$here/$t.dict" ] && dict=-dict=$here/$t.dict
	"$bin" -max_total_time="$time" -timeout=10 -max_len=4096 \
	    -print_final_stats=1 -artifact_prefix="$crashes/" $dict \
	    "$work" >"$log" 2>&1
	rc=$?
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
	speed=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' "$log")
	cov=$(echo "$done_line" | sed -n 's/.*\(cov: [0-9]* ft: [0-9]*\).*/\1/p')
	runs=$(echo "$done_line" | sed -n 's/^#\([0-9]*\).*/\1/p')
	if [ "$rc" = 0 ]; then
		passed=$((passed + 1))
		echo "$t: ok, ${runs:-?} runs, ${speed:-?} exec/s, ${cov:-cov: ?}"
	else
		failed=$((failed + 1))
		tail -40 "$log"
		echo "$t: FAILED (exit $rc), input kept in $crashes, log in $log"
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
