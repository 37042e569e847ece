"""A bag of tiles per work, and a metric learned from them that tells artists apart.

Features: the picture is brought to `TILE_SIDE` px on its long side (never enlarged past
its own size, unless a side is under one tile), and a `GRID` x `GRID` grid of `TILE` px
squares, evenly spaced, goes through EfficientNet-Lite0 (the shared content network,
`features.content`): one 1280-d vector per tile. At that scale a tile holds a few hands or
a tree's crown, the scale where touch and handling show (patches carry artist identity:
van Noord, Hendriks & Postma 2015, "Toward discovery of the artist's style", IEEE Signal
Processing Magazine 32(4)). Finer tiles (1600 px) and the Magenta style vector of tiles
were tried on ../shared/artworks and told artists apart less well (benchmarks/attribution.py).

Metric: Fisher's linear discriminant (Fisher 1936; regularised as Friedman 1989, "Regularized
discriminant analysis", JASA 84) fitted on the tiles of a collection: the tiles are
z-scored, projected on their first `PCA` principal axes, and the directions that
maximise between-artist over within-artist scatter are kept (at most artists - 1). The
within-artist scatter comes from tiles, so a collection with a few works per artist still
has hundreds of samples of how one artist's tiles vary; the ridge `RIDGE` (a share of the
mean within-artist variance) keeps it invertible. A work is the mean of its projected
tiles; works are compared by cosine. Distances in that space are relative to the spread
within artists by construction, which is what the unknown decision needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from PIL import Image

from studiolo.core.errors import InvalidArgument

TILE = 224
GRID = 3
TILE_SIDE = 800
PCA = 64
RIDGE = 0.3
MIN_ARTISTS = 3


def tile_grid(image: Image.Image, tile: int = TILE, grid: int = GRID,
              side: int = TILE_SIDE) -> list[Image.Image]:
    """Up to grid x grid squares of `tile` px, evenly spaced over the picture at `side` px."""
    image = image.convert("RGB")
    w, h = image.size
    scale = min(1.0, side / max(w, h))
    if min(w, h) * scale < tile:  # too small for one tile: the short side becomes one
        scale = tile / min(w, h)
    size = (max(tile, round(w * scale)), max(tile, round(h * scale)))
    if size != image.size:
        image = image.resize(size, Image.Resampling.LANCZOS if scale < 1
                             else Image.Resampling.BICUBIC)
    w, h = image.size
    nx, ny = min(grid, max(1, w // tile)), min(grid, max(1, h // tile))
    xs = np.linspace(0, w - tile, nx).round().astype(int) if nx > 1 else [(w - tile) // 2]
    ys = np.linspace(0, h - tile, ny).round().astype(int) if ny > 1 else [(h - tile) // 2]
    return [image.crop((int(x), int(y), int(x) + tile, int(y) + tile)) for y in ys for x in xs]


def tile_features(image: Image.Image,
                  network: Callable[[Image.Image], np.ndarray] | None = None) -> np.ndarray:
    """(tiles, D) float32 features of the tile grid; `network` maps a tile to a vector (the
    default: the shared EfficientNet-Lite0 features)."""
    if network is None:
        from studiolo.features.content import image_features

        network = image_features
    rows = [np.nan_to_num(np.asarray(network(t), np.float32).ravel()) for t in tile_grid(image)]
    return np.stack(rows).astype(np.float32)


@dataclass(frozen=True)
class TileMetric:
    """z-score, principal axes and discriminant directions fitted on a collection's tiles."""

    mean: np.ndarray
    std: np.ndarray
    axes: np.ndarray  # (D, PCA)
    centre: np.ndarray  # (PCA,) mean of the projected training tiles
    directions: np.ndarray  # (PCA, k)

    def project(self, tiles: np.ndarray) -> np.ndarray:
        """(k,) unit vector of one work from its (tiles, D) features."""
        z = (np.atleast_2d(np.asarray(tiles, np.float64)) - self.mean) / self.std
        v = (((z @ self.axes) - self.centre) @ self.directions).mean(axis=0)
        return v / max(float(np.linalg.norm(v)), 1e-12)

    def project_all(self, bags: Sequence[np.ndarray]) -> np.ndarray:
        return np.stack([self.project(b) for b in bags]) if len(bags) else np.zeros(
            (0, self.directions.shape[1]))


def fit_tile_metric(bags: Sequence[np.ndarray], labels: np.ndarray, pca: int = PCA,
                    ridge: float = RIDGE) -> TileMetric:
    """The discriminant metric of works' tile bags with artist `labels` (see the module)."""
    labels = np.asarray(labels)
    artists = np.unique(labels)
    if len(bags) != len(labels):
        raise InvalidArgument(f"{len(bags)} tile bags were given for {len(labels)} labels; "
                              "give one bag per work.")
    if artists.size < MIN_ARTISTS:
        raise InvalidArgument(f"A tile metric needs works by at least {MIN_ARTISTS} artists, "
                              f"got {artists.size}.")
    tiles = np.concatenate([np.asarray(b, np.float64) for b in bags])
    owner = np.concatenate([np.full(len(b), lab) for b, lab in zip(bags, labels, strict=True)])
    mean = tiles.mean(axis=0)
    std = tiles.std(axis=0)
    std = np.where(std > 1e-6, std, 1.0)
    z = (tiles - mean) / std
    centre0 = z.mean(axis=0)
    _, _, vt = np.linalg.svd(z - centre0, full_matrices=False)
    k = min(pca, vt.shape[0])
    axes = vt[:k].T
    p = (z - centre0) @ axes
    centre = p.mean(axis=0)
    p -= centre
    means = np.stack([p[owner == a].mean(axis=0) for a in artists])
    within = sum((p[owner == a] - m).T @ (p[owner == a] - m)
                 for a, m in zip(artists, means, strict=True)) / len(p)
    within = within + ridge * np.trace(within) / k * np.eye(k)
    between = np.cov(means.T, bias=True) if len(means) > 1 else np.zeros((k, k))
    _, vectors = scipy.linalg.eigh(between, within)
    directions = vectors[:, ::-1][:, :min(k, artists.size - 1)]
    return TileMetric(mean, std, axes, centre0 @ axes + centre, directions)


