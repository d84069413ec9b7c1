#!/usr/bin/env python3
"""bench-control.py: the control plane with many VMs defined.

One fwsd with BENCH_DEFINED VMs (default 1000) created on the test guest
and never started: nothing but the control socket is measured.

  create      each "create" request to its reply, one connection;
  list        "list" of every VM, on a fresh connection each time, from
              connect to the whole reply parsed (BENCH_LIST_RUNS, 200);
  fwsctl list "fwsctl list" as a process, wall time, its output read,
              against fwsd's own answer: "list" on a fresh connection
              from connect to the reply's last byte, not parsed; and
              "fwsctl version" likewise, what any fwsctl costs (exec,
              dynamic linking, a connection) whatever it asks.  The
              three in turn, BENCH_CTL_RUNS (200) times;
  info, one   requests/second of "info NAME" (every VM in turn), one
              client, one request at a time on one connection
              (BENCH_INFO_N requests, default 10000);
  info, pipelined  the same with up to BENCH_WINDOW (64) requests sent
              ahead of their replies, as the protocol allows;
  50 clients  BENCH_CLIENTS (50) threads at once, each with its own
              connection, BENCH_PER_CLIENT (100) requests each, "info" of
              a VM and "list" in turn; then the same with a fresh
              connection for every request (as fwsctl does); then 50
              "fwsctl info" processes at once, 5 times.  Every reply is
              checked (its id, ok, the VM's name, the list's length):
              anything else, a refused, reset or timed-out connection or
              a failed fwsctl counts as an error.

For each, fwsd's own CPU time per request (its time on a CPU, from
/proc/PID/task/*/schedstat): what a request costs the server, whatever
the Python client's speed.
"""
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402

DEFINED = int(os.environ.get("BENCH_DEFINED", "1000"))
LIST_RUNS = int(os.environ.get("BENCH_LIST_RUNS", "200"))
INFO_N = int(os.environ.get("BENCH_INFO_N", "10000"))
WINDOW = int(os.environ.get("BENCH_WINDOW", "64"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "50"))
PER_CLIENT = int(os.environ.get("BENCH_PER_CLIENT", "100"))
CTL_RUNS = int(os.environ.get("BENCH_CTL_RUNS", "200"))


def name(i):
    return "d%04d" % i


def create_all(f):
    c = benchlib.Conn(f.sock)
    lat = []
    try:
        for i in range(DEFINED):
            t0 = time.monotonic()
            c.call("create", f.create_args(
                name(i), memory=16,
                mac="02:fb:01:00:%02x:%02x" % (i >> 8, i & 0xff)))
            lat.append(time.monotonic() - t0)
    finally:
        c.close()
    return lat


def answer_once(f):
    """ "list" on a fresh connection, from connect to the last byte of
    the reply, not parsed: fwsd's own answer, in seconds."""
    t0 = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(f.sock)
    s.sendall(b'{"id":1,"cmd":"list"}\n')
    buf = b""
    while not buf.endswith(b"\n"):
        data = s.recv(1 << 20)
        if not data:
            raise ConnectionError("fwsd closed the connection")
        buf += data
    s.close()
    return time.monotonic() - t0


def fwsctl_once(f, *args):
    """ "fwsctl ARGS" as a process, its output read, in seconds."""
    t0 = time.monotonic()
    subprocess.run([benchlib.FWSCTL, "--socket", f.sock] + list(args),
                   check=True, stdout=subprocess.PIPE)
    return time.monotonic() - t0


def fwsctl_vs_answer(f, runs):
    """fwsd's answer, "fwsctl list" and "fwsctl version", in turn, runs
    times each: whatever else the machine does falls on all three."""
    answers, lists, versions = [], [], []
    for _ in range(runs):
        answers.append(answer_once(f))
        lists.append(fwsctl_once(f, "list"))
        versions.append(fwsctl_once(f, "version"))
    return answers, lists, versions


