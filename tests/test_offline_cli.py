"""The offline commands end to end: real bundled models, results in the catalog."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studiolo import Studio
from studiolo.capabilities.style.cli import _split_weight
from studiolo.cli import main
from studiolo.cli.demo import demo_photo


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def made(capsys, *args: str) -> dict:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    [artwork] = json.loads(out)
    assert Path(artwork["path"]).is_file()
    return artwork


@pytest.fixture
def photo(tmp_path) -> Path:
    path = tmp_path / "photo.png"
    Image.open(demo_photo()).convert("RGB").resize((128, 128)).save(path)
    return path


@pytest.fixture
def flat(tmp_path) -> Path:
    """A picture with no face in it."""
    path = tmp_path / "flat.png"
    x = np.linspace(0, 255, 96, dtype=np.uint8)
    Image.fromarray(np.stack([np.tile(x, (64, 1))] * 3, axis=-1)).save(path)
    return path


def test_paint_is_stored_with_its_choices_and_reproducible(studio_home, capsys):
    args = ("paint", "a stormy sea at night", "--seed", "5", "-W", "96", "-H", "64")
    first = made(capsys, *args)
    second = made(capsys, *args)
    same = [np.asarray(Image.open(a["path"])) for a in (first, second)]
    assert np.array_equal(*same)  # same recipe, same seed: same pixels
    options = first["recipe"]["options"]
    assert first["recipe"]["engine"] == "painter" and (first["width"], first["height"]) == (96, 64)
    assert "sea" in [s["name"] for s in options["scene"]["subjects"]]
    assert any(c["role"] == "style_source" for c in first["credits"])
    other = made(capsys, *args[:-4], "--seed", "6", "-W", "96", "-H", "64")
    assert other["id"] != first["id"]


def test_paint_with_a_named_style_and_an_unknown_one(studio_home, capsys):
    art = made(capsys, "paint", "fields at dawn", "--style", "The Starry Night", "-W", "64", "-H", "64")
    assert art["recipe"]["options"]["style_chosen"]["artist"] == "Vincent van Gogh"
    code, _, err = run(capsys, "paint", "fields", "--style", "The Stary Nite")
    assert code == 1 and err.startswith("Error: ") and "The Starry Night" in err


def test_generate_without_model_falls_back_to_the_painter(studio_home, capsys, monkeypatch):
    code, out, err = run(capsys, "generate", "a calm lake", "--width", "64", "--height", "64",
                         "--seed", "1", "--json")
    assert code == 0, err
    assert json.loads(out)[0]["recipe"]["engine"] == "painter"


def test_stylize_named_blend_and_image_style(studio_home, photo, tmp_path, capsys):
    art = made(capsys, "stylize", str(photo), "--style", "The Starry Night:3",
               "--style", "The Great Wave off Kanagawa")
    styles = art["recipe"]["options"]["styles"]
    assert [round(s["weight"], 2) for s in styles] == [0.75, 0.25]
    names = {c["name"] for c in art["credits"] if c["role"] == "style_source"}
    assert any("Vincent van Gogh" in n for n in names) and any("Hokusai" in n for n in names)
    style_file = tmp_path / "style.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(style_file)
    art2 = made(capsys, "stylize", str(photo), "--style", str(style_file), "--strength", "0.5")
    roles = [ref["role"] for ref in art2["recipe"]["inputs"]]
    assert roles == ["init", "style"]
    original = np.asarray(Image.open(photo).convert("RGB"), dtype=float)
    half = np.asarray(Image.open(art2["path"]).convert("RGB"), dtype=float)
    assert 1.0 < np.abs(half - original).mean() < 120


def test_stylize_backend_is_chosen_and_recorded(studio_home, photo, capsys):
    from studiolo.features import onnx_runtime

    art = made(capsys, "stylize", str(photo), "--style", "The Kiss", "--backend", "onnxruntime")
    assert (art["recipe"]["options"]["backend"], art["recipe"]["options"]["precision"]) == (
        "onnxruntime", "f32")
    auto = made(capsys, "stylize", str(photo), "--style", "The Kiss")
    assert auto["recipe"]["options"]["backend"] == onnx_runtime.resolve_backend("auto")


def test_stylize_with_a_mask_keeps_the_background(studio_home, photo, tmp_path, capsys):
    mask = tmp_path / "mask.png"
    m = np.zeros((128, 128), np.uint8)
    m[32:96, 32:96] = 255
    Image.fromarray(m).save(mask)
    art = made(capsys, "stylize", str(photo), "--style", "The Kiss", "--mask", str(mask))
    out = np.asarray(Image.open(art["path"]).convert("RGB"), dtype=int)
    original = np.asarray(Image.open(photo).convert("RGB"), dtype=int)
    assert np.array_equal(out[:8, :8], original[:8, :8])  # far from the mask: untouched
    assert np.abs(out[56:72, 56:72] - original[56:72, 56:72]).mean() > 5


@pytest.mark.parametrize("bad", ["text", "one_pixel"])
def test_stylize_bad_style_images_are_refused_and_nothing_stored(studio_home, photo, tmp_path,
                                                                 capsys, bad):
    path = tmp_path / "style.png"
    if bad == "text":
        path.write_text("not a picture")
    else:
        Image.new("RGB", (1, 1), "red").save(path)
    code, _, err = run(capsys, "stylize", str(photo), "--style", str(path))
    assert code == 1 and err.startswith("Error: ") and "Traceback" not in err
    assert "style.png" in err or "1x1" in err
    assert Studio().list() == []


def test_portrait_keeps_the_face_and_reports_it(studio_home, capsys):
    art = made(capsys, "portrait", str(demo_photo()), "--style", "The Starry Night")
    options = art["recipe"]["options"]
    assert options["face_similarity"] > options["face_similarity_full_style"]
    assert any("Vincent van Gogh" in c["name"] for c in art["credits"])


def test_portrait_without_a_face(studio_home, flat, capsys):
    code, _, err = run(capsys, "portrait", str(flat), "--style", "The Kiss")
    assert code == 1 and "No face found" in err and "--whole-picture" in err
    assert Studio().list() == []
    art = made(capsys, "portrait", str(flat), "--style", "The Kiss", "--whole-picture")
    assert art["recipe"]["options"]["faces"] == []


def test_upscale_2x_is_a_child_of_its_source(studio_home, capsys):
    painting = made(capsys, "paint", "a quiet lake", "-W", "96", "-H", "64", "--seed", "2")
    big = made(capsys, "upscale", painting["path"], "--scale", "2")
    assert (big["width"], big["height"]) == (192, 128)
    assert big["parents"] == [painting["id"]]


def test_styles_lists_the_built_in_paintings(capsys):
    code, out, _ = run(capsys, "styles", "--json")
    styles = json.loads(out)
    assert code == 0 and len(styles) >= 26
    assert any(s["title"] == "The Starry Night" and s["artist"] == "Vincent van Gogh" for s in styles)
    code, out, _ = run(capsys, "styles", "-q", "hokusai")
    assert "Great Wave" in out


def test_style_weights_parse():
    assert _split_weight("The Starry Night:2") == ("The Starry Night", 2.0)
    assert _split_weight("The Starry Night") == ("The Starry Night", 1.0)
    assert _split_weight("Study: in blue") == ("Study: in blue", 1.0)


@pytest.mark.slow
def test_demo_makes_three_stored_artworks(studio_home, tmp_path, capsys):
    code, out, err = run(capsys, "demo", "--out", str(tmp_path / "demo"), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert [Path(s["copy"]).name for s in report["steps"]] == [
        "1-painter.png", "2-portrait.png", "3-upscale.png"]
    stored = {a.id: a for a in Studio().list()}
    assert {s["id"] for s in report["steps"]} == set(stored)
    portrait = stored[report["steps"][1]["id"]]
    assert any("Vincent van Gogh" in c.name for c in portrait.credits)
    upscaled = stored[report["steps"][2]["id"]]
    assert upscaled.parents == (report["steps"][0]["id"],)
    assert (upscaled.width, upscaled.height) == (1024, 768)


def test_private_prompt_and_training_choice_per_command(studio_home, capsys):
    from studiolo.provenance.verify import verify_file

    prompt = "a hidden cove called Zanzibarish at dawn"
    private = made(capsys, "--private-prompt", "--training-mining", "allowed",
                   "paint", prompt, "-W", "128", "-H", "96")
    assert b"Zanzibarish" not in Path(private["path"]).read_bytes()
    report = verify_file(Path(private["path"]))
    assert set(report.training_mining.values()) == {"allowed"}
    shown = made(capsys, "paint", prompt, "-W", "128", "-H", "96")
    assert b"Zanzibarish" in Path(shown["path"]).read_bytes()
    assert set(verify_file(Path(shown["path"])).training_mining.values()) == {"notAllowed"}
    # the catalog keeps the prompt either way
    assert Studio().get(private["id"]).recipe.prompt == prompt


@pytest.mark.parametrize("command", ["stylize", "portrait"])
def test_a_style_file_that_does_not_exist_is_named_as_missing(studio_home, photo, capsys, command):
    code, _, err = run(capsys, command, str(photo), "--style", "nofile.png")
    assert code == 1
    assert "Style image 'nofile.png': no such file." in err and "Unknown style" not in err
    assert Studio().list() == []


def test_every_style_in_the_help_texts_is_a_built_in_style(capsys):
    import re

    from studiolo.features.styles import get_style

    named = []
    for command in ("stylize", "portrait", "paint", "explore"):
        code, out, _ = run(capsys, command, "--help")
        assert code == 0
        named += re.findall(r'--styles? "([^"]+)"', out)
    assert "The Starry Night" in named
    for name in named:
        get_style(name.rsplit(":", 1)[0] if name[-1].isdigit() else name)  # raises when unknown
