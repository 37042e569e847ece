"""Single-file checkpoints (the original LDM layout A1111 and Civitai use).

A single file holds the weights but not the configs, tokenizers and scheduler
a diffusers pipeline needs; those come from a "config folder": one the caller
names, else the cached base repo of the checkpoint's family. Nothing is
downloaded here: a missing base repo is a `ModelNotFound` that says how to get it.
"""

from __future__ import annotations

from pathlib import Path

import torch

from studiolo.core.errors import ModelError, ModelNotFound
from studiolo.models.refs import (
    BASE_REPOS,
    INPAINT_BASE_REPOS,
    ModelSource,
    cached_snapshot,
    hf_hub_cache,
)
from studiolo.models.safety import check_weights_file


def config_folder_for(source: ModelSource, config: str | Path | None = None) -> Path:
    """The folder of configs to build `source` with: `config` if given, else the cached base repo."""
    if config is not None:
        folder = Path(config).expanduser()
        if (folder / "model_index.json").is_file():
            return folder
        snapshot = cached_snapshot(str(config))
        if snapshot is not None and (snapshot / "model_index.json").is_file():
            return snapshot
        raise ModelNotFound(
            f"Config {str(config)!r} for {source.path.name} is neither a diffusers folder nor a "
            f"cached repo (looked in {hf_hub_cache()}); pass a diffusers folder of the same family."
        )
    if source.family is None:
        raise ModelError(
            f"{source.path} is not a recognised Stable Diffusion checkpoint (no SD 1.x, SD 2.x or "
            "SDXL text encoder keys); pass `config=` with a diffusers folder of its family."
        )
    repos = INPAINT_BASE_REPOS if source.is_inpainting else BASE_REPOS
    repo = repos[source.family]
    snapshot = cached_snapshot(repo)
    if snapshot is None:
        raise ModelNotFound(
            f"Single-file checkpoint {source.path.name} ({source.family}) needs the configs of "
            f"{repo!r}, which are not in the Hugging Face cache (looked in {hf_hub_cache()}); "
            f"download them once with `studiolo models pull {repo}`."
        )
    return snapshot


def load_single_file(
    source: ModelSource, *, dtype: torch.dtype = torch.float32, config: str | Path | None = None
):
    """Build the txt2img (or inpainting) pipeline of a single-file checkpoint, offline."""
    from diffusers import (
        StableDiffusionInpaintPipeline,
        StableDiffusionPipeline,
        StableDiffusionXLInpaintPipeline,
        StableDiffusionXLPipeline,
    )

    check_weights_file(source.path)
    folder = config_folder_for(source, config)
    xl = source.family == "sdxl"
    if source.is_inpainting:
        cls = StableDiffusionXLInpaintPipeline if xl else StableDiffusionInpaintPipeline
    else:
        cls = StableDiffusionXLPipeline if xl else StableDiffusionPipeline
    kwargs = {} if xl else {"safety_checker": None, "requires_safety_checker": False}
    return cls.from_single_file(
        str(source.path), config=str(folder), local_files_only=True, dtype=dtype, **kwargs
    )
