"""Build a diffusers pipeline from a resolved model source.

FIRST VERSION (to be extended): diffusers folders only.
"""

from __future__ import annotations

import torch

from .refs import ModelSource


def load_pipeline(source: ModelSource, *, dtype: torch.dtype = torch.float32):
    """Load the text-to-image pipeline of `source` on the CPU in `dtype`, offline."""
    from diffusers import DiffusionPipeline

    return DiffusionPipeline.from_pretrained(
        source.path, torch_dtype=dtype, local_files_only=True, safety_checker=None
    )
