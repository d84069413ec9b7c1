#!/bin/sh
# run.sh: run each integration test (t-*.sh, one behaviour per script,
# each with its own fwsd) and sum up.  Prints "integration: N passed,
# N failed"; fails when any test failed.  Names given as arguments run
# just those.
cd "$(dirname "$0")" || exit 1
passed=0 failed=0 failures=""
tests=${*:-$(ls t-*.sh)}
for t in $tests; do
	start=$(date +%s)
	if sh "$t"; then
		passed=$((passed + 1))
		echo "ok    $t ($(( $(date +%s) - start )) s)"
	else
		failed=$((failed + 1))
		failures="$failures $t"
		echo "FAIL  $t ($(( $(date +%s) - start )) s)"
	fi
done
[ -n "$failures" ] && echo "failed:$failures"
echo "integration: $passed passed, $failed failed"
[ "$failed" = 0 ]
