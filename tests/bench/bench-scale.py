#!/usr/bin/env python3
"""bench-scale.py: what fwsd costs with many guests, and how that grows.

One fwsd; guests are added in steps (BENCH_SCALE, default "10,50,100":
10 guests, then 50, then 100 running at once).  Each guest is the test
guest with fwsd's smallest --memory (16 MiB), started ("start" request,
answered once QMP says "running") and paused at once ("pause"), so that
100 TCG guests do not take both cores and the machine is quiet while
fwsd is measured.  At each step:

  idle     BENCH_IDLE seconds (default 10) with no request: the change of
           fwsd's CPU time (what utime+stime count in ticks, read to the
           nanosecond from /proc/PID/task/*/schedstat) and of its context
           switches (voluntary + involuntary, every thread,
           /proc/PID/task/*/status).  An event loop with nothing to do
           sleeps in epoll_wait: both deltas should be 0; any switch is
           a wake-up.
  memory   fwsd's VmRSS and open descriptors, then and after adoption.
  list     "list" on the socket, BENCH_LIST_RUNS times (default 1000):
           each on a fresh connection, from connect to the last byte of
           the reply parsed; and "fwsctl list" as a process, wall time,
           BENCH_CTL_RUNS times (default 200).
  adopt    kill -9 of fwsd (the guests keep running), a new fwsd on the
           same state: time from its spawn to its first answer (it
           checks every qemu, reattaches its pidfd and QMP, before
           serving), and to the last guest's "adopted" event (its qemu
           answered query-status again and the state is committed);
           "list" must then show every guest paused, as it was.

  start    with n - 1 of the step's guests running (paused), 5 s after
           the last was added: BENCH_PROBES times (8) the start of an
           n-th VM through fwsd (request to reply, then destroy) and,
           interleaved, a bare start of qemu with the argv fwsd used for
           it (spawn until QMP says "running", as bench-lifecycle.py):
           does what fwsd adds to a start grow with the guests it holds?
           (Not n + 1: fwsd gives every running VM a VNC display, of
           vnc_displays = 100 by default, so 100 at most run at once.)

The new fwsd carries on to the next step.  Each step also gives the
latency of the "start" requests that made its guests, and fwsd's own
CPU time for each start and each list (/proc/PID/task/*/schedstat).
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402

STEPS = [int(x) for x in os.environ.get("BENCH_SCALE",
                                        "10,50,100").split(",")]
IDLE = float(os.environ.get("BENCH_IDLE", "10"))
LIST_RUNS = int(os.environ.get("BENCH_LIST_RUNS", "1000"))
CTL_RUNS = int(os.environ.get("BENCH_CTL_RUNS", "200"))
PROBES = int(os.environ.get("BENCH_PROBES", "8"))
MEMORY = 16             # MiB: the least create accepts


def name(i):
    return "v%03d" % i


def add_guests(f, have, want):
    """Create, start and pause guests have..want-1; the start latencies
    and fwsd's CPU time for each start."""
    c = benchlib.Conn(f.sock)
    starts, cpu = [], []
    try:
        for i in range(have, want):
            c.call("create", f.create_args(
                name(i), memory=MEMORY,
                mac="02:fb:00:00:%02x:%02x" % (i >> 8, i & 0xff)))
            c0 = benchlib.proc_cpu_ns(f.proc.pid)
            t0 = time.monotonic()
            c.call("start", {"name": name(i)})
            starts.append(time.monotonic() - t0)
            cpu.append(benchlib.proc_cpu_ns(f.proc.pid) - c0)
            c.call("pause", {"name": name(i)})
    finally:
        c.close()
    return starts, cpu


def qemus_cpu(pids):
    total = 0.0
    for p in pids:
        try:
            total += benchlib.proc_cpu_ns(p)
        except OSError:
            pass
    return total


