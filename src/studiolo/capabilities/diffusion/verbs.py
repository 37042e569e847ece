"""The Studio's editing verbs: `img2img`, `inpaint` and `outpaint`.

Each fills in a recipe (`Studio._recipe`) with the input picture's size and
hands it to `Studio.run`, the one path every artwork takes; an input that is
itself a stored artwork becomes the result's parent, so credit flows through
edits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, LoraSpec


class EditVerbs:
    """Mixed into `Studio`; needs `run`, `_recipe` and `_parents_of` from it."""

    run: Any
    _recipe: Any
    _parents_of: Any

    def img2img(
        self,
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
        opened, _ = self._peek_size(image)
        recipe = self._recipe(
            engine, "img2img", prompt, negative_prompt, seed, steps, guidance, opened[0],
            opened[1], sampler, model, loras, strength, options,
        )
        return self.run(
            recipe, {"init": image}, batch_size=batch_size, progress=progress, device=device,
            parents=self._parents_of(image),
        )

    def inpaint(
        self,
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
        size, _ = self._peek_size(image)
        recipe = self._recipe(
            engine, "inpaint", prompt, negative_prompt, seed, steps, guidance, size[0], size[1],
            sampler, model, loras, strength, options,
        )
        return self.run(
            recipe, {"init": image, "mask": mask}, batch_size=batch_size, progress=progress,
            device=device, parents=self._parents_of(image),
        )

    def outpaint(
        self,
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
        size, _ = self._peek_size(image)
        opts = dict(options or {})
        opts["outpaint"] = {"left": left, "right": right, "top": top, "bottom": bottom}
        recipe = self._recipe(
            engine, "outpaint", prompt, kwargs.pop("negative_prompt", ""), kwargs.pop("seed", None),
            kwargs.pop("steps", None), kwargs.pop("guidance", None), size[0] + left + right,
            size[1] + top + bottom, kwargs.pop("sampler", None), model, kwargs.pop("loras", ()),
            kwargs.pop("strength", 1.0), opts,
        )
        return self.run(
            recipe, {"init": image}, progress=progress, parents=self._parents_of(image), **kwargs
        )

    def _peek_size(self, image: Any) -> tuple[tuple[int, int], Any]:
        from studiolo.core.imageio import open_image

        if hasattr(image, "size") and hasattr(image, "save"):
            return image.size, image
        opened = open_image(image)
        return opened.size, opened
