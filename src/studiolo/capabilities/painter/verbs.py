"""The Studio's `paint` verb: the offline painter, a recipe handed to `Studio.run`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studiolo.core.maker import Maker
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork


def paint(
    studio: Maker,
    prompt: str,
    *,
    style: str | None = None,
    strength: float | None = None,
    no_style: bool = False,
    seed: int | None = None,
    width: int = 512,
    height: int = 512,
    batch_size: int = 1,
    progress: ProgressCallback = no_progress,
    taste: Any = None,
    candidates: int | None = None,
    taste_search: bool | Mapping[str, Any] | None = None,
) -> list[Artwork]:
    """The offline painter: a painting of `prompt` with no model download.

    `taste` (a taste profile's name): search the painter's options toward it
    (unless `taste_search` is False; a dict sets the search's rounds,
    population, work_side), paint `candidates` (default 8) with seeds seed,
    seed+1, ... and keep the `batch_size` it rates highest.
    """
    options: dict[str, Any] = {"no_style": no_style} if no_style else {}
    if style is not None:
        options["style"] = style
    if strength is not None:
        options["strength"] = strength
    recipe = studio.recipe(engine="painter", mode="txt2img", prompt=prompt, seed=seed, steps=1,
                           guidance=0.0, width=width, height=height, options=options)
    return studio.run(recipe, batch_size=batch_size, progress=progress, taste=taste,
                      candidates=candidates, taste_search=taste_search)
