"""Detection: tiled equals untiled, thresholds a person sets take effect, the classical path
works without weights, the net finds synthetic damage on a held-out painting, and the
weights are small, safetensors, and refused when they are a pickle."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from studiolo.capabilities.restore import classical, detect, metrics, net
from studiolo.capabilities.restore import synthetic as syn
from studiolo.capabilities.restore.kinds import KINDS
from studiolo.core.errors import UnsafeModelFile

from .conftest import painting

HAS_NET = net.weights_path().is_file()


@pytest.fixture(scope="module")
def damaged():
    return syn.apply_damage(painting(side=320), syn.TRAINING_RECIPE, seed=21)


@pytest.mark.parametrize("use_net", [False, pytest.param(True, marks=pytest.mark.skipif(
    not HAS_NET, reason="no damage weights"))])
def test_tiled_equals_untiled(damaged, use_net):
    whole = detect.detect_damage(damaged.image, detect.DamageOptions(use_net=use_net, tile=1024))
    tiled = detect.detect_damage(damaged.image, detect.DamageOptions(use_net=use_net, tile=128))
    for kind in KINDS:
        a, b = whole.mask(kind), tiled.mask(kind)
        # The net sees 64 px of context either way (its reach is a little more), and tiny
        # specks are judged per tile: allow a handful of pixels of difference.
        assert (a != b).mean() < 0.002, kind


def test_a_higher_threshold_finds_less(damaged):
    low = detect.detect_damage(damaged.image, detect.DamageOptions(
        use_net=HAS_NET, thresholds={"cracks": 0.2}))
    high = detect.detect_damage(damaged.image, detect.DamageOptions(
        use_net=HAS_NET, thresholds={"cracks": 0.9}))
    assert high.mask("cracks").sum() < low.mask("cracks").sum()
    assert high.thresholds["cracks"] == 0.9
    row = next(r for r in high.summary() if r.kind == "cracks")
    assert row.threshold == 0.9 and (row.pixels == 0 or row.mean_confidence >= 0.9)


@pytest.mark.parametrize(("thresholds", "message"), [
    ({"mould": 0.5}, "unknown damage kind 'mould'; known: cracks, scratches, losses, stains, tears"),
    ({"cracks": 1.5}, "the threshold for cracks must be between 0 and 1, got 1.5"),
])
def test_bad_thresholds_are_named(thresholds, message):
    with pytest.raises(ValueError, match=message):
        detect.DamageOptions(thresholds=thresholds)


def test_classical_detector_finds_dark_lines_on_flat_paint():
    image = np.full((120, 160, 3), 190, np.uint8)
    image[60, 10:150] = 40  # a 1 px dark crack
    found = detect.detect_damage(image, detect.DamageOptions(use_net=False))
    assert found.method == "classical"
    assert found.mask("cracks")[60, 20:140].mean() > 0.9
    assert found.mask("cracks")[:50].sum() == 0


@pytest.mark.skipif(not HAS_NET, reason="no damage weights")
def test_net_finds_cracks_and_losses_on_a_held_out_painting():
    image = painting("paul-cezanne-mont-sainte-victoire-with-large-pine.jpg", side=512)
    d = syn.apply_damage(image, syn.DamageRecipe(cracks=3, losses=6), seed=9)
    found = detect.detect_damage(d.image)
    assert found.method == "net+classical"
    for kind in ("cracks", "losses"):
        c = metrics.counts(found.mask(kind), d.masks[kind], tolerance=2)
        assert c.f1 > 0.6, (kind, c.precision, c.recall)


@pytest.mark.skipif(not HAS_NET, reason="no damage weights")
def test_weights_are_small_safetensors_with_their_recipe():
    path = net.weights_path()
    assert path.stat().st_size < 3_000_000
    _, config, meta = net.load()
    assert config.in_channels == 3 + len(classical.CUE_NAMES)
    assert {"seed", "steps", "thresholds", "held_out"} <= set(meta)


def test_a_pickle_renamed_safetensors_is_refused(tmp_path):
    fake = tmp_path / "damage_unet.safetensors"
    fake.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(UnsafeModelFile) as caught:
        net.load(str(fake))
    assert str(caught.value).startswith(f"The weights {fake} are not a safetensors file")


def test_a_soft_highlight_is_screened_and_a_sharp_loss_is_not():
    from studiolo.capabilities.restore import highlights

    yy, xx = np.mgrid[:80, :160].astype(np.float32)
    image = np.full((80, 160, 3), 90, np.float32)
    glow = 150 * np.exp(-((yy - 40) ** 2 + (xx - 40) ** 2) / (2 * 5.0**2))  # a catchlight
    image += glow[..., None]
    loss = (yy - 40) ** 2 + (xx - 120) ** 2 < 8**2  # paint broken away: a sharp pale disc
    image[loss] = (235, 228, 210)
    image = np.clip(image, 0, 255).astype(np.uint8)
    found = (glow > 60) | loss
    screened = highlights.soft_bright(image, found)
    assert screened[40, 40] and not screened[loss].any()
    assert not highlights.soft_bright(image, loss).any()


def test_highlights_of_a_real_scan_are_not_taken_for_losses():
    from .conftest import painting

    vermeer = painting("johannes-vermeer-girl-with-a-pearl-earring.jpg")
    assert vermeer.shape[:2] == (512, 432)
    catchlight = (slice(196, 204), slice(186, 196))  # the lit eye: soft-edged, bright
    plain = detect.detect_damage(vermeer, detect.DamageOptions(screen_highlights=False))
    screened = detect.detect_damage(vermeer)
    assert plain.mask("losses")[catchlight].any()
    assert not screened.mask("losses")[catchlight].any()
    assert screened.mask("losses").sum() < plain.mask("losses").sum()
    eye = (slice(198, 205), slice(186, 193))  # the same eye's round glint, taken for a tear
    assert plain.mask("tears")[eye].any() and not screened.mask("tears")[eye].any()
    assert screened.mask("tears").sum() > 0.5 * plain.mask("tears").sum()  # long ones stay
    assert any("highlights" in note for note in screened.notes)
