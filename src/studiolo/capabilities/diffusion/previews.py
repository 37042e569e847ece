"""Cheap previews of latents while they denoise: a fixed linear map from 4 latent channels to RGB.

Decoding with the VAE at every step would cost as much as the step itself; a
3x4 matrix fitted once against real VAE decodes (the approximation A1111 and
ComfyUI use for their "approx cheap" previews) gives a blurry but recognisable
picture at 1/8 size for nearly nothing.
"""

from __future__ import annotations

from typing import Any

# Rows are latent channels, columns R, G, B.
_SD_FACTORS = (
    (0.298, 0.207, 0.208),
    (0.187, 0.286, 0.173),
    (-0.158, 0.189, 0.264),
    (-0.184, -0.271, -0.473),
)
_SDXL_FACTORS = (
    (0.3651, 0.4232, 0.4341),
    (-0.2533, -0.0042, 0.1068),
    (0.1076, 0.1111, -0.0362),
    (-0.3165, -0.2492, -0.2188),
)
_SDXL_BIAS = (0.1084, -0.0175, -0.0011)


def latent_preview(latents: Any, *, sdxl: bool = False, index: int = 0) -> Any | None:
    """A small PIL RGB image of `latents[index]` (shape (B, 4, h, w)), or None for other shapes."""
    import numpy as np
    import torch
    from PIL import Image

    if latents.ndim != 4 or latents.shape[1] != 4:
        return None
    factors = torch.tensor(_SDXL_FACTORS if sdxl else _SD_FACTORS, dtype=torch.float32)
    sample = latents[index].detach().to("cpu", torch.float32)  # (4, h, w)
    rgb = torch.einsum("chw,cr->rhw", sample, factors)  # (3, h, w), roughly -1..1
    if sdxl:
        rgb = rgb + torch.tensor(_SDXL_BIAS)[:, None, None]
    pixels = ((rgb.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return Image.fromarray(np.ascontiguousarray(pixels.permute(1, 2, 0).numpy()), "RGB")
