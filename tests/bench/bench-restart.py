#!/usr/bin/env python3
"""bench-restart.py: how long a guest is down when its qemu dies under fwsd.

Measured side by side in one run, on the test guest, same qemu arguments:

  bare    a bare start: spawn qemu-system-x86_64 -S with the exact argv
          fwsd uses (read from /proc/PID/cmdline of fwsd's qemu; its own
          pidfile, log and VNC display), as the same user (fws-qemu), by
          posix_spawn (benchlib.Spawner), connect its QMP socket,
          qmp_capabilities, cont, query-status == running;
  fwsd    kill -9 of the VM's qemu under fwsd until fwsd's "started" event
          (its replacement answered QMP query-status with "running"),
          seen on a control-socket connection following events.

The ratio fwsd/bare (medians) is what fwsd adds to a plain qemu start:
noticing the death (pidfd), deciding, spawning, QMP handshake, committing
to sqlite.  crash_loop_window = 1 and a pause between kills make every
restart the immediate first one (back-off is policy, not overhead).
"""
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))


def bare_start(argv, tmp):
    """A bare qemu to "running", then gone: seconds."""
    proc, q, dt = benchlib.bare_start(argv, tmp)
    benchlib.stop_bare(proc)
    q.close()
    return dt


def main():
    # every kill after the window: each restart is the immediate first one
    f = benchlib.Fwsd("crash_loop_window = 1\ncrash_loop_restarts = 64\n")
    try:
        info = f.guest("b1")
        qemu_pid = info["pid"]
        own = benchlib.qemu_dir(f.tmp)
        argv = benchlib.bare_argv(benchlib.qemu_argv(qemu_pid), [
            (f.run + "/" + info["uuid"] + ".pid", benchlib.bare_pidfile(f.tmp)),
            (f.state + "/vms/b1/console.log", own + "/bare.log")])

        # follow events on one connection for the whole run
        ev = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ev.connect(f.sock)
        ev.sendall(b'{"id":1,"cmd":"events","args":{"name":"b1",'
                   b'"follow":true,"limit":0}}\n')
        evlines = benchlib.lines(ev)
        assert next(evlines)["ok"]

        bare, fw = [], []
        for _ in range(ROUNDS):
            # interleaved, so drift in the machine hits both alike
            bare.append(bare_start(argv, f.tmp))
            time.sleep(1.2)           # past crash_loop_window
            t0 = time.monotonic()
            os.kill(qemu_pid, signal.SIGKILL)
            for msg in evlines:
                if msg.get("event", {}).get("event") == "started":
                    break
            fw.append(time.monotonic() - t0)
            qemu_pid = f.info("b1")["pid"]
            time.sleep(1.2)
        ev.close()
    finally:
        f.close()
    print("restart after kill -9 (fwsd) vs bare qemu start to QMP running,"
          " accel %s" % ("kvm" if "accel=kvm" in " ".join(argv) else "tcg"))
    benchlib.show("bare", bare)
    benchlib.show("fwsd", fw)
    print("  ratio fwsd/bare (medians): %.2f" % benchlib.ratio(fw, bare))


if __name__ == "__main__":
    sys.exit(main())
