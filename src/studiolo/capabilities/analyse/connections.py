"""Connections: a map of a collection, the works that bridge two artists, and the nearest
works across periods.

- Map: the first two principal components (Pearson 1901; Hotelling 1933) of the works'
  combined vectors under the attribution metric. UMAP would need umap-learn, which the
  studio does not depend on; PCA is exact, deterministic and explains its axes (the
  share of variance of each is reported).
- Bridges: a work of artist A bridges to artist B when B's nearest work is more similar
  to it than A's own nearest other work is; the strength is the difference.
- Across periods: for each work, its most similar work dated at least `PERIOD_GAP` years
  apart; the closest such pairs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .attribution import AttributionModel
from .results import jsonable

PERIOD_GAP = 100
PERIOD_BIN = 50  # years per period colour on the map
MAX_POINTS = 5000  # the map shows a sample of larger collections
SHOWN = 8
SEED = 0
_CENTURY = re.compile(r"(\d{1,2})(?:st|nd|rd|th)\s+century", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(\d{3,4})(?!\d)")


def year_of(text: str) -> int | None:
    """The year a date text means: "1876", "c. 1665", "1503-1519" (the first), "late 15th
    century" (1475), "early 17th century" (1625), "15th century" (1450); else None."""
    text = text or ""
    m = _YEAR.search(text)
    if m:
        return int(m.group(1))
    m = _CENTURY.search(text)
    if m:
        base = (int(m.group(1)) - 1) * 100
        lower = text.lower()
        return base + (25 if "early" in lower else 75 if "late" in lower else 50)
    return None


def period_of(year: int | None) -> str:
    if year is None:
        return "undated"
    start = year // PERIOD_BIN * PERIOD_BIN
    return f"{start}-{start + PERIOD_BIN - 1}"


@dataclass(frozen=True)
class MapPoint:
    x: float
    y: float
    artist: str
    title: str
    year: str
    period: str
    sha256: str


@dataclass(frozen=True)
class Bridge:
    work: str
    artist: str
    other_work: str
    other_artist: str
    similarity: float
    strength: float  # similarity to the other artist's work minus to its own artist's nearest


@dataclass(frozen=True)
class PeriodPair:
    work: str
    year: int
    other_work: str
    other_year: int
    similarity: float


@dataclass(frozen=True)
class Connections:
    collection: str
    points: tuple[MapPoint, ...]
    explained: tuple[float, float]  # share of variance along each map axis
    bridges: tuple[Bridge, ...]
    across_periods: tuple[PeriodPair, ...]
    notes: tuple[str, ...]

    def to_json(self) -> dict:
        return jsonable(self)


def pca_2d(matrix: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """(N, 2) coordinates on the two main axes and the share of variance of each."""
    x = np.asarray(matrix, np.float64)
    x = x - x.mean(0)
    n = len(x)
    if n < 2:
        return np.zeros((n, 2)), (0.0, 0.0)
    gram = x @ x.T  # n x n is smaller than d x d for a collection of a few thousand
    vals, vecs = np.linalg.eigh(gram)
    order = np.argsort(-vals)[:2]
    vals, vecs = np.maximum(vals[order], 0), vecs[:, order]
    coords = vecs * np.sqrt(vals)
    # A sign convention so the same collection always maps the same way round.
    for j in range(coords.shape[1]):
        if coords[np.argmax(np.abs(coords[:, j])), j] < 0:
            coords[:, j] *= -1
    total = float(np.trace(gram)) or 1.0
    explained = tuple(float(v / total) for v in vals) + (0.0,) * (2 - len(vals))
    if coords.shape[1] < 2:
        coords = np.hstack([coords, np.zeros((n, 2 - coords.shape[1]))])
    return coords, (explained[0], explained[1])


def _name(work) -> str:
    return work.title or work.file


def connections(model: AttributionModel) -> Connections:
    """The map, bridges and cross-period pairs of the model's collection."""
    works = model.works
    n = len(works)
    rows = np.arange(n)
    notes = []
    if n > MAX_POINTS:
        rows = np.sort(np.random.default_rng(SEED).choice(n, MAX_POINTS, replace=False))
        notes.append(f"The map shows {MAX_POINTS} of the {n} works, drawn at random.")
    matrix = model.matrix[rows]
    coords, explained = pca_2d(matrix)
    years = [year_of(works[r].year) for r in rows]
    points = tuple(MapPoint(float(c[0]), float(c[1]), works[r].artist, _name(works[r]),
                            works[r].year, period_of(y), works[r].sha256)
                   for r, c, y in zip(rows, coords, years, strict=True))
    sims = matrix @ matrix.T
    np.fill_diagonal(sims, -np.inf)
    labels = model.labels[rows]
    bridges, bridged = [], set()
    for i in range(len(rows)):
        own = labels == labels[i]
        if own.sum() < 2:
            continue  # a lone work has no own artist to bridge from
        own_best = sims[i, own].max()
        others = np.where(own, -np.inf, sims[i])
        j = int(np.argmax(others))
        if np.isfinite(others[j]) and others[j] > own_best and (j, i) not in bridged:
            bridged.add((i, j))  # a pair that bridges both ways is listed once
            bridges.append(Bridge(_name(works[rows[i]]), works[rows[i]].artist,
                                  _name(works[rows[j]]), works[rows[j]].artist,
                                  float(others[j]), float(others[j] - own_best)))
    bridges.sort(key=lambda b: -b.strength)
    pairs, seen = [], set()
    for i in range(len(rows)):
        if years[i] is None:
            continue
        far = np.array([y is not None and abs(y - years[i]) >= PERIOD_GAP for y in years])
        if not far.any():
            continue
        cand = np.where(far, sims[i], -np.inf)
        j = int(np.argmax(cand))
        key = tuple(sorted((i, j)))
        if key not in seen:
            seen.add(key)
            a, b = (i, j) if years[i] <= years[j] else (j, i)
            pairs.append(PeriodPair(_name(works[rows[a]]), years[a], _name(works[rows[b]]),
                                    years[b], float(sims[i, j])))
    pairs.sort(key=lambda p: -p.similarity)
    if not bridges and len(model.artists) > 1:
        notes.append("No work is closer to another artist's work than to its own artist's.")
    if not pairs:
        notes.append(f"No two dated works are {PERIOD_GAP} or more years apart.")
    return Connections(model.collection, points, explained, tuple(bridges[:SHOWN]),
                       tuple(pairs[:SHOWN]), tuple(notes))
