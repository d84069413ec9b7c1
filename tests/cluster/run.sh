#!/bin/sh
# run.sh: the tests that start a one-node Ceph cluster of their own
# (t-*.sh here, with ceph.sh), as the integration suite runs its own
# (pool.py, a few side by side); "N passed, N failed" at the end.
# Names given as arguments run just those.
cd "$(dirname "$0")" || exit 1
exec python3 ../integration/pool.py ${*:-$(ls t-*.sh)}
