"""A person's taste profile: a fitted model, the embedder it sees with, and how far to trust it.

`fit_profile(studio)` reads the person's ratings from the catalog, turns them
into pairs (`taste.model` documents the rule for likes and stars), embeds the
artworks (cached) and fits the model; `save_profile` / `load_profile` keep it
in the catalog (every save a new version). A profile scores any picture:
`load_profile(studio, "default").score_images([image, ...])` is the predicted
utility of each, higher = more to this person's taste.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from studiolo.capabilities.taste.model import (
    MIN_PAIRS,
    HeldOut,
    TasteModel,
    heldout_accuracy,
    implied_pairs,
    next_pair,
    pair_diffs,
    trust_sentence,
)
from studiolo.core.errors import InvalidArgument, UnknownName
from studiolo.core.maker import Maker
from studiolo.features.cache import artwork_features
from studiolo.features.colour import describe_weights
from studiolo.features.embed import DEFAULT_EMBEDDER, Embedder, get_embedder

DEFAULT_PROFILE = "default"
PROFILE_FORMAT = 1
POOL_LIMIT = 200


@dataclass(frozen=True)
class TasteProfile:
    """What one person likes, as a model over an embedder's features."""

    person: str
    name: str
    model: TasteModel
    embedder: str  # the embedder's id, e.g. "lite0-v1"
    n_pairs: int  # direct picks it was fitted on
    accuracy: float | None  # held-out accuracy over those picks (None: too few to say)
    version: int | None = None
    home: Path | None = None  # where feature caches live (the studio's home), if known

    def _embedder(self) -> Embedder:
        return get_embedder(self.embedder)

    def utility_images(self, images: Sequence[Image.Image]) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std) predicted utility of PIL images."""
        if not isinstance(images, Sequence) or isinstance(images, Image.Image):
            raise InvalidArgument("`images` must be a list of PIL images, got "
                                  f"{type(images).__name__}.")
        if not images:
            return np.zeros(0), np.zeros(0)
        embedder = self._embedder()
        return self.model.utility(embedder.reduce(embedder.embed(images), self.home))

    def score_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Predicted utility of each PIL image (higher = more to this person's taste)."""
        return self.utility_images(images)[0]

    def score_artworks(self, studio: Maker, artwork_ids: Sequence[str]) -> np.ndarray:
        """Predicted utility of stored artworks (ids or unique prefixes), features cached."""
        ids = [studio.catalog.resolve_id(i) for i in artwork_ids]
        embedder = self._embedder()
        raw = artwork_features(studio, ids, embedder)
        return self.model.utility(embedder.reduce(raw, studio.settings.home))[0]

    def trust(self) -> str:
        """The plain sentence about held-out accuracy."""
        return trust_sentence(self.accuracy, self.n_pairs)

    def describe(self) -> str:
        """What it learned, in words: "likes warm, calm pictures close to The Starry Night"."""
        # Words from how each statistic goes with predicted utility over the reference
        # paintings (a marginal association, steadier than the model's partial weights).
        embedder = self._embedder()
        space = embedder.space(self.home)
        utility = space.reference @ self.model.weights
        if float(utility.std()) < 1e-9:
            return "has no clear taste yet"
        stats = space.reference[:, embedder.reduced_slices()["stats"]]
        spread = stats.std(axis=0) * utility.std()
        corr = ((stats - stats.mean(0)) * (utility - utility.mean())[:, None]).mean(0) / np.where(
            spread > 0, spread, np.inf)
        words = describe_weights(corr, floor=0.3)
        close = space.reference_titles[int(np.argmax(utility))]
        return f"likes {', '.join(words) + ' ' if words else ''}pictures close to {close}"

    def to_dict(self) -> dict[str, Any]:
        return {"format": PROFILE_FORMAT, "embedder": self.embedder, "n_pairs": self.n_pairs,
                "accuracy": self.accuracy, "model": self.model.to_dict()}


# -- from ratings to pairs --------------------------------------------------------


@dataclass(frozen=True)
class Training:
    """A person's ratings as pairs of artwork ids."""

    ids: list[str]  # every artwork that appears, in first-seen order
    direct: list[tuple[str, str]]  # (winner, loser) picks
    implied: list[tuple[str, str, float]]  # from likes and stars

    @property
    def total(self) -> int:
        return len(self.direct) + len(self.implied)


def training_pairs(studio: Maker, person: str) -> Training:
    """The person's picks, plus pairs implied by likes and stars (rule in `taste.model`)."""
    direct: list[tuple[str, str]] = []
    ids: dict[str, None] = {}  # an ordered set
    scores: dict[str, float] = {}
    likes: dict[str, float] = {}
    stars: dict[str, float] = {}
    for rating in studio.catalog.list_ratings(person):
        if rating.kind == "pair":
            loser = str(rating.other_id)
            direct.append((rating.artwork_id, loser))
            ids.setdefault(rating.artwork_id, None)
            ids.setdefault(loser, None)
        elif rating.kind == "like":
            likes[rating.artwork_id] = 5.0 if rating.value > 0 else 1.0
        else:
            stars[rating.artwork_id] = float(rating.value)
    for sha in set(likes) | set(stars):
        given = [v for v in (likes.get(sha), stars.get(sha)) if v is not None]
        scores[sha] = sum(given) / len(given)
    implied = implied_pairs(scores)
    for winner, loser, _ in implied:
        ids.setdefault(winner, None)
        ids.setdefault(loser, None)
    return Training(list(ids), direct, implied)


def _person(studio: Maker, person: str | None) -> str:
    return person or studio.settings.person


def fit_profile(
    studio: Maker,
    person: str | None = None,
    name: str = DEFAULT_PROFILE,
    *,
    embedder: str | None = None,
    save: bool = True,
) -> TasteProfile:
    """Fit `person`'s profile from their ratings (and save it as a new version)."""
    person = _person(studio, person)
    emb = get_embedder(embedder or DEFAULT_EMBEDDER)
    training = training_pairs(studio, person)
    if training.total < MIN_PAIRS:
        more = MIN_PAIRS - training.total
        raise InvalidArgument(
            f"{person} has {training.total} usable pair{'s' if training.total != 1 else ''}; a "
            f"taste profile needs {MIN_PAIRS}: rate {more} more with `studiolo rate`."
        )
    model, d, ex, ew = _fit(studio, training, emb)
    held: HeldOut = heldout_accuracy(d, extra_diffs=ex, extra_weights=ew)
    profile = TasteProfile(person, name, model, emb.id, len(d), held.accuracy,
                           home=studio.settings.home)
    return replace(profile, version=save_profile(studio, profile)) if save else profile


def _fit(
    studio: Maker, training: Training, emb: Embedder
) -> tuple[TasteModel, np.ndarray, np.ndarray, np.ndarray]:
    """The model, the direct pair differences, the implied ones and their weights."""
    features = emb.reduce(artwork_features(studio, training.ids, emb), studio.settings.home)
    index = {sha: i for i, sha in enumerate(training.ids)}
    d, _ = pair_diffs(features, [(index[w], index[lo]) for w, lo in training.direct])
    ex, ew = pair_diffs(features, [(index[w], index[lo], c) for w, lo, c in training.implied])
    model = TasteModel.fit(np.vstack([d, ex]), np.concatenate([np.ones(len(d)), ew]))
    return model, d, ex, ew


def save_profile(studio: Maker, profile: TasteProfile) -> int:
    """Store the profile in the catalog as a new version of (person, name); its version."""
    return int(studio.catalog.save_taste_profile(
        profile.person, profile.name, embedder=profile.embedder, model=profile.to_dict(),
        n_pairs=profile.n_pairs, accuracy=profile.accuracy,
    ))


def load_profile(
    studio: Maker, name: str = DEFAULT_PROFILE, *, person: str | None = None,
    version: int | None = None,
) -> TasteProfile:
    """The newest saved version of a profile; UnknownName lists the person's profiles."""
    person = _person(studio, person)
    try:
        stored = studio.catalog.get_taste_profile(person, name, version)
    except UnknownName as exc:
        if not exc.known:
            raise InvalidArgument(
                f"{person} has no taste profile {name!r} yet (none at all): rate pairs with "
                "`studiolo rate`, or import one with `studiolo taste import CODE --name NAME`."
            ) from None
        raise
    data = stored.model
    if data.get("format") != PROFILE_FORMAT:
        raise InvalidArgument(f"Taste profile {name!r} was saved in format {data.get('format')!r}"
                              f"; this studiolo reads format {PROFILE_FORMAT}.")
    model = TasteModel.from_dict(data["model"])
    size = get_embedder(stored.embedder).reduced_size
    if model.size != size:  # fitted before the embedder's space changed
        raise InvalidArgument(
            f"Taste profile {name!r} has {model.size} weights but embedder {stored.embedder!r} now "
            f"gives {size} features: refit it with `studiolo taste fit {name}` (or import a fresh code)."
        )
    return TasteProfile(
        person=stored.person, name=stored.name, model=model,
        embedder=stored.embedder, n_pairs=stored.n_pairs, accuracy=stored.accuracy,
        version=stored.version, home=studio.settings.home,
    )


def list_profiles(studio: Maker, person: str | None = None) -> list[str]:
    """Names of the person's saved profiles."""
    return list(studio.catalog.list_taste_profiles(_person(studio, person)))


# -- what to ask next -------------------------------------------------------------


def pool_ids(studio: Maker, person: str | None = None, query: str | None = None) -> list[str]:
    """The artworks a person rates among: theirs, newest first; `query` "tag:NAME" or text."""
    person = _person(studio, person)
    filters: dict[str, Any] = {"owner": person, "limit": POOL_LIMIT}
    if query and query.startswith("tag:"):
        filters["tag"] = query[4:].strip()
    elif query:
        filters["query"] = query
    return [a.id for a in studio.catalog.list_artworks(**filters)]


def suggest_pair(
    studio: Maker, person: str | None = None, *, query: str | None = None,
    embedder: str | None = None, skip: Sequence[tuple[str, str]] = (), seed: int | None = None,
) -> tuple[str, str]:
    """The next two artworks to show: most informative for the person's current model.

    Pairs already rated, and those in `skip` (id pairs the person passed on), come last.
    """
    person = _person(studio, person)
    ids = pool_ids(studio, person, query)
    if len(ids) < 2:
        where = f" matching {query!r}" if query else ""
        raise InvalidArgument(
            f"Rating needs at least 2 artworks of {person}{where}, found {len(ids)}; make some "
            "with `studiolo paint` or `studiolo generate`."
        )
    emb = get_embedder(embedder or DEFAULT_EMBEDDER)
    features = emb.reduce(artwork_features(studio, ids, emb), studio.settings.home)
    training = training_pairs(studio, person)
    model = TasteModel.prior(features.shape[1])
    if training.total >= MIN_PAIRS:
        model = _fit(studio, training, emb)[0]
    where = {sha: i for i, sha in enumerate(ids)}
    asked = [(where[a], where[b]) for a, b in [*training.direct, *skip]
             if a in where and b in where]
    i, j = next_pair(model, features, exclude=asked, seed=seed)
    return ids[i], ids[j]
