"""The command line: results, --json, and one-sentence errors with a non-zero exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from studiolo.cli import main

SMALL = ["--steps", "2", "--width", "64", "--height", "64", "--seed", "3"]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_generate_show_ls_json(studio_home, tiny_sd, capsys):
    code, out, err = run(capsys, "generate", "a lighthouse at dusk", "--model", str(tiny_sd),
                         *SMALL, "--json")
    assert code == 0, err
    [made] = json.loads(out)
    assert made["recipe"]["prompt"] == "a lighthouse at dusk" and Path(made["path"]).is_file()
    code, out, _ = run(capsys, "show", made["id"][:8])
    assert code == 0 and "a lighthouse at dusk" in out and "Steps: 2" in out and "Credits" in out
    code, out, _ = run(capsys, "ls", "--json")
    assert [a["id"] for a in json.loads(out)] == [made["id"]]
    code, out, _ = run(capsys, "ls", "--search", "nothing like this")
    assert code == 0 and "No artworks" in out


def test_generate_copies_to_out(studio_home, tiny_sd, tmp_path, capsys):
    out_dir = tmp_path / "out"
    code, out, err = run(capsys, "generate", "a boat", "--model", str(tiny_sd), *SMALL,
                         "--out", str(out_dir))
    assert code == 0, err
    [copy] = list(out_dir.iterdir())
    assert copy.suffix == ".png" and str(copy) in out


@pytest.mark.parametrize(
    "args, words",
    [
        (["--width", "500"], "have to be divisible by 8 but are"),
        (["--steps", "0"], "`steps`"),
        (["--sampler", "warp"], "Unknown scheduler 'warp'"),
    ],
)
def test_mistakes_print_one_sentence_and_exit_1(studio_home, tiny_sd, capsys, args, words):
    code, out, err = run(capsys, "generate", "a lighthouse", "--model", str(tiny_sd), "--seed",
                         "1", "--steps", "2", "--width", "64", "--height", "64", *args)
    assert code == 1
    assert err.startswith("Error: ") and words in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    code, out, _ = run(capsys, "ls", "--json")
    assert json.loads(out) == []


def test_empty_prompt_and_unknown_model(studio_home, tiny_sd, capsys):
    code, _, err = run(capsys, "generate", "  ", "--model", str(tiny_sd), *SMALL)
    assert code == 1 and "`prompt`" in err
    code, _, err = run(capsys, "generate", "a cat", "--model", "nobody/nothing", *SMALL)
    assert code == 1 and "studiolo models pull nobody/nothing" in err


def test_pickle_posing_as_safetensors(studio_home, tmp_path, capsys):
    fake = tmp_path / "model.safetensors"
    import pickle

    fake.write_bytes(pickle.dumps({"state_dict": [1, 2, 3]}))
    code, _, err = run(capsys, "generate", "a cat", "--model", str(fake), *SMALL)
    assert code == 1 and "pickle" in err and "Traceback" not in err


def test_import_reads_a1111_file(studio_home, tmp_path, capsys):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("parameters", "a red fox\nNegative prompt: blurry\nSteps: 25, Sampler: "
                  "DPM++ 2M Karras, CFG scale: 6.5, Seed: 1234, Size: 512x768, Model: sd15")
    path = tmp_path / "a1111.png"
    Image.new("RGB", (8, 8)).save(path, pnginfo=info)
    code, out, err = run(capsys, "import", str(path), "--json")
    assert code == 0, err
    [item] = json.loads(out)
    assert item["source"] == "automatic1111"
    r = item["recipe"]
    assert (r["prompt"], r["negative_prompt"], r["steps"], r["seed"]) == ("a red fox", "blurry", 25, 1234)
    assert (r["width"], r["height"], r["guidance"]) == (512, 768, 6.5)


def test_console_script_help_and_error_without_traceback(studio_home, tmp_path):
    exe = Path(sys.executable).with_name("studiolo")
    help_text = subprocess.run([exe, "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("generate", "img2img", "inpaint", "import", "models", "show", "ls"):
        assert command in help_text
    bad = tmp_path / "not-an-image.png"
    bad.write_text("hello")
    proc = subprocess.run([exe, "img2img", str(bad), "a cat", "--model", str(tmp_path)],
                          check=False, capture_output=True, text=True, env={**os.environ})
    assert proc.returncode == 1
    assert "not-an-image.png" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(("host", "words"), [
    ("999.1.1.1", "--host '999.1.1.1' is not an address of this machine"),
    ("8.8.8.8", "Cannot listen on 8.8.8.8:"),
])
def test_serve_on_a_bad_address_says_so_before_announcing_itself(studio_home, capsys, host, words):
    assert main(["serve", "--host", host]) == 1
    err = capsys.readouterr().err
    assert words in err and "web studio on" not in err and "Traceback" not in err
