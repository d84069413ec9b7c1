"""pngcheck.py: a PNG's pixels, read with the standard library alone
(zlib and the five row filters), for the browser tests' checks that a
screenshot shows something: its size and how many colours it holds."""
import struct
import zlib


def pixels(data):
    """(width, height, rows): rows a list of bytes, RGB(A) per pixel."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    off, idat, ihdr = 8, b"", None
    while off < len(data):
        n, kind = struct.unpack(">I4s", data[off:off + 8])
        body = data[off + 8:off + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        off += 12 + n
    w, h, depth, color, _, _, interlace = ihdr
    if depth != 8 or color not in (2, 6) or interlace:
        raise ValueError("only 8-bit RGB or RGBA PNGs, not interlaced")
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 0xff
            elif f == 2:
                line[x] = (line[x] + b) & 0xff
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xff
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 0xff
        rows.append(bytes(line))
        prev = line
    return w, h, rows, bpp


def colours(data, box=None):
    """The set of RGB colours in the PNG (or in box = (x0, y0, x1, y1))."""
    w, h, rows, bpp = pixels(data)
    x0, y0, x1, y1 = box or (0, 0, w, h)
    seen = set()
    for y in range(max(0, y0), min(h, y1)):
        r = rows[y]
        for x in range(max(0, x0), min(w, x1)):
            seen.add(r[x * bpp:x * bpp + 3])
    return seen


def size(data):
    w, h = struct.unpack(">II", data[16:24])
    return w, h
