"""Issue 16, part 1: A1111-family variants, placeholders beside a ComfyUI graph, `import`
of many files, and infotext other readers read back. Every sample is written here, in
the byte layout of the tool named."""

from __future__ import annotations

import io
import json
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from studiolo import __version__
from studiolo.cli import main
from studiolo.core.errors import MetadataError
from studiolo.core.imagemeta import image_info, latin1_text
from studiolo.core.types import Recipe
from studiolo.provenance.importers import (
    import_recipes,
    is_placeholder_infotext,
    read_recipe,
)
from studiolo.provenance.infotext import infotext_to_recipe, parse_infotext, recipe_to_infotext
from studiolo.provenance.samplers import split_sampler_name

IMG = Image.new("RGB", (24, 16), (90, 120, 150))


def _png_with_chunks(chunks: list[tuple[bytes, bytes]]) -> bytes:
    """A PNG with raw text chunks put before IEND, byte for byte as their writer made them."""
    buffer = io.BytesIO()
    IMG.save(buffer, format="PNG")
    png = buffer.getvalue()
    iend = png.rindex(b"IEND") - 4
    extra = b"".join(
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        for kind, data in chunks
    )
    return png[:iend] + extra + png[iend:]


def _text(key: str, value: bytes) -> tuple[bytes, bytes]:
    return b"tEXt", key.encode("latin-1") + b"\x00" + value


# -- 1a. Stability Matrix: UTF-8 bytes in a tEXt chunk --------------------------------
STABILITY_MATRIX = (
    "テスト, 1girl, masterpiece\nNegative prompt: 低品質\n"
    "Steps: 30, Sampler: Euler Ancestral Karras, CFG scale: 7, Seed: 42, Size: 512x768, "
    "Model: sdxl_base"
)


def test_stability_matrix_utf8_in_text_chunk(tmp_path):
    path = tmp_path / "StabilityMatrix.png"
    path.write_bytes(_png_with_chunks([_text("parameters", STABILITY_MATRIX.encode("utf-8"))]))
    assert image_info(path)["text"]["parameters"] == STABILITY_MATRIX
    r = read_recipe(path).recipe
    assert (r.prompt, r.negative_prompt) == ("テスト, 1girl, masterpiece", "低品質")
    assert "ãƒ" not in r.prompt


def test_real_latin1_text_chunk_stays_latin1(tmp_path):
    text = "café au lait, Größe\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 24x16"
    path = tmp_path / "latin1.png"
    path.write_bytes(_png_with_chunks([_text("parameters", text.encode("latin-1"))]))
    assert read_recipe(path).recipe.prompt == "café au lait, Größe"


def test_utf8_in_ztxt_chunk(tmp_path):
    body = b"parameters\x00\x00" + zlib.compress(STABILITY_MATRIX.encode("utf-8"))
    path = tmp_path / "z.png"
    path.write_bytes(_png_with_chunks([(b"zTXt", body)]))
    assert image_info(path)["text"]["parameters"] == STABILITY_MATRIX


@pytest.mark.parametrize(("raw", "text"), [
    (b"plain ascii", "plain ascii"),
    ("テスト".encode(), "テスト"),
    (b"caf\xe9", "café"),                 # Latin-1: not valid UTF-8, kept
    (b"\xc3\x28", "\u00c3("),             # an invalid UTF-8 pair: Latin-1
    (b"", ""),
])
def test_latin1_text(raw, text):
    assert latin1_text(raw) == text


# -- 1b. comfy-image-saver: `CFG Scale` with a capital S; sampler and schedule in one name --
COMFY_IMAGE_SAVER = (
    "a castle on a hill\nNegative prompt: blurry\n"
    "Steps: 20, Sampler: euler_ancestral_karras, CFG Scale: 8.0, Seed: 1116526567339338, "
    "Size: 832x1216, Model hash: 9aba26abdf, Model: sd_xl_base_1.0, My Extra Key: kept, "
    "Version: ComfyUI"
)


