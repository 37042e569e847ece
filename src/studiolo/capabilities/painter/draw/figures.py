"""People seen from afar, as landscape painters place them: small dark silhouettes."""

from __future__ import annotations

import numpy as np

from studiolo.capabilities.painter.draw.ink import Ink


def person(ink: Ink, x: float, base: float, size: float, col, rng: np.random.Generator,
           umbrella: bool = False, walking: bool = True) -> None:
    """A figure `size` px tall standing on `base`: head, coat, legs (apart when walking)."""
    s = size
    ink.ellipse((x - s * 0.08, base - s, x + s * 0.08, base - s * 0.83), col)
    coat = [(x - s * 0.12, base - s * 0.82), (x + s * 0.12, base - s * 0.82), (x + s * 0.17, base - s * 0.32),
            (x - s * 0.17, base - s * 0.32)]
    ink.poly(coat, col)
    stride = s * (0.1 if walking else 0.03)
    ink.line([(x - s * 0.05, base - s * 0.34), (x - stride, base)], col, max(1, s * 0.07))
    ink.line([(x + s * 0.05, base - s * 0.34), (x + stride, base)], col, max(1, s * 0.07))
    if umbrella:
        ink.line([(x + s * 0.1, base - s * 0.6), (x + s * 0.1, base - s * 1.15)], col, max(1, s * 0.03))
        ink.poly([(x - s * 0.35, base - s * 1.05), (x + s * 0.1, base - s * 1.35), (x + s * 0.55, base - s * 1.05)], col)


def group(canvas: np.ndarray, spots, col, rng: np.random.Generator, umbrella: bool = False) -> None:
    """People at (x, base, size) spots, drawn far to near."""
    h, w, _ = canvas.shape
    ink = Ink(h, w)
    for x, base, size in sorted(spots, key=lambda s: s[1]):
        person(ink, x, base, size, col, rng, umbrella=umbrella, walking=rng.random() < 0.7)
    ink.onto(canvas, 0.5)
