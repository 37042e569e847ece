"""Composition: a saliency map, focal points, rule-of-thirds and golden-section alignment,
symmetry, visual balance, edge density, and an overlay picture.

- Saliency: the mean of two classic maps, each scaled to 0..1: the spectral residual
  (Hou & Zhang 2007, "Saliency Detection: A Spectral Residual Approach", CVPR), which
  finds what breaks the picture's regular texture, and frequency-tuned colour contrast
  (Achanta, Hemami, Estrada & Suesstrunk 2009, CVPR), which finds colours far from the
  picture's mean (Monet's orange sun on a grey harbour).
- Thirds and golden section: a focal point's score is exp(-d^2 / 2 sigma^2) of its
  distance d to the nearest power point, over the frame's diagonal, sigma 0.17 (Liu,
  Chen, Wolf & Cohen-Or 2010, "Optimizing Photo Composition", Eurographics); the line
  score is the share of saliency within 4% of the lines over the share of area there
  (1 = no emphasis, above 1 = the lines carry the picture).
- Edges: Canny 1986 at fixed thresholds (40 and 100 on 0..255 grey after a 3x3 blur), so
  that densities compare across pictures.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .prepare import Prepared
from .results import PICTURE, jsonable

SR_SIDE = 64  # the spectral residual's working width (Hou & Zhang use 64 px)
SIGMA = 0.17
BAND = 0.04
MAX_FOCI = 3
FOCUS = 0.4  # a focal point is a local maximum at least this share of the strongest
CANNY = (40, 100)
PHI = (1 + 5**0.5) / 2
THIRDS = (1 / 3, 2 / 3)
GOLDEN = (1 - 1 / PHI, 1 / PHI)  # 0.382, 0.618


@dataclass(frozen=True)
class FocalPoint:
    x: float  # 0..1 from the left
    y: float  # 0..1 from the top
    strength: float  # saliency there, 0..1


@dataclass(frozen=True)
class CompositionReport:
    focal_points: tuple[FocalPoint, ...]
    thirds_points: float  # 0..1: focal points on the rule-of-thirds power points
    thirds_lines: float  # saliency on the thirds lines over their share of area
    golden_points: float
    golden_lines: float
    symmetry_lr: float  # correlation of the picture with its mirror image, -1..1
    symmetry_tb: float
    mass_centre: tuple[float, float]  # saliency-weighted centre, (x, y) in 0..1
    balance: float  # 1 = the visual mass sits in the centre, 0 = at an edge
    left_right_ratio: float  # saliency mass left of centre over right of it
    edge_density: float  # share of pixels on a Canny edge
    saliency: np.ndarray | None = dataclasses.field(
        default=None, repr=False, compare=False, metadata=PICTURE)
    overlay: Image.Image | None = dataclasses.field(
        default=None, repr=False, compare=False, metadata=PICTURE)

    def to_json(self) -> dict:
        return jsonable(self)


def _unit(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    return np.zeros_like(x, np.float32) if hi - lo < 1e-12 else ((x - lo) / (hi - lo)).astype(
        np.float32)


def spectral_residual(grey: np.ndarray) -> np.ndarray:
    """Hou & Zhang's saliency at the picture's size, 0..1."""
    h, w = grey.shape
    small = cv2.resize(grey, (SR_SIDE, max(8, round(SR_SIDE * h / w))),
                       interpolation=cv2.INTER_AREA).astype(np.float64)
    # The FFT sees the picture as tiled: its borders become false edges unless mirrored.
    pad = SR_SIDE // 4
    small = cv2.copyMakeBorder(small, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    spectrum = np.fft.fft2(small)
    log_amp = np.log(np.abs(spectrum) + 1e-9)
    residual = log_amp - cv2.blur(log_amp, (3, 3))
    sal = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    sal = cv2.GaussianBlur(sal, (0, 0), 2.5)[pad:-pad, pad:-pad]
    return _unit(cv2.resize(sal, (w, h), interpolation=cv2.INTER_LINEAR))


def frequency_tuned(lab: np.ndarray) -> np.ndarray:
    """Achanta et al.'s saliency: distance of the blurred CIELAB colour from the mean."""
    blurred = cv2.GaussianBlur(lab, (5, 5), 0)
    return _unit(np.linalg.norm(blurred - lab.reshape(-1, 3).mean(0), axis=2))


def saliency_map(prep: Prepared) -> np.ndarray:
    if prep.flat:
        return np.zeros(prep.grey.shape, np.float32)
    sal = 0.5 * spectral_residual(prep.grey) + 0.5 * frequency_tuned(prep.lab)
    side = max(prep.grey.shape)
    return _unit(cv2.GaussianBlur(sal, (0, 0), side / 128))


