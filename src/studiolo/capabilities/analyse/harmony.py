"""The harmony type of a picture's hues, by fitting hue templates.

Cohen-Or, Sorkine, Gal, Leyvand & Xu 2006, "Color Harmonization" (SIGGRAPH),
after Matsuda's 1995 templates: a template is a set of sectors on the hue wheel;
its fit is the chroma-weighted mean of how far (in degrees) each pixel's hue
lies outside the nearest sector, at the best rotation. Here the templates are
the classic named harmonies (Itten 1961) and the wheel is CIELAB's hue angle
(perceptual, unlike HSV's). The harmony is the simplest template (fewest hue groups,
then the better fit) that fits within `FIT_DEGREES`; when none does, the hues spread
over the wheel ("mixed").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .results import jsonable

SECTOR = 24.0  # degrees: the width of one hue "spot" (Matsuda's i-type is 18)
FIT_DEGREES = 6.0  # mean degrees outside the sectors that still counts as fitting
MIN_CHROMA = 10.0  # CIELAB chroma under which a pixel has no hue to speak of
MIN_CHROMATIC = 0.05  # fraction of chromatic pixels under which a picture is achromatic

# name -> (sector centres relative to the rotation, sector width)
TEMPLATES: dict[str, tuple[tuple[float, ...], float]] = {
    "monochromatic": ((0.0,), SECTOR),
    "complementary": ((0.0, 180.0), SECTOR),
    "split-complementary": ((0.0, 150.0, 210.0), SECTOR),
    "triadic": ((0.0, 120.0, 240.0), SECTOR),
    "analogous": ((0.0,), 90.0),
    "square": ((0.0, 90.0, 180.0, 270.0), SECTOR),
}


@dataclass(frozen=True)
class Harmony:
    """`kind` is a TEMPLATES name, "achromatic" or "mixed"; `fit_degrees` the mean degrees
    outside the best template's sectors; `rotation` its hue angle; `fits` every template's."""

    kind: str
    fit_degrees: float
    rotation: float
    chromatic_fraction: float
    fits: dict[str, float]

    def to_json(self) -> dict:
        return jsonable(self)


def _outside(centres: tuple[float, ...], width: float) -> np.ndarray:
    """(360,) degrees from each whole-degree hue to the nearest sector of the template."""
    hues = np.arange(360.0)[:, None]
    gap = np.abs((hues - np.array(centres)[None, :] + 180.0) % 360.0 - 180.0)
    return np.maximum(gap - width / 2, 0.0).min(axis=1)


def hue_histogram(lab: np.ndarray) -> tuple[np.ndarray, float]:
    """(360,) chroma-weighted histogram of CIELAB hue angles and the chromatic fraction."""
    a, b = lab[..., 1].ravel(), lab[..., 2].ravel()
    chroma = np.hypot(a, b)
    chromatic = chroma >= MIN_CHROMA
    hue = np.degrees(np.arctan2(b[chromatic], a[chromatic])) % 360.0
    hist = np.bincount(hue.astype(np.int64) % 360, weights=chroma[chromatic], minlength=360)
    return hist, float(chromatic.mean()) if chroma.size else 0.0


def fit_template(hist: np.ndarray, name: str) -> tuple[float, float]:
    """(mean degrees outside, rotation) of the named template at its best rotation."""
    centres, width = TEMPLATES[name]
    base = _outside(centres, width)
    # cost[r] = sum_h hist[h] * base[(h - r) % 360], every rotation at once.
    rolled = np.stack([np.roll(base, r) for r in range(360)])
    costs = rolled @ hist / max(hist.sum(), 1e-12)
    best = int(np.argmin(costs))
    return float(costs[best]), float(best)


def harmony(lab: np.ndarray) -> Harmony:
    """The harmony type of a CIELAB picture (H, W, 3)."""
    hist, chromatic = hue_histogram(lab)
    if chromatic < MIN_CHROMATIC or hist.sum() == 0:
        return Harmony("achromatic", 0.0, 0.0, chromatic, {})
    fits = {name: fit_template(hist, name) for name in TEMPLATES}
    fitting = [n for n in TEMPLATES if fits[n][0] <= FIT_DEGREES]
    if fitting:
        # Three narrow sectors can cover a spread of neighbouring hues as well as one wide
        # one: the fewer groups of hues, the simpler (and truer) the description.
        kind = min(fitting, key=lambda n: (len(TEMPLATES[n][0]), fits[n][0]))
    else:
        kind = "mixed"
    best = kind if kind != "mixed" else min(fits, key=lambda n: fits[n][0])
    return Harmony(kind, fits[best][0], fits[best][1], chromatic,
                   {n: f for n, (f, _) in fits.items()})
