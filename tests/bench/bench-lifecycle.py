#!/usr/bin/env python3
"""bench-lifecycle.py: start, stop and destroy through fwsd against the
same done directly to a bare qemu, side by side in one run.

The bare qemu gets the argv fwsd used for the VM (read from
/proc/PID/cmdline), its QMP, serial and agent sockets as fds 3, 4 and 5,
and runs as the same user (fws-qemu), spawned by posix_spawn
(benchlib.Spawner).

  start    bare: spawn until QMP qmp_capabilities, cont and query-status
           say "running";  fwsd: the "start" request to its reply (sent
           when qemu answers query-status "running"), on the socket, and
           "fwsctl start" as a process, wall time;
  stop     a second after the guest printed FWS-GUEST-READY on its
           serial port (its acpid then listens):
           bare: QMP system_powerdown until the qemu process has ended
           (its pidfd);  fwsd: the "stop" request to its reply (fwsd
           sends the same system_powerdown, sees the end through a pidfd,
           reaps it, commits "stopped");
  destroy  bare: kill -9 until the process has ended;  fwsd: the
           "destroy" request to its reply, and, through a pidfd of our
           own on fwsd's qemu, when that qemu had ended: what fwsd
           spends after the end (its teardown and the reply) apart
           from the end itself.

Each round does all of them, bare and fwsd alternately, so drift in the
machine hits both alike.  BENCH_ROUNDS rounds (default 8).  Then
BENCH_QUICK_ROUNDS quick rounds (default 40) of start and destroy alone
(no boot waited for), bare, fwsd and the fwsd without cgroups
alternately, whose figures join the others': a start spreads over tens
of milliseconds from one to the next (qemu's own), and a few rounds
cannot tell a few per cent apart.

The fwsd has cgroup_favordynmods = yes (on cgroup v1, its log advises
it: a VM's qemu then joins its cgroups without waiting for an RCU grace
period; the cgroup2 mount is put back as it was at the end).  A second
fwsd with cgroup = none (its qemus in no cgroup of their own)
also starts and destroys its VM in each round, so that what a VM's
cgroup costs a start and a destroy shows in the same run ("nocg").
"""
import os
import select
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "8"))
QUICK_ROUNDS = int(os.environ.get("BENCH_QUICK_ROUNDS", "40"))
READY = b"FWS-GUEST-READY"


def size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def wait_ready(log, offset, timeout=120):
    """Until the guest's serial log says it is up, past offset, and a
    second more: acpid, started just before, must have its input device
    open, or the power button goes unseen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(log, "rb") as f:
                f.seek(offset)
                if READY in f.read():
                    time.sleep(1)
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("the guest did not boot: %s" % log)


def timed_destroy(f, name, pidfile):
    """The destroy request, timed, and how long after the request was
    sent our own pidfd on the VM's qemu said that qemu had ended."""
    with open(pidfile) as p:
        pidfd = os.pidfd_open(int(p.read()))
    ended = []

    def watch():
        select.select([pidfd], [], [], 30)
        ended.append(time.monotonic())

    t = threading.Thread(target=watch)
    t.start()
    time.sleep(0.05)            # the watcher is in select by now
    t0 = time.monotonic()
    dt = f.request("destroy", {"name": name})
    t.join()
    os.close(pidfd)
    return dt, (ended[0] - t0) if ended else dt


def bare_start_kill(argv, tmp, res):
    """A bare qemu started, killed with kill -9 half a second later."""
    proc, q, dt = benchlib.bare_start(argv, tmp)
    res["bare_start"].append(dt)
    time.sleep(0.5)
    t0 = time.monotonic()
    proc.kill()
    proc.wait(30)
    res["bare_destroy"].append(time.monotonic() - t0)
    q.close()
    proc.close()
    time.sleep(0.3)


def destroy_after(f, pidfile, res, key):
    """Half a second after a start, the destroy request."""
    time.sleep(0.5)
    dt, end = timed_destroy(f, "l1", pidfile)
    res[key + "_destroy"].append(dt)
    if key == "fwsd":
        res["fwsd_after_end"].append(dt - end)
    time.sleep(0.3)


