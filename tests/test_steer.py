"""Steering toward taste: best of N, the painter search, style words (studiolo.capabilities.taste.steer)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from studiolo.capabilities.painter.engine import PainterEngine
from studiolo.capabilities.taste.steer import (
    RANGES,
    allowed_paintings,
    best_of_n,
    score_images,
    search_painter,
)
from studiolo.capabilities.taste.words import PALETTE_WORDS, suggest_style_words
from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument
from studiolo.core.types import Recipe

PROMPT = "a calm lake under hills"


@pytest.fixture(autouse=True)
def _home(studio_home):
    return studio_home


def warmth(images):
    """A simple known taste: prefers warm pictures (mean red minus mean blue)."""
    return np.array([np.asarray(im, np.float32)[..., 0].mean() - np.asarray(im, np.float32)[..., 2].mean()
                     for im in images])


def _noise(i):
    rng = np.random.default_rng(i)
    return Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)), {"seed": i}


def _pixels(artwork):
    return np.asarray(artwork.image)


# -- best of N ----------------------------------------------------------------


def test_best_of_n_keeps_the_argmax_and_is_seeded():
    ranked = best_of_n(_noise, warmth, 8)
    scores = warmth([_noise(i)[0] for i in range(8)])
    assert ranked[0].index == int(np.argmax(scores)) and ranked[0].params == {"seed": ranked[0].index}
    assert ranked[0].score == pytest.approx(scores.max())
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)
    again = best_of_n(_noise, warmth, 8)
    assert [c.index for c in again] == [c.index for c in ranked]
    assert np.array_equal(np.asarray(again[0].image), np.asarray(ranked[0].image))


def test_best_of_n_takes_artworks():
    def make(i):
        recipe = Recipe(engine="painter", prompt=PROMPT, seed=i, width=64, height=64, options={"no_style": True})
        return PainterEngine().run(Request(recipe))[0]

    ranked = best_of_n(make, warmth, 3)
    assert sorted(c.params.recipe.seed for c in ranked) == [0, 1, 2]
    assert ranked[0].score == max(c.score for c in ranked)


@pytest.mark.parametrize("n", [0, -2, 1.5, True])
def test_best_of_n_bad_n(n):
    with pytest.raises(InvalidArgument, match=rf"`n` must be an integer of at least 1, got {n!r}"):
        best_of_n(_noise, warmth, n)


def test_score_of_wrong_length_and_empty_lists():
    with pytest.raises(InvalidArgument, match=r"`score` returned 1 values for 3 images"):
        best_of_n(_noise, lambda ims: np.zeros(1), 3)
    with pytest.raises(InvalidArgument, match=r"non-finite"):
        best_of_n(_noise, lambda ims: np.full(len(ims), np.nan), 2)
    with pytest.raises(InvalidArgument, match=r"`images` is empty"):
        score_images(warmth, [])
    with pytest.raises(InvalidArgument, match=r"`make\(0\)` must return"):
        best_of_n(lambda i: "not an image", warmth, 1)


# -- the painter search -------------------------------------------------------


def _random_options(rng, ids):
    from studiolo.capabilities.painter.engine import PALETTES

    opts = {n: round(float(rng.uniform(lo, hi)), 3) for n, (lo, hi) in RANGES.items()}
    return {**opts, "style": str(rng.choice(ids)), "palette": str(rng.choice(PALETTES))}


def test_search_beats_random_parameters_and_its_recipe_repaints_the_same():
    found = search_painter(PROMPT, warmth, seed=3, width=96, height=96, work_side=64, rounds=3, population=8,
                           label="warm-test")
    art = found.artwork
    assert art.image.size == (96, 96)
    rng = np.random.default_rng(0)
    ids = [s.id for s in allowed_paintings()]
    randoms = []
    for _ in range(7):
        recipe = Recipe(engine="painter", prompt=PROMPT, seed=3, width=96, height=96,
                        options=_random_options(rng, ids))
        randoms.append(PainterEngine().run(Request(recipe))[0].image)
    final = float(warmth([art.image])[0])
    assert final > float(np.median(warmth(randoms)))
    assert found.predicted >= found.baseline and len(found.history) <= 3 * 8
    record = art.recipe.options["taste"]
    assert record["profile"] == "warm-test" and "palette" in record["searched"] and record["tried"] > 8
    assert record["predicted"] == pytest.approx(found.predicted, abs=1e-5)
    # Same recipe and seed, same pixels, also after a JSON round trip.
    again = PainterEngine().run(Request(Recipe.from_json(art.recipe.to_json())))[0]
    assert np.array_equal(_pixels(again), _pixels(art))


def test_search_respects_prompt_fixed_options_and_optouts():
    # The prompt names a palette and an artist: neither is searched; fixed options stay.
    found = search_painter("a golden field in the style of Van Gogh", warmth, width=64, height=64, rounds=1,
                           population=3, fixed={"stroke": 1.5}, final=False)
    assert found.artwork is None
    assert set(found.options["taste"]["searched"]) == {"strength", "horizon", "clouds"}
    assert all(o["stroke"] == 1.5 and "palette" not in o and "style" not in o for o, _ in found.history)
    # Opted-out artists are never tried as a style.
    banned = ["Raphael", "Claude Monet", "Gogh"]
    found = search_painter(PROMPT, warmth, width=64, height=64, rounds=2, population=6, searched=["style"],
                           optouts=banned, final=False)
    used = {o.get("style") for o, _ in found.history} | {
        s["name"] for o, _ in found.history for s in o.get("styles", [])}
    used.discard(None)
    assert used and not any(("raphael" in u or "monet" in u or "gogh" in u) for u in used)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"population": 1}, r"`population` must be an integer of at least 2, got 1"),
    ({"rounds": 0}, r"`rounds` must be an integer of at least 1, got 0"),
    ({"elite": 1.5}, r"`elite` must be a fraction between 0 and 1, got 1.5"),
    ({"searched": ["colour"]}, r"unknown painter options \['colour'\]"),
    ({"width": 20}, r"`width` must be an integer from 64"),
])
def test_search_bad_input(kwargs, match):
    with pytest.raises(InvalidArgument, match=match):
        search_painter(PROMPT, warmth, **kwargs)


def test_search_needs_a_score():
    with pytest.raises(InvalidArgument, match=r"`score` must be a callable"):
        search_painter(PROMPT, 42)


# -- style words ---------------------------------------------------------------


def _cosine_to(style_id):
    from studiolo.features.style import style_vector

    target = style_vector(style_id)

    def score(images):
        vecs = np.stack([style_vector(im) for im in images])
        return vecs @ target / (np.linalg.norm(vecs, axis=1) * np.linalg.norm(target))

    return score


def test_style_words_rank_the_liked_painting_first_and_skip_optouts():
    target = "katsushika-hokusai-the-great-wave-off-kanagawa"
    score = _cosine_to(target)
    found = suggest_style_words(score, palettes=0)
    assert found.artists[0][:2] == ("Katsushika Hokusai", target)
    assert found.words[0] == "in the style of Katsushika Hokusai"
    found = suggest_style_words(score, optouts=["Hokusai", "Claude Monet"], palettes=0, top=40)
    named = " ".join(found.words + tuple(a for a, _, _ in found.artists)).lower()
    assert "hokusai" not in named and "monet" not in named and len(found.words) > 10


def test_style_words_palette_follows_taste():
    found = suggest_style_words(warmth, top=1, palettes=1)
    gains = dict(found.palettes)
    assert gains["warm"] > 0 > gains["cool"] and found.palettes[0][1] == max(gains.values())
    assert len(found.words) == 2 and found.words[-1] == PALETTE_WORDS[found.palettes[0][0]]
    assert found.prompt_suffix.startswith("in the style of ")


# -- the painter options the search steers -------------------------------------------


def test_painter_blend_and_overrides_are_recorded_credited_and_consent_checked():
    from studiolo.catalog.consent import OptOut
    from studiolo.provenance.consent import find_optouts

    options = {"styles": [{"name": "claude-monet-impression-sunrise", "weight": 3},
                          {"name": "katsushika-hokusai-the-great-wave-off-kanagawa", "weight": 1}],
               "palette": "cool", "horizon": 0.4, "clouds": 0.8, "stroke": 2.0}
    recipe = Recipe(engine="painter", prompt=PROMPT, seed=2, width=64, height=64, options=options)
    art = PainterEngine().run(Request(recipe))[0]
    opts = art.recipe.options
    assert opts["style_chosen"]["id"] == "claude-monet-impression-sunrise"
    assert [s["weight"] for s in opts["styles_blended"]] == [0.75, 0.25]
    assert opts["scene"]["palette"]["name"] == "cool" and opts["horizon"] == 0.4
    shares = sorted(c.share for c in art.credits if c.role == "style_source")
    assert shares == pytest.approx([0.075, 0.225])
    plain = PainterEngine().run(Request(recipe.replace(options={})))[0]
    assert not np.array_equal(_pixels(plain), _pixels(art))
    assert "palette" not in plain.recipe.options and "styles" not in plain.recipe.options
    assert find_optouts(recipe, [OptOut(name="Hokusai")])  # a blended painting is a requested style
