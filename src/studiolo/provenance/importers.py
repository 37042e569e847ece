"""Recipes from images made elsewhere: AUTOMATIC1111 (and Forge), ComfyUI, InvokeAI, studiolo.

Each tool leaves its recipe in the file differently:

- A1111 / Forge / studiolo: a `parameters` PNG text chunk, or the EXIF
  UserComment of a JPEG/WebP (see `infotext`).
- ComfyUI: a `prompt` chunk (the API graph that ran: node id -> class_type,
  inputs, where a link is [node id, output index]) and a `workflow` chunk (the
  editor graph: nodes with `widgets_values`, links as lists). We read the
  graph from the sampler node outwards.
- InvokeAI 3 and 4: an `invokeai_metadata` chunk of flat JSON.

The file is read through `studiolo.core.imageio`, so a broken file gets the same
`ImageError` as anywhere else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from typing import Any

from studiolo.core.errors import MetadataError
from studiolo.core.imagemeta import image_info
from studiolo.core.types import LoraSpec, Recipe
from studiolo.provenance.infotext import STUDIOLO_KEY, infotext_to_recipe, parse_infotext
from studiolo.provenance.samplers import normalise_sampler, sampler_from_comfy

SOURCES = ("studiolo", "automatic1111", "comfyui", "invokeai")


@dataclass(frozen=True)
class ImportedRecipe:
    """A recipe read from a file, which tool wrote it, and the metadata as found."""

    recipe: Recipe
    source: str
    raw: dict[str, Any] = field(default_factory=dict)


def read_recipe(path: str | Path) -> ImportedRecipe:
    """The recipe embedded in an image file by studiolo, A1111, ComfyUI or InvokeAI."""
    info = image_info(path)
    texts: dict[str, str] = info["text"]
    if texts.get("parameters", "").strip():
        text = texts["parameters"]
        _, _, params = parse_infotext(text)
        recipe = infotext_to_recipe(text)
        source = "studiolo" if STUDIOLO_KEY in params else "automatic1111"
        return ImportedRecipe(recipe=recipe, source=source, raw={"parameters": text})
    if "invokeai_metadata" in texts:
        meta = _json(texts["invokeai_metadata"], "invokeai_metadata", path)
        return ImportedRecipe(_invokeai(meta), "invokeai", {"invokeai_metadata": meta})
    if "prompt" in texts or "workflow" in texts:
        raw: dict[str, Any] = {}
        if "prompt" in texts:
            raw["prompt"] = _json(texts["prompt"], "prompt", path)
            graph = raw["prompt"]
        if "workflow" in texts:
            raw["workflow"] = _json(texts["workflow"], "workflow", path)
            if "prompt" not in texts:
                graph = workflow_to_graph(raw["workflow"])
        return ImportedRecipe(comfy_recipe(graph, size=(info["width"], info["height"])), "comfyui", raw)
    raise MetadataError(
        f"{path} carries no recipe: no AUTOMATIC1111 parameters, ComfyUI prompt/workflow or "
        "InvokeAI metadata."
    )


def _json(text: str, key: str, path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MetadataError(f"{path}: the `{key}` metadata is not valid JSON ({exc}).") from None
    if not isinstance(data, dict):
        raise MetadataError(f"{path}: the `{key}` metadata must be a JSON object, got {type(data).__name__}.")
    return data


def _stem(filename: str) -> str:
    """"SDXL\\juggernaut.safetensors" or "sd/v1-5.ckpt" -> the bare model name."""
    return PureWindowsPath(filename).stem if "\\" in filename else Path(filename).stem


# -- InvokeAI -----------------------------------------------------------------
def _invoke_model_name(model: Any) -> str | None:
    if isinstance(model, str):
        return model
    if isinstance(model, dict):
        return model.get("name") or model.get("model_name")
    return None


def _invokeai(meta: dict[str, Any]) -> Recipe:
    """InvokeAI 3 (`model.model_name`, `loras[].lora`) and 4 (`model.name`, `loras[].model`)."""
    if "positive_prompt" not in meta and "steps" not in meta:
        raise MetadataError(
            "InvokeAI metadata has neither `positive_prompt` nor `steps`; keys found: "
            f"{sorted(meta)[:20]}."
        )
    options: dict[str, Any] = {}
    model = meta.get("model")
    model_hash = None
    if isinstance(model, dict) and model.get("hash"):
        algo, _, digest = str(model["hash"]).rpartition(":")
        if algo in ("", "sha256") and all(c in "0123456789abcdef" for c in digest.lower()):
            model_hash = digest.lower()
        else:
            options["model_hash"] = model["hash"]  # blake3 etc.: not our sha256, keep it aside
    loras = []
    for entry in meta.get("loras") or []:
        spec = entry.get("model") or entry.get("lora") if isinstance(entry, dict) else None
        name = _invoke_model_name(spec)
        if name:
            loras.append(LoraSpec(name=name, weight=float(entry.get("weight", 1.0))))
    generation = str(meta.get("generation_mode", "txt2img"))
    mode = "inpaint" if ("inpaint" in generation or "outpaint" in generation) else (
        "img2img" if "img2img" in generation else "txt2img"
    )
    scheduler = meta.get("scheduler")
    for key in ("scheduler", "generation_mode", "app_version", "clip_skip", "vae",
                "cfg_rescale_multiplier", "positive_style_prompt", "negative_style_prompt"):
        if meta.get(key) not in (None, "", 0):
            options[key] = meta[key]
    try:
        return Recipe(
            engine="diffusion",
            mode=mode,
            prompt=str(meta.get("positive_prompt", "")),
            negative_prompt=str(meta.get("negative_prompt", "") or ""),
            seed=int(meta.get("seed", 0)),
            steps=int(meta.get("steps", 20)),
            guidance=float(meta.get("cfg_scale", 7.0)),
            width=int(meta.get("width", 512)),
            height=int(meta.get("height", 512)),
            sampler=normalise_sampler(scheduler) if scheduler else None,
            model=_invoke_model_name(model),
            model_hash=model_hash,
            loras=tuple(loras),
            strength=float(meta["strength"]) if mode != "txt2img" and "strength" in meta else None,
            generator_device="cuda" if meta.get("rand_device") == "cuda" else "cpu",
            options={"invokeai": options} if options else {},
        )
    except (TypeError, ValueError) as exc:
        raise MetadataError(f"InvokeAI metadata has a value of the wrong type: {exc}.") from None


# -- ComfyUI ------------------------------------------------------------------
_SAMPLERS = ("KSampler", "KSamplerAdvanced")
_CHECKPOINTS = {
    "CheckpointLoaderSimple": "ckpt_name", "CheckpointLoader": "ckpt_name",
    "ImageOnlyCheckpointLoader": "ckpt_name", "UNETLoader": "unet_name",
}
_LORAS = ("LoraLoader", "LoraLoaderModelOnly")
_EMPTY_LATENTS = ("EmptyLatentImage", "EmptySD3LatentImage")
# Widget order of the core nodes in the editor's `workflow` format.
_WIDGETS: dict[str, tuple[str, ...]] = {
    "KSampler": ("seed", "control_after_generate", "steps", "cfg", "sampler_name", "scheduler", "denoise"),
    "KSamplerAdvanced": (
        "add_noise", "noise_seed", "control_after_generate", "steps", "cfg", "sampler_name",
        "scheduler", "start_at_step", "end_at_step", "return_with_leftover_noise",
    ),
    "CLIPTextEncode": ("text",),
    "CheckpointLoaderSimple": ("ckpt_name",),
    "UNETLoader": ("unet_name", "weight_dtype"),
    "LoraLoader": ("lora_name", "strength_model", "strength_clip"),
    "LoraLoaderModelOnly": ("lora_name", "strength_model"),
    "EmptyLatentImage": ("width", "height", "batch_size"),
    "EmptySD3LatentImage": ("width", "height", "batch_size"),
    "LoadImage": ("image", "upload"),
    "PrimitiveNode": ("value", "control_after_generate"),
}
_MAX_HOPS = 64


def workflow_to_graph(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The editor's `workflow` (nodes + links) as an API-style graph we can walk the same way."""
    nodes = workflow.get("nodes")
    if not isinstance(nodes, list):
        raise MetadataError("ComfyUI workflow has no `nodes` list.")
    links: dict[Any, tuple[str, int]] = {}
    for link in workflow.get("links") or []:
        if isinstance(link, list) and len(link) >= 5:  # [id, from node, from slot, to node, to slot, type]
            links[link[0]] = (str(link[1]), int(link[2]))
        elif isinstance(link, dict):  # newer frontends
            links[link.get("id")] = (str(link.get("origin_id")), int(link.get("origin_slot", 0)))
    graph: dict[str, dict[str, Any]] = {}
    for node in nodes:
        if not isinstance(node, dict) or node.get("mode") in (2, 4):  # muted or bypassed
            continue
        kind = str(node.get("type", ""))
        inputs: dict[str, Any] = {}
        widgets = node.get("widgets_values")
        if isinstance(widgets, dict):
            inputs.update(widgets)
        elif isinstance(widgets, list):
            inputs.update(zip(_WIDGETS.get(kind, ()), widgets, strict=False))
        for slot in node.get("inputs") or []:
            if isinstance(slot, dict) and slot.get("link") in links:
                inputs[slot.get("name", "")] = list(links[slot["link"]])
        graph[str(node.get("id"))] = {"class_type": kind, "inputs": inputs}
    return graph


