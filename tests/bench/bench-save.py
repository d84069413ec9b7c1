#!/usr/bin/env python3
"""bench-save.py: save and resume of a 512 MiB guest through fwsd
against QEMU's own migrate-to-file done by hand, in one run.

Both guests fill BENCH_SAVE_FILL MiB (200 by default) of their RAM with
data that is not zero (QEMU sends a zero page as a flag), so the file
holds what a busy guest would give it.

  by hand  a bare qemu started with the argv fwsd used for the VM:
           save: QMP stop, migrate-set-capabilities (events),
           migrate-set-parameters (no bandwidth cap), getfd of a file,
           migrate "fd:", its MIGRATION event "completed", fdatasync of
           the file, quit, the process gone;
           resume: a qemu with that argv and -incoming defer, QMP,
           getfd, migrate-incoming, "completed", cont, query-status
           "running".
  fwsd     the control requests save and start, each to its reply.

Rounds interleave the two; each resume is of the state just saved.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
FILL = int(os.environ.get("BENCH_SAVE_FILL", "200"))
# a MiB of text, then that MiB FILL times (the guest's root is a tmpfs:
# half its RAM at most)
FILL_LINE = ("yes fws-bench-fill-0123456789abcdef | head -c 1048576 > /a; "
             "for i in $(seq %d); do cat /a; done > /fill; "
             "echo FILLED-$((40+2))\n" % FILL).encode()


def send_fd(q, name, fd):
    """QMP getfd, the descriptor passed with the command."""
    msg = ('{"execute":"getfd","arguments":{"fdname":"%s"}}\n' % name)
    socket.send_fds(q.s, [msg.encode()], [fd])
    for m in q.msgs:
        if "return" in m or "error" in m:
            assert "return" in m, m
            return


def migrate_wait(q, cmd, args):
    """A migration command, then its MIGRATION event "completed"."""
    q.s.sendall(('{"execute":"%s","arguments":%s}\n' %
                 (cmd, benchlib.json.dumps(args))).encode())
    answered = done = False
    for m in q.msgs:
        if "error" in m:
            raise RuntimeError(m)
        if "return" in m:
            answered = True
        if m.get("event") == "MIGRATION":
            st = m["data"]["status"]
            if st == "failed":
                raise RuntimeError("migration failed")
            done = done or st == "completed"
        if answered and done:
            return


def fill(path, log):
    """Once the guest is up, type the fill into its serial socket; wait
    for its echo."""
    wait_log(log, b"FWS-GUEST-READY")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(FILL_LINE)
    wait_log(log, b"FILLED-42")
    s.close()


def wait_log(log, what, secs=300):
    t_end = time.monotonic() + secs
    while time.monotonic() < t_end:
        try:
            with open(log, "rb") as f:
                if what in f.read():
                    return
        except FileNotFoundError:
            pass
        time.sleep(0.2)
    raise RuntimeError("%s: no %r" % (log, what))


def hand_save(q, proc, path):
    if os.path.exists(path):
        os.unlink(path)       # a new file, as fwsd's is: no old blocks
    t0 = time.monotonic()
    q.cmd("stop")
    q.cmd("migrate-set-capabilities", {"capabilities": [
        {"capability": "events", "state": True}]})
    q.cmd("migrate-set-parameters", {"max-bandwidth": 1 << 40})
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    send_fd(q, "s", fd)
    migrate_wait(q, "migrate", {"uri": "fd:s"})
    os.fdatasync(fd)          # as fwsd's sync --data
    os.close(fd)
    q.s.sendall(b'{"execute":"quit"}\n')
    if not proc.wait(30):
        raise RuntimeError("the bare qemu did not quit")
    secs = time.monotonic() - t0
    proc.close()
    return secs


def hand_resume(argv, tmp, path):
    proc, qmp_path, t0 = benchlib.bare_qemu(argv + ["-incoming", "defer"],
                                            tmp)
    q = benchlib.Qmp(qmp_path)
    q.cmd("migrate-set-capabilities", {"capabilities": [
        {"capability": "events", "state": True}]})
    fd = os.open(path, os.O_RDONLY)
    send_fd(q, "r", fd)
    os.close(fd)
    migrate_wait(q, "migrate-incoming", {"uri": "fd:r"})
    q.cmd("cont")
    st = q.cmd("query-status")
    assert st["return"]["status"] == "running", st
    return proc, q, time.monotonic() - t0


def main():
    f = benchlib.Fwsd()
    bare = None
    try:
        info = f.guest("s1", memory="512")
        time.sleep(3)                     # let the guest boot
        argv = benchlib.qemu_argv(info["pid"])
        own = benchlib.qemu_dir(f.tmp)
        console = f.state + "/vms/s1/console.log"
        argv = benchlib.bare_argv(argv, [
            (f.run + "/" + info["uuid"] + ".pid", benchlib.bare_pidfile(f.tmp)),
            (console, own + "/bare.log")])
        bare, qmp_path, _ = benchlib.bare_qemu(argv, f.tmp)
        q = benchlib.Qmp(qmp_path)
        q.cmd("cont")
        time.sleep(3)
        fill(os.path.join(own, "serial"), own + "/bare.log")
        fill(f.run + "/" + info["uuid"] + ".serial", console)
        state = os.path.join(own, "bare.state")

        hs, hr, fs, fr = [], [], [], []
        for _ in range(ROUNDS):
            hs.append(hand_save(q, bare, state))
            q.close()
            bare = None
            bare, q, secs = hand_resume(argv, f.tmp, state)
            hr.append(secs)
            fs.append(f.request("save", {"name": "s1"}))
            size = f.info("s1")["saved"]["bytes"]
            fr.append(f.request("start", {"name": "s1"}))
        q.close()
        hand_size = os.path.getsize(state)
    finally:
        if bare is not None:
            benchlib.stop_bare(bare)
        f.close()
    print("save of a 512 MiB guest (%d MiB of it written; TCG): fwsd vs "
          "QMP by hand; files: fwsd %.0f MiB, by hand %.0f MiB" %
          (FILL, size / 1048576.0, hand_size / 1048576.0))
    benchlib.show("by hand", hs)
    benchlib.show("fwsd", fs)
    print("  ratio fwsd/by hand (medians): %.2f" % benchlib.ratio(fs, hs))
    print("resume of it from the file: fwsd start vs QMP by hand")
    benchlib.show("by hand", hr)
    benchlib.show("fwsd", fr)
    print("  ratio fwsd/by hand (medians): %.2f" % benchlib.ratio(fr, hr))


if __name__ == "__main__":
    sys.exit(main())