INNER = 10  # folds inside a collection that give the leave-out distances T and the threshold use
UNKNOWN_QUANTILE = 0.85  # as attribution.UNKNOWN_QUANTILE: ~15% of known works called unknown
FIT_SAMPLE = 3000  # works the fit looks at in a large collection
SEED = 0


def artist_table(vectors: np.ndarray, labels: np.ndarray, query: np.ndarray,
                 n_artists: int) -> tuple[np.ndarray, np.ndarray]:
    """((A,) 1 - the best cosine of `query` to each artist's works (2.0: none), (A,) the row
    of that work (-1: none))."""
    sims = vectors @ query
    best = np.full(n_artists, -1.0)
    where = np.full(n_artists, -1, np.int64)
    for i in np.argsort(sims, kind="stable"):  # ascending: the best row of an artist wins last
        best[labels[i]], where[labels[i]] = sims[i], i
    return 1.0 - best, where


class TileAttribution:
    """The discriminant metric of a collection with its temperature and unknown threshold.

    The metric is fitted on every work; the temperature (Guo et al. 2017) and the threshold
    (the `UNKNOWN_QUANTILE` of known works' distances to their nearest artist, split-
    conformal) are fitted on leave-out distances: `INNER` folds of the collection, each
    scored by a metric refitted without it, so they are what a new work would see.
    """

    def __init__(self, bags: Sequence[np.ndarray], labels: np.ndarray, n_artists: int,
                 inner: int = INNER, quantile: float = UNKNOWN_QUANTILE) -> None:
        from .attribution import fit_temperature

        labels = np.asarray(labels, np.int64)
        rows = np.arange(len(bags))
        if rows.size > FIT_SAMPLE:
            rows = np.sort(np.random.default_rng(SEED).choice(rows.size, FIT_SAMPLE,
                                                             replace=False))
        self.n_artists = n_artists
        self.labels = labels
        self.metric = fit_tile_metric([bags[i] for i in rows], labels[rows])
        self.vectors = self.metric.project_all(bags)
        tables, truth = [], []
        for part in np.array_split(np.random.default_rng(SEED).permutation(rows), inner):
            rest = np.setdiff1d(rows, part)
            sizes = np.bincount(labels[rest], minlength=n_artists)
            scored = [i for i in part if sizes[labels[i]] >= 1]
            if not scored or np.unique(labels[rest]).size < MIN_ARTISTS:
                continue
            metric = fit_tile_metric([bags[i] for i in rest], labels[rest])
            vec = metric.project_all([bags[i] for i in rest])
            for i in scored:
                tables.append(artist_table(vec, labels[rest], metric.project(bags[i]),
                                           n_artists)[0])
                truth.append(labels[i])
        if not tables:
            raise InvalidArgument("A tile attribution needs artists with two or more works "
                                  "to calibrate on; this collection has none.")
        d, t = np.array(tables), np.array(truth)
        self.temperature, _ = fit_temperature(d, t)
        self.reference = np.sort(d.min(axis=1))
        self.threshold = float(np.quantile(self.reference, quantile))
        # Each artist's own spread: the median leave-out distance of its works to the
        # artist's nearest other work (the collection's median where an artist has none).
        own = d[np.arange(len(t)), t]
        fallback = float(np.median(own))
        self.spread = np.array([float(np.median(own[t == a])) if (t == a).any() else fallback
                                for a in range(n_artists)])
        relative = d.min(axis=1) / self.spread[d.argmin(axis=1)]
        self.relative_reference = np.sort(relative)
        self.relative_threshold = float(np.quantile(relative, quantile))

    def relative(self, distances: np.ndarray) -> float:
        """The distance to the nearest artist over that artist's own spread."""
        a = int(np.argmin(distances))
        return float(distances[a] / max(self.spread[a], 1e-9))

    def distances(self, tiles: np.ndarray, banned: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """((A,) distance to each artist's nearest work, (A,) its row) of one work's tiles;
        rows in `banned` are left out."""
        vectors, labels = self.vectors, self.labels
        keep = np.ones(len(labels), bool)
        if banned is not None and len(banned):
            keep[banned] = False
        d, where = artist_table(vectors[keep], labels[keep], self.metric.project(tiles),
                                self.n_artists)
        index = np.flatnonzero(keep)
        return d, np.where(where >= 0, index[np.maximum(where, 0)], -1)


def bag_of(flat: np.ndarray, size: int) -> np.ndarray:
    """(tiles, size) rows of a work's flattened tile vector (see `flat_tiles`)."""
    return np.asarray(flat, np.float32).reshape(-1, size)


def flat_tiles(rows: np.ndarray, tiles: int = GRID * GRID) -> np.ndarray:
    """A fixed-length vector of a work's tile rows: fewer rows than `tiles` repeat in turn
    (the bag's mean and spread are those of its own tiles, give or take a repeat)."""
    rows = np.asarray(rows, np.float32)
    return np.resize(rows, (tiles, rows.shape[1])).ravel()
