"""Skin tone of a detected face: CIELAB, the Individual Typology Angle, the Monk scale.

- sRGB to CIELAB (D65 white, IEC 61966-2-1 transfer curve, CIE 15:2004 formulas).
- ITA = arctan((L* - 50) / b*) * 180 / pi (Chardon, Cretois & Hourseau, "Skin colour
  typology and suntanning pathways", Int. J. Cosmetic Science 13, 1991): > 55 very light,
  41-55 light, 28-41 intermediate, 10-28 tan, -30-10 brown, < -30 dark. `atan2` is used,
  which equals it for b* > 0 (all skin) and stays defined at b* = 0.
- The Monk Skin Tone scale (Monk, 2019; the 10 colours Google published with it,
  skintone.google): a face gets the tone whose ITA is nearest its own.

Skin pixels (`face_skin`): a band from just under the eyes to above the mouth (cheeks
and nose; a forehead band was tried and was mostly hair on the bundled portrait) gives
the face's skin colour, its median after dropping pixels 3 median absolute deviations
away; the skin is then every pixel of the ellipse inside the MTCNN box close to that
colour in a* and b* (shading kept, lips, eyes, brows, hair out). Measuring the cheek band
alone read 5-7 L* too light (the lit side of the face): near ITA 0 that is 15 degrees.
The face's colour is the median L*, a*, b* of its skin and ITA is computed from it: the
angle of the typical pixel, not the mean of per-pixel angles, which b* near 0 makes
unstable. The error against known colours (the bundled portrait's skin recoloured to
each Monk tone) is measured by tests/test_audit_skin.py: at most 4.3 degrees, every
tone in its own Monk bin.

Gender, age and ethnicity are never guessed: no offline model does it honestly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from studiolo.core.errors import InvalidArgument

# The Monk Skin Tone scale, 1 (lightest) to 10 (darkest), as published (skintone.google).
MONK_HEX = ("#f6ede4", "#f3e7db", "#f7ead0", "#eadaba", "#d7bd96",
            "#a07e56", "#825c43", "#604134", "#3a312a", "#292420")
# Chardon et al. 1991's ITA categories, lower bound first.
ITA_CATEGORIES = ((55.0, "very light"), (41.0, "light"), (28.0, "intermediate"),
                  (10.0, "tan"), (-30.0, "brown"), (-math.inf, "dark"))
MIN_SKIN_PIXELS = 30
_WHITE = np.array([0.95047, 1.0, 1.08883])  # D65
_RGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) sRGB values in [0, 255] -> (..., 3) CIELAB: L* in [0, 100], a*, b*."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _RGB_TO_XYZ.T / _WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


def lab_to_srgb(lab: np.ndarray) -> np.ndarray:
    """The inverse of `srgb_to_lab`: (..., 3) CIELAB -> sRGB floats in [0, 255], clipped."""
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16) / 116
    f = np.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], axis=-1)
    xyz = np.where(f > 6 / 29, f**3, 3 * (6 / 29) ** 2 * (f - 4 / 29)) * _WHITE
    linear = np.clip(xyz @ np.linalg.inv(_RGB_TO_XYZ).T, 0, 1)
    c = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.clip(c * 255, 0, 255)


def hex_to_lab(colour: str) -> tuple[float, float, float]:
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)
    lab = srgb_to_lab(rgb)
    return float(lab[0]), float(lab[1]), float(lab[2])


def ita(lightness: float, b: float) -> float:
    """The Individual Typology Angle in degrees (Chardon et al. 1991)."""
    return math.degrees(math.atan2(lightness - 50.0, b))


def ita_category(angle: float) -> str:
    for low, name in ITA_CATEGORIES:
        if angle > low:
            return name
    return ITA_CATEGORIES[-1][1]


MONK_LAB = tuple(hex_to_lab(h) for h in MONK_HEX)
MONK_ITA = tuple(ita(lab[0], lab[2]) for lab in MONK_LAB)


def monk_tone(angle: float) -> int:
    """The Monk tone (1-10) whose published colour's ITA is nearest `angle`."""
    return 1 + int(np.argmin([abs(angle - m) for m in MONK_ITA]))


@dataclass(frozen=True)
class SkinTone:
    """The measured skin colour of one face and what it means on each scale."""

    lightness: float  # median L*
    a: float
    b: float
    ita: float
    monk: int
    category: str
    pixels: int  # skin pixels the median is over

    def to_dict(self) -> dict[str, float | int | str]:
        return {"L": round(self.lightness, 2), "a": round(self.a, 2), "b": round(self.b, 2),
                "ita": round(self.ita, 2), "monk": self.monk, "category": self.category,
                "pixels": self.pixels}