def _is_link(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[1], int)


def _node(graph: dict[str, Any], link: Any) -> tuple[dict[str, Any], int] | None:
    if not _is_link(link):
        return None
    node = graph.get(str(link[0]))
    return (node, link[1]) if isinstance(node, dict) else None


def _scalar(graph: dict[str, Any], value: Any) -> Any:
    """A widget value, following links to primitive/seed nodes."""
    for _ in range(_MAX_HOPS):
        found = _node(graph, value)
        if found is None:
            return value
        inputs = found[0].get("inputs", {})
        value = next(
            (inputs[k] for k in ("value", "seed", "noise_seed", "int", "float", "text", "string")
             if k in inputs),
            None,
        )
    return value


def _text(graph: dict[str, Any], link: Any) -> str:
    """Prompt text behind a conditioning link, through combine/ControlNet-style pass-throughs."""
    for _ in range(_MAX_HOPS):
        found = _node(graph, link)
        if found is None:
            return ""
        node, slot = found
        inputs = node.get("inputs", {})
        for key in ("text", "text_g", "prompt"):
            if key in inputs:
                return str(_scalar(graph, inputs[key]) or "")
        if "positive" in inputs and "negative" in inputs:  # e.g. ControlNetApplyAdvanced
            link = inputs["positive" if slot == 0 else "negative"]
            continue
        link = next((v for k, v in inputs.items() if "conditioning" in k and _is_link(v)), None)
        if link is None:
            link = next((v for v in inputs.values() if _is_link(v)), None)
    return ""


