#!/usr/bin/env python3
"""bench-disk-io.py: what a disk's throttle node costs when it sets no
limit: the test guest's boot, and its writes and reads of its disk, with
the node and without it, in one run.

  throttle  a bare qemu started with the argv fwsd used for a VM with one
            64 MiB qcow2 disk and no limits: the device on the disk's
            throttle node, on a throttle group of its own;
  bare      the same argv without the group and the node: the device on
            the qcow2 node, as fws had it before.

Each on a new disk of its own.  Boot: spawn to FWS-GUEST-READY on the
serial console.  I/O: the guest times (time -p) dd of BENCH_IO_MIB MiB
(32 by default) to /dev/vda and back, 4 KiB blocks, O_DIRECT, so that
every block is a request through the node.  Rounds (BENCH_ROUNDS, 5)
interleave the two.
"""
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
MIB = int(os.environ.get("BENCH_IO_MIB", "32"))
DD = ("for m in w r; do if [ $m = w ]; then a='if=/dev/zero of=/dev/vda "
      "oflag=direct'; else a='if=/dev/vda of=/dev/null iflag=direct'; fi; "
      "t=$( (time -p dd $a bs=4k count=%d) 2>&1 | sed -n 's/^real //p'); "
      "echo DD-$m-$t-END; done\n" % (MIB * 256)).encode()


def wait_log(log, pattern, secs=300):
    t_end = time.monotonic() + secs
    while time.monotonic() < t_end:
        try:
            with open(log, "rb") as f:
                m = re.search(pattern, f.read())
                if m:
                    return m
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    with open(log, "rb") as f:
        tail = f.read()[-600:]
    raise RuntimeError("%s: no %r in ...%r" % (log, pattern, tail))


def without_throttle(argv):
    """argv with the disk's device on its qcow2 node: no -object
    throttle-group, no throttle -blockdev."""
    out = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-object", "-blockdev") and i + 1 < len(argv) and (
                '"throttle-group"' in argv[i + 1] and
                ('"qom-type"' in argv[i + 1] or
                 '"driver":"throttle"' in argv[i + 1])):
            i += 2
            continue
        out.append(a.replace("drive=fws-io0", "drive=fws-disk0"))
        i += 1
    return out


def one(argv, tmp, tag, disk):
    """Boot a bare qemu of argv on a new disk; the guest's dd times."""
    if os.path.exists(disk):
        os.unlink(disk)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", disk,
                    "64M"], check=True)
    benchlib.give_qemu(disk)
    proc, qmp_path, t0 = benchlib.bare_qemu(argv, tmp, tag)
    q = benchlib.Qmp(qmp_path)
    q.cmd("cont")
    own = benchlib.qemu_dir(tmp, tag)
    log = own + "/bare.log"
    wait_log(log, rb"FWS-GUEST-READY")
    boot = time.monotonic() - t0
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(os.path.join(own, "serial"))
    s.settimeout(300)
    s.sendall(DD)
    # read what the guest says (unread, the console would stall it)
    out = b""
    while re.search(rb"DD-r-[0-9.]+-END", out) is None:
        data = s.recv(65536)
        if not data:
            raise RuntimeError("the console closed: %r" % out[-600:])
        out += data
    w = float(re.search(rb"DD-w-([0-9.]+)-END", out).group(1))
    r = float(re.search(rb"DD-r-([0-9.]+)-END", out).group(1))
    s.close()
    q.close()
    benchlib.stop_bare(proc)
    os.unlink(log)
    return boot, w, r


def main():
    f = benchlib.Fwsd()
    try:
        info = f.guest("d1", "--disk", "64M", start=True)
        argv = benchlib.qemu_argv(info["pid"])
        disk0 = info["disks"][0]["path"]
        f.ctl("destroy", "d1")
        res = {"throttle": ([], [], []), "bare": ([], [], [])}
        for _ in range(ROUNDS):
            for tag in ("throttle", "bare"):
                own = benchlib.qemu_dir(f.tmp, tag)
                a = benchlib.bare_argv(argv, [
                    (f.run + "/" + info["uuid"] + ".pid", own + "/bare.pid"),
                    (f.state + "/vms/d1/console.log", own + "/bare.log"),
                    (disk0, own + "/disk.qcow2")])
                if tag == "bare":
                    a = without_throttle(a)
                b, w, r = one(a, f.tmp, tag, own + "/disk.qcow2")
                for xs, x in zip(res[tag], (b, w, r)):
                    xs.append(x)
    finally:
        f.close()
    print("a disk's throttle node without limits (TCG; %d MiB in 4 KiB "
          "O_DIRECT requests, timed by the guest)" % MIB)
    for i, what in enumerate(("boot", "write", "read")):
        print(" %s" % what)
        benchlib.show("throttle", res["throttle"][i])
        benchlib.show("bare", res["bare"][i])
        print("  ratio throttle/bare (medians): %.2f" %
              benchlib.ratio(res["throttle"][i], res["bare"][i]))


if __name__ == "__main__":
    sys.exit(main())
