"""Colour recovery: it undoes a synthetic varnish better than grey world, strength 0 is a no-op,
a neutral reference neutralises a cast, and bad arguments are named."""

from __future__ import annotations

import numpy as np
import pytest

from studiolo.capabilities.restore import colour
from studiolo.capabilities.restore import synthetic as syn
from studiolo.capabilities.restore.colourspace import rgb_to_lab
from studiolo.core.errors import InvalidArgument
from studiolo.features.cielab import ciede2000

from .conftest import painting

pytestmark = pytest.mark.skipif(colour.load_model() is None,
                                reason="weights/colour.json missing: run scripts/train_damage.py")


def delta_e(a: np.ndarray, b: np.ndarray) -> float:
    return float(ciede2000(rgb_to_lab(a), rgb_to_lab(b)).mean())


# Held-out paintings (synthetic.split) in the package's reduced copies.
HELD_OUT = ["paul-cezanne-mont-sainte-victoire-with-large-pine.jpg",
            "pierre-auguste-renoir-two-sisters-on-the-terrace.jpg",
            "alfred-sisley-the-flood-at-port-marly.jpg"]


def test_varnish_is_undone_on_held_out_paintings():
    errors = []
    for name in HELD_OUT:
        original = painting(name, side=320)
        yellowed = syn.yellow(original, 0.6)
        correction = colour.estimate(yellowed)
        restored = colour.apply(yellowed, correction)
        assert correction.method == "learned" and 0.3 < correction.varnish < 0.9, name
        errors.append(delta_e(restored, original))
        assert errors[-1] < delta_e(yellowed, original) / 2, name
        assert errors[-1] < delta_e(colour.grey_world(yellowed), original), name
    assert np.mean(errors) < 3.0  # the target (on these three: 2.8)


def test_strength_zero_changes_nothing_and_half_is_between():
    original = painting(side=200)
    yellowed = syn.yellow(original, 0.7)
    full = colour.estimate(yellowed, 1.0)
    assert (colour.apply(yellowed, colour.estimate(yellowed, 0.0)) == yellowed).all()
    half = colour.apply(yellowed, colour.estimate(yellowed, 0.5))
    d_full = delta_e(colour.apply(yellowed, full), original)
    assert d_full < delta_e(half, original) < delta_e(yellowed, original)


def test_neutral_reference_makes_that_patch_grey():
    image = painting(side=200).copy()
    image[10:40, 10:40] = 200  # a grey card in the scan
    cast = syn.yellow(image, 0.8)
    correction = colour.estimate(cast, reference=(10, 10, 30, 30))
    patch = colour.apply(cast, correction)[10:40, 10:40].astype(float).mean(axis=(0, 1))
    assert correction.method == "reference"
    assert patch.max() - patch.min() < 3


def test_known_fading_is_inverted_exactly_without_varnish():
    original = painting(side=160)
    faded = syn.fade(original, 0.5)
    correction = colour.ColourCorrection((0.0, 0.0, 0.0), 0.0, 0.5)
    assert delta_e(colour.apply(faded, correction), original) < 1.0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"strength": 1.5}, "`strength` must be a number from 0 to 1, got 1.5."),
    ({"fading": "lots"}, "`fading` must be None, 'auto' or a number from 0 to 1, got 'lots'."),
    ({"reference": (190, 0, 30, 30)},
     "`reference` (190, 0, 30, 30) is not a box inside the 200x"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(InvalidArgument) as caught:
        colour.estimate(painting(side=200), **kwargs)
    assert str(caught.value).startswith(message)
