"""Weather over the whole scene: slanting rain, falling snow, fog that thickens with distance."""

from __future__ import annotations

import numpy as np

from studiolo.capabilities.painter.canvas import fbm, lay, mix
from studiolo.capabilities.painter.draw.ink import Ink


def rain(canvas: np.ndarray, rng: np.random.Generator, heavy: bool = False, colour=(0.82, 0.85, 0.9)) -> None:
    """Thin slanting streaks of rain, a veil of grey over everything."""
    h, w, _ = canvas.shape
    lay(canvas, np.full((h, w), 0.12, np.float32), mix(colour, (0.5, 0.52, 0.56), 0.5))
    ink = Ink(h, w)
    slant = rng.uniform(0.12, 0.3)
    for _ in range(int(w * h / (250 if heavy else 450))):
        x, y = rng.uniform(-0.2, 1.0) * w, rng.uniform(-0.05, 1.0) * h
        length = h * rng.uniform(0.02, 0.05)
        ink.line([(x, y), (x + length * slant, y + length)], colour, 1, rng.uniform(0.25, 0.6))
    ink.onto(canvas, 0.0)


def snow(canvas: np.ndarray, rng: np.random.Generator, heavy: bool = False) -> None:
    """Falling flakes: many small far ones, a few large soft near ones."""
    h, w, _ = canvas.shape
    ink = Ink(h, w)
    n = int(w * h / (500 if heavy else 1000))
    for _ in range(n):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        r = (0.6 + 2.6 * rng.random() ** 4) * w / 512 * (1.3 if heavy else 1.0)
        ink.ellipse((x - r, y - r, x + r, y + r), (0.97, 0.97, 1.0), rng.uniform(0.6, 0.95))
    ink.onto(canvas, 0.6)


def fog(canvas: np.ndarray, horizon: float, rng: np.random.Generator, colour, thick: float = 0.6) -> None:
    """Mist lying on the land: densest at the horizon, thinning toward the viewer and up the sky."""
    h, w, _ = canvas.shape
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    band = np.where(y < horizon, np.exp(-((horizon - y) / 0.3) ** 2), np.exp(-((y - horizon) / 0.22) ** 2))
    drift = fbm(h, w, rng, scale=2, octaves=4, stretch=4)
    lay(canvas, np.clip(band * (0.55 + 0.45 * drift) * thick, 0, 0.92), colour)
