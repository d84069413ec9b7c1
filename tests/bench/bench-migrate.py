#!/usr/bin/env python3
"""bench-migrate.py: live migration between two fwsds against QEMU's own
migration driven by hand over QMP, side by side in one run.

Two hosts, A and B: each an fwsd in a network namespace of its own (run
under ip netns exec, with the host's cgroup file systems mounted again
in it, as the integration tests' ns-cgroups does; each fwsd its own
cgroup subtree), joined by a veth pair with addresses of the bench's own
(10.252.N.1 and .2), with host certificates made by fws-tls-setup, each
host's CN an admin in the other's tls_allowed.

Shared storage: the test guest, 512 MiB, booted and idle, a 16 MiB disk
in a disk_dir both hosts share.  Rounds alternate, A -> B then B -> A:

  fwsd    "fwsctl migrate --to tls://OTHER" as a process, wall time (the
          peer connection, the VM defined at the destination, its qemu
          spawned with -incoming defer, QEMU's migration, the guest run
          there, the source's qemu ended); and the figures fwsd reports
          (info --json "migration": QEMU's total-time and downtime);
  bare    two bare qemus started with the argv fwsd used (read from
          /proc/PID/cmdline; the destination's with -incoming defer), as
          the qemu user, each in its host's namespace, on a disk of their
          own that both open (shared); set up as fwsd sets them up:
          tls-creds-x509 from the same certificate files (endpoint
          server and client, verify-peer), authz-simple naming the
          source's subject as the destination's tls-authz, capability
          events, max-bandwidth as fwsd's default (no cap), tls-hostname;
          the destination's migrate-incoming tcp:IP:PORT, then timed:
          from the source's migrate until the destination's cont is
          answered (the source's MIGRATION completed, its query-migrate
          1 ms later and again twice as long after each try, as fwsd's,
          the destination's completed, cont), with QEMU's total-time and
          downtime; "bare+spawn" adds the destination's spawn and set-up
          before it, which fwsd's wall time includes too.

--copy-storage: no shared directory; a 1 GiB qcow2 disk of which the
guest wrote BENCH_MIGRATE_FILL MiB (256) of random data: fwsd's
migrate --copy-storage, A -> B then B -> A, against the same by hand:
the destination's NBD server and writable export (TLS, the same authz),
the source's nbd blockdev and blockdev-mirror sync full from the disk's
throttle node, BLOCK_JOB_READY, then the migration as above, the mirror
cancelled (READY: it ends consistent), the NBD server stopped, cont.

BENCH_MIGRATE_ROUNDS rounds of the shared case (5; each round two
migrations of each kind), BENCH_MIGRATE_COPY_ROUNDS of the copy (1: one
each way); BENCH_MIGRATE_SAMPLES=FILE keeps every sample there (JSON);
BENCH_MIGRATE_CONF adds lines to both fwsds' fwsd.conf (\\n between
lines), e.g. "cgroup = none".
The machine's load during the run is printed: the ratios of samples
taken alternately hold on a busy machine, the times do not.  The
total-time and downtime ratios come with a bootstrap interval and a
rank-sum test (benchlib.ratio_line): the downtime spreads from a few ms
to a few hundred within one kind, and a ratio of medians alone does not
say whether the two differ.
"""
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_MIGRATE_ROUNDS", "5"))
COPY_ROUNDS = int(os.environ.get("BENCH_MIGRATE_COPY_ROUNDS", "1"))
FILL = int(os.environ.get("BENCH_MIGRATE_FILL", "256"))
# where every sample goes as JSON (runs pooled later), when set
SAMPLES = os.environ.get("BENCH_MIGRATE_SAMPLES")
# more fwsd.conf lines for both hosts ("cgroup = none" and such)
CONF = os.environ.get("BENCH_MIGRATE_CONF", "").replace("\\n", "\n")
if CONF and not CONF.endswith("\n"):
    CONF += "\n"
MEMORY = "512"
BARE_PORT = 49300            # above fwsd's migration_ports (49152-49215)
BANDWIDTH = 1 << 40          # fwsd's max-bandwidth when none is asked
CLONE_NEWNET = 0x40000000
TLSSETUP = os.path.join(benchlib.TOP, "contrib", "fws-tls-setup")

