"""Importing recipes from images written by studiolo, A1111, ComfyUI and InvokeAI."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from studiolo.core.errors import ImageError, MetadataError
from studiolo.core.imagemeta import encode_jpeg, encode_png, encode_webp
from studiolo.core.types import InputRef, LoraSpec, Recipe
from studiolo.provenance.importers import ImportedRecipe, read_recipe
from studiolo.provenance.infotext import recipe_to_infotext

IMG = Image.new("RGB", (48, 32), (90, 120, 150))


def _save_png(path, chunks: dict[str, str]):
    info = PngInfo()
    for k, v in chunks.items():
        info.add_text(k, v)
    IMG.save(path, format="PNG", pnginfo=info)
    return path


# -- studiolo / A1111 -----------------------------------------------------------
STUDIOLO = Recipe(
    engine="diffusion", mode="img2img", prompt="harbour at night, «nocturne»", negative_prompt="blur",
    seed=77, steps=9, guidance=5.5, width=48, height=32, sampler="DPM++ 2M Karras", model="tiny-sd",
    model_hash="d" * 64, loras=(LoraSpec("ink", 0.7, sha256="e" * 64),), strength=0.6,
    inputs=(InputRef("init", "f" * 64),), options={"eta": 0.0},
)


@pytest.mark.parametrize("fmt", ["png", "jpg", "webp"])
def test_studiolo_round_trip_every_format(tmp_path, fmt):
    text = recipe_to_infotext(STUDIOLO)
    data = {
        "png": lambda: encode_png(IMG, {"parameters": text}),
        "jpg": lambda: encode_jpeg(IMG, comment=text),
        "webp": lambda: encode_webp(IMG, comment=text),
    }[fmt]()
    path = tmp_path / f"art.{fmt}"
    path.write_bytes(data)
    got = read_recipe(path)
    assert isinstance(got, ImportedRecipe)
    assert got.source == "studiolo" and got.recipe == STUDIOLO and got.raw == {"parameters": text}


def test_a1111_jpeg(tmp_path):
    text = (
        "portrait of a sailor, <lora:film:0.9>\nNegative prompt: cartoon\n"
        "Steps: 30, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 12345, "
        "Size: 512x640, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.9.4"
    )
    path = tmp_path / "00001-12345.jpg"
    path.write_bytes(encode_jpeg(IMG, comment=text))
    got = read_recipe(path)
    assert got.source == "automatic1111"
    r = got.recipe
    assert (r.prompt, r.negative_prompt) == ("portrait of a sailor, <lora:film:0.9>", "cartoon")
    assert (r.steps, r.sampler, r.guidance, r.seed, r.width, r.height) == (30, "Euler a", 7.0, 12345, 512, 640)
    assert (r.model, r.model_hash, r.loras) == ("v1-5-pruned-emaonly", "6ce0161689", (LoraSpec("film", 0.9),))
    assert r.options == {"a1111": {"Version": "v1.9.4"}}


# -- ComfyUI ------------------------------------------------------------------
# The default ComfyUI graph plus a LoRA and a ConditioningCombine, in API format.
COMFY_PROMPT = {
    "3": {"class_type": "KSampler", "inputs": {
        "seed": 156680208700286, "steps": 25, "cfg": 6.5, "sampler_name": "dpmpp_2m",
        "scheduler": "karras", "denoise": 1.0, "model": ["10", 0], "positive": ["11", 0],
        "negative": ["7", 0], "latent_image": ["5", 0]}},
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "SD1.5\\dreamshaper_8.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 768, "batch_size": 2}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "beautiful scenery, glass bottle", "clip": ["10", 1]}},
    "12": {"class_type": "CLIPTextEncode", "inputs": {"text": "purple galaxy", "clip": ["10", 1]}},
    "11": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["6", 0], "conditioning_2": ["12", 0]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "text, watermark", "clip": ["10", 1]}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
    "10": {"class_type": "LoraLoader", "inputs": {
        "lora_name": "styles/ink_wash.safetensors", "strength_model": 0.8, "strength_clip": 1.0,
        "model": ["13", 0], "clip": ["13", 1]}},
    "13": {"class_type": "LoraLoader", "inputs": {
        "lora_name": "detail.safetensors", "strength_model": 0.5, "strength_clip": 0.5,
        "model": ["4", 0], "clip": ["4", 1]}},
}


def _check_comfy_txt2img(r: Recipe, prompt: str = "beautiful scenery, glass bottle") -> None:
    assert (r.engine, r.mode) == ("diffusion", "txt2img")
    assert r.prompt == prompt
    assert r.negative_prompt == "text, watermark"
    assert (r.seed, r.steps, r.guidance, r.width, r.height) == (156680208700286, 25, 6.5, 512, 768)
    assert r.sampler == "DPM++ 2M Karras"
    assert r.model == "dreamshaper_8"
    assert r.loras == (LoraSpec("detail", 0.5), LoraSpec("ink_wash", 0.8))
    assert r.strength is None and r.generator_device == "cpu"
    assert r.options["comfyui"]["batch_size"] == 2
    assert r.options["comfyui"]["sampler_name"] == "dpmpp_2m"
    assert r.options["comfyui"]["scheduler"] == "karras"


def test_comfyui_api_prompt(tmp_path):
    path = _save_png(tmp_path / "ComfyUI_00001_.png", {"prompt": json.dumps(COMFY_PROMPT)})
    got = read_recipe(path)
    assert got.source == "comfyui" and got.raw["prompt"] == COMFY_PROMPT
    # ConditioningCombine keeps both prompts, in order (issue 16)
    _check_comfy_txt2img(got.recipe, "beautiful scenery, glass bottle, purple galaxy")
    assert got.recipe.options["comfyui"]["prompts"] == ["beautiful scenery, glass bottle", "purple galaxy"]


# The same graph as the editor saves it (links: [id, from, from slot, to, to slot, type]).
COMFY_WORKFLOW = {
    "last_node_id": 13, "last_link_id": 20, "version": 0.4,
    "nodes": [
        {"id": 3, "type": "KSampler", "mode": 0,
         "inputs": [{"name": "model", "type": "MODEL", "link": 1}, {"name": "positive", "type": "CONDITIONING", "link": 4},
                    {"name": "negative", "type": "CONDITIONING", "link": 6}, {"name": "latent_image", "type": "LATENT", "link": 2}],
         "widgets_values": [156680208700286, "randomize", 25, 6.5, "dpmpp_2m", "karras", 1]},
        {"id": 4, "type": "CheckpointLoaderSimple", "inputs": [], "widgets_values": ["SD1.5\\dreamshaper_8.safetensors"]},
        {"id": 5, "type": "EmptyLatentImage", "inputs": [], "widgets_values": [512, 768, 2]},
        {"id": 6, "type": "CLIPTextEncode", "inputs": [{"name": "clip", "type": "CLIP", "link": 3}],
         "widgets_values": ["beautiful scenery, glass bottle"]},
        {"id": 7, "type": "CLIPTextEncode", "inputs": [{"name": "clip", "type": "CLIP", "link": 5}],
         "widgets_values": ["text, watermark"]},
        {"id": 14, "type": "Reroute", "inputs": [{"name": "", "type": "*", "link": 7}], "widgets_values": []},
        {"id": 10, "type": "LoraLoader", "inputs": [{"name": "model", "type": "MODEL", "link": 8}],
         "widgets_values": ["styles/ink_wash.safetensors", 0.8, 1]},
        {"id": 13, "type": "LoraLoader", "inputs": [{"name": "model", "type": "MODEL", "link": 9}],
         "widgets_values": ["detail.safetensors", 0.5, 0.5]},
        {"id": 15, "type": "KSampler", "mode": 4, "inputs": [], "widgets_values": [1, "fixed", 1, 1, "euler", "normal", 1]},
        {"id": 16, "type": "Note", "inputs": [], "widgets_values": ["made on a Tuesday"]},
    ],
    "links": [
        [1, 10, 0, 3, 0, "MODEL"], [4, 14, 0, 3, 1, "CONDITIONING"], [7, 6, 0, 14, 0, "*"],
        [6, 7, 0, 3, 2, "CONDITIONING"], [2, 5, 0, 3, 3, "LATENT"], [8, 13, 0, 10, 0, "MODEL"],
        [9, 4, 0, 13, 0, "MODEL"], [3, 4, 1, 6, 0, "CLIP"], [5, 4, 1, 7, 0, "CLIP"],
    ],
}


def test_comfyui_workflow_only(tmp_path):
    path = _save_png(tmp_path / "wf.png", {"workflow": json.dumps(COMFY_WORKFLOW)})
    got = read_recipe(path)
    assert got.source == "comfyui" and "prompt" not in got.raw
    _check_comfy_txt2img(got.recipe)
    assert got.recipe.options["comfyui"]["node"] == "3"  # the bypassed sampler 15 is ignored


def test_comfyui_img2img_advanced_sampler_and_seed_node(tmp_path):
    graph = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sdxl/juggernaut.safetensors"}},
        "2": {"class_type": "LoadImage", "inputs": {"image": "sketch.png", "upload": "image"}},
        "3": {"class_type": "VAEEncode", "inputs": {"pixels": ["2", 0], "vae": ["1", 2]}},
        "4": {"class_type": "CLIPTextEncode", "inputs": {"text": "watercolour fox", "clip": ["1", 1]}},
        "5": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["1", 1]}},
        "6": {"class_type": "ControlNetApplyAdvanced", "inputs": {
            "positive": ["4", 0], "negative": ["5", 0], "strength": 0.8, "control_net": ["9", 0], "image": ["2", 0]}},
        "7": {"class_type": "Seed (rgthree)", "inputs": {"seed": 4242}},
        "8": {"class_type": "KSamplerAdvanced", "inputs": {
            "add_noise": "enable", "noise_seed": ["7", 0], "steps": 12, "cfg": 4.0, "sampler_name": "euler_ancestral",
            "scheduler": "normal", "start_at_step": 0, "end_at_step": 10000, "return_with_leftover_noise": "disable",
            "model": ["1", 0], "positive": ["6", 0], "negative": ["6", 1], "latent_image": ["3", 0]}},
    }
    path = _save_png(tmp_path / "i2i.png", {"prompt": json.dumps(graph)})
    r = read_recipe(path).recipe
    assert (r.mode, r.prompt, r.negative_prompt) == ("img2img", "watercolour fox", "")
    assert (r.seed, r.steps, r.guidance, r.sampler, r.model) == (4242, 12, 4.0, "Euler a", "juggernaut")
    assert (r.width, r.height) == IMG.size  # no latent size: the image's own
    assert r.strength is None and r.options["comfyui"]["image"] == "sketch.png"


@pytest.mark.parametrize(
    ("sampler", "scheduler", "expected"),
    [("euler", "normal", "Euler"), ("uni_pc", "normal", "UniPC"), ("lcm", "sgm_uniform", "LCM"),
     ("ddim", "ddim_uniform", "DDIM"), ("dpmpp_sde", "karras", "DPM++ SDE Karras"),
     ("euler", "karras", "Euler"), ("dpmpp_3m_sde", "exponential", "dpmpp_3m_sde")],
)
def test_comfyui_sampler_names(tmp_path, sampler, scheduler, expected):
    graph = json.loads(json.dumps(COMFY_PROMPT))
    graph["3"]["inputs"].update(sampler_name=sampler, scheduler=scheduler)
    r = read_recipe(_save_png(tmp_path / "s.png", {"prompt": json.dumps(graph)})).recipe
    assert r.sampler == expected
    assert r.options["comfyui"]["scheduler"] == scheduler  # the raw pair is never lost


def test_comfyui_graph_without_sampler(tmp_path):
    graph = {"1": {"class_type": "LoadImage", "inputs": {"image": "a.png"}}}
    with pytest.raises(MetadataError, match=r"no sampler node \(KSampler, KSamplerAdvanced, SamplerCustom, "
                       r"SamplerCustomAdvanced or one like them\); nodes: \['LoadImage'\]"):
        read_recipe(_save_png(tmp_path / "x.png", {"prompt": json.dumps(graph)}))


# -- InvokeAI -----------------------------------------------------------------
INVOKE3 = {
    "generation_mode": "txt2img", "positive_prompt": "a castle on a hill", "negative_prompt": "fog",
    "width": 768, "height": 512, "seed": 2718281828, "rand_device": "cpu", "cfg_scale": 7.5,
    "cfg_rescale_multiplier": 0, "steps": 35, "scheduler": "euler_a", "clip_skip": 0,
    "model": {"model_name": "stable-diffusion-v1-5", "base_model": "sd-1", "model_type": "main"},
    "controlnets": [], "ipAdapters": [], "t2iAdapters": [],
    "loras": [{"lora": {"model_name": "pixel_art", "base_model": "sd-1"}, "weight": 0.75}],
    "app_version": "3.6.2",
}
INVOKE4 = {
    "generation_mode": "img2img", "positive_prompt": "a castle on a hill", "negative_prompt": "",
    "width": 1024, "height": 1024, "seed": 99, "rand_device": "cuda", "cfg_scale": 5, "steps": 30,
    "scheduler": "dpmpp_2m_k", "strength": 0.55, "init_image": "f0e1.png",
    "model": {"key": "9a8b", "hash": "blake3:1c2d3e", "name": "Juggernaut XL v9", "base": "sdxl", "type": "main"},
    "loras": [{"model": {"key": "77", "hash": "sha256:" + "a" * 64, "name": "ink", "base": "sdxl", "type": "lora"},
               "weight": 1.2}],
    "app_version": "4.2.9",
}


def test_invokeai_3(tmp_path):
    got = read_recipe(_save_png(tmp_path / "inv3.png", {"invokeai_metadata": json.dumps(INVOKE3)}))
    r = got.recipe
    assert got.source == "invokeai" and got.raw["invokeai_metadata"] == INVOKE3
    assert (r.mode, r.prompt, r.negative_prompt) == ("txt2img", "a castle on a hill", "fog")
    assert (r.seed, r.steps, r.guidance, r.width, r.height) == (2718281828, 35, 7.5, 768, 512)
    assert (r.sampler, r.model, r.model_hash) == ("Euler a", "stable-diffusion-v1-5", None)
    assert r.loras == (LoraSpec("pixel_art", 0.75),) and r.strength is None
    assert r.generator_device == "cpu" and r.options["invokeai"]["app_version"] == "3.6.2"


def test_invokeai_4(tmp_path):
    r = read_recipe(_save_png(tmp_path / "inv4.png", {"invokeai_metadata": json.dumps(INVOKE4)})).recipe
    assert (r.mode, r.strength, r.sampler) == ("img2img", 0.55, "DPM++ 2M Karras")
    assert (r.model, r.model_hash) == ("Juggernaut XL v9", None)
    assert r.options["invokeai"]["model_hash"] == "blake3:1c2d3e"  # not a sha256: kept aside
    assert r.loras == (LoraSpec("ink", 1.2),) and r.generator_device == "cuda"
    assert (r.width, r.height, r.guidance) == (1024, 1024, 5.0)


def test_invokeai_bad_metadata(tmp_path):
    with pytest.raises(MetadataError, match=r"neither `positive_prompt` nor `steps`"):
        read_recipe(_save_png(tmp_path / "a.png", {"invokeai_metadata": '{"foo": 1}'}))
    with pytest.raises(MetadataError, match=r"b\.png: the `invokeai_metadata` metadata is not valid JSON"):
        read_recipe(_save_png(tmp_path / "b.png", {"invokeai_metadata": "{oops"}))
    with pytest.raises(MetadataError, match=r"must be a JSON object, got list"):
        read_recipe(_save_png(tmp_path / "c.png", {"prompt": "[1, 2]"}))
    bad = dict(INVOKE3, steps="many")
    with pytest.raises(MetadataError, match=r"InvokeAI metadata has a value of the wrong type"):
        read_recipe(_save_png(tmp_path / "d.png", {"invokeai_metadata": json.dumps(bad)}))


# -- no recipe, bad files -----------------------------------------------------
def test_no_metadata(tmp_path):
    path = _save_png(tmp_path / "plain.png", {"Software": "GIMP"})
    with pytest.raises(
        MetadataError,
        match=r"plain\.png carries no recipe: no AUTOMATIC1111 parameters, ComfyUI prompt/workflow, "
        r"InvokeAI, NovelAI, SwarmUI, Fooocus or Civitai metadata, nor stealth metadata in the "
        r"pixels\.",
    ):
        read_recipe(path)
    buf = io.BytesIO()
    IMG.save(buf, format="JPEG")
    (tmp_path / "plain.jpg").write_bytes(buf.getvalue())
    with pytest.raises(MetadataError, match=r"plain\.jpg carries no recipe"):
        read_recipe(tmp_path / "plain.jpg")


def test_bad_files_get_image_errors(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError, match=r"empty\.png is empty \(0 bytes\)"):
        read_recipe(tmp_path / "empty.png")
    data = encode_png(Image.effect_noise((48, 48), 40), {"parameters": recipe_to_infotext(STUDIOLO)})
    (tmp_path / "cut.png").write_bytes(data[: len(data) - 40])
    with pytest.raises(ImageError, match=r"cut\.png is truncated or corrupt"):
        read_recipe(tmp_path / "cut.png")
    (tmp_path / "t.png").write_text("Steps: 20, Seed: 1, Size: 8x8")
    with pytest.raises(ImageError, match=r"t\.png is not an image Pillow can read"):
        read_recipe(tmp_path / "t.png")
    with pytest.raises(ImageError, match=r"missing\.png does not exist"):
        read_recipe(tmp_path / "missing.png")
