"""The detector's second stage (refine.py) and the stain screen: an untrained refiner is the
segmenter, the ridge cue tells dark lines from light ones, the refiner changes only the kinds
it refines, its weights are small safetensors, and stain candidates cooler than their
surround are dropped."""

from __future__ import annotations

import numpy as np
import pytest

from studiolo.capabilities.restore import classical, detect, refine, stains
from studiolo.capabilities.restore import synthetic as syn
from studiolo.capabilities.restore.kinds import KINDS
from studiolo.core.errors import ModelNotFound

from .conftest import painting

HAS_REFINER = refine.path().is_file()


def test_an_untrained_refiner_is_the_segmenter():
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
    prob = rng.uniform(0.01, 0.99, (len(KINDS), 40, 48)).astype(np.float32)
    x = refine.inputs(rgb, classical.cues(rgb), prob)
    assert x.shape == (refine.RefinerConfig().in_channels, 40, 48)
    out = refine.refine(refine.build(), refine.RefinerConfig(), x)
    for i, kind in enumerate(refine.REFINED):
        np.testing.assert_allclose(out[i], prob[KINDS.index(kind)], atol=1e-5)


@pytest.mark.parametrize(("value", "dark"), [(60, True), (230, False)])
def test_ridges_tell_dark_lines_from_light(value, dark):
    grey = np.full((64, 64), 140, np.uint8)
    grey[:, 31] = value
    r = refine.ridges(grey)
    on, far = r[:, 32, 31], r[:, 32, 10]
    line, other = (0, 1) if dark else (1, 0)
    assert on[line] > 0.5 and on[other] < 0.05
    assert np.all(far < 0.01)


def test_missing_refiner_weights_are_named(tmp_path):
    where = tmp_path / "none.safetensors"
    with pytest.raises(ModelNotFound, match="The damage refiner's weights are missing"):
        refine.load(str(where))


def test_stain_screen_keeps_warm_patches_and_drops_cool_ones():
    image = np.full((80, 120, 3), (150, 150, 150), np.uint8)
    image[20:40, 10:30] = (160, 135, 100)  # browner than the grey around it
    image[20:40, 70:90] = (120, 140, 175)  # bluer
    found = np.zeros((80, 120), bool)
    found[20:40, 10:30] = found[20:40, 70:90] = True
    kept = stains.warmer_than_surround(image, found)
    assert kept[20:40, 10:30].all()
    assert not kept[20:40, 70:90].any()
    assert not stains.warmer_than_surround(image, np.zeros_like(found)).any()


@pytest.mark.skipif(not HAS_REFINER, reason="no refiner weights")
def test_the_refiner_changes_only_cracks_and_losses_and_is_small():
    damaged = syn.apply_damage(painting(side=256), syn.TRAINING_RECIPE, seed=5)
    with_it = detect.detect_damage(damaged.image, detect.DamageOptions(screen_highlights=False))
    without = detect.detect_damage(damaged.image, detect.DamageOptions(
        use_refiner=False, screen_highlights=False))
    for kind in KINDS:
        same = np.array_equal(with_it.confidence[kind], without.confidence[kind])
        assert same == (kind not in refine.REFINED), kind
    assert refine.path().stat().st_size < 200_000
    with refine.path().open("rb") as fp:
        assert fp.read(9)[8:9] == b"{"
