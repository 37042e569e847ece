"""Brushwork: the stroke orientation field and its histogram, stroke length and curvature,
texture descriptors, and a picture of the field.

- Orientation: the structure tensor (Bigun & Granlund 1987; Kass & Witkin 1987,
  "Analyzing oriented patterns"), smoothed at `TENSOR_SIGMA`; a stroke runs across the
  dominant gradient, and coherence ((l1 - l2) / (l1 + l2))^2 says how sure the direction
  is. The histogram (12 bins over 0..180 degrees) weighs each pixel by coherence times
  gradient energy, as in Berezhnoy, Postma & van den Herik 2009 ("Automatic extraction
  of brushstroke orientation from paintings", Machine Vision and Applications 20).
- Strokes: streamlines of the orientation field (the flow lines a brush would follow),
  traced both ways from a grid of coherent seeds, one pixel a step, until the field loses
  coherence, turns by more than `MAX_TURN` in a step, or leaves the picture. Their length
  and mean curvature (radians per pixel) stand in for stroke length and curvature, as
  in the stroke statistics of Li, Yao, Hendriks & Wang 2012 ("Rhythmic brushstrokes
  distinguish van Gogh from his contemporaries", IEEE PAMI 34(6)); a flow line can span
  several touching strokes, so lengths are upper bounds of single strokes.
- Texture: `texture.py` (Gabor energies, LBP).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw

from . import texture
from .prepare import Prepared
from .results import PICTURE, jsonable

BINS = 12
TENSOR_SIGMA = 3.0  # px at the working size: the scale of one touch of the brush
MIN_COHERENCE = 0.25  # under this the field has no direction to follow
MAX_TURN = np.radians(30.0)
MAX_STEPS = 150  # each way: a 300 px flow line is already a long stroke at 512 px
SEED_STEP = 8
TURN_WINDOW = 8
VECTOR_SIZE = BINS + 9 + texture.GABOR_SIZE + texture.LBP_SIZE


@dataclass(frozen=True)
class BrushworkReport:
    orientation_histogram: tuple[float, ...]  # BINS shares, bin i covers [15 i, 15 i + 15) deg
    dominant_orientation: float  # degrees, 0 = horizontal, 90 = vertical
    orientation_entropy: float  # 0 (one direction) .. 1 (all directions alike)
    anisotropy: float  # 0..1: length of the mean doubled-angle vector
    coherence_mean: float
    stroke_count: int
    stroke_length_median: float  # px at the working size
    stroke_length_p90: float
    curvature_mean: float  # radians per px
    curvature_median: float
    straightness: float  # median end-to-end distance over length
    gabor: tuple[float, ...]
    lbp: tuple[float, ...]
    field_picture: Image.Image | None = dataclasses.field(
        default=None, repr=False, compare=False, metadata=PICTURE)

    def to_json(self) -> dict:
        return jsonable(self)

    def vector(self) -> np.ndarray:
        """The brushwork embedding: every figure above as one float32 vector."""
        scalars = [self.dominant_orientation / 180.0, self.orientation_entropy, self.anisotropy,
                   self.coherence_mean, np.log1p(self.stroke_length_median),
                   np.log1p(self.stroke_length_p90), self.curvature_mean * 10,
                   self.curvature_median * 10, self.straightness]
        gabor = np.log1p(np.asarray(self.gabor) * 100)
        return np.concatenate([self.orientation_histogram, scalars, gabor, self.lbp]).astype(
            np.float32)


@dataclass(frozen=True)
class Field:
    theta: np.ndarray  # (H, W) stroke direction, radians in [0, pi)
    coherence: np.ndarray  # (H, W) 0..1
    energy: np.ndarray  # (H, W) l1 + l2


def orientation_field(grey: np.ndarray, sigma: float = TENSOR_SIGMA) -> Field:
    g = cv2.GaussianBlur(grey, (0, 0), 1.0)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    jxx = cv2.GaussianBlur(gx * gx, (0, 0), sigma)
    jyy = cv2.GaussianBlur(gy * gy, (0, 0), sigma)
    jxy = cv2.GaussianBlur(gx * gy, (0, 0), sigma)
    energy = jxx + jyy
    diff = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2)
    coherence = np.where(energy > 1e-8, (diff / np.maximum(energy, 1e-8)) ** 2, 0.0)
    # Image y points down; the gradient angle plus 90 degrees is the stroke's direction,
    # measured counter-clockwise from horizontal as a person reads it.
    gradient = 0.5 * np.arctan2(2 * jxy, jxx - jyy)
    theta = np.mod(-(gradient + np.pi / 2), np.pi)
    return Field(theta.astype(np.float32), np.clip(coherence, 0, 1).astype(np.float32),
                 energy.astype(np.float32))


def _histogram(field: Field) -> np.ndarray:
    weights = (field.coherence * np.sqrt(field.energy)).ravel()
    bins = np.minimum((field.theta.ravel() / np.pi * BINS).astype(np.int64), BINS - 1)
    hist = np.bincount(bins, weights=weights, minlength=BINS)
    total = hist.sum()
    return hist / total if total > 0 else np.zeros(BINS)


def trace_strokes(field: Field) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(length, total turning, end-to-end distance) of each flow line from the seed grid.

    Turning is summed as |net turn| per `TURN_WINDOW` steps: the field read at whole pixels
    wobbles by a few degrees a step, and those wobbles cancel within a window while a real
    bend does not.
    """
    h, w = field.theta.shape
    ys, xs = np.mgrid[SEED_STEP // 2: h: SEED_STEP, SEED_STEP // 2: w: SEED_STEP]
    ys, xs = ys.ravel(), xs.ravel()
    keep = field.coherence[ys, xs] >= MIN_COHERENCE
    ys, xs = ys[keep].astype(np.float64), xs[keep].astype(np.float64)
    n = len(ys)
    length, turning = np.zeros(n), np.zeros(n)
    ends = []
    for sign in (1.0, -1.0):
        y, x = ys.copy(), xs.copy()
        theta0 = field.theta[ys.astype(int), xs.astype(int)].astype(np.float64)
        dx, dy = sign * np.cos(theta0), -sign * np.sin(theta0)  # image y points down
        alive = np.ones(n, bool)
        window = np.zeros(n)
        for step in range(MAX_STEPS):
            ny, nx = y + dy, x + dx
            alive &= (ny >= 0) & (ny <= h - 1) & (nx >= 0) & (nx <= w - 1)
            iy = np.clip(np.rint(ny), 0, h - 1).astype(int)
            ix = np.clip(np.rint(nx), 0, w - 1).astype(int)
            t = field.theta[iy, ix].astype(np.float64)
            ndx, ndy = np.cos(t), -np.sin(t)
            flip = ndx * dx + ndy * dy < 0  # an orientation has no arrow: keep going forward
            ndx, ndy = np.where(flip, -ndx, ndx), np.where(flip, -ndy, ndy)
            turn = np.arctan2(dx * ndy - dy * ndx, ndx * dx + ndy * dy)  # signed
            alive &= (field.coherence[iy, ix] >= MIN_COHERENCE) & (np.abs(turn) <= MAX_TURN)
            if not alive.any():
                break
            y, x = np.where(alive, ny, y), np.where(alive, nx, x)
            dx, dy = np.where(alive, ndx, dx), np.where(alive, ndy, dy)
            length += alive
            window += np.where(alive, turn, 0.0)
            if step % TURN_WINDOW == TURN_WINDOW - 1:
                turning += np.abs(window)
                window[:] = 0.0
        turning += np.abs(window)
        ends.append((y, x))
    (y1, x1), (y2, x2) = ends
    return length, turning, np.hypot(y1 - y2, x1 - x2)


def field_picture(prep: Prepared, field: Field, hist: np.ndarray, step: int = 14) -> Image.Image:
    """The picture faded, short segments along the field (colour = direction, length =
    coherence), and a rose of the orientation histogram in the corner."""
    base = (prep.rgb.astype(np.float32) * 0.3 + 255 * 0.7).astype(np.uint8)
    image = Image.fromarray(base)
    draw = ImageDraw.Draw(image)
    h, w = field.theta.shape
    for y in range(step // 2, h, step):
        for x in range(step // 2, w, step):
            c = float(field.coherence[y, x])
            if c < 0.05:
                continue
            t = float(field.theta[y, x])
            half = 0.5 * step * (0.3 + 0.7 * c)
            dx, dy = half * np.cos(t), -half * np.sin(t)
            hue = int(t / np.pi * 180) % 180  # OpenCV hue is 0..179
            rgb = cv2.cvtColor(np.uint8([[[hue, 230, 200]]]), cv2.COLOR_HSV2RGB)[0, 0]
            draw.line([(x - dx, y - dy), (x + dx, y + dy)], fill=tuple(int(v) for v in rgb),
                      width=3)
    # Rose diagram: each bin drawn twice (an orientation and its opposite are one).
    r = min(w, h) // 6
    cx, cy = w - r - 8, h - r - 8
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(255, 255, 255), outline=(120, 120, 120))
    peak = hist.max() if hist.max() > 0 else 1
    for i, share in enumerate(hist):
        for offset in (0, 180):
            a0, a1 = i * 180 / BINS + offset, (i + 1) * 180 / BINS + offset
            radius = r * share / peak
            hue = int((i + 0.5) / BINS * 180)
            rgb = cv2.cvtColor(np.uint8([[[hue, 230, 200]]]), cv2.COLOR_HSV2RGB)[0, 0]
            # PIL angles run clockwise from 3 o'clock; ours run counter-clockwise.
            draw.pieslice([cx - radius, cy - radius, cx + radius, cy + radius], -a1, -a0,
                          fill=tuple(int(v) for v in rgb))
    return image


def analyse_brushwork(prep: Prepared) -> BrushworkReport:
    """Every brushwork figure of a prepared picture, with the picture of its field."""
    field = orientation_field(prep.grey)
    hist = _histogram(field)
    positive = hist[hist > 0]
    entropy = float(-(positive * np.log(positive)).sum() / np.log(BINS)) if positive.size else 0.0
    weights = field.coherence * np.sqrt(field.energy)
    total = float(weights.sum())
    if total > 0:
        vx = float((weights * np.cos(2 * field.theta)).sum() / total)
        vy = float((weights * np.sin(2 * field.theta)).sum() / total)
        anisotropy, dominant = float(np.hypot(vx, vy)), float(np.degrees(np.arctan2(vy, vx) / 2)
                                                              % 180)
    else:
        anisotropy, dominant = 0.0, 0.0
    length, turning, span = trace_strokes(field)
    real = length >= 3
    if real.any():
        lengths, curvature = length[real], turning[real] / length[real]
        stats = (float(np.median(lengths)), float(np.percentile(lengths, 90)),
                 float(curvature.mean()), float(np.median(curvature)),
                 float(np.median(span[real] / lengths)))
    else:
        stats = (0.0, 0.0, 0.0, 0.0, 0.0)
    return BrushworkReport(
        orientation_histogram=tuple(float(v) for v in hist),
        dominant_orientation=dominant, orientation_entropy=entropy, anisotropy=anisotropy,
        coherence_mean=float(field.coherence.mean()), stroke_count=int(real.sum()),
        stroke_length_median=stats[0], stroke_length_p90=stats[1], curvature_mean=stats[2],
        curvature_median=stats[3], straightness=stats[4],
        gabor=tuple(float(v) for v in texture.gabor_features(prep.grey)),
        lbp=tuple(float(v) for v in texture.lbp_features(prep.grey)),
        field_picture=field_picture(prep, field, hist),
    )
