"""Skies: gradient by time of day, sun glow, moon, stars and fractal-noise clouds."""

from __future__ import annotations

import numpy as np

from studiolo.capabilities.painter.canvas import ellipse_mask, fbm, lay, mix, vertical
from studiolo.capabilities.painter.palette import Palette


def sky(h: int, w: int, horizon: float, pal: Palette, time: str) -> np.ndarray:
    """The sky down to the horizon line (fraction of height); below it the horizon colour continues."""
    gamma = 1.6 if time in ("dawn", "dusk") else 1.0  # keep warm light low on the sky
    return vertical(h, w, pal.sky_top, pal.sky_horizon, 0.0, max(horizon, 0.05), gamma)


def light_position(w: int, h: int, horizon: float, time: str, rng: np.random.Generator) -> tuple[float, float]:
    x = w * rng.uniform(0.25, 0.75)
    if time in ("dawn", "dusk"):
        y = h * horizon * rng.uniform(0.72, 0.88)
    elif time == "night":
        y = h * horizon * rng.uniform(0.2, 0.4)
    else:
        y = h * horizon * rng.uniform(0.15, 0.35)
    return x, y


def glow(canvas: np.ndarray, cx: float, cy: float, radius: float, color, strength: float) -> None:
    h, w, _ = canvas.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = np.sqrt((xx - cx) ** 2 + ((yy - cy) * 1.3) ** 2) / max(radius, 1.0)
    lay(canvas, strength * np.exp(-d * d), color)


def sun(canvas: np.ndarray, cx: float, cy: float, size: float, pal: Palette, time: str, horizon_px: float) -> None:
    glow(canvas, cx, cy, size * (6 if time in ("dawn", "dusk") else 4), pal.light, 0.55)
    h, w, _ = canvas.shape
    disc = ellipse_mask(h, w, [(cx - size, cy - size, cx + size, cy + size)], soften=1.2)
    disc[int(horizon_px):] = 0.0  # a low sun sinks behind the horizon
    lay(canvas, disc, mix(pal.light, (1, 1, 1), 0.4))


def moon(canvas: np.ndarray, cx: float, cy: float, size: float, pal: Palette, rng: np.random.Generator,
         full: bool = False) -> None:
    glow(canvas, cx, cy, size * 5, pal.light, 0.25)
    h, w, _ = canvas.shape
    disc = ellipse_mask(h, w, [(cx - size, cy - size, cx + size, cy + size)], soften=1.0)
    if rng.random() < 0.4 and not full:  # sometimes a crescent: cut the disc with an offset one
        off = size * 0.55
        cut = ellipse_mask(h, w, [(cx - size + off, cy - size - off * 0.3, cx + size + off, cy + size - off * 0.3)], 1.0)
        disc = np.clip(disc - cut, 0, 1)
    lay(canvas, disc, pal.light)
    # Maria: faint darker patches so it reads as a moon, not a sun.
    spots = fbm(h, w, rng, scale=w / max(size, 1) * 0.6, octaves=2)
    lay(canvas, disc * np.clip(spots - 0.55, 0, 1) * 0.8, np.asarray(pal.light) * 0.75)


def stars(canvas: np.ndarray, horizon: float, rng: np.random.Generator, density: float = 1.0,
          milky_way: bool = False) -> None:
    h, w, _ = canvas.shape
    limit = int(h * horizon)
    n = int(w * limit / 350 * density)
    ys = rng.integers(0, max(limit, 1), n)
    xs = rng.integers(0, w, n)
    bright = rng.random(n) ** 3  # many faint, few bright
    fade = 1.0 - ys / max(limit, 1) * 0.7  # fewer near the hazy horizon
    for dy, dx, k in ((0, 0, 1.0), (0, 1, 0.35), (1, 0, 0.35), (0, -1, 0.35), (-1, 0, 0.35)):
        yy, xx = np.clip(ys + dy, 0, h - 1), np.clip(xs + dx, 0, w - 1)
        a = (0.35 + 0.65 * bright) * fade * (k if dy or dx else 1.0) * (bright > 0.3 if dy or dx else 1.0)
        canvas[yy, xx] = canvas[yy, xx] * (1 - a[:, None]) + a[:, None] * np.array([1.0, 0.97, 0.88])
    if milky_way:
        band = fbm(h, w, rng, scale=3, octaves=5)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        d = np.abs((yy / h - 0.1) - (xx / w) * 0.5 * horizon) * 6
        lay(canvas, np.clip(1 - d, 0, 1) * band * 0.35 * (yy < limit), (0.7, 0.72, 0.9))


def clouds(canvas: np.ndarray, horizon: float, pal: Palette, rng: np.random.Generator, cover: float,
           stormy: bool = False) -> None:
    """Soft clouds from thresholded fractal noise, flattened toward the horizon (perspective)."""
    h, w, _ = canvas.shape
    n = fbm(h, w, rng, scale=2.5, octaves=6, stretch=2.2 if not stormy else 1.2)
    thresh = 1.0 - cover
    density = np.clip((n - thresh) / max(1.0 - thresh, 1e-3) * 1.6, 0, 1) ** 0.8
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    density *= np.clip((horizon - y) / max(horizon * 0.15, 1e-3), 0, 1)  # none below the horizon
    shade = fbm(h, w, rng, scale=3.0, octaves=4)
    lit = mix(pal.cloud, (1, 1, 1), 0.15) if not stormy else np.asarray(pal.cloud)
    dark = np.asarray(pal.cloud) * (0.55 if stormy else 0.78)
    col = mix(dark, lit, np.clip(shade[..., None] * 1.2, 0, 1))
    lay(canvas, density * (0.95 if stormy else 0.85), col)
