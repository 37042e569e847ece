"""The Studio's `portrait` verb: a photo in a painting's style, the face kept, via `Studio.run`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studiolo.core.maker import Maker
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, Recipe
from studiolo.features.styles import is_style_image, style_source


def portrait(
    studio: Maker,
    photo: Any,
    style: Any,
    *,
    strength: float = 0.9,
    face_strength: float = 0.45,
    whole_picture_if_no_face: bool = False,
    options: Mapping[str, Any] | None = None,
    progress: ProgressCallback = no_progress,
) -> list[Artwork]:
    """A photo of a person in a painting's style, the face kept recognisable."""
    images: dict[str, Any] = {"init": photo}
    opts = {**dict(options or {}), "strength": strength, "face_strength": face_strength,
            "whole_picture_if_no_face": whole_picture_if_no_face}
    if is_style_image(style):
        images["style"] = style_source(style)
    else:
        opts["style"] = str(style)
    recipe = Recipe(engine="portrait", mode="portrait", seed=0, steps=1, guidance=0.0,
                    strength=strength, options=opts)
    return studio.run(recipe, images, progress=progress, parents=studio.parents_of(photo))
