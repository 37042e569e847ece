"""The synthetic damage generator the net, the tests and the benchmark share, and CIEDE2000."""

from __future__ import annotations

import numpy as np
import pytest

from studiolo.capabilities.restore import synthetic as syn
from studiolo.capabilities.restore.colourspace import (
    decode_uint8,
    encode_uint8,
    rgb_to_lab,
)
from studiolo.capabilities.restore.kinds import KINDS
from studiolo.features.cielab import ciede2000

from .conftest import painting

# Sharma, Wu and Dalal (2005), Table 1: pairs 1, 7, 13, 17, 25, 33 and their ΔE00.
SHARMA = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0011), 7.2195),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.135), (0.9033, -0.0636, -0.5514), 0.9082),
]


@pytest.mark.parametrize(("lab1", "lab2", "expected"), SHARMA)
def test_ciede2000_matches_sharma_test_data(lab1, lab2, expected):
    assert ciede2000(np.array(lab1), np.array(lab2)) == pytest.approx(expected, abs=1e-4)


def test_srgb_round_trip_and_lab_white():
    codes = np.arange(256, dtype=np.uint8)
    assert (encode_uint8(decode_uint8(codes)) == codes).all()
    assert rgb_to_lab(np.array([255, 255, 255], np.uint8)) == pytest.approx([100, 0, 0], abs=0.01)


def test_same_seed_same_pixels_other_seed_other_pixels():
    image = painting(side=256)
    a = syn.apply_damage(image, syn.TRAINING_RECIPE, seed=7)
    b = syn.apply_damage(image, syn.TRAINING_RECIPE, seed=7)
    c = syn.apply_damage(image, syn.TRAINING_RECIPE, seed=8)
    assert (a.image == b.image).all() and all((a.masks[k] == b.masks[k]).all() for k in KINDS)
    assert not (a.image == c.image).all()
    # Expected numbers: a change to the generator (which would silently change the training
    # data and the benchmark) is caught, not only a crash.
    assert {k: int(m.sum()) for k, m in a.masks.items()} == {
        "cracks": 1404, "scratches": 0, "losses": 965, "stains": 7776, "tears": 646}
    assert int(a.image.astype(int).sum()) == 18789190


def test_masks_mark_only_visible_change_and_losses_are_in_range():
    image = painting(side=384)
    damaged = syn.apply_damage(image, syn.TRAINING_RECIPE, seed=4)
    changed = np.abs(damaged.image.astype(int) - image).max(axis=2) >= syn.VISIBLE
    for kind in ("cracks", "scratches", "stains", "tears"):
        m = damaged.masks[kind]
        assert m.any() and changed[m].mean() > 0.97, kind
    assert damaged.losses and all(5 <= loss.size <= 120 for loss in damaged.losses)
    for loss in damaged.losses:
        x, y, w, h = loss.box
        assert damaged.masks["losses"][y:y + h, x:x + w].any()
    assert damaged.union().mean() < 0.5


def test_yellowing_takes_blue_most_and_fading_takes_saturation():
    image = painting(side=128)
    y = syn.yellow(image, 0.8).astype(float).mean(axis=(0, 1))
    o = image.astype(float).mean(axis=(0, 1))
    drop = o - y
    assert drop[2] > drop[1] > drop[0]
    f = syn.fade(image, 0.8).astype(float)
    assert f.std(axis=2).mean() < image.astype(float).std(axis=2).mean() * 0.7
    assert (syn.yellow(image, 0.0) == image).all() or np.abs(
        syn.yellow(image, 0.0).astype(int) - image).max() <= 1


def test_split_holds_out_a_fifth_and_never_the_cracked_paintings():
    names = [f"p{i:02d}.jpg" for i in range(50)] + sorted(syn.REAL_CRACKS)
    train, held = syn.split(names)
    assert len(held) == 10 and not set(train) & set(held)
    assert not (set(train) | set(held)) & syn.REAL_CRACKS
