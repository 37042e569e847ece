"""Sample files in other tools' formats, written here by hand from each format's layout.

Every sample is made by this module (never downloaded): the chunk names, JSON keys
and byte layouts follow what each tool writes (NovelAI's PNG chunks and alpha-channel
stealth copy, the A1111 stealth-pnginfo extension, SwarmUI, Fooocus, RuinedFooocus,
InvokeAI 2, Civitai's generator), as read in their own code. `SAMPLES` lists them with
the recipe fields each must give; `tests/test_import_formats.py` checks them all and
`python tests/format_samples.py` prints "N of M read right" per format.

The stealth writer below is a plain per-pixel loop in the extension's order (x outer,
y inner; bits most significant first), independent of studiolo's numpy reader.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image
from PIL.PngImagePlugin import PngInfo

H64 = "ab" * 32  # a sha256 hex digest


def png(chunks: dict[str, str], image: Image.Image | None = None, itxt: bool = False) -> bytes:
    info = PngInfo()
    for key, value in chunks.items():
        if itxt:
            info.add_itxt(key, value)
        else:
            info.add_text(key, value)
    buffer = io.BytesIO()
    (image or Image.new("RGB", (64, 48), (120, 90, 60))).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def exif_image(fmt: str, comment: str, *, ifd0: bool = False, maker: str | None = None,
               unicode: bool = True, model_tag: bool = False, little_endian: bool = False) -> bytes:
    """JPEG/WebP whose UserComment holds `comment`: in the Exif IFD with the UNICODE header
    (A1111, SwarmUI, Civitai), or as plain text in IFD0 (Fooocus, with its scheme in MakerNote);
    `model_tag`: in IFD0's Model tag instead (older SwarmUI). SwarmUI (C#'s Encoding.Unicode)
    writes UTF-16 little-endian after the UNICODE header, A1111 (piexif) big-endian."""
    exif = Image.Exif()
    if model_tag:
        exif[0x0110] = comment
    elif ifd0:
        exif[0x9286] = comment
        exif[0x0131] = "Fooocus v2.5.5"
        if maker:
            exif[0x927C] = maker
    else:
        codec = "utf-16-le" if little_endian else "utf-16-be"
        body = comment.encode(codec) if unicode else comment.encode("utf-8")
        raw = _user_comment_tiff((b"UNICODE\x00" if unicode else b"ASCII\x00\x00\x00") + body)
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (30, 60, 90)).save(buffer, fmt, quality=90, exif=raw)
        return buffer.getvalue()
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 60, 90)).save(buffer, fmt, quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def _user_comment_tiff(value: bytes) -> bytes:
    """EXIF as piexif writes it for A1111: a little TIFF whose IFD0 points to an Exif IFD
    holding one UserComment entry of type UNDEFINED (7)."""
    import struct

    exif_ifd = 8 + 2 + 12 + 4  # after the header and IFD0's one entry
    data_at = exif_ifd + 2 + 12 + 4
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x8769, 4, 1, exif_ifd) + b"\0\0\0\0"
    sub = struct.pack("<H", 1) + struct.pack("<HHII", 0x9286, 7, len(value), data_at) + b"\0\0\0\0"
    return b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + ifd0 + sub + value


def stealth_png(text: str | bytes, *, mode: str = "alpha", compressed: bool = True,
                size: tuple[int, int] = (96, 80), chunks: dict[str, str] | None = None) -> bytes:
    """A PNG with `text` hidden as the A1111 stealth-pnginfo extension (and NovelAI) hide it."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    payload = gzip.compress(raw) if compressed else raw
    signature = f"stealth_{'png' if mode == 'alpha' else 'rgb'}{'comp' if compressed else 'info'}"
    bits = "".join(format(b, "08b") for b in signature.encode())
    bits += format(len(payload) * 8, "032b") + "".join(format(b, "08b") for b in payload)
    image = Image.new("RGBA" if mode == "alpha" else "RGB", size, (200, 150, 100, 255)[:4 if mode == "alpha" else 3])
    pixels = image.load()
    index = 0
    for x in range(size[0]):
        for y in range(size[1]):
            if index >= len(bits):
                break
            values = list(pixels[x, y])
            channels = [3] if mode == "alpha" else [0, 1, 2]
            for c in channels:
                if index < len(bits):
                    values[c] = (values[c] & ~1) | int(bits[index])
                    index += 1
            pixels[x, y] = tuple(values)
    assert index == len(bits), "the payload does not fit the sample image"
    return png(chunks or {}, image)


