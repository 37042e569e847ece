"""Every engine's output, read back by the two readers people use: sd-parsers and sd-prompt-reader.

Both install from the registry into a venv of their own (`.venv-readers`, made by
`scripts/setup` from requirements-readers.lock: sd-prompt-reader pins an older Pillow than
ours). The test makes one real artwork per engine (and the cases that change the infotext's
shape: a private prompt, a negative prompt, a diffusion sampler), runs
tests/other_readers_probe.py there on all the files at once, and checks field for field:
prompt, negative prompt, sampler, seed, steps, CFG scale, size and model, against what
A1111's parser reads (studiolo's `parse_infotext` is a line-for-line mirror of it) and, for
the prompt, seed and size, against the recipe itself.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
READERS_PYTHON = Path(os.environ.get("STUDIOLO_READERS_PYTHON", ROOT / ".venv-readers" / "bin" / "python"))
PROBE = Path(__file__).with_name("other_readers_probe.py")
PHOTO = Path(__file__).resolve().parents[2] / "shared" / "artworks"
READERS = ("sd_parsers", "sd_prompt_reader")

if not READERS_PYTHON.exists():
    reason = f"the readers' venv is missing ({READERS_PYTHON}); ./scripts/setup makes it"
    if os.environ.get("STUDIOLO_REQUIRE_READERS"):
        raise RuntimeError(reason)  # CI: never skip silently
    pytestmark = pytest.mark.skip(reason=reason)


def _photo(side: int = 64) -> Image.Image:
    y, x = np.mgrid[0:side, 0:side]
    rgb = np.stack([x * 4 % 256, y * 4 % 256, (x + y) * 2 % 256], axis=-1).astype(np.uint8)
    return Image.fromarray(rgb)


@pytest.fixture(scope="module")
def made(tmp_path_factory, tiny_sd, one_torch_thread):
    """One artwork per engine and infotext shape: {case: (artwork, what the recipe says)}."""
    from studiolo.core.settings import Settings
    from studiolo.studio import Studio

    home = tmp_path_factory.mktemp("studio")
    studio = Studio(settings=Settings.from_env(home, person="Ann Reader"), load_entry_points=False)
    photo = _photo()
    folder = tmp_path_factory.mktemp("in")
    photo.save(folder / "photo.png")
    mask = Image.new("L", photo.size, 0)
    mask.paste(255, (20, 20, 36, 36))
    mask.save(folder / "mask.png")
    small = {"steps": 2, "width": 64, "height": 64}
    out: dict[str, object] = {}
    [out["painter"]] = studio.paint("a lighthouse in a storm", seed=3, width=64, height=64)
    quiet = Studio(settings=replace(studio.settings, prompt_in_file=False), load_entry_points=False)
    [out["painter, private prompt"]] = quiet.paint("a secret garden", seed=5, width=64, height=64)
    [out["diffusion txt2img"]] = studio.generate("a red boat", model=str(tiny_sd), negative_prompt="blur",
                                                 seed=6, guidance=6.5, sampler="Euler a", **small)
    [out["diffusion img2img"]] = studio.img2img(photo, "a blue boat", model=str(tiny_sd), seed=7,
                                                strength=0.5, steps=2)
    [out["diffusion inpaint"]] = studio.inpaint(photo, mask, "a moon", model=str(tiny_sd), seed=8, steps=2)
    [out["style"]] = studio.stylize(photo, "The Starry Night", work_side=64)
    [out["upscale"]] = studio.upscale(photo.resize((24, 24)), scale=2)
    [out["restore"]] = studio.restore(folder / "photo.png", mask=folder / "mask.png", method="telea")
    [out["portrait"]] = studio.portrait(photo.resize((128, 128)), "The Starry Night",
                                        whole_picture_if_no_face=True)
    frames = studio.explore("a calm sea", "a stormy sea", frames=2, model=str(tiny_sd), seed=9, **small)
    out["journey"] = frames[0]
    from test_train_generator import TINY, patterns

    studio.train_generator(patterns(folder / "art"), name="mine", steps=2, **TINY)
    [out["generator"]] = studio.sample("mine", seed=10)
    return out


@pytest.fixture(scope="module")
def read(made):
    """{case: {reader: fields}} from one run of the probe in the readers' venv."""
    paths = {case: str(art.path) for case, art in made.items()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    done = subprocess.run([str(READERS_PYTHON), str(PROBE), *paths.values()], capture_output=True,
                          text=True, timeout=300, env=env, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    by_path = json.loads(done.stdout)
    return {case: by_path[path] for case, path in paths.items()}


def a1111_fields(artwork) -> dict[str, str | None]:
    """What A1111's own parser reads from the file's infotext, in the probe's field names."""
    from studiolo.provenance.infotext import parse_infotext

    text = Image.open(artwork.path).info["parameters"]
    prompt, negative, keys = parse_infotext(text)
    return {"prompt": prompt, "negative_prompt": negative, "sampler": keys.get("Sampler"),
            "seed": keys.get("Seed"), "steps": keys.get("Steps"), "cfg": keys.get("CFG scale"),
            "size": keys.get("Size"), "model": keys.get("Model")}


CASES = ["painter", "painter, private prompt", "diffusion txt2img",
         "diffusion img2img", "diffusion inpaint", "style", "upscale", "restore", "portrait",
         "journey", "generator"]


@pytest.mark.parametrize("case", CASES)
def test_a1111_reads_the_recipe(made, case):
    art = made[case]
    fields = a1111_fields(art)
    recipe = art.recipe
    private = case.endswith("private prompt")
    assert fields["prompt"] == ("" if private else recipe.prompt)
    assert fields["negative_prompt"] == recipe.negative_prompt
    assert fields["seed"] == str(recipe.seed)
    assert fields["size"] == "{}x{}".format(*Image.open(art.path).size)
    assert fields["sampler"], "every infotext names a sampler"
    assert int(fields["steps"]) >= 1


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("case", CASES)
def test_other_reader_reads_every_field(made, read, case, reader):
    expected = a1111_fields(made[case])
    got = read[case][reader]
    assert "error" not in got, got
    for field in ("prompt", "negative_prompt", "sampler", "seed", "steps", "size"):
        assert (got[field] or "") == (expected[field] or ""), (field, got, expected)
    assert (got["cfg"] or None) == expected["cfg"], (got, expected)
    if expected["model"]:
        assert got["model"] == expected["model"], (got, expected)


def test_probe_reports_a_file_without_metadata(tmp_path):
    path = tmp_path / "plain.png"
    _photo().save(path)
    done = subprocess.run([str(READERS_PYTHON), str(PROBE), str(path)], capture_output=True, text=True,
                          timeout=120, check=True)
    result = json.loads(done.stdout)[str(path)]
    assert set(result) == set(READERS) and all("error" in r for r in result.values()), result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