_libc = ctypes.CDLL(None, use_errno=True)


class EvQmp(benchlib.Qmp):
    """A QMP connection that keeps the events it reads past."""

    def __init__(self, path):
        self.events = []
        super().__init__(path)

    def cmd(self, name, args=None):
        m = {"execute": name}
        if args:
            m["arguments"] = args
        self.s.sendall(json.dumps(m).encode() + b"\n")
        for msg in self.msgs:
            if "event" in msg:
                self.events.append(msg)
            elif "return" in msg or "error" in msg:
                return msg
        raise RuntimeError("QMP closed")

    def ok(self, name, args=None):
        r = self.cmd(name, args)
        if "error" in r:
            raise RuntimeError("QMP %s: %s" % (name, r["error"]["desc"]))
        return r["return"]

    def event(self, match):
        """The first event (kept or to come) that match(msg) takes."""
        for i, msg in enumerate(self.events):
            if match(msg):
                return self.events.pop(i)
        for msg in self.msgs:
            if match(msg):
                return msg
            if "event" in msg:
                self.events.append(msg)
        raise RuntimeError("QMP closed")


def migration_is(status):
    return lambda m: (m.get("event") == "MIGRATION" and
                      m["data"]["status"] in status)


def job_event(name, job):
    return lambda m: (m.get("event") == name and
                      m["data"].get("device") == job)


