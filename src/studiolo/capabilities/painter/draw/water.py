"""Seas and lakes (waves as broken strokes in perspective, no row banding) and boats by kind."""

from __future__ import annotations

import numpy as np

from studiolo.capabilities.painter.canvas import fbm, lay, mix, vertical
from studiolo.capabilities.painter.draw.ink import Ink


def sea(canvas: np.ndarray, horizon_px: float, pal, rng: np.random.Generator, light_x: float | None,
        rough: float, colour=None, bottom_px: float | None = None, calm_mirror: bool = False) -> None:
    """Open water from the horizon down: a gradient, a soft mirror of the sky, then wave strokes
    that grow toward the viewer; a glitter path under the sun or moon."""
    h, w, _ = canvas.shape
    top = int(horizon_px)
    bottom = int(bottom_px if bottom_px is not None else h)
    water = np.asarray(colour if colour is not None else pal.water, np.float32)
    base = vertical(h, w, mix(pal.sky_horizon, water, 0.45), mix(water, (0, 0, 0), 0.3), top / h, 1.0)
    if calm_mirror:
        rows = np.clip(2 * top - np.arange(h), 0, h - 1)
        base = mix(base, canvas[rows], 0.45)
    # 2-D noise (not a function of the row alone): darker and lighter patches of water.
    patches = fbm(h, w, rng, scale=3, octaves=4, stretch=3.0)
    base = base * (0.92 + 0.16 * patches[..., None])
    yy = np.arange(h, dtype=np.float32)[:, None]
    mask = ((yy >= top) & (yy < bottom)).astype(np.float32) * np.ones((1, w), np.float32)
    lay(canvas, mask, np.clip(base, 0, 1))
    ink = Ink(h, w)
    n = int(w * (bottom - top) / (60 if rough > 0.5 else 110))
    depth = rng.random(n) ** 1.6  # more strokes near the horizon, where they are small
    ys = top + 2 + depth * (bottom - top - 3)
    xs = rng.uniform(-0.05, 1.05, n) * w
    crest = mix(pal.sky_horizon, (1, 1, 1), 0.35 + 0.3 * rough)
    trough = np.asarray(water) * 0.55
    for x, y, d in zip(xs, ys, depth, strict=True):
        length = w * (0.004 + 0.05 * d) * rng.uniform(0.5, 1.5)
        thick = 1 + d * (2 + 4 * rough)
        if rng.random() < 0.5:
            ink.line([(x - length, y), (x, y - thick * 0.6 * rough), (x + length, y)], crest, thick, 0.35 + 0.4 * rough)
        else:
            ink.line([(x - length, y + thick), (x + length, y + thick)], trough, thick, 0.4)
    ink.onto(canvas, 0.6)
    if rough > 0.6:  # whitecaps
        foam = Ink(h, w)
        for _ in range(int(n * 0.06)):
            d = rng.random() ** 1.3
            x, y = rng.uniform(0, w), top + d * (bottom - top)
            r = w * (0.003 + 0.025 * d)
            foam.poly([(x - r * 3, y), (x - r, y - r * 0.5), (x + r * 0.5, y - r * 0.6), (x + r * 3, y + r * 0.2)],
                      (0.9, 0.92, 0.93), 0.7)
        foam.onto(canvas, 1.0)
    if light_x is not None:
        glitter = Ink(h, w)
        for _ in range(int(w * 0.7)):
            d = rng.random() ** 1.3
            y = top + 1 + d * (bottom - top - 2)
            x = light_x + rng.normal(0, w * (0.015 + 0.09 * d))
            length = w * (0.004 + 0.03 * d)
            glitter.line([(x - length, y), (x + length, y)], pal.light, 1 + d * 2, rng.uniform(0.4, 0.9))
        glitter.onto(canvas, 0.5)


