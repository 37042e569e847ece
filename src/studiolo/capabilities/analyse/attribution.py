"""Artist attribution with calibrated probabilities and an honest "unknown".

The rule: a work belongs most likely to the artist whose nearest work is most similar
under the learned metric (`metric.py`); the distances to each artist's nearest work
become probabilities by a softmax at temperature T. Everything is learned from the
collection by leave-one-out (each work in turn is left out and attributed by the rest):

- the block weights: the grid point with the best leave-one-out top-1 accuracy, ties
  broken by the lowest log-loss;
- T: temperature scaling (Guo, Pleiss, Sun & Weinberger 2017, "On Calibration of
  Modern Neural Networks", ICML) on the leave-one-out distances (`NESTED_TEMPERATURE`:
  or under the weighting each work would have got without it, `nested_choice`; tried,
  worse here);
- "unknown": `novelty.py` (the distance to the nearest work, or its ratio to the
  second-nearest artist's, under a metric of its own, against the `UNKNOWN_QUANTILE`
  of the collection's own leave-one-out scores, with out-of-collection works simulated
  by leaving each artist out).

The probabilities are conditional on the artist being one of the collection's; the
unknown verdict says how likely that is. Calibration is reported as expected
calibration error over 10 equal-width bins of the top-1 probability (Naeini, Cooper &
Hauskrecht 2015). Measured on ../shared/artworks by benchmarks/attribution.py
(figures in docs/analysis.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from studiolo.core.errors import InvalidArgument

from .index import CollectionIndex
from .metric import BLOCKS, BlockScale, combine, fit_scales, weight_grid
from .novelty import K as NOVELTY_K
from .novelty import Novelty, distance_ratio, fit_novelty, knn_distance
from .results import jsonable
from .search import NearestSearch
from .tiles import GRID as TILE_GRID
from .tiles import MIN_ARTISTS as TILE_MIN_ARTISTS
from .tiles import TileAttribution, bag_of

UNKNOWN_QUANTILE = 0.85
FIT_SAMPLE = 3000  # works the leave-one-out fit looks at in a large collection
SEARCH_K = 200  # rows made exact after the reduced pass, past EXACT_LIMIT works
SHOWN = 5
DEFAULT_T = 0.05  # the temperature when nothing can be calibrated (no artist has 2 works)
ECE_BINS = 10
SEED = 0
SELECT = "accuracy"  # how the block weights are chosen: "accuracy" or "nll"
# Fit T on the nested-choice distances (`nested_choice`)? Off: on ../shared/artworks it
# made T warmer and the probabilities, already a little under-confident there, worse
# (ECE 0.228 against 0.190, benchmarks/attribution.py; docs/analysis.md).
NESTED_TEMPERATURE = False
TILE_KIND = "tiles"
# The probabilities come from the tile discriminant (tiles.py) when the collection has the
# tiles kind and can calibrate it: on ../shared/artworks, nested, top-1 76.9% against 64.1%
# (ECE 0.224 against 0.190, both inside their bootstrap intervals; benchmarks/attribution.py,
# docs/analysis.md). The unknown verdict stays the novelty metric's: the tile distance
# caught fewer outsiders (47.3% at 17.9% of known works, against 50.9% at 15.4%). Older
# collections keep the block metric.
USE_TILES = True


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
    unknown_rate_out: float  # of every work with its artist left out, the share called unknown
    weights: dict[str, float]
    novelty_weights: dict[str, float]
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


def logsumexp(z: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """log(sum(exp(z))) along an axis, stable (scipy's costs 100x more per small call)."""
    top = np.max(z, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    out = np.log(np.sum(np.exp(z - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=axis)


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


TEMPERATURES = np.geomspace(1e-3, 2.0, 64)


def nll_on_grid(distances: np.ndarray, truth: np.ndarray) -> float:
    """The lowest mean NLL over a log grid of temperatures (a cheap score for comparing
    weightings; the chosen one is then fitted exactly by `fit_temperature`)."""
    z = -distances[None, :, :] / TEMPERATURES[:, None, None]  # (T, Q, A)
    picked = z[:, np.arange(len(truth)), truth]
    return float((logsumexp(z, axis=2) - picked).mean(axis=1).min())


def _hits(d: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(Q,) whether each query's true artist ranks first under a weighting's distances."""
    # (Reciprocal rank, or top-1 plus half top-3, chose the same on ../shared/artworks.)
    rank = (d < d[np.arange(len(truth)), truth][:, None]).sum(axis=1)  # 0 = first
    return rank == 0


def _criterion(d: np.ndarray, truth: np.ndarray) -> float:
    """How well a weighting ranks the true artists in leave-one-out (higher is better)."""
    return float(np.mean(_hits(d, truth)))


def _query_nll(d: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(T, Q) negative log-likelihood of each query at each grid temperature."""
    z = -d[None, :, :] / TEMPERATURES[:, None, None]
    return (logsumexp(z, axis=2) - z[:, np.arange(len(truth)), truth]).astype(np.float32)


def nested_choice(hits: np.ndarray, nll: np.ndarray) -> np.ndarray:
    """(Q,) the weighting each query would get if it had not been there to choose it.

    `hits` is (W, Q) top-1 hits and `nll` (W, T, Q) log-losses of every weighting. The
    weighting that is finally shipped is chosen on every query (best accuracy, then the
    lowest log-loss), so the distances it gives those very queries are optimistic: a
    temperature fitted on them is too cold, the probabilities over-confident. Choosing again for
    each query without it (the same rule on the other Q - 1) gives the distances a new
    work would see: nested cross-validation (Varma & Simon 2006, "Bias in error
    estimation when using cross-validation for model selection", BMC Bioinformatics 7:91;
    Cawley & Talbot 2010, JMLR 11) applied to the temperature of Guo et al. 2017.
    """
    _, q = hits.shape
    if q < 2:
        return np.zeros(q, np.int64)
    acc = (hits.sum(axis=1, keepdims=True) - hits) / (q - 1)  # (W, Q), query left out
    loss = ((nll.sum(axis=2, keepdims=True) - nll) / (q - 1)).min(axis=1)  # (W, Q)
    best = acc.max(axis=0, keepdims=True)
    loss = np.where(acc >= best - 1e-12, loss, np.inf) if SELECT != "nll" else loss
    return np.argmin(loss, axis=0)


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
        self.report, self.weights, self.temperature, self.novelty = self._fit(units)
        self.threshold, self.reference = self.novelty.threshold, self.novelty.reference
        self.matrix = combine(units, self.weights)
        self.novelty_matrix = combine(units, self.novelty.weights)
        self.search = NearestSearch(self.matrix)
        self.novelty_search = NearestSearch(self.novelty_matrix)
        self.row_of = {w.sha256: i for i, w in enumerate(works)}
        self.tiles = self._fit_tiles(index, keep)
        self.method = "tiles" if self.tiles is not None else "blocks"
        self.by_artist = np.argsort(self.labels, kind="stable")
        self.artist_starts = np.searchsorted(self.labels[self.by_artist],
                                             np.arange(len(self.artists)))

    # -- fitting --------------------------------------------------------------------------
    def _fit_tiles(self, index: CollectionIndex, keep: np.ndarray) -> TileAttribution | None:
        kinds = getattr(index, "kinds", ())
        if not USE_TILES or TILE_KIND not in kinds or len(self.artists) < TILE_MIN_ARTISTS \
                or self.report.queries == 0:
            return None
        flat = np.asarray(index.vectors(TILE_KIND))[keep]
        self.tile_size = flat.shape[1] // (TILE_GRID * TILE_GRID)
        try:
            return TileAttribution([bag_of(f, self.tile_size) for f in flat], self.labels,
                                   len(self.artists))
        except InvalidArgument:
            return None

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
            novelty = Novelty(weights, threshold, np.sort(nearest), float("nan"), float("nan"))
            report = FitReport(0, float("nan"), float("nan"), float("nan"), float("nan"),
                               float("nan"), float("nan"), weights, weights, DEFAULT_T,
                               threshold)
            return report, weights, DEFAULT_T, novelty
        truth = labels[queries]
        scored = []
        for weights in weight_grid():
            total = sum(weights.values())
            s = sum(sims[k][queries] * (w / total) for k, w in weights.items() if w > 0)
            d = artist_distances(s, labels, len(self.artists))
            d = np.where(np.isfinite(d), d, 2.0)  # an artist with no other work: as far as can be
            scored.append((_criterion(d, truth), weights, d))
        # Leave-one-out accuracy first; among the weightings that tie (there are many with a
        # few dozen works), the lowest log-loss after temperature scaling.
        top = max(a for a, _, _ in scored)
        best = None
        for a, weights, d in scored:
            if SELECT != "nll" and a < top:
                continue
            nll = nll_on_grid(d, truth)
            if best is None or nll < best[0] - 1e-9:
                best = (nll, weights, d)
        _, weights, d = best
        # The temperature is fitted on the distances of the nested choice (see
        # `nested_choice`), not on those of the shipped weighting, which saw every query.
        if NESTED_TEMPERATURE:
            hits = np.stack([_hits(dd, truth) for _, _, dd in scored])
            losses = np.stack([_query_nll(dd, truth) for _, _, dd in scored])
            choice = nested_choice(hits, losses)
            honest = np.stack([scored[c][2][i] for i, c in enumerate(choice)])
            t, _ = fit_temperature(honest, truth)
            z = -d / t
            nll = float(np.mean(logsumexp(z, axis=1) - z[np.arange(len(truth)), truth]))
            d = honest  # the fit report shows what a new work would see
        else:
            t, nll = fit_temperature(d, truth)
        probs = softmax_rows(d, t)
        order = np.argsort(-probs, axis=1)
        top1 = float(np.mean(order[:, 0] == truth))
        top3 = float(np.mean([y in o[:3] for y, o in zip(truth, order, strict=True)]))
        novelty = fit_novelty(sims, labels, UNKNOWN_QUANTILE, weights)
        report = FitReport(len(queries), top1, top3, ece(probs.max(1), order[:, 0] == truth),
                           nll, novelty.in_rate, novelty.out_rate, weights, novelty.weights, t,
                           novelty.threshold)
        return report, weights, t, novelty

    # -- querying -------------------------------------------------------------------------
    def query_vector(self, vectors: Mapping[str, np.ndarray],
                     weights: Mapping[str, float] | None = None) -> np.ndarray:
        units = {k: self.scales[k].apply(np.asarray(vectors[k], np.float32)[None]) for k in BLOCKS}
        return combine(units, weights or self.weights)[0]

    def novelty_distance(self, vectors: Mapping[str, np.ndarray],
                         exclude: Collection[str] = ()) -> float:
        """Distance to the nearest work under the novelty metric (the unknown score)."""
        q = self.query_vector(vectors, self.novelty.weights)
        sims = self.novelty_search.approximate(q, SEARCH_K)[None]
        sims[0, self._banned(exclude)] = -np.inf
        return float(knn_distance(sims, NOVELTY_K)[0]) if sims.size else float("inf")

    def unknown_score(self, vectors: Mapping[str, np.ndarray],
                      exclude: Collection[str] = ()) -> float:
        """The novelty score of the kind the fit chose (higher: less like the collection)."""
        if self.novelty.kind == "ratio":
            table, _ = self.distances(vectors, exclude, novelty=True)
            ratio = float(distance_ratio(table[None])[0])
            return ratio if np.isfinite(ratio) else 1.0
        return self.novelty_distance(vectors, exclude)

    def distances(self, vectors: Mapping[str, np.ndarray], exclude: Collection[str] = (),
                  novelty: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """((A,) distance to each artist's nearest work, (A,) row of that work), under the
        attribution metric (or the novelty metric)."""
        q = self.query_vector(vectors, self.novelty.weights if novelty else None)
        search = self.novelty_search if novelty else self.search
        sims = search.approximate(q, SEARCH_K)
        sims[self._banned(exclude)] = -np.inf
        # Per artist, the most similar work: rows grouped by artist once, at fit time.
        grouped = sims[self.by_artist]
        best = np.maximum.reduceat(grouped, self.artist_starts)
        where = self.by_artist[self.artist_starts + np.array(
            [int(np.argmax(grouped[a:b])) for a, b in zip(
                self.artist_starts, np.append(self.artist_starts[1:], len(grouped)),
                strict=True)], np.int64)]
        dist = 1.0 - best
        where = np.where(np.isfinite(dist), where, -1)
        if np.isfinite(dist).any():  # an artist whose works are all left out: as far as the last
            dist[~np.isfinite(dist)] = np.nanmax(np.where(np.isfinite(dist), dist, np.nan))
        return dist, where

    def _banned(self, exclude: Collection[str]) -> np.ndarray:
        """Row numbers of the works keyed in `exclude` (those in the model)."""
        return np.array([self.row_of[s] for s in exclude if s in self.row_of], np.int64)

    def attribute(self, vectors: Mapping[str, np.ndarray],
                  exclude: Collection[str] = ()) -> Attribution:
        """The most likely artists of a work (its vectors by kind), or "unknown"."""
        if self.tiles is not None and TILE_KIND in vectors:
            dist, where = self.tiles.distances(bag_of(vectors[TILE_KIND], self.tile_size),
                                               self._banned(exclude))
            temperature = self.tiles.temperature
        else:
            dist, where = self.distances(vectors, exclude)
            temperature = self.temperature
        probs = softmax_rows(dist[None], temperature)[0]
        order = np.argsort(-probs, kind="stable")
        candidates = tuple(
            ArtistScore(self.artists[a], float(probs[a]), float(dist[a]),
                        self.counts[self.artists[a]],
                        (self.works[where[a]].title or self.works[where[a]].file)
                        if where[a] >= 0 else "")
            for a in order[:SHOWN])
        nearest = self.unknown_score(vectors, exclude)
        percentile = float(np.mean(self.reference < nearest)) if self.reference.size else 1.0
        unknown = bool(nearest > self.threshold)
        return Attribution(self.collection, candidates, bool(unknown), nearest, self.threshold,
                           percentile, self._verdict(candidates, unknown, percentile),
                           tuple(self._notes(candidates)))

    def _verdict(self, candidates: tuple[ArtistScore, ...], unknown: bool, pct: float) -> str:
        best = candidates[0]
        if unknown and self.novelty.kind == "ratio":
            return (f"Unknown: this work is about as close to its second-nearest artist in "
                    f"{self.collection!r} as to its nearest, less distinctly one artist's than "
                    f"{pct:.0%} of the collection's own works are, so its artist is probably not "
                    f"in the collection; if it is, {best.artist} is the likeliest "
                    f"({best.probability:.0%}).")
        if unknown:
            return (f"Unknown: this work is farther from every work in {self.collection!r} than "
                    f"{pct:.0%} of the collection's own works are from their nearest neighbour, "
                    "so its artist is probably not in the collection; if it is, "
                    f"{best.artist} is the likeliest ({best.probability:.0%}).")
        where = ("well inside the collection" if pct < 0.5 else
                 f"inside the collection but near its edge (farther out than {pct:.0%} of its "
                 "own works)")
        return f"Most likely {best.artist} ({best.probability:.0%}); the work sits {where}."

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
