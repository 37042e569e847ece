"""Steer making toward a person's taste: best of N, and a search over the painter's options.

Everything here takes a scoring callable `score(images) -> np.ndarray` (one
number per PIL image, higher = liked): a fitted profile's `score_images`, or a
simulated person (`benchmarks/taste.py`). Nothing here stores anything; the
Studio runs and stores what these functions choose.

- `best_of_n(make, score, n)`: make N candidates, return them best first.
- `search_painter(prompt, score, ...)`: the cross-entropy method (Rubinstein
  1999; de Boer et al. 2005, "A Tutorial on the Cross-Entropy Method") over the
  offline painter's recipe options, painted small; the result is a set of
  options that the painter turns into the same pixels every time.

Style words for diffusion prompts (`suggest_style_words`) are in words.py.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, Recipe

Score = Callable[[list[Image.Image]], np.ndarray]

# Continuous painter options searched, and the box searched in (inside the option's bounds).
RANGES: dict[str, tuple[float, float]] = {
    "strength": (0.25, 1.0), "horizon": (0.35, 0.75), "clouds": (0.0, 0.9), "stroke": (0.6, 2.2)}
SEARCHABLE = ("style", "palette", *RANGES)
STYLE_DIMS = 3  # principal components of the paintings' style vectors the style is searched in
BLEND_MIN = 0.25  # a second painting joins the blend when its weight would be at least this


@dataclass(frozen=True)
class Candidate:
    """One made candidate: its image, what made it (params, recipe or artwork), its score and index."""

    image: Image.Image
    params: Any
    score: float
    index: int


@dataclass(frozen=True)
class PainterSearch:
    """What `search_painter` found.

    `options`: the painter recipe options to paint with (the searched values plus
    a "taste" entry that records the search; the painter ignores it).
    `predicted`: the best score at the working size; `baseline`: the score of the
    prompt's own choices. `history`: every option set tried, with its score.
    `artwork`: the final painting at the requested size (None when final=False).
    """

    options: dict[str, Any]
    predicted: float
    baseline: float
    history: tuple[tuple[dict[str, Any], float], ...]
    artwork: Artwork | None


# -- scoring ----------------------------------------------------------------


def as_score(profile_or_score: Any) -> Score:
    """A scoring callable from a callable or anything with `score_images` (a TasteProfile)."""
    if hasattr(profile_or_score, "score_images"):
        return profile_or_score.score_images
    if callable(profile_or_score):
        return profile_or_score
    raise InvalidArgument(f"`score` must be a callable (images -> scores) or a taste profile, "
                          f"got {type(profile_or_score).__name__}.")


def score_images(score: Score, images: Sequence[Image.Image]) -> np.ndarray:
    """`score(images)` as a float array, checked: one finite number per image."""
    images = list(images)
    if not images:
        raise InvalidArgument("`images` is empty: there is nothing to score.")
    out = np.asarray(score(images), dtype=np.float64).reshape(-1)
    if out.shape[0] != len(images):
        raise InvalidArgument(
            f"`score` returned {out.shape[0]} values for {len(images)} images; it must return one per image.")
    if not np.isfinite(out).all():
        raise InvalidArgument(f"`score` returned non-finite values: {out[~np.isfinite(out)][:3].tolist()}.")
    return out


def check_count(name: str, value: Any, least: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise InvalidArgument(f"`{name}` must be an integer of at least {least}, got {value!r}.")
    return value


# -- best of N --------------------------------------------------------------


def best_of_n(make: Callable[[int], Any], score: Score, n: int) -> list[Candidate]:
    """Make `n` candidates with `make(0)` ... `make(n-1)` and return them best first.

    `make(i)` returns `(image, params)` or an Artwork (its params are the artwork);
    seed it from `i` and the result is seeded too. Ties keep the lower index.
    """
    check_count("n", n)
    if not callable(make):
        raise InvalidArgument(f"`make` must be a callable i -> (image, params), got {type(make).__name__}.")
    made = [make(i) for i in range(n)]
    for i, item in enumerate(made):
        if not isinstance(item, Artwork) and not (
                isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], Image.Image)):
            raise InvalidArgument(
                f"`make({i})` must return (PIL image, params) or an Artwork, got {type(item).__name__}.")
    images = [m.image if isinstance(m, Artwork) else m[0] for m in made]
    params = [m if isinstance(m, Artwork) else m[1] for m in made]
    scores = score_images(as_score(score), images)
    order = sorted(range(n), key=lambda i: (-scores[i], i))
    return [Candidate(images[i], params[i], float(scores[i]), i) for i in order]


# -- the painter search -----------------------------------------------------


def blocked(text: str, optouts: Sequence[Any]) -> bool:
    """Whether a text would name an opted-out artist or style (the consent check's own matching)."""
    if not optouts:
        return False
    from studiolo.catalog.consent import OptOut
    from studiolo.provenance.consent import find_optouts

    entries = [o if isinstance(o, OptOut) else OptOut(name=str(o)) for o in optouts]
    return bool(find_optouts(Recipe(engine="check", prompt=text), entries))


def allowed_paintings(optouts: Iterable[Any] = ()) -> list[Any]:
    """The built-in paintings (BuiltinStyle) whose artist and title are not opted out."""
    from studiolo.features.styles import list_styles

    optouts = list(optouts)
    return [s for s in list_styles()
            if s.kind == "painting" and not blocked(f"{s.artist} - {s.title}", optouts)]


def _style_space(ids: Sequence[str]) -> np.ndarray:
    """(len(ids), d) coordinates in [0, 1]: the style vectors' first principal components."""
    from studiolo.features.style import style_vector

    vectors = np.stack([style_vector(i) for i in ids]).astype(np.float64)
    centred = vectors - vectors.mean(0)
    dims = min(STYLE_DIMS, len(ids) - 1)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    coords = centred @ vt[:dims].T
    lo, hi = coords.min(0), coords.max(0)
    return (coords - lo) / np.maximum(hi - lo, 1e-9)


def _decode_style(z: np.ndarray, ids: Sequence[str], space: np.ndarray) -> dict[str, Any]:
    # The nearest painting, blended with the second nearest when the point lies between them.
    d = np.linalg.norm(space - z, axis=1)
    a, b = np.argsort(d)[:2]
    wa, wb = 1.0 / (d[a] + 1e-6) ** 2, 1.0 / (d[b] + 1e-6) ** 2
    share = wb / (wa + wb)
    if share < BLEND_MIN:
        return {"style": ids[a]}
    return {"styles": [{"name": ids[a], "weight": round(float(1.0 - share), 3)},
                       {"name": ids[b], "weight": round(float(share), 3)}]}


def _paint(prompt: str, options: Mapping[str, Any], seed: int, width: int, height: int) -> Artwork:
    from studiolo.capabilities.painter.engine import PainterEngine

    recipe = Recipe(engine="painter", mode="txt2img", prompt=prompt, seed=seed, width=width, height=height,
                    steps=0, options=dict(options))
    return PainterEngine().run(Request(recipe))[0]


def _what_to_search(spec: Any, searched: Sequence[str] | None, fixed: Mapping[str, Any]) -> list[str]:
    from studiolo.capabilities.painter.choose_style import choose_style
    from studiolo.capabilities.painter.compose import LANDSCAPE

    if searched is None:  # what the prompt left open
        searched = list(SEARCHABLE)
        if spec.palette.score > 0:
            searched.remove("palette")
        if choose_style(spec).why.startswith(("the prompt names", "the style word")):
            searched.remove("style")
        names = set(spec.subject_names)
        if not names & LANDSCAPE and names & {"flow", "geometry"}:  # abstractions have no horizon or sky
            searched = [s for s in searched if s not in ("horizon", "clouds")]
    unknown = [s for s in searched if s not in SEARCHABLE]
    if unknown:
        raise InvalidArgument(f"`searched` names unknown painter options {unknown}; known: {list(SEARCHABLE)}.")
    if fixed.get("no_style"):
        searched = [s for s in searched if s not in ("style", "strength")]
    return [s for s in searched if s not in fixed and not (s == "style" and "styles" in fixed)]


def search_painter(
    prompt: str,
    score: Any,
    *,
    seed: int = 0,
    width: int = 512,
    height: int = 512,
    work_side: int = 192,
    rounds: int = 4,
    population: int = 12,
    elite: float = 0.25,
    searched: Sequence[str] | None = None,
    fixed: Mapping[str, Any] | None = None,
    optouts: Iterable[Any] = (),
    label: str | None = None,
    final: bool = True,
    progress: ProgressCallback = no_progress,
) -> PainterSearch:
    """Search the painter's options for the picture of `prompt` the taste rates highest.

    Cross-entropy method: sample `population` option sets from a distribution
    (Gaussian per continuous option, categorical palette, the style as a point
    among the paintings' style vectors), paint each at `work_side` px, keep the
    best `elite` fraction of everything tried so far, refit, repeat `rounds` times.
    The prompt's own choices are always tried first, so the result never scores
    below them. `searched` (None: what the prompt leaves open) names options from
    SEARCHABLE; `fixed` options are kept as given; styles of `optouts` are never
    tried. The search is seeded by `seed`, like the painting.
    """
    # 1. Check inputs.
    from studiolo.capabilities.painter.engine import PALETTES, PainterEngine
    from studiolo.capabilities.painter.plan import read_prompt

    score = as_score(score)
    check_count("rounds", rounds)
    check_count("population", population, 2)
    check_count("work_side", work_side, 64)
    if isinstance(elite, bool) or not isinstance(elite, int | float) or not 0.0 < elite < 1.0:
        raise InvalidArgument(f"`elite` must be a fraction between 0 and 1, got {elite!r}.")
    fixed = dict(fixed or {})
    PainterEngine().check_inputs(Request(Recipe(engine="painter", prompt=prompt, seed=seed, width=width,
                                                height=height, options=fixed)))
    spec = read_prompt(prompt)  # what the painter itself reads: a lexicon-only prompt too
    names = _what_to_search(spec, searched, fixed)
    optouts = list(optouts)
    ids: list[str] = []
    if "style" in names:
        ids = [s.id for s in allowed_paintings(optouts)]
        if len(ids) < 2:
            names.remove("style")
    space = _style_space(ids) if "style" in names else np.zeros((0, 0))
    cont = [n for n in names if n in RANGES]
    palettes = list(PALETTES)
    rng = np.random.default_rng(seed)

    # 2. The starting distribution: centred on the defaults where there is one.
    mean = np.array([(0.6 - RANGES[n][0]) / (RANGES[n][1] - RANGES[n][0]) if n == "strength" else 0.5
                     for n in cont] + [0.5] * space.shape[1])
    start = dict(fixed)  # the prompt's own choices
    if space.size:
        from studiolo.capabilities.painter.choose_style import choose_style

        auto = choose_style(spec).id
        if auto in ids:
            mean[len(cont):] = space[ids.index(auto)]
        else:  # the painting the prompt would get is opted out: start from an allowed one
            start.update(_decode_style(mean[len(cont):], ids, space))
    std = np.full(mean.shape, 0.35)
    probs = np.full(len(palettes), 1.0 / len(palettes))
    own_palette = palettes.index(spec.palette.name) if spec.palette.name in palettes else 0

    def decode(x: np.ndarray, palette: int | None) -> dict[str, Any]:
        opts = dict(fixed)
        for k, n in enumerate(cont):
            lo, hi = RANGES[n]
            opts[n] = round(lo + (hi - lo) * float(x[k]), 3)
        if space.size:
            opts.update(_decode_style(x[len(cont):], ids, space))
        if palette is not None:
            opts["palette"] = palettes[palette]
        return opts

    # 3. Rounds of sample, paint small, score, refit to the elite.
    shrink = min(1.0, work_side / max(width, height))
    ww, wh = max(64, round(width * shrink)), max(64, round(height * shrink))
    tried: dict[str, tuple[dict[str, Any], float, np.ndarray, int | None]] = {}
    n_elite = max(1, math.ceil(elite * population))
    for r in range(rounds):
        batch: list[tuple[dict[str, Any], np.ndarray, int | None]] = []
        if r == 0:
            batch.append((start, mean.copy(), own_palette))
        while len(batch) < population:
            x = np.clip(rng.normal(mean, std), 0.0, 1.0)
            p = int(rng.choice(len(palettes), p=probs)) if "palette" in names else None
            batch.append((decode(x, p), x, p))
        fresh = [(o, x, p) for o, x, p in batch if json.dumps(o, sort_keys=True) not in tried]
        if fresh:
            images = [_paint(prompt, o, seed, ww, wh).image for o, _, _ in fresh]
            for (o, x, p), s in zip(fresh, score_images(score, images), strict=True):
                tried[json.dumps(o, sort_keys=True)] = (o, float(s), x, p)
        progress({"stage": "taste search", "step": r + 1, "total": rounds})
        best = sorted(tried.values(), key=lambda t: -t[1])[:n_elite]
        xs = np.stack([t[2] for t in best])
        mean = 0.7 * xs.mean(0) + 0.3 * mean
        std = np.maximum(0.7 * xs.std(0) + 0.3 * std, 0.05)
        if "palette" in names:
            counts = np.bincount([t[3] for t in best], minlength=len(palettes))
            probs = np.maximum(0.7 * counts / counts.sum() + 0.3 * probs, 0.01)
            probs /= probs.sum()

    # 4. The best options, recorded, and (when asked) the final painting at full size.
    history = tuple((o, s) for o, s, _, _ in tried.values())
    best_opts, predicted = max(history, key=lambda t: t[1])
    baseline = history[0][1]
    record = {"method": "cross-entropy search", "searched": names, "rounds": rounds, "population": population,
              "tried": len(history), "work_size": [ww, wh], "predicted": round(predicted, 6),
              "predicted_default": round(baseline, 6)}
    if label:
        record["profile"] = label
    options = {**best_opts, "taste": record}
    artwork = _paint(prompt, options, seed, width, height) if final else None
    return PainterSearch(options, predicted, baseline, history, artwork)
