#!/bin/sh
# run.sh: run each unit test binary given and sum up their cmocka results.
# Prints "unit: N passed, N failed" and fails when any test failed.
passed=0 failed=0
for t in "$@"; do
	out=$("$t" 2>&1); rc=$?
	echo "$out" | grep -E '^\[  (PASSED|FAILED) \]|^\[  ERROR   \]|ERROR: |runtime error' 
	p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p')
	f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p')
	passed=$((passed + ${p:-0}))
	if [ "$rc" != 0 ] && [ -z "$f" ]; then
		echo "$out" | tail -20
		f=1
	fi
	failed=$((failed + ${f:-0}))
	echo "$(basename "$t"): ${p:-0} passed, ${f:-0} failed"
done
echo "unit: $passed passed, $failed failed"
[ "$failed" = 0 ]
