"""`studiolo import` of the formats other tools write: NovelAI, stealth pnginfo, SwarmUI,
Fooocus, RuinedFooocus, InvokeAI 2, Civitai. Every sample file is written by the test
itself (format_samples.py), from each format's layout; none is downloaded."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from format_samples import (
    FOOOCUS,
    H64,
    NAI_V3_COMMENT,
    NAI_V4_COMMENT,
    SAMPLES,
    SWARM,
    exif_image,
    mismatches,
    nai_chunks,
    png,
    stealth_png,
)
from PIL import Image

from studiolo.cli import main
from studiolo.core.errors import MetadataError
from studiolo.provenance.importers import read_recipe
from studiolo.provenance.invokeai_legacy import split_negative
from studiolo.provenance.stealth import read_stealth

ADVICE = ("the file's metadata is damaged: save the picture again from the tool that made it, "
          "or import another copy.")


@pytest.mark.parametrize("sample", SAMPLES, ids=[f"{s.format}: {s.name}" for s in SAMPLES])
def test_sample_file_is_read_right(sample):
    assert mismatches(sample) == []


# -- NovelAI --------------------------------------------------------------------------
def test_novelai_v4_keeps_characters_hash_and_settings():
    data = png(nai_chunks(NAI_V4_COMMENT, "2girls, harbour, sunset", "NovelAI Diffusion V4 4BDE2A90"))
    got = read_recipe(data, name="nai.png")
    nai = got.recipe.options["novelai"]
    assert nai["character_prompts"] == ["girl, red hair", "girl, blue hair"]
    assert nai["model_hash"] == "4BDE2A90" and nai["software"] == "NovelAI"
    assert nai["request_type"] == "PromptGenerateRequest"
    assert "noise_schedule" not in nai  # folded into "DPM++ 2M Karras"
    assert got.raw["Source"] == "NovelAI Diffusion V4 4BDE2A90"


def test_novelai_v3_native_schedule_and_unknown_keys_are_kept():
    data = png(nai_chunks(NAI_V3_COMMENT, NAI_V3_COMMENT["prompt"], "Stable Diffusion XL C1E1DE52"))
    nai = read_recipe(data, name="nai.png").recipe.options["novelai"]
    assert nai["noise_schedule"] == "native" and nai["signed_hash"] == "c2lnbmVk"
    assert nai["uncond_scale"] == 1.0 and nai["sm"] is True


def test_novelai_img2img():
    comment = dict(NAI_V3_COMMENT, request_type="Img2ImgRequest", strength=0.7, noise=0.1)
    recipe = read_recipe(png(nai_chunks(comment, "p", "Stable Diffusion XL C1E1DE52")), name="n").recipe
    assert recipe.mode == "img2img" and recipe.strength == 0.7


def test_novelai_comment_that_is_not_json():
    chunks = nai_chunks({}, "p", "Stable Diffusion 1D44365E")
    chunks["Comment"] = "{steps: 28"
    with pytest.raises(MetadataError) as err:
        read_recipe(png(chunks), name="nai.png")
    assert str(err.value) == (
        "nai.png: the NovelAI `Comment` metadata is not valid JSON (Expecting property name "
        "enclosed in double quotes: line 1 column 2 (char 1)); " + ADVICE)


def test_novelai_seed_of_the_wrong_type():
    with pytest.raises(MetadataError) as err:
        read_recipe(png(nai_chunks({"seed": [1]}, "p", "Stable Diffusion 1D44365E")), name="nai.png")
    assert str(err.value) == ("nai.png: NovelAI metadata has a value of the wrong type: `seed` must "
                              "be an integer, got [1]; " + ADVICE)


# -- stealth --------------------------------------------------------------------------
def test_text_chunks_win_over_stealth_bits():
    data = stealth_png("hidden\nSteps: 5, Seed: 1, Size: 8x8",
                       chunks={"parameters": "shown\nSteps: 7, Seed: 2, Size: 8x8"})
    got = read_recipe(data, name="both.png")
    assert got.recipe.prompt == "shown" and got.recipe.steps == 7


def test_stealth_in_a_lossless_webp():
    image = Image.open(io.BytesIO(stealth_png("webp\nSteps: 3, Seed: 4, Size: 16x16")))
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", lossless=True)
    recipe = read_recipe(buffer.getvalue(), name="s.webp").recipe
    assert (recipe.prompt, recipe.steps, recipe.seed) == ("webp", 3, 4)


def _with_length(signature: bytes, length_bits: int, size=(60, 60), body=b"") -> bytes:
    stream = signature + length_bits.to_bytes(4, "big") + body
    bits = np.unpackbits(np.frombuffer(stream, dtype=np.uint8))
    array = np.full((size[1], size[0], 4), 255, dtype=np.uint8)
    column_order = np.transpose(array, (1, 0, 2)).reshape(-1, 4).copy()
    column_order[: len(bits), 3] = 254 | bits
    array = np.ascontiguousarray(np.transpose(column_order.reshape(size[0], size[1], 4), (1, 0, 2)))
    buffer = io.BytesIO()
    Image.fromarray(array, "RGBA").save(buffer, "PNG")
    return buffer.getvalue()


def test_stealth_length_past_the_pixels_is_refused_without_reading_them():
    with pytest.raises(MetadataError) as err:
        read_recipe(_with_length(b"stealth_pngcomp", 2**32 - 8), name="big.png")
    assert str(err.value) == (
        "big.png has alpha stealth metadata whose length (4294967288 bits) is not a whole number "
        "of bytes that fits in its 60x60 pixels; the metadata is damaged: save the picture again "
        "from the tool that made it.")


def test_stealth_gzip_that_will_not_inflate():
    with pytest.raises(MetadataError) as err:
        read_recipe(_with_length(b"stealth_pngcomp", 64, body=b"notgzip!"), name="z.png")
    assert str(err.value).startswith(
        "z.png has compressed alpha stealth metadata that will not inflate (Error -3 while "
        "decompressing data: incorrect header check); the metadata is damaged")


def test_random_alpha_without_a_signature_is_no_recipe():
    rng = np.random.default_rng(5)
    array = rng.integers(0, 256, (300, 400, 4), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(array, "RGBA").save(buffer, "PNG")
    image = Image.open(io.BytesIO(buffer.getvalue()))
    assert read_stealth(image) is None
    with pytest.raises(MetadataError, match="carries no recipe"):
        read_recipe(buffer.getvalue(), name="noise.png")


def test_stealth_payload_in_the_first_columns_of_a_big_image():
    """Pixels are read column by column (x outer, y inner): a payload written into the first
    40 columns of a 3000-pixel-high image is found when pasted into a 4000 x 3000 one."""
    small = Image.open(io.BytesIO(stealth_png("tiny\nSteps: 2, Seed: 3, Size: 8x8", size=(40, 3000))))
    big = Image.new("RGBA", (4000, 3000), (9, 9, 9, 255))
    big.paste(small, (0, 0))
    mode, text = read_stealth(big)
    assert mode == "alpha" and text.startswith("tiny\nSteps: 2")


# -- SwarmUI, Fooocus, RuinedFooocus ----------------------------------------------------
def test_swarmui_keeps_what_the_recipe_does_not_model():
    got = read_recipe(png({"parameters": json.dumps(SWARM)}), name="swarm.png")
    swarm = got.recipe.options["swarmui"]
    assert swarm["swarm_version"] == "0.9.5.1" and swarm["aspectratio"] == "Custom"
    assert swarm["sui_extra_data"] == {"date": "2025-01-30", "prep_time": "0.01 sec"}
    assert got.raw["parameters"]["sui_image_params"]["seed"] == 1234567


def test_swarmui_params_of_the_wrong_shape():
    with pytest.raises(MetadataError) as err:
        read_recipe(png({"parameters": '{"sui_image_params": [1, 2]}'}), name="swarm.png")
    assert str(err.value) == ("swarm.png: SwarmUI metadata has a value of the wrong type: "
                              "`sui_image_params` must be an object, got [1, 2]; " + ADVICE)


def test_fooocus_options_and_lora_hash():
    recipe = read_recipe(png({"parameters": json.dumps(FOOOCUS), "fooocus_scheme": "fooocus"}),
                         name="f.png").recipe
    assert recipe.options["fooocus"]["styles"] == "['Fooocus V2', 'Fooocus Enhance']"
    assert recipe.options["fooocus"]["scheduler"] == "karras"
    assert [lo.sha256 for lo in recipe.loras] == [None, "cd" * 32]


def test_fooocus_seed_of_the_wrong_type():
    data = dict(FOOOCUS, seed="four")
    with pytest.raises(MetadataError) as err:
        read_recipe(png({"parameters": json.dumps(data), "fooocus_scheme": "fooocus"}), name="f.png")
    assert str(err.value) == ("f.png: Fooocus metadata has a value of the wrong type: `seed` must "
                              "be an integer, got 'four'; " + ADVICE)


def test_an_infotext_that_starts_with_a_brace_is_still_a1111():
    text = "{red|blue} car\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512"
    got = read_recipe(png({"parameters": text}), name="a.png")
    assert got.source == "automatic1111" and got.recipe.prompt == "{red|blue} car"


def test_jpeg_user_comment_json_of_no_known_tool_is_refused_in_a_sentence():
    with pytest.raises(MetadataError, match="Infotext has no parameters line"):
        read_recipe(exif_image("JPEG", '{"hello": "world"}'), name="x.jpg")


# -- InvokeAI 2 and Civitai -------------------------------------------------------------
@pytest.mark.parametrize(("prompt", "positive", "negative"), [
    ("a castle [fog, blur]", "a castle", "fog, blur"),
    ("a castle [fog] at night [blur]", "a castle at night", "fog, blur"),
    ("no negative", "no negative", ""),
    ("nested [a [b] c] end", "nested end", "a [b] c"),
    ("open [never closed", "open", "never closed"),
])
def test_invokeai2_negative_prompt_in_brackets(prompt, positive, negative):
    assert split_negative(prompt) == (positive, negative)


def test_dream_that_does_not_start_with_a_quoted_prompt():
    with pytest.raises(MetadataError) as err:
        read_recipe(png({"Dream": "-s 50 -S 1"}), name="d.png")
    assert str(err.value) == ("d.png: InvokeAI 2 metadata: the `Dream` command must start with the "
                              "prompt in double quotes (like '\"a castle\" -s 50 -S 1'), got "
                              "'-s 50 -S 1'; " + ADVICE)


def test_sd_metadata_wins_over_dream_and_keeps_app_version():
    from format_samples import DREAM, SD_METADATA

    data = png({"Dream": DREAM.replace("-S 3390591085", "-S 1"), "sd-metadata": json.dumps(SD_METADATA)})
    recipe = read_recipe(data, name="i.png").recipe
    assert recipe.seed == 3390591085 and recipe.options["invokeai"]["app_version"] == "2.3.0"


def test_civitai_infotext_keeps_resources_and_reads_no_garbage_keys():
    from format_samples import CIVITAI_A1111

    recipe = read_recipe(exif_image("JPEG", CIVITAI_A1111), name="c.jpg").recipe
    assert recipe.options["civitai"]["Civitai metadata"] == {"remixOfId": 123}
    assert recipe.options["civitai"]["Civitai resources"][0]["modelVersionId"] == 290640
    assert set(recipe.options["a1111"]) == {"Clip skip", "Created Date"}
    assert [(lo.name, lo.weight) for lo in recipe.loras] == [("cozy", 0.7)]


def test_civitai_upscale_keeps_the_graph_in_raw():
    from format_samples import CIVITAI_GRAPH

    got = read_recipe(exif_image("JPEG", json.dumps(CIVITAI_GRAPH)), name="c.jpg")
    graph = got.raw.get("parameters") or got.raw["prompt"]  # `prompt` where EXIF files it as a graph
    assert got.source == "civitai" and graph["4"]["class_type"] == "CheckpointLoaderSimple"
    assert got.recipe.options["civitai"]["baseModel"] == "Pony"


# -- the CLI ----------------------------------------------------------------------------
def test_cli_imports_every_format_in_one_call(tmp_path, studio_home, capsys):
    paths = []
    for i, sample in enumerate(SAMPLES):
        path = tmp_path / f"{i:02d}.bin"
        path.write_bytes(sample.make())
        paths.append(str(path))
    assert main(["import", *paths, "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["source"] for e in entries] == [s.source for s in SAMPLES]
    assert entries[0]["recipe"]["seed"] == 2812350126
    assert H64 in json.dumps(entries)


def test_civitai_graph_filed_as_a_comfyui_prompt_is_still_civitai():
    """The EXIF reader may file Civitai's UserComment (a graph holding `extraMetadata`) under
    `prompt`, as a ComfyUI graph: the original generation still wins."""
    from format_samples import CIVITAI_GRAPH

    from studiolo.provenance.importers import recipe_from_texts

    got = recipe_from_texts({"prompt": json.dumps(CIVITAI_GRAPH)}, size=(8, 8), name="c.jpg")
    assert got.source == "civitai" and got.recipe.seed == 810492347 and "prompt" in got.raw


# -- studiolo's own JPEG/WebP, as the peers read them -----------------------------------
@pytest.mark.parametrize("fmt", ["jpg", "webp"])
def test_studiolo_user_comment_is_undefined_as_a1111_writes_it(fmt):
    """piexif (sd-prompt-reader) reads a UserComment only when its EXIF type is UNDEFINED (7),
    as A1111 writes it; Pillow's writer had given it type BYTE (1)."""
    from studiolo.core.imagemeta import encode_jpeg, encode_webp, read_text_chunks

    text = "a cat, café テスト\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 32x32"
    data = (encode_jpeg if fmt == "jpg" else encode_webp)(Image.new("RGB", (32, 32)), comment=text)
    entry = data.find(b"\x92\x86")  # the tag, big-endian like the rest of the TIFF
    assert data[entry + 2:entry + 4] == b"\x00\x07"
    assert read_text_chunks(data)["parameters"] == text
    exif = Image.open(io.BytesIO(data)).getexif().get_ifd(0x8769)
    assert exif[0x9286] == b"UNICODE\x00" + text.encode("utf-16-be")