def test_comfy_image_saver_cfg_scale_capital_s(tmp_path):
    path = tmp_path / "comfy-image-saver.png"
    path.write_bytes(_png_with_chunks([_text("parameters", COMFY_IMAGE_SAVER.encode())]))
    got = read_recipe(path)
    r = got.recipe
    assert got.source == "automatic1111"
    assert (r.guidance, r.steps, r.seed, r.width, r.height) == (8.0, 20, 1116526567339338, 832, 1216)
    assert r.sampler == "Euler a"
    assert r.options["a1111"] == {
        "Schedule type": "Karras", "My Extra Key": "kept", "Version": "ComfyUI",
    }
    assert r.model == "sd_xl_base_1.0" and r.model_hash == "9aba26abdf"


def test_keys_any_case_and_a_second_spelling_is_kept():
    text = ("x\nsteps: 12, sampler: Euler, cfg SCALE: 4.5, SEED: 3, size: 64x32, "
            "CFG scale: 9, weird Key: y")
    r = infotext_to_recipe(text)
    assert (r.steps, r.sampler, r.guidance, r.seed, r.width, r.height) == (12, "Euler", 9.0, 3, 64, 32)
    assert r.options["a1111"] == {"cfg SCALE": "4.5", "weird Key": "y"}  # A1111's spelling wins


@pytest.mark.parametrize(("written", "sampler", "schedule"), [
    ("Euler Ancestral Karras", "Euler a", "Karras"),
    ("DPM++ 2M Karras", "DPM++ 2M Karras", None),
    ("euler_ancestral", "Euler a", None),
    ("Euler Ancestral", "Euler a", None),
    ("dpmpp_2m_sde_gpu_karras", "DPM++ 2M SDE Karras", None),
    ("DPM++ 2M SDE Exponential", "DPM++ 2M SDE", "Exponential"),
    ("ddim_ddim_uniform", "DDIM", "DDIM"),
    ("Foo Karras", "Foo Karras", None),  # unknown sampler: kept as written
])
def test_split_sampler_name(written, sampler, schedule):
    assert split_sampler_name(written) == (sampler, schedule)


@pytest.mark.parametrize(("written", "sampler", "kept"), [
    ("Euler Ancestral Karras", "Euler a", {"Schedule type": "Karras"}),
    ("DPM++ 2M Karras", "DPM++ 2M Karras", {}),
    ("euler_ancestral", "Euler a", {}),
])
def test_sampler_names_in_infotext(written, sampler, kept):
    r = infotext_to_recipe(f"p\nSteps: 5, Sampler: {written}, CFG scale: 7, Seed: 1, Size: 8x8")
    assert r.sampler == sampler
    assert r.options.get("a1111", {}) == kept


# -- 2. a placeholder `parameters` chunk beside a real ComfyUI graph -------------------
COMFY_PROMPT = {
    "3": {"class_type": "KSampler", "inputs": {
        "seed": 1116526567339338, "steps": 20, "cfg": 8.0, "sampler_name": "euler",
        "scheduler": "normal", "denoise": 1.0, "model": ["4", 0], "positive": ["6", 0],
        "negative": ["7", 0], "latent_image": ["5", 0]}},
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "v1-5.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a lighthouse", "clip": ["4", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "fog", "clip": ["4", 1]}},
    "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "C"}},
}
PLACEHOLDERS = [
    "unknown",
    "unknown\nSeed: 0",
    "unknown\nSteps: 0, Sampler: unknown, CFG scale: 0, Seed: 0, Size: 0x0",
]


@pytest.mark.parametrize("placeholder", PLACEHOLDERS)
def test_placeholder_parameters_lose_to_comfy_graph(tmp_path, placeholder):
    path = tmp_path / "saver.png"
    path.write_bytes(_png_with_chunks([
        _text("parameters", placeholder.encode()),
        _text("prompt", json.dumps(COMFY_PROMPT).encode()),
    ]))
    got = read_recipe(path)
    assert got.source == "comfyui"
    assert (got.recipe.prompt, got.recipe.negative_prompt) == ("a lighthouse", "fog")
    assert (got.recipe.seed, got.recipe.steps, got.recipe.guidance) == (1116526567339338, 20, 8.0)


def test_real_parameters_still_win_over_graph(tmp_path):
    path = tmp_path / "both.png"
    path.write_bytes(_png_with_chunks([
        _text("parameters", COMFY_IMAGE_SAVER.encode()),
        _text("prompt", json.dumps(COMFY_PROMPT).encode()),
    ]))
    got = read_recipe(path)
    assert got.source == "automatic1111" and got.recipe.prompt == "a castle on a hill"


