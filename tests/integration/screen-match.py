# screen-match.py GUEST.png X.xwd: does the guest's screen (a PNG of
# fwsctl screenshot) show, pixel for pixel, somewhere on an X display (a
# dump of xwd -root, 24 or 32 bits a pixel)?  Exit 0 when it does: every
# pixel of the guest's that is not its background (its text) is found
# at one offset, and nearly all the others too (a viewer's window may
# hide a few rows at the bottom); 1 when not; 2 when the guest's screen
# shows too little to tell.  Prints what it found.
import struct, sys, zlib


def png(path):
    d = open(path, "rb").read()
    assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    i, idat = 8, b""
    while i < len(d):
        n, t = struct.unpack(">I4s", d[i:i + 8])
        c = d[i + 8:i + 8 + n]
        i += 12 + n
        if t == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", c[:10])
        elif t == b"IDAT":
            idat += c
    assert depth == 8 and ctype in (2, 6), (depth, ctype)
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev, rows, p = bytearray(stride), [], 0
    for _ in range(h):
        f, line = raw[p], bytearray(raw[p + 1:p + 1 + stride])
        p += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else
                                      b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, rows


def shift(mask):
    n = 0
    while mask and not mask & 1:
        mask >>= 1
        n += 1
    return n


def xwd(path):
    d = open(path, "rb").read()
    h = struct.unpack(">25I", d[:100])
    hs, w, hgt, order, bpp, bpl = h[0], h[4], h[5], h[7], h[11], h[12]
    masks = h[14:17]
    assert bpp in (24, 32), bpp
    px = d[hs + h[19] * 12:]
    step = bpp // 8
    rows = []
    for y in range(hgt):
        r = px[y * bpl:y * bpl + w * step]
        row = []
        for x in range(w):
            v = int.from_bytes(r[x * step:x * step + step],
                               "little" if order == 0 else "big")
            row.append(tuple((v & m) >> shift(m) for m in masks))
        rows.append(row)
    return w, hgt, rows


gw, gh, g = png(sys.argv[1])
xw, xh, x = xwd(sys.argv[2])
bg = g[0][0]
text = [(i, j) for j in range(gh) for i in range(gw) if g[j][i] != bg]
if len(text) < 100:
    print("the guest's screen is nearly blank: %d pixels" % len(text))
    sys.exit(2)


def near(a, b):
    return max(abs(a[k] - b[k]) for k in range(3)) <= 48


best = (0, 0, 0)
i0, j0 = text[0]
sample = text[::max(1, len(text) // 64)]
for cy in range(xh):
    for cx in range(xw):
        # where the guest's first text pixel could be
        if not near(g[j0][i0], x[cy][cx]):
            continue
        dx, dy = cx - i0, cy - j0
        if not all(0 <= i + dx < xw and 0 <= j + dy < xh and
                   near(g[j][i], x[j + dy][i + dx]) for i, j in sample):
            continue
        hit = sum(1 for i, j in text if 0 <= i + dx < xw and
                  0 <= j + dy < xh and near(g[j][i], x[j + dy][i + dx]))
        if hit > best[0]:
            best = (hit, dx, dy)
        if hit < len(text):
            continue
        seen = [(i, j) for j in range(gh) for i in range(gw)
                if 0 <= j + dy < xh and 0 <= i + dx < xw]
        same = sum(1 for i, j in seen if near(g[j][i], x[j + dy][i + dx]))
        if len(seen) >= gw * gh * 3 // 4 and same >= len(seen) * 99 // 100:
            print("the guest's screen at %+d%+d: %d of %d pixels" %
                  (dx, dy, same, len(seen)))
            sys.exit(0)
print("the guest's screen is not there: at best %d of its %d text pixels "
      "at %+d%+d" % (best[0], len(text), best[1], best[2]))
sys.exit(1)
