# screen-match.py GUEST.png X.xwd: does the guest's screen (a PNG of
# fwsctl screenshot) show, pixel for pixel, somewhere on an X display (a
# dump of xwd -root, 24 or 32 bits a pixel)?  Exit 0 when it does: every
# pixel of the guest's that is not its background (its text) is found
# at one offset, and nearly all the others too (a viewer's window may
# hide a few rows at the bottom); 1 when not; 2 when the guest's screen
# shows too little to tell.  Prints what it found.
import os, struct, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "web"))
import pngcheck  # noqa: E402


def png(path):
    """(width, height, rows): each row a list of RGB tuples."""
    w, h, rows, bpp = pngcheck.pixels(open(path, "rb").read())
    return w, h, [[tuple(r[x * bpp:x * bpp + 3]) for x in range(w)]
                  for r in rows]


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