def _model(graph: dict[str, Any], link: Any) -> tuple[str | None, list[LoraSpec]]:
    """Checkpoint name and LoRAs (in the order applied) behind a MODEL link."""
    loras: list[LoraSpec] = []
    for _ in range(_MAX_HOPS):
        found = _node(graph, link)
        if found is None:
            break
        node = found[0]
        kind, inputs = node.get("class_type"), node.get("inputs", {})
        if kind in _CHECKPOINTS:
            name = _scalar(graph, inputs.get(_CHECKPOINTS[kind]))
            return (str(name) if name else None), loras[::-1]
        if kind in _LORAS or "lora_name" in inputs:
            name = _scalar(graph, inputs.get("lora_name"))
            weight = _scalar(graph, inputs.get("strength_model", 1.0))
            if name:
                loras.append(LoraSpec(name=_stem(str(name)), weight=float(weight)))
        link = inputs.get("model")
    return None, loras[::-1]


def _latent(graph: dict[str, Any], link: Any) -> tuple[str, dict[str, Any]]:
    """("txt2img", {width, height, batch_size}) or ("img2img"/"inpaint", {image})."""
    for _ in range(_MAX_HOPS):
        found = _node(graph, link)
        if found is None:
            break
        kind, inputs = found[0].get("class_type"), found[0].get("inputs", {})
        if kind in _EMPTY_LATENTS:
            return "txt2img", {k: _scalar(graph, inputs.get(k)) for k in ("width", "height", "batch_size")}
        if kind in ("VAEEncode", "VAEEncodeForInpaint", "SetLatentNoiseMask"):
            mode = "img2img" if kind == "VAEEncode" else "inpaint"
            pixels = _node(graph, inputs.get("pixels") or inputs.get("samples"))
            image = pixels[0].get("inputs", {}).get("image") if pixels else None
            return mode, {"image": image} if isinstance(image, str) else {}
        link = inputs.get("samples") or next((v for v in inputs.values() if _is_link(v)), None)
    return "txt2img", {}


