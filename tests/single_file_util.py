"""Write a tiny SD 1.x diffusers folder as an original LDM-layout single-file checkpoint.

The inverse of diffusers' own single-file conversion
(`diffusers/loaders/single_file_utils.py`: `convert_ldm_unet_checkpoint`,
`convert_ldm_vae_checkpoint`, `convert_ldm_clip_checkpoint`), so tests can make
the kind of file A1111 and Civitai share without downloading one:
UNet under `model.diffusion_model.*`, VAE under `first_stage_model.*`, the CLIP
text encoder under `cond_stage_model.transformer.text_model.*`.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

# diffusers ResNet names -> LDM ResBlock names (UNet).
_UNET_RESNET = (
    ("norm1", "in_layers.0"),
    ("conv1", "in_layers.2"),
    ("norm2", "out_layers.0"),
    ("conv2", "out_layers.3"),
    ("time_emb_proj", "emb_layers.1"),
    ("conv_shortcut", "skip_connection"),
)
_UNET_FIXED = {
    "time_embedding.linear_1": "time_embed.0",
    "time_embedding.linear_2": "time_embed.2",
    "conv_in": "input_blocks.0.0",
    "conv_norm_out": "out.0",
    "conv_out": "out.2",
}
_VAE_FIXED = {
    "encoder.conv_in": "encoder.conv_in",
    "encoder.conv_out": "encoder.conv_out",
    "encoder.conv_norm_out": "encoder.norm_out",
    "decoder.conv_in": "decoder.conv_in",
    "decoder.conv_out": "decoder.conv_out",
    "decoder.conv_norm_out": "decoder.norm_out",
    "quant_conv": "quant_conv",
    "post_quant_conv": "post_quant_conv",
}
_VAE_ATTN = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}


def _resnet(rest: str) -> str:
    for new, old in _UNET_RESNET:
        if rest.startswith(new + "."):
            return old + rest[len(new):]
    return rest


def unet_to_ldm(state: dict[str, torch.Tensor], layers_per_block: int) -> dict[str, torch.Tensor]:
    """diffusers UNet2DConditionModel state dict -> LDM `model.diffusion_model.*` keys."""
    per = layers_per_block + 1  # resnets per level, plus the down/upsampler slot
    has_up_attention = {k.split(".")[1] for k in state if k.startswith("up_blocks.") and ".attentions." in k}
    out = {}
    for key, value in state.items():
        parts = key.split(".")
        stem, _, leaf = key.rpartition(".")
        if stem in _UNET_FIXED:
            new = f"{_UNET_FIXED[stem]}.{leaf}"
        elif parts[0] == "down_blocks":
            b, kind = int(parts[1]), parts[2]
            rest = ".".join(parts[4:])
            if kind == "resnets":
                new = f"input_blocks.{1 + b * per + int(parts[3])}.0.{_resnet(rest)}"
            elif kind == "attentions":
                new = f"input_blocks.{1 + b * per + int(parts[3])}.1.{rest}"
            else:  # downsamplers.0.conv.weight
                new = f"input_blocks.{1 + b * per + layers_per_block}.0.op.{parts[-1]}"
        elif parts[0] == "mid_block":
            index = {"resnets.0": 0, "attentions.0": 1, "resnets.1": 2}[".".join(parts[1:3])]
            rest = ".".join(parts[3:])
            new = f"middle_block.{index}.{_resnet(rest) if parts[1] == 'resnets' else rest}"
        elif parts[0] == "up_blocks":
            b, kind = int(parts[1]), parts[2]
            rest = ".".join(parts[4:])
            if kind == "resnets":
                new = f"output_blocks.{b * per + int(parts[3])}.0.{_resnet(rest)}"
            elif kind == "attentions":
                new = f"output_blocks.{b * per + int(parts[3])}.1.{rest}"
            else:  # upsamplers.0.conv.*: after the attention when the block has one
                slot = 2 if parts[1] in has_up_attention else 1
                new = f"output_blocks.{b * per + layers_per_block}.{slot}.conv.{parts[-1]}"
        else:
            raise KeyError(f"unexpected UNet key {key}")
        out["model.diffusion_model." + new] = value
    return out


def vae_to_ldm(state: dict[str, torch.Tensor], num_blocks: int) -> dict[str, torch.Tensor]:
    """diffusers AutoencoderKL state dict -> LDM `first_stage_model.*` keys."""
    out = {}
    for key, value in state.items():
        parts = key.split(".")
        stem, _, leaf = key.rpartition(".")
        if stem in _VAE_FIXED:
            new = f"{_VAE_FIXED[stem]}.{leaf}"
        elif parts[1] in ("down_blocks", "up_blocks"):
            side, i = parts[0], int(parts[2])
            level = i if side == "encoder" else num_blocks - 1 - i  # LDM numbers decoder levels upward
            word = "down" if side == "encoder" else "up"
            if parts[3] == "resnets":
                rest = ".".join(parts[5:]).replace("conv_shortcut", "nin_shortcut")
                new = f"{side}.{word}.{level}.block.{parts[4]}.{rest}"
            else:  # downsamplers.0.conv.* / upsamplers.0.conv.*
                new = f"{side}.{word}.{level}.{'downsample' if side == 'encoder' else 'upsample'}.conv.{leaf}"
        elif parts[1] == "mid_block" and parts[2] == "resnets":
            rest = ".".join(parts[4:]).replace("conv_shortcut", "nin_shortcut")
            new = f"{parts[0]}.mid.block_{int(parts[3]) + 1}.{rest}"
        elif parts[1] == "mid_block" and parts[2] == "attentions":
            inner = ".".join(parts[4:-1])
            new = f"{parts[0]}.mid.attn_1.{_VAE_ATTN[inner]}.{leaf}"
            if leaf == "weight" and value.ndim == 2:
                value = value[:, :, None, None]  # LDM's attention uses 1x1 convolutions
        else:
            raise KeyError(f"unexpected VAE key {key}")
        out["first_stage_model." + new] = value
    return out


def clip_to_ldm(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """transformers CLIPTextModel state dict -> `cond_stage_model.transformer.text_model.*`."""
    out = {}
    for key, value in state.items():
        key = key if key.startswith("text_model.") else "text_model." + key
        out["cond_stage_model.transformer." + key] = value
    return out


def diffusers_to_single_file(folder: Path, target: Path) -> Path:
    """Write the SD 1.x diffusers `folder` as one LDM-layout safetensors file at `target`."""
    folder = Path(folder)
    unet_config = json.loads((folder / "unet" / "config.json").read_text())
    vae_config = json.loads((folder / "vae" / "config.json").read_text())
    weights = {}
    weights.update(unet_to_ldm(load_file(folder / "unet" / "diffusion_pytorch_model.safetensors"),
                               unet_config["layers_per_block"]))
    weights.update(vae_to_ldm(load_file(folder / "vae" / "diffusion_pytorch_model.safetensors"),
                              len(vae_config["down_block_types"])))
    weights.update(clip_to_ldm(load_file(folder / "text_encoder" / "model.safetensors")))
    weights = {k: v.contiguous() for k, v in weights.items()}
    save_file(weights, str(target), metadata={"modelspec.architecture": "stable-diffusion-v1"})
    return Path(target)
