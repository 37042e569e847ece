"""The math of LoRA training as small functions: per-step seeding, batches, encodings,
the denoising loss, and peft adapters. `lora.py` puts them together."""

from __future__ import annotations

import hashlib
from typing import Any

import torch

UNET_TARGETS = ("to_q", "to_k", "to_v", "to_out.0")
TEXT_TARGETS = ("q_proj", "k_proj", "v_proj", "out_proj")


def step_generator(seed: int, step: int) -> torch.Generator:
    """The CPU generator of step `step`: seeded by (seed, step) alone, so a resumed run draws
    the same noise, timesteps and batches as an uninterrupted one."""
    digest = hashlib.sha256(f"studiolo-lora:{seed}:{step}".encode()).digest()
    return torch.Generator("cpu").manual_seed(int.from_bytes(digest[:8], "little") >> 1)


def batch_indices(count: int, batch_size: int, step: int, seed: int) -> list[int]:
    """The images of step `step`: epochs are shuffled orders of all `count` images (each
    seeded by its epoch number), read `batch_size` at a time."""
    out = []
    for position in range(step * batch_size, (step + 1) * batch_size):
        epoch, offset = divmod(position, count)
        order = torch.randperm(count, generator=step_generator(seed, -1 - epoch))
        out.append(int(order[offset]))
    return out


def randn_on(shape, generator: torch.Generator, device) -> torch.Tensor:
    return torch.randn(shape, generator=generator).to(device)  # drawn on the CPU everywhere


def encode_images(vae, images, batch: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """VAE posterior (mean, std) of PIL RGB images (all the same size): (N, C, h, w) each."""
    import numpy as np

    means, stds = [], []
    device, dtype = vae.device, vae.dtype
    for i in range(0, len(images), batch):
        pixels = np.stack([np.asarray(im.convert("RGB"), dtype=np.float32) for im in images[i:i + batch]])
        x = torch.from_numpy(pixels).permute(0, 3, 1, 2) / 127.5 - 1.0  # (B, 3, H, W) in [-1, 1]
        with torch.no_grad():
            dist = vae.encode(x.to(device, dtype)).latent_dist
        means.append(dist.mean.float())
        stds.append(dist.std.float())
    return torch.cat(means), torch.cat(stds)


def tokenize(tokenizer, prompts: list[str]) -> torch.Tensor:
    if not prompts:
        return torch.zeros((0, tokenizer.model_max_length), dtype=torch.long)
    return tokenizer(prompts, padding="max_length", max_length=tokenizer.model_max_length,
                     truncation=True, return_tensors="pt").input_ids


def denoising_loss(unet, scheduler, latents: torch.Tensor, noise: torch.Tensor,
                   timesteps: torch.Tensor, hidden: torch.Tensor,
                   prediction_type: str = "epsilon") -> torch.Tensor:
    """Per-sample MSE between the UNet's prediction for the noised `latents` and its target:
    the noise (Ho et al. 2020, eq. 14) or v = a_t * noise - s_t * x0 (Salimans & Ho 2022). (B,)"""
    noisy = scheduler.add_noise(latents, noise, timesteps)
    target = noise if prediction_type == "epsilon" else scheduler.get_velocity(latents, noise, timesteps)
    pred = unet(noisy, timesteps, encoder_hidden_states=hidden).sample
    return ((pred.float() - target.float()) ** 2).mean(dim=(1, 2, 3))


def add_lora(module, targets, rank: int, alpha: float, seed: int) -> None:
    """A peft LoRA on `targets` of `module`; B starts at zero, so it changes nothing yet."""
    from peft import LoraConfig

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # A's random init, without touching the caller's RNG
        module.add_adapter(LoraConfig(r=rank, lora_alpha=alpha, target_modules=list(targets),
                                      init_lora_weights=True))


def lora_parameters(modules: dict[str, Any]) -> dict[str, torch.nn.Parameter]:
    """The trainable LoRA parameters by "component.peft name", in a fixed order."""
    return {f"{component}:{name}": p for component, module in modules.items()
            for name, p in module.named_parameters() if p.requires_grad}
