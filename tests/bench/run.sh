#!/bin/sh
# run.sh: every benchmark under tests/bench, one after the other (they
# measure time; running them in parallel would measure each other).
# Each prints its method, its samples' distribution and its ratio.
#
# Their sizes come from the environment, for a quick run:
#   BENCH_ROUNDS      rounds of restart, snapshot, lifecycle (10, 10, 8)
#   BENCH_QUICK_ROUNDS start-and-destroy rounds of lifecycle after those (40)
#   BENCH_SCALE       guests running at each step of bench-scale (10,50,100)
#   BENCH_IDLE        seconds of idleness measured at each step (10)
#   BENCH_LIST_RUNS   list requests per step (1000; 200 in bench-control)
#   BENCH_CTL_RUNS    fwsctl list processes per step, and in bench-control (200)
#   BENCH_PROBES      starts, fwsd and bare, at each step (8)
#   BENCH_DEFINED     VMs defined in bench-control (1000)
#   BENCH_INFO_N      info requests, one client (10000)
#   BENCH_CLIENTS     concurrent clients (50), BENCH_PER_CLIENT requests (100)
#   BENCH_STATS_VMS   guests in bench-stats (100), BENCH_STATS_RUNS calls (50)
#   BENCH_TLS_VMS     VMs in bench-tls (100), BENCH_TLS_RUNS lists on kept
#                     connections (1000), BENCH_TLS_FRESH on new ones (200)
#   BENCH_NOISY_BPS   the disk cap of bench-noisy's shared mode (16M a second)
#   BENCH_SPAWN_ROUNDS spawns of each kind in bench-cgroup-spawn (20)
#   BENCH_MIGRATE_ROUNDS rounds of bench-migrate's shared-storage case, each
#                     A -> B and B -> A through fwsd and by hand (5)
#   BENCH_MIGRATE_COPY_ROUNDS the same with --copy-storage of a 1 GiB disk (1;
#                     0: none), BENCH_MIGRATE_FILL MiB the guest writes (256)
#   BENCH_WEB_ADMIN_VMS the admin's VMs in bench-web (500), BENCH_WEB_PAGES
#                     page loads each (20), BENCH_WEB_RUNS API lists each
#                     (500), BENCH_WEB_KEYS console keystrokes each way (200);
#                     FWS_XTERM_DIR where xterm.js is, if not installed
# e.g. BENCH_ROUNDS=3 BENCH_QUICK_ROUNDS=5 BENCH_SCALE=5,10 BENCH_IDLE=2
#      BENCH_DEFINED=100 make bench
set -u
dir=$(cd "$(dirname "$0")" && pwd)
rc=0
echo "== machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
    "$(uname -r), $(qemu-system-x86_64 --version | head -n 1)," \
    "$([ -w /dev/kvm ] && echo kvm || echo "no KVM (TCG)")"
for b in "$dir"/bench-*.py; do
	echo "== $(basename "$b")"
	python3 "$b" || rc=1
done
exit $rc