def main():
    # on cgroup v1, as fwsd's log advises there: a join waits for no
    # grace period (the mount is put back at the end)
    dyn = benchlib.Dynmods()
    f = benchlib.Fwsd("cgroup_favordynmods = yes\n")
    dyn.on = dyn.usable
    g = None
    res = {k: [] for k in ("bare_start", "fwsd_start", "fwsctl_start",
                           "nocg_start", "bare_stop", "fwsd_stop",
                           "bare_destroy", "fwsd_destroy", "fwsd_after_end",
                           "nocg_destroy")}
    try:
        g = benchlib.Fwsd("cgroup = none\n")
        g.guest("l1", start=False)
        g_pidfile = None
        info = f.guest("l1")
        vm_log = info["serial_log"]
        own = benchlib.qemu_dir(f.tmp)
        bare_log = os.path.join(own, "bare.log")
        argv = benchlib.bare_argv(benchlib.qemu_argv(info["pid"]), [
            (f.run + "/" + info["uuid"] + ".pid", benchlib.bare_pidfile(f.tmp)),
            (vm_log, bare_log)])
        pidfile = f.run + "/" + info["uuid"] + ".pid"
        f.ctl("destroy", "l1")
        time.sleep(0.5)

        for _ in range(ROUNDS):
            # bare: start, boot, power button
            off = size(bare_log)
            proc, q, dt = benchlib.bare_start(argv, f.tmp)
            res["bare_start"].append(dt)
            wait_ready(bare_log, off)
            t0 = time.monotonic()
            q.cmd("system_powerdown")
            if not proc.wait(60):
                raise RuntimeError("bare qemu ignored the power button")
            res["bare_stop"].append(time.monotonic() - t0)
            q.close()
            proc.close()
            time.sleep(0.3)

            # fwsd: start, boot, stop
            off = size(vm_log)
            res["fwsd_start"].append(f.request("start", {"name": "l1"}))
            wait_ready(vm_log, off)
            res["fwsd_stop"].append(f.request("stop", {"name": "l1"}))
            time.sleep(0.3)

            # bare: start, kill -9
            bare_start_kill(argv, f.tmp, res)

            # fwsd: fwsctl start, destroy
            t0 = time.monotonic()
            subprocess.run([benchlib.FWSCTL, "--socket", f.sock, "start",
                            "l1"], check=True, stdout=subprocess.DEVNULL)
            res["fwsctl_start"].append(time.monotonic() - t0)
            destroy_after(f, pidfile, res, "fwsd")

            # the fwsd without cgroups: start, destroy
            res["nocg_start"].append(g.request("start", {"name": "l1"}))
            if g_pidfile is None:
                g_pidfile = g.run + "/" + g.info("l1")["uuid"] + ".pid"
            destroy_after(g, g_pidfile, res, "nocg")

        for _ in range(QUICK_ROUNDS):
            bare_start_kill(argv, f.tmp, res)
            res["fwsd_start"].append(f.request("start", {"name": "l1"}))
            destroy_after(f, pidfile, res, "fwsd")
            res["nocg_start"].append(g.request("start", {"name": "l1"}))
            if g_pidfile is None:
                g_pidfile = g.run + "/" + g.info("l1")["uuid"] + ".pid"
            destroy_after(g, g_pidfile, res, "nocg")
    finally:
        f.close()
        if g is not None:
            g.close()
        dyn.close()

    print("start, stop, destroy: fwsd vs the same done directly to a bare"
          " qemu (256 MiB, TCG)")
    for k in ("bare_start", "fwsd_start", "fwsctl_start", "nocg_start",
              "bare_stop", "fwsd_stop", "bare_destroy", "fwsd_destroy",
              "fwsd_after_end", "nocg_destroy"):
        benchlib.show(k.replace("_", " "), res[k])
    for what, a, b in (("start fwsd/bare", "fwsd_start", "bare_start"),
                       ("start fwsctl/bare", "fwsctl_start", "bare_start"),
                       ("stop fwsd/bare", "fwsd_stop", "bare_stop"),
                       ("destroy fwsd/bare", "fwsd_destroy",
                        "bare_destroy"),
                       ("without cgroups: start", "nocg_start",
                        "bare_start"),
                       ("without cgroups: destroy", "nocg_destroy",
                        "bare_destroy")):
        print("  ratio " + benchlib.ratio_line(what, res[a], res[b]))


if __name__ == "__main__":
    sys.exit(main())
