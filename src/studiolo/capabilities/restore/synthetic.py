"""Synthetic damage with known masks: what the damage net trains on and what tests and the
benchmark measure against.

`apply_damage(image, recipe, seed)` paints, over an undamaged picture, the five kinds of
damage the detector knows (`KINDS`) and returns the damaged picture with one truth mask per
kind; `yellow` and `fade` change the whole picture's colour by a known strength. The same
seed gives the same pixels. Layers go on in the order a painting collects them: stains, then
cracks and craquelure, scratches, tears, and losses last (a loss takes everything above the
ground with it, so it clears the other masks where it lands).

A truth mask holds only the pixels the damage visibly changed: at least half covered and at
least `VISIBLE` code values different in some channel. A dark crack over a dark passage is
invisible in the scan, and no detector should be asked to find it.

Counts in a `DamageRecipe` are expected numbers per 512 x 512 px (drawn from a Poisson law),
so one recipe suits a training crop and a full painting alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from .colourspace import LUMA, decode_uint8, encode_uint8
from .kinds import KINDS

VISIBLE = 12  # code values: about a just-noticeable step on a mid-grey (ΔE00 ~ 2-3)
_AREA = 512 * 512


@dataclass(frozen=True)
class DamageRecipe:
    """Expected counts per 512 x 512 px of each kind of damage, and their size ranges (px)."""

    cracks: float = 1.5
    crack_widths: tuple[int, ...] = (1, 2, 3)
    craquelure: float = 0.4  # patches of a crack network
    craquelure_cells: tuple[int, int] = (14, 48)
    scratches: float = 1.0
    losses: float = 2.5
    loss_sizes: tuple[int, int] = (5, 120)
    stains: float = 0.6
    foxing: float = 0.6  # clusters of small spots
    tears: float = 0.3


# Denser than a real painting: a 192 px training crop then holds some damage most times.
TRAINING_RECIPE = DamageRecipe(cracks=6.0, craquelure=2.0, scratches=4.0, losses=14.0,
                               stains=3.0, foxing=3.0, tears=2.0)

# The second stage of training (scripts/train_damage.py --resume --focus): the kinds the
# first stage under-learnt, scratches, small losses and tears, three times as often.
FOCUS_RECIPE = DamageRecipe(cracks=5.0, craquelure=1.5, scratches=12.0, losses=24.0,
                            loss_sizes=(4, 90), stains=3.0, foxing=3.0, tears=4.0)

# Paintings of ../shared/artworks whose scans show real craquelure: left out of training
# (their real cracks would be taught as "no damage") and out of the scored benchmark (their
# real cracks would count as false alarms). They are the docs' real-damage examples.
REAL_CRACKS: frozenset[str] = frozenset({
    "johannes-vermeer__girl-with-a-pearl-earring.jpg",
    "j-m-w-turner__the-fighting-temeraire.jpg",
    "edouard-manet__olympia.jpg",
})


def split(names: list[str]) -> tuple[list[str], list[str]]:
    """(training, held out) file names: every fifth painting in name order is held out for
    the benchmark; REAL_CRACKS are in neither."""
    usable = sorted(n for n in names if n not in REAL_CRACKS)
    held = usable[2::5]
    return [n for n in usable if n not in held], held


@dataclass(frozen=True)
class Loss:
    """One painted loss: its nominal diameter and bounding box (x, y, w, h)."""

    size: int
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class Damaged:
    """A damaged picture, its truth masks (bool, one per kind) and the losses drawn."""

    image: np.ndarray  # (H, W, 3) uint8
    masks: dict[str, np.ndarray] = field(default_factory=dict)  # kind -> (H, W) bool
    losses: tuple[Loss, ...] = ()

    def union(self) -> np.ndarray:
        """Every damaged pixel, whatever its kind."""
        out = np.zeros(self.image.shape[:2], bool)
        for mask in self.masks.values():
            out |= mask
        return out


# -- global colour changes ---------------------------------------------------------------


VARNISH_ABSORPTION = (0.03, 0.16, 0.62)  # relative absorbance of the film in R, G, B
VARNISH_VEIL = (1.0, 0.8, 0.45)  # colour of the light the film scatters back


def yellow(image: np.ndarray, strength: float,
           absorption: tuple[float, float, float] = VARNISH_ABSORPTION) -> np.ndarray:
    """A yellowed varnish of `strength` (0 none, 1 strong) over a uint8 sRGB picture.

    Light crosses the film twice (in and back out), so linear RGB is multiplied by T**2 with
    T = exp(-strength * k): natural resin films absorb most in the blue and least in the red
    (de la Rie, "Photochemical and thermal degradation of films of dammar resin", Studies in
    Conservation 33, 1988), plus a faint warm scattering veil.
    """
    k = np.asarray(absorption, np.float32)
    lin = decode_uint8(image)
    out = lin * np.exp(-2.0 * strength * k) + strength * 0.02 * np.asarray(VARNISH_VEIL)
    return encode_uint8(out)


def fade(image: np.ndarray, strength: float) -> np.ndarray:
    """Light-sensitive pigments faded by `strength` (0 none, 1 strong): colour drains toward
    the picture's grey (saturation down 60 % at 1) and the paint pales toward the ground."""
    lin = decode_uint8(image)
    grey = (lin @ LUMA)[..., None]
    out = grey + (1.0 - 0.6 * strength) * (lin - grey)
    out = out + 0.2 * strength * (1.0 - out)
    return encode_uint8(out)


