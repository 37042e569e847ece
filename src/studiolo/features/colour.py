"""Colour and composition statistics of a picture: small numbers with names people use.

Each statistic has a word for each end ("warm" / "cool"), so a taste model in
these units can say what it learned. Computed on the image shrunk to at most
256 px on the long side, so big and small copies of a picture agree.

Colourfulness is Hasler & Suesstrunk 2003 ("Measuring colourfulness in natural
images"); edges are central-difference gradients of luminance; "thirds" and
"centre" compare the edge energy near the rule-of-thirds points (or the centre)
with the picture's average, a cheap stand-in for where the eye goes.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

WORK_SIDE = 256
EDGE = 0.08  # a luminance step (of 1) per pixel that counts as an edge at 256 px

# name -> (word when high, word when low)
STATS: dict[str, tuple[str, str]] = {
    "brightness": ("bright", "dark"),
    "contrast": ("high-contrast", "soft"),
    "saturation": ("vivid", "muted"),
    "colourfulness": ("colourful", "plain-coloured"),
    "warmth": ("warm", "cool"),
    "greenness": ("green", "red-purple"),
    "busyness": ("busy", "calm"),
    "detail": ("detailed", "smooth"),
    "symmetry": ("symmetrical", "asymmetrical"),
    "thirds": ("rule-of-thirds", "off-thirds"),
    "centre": ("centred", "spread-out"),
    "aspect": ("wide", "tall"),
    "shadows": ("shadowy", "shadowless"),
    "highlights": ("luminous", "unlit"),
    "hue_variety": ("many-hued", "single-hued"),
}
STAT_NAMES = tuple(STATS)


def _gauss_window(h: int, w: int, points: list[tuple[float, float]], sigma: float) -> np.ndarray:
    ys = (np.arange(h, dtype=np.float32) + 0.5)[:, None] / h
    xs = (np.arange(w, dtype=np.float32) + 0.5)[None, :] / w
    window = np.zeros((h, w), np.float32)
    for py, px in points:
        window += np.exp(-((ys - py) ** 2 + (xs - px) ** 2) / (2 * sigma**2))
    return window


def _energy_ratio(energy: np.ndarray, window: np.ndarray) -> float:
    # Edge energy density under the window relative to the picture's mean: 1 = no preference.
    mean = float(energy.mean())
    if mean <= 1e-8:
        return 1.0
    return float((energy * window).sum() / window.sum() / mean)


def image_stats(image: Image.Image) -> np.ndarray:
    """The (15,) float32 statistics of `STAT_NAMES`, in their natural units."""
    image = image.convert("RGB")
    width, height = image.size
    small = image.copy()
    small.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BILINEAR)
    rgb = np.asarray(small, dtype=np.float32) / 255.0  # (H, W, 3)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    lum = 0.299 * r + 0.587 * g + 0.114 * b
    top, bottom = rgb.max(axis=-1), rgb.min(axis=-1)
    sat = np.where(top > 1e-6, (top - bottom) / np.maximum(top, 1e-6), 0.0)
    rg, yb = r - g, 0.5 * (r + g) - b
    colourful = float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))
    gy, gx = np.gradient(lum)
    edges = np.hypot(gx, gy)
    mirrored = lum[:, ::-1]
    spread = float(lum.std())
    symmetry = 1.0 if spread < 1e-6 else float(np.corrcoef(lum.ravel(), mirrored.ravel())[0, 1])
    h, w = lum.shape
    thirds = _gauss_window(h, w, [(y, x) for y in (1 / 3, 2 / 3) for x in (1 / 3, 2 / 3)], 1 / 12)
    centre = _gauss_window(h, w, [(0.5, 0.5)], 1 / 8)
    hue = _hue(rgb, top, bottom)
    weights = sat.ravel()
    hist = np.bincount((hue.ravel() * 12).astype(int) % 12, weights=weights, minlength=12)
    p = hist / hist.sum() if hist.sum() > 1e-6 else np.full(12, 1 / 12)
    entropy = float(-(p[p > 0] * np.log(p[p > 0])).sum() / np.log(12)) if hist.sum() > 1e-6 else 0.0
    values = [
        lum.mean(), spread, sat.mean(), colourful, (r - b).mean(), (g - 0.5 * (r + b)).mean(),
        (edges > EDGE).mean(), edges.mean(), symmetry, _energy_ratio(edges, thirds),
        _energy_ratio(edges, centre), np.log(width / height), (lum < 0.2).mean(),
        (lum > 0.8).mean(), entropy,
    ]
    return np.asarray(values, dtype=np.float32)


def _hue(rgb: np.ndarray, top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """HSV hue in [0, 1) per pixel (0 where there is no colour)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    span = np.maximum(top - bottom, 1e-6)
    hue = np.where(top == r, (g - b) / span % 6, np.where(top == g, (b - r) / span + 2,
                                                          (r - g) / span + 4))
    return np.where(top - bottom > 1e-6, hue / 6.0, 0.0) % 1.0


def describe_weights(weights: np.ndarray, *, limit: int = 2, floor: float = 0.15) -> list[str]:
    """Words for the strongest of one number per stat (weights, correlations): ["warm", "calm"]."""
    weights = np.asarray(weights, dtype=np.float64).reshape(-1)
    order = np.argsort(-np.abs(weights))
    words = []
    for i in order[:limit]:
        if abs(weights[i]) < floor:
            break
        high, low = STATS[STAT_NAMES[i]]
        words.append(high if weights[i] > 0 else low)
    return words
