"""ComfyUI sample files the tests write themselves, one per kind of graph people save, each with
the recipe a person reading the graph would give (issue 16).

`CASES` holds (name, write(path) -> file written, expected); `check(recipe, expected)`
lists what differs. Used by tests/test_import_comfy.py and by
scripts/comfy_import_check.py, which prints "N of M right".

Graphs are built the way ComfyUI writes them: the API `prompt` (node id ->
class_type + inputs, a link being [node id, output slot]) and the editor's
`workflow` (nodes with widgets_values in the node's widget order, links
[id, from node, from slot, to node, to slot, type]).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from studiolo.core.types import LoraSpec

SEED, HIRES_SEED = 1116526567339338, 204096574905147


# -- API graph pieces -----------------------------------------------------------------
def node(kind: str, **inputs: Any) -> dict[str, Any]:
    return {"class_type": kind, "inputs": inputs}


def ksampler(model, positive, negative, latent, *, seed=SEED, steps=20, cfg=8.0, sampler="euler",
             scheduler="normal", denoise=1.0, kind="KSampler") -> dict[str, Any]:
    return node(kind, seed=seed, steps=steps, cfg=cfg, sampler_name=sampler, scheduler=scheduler,
                denoise=denoise, model=model, positive=positive, negative=negative, latent_image=latent)


def base_graph(**extra: dict[str, Any]) -> dict[str, Any]:
    """ComfyUI's default graph: checkpoint, two prompts, empty latent, KSampler, decode, save."""
    graph = {
        "4": node("CheckpointLoaderSimple", ckpt_name="v1-5-pruned-emaonly.safetensors"),
        "5": node("EmptyLatentImage", width=512, height=768, batch_size=1),
        "6": node("CLIPTextEncode", text="a lighthouse at dusk", clip=["4", 1]),
        "7": node("CLIPTextEncode", text="blurry, watermark", clip=["4", 1]),
        "3": ksampler(["4", 0], ["6", 0], ["7", 0], ["5", 0]),
        "8": node("VAEDecode", samples=["3", 0], vae=["4", 2]),
        "9": node("SaveImage", filename_prefix="ComfyUI", images=["8", 0]),
    }
    graph.update(extra)
    return graph


BASE = {"prompt": "a lighthouse at dusk", "negative_prompt": "blurry, watermark", "seed": SEED,
        "steps": 20, "guidance": 8.0, "sampler": "Euler", "model": "v1-5-pruned-emaonly",
        "width": 512, "height": 768, "mode": "txt2img", "loras": ()}


# -- editor workflow ------------------------------------------------------------------
def to_workflow(nodes: list[tuple[int, str, list[Any], dict[str, int]]],
                links: list[tuple[int, int, int, int, int, str]]) -> dict[str, Any]:
    """nodes: (id, type, widgets_values, {input name: link id}); links as the editor stores them."""
    return {
        "last_node_id": max(n[0] for n in nodes), "last_link_id": max((lk[0] for lk in links), default=0),
        "version": 0.4,
        "nodes": [{"id": i, "type": t, "mode": 0, "widgets_values": w,
                   "inputs": [{"name": name, "type": "*", "link": link} for name, link in ins.items()]}
                  for i, t, w, ins in nodes],
        "links": [list(lk) for lk in links],
    }


# -- files ----------------------------------------------------------------------------
def png(path: Path, **texts: str) -> Path:
    info = PngInfo()
    for key, value in texts.items():
        info.add_text(key, value)
    Image.new("RGB", (64, 96), (40, 60, 90)).save(path, format="PNG", pnginfo=info)
    return path


def exif_file(path: Path, fmt: str, tags: dict[int, str], user_comment: str | None = None) -> Path:
    """A JPEG/WebP whose EXIF holds `tags` (IFD0) and a UserComment, as ComfyUI's savers write."""
    image = Image.new("RGB", (64, 96), (40, 60, 90))
    exif = image.getexif()
    for tag, value in tags.items():
        exif[tag] = value
    if user_comment is not None:
        exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + user_comment.encode("utf-16-be")
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, exif=exif.tobytes(), quality=90)
    path.write_bytes(buffer.getvalue())
    return path


