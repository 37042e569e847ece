"""Restoration wired into the house: the commands, the stored child artwork, privacy, the web action."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from studiolo.cli import main

from .conftest import painting


@pytest.fixture
def scan(tmp_path):
    """A small painting with a 24 px loss and a crack, and the loss's mask."""
    image = Image.fromarray(painting(side=192))
    draw = ImageDraw.Draw(image)
    draw.ellipse((60, 50, 84, 74), fill=(250, 248, 240))
    draw.line((10, 150, 180, 120), fill=(20, 15, 10), width=2)
    path = tmp_path / "scan.png"
    image.save(path)
    mask = Image.new("L", image.size, 0)
    ImageDraw.Draw(mask).ellipse((58, 48, 86, 76), fill=255)
    mask.save(tmp_path / "mask.png")
    return path


@pytest.fixture
def studio(tmp_path, monkeypatch):
    from studiolo.core.settings import Settings
    from studiolo.studio import Studio

    home = tmp_path / "home"
    monkeypatch.setenv("STUDIOLO_HOME", str(home))
    monkeypatch.setenv("STUDIOLO_PERSON", "ann")
    return Studio(settings=Settings.from_env(home, person="ann"), load_entry_points=False)


def run_json(capsys, *args):
    assert main([*args, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_damage_command_writes_a_mask_per_kind(scan, tmp_path, capsys):
    found = run_json(capsys, "damage", str(scan), "--out", str(tmp_path / "masks"))
    assert [k["kind"] for k in found["kinds"]] == ["cracks", "scratches", "losses", "stains",
                                                    "tears"]
    for kind in found["kinds"]:
        with Image.open(found["files"][kind["kind"]]) as m:
            assert m.size == (192, found["size"][1])
    assert sum(k["fraction"] for k in found["kinds"]) > 0.002  # the loss and the crack
    assert main(["damage", str(scan)]) == 0
    assert "mean confidence" in capsys.readouterr().out


def test_damage_command_on_flat_paint_says_none_was_found(tmp_path, capsys):
    Image.new("RGB", (96, 80), (120, 110, 90)).save(tmp_path / "flat.png")
    assert main(["damage", str(tmp_path / "flat.png")]) == 0
    assert "No damage was found." in capsys.readouterr().out


def test_restore_stores_a_child_with_recipe_credits_and_report(scan, studio, tmp_path, capsys):
    from studiolo.provenance.ledger import credit_sentence

    [first] = run_json(capsys, "restore", str(scan), "--mask", str(tmp_path / "mask.png"),
                       "--method", "patch", "--out", str(tmp_path / "fixed.jpg"))
    assert first["recipe"]["engine"] == "restore" and first["recipe"]["options"]["method"] == "patch"
    assert first["recipe"]["options"]["filled"]["patch"]["holes"] == 1
    assert "report" not in first["recipe"]["options"]  # no local path in a recipe
    assert Image.open(tmp_path / "fixed.jpg").size == (192, Image.open(scan).height)
    # A stored artwork restored by id: the child names its parent, credits person and methods.
    [second] = run_json(capsys, "restore", first["id"][:10], "--colour", "--report",
                        str(tmp_path / "r.html"))
    child = studio.get(second["id"])
    assert child.parents == (first["id"],)
    sentence = credit_sentence(child.credits, child.recipe)
    assert sentence.startswith("Restored by ann from"), sentence
    assert "studiolo colour recovery" in sentence
    html = (tmp_path / "r.html").read_text()
    assert "<input" in html and "data:image/jpeg;base64," in html
    # The recipe alone makes it again: same pixels.
    [again] = studio.rerun(second["id"])
    assert np.array_equal(np.asarray(Image.open(again.path).convert("RGB")),
                          np.asarray(Image.open(child.path).convert("RGB")))


def test_a_private_scan_gives_a_private_restoration(scan, studio, tmp_path):
    from studiolo.catalog import visibility

    [private] = studio.acting_as("ann", private=True).restore(scan, mask=tmp_path / "mask.png",
                                                               method="telea")
    [child] = studio.restore(private.path, mask=tmp_path / "mask.png", method="ns")
    assert child.parents == (private.id,)
    assert visibility.is_private(studio.catalog, private.id)
    assert visibility.is_private(studio.catalog, child.id)


@pytest.mark.parametrize("method", ["telea", "ns", "patch", "learned", "auto"])
def test_every_method_through_the_studio(scan, studio, tmp_path, method):
    [made] = studio.restore(scan, mask=tmp_path / "mask.png", method=method)
    filled = made.recipe.options["filled"]
    assert method in filled or (method == "auto" and filled)
    before = np.asarray(Image.open(scan).convert("RGB"), np.float64)[50:75, 60:85]
    after = np.asarray(Image.open(made.path).convert("RGB"), np.float64)[50:75, 60:85]
    assert np.abs(after - before).mean() > 20  # the white loss was painted over


def test_diffusion_without_a_model_is_refused_and_stores_nothing(scan, studio, tmp_path, capsys):
    code = main(["restore", str(scan), "--mask", str(tmp_path / "mask.png"), "--method",
                 "diffusion"])
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        "Error: Diffusion inpainting needs a model: pass --model with a local inpainting model "
        "(none was given), or choose --method auto, telea, ns, patch or learned.")
    assert studio.list() == []


def test_diffusion_runs_through_the_diffusion_engine(scan, studio, tmp_path):
    from studiolo.core.types import Artwork

    asked = []

    class Painter:  # stands in for the diffusion engine: no model weights on this machine
        id = "diffusion"

        def run(self, request, progress=None):
            asked.append((request.recipe.mode, request.recipe.model, request.images["init"].size))
            return [Artwork(recipe=request.recipe, image=Image.new("RGB", (512, 512), (0, 90, 0)))]

    studio.engines._engines["diffusion"] = Painter()
    [made] = studio.restore(scan, mask=tmp_path / "mask.png", method="diffusion", model="sd-inp")
    assert asked == [("inpaint", "sd-inp", (512, 512))]
    assert made.recipe.model == "sd-inp" and "diffusion" in made.recipe.options["filled"]
    r, g, _b = Image.open(made.path).convert("RGB").getpixel((72, 62))
    assert g > 60 and r < 40  # the hole has the engine's green
    assert "diffusion inpainting (Rombach et al. 2022)" in [c.name for c in made.credits]


def test_restore_bad_input_gives_one_sentence_and_stores_nothing(scan, studio, tmp_path,
                                                                 capsys):
    Image.new("L", (50, 40), 0).save(tmp_path / "small.png")
    Image.new("L", Image.open(scan).size, 255).save(tmp_path / "all.png")
    (tmp_path / "notes.png").write_text("not a picture")
    height = Image.open(scan).height
    cases = [
        (["--mask", str(tmp_path / "small.png")],
         (f"Error: The mask small.png is 50x40 px but scan.png is 192x{height} px; "
         "give a mask of the image's size (white where to fill).")),
        (["--mask", str(tmp_path / "all.png")],
         (f"Error: The mask all.png covers 100% of scan.png (192x{height} px), "
         "leaving nothing to fill from; mark only the damage, white on black.")),
        (["--out", str(tmp_path / "x.bmp")],
         ("Error: `out` must end in one of .gif, .jpeg, .jpg, .png, .tif, .tiff, .webp, got "
         f"{str(tmp_path / 'x.bmp')!r}.")),
        (["--strength", "2"],
         ("Error: Restore option `strength` is invalid (Input should be less than or equal to "
         "1); got 2.0.")),
    ]
    for extra, message in cases:
        assert main(["restore", str(scan), *extra]) == 1
        assert capsys.readouterr().err.strip() == message
    assert main(["restore", "nosuchthing"]) == 1
    assert capsys.readouterr().err.strip() == (
        "Error: `IMAGE` 'nosuchthing' is neither a file nor an artwork id in this studio; give "
        "a scan's path or an id from `studiolo ls`.")
    assert main(["restore", str(tmp_path / "notes.png")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("Error: ") and err.count("\n") == 0 and "notes.png" in err
    assert main(["damage", str(scan), "--threshold", "cracks=x"]) == 1
    assert capsys.readouterr().err.strip() == (
        "Error: `--threshold` must look like cracks=0.4 (a kind of cracks, scratches, losses, "
        "stains, tears and a number between 0 and 1), got 'cracks=x'.")
    assert studio.list() == []  # nothing half-written in the catalog
    assert not any((studio.settings.files_dir).rglob("*.png"))


def test_grey_16_bit_and_alpha_scans_are_restored_and_say_so(scan, studio, tmp_path):
    rgb = np.asarray(Image.open(scan).convert("RGB"))
    grey16 = (rgb.mean(axis=2) * 257).astype(np.uint16)
    Image.fromarray(grey16).save(tmp_path / "grey16.png")
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    rgba[:20, :20, 3] = 0
    Image.fromarray(rgba).save(tmp_path / "alpha.png")
    [grey] = studio.restore(tmp_path / "grey16.png", mask=tmp_path / "mask.png", colour=True)
    notes = " ".join(grey.recipe.options["notes"])
    assert "16 bits per channel" in notes and "Colour correction was skipped" in notes
    assert "grayscale" not in grey.recipe.options and "name" not in grey.recipe.options
    [clear] = studio.restore(tmp_path / "alpha.png", mask=tmp_path / "mask.png")
    assert any("alpha" in n or "transparen" in n for n in clear.recipe.options["notes"])


def test_age_command_writes_frames_and_sheet(scan, tmp_path, capsys):
    aged = run_json(capsys, "age", str(scan), "--years", "80", "--lux", "200", "--out",
                    str(tmp_path / "aged"))
    assert aged["conditions"]["lux"] == 200 and aged["frames"][-1]["years"] == 80
    assert aged["frames"][-1]["delta_e"] > aged["frames"][1]["delta_e"] > 0
    with Image.open(aged["gif"]) as gif:
        assert gif.n_frames == len(aged["frames"])
    assert main(["age", str(scan), "--years", "-3"]) == 1
    assert capsys.readouterr().err.strip() == (
        "Error: `years` input should be greater than 0, got -3.0.")


def test_help_has_examples(capsys):
    for command in ("damage", "restore", "age"):
        assert main([command, "--help"]) == 0
        assert f"studiolo {command} scan" in capsys.readouterr().out
