"""Artist attribution with calibrated probabilities and an honest "unknown".

The rule: a work belongs most likely to the artist whose nearest work is most similar
under the learned metric (`metric.py`); the distances to each artist's nearest work
become probabilities by a softmax at temperature T. Everything is learned from the
collection by leave-one-out (each work in turn is left out and attributed by the rest):

- the block weights: the grid point with the lowest leave-one-out log-loss;
- T: temperature scaling (Guo, Pleiss, Sun & Weinberger 2017, "On Calibration of
  Modern Neural Networks", ICML) on the leave-one-out distances;
- "unknown": a work is called unknown when its nearest artist is farther from it than
  `UNKNOWN_QUANTILE` of the collection's works are from their own artist's nearest
  other work, the collection's own spread (a split-conformal threshold, Vovk, Gammerman
  & Shafer 2005: a work by a known artist is called unknown about 1 - q of the time).

Calibration is reported as expected calibration error over 10 equal-width bins of the
top-1 probability (Naeini, Cooper & Hauskrecht 2015). Measured on ../shared/artworks
by benchmarks/attribution.py (figures in docs/analysis.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp

from .index import CollectionIndex
from .metric import BLOCKS, BlockScale, combine, fit_scales, weight_grid
from .results import jsonable
from .search import EXACT_LIMIT, NearestSearch

UNKNOWN_QUANTILE = 0.85
FIT_SAMPLE = 3000  # works the leave-one-out fit looks at in a large collection
SEARCH_K = 500  # neighbours read per query in a collection over EXACT_LIMIT works
SHOWN = 5
DEFAULT_T = 0.05  # the temperature when nothing can be calibrated (no artist has 2 works)
ECE_BINS = 10
SEED = 0


@dataclass(frozen=True)
class ArtistScore:
    artist: str
    probability: float
    distance: float  # 1 - cosine similarity to the artist's nearest work, learned metric
    works: int  # the artist's works in the collection
    nearest: str  # title (or file) of that nearest work


@dataclass(frozen=True)
class Attribution:
    collection: str
    candidates: tuple[ArtistScore, ...]  # best first
    unknown: bool
    distance: float  # to the nearest artist's nearest work
    threshold: float
    spread_percentile: float  # share of the collection's own-artist distances below distance
    verdict: str
    notes: tuple[str, ...]

    def to_json(self) -> dict:
        out = jsonable(self)
        out["attribution"] = [{"artist": c.artist, "probability": round(c.probability, 4)}
                              for c in self.candidates]
        return out


@dataclass(frozen=True)
class FitReport:
    """Leave-one-out figures of a fitted model on its own collection."""

    queries: int  # works whose artist has another work (the only ones that can be right)
    top1: float
    top3: float
    ece: float
    nll: float
    unknown_rate: float  # of those works, the share called unknown
    weights: dict[str, float]
    temperature: float
    threshold: float

    def to_json(self) -> dict:
        return jsonable(self)


def ece(confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error of top-1 confidences over equal-width bins."""
    confidence, correct = np.asarray(confidence, float), np.asarray(correct, float)
    if confidence.size == 0:
        return float("nan")
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            total += members.mean() * abs(correct[members].mean() - confidence[members].mean())
    return float(total)


def softmax_rows(distances: np.ndarray, temperature: float) -> np.ndarray:
    z = -np.asarray(distances, np.float64) / temperature
    return np.exp(z - logsumexp(z, axis=1, keepdims=True))


