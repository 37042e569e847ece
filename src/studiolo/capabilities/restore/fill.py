"""Filling damage, by `method`: OpenCV Telea or Navier-Stokes, exemplar synthesis, the learned
filler, or an injected diffusion inpainter; `auto` chooses per hole and says why.

- "telea": Telea, "An image inpainting technique based on the fast marching method",
  Journal of Graphics Tools 9(1), 2004 (OpenCV `INPAINT_TELEA`).
- "ns": Bertalmio, Bertozzi and Sapiro, "Navier-Stokes, fluid dynamics, and image and
  video inpainting", CVPR 2001 (OpenCV `INPAINT_NS`).
- "patch": exemplar / PatchMatch synthesis (`patch.py`: Criminisi et al. 2004, Barnes et al.
  2009, Wexler et al. 2007).
- "learned": the small UNet over a harmonic/biharmonic blend (`learned.py`), trained by
  `scripts/train_filler.py`.
- "diffusion": a callable (image crop, hole) -> crop the caller passes in (phase 2 wires the
  diffusion capability's inpainting model to it); without one the call is refused.

Thin damage (cracks, scratches: under `THICK` px wide) is always filled by diffusion from
its edges (Telea, or Navier-Stokes when asked), which is what those methods are for; each
thicker hole goes to the chosen method. `auto` gives a thick hole under `SMALL` px across,
or one in flat paint, to "smooth", the harmonic/biharmonic blend of `harmonic.blend`
(Pérez et al. 2003; thin plate), and a larger one in textured paint to the learned filler
(to "smooth" too without its weights). The rule is measured: on synthetic losses over the
training paintings the blend beats Telea by 1.5-2.5 dB PSNR at every size and exemplar
synthesis by more (synthesis keeps texture but not the pixels that were there), and the
learned filler beats the blend on holes over `SMALL` px in textured paint; per loss size
in benchmarks/restoration.py (figures in docs/restoration.md).

Work goes tile by tile (`TILE` px cores, `MARGIN` px of context): memory is bounded by a
tile, and a hole is filled whole by the tile that holds its centre.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from studiolo.core.errors import InvalidArgument, ModelNotFound
from studiolo.core.progress import ProgressCallback, no_progress

from . import harmonic, learned, net, patch
from .tiles import tiles

METHODS: tuple[str, ...] = ("auto", "telea", "ns", "patch", "learned", "diffusion")
SMOOTH = "smooth"  # what `auto` records for the harmonic/biharmonic blend (not a --method)
Inpainter = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (crop uint8, hole bool) -> crop

THICK = 7  # px: damage at least this wide is a hole, thinner is a line
SMALL = 12  # px across: below this `auto` keeps Telea
FLAT_STD = 6.0  # code values: surroundings this even are "flat paint"
TILE, MARGIN = 1024, 192
RADIUS = 3  # px: the neighbourhood Telea and Navier-Stokes draw from


@dataclass(frozen=True)
class FilledHole:
    """One thick hole: where, how big, and which method filled it and why."""

    box: tuple[int, int, int, int]  # x, y, width, height
    pixels: int
    span: int  # px across (the larger side of its box)
    method: str
    reason: str

    def to_json(self) -> dict:
        return {"box": list(self.box), "pixels": self.pixels, "span": self.span,
                "method": self.method, "reason": self.reason}


@dataclass(frozen=True)
class FillResult:
    image: np.ndarray  # (H, W, 3) uint8
    holes: tuple[FilledHole, ...]
    line_pixels: int  # thin damage filled by `line_method`
    line_method: str
    requested: str

    def by_method(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        if self.line_pixels:
            out[self.line_method] = {"holes": 0, "pixels": self.line_pixels}
        for hole in self.holes:
            row = out.setdefault(hole.method, {"holes": 0, "pixels": 0})
            row["holes"] += 1
            row["pixels"] += hole.pixels
        return out

    def to_json(self) -> dict:
        return {"requested": self.requested, "line_method": self.line_method,
                "line_pixels": self.line_pixels, "by_method": self.by_method(),
                "holes": [h.to_json() for h in self.holes]}


def _check(image: np.ndarray, mask: np.ndarray, method: str, diffusion: Inpainter | None) -> None:
    if method not in METHODS:
        raise InvalidArgument(f"`method` must be one of {', '.join(METHODS)}, got {method!r}.")
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise InvalidArgument(f"`image` must be (H, W, 3) uint8, got {image.dtype} {image.shape}.")
    if mask.shape != image.shape[:2]:
        raise InvalidArgument(
            f"The mask is {mask.shape[1]}x{mask.shape[0]} px but the image is "
            f"{image.shape[1]}x{image.shape[0]} px; give a mask of the image's size."
        )
    if method == "diffusion" and diffusion is None:
        raise ModelNotFound(
            "Diffusion inpainting needs a model: pass --model with a local inpainting model "
            "(none was given), or choose --method auto, telea, ns, patch or learned."
        )
    if method == "learned" and not learned.available():
        learned.net.load(None, learned.net.INPAINT_FILE)  # raises ModelNotFound, saying where


def _auto(crop: np.ndarray, hole: np.ndarray, span: int) -> tuple[str, str]:
    if span < SMALL:
        return SMOOTH, f"small ({span} px): a smooth fill from the edge is enough"
    ring = cv2.dilate(hole.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool) & ~hole
    spread = float(crop[ring].std(axis=0).mean()) if ring.any() else 0.0
    if spread < FLAT_STD:
        return SMOOTH, f"{span} px in flat paint (spread {spread:.1f}): nothing to synthesise"
    if learned.available():
        return "learned", f"{span} px in textured paint (spread {spread:.1f}): learned filler"
    return SMOOTH, f"{span} px in textured paint (spread {spread:.1f}); no learned weights"


def _fill_hole(crop: np.ndarray, hole: np.ndarray, method: str,
               diffusion: Inpainter | None, seed: int) -> np.ndarray:
    if method == "patch":
        return patch.complete(crop, hole, seed=seed)
    if method == SMOOTH:
        blended = harmonic.blend(crop, hole)[0]
        out = crop.copy()
        out[hole] = np.clip(np.rint(blended[hole]), 0, 255).astype(np.uint8)
        return out
    if method == "learned":
        return learned.fill(crop, hole)
    if method == "diffusion":
        out = np.asarray(diffusion(crop.copy(), hole.copy()))
        if out.shape != crop.shape or out.dtype != np.uint8:
            raise InvalidArgument(
                f"The diffusion inpainter returned {out.dtype} {out.shape} for a "
                f"{crop.dtype} {crop.shape} crop; it must return the crop's shape in uint8."
            )
        return out
    flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
    return cv2.inpaint(crop, hole.astype(np.uint8) * 255, RADIUS, flag)


def fill(image: np.ndarray, mask: np.ndarray, method: str = "auto",
         diffusion: Inpainter | None = None, seed: int = 0,
         progress: ProgressCallback = no_progress) -> FillResult:
    """Fill `mask` ((H, W) bool, True = damage) in `image` ((H, W, 3) uint8) by `method`."""
    # 1. Check inputs.
    _check(image, mask, method, diffusion)
    mask = mask.astype(bool, copy=False)
    if mask.size and mask.mean() > 0.99:
        raise InvalidArgument(
            f"The mask covers {mask.mean() * 100:.1f}% of the {image.shape[1]}x{image.shape[0]} "
            "px image, leaving nothing to fill from; mark only the damage, white on black."
        )
    out = image.copy()
    line_method = "ns" if method == "ns" else "telea"
    holes: list[FilledHole] = []
    line_pixels = 0
    grid = tiles(*mask.shape, TILE, MARGIN)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (THICK, THICK))
    # (an injected diffusion inpainter keeps the threads it was given)
    with net.one_thread() if method != "diffusion" else contextlib.nullcontext():
        for step, tile in enumerate(grid, 1):
            line_pixels += _fill_tile(out, mask, tile, method, line_method, kernel, holes,
                                      diffusion, seed)
            progress({"stage": "fill", "step": step, "total": len(grid), "preview": None,
                      "message": None})
    return FillResult(out, tuple(holes), line_pixels, line_method, method)


def _fill_tile(out: np.ndarray, mask: np.ndarray, tile, method: str, line_method: str,
               kernel: np.ndarray, holes: list[FilledHole], diffusion: Inpainter | None,
               seed: int) -> int:
    """Fill one tile's lines and the holes whose centre is in its core; the line pixels."""
    line_pixels = 0
    m = np.ascontiguousarray(mask[tile.outer_slices])
    if not m.any():
        return 0
    # 2. Lines and the first guess everywhere: diffusion from the edges.
    m8 = m.astype(np.uint8)
    base = cv2.inpaint(np.ascontiguousarray(out[tile.outer_slices]), m8 * 255, RADIUS,
                       cv2.INPAINT_NS if line_method == "ns" else cv2.INPAINT_TELEA)
    thick = cv2.dilate(cv2.morphologyEx(m8, cv2.MORPH_OPEN, kernel), np.ones((5, 5), np.uint8))
    thick = thick.astype(bool) & m
    lines = m & ~thick
    iy, ix = tile.inner
    core_lines = lines[iy, ix]
    out[tile.core_slices][core_lines] = base[iy, ix][core_lines]
    line_pixels += int(core_lines.sum())
    # 3. Each hole whose centre is in this core, by its method.
    n, labels, stats, centres = cv2.connectedComponentsWithStats(thick.astype(np.uint8),
                                                                connectivity=8)
    oy, ox = tile.outer[0], tile.outer[2]
    learned_holes: list[tuple[tuple[slice, slice], np.ndarray, np.ndarray]] = []
    smooth_labels: list[tuple[int, int]] = []
    for i in range(1, n):
        cx, cy = centres[i][0] + ox, centres[i][1] + oy
        y0, y1, x0, x1 = tile.core
        if not (y0 <= cy < y1 and x0 <= cx < x1):
            continue
        x, y, bw, bh, area = (int(v) for v in stats[i])
        span = max(bw, bh)
        ctx = int(min(MARGIN, max(16, span)))
        cy0, cy1 = max(0, y - ctx), min(m.shape[0], y + bh + ctx)
        cx0, cx1 = max(0, x - ctx), min(m.shape[1], x + bw + ctx)
        hole = labels[cy0:cy1, cx0:cx1] == i
        crop = base[cy0:cy1, cx0:cx1].copy()
        chosen, reason = (_auto(crop, hole, span) if method == "auto"
                          else (method, "asked for"))
        holes.append(FilledHole((x + ox, y + oy, bw, bh), area, span, chosen, reason))
        where = (slice(oy + cy0, oy + cy1), slice(ox + cx0, ox + cx1))
        if chosen == "learned":  # run together below: one net call per batch of holes
            learned_holes.append((where, crop, hole))
        elif chosen == SMOOTH:  # solved together below: one sparse system per tile
            smooth_labels.append((i, span))
        elif chosen == line_method:
            out[where][hole] = crop[hole]  # `base` is already this method's fill
        else:
            out[where][hole] = _fill_hole(crop, hole, chosen, diffusion, seed + i)[hole]
    if smooth_labels:
        _smooth_together(out, base, labels, smooth_labels, (oy, ox))
    if learned_holes:
        filled = learned.fill_many([c for _, c, _ in learned_holes],
                                   [h for _, _, h in learned_holes])
        for (where, _, hole), done in zip(learned_holes, filled, strict=True):
            out[where][hole] = done[hole]
    return line_pixels


