"""Recipes from tools that save one JSON object: SwarmUI, Fooocus, RuinedFooocus, Civitai.

- SwarmUI: `{"sui_image_params": {prompt, negativeprompt, model, seed, steps, cfgscale,
  width, height, sampler, scheduler (ComfyUI names; older files comfyuisampler /
  autowebuisampler), loras [...], loraweights [...], initimagecreativity, ...},
  "sui_models": [{name, param, hash: "0x<sha256>"}], "sui_extra_data": {...}}`, in the
  PNG `parameters` chunk or the JPEG/WebP EXIF UserComment.
- Fooocus ("fooocus" metadata scheme; older files and Fooocus-MRE: a `Comment` chunk with
  cfg, width, height, l1/w1...): prompt, negative_prompt, steps, resolution
  "(w, h)", guidance_scale, sampler, scheduler (ComfyUI names), seed (text), base_model,
  base_model_hash, loras [[name, weight, sha256]], styles, performance, ... Its log
  uses labels for the same fields ("Negative Prompt", "Guidance Scale", "Base Model",
  "LoRA 1": "name : weight"), which older files carry: both are read.
- RuinedFooocus: Prompt, Negative, steps, cfg, width, height, seed, sampler_name,
  scheduler, base_model_name, base_model_hash, loras [[sha256, "weight - name"]] (older:
  [[name, weight]]), denoise, clip_skip, software "RuinedFooocus".
- Civitai's generator: prompt, negativePrompt, steps, cfgScale, sampler (A1111 names),
  seed, width, height, clipSkip, baseModel, resources / civitaiResources [{type,
  modelName, modelVersionName, weight|strength, hash}] -- alone, or as the
  `extraMetadata` string of a ComfyUI graph (the original generation of an upscale).
"""

from __future__ import annotations

import re
from typing import Any

from studiolo.core.errors import MetadataError
from studiolo.core.types import LoraSpec, Recipe
from studiolo.provenance.foreign import Fields, kept, lora, no_recipe, sha256_or_none
from studiolo.provenance.metadata_values import ADVICE, shown
from studiolo.provenance.samplers import normalise_sampler, sampler_from_comfy, split_sampler_name

_MAX_LORAS = 64


def _list(value: Any, where: str, key: str) -> list[Any]:
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise MetadataError(f"{where} has a value of the wrong type: `{key}` must be a list, got "
                            f"{shown(value)}; {ADVICE}.")
    return value[:_MAX_LORAS]


def _recipe(fields: Fields, *, used: set[str], tool: str, **values: Any) -> Recipe:
    options = fields.rest(used)
    options.update(values.pop("extra", {}))
    strength = values.get("strength")
    return Recipe(engine="diffusion", mode="img2img" if strength is not None else "txt2img",
                  options={tool: options} if options else {}, **values)


# -- SwarmUI ------------------------------------------------------------------
SWARM = "SwarmUI metadata"


def swarm_recipe(data: dict[str, Any]) -> Recipe:
    params = data.get("sui_image_params")
    if not isinstance(params, dict):
        raise MetadataError(f"{SWARM} has a value of the wrong type: `sui_image_params` must be an "
                            f"object, got {shown(params)}; {ADVICE}.")
    f = Fields(params, SWARM)
    comfy = f.name("sampler", "comfyuisampler")
    sampler = sampler_from_comfy(comfy, f.name("scheduler")) if comfy else None
    if sampler is None and f.name("autowebuisampler"):
        sampler = normalise_sampler(f.text("autowebuisampler"))
    names = _list(params.get("loras"), SWARM, "loras")
    weights = _list(params.get("loraweights"), SWARM, "loraweights")
    loras = [lora(n, weights[i] if i < len(weights) else None, SWARM, i) for i, n in enumerate(names)]
    model_hash = None
    for entry in _list(data.get("sui_models"), SWARM, "sui_models"):
        if isinstance(entry, dict) and entry.get("param") == "model":
            model_hash = sha256_or_none(entry.get("hash"))
    extra = {k: kept(v) for k, v in data.items() if k != "sui_image_params"}
    creativity = f.float("initimagecreativity", default=None) if params.get("initimage") or \
        params.get("initimagecreativity") is not None else None
    return _recipe(
        f, tool="swarmui", extra=extra,
        used={"prompt", "negativeprompt", "seed", "steps", "cfgscale", "width", "height", "sampler",
              "scheduler", "comfyuisampler", "autowebuisampler", "model", "loras", "loraweights",
              "initimagecreativity"},
        prompt=f.text("prompt"), negative_prompt=f.text("negativeprompt"),
        seed=f.int("seed", default=0), steps=f.int("steps", default=20),
        guidance=f.float("cfgscale", default=7.0), width=f.int("width", default=512),
        height=f.int("height", default=512), sampler=sampler, model=f.name("model"),
        model_hash=model_hash, loras=tuple(x for x in loras if x), strength=creativity,
    )