def fit_temperature(distances: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(T, mean negative log-likelihood) minimising the NLL of softmax(-d / T)."""
    rows = np.arange(len(truth))

    def nll(log_t: float) -> float:
        z = -distances / np.exp(log_t)
        return float(np.mean(logsumexp(z, axis=1) - z[rows, truth]))

    best = minimize_scalar(nll, bounds=(np.log(1e-3), np.log(2.0)), method="bounded",
                           options={"xatol": 1e-4})
    return float(np.exp(best.x)), float(best.fun)


def artist_distances(sims: np.ndarray, labels: np.ndarray, n_artists: int) -> np.ndarray:
    """(Q, A) 1 - the best similarity to each artist's works (-inf entries are skipped)."""
    best = np.full((sims.shape[0], n_artists), -np.inf)
    for a in range(n_artists):
        cols = np.flatnonzero(labels == a)
        if cols.size:
            best[:, a] = sims[:, cols].max(axis=1)
    return 1.0 - best


class AttributionModel:
    """A metric, temperature and threshold fitted on one collection (less `exclude`)."""

    def __init__(self, index: CollectionIndex, exclude: Collection[str] = ()) -> None:
        works = [w for w in index.list() if w.sha256 not in set(exclude)]
        self.collection = index.name
        self.works = works
        keep = np.array([w.sha256 not in set(exclude) for w in index.list()], bool)
        raw = {k: np.asarray(index.vectors(k))[keep] for k in BLOCKS}
        self.artists = sorted({w.artist for w in works})
        code = {a: i for i, a in enumerate(self.artists)}
        self.labels = np.array([code[w.artist] for w in works], np.int64)
        self.counts = Counter(w.artist for w in works)
        self.scales: dict[str, BlockScale] = fit_scales(raw)
        units = {k: self.scales[k].apply(raw[k]) for k in BLOCKS}
        self.report, self.weights, self.temperature, self.threshold, self.reference = \
            self._fit(units)
        self.matrix = combine(units, self.weights)
        self.search = NearestSearch(self.matrix) if len(works) > EXACT_LIMIT else None

    # -- fitting --------------------------------------------------------------------------
    def _fit(self, units: Mapping[str, np.ndarray]):
        n = len(self.works)
        rows = np.arange(n)
        if n > FIT_SAMPLE:
            rows = np.sort(np.random.default_rng(SEED).choice(n, FIT_SAMPLE, replace=False))
        labels = self.labels[rows]
        sims = {k: units[k][rows] @ units[k][rows].T for k in BLOCKS}
        for s in sims.values():
            np.fill_diagonal(s, -np.inf)  # leave-one-out: a work never sees itself
        sizes = np.bincount(labels, minlength=len(self.artists))
        queries = np.flatnonzero(sizes[labels] >= 2)
        if queries.size == 0:
            weights = {k: 1.0 if k == "content" else 0.0 for k in BLOCKS}
            nearest = 1.0 - sims["content"].max(axis=1) if n > 1 else np.array([0.0])
            threshold = float(np.quantile(nearest, UNKNOWN_QUANTILE))
            report = FitReport(0, float("nan"), float("nan"), float("nan"), float("nan"),
                               float("nan"), weights, DEFAULT_T, threshold)
            return report, weights, DEFAULT_T, threshold, np.sort(nearest)
        best = None
        for weights in weight_grid():
            total = sum(weights.values())
            s = sum(sims[k][queries] * (w / total) for k, w in weights.items() if w > 0)
            d = artist_distances(s, labels, len(self.artists))
            d = np.where(np.isfinite(d), d, 2.0)  # an artist with no other work: as far as can be
            t, nll = fit_temperature(d, labels[queries])
            if best is None or nll < best[0] - 1e-9:
                best = (nll, weights, t, d)
        nll, weights, t, d = best
        truth = labels[queries]
        probs = softmax_rows(d, t)
        order = np.argsort(-probs, axis=1)
        top1 = float(np.mean(order[:, 0] == truth))
        top3 = float(np.mean([y in o[:3] for y, o in zip(truth, order, strict=True)]))
        own = d[np.arange(len(truth)), truth]  # distance to the own artist's nearest other work
        threshold = float(np.quantile(own, UNKNOWN_QUANTILE))
        unknown_rate = float(np.mean(d.min(axis=1) > threshold))
        report = FitReport(int(len(queries)), top1, top3, ece(probs.max(1), order[:, 0] == truth),
                           nll, unknown_rate, weights, t, threshold)
        return report, weights, t, threshold, np.sort(own)

    # -- querying -------------------------------------------------------------------------
    def query_vector(self, vectors: Mapping[str, np.ndarray]) -> np.ndarray:
        units = {k: self.scales[k].apply(np.asarray(vectors[k], np.float32)[None]) for k in BLOCKS}
        return combine(units, self.weights)[0]

    def distances(self, vectors: Mapping[str, np.ndarray],
                  exclude: Collection[str] = ()) -> tuple[np.ndarray, np.ndarray]:
        """((A,) distance to each artist's nearest work, (A,) row of that work)."""
        q = self.query_vector(vectors)
        banned = np.array([w.sha256 in set(exclude) for w in self.works], bool)
        if self.search is None:
            sims = self.matrix @ q
            sims[banned] = -np.inf
            rows = np.arange(len(sims))
        else:
            hits = self.search.search(q, SEARCH_K, banned)
            rows = np.array([h.row for h in hits], np.int64)
            sims = np.array([h.similarity for h in hits])
        dist = np.full(len(self.artists), np.inf)
        where = np.full(len(self.artists), -1, np.int64)
        order = np.argsort(-sims, kind="stable")
        order = order[np.isfinite(sims[order])]
        # The first row of each artist in similarity order is that artist's nearest work.
        found, first = np.unique(self.labels[rows[order]], return_index=True)
        dist[found] = 1.0 - sims[order[first]]
        where[found] = rows[order[first]]
        if np.isfinite(dist).any():  # artists beyond the neighbours read: as far as the last
            dist[~np.isfinite(dist)] = np.nanmax(np.where(np.isfinite(dist), dist, np.nan))
        return dist, where

    def attribute(self, vectors: Mapping[str, np.ndarray],
                  exclude: Collection[str] = ()) -> Attribution:
        """The most likely artists of a work (its vectors by kind), or "unknown"."""
        dist, where = self.distances(vectors, exclude)
        probs = softmax_rows(dist[None], self.temperature)[0]
        order = np.argsort(-probs, kind="stable")
        candidates = tuple(
            ArtistScore(self.artists[a], float(probs[a]), float(dist[a]),
                        self.counts[self.artists[a]],
                        (self.works[where[a]].title or self.works[where[a]].file)
                        if where[a] >= 0 else "")
            for a in order[:SHOWN])
        nearest = float(dist[order[0]]) if candidates else float("inf")
        percentile = float(np.mean(self.reference < nearest)) if self.reference.size else 1.0
        unknown = nearest > self.threshold
        return Attribution(self.collection, candidates, bool(unknown), nearest, self.threshold,
                           percentile, self._verdict(candidates, unknown, percentile),
                           tuple(self._notes(candidates)))

    def _verdict(self, candidates: tuple[ArtistScore, ...], unknown: bool, pct: float) -> str:
        best = candidates[0]
        if unknown:
            return (f"Unknown: the closest artist, {best.artist}, is farther from this work than "
                    f"{pct:.0%} of the works in {self.collection!r} are from their own artist's "
                    "other works, so its artist is probably not in the collection.")
        return (f"Most likely {best.artist} ({best.probability:.0%}); the work is as close to "
                f"{best.artist}'s works as {1 - pct:.0%} of the collection's works are to their "
                "own artist's.")

    def _notes(self, candidates: tuple[ArtistScore, ...]) -> list[str]:
        notes = []
        if len(self.artists) == 1:
            notes.append(f"Collection {self.collection!r} holds works by one artist only "
                         f"({self.artists[0]}), so the probability of 100% compares that artist "
                         "with no one; only the unknown verdict says something.")
        if self.report.queries == 0:
            notes.append(f"Every artist in collection {self.collection!r} has one work, so the "
                         "probabilities are not calibrated (no work could be left out and "
                         "attributed by another of its artist's works).")
        best = candidates[0]
        if best.works == 1 and len(self.artists) > 1:
            notes.append(f"{best.artist} has one work in the collection, so this rests on a "
                         "single picture.")
        elif best.works < 5 and len(self.artists) > 1:
            notes.append(f"{best.artist} has only {best.works} works in the collection: a weak "
                         "basis for a verdict.")
        return notes


def fit_attribution(index: CollectionIndex, exclude: Collection[str] = ()) -> AttributionModel:
    """An attribution model learned from `index` (less the works keyed in `exclude`)."""
    return AttributionModel(index, exclude)
