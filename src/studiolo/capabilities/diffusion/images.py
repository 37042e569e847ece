"""Pictures in and out of the diffusion engine: resizing, outpaint padding, compositing.

Kept apart from engines/diffusion.py so that file reads as the pipeline steps.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from studiolo.core.engine import Request


class OutpaintSides(BaseModel):
    """Pixels to add on each side (multiples of 8, so the latents stay whole)."""

    model_config = ConfigDict(extra="forbid")
    left: int = Field(0, ge=0, le=2048)
    right: int = Field(0, ge=0, le=2048)
    top: int = Field(0, ge=0, le=2048)
    bottom: int = Field(0, ge=0, le=2048)

    @field_validator("left", "right", "top", "bottom")
    @classmethod
    def _multiple_of_8(cls, value: int) -> int:
        if value % 8:
            raise ValueError(f"has to be a multiple of 8 but is {value}")
        return value


def prepare_images(request: Request, options: Any):
    """(init, mask, width, height) as the pipeline needs them, after resize or outpaint padding."""
    from PIL import Image

    recipe = request.recipe
    init, mask = request.images.get("init"), request.images.get("mask")
    if recipe.mode == "txt2img":
        return None, None, recipe.width, recipe.height
    init = init.convert("RGB")
    if recipe.mode == "outpaint":
        init, mask = pad_for_outpaint(init, options.outpaint, options.mask_blur)
        return init, mask, init.width, init.height
    size = (recipe.width, recipe.height)
    if init.size != size:  # A1111's "just resize"
        init = init.resize(size, Image.LANCZOS)
    if mask is not None:
        mask = mask.convert("L").resize(size, Image.NEAREST)
    return init, mask, size[0], size[1]


def pad_for_outpaint(image, sides: Any, blur: int):
    """The image on a larger canvas, the new border filled by edge-extension and blurred,
    and a mask that is white on the border and reaches `blur` pixels into the image so the
    seam gets repainted too."""
    import numpy as np
    from PIL import Image, ImageFilter

    pixels = np.asarray(image)
    padded = np.pad(
        pixels, ((sides.top, sides.bottom), (sides.left, sides.right), (0, 0)), mode="edge"
    )
    canvas = Image.fromarray(padded).filter(ImageFilter.GaussianBlur(max(padded.shape[:2]) / 16))
    canvas.paste(image, (sides.left, sides.top))
    mask = Image.new("L", canvas.size, 255)
    inner = (
        sides.left + (blur if sides.left else 0),
        sides.top + (blur if sides.top else 0),
        sides.left + image.width - (blur if sides.right else 0),
        sides.top + image.height - (blur if sides.bottom else 0),
    )
    mask.paste(0, inner)
    return canvas, mask


def composite(original, generated, mask, blur: int):
    """The generated picture where the mask is white, the original elsewhere, feathered."""
    from PIL import Image, ImageFilter

    soft = mask.convert("L")
    if blur:
        soft = soft.filter(ImageFilter.GaussianBlur(blur / 2))
    if original.size != generated.size:
        original = original.resize(generated.size, Image.LANCZOS)
    return Image.composite(generated, original.convert("RGB"), soft.resize(generated.size))
