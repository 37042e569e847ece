"""Damage detection: per kind a confidence map and a mask, tile by tile, in bounded memory.

The detector runs the classical cues (`classical.cues`) and the small UNet (`net`) on each
tile: the net reads the RGB and the cues and gives each kind a probability per pixel. A
kind's mask is its probability at or above its threshold (calibrated per kind by the
training script for best F1 on validation crops; a person can set any of them). Losses get
one repair the net cannot see from a tile: a region enclosed by detected loss edge is loss
too (a large flat patch of exposed ground looks like paint from its middle). Specks under
`MIN_AREA` px are dropped. The net's stain candidates must be at least as red and as yellow
as the paint around them (`stains.warmer_than_surround`).

Without the net's weights (or with `use_net=False`) the classical detector gives the maps;
the result says which ran. Confidence maps are uint8 (probability x 255): five of them cost
5 bytes per pixel, and nothing at full size is ever float.

Measured (benchmarks/restoration.py, held-out paintings): see docs/restoration.md.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from studiolo.core.errors import ModelNotFound
from studiolo.core.progress import ProgressCallback, no_progress

from . import classical, highlights, net, stains
from .kinds import KINDS
from .tiles import tiles

TILE, MARGIN = 768, 64  # the net sees about 100 px around a pixel: 64 px is nearly all of it
MIN_AREA = {"cracks": 6, "scratches": 8, "losses": 6, "stains": 6, "tears": 12}
MAX_ENCLOSED = 160 * 160  # loss holes up to this many px are filled in


class DamageOptions(BaseModel):
    """What a person can adjust: a threshold per kind (0-1), the net on or off, tile size."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    thresholds: dict[str, float] = Field(default_factory=dict)
    use_net: bool = True
    screen_highlights: bool = True  # drop bright soft-edged "losses" (highlights.py)
    tile: int = Field(default=TILE, ge=64, le=4096)

    @field_validator("thresholds")
    @classmethod
    def _known(cls, value: dict[str, float]) -> dict[str, float]:
        for kind, t in value.items():
            if kind not in KINDS:
                raise ValueError(f"unknown damage kind {kind!r}; known: {', '.join(KINDS)}")
            if not 0.0 < t < 1.0:
                raise ValueError(f"the threshold for {kind} must be between 0 and 1, got {t}")
        return value


@dataclass(frozen=True)
class KindSummary:
    kind: str
    fraction: float  # of the picture's pixels
    mean_confidence: float  # over the kind's masked pixels (0 when none)
    pixels: int
    threshold: float

    def to_json(self) -> dict:
        return {"kind": self.kind, "fraction": round(self.fraction, 6),
                "mean_confidence": round(self.mean_confidence, 4), "pixels": self.pixels,
                "threshold": self.threshold}


@dataclass(frozen=True)
class DamageMap:
    """Per kind, a uint8 confidence map (probability x 255) and its threshold."""

    confidence: dict[str, np.ndarray]
    thresholds: dict[str, float]
    method: str  # "net+classical" or "classical"
    notes: tuple[str, ...] = ()
    extra_masks: dict[str, np.ndarray] = field(default_factory=dict)  # enclosed loss interiors

    def mask(self, kind: str) -> np.ndarray:
        """(H, W) bool: the kind's damage at its threshold."""
        out = self.confidence[kind] >= round(self.thresholds[kind] * 255)
        if kind in self.extra_masks:
            out |= self.extra_masks[kind]
        return out

    def union(self) -> np.ndarray:
        out = np.zeros(next(iter(self.confidence.values())).shape, bool)
        for kind in KINDS:
            out |= self.mask(kind)
        return out

    def summary(self) -> list[KindSummary]:
        rows = []
        for kind in KINDS:
            m = self.mask(kind)
            n = int(m.sum())
            conf = float(self.confidence[kind][m].mean()) / 255 if n else 0.0
            rows.append(KindSummary(kind, n / m.size, conf, n, self.thresholds[kind]))
        return rows

    def to_json(self) -> dict:
        return {"method": self.method, "kinds": [r.to_json() for r in self.summary()],
                "notes": list(self.notes)}


def default_thresholds(use_net: bool) -> tuple[dict[str, float], str, object]:
    """(thresholds, method, loaded net or None): the net's calibrated ones when it loads."""
    if use_net:
        try:
            model, config, meta = net.load()
        except ModelNotFound:
            model = None
        if model is not None:
            import json

            calibrated = json.loads(meta.get("thresholds", "{}"))
            return {k: float(calibrated.get(k, 0.5)) for k in KINDS}, "net+classical", (
                model, config)
    return {k: 0.5 for k in KINDS}, "classical", None


def _tile_probabilities(rgb: np.ndarray, loaded) -> np.ndarray:
    """(K, h, w) float32 probabilities for one outer tile."""
    if loaded is None:
        return classical.detect_classical(rgb)
    model, config = loaded
    x = np.concatenate([rgb.transpose(2, 0, 1).astype(np.float32) / 255.0, classical.cues(rgb)])
    return net.predict(model, config, x)


