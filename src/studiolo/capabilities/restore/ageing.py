"""How a painting will age: varnish yellowing, fading, craquelure growth and dust, over years.

Every rate, where it comes from, and how sure it is (see also docs/restoration.md):

- Light dose: D = lux x hours a day x 365 x years (lx h), as conservators count it.
- Fading of light-sensitive colour: the ISO Blue Wool classes (ISO 105-B02 / B08) rank
  colorants; Michalski (Canadian Conservation Institute, "Agent of deterioration: light,
  ultraviolet and infrared", and "Light damage calculator") puts the dose to a *just
  noticeable fade* (JNF) of Blue Wool 1 at about 0.3 Mlx h, with each class about three
  times more stable than the one before (ISO designs the classes about a factor 2 apart
  under test light; Michalski's factor 3 is for museum light), and notes that colorants
  are nearly gone after about 30 JNF doses. We model remaining colour as exp(-D / (10 x JNF))
  (90 % left at one JNF, 5 % at 30): `JNF_BW1`, `CLASS_STEP`. Which pixels are fugitive
  is a guess from hue: pinks, crimsons and purples (red lakes, the classic fugitive
  pigments) and bright yellows (organic yellows) fade, blues, greens and earths keep
  (`_fugitive`); the class defaults to Blue Wool 3, a typical red lake.
- Varnish yellowing: natural resins (dammar, mastic) are Feller's class C, "unstable, less
  than 20 years" of useful life (Feller, "Accelerated Aging: Photochemical and Thermal
  Aspects", Getty 1994); they yellow in the dark as well as in light (de la Rie,
  "Photochemical and thermal degradation of films of dammar resin", Studies in Conservation
  33, 1988). We model strength = s_max (1 - exp(-(years / tau + D / D_v))) with (s_max,
  tau) of (0.8, 40 years) for dammar, (0.9, 30) for mastic and (0.25, 300) for a synthetic
  low-molecular-weight varnish (class A: more than 100 years), D_v = 100 Mlx h, so a
  dammar film is visibly yellow (strength ~0.35) after 20 years at 150 lux; the colour is
  `synthetic.yellow`. These constants are calibrations to Feller's classes, not
  measurements.
- Craquelure: canvas paintings tolerate RH swings of about +-15 % around 50 % without new
  cracks once the paint is brittle (Mecklenburg, Tumosa and Erhardt, "Structural response
  of painted wood surfaces to changes in ambient relative humidity", Getty 1998; Mecklenburg
  and Tumosa 1991). Our growth is a heuristic: a network appears at rate 1 / 300 per year,
  multiplied by 1 + (swing - 15) / 5 above 15 % and by 1 + (|RH - 50| - 15) / 10 outside
  35-65 %. Only the growth's dependence on RH is sourced; its absolute pace is a guess.
- Dust: a vertical painting in a cleaned gallery gains roughly 0.2-0.5 % effective area
  coverage a year (order of magnitude from Lloyd, Lithgow, Brimblecombe et al., "The
  effects of visitor activity on dust in historic collections", The Conservator 26, 2002,
  who report weekly coverage on horizontal surfaces a hundred times higher); default 0.3 %.

The simulation works on a preview (at most `PREVIEW` px on its longer side) and is seeded.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from studiolo.features.cielab import ciede2000

from .colour import thumbnail
from .colourspace import LUMA, decode_uint8, encode_uint8, rgb_to_lab
from .synthetic import yellow

PREVIEW = 768
JNF_BW1 = 0.3e6  # lx h to a just noticeable fade for Blue Wool 1 (Michalski, CCI)
CLASS_STEP = 3.0  # each Blue Wool class needs about 3x the dose (Michalski, CCI)
VARNISH = {  # (s_max, tau in years): Feller classes C (natural) and A (synthetic)
    "dammar": (0.8, 40.0), "mastic": (0.9, 30.0), "synthetic": (0.25, 300.0), "none": (0.0, 1.0),
}
VARNISH_DOSE = 100e6  # lx h: light's share of the yellowing
CRACK_RATE = 1 / 300  # networks per year at safe RH (heuristic)
DUST_RATE = 0.003  # area coverage per year (order of magnitude, Lloyd et al. 2002)


class Conditions(BaseModel):
    """Where the painting will hang: light, humidity, its varnish and its colours' class."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    years: float = Field(gt=0, le=500)
    lux: float = Field(default=150.0, ge=0, le=100_000)
    hours_per_day: float = Field(default=8.0, ge=0, le=24)
    rh: float = Field(default=50.0, ge=0, le=100)
    rh_swing: float = Field(default=10.0, ge=0, le=100)
    varnish: Literal["dammar", "mastic", "synthetic", "none"] = "dammar"
    blue_wool: int = Field(default=3, ge=1, le=8)
    dust_per_year: float = Field(default=DUST_RATE, ge=0, le=0.2)
    frames: int = Field(default=9, ge=2, le=60)
    seed: int = 0


