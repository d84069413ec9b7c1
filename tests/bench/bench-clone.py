#!/usr/bin/env python3
"""bench-clone.py: a full clone against a linked clone of the same
stopped VM, side by side in one run.

The sources: two VMs made alike, each with a 1 GiB qcow2 disk holding
BENCH_CLONE_MIB (256) MiB written by qemu-io (a pattern, as a guest's
files would be), the rest never written.

  full    the control request clone, to its reply (its progress lines
          read and skipped): qemu-img convert of the disk as the source's
          qemu uid, the new VM in the store;
  linked  clone with "linked": the source's disk made an image, two
          empty overlays made with qemu-img create -u, two renames, the
          new VM in the store.

Full clones are of one source, each deleted before the next; linked
clones of the other (each adds a layer under it, so rounds stay few:
BENCH_ROUNDS, 5 by default).  What each clone takes on the host (its
disk file's blocks) is reported too.
"""
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402

ROUNDS = min(int(os.environ.get("BENCH_ROUNDS", "5")), 10)
DATA_MIB = int(os.environ.get("BENCH_CLONE_MIB", "256"))


def clone(f, src, new, linked):
    """One clone request, timed to its reply (progress lines skipped)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(f.sock)
    args = {"name": src, "new_name": new}
    if linked:
        args["linked"] = True
    t0 = time.monotonic()
    s.sendall(json.dumps({"id": 1, "cmd": "clone", "args": args}).encode()
              + b"\n")
    for msg in benchlib.lines(s):
        if "ok" in msg:
            break
    t1 = time.monotonic()
    s.close()
    if not msg.get("ok"):
        raise RuntimeError(msg)
    return t1 - t0, msg["result"]["disks"][0]["path"]


def blocks(path):
    return os.stat(path).st_blocks * 512


def main():
    f = benchlib.Fwsd()
    try:
        for name in ("srcf", "srcl"):
            info = f.guest(name, "--disk", "1G", start=False)
            disk = info["disks"][0]["path"]
            subprocess.run(["qemu-io", "-f", "qcow2", "-c",
                            "write -P 0x5a 0 %dM" % DATA_MIB, disk],
                           check=True, stdout=subprocess.DEVNULL)
        full, linked, full_bytes, linked_bytes = [], [], [], []
        for i in range(ROUNDS):
            t, path = clone(f, "srcf", "f%d" % i, False)
            full.append(t)
            full_bytes.append(blocks(path))
            f.ctl("delete", "f%d" % i)
            t, path = clone(f, "srcl", "l%d" % i, True)
            linked.append(t)
            linked_bytes.append(blocks(path))
            f.ctl("delete", "l%d" % i)
    finally:
        f.close()
    print("clone of a stopped VM, a 1 GiB qcow2 disk with %d MiB written:"
          " full vs linked" % DATA_MIB)
    benchlib.show("full", full)
    benchlib.show("linked", linked)
    print("  ratio full/linked (medians): %.1f" %
          benchlib.ratio(full, linked))
    print("  the new disk on the host: full %.1f MiB, linked %.2f MiB" %
          (full_bytes[-1] / 2**20, linked_bytes[-1] / 2**20))


if __name__ == "__main__":
    sys.exit(main())
