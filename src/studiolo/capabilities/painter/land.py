"""Land, back to front: mountain ranges, hills, fields, forests, dunes, cities, and water."""

from __future__ import annotations

import numpy as np

from studiolo.capabilities.painter.canvas import (
    below_profile,
    blur,
    fbm,
    lay,
    mix,
    polygon_mask,
    ridge,
    vertical,
)
from studiolo.capabilities.painter.palette import Palette


def mountains(canvas: np.ndarray, horizon_px: float, pal: Palette, rng: np.random.Generator,
              ranges: int = 3, snow: bool = False, height: float = 0.32) -> None:
    """Ranges by midpoint displacement; farther ones paler and bluer (atmospheric perspective)."""
    h, w, _ = canvas.shape
    for i in range(ranges):
        depth = (ranges - 1 - i) / max(ranges - 1, 1)  # 1 = farthest
        prof = ridge(w, rng, roughness=0.58)
        peak = h * height * (1.0 - 0.35 * (1 - depth)) * rng.uniform(0.8, 1.1)
        top = horizon_px - peak * (0.55 + 0.45 * (prof + 1) / 2) + i * h * 0.025
        mask = below_profile(h, w, top) * below_profile(h, w, np.full(w, horizon_px * 0 - 1))
        base = mix(mix(pal.far, pal.land_dark, 0.5), pal.land_dark, 1 - depth)
        col = mix(base, pal.sky_horizon, 0.5 * depth)
        shade = fbm(h, w, rng, scale=6, octaves=5)
        # Light from one side: slopes facing it are lighter.
        k = max(3, w // 40)
        smooth = np.convolve(np.pad(top, k, mode="edge"), np.ones(2 * k + 1) / (2 * k + 1), mode="same")[k:-k]
        slope = np.clip(np.gradient(smooth) * 2.0, -1, 1)[None, :, None]
        rock = np.asarray(col) * (0.85 + 0.25 * slope + 0.2 * (shade[..., None] - 0.5))
        if snow or depth > 0.4:
            y = np.arange(h, dtype=np.float32)[:, None]
            snowline = horizon_px - peak * (0.75 if not snow else 0.55)
            cap = np.clip((snowline - y) / (h * 0.02) + (shade - 0.5) * 2, 0, 1)
            white = mix((0.95, 0.96, 1.0), pal.sky_horizon, 0.2 + 0.3 * depth)
            rock = mix(rock, np.asarray(white) * (0.8 + 0.25 * slope), cap[..., None])
        lay(canvas, mask, rock)


def hills(canvas: np.ndarray, horizon_px: float, pal: Palette, rng: np.random.Generator, layers: int = 3) -> None:
    h, w, _ = canvas.shape
    x = np.linspace(0, 1, w, dtype=np.float32)
    for i in range(layers):
        depth = (layers - 1 - i) / max(layers - 1, 1)
        waves = sum(rng.uniform(0.3, 1) * np.sin(x * np.pi * rng.uniform(1, 3.5) + rng.uniform(0, 6)) for _ in range(3))
        top = horizon_px - h * (0.05 + 0.06 * depth) * (waves / 3 + 0.5) + i * h * 0.08
        col = mix(mix(pal.land, pal.land_dark, (1 - depth) * 0.5), pal.sky_horizon, 0.45 * depth)
        tex = fbm(h, w, rng, scale=5, octaves=5)
        lay(canvas, below_profile(h, w, top, 1.5), np.asarray(col) * (0.85 + 0.3 * tex[..., None]))


def field(canvas: np.ndarray, horizon_px: float, pal: Palette, rng: np.random.Generator, golden: bool = False) -> None:
    """Foreground ground from the horizon down, with furrows converging to a vanishing point."""
    h, w, _ = canvas.shape
    top = pal.land if not golden else mix(pal.land, (0.85, 0.7, 0.3), 0.6)
    near = pal.land_dark if not golden else mix(pal.land_dark, (0.6, 0.45, 0.15), 0.6)
    ground = vertical(h, w, mix(top, pal.sky_horizon, 0.25), near, horizon_px / h, 1.0)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    vx = w * rng.uniform(0.3, 0.7)
    depth = np.clip((yy - horizon_px) / max(h - horizon_px, 1), 1e-3, 1)
    rows = np.sin(((xx - vx) / depth) / (w * 0.012) + rng.uniform(0, 6))
    tex = fbm(h, w, rng, scale=8, octaves=5)
    ground *= (0.88 + 0.1 * rows[..., None] * depth[..., None] + 0.2 * (tex[..., None] - 0.5))
    lay(canvas, below_profile(h, w, np.full(w, horizon_px), 1.0), ground)


def forest(canvas: np.ndarray, base_px: float, pal: Palette, rng: np.random.Generator, rows: int = 3) -> None:
    """Rows of conifer and round trees; far rows smaller and paler."""
    h, w, _ = canvas.shape
    for r in range(rows):
        depth = (rows - 1 - r) / max(rows - 1, 1)
        size = h * (0.06 + 0.07 * (1 - depth))
        y0 = base_px + r * h * 0.05
        polys, boxes = [], []
        x = -size
        while x < w + size:
            tall = size * rng.uniform(0.8, 1.4)
            if rng.random() < 0.65:
                polys.append([(x - tall * 0.28, y0), (x, y0 - tall * 1.5), (x + tall * 0.28, y0)])
            else:
                boxes.append((x - tall * 0.45, y0 - tall * 1.2, x + tall * 0.45, y0 - tall * 0.2))
                polys.append([(x - tall * 0.05, y0), (x - tall * 0.05, y0 - tall * 0.4), (x + tall * 0.05, y0 - tall * 0.4), (x + tall * 0.05, y0)])
            x += tall * rng.uniform(0.25, 0.55)
        mask = np.maximum(polygon_mask(h, w, polys), _ellipses(h, w, boxes))
        mask = np.maximum(mask, below_profile(h, w, np.full(w, y0 - 2), 1.0) * (r == rows - 1))
        col = mix(pal.land_dark, pal.sky_horizon, 0.5 * depth)
        tex = fbm(h, w, rng, scale=10, octaves=4)
        lay(canvas, mask, np.asarray(col) * (0.8 + 0.4 * tex[..., None]))


def _ellipses(h: int, w: int, boxes) -> np.ndarray:
    from studiolo.capabilities.painter.canvas import ellipse_mask

    return ellipse_mask(h, w, boxes) if boxes else np.zeros((h, w), np.float32)


def desert(canvas: np.ndarray, horizon_px: float, pal: Palette, rng: np.random.Generator) -> None:
    h, w, _ = canvas.shape
    sand = mix((0.88, 0.68, 0.4), pal.light, 0.2)
    x = np.linspace(0, 1, w, dtype=np.float32)
    for i in range(4):
        depth = (3 - i) / 3
        top = horizon_px + i * h * 0.07 - h * 0.05 * np.abs(np.sin(x * np.pi * rng.uniform(1, 2.5) + rng.uniform(0, 6)))
        shade = 0.75 + 0.35 * np.clip(np.gradient(top) * 4, -0.5, 0.5)[None, :, None]
        col = mix(mix(sand, pal.land_dark, 0.25 * (1 - depth)), pal.sky_horizon, 0.35 * depth)
        lay(canvas, below_profile(h, w, top, 1.5), np.asarray(col) * shade)


def snowfield(canvas: np.ndarray, horizon_px: float, pal: Palette, rng: np.random.Generator) -> None:
    h, w, _ = canvas.shape
    white = mix((0.95, 0.96, 1.0), pal.sky_top, 0.2)
    ground = vertical(h, w, mix(white, pal.sky_horizon, 0.2), mix(white, pal.sky_top, 0.35), horizon_px / h, 1.0)
    ground *= 0.9 + 0.15 * fbm(h, w, rng, scale=5, octaves=5)[..., None]
    lay(canvas, below_profile(h, w, np.full(w, horizon_px), 1.0), ground)


def city(canvas: np.ndarray, base_px: float, pal: Palette, rng: np.random.Generator, night: bool) -> None:
    """Two rows of building silhouettes; at night their windows are lit."""
    h, w, _ = canvas.shape
    for row in range(2):
        depth = 1 - row
        rects, x = [], 0.0
        while x < w:
            bw = w * rng.uniform(0.04, 0.09)
            bh = h * rng.uniform(0.08, 0.28) * (0.7 if depth else 1.0)
            rects.append((x, base_px - bh, x + bw, base_px + h * 0.02 * row))
            x += bw + w * rng.uniform(0.0, 0.01)
        polys = [[(a, b), (c, b), (c, d), (a, d)] for a, b, c, d in rects]
        col = mix(pal.silhouette, pal.sky_horizon, 0.45 * depth)
        lay(canvas, polygon_mask(h, w, polys, 0.4), col)
        if row == 1 or night:
            win = np.zeros((h, w), np.float32)
            for a, b, c, d in rects:
                for wy in np.arange(b + 4, d - 4, max(h * 0.02, 3)):
                    for wx in np.arange(a + 3, c - 3, max(w * 0.012, 3)):
                        if rng.random() < (0.45 if night else 0.9):
                            win[int(wy): int(wy) + max(1, h // 160), int(wx): int(wx) + max(1, w // 220)] = 1
            color = pal.accents[0] if night else mix(pal.silhouette, pal.sky_horizon, 0.7)
            lay(canvas, blur(win, 0.5) * (0.95 if night else 0.4 * (1 - depth)), color)


def water(canvas: np.ndarray, horizon_px: float, pal: Palette, rng: np.random.Generator, light_x: float | None,
          rough: float, bottom_px: float | None = None) -> None:
    """Sea or lake: reflected sky, wave strokes that shrink toward the horizon, a glitter path under the light."""
    h, w, _ = canvas.shape
    top = int(horizon_px)
    bottom = int(bottom_px if bottom_px is not None else h)
    sky_band = canvas[max(top - 1, 0)].copy()
    base = vertical(h, w, mix(pal.sky_horizon, pal.water, 0.35), mix(pal.water, (0, 0, 0), 0.35), top / h, 1.0)
    base = mix(base, np.broadcast_to(sky_band, base.shape), 0.25)
    # Mirror what stands above the horizon (hills, sun, boats): strong on calm water.
    rows = np.clip(2 * top - np.arange(h), 0, h - 1)
    mirror = canvas[rows]
    base = mix(base, mirror, (0.55 if rough < 0.5 else 0.15))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    depth = np.clip((yy - top) / max(h - top, 1), 0.02, 1)  # 0 at horizon, 1 at bottom
    noise = fbm(h, w, rng, scale=3, octaves=6, stretch=4.0)
    phase = rng.uniform(0, 6)
    waves = np.sin(yy / (1.2 + 10 * depth) * 2.0 + noise * 6 * rough + phase)
    broken = fbm(h, w, rng, scale=6, octaves=3, stretch=5.0)
    crest = np.clip(waves, 0, 1) ** (6 - 4 * rough) * np.clip((broken - 0.35) * 2.5, 0, 1)
    trough = np.clip(-waves, 0, 1)
    col = base * (1.0 - 0.25 * trough[..., None] * (0.4 + rough)) + crest[..., None] * (0.15 + 0.25 * rough) * np.asarray(mix(pal.sky_horizon, (1, 1, 1), 0.4))
    if rough > 0.6:  # whitecaps
        foam = np.clip((noise - 0.7) * 5, 0, 1) * crest
        col = mix(col, (0.85, 0.88, 0.9), foam[..., None])
    if light_x is not None:
        spread = w * (0.03 + 0.12 * depth)
        path = np.exp(-((xx - light_x) / spread) ** 2) * crest
        col = col + path[..., None] * 0.8 * np.asarray(pal.light)
    mask = (yy >= top) & (yy < bottom)
    lay(canvas, mask.astype(np.float32), np.clip(col, 0, 1))
