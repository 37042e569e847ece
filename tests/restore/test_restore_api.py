"""The verbs phase 2 wires to the CLI: files of the image's size, JSON that serialises, a
report, and the big-scan path in bounded memory."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest
from PIL import Image

from studiolo.capabilities.restore import api, detect
from studiolo.capabilities.restore import synthetic as syn
from studiolo.capabilities.restore.kinds import KINDS

from .conftest import painting


def test_damage_writes_one_white_on_black_mask_per_kind(tmp_path):
    image = syn.apply_damage(painting(side=256), syn.TRAINING_RECIPE, seed=1).image
    Image.fromarray(image).save(tmp_path / "scan.png")
    result = api.damage(tmp_path / "scan.png", out=tmp_path / "maps")
    assert sorted(result.files) == sorted(KINDS)
    for kind in KINDS:
        mask = np.asarray(Image.open(tmp_path / "maps" / f"{kind}.png"))
        assert mask.shape == image.shape[:2] and set(np.unique(mask)) <= {0, 255}
        assert (mask == 255).mean() == next(k.fraction for k in result.kinds if k.kind == kind)
    text = json.dumps(result.to_json())
    assert '"kind": "cracks"' in text and "mean_confidence" in text


def test_restore_with_colour_and_report(tmp_path):
    original = painting(side=256)
    damaged = syn.apply_damage(syn.yellow(original, 0.5), syn.TRAINING_RECIPE, seed=2)
    Image.fromarray(damaged.image).save(tmp_path / "scan.png")
    Image.fromarray(damaged.union().astype(np.uint8) * 255).save(tmp_path / "mask.png")
    result = api.restore(tmp_path / "scan.png", mask=tmp_path / "mask.png", method="auto",
                         colour_correction=True, out=tmp_path / "out.png",
                         report_path=tmp_path / "report.html")
    restored = np.asarray(Image.open(tmp_path / "out.png"))
    assert restored.shape == original.shape
    before = np.abs(damaged.image.astype(float) - original).mean()
    assert np.abs(restored.astype(float) - original).mean() < before / 2
    data = result.to_json()
    assert json.loads(json.dumps(data))["fill"]["requested"] == "auto"
    assert data["colour"]["method"] in ("learned", "white-patch") and data["colour_change"] > 1
    html = (tmp_path / "report.html").read_text()
    assert html.count("data:image/") >= 3 and "<script" in html and "http" not in html.split(
        "<body>")[1].replace("http-equiv", "")


def test_restore_without_mask_fills_detected_damage(tmp_path):
    damaged = syn.apply_damage(painting(side=200), syn.TRAINING_RECIPE, seed=5)
    result = api.restore(damaged.image)
    assert result.mask_source.startswith("detected (")
    assert result.damage is not None and result.fill is not None
    filled = result.fill.by_method()
    assert sum(v["pixels"] for v in filled.values()) > 0


def test_grayscale_restore_skips_colour_and_says_so(tmp_path):
    grey = painting(side=96)[..., 0]
    Image.fromarray(grey).save(tmp_path / "grey.png")
    result = api.restore(tmp_path / "grey.png", colour_correction=True)
    assert "Colour correction was skipped: the scan is grayscale." in result.notes
    assert result.colour is None


@pytest.mark.slow
def test_a_20000_px_strip_is_detected_and_filled_in_bounded_memory(monkeypatch):
    strip = np.tile(painting(side=300)[:, :300], (1, 67, 1))[:, :20000]
    strip = syn.apply_damage(strip, syn.DamageRecipe(losses=1, cracks=0.5), seed=3).image
    monkeypatch.setattr(detect, "TILE", 512)
    tracemalloc.start()
    result = api.restore(strip, method="telea", options=detect.DamageOptions(use_net=False))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.restored.shape == strip.shape
    # The picture is 18 MB as uint8; a float32 copy alone would be 72 MB. Five uint8
    # confidence maps, the masks and the output are what we allow: under 10x the picture.
    assert peak < 10 * strip.nbytes