def info_sequential(f):
    c = benchlib.Conn(f.sock)
    lat = []
    try:
        t_start = time.monotonic()
        for i in range(INFO_N):
            t0 = time.monotonic()
            r = c.call("info", {"name": name(i % DEFINED)})
            lat.append(time.monotonic() - t0)
            assert r["name"] == name(i % DEFINED)
        elapsed = time.monotonic() - t_start
    finally:
        c.close()
    return elapsed, lat


def info_pipelined(f):
    """Up to WINDOW requests ahead of their replies, on one connection."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(120)
    s.connect(f.sock)
    sent = got = 0
    buf = b""
    t_start = time.monotonic()
    try:
        while got < INFO_N:
            if sent < INFO_N and sent - got <= WINDOW // 2:
                batch = []
                while sent < INFO_N and sent - got < WINDOW:
                    batch.append(b'{"id":%d,"cmd":"info","args":{"name":'
                                 b'"%s"}}\n' % (sent, name(sent % DEFINED)
                                                .encode()))
                    sent += 1
                s.sendall(b"".join(batch))
            data = s.recv(1 << 20)
            if not data:
                raise ConnectionError("fwsd closed the connection")
            buf += data
            *done, buf = buf.split(b"\n")
            for line in done:
                r = json.loads(line)
                if r.get("id") != got or not r.get("ok") or \
                        r["result"]["name"] != name(got % DEFINED):
                    raise RuntimeError("bad reply %d: %s" % (got, line[:200]))
                got += 1
        return time.monotonic() - t_start
    finally:
        s.close()


class Clients:
    """CLIENTS threads at once; each does PER_CLIENT requests."""

    def __init__(self, f, fresh):
        self.f = f
        self.fresh = fresh
        self.errors = []
        self.lat = []
        self.lock = threading.Lock()
        self.barrier = threading.Barrier(CLIENTS + 1)

    def error(self, what):
        with self.lock:
            self.errors.append(what)

    def one(self, c, k, rnd):
        i = rnd.randrange(DEFINED)
        t0 = time.monotonic()
        if k % 2 == 0:
            r = c.call("info", {"name": name(i)})
            ok = r.get("name") == name(i)
        else:
            r = c.call("list")
            ok = len(r) == DEFINED
        dt = time.monotonic() - t0
        if not ok:
            self.error("wrong answer")
        return dt

    def client(self, idx):
        rnd = random.Random(idx)
        lat = []
        c = None
        try:
            self.barrier.wait()
            if not self.fresh:
                c = benchlib.Conn(self.f.sock, timeout=60)
            for k in range(PER_CLIENT):
                try:
                    if self.fresh:
                        t0 = time.monotonic()
                        c = benchlib.Conn(self.f.sock, timeout=60)
                        self.one(c, k + idx, rnd)
                        lat.append(time.monotonic() - t0)
                        c.close()
                        c = None
                    else:
                        lat.append(self.one(c, k + idx, rnd))
                except Exception as e:   # noqa: BLE001: counted
                    self.error("%s: %s" % (type(e).__name__, e))
                    if c is not None:
                        c.close()
                    c = None
                    if not self.fresh:
                        c = benchlib.Conn(self.f.sock, timeout=60)
        except Exception as e:           # noqa: BLE001: counted
            self.error("%s: %s" % (type(e).__name__, e))
        finally:
            if c is not None:
                c.close()
            with self.lock:
                self.lat.extend(lat)

    def run(self):
        threads = [threading.Thread(target=self.client, args=(i,))
                   for i in range(CLIENTS)]
        for t in threads:
            t.start()
        self.barrier.wait()
        t0 = time.monotonic()
        for t in threads:
            t.join()
        return time.monotonic() - t0


def fwsctl_storm(f, rounds=5):
    """CLIENTS fwsctl processes at once, rounds times: failures."""
    failures = []
    for r in range(rounds):
        procs = [subprocess.Popen([benchlib.FWSCTL, "--socket", f.sock,
                                   "info", name((r * CLIENTS + i) % DEFINED)],
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
                 for i in range(CLIENTS)]
        for p in procs:
            _, err = p.communicate()
            if p.returncode != 0:
                failures.append(err.decode().strip())
    return rounds * CLIENTS, failures


def cpu_of(f, fn, *args):
    c0 = benchlib.proc_cpu_ns(f.proc.pid)
    out = fn(*args)
    return out, benchlib.proc_cpu_ns(f.proc.pid) - c0


def main():
    f = benchlib.Fwsd()
    try:
        creates, cpu_create = cpu_of(f, create_all, f)
        lists, cpu_list = cpu_of(f, benchlib.list_latency, f.sock, DEFINED,
                                 LIST_RUNS)
        answers, ctl_list, ctl_version = fwsctl_vs_answer(f, CTL_RUNS)
        (seq_s, seq_lat), cpu_seq = cpu_of(f, info_sequential, f)
        pipe_s, cpu_pipe = cpu_of(f, info_pipelined, f)
        per = Clients(f, fresh=False)
        per_s, cpu_per = cpu_of(f, per.run)
        fresh = Clients(f, fresh=True)
        fresh_s, cpu_fresh = cpu_of(f, fresh.run)
        (storm_n, storm_fail), _ = cpu_of(f, fwsctl_storm, f)
        rss = benchlib.proc_kib(f.proc.pid)
        hwm = benchlib.proc_kib(f.proc.pid, "VmHWM")
    finally:
        f.close()

    print("control plane, %d VMs defined (none running)" % DEFINED)
    benchlib.show_pct("create", creates)
    print("    fwsd CPU per create: %.0f us" % (cpu_create / DEFINED * 1e6))
    benchlib.show_pct("list (socket)", lists)
    print("    fwsd CPU per list: %.0f us" % (cpu_list / LIST_RUNS * 1e6))
    benchlib.show_pct("list answer, unparsed", answers)
    benchlib.show_pct("fwsctl list (process)", ctl_list)
    benchlib.show_pct("fwsctl version (proc.)", ctl_version)
    print("    fwsctl list / fwsd's answer (p50): %.2f" %
          (benchlib.pct(ctl_list, 50) / benchlib.pct(answers, 50)))
    print("  info, one client, one at a time: %d requests in %.2f s: "
          "%.0f requests/s; fwsd CPU %.1f us per request" %
          (INFO_N, seq_s, INFO_N / seq_s, cpu_seq / INFO_N * 1e6))
    benchlib.show_pct("info (socket)", seq_lat)
    print("  info, one client, pipelined (window %d): %d requests in %.2f s:"
          " %.0f requests/s; fwsd CPU %.1f us per request" %
          (WINDOW, INFO_N, pipe_s, INFO_N / pipe_s, cpu_pipe / INFO_N * 1e6))
    n = CLIENTS * PER_CLIENT
    print("  %d clients at once, own connection each, info and list in "
          "turn: %d requests in %.2f s (%.0f/s), errors %d; fwsd CPU "
          "%.0f us per request" % (CLIENTS, n, per_s, n / per_s,
                                   len(per.errors), cpu_per / n * 1e6))
    benchlib.show_pct("request", per.lat)
    print("  %d clients at once, a connection per request: %d requests in "
          "%.2f s (%.0f/s), errors %d; fwsd CPU %.0f us per request" %
          (CLIENTS, n, fresh_s, n / fresh_s, len(fresh.errors),
           cpu_fresh / n * 1e6))
    benchlib.show_pct("connect+request", fresh.lat)
    print("  %d fwsctl info processes at once, 5 times: %d runs, errors %d"
          % (CLIENTS, storm_n, len(storm_fail)))
    print("  fwsd RSS at the end %d KiB (peak %d KiB)" % (rss, hwm))
    errors = per.errors + fresh.errors + storm_fail
    for e in sorted(set(errors))[:10]:
        print("    error: %s (%d times)" % (e, errors.count(e)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
