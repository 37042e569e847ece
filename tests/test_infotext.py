"""The AUTOMATIC1111 infotext: parse like A1111, write what A1111 reads, round-trip recipes."""

from __future__ import annotations

import json

import pytest

from studiolo import __version__
from studiolo.core.errors import MetadataError
from studiolo.core.types import InputRef, LoraSpec, Recipe
from studiolo.provenance.infotext import (
    infotext_to_recipe,
    parse_infotext,
    recipe_to_infotext,
)
from studiolo.provenance.samplers import CANONICAL_SAMPLERS, normalise_sampler

SHA = "3f2a9c1b7e" + "0" * 54
# Modelled on a real A1111 1.10 PNG "parameters" chunk (multi-line prompt,
# hires fix, quoted Lora hashes, TI hashes).
A1111_TEXT = (
    "masterpiece, a lighthouse at dusk, <lora:add_detail:0.6>\n"
    "oil painting (impasto:1.2)\n"
    "Negative prompt: blurry, lowres\n"
    "watermark\n"
    "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 3141592653, "
    "Size: 512x768, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, VAE hash: 735e4c3a44, "
    'Clip skip: 2, Lora hashes: "add_detail: 7c6bad76eb, film_grain: 0a1b2c3d4e", '
    'TI hashes: "easynegative: c74b4e810b", Version: v1.10.1'
)


def test_parse_a1111_text():
    prompt, negative, params = parse_infotext(A1111_TEXT)
    assert prompt == "masterpiece, a lighthouse at dusk, <lora:add_detail:0.6>\noil painting (impasto:1.2)"
    assert negative == "blurry, lowres\nwatermark"
    assert params["Steps"] == "28"
    assert params["Schedule type"] == "Karras"
    assert params["Lora hashes"] == "add_detail: 7c6bad76eb, film_grain: 0a1b2c3d4e"
    assert params["TI hashes"] == "easynegative: c74b4e810b"
    assert params["Version"] == "v1.10.1"
    assert len(params) == 13


def test_a1111_text_to_recipe():
    r = infotext_to_recipe(A1111_TEXT)
    assert r.engine == "diffusion" and r.mode == "txt2img"
    assert r.prompt.endswith("oil painting (impasto:1.2)")
    assert r.negative_prompt == "blurry, lowres\nwatermark"
    assert (r.steps, r.guidance, r.seed, r.width, r.height) == (28, 6.5, 3141592653, 512, 768)
    assert r.sampler == "DPM++ 2M Karras"
    assert r.model == "v1-5-pruned-emaonly" and r.model_hash == "6ce0161689"
    assert r.loras == (
        LoraSpec(name="add_detail", weight=0.6, sha256="7c6bad76eb"),
        LoraSpec(name="film_grain", weight=1.0, sha256="0a1b2c3d4e"),
    )
    assert r.strength is None and r.generator_device == "cuda"  # A1111 default: GPU noise
    assert r.options == {"a1111": {
        "VAE hash": "735e4c3a44", "Clip skip": "2", "TI hashes": "easynegative: c74b4e810b",
        "Version": "v1.10.1",
    }}


def test_img2img_inpaint_hires_and_old_sampler_names():
    img2img = infotext_to_recipe(
        "a cat\nSteps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1, Size: 64x32, "
        "Denoising strength: 0.45, RNG: CPU"
    )
    assert (img2img.mode, img2img.strength, img2img.sampler) == ("img2img", 0.45, "DPM++ 2M Karras")
    assert img2img.generator_device == "cpu" and img2img.options == {}
    inpaint = infotext_to_recipe(
        "Steps: 20, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 1, Size: 64x64, "
        "Denoising strength: 0.75, Mask blur: 4"
    )
    assert (inpaint.mode, inpaint.strength, inpaint.sampler) == ("inpaint", 0.75, "Euler a")
    assert inpaint.prompt == "" and inpaint.options == {"a1111": {"Mask blur": "4"}}
    hires = infotext_to_recipe(
        "x\nSteps: 20, Sampler: Euler, Schedule type: Exponential, CFG scale: 7, Seed: 1, "
        "Size: 64x64, Denoising strength: 0.7, Hires upscale: 2, Hires upscaler: Latent"
    )
    assert hires.mode == "txt2img" and hires.strength is None and hires.sampler == "Euler"
    assert hires.options["a1111"]["Denoising strength"] == "0.7"
    assert hires.options["a1111"]["Schedule type"] == "Exponential"  # not expressible: kept


def test_writes_a1111_conventions():
    r = Recipe(
        engine="diffusion", prompt="a fox, <lora:ink:0.8>", negative_prompt="", seed=42, steps=12,
        guidance=7.0, width=640, height=384, sampler="DPM++ 2M Karras", model="dreamshaper_8",
        model_hash=SHA, loras=(LoraSpec("ink", 0.8, sha256="ab" * 32),), strength=None,
    )
    text = recipe_to_infotext(r)
    first, last = text.split("\n")
    assert first == "a fox, <lora:ink:0.8>"  # prompt untouched, no "Negative prompt:" line
    assert last.startswith(
        "Steps: 12, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 42, "
        "Size: 640x384, Model hash: 3f2a9c1b7e, Model: dreamshaper_8, RNG: CPU, "
        f'Lora hashes: "ink: ababababab", Version: studiolo {__version__}, Studiolo: "'
    )
    # What A1111 itself would read back:
    prompt, negative, params = parse_infotext(text)
    assert (prompt, negative) == ("a fox, <lora:ink:0.8>", "")
    assert json.loads(params["Studiolo"])["model_hash"] == SHA
    plain = {k: v for k, v in params.items() if k != "Studiolo"}
    assert infotext_to_recipe(
        "\n".join([prompt, ", ".join(f"{k}: {json.dumps(v) if ',' in v else v}" for k, v in plain.items())])
    ).replace(model_hash=SHA, loras=r.loras, options={}) == r


