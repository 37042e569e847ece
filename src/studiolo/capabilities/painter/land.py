"""The city skyline: rows of buildings, their windows lit at night (the rest of the land is in draw/terrain.py)."""

from __future__ import annotations

import numpy as np

from studiolo.capabilities.painter.canvas import (
    blur,
    lay,
    mix,
    polygon_mask,
)
from studiolo.capabilities.painter.palette import Palette


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