# -- shapes --------------------------------------------------------------------------------


def _walk(rng: np.random.Generator, start: np.ndarray, heading: float, length: float,
          step: float, jag: float, drift: float) -> np.ndarray:
    """A path of `length` px from `start`: points every `step` px; the heading wanders slowly
    (`drift` rad per step) and jitters quickly (`jag`, an AR(1) deviation that forgets itself),
    which is how cracks and tears run: one direction overall, jagged close up."""
    n = max(2, int(length / step))
    wander = np.cumsum(rng.normal(0.0, drift, n))
    shocks = rng.normal(0.0, jag, n)
    deviation = np.zeros(n)
    for i in range(1, n):
        deviation[i] = 0.7 * deviation[i - 1] + shocks[i]
    turns = heading + wander + deviation
    steps = np.stack([np.cos(turns), np.sin(turns)], axis=1) * step
    return start + np.vstack([[0.0, 0.0], np.cumsum(steps, axis=0)])


def blob(rng: np.random.Generator, size: float, rough: float = 0.1) -> np.ndarray:
    """An irregular closed outline about `size` px across, centred on (0, 0); `rough` adds
    vertex-to-vertex jitter (flaked paint breaks along the craquelure: angular, not round)."""
    n = max(8, int(size * 1.2))
    theta = np.linspace(0, 2 * math.pi, n, endpoint=False)
    radius = np.ones(n)
    for harmonic in range(2, 9):
        radius += rng.normal(0, 0.3 / harmonic) * np.cos(harmonic * theta + rng.uniform(0, 6.3))
    jitter = rng.normal(0, rough, n)
    radius += (np.roll(jitter, 1) + 2 * jitter + np.roll(jitter, -1)) / 4  # angular, not spiky
    radius = np.clip(radius, 0.3, None) * size / 2
    return np.stack([radius * np.cos(theta), radius * np.sin(theta)], axis=1)


def _box(points: np.ndarray, margin: float, h: int, w: int) -> tuple[slice, slice, np.ndarray]:
    """The clipped bounding box of `points` plus `margin`, and the box's top-left corner."""
    x0, y0 = np.floor(points.min(axis=0) - margin).astype(int)
    x1, y1 = np.ceil(points.max(axis=0) + margin).astype(int)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, max(x1, 0)), min(h, max(y1, 0))
    return slice(y0, max(y0, y1)), slice(x0, max(x0, x1)), np.array([x0, y0], float)


def _draw_lines(canvas: np.ndarray, lines: list[np.ndarray], width: int) -> None:
    pts = [np.rint(line * 16).astype(np.int32) for line in lines]  # 4 fractional bits
    cv2.polylines(canvas, pts, False, 255, max(1, width), cv2.LINE_AA, shift=4)