def _clean(mask: np.ndarray, min_area: int) -> np.ndarray:
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return keep[labels]


def _enclosed(mask: np.ndarray) -> np.ndarray:
    """Holes inside `mask` (not touching the window's edge, at most MAX_ENCLOSED px)."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats((~mask).astype(np.uint8),
                                                           connectivity=4)
    h, w = mask.shape
    x, y, bw, bh, area = (stats[:, i] for i in range(5))
    inside = (x > 0) & (y > 0) & (x + bw < w) & (y + bh < h) & (area <= MAX_ENCLOSED)
    inside[0] = False
    return inside[labels]


def detect_damage(image: np.ndarray, options: DamageOptions | None = None,
                  opaque: np.ndarray | None = None, name: str = "the image",
                  progress: ProgressCallback = no_progress) -> DamageMap:
    """Find damage in `image` ((H, W, 3) uint8), tile by tile; `opaque` (bool) leaves
    transparent parts out."""
    options = options or DamageOptions()
    thresholds, method, loaded = default_thresholds(options.use_net)
    thresholds.update(options.thresholds)
    h, w = image.shape[:2]
    confidence = {k: np.zeros((h, w), np.uint8) for k in KINDS}
    enclosed = np.zeros((h, w), bool)
    flat = _flat_colour(image)
    if flat is not None:
        note = f"No damage found: {name} is one flat colour {flat}, so there is nothing to find."
        return DamageMap(confidence, thresholds, method, (note,), {"losses": enclosed})
    grid = tiles(h, w, options.tile, MARGIN)
    # One torch thread: faster than two on the shared cores, and the same pixels always.
    with net.one_thread() if loaded is not None else contextlib.nullcontext():
        _detect_tiles(image, grid, loaded, thresholds, confidence, enclosed, progress)
    if opaque is not None:
        for kind in KINDS:
            confidence[kind][~opaque] = 0
        enclosed &= opaque
    notes: tuple[str, ...] = ()
    if options.screen_highlights:
        notes = _screen_highlights(image, confidence, thresholds, enclosed)
    result = DamageMap(confidence, thresholds, method, notes, {"losses": enclosed})
    if not result.union().any():
        result = DamageMap(confidence, thresholds, method,
                           (*notes, f"No damage found in {name} at the current thresholds."),
                           {"losses": enclosed})
    return result


def _screen_highlights(image: np.ndarray, confidence: dict[str, np.ndarray],
                       thresholds: dict[str, float], enclosed: np.ndarray) -> tuple[str, ...]:
    """Bright soft-edged spots taken out of losses (and small round ones out of tears)."""
    spots = 0
    for kind in ("losses", "tears"):
        cut = round(thresholds[kind] * 255)
        found = confidence[kind] >= cut
        if kind == "losses":
            found |= enclosed
        glow = highlights.soft_bright(image, found, compact=kind == "tears")
        if glow.any():
            np.minimum(confidence[kind], max(0, cut - 1), out=confidence[kind], where=glow)
            if kind == "losses":
                enclosed &= ~glow
            spots += cv2.connectedComponents(glow.astype(np.uint8))[0] - 1
    if not spots:
        return ()
    return (f"{spots} bright soft-edged spots (highlights) were not taken for losses or tears.",)


def _detect_tiles(image: np.ndarray, grid, loaded, thresholds: dict[str, float],
                  confidence: dict[str, np.ndarray], enclosed: np.ndarray,
                  progress: ProgressCallback) -> None:
    """Each tile's probabilities, thresholded and cleaned, into `confidence` and `enclosed`."""
    for step, tile in enumerate(grid, 1):
        rgb = np.ascontiguousarray(image[tile.outer_slices])
        prob = _tile_probabilities(rgb, loaded)
        inner = tile.inner
        for i, kind in enumerate(KINDS):
            keep = _clean(prob[i] >= thresholds[kind], MIN_AREA[kind])
            if kind == "stains" and loaded is not None:
                keep = stains.warmer_than_surround(rgb, keep)
            conf = np.where(keep, prob[i], np.minimum(prob[i], thresholds[kind] - 1 / 255))
            confidence[kind][tile.core_slices] = np.rint(np.clip(conf, 0, 1) * 255)[inner]
            if kind == "losses":
                enclosed[tile.core_slices] = _enclosed(keep)[inner]
        progress({"stage": "detect", "step": step, "total": len(grid), "preview": None,
                  "message": None})


def _flat_colour(image: np.ndarray) -> tuple[int, int, int] | None:
    """The colour when every pixel has it (checked in row bands, no copy), else None."""
    first = image[0, 0]
    for y in range(0, image.shape[0], 1024):
        if not (image[y:y + 1024] == first).all():
            return None
    return tuple(int(v) for v in first)
