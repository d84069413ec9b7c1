#!/usr/bin/env python3
"""bench-restart.py: how long a guest is down when its qemu dies under fwsd.

Measured side by side in one run, on the test guest, same qemu arguments:

  bare    a bare start: spawn qemu-system-x86_64 -S with the exact argv
          fwsd uses (read from /proc/PID/cmdline of fwsd's qemu), connect
          its QMP socket, qmp_capabilities, cont, query-status == running;
  fwsd    kill -9 of the VM's qemu under fwsd until fwsd's "started" event
          (its replacement answered QMP query-status with "running"),
          seen on a control-socket connection following events.

The ratio fwsd/bare (medians) is what fwsd adds to a plain qemu start:
noticing the death (pidfd), deciding, spawning, QMP handshake, committing
to sqlite.  crash_loop_window = 1 and a pause between kills make every
restart the immediate first one (back-off is policy, not overhead).
"""
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FWSD = os.path.join(TOP, "build", "fwsd")
FWSCTL = os.path.join(TOP, "build", "fwsctl")
GUEST = os.path.join(TOP, "tests", "guest", "out")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))


def qmp_lines(sock):
    buf = b""
    while True:
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            yield json.loads(line)
        data = sock.recv(65536)
        if not data:
            return
        buf += data


def qmp_cmd(sock, lines, cmd):
    sock.sendall(json.dumps({"execute": cmd}).encode() + b"\n")
    for msg in lines:
        if "return" in msg or "error" in msg:
            return msg
    raise RuntimeError("QMP closed")


def listen(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(1)
    return s


def bare_start(argv, tmp):
    """Spawn qemu as fwsd does, time exec -> QMP says running."""
    qmp_path = os.path.join(tmp, "bare.qmp")
    serial_path = os.path.join(tmp, "bare.serial")
    for p in (qmp_path, serial_path):
        if os.path.exists(p):
            os.unlink(p)
    qmp_l, serial_l = listen(qmp_path), listen(serial_path)

    def child_fds():
        # fwsd hands qemu its QMP and serial sockets as fds 3 and 4
        os.dup2(qmp_l.fileno(), 3)
        os.dup2(serial_l.fileno(), 4)
        os.setsid()

    t0 = time.monotonic()
    # subprocess closes fds after preexec_fn: keep all, ours are CLOEXEC
    proc = subprocess.Popen(argv, preexec_fn=child_fds,
                            stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(tmp, "bare.err"), "w"),
                            close_fds=False)
    # our copies go, so a dead qemu means a refused connection, not a hang
    qmp_l.close()
    serial_l.close()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(qmp_path)
    lines = qmp_lines(s)
    next(lines)                       # greeting
    qmp_cmd(s, lines, "qmp_capabilities")
    qmp_cmd(s, lines, "cont")
    st = qmp_cmd(s, lines, "query-status")
    t1 = time.monotonic()
    assert st["return"]["status"] == "running", st
    proc.kill()
    proc.wait()
    s.close()
    return t1 - t0


def ctl(sock, *args):
    return subprocess.run([FWSCTL, "--socket", sock] + list(args),
                          check=True, capture_output=True, text=True).stdout


def main():
    tmp = tempfile.mkdtemp(prefix="fws-bench.")
    state, run = os.path.join(tmp, "state"), os.path.join(tmp, "run")
    conf = os.path.join(tmp, "fwsd.conf")
    with open(conf, "w") as f:
        f.write("image_dirs = %s\ncrash_loop_window = 1\n"
                "crash_loop_restarts = 64\n" % GUEST)
    sock = os.path.join(run, "fwsd.sock")
    fwsd = subprocess.Popen([FWSD, "--foreground", "--config", conf,
                             "--state-dir", state, "--run-dir", run],
                            stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(tmp, "fwsd.log"), "w"))
    qemu_pid = None
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        ctl(sock, "create", "b1", "--vcpus", "1", "--memory", "256",
            "--kernel", os.path.join(GUEST, "vmlinuz"),
            "--initrd", os.path.join(GUEST, "initrd.img"),
            "--append", "console=ttyS0 quiet panic=-1")
        ctl(sock, "start", "b1")
        info = json.loads(ctl(sock, "info", "b1", "--json"))
        qemu_pid = info["pid"]
        with open("/proc/%d/cmdline" % qemu_pid, "rb") as f:
            argv = [a.decode() for a in f.read().split(b"\0") if a]
        # the bare qemu writes its own pidfile and serial log
        argv = [a.replace(run + "/b1.pid", tmp + "/bare.pid")
                 .replace(state + "/vms/b1/console.log", tmp + "/bare.log")
                for a in argv]

        # follow events on one connection for the whole run
        ev = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ev.connect(sock)
        ev.sendall(b'{"id":1,"cmd":"events","args":{"name":"b1",'
                   b'"follow":true,"limit":0}}\n')
        evlines = qmp_lines(ev)
        assert next(evlines)["ok"]

        bare, fw = [], []
        for _ in range(ROUNDS):
            # interleaved, so drift in the machine hits both alike
            bare.append(bare_start(argv, tmp))
            time.sleep(1.2)           # past crash_loop_window
            t0 = time.monotonic()
            os.kill(qemu_pid, signal.SIGKILL)
            for msg in evlines:
                e = msg.get("event", {})
                if e.get("event") == "started":
                    break
            fw.append(time.monotonic() - t0)
            qemu_pid = json.loads(ctl(sock, "info", "b1", "--json"))["pid"]
            time.sleep(1.2)
        ev.close()
    finally:
        fwsd.kill()
        fwsd.wait()
        if qemu_pid:
            try:
                os.kill(qemu_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["rm", "-rf", tmp])

    def show(name, xs):
        xs = sorted(x * 1000 for x in xs)
        print("  %-5s n=%d  min %.1f  median %.1f  max %.1f ms" %
              (name, len(xs), xs[0], statistics.median(xs), xs[-1]))

    print("restart after kill -9 (fwsd) vs bare qemu start to QMP running,"
          " accel %s" % ("kvm" if "accel=kvm" in " ".join(argv) else "tcg"))
    show("bare", bare)
    show("fwsd", fw)
    print("  ratio fwsd/bare (medians): %.2f" %
          (statistics.median(fw) / statistics.median(bare)))


if __name__ == "__main__":
    sys.exit(main())
