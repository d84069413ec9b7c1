#!/bin/sh
# run-sanitized.sh BUILD_DIR [t-NAME.sh ...]: run the integration tests,
# as run.sh does (a few side by side), with the fwsd and fwsctl of BUILD_DIR, built with
# ASan and UBSan, and fail if any sanitizer spoke.  Every sanitized
# process writes its reports (memory errors, undefined behaviour, leaks
# at exit) to a file of its own (log_path=) in a directory per test; the
# run passes only when every test passes and no report file exists at
# the end.  The reports are printed under the name of the test that made
# them.  Timeouts in the tests scale by FWS_TIME_SCALE (2 unless set).
top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 1 ] || { echo "usage: run-sanitized.sh BUILD_DIR [test ...]" >&2; exit 2; }
build=$(cd "$1" && pwd) || exit 1
shift
[ -x "$build/fwsd" ] && [ -x "$build/fwsctl" ] ||
    { echo "run-sanitized: no fwsd and fwsctl in $build" >&2; exit 1; }

reports=$(mktemp -d /tmp/fws-san.XXXXXX) || exit 1
trap 'rm -rf "$reports"' EXIT
trap 'exit 1' HUP INT PIPE TERM
export FWS_BUILD="$build"
export FWS_TIME_SCALE="${FWS_TIME_SCALE:-2}"
# leaks a library keeps for good, each one explained in the file
supp=$top/tests/lsan.supp
[ -f "$supp" ] && export LSAN_OPTIONS="suppressions=$supp:print_suppressions=0"

cd "$top/tests/integration" || exit 1
# the cluster's tests aside, as in run.sh
tests=${*:-$(grep -L '^# integration: cluster' t-*.sh)}
start=$(date +%s)
python3 pool.py --reports "$reports" $tests
rc=$?
reported=""
for t in $tests; do
	d=$reports/${t%.sh}
	[ -n "$(ls "$d" 2>/dev/null)" ] && reported="$reported $t"
done
for t in $reported; do
	for f in "$reports/${t%.sh}"/*; do
		echo "=== $t: sanitizer report $(basename "$f") ==="
		cat "$f"
	done
done
[ -n "$reported" ] && echo "sanitizer reports from:$reported"
echo "integration (sanitized): $(echo $reported | wc -w) with sanitizer" \
    "reports, $(( $(date +%s) - start )) s"
[ "$rc" = 0 ] && [ -z "$reported" ]
