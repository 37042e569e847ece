"""Build a diffusers pipeline from a resolved model source, offline, safetensors only.

Every weights file is checked by content (`safety.check_model_folder` /
`check_weights_file`) before diffusers opens it, and diffusers is told
`use_safetensors=True` so it never falls back to a pickle.
"""

from __future__ import annotations

from pathlib import Path

import torch

from studiolo.core.errors import InvalidArgument
from studiolo.models.refs import ModelSource
from studiolo.models.safety import check_model_folder
from studiolo.models.single_file import load_single_file

MODES = ("txt2img", "img2img", "inpaint")


def _load_folder(source: ModelSource, dtype: torch.dtype):
    from diffusers import DiffusionPipeline

    check_model_folder(source.path)
    kwargs = {}
    if "safety_checker" in (source.path / "model_index.json").read_text("utf-8"):
        # We never run the NSFW checker that some repos list; studiolo has its own filter.
        kwargs = {"safety_checker": None, "requires_safety_checker": False}
    return DiffusionPipeline.from_pretrained(
        source.path, dtype=dtype, local_files_only=True, use_safetensors=True, **kwargs
    )


def load_pipeline(
    source: ModelSource,
    *,
    dtype: torch.dtype = torch.float32,
    mode: str = "txt2img",
    config: str | Path | None = None,
):
    """Load the pipeline of `source` for `mode` on the CPU in `dtype`, offline.

    `mode` "img2img" / "inpaint" reuses the same components (`from_pipe`), so
    switching modes costs no second load. `config` is the diffusers folder (or
    cached repo id) that gives a single-file checkpoint its configs.
    """
    if mode not in MODES:
        raise InvalidArgument(f"`mode` must be one of {MODES}, got {mode!r}.")
    if source.kind == "single_file":
        pipe = load_single_file(source, dtype=dtype, config=config)
    elif source.kind in ("diffusers", "hub"):
        pipe = _load_folder(source, dtype)
    else:
        raise InvalidArgument(
            f"`source.kind` must be 'diffusers', 'hub' or 'single_file', got {source.kind!r}."
        )
    return pipeline_for_mode(pipe, mode)


def pipeline_for_mode(pipe, mode: str):
    """The pipeline for `mode` sharing `pipe`'s components (no copy of the weights)."""
    from diffusers import (
        AutoPipelineForImage2Image,
        AutoPipelineForInpainting,
        AutoPipelineForText2Image,
    )

    if mode not in MODES:
        raise InvalidArgument(f"`mode` must be one of {MODES}, got {mode!r}.")
    auto = {
        "txt2img": AutoPipelineForText2Image,
        "img2img": AutoPipelineForImage2Image,
        "inpaint": AutoPipelineForInpainting,
    }[mode]
    name = type(pipe).__name__
    already = {
        "txt2img": not any(w in name for w in ("Img2Img", "Inpaint")),
        "img2img": "Img2Img" in name,
        "inpaint": "Inpaint" in name,
    }[mode]
    return pipe if already else auto.from_pipe(pipe)