def _layer(out: np.ndarray, alpha: np.ndarray, colour: np.ndarray,
           min_alpha: float = 0.5) -> np.ndarray:
    """Composite `colour` over `out` (in place) with `alpha` in 0..1; returns the truth mask:
    pixels at least `min_alpha` covered that changed visibly."""
    a = alpha[..., None]
    new = np.rint(out * (1 - a) + colour * a).astype(np.uint8)
    changed = np.abs(new.astype(np.int16) - out.astype(np.int16)).max(axis=2) >= VISIBLE
    out[...] = new
    return changed & (alpha >= min_alpha)


def _luma(image: np.ndarray) -> np.ndarray:
    return image @ np.array([0.299, 0.587, 0.114], np.float32)


def _stroke(out: np.ndarray, mask: np.ndarray, lines: list[np.ndarray], width: int,
            strength: float, colour_fn, region: np.ndarray | None = None) -> None:
    """Draw `lines` into the box around them and composite `colour_fn(box)` there."""
    h, w = out.shape[:2]
    ys, xs, corner = _box(np.vstack(lines), width + 2, h, w)
    box = out[ys, xs]
    if box.size == 0:
        return
    canvas = np.zeros(box.shape[:2], np.uint8)
    _draw_lines(canvas, [line - corner for line in lines], width)
    alpha = canvas.astype(np.float32) / 255.0 * strength
    if region is not None:
        alpha *= region[ys, xs]
    mask[ys, xs] |= _layer(box, alpha, colour_fn(box))


# -- the damage ----------------------------------------------------------------------------


def _count(rng: np.random.Generator, rate: float, area: int) -> int:
    return int(rng.poisson(rate * area / _AREA))


_STAIN_TINT = np.array([0.80, 0.62, 0.42], np.float32)


def _stain_at(out, mask, alpha_full_box, ys, xs, strength):
    box = out[ys, xs]
    brown = box.astype(np.float32) * _STAIN_TINT * 0.9 + np.array([38, 18, 0], np.float32)
    # A stain counts wherever it visibly changed the paint, not only where it is dense.
    mask[ys, xs] |= _layer(box, np.clip(alpha_full_box * strength, 0, 1), brown, 0.05)


def _stains(rng, out, recipe, area):
    h, w = out.shape[:2]
    mask = np.zeros((h, w), bool)
    for _ in range(_count(rng, recipe.stains, area)):
        outline = blob(rng, rng.uniform(40, 260), 0.04) + rng.uniform([0, 0], [w, h])
        ys, xs, corner = _box(outline, 6, h, w)
        if out[ys, xs].size == 0:
            continue
        shape = np.zeros(out[ys, xs].shape[:2], np.uint8)
        cv2.fillPoly(shape, [np.rint(outline - corner).astype(np.int32)], 1)
        ring = shape - cv2.erode(shape, np.ones((3, 3), np.uint8), iterations=int(rng.integers(2, 5)))
        stain = rng.uniform(0.12, 0.3) * shape + rng.uniform(0.25, 0.45) * ring
        _stain_at(out, mask, cv2.GaussianBlur(stain.astype(np.float32), (0, 0), 1.5), ys, xs, 1.0)
    for _ in range(_count(rng, recipe.foxing, area)):
        centre = rng.uniform([0, 0], [w, h])
        ys, xs, corner = _box(np.array([centre]), 110, h, w)
        if out[ys, xs].size == 0:
            continue
        spots = np.zeros(out[ys, xs].shape[:2], np.float32)
        for _ in range(int(rng.integers(3, 25))):
            x, y = centre - corner + np.clip(rng.normal(0, 35, 2), -100, 100)
            cv2.circle(spots, (int(x), int(y)), int(rng.integers(1, 6)), float(rng.uniform(0.5, 0.9)),
                       -1, cv2.LINE_AA)
        _stain_at(out, mask, cv2.GaussianBlur(spots, (0, 0), 0.8), ys, xs, 1.0)
    return mask


