"""The issue's "done when", through the real command line (click's CliRunner):
`studiolo generate "a lighthouse at dusk" --model PATH` with a local diffusers folder and with a
single-file checkpoint puts a PNG in the catalog whose `parameters` chunk an AUTOMATIC1111-style
reader understands, and `studiolo show ID` prints that recipe."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from studiolo.cli.app import cli
from studiolo.provenance.infotext import parse_infotext


@pytest.fixture
def single_file(tiny_sd, tmp_path, monkeypatch) -> Path:
    """The tiny SD 1.x model as one LDM-layout .safetensors, its base configs in a local HF cache."""
    from single_file_util import diffusers_to_single_file, fake_hub_snapshot

    cache = tmp_path / "hf" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    fake_hub_snapshot(cache, "stable-diffusion-v1-5/stable-diffusion-v1-5", tiny_sd)
    return diffusers_to_single_file(tiny_sd, tmp_path / "lighthouse-v1.safetensors")


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def made_and_shown(model: Path) -> tuple[dict, Path, str]:
    out = invoke("generate", "a lighthouse at dusk", "--model", str(model), "--steps", "2",
                 "--width", "64", "--height", "64", "--seed", "42", "--cfg", "6.5", "--json")
    [made] = json.loads(out)
    return made, Path(made["path"]), invoke("show", made["id"][:10])


@pytest.mark.parametrize("kind", ["diffusers folder", "single file"])
def test_generate_with_a_local_model_then_show(kind, tiny_sd, single_file, studio_home):
    model = tiny_sd if kind == "diffusers folder" else single_file
    made, path, shown = made_and_shown(model)

    # The PNG is in the catalog's content-addressed store, named by its own hash.
    assert path.is_file() and path.is_relative_to(studio_home)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == made["id"]
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (64, 64)
        infotext = image.info["parameters"]  # where A1111 and Civitai look

    prompt, negative, params = parse_infotext(infotext)
    assert (prompt, negative) == ("a lighthouse at dusk", "")
    assert params["Steps"] == "2" and params["Seed"] == "42" and params["Size"] == "64x64"
    assert params["CFG scale"] == "6.5" and params["Sampler"] == "DDIM"
    assert params["Model"] == str(model)
    weights = model.read_bytes() if model.is_file() else None
    model_hash = made["recipe"]["model_hash"]
    assert params["Model hash"] == model_hash[:10]
    if weights is not None:  # a single file's hash is the file's sha256, as A1111's "sha256"
        assert model_hash == hashlib.sha256(weights).hexdigest()

    # `show` prints the recipe, and the same A1111 parameters the file holds.
    assert made["id"] in shown and "a lighthouse at dusk" in shown
    assert "Steps: 2" in shown and "Seed: 42" in shown and f"Model hash: {model_hash[:10]}" in shown
    assert "Credits" in shown


def test_single_file_with_config_folder_and_without(tiny_sd, tmp_path, monkeypatch, studio_home,
                                                     capsys):
    """No base repo in the cache: one sentence naming the pull command; `--config` fixes it."""
    from single_file_util import diffusers_to_single_file

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    model = diffusers_to_single_file(tiny_sd, tmp_path / "solo.safetensors")
    args = ["generate", "a lighthouse at dusk", "--model", str(model), "--steps", "2",
            "--width", "64", "--height", "64", "--seed", "1", "--json"]
    from studiolo.cli import main

    assert main(args) != 0
    err = capsys.readouterr().err
    assert "studiolo models pull stable-diffusion-v1-5" in err and "Traceback" not in err
    [made] = json.loads(invoke(*args, "--config", str(tiny_sd)))
    assert made["recipe"]["options"]["config"] == str(tiny_sd)
    with Image.open(made["path"]) as image:
        assert image.size == (64, 64)