def test_no_prompt_alteration_without_tags():
    r = Recipe(engine="diffusion", prompt="plain", loras=(LoraSpec("ink", 0.5),))
    assert recipe_to_infotext(r).split("\n")[0] == "plain"


ROUND_TRIP = [
    Recipe(engine="diffusion"),
    Recipe(engine="diffusion", prompt="a, b: c; \"quoted\" 'single'", negative_prompt="x, y"),
    Recipe(engine="diffusion", prompt="line one\nline two\n\nNegative prompt: fake", negative_prompt=""),
    Recipe(engine="diffusion", prompt="  spaced  ", negative_prompt="\nleading newline"),
    Recipe(engine="painter", mode="stylize", prompt="夜の庭, «café» 🎨 \u2028 sep", seed=2**63 - 1,
           guidance=0.1 + 0.2, width=1016, height=8, options={"style": "ukiyo-e", "k": [1, 2.5, None]}),
    Recipe(engine="diffusion", mode="img2img", prompt="Steps: 1, Seed: 2, Size: 3x3", strength=0.35,
           inputs=(InputRef("init", "a" * 64), InputRef("mask", "b" * 64)), generator_device="cuda"),
    Recipe(engine="diffusion", prompt="<lora:ink:0.8> boat", sampler="Euler a", model="m, with comma",
           model_hash=SHA, loras=(LoraSpec("ink", 0.8, "/x/ink.safetensors", "c" * 64),
                                  LoraSpec("grain: v2", -0.25))),
    Recipe(engine="diffusion", prompt='ends with backslash \\', negative_prompt='"', sampler="UniPC",
           options={"nested": {"a": {"b": "c,d:e\n"}}}),
    Recipe(engine="diffusion", prompt="", negative_prompt="only negative"),
]


@pytest.mark.parametrize("recipe", ROUND_TRIP, ids=range(len(ROUND_TRIP)))
def test_round_trip(recipe):
    text = recipe_to_infotext(recipe)
    assert infotext_to_recipe(text) == recipe
    # One params line, always the last, always with the standard keys.
    _, _, params = parse_infotext(text)
    assert params["Steps"] == str(recipe.steps) and params["Seed"] == str(recipe.seed)
    assert params["Size"] == f"{recipe.width}x{recipe.height}"


@pytest.mark.parametrize("sampler", CANONICAL_SAMPLERS)
def test_every_canonical_sampler_round_trips_without_studiolo_key(sampler):
    text = recipe_to_infotext(Recipe(engine="diffusion", sampler=sampler))
    without = text.rsplit(", Studiolo: ", 1)[0]
    assert infotext_to_recipe(without).sampler == sampler


def test_damaged_studiolo_key_falls_back_to_standard_keys():
    text = recipe_to_infotext(Recipe(engine="diffusion", seed=9, steps=5))
    broken = text.replace('"engine', '"engineX')
    r = infotext_to_recipe(broken)
    assert r.seed == 9 and r.steps == 5 and "Studiolo" in r.options["a1111"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Infotext is empty"),
        ("   \n ", "Infotext is empty"),
        ("just a prompt, nothing else", "has no parameters line"),
        ("p\nSteps: many, Sampler: Euler, CFG scale: 7, Seed: 1", "`Steps` must be an integer, got 'many'"),
        ("p\nSteps: 2, Sampler: Euler, CFG scale: 7, Seed: x1", "`Seed` must be an integer, got 'x1'"),
        ("p\nSteps: 2, Sampler: Euler, CFG scale: high, Seed: 1", "`CFG scale` must be a number, got 'high'"),
        ("p\nSteps: 2, Seed: 1, Size: 512by512", "`Size` must be WIDTHxHEIGHT, got '512by512'"),
        ('p\nSteps: 2, Seed: 1, Size: 8x8, Lora hashes: "nohash"', "`Lora hashes` must be 'name: hash"),
    ],
)
def test_malformed(text, message):
    with pytest.raises(MetadataError, match=message.replace("(", r"\(")):
        infotext_to_recipe(text)


def test_not_a_string():
    with pytest.raises(MetadataError, match="Infotext must be a string, got bytes"):
        parse_infotext(b"Steps: 1")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("euler_ancestral", "Euler a"), ("euler_a", "Euler a"), ("Euler A", "Euler a"),
        ("EulerAncestralDiscreteScheduler", "Euler a"), ("dpmpp_2m_k", "DPM++ 2M Karras"),
        ("DPMSolverMultistepScheduler", "DPM++ 2M"), ("uni_pc", "UniPC"), ("lcm", "LCM"),
        ("ddim", "DDIM"), ("k_lms", "LMS"), ("kdpm_2_a", "DPM2 a"), ("dpmpp_2m_sde_k", "DPM++ 2M SDE Karras"),
        ("TCDScheduler", "TCD"), ("deis", "DEIS"), ("PNDMScheduler", "PNDM"),
        ("some_new_sampler", "some_new_sampler"), ("DPM++ 3M SDE", "DPM++ 3M SDE"),
    ],
)
def test_normalise_sampler(name, canonical):
    assert normalise_sampler(name) == canonical


def test_canonical_names_are_fixed_points():
    assert all(normalise_sampler(n) == n for n in CANONICAL_SAMPLERS)
    assert len(CANONICAL_SAMPLERS) == 20
