"""Recipes from images made elsewhere: AUTOMATIC1111 (and Forge), ComfyUI, InvokeAI, studiolo.

Each tool leaves its recipe in the file differently:

- A1111 / Forge / studiolo: a `parameters` PNG text chunk, or the EXIF
  UserComment of a JPEG/WebP (see `infotext`).
- ComfyUI: a `prompt` chunk (the API graph that ran) and a `workflow` chunk
  (the editor graph), read in `comfyui`.
- InvokeAI 3 and 4: an `invokeai_metadata` chunk of flat JSON (InvokeAI's
  `CoreMetadata`: positive_prompt, seed, steps, cfg_scale, width, height,
  scheduler, model {name|model_name, hash}, loras [{model|lora, weight}], ...).

The file is read through `studiolo.core.imageio`, so a broken file gets the same
`ImageError` as anywhere else; metadata of the wrong shape gets a `MetadataError`
naming the key and echoing a short part of what it holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studiolo.core.errors import MetadataError, StudioloError
from studiolo.core.imagemeta import image_info
from studiolo.core.types import LoraSpec, Recipe
from studiolo.provenance.comfyui import comfy_recipe, workflow_to_graph
from studiolo.provenance.infotext import STUDIOLO_KEY, infotext_to_recipe, parse_infotext
from studiolo.provenance.metadata_values import ADVICE, as_float, as_int, as_text, shown
from studiolo.provenance.other_formats import (
    OTHER_SOURCES,
    has_recipe_text,
    read_other,
    stealth_texts,
)
from studiolo.provenance.samplers import normalise_sampler

__all__ = [
    "SOURCES", "ImportBatch", "ImportFailure", "ImportedRecipe", "comfy_recipe", "import_recipes",
    "is_placeholder_infotext", "read_recipe",
    "recipe_from_texts", "workflow_to_graph",
]

SOURCES = ("studiolo", "automatic1111", "comfyui", "invokeai", *OTHER_SOURCES)


@dataclass(frozen=True)
class ImportedRecipe:
    """A recipe read from a file, which tool wrote it, and the metadata as found."""

    recipe: Recipe
    source: str
    raw: dict[str, Any] = field(default_factory=dict)


def read_recipe(path: str | Path | bytes, *, name: str | None = None) -> ImportedRecipe:
    """The recipe embedded in an image file by studiolo, A1111, ComfyUI or InvokeAI.

    `path` may also be the file's bytes; `name` is what errors call the file.
    """
    info = image_info(path, name=name)
    label = name or ("<image bytes>" if isinstance(path, bytes) else str(path))
    texts = info["text"]
    if info["format"] in ("PNG", "WEBP") and not has_recipe_text(texts):
        texts = {**texts, **stealth_texts(path, name=label)}  # hidden in the pixels
    return recipe_from_texts(texts, size=(info["width"], info["height"]), name=label)


def recipe_from_texts(
    texts: dict[str, str], *, size: tuple[int, int] = (512, 512), name: str = "<image>"
) -> ImportedRecipe:
    """The recipe in an image's text metadata (`image_info(...)["text"]`) of `size` pixels."""
    other = read_other(texts, size=size, name=name)  # NovelAI, SwarmUI, Fooocus, ...
    if other is not None:
        return ImportedRecipe(*other)
    has_graph = "prompt" in texts or "workflow" in texts
    if texts.get("parameters", "").strip() and not (
        has_graph and is_placeholder_infotext(texts["parameters"])
    ):
        text = texts["parameters"]
        try:
            _, _, params = parse_infotext(text)
            recipe = infotext_to_recipe(text)
        except MetadataError as exc:  # the infotext reader knows the text, not the file
            raise MetadataError(f"{name}: {exc}") from None
        source = "studiolo" if STUDIOLO_KEY in params else "automatic1111"
        return ImportedRecipe(recipe=recipe, source=source, raw={"parameters": text})
    if "invokeai_metadata" in texts:
        meta = _json(texts["invokeai_metadata"], "invokeai_metadata", name)
        return ImportedRecipe(_invokeai(meta), "invokeai", {"invokeai_metadata": meta})
    if has_graph:
        raw: dict[str, Any] = {}
        if "prompt" in texts:
            raw["prompt"] = _json(texts["prompt"], "prompt", name)
            graph = raw["prompt"]
        if "workflow" in texts:
            raw["workflow"] = _json(texts["workflow"], "workflow", name)
            if "prompt" not in texts:
                graph = workflow_to_graph(raw["workflow"])
        return ImportedRecipe(comfy_recipe(graph, size=size), "comfyui", raw)
    raise MetadataError(
        f"{name} carries no recipe: no AUTOMATIC1111 parameters, ComfyUI prompt/workflow, "
        "InvokeAI, NovelAI, SwarmUI, Fooocus or Civitai metadata, nor stealth metadata in the "
        "pixels."
    )