def boat(canvas: np.ndarray, kind: str, x: float, y: float, size: float, pal, rng: np.random.Generator,
         facing: int = 1) -> None:
    """A boat on the water line `y`: 'sailboat', 'fishing boat', 'rowing boat', 'ship' (or 'boat')."""
    h, w, _ = canvas.shape
    ink = Ink(h, w)
    dark = mix(pal.silhouette, pal.land_dark, 0.3)
    hull_col = {"fishing boat": (0.55, 0.16, 0.12), "rowing boat": (0.45, 0.3, 0.18)}.get(kind, dark)
    hull_col = mix(hull_col, pal.silhouette, 0.35)
    if kind == "ship":  # a tarred hull, brown enough to stand out on a dark sea
        hull_col = mix((0.38, 0.24, 0.14), pal.silhouette, 0.15)
    sail_col = mix(pal.light, pal.sky_horizon, 0.3)
    f = facing
    if kind == "rowing boat":
        s = size * 0.95
        ink.poly([(x - s, y - s * 0.15), (x + s, y - s * 0.22), (x + s * 0.7, y + s * 0.1), (x - s * 0.75, y + s * 0.1)], hull_col)
        ink.ellipse((x - s * 0.09, y - s * 0.62, x + s * 0.09, y - s * 0.44), pal.silhouette)  # rower
        ink.poly([(x - s * 0.12, y - s * 0.45), (x + s * 0.12, y - s * 0.45), (x + s * 0.14, y - s * 0.15), (x - s * 0.14, y - s * 0.15)], pal.silhouette)
        for side in (-1, 1):
            ink.line([(x, y - s * 0.3), (x + side * s * 0.9, y + s * 0.12)], pal.silhouette, max(1, s * 0.04))
    elif kind == "ship":
        s = size * 1.4
        ink.poly([(x - s, y - s * 0.2), (x + s * 1.05, y - s * 0.26), (x + s * 0.85, y + s * 0.06), (x - s * 0.85, y + s * 0.06)], hull_col)
        ink.line([(x - s * 0.95, y - s * 0.14), (x + s * 0.98, y - s * 0.19)], mix(hull_col, (0.9, 0.85, 0.6), 0.6),
                 max(1, s * 0.04))  # the painted band along the gunwale
        for k, mx in enumerate((-0.5, 0.0, 0.5)):
            mh = s * (0.9 if k == 1 else 0.75)
            ink.line([(x + mx * s, y - s * 0.2), (x + mx * s, y - s * 0.2 - mh)], pal.silhouette, max(1, s * 0.025))
            for tier in range(3):
                ty = y - s * 0.3 - mh * tier * 0.3
                wdt = s * (0.22 - tier * 0.04)
                ink.poly([(x + mx * s - wdt, ty), (x + mx * s + wdt, ty), (x + mx * s + wdt * 0.85, ty - mh * 0.24),
                          (x + mx * s - wdt * 0.85, ty - mh * 0.24)], sail_col)
    elif kind == "fishing boat":
        s = size
        ink.poly([(x - s, y - s * 0.3), (x + s, y - s * 0.4), (x + s * 0.75, y + s * 0.08), (x - s * 0.8, y + s * 0.08)], hull_col)
        ink.rect((x - s * 0.1 * f - s * 0.25, y - s * 0.75, x - s * 0.1 * f + s * 0.25, y - s * 0.32), mix((0.9, 0.88, 0.8), pal.silhouette, 0.3))
        ink.rect((x - s * 0.1 * f - s * 0.18, y - s * 0.66, x - s * 0.1 * f + s * 0.18, y - s * 0.55), mix(pal.silhouette, (0.2, 0.3, 0.4), 0.5))
        ink.line([(x + s * 0.5 * f, y - s * 0.35), (x + s * 0.5 * f, y - s * 1.3)], pal.silhouette, max(1, s * 0.05))
        ink.line([(x + s * 0.5 * f, y - s * 1.25), (x + s * 1.0 * f, y - s * 0.4)], pal.silhouette, max(1, s * 0.02))
        ink.line([(x + s * 0.5 * f, y - s * 1.25), (x - s * 0.9 * f, y - s * 0.35)], pal.silhouette, max(1, s * 0.02))
    else:  # a sailboat
        s = size
        ink.poly([(x - s, y - s * 0.18), (x + s, y - s * 0.18), (x + s * 0.7, y + s * 0.05), (x - s * 0.7, y + s * 0.05)], hull_col)
        ink.poly([(x - s * 0.05, y - s * 0.22), (x - s * 0.05, y - s * 1.6), (x + s * 0.75 * f, y - s * 0.22)], sail_col)
        ink.poly([(x - s * 0.12, y - s * 0.22), (x - s * 0.12, y - s * 1.25), (x - s * 0.7 * f, y - s * 0.22)], mix(sail_col, pal.silhouette, 0.15))
    ink.onto(canvas, 0.5)
    # a broken reflection under the hull
    refl = Ink(h, w)
    for k in range(6):
        ry = y + size * (0.12 + k * 0.1)
        rl = size * (0.8 - k * 0.1) * rng.uniform(0.6, 1.0)
        refl.line([(x - rl, ry), (x + rl, ry)], hull_col, max(1, size * 0.05), 0.35)
    refl.onto(canvas, 0.8)
