"""A trained LoRA as one `.safetensors` file in the kohya/AUTOMATIC1111 layout.

The layout is the one kohya's sd-scripts writes and every UI reads (A1111,
ComfyUI, InvokeAI, diffusers' `load_lora_weights`): for each adapted Linear
layer, named by its module path with dots turned into underscores,

    lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight  (r, in)
    lora_unet_..._to_q.lora_up.weight                                                     (out, r)
    lora_unet_..._to_q.alpha                                                              scalar

with `lora_te_` in place of `lora_unet_` for the text encoder. The update is
`W + weight * (alpha / r) * up @ down`, the same as peft's `lora_B @ lora_A`
scaled by `lora_alpha / r`, so peft's A and B are written as they are.

The header carries kohya's `ss_*` training metadata (read back by
`studiolo.models.lora.lora_metadata` and the credit ledger), the Stability AI
`modelspec.*` keys, and `studiolo.training_images`: the sha256 of every image
the LoRA learnt from (its consent trail; the file names stay private).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from studiolo.core.atomic import write_atomic

_PEFT_PARAM = re.compile(r"^(?P<module>.+)\.lora_(?P<ab>[AB])\.(?:[^.]+\.)?weight$")
# The architecture names of the SAI model spec (https://github.com/Stability-AI/ModelSpec).
ARCHITECTURES = {"sd_v1": "stable-diffusion-v1", "sd_v2": "stable-diffusion-v2-512",
                 "sd_v2_768_v": "stable-diffusion-v2-768-v"}


def kohya_name(component: str, module: str) -> str:
    """`lora_unet_down_blocks_0_..._to_q` for the UNet module `down_blocks.0....to_q`."""
    prefix = {"unet": "lora_unet_", "text_encoder": "lora_te_"}[component]
    return prefix + module.replace(".", "_")


def to_kohya(
    named: Mapping[str, Mapping[str, torch.Tensor]], alpha: float
) -> dict[str, torch.Tensor]:
    """peft LoRA parameters by component ({"unet": {name: tensor}}) -> kohya tensors.

    Names are peft's, with or without the adapter name
    (`...to_q.lora_A.default.weight` or `...to_q.lora_A.weight`).
    """
    out: dict[str, torch.Tensor] = {}
    for component, params in named.items():
        for name, value in params.items():
            found = _PEFT_PARAM.match(name)
            if not found:
                raise ValueError(f"Not a peft LoRA parameter name: {name!r}.")
            key = kohya_name(component, found["module"])
            part = "lora_down" if found["ab"] == "A" else "lora_up"
            out[f"{key}.{part}.weight"] = value.detach().to("cpu", torch.float32).contiguous()
            out[f"{key}.alpha"] = torch.tensor(float(alpha))
    return out


def tag_frequency(captions: Iterable[str]) -> dict[str, int]:
    """How often each comma-separated tag appears in the captions (kohya's `ss_tag_frequency`)."""
    counts: Counter[str] = Counter()
    for caption in captions:
        counts.update(t.strip() for t in caption.split(",") if t.strip())
    return dict(counts)


def base_model_version(family: str | None, prediction_type: str, resolution: int) -> str:
    """kohya's `ss_base_model_version`: sd_v1, sd_v2 or sd_v2_768_v."""
    if family == "sd2":
        return "sd_v2_768_v" if prediction_type == "v_prediction" and resolution >= 768 else "sd_v2"
    return "sd_v1"


def lora_metadata_for(
    *,
    name: str,
    trigger: str,
    folder: Path,
    captions: Sequence[str],
    image_hashes: Sequence[str],
    model_name: str,
    model_hash: str | None,
    family: str | None,
    prediction_type: str,
    rank: int,
    alpha: float,
    steps: int,
    learning_rate: float,
    resolution: int,
    batch_size: int,
    seed: int,
    train_text_encoder: bool,
    prior_prompt: str | None,
    prior_images: int,
    prior_weight: float,
    author: str,
    started: datetime,
    version: str,
) -> dict[str, str]:
    """The header metadata (all strings, as safetensors wants) of a LoRA studiolo trained."""
    version_key = base_model_version(family, prediction_type, resolution)
    comment = (f"Trained with studiolo {version} on {len(image_hashes)} images; "
               f"trigger word: {trigger}")
    if prior_prompt:
        comment += f"; prior preservation with {prior_images} images of {prior_prompt!r}"
    now = datetime.now(UTC)
    meta: dict[str, Any] = {
        # kohya sd-scripts (train_network.py) keys
        "ss_network_module": "networks.lora",
        "ss_network_dim": rank,
        "ss_network_alpha": _number(alpha),
        "ss_network_train_unet_only": not train_text_encoder,
        "ss_output_name": name,
        "ss_steps": steps,
        "ss_max_train_steps": steps,
        "ss_learning_rate": learning_rate,
        "ss_unet_lr": learning_rate,
        "ss_text_encoder_lr": learning_rate if train_text_encoder else 0,
        "ss_lr_scheduler": "constant",
        "ss_optimizer": "torch.optim.AdamW",
        "ss_max_grad_norm": 1.0,
        "ss_mixed_precision": "no",
        "ss_seed": seed,
        "ss_batch_size_per_device": batch_size,
        "ss_resolution": f"({resolution}, {resolution})",
        "ss_num_train_images": len(image_hashes),
        "ss_num_reg_images": prior_images if prior_prompt else 0,
        "ss_prior_loss_weight": prior_weight if prior_prompt else 0.0,
        "ss_tag_frequency": json.dumps({folder.name: tag_frequency(captions)}, ensure_ascii=False),
        "ss_dataset_dirs": json.dumps({folder.name: {"n_repeats": 1, "img_count": len(captions)}},
                                      ensure_ascii=False),
        "ss_base_model_version": version_key,
        "ss_v2": family == "sd2",
        "ss_sd_model_name": model_name,
        "ss_new_sd_model_hash": model_hash or "",
        "ss_training_comment": comment,
        "ss_training_started_at": started.timestamp(),
        "ss_training_finished_at": now.timestamp(),
        # Stability AI model spec
        "modelspec.sai_model_spec": "1.0.0",
        "modelspec.architecture": f"{ARCHITECTURES[version_key]}/lora",
        "modelspec.implementation": "diffusers",
        "modelspec.title": name,
        "modelspec.author": author,
        "modelspec.description": comment,
        "modelspec.date": now.date().isoformat(),
        "modelspec.resolution": f"{resolution}x{resolution}",
        "modelspec.prediction_type": "v" if prediction_type == "v_prediction" else "epsilon",
        "modelspec.trigger_phrase": trigger,
        "modelspec.usage_hint": f"Put {trigger!r} in the prompt.",
        # studiolo: the credit and consent trail
        "studiolo.trigger": trigger,
        "studiolo.training_images": json.dumps(sorted(image_hashes)),
        "studiolo.version": version,
    }
    return {key: _text(value) for key, value in meta.items()}


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"  # kohya writes Python's str(bool)
    return str(value)


def save_safetensors(tensors: Mapping[str, torch.Tensor], path: Path,
                     metadata: Mapping[str, str] | None = None) -> Path:
    """Write `tensors` to `path` through a temporary name, so no half file is ever left."""
    from safetensors.torch import save

    data = save({k: v.contiguous() for k, v in tensors.items()}, metadata=dict(metadata or {}))
    return write_atomic(path, data)