def _crack_colour(box: np.ndarray) -> np.ndarray:
    dark = np.array([38, 30, 24], np.float32)
    light = np.array([205, 195, 172], np.float32)
    lum = _luma(box.astype(np.float32))[..., None]
    # A crack reads dark on light paint (dirt in the gap) and light on dark paint (ground).
    return np.where(lum > 75, 0.7 * dark + 0.15 * box, light)


def _cracks(rng, out, recipe, area):
    h, w = out.shape[:2]
    mask = np.zeros((h, w), bool)
    for _ in range(_count(rng, recipe.cracks, area)):
        width = int(rng.choice(recipe.crack_widths))
        trunk = _walk(rng, rng.uniform([0, 0], [w, h]), rng.uniform(0, 2 * math.pi),
                      rng.uniform(40, 0.7 * max(h, w) + 60), 2.5, 0.35, 0.03)
        lines = [trunk]
        for _ in range(rng.poisson(1.5)):
            at = trunk[rng.integers(len(trunk))]
            lines.append(_walk(rng, at, rng.uniform(0, 2 * math.pi), rng.uniform(15, 120),
                               2.5, 0.35, 0.04))
        _stroke(out, mask, lines, width, rng.uniform(0.75, 1.0), _crack_colour)
    for _ in range(_count(rng, recipe.craquelure, area)):
        lines, region = _craquelure(rng, h, w, recipe.craquelure_cells)
        if lines:
            _stroke(out, mask, lines, int(rng.choice([1, 1, 2])), rng.uniform(0.6, 0.95),
                    _crack_colour, region)
    return mask


def _craquelure(rng, h, w, cells):
    """A jittered Voronoi network (cells `cells` px) and the blob-shaped region it covers."""
    size = rng.uniform(120, 420)
    centre = rng.uniform([0, 0], [w, h])
    region = np.zeros((h, w), np.float32)
    cv2.fillPoly(region, [np.rint(blob(rng, size, 0.03) + centre).astype(np.int32)], 1.0)
    cell = rng.uniform(*cells)
    x0, y0 = np.maximum(0, centre - size / 2 - cell)
    x1, y1 = np.minimum([w, h], centre + size / 2 + cell)
    if x1 <= x0 or y1 <= y0:
        return [], region
    gx, gy = np.meshgrid(np.arange(x0, x1 + cell, cell), np.arange(y0, y1 + cell, cell))
    seeds = np.stack([gx.ravel(), gy.ravel()], 1) + rng.uniform(-0.4, 0.4, (gx.size, 2)) * cell
    pad = int(2 * cell) + 2
    subdiv = cv2.Subdiv2D((int(x0) - pad, int(y0) - pad, int(x1 - x0) + 2 * pad,
                           int(y1 - y0) + 2 * pad))
    for x, y in seeds:
        subdiv.insert((float(x), float(y)))
    facets, _ = subdiv.getVoronoiFacetList([])
    lines = []
    for facet in facets:
        for a, b in zip(facet, np.roll(facet, -1, axis=0), strict=True):
            if rng.random() < 0.25:  # a real network is never complete
                continue
            seg = a + np.linspace(0, 1, 4)[:, None] * (b - a)
            normal = np.array([a[1] - b[1], b[0] - a[0]]) / (np.hypot(*(b - a)) + 1e-6)
            seg[1:-1] += normal * rng.normal(0, 1.2, (2, 1))
            lines.append(np.clip(seg, [-4, -4], [w + 4, h + 4]))
    return lines, region


def _scratches(rng, out, recipe, area):
    h, w = out.shape[:2]
    mask = np.zeros((h, w), bool)
    for _ in range(_count(rng, recipe.scratches, area)):
        line = _walk(rng, rng.uniform([0, 0], [w, h]), rng.uniform(0, 2 * math.pi),
                     rng.uniform(80, 0.9 * max(h, w) + 80), 4.0, 0.0, 0.012)
        colour = np.array([238, 236, 228] if rng.random() < 0.8 else [30, 28, 26], np.float32)
        _stroke(out, mask, [line], int(rng.choice([1, 1, 2])), rng.uniform(0.55, 0.9),
                lambda box, c=colour: np.broadcast_to(c, box.shape))
    return mask