# -- Fooocus ------------------------------------------------------------------
FOOOCUS = "Fooocus metadata"
_RESOLUTION = re.compile(r"^\s*[(\[]?\s*(\d{1,6})\s*[,x*]\s*(\d{1,6})\s*[)\]]?\s*$")
_LORA_SLOT = re.compile(r"^lora_(?:combined_)?(\d{1,3})$")


def _snake(key: str) -> str:
    return re.sub(r"[\s\-]+", "_", key.strip().lower())


def is_fooocus(data: dict[str, Any]) -> bool:
    keys = {_snake(str(k)) for k in list(data)[:200]}
    return "negative_prompt" in keys and bool(keys & {"guidance_scale", "base_model", "performance",
                                                      "metadata_scheme", "sharpness", "styles"})


def _size(f: Fields, default: tuple[int, int]) -> tuple[int, int]:
    value = f.get("resolution")
    if isinstance(value, list) and len(value) == 2:
        value = f"{value[0]},{value[1]}"
    if isinstance(value, str) and len(value) < 40:
        match = _RESOLUTION.match(value.replace(" ", "").replace("×", "x"))
        if match:
            return int(match.group(1)), int(match.group(2))
    return f.int("width", default=default[0]), f.int("height", default=default[1])


def fooocus_recipe(raw: dict[str, Any], *, size: tuple[int, int]) -> Recipe:
    data = {_snake(str(k)): v for k, v in list(raw.items())[:400]}  # labels and keys alike
    f = Fields(data, FOOOCUS)
    comfy = f.name("sampler")
    sampler = sampler_from_comfy(comfy, f.name("scheduler")) if comfy else None
    loras: list[LoraSpec | None] = []
    for i, entry in enumerate(_list(data.get("loras"), FOOOCUS, "loras")):
        if isinstance(entry, list) and entry:
            loras.append(lora(entry[0], entry[1] if len(entry) > 1 else None, FOOOCUS, i,
                              entry[2] if len(entry) > 2 else None))
    for n in range(1, 11):  # Fooocus-MRE: l1 / w1 ... l5 / w5
        if isinstance(data.get(f"l{n}"), str):
            loras.append(lora(data[f"l{n}"], data.get(f"w{n}"), FOOOCUS, n - 1))
    if not loras:  # the log form: "LoRA 1": "name : 0.5" (or "True : name : 0.5")
        for key in sorted(k for k in data if _LORA_SLOT.match(k)):
            value = data[key]
            if isinstance(value, str):
                parts = [p.strip() for p in value.split(" : ")]
                if len(parts) == 3 and parts[0] != "True":
                    continue  # a disabled slot
                if len(parts) >= 2:
                    loras.append(lora(parts[-2], parts[-1], FOOOCUS, len(loras)))
    width, height = _size(f, size)
    used = {"prompt", "negative_prompt", "seed", "steps", "guidance_scale", "resolution", "width",
            "height", "sampler", "base_model", "base_model_hash", "loras", "cfg"}
    used |= {k for k in data if _LORA_SLOT.match(k) or re.match(r"^[lw]\d{1,2}$", k)}
    return _recipe(
        f, tool="fooocus", used=used,
        prompt=f.text("prompt"), negative_prompt=f.text("negative_prompt"),
        seed=f.int("seed", default=0), steps=f.int("steps", default=30),
        guidance=f.float("guidance_scale", "cfg", default=4.0), width=width, height=height,
        sampler=sampler, model=f.name("base_model"),
        model_hash=sha256_or_none(data.get("base_model_hash")), loras=tuple(x for x in loras if x),
    )


