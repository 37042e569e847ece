"""Multi-scale texture descriptors: Gabor energies and uniform local binary patterns.

- Gabor: a bank of 3 wavelengths (4, 8, 16 px at the working size) x 6 orientations;
  each filter gives the mean and the standard deviation of its response magnitude
  (Manjunath & Ma 1996, "Texture features for browsing and retrieval of image data",
  IEEE PAMI 18(8)).
- LBP: rotation-invariant uniform patterns LBP^riu2 with P = 8 neighbours on circles of
  radius 1, 2 and 4 px, sampled bilinearly: a histogram of P + 2 = 10 bins per radius
  (Ojala, Pietikainen & Maenpaa 2002, "Multiresolution gray-scale and rotation invariant
  texture classification with local binary patterns", IEEE PAMI 24(7)).
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

WAVELENGTHS = (4.0, 8.0, 16.0)
ORIENTATIONS = 6
LBP_RADII = (1, 2, 4)
LBP_POINTS = 8
GABOR_SIZE = len(WAVELENGTHS) * ORIENTATIONS * 2
LBP_SIZE = len(LBP_RADII) * (LBP_POINTS + 2)


@functools.cache
def _gabor_bank() -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """(even, odd) kernel pairs; sigma = 0.56 wavelength (a one-octave bandwidth)."""
    bank = []
    for lam in WAVELENGTHS:
        sigma = 0.56 * lam
        size = int(2 * round(3 * sigma) + 1)
        for k in range(ORIENTATIONS):
            theta = np.pi * k / ORIENTATIONS
            even = cv2.getGaborKernel((size, size), sigma, theta, lam, 1.0, 0, cv2.CV_32F)
            odd = cv2.getGaborKernel((size, size), sigma, theta, lam, 1.0, np.pi / 2, cv2.CV_32F)
            even -= even.mean()  # no response to flat areas
            bank.append((even / np.abs(even).sum(), odd / np.abs(odd).sum()))
    return tuple(bank)


def gabor_features(grey: np.ndarray) -> np.ndarray:
    """(36,) mean and std of the Gabor magnitude per wavelength and orientation."""
    out = np.zeros(GABOR_SIZE, np.float32)
    for i, (even, odd) in enumerate(_gabor_bank()):
        re = cv2.filter2D(grey, cv2.CV_32F, even, borderType=cv2.BORDER_REFLECT)
        im = cv2.filter2D(grey, cv2.CV_32F, odd, borderType=cv2.BORDER_REFLECT)
        mag = np.sqrt(re * re + im * im)
        out[2 * i], out[2 * i + 1] = mag.mean(), mag.std()
    return out


def _bilinear(grey: np.ndarray, dy: float, dx: float, r: int) -> np.ndarray:
    """The picture shifted by (dy, dx), cropped by r on each side (bilinear)."""
    h, w = grey.shape
    y0, x0 = int(np.floor(dy)), int(np.floor(dx))
    fy, fx = dy - y0, dx - x0

    def crop(oy: int, ox: int) -> np.ndarray:
        return grey[r + oy: h - r + oy, r + ox: w - r + ox]

    return ((1 - fy) * (1 - fx) * crop(y0, x0) + (1 - fy) * fx * crop(y0, x0 + 1)
            + fy * (1 - fx) * crop(y0 + 1, x0) + fy * fx * crop(y0 + 1, x0 + 1))


def lbp_riu2(grey: np.ndarray, radius: int, points: int = LBP_POINTS) -> np.ndarray:
    """(points + 2,) normalised histogram of rotation-invariant uniform patterns."""
    h, w = grey.shape
    r = radius + 1  # one more for the bilinear neighbour
    if h <= 2 * r or w <= 2 * r:
        return np.zeros(points + 2, np.float32)
    centre = grey[r: h - r, r: w - r]
    bits = []
    for p in range(points):
        angle = 2 * np.pi * p / points
        dy, dx = -radius * np.sin(angle), radius * np.cos(angle)
        # Round near-integer offsets so axis neighbours are exact samples.
        dy, dx = (round(v) if abs(v - round(v)) < 1e-6 else v for v in (dy, dx))
        bits.append(_bilinear(grey, dy, dx, r) >= centre - 1e-6)
    bits = np.stack(bits)  # (P, h', w')
    transitions = (bits != np.roll(bits, 1, axis=0)).sum(0)
    ones = bits.sum(0)
    codes = np.where(transitions <= 2, ones, points + 1)
    hist = np.bincount(codes.ravel(), minlength=points + 2).astype(np.float32)
    return hist / hist.sum()


def lbp_features(grey: np.ndarray) -> np.ndarray:
    """(30,) LBP^riu2 histograms at radii 1, 2 and 4."""
    return np.concatenate([lbp_riu2(grey, r) for r in LBP_RADII]).astype(np.float32)
