"""Colours of a scene: a base set per time of day, bent by the mood, graded by the palette word."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from studiolo.capabilities.painter.canvas import mix

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class Palette:
    sky_top: RGB
    sky_horizon: RGB
    light: RGB  # the sun or moon, and what it lights
    cloud: RGB
    far: RGB  # distant land, before atmospheric perspective
    land: RGB
    land_dark: RGB
    water: RGB
    silhouette: RGB
    accents: tuple[RGB, ...]  # flowers, windows, abstract shapes


_TIMES: dict[str, Palette] = {
    "dawn": Palette((0.42, 0.5, 0.75), (1.0, 0.78, 0.62), (1.0, 0.88, 0.65), (1.0, 0.8, 0.75),
                    (0.55, 0.5, 0.62), (0.42, 0.5, 0.36), (0.22, 0.27, 0.22), (0.45, 0.5, 0.68),
                    (0.16, 0.14, 0.2), ((0.95, 0.55, 0.6), (1.0, 0.85, 0.5), (0.75, 0.6, 0.9))),
    "noon": Palette((0.22, 0.45, 0.82), (0.72, 0.84, 0.95), (1.0, 0.98, 0.88), (0.98, 0.98, 1.0),
                    (0.45, 0.55, 0.7), (0.42, 0.62, 0.26), (0.2, 0.36, 0.15), (0.15, 0.38, 0.62),
                    (0.12, 0.14, 0.12), ((0.9, 0.2, 0.15), (1.0, 0.85, 0.15), (0.95, 0.95, 0.9), (0.6, 0.3, 0.8))),
    "dusk": Palette((0.2, 0.18, 0.42), (1.0, 0.55, 0.25), (1.0, 0.72, 0.35), (0.95, 0.55, 0.5),
                    (0.42, 0.28, 0.42), (0.3, 0.24, 0.22), (0.14, 0.1, 0.12), (0.35, 0.25, 0.38),
                    (0.08, 0.05, 0.08), ((1.0, 0.45, 0.2), (1.0, 0.8, 0.3), (0.85, 0.3, 0.45))),
    "night": Palette((0.02, 0.03, 0.1), (0.1, 0.14, 0.3), (0.96, 0.95, 0.82), (0.2, 0.22, 0.32),
                     (0.1, 0.12, 0.22), (0.07, 0.09, 0.12), (0.03, 0.04, 0.06), (0.05, 0.08, 0.18),
                     (0.02, 0.02, 0.04), ((1.0, 0.85, 0.45), (0.95, 0.75, 0.35), (0.7, 0.8, 1.0))),
}


def _desaturate(c: RGB, amount: float, tint: RGB | None = None) -> RGB:
    grey = 0.3 * c[0] + 0.59 * c[1] + 0.11 * c[2]
    out = mix(c, (grey, grey, grey), amount)
    if tint is not None:
        out = out * np.asarray(tint)
    return tuple(float(v) for v in np.clip(out, 0, 1))  # type: ignore[return-value]


def _map(p: Palette, fn) -> Palette:
    fields = {k: fn(v) for k, v in p.__dict__.items() if k != "accents"}
    return replace(p, accents=tuple(fn(a) for a in p.accents), **fields)


def palette_for(time: str, mood: str) -> Palette:
    """The scene's colours before grading: time of day first, then the mood's weather and feeling."""
    p = _TIMES.get(time, _TIMES["noon"])
    if mood == "stormy":
        dark = 0.45 if time != "night" else 0.8
        p = replace(
            _map(p, lambda c: _desaturate(c, 0.55)),
            sky_top=tuple(np.array((0.2, 0.22, 0.26)) * (1.2 - dark)),
            sky_horizon=tuple(np.array((0.5, 0.52, 0.55)) * (1.3 - dark)),
            cloud=tuple(np.array((0.38, 0.4, 0.44)) * (1.3 - dark)),
            water=(0.12, 0.17, 0.2),
        )
    elif mood == "melancholy":
        p = _map(p, lambda c: _desaturate(c, 0.45, (0.9, 0.95, 1.08)))
    elif mood == "mysterious":
        p = _map(p, lambda c: _desaturate(c, 0.35, (0.92, 1.0, 1.02)))
    elif mood == "joyful" or mood == "energetic":
        p = _map(p, lambda c: _desaturate(c, -0.3))  # a negative amount saturates
    return p


_GRADES: dict[str, tuple[tuple[float, float, float], float, float]] = {
    # name: (channel multipliers, saturation factor, mix toward white)
    "warm": ((1.12, 0.97, 0.8), 1.1, 0.0),
    "cool": ((0.85, 0.97, 1.12), 1.0, 0.0),
    "golden": ((1.12, 1.0, 0.68), 1.05, 0.03),
    "pastel": ((1.02, 0.98, 1.02), 0.6, 0.35),
    "monochrome": ((1.0, 1.0, 1.0), 0.0, 0.0),
    "vivid": ((1.0, 1.0, 1.0), 1.55, 0.0),
    "earthy": ((1.06, 0.95, 0.75), 0.65, 0.0),
    "green": ((0.9, 1.1, 0.88), 1.1, 0.0),
    "purple": ((1.02, 0.82, 1.15), 1.1, 0.0),
}


def grade(canvas: np.ndarray, palette: str) -> np.ndarray:
    """Apply the palette word to the whole picture (in place where possible); `natural` leaves it."""
    if palette not in _GRADES:
        return canvas
    mult, sat, white = _GRADES[palette]
    luma = canvas @ np.array([0.3, 0.59, 0.11], np.float32)
    out = luma[..., None] + (canvas - luma[..., None]) * sat
    if palette == "monochrome":
        out = out * np.array([1.04, 1.0, 0.92], np.float32)  # a faint ink-wash warmth
    out = out * np.asarray(mult, np.float32)
    out = out + (1.0 - out) * white
    return np.clip(out, 0.0, 1.0).astype(np.float32)
