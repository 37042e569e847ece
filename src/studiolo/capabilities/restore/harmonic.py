"""Smooth fills of a hole: harmonic (membrane), biharmonic (thin plate) and their blend.

- `fill`: each channel inside the hole solves Laplace's equation with the known pixels
  around it as boundary values: Poisson image editing with a zero guidance field (Pérez,
  Gangnet and Blake, "Poisson image editing", SIGGRAPH 2003, eq. 2).
- `biharmonic`: the surface of least squared Laplacian (Δ²u = 0 inside), which carries the
  edge's slope into the hole as well as its value (the thin-plate fill of Bertalmio et al.'s
  higher-order PDE inpainting; cf. Damelin and Hoang, "On surface completion and image
  inpainting by biharmonic functions", 2018). Better on small holes, it overshoots on big ones.
- `blend`: w(span) * biharmonic + (1 - w(span)) * harmonic, the weight by the hole's span,
  fitted by least squares on synthetic losses over the *training* paintings
  (`scripts/train_filler.py --parts blend` writes `weights/filler_blend.json`).

Neither keeps texture, but of the classical fills they err least inside a loss
(benchmarks/restoration.py: harmonic about 1-1.5 dB PSNR above OpenCV's Telea on 30-120 px
losses, the blend more), so the learned filler starts from the blend and predicts only what
it lacks.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import spsolve

BLEND_FILE = "filler_blend.json"


def _laplacian(hole: np.ndarray, dilate: int) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The graph Laplacian rows of the hole grown by `dilate` px (4-neighbours inside the
    crop: a natural boundary at the crop's edge) over every pixel of the crop, flattened;
    and the rows' pixel indices."""
    h, w = hole.shape
    dom = hole.copy()
    for _ in range(dilate):
        grown = dom.copy()
        grown[1:] |= dom[:-1]
        grown[:-1] |= dom[1:]
        grown[:, 1:] |= dom[:, :-1]
        grown[:, :-1] |= dom[:, 1:]
        dom = grown
    ys, xs = np.nonzero(dom)
    n = len(ys)
    rows, cols, vals = [np.arange(n)], [ys * w + xs], []
    degree = np.zeros(n)
    for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        ny, nx = ys + dy, xs + dx
        inside = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
        degree += inside
        at = np.nonzero(inside)[0]
        rows.append(at)
        cols.append(ny[inside] * w + nx[inside])
        vals.append(-np.ones(len(at)))
    matrix = sparse.csr_matrix((np.concatenate([degree, *vals]),
                                (np.concatenate(rows), np.concatenate(cols))), shape=(n, h * w))
    return matrix, ys * w + xs


def _solve(crop: np.ndarray, hole: np.ndarray, order: int) -> np.ndarray:
    out = crop.astype(np.float32).copy()
    if not hole.any() or hole.all():
        return out
    flat = out.reshape(-1, out.shape[2])
    unknown = np.flatnonzero(hole.ravel())
    known = np.flatnonzero(~hole.ravel())
    laplacian, _ = _laplacian(hole, order - 1)
    laplacian = laplacian.tocsc()
    lu, lk = laplacian[:, unknown], laplacian[:, known]
    if order == 1:  # rows are the hole's own pixels: L_U u = -L_K k
        matrix, rhs = lu, -(lk @ flat[known].astype(np.float64))
    else:  # least squares over the grown rows: (L_U' L_U) u = -L_U' L_K k
        matrix = (lu.T @ lu).tocsc()
        rhs = -(lu.T @ (lk @ flat[known].astype(np.float64)))
    # A component with no known neighbour at all would make the matrix singular: pin it
    # weakly to the mean of the known pixels instead.
    n = len(unknown)
    matrix = matrix + sparse.identity(n, format="csc") * 1e-6
    rhs = rhs + 1e-6 * flat[known].mean(axis=0)
    flat[unknown] = spsolve(matrix.tocsc(), rhs).reshape(n, -1)
    return out


def fill(crop: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """`crop` ((h, w, C) uint8 or float) with `hole` ((h, w) bool) filled harmonically;
    float32 out.

    Neighbours outside the crop are ignored (a natural boundary there), so a hole touching
    the crop's edge is still well posed as long as it touches some known pixel.
    """
    return _solve(crop, hole, 1)


def biharmonic(crop: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """`crop` with `hole` filled by the least-Laplacian (thin-plate) surface; float32 out,
    clipped to the code-value range [0, 255]."""
    return np.clip(_solve(crop, hole, 2), 0, 255)


@functools.lru_cache(maxsize=2)
def blend_table(path: str | None = None) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(spans, biharmonic weights) of `weights/filler_blend.json` (or the file given)."""
    file = Path(path) if path else Path(str(resources.files(__package__) / "weights" / BLEND_FILE))
    data = json.loads(file.read_text())
    return tuple(float(s) for s in data["spans"]), tuple(float(w) for w in data["weights"])


def blend_weight(span: float) -> float:
    """The biharmonic share for a hole `span` px across, interpolated in log span."""
    spans, weights = blend_table()
    return float(np.interp(np.log(max(span, 1.0)), np.log(spans), weights))


def span_of(hole: np.ndarray) -> int:
    """The larger side of the hole's bounding box, px."""
    ys, xs = np.nonzero(hole)
    return int(max(np.ptp(ys), np.ptp(xs))) + 1 if len(ys) else 0


def blend(crop: np.ndarray, hole: np.ndarray, span: float | None = None
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(blend, harmonic, biharmonic) fills of `hole` in `crop`, float32; the blend's weight
    by `span` (the hole's own span when not given)."""
    h = fill(crop, hole)
    b = biharmonic(crop, hole)
    w = blend_weight(span if span is not None else span_of(hole))
    return (w * b + (1.0 - w) * h).astype(np.float32), h, b
