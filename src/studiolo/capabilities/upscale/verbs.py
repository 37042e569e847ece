"""The Studio's `upscale` verb: 2x or 4x with Real-ESRGAN, via `Studio.run`."""

from __future__ import annotations

from typing import Any

from studiolo.core.maker import Maker
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, Recipe


def upscale(
    studio: Maker,
    image: Any,
    *,
    scale: int = 4,
    tile: int | None = None,
    model: str | None = None,
    progress: ProgressCallback = no_progress,
) -> list[Artwork]:
    """Enlarge 2x or 4x with Real-ESRGAN (Lanczos, with a warning, when it is missing)."""
    opts: dict[str, Any] = {"scale": scale}
    if tile is not None:
        opts["tile"] = tile
    if model is not None:
        opts["model"] = model
    recipe = Recipe(engine="upscale", mode="upscale", seed=0, steps=1, guidance=0.0,
                    options=opts)
    return studio.run(recipe, {"init": image}, progress=progress, parents=studio.parents_of(image))
