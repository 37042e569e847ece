"""Fetch a hub model into the Hugging Face cache, safetensors only, for offline use after.

This is the one place studiolo reaches the network for weights, and only when
a person asks (`studiolo models pull ORG/NAME`).
"""

from __future__ import annotations

import os
from pathlib import Path

from studiolo.core.errors import InvalidArgument, ModelError, ModelNotFound
from studiolo.core.settings import Settings
from studiolo.models.refs import REPO_ID, hf_hub_cache

# Configs, tokenizers and safe weights; never .bin / .ckpt / .pt pickles.
ALLOW_PATTERNS = ["*.json", "*.txt", "*.model", "*.safetensors", "*.onnx", "*.onnx_data", "*.md"]
_TRUE = {"1", "true", "yes", "on"}


def _offline() -> bool:
    return any(os.environ.get(v, "").strip().lower() in _TRUE
               for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _offline_error(repo_id: str, why: str) -> ModelError:
    return ModelError(
        f"Cannot download {repo_id!r}: {why}; run `studiolo models pull {repo_id}` on a "
        f"connected machine and copy its Hugging Face cache ({hf_hub_cache()}) here."
    )


def allow_patterns(variant: str | None = None) -> list[str]:
    if variant is None:
        return list(ALLOW_PATTERNS)
    # diffusers names variant weights "diffusion_pytorch_model.fp16.safetensors".
    return [p for p in ALLOW_PATTERNS if p != "*.safetensors"] + [f"*.{variant}.safetensors"]


def pull_model(
    repo_id: str,
    settings: Settings | None = None,
    *,
    revision: str | None = None,
    variant: str | None = None,
) -> Path:
    """Download `repo_id` (safe files only) into the HF cache and return its snapshot folder."""
    if not isinstance(repo_id, str) or not REPO_ID.match(repo_id):
        raise InvalidArgument(f"`repo_id` must look like 'org/name', got {repo_id!r}.")
    if variant is not None and not (variant.isascii() and variant.replace("_", "").isalnum()):
        raise InvalidArgument(f"`variant` must be a short name like 'fp16', got {variant!r}.")
    if _offline():
        raise _offline_error(repo_id, "there is no network here (HF_HUB_OFFLINE is set)")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    try:
        path = snapshot_download(
            repo_id,
            revision=revision,
            cache_dir=hf_hub_cache(),
            allow_patterns=allow_patterns(variant),
        )
    except GatedRepoError:
        raise ModelError(
            f"{repo_id!r} is gated: accept its licence on huggingface.co and log in with "
            "`hf auth login`, then pull again."
        ) from None
    except RepositoryNotFoundError:
        raise ModelNotFound(f"There is no model {repo_id!r} on the Hugging Face hub.") from None
    except RevisionNotFoundError:
        raise ModelNotFound(f"{repo_id!r} has no revision {revision!r}.") from None
    except (OfflineModeIsEnabled, LocalEntryNotFoundError, ConnectionError, OSError) as exc:
        raise _offline_error(repo_id, f"there is no network here ({type(exc).__name__})") from None
    return Path(path)
