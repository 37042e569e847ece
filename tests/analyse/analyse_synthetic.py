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


TILE_DIMS = 12


def tile_bag(centre: np.ndarray, rng, tiles: int = 9) -> np.ndarray:
    """A flattened bag of `tiles` rows around an artist's tile centre (a work's own offset
    shared by its tiles, plus noise per tile)."""
    work = centre + 0.5 * rng.normal(size=centre.size)
    return (work + 0.3 * rng.normal(size=(tiles, centre.size))).astype(np.float32).ravel()


def collection_with_tiles(works_per_artist: list[int], seed: int = 0
                          ) -> tuple[NumpyIndex, dict[str, np.ndarray], np.ndarray]:
    """`collection` plus a "tiles" kind (9 rows of TILE_DIMS per work); also the tile centres."""
    index, centre = collection(works_per_artist, seed)
    rng = np.random.default_rng(seed + 2)
    tile_centres = rng.normal(size=(len(works_per_artist), TILE_DIMS)) * 3
    bags = [tile_bag(tile_centres[a], rng) for a, n in enumerate(works_per_artist)
            for _ in range(n)]
    out = NumpyIndex(index.name)
    out.add(index.list(), {**{k: index.vectors(k) for k in DIMS}, "tiles": np.stack(bags)})
    return out, centre, tile_centres
