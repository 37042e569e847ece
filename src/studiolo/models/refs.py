"""Model references: a diffusers folder, a single-file checkpoint, or a Hugging Face repo id.

`resolve_model` never touches the network: a repo id resolves only when its
snapshot is already in the local Hugging Face cache (`studiolo models pull`
puts it there on a connected machine).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studiolo.core.errors import ModelNotFound
from studiolo.core.settings import Settings
from studiolo.models.safety import check_weights_file, read_safetensors_header

REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")

# The diffusers repo whose configs (not weights) build a pipeline around a
# single-file checkpoint of each family.
BASE_REPOS = {
    "sd1": "stable-diffusion-v1-5/stable-diffusion-v1-5",
    "sd2": "stabilityai/stable-diffusion-2-1",
    "sdxl": "stabilityai/stable-diffusion-xl-base-1.0",
}
INPAINT_BASE_REPOS = {
    "sd1": "stable-diffusion-v1-5/stable-diffusion-inpainting",
    "sd2": "stabilityai/stable-diffusion-2-inpainting",
    "sdxl": "diffusers/stable-diffusion-xl-1.0-inpainting-0.1",
}


@dataclass(frozen=True)
class ModelSource:
    """A resolved model reference.

    kind: "diffusers" (a folder with model_index.json), "single_file" (a
    .safetensors checkpoint) or "hub" (a repo id found in the HF cache, whose
    snapshot folder is `path`). `family`: "sd1", "sd2", "sdxl" or None when
    unknown. `is_inpainting`: the UNet takes 9 channels (latents, mask,
    masked image). `sha256`: content hash of the weights, filled by `model_hash()`.
    """

    ref: str
    kind: str
    path: Path
    name: str
    family: str | None = None
    sha256: str | None = None
    is_inpainting: bool = False


def hf_hub_cache() -> Path:
    """The Hugging Face hub cache folder, read from the environment at call time.

    huggingface_hub reads HF_HUB_CACHE once at import; reading it here lets a
    test or a user change it in a running process.
    """
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(var):
            return Path(os.environ[var]).expanduser()
    home = os.environ.get("HF_HOME") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "huggingface"
    return Path(home).expanduser() / "hub"


def cached_snapshot(repo_id: str, revision: str | None = None) -> Path | None:
    """The local snapshot folder of `repo_id` in the HF cache, or None; offline only."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        path = snapshot_download(
            repo_id, revision=revision, cache_dir=hf_hub_cache(), local_files_only=True
        )
    except (LocalEntryNotFoundError, FileNotFoundError, ValueError, OSError):
        return None
    return Path(path)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def folder_family(folder: Path) -> tuple[str | None, bool]:
    """(family, is_inpainting) of a diffusers folder, from its UNet config and pipeline class."""
    unet = _read_json(folder / "unet" / "config.json")
    index = _read_json(folder / "model_index.json")
    cls = str(index.get("_class_name", ""))
    cross = unet.get("cross_attention_dim")
    inpainting = unet.get("in_channels") == 9
    if unet.get("addition_embed_type") == "text_time" or cross == 2048 or "XL" in cls:
        return "sdxl", inpainting
    if cross == 1024:
        return "sd2", inpainting
    if cross == 768 or cls.startswith("StableDiffusion"):
        # Small test models have other widths; their pipeline class still says SD 1.x.
        return "sd1", inpainting
    return None, inpainting


def single_file_family(path: Path) -> tuple[str | None, bool]:
    """(family, is_inpainting) of an original (LDM-layout) checkpoint, from its tensor names."""
    header = read_safetensors_header(path)
    keys = [k for k in header if k != "__metadata__"]
    if any(k.startswith("conditioner.embedders.1.") for k in keys):
        family = "sdxl"
    elif any(k.startswith("cond_stage_model.model.") for k in keys):
        family = "sd2"  # OpenCLIP ViT-H text encoder
    elif any(k.startswith("cond_stage_model.transformer.") for k in keys):
        family = "sd1"  # OpenAI CLIP ViT-L text encoder
    else:
        family = None
    conv_in = header.get("model.diffusion_model.input_blocks.0.0.weight")
    shape = conv_in.get("shape") if isinstance(conv_in, dict) else None
    inpainting = bool(shape) and len(shape) == 4 and shape[1] == 9
    return family, inpainting


def _diffusers_source(ref: str, kind: str, folder: Path, name: str) -> ModelSource:
    family, inpainting = folder_family(folder)
    return ModelSource(ref=ref, kind=kind, path=folder, name=name, family=family,
                       is_inpainting=inpainting)


def _single_file_source(ref: str, path: Path) -> ModelSource:
    check_weights_file(path)
    family, inpainting = single_file_family(path)
    return ModelSource(ref=ref, kind="single_file", path=path.resolve(), name=path.stem,
                       family=family, is_inpainting=inpainting)


def resolve_model(ref: str, settings: Settings | None = None) -> ModelSource:
    """Find `ref` as a local folder, a local file, a name in the models folder or a cached repo."""
    if not isinstance(ref, str) or not ref.strip():
        raise ModelNotFound(f"Model reference must be a non-empty string, got {ref!r}.")
    settings = settings or Settings.from_env()
    path = Path(ref).expanduser()
    # 1. A diffusers folder or 2. a single file, named by path.
    if path.is_dir():
        if (path / "model_index.json").is_file():
            return _diffusers_source(ref, "diffusers", path.resolve(), path.name)
        raise ModelNotFound(
            f"Folder {path} is not a diffusers model (it has no model_index.json); pass a "
            "diffusers folder or a .safetensors checkpoint."
        )
    if path.is_file():
        return _single_file_source(ref, path)
    # 3. A name in STUDIOLO_HOME/models.
    models_dir = settings.models_dir
    named = models_dir / ref
    if (named / "model_index.json").is_file():
        return _diffusers_source(ref, "diffusers", named.resolve(), ref)
    for candidate in (named, models_dir / f"{ref}.safetensors"):
        if candidate.is_file():
            return _single_file_source(ref, candidate)
    # 4. A repo id in the HF cache.
    cache = hf_hub_cache()
    if REPO_ID.match(ref):
        snapshot = cached_snapshot(ref)
        if snapshot is not None:
            if not (snapshot / "model_index.json").is_file():
                raise ModelNotFound(
                    f"Model {ref!r} is in the Hugging Face cache ({snapshot}) but is not a "
                    "diffusers pipeline (no model_index.json)."
                )
            return _diffusers_source(ref, "hub", snapshot, ref)
        get = f"download it once with `studiolo models pull {ref}`"
    else:
        get = (f"put a diffusers folder or {ref}.safetensors in {models_dir}, or download a "
               "hub model once with `studiolo models pull ORG/NAME`")
    raise ModelNotFound(
        f"Model {ref!r} is not a local file or folder and is not in the Hugging Face cache "
        f"(looked in ./{ref}, {models_dir}, {cache}); {get}."
    )


