"""Filling: every method keeps known pixels, auto records its choices, the exemplar method
continues a texture a diffusion cannot, and the diffusion hook refuses to run without a model."""

from __future__ import annotations

import numpy as np
import pytest

from studiolo.capabilities.restore import fill as fl
from studiolo.capabilities.restore import harmonic, patch
from studiolo.capabilities.restore import synthetic as syn
from studiolo.core.errors import InvalidArgument, ModelNotFound

from .conftest import painting


def psnr(a: np.ndarray, b: np.ndarray, m: np.ndarray) -> float:
    err = ((a[m].astype(float) - b[m].astype(float)) ** 2).mean()
    return float(10 * np.log10(255**2 / max(err, 1e-9)))


@pytest.fixture(scope="module")
def damaged():
    image = painting(side=320)
    recipe = syn.DamageRecipe(cracks=8, craquelure=0, scratches=4, losses=24, stains=0,
                              foxing=0, tears=0, loss_sizes=(6, 60))
    return image, syn.apply_damage(image, recipe, seed=11)


@pytest.mark.parametrize("method", ["telea", "ns", "patch", "auto"])
def test_each_method_fills_only_the_mask_and_improves_on_the_damage(damaged, method):
    image, d = damaged
    mask = d.union()
    result = fl.fill(d.image, mask, method)
    assert (result.image[~mask] == d.image[~mask]).all()
    assert psnr(result.image, image, mask) > psnr(d.image, image, mask) + 6
    assert result.requested == method
    if method != "auto":
        assert {h.method for h in result.holes} <= {method}


def test_auto_records_what_it_chose_and_why(damaged):
    _, d = damaged
    result = fl.fill(d.image, d.union(), "auto")
    assert result.holes and result.line_pixels > 0
    for hole in result.holes:
        assert hole.method in (fl.SMOOTH, "learned")
        assert hole.reason and str(hole.span) in hole.reason
        if hole.span < fl.SMALL:
            assert hole.method == fl.SMOOTH and "small" in hole.reason
    from studiolo.capabilities.restore.engine import METHOD_CREDITS

    assert {h.method for h in result.holes} <= set(METHOD_CREDITS)  # each one is credited
    counted = result.by_method()
    assert sum(v["pixels"] for v in counted.values()) == int(d.union().sum())
    assert result.to_json()["holes"][0]["method"] == result.holes[0].method


def test_diffusion_without_a_model_is_refused_plainly(damaged):
    _, d = damaged
    with pytest.raises(ModelNotFound) as caught:
        fl.fill(d.image, d.union(), "diffusion")
    assert str(caught.value) == (
        "Diffusion inpainting needs a model: pass --model with a local inpainting model (none "
        "was given), or choose --method auto, telea, ns, patch or learned.")


def test_diffusion_uses_the_injected_inpainter(damaged):
    _, d = damaged
    calls = []

    def grey(crop, hole):
        calls.append(hole.sum())
        out = crop.copy()
        out[hole] = 128
        return out

    result = fl.fill(d.image, d.union(), "diffusion", diffusion=grey)
    assert calls and all(h.method == "diffusion" for h in result.holes)
    hole = result.holes[0]
    x, y, w, h = hole.box
    assert (result.image[y:y + h, x:x + w][d.union()[y:y + h, x:x + w]] == 128).any()


def test_a_bad_inpainter_is_named(damaged):
    _, d = damaged
    with pytest.raises(InvalidArgument) as caught:
        fl.fill(d.image, d.union(), "diffusion", diffusion=lambda c, h: c[:2])
    assert str(caught.value).startswith("The diffusion inpainter returned uint8 (2,")


def test_unknown_method_and_mask_shape_are_named(damaged):
    _, d = damaged
    with pytest.raises(InvalidArgument) as caught:
        fl.fill(d.image, d.union(), "magic")
    assert str(caught.value) == ("`method` must be one of auto, telea, ns, patch, learned, "
                                 "diffusion, got 'magic'.")
    with pytest.raises(InvalidArgument) as caught:
        fl.fill(d.image, d.union()[:10], "telea")
    h, w = d.image.shape[:2]
    assert str(caught.value) == (f"The mask is {w}x10 px but the image is {w}x{h} px; give a "
                                 "mask of the image's size.")