def _smooth_together(out: np.ndarray, base: np.ndarray, labels: np.ndarray,
                     chosen: list[tuple[int, int]], origin: tuple[int, int]) -> None:
    """Fill the `chosen` components (label, span) of a tile by `harmonic.blend` in one
    solve of each kind: the holes are independent, so one sparse system for all of them is
    the per-hole fill (a detected scan has thousands of small holes; one call each was
    most of the fill's time)."""
    ids = np.zeros(int(labels.max()) + 1, np.float32)
    spans = np.zeros_like(ids)
    for label, span in chosen:
        ids[label] = 1.0
        spans[label] = span
    member = ids[labels] > 0
    ys, xs = np.nonzero(member)
    y0, y1 = max(0, ys.min() - 3), min(labels.shape[0], ys.max() + 4)
    x0, x1 = max(0, xs.min() - 3), min(labels.shape[1], xs.max() + 4)
    hole = member[y0:y1, x0:x1]
    crop = base[y0:y1, x0:x1]
    weights = np.array([harmonic.blend_weight(v) if v else 0.0 for v in spans], np.float32)
    w = weights[labels[y0:y1, x0:x1]][hole][:, None]
    filled = w * harmonic.biharmonic(crop, hole)[hole] + (1 - w) * harmonic.fill(crop, hole)[hole]
    oy, ox = origin
    where = (slice(oy + y0, oy + y1), slice(ox + x0, ox + x1))
    out[where][hole] = np.clip(np.rint(filled), 0, 255).astype(np.uint8)