def prompt_png(graph: dict[str, Any], **more: str) -> Callable[[Path], Path]:
    return lambda path: png(path, prompt=json.dumps(graph), **more)


def workflow_png(workflow: dict[str, Any]) -> Callable[[Path], Path]:
    return lambda path: png(path, workflow=json.dumps(workflow))


# -- the cases ------------------------------------------------------------------------
def _hires_latent() -> dict[str, Any]:
    return base_graph(**{
        "10": node("LatentUpscaleBy", upscale_method="nearest-exact", scale_by=1.5, samples=["3", 0]),
        "11": ksampler(["4", 0], ["6", 0], ["7", 0], ["10", 0], seed=HIRES_SEED, steps=10,
                       sampler="dpmpp_2m", scheduler="karras", denoise=0.5),
        "8": node("VAEDecode", samples=["11", 0], vae=["4", 2]),
    })


def _hires_low_id() -> dict[str, Any]:
    """The hires pass under node id "1", below the base pass's "3": no id order can find the base."""
    graph = _hires_latent()
    graph["1"] = graph.pop("11")
    graph["8"]["inputs"]["samples"] = ["1", 0]
    return graph


def _hires_pixels_workflow() -> dict[str, Any]:
    """Base pass, decode, 4x-UltraSharp model upscale, scale by 0.5, encode, second pass (editor form)."""
    return to_workflow([
        (4, "CheckpointLoaderSimple", ["dreamshaper_8.safetensors"], {}),
        (5, "EmptyLatentImage", [512, 512, 1], {}),
        (6, "CLIPTextEncode", ["a castle on a hill"], {"clip": 1}),
        (7, "CLIPTextEncode", ["fog"], {"clip": 2}),
        (3, "KSampler", [SEED, "randomize", 20, 7.0, "euler_ancestral", "normal", 1.0],
         {"model": 3, "positive": 4, "negative": 5, "latent_image": 6}),
        (8, "VAEDecode", [], {"samples": 7, "vae": 8}),
        (20, "UpscaleModelLoader", ["4x-UltraSharp.pth"], {}),
        (21, "ImageUpscaleWithModel", [], {"upscale_model": 9, "image": 10}),
        (22, "ImageScaleBy", ["lanczos", 0.5], {"image": 11}),
        (23, "VAEEncode", [], {"pixels": 12, "vae": 13}),
        (12, "KSampler", [HIRES_SEED, "fixed", 10, 7.0, "euler_ancestral", "normal", 0.45],
         {"model": 14, "positive": 15, "negative": 16, "latent_image": 17}),
        (13, "VAEDecode", [], {"samples": 18, "vae": 19}),
        (9, "SaveImage", ["ComfyUI"], {"images": 20}),
    ], [(1, 4, 1, 6, 0, "CLIP"), (2, 4, 1, 7, 0, "CLIP"), (3, 4, 0, 3, 0, "MODEL"),
        (4, 6, 0, 3, 1, "CONDITIONING"), (5, 7, 0, 3, 2, "CONDITIONING"), (6, 5, 0, 3, 3, "LATENT"),
        (7, 3, 0, 8, 0, "LATENT"), (8, 4, 2, 8, 1, "VAE"), (9, 20, 0, 21, 0, "UPSCALE_MODEL"),
        (10, 8, 0, 21, 1, "IMAGE"), (11, 21, 0, 22, 0, "IMAGE"), (12, 22, 0, 23, 0, "IMAGE"),
        (13, 4, 2, 23, 1, "VAE"), (14, 4, 0, 12, 0, "MODEL"), (15, 6, 0, 12, 1, "CONDITIONING"),
        (16, 7, 0, 12, 2, "CONDITIONING"), (17, 23, 0, 12, 3, "LATENT"), (18, 12, 0, 13, 0, "LATENT"),
        (19, 4, 2, 13, 1, "VAE"), (20, 13, 0, 9, 0, "IMAGE")])