def test_exemplar_continues_stripes_that_diffusion_blurs():
    _y, x = np.mgrid[0:96, 0:96]
    stripes = np.where((x // 4) % 2 == 0, 40, 210).astype(np.uint8)
    image = np.repeat(stripes[..., None], 3, axis=2)
    hole = np.zeros((96, 96), bool)
    hole[30:62, 30:62] = True
    damaged = image.copy()
    damaged[hole] = 255
    synth = patch.complete(damaged, hole, seed=0)
    telea = fl.fill(damaged, hole, "telea").image
    assert psnr(synth, image, hole) > psnr(telea, image, hole) + 5
    assert psnr(synth, image, hole) > 20


def test_harmonic_fill_is_exact_on_a_ramp_and_keeps_known_pixels():
    ramp = np.tile(np.linspace(0, 255, 64, dtype=np.float32)[None, :, None], (48, 1, 3))
    hole = np.zeros((48, 64), bool)
    hole[10:40, 12:50] = True
    out = harmonic.fill(ramp, hole)
    assert np.abs(out - ramp).max() < 0.05
    assert (out[~hole] == ramp[~hole]).all()


def test_biharmonic_fill_is_exact_on_a_parabola_where_the_membrane_sags():
    _y, x = np.mgrid[0:48, 0:64].astype(np.float32)
    bowl = np.repeat((0.12 * (x - 32) ** 2)[..., None], 3, axis=2)
    hole = np.zeros((48, 64), bool)
    hole[12:36, 20:44] = True
    thin_plate = harmonic.biharmonic(bowl, hole)
    membrane = harmonic.fill(bowl, hole)
    assert np.abs(thin_plate - bowl)[hole].max() < 0.05
    assert np.abs(membrane - bowl)[hole].max() > 3
    assert (thin_plate[~hole] == bowl[~hole]).all()


def test_blend_weight_follows_the_fitted_table():
    spans, weights = harmonic.blend_table()
    assert len(spans) == len(weights) >= 4 and all(0 <= w <= 1 for w in weights)
    assert harmonic.blend_weight(spans[0]) == pytest.approx(weights[0])
    assert harmonic.blend_weight(spans[-1] * 10) == pytest.approx(weights[-1])
    mid = (spans[1] * spans[2]) ** 0.5
    assert harmonic.blend_weight(mid) == pytest.approx((weights[1] + weights[2]) / 2, abs=1e-6)


@pytest.mark.parametrize("method", ["learned", "auto"])
def test_a_40_px_loss_in_textured_paint_is_filled_closer_than_telea(method):
    from studiolo.capabilities.restore import learned

    if method == "learned" and not learned.available():
        pytest.skip("the learned filler's weights are not bundled")
    image = painting("claude-monet-impression-sunrise.jpg")
    rng = np.random.default_rng(5)
    gains = []
    for _ in range(6):
        y, x = rng.integers(60, image.shape[0] - 60), rng.integers(60, image.shape[1] - 60)
        hole = np.zeros(image.shape[:2], np.uint8)
        outline = syn.blob(rng, 40.0) + np.array([x, y])
        import cv2

        cv2.fillPoly(hole, [np.rint(outline).astype(np.int32)], 1)
        hole = hole.astype(bool)
        damaged = image.copy()
        damaged[hole] = (238, 232, 215)
        telea = fl.fill(damaged, hole, "telea").image
        ours = fl.fill(damaged, hole, method)
        assert (ours.image[~hole] == image[~hole]).all()
        assert ours.holes[0].method in ("learned", fl.SMOOTH)
        gains.append(psnr(ours.image, image, hole) - psnr(telea, image, hole))
    assert np.mean(gains) > 1.0 and min(gains) > -0.5, gains


def test_tiled_fill_matches_one_tile(damaged, monkeypatch):
    _, d = damaged
    whole = fl.fill(d.image, d.union(), "telea").image
    monkeypatch.setattr(fl, "TILE", 96)
    tiled = fl.fill(d.image, d.union(), "telea").image
    # Lines near a tile's edge see the same 3 px neighbourhood: the same pixels within
    # rounding where a hole's first guess came from another window.
    assert np.abs(tiled.astype(int) - whole).mean() < 0.5


def test_batched_learned_fill_matches_one_hole_at_a_time_and_fills_only_the_hole():
    from studiolo.capabilities.restore import learned, net

    if not learned.available():
        pytest.skip("the learned filler's weights are not bundled")
    image = painting(side=320)
    rng = np.random.default_rng(2)
    crops, holes = [], []
    for side, r in ((60, 9), (72, 14), (130, 40), (64, 9), (200, 70)):
        y, x = rng.integers(0, image.shape[0] - side), rng.integers(0, image.shape[1] - side)
        crop = image[y:y + side, x:x + side].copy()
        yy, xx = np.mgrid[:side, :side]
        hole = (yy - side / 2) ** 2 + (xx - side / 2) ** 2 < r * r
        crops.append(crop)
        holes.append(hole)
    together = learned.fill_many(crops, holes)
    for crop, hole, batched in zip(crops, holes, together, strict=True):
        alone = learned.fill(crop, hole)
        assert np.array_equal(batched[~hole], crop[~hole])
        assert np.abs(batched.astype(int) - alone.astype(int)).max() <= 1
        assert np.abs(batched[hole].astype(int) - crop[hole].astype(int)).mean() > 0
    import torch

    before = torch.get_num_threads()
    with net.one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_small_holes_solved_together_match_one_hole_at_a_time():
    import cv2

    image = painting(side=320)
    rng = np.random.default_rng(3)
    mask = np.zeros(image.shape[:2], np.uint8)
    for _ in range(25):
        centre = rng.uniform(20, np.array(image.shape[1::-1]) - 20)
        cv2.fillPoly(mask, [np.rint(syn.blob(rng, float(rng.uniform(7, 11))) + centre
                                    ).astype(np.int32)], 1)
    mask = mask.astype(bool)
    result = fl.fill(image, mask, "auto")
    small = [h for h in result.holes if h.span < fl.SMALL]
    assert len(small) >= 10 and {h.method for h in small} == {fl.SMOOTH}
    n, labels = cv2.connectedComponents(mask.astype(np.uint8))
    worst, compared = 0, 0
    for i in range(1, n):
        ys, xs = np.nonzero(labels == i)
        if max(np.ptp(ys), np.ptp(xs)) + 1 >= fl.SMALL:
            continue
        y0, y1, x0, x1 = ys.min() - 8, ys.max() + 9, xs.min() - 8, xs.max() + 9
        hole = labels[y0:y1, x0:x1] == i
        if (labels[y0:y1, x0:x1] > 0).sum() != hole.sum():
            continue  # another hole in its box: its first guess differs
        alone = fl._fill_hole(image[y0:y1, x0:x1].copy(), hole, fl.SMOOTH, None, 0)
        worst = max(worst, int(np.abs(alone[hole].astype(int)
                                      - result.image[y0:y1, x0:x1][hole]).max()))
        compared += 1
    assert compared >= 5 and worst <= 1