# -- RuinedFooocus --------------------------------------------------------------
RUINED = "RuinedFooocus metadata"


def is_ruined_fooocus(data: dict[str, Any]) -> bool:
    return str(data.get("software", "")).startswith("RuinedFooocus") or (
        "Prompt" in data and "Negative" in data and ("base_model_name" in data or "cfg" in data))


def ruined_recipe(data: dict[str, Any]) -> Recipe:
    f = Fields(data, RUINED)
    comfy = f.name("sampler_name")
    loras = []
    for i, entry in enumerate(_list(data.get("loras"), RUINED, "loras")):
        if not isinstance(entry, list) or len(entry) < 2:
            continue
        first, second = entry[0], entry[1]
        if isinstance(second, str) and " - " in second:  # [sha256, "0.8 - name"]
            weight, _, name = second.partition(" - ")
            loras.append(lora(name, weight, RUINED, i, first))
        else:  # [name, weight]
            loras.append(lora(first, second, RUINED, i))
    denoise = f.float("denoise", default=None)
    return _recipe(
        f, tool="ruinedfooocus",
        used={"Prompt", "Negative", "seed", "steps", "cfg", "width", "height", "sampler_name",
              "base_model_name", "base_model_hash", "loras", "denoise"},
        prompt=f.text("Prompt"), negative_prompt=f.text("Negative"),
        seed=f.int("seed", default=0), steps=f.int("steps", default=30),
        guidance=f.float("cfg", default=7.0), width=f.int("width", default=1024),
        height=f.int("height", default=1024),
        sampler=sampler_from_comfy(comfy, f.name("scheduler")) if comfy else None,
        model=f.name("base_model_name"), model_hash=sha256_or_none(data.get("base_model_hash")),
        loras=tuple(x for x in loras if x),
        strength=denoise if denoise is not None and denoise < 1.0 else None,
    )


# -- Civitai --------------------------------------------------------------------
CIVITAI = "Civitai metadata"
_LORA_TYPES = frozenset({"lora", "locon", "lycoris", "dora"})


def is_civitai(data: dict[str, Any]) -> bool:
    return bool({"cfgScale", "negativePrompt", "civitaiResources"} & set(data)) and (
        "prompt" in data or "steps" in data)


def civitai_resources(entries: Any, where: str = CIVITAI) -> tuple[str | None, list[LoraSpec]]:
    """(checkpoint name, LoRAs) from a Civitai resources list."""
    model, loras = None, []
    for i, entry in enumerate(_list(entries, where, "resources")):
        if not isinstance(entry, dict):
            continue
        kind = str(entry.get("type") or entry.get("modelType") or "").lower()
        label = entry.get("modelName") or entry.get("name")
        if not isinstance(label, str) or not label:
            continue
        if kind == "checkpoint" and model is None:
            model = label
        elif kind in _LORA_TYPES:
            spec = lora(label, entry.get("weight", entry.get("strength")), where, i, entry.get("hash"))
            if spec:
                loras.append(spec)
    return model, loras


def civitai_recipe(data: dict[str, Any]) -> Recipe:
    f = Fields(data, CIVITAI)
    if f.get("prompt", "steps") is None:
        raise no_recipe(CIVITAI, data, "`prompt` or `steps`")
    model, loras = civitai_resources(f.get("resources", "civitaiResources"))
    written = f.name("sampler")
    sampler, schedule = split_sampler_name(written) if written else (None, None)
    extra = {"Schedule type": schedule} if schedule else {}
    strength = f.float("denoise", "strength", default=None)
    return _recipe(
        f, tool="civitai", extra=extra,
        used={"prompt", "negativePrompt", "seed", "steps", "cfgScale", "width", "height", "sampler",
              "resources", "civitaiResources", "denoise", "strength"},
        prompt=f.text("prompt"), negative_prompt=f.text("negativePrompt"),
        seed=f.int("seed", default=0), steps=f.int("steps", default=20),
        guidance=f.float("cfgScale", default=7.0), width=f.int("width", default=512),
        height=f.int("height", default=512), sampler=sampler, model=model,
        loras=tuple(loras), strength=strength if strength is not None and strength < 1.0 else None,
    )