# -- NovelAI --------------------------------------------------------------------------
NAI_V1_COMMENT = {"steps": 28, "sampler": "k_euler_ancestral", "seed": 2812350126, "strength": 0.69,
                  "noise": 0.667, "scale": 11.0, "uc": "lowres, bad anatomy"}
NAI_V3_COMMENT = {
    "prompt": "1girl, lighthouse, night sky, best quality", "steps": 28, "height": 1216,
    "width": 832, "scale": 5.0, "uncond_scale": 1.0, "cfg_rescale": 0.0, "seed": 3512046511,
    "n_samples": 1, "hide_debug_overlay": False, "noise_schedule": "native", "legacy_v3_extend": False,
    "reference_information_extracted_multiple": [], "reference_strength_multiple": [],
    "sampler": "k_euler", "controlnet_strength": 1.0, "controlnet_model": None,
    "dynamic_thresholding": False, "sm": True, "sm_dyn": False, "skip_cfg_above_sigma": None,
    "lora_unet_weights": None, "lora_clip_weights": None, "uc": "nsfw, lowres, bad hands",
    "request_type": "PromptGenerateRequest", "signed_hash": "c2lnbmVk",
}
NAI_V4_COMMENT = {
    "prompt": "2girls, harbour, sunset", "steps": 23, "height": 1024, "width": 1024, "scale": 6.2,
    "seed": 99887766, "noise_schedule": "karras", "sampler": "k_dpmpp_2m", "uc": "blurry",
    "v4_prompt": {"caption": {"base_caption": "2girls, harbour, sunset", "char_captions": [
        {"char_caption": "girl, red hair", "centers": [{"x": 0.3, "y": 0.5}]},
        {"char_caption": "girl, blue hair", "centers": [{"x": 0.7, "y": 0.5}]}]},
        "use_coords": True, "use_order": True},
    "v4_negative_prompt": {"caption": {"base_caption": "blurry, lowres", "char_captions": []},
                           "legacy_uc": False},
    "request_type": "PromptGenerateRequest",
}


def nai_chunks(comment: dict[str, Any], description: str, source: str) -> dict[str, str]:
    return {"Title": "AI generated image", "Description": description, "Software": "NovelAI",
            "Source": source, "Generation time": "4.27", "Comment": json.dumps(comment)}


# -- SwarmUI --------------------------------------------------------------------------
SWARM = {"sui_image_params": {
    "prompt": "a red fox in snow, <lora:winter>", "negativeprompt": "blurry", "model": "OfficialStableDiffusion/sd_xl_base_1.0",
    "seed": 1234567, "steps": 30, "cfgscale": 6.5, "aspectratio": "Custom", "width": 1152,
    "height": 896, "sampler": "dpmpp_2m", "scheduler": "karras", "loras": ["winter", "film"],
    "loraweights": ["0.8", "1"], "swarm_version": "0.9.5.1", "date": "2025-01-30",
    "generation_time": "0.01 (prep) and 5.22 (gen) seconds"},
    "sui_models": [{"name": "sd_xl_base_1.0.safetensors", "param": "model", "hash": "0x" + H64}],
    "sui_extra_data": {"date": "2025-01-30", "prep_time": "0.01 sec"}}
SWARM_OLD = {"sui_image_params": {
    "prompt": "castle on a hill", "negativeprompt": "", "model": "v1-5-pruned-emaonly", "seed": 42,
    "steps": 20, "cfgscale": 7.0, "width": 512, "height": 768, "comfyuisampler": "euler_ancestral",
    "autowebuisampler": "Euler a", "swarm_version": "0.6.1.0"}}
SWARM_IMG2IMG = {"sui_image_params": {
    "prompt": "oil painting of a harbour", "negativeprompt": "photo", "model": "Flux/flux1-dev-fp8",
    "seed": 2042464333, "steps": 25, "cfgscale": 1.0, "width": 512, "height": 768,
    "sampler": "euler", "scheduler": "normal", "initimagecreativity": 0.6, "vae": "ae.sft",
    "swarm_version": "0.9.1.1"}}

