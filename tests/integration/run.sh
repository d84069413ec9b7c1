#!/bin/sh
# run.sh: run each integration test (t-*.sh, one behaviour per script,
# each with its own fwsd) and sum up, a few side by side (pool.py;
# INTEGRATION_JOBS, 2 by default).  Prints "integration: N passed,
# N failed"; fails when any test failed.  Names given as arguments run
# just those; without, every test but those marked "# integration:
# cluster" (they need Corosync and Pacemaker: make check-cluster).
cd "$(dirname "$0")" || exit 1
exec python3 pool.py ${*:-$(grep -L '^# integration: cluster' t-*.sh)}
