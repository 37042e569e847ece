"""Colour conversions the restorer shares: sRGB <-> linear light, CIE L*a*b*.

Everything is vectorised numpy on (..., 3) arrays. sRGB is IEC 61966-2-1; Lab uses
the D65 white. The colour difference (CIEDE2000) is the shared `features.cielab`.
"""

from __future__ import annotations

import numpy as np

_D65 = np.array([0.95047, 1.0, 1.08883])
_RGB_TO_XYZ = np.array([
    [0.4124564, 0.3575761, 0.1804375],
    [0.2126729, 0.7151522, 0.0721750],
    [0.0193339, 0.1191920, 0.9503041],
])
LUMA = np.array([0.2126729, 0.7151522, 0.0721750])  # linear-light luminance weights (Y row)


def srgb_to_linear(values: np.ndarray) -> np.ndarray:
    """sRGB in [0, 1] -> linear light in [0, 1] (float32)."""
    v = np.asarray(values, dtype=np.float32)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(values: np.ndarray) -> np.ndarray:
    """Linear light -> sRGB in [0, 1] (clipped, float32)."""
    v = np.clip(np.asarray(values, dtype=np.float32), 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055).astype(np.float32)


# uint8 sRGB -> linear light, one entry per code value: cheaper than the power per pixel.
DECODE = srgb_to_linear(np.arange(256) / 255.0)


def decode_uint8(image: np.ndarray) -> np.ndarray:
    """uint8 sRGB (..., 3) -> float32 linear light through a 256-entry table."""
    return DECODE[np.asarray(image, dtype=np.uint8)]


def encode_uint8(linear: np.ndarray) -> np.ndarray:
    """float linear light -> uint8 sRGB, rounded."""
    return np.rint(linear_to_srgb(linear) * 255.0).astype(np.uint8)


def rgb_to_lab(image: np.ndarray) -> np.ndarray:
    """uint8 sRGB (..., 3) -> CIE L*a*b* (D65), float64."""
    xyz = decode_uint8(image).astype(np.float64) @ _RGB_TO_XYZ.T / _D65
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )
