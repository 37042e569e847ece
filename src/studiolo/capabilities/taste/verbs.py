"""The Studio's taste steering: `paint(..., taste=NAME)` and `generate(..., taste=NAME)`.

1. For the painter, search its options (style blend, palette, horizon, clouds,
   stroke) toward the taste first (`taste.steer.search_painter`, the
   cross-entropy method), painted small.
2. For other engines (diffusion), suggest the style words the taste rates
   highest (`taste.words.suggest_style_words`); the prompt is left as written.
3. Make `candidates` pictures with seeds seed, seed+1, ... through `Studio.run`,
   score them with the profile and store only the best `batch_size`.

The kept artwork's recipe is an ordinary recipe of its engine: run again without
the taste, it makes the same pixels. Its options carry a "taste" note that no
engine reads (`Studio.run` holds it back from the engine): which profile chose
it, from how many candidates, every candidate's seed and predicted score, the
search, and the suggested words.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

from studiolo.core.errors import InvalidArgument, TasteWarning
from studiolo.core.maker import Maker
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, Recipe

TASTE_NOTE = "taste"  # the recipe option that records the choice; engines never see it
DEFAULT_CANDIDATES = 8
MAX_CANDIDATES = 64
# The painter search's budget: rounds x population small paintings.
SEARCH_DEFAULTS: dict[str, Any] = {"rounds": 4, "population": 12, "work_side": 192}


def check_taste_arguments(taste: Any, candidates: Any, taste_search: Any) -> None:
    """`candidates` and `taste_search` only mean something with a taste."""
    if taste is None:
        for name, value in (("candidates", candidates), ("taste_search", taste_search)):
            if value is not None:
                raise InvalidArgument(f"`{name}` ({value!r}) only applies with `taste`: name a taste "
                                      "profile (see `studiolo taste ls`).")


def taste_profile(
    studio: Maker,
    taste: Any) -> Any:
    """A saved profile of the studio's person by name, or a TasteProfile object as given."""
    from studiolo.capabilities.taste.profile import TasteProfile, load_profile

    if isinstance(taste, TasteProfile):
        return taste
    if not isinstance(taste, str) or not taste.strip():
        raise InvalidArgument(f"`taste` must name a taste profile (see `studiolo taste ls`), "
                              f"got {taste!r}.")
    return load_profile(studio, taste.strip())


def steered(
    studio: Maker,
    recipe: Recipe,
    taste: Any,
    *,
    candidates: int | None,
    keep: int,
    search: bool | Mapping[str, Any] | None,
    progress: ProgressCallback = no_progress,
    device: str | None = None,
) -> list[Artwork]:
    """Make `candidates` artworks of `recipe` and store the `keep` the taste rates highest."""
    # 1. Check inputs.
    n = DEFAULT_CANDIDATES if candidates is None else candidates
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_CANDIDATES:
        raise InvalidArgument(f"`candidates` must be an integer from 1 to {MAX_CANDIDATES}, got {n!r}.")
    if isinstance(keep, bool) or not isinstance(keep, int) or not 1 <= keep <= n:
        raise InvalidArgument(f"`batch_size` (the artworks kept) must be from 1 to `candidates` "
                              f"({n}), got {keep!r}.")
    painter = recipe.engine == "painter"
    if search is None:
        search = painter
    if search is not False and not painter:
        raise InvalidArgument(f"`taste_search` works with the painter only; engine {recipe.engine!r} "
                              "keeps the best of its candidates.")
    if not isinstance(search, bool | Mapping):
        raise InvalidArgument(f"`taste_search` must be True, False or a dict of search settings, "
                              f"got {search!r}.")
    profile = taste_profile(studio, taste)
    warn_if_unsure(profile)
    note: dict[str, Any] = {"profile": profile.name, "person": profile.person,
                            "version": profile.version, "pairs": profile.n_pairs,
                            "accuracy": profile.accuracy}
    optouts = studio.catalog.list_optouts()

    # 2. The painter: search its options toward the taste.
    if search is not False:
        recipe, note["search"] = _search_painter(studio, recipe, profile, search, optouts, progress)
    # 3. Other engines: style words the taste rates highest (suggested, not applied).
    if not painter:
        from studiolo.capabilities.taste.words import suggest_style_words

        progress({"stage": "taste words", "step": 0, "total": 1})
        note["style_words"] = list(suggest_style_words(profile, optouts=optouts).words)
        progress({"stage": "taste words", "step": 1, "total": 1})

    # 4. Make the candidates, keep the best (only those are stored).
    def select(made: list[Artwork]) -> list[Artwork]:
        return keep_best(made, profile.score_images, keep, note, progress)

    return studio.run(recipe, batch_size=n, progress=progress, device=device, select=select)


def _search_painter(
    studio: Maker,
    recipe: Recipe, profile: Any, search: bool | Mapping[str, Any], optouts: list[Any],
    progress: ProgressCallback,
) -> tuple[Recipe, dict[str, Any]]:
    from studiolo.capabilities.taste.steer import search_painter

    settings = {**SEARCH_DEFAULTS, **(dict(search) if isinstance(search, Mapping) else {})}
    unknown = set(settings) - {"rounds", "population", "work_side", "elite", "searched"}
    if unknown:
        raise InvalidArgument(f"`taste_search` has unknown settings {sorted(unknown)}; known: "
                              "rounds, population, work_side, elite, searched.")
    found = search_painter(recipe.prompt, profile, seed=recipe.seed, width=recipe.width,
                           height=recipe.height, fixed=recipe.options, optouts=optouts,
                           final=False, progress=progress, **settings)
    options = dict(found.options)
    record = dict(options.pop(TASTE_NOTE))
    return recipe.replace(options=options), record


def warn_if_unsure(profile: Any) -> None:
    """A TasteWarning when the profile has fewer pairs than it takes to trust it."""
    from studiolo.capabilities.taste.model import TRUSTWORTHY_PAIRS

    if profile.accuracy is None or profile.n_pairs < TRUSTWORTHY_PAIRS:
        warnings.warn(f"Taste profile {profile.name!r} is fitted on only {profile.n_pairs} rated "
                      f"pairs: {profile.trust()}", TasteWarning, stacklevel=3)


def keep_best(
    made: list[Artwork],
    score: Callable[[list[Any]], Any],
    keep: int,
    note: Mapping[str, Any],
    progress: ProgressCallback = no_progress,
) -> list[Artwork]:
    """The `keep` artworks `score` rates highest, best first, each recipe noting the choice."""
    from studiolo.capabilities.taste.steer import best_of_n

    progress({"stage": "taste", "step": 0, "total": len(made)})
    ranked = best_of_n(lambda i: made[i], score, len(made))
    progress({"stage": "taste", "step": len(made), "total": len(made)})
    by_index = {c.index: c.score for c in ranked}
    scores = [round(by_index[i], 6) for i in range(len(made))]
    seeds = [a.recipe.seed for a in made]
    kept = []
    for rank, candidate in enumerate(ranked[:keep], start=1):
        artwork = candidate.params
        record = {**note, "candidates": len(made), "rank": rank, "predicted": round(candidate.score, 6),
                  "seeds": seeds, "scores": scores}
        options = {**artwork.recipe.options, TASTE_NOTE: record}
        kept.append(artwork.replace(recipe=artwork.recipe.replace(options=options)))
    return kept