# -- Fooocus --------------------------------------------------------------------------
FOOOCUS = {
    "adm_guidance": "(1.5, 0.8, 0.3)", "base_model": "juggernautXL_v8Rundiffusion",
    "base_model_hash": H64, "full_negative_prompt": ["(worst quality:2)", "unrealistic"],
    "full_prompt": ["a cat in a garden, cinematic"], "guidance_scale": 4.0, "loras": [
        ["sd_xl_offset_example-lora_1.0", 0.1, "4852686128"], ["ink_style", 0.6, "cd" * 32]],
    "metadata_scheme": "fooocus", "negative_prompt": "unrealistic", "performance": "Speed",
    "prompt": "a cat in a garden", "prompt_expansion": "a cat in a garden, cinematic",
    "refiner_model": "None", "refiner_switch": 0.5, "resolution": "(1152, 896)",
    "sampler": "dpmpp_2m_sde_gpu", "scheduler": "karras", "seed": "4089154235567712003",
    "sharpness": 2.0, "steps": 30, "styles": "['Fooocus V2', 'Fooocus Enhance']",
    "vae": "Default (model)", "version": "Fooocus v2.5.5",
}
FOOOCUS_A1111 = ("a cat in a garden, <lora:ink_style:0.6>\nNegative prompt: unrealistic\n"
                 "Steps: 30, Sampler: DPM++ 2M SDE Karras, Seed: 4089154235, Size: 1152x896, "
                 "CFG scale: 4, Sharpness: 2, Model: juggernautXL_v8Rundiffusion, Performance: "
                 "Speed, Version: Fooocus v2.5.5")
FOOOCUS_LOG = {
    "Prompt": "mountain lake at dawn", "Negative Prompt": "people", "Styles": "['Fooocus V2']",
    "Performance": "Quality", "Steps": 60, "Resolution": "(1024, 1024)", "Guidance Scale": 7.0,
    "Sharpness": 2.0, "Base Model": "sd_xl_base_1.0_0.9vae.safetensors", "Sampler": "dpmpp_2m",
    "Scheduler": "normal", "Seed": "777", "LoRA 1": "sd_xl_offset_example-lora_1.0.safetensors : 0.5",
    "Version": "Fooocus v2.1.0",
}
# What sd-prompt-reader reads from an older Fooocus `Comment` chunk (Fooocus-MRE's keys).
FOOOCUS_MRE = {"prompt": "red roses in a vase", "negative_prompt": "wilted", "style": "cinematic-default",
               "seed": 31337, "width": 896, "height": 1152, "sampler": "dpmpp_2m_sde_gpu",
               "scheduler": "karras", "performance": "Speed", "steps": 30, "switch": 20, "sharpness": 2.0,
               "cfg": 7.0, "base_model": "sd_xl_base_1.0_0.9vae.safetensors", "refiner_model":
               "sd_xl_refiner_1.0_0.9vae.safetensors", "l1": "sd_xl_offset_example-lora_1.0.safetensors",
               "w1": 0.5, "l2": "None", "w2": 0.5, "software": "Fooocus-MRE v2.0.78.5"}

# -- RuinedFooocus --------------------------------------------------------------------
RUINED = {"Prompt": "a lighthouse in a storm", "Negative": "text, watermark", "steps": 30, "cfg": 8.0,
          "width": 1152, "height": 896, "seed": 1311, "sampler_name": "dpmpp_2m_sde_gpu",
          "scheduler": "karras", "base_model_name": "sd_xl_base_1.0.safetensors",
          "base_model_hash": H64, "loras": [[H64, "0.7 - storm_lora.safetensors"]], "start_step": 0,
          "denoise": None, "clip_skip": 1, "software": "RuinedFooocus"}
RUINED_OLD = {"Prompt": "a quiet street", "Negative": "", "steps": 20, "cfg": 6.0, "width": 1024,
              "height": 1024, "seed": 5, "sampler_name": "euler_ancestral", "scheduler": "normal",
              "base_model_name": "dreamshaperXL.safetensors", "loras": [["sharp.safetensors", 0.4]]}

# -- InvokeAI 2 -----------------------------------------------------------------------
SD_METADATA = {"model": "stable diffusion", "model_weights": "stable-diffusion-1.5",
               "model_hash": "cc6cb27103417325ff94f52b7a5d2dde45a7515b25c255d8e396c90014281516",
               "app_id": "invoke-ai/InvokeAI", "app_version": "2.3.0", "image": {
                   "prompt": [{"prompt": "a dragon over the sea [blurry, lowres]", "weight": 1.0}],
                   "steps": 50, "cfg_scale": 7.5, "threshold": 0, "perlin": 0, "height": 512,
                   "width": 768, "seed": 3390591085, "seamless": False, "hires_fix": False,
                   "type": "txt2img", "postprocessing": None, "sampler": "k_lms", "variations": []}}
