"""The denoising loop every diffusion image takes, and its progress: one public function.

`denoise(pipe, ...)` is step 7 of the diffusion engine (txt2img, img2img, inpaint,
outpaint) and what the journey capability calls for each frame, so the loop lives
in one place. Progress is a plain dict per step, with a cheap latent preview about
every eighth step (`previews.latent_preview`).
"""

from __future__ import annotations

from typing import Any

from studiolo.core.progress import ProgressCallback, no_progress


def progress_callback(progress: ProgressCallback, image: int, images: int, steps: int,
                      sdxl: bool) -> Any:
    """A diffusers `callback_on_step_end` that reports "denoise" events to `progress`."""
    from studiolo.capabilities.diffusion.previews import latent_preview

    def on_step_end(pipe: Any, i: int, t: Any, tensors: dict) -> dict:
        total = getattr(pipe, "num_timesteps", None) or steps
        # A preview about every eighth step and at the end: cheap, but not free.
        every = max(1, total // 8)
        preview = None
        if (i + 1) % every == 0 or i + 1 == total:
            preview = latent_preview(tensors["latents"], sdxl=sdxl)
        progress(
            {"stage": "denoise", "step": i + 1, "total": total, "preview": preview,
             "image": image + 1, "images": images}
        )
        return tensors

    return on_step_end


def denoise(pipe: Any, *, steps: int, guidance: float, generator: Any,
            progress: ProgressCallback = no_progress, image_index: int = 0, images: int = 1,
            **kwargs: Any) -> Any:
    """One PIL image from `pipe` (latents or image, embeddings, sizes in `kwargs`)."""
    import torch

    sdxl = getattr(pipe, "text_encoder_2", None) is not None
    callback = progress_callback(progress, image_index, images, steps, sdxl)
    with torch.inference_mode():
        return pipe(
            num_inference_steps=steps,
            guidance_scale=guidance,
            generator=generator,
            callback_on_step_end=callback,
            output_type="pil",
            **kwargs,
        ).images[0]
