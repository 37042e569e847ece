"""Colour figures: CIEDE2000, the palette, harmony types, colourfulness, the flat and grey notes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from studiolo.capabilities.analyse.colour import (
    analyse_colour,
    colourfulness,
    colourfulness_words,
    palette,
)
from studiolo.capabilities.analyse.colournames import colour_name, srgb_to_lab
from studiolo.capabilities.analyse.harmony import harmony
from studiolo.capabilities.analyse.prepare import prepare
from studiolo.core.errors import InvalidArgument
from studiolo.features.cielab import ciede2000
from studiolo.features.styles import style_image

# Sharma, Wu & Dalal 2005, Table 1: pairs 1, 2, 7, 17, 25 and 34.
SHARMA = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 3.1571, -77.2803), (50.0, 0.0, -82.7485), 2.8615),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


def hue_image(hues_deg: list[float], chroma: float = 50.0, lightness: float = 60.0,
              size: int = 64) -> Image.Image:
    """Vertical bands of CIELAB colours at the given hue angles, converted to sRGB."""
    import cv2

    lab = np.zeros((size, size, 3), np.float32)
    lab[..., 0] = lightness
    for i, h in enumerate(hues_deg):
        band = slice(i * size // len(hues_deg), (i + 1) * size // len(hues_deg))
        lab[:, band, 1] = chroma * np.cos(np.radians(h))
        lab[:, band, 2] = chroma * np.sin(np.radians(h))
    rgb = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)
    return Image.fromarray(np.clip(np.rint(rgb * 255), 0, 255).astype(np.uint8))


@pytest.mark.parametrize(("lab1", "lab2", "expected"), SHARMA)
def test_ciede2000_matches_sharma_table(lab1, lab2, expected):
    assert float(ciede2000(np.array(lab1), np.array(lab2))) == pytest.approx(expected, abs=1e-4)
    assert float(ciede2000(np.array(lab2), np.array(lab1))) == pytest.approx(expected, abs=1e-4)


def test_colour_names_of_plain_colours():
    assert colour_name(srgb_to_lab(np.array([18, 18, 18], np.float32))) == "black"
    assert colour_name(srgb_to_lab(np.array([30, 40, 140], np.float32))) == "ultramarine"
    assert colour_name(srgb_to_lab(np.array([204, 153, 51], np.float32))) == "yellow ochre"


def test_palette_of_two_colours_is_those_colours_in_proportion():
    a = np.zeros((40, 100, 3), np.uint8)
    a[:, :75] = (200, 30, 35)
    a[:, 75:] = (30, 40, 140)
    colours = palette(prepare(Image.fromarray(a)))
    assert [(c.hex, c.name) for c in colours] == [("#c81e23", "red"), ("#1e288c", "ultramarine")]
    assert [c.proportion for c in colours] == pytest.approx([0.75, 0.25])


def test_palette_of_a_painting_is_pinned():
    colours = palette(prepare(style_image("claude-monet-impression-sunrise")))
    assert len(colours) == 6
    assert sum(c.proportion for c in colours) == pytest.approx(1.0)
    got = np.array([c.lab for c in colours])
    expected = np.array([[52.52, -1.65, 9.55], [58.84, -5.88, 8.04], [50.52, -9.07, 1.61]])
    assert np.abs(got[:3] - expected).max() < 1.0


@pytest.mark.parametrize(("hues", "kind"), [
    ([40.0, 48.0], "monochromatic"),
    ([20.0, 200.0], "complementary"),
    ([0.0, 120.0, 240.0], "triadic"),
    ([10.0, 160.0, 220.0], "split-complementary"),
    ([0.0, 30.0, 60.0, 80.0], "analogous"),
    ([0.0, 90.0, 180.0, 270.0], "square"),
])
def test_harmony_types_of_hue_bands(hues, kind):
    assert harmony(prepare(hue_image(hues)).lab).kind == kind


def test_harmony_of_grey_and_of_scattered_hues():
    grey = Image.new("RGB", (64, 64), (120, 120, 120))
    assert harmony(prepare(grey).lab).kind == "achromatic"
    assert harmony(prepare(hue_image([0, 50, 100, 170, 230, 300])).lab).kind == "mixed"


def test_colourfulness_follows_hasler_suesstrunk():
    assert colourfulness(np.full((8, 8, 3), 128, np.uint8)) == 0.0
    red = np.zeros((8, 8, 3), np.uint8)
    red[..., 0] = 255  # rg = 255, yb = 127.5, no spread: M = 0.3 * hypot(255, 127.5)
    assert colourfulness(red) == pytest.approx(0.3 * np.hypot(255, 127.5))
    vivid = analyse_colour(prepare(hue_image([0, 120, 240], chroma=70)))
    muted = analyse_colour(prepare(hue_image([0, 120, 240], chroma=8)))
    assert vivid.colourfulness_words == "extremely colourful"
    assert muted.colourfulness_words == "slightly colourful"
    assert colourfulness_words(0.0) == "not colourful"


def test_flat_and_grey_pictures_say_so():
    flat = prepare(Image.new("RGB", (64, 48), (127, 127, 127)))
    assert flat.flat and flat.notes == (
        ("The image is one flat colour (#7f7f7f): it has no strokes, edges or focal points to "
        "measure, so those figures are zero."),)
    report = analyse_colour(flat)
    assert [c.hex for c in report.palette] == ["#7f7f7f"] and report.colourfulness == 0.0
    rng = np.random.default_rng(0)
    grey = Image.fromarray(rng.integers(0, 255, (300, 300), dtype=np.uint8), "L")
    prep = prepare(grey)
    assert prep.grayscale and not prep.flat
    assert prep.notes == (("The image is grayscale: its hues, harmony and colourfulness are those "
                          "of a grey picture, not of the painting's colours."),)
    assert analyse_colour(prep).harmony.kind == "achromatic"


def test_tiny_images_are_refused_with_the_size():
    with pytest.raises(InvalidArgument) as err:
        prepare(Image.new("RGB", (20, 12)))
    assert str(err.value) == ("`image` is 20x12 px; analysis needs at least 32 px on each side, "
                              "so use a larger scan of the work.")
    noise = np.random.default_rng(1).integers(0, 255, (40, 64, 3), dtype=np.uint8)
    small = prepare(Image.fromarray(noise))
    assert small.notes[0] == ("The image is only 64x40 px, so its brushwork figures describe "
                              "blur and compression more than strokes.")


def test_swatch_is_drawn_for_every_palette():
    report = analyse_colour(prepare(style_image("claude-monet-impression-sunrise")))
    assert report.swatch.size == (960, 144)
    # The first colour fills the left of the bar.
    assert report.swatch.getpixel((2, 2)) == report.palette[0].rgb
    assert "swatch" not in report.to_json()


@settings(max_examples=40, deadline=None)
@given(st.integers(32, 80), st.integers(32, 80), st.integers(0, 2**32 - 1),
       st.integers(1, 6))
def test_colour_analysis_is_total(w, h, seed, levels):
    rng = np.random.default_rng(seed)
    pixels = (rng.integers(0, levels, (h, w, 3)) * (255 // max(levels - 1, 1))).astype(np.uint8)
    report = analyse_colour(prepare(Image.fromarray(pixels)))
    assert 1 <= len(report.palette) <= 6
    assert sum(c.proportion for c in report.palette) == pytest.approx(1.0)
    assert np.isfinite(report.colourfulness) and report.to_json()["harmony"]["kind"]
