"""Synthetic faces of known skin colour for the audit tests: the bundled portrait photo
(Eileen Collins, NASA, public domain) with its facial skin recoloured in CIELAB.

The skin to recolour is chosen here, independently of the audit's own skin finder: the
pixels of the ellipse inscribed in the detected face box (on the original photo) whose
a* and b* lie within 9 of the colour of her cheeks and whose L* is over 30. Each pixel
keeps its offset from the skin's median (the photo's shading and texture), scaled down
for very light targets so L* stays under 100; the median of the recoloured skin is then
the target exactly, which is the truth the measurement is held to.
"""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

import studiolo

PHOTO = Path(studiolo.__file__).parent / "data" / "photos" / "astronaut.jpg"


@functools.cache
def _photo() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from studiolo.capabilities.audit.skin import srgb_to_lab
    from studiolo.features.faces import detect_faces

    rgb = np.asarray(Image.open(PHOTO).convert("RGB"))
    face = detect_faces(Image.fromarray(rgb))[0]
    lab = srgb_to_lab(rgb)
    h, w = rgb.shape[:2]
    cx, cy = face.center
    ellipse = np.zeros((h, w), np.uint8)
    cv2.ellipse(ellipse, (round(cx), round(cy)), (round(0.5 * face.w), round(0.5 * face.h)),
                0, 0, 360, 1, -1)
    # Her cheeks: just under the eyes, between them.
    (lx, ly), (rx, ry) = face.eyes
    cheek = lab[round((ly + ry) / 2 + 12):round((ly + ry) / 2 + 30), round(lx):round(rx)]
    ref = np.median(cheek.reshape(-1, 3), axis=0)
    skin = ((ellipse > 0) & (np.abs(lab[..., 1] - ref[1]) < 9) & (np.abs(lab[..., 2] - ref[2]) < 9)
            & (lab[..., 0] > 30))
    return rgb, lab, skin


def synthetic_face(target_lab: tuple[float, float, float]) -> Image.Image:
    """The portrait with its facial skin recoloured so that the skin's median is `target_lab`."""
    from studiolo.capabilities.audit.skin import lab_to_srgb

    _, lab, skin = _photo()
    median = np.median(lab[skin], axis=0)
    lightness = target_lab[0]
    scale = min(1.0, min(lightness, 100 - lightness) / min(median[0], 100 - median[0]))
    out = lab.copy()
    out[skin] = np.asarray(target_lab) + (lab[skin] - median) * scale
    return Image.fromarray(np.round(lab_to_srgb(out)).astype(np.uint8))


def skin_mask() -> np.ndarray:
    return _photo()[2]
