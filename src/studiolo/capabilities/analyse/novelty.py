"""The "unknown" decision: is the work's artist in the collection at all?

The score is the distance from the work to its nearest work in the collection under
a metric of its own (block weights chosen for this question, not for telling known
artists apart). Both sides of the question are simulated inside the collection, in
closed form from one similarity matrix:

- a work whose artist IS in the collection: each work of an artist with two or more
  works, left out; its score is the distance to its nearest other work;
- a work whose artist is NOT: each work with all of its artist's works left out; its
  score is the distance to its nearest work by another artist.

The threshold is the `quantile` of the first kind (so a work by a known artist is
called unknown about 1 - quantile of the time: a split-conformal guarantee, Vovk,
Gammerman & Shafer 2005, "Algorithmic Learning in a Random World"), and the weights
are the grid point that calls the most works of the second kind unknown at that
threshold (ties: the higher ROC area). This is open-set recognition (Scheirer, de
Rezende Rocha, Sapkota & Boult 2013, "Toward Open Set Recognition", IEEE PAMI 35(7))
with the unknown class simulated by leaving artists out.

Two scores are tried, and the same simulation picks one for each collection: "nearest",
the distance to the nearest work, and "ratio", the distance to the nearest artist's
nearest work over that to the second artist's (the nearest-neighbour distance ratio of
Mendes Junior et al. 2017, "Nearest neighbors distance ratio open-set classifier",
Machine Learning 106(3)): a work by a known artist is much closer to that artist than to
any other, an outsider sits about as far from its two nearest artists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from .metric import weight_grid

KINDS = ("nearest", "ratio")
K = 1  # neighbours the score averages over (k-NN distance, Ramaswamy et al. 2000)


@dataclass(frozen=True)
class Novelty:
    weights: dict[str, float]
    threshold: float
    reference: np.ndarray  # sorted in-collection scores (for percentiles)
    in_rate: float  # simulated in-collection works called unknown
    out_rate: float  # simulated out-of-collection works called unknown (nan: one artist)
    kind: str = "nearest"  # which score (KINDS)


def _auc(inside: np.ndarray, outside: np.ndarray) -> float:
    """P(an outside score > an inside score), ties counted half (Mann-Whitney U)."""
    ranks = rankdata(np.concatenate([inside, outside]))
    n_in, n_out = len(inside), len(outside)
    return float((ranks[n_in:].sum() - n_out * (n_out + 1) / 2) / (n_in * n_out))


def knn_distance(sim: np.ndarray, k: int) -> np.ndarray:
    """Mean distance to the k most similar columns of each row (-inf columns are absent;
    fewer than k present: the mean of those there are)."""
    k = max(1, min(k, sim.shape[1]))
    top = -np.partition(-sim, k - 1, axis=1)[:, :k]
    present = np.isfinite(top)
    count = present.sum(axis=1)
    total = np.where(present, 1.0 - top, 0.0).sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.inf)


def artist_table(sim: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(Q, A) distance to each artist's most similar work (inf: none present)."""
    out = np.full((sim.shape[0], int(labels.max()) + 1 if labels.size else 0), np.inf)
    for a in range(out.shape[1]):
        cols = np.flatnonzero(labels == a)
        if cols.size:
            out[:, a] = 1.0 - sim[:, cols].max(axis=1)
    return out


def distance_ratio(table: np.ndarray) -> np.ndarray:
    """(Q,) nearest artist's distance over the second's (nan: fewer than two artists)."""
    table = np.atleast_2d(table)
    if table.shape[1] < 2:
        return np.full(table.shape[0], np.nan)
    two = np.partition(table, 1, axis=1)[:, :2]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(two[:, 1] > 0, two[:, 0] / two[:, 1], 1.0)
    return np.where(np.isfinite(two[:, 1]), ratio, np.nan)


def scores(sim: np.ndarray, labels: np.ndarray, k: int = 1,
           kind: str = "nearest") -> tuple[np.ndarray, np.ndarray]:
    """(in-collection scores of works with a same-artist neighbour, out-of-collection
    scores of every work) from an (n, n) similarity matrix whose diagonal is -inf."""
    same = labels[:, None] == labels[None, :]
    sizes = np.bincount(labels)
    if kind == "ratio":
        inside = distance_ratio(artist_table(sim[sizes[labels] >= 2], labels))
        outside = distance_ratio(artist_table(np.where(same, -np.inf, sim), labels))
        return inside[np.isfinite(inside)], outside[np.isfinite(outside)]
    inside = knn_distance(sim[sizes[labels] >= 2], k)
    outside = knn_distance(np.where(same, -np.inf, sim), k)
    return inside, outside[np.isfinite(outside)]


def fit_novelty(sims: Mapping[str, np.ndarray], labels: np.ndarray, quantile: float,
                fallback: dict[str, float]) -> Novelty:
    """Weights, score kind and threshold of the unknown decision (see the module docstring)."""
    best = None
    artists = len(np.unique(labels))
    for weights in weight_grid():
        total = sum(weights.values())
        sim = sum(sims[k] * (w / total) for k, w in weights.items() if w > 0)
        for kind in KINDS if artists >= 3 else KINDS[:1]:
            inside, outside = scores(sim, labels, K, kind)
            if inside.size == 0:
                break
            threshold = float(np.quantile(inside, quantile))
            if outside.size == 0:  # one artist: nothing to tell apart, keep the fallback
                best = (0.0, 0.0, fallback, threshold, inside, float("nan"), "nearest")
                break
            out_rate = float(np.mean(outside > threshold))
            if best is not None and out_rate < best[0]:
                continue
            key = (out_rate, _auc(inside, outside))
            if best is None or key > best[:2]:
                best = (*key, weights, threshold, inside, out_rate, kind)
        if best is not None and np.isnan(best[5]):
            break
    if best is None:
        return Novelty(fallback, float("nan"), np.array([]), float("nan"), float("nan"))
    _, _, weights, threshold, inside, out_rate, kind = best
    return Novelty(weights, threshold, np.sort(inside), float(np.mean(inside > threshold)),
                   out_rate, kind)
