#!/usr/bin/env python3
"""bench-tls.py: the remote API over TLS against the UNIX socket.

One fwsd with BENCH_TLS_VMS VMs (default 100) defined, never started,
listening on its control socket and with listen_tls on 127.0.0.1, its
certificates made by contrib/fws-tls-setup.  Side by side, in turn, so
that whatever else the machine does falls on both:

  persistent  "list" on one connection kept open, BENCH_TLS_RUNS (1000)
              requests: the cost of TLS on the bytes alone;
  fresh       "list" on a new connection each time (BENCH_TLS_FRESH,
              200), from connect to the whole reply parsed: over TLS,
              the handshake (ECDSA P-256, TLS 1.3, both certificates
              verified) is in it, as it is in every fwsctl;
  fwsctl      "fwsctl list" processes, --socket against --connect
              tls:// (BENCH_CTL_RUNS, 100).

p50 and p99 of each, the TLS/UNIX ratio of the medians, and fwsd's own
CPU time per request (from /proc/PID/task/*/schedstat).
"""
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402

VMS = int(os.environ.get("BENCH_TLS_VMS", "100"))
RUNS = int(os.environ.get("BENCH_TLS_RUNS", "1000"))
FRESH = int(os.environ.get("BENCH_TLS_FRESH", "200"))
CTL_RUNS = int(os.environ.get("BENCH_CTL_RUNS", "100"))
SETUP = os.path.join(benchlib.TOP, "contrib", "fws-tls-setup")


def pki(d):
    """A CA, 127.0.0.1's certificate and an admin client's, in d."""
    for args in (["ca", d], ["host", d, "127.0.0.1"], ["client", d, "ops"]):
        subprocess.run(["sh", SETUP] + args, check=True,
                       stdout=subprocess.DEVNULL)
    return os.path.join(d, "hosts", "127.0.0.1"), os.path.join(d, "clients",
                                                                "ops")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class TlsConn(benchlib.Conn):
    """benchlib.Conn over TLS to 127.0.0.1:port, with the client's
    certificate."""

    def __init__(self, port, ctx, timeout=120):
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        self.msgs = benchlib.lines(self.s)
        self.next_id = 1


def client_ctx(client):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(os.path.join(client, "ca.pem"))
    ctx.load_cert_chain(os.path.join(client, "cert.pem"),
                        os.path.join(client, "key.pem"))
    return ctx


def timed_list(conn):
    t0 = time.monotonic()
    vms = conn.call("list")
    t = time.monotonic() - t0
    assert len(vms) == VMS, len(vms)
    return t


def fwsctl(args, env=None):
    t0 = time.monotonic()
    subprocess.run([benchlib.FWSCTL] + args, check=True, env=env,
                   stdout=subprocess.PIPE)
    return time.monotonic() - t0


def cpu_per(f, fn, n):
    """fn() n times; fwsd's CPU seconds per call."""
    c0 = benchlib.proc_cpu_ns(f.proc.pid)
    for _ in range(n):
        fn()
    return (benchlib.proc_cpu_ns(f.proc.pid) - c0) / n


def report(name, local, remote):
    benchlib.show_pct(name + ", UNIX", local)
    benchlib.show_pct(name + ", TLS", remote)
    print("  %-22s TLS/UNIX %.2fx (medians)" % ("", benchlib.ratio(remote,
                                                                   local)))


def main():
    d = tempfile.mkdtemp(prefix="fws-bench-tls.")
    host, client = pki(os.path.join(d, "pki"))
    port = free_port()
    f = benchlib.Fwsd(
        "listen_tls = 127.0.0.1:%d\ntls_cert = %s/cert.pem\n"
        "tls_key = %s/key.pem\ntls_ca = %s/ca.pem\n"
        "tls_allowed = ops => admin\nclient_idle_timeout = 0\n"
        % (port, host, host, host))
    try:
        ctx = client_ctx(client)
        c = benchlib.Conn(f.sock)
        for i in range(VMS):
            c.call("create", f.create_args("t%04d" % i, memory=16,
                   mac="02:fb:02:00:%02x:%02x" % (i >> 8, i & 0xff)))
        print("  %d VMs defined; list's reply is %d bytes" %
              (VMS, len(json.dumps(c.call("list")))))
        t = TlsConn(port, ctx)
        local, remote = [], []
        for _ in range(RUNS):
            local.append(timed_list(c))
            remote.append(timed_list(t))
        report("persistent list", local, remote)
        cpu_l = cpu_per(f, lambda: c.call("list"), RUNS // 4)
        cpu_r = cpu_per(f, lambda: t.call("list"), RUNS // 4)
        c.close()
        t.close()

        def fresh_remote():
            t0 = time.monotonic()
            conn = TlsConn(port, ctx)
            conn.call("list")
            conn.close()
            return time.monotonic() - t0

        def fresh_local_full():
            t0 = time.monotonic()
            conn = benchlib.Conn(f.sock)
            conn.call("list")
            conn.close()
            return time.monotonic() - t0

        local, remote = [], []
        for _ in range(FRESH):
            local.append(fresh_local_full())
            remote.append(fresh_remote())
        report("fresh connection list", local, remote)
        cpu_fl = cpu_per(f, fresh_local_full, FRESH // 4)
        cpu_fr = cpu_per(f, fresh_remote, FRESH // 4)

        env = dict(os.environ, FWS_TLS_DIR=client)
        local, remote = [], []
        for _ in range(CTL_RUNS):
            local.append(fwsctl(["--socket", f.sock, "list"]))
            remote.append(fwsctl(["--connect", "tls://127.0.0.1:%d" % port,
                                  "list"], env))
        report("fwsctl list", local, remote)
        print("  fwsd CPU per list: persistent UNIX %.3f ms, TLS %.3f ms; "
              "fresh UNIX %.3f ms, TLS %.3f ms (handshake included)" %
              (cpu_l * 1000, cpu_r * 1000, cpu_fl * 1000, cpu_fr * 1000))
    finally:
        f.close()
        subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
