"""Authenticity: how typical a work is of the artist it is claimed for, and why not.

A one-class, conformal judgement (Laxhammar & Falkman 2015, "Inductive conformal anomaly
detection for sequential detection of anomalous sub-trajectories", Annals of Mathematics
and Artificial Intelligence 74): the work's score is its mean distance, under the
attribution metric, to its `K` nearest works by the claimed artist; each of the
artist's own works gets the same score against the artist's other works. The p-value
(1 + the number of the artist's works that score at least as far) / (n + 1) is the
share of the artist's works that are no more typical than this one. With n works it
can never fall below 1 / (n + 1), which is why few works make a weak verdict, and the
report says so in words. An artist with one work has no spread of their own: the
collection's pooled spread (every artist's works against their own others) stands in.

The figures that deviate most are the named figures (`figures.py`) whose z-score
against the artist's works is largest; the spread is floored at half the
collection's, so two similar works do not make every difference look enormous.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from studiolo.core.errors import UnknownName

from .attribution import AttributionModel
from .figures import FIGURES
from .index import CollectionIndex
from .results import jsonable

K = 3
SHOWN = 3
NOTABLE_Z = 1.5


@dataclass(frozen=True)
class Deviation:
    figure: str
    words: str  # "much more colourful than Monet's works here"
    value: float
    artist_mean: float
    artist_std: float
    z: float


@dataclass(frozen=True)
class Authenticity:
    artist: str
    works: int  # the artist's works the verdict rests on
    score: float  # mean distance to the artist's nearest works
    p_value: float  # share of the artist's own works no more typical than this one
    typical: bool
    verdict: str
    strength: str  # "very weak", "weak", "moderate", "fair"
    uncertainty: str  # the sentence about how much to trust it
    deviations: tuple[Deviation, ...]

    def to_json(self) -> dict:
        return jsonable(self)


def _key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def match_artist(claimed: str, artists: list[str], collection: str) -> str:
    """The collection's artist a claim means: the same name ignoring case, accents and
    punctuation, or the one artist whose name ends with it ("monet", "van gogh")."""
    key = _key(claimed)
    exact = [a for a in artists if _key(a) == key]
    if exact:
        return exact[0]
    tail = [a for a in artists if key and (_key(a).endswith(" " + key))]
    if len(tail) == 1:
        return tail[0]
    raise UnknownName(f"artist in collection {collection!r}", claimed, sorted(artists))


def _strength(n: int) -> tuple[str, str]:
    if n == 1:
        return "very weak", ("There is one work by this artist in the collection, so the "
                             "artist's own range is unknown and the verdict leans on how far "
                             "apart the collection's other artists' works are: treat it as a "
                             "hint, not evidence.")
    floor = 1 / (n + 1)
    if n < 5:
        return "weak", (f"With only {n} works by this artist in the collection, even a work "
                        f"unlike all of them cannot score below {floor:.0%}: a weak verdict "
                        "either way.")
    if n < 15:
        return "moderate", (f"{n} works by this artist make a moderate basis; a larger "
                            "reference collection would sharpen the verdict.")
    return "fair", (f"{n} works by this artist make a fair basis, but a typical-looking work can "
                    "still be a good copy: this measures likeness, not provenance.")


def _words(p: float, artist: str, n_ref: int) -> tuple[bool, str]:
    if p < 0.05:
        return False, f"unlike {artist}'s works in this collection"
    if n_ref and p <= 1 / (n_ref + 1) + 1e-12:
        return False, (f"less typical of {artist} than any of the artist's works in this "
                       "collection")
    if p >= 0.5:
        return True, f"typical of {artist}: as close to the artist's works as most of them are"
    if p >= 0.2:
        return True, f"within {artist}'s range in this collection, though not at its centre"
    return False, f"at the edge of {artist}'s range: less typical than most of their works"


def deviations(index: CollectionIndex, rows: np.ndarray, figures: np.ndarray,
               artist: str) -> tuple[Deviation, ...]:
    all_figures = np.asarray(index.vectors("figures"), np.float64)
    own = all_figures[rows]
    mean = own.mean(0)
    floor = 0.5 * all_figures.std(0)
    std = np.maximum(own.std(0), np.where(floor > 0, floor, 1.0))
    z = (np.asarray(figures, np.float64) - mean) / std
    found = []
    for i in np.argsort(-np.abs(z), kind="stable")[:SHOWN]:
        if abs(z[i]) < NOTABLE_Z:
            break
        name, what, higher, lower = FIGURES[i]
        side = higher if z[i] > 0 else lower
        if abs(z[i]) >= 3:  # "much more colourful", "much longer in its strokes"
            side = "much " + side
        found.append(Deviation(name, f"{side} than {artist}'s works here ({what} "
                                     f"{figures[i]:.3g} against {mean[i]:.3g} ± {std[i]:.2g})",
                               float(figures[i]), float(mean[i]), float(std[i]), float(z[i])))
    return tuple(found)


def authenticity(model: AttributionModel, index: CollectionIndex,
                 vectors: Mapping[str, np.ndarray], claimed: str) -> Authenticity:
    """How typical a work (its vectors by kind) is of the claimed artist in the collection."""
    artist = match_artist(claimed, model.artists, model.collection)
    a = model.artists.index(artist)
    rows = np.flatnonzero(model.labels == a)
    q = model.query_vector(vectors)
    own = model.matrix[rows]
    query_d = np.sort(1.0 - own @ q)
    k = min(K, len(rows))
    score = float(query_d[:k].mean())
    if len(rows) >= 2:
        sims = own @ own.T
        np.fill_diagonal(sims, -np.inf)
        kk = min(K, len(rows) - 1)
        ref = np.sort(1.0 - sims, axis=1)[:, :kk].mean(1)
    else:  # the pooled nearest-own-work distances of the collection (the novelty reference)
        ref = model.reference
    p = float((1 + np.sum(ref >= score)) / (len(ref) + 1)) if len(ref) else 1.0
    typical, words = _words(p, artist, len(ref))
    strength, uncertainty = _strength(len(rows))
    where = {w.sha256: i for i, w in enumerate(index.list())}
    index_rows = np.array([where[model.works[r].sha256] for r in rows])
    found = deviations(index, index_rows, np.asarray(vectors["figures"]), artist)
    verdict = (f"The work is {words} (p = {p:.2f}, {strength} evidence from {len(rows)} "
               f"work{'s' if len(rows) != 1 else ''}).")
    return Authenticity(artist, len(rows), score, p, typical, verdict, strength, uncertainty,
                        found)