@pytest.mark.parametrize(("text", "empty"), [
    *((p, True) for p in PLACEHOLDERS),
    ("", True),
    ("a cat\nSteps: 0, Seed: 0, Size: 0x0", False),
    ("unknown\nSeed: 7", False),
    (COMFY_IMAGE_SAVER, False),
])
def test_is_placeholder_infotext(text, empty):
    assert is_placeholder_infotext(text) is empty


# -- 3. `studiolo import A B C` with one unreadable file -------------------------------
def _three_files(tmp_path):
    good_a = tmp_path / "a.png"
    good_a.write_bytes(_png_with_chunks([_text("parameters", COMFY_IMAGE_SAVER.encode())]))
    bad = tmp_path / "b.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    good_c = tmp_path / "c.png"
    good_c.write_bytes(_png_with_chunks([_text("prompt", json.dumps(COMFY_PROMPT).encode())]))
    return str(good_a), str(bad), str(good_c)


def test_import_recipes_keeps_the_good_files(tmp_path):
    a, b, c = _three_files(tmp_path)
    batch = import_recipes([a, b, c])
    assert [p for p, _ in batch.imported] == [a, c]
    [failure] = batch.failed
    assert failure.file == b
    assert failure.error == f"{b} is truncated or corrupt: its header cannot be read."
    assert batch.exit_code == 1
    assert [sorted(e) for e in batch.to_json()] == [
        ["file", "recipe", "source"], ["error", "file"], ["file", "recipe", "source"]]


def test_import_names_the_file_when_the_reader_did_not(tmp_path):
    path = tmp_path / "graph.png"
    graph = {"1": {"class_type": "SaveImage", "inputs": {}}}
    path.write_bytes(_png_with_chunks([_text("prompt", json.dumps(graph).encode())]))
    [failure] = import_recipes([str(path)]).failed
    assert failure.error == (f"{path}: ComfyUI graph has no sampler node (KSampler, KSamplerAdvanced, "
                             "SamplerCustom, SamplerCustomAdvanced or one like them); nodes: ['SaveImage'].")


def test_import_cli_reports_each_bad_file_and_exits_1(studio_home, tmp_path, capsys):
    a, b, c = _three_files(tmp_path)
    missing = str(tmp_path / "gone.png")
    code = main(["import", a, b, c, missing])
    out, err = capsys.readouterr()
    assert code == 1
    assert "a castle on a hill" in out and "a lighthouse" in out
    assert err.splitlines() == [
        f"Error: {b} is truncated or corrupt: its header cannot be read.",
        f"Error: {missing} does not exist.",
    ]
    assert "Traceback" not in err


def test_import_cli_json_lists_good_and_bad(studio_home, tmp_path, capsys):
    a, b, c = _three_files(tmp_path)
    code = main(["import", a, b, c, "--json"])
    out, err = capsys.readouterr()
    assert code == 1
    items = json.loads(out)
    assert [i["file"] for i in items] == [a, b, c]
    assert items[0]["recipe"]["guidance"] == 8.0 and items[2]["source"] == "comfyui"
    assert items[1] == {"file": b, "error": f"{b} is truncated or corrupt: its header cannot be read."}
    assert err == f"Error: {b} is truncated or corrupt: its header cannot be read.\n"


def test_import_cli_all_good_exits_0(studio_home, tmp_path, capsys):
    a, _, c = _three_files(tmp_path)
    assert main(["import", a, c]) == 0
    assert capsys.readouterr().err == ""


# -- 4. export: what other readers need ------------------------------------------------
PAINTER = Recipe(engine="painter", mode="txt2img", prompt="a harbour at dusk", seed=3, steps=0,
                 guidance=0.0, width=64, height=48, options={"style_chosen": {"id": "x"}})
STYLIZE = Recipe(engine="style", mode="stylize", seed=0, steps=1, guidance=0.0, strength=0.8,
                 options={"style": "ukiyo-e"})
PRIVATE = Recipe(engine="diffusion", prompt="", seed=5, steps=4, guidance=1.5, sampler="Euler a")


