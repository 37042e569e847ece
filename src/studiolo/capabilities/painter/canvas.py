"""Small drawing helpers shared by the painter's layers.

A canvas is a float32 array (H, W, 3) in 0..1; masks are (H, W) in 0..1.
Shapes are drawn with Pillow (fast, in C) and softened a little so edges look
painted rather than cut.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

Color = Sequence[float] | np.ndarray


def lay(canvas: np.ndarray, mask: np.ndarray, color: Color | np.ndarray) -> None:
    """Paint `color` (RGB or an (H, W, 3) array) over `canvas` through `mask`, in place."""
    m = np.clip(mask, 0.0, 1.0)[..., None]
    canvas *= 1.0 - m
    canvas += m * np.asarray(color, np.float32)


def mix(a: Color, b: Color, t: float | np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return a + (b - a) * t


def vertical(h: int, w: int, top: Color, bottom: Color, y0: float = 0.0, y1: float = 1.0,
             gamma: float = 1.0) -> np.ndarray:
    """A vertical gradient filling (H, W, 3), from `top` at y0*h to `bottom` at y1*h."""
    y = np.linspace(0.0, 1.0, h, dtype=np.float32)
    t = np.clip((y - y0) / max(y1 - y0, 1e-6), 0.0, 1.0) ** gamma
    col = mix(top, bottom, t[:, None])  # (H, 3)
    return np.broadcast_to(col[:, None, :], (h, w, 3)).copy()


def fbm(h: int, w: int, rng: np.random.Generator, scale: float = 4.0, octaves: int = 5,
        persistence: float = 0.5, stretch: float = 1.0) -> np.ndarray:
    """Fractal value noise in 0..1: octaves of bicubic-upsampled random grids (Perlin-like, cheaper)."""
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        gx = max(2, int(scale * 2**o / stretch) + 2)  # stretch > 1: wider features
        gy = max(2, int(scale * 2**o * h / max(w, 1)) + 2)
        grid = rng.random((gy, gx), dtype=np.float32)
        layer = np.asarray(Image.fromarray(grid).resize((w, h), Image.BICUBIC))
        out += amp * layer
        total += amp
        amp *= persistence
    out /= total
    lo, hi = float(out.min()), float(out.max())
    return (out - lo) / max(hi - lo, 1e-6)


def ridge(n: int, rng: np.random.Generator, roughness: float = 0.55, amplitude: float = 1.0) -> np.ndarray:
    """A 1-D mountain profile by midpoint displacement (Fournier, Fussell & Carpenter 1982), in -1..1."""
    size = 1
    while size < n:
        size *= 2
    pts = np.zeros(size + 1, np.float32)
    pts[0], pts[-1] = rng.uniform(-0.5, 0.5, 2)
    step, amp = size, amplitude
    while step > 1:
        half = step // 2
        mids = (pts[0:-1:step] + pts[step::step]) / 2 + rng.uniform(-amp, amp, size // step)
        pts[half::step] = mids
        step, amp = half, amp * roughness
    pts = pts[:n]
    return pts / max(float(np.abs(pts).max()), 1e-6)


def polygon_mask(h: int, w: int, polys: Sequence[Sequence[tuple[float, float]]], soften: float = 0.6) -> np.ndarray:
    img = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(img)
    for poly in polys:
        if len(poly) >= 3:
            draw.polygon([(float(x), float(y)) for x, y in poly], fill=255)
    if soften > 0:
        img = img.filter(ImageFilter.GaussianBlur(soften))
    return np.asarray(img, np.float32) / 255.0


def ellipse_mask(h: int, w: int, boxes: Sequence[tuple[float, float, float, float]], soften: float = 0.6) -> np.ndarray:
    img = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(img)
    for box in boxes:
        draw.ellipse([float(v) for v in box], fill=255)
    if soften > 0:
        img = img.filter(ImageFilter.GaussianBlur(soften))
    return np.asarray(img, np.float32) / 255.0


def below_profile(h: int, w: int, profile_y: np.ndarray, soften: float = 0.8) -> np.ndarray:
    """Mask of everything below a per-column y (pixels): a land mass under a ridge line."""
    y = np.arange(h, dtype=np.float32)[:, None]
    return np.clip((y - profile_y[None, :]) / max(soften, 1e-3) + 0.5, 0.0, 1.0)


def blur(arr: np.ndarray, radius: float) -> np.ndarray:
    """Gaussian blur of a (H, W) mask in 0..1 (Pillow blurs 8-bit images only; masks need no more)."""
    img = Image.fromarray((np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))
    return np.asarray(img.filter(ImageFilter.GaussianBlur(radius)), np.float32) / 255.0


def to_image(canvas: np.ndarray) -> Image.Image:
    return Image.fromarray((np.clip(canvas, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))
