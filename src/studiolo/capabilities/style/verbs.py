"""The Studio's `stylize` verb: a picture in one style or a weighted blend, via `Studio.run`."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from studiolo.core.errors import InvalidArgument
from studiolo.core.maker import Maker
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, Recipe
from studiolo.features.styles import is_style_image, style_source


def stylize(
    studio: Maker,
    image: Any,
    styles: Sequence[Any] | Any,
    *,
    weights: Sequence[float] | None = None,
    strength: float = 1.0,
    preserve_colors: bool = False,
    mask: Any = None,
    mask_mode: str | None = None,
    work_side: int | None = None,
    options: Mapping[str, Any] | None = None,
    progress: ProgressCallback = no_progress,
) -> list[Artwork]:
    """Paint `image` in one style or a weighted blend of several.

    Each style is a built-in style name (see `studiolo styles`) or an image
    (a path or a PIL image). `mask` (white = stylise) with `mask_mode`
    "subject" stylises only the white part, "background" only the black.
    """
    if isinstance(styles, (str, bytes, os.PathLike)) or hasattr(styles, "save"):
        styles = [styles]
    styles = list(styles)
    if not styles:
        raise InvalidArgument("`styles` is empty: name at least one style or style image.")
    weights = list(weights) if weights is not None else [1.0] * len(styles)
    if len(weights) != len(styles):
        raise InvalidArgument(
            f"Got {len(weights)} weights for {len(styles)} styles; give one weight per style."
        )
    if mask is not None and mask_mode is None:
        mask_mode = "subject"
    images: dict[str, Any] = {"init": image}
    refs: list[dict[str, Any]] = []
    for i, (style, weight) in enumerate(zip(styles, weights)):
        if is_style_image(style):
            role = "style" if i == 0 else f"style{i + 1}"
            images[role] = style_source(style)
            refs.append({"input": role, "weight": weight})
        else:
            refs.append({"name": str(style), "weight": weight})
    if mask is not None:
        images["mask"] = mask
    opts = {**dict(options or {}), "styles": refs, "strength": strength,
            "preserve_colors": preserve_colors, "mask_mode": mask_mode}
    if work_side is not None:
        opts["work_side"] = work_side
    recipe = Recipe(engine="style", mode="stylize", seed=0, steps=1, guidance=0.0,
                    strength=strength, options=opts)
    return studio.run(recipe, images, progress=progress, parents=studio.parents_of(image))