DREAM = '"a dragon over the sea [blurry, lowres]" -s 50 -S 3390591085 -W 768 -H 512 -C 7.5 -A k_lms'
SD_METADATA_IMG2IMG = {"model_weights": "stable-diffusion-1.4", "app_version": "2.0.1", "image": {
    "prompt": "a castle at night", "steps": 30, "cfg_scale": 9.0, "height": 512, "width": 512,
    "seed": 7, "type": "img2img", "sampler": "ddim", "strength": 0.55,
    "init_image_path": "outputs/init.png"}}
DREAM_ONLY = '"portrait of a knight" -s 40 -S 1200 -W 512 -H 640 -C 8.0 -A k_euler_a -m stable-diffusion-1.5'

# -- Civitai --------------------------------------------------------------------------
CIVITAI_EXTRA = {"prompt": "a neon city street at night, rain", "negativePrompt": "lowres",
                 "steps": 25, "cfgScale": 4.5, "sampler": "Euler a", "seed": 810492347,
                 "width": 832, "height": 1216, "clipSkip": 2, "baseModel": "Pony",
                 "resources": [{"modelVersionId": 290640, "strength": 0.8}],
                 "transformations": [{"type": "upscale", "upscaleWidth": 1664, "upscaleHeight": 2432}]}
CIVITAI_GRAPH = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "urn:air:sdxl:checkpoint:civitai:101055@128078"}},
    "12": {"class_type": "ImageUpscaleWithModel", "inputs": {"image": ["8", 0]}},
    "extraMetadata": json.dumps(CIVITAI_EXTRA),
}
CIVITAI_JSON = {"prompt": "portrait of an old fisherman", "negativePrompt": "cartoon", "steps": 30,
                "cfgScale": 7, "sampler": "DPM++ 2M Karras", "seed": 123456, "width": 512,
                "height": 768, "clipSkip": 1, "resources": [
                    {"type": "checkpoint", "modelName": "Realistic Vision", "modelVersionName": "V6.0"},
                    {"type": "lora", "modelName": "Film Grain", "weight": 0.65}]}
CIVITAI_A1111 = (
    "a cabin in the woods, snow, <lora:cozy:0.7>\nNegative prompt: people\n"
    "Steps: 28, CFG scale: 5, Sampler: DPM++ 2M, Seed: 1618033, Size: 832x1216, Clip skip: 2, "
    'Created Date: 2025-01-05T1010:00.0000000Z, Civitai resources: [{"type":"checkpoint",'
    '"modelVersionId":290640,"modelName":"Pony Diffusion V6 XL","modelVersionName":"V6"},'
    '{"type":"lora","weight":0.7,"modelVersionId":1,"modelName":"cozy","modelVersionName":"v1"}], '
    'Civitai metadata: {"remixOfId":123}')


@dataclass(frozen=True)
class Sample:
    format: str
    name: str
    make: Callable[[], bytes]
    source: str
    expect: dict[str, Any]


def _prompt_lines(*pairs: tuple[str, Any]) -> dict[str, Any]:
    return dict(pairs)


