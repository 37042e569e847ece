"""Built-in painting styles: lookup by id, title, artist; completion; the bundled data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import studiolo
from studiolo.core.errors import InvalidArgument, UnknownName
from studiolo.features.styles import (
    BuiltinStyle,
    complete_style_names,
    get_style,
    list_styles,
    style_image,
)

PAINTINGS = Path(studiolo.__file__).parent / "data" / "paintings"


def test_list_has_paintings_and_magenta():
    styles = list_styles()
    paintings = [s for s in styles if s.kind == "painting"]
    magenta = [s for s in styles if s.kind == "magenta"]
    assert len(paintings) == len(json.loads((PAINTINGS / "paintings.json").read_text("utf-8")))
    assert len(paintings) >= 50
    assert [s.magenta_index for s in magenta] == list(range(26))
    assert len({s.id for s in styles}) == len(styles)
    assert all(isinstance(s, BuiltinStyle) and (PAINTINGS / s.file).is_file() for s in paintings)


def test_bundled_data_is_small_and_512px():
    total = sum(p.stat().st_size for p in PAINTINGS.iterdir())
    assert total < 4_000_000
    image = style_image("The Starry Night")
    assert image.mode == "RGB" and max(image.size) == 512


@pytest.mark.parametrize(
    "name",
    [
        "The Starry Night",
        "the starry night",
        "starry night",
        "THE STARRY-NIGHT!",
        "vincent-van-gogh-the-starry-night",
        "Vincent van Gogh - The Starry Night",
        "van gogh",
        "Vincent van Gogh",
    ],
)
def test_many_ways_to_name_the_starry_night(name):
    style = get_style(name)
    assert (style.title, style.artist, style.year) == ("The Starry Night", "Vincent van Gogh", "1889")


def test_accents_and_other_artists():
    assert get_style("cafe terrace at night").title == "Café Terrace at Night"
    assert get_style("Gericault").title == "The Raft of the Medusa"  # unique artist, accent dropped
    assert get_style("monet").title == "Impression, Sunrise"  # the famous one of five
    assert get_style("Claude Monet - Water Lilies").title == "Water Lilies"
    assert get_style("magenta-7").kind == "magenta"


def test_unknown_name_lists_five_close_titles():
    with pytest.raises(UnknownName, match="Unknown style 'Stary Nite'") as info:
        get_style("Stary Nite")
    assert info.value.known[0] == "The Starry Night"
    assert len(info.value.known) == 5


def test_empty_name_is_invalid():
    with pytest.raises(InvalidArgument, match="non-empty style name"):
        get_style("  ")


def test_magenta_style_has_no_image():
    with pytest.raises(InvalidArgument, match="inside the 26-style Magenta network"):
        style_image("magenta-3")


def test_completion():
    names = complete_style_names("the s")
    assert "The Starry Night" in names and "The Swing" in names
    assert all(n.lower().startswith("the s") for n in names)
    assert "magenta-25" in complete_style_names("magenta-2")
    assert complete_style_names("zzz") == []
