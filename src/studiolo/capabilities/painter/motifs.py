"""Foreground motifs (trees, flowers, boats, lighthouses, figures), abstractions and brush texture."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from studiolo.capabilities.painter.canvas import ellipse_mask, fbm, lay, mix, polygon_mask, to_image
from studiolo.capabilities.painter.palette import Palette


def tree(canvas: np.ndarray, x: float, base: float, size: float, pal: Palette, rng: np.random.Generator) -> None:
    h, w, _ = canvas.shape
    trunk = [(x - size * 0.04, base), (x - size * 0.025, base - size * 0.55), (x + size * 0.025, base - size * 0.55), (x + size * 0.04, base)]
    boxes = [(x + dx * size - r * size, base - size * (0.55 + dy) - r * size, x + dx * size + r * size, base - size * (0.55 + dy) + r * size)
             for dx, dy, r in zip(rng.uniform(-0.22, 0.22, 7), rng.uniform(0.0, 0.4, 7), rng.uniform(0.14, 0.24, 7), strict=True)]
    mask = np.maximum(polygon_mask(h, w, [trunk]), ellipse_mask(h, w, boxes, 1.2))
    tex = fbm(h, w, rng, scale=w / size * 2, octaves=3)
    lay(canvas, mask, np.asarray(pal.land_dark) * (0.6 + 0.5 * tex[..., None]))


def flowers(canvas: np.ndarray, top_px: float, pal: Palette, rng: np.random.Generator) -> None:
    """Dabs of colour, larger and sparser toward the viewer."""
    h, w, _ = canvas.shape
    n = int(w * (h - top_px) / 90)
    ys = top_px + (h - top_px) * rng.random(n) ** 0.7
    xs = rng.uniform(0, w, n)
    depth = (ys - top_px) / max(h - top_px, 1)
    r = 0.8 + depth * w * 0.012
    img = Image.new("RGB", (w, h))
    alpha = Image.new("L", (w, h))
    d, a = ImageDraw.Draw(img), ImageDraw.Draw(alpha)
    colors = [tuple(int(255 * c) for c in col) for col in pal.accents]
    for x, y, rr in sorted(zip(xs, ys, r, strict=True), key=lambda t: t[1]):
        c = colors[int(rng.integers(len(colors)))]
        d.ellipse((x - rr, y - rr * 0.8, x + rr, y + rr * 0.8), fill=c)
        a.ellipse((x - rr, y - rr * 0.8, x + rr, y + rr * 0.8), fill=235)
    lay(canvas, np.asarray(alpha, np.float32) / 255, np.asarray(img, np.float32) / 255)


def boat(canvas: np.ndarray, x: float, water_y: float, size: float, pal: Palette) -> None:
    h, w, _ = canvas.shape
    hull = [(x - size, water_y - size * 0.18), (x + size, water_y - size * 0.18), (x + size * 0.7, water_y + size * 0.05), (x - size * 0.7, water_y + size * 0.05)]
    sail = [(x - size * 0.05, water_y - size * 0.22), (x - size * 0.05, water_y - size * 1.5), (x + size * 0.75, water_y - size * 0.22)]
    jib = [(x - size * 0.12, water_y - size * 0.22), (x - size * 0.12, water_y - size * 1.2), (x - size * 0.7, water_y - size * 0.22)]
    lay(canvas, polygon_mask(h, w, [hull]), pal.silhouette)
    lay(canvas, polygon_mask(h, w, [sail, jib]), mix(pal.light, pal.sky_horizon, 0.35))
    # its reflection, broken by the waves
    refl = polygon_mask(h, w, [[(px, 2 * water_y - py) for px, py in sail]]) * 0.25
    lay(canvas, refl, pal.light)


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


def figure(canvas: np.ndarray, x: float, base: float, size: float, pal: Palette) -> None:
    """A standing person seen from behind, as a dark silhouette with a long coat."""
    h, w, _ = canvas.shape
    head = (x - size * 0.09, base - size, x + size * 0.09, base - size * 0.8)
    coat = [(x - size * 0.13, base - size * 0.78), (x + size * 0.13, base - size * 0.78), (x + size * 0.2, base - size * 0.25), (x - size * 0.2, base - size * 0.25)]
    legs = [(x - size * 0.12, base - size * 0.26), (x - size * 0.1, base), (x - size * 0.02, base), (x, base - size * 0.26), (x + size * 0.02, base), (x + size * 0.1, base), (x + size * 0.12, base - size * 0.26)]
    mask = np.maximum(ellipse_mask(h, w, [head]), polygon_mask(h, w, [coat, legs]))
    lay(canvas, mask, pal.silhouette)


def flow_field(canvas: np.ndarray, pal: Palette, rng: np.random.Generator, energy: float) -> None:
    """Thousands of strokes following the angle of a noise field: an abstraction in the palette's colours."""
    h, w, _ = canvas.shape
    field = fbm(h, w, rng, scale=2.0, octaves=3) * np.pi * (2 + 2 * energy)
    colors = [pal.sky_top, pal.sky_horizon, pal.light, *pal.accents, pal.land]
    img = to_image(canvas)
    draw = ImageDraw.Draw(img)
    n = int(w * h / 120)
    length = max(6, int(min(w, h) / 25))
    width = max(1, int(min(w, h) / 120))
    for _ in range(n):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        c = np.asarray(colors[int(rng.integers(len(colors)))]) * rng.uniform(0.85, 1.1)
        pts = [(x, y)]
        for _ in range(length):
            a = field[int(min(max(y, 0), h - 1)), int(min(max(x, 0), w - 1))]
            x, y = x + np.cos(a) * 2, y + np.sin(a) * 2
            pts.append((x, y))
        draw.line(pts, fill=tuple(int(255 * min(max(v, 0), 1)) for v in c), width=width)
    canvas[:] = np.asarray(img, np.float32) / 255.0


def geometry(canvas: np.ndarray, pal: Palette, rng: np.random.Generator) -> None:
    """Overlapping circles, rectangles and triangles in translucent palette colours."""
    h, w, _ = canvas.shape
    colors = [pal.light, *pal.accents, pal.sky_top, pal.silhouette]
    for _ in range(int(rng.integers(9, 15))):
        c = colors[int(rng.integers(len(colors)))]
        cx, cy, s = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h, rng.uniform(0.08, 0.3) * min(w, h)
        kind = rng.integers(3)
        if kind == 0:
            m = ellipse_mask(h, w, [(cx - s, cy - s, cx + s, cy + s)], 0.8)
        elif kind == 1:
            m = polygon_mask(h, w, [[(cx - s, cy - s * 0.6), (cx + s, cy - s * 0.6), (cx + s, cy + s * 0.6), (cx - s, cy + s * 0.6)]])
        else:
            m = polygon_mask(h, w, [[(cx, cy - s), (cx + s, cy + s * 0.8), (cx - s, cy + s * 0.8)]])
        lay(canvas, m * rng.uniform(0.55, 0.9), c)


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
