#!/usr/bin/env python3
"""bench-noisy.py: a noisy neighbour against a quiet guest, with and
without fair shares, in one run.

Two guests on one fwsd.  The quiet one (1 vCPU) measures, from inside,
its own CPU loop rate (rounds of a shell loop in 5 s of its clock) and
its disk rate (32 MiB written with O_DIRECT to its own disk, timed by
its clock).  The noisy one (twice as many vCPUs as the host has CPUs)
burns every vCPU and writes to its disk flat out.

  alone     the quiet guest with the noisy one stopped;
  plain     both, under an fwsd with cgroup = none: the qemus share
            fwsd's cgroup, the kernel shares the CPUs per thread;
  cgroups   both, each qemu in its cgroup, the default weights, no cap;
  capped    the quiet guest alone under the limits of shared;
  shared    both with equal CPU weights, each capped at half the host's
            CPUs (--cpu-max), each disk capped at BENCH_NOISY_BPS
            (default 16M a second) with set --disk-limit.

The fair share of the quiet guest is what it gets alone under the same
limits: alone for plain and cgroups, capped for shared (its disk rate
alone, or the disk cap if lower).  What is reported is the quiet
guest's rate over that share; the goal with shares is 0.9 or more.  Modes alternate round by round (BENCH_ROUNDS,
default 3), so drift in the machine hits them alike.
"""
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
BPS = os.environ.get("BENCH_NOISY_BPS", "16M")
CPUS = os.cpu_count() or 2
NOISY_VCPUS = 2 * CPUS

# centiseconds of the guest's clock, from /proc/uptime, into $1
CS = 'cs() { read u _ </proc/uptime; eval "$1=${u%.*}${u#*.}"; }; '
# rounds of a 1000-step loop in 5 s
CPU_LINE = (CS + 'n=0; cs s; e=$((s+500)); while :; do i=0; '
            'while [ $i -lt 1000 ]; do i=$((i+1)); done; n=$((n+1)); '
            'cs c; [ $c -ge $e ] && break; done; '
            'echo CPU-RATE-$n-$((c-s))-$((40+2))\n')
# 32 MiB with O_DIRECT to the guest's disk, in centiseconds
DISK_LINE = (CS + 'cs s; dd if=/dev/zero of=/dev/vda bs=1M count=32 '
             'oflag=direct 2>/dev/null; cs c; '
             'echo DISK-TIME-$((c-s))-$((40+2))\n')
NOISE_LINE = ('for i in $(seq %d); do (while :; do :; done) & done; '
              '(while :; do dd if=/dev/zero of=/dev/vda bs=1M count=32 '
              'oflag=direct 2>/dev/null; done) & echo NOISE-$((40+2))\n'
              % NOISY_VCPUS).encode()


class Guest:
    """A VM's serial console: lines typed, answers read from its log."""

    def __init__(self, f, name):
        info = f.info(name)
        self.log = info["serial_log"]
        self.sock = "%s/%s.serial" % (f.run, info["uuid"])

    def booted(self, since):
        wait_log(self.log, since, b"FWS-GUEST-READY")
        time.sleep(1)

    def ask(self, line, mark, secs=300):
        """Type line; the numbers of its answer MARK-N-...-42 (not its
        echo, which shows the shell's words), as ints."""
        since = size(self.log)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.sock)
        s.sendall(line if isinstance(line, bytes) else line.encode())
        try:
            # open until answered: qemu drops what the guest has not read
            m = wait_log(self.log, since, re.compile(
                re.escape(mark) + rb"((?:-[0-9]+)*)-42\b"), secs)
        finally:
            s.close()
        return [int(x) for x in m.group(1).split(b"-")[1:]]


def size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def wait_log(log, since, what, secs=300):
    """Until log shows what (bytes, or a compiled regex) past since;
    the match."""
    if isinstance(what, bytes):
        what = re.compile(re.escape(what))
    t_end = time.monotonic() + secs
    while time.monotonic() < t_end:
        with open(log, "rb") as f:
            f.seek(since)
            m = what.search(f.read())
        if m:
            return m
        time.sleep(0.2)
    raise RuntimeError("%s: no %r" % (log, what.pattern))


