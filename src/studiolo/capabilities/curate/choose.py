"""Choose the works of an exhibition by a theme: words first, then looks.

1. Every visible work gets a text score: the MiniLM cosine of the theme with
   its title and prompt (or, x0.9, its tags and credited artists).
2. The best text matches (up to 4, within 75% of the best) are the seeds; every shortlisted work gets an image
   score: the cosine of its image vector with the closest seed's (a seed is
   compared with the other seeds only, so it does not vote for itself); the
   closest, not the mean, so a theme of two subjects keeps both.
3. score = 0.75 text + 0.25 image. Works below `min_score`, or below a fraction
   of the best score, are left out; the rest, best first, capped at `max_works`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from studiolo.capabilities.curate.features import image_features, text_scores
from studiolo.core.errors import InvalidArgument
from studiolo.core.types import Artwork

TEXT_WEIGHT = 0.75
MIN_SCORE = 0.3  # MiniLM: unrelated subjects score below ~0.25 against a theme
RELATIVE = 0.55  # keep works scoring at least 55% of the best one
SEEDS = 4
SEED_RELATIVE = 0.75  # a seed's text score is at least this fraction of the best one
SHORTLIST = 4  # image features are read for this many times `max_works` text matches
MAX_WORKS = 200
MAX_THEME = 500


@dataclass(frozen=True)
class Chosen:
    """One chosen work and why: its text, image and combined scores."""

    artwork: Artwork
    tags: tuple[str, ...]
    text_score: float
    image_score: float
    score: float


@dataclass(frozen=True)
class Selection:
    """The chosen works, best first, with their text and image vectors (rows in the same order)."""

    works: tuple[Chosen, ...]
    text_vectors: np.ndarray  # (N, 384) MiniLM of what each shows
    image_vectors: np.ndarray  # (N, D) standardised over the chosen works


def check_theme(theme: Any) -> str:
    if not isinstance(theme, str) or not theme.strip():
        raise InvalidArgument(
            f"`theme` must be a few words saying what the exhibition is about, got {theme!r}."
        )
    if len(theme) > MAX_THEME:
        raise InvalidArgument(f"`theme` must be at most {MAX_THEME} characters, got {len(theme)}.")
    return " ".join(theme.split())


def check_count(name: str, value: Any, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        raise InvalidArgument(f"`{name}` must be an integer from 1 to {high}, got {value!r}.")
    return value


def choose_works(
    theme: str,
    candidates: Sequence[tuple[Artwork, Sequence[str]]],
    load_image: Callable[[str], Any],
    *,
    max_works: int = 24,
    min_score: float = MIN_SCORE,
) -> Selection:
    """The works of `candidates` ((artwork, tags) pairs) that fit `theme`, best first."""
    # 1. Check inputs.
    theme = check_theme(theme)
    max_works = check_count("max_works", max_works, MAX_WORKS)
    if not candidates:
        raise InvalidArgument(
            "There are no artworks to choose from; make some first (studiolo paint \"...\")."
        )
    # 2. Words: score every candidate, shortlist the best.
    text, shows = text_scores(theme, candidates)
    shortlist = np.argsort(-text, kind="stable")[: max(SHORTLIST * max_works, 12)]
    ids = [str(candidates[i][0].id) for i in shortlist]
    # 3. Looks: compare each shortlisted work with the seeds.
    looks = image_features(ids, load_image)
    best_text = float(text[shortlist[0]])
    seeds = [j for j in range(min(SEEDS, len(ids)))
             if text[shortlist[j]] >= max(min_score, SEED_RELATIVE * best_text)] or [0]
    image = np.zeros(len(ids), np.float32)
    for j in range(len(ids)):
        others = [s for s in seeds if s != j]
        image[j] = float((looks[others] @ looks[j]).max()) if others else 0.0
    score = TEXT_WEIGHT * text[shortlist] + (1 - TEXT_WEIGHT) * image
    # 4. Threshold and cap.
    best = float(score.max())
    keep = [j for j in np.argsort(-score, kind="stable")
            if score[j] >= min_score and score[j] >= RELATIVE * best][:max_works]
    if not keep:
        raise InvalidArgument(
            f"No artwork fits the theme {theme!r} well enough (best score {best:.2f}, needed "
            f"{min_score:.2f}); try other words, or make works about it first."
        )
    works = tuple(
        Chosen(artwork=candidates[shortlist[j]][0], tags=tuple(candidates[shortlist[j]][1]),
               text_score=round(float(text[shortlist[j]]), 4), image_score=round(float(image[j]), 4),
               score=round(float(score[j]), 4))
        for j in keep
    )
    chosen_ids = [str(w.artwork.id) for w in works]
    return Selection(works=works, text_vectors=shows[[shortlist[j] for j in keep]],
                     image_vectors=image_features(chosen_ids, load_image))