def _flux_custom_advanced() -> dict[str, Any]:
    return {
        "10": node("UNETLoader", unet_name="flux1-dev.safetensors", weight_dtype="default"),
        "11": node("DualCLIPLoader", clip_name1="t5xxl_fp16.safetensors", clip_name2="clip_l.safetensors",
                   type="flux"),
        "12": node("VAELoader", vae_name="ae.safetensors"),
        "6": node("CLIPTextEncode", text="a cat wearing a tiny hat", clip=["11", 0]),
        "26": node("FluxGuidance", guidance=3.5, conditioning=["6", 0]),
        "22": node("BasicGuider", model=["30", 0], conditioning=["26", 0]),
        "30": node("ModelSamplingFlux", max_shift=1.15, base_shift=0.5, width=1024, height=1024,
                   model=["10", 0]),
        "25": node("RandomNoise", noise_seed=HIRES_SEED),
        "16": node("KSamplerSelect", sampler_name="euler"),
        "17": node("BasicScheduler", scheduler="simple", steps=28, denoise=1.0, model=["30", 0]),
        "27": node("EmptySD3LatentImage", width=1024, height=768, batch_size=1),
        "13": node("SamplerCustomAdvanced", noise=["25", 0], guider=["22", 0], sampler=["16", 0],
                   sigmas=["17", 0], latent_image=["27", 0]),
        "8": node("VAEDecode", samples=["13", 0], vae=["12", 0]),
        "9": node("SaveImage", filename_prefix="flux", images=["8", 0]),
    }


def _cfg_guider_workflow() -> dict[str, Any]:
    """SamplerCustomAdvanced with CFGGuider, a Karras schedule and a negative prompt (editor form)."""
    return to_workflow([
        (1, "CheckpointLoaderSimple", ["sd_xl_base_1.0.safetensors"], {}),
        (2, "CLIPTextEncode", ["an orchard in spring"], {"clip": 1}),
        (3, "CLIPTextEncode", ["lowres"], {"clip": 2}),
        (4, "CFGGuider", [5.5], {"model": 3, "positive": 4, "negative": 5}),
        (5, "RandomNoise", [777, "fixed"], {}),
        (6, "KSamplerSelect", ["dpmpp_2m"], {}),
        (7, "KarrasScheduler", [30, 14.6, 0.03, 7.0], {}),
        (8, "EmptyLatentImage", [1024, 1024, 1], {}),
        (9, "SamplerCustomAdvanced", [], {"noise": 6, "guider": 7, "sampler": 8, "sigmas": 9,
                                          "latent_image": 10}),
        (10, "VAEDecode", [], {"samples": 11, "vae": 12}),
        (11, "PreviewImage", [], {"images": 13}),
    ], [(1, 1, 1, 2, 0, "CLIP"), (2, 1, 1, 3, 0, "CLIP"), (3, 1, 0, 4, 0, "MODEL"),
        (4, 2, 0, 4, 1, "CONDITIONING"), (5, 3, 0, 4, 2, "CONDITIONING"), (6, 5, 0, 9, 0, "NOISE"),
        (7, 4, 0, 9, 1, "GUIDER"), (8, 6, 0, 9, 2, "SAMPLER"), (9, 7, 0, 9, 3, "SIGMAS"),
        (10, 8, 0, 9, 4, "LATENT"), (11, 9, 0, 10, 0, "LATENT"), (12, 1, 2, 10, 1, "VAE"),
        (13, 10, 0, 11, 0, "IMAGE")])