# What a saver writes when it has no value: a `parameters` chunk made only of these
# ("unknown", "Seed: 0", ...) says nothing, and the ComfyUI graph beside it says it all.
_EMPTY_VALUES = frozenset({"", "unknown", "none", "null", "n/a", "0", "0.0", "0x0", "-1"})


def is_placeholder_infotext(text: str) -> bool:
    """Whether an infotext holds no real value: every prompt line and `Key: value` is empty,
    "unknown", 0 or the like (linear: one split of the text)."""
    for piece in text.replace("\n", ",").split(","):
        _, _, value = piece.rpartition(":")  # "Seed: 0" -> " 0"; "unknown" -> "unknown"
        if value.strip().lower() not in _EMPTY_VALUES:
            return False
    return True


def _json(text: str, key: str, path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MetadataError(f"{path}: the `{key}` metadata is not valid JSON ({exc}).") from None
    except (ValueError, RecursionError) as exc:  # an integer of 4300+ digits; nesting too deep
        raise MetadataError(f"{path}: the `{key}` metadata is not JSON studiolo can read "
                            f"({shown(str(exc), 90)}); {ADVICE}.") from None
    if not isinstance(data, dict):
        raise MetadataError(f"{path}: the `{key}` metadata must be a JSON object, got {type(data).__name__}.")
    return data


# -- InvokeAI -----------------------------------------------------------------
_WHERE = "InvokeAI metadata"


def _invoke_model_name(model: Any, key: str) -> str | None:
    if isinstance(model, dict):
        model = model.get("name") or model.get("model_name")
    return as_text(model, _WHERE, f"{key}.name") or None


def _invoke_hash(model: Any, options: dict[str, Any]) -> str | None:
    """A sha256 model hash; another algorithm's (blake3, ...) is kept aside in `options`."""
    if not isinstance(model, dict) or not model.get("hash"):
        return None
    value = model["hash"]
    algo, _, digest = as_text(value, _WHERE, "model.hash").rpartition(":")
    if algo in ("", "sha256") and all(c in "0123456789abcdef" for c in digest.lower()):
        return digest.lower()
    options["model_hash"] = value  # not our sha256: keep it aside
    return None


def _invoke_loras(entries: Any) -> tuple[LoraSpec, ...]:
    """InvokeAI 3 `loras[].lora` and 4 `loras[].model`, each with a `weight`."""
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise MetadataError(f"{_WHERE} has a value of the wrong type: `loras` must be a list, got "
                            f"{shown(entries)}; {ADVICE}.")
    loras = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue  # not a LoRA record: nothing to credit
        name = _invoke_model_name(entry.get("model") or entry.get("lora"), f"loras[{i}]")
        if name:
            weight = entry.get("weight", 1.0)
            loras.append(LoraSpec(name=name, weight=as_float(weight, _WHERE, f"loras[{i}].weight")))
    return tuple(loras)


def _invokeai(meta: dict[str, Any]) -> Recipe:
    """InvokeAI 3 (`model.model_name`, `loras[].lora`) and 4 (`model.name`, `loras[].model`)."""
    if "positive_prompt" not in meta and "steps" not in meta:
        raise MetadataError(
            "InvokeAI metadata has neither `positive_prompt` nor `steps`; keys found: "
            f"{shown(sorted(meta)[:20], 300)}."
        )
    options: dict[str, Any] = {}
    model = meta.get("model")
    model_hash = _invoke_hash(model, options)
    generation = as_text(meta.get("generation_mode"), _WHERE, "generation_mode", default="txt2img")
    mode = "inpaint" if ("inpaint" in generation or "outpaint" in generation) else (
        "img2img" if "img2img" in generation else "txt2img"
    )
    scheduler = as_text(meta.get("scheduler"), _WHERE, "scheduler", strict=True)
    for key in ("scheduler", "generation_mode", "app_version", "clip_skip", "vae",
                "cfg_rescale_multiplier", "positive_style_prompt", "negative_style_prompt"):
        if meta.get(key) not in (None, "", 0):
            options[key] = meta[key]
    strength = meta.get("strength") if mode != "txt2img" else None
    return Recipe(
        engine="diffusion",
        mode=mode,
        prompt=as_text(meta.get("positive_prompt"), _WHERE, "positive_prompt"),
        negative_prompt=as_text(meta.get("negative_prompt"), _WHERE, "negative_prompt"),
        seed=as_int(meta.get("seed", 0), _WHERE, "seed"),
        steps=as_int(meta.get("steps", 20), _WHERE, "steps"),
        guidance=as_float(meta.get("cfg_scale", 7.0), _WHERE, "cfg_scale"),
        width=as_int(meta.get("width", 512), _WHERE, "width"),
        height=as_int(meta.get("height", 512), _WHERE, "height"),
        sampler=normalise_sampler(scheduler) if scheduler else None,
        model=_invoke_model_name(model, "model"),
        model_hash=model_hash,
        loras=_invoke_loras(meta.get("loras")),
        strength=None if strength is None else as_float(strength, _WHERE, "strength"),
        generator_device="cuda" if meta.get("rand_device") == "cuda" else "cpu",
        options={"invokeai": options} if options else {},
    )


# -- many files ---------------------------------------------------------------
@dataclass(frozen=True)
class ImportFailure:
    """A file whose recipe could not be read, and the one sentence saying why."""

    file: str
    error: str


@dataclass(frozen=True)
class ImportBatch:
    """What `import_recipes` read, file by file in the order given: an ImportedRecipe for
    each good file, an ImportFailure for each bad one."""

    results: tuple[tuple[str, ImportedRecipe | ImportFailure], ...]

    @property
    def imported(self) -> list[tuple[str, ImportedRecipe]]:
        return [(p, r) for p, r in self.results if isinstance(r, ImportedRecipe)]

    @property
    def failed(self) -> list[ImportFailure]:
        return [r for _, r in self.results if isinstance(r, ImportFailure)]

    @property
    def exit_code(self) -> int:
        """0 when every file was read, 1 when any was not (the good ones are still imported)."""
        return 1 if self.failed else 0

    def to_json(self) -> list[dict[str, Any]]:
        """One entry per file: its source and recipe, or the error that stopped it."""
        return [
            {"file": path, "source": r.source, "recipe": r.recipe.to_dict()}
            if isinstance(r, ImportedRecipe) else {"file": path, "error": r.error}
            for path, r in self.results
        ]


def import_recipes(paths: list[str] | tuple[str, ...]) -> ImportBatch:
    """The recipe of each file; a file that cannot be read is reported, not fatal to the rest."""
    results: list[tuple[str, ImportedRecipe | ImportFailure]] = []
    for path in paths:
        label = str(path)
        try:
            results.append((label, read_recipe(path)))
        except StudioloError as exc:
            message = str(exc)
            if label not in message:  # the reader named the data, not the file
                message = f"{label}: {message}"
            results.append((label, ImportFailure(file=label, error=message)))
    return ImportBatch(tuple(results))
