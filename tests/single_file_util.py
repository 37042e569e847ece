"""Write a tiny diffusers folder as an original LDM-layout single-file checkpoint.

The inverse of diffusers' own single-file conversion
(`diffusers/loaders/single_file_utils.py`: `convert_ldm_unet_checkpoint`,
`convert_ldm_vae_checkpoint`, `convert_ldm_clip_checkpoint`,
`convert_open_clip_checkpoint`), so tests can make the kind of file A1111 and
Civitai share without downloading one. UNet under `model.diffusion_model.*`
(SDXL's added embedding as `label_emb.0.*`), VAE under `first_stage_model.*`, and
the text encoders where each family keeps them:

- SD 1.x: OpenAI CLIP under `cond_stage_model.transformer.text_model.*`;
- SD 2.x: OpenCLIP under `cond_stage_model.model.*` (fused q/k/v `in_proj`);
- SDXL: CLIP under `conditioner.embedders.0.transformer.text_model.*` and
  OpenCLIP (with its projection) under `conditioner.embedders.1.model.*`.
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
    "add_embedding.linear_1": "label_emb.0.0",  # SDXL's text_time embedding
    "add_embedding.linear_2": "label_emb.0.2",
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


_OPEN_CLIP_LAYER = (
    ("self_attn.out_proj.", "attn.out_proj."),
    ("layer_norm1.", "ln_1."),
    ("layer_norm2.", "ln_2."),
    ("mlp.fc1.", "mlp.c_fc."),
    ("mlp.fc2.", "mlp.c_proj."),
)


def open_clip_to_ldm(state: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """transformers CLIPTextModel(WithProjection) state dict -> OpenCLIP keys under `prefix`."""
    out, qkv = {}, {}
    for key, value in state.items():
        key = key.removeprefix("text_model.")
        if key == "text_projection.weight":
            out[prefix + "text_projection"] = value.T.contiguous()  # OpenCLIP multiplies x @ P
        elif key == "embeddings.token_embedding.weight":
            out[prefix + "token_embedding.weight"] = value
        elif key == "embeddings.position_embedding.weight":
            out[prefix + "positional_embedding"] = value
        elif key.startswith("final_layer_norm."):
            out[prefix + "ln_final." + key.rsplit(".", 1)[1]] = value
        elif key.startswith("encoder.layers."):
            index, rest = key.removeprefix("encoder.layers.").split(".", 1)
            block = f"{prefix}transformer.resblocks.{index}."
            if rest.startswith("self_attn.") and rest.split(".")[1] in ("q_proj", "k_proj", "v_proj"):
                _, proj, leaf = rest.split(".")
                qkv.setdefault((block, leaf), {})[proj] = value
                continue
            for new, old in _OPEN_CLIP_LAYER:
                if rest.startswith(new):
                    rest = old + rest[len(new):]
                    break
            else:
                raise KeyError(f"unexpected text encoder key {key}")
            out[block + rest] = value
        elif key != "embeddings.position_ids":
            raise KeyError(f"unexpected text encoder key {key}")
    for (block, leaf), parts in qkv.items():  # OpenCLIP fuses q, k and v into one projection
        fused = torch.cat([parts["q_proj"], parts["k_proj"], parts["v_proj"]])
        out[f"{block}attn.in_proj_{leaf}"] = fused
    return out


def _load(folder: Path, name: str) -> dict[str, torch.Tensor]:
    file = "model.safetensors" if name.startswith("text_encoder") else "diffusion_pytorch_model.safetensors"
    return load_file(folder / name / file)


def diffusers_to_single_file(folder: Path, target: Path, family: str | None = None) -> Path:
    """Write diffusers `folder` as one LDM-layout safetensors file at `target`.

    `family` ("sd1", "sd2" or "sdxl") says where the text encoders go; by
    default SDXL when the folder has a second text encoder, else SD 1.x.
    """
    folder = Path(folder)
    family = family or ("sdxl" if (folder / "text_encoder_2").is_dir() else "sd1")
    unet_config = json.loads((folder / "unet" / "config.json").read_text())
    vae_config = json.loads((folder / "vae" / "config.json").read_text())
    weights = {}
    weights.update(unet_to_ldm(_load(folder, "unet"), unet_config["layers_per_block"]))
    weights.update(vae_to_ldm(_load(folder, "vae"), len(vae_config["down_block_types"])))
    text = _load(folder, "text_encoder")
    if family == "sd1":
        weights.update(clip_to_ldm(text))
    elif family == "sd2":
        weights.update(open_clip_to_ldm(text, "cond_stage_model.model."))
    elif family == "sdxl":
        weights.update({k.replace("cond_stage_model.", "conditioner.embedders.0.", 1): v
                        for k, v in clip_to_ldm(text).items()})
        weights.update(open_clip_to_ldm(_load(folder, "text_encoder_2"), "conditioner.embedders.1.model."))
    else:
        raise ValueError(f"`family` must be 'sd1', 'sd2' or 'sdxl', got {family!r}")
    weights = {k: v.contiguous() for k, v in weights.items()}
    arch = {"sd1": "stable-diffusion-v1", "sd2": "stable-diffusion-v2-512", "sdxl": "stable-diffusion-xl-v1-base"}
    save_file(weights, str(target), metadata={"modelspec.architecture": arch[family]})
    return Path(target)


def fake_hub_snapshot(cache: Path, repo_id: str, folder: Path) -> Path:
    """Lay `folder` out in the Hugging Face cache `cache` as `repo_id`, as huggingface_hub does."""
    import hashlib
    import os

    repo = cache / ("models--" + repo_id.replace("/", "--"))
    commit = hashlib.sha1(repo_id.encode()).hexdigest()
    snapshot = repo / "snapshots" / commit
    for f in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        data = f.read_bytes()
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = snapshot / f.relative_to(folder)
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(os.path.relpath(blob, link.parent))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot
