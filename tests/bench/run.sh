#!/bin/sh
# run.sh: every benchmark under tests/bench, one after the other (they
# measure time; running them in parallel would measure each other).
# Each prints its method, its samples' distribution and its ratio.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
rc=0
for b in "$dir"/bench-*.py; do
	echo "== $(basename "$b")"
	python3 "$b" || rc=1
done
exit $rc