def idle(pid, seconds, qemus=()):
    """fwsd's CPU seconds and context switches over seconds of quiet,
    the guests' qemus' CPU seconds together, and the share of the
    machine's CPUs that was busy meanwhile (anything else running)."""
    m0 = benchlib.cpu_busy()
    q0 = qemus_cpu(qemus)
    cpu0, sw0 = benchlib.proc_cpu_ns(pid), benchlib.proc_switches(pid)
    time.sleep(seconds)
    cpu1, sw1 = benchlib.proc_cpu_ns(pid), benchlib.proc_switches(pid)
    q1 = qemus_cpu(qemus)
    m1 = benchlib.cpu_busy()
    busy = (m1[0] - m0[0]) / max(1, m1[1] - m0[1])
    return cpu1 - cpu0, (sw1[0] - sw0[0], sw1[1] - sw0[1]), q1 - q0, busy


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def probe_starts(f, k):
    """With the step's guests paused around: k starts (to its reply) and
    destroys of one more VM through fwsd, interleaved with k bare starts
    (spawn until QMP says "running") with the argv fwsd used for it."""
    c = benchlib.Conn(f.sock)
    fw, bare, argv = [], [], None
    own = benchlib.qemu_dir(f.tmp, "probe")
    try:
        c.call("create", f.create_args("probe", memory=MEMORY,
                                       mac="02:fb:00:01:00:00"))
        for _ in range(k):
            t0 = time.monotonic()
            vm = c.call("start", {"name": "probe"})
            fw.append(time.monotonic() - t0)
            if argv is None:
                log = c.call("info", {"name": "probe"})["serial_log"]
                argv = benchlib.bare_argv(benchlib.qemu_argv(vm["pid"]), [
                    (f.run + "/" + vm["uuid"] + ".pid", benchlib.bare_pidfile(f.tmp, "probe")),
                    (log, own + "/bare.log")])
            c.call("destroy", {"name": "probe"})
            proc, q, dt = benchlib.bare_start(argv, f.tmp, "probe")
            bare.append(dt)
            benchlib.stop_bare(proc)
            q.close()
        c.call("delete", {"name": "probe"})
    finally:
        c.close()
    return fw, bare


def fwsctl_latency(f, runs):
    out = []
    for _ in range(runs):
        t0 = time.monotonic()
        subprocess.run([benchlib.FWSCTL, "--socket", f.sock, "list"],
                       check=True, stdout=subprocess.DEVNULL)
        out.append(time.monotonic() - t0)
    return out


def last_seq(f):
    c = benchlib.Conn(f.sock)
    ev = c.call("events", {"limit": 1})
    c.close()
    return ev[-1]["seq"] if ev else 0


def adopt(f, n):
    """kill -9 fwsd, start another: seconds to its first answer and to
    every guest adopted."""
    before = last_seq(f)
    f.kill()
    t0 = f.start()
    t_serve = f.wait_serving() - t0
    c = benchlib.Conn(f.sock)
    try:
        deadline = time.monotonic() + 120
        while True:
            ev = c.call("events", {"limit": 2 * n + 10})
            adopted = {e["vm"] for e in ev
                       if e["seq"] > before and e["event"] == "adopted"}
            if len(adopted) == n:
                t_all = time.monotonic() - t0
                break
            if time.monotonic() > deadline:
                raise RuntimeError("only %d of %d guests adopted" %
                                   (len(adopted), n))
            time.sleep(0.002)
        vms = c.call("list")
    finally:
        c.close()
    states = {}
    for v in vms:
        states[v["state"]] = states.get(v["state"], 0) + 1
    if states != {"paused": n}:
        raise RuntimeError("after adoption: %s" % json.dumps(states))
    other = [e for e in ev if e["seq"] > before and
             e["event"] not in ("adopted",)]
    if other:
        raise RuntimeError("unexpected events: %s" % json.dumps(other))
    return t_serve, t_all


