"""Quality measures against truth, shared by the benchmark and the tests.

- Pixel precision, recall and F1 of a mask, strictly and with a tolerance of `tolerance`
  px (a detection within that distance of the truth counts, and so does a truth pixel
  within that distance of a detection: the usual crack-detection convention, e.g. Shi et
  al., "Automatic road crack detection using random structured forests", IEEE T-ITS 2016).
- PSNR and SSIM restricted to a region (Wang, Bovik, Sheikh and Simoncelli, "Image quality
  assessment: from error visibility to structural similarity", IEEE TIP 2004: Gaussian
  window sigma 1.5, K1 = 0.01, K2 = 0.03, on luma), averaged over the region's pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Counts:
    """Detections near the truth (`hit`) or not (`false`); truth near a detection (`found`)
    or not (`missed`). Strictly, hit == found == the true positives."""

    hit: float = 0.0
    false: float = 0.0
    found: float = 0.0
    missed: float = 0.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.hit + other.hit, self.false + other.false,
                      self.found + other.found, self.missed + other.missed)

    @property
    def precision(self) -> float:
        return self.hit / (self.hit + self.false) if self.hit + self.false else 0.0

    @property
    def recall(self) -> float:
        return self.found / (self.found + self.missed) if self.found + self.missed else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def counts(detected: np.ndarray, truth: np.ndarray, tolerance: int = 0) -> Counts:
    """The counts of `detected` against `truth` (bool arrays), within `tolerance` px."""
    detected, truth = detected.astype(bool), truth.astype(bool)
    if tolerance <= 0:
        tp = float((detected & truth).sum())
        return Counts(tp, float((detected & ~truth).sum()), tp, float((~detected & truth).sum()))
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tolerance + 1, 2 * tolerance + 1))
    near_truth = cv2.dilate(truth.astype(np.uint8), k).astype(bool)
    near_found = cv2.dilate(detected.astype(np.uint8), k).astype(bool)
    return Counts(float((detected & near_truth).sum()), float((detected & ~near_truth).sum()),
                  float((truth & near_found).sum()), float((truth & ~near_found).sum()))


def psnr(a: np.ndarray, b: np.ndarray, region: np.ndarray) -> float:
    """PSNR (dB) of `a` against `b` over the pixels of `region`."""
    err = ((a[region].astype(np.float64) - b[region].astype(np.float64)) ** 2).mean()
    return float(10 * np.log10(255.0**2 / max(err, 1e-10)))


def ssim(a: np.ndarray, b: np.ndarray, region: np.ndarray) -> float:
    """Mean SSIM (luma) over the pixels of `region`, computed on its box plus 8 px."""
    ys, xs = np.nonzero(region)
    y0, y1 = max(0, ys.min() - 8), min(region.shape[0], ys.max() + 9)
    x0, x1 = max(0, xs.min() - 8), min(region.shape[1], xs.max() + 9)

    def luma(img):
        return cv2.cvtColor(np.ascontiguousarray(img[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY
                            ).astype(np.float64)

    x, y = luma(a), luma(b)
    def blur(v):
        return cv2.GaussianBlur(v, (0, 0), 1.5)

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx**2, blur(y * y) - my**2, blur(x * y) - mx * my
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return float(s[region[y0:y1, x0:x1]].mean())