@dataclass(frozen=True)
class AgeState:
    """What the model says at one moment."""

    years: float
    dose_mlxh: float
    colour_left: float  # fraction of fugitive colour remaining
    varnish: float  # yellowing strength (synthetic.yellow)
    cracks: float  # fraction of the craquelure network present
    dust: float  # area coverage
    delta_e: float = 0.0  # mean CIEDE2000 from the first frame

    def to_json(self) -> dict:
        return {k: round(v, 5) if isinstance(v, float) else v for k, v in asdict(self).items()}


def state(conditions: Conditions, years: float) -> AgeState:
    """The model's numbers after `years` under `conditions`."""
    dose = conditions.lux * conditions.hours_per_day * 365.0 * years
    jnf = JNF_BW1 * CLASS_STEP ** (conditions.blue_wool - 1)
    colour_left = math.exp(-dose / (10 * jnf))
    s_max, tau = VARNISH[conditions.varnish]
    varnish = s_max * (1 - math.exp(-(years / tau + dose / VARNISH_DOSE)))
    rate = CRACK_RATE * (1 + max(0.0, conditions.rh_swing - 15) / 5) * (
        1 + max(0.0, abs(conditions.rh - 50) - 15) / 10)
    cracks = 1 - math.exp(-rate * years)
    dust = 1 - math.exp(-conditions.dust_per_year * years)
    return AgeState(years, dose / 1e6, colour_left, varnish, cracks, dust)


def _fugitive(lin: np.ndarray) -> np.ndarray:
    """0..1 per pixel: how much of its colour is a fugitive pigment (by hue, see above)."""
    hsv = cv2.cvtColor(encode_uint8(lin), cv2.COLOR_RGB2HSV_FULL).astype(np.float32)
    hue, sat = hsv[..., 0] * (360 / 255), hsv[..., 1] / 255
    reds = np.clip(1 - np.minimum(np.abs(hue - 340), 360 - np.abs(hue - 340)) / 40, 0, 1)
    yellows = np.clip(1 - np.abs(hue - 55) / 15, 0, 1) * 0.6
    return np.maximum(reds, yellows) * np.clip(sat * 1.5, 0, 1)


def _network(h: int, w: int, rng: np.random.Generator) -> list[tuple[np.ndarray, float]]:
    """A craquelure network over the whole preview; each edge with the coverage it appears at."""
    cell = max(8.0, min(h, w) / 32)
    gx, gy = np.meshgrid(np.arange(-cell, w + cell, cell), np.arange(-cell, h + cell, cell))
    seeds = np.stack([gx.ravel(), gy.ravel()], 1) + rng.uniform(-0.4, 0.4, (gx.size, 2)) * cell
    pad = int(3 * cell)
    subdiv = cv2.Subdiv2D((-pad, -pad, w + 2 * pad, h + 2 * pad))
    for x, y in seeds:
        subdiv.insert((float(x), float(y)))
    facets, _ = subdiv.getVoronoiFacetList([])
    edges = []
    for facet in facets:
        for a, b in zip(facet, np.roll(facet, -1, axis=0), strict=True):
            seg = a + np.linspace(0, 1, 5)[:, None] * (b - a)
            normal = np.array([a[1] - b[1], b[0] - a[0]]) / (np.hypot(*(b - a)) + 1e-6)
            seg[1:-1] += normal * rng.normal(0, cell * 0.05, (3, 1))
            edges.append((seg, float(rng.uniform())))
    return edges


