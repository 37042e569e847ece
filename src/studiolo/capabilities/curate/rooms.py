"""Rooms: group the chosen works by what they show and how they look, and name each group.

Agglomerative clustering with Ward's criterion (Ward 1963) on the joined
text and image vectors, deterministic unlike k-means; the number of rooms is
the one from 2..max_rooms with the best mean silhouette (Rousseeuw 1987), or
one room when no split is clearly better (silhouette under `MIN_SILHOUETTE`)
or a split would leave a work alone.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from studiolo.capabilities.curate.features import clean_prompt, unit_rows
from studiolo.capabilities.curate.flow import distances
from studiolo.core.types import Artwork

MIN_SILHOUETTE = 0.08
MAX_ROOMS = 12
_WORD = re.compile(r"[a-zà-ÿ]+")


def joint_vectors(text: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Text and image vectors side by side, each half weighing the same; rows unit length."""
    return unit_rows(np.concatenate([unit_rows(text), unit_rows(image)], axis=1))


def silhouette(points: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette of a labelling (1: tight, far-apart groups; 0: overlapping)."""
    d = distances(points)
    groups = np.unique(labels)
    if len(groups) < 2:
        return 0.0
    values = []
    for i in range(len(points)):
        own = labels == labels[i]
        if own.sum() == 1:
            values.append(0.0)  # the convention for a work alone in its group
            continue
        a = d[i, own].sum() / (own.sum() - 1)
        b = min(d[i, labels == g].mean() for g in groups if g != labels[i])
        values.append((b - a) / max(a, b, 1e-12))
    return float(np.mean(values))


def group_rooms(points: np.ndarray, max_rooms: int) -> list[list[int]]:
    """Row indices of `points`, grouped into 1..max_rooms rooms (biggest room first)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    n = len(points)
    if n < 4 or max_rooms < 2:
        return [list(range(n))]
    tree = linkage(np.asarray(points, np.float64), method="ward")
    best, best_labels = MIN_SILHOUETTE, np.ones(n, int)
    for k in range(2, min(max_rooms, n // 2) + 1):
        labels = fcluster(tree, k, criterion="maxclust")
        sizes = np.bincount(labels)[1:]
        if len(sizes) != k or sizes.min() < 2:
            continue
        score = silhouette(points, labels)
        if score > best:
            best, best_labels = score, labels
    rooms = [list(np.flatnonzero(best_labels == g)) for g in np.unique(best_labels)]
    return sorted(rooms, key=lambda r: (-len(r), r[0]))


def artwork_words(artwork: Artwork) -> set[str]:
    """What a work is about, as words: the painter's subjects, time and mood, the prompt's words."""
    from studiolo.features.vocab import STOPWORDS

    words: set[str] = set()
    scene = (artwork.recipe.options or {}).get("scene")
    if isinstance(scene, dict):
        words |= {str(s.get("name")) for s in scene.get("subjects") or [] if isinstance(s, dict)}
        for key in ("time_of_day", "mood", "setting"):
            part = scene.get(key)
            if isinstance(part, dict) and part.get("score", 0) > 0 and part.get("name"):
                words.add(str(part["name"]))
    text = " ".join([artwork.title or "", clean_prompt(artwork.recipe.prompt)]).lower()
    words |= {w for w in _WORD.findall(text) if len(w) > 2 and w not in STOPWORDS}
    return {w.replace("_", " ") for w in words if w and w != "None"}


def _lead_artist(works: Sequence[Artwork]) -> str | None:
    counts = Counter(a for w in works for a in dict.fromkeys(_artists(w)))
    if not counts:
        return None
    name, count = counts.most_common(1)[0]
    return name if count * 2 > len(works) else None


def _artists(artwork: Artwork) -> list[str]:
    chosen = (artwork.recipe.options or {}).get("style_chosen")
    if isinstance(chosen, dict) and chosen.get("artist"):
        return [str(chosen["artist"])]
    return [n for c, n in ((c, c.name) for c in artwork.credits) if c.kind == "artist"]


def _fold_plurals(bags: list[list[set[str]]]) -> list[list[set[str]]]:
    """"boats" counts as "boat" where "boat" is a word of some work (the painter's subjects are)."""
    vocabulary = {w for bag in bags for words in bag for w in words}

    def fold(w: str) -> str:
        return w[:-1] if w.endswith("s") and w[:-1] in vocabulary else w

    return [[{fold(w) for w in words} for words in bag] for bag in bags]


def name_rooms(rooms: Sequence[Sequence[Artwork]], theme: str = "") -> list[str]:
    """A name per room from its most telling words (common in it, rare in the others).

    The theme's own words are left out: they name the exhibition, not a room.
    """
    skip = set(_WORD.findall(theme.lower()))
    bags = _fold_plurals([[artwork_words(w) - skip for w in room] for room in rooms])
    in_rooms = Counter(word for bag in bags for word in set().union(*bag))
    names: list[str] = []
    for room, bag in zip(rooms, bags):
        counts = Counter(word for words in bag for word in words)
        idf = {w: math.log((len(rooms) + 1) / in_rooms[w]) + 1.0 for w in counts}
        ranked = sorted(counts, key=lambda w: (-counts[w] * idf[w], -counts[w], w))
        words = [w for w in ranked if counts[w] * 2 >= len(room) or w == ranked[0]][:2]
        name = " and ".join(w.capitalize() if i == 0 else w for i, w in enumerate(words))
        name = name or "Works"
        artist = _lead_artist(room)
        if artist:
            name += f", after {artist}"
        base, number = name, 1
        while name in names:
            number += 1
            name = f"{base} ({number})"
        names.append(name)
    return names