class Net:
    """Two network namespaces joined by a veth pair, and the script that
    mounts the host's cgroup file systems again under ip netns exec."""

    def __init__(self, tmp):
        n = int.from_bytes(os.urandom(1), "big") % 250 + 1
        tag = os.path.basename(tmp).split(".")[-1]
        self.ns = ["fwsbm-%s-a" % tag, "fwsbm-%s-b" % tag]
        self.ip = ["10.252.%d.1" % n, "10.252.%d.2" % n]
        self.made = []
        self.script = os.path.join(tmp, "ns-cgroups")
        with open(self.script, "w") as f:
            f.write(ns_cgroups())
        for ns, ip, dev in zip(self.ns, self.ip, ("mba", "mbb")):
            run(["ip", "netns", "add", ns])
            self.made.append(ns)
            os.makedirs("/etc/netns/" + ns, exist_ok=True)
            with open("/etc/netns/%s/resolv.conf" % ns, "w") as f:
                f.write("nameserver 127.0.0.1\n")
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
        run(["ip", "-n", self.ns[0], "link", "add", "mba", "type", "veth",
             "peer", "name", "mbb", "netns", self.ns[1]])
        for ns, ip, dev in zip(self.ns, self.ip, ("mba", "mbb")):
            run(["ip", "-n", ns, "addr", "add", ip + "/24", "dev", dev])
            run(["ip", "-n", ns, "link", "set", dev, "up"])

    def wrap(self, i):
        return ["ip", "netns", "exec", self.ns[i], "sh", self.script]

    def spawner(self, i):
        """A benchlib.Spawner forked in namespace i: its qemus live there."""
        home = os.open("/proc/self/ns/net", os.O_RDONLY)
        there = os.open("/run/netns/" + self.ns[i], os.O_RDONLY)
        try:
            if _libc.setns(there, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
            try:
                return benchlib.Spawner()
            finally:
                if _libc.setns(home, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns back")
        finally:
            os.close(home)
            os.close(there)

    def close(self):
        for ns in self.made:
            subprocess.run(["ip", "netns", "del", ns],
                           stderr=subprocess.DEVNULL)
            shutil.rmtree("/etc/netns/" + ns, ignore_errors=True)


def ns_cgroups():
    """lib.sh's ns_cgroups: mount cpu, cpuacct, memory (v1) and cgroup2
    again, then exec the arguments."""
    out = ["set -e"]
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            i = fields.index("-")
            fstype, opts, point = fields[i + 1], fields[i + 3], fields[4]
            if fstype == "tmpfs" and point == "/sys/fs/cgroup":
                out.append("mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup")
            elif fstype == "cgroup2" or (fstype == "cgroup" and set(
                    opts.split(",")) & {"cpu", "cpuacct", "memory"}):
                o = ",".join(x for x in opts.split(",")
                             if x not in ("rw", "ro"))
                out.append("mkdir -p %s && mount -t %s%s %s %s" % (
                    point, fstype, " -o " + o if o else "", fstype, point))
    out.append('exec "$@"')
    return "\n".join(out) + "\n"


def run(argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def subject(cert):
    """A certificate's subject, RFC 4514, as fwsd gives it to QEMU."""
    r = subprocess.run(["openssl", "x509", "-noout", "-subject", "-nameopt",
                        "RFC2253", "-in", cert], capture_output=True,
                       text=True, check=True)
    return r.stdout.strip().split("=", 1)[1]


def host_conf(top, pki, me, ip, peer, disk_dir):
    # the guest's kernel where both hosts take it (a VM's definition
    # names it): the bench's own copy
    return CONF + "image_dirs = %s/guest\n" % top + "".join(
        "%s\n" % x for x in (
            "listen_tls = %s:16514" % ip,
            "tls_cert = %s/hosts/%s/cert.pem" % (pki, me),
            "tls_key = %s/hosts/%s/key.pem" % (pki, me),
            "tls_ca = %s/ca.pem" % pki,
            "tls_allowed = %s => admin" % peer,
            "public_host = %s" % ip) +
        (("disk_dir = %s" % disk_dir,) if disk_dir else ()))


def hosts(top, pki, net, shared):
    """fwsd A and B in their namespaces (their disks in shared, if any)."""
    out = []
    try:
        for i, (me, peer) in enumerate((("hosta", "hostb"),
                                        ("hostb", "hosta"))):
            f = benchlib.Fwsd(host_conf(top, pki, me, net.ip[i], peer,
                                        shared), wrap=net.wrap(i))
            out.append(f)
            f.kernel = os.path.join(top, "guest", "vmlinuz")
            f.initrd = os.path.join(top, "guest", "initrd.img")
    except BaseException:
        for f in out:
            f.close()
        raise
    return out


def wait_log(log, since, what, secs=300):
    t_end = time.monotonic() + secs
    while time.monotonic() < t_end:
        try:
            with open(log, "rb") as f:
                f.seek(since)
                m = re.search(what, f.read())
                if m:
                    return m
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    raise RuntimeError("%s: no %r" % (log, what))


def size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def type_line(sock_path, log, line, mark, secs=600):
    """Type a line on a serial console; wait for MARK-N-42 in its log
    (not the echo of the line)."""
    since = size(log)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    s.sendall(line.encode() + b"\n")
    try:
        return wait_log(log, since, re.escape(mark).encode() +
                        rb"-([0-9]+)-42", secs)
    finally:
        s.close()


FILL_LINE = ("dd if=/dev/urandom of=/dev/vda bs=1M count=%d conv=fsync "
             "2>/dev/null; echo FILLED-$?-$((40+2))" % FILL)


class Bare:
    """Bare qemus made of fwsd's argv, in either namespace."""

    def __init__(self, top, net, pki, argv, swap_from):
        self.top = top
        self.net = net
        self.argv = argv
        self.swap_from = swap_from      # (pidfile, console log, disk)
        self.spawners = [net.spawner(0), net.spawner(1)]
        self.procs = []
        # the TLS files each qemu reads, as fwsd copies them for it
        self.tls = {}
        for i, name in enumerate(("hosta", "hostb")):
            for role in ("server", "client"):
                d = benchlib.qemu_dir(top, "tls-%s-%s" % (name, role))
                for src, dst in (("ca.pem", "ca-cert.pem"),
                                 ("hosts/%s/cert.pem" % name,
                                  role + "-cert.pem"),
                                 ("hosts/%s/key.pem" % name,
                                  role + "-key.pem")):
                    shutil.copy(os.path.join(pki, src), os.path.join(d, dst))
                    benchlib.give_qemu(os.path.join(d, dst))
                self.tls[i, role] = d
        self.dn = [subject(os.path.join(pki, "hosts", n, "cert.pem"))
                   for n in ("hosta", "hostb")]

    n = 0                   # qemus spawned: each its own directory

    def spawn(self, host, disk, incoming):
        """A bare qemu in host's namespace on disk; (proc, EvQmp, own
        directory, serial socket)."""
        Bare.n += 1
        tag = "bare%d" % Bare.n
        own = benchlib.qemu_dir(self.top, tag)
        socks = benchlib.qemu_dir(benchlib.run_base(self.top), tag)
        pidfile, log, vmdisk = self.swap_from
        argv = benchlib.bare_argv(self.argv, [
            (pidfile, os.path.join(socks, "bare.pid")),
            (log, os.path.join(own, "bare.log")),
            (vmdisk, disk)], display=100 + Bare.n % 300)
        if incoming:
            argv += ["-incoming", "defer"]
        qmp = os.path.join(socks, "qmp")
        t0 = time.monotonic()
        proc = self.spawners[host].spawn(argv, qmp, os.path.join(
            socks, "serial"), os.path.join(own, "err"))
        self.procs.append(proc)
        q = EvQmp(qmp)
        return proc, q, own, os.path.join(socks, "serial"), t0

    def boot(self, host, disk):
        proc, q, own, serial, _ = self.spawn(host, disk, False)
        q.ok("cont")
        log = os.path.join(own, "bare.log")
        wait_log(log, 0, rb"FWS-GUEST-READY")
        time.sleep(1)
        return proc, q, log, serial

    def migrate(self, src, src_q, dst, disk, copy=False):
        """src's guest (qemu src_q) to a new qemu in namespace dst, as
        fwsd does it.  Returns (proc, q, seconds from migrate to cont
        answered, seconds from spawn to it, query-migrate's figures)."""
        port = BARE_PORT + 2 * (Bare.n % 20)
        ip = self.net.ip[dst]
        proc, q, own, serial, t_spawn = self.spawn(dst, disk, True)
        # the destination, as migrate-in.c sets it up
        q.ok("object-add", {"qom-type": "tls-creds-x509",
                            "id": "fws-mig-tls-in",
                            "dir": self.tls[dst, "server"],
                            "endpoint": "server", "verify-peer": True})
        q.ok("object-add", {"qom-type": "authz-simple",
                            "id": "fws-mig-authz-in",
                            "identity": self.dn[src]})
        q.ok("migrate-set-capabilities", {"capabilities": [
            {"capability": "events", "state": True}]})
        q.ok("migrate-set-parameters", {"tls-creds": "fws-mig-tls-in",
                                        "tls-authz": "fws-mig-authz-in"})
        if copy:
            q.ok("nbd-server-start", {
                "addr": {"type": "inet", "data": {
                    "host": ip, "port": str(port + 1)}},
                "tls-creds": "fws-mig-tls-in",
                "tls-authz": "fws-mig-authz-in"})
            q.ok("block-export-add", {"type": "nbd", "id": "fws-mig-export0",
                                      "node-name": "fws-disk0",
                                      "name": "fws-disk0", "writable": True})
        q.ok("migrate-incoming", {"uri": "tcp:%s:%d" % (ip, port)})
        # the source, as migrate.c does
        src_q.cmd("object-del", {"id": "fws-mig-tls-out"})
        src_q.ok("object-add", {"qom-type": "tls-creds-x509",
                                "id": "fws-mig-tls-out",
                                "dir": self.tls[src, "client"],
                                "endpoint": "client", "verify-peer": True})
        t_copy = time.monotonic()
        if copy:
            src_q.cmd("blockdev-del", {"node-name": "fws-mig-nbd0"})
            src_q.ok("blockdev-add", {
                "driver": "nbd", "node-name": "fws-mig-nbd0",
                "server": {"type": "inet", "host": ip,
                           "port": str(port + 1)},
                "export": "fws-disk0", "tls-creds": "fws-mig-tls-out"})
            src_q.ok("blockdev-mirror", {"job-id": "fws-mig-mirror0",
                                        "device": "fws-io0",
                                        "target": "fws-mig-nbd0",
                                        "sync": "full"})
            src_q.event(job_event("BLOCK_JOB_READY", "fws-mig-mirror0"))
        src_q.ok("migrate-set-capabilities", {"capabilities": [
            {"capability": "events", "state": True}]})
        src_q.ok("migrate-set-parameters", {
            "max-bandwidth": BANDWIDTH, "tls-creds": "fws-mig-tls-out",
            "tls-hostname": ip})
        t0 = time.monotonic()
        src_q.ok("migrate", {"uri": "tcp:%s:%d" % (ip, port)})
        ev = src_q.event(migration_is(("completed", "failed", "cancelled")))
        if ev["data"]["status"] != "completed":
            raise RuntimeError("bare migration %s: %s" % (
                ev["data"]["status"], src_q.ok("query-migrate")))
        # the figures as migrate.c asks for them: 1 ms after the event,
        # then twice as long after each try
        wait = 0.001
        for _ in range(12):
            time.sleep(wait)
            fig = src_q.ok("query-migrate")
            if fig.get("total-time", 0) > 0:
                break
            wait = min(wait * 2, 0.256)
        if copy:
            src_q.ok("block-job-cancel", {"device": "fws-mig-mirror0"})
            src_q.event(lambda m: m.get("event") in (
                "BLOCK_JOB_COMPLETED", "BLOCK_JOB_CANCELLED") and
                m["data"].get("device") == "fws-mig-mirror0")
        q.event(migration_is(("completed",)))
        if copy:
            q.ok("nbd-server-stop")
        q.ok("cont")
        t1 = time.monotonic()
        return proc, q, t1 - t0, t1 - t_spawn, t1 - t_copy, fig

    def end(self, proc, q):
        q.close()
        benchlib.stop_bare(proc)
        self.procs.remove(proc)

    def close(self):
        for p in self.procs:
            benchlib.stop_bare(p)
        self.procs = []
        for s in self.spawners:
            s.close()


def fwsd_migrate(src, dst, dst_ip, name, *extra):
    """fwsctl migrate as a process: (seconds, the destination's figures)."""
    t0 = time.monotonic()
    src.ctl("migrate", name, "--to", "tls://" + dst_ip, *extra)
    dt = time.monotonic() - t0
    return dt, dst.info(name)["migration"]


def shared_case(top, pki, net, res):
    shared = os.path.join(top, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o755)
    fa, fb = hosts(top, pki, net, shared)
    bare = None
    try:
        f = [fa, fb]
        info = fa.guest("m1", "--disk", "16M", memory=MEMORY)
        wait_log(info["serial_log"], 0, rb"FWS-GUEST-READY")
        argv = benchlib.qemu_argv(info["pid"])
        vmdisk = info["disks"][0]["path"]
        bare = Bare(top, net, pki, argv, (
            fa.run + "/" + info["uuid"] + ".pid", info["serial_log"],
            vmdisk))
        disk = os.path.join(benchlib.qemu_dir(top, "shared-disk"),
                            "disk.qcow2")
        run(["qemu-img", "create", "-q", "-f", "qcow2", disk, "16M"])
        benchlib.give_qemu(disk)
        proc, q, _, _ = bare.boot(0, disk)
        time.sleep(2)                     # both guests idle
        at = 0
        for _ in range(ROUNDS):
            for _ in range(2):
                to = 1 - at
                dt, fig = fwsd_migrate(f[at], f[to], net.ip[to], "m1")
                res["fwsd"].append(dt)
                res["fwsd total"].append(fig["total_ms"] / 1000)
                res["fwsd downtime"].append(fig["downtime_ms"] / 1000)
                res["fwsd paused KiB"].append(fig["downtime_bytes"] / 1024)
                time.sleep(0.5)
                p2, q2, dt, dts, _, fig = bare.migrate(at, q, to, disk)
                bare.end(proc, q)
                proc, q = p2, q2
                res["bare"].append(dt)
                res["bare+spawn"].append(dts)
                res["bare total"].append(fig["total-time"] / 1000)
                res["bare downtime"].append(fig["downtime"] / 1000)
                res["bare paused KiB"].append(
                    fig["ram"]["downtime-bytes"] / 1024)
                time.sleep(0.5)
                at = to
        bare.end(proc, q)
    finally:
        if bare is not None:
            bare.close()
        fa.close()
        fb.close()


def copy_case(top, pki, net, res):
    fa, fb = hosts(top, pki, net, None)
    bare = None
    try:
        f = [fa, fb]
        info = fa.guest("m2", "--disk", "1G", memory=MEMORY)
        log = info["serial_log"]
        wait_log(log, 0, rb"FWS-GUEST-READY")
        time.sleep(1)
        t0 = time.monotonic()
        type_line("%s/%s.serial" % (fa.run, info["uuid"]), log, FILL_LINE,
                  "FILLED")
        fill_s = time.monotonic() - t0
        argv = benchlib.qemu_argv(info["pid"])
        bare = Bare(top, net, pki, argv, (
            fa.run + "/" + info["uuid"] + ".pid", log,
            info["disks"][0]["path"]))
        disks = []
        for i in range(2):
            d = os.path.join(benchlib.qemu_dir(top, "copy-disk%d" % i),
                             "disk.qcow2")
            run(["qemu-img", "create", "-q", "-f", "qcow2", d, "1G"])
            benchlib.give_qemu(d)
            disks.append(d)
        proc, q, blog, serial = bare.boot(0, disks[0])
        type_line(serial, blog, FILL_LINE, "FILLED")
        at = 0
        for _ in range(COPY_ROUNDS):
            for _ in range(2):
                to = 1 - at
                dt, fig = fwsd_migrate(f[at], f[to], net.ip[to], "m2",
                                       "--copy-storage")
                res["fwsd"].append(dt)
                res["fwsd total"].append(fig["total_ms"] / 1000)
                res["fwsd downtime"].append(fig["downtime_ms"] / 1000)
                res["fwsd disk MiB"].append(fig.get("disk_bytes", 0) / 2**20)
                time.sleep(0.5)
                # the destination's disk new, as fwsd makes it
                d = disks[to]
                os.unlink(d)
                run(["qemu-img", "create", "-q", "-f", "qcow2", d, "1G"])
                benchlib.give_qemu(d)
                p2, q2, dt, dts, dtc, fig = bare.migrate(at, q, to, d,
                                                         copy=True)
                bare.end(proc, q)
                proc, q = p2, q2
                res["bare"].append(dtc)
                res["bare+spawn"].append(dts)
                res["bare total"].append(fig["total-time"] / 1000)
                res["bare downtime"].append(fig["downtime"] / 1000)
                time.sleep(0.5)
                at = to
        bare.end(proc, q)
    finally:
        if bare is not None:
            bare.close()
        fa.close()
        fb.close()
    return fill_s


def kill_ours(top):
    """Every process naming the bench's directory (a bare qemu left by a
    failure), killed."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if top.encode() + b"/" in f.read():
                    pids.append(int(pid))
        except OSError:
            pass
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    benchlib.reap(pids)


def report(title, res, keys):
    print(title)
    for k in keys:
        if res[k]:
            benchlib.show(k, res[k])


def stop(signum, frame):
    raise SystemExit("bench-migrate: signal %d" % signum)


def main():
    # a signal ends the run through the cleanup below
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, stop)
    benchlib.become_subreaper()
    top = tempfile.mkdtemp(prefix="fws-bench-mig.")
    os.chmod(top, 0o755)
    pki = os.path.join(top, "pki")
    net = None
    keys = ("fwsd", "bare", "bare+spawn", "fwsd total", "bare total",
            "fwsd downtime", "bare downtime")
    # the guest's memory sent while it was paused (QEMU's downtime-bytes)
    shared = {k: [] for k in keys + ("fwsd paused KiB", "bare paused KiB")}
    copy = {k: [] for k in keys + ("fwsd disk MiB",)}
    busy0 = benchlib.cpu_busy()
    try:
        net = Net(top)
        guest = os.path.join(top, "guest")
        os.mkdir(guest)
        os.chmod(guest, 0o755)
        for name in ("vmlinuz", "initrd.img"):
            shutil.copy(os.path.join(benchlib.GUEST_BUILT, name), guest)
            os.chmod(os.path.join(guest, name), 0o644)
        run(["sh", TLSSETUP, "ca", pki])
        for name, ip in zip(("hosta", "hostb"), net.ip):
            run(["sh", TLSSETUP, "host", pki, name, ip])
        shared_case(top, pki, net, shared)
        fill_s = copy_case(top, pki, net, copy) if COPY_ROUNDS > 0 else 0
    finally:
        kill_ours(top)
        if net is not None:
            net.close()
        subprocess.run(["rm", "-rf", top, benchlib.run_base(top)])
    busy1 = benchlib.cpu_busy()
    load = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
    print("live migration between two fwsds (namespaces joined by a veth, "
          "QEMU's TLS), against QEMU's own over QMP by hand; TCG, %s MiB "
          "guest; the machine was %.0f%% busy over the run (%d CPUs)" %
          (MEMORY, 100 * load, os.cpu_count()))
    report(" shared storage, idle guest (fwsd: fwsctl migrate, wall; bare: "
           "migrate to the destination's cont answered)", shared, keys)
    print("  ratio fwsctl/bare (medians): %.2f; fwsctl/bare+spawn: %.2f" % (
          benchlib.ratio(shared["fwsd"], shared["bare"]),
          benchlib.ratio(shared["fwsd"], shared["bare+spawn"])))
    print("  ratio " + benchlib.ratio_line("QEMU total-time fwsd/bare",
          shared["fwsd total"], shared["bare total"]))
    print("  ratio " + benchlib.ratio_line("downtime fwsd/bare",
          shared["fwsd downtime"], shared["bare downtime"]))
    # the downtime is mostly the last pass's pages: what the guest
    # dirtied during the pass before, not what fwsd or QEMU did
    for kind in ("fwsd", "bare"):
        xs = sorted(shared[kind + " paused KiB"])
        if xs:
            print("  %s: memory sent paused min %.0f median %.0f max %.0f "
                  "KiB" % (kind, xs[0], statistics.median(xs), xs[-1]))
    print("  ratio " + benchlib.ratio_line(
          "memory sent while paused fwsd/bare",
          shared["fwsd paused KiB"], shared["bare paused KiB"]))
    if min(len(shared["fwsd paused KiB"]),
           len(shared["bare paused KiB"])) > 2:
        mib = {kind: [k / 1024 for k in shared[kind + " paused KiB"]]
               for kind in ("fwsd", "bare")}
        ms = {kind: [d * 1000 for d in shared[kind + " downtime"]]
              for kind in ("fwsd", "bare")}
        for kind in ("fwsd", "bare"):
            a, b = benchlib.line_fit(mib[kind], ms[kind])
            print("  %s: downtime = %.1f ms + %.2f ms per MiB sent paused "
                  "(r %.2f)" % (kind, a, b, statistics.correlation(
                      mib[kind], ms[kind])))
        at = statistics.median(mib["fwsd"] + mib["bare"])
        r, lo, hi = benchlib.fitted_ratio(mib["fwsd"], ms["fwsd"],
                                          mib["bare"], ms["bare"], at)
        print("  ratio downtime fwsd/bare with as much sent paused (the "
              "lines at %.1f MiB, the median of both): %.2f [95%% "
              "bootstrap interval %.2f-%.2f]" % (at, r, lo, hi))
    if SAMPLES:
        with open(SAMPLES, "w") as f:
            json.dump({"shared": shared, "copy": copy}, f)
        print("  every sample: %s" % SAMPLES)
    if COPY_ROUNDS > 0:
        report(" --copy-storage, 1 GiB qcow2, %d MiB written by the guest "
               "(in %.0f s); bare: from the mirror's start" % (FILL, fill_s),
               copy, keys)
        print("  disk bytes fwsd reports: %s MiB" % ", ".join(
              "%.0f" % x for x in copy["fwsd disk MiB"]))
        print("  ratio fwsctl/bare (medians): %.2f; fwsctl/bare+spawn: %.2f"
              % (benchlib.ratio(copy["fwsd"], copy["bare"]),
                 benchlib.ratio(copy["fwsd"], copy["bare+spawn"])))
        print("  ratio downtime fwsd/bare (medians): %.2f" %
              benchlib.ratio(copy["fwsd downtime"], copy["bare downtime"]))


if __name__ == "__main__":
    sys.exit(main())
