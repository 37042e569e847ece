"""The Studio's `explore` verb: a latent journey from A to B, every frame stored as an artwork.

It only fills in a recipe for the journey engine (engines/journey.py) and the
input images, and hands them to `Studio.run`, the one path every artwork
takes. Writing the GIF, MP4 and contact sheet is `studiolo.capabilities.journey.media`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from studiolo.core.errors import InvalidArgument
from studiolo.core.maker import Maker
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, LoraSpec, Recipe
from studiolo.features.styles import is_style_image

KINDS = ("prompts", "seeds", "styles", "generator")


def explore(
    studio: Maker,
    a: Any,
    b: Any,
    *,
    kind: str = "prompts",
    frames: int = 8,
    index: int | None = None,
    prompt: str = "",
    image: Any = None,
    model: str | None = None,
    negative_prompt: str = "",
    seed: int | None = None,
    steps: int | None = None,
    guidance: float | None = None,
    width: int = 512,
    height: int = 512,
    sampler: str | None = None,
    loras: Sequence[LoraSpec | str] = (),
    options: Mapping[str, Any] | None = None,
    progress: ProgressCallback = no_progress,
    device: str | None = None,
) -> list[Artwork]:
    """A journey of `frames` pictures from A to B, each stored (frame 0 is A, the last B).

    kind "prompts": A and B are prompts, made with one `seed` and `model`.
    kind "seeds": A and B are seeds for `prompt`.
    kind "styles": A and B are built-in style names or style images (paths or
    pictures), applied to the content `image`; no model needed.
    kind "generator": A and B are seeds of the personal generator named `model`
    (`studiolo train generator`); its latents are slerped.
    `options`: {"diffusion": {...}} (clip_skip, tiny_vae, ...) or {"style": {...}}
    (strength, preserve_colors, style_size, work_side). `index` makes one frame only.
    """
    if kind not in KINDS:
        raise InvalidArgument(f"`kind` has to be one of {list(KINDS)} but is {kind!r}.")
    images: dict[str, Any] = {}
    ends: list[Any] = [a, b]
    if kind == "styles":
        if image is None:
            raise InvalidArgument("A styles journey needs a content `image` (--image PHOTO).")
        images["init"] = image
        for i, role in enumerate(("style_a", "style_b")):
            if is_style_image(ends[i]):
                end = ends[i]
                images[role] = Path(end).expanduser() if isinstance(end, str) else end
                ends[i] = {"input": role}
            else:
                ends[i] = str(ends[i])
    journey = {"kind": kind, "a": ends[0], "b": ends[1], "frames": frames}
    if index is not None:
        journey["index"] = index
    opts = {**dict(options or {}), "journey": journey}
    if kind == "styles":
        recipe = Recipe(engine="journey", mode="explore", seed=0, steps=1, guidance=0.0,
                        options=opts)
    elif kind == "generator":
        recipe = Recipe(engine="journey", mode="explore", model=model, seed=a, steps=1,
                        guidance=0.0, options=opts)
    else:
        start = a if kind == "prompts" else prompt
        recipe = studio.recipe(
            engine="journey", mode="explore", prompt=start, negative_prompt=negative_prompt,
            seed=seed, steps=steps, guidance=guidance, width=width, height=height,
            sampler=sampler, model=model, loras=loras, options=opts,
        )
    parents = studio.parents_of(image) if image is not None else ()
    return studio.run(recipe, images, batch_size=1, progress=progress, device=device,
                    parents=parents)