def main():
    benchlib.become_subreaper()
    f = benchlib.Fwsd()
    rows = []
    try:
        time.sleep(1)
        base_rss = benchlib.proc_kib(f.proc.pid)
        base_cpu, base_sw, _, base_busy = idle(f.proc.pid, IDLE)
        have = 0
        for n in STEPS:
            # n - 1 guests, the probe as the n-th (fwsd gives every
            # running VM one of its 100 VNC displays), the last
            starts, start_cpu = add_guests(f, have, n - 1)
            # after many starts every qemu start, a bare one too, is
            # slower for a few seconds: compare in the quiet that follows
            time.sleep(5)
            probe_fw, probe_bare = probe_starts(f, PROBES)
            more, more_cpu = add_guests(f, n - 1, n)
            starts += more
            start_cpu += more_cpu
            have = n
            pid = f.proc.pid
            time.sleep(2)                     # let the last one settle
            qemus = [p for p in f.ours() if p != pid]
            cpu, sw, qcpu, busy = idle(pid, IDLE, qemus)
            rss, nfd = benchlib.proc_kib(pid), fds(pid)
            threads = len(os.listdir("/proc/%d/task" % pid))
            c0 = benchlib.proc_cpu_ns(pid)
            lat = benchlib.list_latency(f.sock, n, LIST_RUNS)
            list_cpu = (benchlib.proc_cpu_ns(pid) - c0) / LIST_RUNS
            ctl = fwsctl_latency(f, CTL_RUNS)
            t_serve, t_all = adopt(f, n)
            time.sleep(1)
            rss2, nfd2 = benchlib.proc_kib(f.proc.pid), fds(f.proc.pid)
            qemu_rss = sorted(benchlib.proc_kib(p) for p in f.ours()
                              if p != f.proc.pid)
            rows.append(dict(n=n, starts=starts, start_cpu=start_cpu,
                             probe_fw=probe_fw, probe_bare=probe_bare,
                             list_cpu=list_cpu, cpu=cpu, sw=sw, busy=busy,
                             qemus=len(qemus), qcpu=qcpu,
                             rss=rss,
                             fds=nfd, threads=threads, lat=lat, ctl=ctl,
                             serve=t_serve, adopted=t_all, rss2=rss2,
                             fds2=nfd2,
                             qemu_rss=qemu_rss[len(qemu_rss) // 2]))
            print("  %d guests done" % n, flush=True)
    finally:
        f.close()

    print("fwsd with many guests (test guest, %d MiB, TCG, each paused "
          "after its start)" % MEMORY)
    print("  no guest: fwsd RSS %d KiB; idle %gs: CPU %.0f us, context "
          "switches %d + %d (machine %.1f %% busy)" %
          (base_rss, IDLE, base_cpu * 1e6, base_sw[0], base_sw[1],
           base_busy * 100))
    for r in rows:
        print("  %d guests (one qemu: RSS %d KiB):" % (r["n"],
                                                      r["qemu_rss"]))
        benchlib.show_pct("start request", r["starts"])
        benchlib.show_pct("fwsd CPU per start", r["start_cpu"])
        benchlib.show_pct("n-th VM: fwsd start", r["probe_fw"])
        benchlib.show_pct("n-th VM: bare start", r["probe_bare"])
        print("    ratio fwsd/bare start (medians): %.2f" %
              benchlib.ratio(r["probe_fw"], r["probe_bare"]))
        print("    idle %gs: fwsd CPU %.0f us, context switches %d "
              "voluntary + %d involuntary; %d thread(s)" %
              (IDLE, r["cpu"] * 1e6, r["sw"][0], r["sw"][1], r["threads"]))
        print("      meanwhile the %d paused qemus used %.2f CPU-s; the "
              "machine was %.1f %% busy" % (r["qemus"], r["qcpu"],
                                            r["busy"] * 100))
        print("    fwsd RSS %d KiB, %d fds; after adoption %d KiB, %d fds" %
              (r["rss"], r["fds"], r["rss2"], r["fds2"]))
        benchlib.show_pct("list (socket)", r["lat"])
        print("    fwsd CPU per list: %.0f us" % (r["list_cpu"] * 1e6))
        benchlib.show_pct("fwsctl list (process)", r["ctl"])
        print("    kill -9 fwsd, new fwsd: first answer %.1f ms, every "
              "guest adopted %.1f ms" % (r["serve"] * 1000,
                                         r["adopted"] * 1000))
    print("  growth:")
    print("  | guests | fwsd RSS KiB | RSS after adoption KiB | fds | "
          "idle CPU us | idle switches | list p50 ms | list p99 ms | "
          "fwsctl list p50 ms | fwsctl list p99 ms | first answer ms | "
          "all adopted ms | start p50 ms | fwsd CPU per start ms | "
          "fwsd CPU per list us | start fwsd/bare |")
    for r in rows:
        print("  | %d | %d | %d | %d | %.0f | %d | %.2f | %.2f | %.2f | "
              "%.2f | %.1f | %.1f | %.1f | %.2f | %.0f | %.2f |" %
              (r["n"], r["rss"], r["rss2"], r["fds"], r["cpu"] * 1e6,
               r["sw"][0] + r["sw"][1], benchlib.pct(r["lat"], 50) * 1000,
               benchlib.pct(r["lat"], 99) * 1000,
               benchlib.pct(r["ctl"], 50) * 1000,
               benchlib.pct(r["ctl"], 99) * 1000, r["serve"] * 1000,
               r["adopted"] * 1000, benchlib.pct(r["starts"], 50) * 1000,
               benchlib.pct(r["start_cpu"], 50) * 1000,
               r["list_cpu"] * 1e6,
               benchlib.ratio(r["probe_fw"], r["probe_bare"])))


if __name__ == "__main__":
    sys.exit(main())
