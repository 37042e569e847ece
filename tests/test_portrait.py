"""Portrait mode on the bundled astronaut photo: the face stays recognisable; no-face handling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import studiolo
from studiolo.capabilities.portrait import register_engines
from studiolo.capabilities.portrait.engine import PortraitEngine
from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument, UnknownName
from studiolo.core.types import InputRef, Recipe

PHOTO = Path(studiolo.__file__).parent / "data" / "photos" / "astronaut.jpg"
SUNRISE = Path("/work/shared/artworks/claude-monet__impression-sunrise.jpg")


def run(options: dict, images: dict, **recipe) -> object:
    return PortraitEngine().run(Request(recipe=Recipe(engine="portrait", options=options, **recipe), images=images))[0]


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return Image.open(PHOTO).convert("RGB").resize((256, 256), Image.Resampling.LANCZOS)


@pytest.fixture(scope="module")
def portrait(photo):
    events = []
    art = PortraitEngine().run(
        Request(
            recipe=Recipe(engine="portrait", options={"style": "the starry night"},
                          inputs=(InputRef("init", "ab" * 32),)),
            images={"init": photo},
        ),
        events.append,
    )[0]
    return art, events


def test_portrait_keeps_the_face_more_than_a_full_stylisation(portrait, photo):
    art, events = portrait
    options = art.recipe.options
    assert art.image.size == photo.size and art.recipe.mode == "portrait"
    x, y, w, h = options["face_box"]
    assert 95 < x + w / 2 < 130 and 45 < y + h / 2 < 75  # the face, at half the photo's scale
    assert options["face_similarity"] > options["face_similarity_full_style"] + 0.1
    assert options["strength"] == 0.9 and options["face_strength"] == 0.45
    assert {e["stage"] for e in events} >= {"faces"}
    assert art.parents == ("ab" * 32,)
    assert any(c.role == "style_source" and "Gogh" in c.name for c in art.credits)


def test_face_is_closer_to_the_photo_than_the_background_is(portrait, photo):
    art, _ = portrait
    x, y, w, h = art.recipe.options["face_box"]
    a, b = np.asarray(art.image, float), np.asarray(photo, float)
    face_err = np.abs(a - b)[y + h // 4 : y + 3 * h // 4, x + w // 4 : x + 3 * w // 4].mean()
    corner_err = np.abs(a - b)[200:, :60].mean()
    assert face_err < corner_err * 0.7


def test_replaying_the_recorded_recipe_gives_the_same_picture(portrait, photo):
    art, _ = portrait
    again = PortraitEngine().run(Request(recipe=art.recipe, images={"init": photo}))[0]
    assert np.abs(np.asarray(again.image, int) - np.asarray(art.image, int)).max() <= 2


def test_no_face_names_the_picture_and_the_way_out():
    sunrise = Image.open(SUNRISE)
    with pytest.raises(InvalidArgument) as info:
        run({"style": "the starry night"}, {"init": sunrise})
    text = str(info.value)
    assert text.startswith("No face found in claude-monet__impression-sunrise.jpg")
    assert "use --whole-picture to stylise the whole picture" in text


def test_whole_picture_mode_with_a_style_image():
    small = Image.open(SUNRISE).convert("RGB").resize((160, 124), Image.Resampling.LANCZOS)
    style = Image.open(PHOTO).convert("RGB").resize((128, 128))
    art = run({"whole_picture_if_no_face": True, "strength": 1.0}, {"init": small, "style": style})
    assert art.image.size == small.size
    assert art.recipe.options["faces"] == [] and art.recipe.options["face_box"] is None
    assert np.abs(np.asarray(art.image, float) - np.asarray(small, float)).mean() > 5  # it changed


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"style": "the starry night", "face_strength": 1.5}, InvalidArgument, "Portrait option `face_strength` is invalid"),
        ({"style": "the starry night", "feather": -1}, InvalidArgument, "Portrait option `feather` is invalid"),
        ({"style": "the starry night", "colour": "red"}, InvalidArgument, "Portrait option `colour` is invalid"),
        ({}, InvalidArgument, "needs a `style` option (a built-in style name) or a style image"),
        ({"style": "the starry nite of doom"}, UnknownName, "Unknown style"),
    ],
)
def test_bad_options(photo, options, error, message):
    with pytest.raises(error) as info:
        run(options, {"init": photo})
    assert message in str(info.value)


def test_missing_init_and_registration():
    with pytest.raises(InvalidArgument, match=r"needs a photo as images\['init'\]; got images \[\]"):
        run({"style": "the starry night"}, {})
    got = []
    register_engines(got.append)
    assert [e.id for e in got] == ["portrait"] and got[0].capabilities == frozenset({"portrait"})