SAMPLES: tuple[Sample, ...] = (
    # NovelAI text chunks
    Sample("NovelAI", "v1 (2022) chunks, size from the image", lambda: png(nai_chunks(
        NAI_V1_COMMENT, "masterpiece, 1girl, cherry blossoms", "Stable Diffusion 1D44365E")),
        "novelai", {"prompt": "masterpiece, 1girl, cherry blossoms", "negative_prompt": "lowres, bad anatomy",
                    "seed": 2812350126, "steps": 28, "guidance": 11.0, "sampler": "Euler a",
                    "width": 64, "height": 48, "model": "Stable Diffusion"}),
    Sample("NovelAI", "v3 chunks", lambda: png(nai_chunks(
        NAI_V3_COMMENT, NAI_V3_COMMENT["prompt"], "Stable Diffusion XL C1E1DE52")), "novelai",
        {"prompt": NAI_V3_COMMENT["prompt"], "negative_prompt": "nsfw, lowres, bad hands",
         "seed": 3512046511, "steps": 28, "guidance": 5.0, "sampler": "Euler", "width": 832,
         "height": 1216, "model": "Stable Diffusion XL"}),
    Sample("NovelAI", "v4 chunks with character captions (iTXt)", lambda: png(nai_chunks(
        NAI_V4_COMMENT, "2girls, harbour, sunset", "NovelAI Diffusion V4 4BDE2A90"), itxt=True),
        "novelai", {"prompt": "2girls, harbour, sunset", "negative_prompt": "blurry, lowres",
                    "seed": 99887766, "steps": 23, "guidance": 6.2, "sampler": "DPM++ 2M Karras",
                    "width": 1024, "height": 1024, "model": "NovelAI Diffusion V4"}),
    # stealth
    Sample("Stealth", "NovelAI alpha stealth_pngcomp (JSON)", lambda: stealth_png(json.dumps(
        nai_chunks(NAI_V3_COMMENT, NAI_V3_COMMENT["prompt"], "Stable Diffusion XL C1E1DE52"))),
        "novelai", {"prompt": NAI_V3_COMMENT["prompt"], "seed": 3512046511, "steps": 28,
                    "guidance": 5.0, "width": 832, "height": 1216, "sampler": "Euler"}),
    Sample("Stealth", "A1111 alpha stealth_pnginfo", lambda: stealth_png(
        CIVITAI_A1111.split("\nSteps")[0] + "\nSteps: 20, Sampler: Euler a, CFG scale: 7, "
        "Seed: 99, Size: 512x512", compressed=False, size=(120, 140)), "automatic1111",
        {"prompt": "a cabin in the woods, snow, <lora:cozy:0.7>", "negative_prompt": "people",
         "seed": 99, "steps": 20, "sampler": "Euler a", "width": 512}),
    Sample("Stealth", "A1111 alpha stealth_pngcomp", lambda: stealth_png(
        "harbour\nSteps: 12, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 4.5, Seed: 5, "
        "Size: 640x448, Model: dreamshaper_8"), "automatic1111",
        {"prompt": "harbour", "seed": 5, "steps": 12, "guidance": 4.5, "sampler": "DPM++ 2M Karras",
         "width": 640, "height": 448, "model": "dreamshaper_8"}),
    Sample("Stealth", "A1111 RGB stealth_rgbinfo", lambda: stealth_png(
        "lake\nSteps: 9, Sampler: Euler, CFG scale: 3, Seed: 8, Size: 256x256", mode="rgb",
        compressed=False, size=(41, 30)), "automatic1111",
        {"prompt": "lake", "seed": 8, "steps": 9, "sampler": "Euler", "guidance": 3.0}),
    Sample("Stealth", "A1111 RGB stealth_rgbcomp", lambda: stealth_png(
        "forest\nNegative prompt: fog\nSteps: 33, Sampler: Euler a, CFG scale: 6, Seed: 31, "
        "Size: 768x512", mode="rgb"), "automatic1111",
        {"prompt": "forest", "negative_prompt": "fog", "seed": 31, "steps": 33, "width": 768}),
    # SwarmUI
    Sample("SwarmUI", "PNG parameters", lambda: png({"parameters": json.dumps(SWARM)}), "swarmui",
           {"prompt": "a red fox in snow, <lora:winter>", "negative_prompt": "blurry", "seed": 1234567,
            "steps": 30, "guidance": 6.5, "sampler": "DPM++ 2M Karras", "width": 1152,
            "height": 896, "model": "OfficialStableDiffusion/sd_xl_base_1.0", "model_hash": H64,
            "loras": [("winter", 0.8), ("film", 1.0)]}),
    Sample("SwarmUI", "JPEG UserComment, older sampler keys", lambda: exif_image(
        "JPEG", json.dumps(SWARM_OLD), little_endian=True), "swarmui",
        {"prompt": "castle on a hill", "seed": 42, "steps": 20, "guidance": 7.0, "sampler": "Euler a",
         "width": 512, "height": 768, "model": "v1-5-pruned-emaonly"}),
    Sample("SwarmUI", "older JPEG, JSON in the EXIF Model tag", lambda: exif_image(
        "JPEG", json.dumps(SWARM_OLD), model_tag=True), "swarmui",
        {"prompt": "castle on a hill", "seed": 42, "steps": 20, "sampler": "Euler a", "height": 768}),
    Sample("SwarmUI", "WebP UserComment, init image", lambda: exif_image(
        "WEBP", json.dumps(SWARM_IMG2IMG), little_endian=True), "swarmui",
        {"prompt": "oil painting of a harbour", "negative_prompt": "photo", "seed": 2042464333,
         "steps": 25, "guidance": 1.0, "sampler": "Euler", "mode": "img2img", "strength": 0.6,
         "model": "Flux/flux1-dev-fp8"}),
    # Fooocus
    Sample("Fooocus", "PNG parameters, fooocus scheme", lambda: png(
        {"parameters": json.dumps(FOOOCUS), "fooocus_scheme": "fooocus"}), "fooocus",
        {"prompt": "a cat in a garden", "negative_prompt": "unrealistic", "seed": 4089154235567712003,
         "steps": 30, "guidance": 4.0, "sampler": "DPM++ 2M SDE Karras", "width": 1152,
         "height": 896, "model": "juggernautXL_v8Rundiffusion", "model_hash": H64,
         "loras": [("sd_xl_offset_example-lora_1.0", 0.1), ("ink_style", 0.6)]}),
    Sample("Fooocus", "PNG parameters, a1111 scheme", lambda: png(
        {"parameters": FOOOCUS_A1111, "fooocus_scheme": "a1111"}), "fooocus",
        {"prompt": "a cat in a garden, <lora:ink_style:0.6>", "seed": 4089154235, "steps": 30,
         "guidance": 4.0, "sampler": "DPM++ 2M SDE Karras", "model": "juggernautXL_v8Rundiffusion"}),
    Sample("Fooocus", "JPEG, UserComment in IFD0", lambda: exif_image(
        "JPEG", json.dumps(FOOOCUS), ifd0=True, maker="fooocus"), "fooocus",
        {"prompt": "a cat in a garden", "seed": 4089154235567712003, "steps": 30, "width": 1152}),
    Sample("Fooocus", "WebP, a1111 scheme in MakerNote", lambda: exif_image(
        "WEBP", FOOOCUS_A1111, ifd0=True, maker="a1111"), "fooocus",
        {"prompt": "a cat in a garden, <lora:ink_style:0.6>", "negative_prompt": "unrealistic",
         "seed": 4089154235, "width": 1152, "height": 896, "loras": [("ink_style", 0.6)]}),
    Sample("Fooocus", "log-style labels in a Comment chunk", lambda: png(
        {"Comment": json.dumps(FOOOCUS_LOG)}), "fooocus",
        {"prompt": "mountain lake at dawn", "negative_prompt": "people", "seed": 777, "steps": 60,
         "guidance": 7.0, "sampler": "DPM++ 2M", "width": 1024, "height": 1024,
         "model": "sd_xl_base_1.0_0.9vae.safetensors",
         "loras": [("sd_xl_offset_example-lora_1.0.safetensors", 0.5)]}),
    Sample("Fooocus", "older Comment chunk (Fooocus-MRE keys)", lambda: png(
        {"Comment": json.dumps(FOOOCUS_MRE)}), "fooocus",
        {"prompt": "red roses in a vase", "negative_prompt": "wilted", "seed": 31337, "steps": 30,
         "guidance": 7.0, "sampler": "DPM++ 2M SDE Karras", "width": 896, "height": 1152,
         "model": "sd_xl_base_1.0_0.9vae.safetensors",
         "loras": [("sd_xl_offset_example-lora_1.0.safetensors", 0.5)]}),
    # RuinedFooocus
    Sample("RuinedFooocus", "PNG parameters", lambda: png({"parameters": json.dumps(RUINED)}),
           "ruinedfooocus",
           {"prompt": "a lighthouse in a storm", "negative_prompt": "text, watermark", "seed": 1311,
            "steps": 30, "guidance": 8.0, "sampler": "DPM++ 2M SDE Karras", "width": 1152,
            "height": 896, "model": "sd_xl_base_1.0.safetensors", "model_hash": H64,
            "loras": [("storm_lora.safetensors", 0.7)]}),
    Sample("RuinedFooocus", "older, [name, weight] LoRAs", lambda: png(
        {"parameters": json.dumps(RUINED_OLD)}), "ruinedfooocus",
        {"prompt": "a quiet street", "seed": 5, "steps": 20, "guidance": 6.0, "sampler": "Euler a",
         "model": "dreamshaperXL.safetensors", "loras": [("sharp.safetensors", 0.4)]}),
    # InvokeAI 2
    Sample("InvokeAI 2", "sd-metadata + Dream", lambda: png(
        {"Dream": DREAM, "sd-metadata": json.dumps(SD_METADATA)}), "invokeai",
        {"prompt": "a dragon over the sea", "negative_prompt": "blurry, lowres", "seed": 3390591085,
         "steps": 50, "guidance": 7.5, "sampler": "LMS", "width": 768, "height": 512,
         "model": "stable-diffusion-1.5"}),
    Sample("InvokeAI 2", "sd-metadata img2img, prompt as text", lambda: png(
        {"sd-metadata": json.dumps(SD_METADATA_IMG2IMG)}), "invokeai",
        {"prompt": "a castle at night", "seed": 7, "steps": 30, "guidance": 9.0, "sampler": "DDIM",
         "mode": "img2img", "strength": 0.55, "model": "stable-diffusion-1.4"}),
    Sample("InvokeAI 2", "Dream only", lambda: png({"Dream": DREAM_ONLY}), "invokeai",
           {"prompt": "portrait of a knight", "seed": 1200, "steps": 40, "guidance": 8.0,
            "sampler": "Euler a", "width": 512, "height": 640, "model": "stable-diffusion-1.5"}),
    # Civitai
    Sample("Civitai", "JPEG: ComfyUI graph + extraMetadata", lambda: exif_image(
        "JPEG", json.dumps(CIVITAI_GRAPH)), "civitai",
        {"prompt": "a neon city street at night, rain", "negative_prompt": "lowres", "seed": 810492347,
         "steps": 25, "guidance": 4.5, "sampler": "Euler a", "width": 832, "height": 1216}),
    Sample("Civitai", "PNG: prompt chunk + extraMetadata chunk", lambda: png(
        {"prompt": json.dumps({k: v for k, v in CIVITAI_GRAPH.items() if k != "extraMetadata"}),
         "extraMetadata": json.dumps(CIVITAI_EXTRA)}), "civitai",
        {"prompt": "a neon city street at night, rain", "seed": 810492347, "steps": 25,
         "guidance": 4.5, "width": 832}),
    Sample("Civitai", "generator JSON with resources", lambda: exif_image(
        "JPEG", json.dumps(CIVITAI_JSON)), "civitai",
        {"prompt": "portrait of an old fisherman", "negative_prompt": "cartoon", "seed": 123456,
         "steps": 30, "guidance": 7.0, "sampler": "DPM++ 2M Karras", "width": 512, "height": 768,
         "model": "Realistic Vision", "loras": [("Film Grain", 0.65)]}),
    Sample("Civitai", "A1111 text with Civitai resources", lambda: exif_image(
        "JPEG", CIVITAI_A1111), "civitai",
        {"prompt": "a cabin in the woods, snow, <lora:cozy:0.7>", "negative_prompt": "people",
         "seed": 1618033, "steps": 28, "guidance": 5.0, "sampler": "DPM++ 2M", "width": 832,
         "height": 1216, "model": "Pony Diffusion V6 XL", "loras": [("cozy", 0.7)]}),
)


def mismatches(sample: Sample) -> list[str]:
    """What `read_recipe` got wrong on `sample` (empty when every expected field is right)."""
    from studiolo.core.errors import StudioloError
    from studiolo.provenance.importers import read_recipe

    try:
        got = read_recipe(sample.make(), name=f"{sample.format} sample")
    except StudioloError as exc:
        return [f"refused: {exc}"]
    wrong = [] if got.source == sample.source else [f"source {got.source!r} != {sample.source!r}"]
    recipe = got.recipe
    for key, want in sample.expect.items():
        have = [(lo.name, lo.weight) for lo in recipe.loras] if key == "loras" else getattr(recipe, key)
        if have != want:
            wrong.append(f"{key}: {have!r} != {want!r}")
    return wrong


if __name__ == "__main__":
    from collections import Counter

    right, total = Counter(), Counter()
    for s in SAMPLES:
        bad = mismatches(s)
        total[s.format] += 1
        right[s.format] += not bad
        if bad:
            print(f"  WRONG {s.format} / {s.name}: {'; '.join(bad)}")
    for fmt in total:
        print(f"{fmt}: {right[fmt]} of {total[fmt]} sample files read right")
