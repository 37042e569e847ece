"""Classical damage cues and the classical detector (the baseline the net is measured against).

Cues, per pixel, from grey-scale morphology and local statistics (Soille, "Morphological
Image Analysis", 2nd ed. 2003, ch. 4 on top-hats):

- black top-hat (closing minus image): thin dark lines, cracks (Giakoumis, Nikolaidis and
  Pitas, "Digital image processing techniques for the detection and removal of cracks in
  digitized paintings", IEEE TIP 15(1), 2006, use exactly this cue);
- white top-hat (image minus opening): thin light lines, scratches;
- flatness (one minus the local standard deviation) and lightness above the surroundings:
  exposed ground in a loss is flat and usually paler than the paint around it;
- brown shift: the b* (yellow) excess over a wide median, for stains and foxing.

`cues(tile)` feeds the net; `detect_classical(tile, thresholds)` thresholds the same cues
into a score per kind, the baseline of benchmarks/restoration.py and the fallback when the
net's weights are absent.
"""

from __future__ import annotations

import cv2
import numpy as np

from .kinds import KINDS

CUE_NAMES: tuple[str, ...] = ("black_tophat", "white_tophat", "flatness", "paler", "browner")
# How far each cue is stretched before clipping to [0, 1]: a 64-level top-hat is a sure line.
_CUE_SCALE = {"tophat": 64.0, "std": 24.0, "paler": 64.0, "browner": 24.0}
MARGIN = 24  # px of context a tile needs for its cues (the widest kernel is 21 px)

_LINE = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
_WIDE = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (11, 11))


def _grey(tile: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(tile, cv2.COLOR_RGB2GRAY)


def cues(tile: np.ndarray) -> np.ndarray:
    """(len(CUE_NAMES), H, W) float32 in [0, 1] for a uint8 RGB tile."""
    grey = _grey(tile)
    black = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, _LINE)
    white = cv2.morphologyEx(grey, cv2.MORPH_TOPHAT, _LINE)
    g = grey.astype(np.float32)
    mean = cv2.blur(g, (5, 5))
    std = np.sqrt(np.maximum(cv2.blur(g * g, (5, 5)) - mean * mean, 0))
    flat = 1.0 - np.minimum(std / _CUE_SCALE["std"], 1.0)
    surround = cv2.medianBlur(grey, 21).astype(np.float32)
    paler = (g - surround) / _CUE_SCALE["paler"]
    b_star = cv2.cvtColor(tile, cv2.COLOR_RGB2LAB)[..., 2]
    browner = (b_star.astype(np.float32) - cv2.medianBlur(b_star, 21)) / _CUE_SCALE["browner"]
    out = np.stack([black / _CUE_SCALE["tophat"], white / _CUE_SCALE["tophat"], flat, paler,
                    browner])
    return np.clip(out, 0.0, 1.0).astype(np.float32)


# Defaults of the classical detector, tuned by eye on the training paintings (not the
# held-out ones): black top-hat of 20 levels, etc. They are cue values in [0, 1].
CLASSICAL_THRESHOLDS: dict[str, float] = {
    "cracks": 20 / 64, "scratches": 20 / 64, "losses": 0.5, "stains": 8 / 24, "tears": 0.55,
}


def _drop_small(mask: np.ndarray, min_area: int) -> np.ndarray:
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return keep[labels]


MIN_AREA = {"cracks": 20, "scratches": 30, "losses": 12, "stains": 6, "tears": 40}


def scores(tile: np.ndarray) -> np.ndarray:
    """(len(KINDS), H, W) float32 raw scores in [0, 1], one per kind, before thresholds."""
    c = dict(zip(CUE_NAMES, cues(tile), strict=True))
    wide_dark = cv2.morphologyEx(_grey(tile), cv2.MORPH_BLACKHAT, _WIDE).astype(np.float32) / 64.0
    by_kind = {
        "cracks": c["black_tophat"],
        "scratches": c["white_tophat"],
        "losses": np.minimum(c["flatness"], np.clip(c["paler"] * 2.0, 0, 1)),
        "stains": c["browner"],
        # A tear is a wide dark gap: dark at 11 px and not already a thin crack.
        "tears": np.clip(wide_dark - c["black_tophat"] * 0.5, 0, 1) * 2.0,
    }
    return np.clip(np.stack([by_kind[k] for k in KINDS]), 0, 1).astype(np.float32)


def threshold(raw: np.ndarray, thresholds: dict[str, float] | None = None) -> np.ndarray:
    """Scores to confidences: zero below each kind's threshold or in too small a speck, else
    0.5 plus the excess over the threshold on the remaining headroom."""
    t = {**CLASSICAL_THRESHOLDS, **(thresholds or {})}
    return np.stack([threshold_kind(raw[i], kind, t[kind]) for i, kind in enumerate(KINDS)])


def threshold_kind(raw: np.ndarray, kind: str, t: float) -> np.ndarray:
    """One kind's confidences from its raw score at threshold `t`."""
    mask = _drop_small(raw >= t, MIN_AREA[kind])
    return np.where(mask, 0.5 + 0.5 * (raw - t) / max(1e-6, 1 - t), 0.0).astype(np.float32)


def detect_classical(tile: np.ndarray, thresholds: dict[str, float] | None = None
                     ) -> np.ndarray:
    """(len(KINDS), H, W) float32 confidences for a uint8 RGB tile (>= 0.5 is damage)."""
    return threshold(scores(tile), thresholds)