def _switches() -> dict[str, Any]:
    return base_graph(**{
        "4": node("CheckpointLoaderSimple", ckpt_name="juggernaut_x.safetensors"),
        "40": node("CheckpointLoaderSimple", ckpt_name="unused_model.safetensors"),
        "41": node("CR Model Input Switch", Input=2, model1=["40", 0], model2=["4", 0]),
        "20": node("CLIPTextEncode", text="a rejected draft prompt", clip=["4", 1]),
        "21": node("ComfySwitchNode", switch=False, on_true=["20", 0], on_false=["6", 0]),
        "22": node("Switch any [Crystools]", boolean=True, on_true=["7", 0], on_false=["20", 0]),
        "3": ksampler(["41", 0], ["21", 0], ["22", 0], ["5", 0]),
    })


def _five_prompts() -> dict[str, Any]:
    texts = ["a harbour", "fishing boats", "gulls overhead", "morning mist", "oil painting"]
    graph = base_graph(**{str(30 + i): node("CLIPTextEncode", text=t, clip=["4", 1])
                          for i, t in enumerate(texts)})
    graph.update({
        "40": node("ConditioningCombine", conditioning_1=["30", 0], conditioning_2=["31", 0]),
        "41": node("ConditioningConcat", conditioning_to=["40", 0], conditioning_from=["32", 0]),
        "42": node("ConditioningAverage", conditioning_to=["33", 0], conditioning_from=["34", 0],
                   conditioning_to_strength=0.6),
        "43": node("ConditioningCombine", conditioning_1=["41", 0], conditioning_2=["42", 0]),
        "3": ksampler(["4", 0], ["43", 0], ["7", 0], ["5", 0]),
    })
    return graph


def _text_nodes() -> dict[str, Any]:
    return base_graph(**{
        "50": node("Text Multiline", text="portrait of an old sailor"),
        "51": node("PrimitiveString", value="dramatic light"),
        "52": node("Text Concatenate", delimiter=", ", clean_whitespace="true",
                   text_a=["50", 0], text_b=["51", 0]),
        "53": node("StringConcatenate", string_a=["52", 0], string_b="film grain", delimiter=" | "),
        "6": node("CLIPTextEncode", text=["53", 0], clip=["4", 1]),
    })


def _styler() -> dict[str, Any]:
    """SDXL Prompt Styler gives the positive text on output 0 and the negative on output 1."""
    return base_graph(**{
        "60": node("SDXLPromptStyler", text_positive="a koi pond", text_negative="ugly",
                   style="sai-watercolor", log_prompt=False),
        "6": node("CLIPTextEncode", text=["60", 0], clip=["4", 1]),
        "7": node("CLIPTextEncode", text=["60", 1], clip=["4", 1]),
    })


def _capital_text() -> dict[str, Any]:
    return base_graph(**{
        "60": node("Text box", Text="a red fox in the snow"),
        "6": node("CLIPTextEncode", text=["60", 0], clip=["4", 1]),
        "7": node("CLIPTextEncodeWithText", Text="blurry", clip=["4", 1]),
    })


def _sdxl_refiner() -> dict[str, Any]:
    def sdxl(g: str, l_text: str, clip: list[Any]) -> dict[str, Any]:
        return node("CLIPTextEncodeSDXL", width=1024, height=1024, crop_w=0, crop_h=0, target_width=1024,
                    target_height=1024, text_g=g, text_l=l_text, clip=clip)

    def advanced(model, pos, neg, latent, start, end, leftover, add_noise):
        return node("KSamplerAdvanced", add_noise=add_noise, noise_seed=SEED, steps=25, cfg=7.5,
                    sampler_name="dpmpp_2m", scheduler="karras", start_at_step=start, end_at_step=end,
                    return_with_leftover_noise=leftover, model=model, positive=pos, negative=neg,
                    latent_image=latent)

    return {
        "4": node("CheckpointLoaderSimple", ckpt_name="sd_xl_base_1.0.safetensors"),
        "12": node("CheckpointLoaderSimple", ckpt_name="sd_xl_refiner_1.0.safetensors"),
        "5": node("EmptyLatentImage", width=1024, height=1024, batch_size=1),
        "6": sdxl("a glass greenhouse", "a glass greenhouse", ["4", 1]),
        "7": sdxl("text", "", ["4", 1]),
        "15": node("CLIPTextEncodeSDXLRefiner", ascore=6, width=1024, height=1024,
                   text="a glass greenhouse", clip=["12", 1]),
        "16": node("CLIPTextEncodeSDXLRefiner", ascore=2.5, width=1024, height=1024, text="text",
                   clip=["12", 1]),
        "10": advanced(["4", 0], ["6", 0], ["7", 0], ["5", 0], 0, 20, "enable", "enable"),
        "11": advanced(["12", 0], ["15", 0], ["16", 0], ["10", 0], 20, 10000, "disable", "disable"),
        "17": node("VAEDecode", samples=["11", 0], vae=["12", 2]),
        "19": node("SaveImage", filename_prefix="sdxl", images=["17", 0]),
    }


