"""The offline painter: understanding, composition, the engine and its recipe."""

from __future__ import annotations

import numpy as np
import pytest

from studiolo.capabilities.painter.engine import PainterEngine, compose, understand
from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument
from studiolo.core.types import Recipe


@pytest.fixture(autouse=True)
def _home(studio_home):
    return studio_home


def _run(prompt, seed=0, size=64, n=1, **options):
    recipe = Recipe(engine="painter", prompt=prompt, seed=seed, width=size, height=size, options=options)
    return PainterEngine().run(Request(recipe, batch_size=n))


@pytest.mark.parametrize(
    ("prompt", "subjects", "mood", "time"),
    [
        ("a stormy sea at night", {"sea"}, "stormy", "night"),
        ("snowy mountains at dawn", {"mountains", "snow"}, "calm", "dawn"),
        ("a calm lake at sunset", {"lake"}, "calm", "dusk"),
        ("a starry night over a village", {"stars", "city"}, "calm", "night"),
        ("a lighthouse in a tempest", {"lighthouse"}, "stormy", "noon"),
        ("a lone wanderer in a meadowland", {"figure", "field"}, "melancholy", "noon"),
        ("a joyful garden of flowers at noon", {"flowers"}, "joyful", "noon"),
        ("an abstract composition of swirling energy", {"flow"}, "energetic", "noon"),
        ("a forest under the full moon", {"forest", "moon"}, "calm", "night"),
        ("a sailing boat on a misty sea at dawn", {"boat", "sea"}, "mysterious", "dawn"),
    ],
)
def test_understands_simple_prompts(prompt, subjects, mood, time):
    spec = understand(prompt)
    assert subjects <= set(spec.subject_names)
    assert spec.mood.name == mood
    assert spec.time_of_day.name == time
    assert spec.used_words and all(c.why for c in spec.subjects)


def test_semantic_match_records_cosine():
    spec = understand("a sorrowful meadowland")  # neither word is in the vocabulary lists
    assert "field" in spec.subject_names and spec.mood.name == "melancholy"
    assert "cosine" in spec.subjects[0].why and 0.4 < spec.subjects[0].score < 1.0


def test_palette_and_ignored_words():
    spec = understand("a golden field with my grandmother's tractor")
    assert spec.palette.name == "golden"
    assert "tractor" in spec.ignored_words and "field" in spec.used_words


def test_unmappable_prompt_names_its_words():
    with pytest.raises(InvalidArgument, match=r"could not map 'quantum blockchain'.*\['quantum', 'blockchain'\]"):
        understand("quantum blockchain")


@pytest.mark.parametrize("prompt", ["", "   "])
def test_empty_prompt(prompt):
    with pytest.raises(InvalidArgument, match=r"`prompt` must be a non-empty text"):
        _run(prompt)


@pytest.mark.parametrize(("field", "value"), [("width", 63), ("height", 2049), ("width", 0)])
def test_size_bounds(field, value):
    recipe = Recipe(engine="painter", prompt="a calm sea", **{field: value})
    with pytest.raises(InvalidArgument, match=rf"`{field}` must be an integer from 64 to 2048 px, got {value}"):
        PainterEngine().run(Request(recipe))


def test_bad_strength_option():
    with pytest.raises(InvalidArgument, match=r"option `strength` is invalid"):
        _run("a calm sea", strength=3.0)


def test_reproducible_and_seeded():
    a = np.asarray(_run("a calm sea at dusk", seed=5)[0].image)
    b = np.asarray(_run("a calm sea at dusk", seed=5)[0].image)
    c = np.asarray(_run("a calm sea at dusk", seed=6)[0].image)
    assert np.array_equal(a, b)
    assert np.abs(a.astype(int) - c.astype(int)).mean() > 2


def test_batch_seeds_and_odd_sizes():
    arts = _run("rolling hills", seed=10, size=77, n=2, no_style=True)
    assert [a.recipe.seed for a in arts] == [10, 11]
    assert arts[0].image.size == (77, 77)
    assert not np.array_equal(np.asarray(arts[0].image), np.asarray(arts[1].image))


def test_recipe_records_choices_and_style():
    events = []
    art = PainterEngine().run(
        Request(Recipe(engine="painter", prompt="a wheat field in the style of Van Gogh", width=64, height=64)),
        events.append,
    )[0]
    opts = art.recipe.options
    assert art.recipe.engine == "painter" and art.recipe.mode == "txt2img"
    assert opts["style_chosen"]["artist"] == "Vincent van Gogh"
    assert opts["style_chosen"]["similarity"] > 0 and opts["style_chosen"]["title"]
    assert "field" in [s["name"] for s in opts["scene"]["subjects"]]
    assert "gogh" in opts["scene"]["used_words"]
    assert {e["stage"] for e in events} == {"understand", "compose", "paint"}
    assert any(c.role == "style_source" and "Gogh" in c.name for c in art.credits)
    Recipe.from_json(art.recipe.to_json())  # the options are plain JSON


def _base(prompt, seed=1, size=96):
    return np.asarray(compose(understand(prompt), size, size, seed), np.float32) / 255


def test_day_landscape_has_a_sky_above_the_land():
    img = _base("green hills at noon")
    top, bottom = img[: img.shape[0] // 4], img[-img.shape[0] // 4 :]
    assert top.mean() > bottom.mean()  # bright sky over darker ground
    assert top[..., 2].mean() > top[..., 0].mean()  # and the sky is blue


def test_night_is_darker_than_day():
    assert _base("a calm sea at night").mean() < _base("a calm sea at noon").mean() - 0.15


def test_dusk_sky_is_warm_near_the_horizon():
    img = _base("a calm sea at dusk")
    band = img[int(img.shape[0] * 0.4) : int(img.shape[0] * 0.48)]
    assert band[..., 0].mean() > band[..., 2].mean() + 0.1