def _sampler_node(graph: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    def order(node_id: str) -> tuple[int, str]:
        return (int(node_id) if node_id.isdigit() else 1 << 62, node_id)

    for node_id in sorted(graph, key=order):
        node = graph[node_id]
        if isinstance(node, dict) and node.get("class_type") in _SAMPLERS:
            return node_id, node.get("inputs", {})
    kinds = sorted({str(n.get("class_type")) for n in graph.values() if isinstance(n, dict)})
    raise MetadataError(f"ComfyUI graph has no KSampler or KSamplerAdvanced node; nodes: {kinds[:30]}.")


def comfy_recipe(graph: dict[str, Any], size: tuple[int, int] = (512, 512)) -> Recipe:
    """A Recipe from a ComfyUI API graph; `size` is the image's own size when no latent says."""
    node_id, inputs = _sampler_node(graph)
    ckpt, loras = _model(graph, inputs.get("model"))
    mode, latent = _latent(graph, inputs.get("latent_image"))
    sampler_name = _scalar(graph, inputs.get("sampler_name"))
    scheduler = _scalar(graph, inputs.get("scheduler"))
    seed = _scalar(graph, inputs.get("seed", inputs.get("noise_seed", 0)))
    denoise = _scalar(graph, inputs.get("denoise"))
    options = {
        k: v for k, v in {
            "node": node_id, "sampler_name": sampler_name, "scheduler": scheduler,
            "ckpt_name": ckpt, "batch_size": latent.get("batch_size"), "image": latent.get("image"),
        }.items() if v is not None
    }
    try:
        return Recipe(
            engine="diffusion",
            mode=mode,
            prompt=_text(graph, inputs.get("positive")),
            negative_prompt=_text(graph, inputs.get("negative")),
            seed=int(seed or 0),
            steps=int(_scalar(graph, inputs.get("steps", 20))),
            guidance=float(_scalar(graph, inputs.get("cfg", 7.0))),
            width=int(latent.get("width") or size[0]),
            height=int(latent.get("height") or size[1]),
            sampler=sampler_from_comfy(str(sampler_name), scheduler) if sampler_name else None,
            model=_stem(ckpt) if ckpt else None,
            loras=tuple(loras),
            strength=float(denoise) if mode != "txt2img" and denoise is not None else None,
            options={"comfyui": options},
        )
    except (TypeError, ValueError) as exc:
        raise MetadataError(f"ComfyUI sampler node {node_id} has a value of the wrong type: {exc}.") from None