def _primitive_seed_workflow() -> dict[str, Any]:
    """Default graph in editor form, the seed widget turned into an input fed by a PrimitiveNode."""
    return to_workflow([
        (4, "CheckpointLoaderSimple", ["v1-5-pruned-emaonly.safetensors"], {}),
        (5, "EmptyLatentImage", [512, 768, 1], {}),
        (6, "CLIPTextEncode", ["a lighthouse at dusk"], {"clip": 3}),
        (7, "CLIPTextEncode", ["blurry, watermark"], {"clip": 5}),
        (3, "KSampler", [1, "randomize", 20, 8.0, "euler", "normal", 1.0],
         {"model": 1, "positive": 4, "negative": 6, "latent_image": 2, "seed": 10}),
        (15, "PrimitiveNode", [SEED, "fixed"], {}),
        (8, "VAEDecode", [], {"samples": 7, "vae": 8}),
        (9, "SaveImage", ["ComfyUI"], {"images": 9}),
    ], [(1, 4, 0, 3, 0, "MODEL"), (2, 5, 0, 3, 3, "LATENT"), (3, 4, 1, 6, 0, "CLIP"),
        (4, 6, 0, 3, 1, "CONDITIONING"), (5, 4, 1, 7, 0, "CLIP"), (6, 7, 0, 3, 2, "CONDITIONING"),
        (7, 3, 0, 8, 0, "LATENT"), (8, 4, 2, 8, 1, "VAE"), (9, 8, 0, 9, 0, "IMAGE"),
        (10, 15, 0, 3, 4, "INT")])


def _default_workflow() -> dict[str, Any]:
    """The default graph in editor form: the primitive one without its PrimitiveNode."""
    wf = _primitive_seed_workflow()
    wf["nodes"] = [n for n in wf["nodes"] if n["type"] != "PrimitiveNode"]
    sampler = next(n for n in wf["nodes"] if n["type"] == "KSampler")
    sampler["widgets_values"][0] = SEED
    sampler["inputs"] = [i for i in sampler["inputs"] if i["name"] != "seed"]
    wf["links"] = [lk for lk in wf["links"] if lk[0] != 10]
    return wf


