#!/usr/bin/env python3
"""bench-stats.py: what a "stats" of many VMs costs, beside a "list" of
the same VMs in the same run.

BENCH_STATS_VMS guests (default 100), each the test guest with 16 MiB
and a 1 MiB qcow2 disk, started and paused at once (so that 100 TCG
guests do not take both cores while fwsd is measured).  Then,
alternately, BENCH_STATS_RUNS times each (default 50):

  list   the "list" request, on a fresh connection, from connect to the
         reply parsed: what fwsd answers from memory;
  stats  the "stats" request the same way: /proc read twice per VM, a
         netlink question per NIC (none here), and query-blockstats
         asked of every qemu at once, answered when the last replied;
  prom   "fwsctl stats --prometheus" as a process, wall time.

Goal: one stats of 100 VMs under 50 ms.
"""
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402

VMS = int(os.environ.get("BENCH_STATS_VMS", "100"))
RUNS = int(os.environ.get("BENCH_STATS_RUNS", "50"))


def timed(f, cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    t0 = time.monotonic()
    s.connect(f.sock)
    s.sendall(b'{"id":1,"cmd":"%s"}\n' % cmd.encode())
    reply = next(benchlib.lines(s))
    t1 = time.monotonic()
    s.close()
    if not reply.get("ok") or len(reply["result"]) != VMS:
        raise RuntimeError("%s: %r" % (cmd, reply)[:300])
    return t1 - t0, reply["result"]


def main():
    f = benchlib.Fwsd("vnc_displays = %d" % max(VMS, 100))
    res = {"list": [], "stats": [], "prom": []}
    try:
        c = benchlib.Conn(f.sock)
        for i in range(VMS):
            name = "s%03d" % i
            c.call("create", f.create_args(
                name, memory=16, disks=[{"size": 1 << 20}],
                mac="02:fb:01:00:%02x:%02x" % (i >> 8, i & 0xff)))
            c.call("start", {"name": name})
            c.call("pause", {"name": name})
        c.close()
        time.sleep(2)
        for _ in range(RUNS):
            dt, _ = timed(f, "list")
            res["list"].append(dt)
            dt, _ = timed(f, "stats")
            res["stats"].append(dt)
            t0 = time.monotonic()
            subprocess.run([benchlib.FWSCTL, "--socket", f.sock, "stats",
                            "--prometheus"], check=True,
                           stdout=subprocess.DEVNULL)
            res["prom"].append(time.monotonic() - t0)
    finally:
        f.close()

    print("stats of %d paused guests with a disk each, beside list" % VMS)
    for k in ("list", "stats", "prom"):
        benchlib.show_pct(k, res[k])
    print("  ratio stats/list (medians): %.2f" %
          benchlib.ratio(res["stats"], res["list"]))
    print("  goal: stats under 50 ms: p50 %.1f ms, max %.1f ms" %
          (benchlib.pct([x * 1000 for x in res["stats"]], 50),
           max(res["stats"]) * 1000))


if __name__ == "__main__":
    sys.exit(main())
