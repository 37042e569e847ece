"""Villages (pitched roofs, windows lit at dusk, smoking chimneys, a church spire), a street in
one-point perspective, windmills and a stone bridge."""

from __future__ import annotations

import numpy as np

from studiolo.capabilities.painter.canvas import mix
from studiolo.capabilities.painter.draw.ink import Ink

WALLS = ((0.92, 0.88, 0.78), (0.86, 0.76, 0.6), (0.8, 0.72, 0.62), (0.95, 0.92, 0.86))
ROOFS = ((0.62, 0.24, 0.16), (0.5, 0.28, 0.2), (0.35, 0.33, 0.36), (0.7, 0.35, 0.2))
LAMP = (1.0, 0.82, 0.42)


def _lit(col, light) -> np.ndarray:
    return np.clip(np.asarray(col, np.float32) * light, 0, 1)


def house(ink: Ink, smoke: Ink, x: float, base: float, wd: float, ht: float, light, lit_windows: bool,
          roof_col, snow: bool, chimney: bool, rng: np.random.Generator) -> None:
    wall = _lit(WALLS[int(rng.integers(len(WALLS)))], light)
    roof = _lit(roof_col if roof_col is not None else ROOFS[int(rng.integers(len(ROOFS)))], light)
    ink.rect((x - wd / 2, base - ht, x + wd / 2, base), wall)
    ink.rect((x + wd * 0.15, base - ht, x + wd / 2, base), wall * 0.78)  # the side in shade
    peak = base - ht - wd * 0.45
    ink.poly([(x - wd * 0.6, base - ht + 1), (x, peak), (x + wd * 0.6, base - ht + 1)], roof)
    if snow:
        ink.poly([(x - wd * 0.6, base - ht + 1), (x, peak), (x + wd * 0.6, base - ht + 1), (x, peak + wd * 0.12)],
                 (0.93, 0.95, 0.99))
    if chimney:
        cx = x + wd * 0.25
        ink.rect((cx - wd * 0.06, peak + wd * 0.05, cx + wd * 0.06, base - ht - wd * 0.05), roof * 0.7)
        for k in range(6):  # a curl of smoke drifting away
            sx, sy = cx + k * wd * 0.12 + np.sin(k) * wd * 0.05, peak - k * wd * 0.18
            r = wd * (0.06 + 0.03 * k)
            smoke.ellipse((sx - r, sy - r * 0.8, sx + r, sy + r * 0.8), (0.78, 0.78, 0.8), 0.55 - 0.07 * k)
    win = LAMP if lit_windows else _lit((0.2, 0.22, 0.26), light)
    n = max(1, int(wd / (ht * 0.35)))
    for i in range(n):
        wx = x - wd / 2 + wd * (i + 0.5) / n
        for row in (0.3, 0.65) if ht > wd * 0.6 else (0.45,):
            wy = base - ht * (1 - row)
            if lit_windows and rng.random() < 0.25:
                continue
            ink.rect((wx - wd * 0.07, wy - ht * 0.1, wx + wd * 0.07, wy + ht * 0.08), win)
    ink.rect((x - wd * 0.08, base - ht * 0.35, x + wd * 0.08, base), _lit((0.32, 0.2, 0.14), light))


def church(ink: Ink, x: float, base: float, size: float, light, lit: bool, snow: bool) -> None:
    wall = _lit((0.88, 0.85, 0.78), light)
    roof = _lit((0.36, 0.34, 0.38), light)
    ink.rect((x - size * 0.55, base - size * 0.6, x + size * 0.35, base), wall * 0.9)
    ink.poly([(x - size * 0.6, base - size * 0.6), (x - size * 0.1, base - size * 0.95), (x + size * 0.4, base - size * 0.6)], roof)
    ink.rect((x + size * 0.3, base - size * 1.3, x + size * 0.62, base), wall)
    ink.poly([(x + size * 0.26, base - size * 1.3), (x + size * 0.46, base - size * 2.3), (x + size * 0.66, base - size * 1.3)], roof)
    if snow:
        ink.poly([(x + size * 0.36, base - size * 1.7), (x + size * 0.46, base - size * 2.3), (x + size * 0.56, base - size * 1.7)], (0.93, 0.95, 0.99))
    ink.line([(x + size * 0.46, base - size * 2.3), (x + size * 0.46, base - size * 2.55)], roof, max(1, size * 0.03))
    ink.line([(x + size * 0.4, base - size * 2.45), (x + size * 0.52, base - size * 2.45)], roof, max(1, size * 0.03))
    ink.ellipse((x + size * 0.38, base - size * 1.15, x + size * 0.54, base - size * 0.95), LAMP if lit else roof)
    for k in range(3):
        wx = x - size * 0.4 + k * size * 0.25
        ink.rect((wx - size * 0.04, base - size * 0.45, wx + size * 0.04, base - size * 0.2), LAMP if lit else roof * 0.8)