def _reroutes_workflow() -> dict[str, Any]:
    """Model, prompt, latent and image through Reroute nodes, and a bypassed LoRA."""
    wf = to_workflow([
        (4, "CheckpointLoaderSimple", ["v1-5-pruned-emaonly.safetensors"], {}),
        (5, "EmptyLatentImage", [512, 768, 1], {}),
        (6, "CLIPTextEncode", ["a lighthouse at dusk"], {"clip": 3}),
        (7, "CLIPTextEncode", ["blurry, watermark"], {"clip": 5}),
        (30, "Reroute", [], {"": 11}),
        (31, "Reroute", [], {"": 12}),
        (32, "Reroute", [], {"": 13}),
        (33, "LoraLoader", ["bypassed.safetensors", 1.0, 1.0], {"model": 14}),
        (3, "KSampler", [SEED, "fixed", 20, 8.0, "euler", "normal", 1.0],
         {"model": 1, "positive": 4, "negative": 6, "latent_image": 2}),
        (8, "VAEDecode", [], {"samples": 7, "vae": 8}),
        (34, "Reroute", [], {"": 9}),
        (9, "SaveImage", ["ComfyUI"], {"images": 10}),
    ], [(1, 33, 0, 3, 0, "MODEL"), (14, 30, 0, 33, 0, "MODEL"), (11, 4, 0, 30, 0, "MODEL"),
        (2, 32, 0, 3, 3, "LATENT"), (13, 5, 0, 32, 0, "LATENT"), (3, 4, 1, 6, 0, "CLIP"),
        (4, 31, 0, 3, 1, "CONDITIONING"), (12, 6, 0, 31, 0, "CONDITIONING"), (5, 4, 1, 7, 0, "CLIP"),
        (6, 7, 0, 3, 2, "CONDITIONING"), (7, 3, 0, 8, 0, "LATENT"), (8, 4, 2, 8, 1, "VAE"),
        (9, 8, 0, 34, 0, "IMAGE"), (10, 34, 0, 9, 0, "IMAGE")])
    wf["nodes"][7]["mode"] = 4  # the LoRA is bypassed: ComfyUI passes the model through it
    return wf


LORAS = base_graph(**{
    "10": node("LoraLoader", lora_name="styles\\ink_wash.safetensors", strength_model=0.8, strength_clip=1.0,
               model=["13", 0], clip=["13", 1]),
    "13": node("LoraLoader", lora_name="detail.safetensors", strength_model=0.5, strength_clip=0.5,
               model=["4", 0], clip=["4", 1]),
    "14": node("LoraLoaderModelOnly", lora_name="lcm.safetensors", strength_model=1.0, model=["10", 0]),
    "3": ksampler(["14", 0], ["6", 0], ["7", 0], ["5", 0]),
})
IMG2IMG = base_graph(**{
    "10": node("LoadImage", image="sketch.png", upload="image"),
    "11": node("VAEEncode", pixels=["10", 0], vae=["4", 2]),
    "3": ksampler(["4", 0], ["6", 0], ["7", 0], ["11", 0], denoise=0.6),
})
CUSTOM_LOADERS = base_graph(**{
    "4": node("Checkpoint Loader w/Name (WLSH)", config_name="Default", ckpt_name="SDXL/realvis_v4.safetensors"),
})
EFFICIENT = {
    "1": node("Efficient Loader", ckpt_name="dreamshaper_8.safetensors", vae_name="Baked VAE", clip_skip=-2,
              lora_name="None", lora_model_strength=1.0, positive="a tram in the rain",
              negative="low quality", empty_latent_width=640, empty_latent_height=448, batch_size=1),
    "2": node("KSampler (Efficient)", seed=SEED, steps=24, cfg=6.0, sampler_name="dpmpp_2m",
              scheduler="karras", denoise=1.0, preview_method="auto", vae_decode="true",
              model=["1", 0], positive=["1", 1], negative=["1", 2], latent_image=["1", 3]),
    "3": node("Image Save", output_path="out", images=["2", 5]),
}
UNCLIP = base_graph(**{
    "4": node("unCLIPCheckpointLoader", ckpt_name="sd21-unclip-h.ckpt"),
    "20": node("LoadImage", image="ref.png"),
    "21": node("CLIPVisionEncode", clip_vision=["4", 3], image=["20", 0]),
    "22": node("unCLIPConditioning", strength=1.0, noise_augmentation=0.1, conditioning=["6", 0],
               clip_vision_output=["21", 0]),
    "3": ksampler(["4", 0], ["22", 0], ["7", 0], ["5", 0]),
})
PIPES = base_graph(**{
    "20": node("ToBasicPipe", model=["4", 0], clip=["4", 1], vae=["4", 2], positive=["6", 0],
               negative=["7", 0]),
    "21": node("FromBasicPipe", basic_pipe=["20", 0]),
    "22": node("ControlNetApplyAdvanced", strength=0.7, start_percent=0, end_percent=1,
               positive=["21", 3], negative=["21", 4], control_net=["23", 0], image=["24", 0]),
    "3": ksampler(["21", 0], ["22", 0], ["22", 1], ["5", 0]),
})