def focal_points(sal: np.ndarray) -> tuple[FocalPoint, ...]:
    """Up to three local maxima of the saliency at least FOCUS times the strongest."""
    h, w = sal.shape
    if sal.max() <= 0:
        return ()
    k = max(3, (min(h, w) // 6) | 1)
    peaks = (sal >= cv2.dilate(sal, np.ones((k, k), np.uint8))) & (sal >= FOCUS * sal.max())
    ys, xs = np.nonzero(peaks)
    order = np.argsort(-sal[ys, xs], kind="stable")
    chosen: list[FocalPoint] = []
    for i in order:
        x, y = (xs[i] + 0.5) / w, (ys[i] + 0.5) / h
        if all(np.hypot(x - p.x, y - p.y) > 0.1 for p in chosen):  # plateaus give twins
            chosen.append(FocalPoint(float(x), float(y), float(sal[ys[i], xs[i]])))
        if len(chosen) == MAX_FOCI:
            break
    return tuple(chosen)


def point_score(points: tuple[FocalPoint, ...], lines: tuple[float, float]) -> float:
    """Strength-weighted mean of exp(-d^2 / 2 sigma^2) to the nearest power point."""
    if not points:
        return 0.0
    power = np.array([(x, y) for x in lines for y in lines])
    scores, weights = [], []
    for p in points:
        d = np.min(np.hypot(power[:, 0] - p.x, power[:, 1] - p.y)) / np.sqrt(2)
        scores.append(np.exp(-(d**2) / (2 * SIGMA**2)))
        weights.append(p.strength)
    return float(np.average(scores, weights=weights))


def line_score(sal: np.ndarray, lines: tuple[float, float]) -> float:
    h, w = sal.shape
    xs, ys = (np.arange(w) + 0.5) / w, (np.arange(h) + 0.5) / h
    near_x = np.min(np.abs(xs[:, None] - np.array(lines)), axis=1) < BAND
    near_y = np.min(np.abs(ys[:, None] - np.array(lines)), axis=1) < BAND
    band = near_y[:, None] | near_x[None, :]
    total = float(sal.sum())
    if total <= 0:
        return 0.0
    return float(sal[band].sum() / total / band.mean())


def mirror_correlation(grey: np.ndarray, axis: int) -> float:
    small = cv2.resize(grey, (64, 64), interpolation=cv2.INTER_AREA).astype(np.float64)
    a, b = small.ravel(), np.flip(small, axis=axis).ravel()
    if a.std() < 1e-9:
        return 1.0  # a flat picture is its own mirror image
    return float(np.corrcoef(a, b)[0, 1])


def edge_map(grey: np.ndarray) -> np.ndarray:
    """Canny edges (bool) at the fixed thresholds."""
    g8 = np.rint(grey * 255).astype(np.uint8)
    return cv2.Canny(cv2.GaussianBlur(g8, (3, 3), 0), CANNY[0], CANNY[1]) > 0


def overlay_image(prep: Prepared, sal: np.ndarray, foci: tuple[FocalPoint, ...],
                  centre: tuple[float, float]) -> Image.Image:
    """The picture under its saliency heat, the thirds (white) and golden lines (gold), the
    focal points (numbered rings) and the centre of visual mass (cross)."""
    heat = cv2.applyColorMap(np.rint(sal * 255).astype(np.uint8), cv2.COLORMAP_INFERNO)
    heat = cv2.cvtColor(heat, cv2.COLOR_BGR2RGB).astype(np.float32)
    base = prep.rgb.astype(np.float32)
    alpha = 0.55 * sal[..., None]
    mixed = np.clip(base * (1 - alpha) * 0.85 + heat * alpha, 0, 255).astype(np.uint8)
    image = Image.fromarray(mixed)
    draw = ImageDraw.Draw(image)
    w, h = image.size
    for t in THIRDS:
        draw.line([(t * w, 0), (t * w, h)], fill=(255, 255, 255), width=1)
        draw.line([(0, t * h), (w, t * h)], fill=(255, 255, 255), width=1)
    for g in GOLDEN:
        for i in range(0, max(w, h), 12):  # dashed, so the two grids can be told apart
            draw.line([(g * w, i), (g * w, min(i + 6, h))], fill=(232, 190, 60), width=1)
            draw.line([(i, g * h), (min(i + 6, w), g * h)], fill=(232, 190, 60), width=1)
    font = ImageFont.load_default(size=14)
    r = max(8, min(w, h) // 24)
    for n, p in enumerate(foci, 1):
        cx, cy = p.x * w, p.y * h
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(0, 230, 255), width=3)
        draw.text((cx + r + 3, cy - r), str(n), fill=(0, 230, 255), font=font,
                  stroke_width=2, stroke_fill=(0, 0, 0))
    mx, my = centre[0] * w, centre[1] * h
    draw.line([(mx - r, my), (mx + r, my)], fill=(255, 60, 200), width=3)
    draw.line([(mx, my - r), (mx, my + r)], fill=(255, 60, 200), width=3)
    return image


def analyse_composition(prep: Prepared) -> CompositionReport:
    """Every composition figure of a prepared picture, with its overlay."""
    sal = saliency_map(prep)
    foci = focal_points(sal)
    h, w = sal.shape
    total = float(sal.sum())
    if total > 0:
        cx = float((sal.sum(0) * (np.arange(w) + 0.5)).sum() / total / w)
        cy = float((sal.sum(1) * (np.arange(h) + 0.5)).sum() / total / h)
        left, right = float(sal[:, : w // 2].sum()), float(sal[:, w - w // 2:].sum())
        ratio = left / right if right > 0 else float("inf")
    else:
        cx, cy, ratio = 0.5, 0.5, 1.0
    balance = float(1 - 2 * max(abs(cx - 0.5), abs(cy - 0.5)))
    return CompositionReport(
        focal_points=foci,
        thirds_points=point_score(foci, THIRDS), thirds_lines=line_score(sal, THIRDS),
        golden_points=point_score(foci, GOLDEN), golden_lines=line_score(sal, GOLDEN),
        symmetry_lr=mirror_correlation(prep.grey, 1), symmetry_tb=mirror_correlation(prep.grey, 0),
        mass_centre=(cx, cy), balance=balance, left_right_ratio=ratio,
        edge_density=float(edge_map(prep.grey).mean()),
        saliency=sal, overlay=overlay_image(prep, sal, foci, (cx, cy)),
    )