def village(canvas: np.ndarray, base: float, pal, rng: np.random.Generator, light, lit: bool, roof_col=None,
            snow: bool = False, church_too: bool = True, chimneys: bool = False, x0: float = 0.1, x1: float = 0.9,
            scale: float = 1.0) -> tuple[float, float]:
    """A cluster of houses along a slope, larger in front; returns where the church stands (the focal point)."""
    h, w, _ = canvas.shape
    ink, smoke = Ink(h, w), Ink(h, w)
    spot = (w * rng.uniform(0.35, 0.65), base)
    houses = []
    for row in range(2):
        x = w * x0 + rng.uniform(0, w * 0.04)
        while x < w * x1:
            wd = w * rng.uniform(0.07, 0.11) * scale * (1.0 + 0.35 * row)
            houses.append((row, x + wd / 2, base + row * h * 0.05 + rng.uniform(-1, 1) * h * 0.008, wd))
            x += wd * rng.uniform(1.05, 1.4)
    for row, x, y, wd in houses:
        if row == 0:
            house(ink, smoke, x, y, wd, wd * rng.uniform(0.55, 0.8), light * 0.9, lit, roof_col, snow,
                  chimneys or rng.random() < 0.4, rng)
    if church_too:
        church(ink, spot[0], base + h * 0.005, w * 0.1 * scale, light, lit, snow)
    for row, x, y, wd in houses:
        if row == 1 and abs(x - spot[0]) > w * 0.08:
            house(ink, smoke, x, y, wd, wd * rng.uniform(0.55, 0.8), light, lit, roof_col, snow,
                  chimneys or rng.random() < 0.4, rng)
    ink.onto(canvas, 0.5)
    smoke.onto(canvas, 2.0)
    return spot


def street(canvas: np.ndarray, horizon_px: float, vx: float, pal, rng: np.random.Generator, light, lit: bool,
           wet: bool, roof_col=None) -> None:
    """Facades on both sides of a street converging on the vanishing point (vx, horizon), lamps lit at dusk."""
    h, w, _ = canvas.shape
    ink = Ink(h, w)
    for side in (-1, 1):
        edge = vx + side * w * 0.02
        # house fronts as quads between two depths, from far to near
        ts = np.cumsum(rng.uniform(0.08, 0.16, 12))
        ts = ts[ts < 1.2]
        prev = 0.02
        for t in ts:
            t0, t1 = prev, t
            xa = edge + side * (w * 0.6) * t0 ** 1.0
            xb = edge + side * (w * 0.6) * t1 ** 1.0
            top_a = horizon_px - h * (0.04 + 0.5 * t0 * rng.uniform(0.8, 1.1))
            top_b = horizon_px - h * (0.04 + 0.5 * t1 * rng.uniform(0.8, 1.1))
            bot_a = horizon_px + (h - horizon_px) * 0.55 * t0
            bot_b = horizon_px + (h - horizon_px) * 0.55 * t1
            wall = _lit(WALLS[int(rng.integers(len(WALLS)))], light) * (0.7 + 0.15 * side)
            ink.poly([(xa, top_a), (xb, top_b), (xb, bot_b), (xa, bot_a)], wall)
            roof = _lit(roof_col if roof_col is not None else ROOFS[int(rng.integers(len(ROOFS)))], light)
            ink.poly([(xa, top_a), (xb, top_b), (xb, top_b - h * 0.04 * t1), (xa, top_a - h * 0.04 * t0)], roof)
            for f in (0.3, 0.7):  # windows, in perspective
                for v in (0.3, 0.6):
                    wx0, wx1 = xa + (xb - xa) * (f - 0.08), xa + (xb - xa) * (f + 0.08)
                    ya0 = top_a + (bot_a - top_a) * v
                    yb0 = top_b + (bot_b - top_b) * v
                    hh = (bot_b - top_b) * 0.12
                    col = LAMP if lit and rng.random() < 0.7 else np.asarray(wall) * 0.45
                    ink.poly([(wx0, ya0 + (yb0 - ya0) * (f - 0.08)), (wx1, ya0 + (yb0 - ya0) * (f + 0.08)),
                              (wx1, ya0 + (yb0 - ya0) * (f + 0.08) + hh), (wx0, ya0 + (yb0 - ya0) * (f - 0.08) + hh)], col)
            prev = t
    ink.onto(canvas, 0.5)
    lamps = Ink(h, w)
    for t in (0.15, 0.3, 0.5, 0.8):
        for side in (-1, 1):
            x = vx + side * w * 0.45 * t
            yb = horizon_px + (h - horizon_px) * 0.5 * t
            ht = h * 0.4 * t
            lamps.line([(x, yb), (x, yb - ht)], (0.1, 0.1, 0.12), max(1, 4 * t))
            r = max(1.5, 7 * t)
            lamps.ellipse((x - r, yb - ht - r, x + r, yb - ht + r), LAMP if lit else (0.3, 0.3, 0.32))
            if lit and wet:  # the lamp's reflection on the wet street
                lamps.line([(x, yb + 2), (x, yb + ht * 0.5)], LAMP, max(1, 3 * t), 0.35)
    lamps.onto(canvas, 0.6)


