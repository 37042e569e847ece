"""Colour recovery: undo a yellowed varnish and faded pigments, with a strength control.

The model of what happened (the inverse of `synthetic.yellow` and `synthetic.fade`, which
follow the physics in their docstrings), in linear light:

    seen = faded(original, f) * exp(-2 s k) + 0.02 s veil      per channel

where k is the natural-resin film's absorption (most in the blue) and s its strength.
Recovery is per-channel curve recovery (the veil removed, the gains exp(2 s k) applied,
the fading's paling undone: 256-entry tables) and one saturation step for fading.

- s, the varnish strength, comes from a learned colour-constancy regressor: ridge
  regression from a handful of channel statistics (mean, percentiles, shades-of-grey
  p = 6 of Finlayson and Trezzi, "Shades of Gray and Colour Constancy", CIC 2004, the
  brightest pixels and a saturation summary), in the spirit of Cheng, Price, Cohen and
  Brown, "Effective learning-based illuminant estimation using simple features", CVPR
  2015. It is fitted by `scripts/train_damage.py` on the training paintings and the
  ../shared/artworks-world set (never the benchmark's held-out paintings), with random
  strengths from -0.4 (too blue) to 1.3 and absorption spectra jittered by +-30 % per
  channel; it ships as `weights/colour.json` (a few kB). Its answer is refined once more
  on the corrected picture (a fixed-point step), which removes most of the regression's
  pull toward the mean strength (held-out ΔE00 at s = 0.9: 4.5 in one step, 2.6 in two).
- Or, when the person marks a neutral reference (a patch that should be grey or white),
  the per-channel gains that make that patch neutral (von Kries scaling); the regressor
  still gives the veil.
- Fading, f, is only undone when asked: by a known amount, or "auto", a second regressor
  trained the same way. Blind estimates of fading are poor (a muted painting and a
  faded one look alike), so it is off by default; benchmarks/restoration.py measures both.
- Grey world (Buchsbaum 1980) is here only as the baseline the benchmark compares against.

`strength` scales every parameter toward "no change" (0 = untouched, 1 = full correction).
A correction is applied tile by tile on uint8 through lookup tables plus, with fading,
one saturation step, so it needs no full-size float image.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from studiolo.core.errors import InvalidArgument

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
    varnish: float = 0.0  # the estimated film strength s (0 with a reference)

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


def _ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> dict:
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = (x - mu) / sd
    w = np.linalg.solve(z.T @ z + alpha * np.eye(z.shape[1]), z.T @ (y - y.mean()))
    return {"mean": mu.tolist(), "scale": sd.tolist(), "weights": w.tolist(),
            "bias": float(y.mean())}


def _predict(part: dict, image: np.ndarray) -> float:
    z = (features(image) - np.asarray(part["mean"])) / np.asarray(part["scale"])
    return float(z @ np.asarray(part["weights"]) + part["bias"])


def fit_model(paintings: list[np.ndarray], seed: int = 0, per_painting: int = 16,
              alpha: float = 10.0) -> dict:
    """Fit the varnish and fading regressors on `paintings` (uint8 RGB), seeded."""
    rng = np.random.default_rng(seed)
    base = np.asarray(VARNISH_ABSORPTION)
    xv, yv, xf, yf = [], [], [], []
    for painting in paintings:
        small = thumbnail(painting, 256)
        for _ in range(per_painting):
            s = float(rng.uniform(-0.4, 1.3))
            k = tuple(base * rng.uniform(0.7, 1.3, 3))
            # A negative strength is a picture too blue: the inverse film, so the regressor
            # is unbiased around "already right" and the fixed-point step can settle there.
            seen = _unvarnish(small, -s) if s < 0 else yellow(small, s, k)
            xv.append(features(seen))
            yv.append(s)
            f = float(rng.uniform(0, 0.7)) if rng.random() < 0.7 else 0.0
            xf.append(features(yellow(fade(small, f), float(rng.uniform(0, 0.3)), k)))
            yf.append(f)
    return {"varnish": _ridge(np.array(xv), np.array(yv), alpha),
            "fading": _ridge(np.array(xf), np.array(yf), alpha),
            "samples": len(xv), "seed": seed, "alpha": alpha, "thumbnail": 256}


def _unvarnish(image: np.ndarray, s: float) -> np.ndarray:
    lin = decode_uint8(image)
    k = np.asarray(VARNISH_ABSORPTION, np.float32)
    return encode_uint8((lin - s * 0.02 * _VEIL) * np.exp(2 * s * k))


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
             fading: float | str | None = None, model: dict | None = None) -> ColourCorrection:
    """The correction for `image` (uint8 RGB): the learned varnish estimate, or gains from a
    neutral `reference` box (x, y, width, height in image pixels); `fading` is None (leave
    it), a known amount 0-1, or "auto"."""
    if not isinstance(strength, int | float) or isinstance(strength, bool) or not (
            0.0 <= strength <= 1.0):
        raise InvalidArgument(f"`strength` must be a number from 0 to 1, got {strength!r}.")
    if not (fading is None or fading == "auto" or (
            isinstance(fading, int | float) and not isinstance(fading, bool) and 0 <= fading <= 1)):
        raise InvalidArgument(f"`fading` must be None, 'auto' or a number from 0 to 1, got "
                              f"{fading!r}.")
    model = model if model is not None else load_model()
    k = np.asarray(VARNISH_ABSORPTION)
    small = thumbnail(image, 256)
    if model is None:
        g, s, v, method = _white_patch(small), 0.0, 0.0, "white-patch"
    else:
        s = _predict(model["varnish"], small)
        s += _predict(model["varnish"], _unvarnish(small, max(s, 0.0)))  # fixed-point step
        s = float(np.clip(s, 0.0, 2.0))
        g, v, method = 2 * s * k, 0.02 * s, "learned"
    if reference is not None:
        g, method = _reference_gains(image, reference, v), "reference"
    f = 0.0
    if fading == "auto" and model is not None:
        f = float(np.clip(_predict(model["fading"], _unvarnish(small, s)), 0.0, 0.8))
    elif isinstance(fading, int | float):
        f = float(fading)
    return ColourCorrection(tuple(round(float(x), 5) for x in g), round(v, 5), round(f, 5),
                            float(strength), method, round(s, 4))


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
