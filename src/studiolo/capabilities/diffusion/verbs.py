"""The Studio's diffusion verbs: `generate`, `img2img`, `inpaint` and `outpaint`.

Each fills in a recipe (`Studio.recipe`) with the input picture's size and
hands it to `Studio.run`, the one path every artwork takes; an input that is
itself a stored artwork becomes the result's parent, so credit flows through
edits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from studiolo.core.maker import Maker
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, LoraSpec


def generate(
    studio: Maker,
    prompt: str,
    *,
    engine: str | None = None,
    model: str | None = None,
    negative_prompt: str = "",
    seed: int | None = None,
    steps: int | None = None,
    guidance: float | None = None,
    width: int = 512,
    height: int = 512,
    sampler: str | None = None,
    loras: Sequence[LoraSpec | str] = (),
    batch_size: int = 1,
    options: Mapping[str, Any] | None = None,
    progress: ProgressCallback = no_progress,
    device: str | None = None,
    taste: Any = None,
    candidates: int | None = None,
    taste_search: bool | Mapping[str, Any] | None = None,
) -> list[Artwork]:
    """Text to image. With no engine named: diffusion when a model is given, else the painter.

    `taste` (a taste profile's name): make `candidates` (default 8) and keep the
    `batch_size` it rates highest; the painter also searches its options first
    (`taste_search`), other engines suggest style words (see `studio_taste`).
    """
    recipe = studio.recipe(
        engine=engine or studio.default_txt2img_engine(model), mode="txt2img", prompt=prompt,
        negative_prompt=negative_prompt, seed=seed, steps=steps, guidance=guidance, width=width,
        height=height, sampler=sampler, model=model, loras=loras, options=options,
    )
    return studio.run(recipe, batch_size=batch_size, progress=progress, device=device,
                      taste=taste, candidates=candidates, taste_search=taste_search)


def img2img(
    studio: Maker,
    image: Any,
    prompt: str,
    *,
    strength: float = 0.75,
    model: str | None = None,
    engine: str = "diffusion",
    negative_prompt: str = "",
    seed: int | None = None,
    steps: int | None = None,
    guidance: float | None = None,
    sampler: str | None = None,
    loras: Sequence[LoraSpec | str] = (),
    batch_size: int = 1,
    options: Mapping[str, Any] | None = None,
    progress: ProgressCallback = no_progress,
    device: str | None = None,
) -> list[Artwork]:
    """Image to image: the picture is re-imagined with `strength` in (0, 1]."""
    opened, _ = _peek_size(studio, image)
    recipe = studio.recipe(
        engine=engine, mode="img2img", prompt=prompt, negative_prompt=negative_prompt, seed=seed,
        steps=steps, guidance=guidance, width=opened[0], height=opened[1], sampler=sampler,
        model=model, loras=loras, strength=strength, options=options,
    )
    return studio.run(
        recipe, {"init": image}, batch_size=batch_size, progress=progress, device=device,
        parents=studio.parents_of(image),
    )


def inpaint(
    studio: Maker,
    image: Any,
    mask: Any,
    prompt: str,
    *,
    strength: float = 1.0,
    model: str | None = None,
    engine: str = "diffusion",
    negative_prompt: str = "",
    seed: int | None = None,
    steps: int | None = None,
    guidance: float | None = None,
    sampler: str | None = None,
    loras: Sequence[LoraSpec | str] = (),
    batch_size: int = 1,
    options: Mapping[str, Any] | None = None,
    progress: ProgressCallback = no_progress,
    device: str | None = None,
) -> list[Artwork]:
    """Repaint the white part of `mask`."""
    size, _ = _peek_size(studio, image)
    recipe = studio.recipe(
        engine=engine, mode="inpaint", prompt=prompt, negative_prompt=negative_prompt, seed=seed,
        steps=steps, guidance=guidance, width=size[0], height=size[1], sampler=sampler,
        model=model, loras=loras, strength=strength, options=options,
    )
    return studio.run(
        recipe, {"init": image, "mask": mask}, batch_size=batch_size, progress=progress,
        device=device, parents=studio.parents_of(image),
    )


def outpaint(
    studio: Maker,
    image: Any,
    prompt: str,
    *,
    left: int = 0,
    right: int = 0,
    top: int = 0,
    bottom: int = 0,
    model: str | None = None,
    engine: str = "diffusion",
    options: Mapping[str, Any] | None = None,
    progress: ProgressCallback = no_progress,
    **kwargs: Any,
) -> list[Artwork]:
    """Extend the picture by the given margins (pixels, multiples of 8) and paint them."""
    size, _ = _peek_size(studio, image)
    opts = dict(options or {})
    opts["outpaint"] = {"left": left, "right": right, "top": top, "bottom": bottom}
    recipe = studio.recipe(
        engine=engine, mode="outpaint", prompt=prompt,
        negative_prompt=kwargs.pop("negative_prompt", ""), seed=kwargs.pop("seed", None),
        steps=kwargs.pop("steps", None), guidance=kwargs.pop("guidance", None),
        width=size[0] + left + right, height=size[1] + top + bottom,
        sampler=kwargs.pop("sampler", None), model=model, loras=kwargs.pop("loras", ()),
        strength=kwargs.pop("strength", 1.0), options=opts,
    )
    return studio.run(
        recipe, {"init": image}, progress=progress, parents=studio.parents_of(image), **kwargs
    )


def _peek_size(
    studio: Maker,
    image: Any) -> tuple[tuple[int, int], Any]:
    from studiolo.core.imageio import open_image

    if hasattr(image, "size") and hasattr(image, "save"):
        return image.size, image
    opened = open_image(image)
    return opened.size, opened
