"""Style words for a diffusion prompt, from what a person's taste rates highest.

`suggest_style_words(score, ...)`: the built-in painters and palette words the
taste rates highest, never a name in the opt-out registry (see steer.py for
the scoring callables and best of N).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from studiolo.capabilities.taste.steer import (
    Score,
    allowed_paintings,
    as_score,
    blocked,
    check_count,
    score_images,
)
from studiolo.core.errors import InvalidArgument

PALETTE_WORDS = {"warm": "warm colours", "cool": "cool blue colours", "golden": "golden light",
                 "pastel": "pastel colours", "monochrome": "monochrome", "vivid": "vivid colours",
                 "earthy": "earthy tones", "green": "lush green colours", "purple": "purple and violet colours"}


@dataclass(frozen=True)
class StyleSuggestion:
    """Words to add to a prompt, and the rankings they came from (best first)."""

    words: tuple[str, ...]
    artists: tuple[tuple[str, str, float], ...]  # (artist, painting id, rating)
    palettes: tuple[tuple[str, float], ...]  # (palette, mean score gain of that grade)

    @property
    def prompt_suffix(self) -> str:
        return ", ".join(self.words)


def suggest_style_words(
    profile_or_score: Any,
    *,
    liked: Sequence[Image.Image] = (),
    optouts: Iterable[Any] = (),
    top: int = 3,
    palettes: int = 1,
) -> StyleSuggestion:
    """Style words for a text-to-image prompt, from what the taste rates highest.

    Every built-in painting not opted out is scored; an artist rates as their best
    painting. With `liked` images, each painting also counts its style's cosine to
    their mean style (z-scores added). Palette words: each painter palette grade is
    applied to the top paintings (and the liked images) and kept when the taste
    scores the graded copies higher. `optouts` (OptOut entries or names, e.g.
    `studio.catalog.list_optouts()`): no suggested word names one of them.
    """
    from studiolo.capabilities.painter.engine import PALETTES
    from studiolo.capabilities.painter.palette import grade
    from studiolo.features.style import style_vector
    from studiolo.features.styles import style_image

    score = as_score(profile_or_score)
    check_count("top", top)
    check_count("palettes", palettes, 0)
    liked = list(liked)
    if any(not isinstance(im, Image.Image) for im in liked):
        raise InvalidArgument("`liked` must hold PIL images only.")
    optouts = list(optouts)
    paintings = allowed_paintings(optouts)
    if not paintings:
        raise InvalidArgument("Every built-in painting is opted out; there is no style to suggest.")
    rating = _rate_paintings(profile_or_score, score, paintings)
    rank = (rating - rating.mean()) / (rating.std() + 1e-12)
    if liked:
        mine = np.mean([style_vector(im.convert("RGB")) for im in liked], axis=0)
        vecs = np.stack([style_vector(s.id) for s in paintings])
        cos = vecs @ mine / (np.linalg.norm(vecs, axis=1) * np.linalg.norm(mine) + 1e-12)
        rank = rank + (cos - cos.mean()) / (cos.std() + 1e-12)
    order = np.argsort(-rank, kind="stable")

    artists: list[tuple[str, str, float]] = []
    for i in order:
        s = paintings[i]
        if s.artist not in {a for a, _, _ in artists} and not blocked(f"in the style of {s.artist}", optouts):
            artists.append((s.artist, s.id, round(float(rank[i]), 4)))
    words = [f"in the style of {a}" for a, _, _ in artists[:top]]

    gains: list[tuple[str, float]] = []
    if palettes:  # one scoring call: the top paintings and liked images, plain then in every grade
        base = [style_image(paintings[i]) for i in order[:3]] + liked[:3]
        base = [im.convert("RGB").resize((224, max(16, round(224 * im.height / im.width)))) for im in base]
        graded = [_graded(im, name, grade) for name in PALETTES[1:] for im in base]  # "natural" is no change
        scored = score_images(score, base + graded).reshape(len(PALETTES), len(base))
        gains = sorted(((name, round(float((scored[k + 1] - scored[0]).mean()), 6))
                        for k, name in enumerate(PALETTES[1:])), key=lambda g: -g[1])
        words += [PALETTE_WORDS[n] for n, g in gains[:palettes] if g > 0]
    return StyleSuggestion(tuple(words), tuple(artists), tuple(gains))


def _rate_paintings(source: Any, score: Score, paintings: Sequence[Any]) -> np.ndarray:
    """The taste's score of each painting; a TasteProfile reads the paintings' cached features."""
    from studiolo.features.styles import style_image

    if hasattr(source, "model") and hasattr(source, "embedder"):
        from studiolo.features.embed import get_embedder

        space = get_embedder(source.embedder).space(getattr(source, "home", None))
        row = {t: i for i, t in enumerate(space.reference_titles)}
        if all(s.title in row for s in paintings):
            return np.asarray(source.model.utility(space.reference[[row[s.title] for s in paintings]])[0])
    return score_images(score, [style_image(s) for s in paintings])


def _graded(image: Image.Image, palette: str, grade: Callable[[np.ndarray, str], np.ndarray]) -> Image.Image:
    canvas = np.asarray(image, dtype=np.float32) / 255.0
    return Image.fromarray((grade(canvas, palette) * 255 + 0.5).astype(np.uint8))
