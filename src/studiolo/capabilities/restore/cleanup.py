"""Scan clean-up: denoising tile by tile, and a hook for the upscaler.

Denoising is non-local means (Buades, Coll and Morel, "A non-local algorithm for image
denoising", CVPR 2005) in OpenCV's colour form, which smooths the scanner's grain but
keeps brush edges; tiles overlap by `MARGIN` px (more than the 21 px search window) so no
seam shows. Upscaling is the studio's Real-ESRGAN engine, which phase 2 passes in as a
callable (image -> image); nothing here imports it.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from studiolo.core.errors import InvalidArgument

from .tiles import tiles

Upscaler = Callable[[np.ndarray], np.ndarray]
TILE, MARGIN = 1024, 16


def denoise(image: np.ndarray, strength: float = 5.0) -> np.ndarray:
    """`image` ((H, W, 3) uint8) with sensor and scan noise smoothed; `strength` is the
    filter's h (code values; 3 light, 10 strong)."""
    if not isinstance(strength, int | float) or isinstance(strength, bool) or not (
            0 < strength <= 30):
        raise InvalidArgument(f"`strength` must be a number above 0 and at most 30, got {strength!r}.")
    out = np.empty_like(image)
    for tile in tiles(image.shape[0], image.shape[1], TILE, MARGIN):
        window = np.ascontiguousarray(image[tile.outer_slices])
        clean = cv2.fastNlMeansDenoisingColored(window, None, strength, strength, 5, 21)
        out[tile.core_slices] = clean[tile.inner]
    return out


def upscale(image: np.ndarray, upscaler: Upscaler | None) -> np.ndarray:
    """`image` through the injected `upscaler`; refused plainly when none is given."""
    if upscaler is None:
        raise InvalidArgument(
            "Upscaling needs the studio's upscaler: pass `upscaler` (phase 2 wires "
            "`studiolo upscale`'s engine here), or leave upscaling off."
        )
    return np.asarray(upscaler(image))
