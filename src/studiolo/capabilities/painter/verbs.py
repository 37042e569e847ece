"""The Studio's verbs for the offline engines: paint, stylize, portrait, upscale.

They only fill in a recipe and the input images and hand them to `Studio.run`,
the one path every artwork takes (engine, provenance, catalog).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from studiolo.core.errors import InvalidArgument
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, Recipe

StyleArg = "str | os.PathLike[str] | PIL.Image.Image"


def is_style_image(style: Any) -> bool:
    """A style is an image when it is a picture or names an existing file; else a built-in name."""
    if hasattr(style, "save") and hasattr(style, "size"):
        return True
    if isinstance(style, bytes):
        return True
    if isinstance(style, os.PathLike):
        return True
    if isinstance(style, str) and Path(style).expanduser().is_file():
        return True
    if isinstance(style, str) and _looks_like_a_file(style):
        raise InvalidArgument(
            f"Style image {style!r}: no such file. Give an existing image, or a built-in style "
            "name (see `studiolo styles`)."
        )
    return False


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".gif")


def _looks_like_a_file(name: str) -> bool:
    """A path rather than a style title: an image suffix or a folder in it."""
    return name.lower().endswith(IMAGE_SUFFIXES) or "/" in name or os.sep in name


def _style_source(style: Any) -> Any:
    return Path(style).expanduser() if isinstance(style, str) else style


class OfflineVerbs:
    """Mixed into `Studio`; needs `run`, `_recipe`, `_parents_of` from it."""

    run: Any
    _recipe: Any
    _parents_of: Any
    _steered: Any

    def paint(
        self,
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
        from studiolo.capabilities.taste.verbs import check_taste_arguments

        check_taste_arguments(taste, candidates, taste_search)
        options: dict[str, Any] = {"no_style": no_style} if no_style else {}
        if style is not None:
            options["style"] = style
        if strength is not None:
            options["strength"] = strength
        recipe = self._recipe("painter", "txt2img", prompt, "", seed, 1, 0.0, width, height,
                              None, None, (), None, options)
        if taste is not None:
            return self._steered(recipe, taste, candidates=candidates, keep=batch_size,
                                 search=taste_search, progress=progress)
        return self.run(recipe, batch_size=batch_size, progress=progress)

    def stylize(
        self,
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
                images[role] = _style_source(style)
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
        return self.run(recipe, images, progress=progress, parents=self._parents_of(image))

    def portrait(
        self,
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
            images["style"] = _style_source(style)
        else:
            opts["style"] = str(style)
        recipe = Recipe(engine="portrait", mode="portrait", seed=0, steps=1, guidance=0.0,
                        strength=strength, options=opts)
        return self.run(recipe, images, progress=progress, parents=self._parents_of(photo))

    def upscale(
        self,
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
        return self.run(recipe, {"init": image}, progress=progress, parents=self._parents_of(image))
