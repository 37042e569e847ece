"""Flowers by kind, trees by season, forests and haystacks; all sized by their distance."""

from __future__ import annotations

import numpy as np

from studiolo.capabilities.painter.canvas import mix
from studiolo.capabilities.painter.draw.ink import Ink

FOLIAGE = {
    "spring": ((0.45, 0.7, 0.28), (0.62, 0.82, 0.38), (0.35, 0.58, 0.22)),
    "summer": ((0.2, 0.42, 0.16), (0.3, 0.52, 0.2), (0.14, 0.32, 0.12)),
    "autumn": ((0.85, 0.42, 0.1), (0.92, 0.65, 0.15), (0.7, 0.22, 0.08), (0.55, 0.3, 0.1)),
    "winter": (),
}
BLOSSOM = ((0.98, 0.78, 0.85), (0.96, 0.66, 0.78), (1.0, 0.9, 0.93))


def _ys(top: float, bottom: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Depths toward the viewer: many small things far, few large ones near (sorted back to front)."""
    return np.sort(top + (bottom - top) * rng.random(n) ** 1.8)


def _lit(col, light) -> np.ndarray:
    return np.clip(np.asarray(col, np.float32) * light, 0, 1)


def sunflowers(canvas: np.ndarray, top: float, pal, rng: np.random.Generator, light, colour=None) -> None:
    """A field of sunflowers: far ones as a yellow haze of dots, near ones with petals, a brown heart
    and leaves, all facing the light."""
    h, w, _ = canvas.shape
    ink = Ink(h, w)
    petal = _lit(colour if colour is not None else (0.98, 0.78, 0.12), light)
    heart = _lit((0.32, 0.18, 0.06), light)
    leaf = _lit((0.22, 0.42, 0.14), light)
    ink.poly([(-1, top + 2), (w + 1, top + 2), (w + 1, h + 1), (-1, h + 1)], leaf * 0.8)  # the green of the plants
    for y in _ys(top, h * 1.1, int(w * 0.9), rng):
        d = (y - top) / max(h - top, 1)
        r = w * (0.004 + 0.075 * d ** 1.8)
        x = rng.uniform(-0.05, 1.05) * w
        if r > 3:
            ink.line([(x, y), (x + rng.uniform(-r, r) * 0.2, y + r * 4)], leaf, max(1, r * 0.18))
            ink.ellipse((x - r * 1.6, y + r * 1.3, x - r * 0.1, y + r * 2.1), leaf)
            ink.ellipse((x + r * 0.1, y + r * 1.8, x + r * 1.6, y + r * 2.6), leaf)
            for k in range(12):
                a = k / 12 * 2 * np.pi + rng.uniform(0, 0.3)
                px, py = x + np.cos(a) * r * 0.95, y + np.sin(a) * r * 0.8
                ink.ellipse((px - r * 0.38, py - r * 0.38, px + r * 0.38, py + r * 0.38), petal * rng.uniform(0.9, 1.05))
            ink.ellipse((x - r * 0.42, y - r * 0.36, x + r * 0.42, y + r * 0.36), heart)
        else:
            ink.ellipse((x - r, y - r * 0.8, x + r, y + r * 0.8), petal * rng.uniform(0.85, 1.0))
    ink.onto(canvas, 0.5)


def poppies(canvas: np.ndarray, top: float, pal, rng: np.random.Generator, light, colour=None) -> None:
    h, w, _ = canvas.shape
    ink = Ink(h, w)
    red = _lit(colour if colour is not None else (0.88, 0.12, 0.08), light)
    stem = _lit((0.25, 0.42, 0.15), light)
    for y in _ys(top, h * 1.05, int(w * 2.2), rng):
        d = (y - top) / max(h - top, 1)
        r = w * (0.003 + 0.018 * d ** 1.4) * rng.uniform(0.7, 1.3)
        x = rng.uniform(0, 1) * w
        if r > 2.5:
            ink.line([(x, y), (x, y + r * 3)], stem, max(1, r * 0.2))
            ink.ellipse((x - r, y - r * 0.75, x + r, y + r * 0.75), red * rng.uniform(0.85, 1.05))
            ink.ellipse((x - r * 0.25, y - r * 0.2, x + r * 0.25, y + r * 0.2), (0.08, 0.05, 0.05))
        else:
            ink.ellipse((x - r, y - r * 0.7, x + r, y + r * 0.7), red * rng.uniform(0.8, 1.0))
    ink.onto(canvas, 0.4)


def rows(canvas: np.ndarray, top: float, vx: float, pal, rng: np.random.Generator, light, colours,
         gap_colour, n_rows: int = 22, dab: float = 0.012) -> None:
    """Planted rows converging on a vanishing point: tulips (stripes of colours) or lavender."""
    h, w, _ = canvas.shape
    ink = Ink(h, w)
    gap = _lit(gap_colour, light)
    ink.poly([(-w, h), (2 * w, h), (2 * w, top), (-w, top)], gap)
    span = w * 3.0
    for k in range(n_rows):
        col = _lit(colours[k % len(colours)], light)
        x0 = vx - span / 2 + span * (k + 0.15) / n_rows
        x1 = vx - span / 2 + span * (k + 0.85) / n_rows
        ink.poly([(vx + (x0 - vx) * 0.002, top), (vx + (x1 - vx) * 0.002, top), (x1, h), (x0, h)], col * 0.85)
    ink.onto(canvas, 0.6)
    dabs = Ink(h, w)  # flower heads along the rows, larger near
    for y in _ys(top, h, int(w * 3), rng):
        t = (y - top) / max(h - top, 1)
        k = int(rng.integers(0, n_rows))
        c = (k + rng.uniform(0.2, 0.8)) / n_rows
        x = vx + (vx - span / 2 + span * c - vx) * max(t, 0.002)
        r = w * (0.002 + dab * t) * rng.uniform(0.7, 1.2)
        col = _lit(colours[k % len(colours)], light) * rng.uniform(0.9, 1.15)
        dabs.ellipse((x - r, y - r * 1.3, x + r, y + r * 0.6), col)
    dabs.onto(canvas, 0.4)


def flowers(canvas: np.ndarray, top: float, pal, rng: np.random.Generator, light, colours=None) -> None:
    """A meadow of mixed flowers: dabs of colour, larger and sparser toward the viewer."""
    h, w, _ = canvas.shape
    ink = Ink(h, w)
    cols = colours or ((0.95, 0.3, 0.3), (1.0, 0.85, 0.25), (0.98, 0.97, 0.92), (0.7, 0.45, 0.9), (1.0, 0.6, 0.75))
    for y in _ys(top, h * 1.02, int(w * 2.0), rng):
        d = (y - top) / max(h - top, 1)
        r = w * (0.002 + 0.012 * d) * rng.uniform(0.6, 1.4)
        x = rng.uniform(0, w)
        ink.ellipse((x - r, y - r * 0.8, x + r, y + r * 0.8), _lit(cols[int(rng.integers(len(cols)))], light))
    ink.onto(canvas, 0.4)


def tree(canvas: np.ndarray, x: float, base: float, height: float, season: str, pal, rng: np.random.Generator,
         light, blossom: bool = False, colour=None) -> None:
    """A broad-leaved tree: trunk and branches, a canopy of dabs in the season's colours (bare in winter)."""
    h, w, _ = canvas.shape
    ink = Ink(h, w)
    bark = _lit((0.28, 0.2, 0.14), light)
    trunk_w = height * 0.06
    ink.poly([(x - trunk_w, base), (x - trunk_w * 0.5, base - height * 0.5), (x + trunk_w * 0.5, base - height * 0.5),
              (x + trunk_w, base)], bark)
    cy, spread = base - height * 0.62, height * 0.42
    for _ in range(7):  # branches
        a = rng.uniform(-2.6, -0.5)
        ex, ey = x + np.cos(a) * spread, cy + np.sin(a) * spread * 0.7
        ink.line([(x, base - height * 0.45), ((x + ex) / 2, (base - height * 0.45 + ey) / 2 - 3), (ex, ey)], bark,
                 max(1, trunk_w * 0.45))
    ink.onto(canvas, 0.5)
    if season == "winter" and not blossom:
        return
    cols = BLOSSOM if blossom else FOLIAGE[season]
    if colour is not None:
        cols = (colour, mix(colour, (1, 1, 1), 0.25), mix(colour, (0, 0, 0), 0.2))
    leaves = Ink(h, w)
    n = int(260 + height * 1.2)
    for _ in range(n):
        r = np.sqrt(rng.random())
        a = rng.uniform(0, 2 * np.pi)
        lx, ly = x + np.cos(a) * spread * r, cy + np.sin(a) * spread * 0.75 * r
        s = height * rng.uniform(0.025, 0.05)
        shade = 1.1 - 0.35 * (ly - (cy - spread)) / (2 * spread) - 0.15 * (lx > x)  # lit from above left
        leaves.ellipse((lx - s, ly - s * 0.8, lx + s, ly + s * 0.8), _lit(cols[int(rng.integers(len(cols)))], light * shade))
    leaves.onto(canvas, 0.4)


def pine(ink: Ink, x: float, base: float, height: float, col, snow: bool) -> None:
    ink.line([(x, base), (x, base - height * 0.15)], np.asarray(col) * 0.7, max(1, height * 0.05))
    for tier in range(4):
        t0 = base - height * (0.12 + tier * 0.2)
        wd = height * (0.3 - tier * 0.06)
        ink.poly([(x - wd, t0), (x, t0 - height * 0.36), (x + wd, t0)], np.asarray(col) * (0.9 + tier * 0.05))
        if snow:
            ink.poly([(x - wd * 0.45, t0 - height * 0.2), (x, t0 - height * 0.36), (x + wd * 0.45, t0 - height * 0.2)],
                     (0.92, 0.94, 0.98))


def forest(canvas: np.ndarray, base_px: float, pal, rng: np.random.Generator, season: str, light, pines: bool,
           rows_n: int = 3, snow: bool = False, haze=None) -> None:
    """Rows of trees from the far edge to the viewer: pines, or round trees in the season's colour."""
    h, w, _ = canvas.shape
    haze = pal.sky_horizon if haze is None else haze
    for r in range(rows_n):
        depth = (rows_n - 1 - r) / max(rows_n - 1, 1)
        size = h * (0.07 + 0.14 * (1 - depth) ** 1.5)
        y0 = base_px + r * h * 0.06
        ink = Ink(h, w)
        x = -size * 0.5
        while x < w + size:
            tall = size * rng.uniform(0.75, 1.3)
            if pines or season == "winter":
                base_col = (0.12, 0.26, 0.16)
                col = mix(_lit(base_col, light), haze, 0.6 * depth)
                pine(ink, x, y0 + rng.uniform(0, h * 0.02), tall, col, snow)
            else:
                cols = FOLIAGE[season] or FOLIAGE["summer"]
                col = mix(_lit(cols[int(rng.integers(len(cols)))], light), haze, 0.55 * depth)
                ink.line([(x, y0), (x, y0 - tall * 0.4)], np.asarray(col) * 0.5, max(1, tall * 0.06))
                for _ in range(5):
                    cx, cy = x + rng.normal(0, tall * 0.15), y0 - tall * rng.uniform(0.45, 0.85)
                    s = tall * rng.uniform(0.18, 0.3)
                    ink.ellipse((cx - s, cy - s, cx + s, cy + s), np.asarray(col) * rng.uniform(0.85, 1.1))
            x += tall * rng.uniform(0.22, 0.4)
        ink.rect((-1, y0 - 1, w + 1, y0 + h * 0.06), mix(_lit((0.15, 0.25, 0.12), light), haze, 0.6 * depth)
                 if season != "winter" else (0.88, 0.9, 0.95))
        ink.onto(canvas, 0.6)


def haystacks(canvas: np.ndarray, top: float, pal, rng: np.random.Generator, light, sun_x: float | None) -> None:
    """Domed haystacks lit on the sun's side, each with a shadow on the stubble."""
    h, w, _ = canvas.shape
    hay = _lit((0.9, 0.7, 0.32), np.sqrt(np.asarray(light)))
    n = int(rng.integers(3, 6))
    places = sorted(((rng.uniform(0.08, 0.92) * w, top + (h - top) * rng.uniform(0.15, 0.8)) for _ in range(n)),
                    key=lambda p: p[1])
    for x, y in places:
        d = (y - top) / max(h - top, 1)
        s = w * (0.04 + 0.1 * d)
        side = -1 if sun_x is not None and sun_x < x else 1
        ink = Ink(h, w)
        ink.ellipse((x - s * 1.4 - side * s * 0.9, y - s * 0.12, x + s * 1.4 - side * s * 0.9, y + s * 0.22),
                    np.asarray(pal.land_dark) * 0.7, 0.6)
        ink.ellipse((x - s, y - s * 1.45, x + s, y + s * 0.12), hay * 0.72)  # the dome, its shaded side
        ink.ellipse((x - s * 0.95 - side * s * 0.12, y - s * 1.42, x + s * 0.95 - side * s * 0.5, y + s * 0.05), hay * 1.05)
        ink.ellipse((x - s * 0.45, y - s * 1.62, x + s * 0.45, y - s * 1.1), hay * 0.85)  # the rounded cap
        ink.onto(canvas, 0.6)