def _dust(h: int, w: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Speck positions (n, 2) and the coverage each appears at; n covers 2 % of the area."""
    n = int(0.02 * h * w / 3)
    return rng.uniform([0, 0], [w, h], (n, 2)), rng.uniform(0, 0.02, n)


def age_frame(image: np.ndarray, conditions: Conditions, years: float,
              network=None, dust=None) -> tuple[np.ndarray, AgeState]:
    """The preview-sized `image` (uint8 RGB) aged `years`; its state."""
    st = state(conditions, years)
    lin = decode_uint8(image)
    grey = (lin @ LUMA)[..., None]
    loss = _fugitive(lin)[..., None] * (1 - st.colour_left)
    lin = grey + (1 - loss) * (lin - grey)
    lin = lin + 0.25 * loss * (1 - lin)  # a faded lake leaves the paint paler
    out = yellow(encode_uint8(lin), st.varnish)
    h, w = out.shape[:2]
    if network is None or dust is None:
        rng = np.random.default_rng(conditions.seed)
        network, dust = _network(h, w, rng), _dust(h, w, rng)
    lines = [np.rint(seg * 16).astype(np.int32) for seg, at in network if at < st.cracks]
    if lines:
        canvas = np.zeros((h, w), np.uint8)
        cv2.polylines(canvas, lines, False, 255, 1, cv2.LINE_AA, shift=4)
        alpha = canvas.astype(np.float32)[..., None] / 255 * 0.45
        out = np.rint(out * (1 - alpha) + alpha * np.array([45, 36, 28])).astype(np.uint8)
    points, at = dust
    shown = points[at < st.dust]
    if len(shown):
        specks = np.zeros((h, w), np.uint8)
        for x, y in np.rint(shown).astype(int):
            specks[min(h - 1, y), min(w - 1, x)] = 255
        specks = cv2.GaussianBlur(specks, (3, 3), 0).astype(np.float32)[..., None] / 255
        out = np.rint(out * (1 - specks * 0.8) + specks * 0.8 * np.array([120, 112, 100])
                      ).astype(np.uint8)
    # Fine dust spreads as a film: the covered fraction of the area is greyed.
    veil = 0.6 * st.dust
    out = np.rint(out * (1 - veil) + veil * np.array([118, 110, 98])).astype(np.uint8)
    return out, st


def simulate(image: np.ndarray, conditions: Conditions) -> tuple[list[np.ndarray], list[AgeState]]:
    """Frames at evenly spaced ages from 0 to `conditions.years`, on a preview of `image`."""
    preview = np.ascontiguousarray(thumbnail(image, PREVIEW))
    h, w = preview.shape[:2]
    rng = np.random.default_rng(conditions.seed)
    network, dust = _network(h, w, rng), _dust(h, w, rng)
    first_lab = None
    frames, states = [], []
    for i in range(conditions.frames):
        years = conditions.years * i / (conditions.frames - 1)
        frame, st = age_frame(preview, conditions, years, network, dust)
        lab = rgb_to_lab(thumbnail(frame, 256))
        first_lab = lab if first_lab is None else first_lab
        st = AgeState(**{**asdict(st), "delta_e": float(ciede2000(first_lab, lab).mean())})
        frames.append(frame)
        states.append(st)
    return frames, states
