"""Read a prompt into a SceneSpec: subjects, setting, mood, time of day, palette, style words.

Two passes: lexical (trigger words and phrases from `vocab.CONCEPTS`, simple
plurals) and semantic (MiniLM cosine between each left-over word or noun
phrase and every concept description, accepted above a threshold). Every
choice keeps its score and a sentence saying why, so the recipe can show it.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studiolo.core.errors import InvalidArgument
from studiolo.features.text import embed_cached
from studiolo.features.vocab import CONCEPTS, EXAMPLES, STOPWORDS, Concept

# Cosine above which a word lands on a concept. Tuned on MiniLM: synonyms
# ("tempest" -> stormy, "meadowland" -> field) score 0.5-0.7; unrelated words
# ("quantum", "blockchain", "spreadsheet") stay below 0.35.
SEMANTIC_THRESHOLD = 0.47

_lock = threading.Lock()
_concept_vectors: np.ndarray | None = None


@dataclass(frozen=True)
class Choice:
    """One thing the painter chose, how sure it is (1.0 = exact word) and why."""

    name: str
    score: float
    why: str


@dataclass(frozen=True)
class SceneSpec:
    prompt: str
    subjects: tuple[Choice, ...]
    setting: Choice
    mood: Choice
    time_of_day: Choice
    palette: Choice
    style_words: tuple[Choice, ...]
    used_words: tuple[str, ...]
    ignored_words: tuple[str, ...]

    @property
    def subject_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.subjects)

    def has(self, *subjects: str) -> bool:
        return any(s in self.subject_names for s in subjects)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def concept_vectors(cache_dir: Path | None = None) -> np.ndarray:
    """MiniLM embeddings of every concept description, computed once per process.

    `cache_dir` (the studio's cache folder): kept there too, so a later start is instant
    (embedding ~100 descriptions takes a couple of seconds on 2 cores).
    """
    global _concept_vectors
    with _lock:
        if _concept_vectors is None:
            _concept_vectors = embed_cached([c.description for c in CONCEPTS], cache_dir, "painter-vocab")
        return _concept_vectors


def _tokens(prompt: str) -> list[str]:
    return re.findall(r"[a-z][a-z'\-]*", prompt.lower().replace("’", "'"))


def _word_forms(token: str) -> set[str]:
    forms = {token}
    for suffix in ("s", "es"):
        if token.endswith(suffix) and len(token) > len(suffix) + 2:
            forms.add(token[: -len(suffix)])
    return forms


def _lexical(tokens: list[str]) -> tuple[dict[Concept, Choice], set[int]]:
    found: dict[Concept, Choice] = {}
    used: set[int] = set()
    forms = [_word_forms(t) for t in tokens]
    for concept in CONCEPTS:
        for trigger in concept.words:
            parts = trigger.split()
            for i in range(len(tokens) - len(parts) + 1):
                if all(parts[j] in forms[i + j] for j in range(len(parts))):
                    used.update(range(i, i + len(parts)))
                    if concept not in found:
                        found[concept] = Choice(concept.name, 1.0, f"the word {trigger!r}")
    return found, used


def _phrases(tokens: list[str], used: set[int]) -> list[tuple[str, list[int]]]:
    """Left-over content words, and runs of two or more of them (rough noun phrases)."""
    units: list[tuple[str, list[int]]] = []
    run: list[int] = []
    for i, tok in enumerate(tokens + [""]):
        if tok and tok not in STOPWORDS and i not in used and len(tok) > 2:
            units.append((tok, [i]))
            run.append(i)
            continue
        if len(run) > 1:
            units.append((" ".join(tokens[j] for j in run), list(run)))
        run = []
    return units


def _semantic(tokens: list[str], used: set[int], cache_dir: Path | None = None,
              ) -> tuple[dict[Concept, Choice], set[int]]:
    units = _phrases(tokens, used)
    if not units:
        return {}, set()
    from studiolo.features.text import get_encoder

    sims = get_encoder().encode([u for u, _ in units]) @ concept_vectors(cache_dir).T  # (units, concepts)
    found: dict[Concept, Choice] = {}
    newly: set[int] = set()
    for (unit, idx), row in zip(units, sims, strict=True):
        best = int(np.argmax(row))
        score = float(row[best])
        if score < SEMANTIC_THRESHOLD:
            continue
        concept = CONCEPTS[best]
        newly.update(idx)
        why = f"{unit!r} is close to {concept.description!r} (cosine {score:.2f})"
        if concept not in found or found[concept].score < score:
            found[concept] = Choice(concept.name, round(score, 3), why)
    return found, newly


def _pick(found: dict[Concept, Choice], category: str) -> list[Choice]:
    return sorted((c for k, c in found.items() if k.category == category), key=lambda c: -c.score)


def _could_not_map(prompt: str, tried: list[str]) -> InvalidArgument:
    known = sorted({c.name for c in CONCEPTS if c.category == "subject"})
    return InvalidArgument(
        f"The painter could not map {prompt.strip()!r}: it tried the words {tried} and used none. "
        f"It understands landscapes, seas, skies and abstractions ({', '.join(known)}), moods "
        f"(calm, stormy, melancholy, joyful...), times of day (dawn, noon, dusk, night) and "
        f"palettes (warm, cool, golden, pastel...); try {' or '.join(repr(e) for e in EXAMPLES[:2])}."
    )


def understand(prompt: str, *, cache_dir: Path | None = None) -> SceneSpec:
    """The scene a prompt asks for; InvalidArgument when no word of it can be painted.

    `cache_dir`: where the concept embeddings may be kept between runs (see `concept_vectors`).
    """
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidArgument(
            f"`prompt` must be a non-empty text for the painter, got {prompt!r}; try {EXAMPLES[0]!r}."
        )
    tokens = _tokens(prompt)
    found, used = _lexical(tokens)
    more, newly = _semantic(tokens, used, cache_dir)
    for concept, choice in more.items():
        found.setdefault(concept, choice)
    used |= newly
    content = [t for t in tokens if t not in STOPWORDS]
    if not found:
        raise _could_not_map(prompt, content or tokens)

    subjects = _pick(found, "subject")
    moods, times = _pick(found, "mood"), _pick(found, "time")
    settings, palettes = _pick(found, "setting"), _pick(found, "palette")
    names = {c.name for c in subjects}

    if times:
        time = times[0]
    elif names & {"stars", "moon"}:
        time = Choice("night", 0.0, "default: stars or a moon mean night")
    else:
        time = Choice("noon", 0.0, "default: no time of day was named")
    if moods:
        mood = moods[0]
    else:
        mood = Choice("calm", 0.0, "default: no mood was named")
    if not subjects:
        subjects = _default_subjects(settings, mood, palettes)
        names = {c.name for c in subjects}
    if time.name == "night" and not names & {"stars", "moon", "city"} and mood.name != "stormy":
        subjects.append(Choice("stars", 0.0, "default: a clear night sky has stars"))
    if settings and settings[0].name == "coast" and not names & {"sea", "lake", "boat", "lighthouse"}:
        subjects.append(Choice("sea", 0.0, f"default: the setting 'coast' ({settings[0].why}) has a sea"))
    setting = settings[0] if settings else _default_setting(names)
    palette = palettes[0] if palettes else Choice("natural", 0.0, "default: colours follow the time of day")
    used_words = tuple(dict.fromkeys(tokens[i] for i in sorted(used)))
    ignored = tuple(dict.fromkeys(t for t in content if t not in used_words))
    return SceneSpec(
        prompt=prompt,
        subjects=tuple(subjects),
        setting=setting,
        mood=mood,
        time_of_day=time,
        palette=palette,
        style_words=tuple(_pick(found, "style")),
        used_words=used_words,
        ignored_words=ignored,
    )


_SETTING_SUBJECTS = {
    "coast": ("sea",),
    "countryside": ("field", "hills"),
    "wilderness": ("mountains", "forest"),
    "urban": ("city",),
    "cosmos": ("stars",),
    "garden": ("flowers", "field"),
    "dream": ("flow",),
}


def _default_subjects(settings: list[Choice], mood: Choice, palettes: list[Choice]) -> list[Choice]:
    if settings:
        return [Choice(s, 0.0, f"default: the setting {settings[0].name!r}") for s in _SETTING_SUBJECTS[settings[0].name]]
    if mood.score > 0 and mood.name in ("calm", "melancholy", "mysterious", "dreamy"):
        # A still mood with nothing named reads best as a quiet lake under hills.
        return [Choice(s, 0.0, f"default: a quiet landscape for a {mood.name} mood") for s in ("lake", "hills")]
    if mood.score > 0 and mood.name == "stormy":
        return [Choice("sea", 0.0, "default: a storm at sea")]
    if palettes or mood.score > 0:
        return [Choice("flow", 0.0, "default: colours and moods alone make an abstraction")]
    return [Choice("field", 0.0, "default: an open landscape"), Choice("hills", 0.0, "default: an open landscape")]


def _default_setting(names: set[str]) -> Choice:
    for subjects, setting in (
        ({"sea", "boat", "lighthouse"}, "coast"),
        ({"city"}, "urban"),
        ({"flow", "geometry"}, "dream"),
        ({"flowers"}, "garden"),
        ({"mountains", "forest", "snow", "desert"}, "wilderness"),
        ({"field", "hills", "lake", "river", "tree", "figure"}, "countryside"),
        ({"stars", "moon", "sun", "clouds"}, "cosmos"),
    ):
        if names & subjects:
            return Choice(setting, 0.0, f"default: follows the subjects {sorted(names & subjects)}")
    return Choice("countryside", 0.0, "default")