HIRES = {**BASE, "options": {"hires": {"node": "11", "seed": HIRES_SEED, "steps": 10, "denoise": 0.5}}}
CASES: list[tuple[str, Callable[[Path], Path], dict[str, Any]]] = [
    ("txt2img (API)", prompt_png(base_graph()), BASE),
    ("txt2img (workflow only)", workflow_png(_default_workflow()), BASE),
    ("img2img", prompt_png(IMG2IMG), {**BASE, "mode": "img2img", "strength": 0.6, "width": 64,
                                      "height": 96, "options": {"image": "sketch.png"}}),
    ("LoRA chain", prompt_png(LORAS), {**BASE, "loras": (LoraSpec("detail", 0.5), LoraSpec("ink_wash", 0.8),
                                                          LoraSpec("lcm", 1.0))}),
    ("SDXL base + refiner", prompt_png(_sdxl_refiner()), {
        "prompt": "a glass greenhouse", "negative_prompt": "text", "seed": SEED, "steps": 25,
        "guidance": 7.5, "sampler": "DPM++ 2M Karras", "model": "sd_xl_base_1.0", "width": 1024,
        "height": 1024, "options": {"end_at_step": 20, "passes": [{"node": "11", "start_at_step": 20}]}}),
    ("primitive seed node (workflow)", workflow_png(_primitive_seed_workflow()), BASE),
    ("reroutes + bypassed LoRA (workflow)", workflow_png(_reroutes_workflow()), BASE),
    ("hires fix, latent upscale", prompt_png(_hires_latent()),
     {**HIRES, "options": {"hires": {**HIRES["options"]["hires"],
                                     "upscale": [{"node": "10", "scale_by": 1.5}]}}}),
    ("hires fix, second pass with the lower node id", prompt_png(_hires_low_id()),
     {**HIRES, "options": {"hires": {**HIRES["options"]["hires"], "node": "1"}}}),
    ("hires fix, model upscale (workflow)", workflow_png(_hires_pixels_workflow()), {
        "prompt": "a castle on a hill", "negative_prompt": "fog", "seed": SEED, "steps": 20,
        "sampler": "Euler a", "model": "dreamshaper_8", "width": 512, "height": 512, "mode": "txt2img",
        "options": {"hires": {"node": "12", "seed": HIRES_SEED, "steps": 10, "denoise": 0.45,
                              "upscale": [{"node": "21", "upscaler": "4x-UltraSharp.pth"},
                                          {"node": "22", "scale_by": 0.5}]}}}),
    ("SamplerCustomAdvanced, Flux split loaders", prompt_png(_flux_custom_advanced()), {
        "prompt": "a cat wearing a tiny hat", "negative_prompt": "", "seed": HIRES_SEED, "steps": 28,
        "guidance": 3.5, "sampler": "Euler", "model": "flux1-dev", "width": 1024, "height": 768,
        "options": {"scheduler": "simple", "vae_name": "ae.safetensors",
                    "clip_name": ["t5xxl_fp16.safetensors", "clip_l.safetensors"]}}),
    ("SamplerCustomAdvanced, CFGGuider + Karras (workflow)", workflow_png(_cfg_guider_workflow()), {
        "prompt": "an orchard in spring", "negative_prompt": "lowres", "seed": 777, "steps": 30,
        "guidance": 5.5, "sampler": "DPM++ 2M Karras", "model": "sd_xl_base_1.0", "width": 1024,
        "height": 1024}),
    ("switch nodes (prompt and model)", prompt_png(_switches()),
     {**BASE, "model": "juggernaut_x"}),
    ("ConditioningCombine/Concat/Average: 5 prompts", prompt_png(_five_prompts()),
     {**BASE, "prompt": "a harbour, fishing boats, gulls overhead, morning mist, oil painting"}),
    ("text concatenation nodes", prompt_png(_text_nodes()),
     {**BASE, "prompt": "portrait of an old sailor, dramatic light | film grain"}),
    ("`Text` with a capital T", prompt_png(_capital_text()),
     {**BASE, "prompt": "a red fox in the snow", "negative_prompt": "blurry"}),
    ("SDXL Prompt Styler (text by output slot)", prompt_png(_styler()),
     {**BASE, "prompt": "a koi pond", "negative_prompt": "ugly"}),
    ("custom checkpoint loader", prompt_png(CUSTOM_LOADERS), {**BASE, "model": "realvis_v4"}),
    ("Efficient Loader + KSampler (Efficient)", prompt_png(EFFICIENT), {
        "prompt": "a tram in the rain", "negative_prompt": "low quality", "seed": SEED, "steps": 24,
        "guidance": 6.0, "sampler": "DPM++ 2M Karras", "model": "dreamshaper_8", "loras": (),
        "width": 640, "height": 448}),
    ("unCLIP checkpoint loader", prompt_png(UNCLIP), {**BASE, "model": "sd21-unclip-h"}),
    ("pipes + ControlNet", prompt_png(PIPES), BASE),
    ("placeholder parameters chunk + hires graph",
     prompt_png(_hires_latent(), parameters="unknown\nSteps: 0, Sampler: unknown, CFG scale: 0, Seed: 0"),
     HIRES),
    ("JPEG, graph in EXIF Model/Make (ComfyUI style)",
     lambda p: exif_file(p.with_suffix(".jpg"), "JPEG", {0x0110: "prompt:" + json.dumps(_hires_latent()),
                                                         0x010F: "workflow:" + json.dumps(_reroutes_workflow())}),
     HIRES),
    ("JPEG, graph in EXIF UserComment", lambda p: exif_file(
        p.with_suffix(".jpg"), "JPEG", {}, user_comment=json.dumps({"prompt": base_graph()})), BASE),
    ("WebP, graph in EXIF ImageDescription/Make", lambda p: exif_file(
        p.with_suffix(".webp"), "WEBP", {0x010E: "Workflow:" + json.dumps(_cfg_guider_workflow())}), {
        "prompt": "an orchard in spring", "negative_prompt": "lowres", "seed": 777, "steps": 30,
        "guidance": 5.5, "sampler": "DPM++ 2M Karras", "model": "sd_xl_base_1.0"}),
    ("WebP, ComfyUI SaveAnimatedWEBP tags", lambda p: exif_file(
        p.with_suffix(".webp"), "WEBP", {0x0110: "prompt:" + json.dumps(_flux_custom_advanced())}), {
        "prompt": "a cat wearing a tiny hat", "seed": HIRES_SEED, "steps": 28, "model": "flux1-dev"}),
]


def _differs(got: Any, want: Any, where: str) -> list[str]:
    """What of `want` is not in `got` (dicts: only the keys `want` names; lists: item by item)."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [f"{where}: {got!r} is not an object"]
        return [d for k, v in want.items() for d in _differs(got.get(k), v, f"{where}.{k}")]
    if isinstance(want, list) and want and isinstance(want[0], dict):
        if not isinstance(got, list) or len(got) != len(want):
            return [f"{where}: {got!r} is not {len(want)} items"]
        return [d for i, (g, w) in enumerate(zip(got, want, strict=True)) for d in _differs(g, w, f"{where}[{i}]")]
    return [] if got == want else [f"{where}: got {got!r}, expected {want!r}"]


def check(recipe: Any, expected: dict[str, Any]) -> list[str]:
    """The differences between an imported recipe and the expected fields (empty when right)."""
    wrong: list[str] = []
    for key, want in expected.items():
        if key == "options":
            wrong += _differs(recipe.options.get("comfyui", {}), want, "options.comfyui")
        else:
            wrong += _differs(getattr(recipe, key), want, key)
    return wrong