def _tears(rng, out, recipe, area):
    h, w = out.shape[:2]
    mask = np.zeros((h, w), bool)
    for _ in range(_count(rng, recipe.tears, area)):
        line = _walk(rng, rng.uniform([0, 0], [w, h]), rng.uniform(0, 2 * math.pi),
                     rng.uniform(60, 0.6 * max(h, w) + 60), 2.0, 0.6, 0.02)
        gap = int(rng.integers(2, 6))
        fibres = np.array([228, 222, 206], np.float32)
        backing = np.array([28, 24, 20] if rng.random() < 0.6 else [222, 216, 200], np.float32)
        _stroke(out, mask, [line], gap + 3, 0.7,
                lambda box, f=fibres: np.broadcast_to(f, box.shape))
        _stroke(out, mask, [line], gap, 1.0, lambda box, b=backing: np.broadcast_to(b, box.shape))
    return mask


_GROUNDS = np.array([[238, 232, 215], [226, 216, 192], [246, 243, 236], [168, 138, 96],
                     [60, 48, 40]], np.float32)
_GROUND_ODDS = np.array([0.35, 0.25, 0.2, 0.12, 0.08])


def _losses(rng, out, recipe, area):
    h, w = out.shape[:2]
    mask = np.zeros((h, w), bool)
    losses = []
    low, high = recipe.loss_sizes
    high = max(low, min(high, int(0.6 * min(h, w))))
    for _ in range(_count(rng, recipe.losses, area)):
        size = float(np.exp(rng.uniform(np.log(low), np.log(high + 1e-9))))
        outline = blob(rng, size) + rng.uniform([0, 0], [w, h])
        ys, xs, corner = _box(outline, 3, h, w)
        box = out[ys, xs]
        if box.size == 0:
            continue
        shape = np.zeros(box.shape[:2], np.uint8)
        cv2.fillPoly(shape, [np.rint((outline - corner) * 16).astype(np.int32)], 1, cv2.LINE_8,
                     shift=4)
        if not shape.any():
            continue
        ground = _GROUNDS[rng.choice(len(_GROUNDS), p=_GROUND_ODDS)]
        noise = cv2.GaussianBlur(rng.normal(0, 6, shape.shape).astype(np.float32), (0, 0), 0.8)
        # The paint edge casts a thin shadow on the exposed ground.
        rim = shape - cv2.erode(shape, np.ones((3, 3), np.uint8))
        colour = ground + noise[..., None] - 45 * rim[..., None] * rng.uniform(0.3, 1.0)
        _layer(box, shape.astype(np.float32), np.clip(colour, 0, 255))
        mask[ys, xs] |= shape > 0  # a loss is a loss even where the ground matches the paint
        x, y, bw, bh = cv2.boundingRect(shape)
        losses.append(Loss(round(size), (x + int(corner[0]), y + int(corner[1]), bw, bh)))
    return mask, tuple(losses)


def apply_damage(image: np.ndarray, recipe: DamageRecipe = DamageRecipe(),
                 seed: int = 0) -> Damaged:
    """Paint the damage of `recipe` over `image` ((H, W, 3) uint8); same seed, same pixels."""
    rng = np.random.default_rng(seed)
    out = np.ascontiguousarray(image, dtype=np.uint8).copy()
    area = out.shape[0] * out.shape[1]
    masks = {"stains": _stains(rng, out, recipe, area)}
    masks["cracks"] = _cracks(rng, out, recipe, area)
    masks["scratches"] = _scratches(rng, out, recipe, area)
    masks["tears"] = _tears(rng, out, recipe, area)
    for kind in ("stains", "cracks", "scratches"):
        masks[kind] &= ~masks["tears"]
    masks["losses"], losses = _losses(rng, out, recipe, area)
    for kind in ("stains", "cracks", "scratches", "tears"):
        masks[kind] &= ~masks["losses"]
    return Damaged(out, {kind: masks[kind] for kind in KINDS}, losses)