def measure(quiet, pid):
    """The quiet guest's CPU loop rate, the CPUs its qemu had meanwhile
    (host side, every thread's time on a CPU), its disk rate."""
    # a first loop warms up (qemu translates the shell's code once)
    quiet.ask(CPU_LINE, b"CPU-RATE")
    c0, t0 = benchlib.proc_cpu_ns(pid), time.monotonic()
    rounds, cs = quiet.ask(CPU_LINE, b"CPU-RATE")
    host = (benchlib.proc_cpu_ns(pid) - c0) / (time.monotonic() - t0)
    cpu = rounds / (cs / 100.0)
    (cs,) = quiet.ask(DISK_LINE, b"DISK-TIME")
    disk = 32.0 / max(cs, 1) * 100.0          # MiB/s
    return cpu, host, disk


def start(f, name):
    g = Guest(f, name)
    since = size(g.log)
    f.ctl("start", name)
    g.booted(since)
    return g


MODES = ("alone", "plain", "cgroups", "capped", "shared")


def main():
    f = benchlib.Fwsd()
    fp = None
    res = {m: {"cpu": [], "host": [], "disk": []} for m in MODES}
    try:
        fp = benchlib.Fwsd("cgroup = none\n")
        for x in (f, fp):
            x.guest("quiet", "--disk", "64M", start=False)
            x.guest("noisy", "--vcpus", str(NOISY_VCPUS), "--disk", "64M",
                    start=False)
        half = "%g" % (CPUS / 2.0)
        for _ in range(ROUNDS):
            for mode in MODES:
                x = fp if mode == "plain" else f
                for vm in ("quiet", "noisy"):
                    if mode in ("capped", "shared"):
                        x.ctl("set", vm, "--cpu-weight", "100",
                              "--cpu-max", half)
                        x.ctl("set", vm, "--disk-limit", "0,bps=" + BPS)
                    elif mode != "plain":
                        x.ctl("set", vm, "--cpu-weight", "default",
                              "--cpu-max", "none")
                        x.ctl("set", vm, "--disk-limit", "0,none")
                quiet = start(x, "quiet")
                if mode not in ("alone", "capped"):
                    noisy = start(x, "noisy")
                    noisy.ask(NOISE_LINE, b"NOISE")
                    time.sleep(1)
                cpu, host, disk = measure(quiet, x.info("quiet")["pid"])
                res[mode]["cpu"].append(cpu)
                res[mode]["host"].append(host)
                res[mode]["disk"].append(disk)
                for vm in ("quiet", "noisy"):
                    if x.info(vm)["state"] != "stopped":
                        x.ctl("destroy", vm)
    finally:
        if fp is not None:
            fp.close()
        f.close()

    med = {m: {k: benchlib.statistics.median(v) for k, v in r.items()}
           for m, r in res.items()}
    cap = benchlib.parse_rate(BPS) / (1 << 20)
    # the fair share: what the quiet guest gets alone, under the same
    # limits as in the mode measured
    share = {m: (med["capped" if m == "shared" else "alone"]["cpu"],
                 min(med["alone"]["disk"], cap) if m == "shared" else
                 med["alone"]["disk"]) for m in MODES}
    print("a noisy neighbour (%d vCPUs burning, its disk written flat out)"
          " against a quiet guest (1 vCPU) on %d host CPUs, TCG, %d rounds"
          % (NOISY_VCPUS, CPUS, ROUNDS))
    for m in MODES:
        print("  %-8s quiet CPU %7.1f rounds/s (its qemu on %.2f CPUs)"
              "   disk %7.1f MiB/s" % (m, med[m]["cpu"], med[m]["host"],
                                      med[m]["disk"]))
    print("  fair share: alone (plain, cgroups), alone with the limits"
          " (shared); the disk cap %s/s" % BPS)
    for m in ("plain", "cgroups", "shared"):
        print("  %-8s quiet's CPU / fair share %.2f, disk / fair share %.2f"
              % (m, med[m]["cpu"] / share[m][0],
                 min(med[m]["disk"], share[m][1]) / share[m][1]))


if __name__ == "__main__":
    sys.exit(main())
