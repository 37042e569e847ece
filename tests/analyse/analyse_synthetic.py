"""Synthetic collections: artists as clusters in every embedding, for fast exact tests."""

from __future__ import annotations

import numpy as np

from studiolo.capabilities.analyse.figures import NAMES
from studiolo.capabilities.analyse.index import NumpyIndex, Work

DIMS = {"content": 16, "detail": 16, "style": 8, "brush": 8, "colour": 8,
        "figures": len(NAMES)}


def centres(n_artists: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: rng.normal(size=(n_artists, d)) * 3 for k, d in DIMS.items()}


def sample(centre: dict[str, np.ndarray], a: int, rng, noise: float = 0.4
           ) -> dict[str, np.ndarray]:
    return {k: (c[a] + noise * rng.normal(size=c.shape[1])).astype(np.float32)
            for k, c in centre.items()}


def collection(works_per_artist: list[int], seed: int = 0, name: str = "synthetic",
               noise: float = 0.4) -> tuple[NumpyIndex, dict[str, np.ndarray]]:
    """An index with len(works_per_artist) artists ("Artist 0", ...) and their centres."""
    centre = centres(len(works_per_artist), seed)
    rng = np.random.default_rng(seed + 1)
    works, rows = [], []
    for a, n in enumerate(works_per_artist):
        for i in range(n):
            works.append(Work(f"{a:032x}{i:032x}", f"a{a}-{i}.png", f"Artist {a}",
                              f"Work {a}.{i}", str(1500 + 60 * a + i)))
            rows.append(sample(centre, a, rng, noise))
    index = NumpyIndex(name)
    index.add(works, {k: np.stack([r[k] for r in rows]) for k in DIMS})
    return index, centre
