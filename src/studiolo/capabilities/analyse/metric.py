"""The learned metric: each embedding made comparable, then weighed by what the collection
itself says tells its artists apart.

Each block (embedding kind) becomes unit vectors: the network features (content,
detail) as they are, the hand-made ones (style, brush) z-scored with the collection's
own means and spreads first, so that no single figure dominates. The similarity of
two works is the weighted mean of their blocks' cosine similarities; the weights are
the grid point with the lowest leave-one-out log-loss of the nearest-artist rule on
the collection (`attribution.fit_attribution`), an instance of metric selection by
cross-validation (Stone 1974). The combined vector (blocks scaled by the square roots
of the weights) has that similarity as its dot product, so one nearest-neighbour
search serves it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .search import normalise_rows

BLOCKS = ("content", "detail", "style", "brush", "colour")
Z_SCORED = frozenset({"style", "brush"})
GRID = (0.0, 0.5, 1.0)


@dataclass(frozen=True)
class BlockScale:
    """How one block's raw vectors become unit vectors (mean/std are None when unscaled)."""

    mean: np.ndarray | None
    std: np.ndarray | None

    def apply(self, matrix: np.ndarray) -> np.ndarray:
        m = np.asarray(matrix, np.float32)
        if self.mean is not None:
            m = (m - self.mean) / self.std
        return normalise_rows(m)


def fit_scales(vectors: Mapping[str, np.ndarray]) -> dict[str, BlockScale]:
    scales = {}
    for kind in BLOCKS:
        if kind in Z_SCORED:
            m = np.asarray(vectors[kind], np.float64)
            std = m.std(0)
            # A constant figure (std 0) carries nothing: divide by 1, it is centred to 0.
            scales[kind] = BlockScale(m.mean(0).astype(np.float32),
                                      np.where(std > 1e-8, std, 1.0).astype(np.float32))
        else:
            scales[kind] = BlockScale(None, None)
    return scales


def weight_grid() -> list[dict[str, float]]:
    """Every weighting of the blocks on GRID except all-zero, content-only first."""
    grid = []
    for combo in itertools.product(GRID, repeat=len(BLOCKS)):
        if any(combo):
            grid.append(dict(zip(BLOCKS, combo, strict=True)))
    return sorted(grid, key=lambda w: (sum(v > 0 for v in w.values()), -w["content"]))


def combine(units: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """(N, sum D) vectors whose dot products are the weighted mean block similarities."""
    total = sum(weights.values())
    parts = [units[k] * np.float32(np.sqrt(weights[k] / total)) for k in BLOCKS if weights[k] > 0]
    return np.ascontiguousarray(np.concatenate(parts, axis=1), dtype=np.float32)