def windmill(canvas: np.ndarray, x: float, base: float, size: float, pal, light, rng: np.random.Generator) -> None:
    h, w, _ = canvas.shape
    ink = Ink(h, w)
    body = _lit((0.42, 0.3, 0.22), light)
    ink.poly([(x - size * 0.32, base), (x - size * 0.2, base - size * 1.2), (x + size * 0.2, base - size * 1.2),
              (x + size * 0.32, base)], body)
    ink.poly([(x - size * 0.24, base - size * 1.18), (x, base - size * 1.45), (x + size * 0.24, base - size * 1.18)], body * 0.7)
    ink.rect((x - size * 0.07, base - size * 0.35, x + size * 0.07, base), body * 0.5)
    hub = (x, base - size * 1.2)
    a0 = rng.uniform(0, np.pi / 2)
    sail = _lit((0.85, 0.82, 0.75), light)
    for k in range(4):
        a = a0 + k * np.pi / 2
        dx, dy = np.cos(a), np.sin(a)
        px, py = -dy, dx
        L = size * 1.1
        ink.line([hub, (hub[0] + dx * L, hub[1] + dy * L)], body * 0.6, max(1, size * 0.04))
        ink.poly([(hub[0] + dx * L * 0.25, hub[1] + dy * L * 0.25),
                  (hub[0] + dx * L, hub[1] + dy * L),
                  (hub[0] + dx * L + px * size * 0.22, hub[1] + dy * L + py * size * 0.22),
                  (hub[0] + dx * L * 0.25 + px * size * 0.22, hub[1] + dy * L * 0.25 + py * size * 0.22)], sail, 0.85)
    ink.ellipse((hub[0] - size * 0.06, hub[1] - size * 0.06, hub[0] + size * 0.06, hub[1] + size * 0.06), body * 0.4)
    ink.onto(canvas, 0.5)


def bridge(canvas: np.ndarray, cx: float, y: float, span: float, pal, light) -> None:
    """A stone bridge across a river at its water line `y`: a deck with a parapet on three arches,
    the water seen through them, the bridge broken in its reflection."""
    h, w, _ = canvas.shape
    stone = _lit((0.7, 0.63, 0.54), light)
    rise = span * 0.3
    deck_top = y - rise - span * 0.12
    ink = Ink(h, w)
    ink.rect((cx - span, deck_top, cx + span, y + 1), stone)
    ink.rect((cx - span * 1.02, deck_top - span * 0.06, cx + span * 1.02, deck_top), stone * 0.78)  # parapet
    for k in range(-6, 7):  # courses of stone
        ink.line([(cx + span * k / 6.5, deck_top), (cx + span * k / 6.5, deck_top - span * 0.06)], stone * 0.6, 1)
    ink.onto(canvas, 0.5)
    arches = Ink(h, w)
    shade = mix(pal.water, (0, 0, 0), 0.35)
    for ax, aw, ar in ((cx - span * 0.62, span * 0.28, rise * 0.75), (cx, span * 0.3, rise), (cx + span * 0.62, span * 0.28, rise * 0.75)):
        pts = [(ax + aw * np.cos(t), y - ar * np.sin(t)) for t in np.linspace(0, np.pi, 24)]
        arches.poly(pts + [(ax - aw, y + 1), (ax + aw, y + 1)], shade)
    arches.onto(canvas, 0.5)
    refl = Ink(h, w)
    for k in range(6):
        ry = y + 3 + k * span * 0.06
        refl.line([(cx - span * (1 - k * 0.08), ry), (cx + span * (1 - k * 0.08), ry)], stone * 0.75,
                  max(1, span * 0.03), 0.4)
    refl.onto(canvas, 0.8)


def harbour(canvas: np.ndarray, horizon_px: float, focal: float, pal, rng: np.random.Generator, light,
            lit: bool) -> None:
    """A harbour: a town along the far quay and a stone jetty reaching into the water."""
    h, w, _ = canvas.shape
    village(canvas, horizon_px + 1, pal, rng, light, lit, church_too=True, x0=0.0, x1=1.0, scale=0.45)
    ink = Ink(h, w)
    stone = _lit((0.6, 0.56, 0.5), light)
    side = -1 if focal > w / 2 else 1
    x_far = w * (0.5 - side * 0.05)
    x_near = w * (0.5 - side * 0.6)
    y_far, y_near = horizon_px + (h - horizon_px) * 0.1, h * 0.98
    ink.poly([(x_far, y_far), (x_far - side * w * 0.03, y_far), (x_near - side * w * 0.22, y_near), (x_near, y_near)], stone)
    ink.poly([(x_far, y_far), (x_near, y_near), (x_near, y_near + h * 0.03), (x_far, y_far + h * 0.006)], stone * 0.7)
    for t in (0.25, 0.5, 0.8):  # bollards
        bx = x_far + (x_near - x_far) * t - side * w * 0.02 * t
        by = y_far + (y_near - y_far) * t
        ink.rect((bx - 2 - 4 * t, by - 4 - 10 * t, bx + 2 + 4 * t, by), stone * 0.5)
    ink.onto(canvas, 0.5)
