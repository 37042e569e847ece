"""The lighthouse and the painterly finish (`brush`); the other motifs are in draw/, one module per family."""

from __future__ import annotations

import numpy as np
from PIL import ImageDraw

from studiolo.capabilities.painter.canvas import ellipse_mask, fbm, lay, mix, polygon_mask, to_image
from studiolo.capabilities.painter.palette import Palette


def lighthouse(canvas: np.ndarray, x: float, base: float, size: float, pal: Palette, night: bool) -> None:
    h, w, _ = canvas.shape
    rock = [(x - size * 1.6, base + size * 0.1), (x - size * 0.9, base - size * 0.25), (x + size * 0.8, base - size * 0.3), (x + size * 1.7, base + size * 0.1)]
    tower = [(x - size * 0.22, base - size * 0.2), (x - size * 0.14, base - size * 1.9), (x + size * 0.14, base - size * 1.9), (x + size * 0.22, base - size * 0.2)]
    lay(canvas, polygon_mask(h, w, [rock]), pal.silhouette)
    body = (0.92, 0.9, 0.86) if not night else mix(pal.silhouette, (0.6, 0.6, 0.6), 0.4)
    lay(canvas, polygon_mask(h, w, [tower]), body)
    for k in (0.6, 1.2):  # red bands
        band = [(x - size * (0.2 - 0.04 * k), base - size * k), (x + size * (0.2 - 0.04 * k), base - size * k),
                (x + size * (0.19 - 0.04 * k), base - size * (k + 0.3)), (x - size * (0.19 - 0.04 * k), base - size * (k + 0.3))]
        lay(canvas, polygon_mask(h, w, [band]), (0.7, 0.15, 0.12) if not night else (0.25, 0.08, 0.08))
    lamp_y = base - size * 2.05
    lay(canvas, polygon_mask(h, w, [[(x - size * 0.2, base - size * 1.9), (x, base - size * 2.3), (x + size * 0.2, base - size * 1.9)]]), pal.silhouette)
    if night:
        beam = [(x, lamp_y), (x - w * 0.9, lamp_y - size * 1.2), (x - w * 0.9, lamp_y + size * 0.6)]
        lay(canvas, polygon_mask(h, w, [beam], 6) * 0.22, (1.0, 0.95, 0.7))
        lay(canvas, ellipse_mask(h, w, [(x - size * 0.3, lamp_y - size * 0.3, x + size * 0.3, lamp_y + size * 0.3)], 3), (1.0, 0.95, 0.7))


def brush(canvas: np.ndarray, rng: np.random.Generator, stroke: float = 1.0) -> np.ndarray:
    """Repaint the picture with short strokes that take their colour from it (a painterly finish)."""
    h, w, _ = canvas.shape
    img = to_image(canvas)
    draw = ImageDraw.Draw(img)
    angle = fbm(h, w, rng, scale=3, octaves=3) * np.pi * 1.5 - 0.75  # mostly horizontal strokes
    n = int(w * h / 28)
    length = max(2.0, min(w, h) / 90 * stroke)
    width = max(1, int(min(w, h) / 200 * stroke))
    ys, xs = rng.integers(0, h, n), rng.integers(0, w, n)
    cols = np.clip(canvas[ys, xs] * rng.uniform(0.93, 1.07, (n, 1)), 0, 1)
    a = angle[ys, xs]
    dx, dy = np.cos(a) * length, np.sin(a) * length * 0.35  # flatten: strokes follow the land
    for i in range(n):
        c = tuple(int(255 * v) for v in cols[i])
        draw.line((xs[i] - dx[i], ys[i] - dy[i], xs[i] + dx[i], ys[i] + dy[i]), fill=c, width=width)
    return np.asarray(img, np.float32) / 255.0