def skin_region(face: object, width: int, height: int) -> np.ndarray:
    """(height, width) bool: the cheek-and-nose band of a face.

    `face` is a `studiolo.features.faces.Face` (box x, y, w, h and, when known, the eyes).
    """
    x, y, w, h = face.x, face.y, face.w, face.h  # type: ignore[attr-defined]
    eyes = getattr(face, "eyes", None)
    if eyes is not None:
        (lx, ly), (rx, ry) = eyes
        eye_y, span = (ly + ry) / 2, max(abs(rx - lx), w * 0.2)
        left, right = min(lx, rx) - 0.35 * span, max(lx, rx) + 0.35 * span
    else:  # MTCNN's eyes sit about 40 % down the box
        eye_y, span = y + 0.4 * h, 0.4 * w
        left, right = x + 0.15 * w, x + 0.85 * w
    # Cheeks and nose only: a forehead band is hair as often as skin (fringes, hats).
    bands = [(eye_y + 0.2 * span, eye_y + 0.8 * span, left, right)]
    mask = np.zeros((height, width), dtype=bool)
    for top, bottom, x0, x1 in bands:
        t, b_ = max(0, round(top)), min(height, round(bottom))
        x0_, x1_ = max(0, round(max(x0, x))), min(width, round(min(x1, x + w)))
        if b_ > t and x1_ > x0_:
            mask[t:b_, x0_:x1_] = True
    return mask


def _robust_median(lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(median, spread) of (N, 3) Lab pixels after dropping those over 3 MADs from it."""
    keep = np.ones(len(lab), dtype=bool)
    for channel in range(3):
        values = lab[:, channel]
        median = np.median(values)
        keep &= np.abs(values - median) <= 3 * max(1.4826 * float(np.median(np.abs(values - median))), 1.0)
    kept = lab[keep] if keep.sum() >= MIN_SKIN_PIXELS else lab
    median = np.median(kept, axis=0)
    return median, np.maximum(1.4826 * np.median(np.abs(kept - median), axis=0), 1.0)


def face_skin(rgb: np.ndarray, face: object) -> np.ndarray:
    """(height, width) bool: the skin of one face in an (H, W, 3) uint8 picture.

    The cheek band gives the face's skin colour (its robust median); skin is then every
    pixel of the ellipse inscribed in the face box (0.9 of its width) whose a* and b* are
    within max(6, 2.5 MADs) of that colour and whose L* is within -60 / +40 of it: shading
    stays in, while eyes, brows, lips, hair and background mostly fall out.
    """
    import cv2

    height, width = rgb.shape[:2]
    band = skin_region(face, width, height)
    if band.sum() < MIN_SKIN_PIXELS:
        return np.zeros((height, width), dtype=bool)
    lab = srgb_to_lab(rgb)
    seed, spread = _robust_median(lab[band])
    ellipse = np.zeros((height, width), dtype=np.uint8)
    cx, cy = face.center  # type: ignore[attr-defined]
    axes = (max(1, round(0.45 * face.w)), max(1, round(0.5 * face.h)))  # type: ignore[attr-defined]
    cv2.ellipse(ellipse, (round(cx), round(cy)), axes, 0, 0, 360, 1, -1)
    chroma = max(6.0, 2.5 * float(spread[1])), max(6.0, 2.5 * float(spread[2]))
    return ((ellipse > 0) & (np.abs(lab[..., 1] - seed[1]) <= chroma[0])
            & (np.abs(lab[..., 2] - seed[2]) <= chroma[1])
            & (lab[..., 0] >= seed[0] - 60) & (lab[..., 0] <= seed[0] + 40))


def measure_skin(image: Image.Image, face: object) -> SkinTone | None:
    """The skin tone of `face` in `image`, or None when too few skin pixels are found."""
    if not isinstance(image, Image.Image):
        raise InvalidArgument(f"`image` must be a PIL image but is {type(image).__name__}.")
    rgb = np.asarray(image.convert("RGB"))
    mask = face_skin(rgb, face)
    if mask.sum() < MIN_SKIN_PIXELS:
        return None
    lightness, a, b = (float(v) for v in np.median(srgb_to_lab(rgb[mask]), axis=0))
    angle = ita(lightness, b)
    return SkinTone(lightness, a, b, angle, monk_tone(angle), ita_category(angle), int(mask.sum()))
