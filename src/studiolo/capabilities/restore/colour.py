"""Colour recovery: undo a yellowed varnish and faded pigments, with a strength control.

The model of what happened (the inverse of `synthetic.yellow` and `synthetic.fade`, which
follow the physics in their docstrings), in linear light:

    seen = faded(original, f) * T**2 + v * veil         per channel; T**2 = exp(-g)

so recovery is per-channel curve recovery (gains exp(g) after removing the veil v, then
the fading's paling undone) and one saturation step. The parameters come from:

- a learned colour-constancy regressor: ridge regression from a handful of channel
  statistics (mean, percentiles, shades-of-grey p = 6 of Finlayson and Trezzi, "Shades of
  Gray and Colour Constancy", CIC 2004; brightest pixels and a saturation summary) to
  (g_R, g_G, g_B, v, f), in the spirit of Cheng, Price, Cohen and Brown, "Effective
  learning-based illuminant estimation using simple features", CVPR 2015. It is fitted by
  `scripts/train_damage.py` on the training paintings only, with random varnish strengths
  and absorption spectra jittered by +-30 % per channel so it learns colour constancy, not
  one curve; it ships as `weights/colour.json` (a few kB);
- or, when the person marks a neutral reference (a patch that should be grey or white),
  the gains that make that patch neutral (von Kries scaling), the regressor giving v and f;
- grey world (Buchsbaum 1980) is here only as the baseline the benchmark compares against.

`strength` scales every parameter toward "no change" (0 = untouched, 1 = full correction).
A correction is applied tile by tile on uint8 through 256-entry tables plus one saturation
step, so it needs no full-size float image.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from studiolo.errors import InvalidArgument

from .colourspace import DECODE, LUMA, decode_uint8, encode_uint8
from .synthetic import VARNISH_ABSORPTION, VARNISH_VEIL, fade, yellow

MODEL_FILE = "colour.json"
THUMB = 384  # statistics come from a copy this many px on its longer side
_VEIL = np.asarray(VARNISH_VEIL, np.float32)


@dataclass(frozen=True)
class ColourCorrection:
    """A correction: log gains per channel, veil, fading, the strength and how it was found."""

    log_gains: tuple[float, float, float]
    veil: float
    fading: float
    strength: float = 1.0
    method: str = "learned"

    def scaled(self) -> tuple[np.ndarray, float, float]:
        s = self.strength
        return np.asarray(self.log_gains, np.float32) * s, self.veil * s, self.fading * s

    def to_json(self) -> dict:
        return {**asdict(self), "gains": [round(float(np.exp(g)), 4) for g in self.log_gains]}


def thumbnail(image: np.ndarray, side: int = THUMB) -> np.ndarray:
    """A uint8 copy at most `side` px on its longer side (area-averaged)."""
    h, w = image.shape[:2]
    scale = side / max(h, w)
    if scale >= 1:
        return image
    return cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                      interpolation=cv2.INTER_AREA)


def features(image: np.ndarray) -> np.ndarray:
    """Log channel statistics and a saturation summary of a uint8 RGB picture."""
    lin = decode_uint8(thumbnail(image)).reshape(-1, 3).astype(np.float64) + 1e-4
    lum = lin @ LUMA
    stats = [lin.mean(0), np.percentile(lin, 99, axis=0), np.percentile(lin, 90, axis=0),
             np.percentile(lin, 50, axis=0), np.percentile(lin, 5, axis=0),
             (lin**6).mean(0) ** (1 / 6), lin[lum >= np.percentile(lum, 95)].mean(0)]
    sat = (lin.max(1) - lin.min(1)) / lin.max(1)
    return np.concatenate([np.log(np.concatenate(stats)), [sat.mean(), np.percentile(sat, 90)]])


def _targets(strength: float, absorption: np.ndarray, fading: float) -> np.ndarray:
    return np.concatenate([2 * strength * absorption, [0.02 * strength, fading]])


def fit_model(paintings: list[np.ndarray], seed: int = 0, per_painting: int = 24,
              alpha: float = 1.0) -> dict:
    """Fit the ridge regressor on `paintings` (uint8 RGB) with seeded random damage."""
    rng = np.random.default_rng(seed)
    x_rows, y_rows = [], []
    base = np.asarray(VARNISH_ABSORPTION)
    for painting in paintings:
        small = thumbnail(painting)
        for _ in range(per_painting):
            s = float(rng.uniform(0, 1.2)) if rng.random() < 0.85 else 0.0
            k = base * rng.uniform(0.7, 1.3, 3)
            f = float(rng.uniform(0, 0.7)) if rng.random() < 0.35 else 0.0
            seen = yellow(fade(small, f), s, tuple(k))
            x_rows.append(features(seen))
            y_rows.append(_targets(s, k, f))
    x, y = np.array(x_rows), np.array(y_rows)
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = (x - mu) / sd
    ym = y.mean(0)
    w = np.linalg.solve(z.T @ z + alpha * np.eye(z.shape[1]), z.T @ (y - ym))
    return {"mean": mu.tolist(), "scale": sd.tolist(), "weights": w.tolist(),
            "bias": ym.tolist(), "samples": len(x_rows), "seed": seed, "alpha": alpha}


def model_path() -> Path:
    return Path(str(resources.files(__package__) / "weights" / MODEL_FILE))


@functools.lru_cache(maxsize=2)
def load_model(path: str | None = None) -> dict | None:
    """The fitted regressor, or None when its file is missing (grey-edge fallback)."""
    file = Path(path) if path else model_path()
    if not file.is_file():
        return None
    return json.loads(file.read_text())


def estimate(image: np.ndarray, strength: float = 1.0,
             reference: tuple[int, int, int, int] | None = None,
             model: dict | None = None) -> ColourCorrection:
    """The correction for `image` (uint8 RGB): learned, or from a neutral `reference` box
    (x, y, width, height in image pixels)."""
    if not isinstance(strength, int | float) or isinstance(strength, bool) or not (
            0.0 <= strength <= 1.0):
        raise InvalidArgument(f"`strength` must be a number from 0 to 1, got {strength!r}.")
    model = model if model is not None else load_model()
    if model is None:
        g, v, f, method = _white_patch(image), 0.0, 0.0, "white-patch"
    else:
        z = (features(image) - np.asarray(model["mean"])) / np.asarray(model["scale"])
        p = z @ np.asarray(model["weights"]) + np.asarray(model["bias"])
        g, v, f, method = p[:3], max(0.0, float(p[3])), float(np.clip(p[4], 0.0, 0.9)), "learned"
    if reference is not None:
        g, method = _reference_gains(image, reference, v), "reference"
    return ColourCorrection(tuple(round(float(x), 5) for x in g), round(v, 5), round(f, 5),
                            float(strength), method)


def _white_patch(image: np.ndarray) -> np.ndarray:
    """Log gains that make the brightest 1 % neutral (the fallback without a model)."""
    lin = decode_uint8(thumbnail(image)).reshape(-1, 3) + 1e-4
    top = np.percentile(lin, 99, axis=0)
    return np.log(top.max() / top)


def _reference_gains(image: np.ndarray, box: tuple[int, int, int, int], veil: float
                     ) -> np.ndarray:
    h, w = image.shape[:2]
    if (not isinstance(box, tuple | list) or len(box) != 4
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in box)):
        raise InvalidArgument(f"`reference` must be (x, y, width, height) in pixels, got {box!r}.")
    x, y, bw, bh = box
    if bw <= 0 or bh <= 0 or x < 0 or y < 0 or x + bw > w or y + bh > h:
        raise InvalidArgument(
            f"`reference` {tuple(box)} is not a box inside the {w}x{h} image; give x, y, width "
            "and height of a patch that should be neutral grey or white."
        )
    patch = decode_uint8(image[y:y + bh, x:x + bw]).reshape(-1, 3).mean(0) - veil * _VEIL
    patch = np.maximum(patch, 1e-4)
    return np.log(patch.max() / patch)


def tables(correction: ColourCorrection) -> np.ndarray:
    """(3, 256) uint8: the per-channel part of `correction` as lookup tables (before the
    saturation step), from sRGB code value to sRGB code value."""
    g, v, f = correction.scaled()
    lin = (DECODE[:, None] - v * _VEIL[None]) * np.exp(g)[None]
    lin = (lin - 0.2 * f) / (1 - 0.2 * f)
    return encode_uint8(lin).T.copy()


def apply(tile: np.ndarray, correction: ColourCorrection) -> np.ndarray:
    """`correction` applied to a uint8 RGB tile (a new uint8 tile)."""
    lut = tables(correction)
    out = np.stack([lut[c][tile[..., c]] for c in range(3)], axis=-1)
    _, _, f = correction.scaled()
    if f <= 1e-4:
        return out
    lin = decode_uint8(out)
    grey = (lin @ LUMA)[..., None]
    return encode_uint8(grey + (lin - grey) / (1 - 0.6 * f))


def grey_world(image: np.ndarray) -> np.ndarray:
    """The grey-world baseline: scale linear channels so their means are equal."""
    lin = decode_uint8(image)
    mean = lin.reshape(-1, 3).mean(0) + 1e-6
    return encode_uint8(lin * (mean.mean() / mean))
