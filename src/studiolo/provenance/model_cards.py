"""What a model says about itself: name, authors, licence, training tags.

Read offline, from the files the model came with:

- a diffusers folder or a Hugging Face cache snapshot: the YAML front matter
  of its `README.md` (the model card: `license`, `license_name`,
  `model_name`/`pretty_name`, `author`/`authors`/`model_creator`, `tags`,
  `base_model`); a hub snapshot also names its owner in the cache path
  (`models--OWNER--NAME`);
- a single `.safetensors` file: the `__metadata__` header, Stability's
  `modelspec.*` keys (`modelspec.title`, `modelspec.author`,
  `modelspec.license`, `modelspec.tags`) and kohya's `ss_*` training keys
  (`ss_output_name`, `ss_sd_model_name`, `ss_tag_frequency`).

Where a card says nothing, a few well-known base models fall back to
`KNOWN_MODELS` (name and makers as published); otherwise the folder or file
name stands for the model and the authors stay unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studiolo.core.errors import MetadataError, StudioloError
from studiolo.core.settings import Settings
from studiolo.core.types import Recipe

# Repo names (the part after "/") of famous base models -> (display name, makers).
KNOWN_MODELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "stable-diffusion-v1-5": ("Stable Diffusion 1.5", ("RunwayML",)),
    "stable-diffusion-inpainting": ("Stable Diffusion Inpainting", ("RunwayML",)),
    "stable-diffusion-v1-4": ("Stable Diffusion 1.4", ("CompVis",)),
    "stable-diffusion-2-1": ("Stable Diffusion 2.1", ("Stability AI",)),
    "stable-diffusion-2-1-base": ("Stable Diffusion 2.1 base", ("Stability AI",)),
    "stable-diffusion-xl-base-1.0": ("Stable Diffusion XL 1.0", ("Stability AI",)),
    "sd-turbo": ("SD-Turbo", ("Stability AI",)),
    "sdxl-turbo": ("SDXL-Turbo", ("Stability AI",)),
}

# Hub licence ids -> the licence's own name.
LICENCE_NAMES = {
    "creativeml-openrail-m": "CreativeML OpenRAIL-M",
    "openrail++": "CreativeML OpenRAIL++-M",
    "openrail": "OpenRAIL",
    "apache-2.0": "Apache 2.0",
    "mit": "MIT",
    "cc0-1.0": "CC0 1.0",
    "cc-by-4.0": "CC BY 4.0",
    "cc-by-sa-4.0": "CC BY-SA 4.0",
    "cc-by-nc-4.0": "CC BY-NC 4.0",
    "cc-by-nc-sa-4.0": "CC BY-NC-SA 4.0",
    "bigscience-openrail-m": "BigScience OpenRAIL-M",
}

MAX_TAGS = 10
_SNAPSHOT = re.compile(r"models--([^/\\]+?)--([^/\\]+)[/\\]snapshots[/\\]")


@dataclass(frozen=True)
class ModelInfo:
    """A model's or LoRA's own account of itself; `source` says where it was read."""

    name: str
    authors: tuple[str, ...] = ()
    licence: str | None = None
    tags: tuple[str, ...] = ()
    base_model: str | None = None
    source: str = ""
    ref: str | None = None  # content hash, when known


def licence_name(value: Any) -> str | None:
    """A hub licence id ("creativeml-openrail-m") as its name; other text kept as it is."""
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str) or not value.strip():
        return None
    return LICENCE_NAMES.get(value.strip().lower(), value.strip())


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(p.strip() for p in re.split(r"[,;]| and ", value) if p.strip())
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return ()


def read_front_matter(readme: Path) -> dict[str, Any]:
    """The YAML front matter of a model card (README.md); {} when it has none."""
    import yaml

    try:
        text = readme.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    if not text.startswith("---"):
        return {}
    head, sep, _ = text[3:].partition("\n---")
    if not sep:
        raise MetadataError(f"The model card {readme} opens YAML front matter with '---' but never closes it.")
    try:
        data = yaml.safe_load(head)
    except yaml.YAMLError as exc:
        raise MetadataError(f"The model card {readme} has front matter that is not valid YAML ({exc}).") from None
    return data if isinstance(data, dict) else {}


def _from_card(card: dict[str, Any], fallback_name: str, owner: str | None, source: str) -> ModelInfo:
    known = KNOWN_MODELS.get(fallback_name.lower())
    name = next((str(card[k]) for k in ("model_name", "pretty_name", "title") if card.get(k)), None)
    authors: tuple[str, ...] = ()
    for key in ("authors", "author", "model_creator", "creator", "developers"):
        authors = _names(card.get(key))
        if authors:
            break
    licence = licence_name(card.get("license"))
    if licence == "other" and card.get("license_name"):
        licence = str(card["license_name"])
    tags = tuple(str(t) for t in (card.get("tags") or []) if isinstance(t, str | int))[:MAX_TAGS]
    base = card.get("base_model")
    return ModelInfo(
        name=name or (known[0] if known else fallback_name),
        authors=authors or (known[1] if known else ((owner,) if owner else ())),
        licence=licence,
        tags=tags,
        base_model=str(base[0] if isinstance(base, list) and base else base) if base else None,
        source=source,
    )


def read_folder_info(folder: str | Path, ref: str | None = None) -> ModelInfo:
    """ModelInfo of a diffusers folder or hub snapshot, from README.md front matter."""
    folder = Path(folder)
    found = _SNAPSHOT.search(folder.as_posix() + "/")
    owner, name = (found.group(1), found.group(2)) if found else (None, folder.name)
    if ref and "/" in ref and not found:
        owner, name = ref.split("/", 1)
    readme = folder / "README.md"
    card = read_front_matter(readme) if readme.is_file() else {}
    return _from_card(card, name, owner, "README.md front matter" if card else "folder name")


def read_file_info(path: str | Path) -> ModelInfo:
    """ModelInfo of a single .safetensors file (checkpoint or LoRA), from its header metadata."""
    from studiolo.models.lora import lora_metadata

    path = Path(path)
    meta = lora_metadata(path)
    stem = path.name.removesuffix(".safetensors")
    title = meta.get("modelspec.title") or meta.get("ss_output_name")
    known = KNOWN_MODELS.get(stem.lower())
    tags = [t for t, _ in meta.get("tags", [])][:MAX_TAGS]
    if not tags and meta.get("modelspec.tags"):
        tags = list(_names(meta["modelspec.tags"]))[:MAX_TAGS]
    has_spec = any(k.startswith("modelspec.") for k in meta)
    has_kohya = any(k.startswith("ss_") for k in meta)
    source = " and ".join(
        s for s, present in (("safetensors modelspec", has_spec), ("kohya ss_* metadata", has_kohya))
        if present
    )
    return ModelInfo(
        name=str(title) if title else (known[0] if known else stem),
        authors=_names(meta.get("modelspec.author")) or (known[1] if known else ()),
        licence=licence_name(meta.get("modelspec.license")),
        tags=tuple(tags),
        base_model=meta.get("ss_sd_model_name") or meta.get("modelspec.architecture") or None,
        source=source or "file name",
    )


def model_info_for(recipe: Recipe, settings: Settings | None = None) -> ModelInfo | None:
    """ModelInfo of the recipe's model, or None when it names none or it is not here."""
    from studiolo.models.refs import resolve_model

    if not recipe.model:
        return None
    try:
        source = resolve_model(recipe.model, settings)
        if source.kind == "single_file":
            info = read_file_info(source.path)
        else:
            info = read_folder_info(source.path, recipe.model if source.kind == "hub" else None)
    except StudioloError:
        return None  # a model that is gone, or a broken card: credit it by the recipe's name
    return ModelInfo(**{**info.__dict__, "ref": recipe.model_hash})


def lora_infos_for(recipe: Recipe, settings: Settings | None = None) -> tuple[ModelInfo | None, ...]:
    """ModelInfo of each LoRA of the recipe, in order; None for one that is not here."""
    from studiolo.models.lora import resolve_lora

    infos: list[ModelInfo | None] = []
    for spec in recipe.loras:
        try:
            info = read_file_info(resolve_lora(spec, settings))
            infos.append(ModelInfo(**{**info.__dict__, "ref": spec.sha256}))
        except StudioloError:
            infos.append(None)
    return tuple(infos)