def _settings_line(text: str) -> str:
    return text.split("\n")[-1].split(", Studiolo: ")[0]


def test_painter_infotext():
    text = recipe_to_infotext(PAINTER)
    assert text.startswith("a harbour at dusk\nSteps: 1, ")
    assert _settings_line(text) == (
        f"Steps: 1, Sampler: studiolo painter, Seed: 3, Size: 64x48, RNG: CPU, Version: studiolo {__version__}"
    )
    assert "CFG scale" not in text and "Steps: 0" not in text
    assert infotext_to_recipe(text) == PAINTER


def test_stylize_infotext_has_empty_prompt_line_and_sampler():
    text = recipe_to_infotext(STYLIZE)
    assert text.startswith("\nSteps: 1, Sampler: studiolo style, Seed: 0, Size: 512x512, "
                           "Denoising strength: 0.8, ")
    prompt, negative, params = parse_infotext(text)
    assert (prompt, negative, params["Sampler"]) == ("", "", "studiolo style")
    assert infotext_to_recipe(text) == STYLIZE


def test_private_prompt_infotext_and_negative_only():
    text = recipe_to_infotext(PRIVATE)
    assert text.startswith("\nSteps: 4, Sampler: Euler a, Schedule type: Automatic, CFG scale: 1.5, ")
    only_negative = recipe_to_infotext(PRIVATE.replace(negative_prompt="blur"))
    assert only_negative.startswith("\nNegative prompt: blur\nSteps: 4, ")
    assert infotext_to_recipe(only_negative).negative_prompt == "blur"


def test_default_scheduler_is_written_automatic_and_read_as_none():
    text = recipe_to_infotext(Recipe(engine="diffusion", prompt="p"))
    assert "Sampler: Automatic, CFG scale: 7," in text
    without = text.rsplit(", Studiolo: ", 1)[0]
    r = infotext_to_recipe(without)
    assert r.sampler is None and "Sampler" not in r.options.get("a1111", {})


def test_engine_sampler_without_studiolo_key_is_kept_in_options():
    without = recipe_to_infotext(PAINTER).rsplit(", Studiolo: ", 1)[0]
    r = infotext_to_recipe(without)
    assert r.sampler is None and r.options["a1111"]["Sampler"] == "studiolo painter"
    assert (r.steps, r.seed, r.width, r.height) == (1, 3, 64, 48)


# sd-parsers and sd-prompt-reader read every engine's real output: tests/test_other_readers.py.


# -- totality of the new pieces (bounded hypothesis runs) ------------------------------
BOUNDED = settings(max_examples=50, deadline=None, derandomize=True)
_KEYS = st.sampled_from(["Steps", "steps", "CFG Scale", "cfg scale", "SAMPLER", "Seed", "Size",
                         "Schedule Type", "x y"]) | st.text(max_size=8)


@BOUNDED
@given(raw=st.binary(max_size=64))
def test_latin1_text_is_total(raw):
    text = latin1_text(raw)
    assert isinstance(text, str)
    assert text == raw.decode("latin-1") or text == raw.decode("utf-8")


@BOUNDED
@given(pairs=st.lists(st.tuples(_KEYS, st.text(max_size=10)), max_size=6), prompt=st.text(max_size=20))
def test_any_case_infotext_is_total(pairs, prompt):
    text = prompt + "\n" + ", ".join(f"{k}: {v}" for k, v in pairs)
    try:
        r = infotext_to_recipe(text)
    except MetadataError as exc:
        assert str(exc).strip()  # one sentence, never an empty error
    else:
        assert isinstance(r, Recipe)
    assert isinstance(is_placeholder_infotext(text), bool)


@BOUNDED
@given(name=st.text(max_size=30) | st.sampled_from(["Euler a karras", "dpmpp_2m_sgm_uniform"]))
def test_split_sampler_name_is_total(name):
    sampler, schedule = split_sampler_name(name)
    assert isinstance(sampler, str) and schedule in (None, *SCHEDULE_NAMES)


SCHEDULE_NAMES = ("Karras", "Exponential", "SGM Uniform", "Simple", "Normal", "DDIM", "Beta",
                  "KL Optimal", "Align Your Steps", "Polyexponential", "Uniform")
