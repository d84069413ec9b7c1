#!/usr/bin/env python3
# qcow2-craft.py: the qcow2 headers a guest with a raw view of a disk
# file could write into it, for the tests that attack fwsd with them.
#
#   qcow2-craft.py backing OUT TARGET [FMT]   backing file TARGET (FMT,
#                                             qcow2 by default)
#   qcow2-craft.py data-file OUT TARGET       external data file TARGET
#   qcow2-craft.py size OUT BYTES             a plain qcow2 claiming a
#                                             virtual size of BYTES
#   qcow2-craft.py line FILE                  FILE gzip'ed and base64'ed
#                                             on one line, for typing
#                                             into a guest's shell
#
# Each image is a whole, valid qcow2 of 32M (or BYTES) that qemu-img
# makes; the data-file variant is patched afterwards, because qemu-img
# would open (and write) the data file while making it.
import base64
import gzip
import struct
import subprocess
import sys

QCOW2_EXT_DATA_FILE = 0x44415441
QCOW2_INCOMPAT_DATA_FILE = 1 << 2


def qemu_img_create(out, size, *opts):
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", *opts, out,
                    str(size)], check=True)


def add_data_file(out, target):
    with open(out, "r+b") as f:
        h = bytearray(f.read(65536))
        hlen = struct.unpack_from(">I", h, 100)[0]
        off = hlen
        while True:
            etype, elen = struct.unpack_from(">II", h, off)
            if etype == 0:
                break
            off += 8 + ((elen + 7) & ~7)
        name = target.encode()
        ext = struct.pack(">II", QCOW2_EXT_DATA_FILE, len(name)) + name
        ext += b"\0" * (-len(ext) % 8)
        h[off:off] = ext
        del h[65536:]
        incompat = struct.unpack_from(">Q", h, 72)[0]
        struct.pack_into(">Q", h, 72, incompat | QCOW2_INCOMPAT_DATA_FILE)
        f.seek(0)
        f.write(h)


def main():
    what = sys.argv[1]
    if what == "backing":
        fmt = sys.argv[4] if len(sys.argv) > 4 else "qcow2"
        qemu_img_create(sys.argv[2], 32 << 20, "-u", "-b", sys.argv[3],
                        "-F", fmt)
    elif what == "data-file":
        qemu_img_create(sys.argv[2], 32 << 20)
        add_data_file(sys.argv[2], sys.argv[3])
    elif what == "size":
        qemu_img_create(sys.argv[2], int(sys.argv[3]))
    elif what == "line":
        with open(sys.argv[2], "rb") as f:
            print(base64.b64encode(gzip.compress(f.read(), 9)).decode())
    else:
        sys.exit("usage: qcow2-craft.py backing|data-file|size|line ...")


main()
