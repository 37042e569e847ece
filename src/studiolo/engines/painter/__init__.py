"""The offline painter: text-to-image with nothing to download.

1. Understand the prompt with the bundled MiniLM encoder (`understand.py`).
2. Compose a base picture procedurally, seeded (`compose.py` and the layers).
3. Paint it with the best-matching built-in painting (`choose_style.py` +
   `engines.style_transfer`), keeping the scene's colours.
The recipe's options record the SceneSpec and the painting chosen, and why.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ...errors import InvalidArgument
from ...hookspecs import hookimpl
from ...types import Artwork, Credit
from ..base import ProgressCallback, Request, no_progress
from .compose import compose
from .understand import SceneSpec, understand

MIN_SIDE, MAX_SIDE = 64, 2048
# Moderate: the network's strokes and texture, while the composition still reads.
DEFAULT_STRENGTH = 0.6


class PainterOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    style: str | None = None  # force a built-in painting by name
    strength: float = Field(DEFAULT_STRENGTH, ge=0.0, le=1.0)
    no_style: bool = False


class PainterEngine:
    id: ClassVar[str] = "painter"
    capabilities: ClassVar[frozenset[str]] = frozenset({"txt2img"})
    Options: ClassVar[type[BaseModel]] = PainterOptions

    def check_inputs(self, request: Request) -> PainterOptions:
        recipe = request.recipe
        if recipe.mode != "txt2img":
            raise InvalidArgument(f"The painter only does `mode` 'txt2img', got {recipe.mode!r}.")
        for name in ("width", "height"):
            value = getattr(recipe, name)
            if isinstance(value, bool) or not isinstance(value, int) or not MIN_SIDE <= value <= MAX_SIDE:
                raise InvalidArgument(f"`{name}` must be an integer from {MIN_SIDE} to {MAX_SIDE} px, got {value!r}.")
        if isinstance(request.batch_size, bool) or not isinstance(request.batch_size, int) or request.batch_size < 1:
            raise InvalidArgument(f"`batch_size` must be a positive integer, got {request.batch_size!r}.")
        if isinstance(recipe.seed, bool) or not isinstance(recipe.seed, int) or recipe.seed < 0:
            raise InvalidArgument(f"`seed` must be a non-negative integer, got {recipe.seed!r}.")
        known = set(PainterOptions.model_fields)
        raw = {k: v for k, v in recipe.options.items() if k in known}
        try:
            return PainterOptions(**raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise InvalidArgument(
                f"Painter option `{first['loc'][0]}` is invalid: {first['msg']}; got {first.get('input')!r}."
            ) from None

    def run(self, request: Request, progress: ProgressCallback = no_progress) -> list[Artwork]:
        # 1. Check inputs.
        options = self.check_inputs(request)
        recipe = request.recipe
        # 2. Understand.
        progress({"stage": "understand", "step": 0, "total": 1})
        spec = understand(recipe.prompt)
        progress({"stage": "understand", "step": 1, "total": 1})
        # 3. Choose the painting (once for the batch: it depends on the prompt only).
        style, vector = None, None
        if not options.no_style and options.strength > 0:
            style, vector = _style_for(spec, options.style)
        n = request.batch_size
        results = []
        for i in range(n):
            seed = recipe.seed + i
            progress({"stage": "compose", "step": i, "total": n})
            image = compose(spec, recipe.width, recipe.height, seed)
            if vector is not None:
                progress({"stage": "paint", "step": i, "total": n})
                image = _paint(image, vector, spec, options.strength)
            results.append(_artwork(recipe.replace(seed=seed), image, spec, style, options))
        progress({"stage": "paint", "step": n, "total": n})
        return results


def _style_for(spec: SceneSpec, forced: str | None):
    from ...styles import get_style
    from ..style_transfer import style_vector
    from .choose_style import StyleChoice, choose_style

    if forced:
        s = get_style(forced)  # UnknownName lists the known ones
        choice = StyleChoice(s.id, s.title, s.artist, s.year, 1.0, "forced by the `style` option")
    else:
        choice = choose_style(spec)
    return choice, style_vector(choice.id)


def _paint(image, vector, spec: SceneSpec, strength: float):
    from ..style_transfer import stylize_with_vector

    # Keep the scene's colours unless the prompt asked for a style by word or
    # named no palette: a night stays dark blue, a golden field stays golden.
    preserve = spec.palette.score > 0 or not spec.style_words
    work = 384 if max(image.size) > 384 else None  # bigger strokes and a faster paint
    return stylize_with_vector(image, vector, strength=strength, preserve_colors=preserve, work_side=work)


def _artwork(recipe, image, spec: SceneSpec, style, options: PainterOptions) -> Artwork:
    opts = dict(recipe.options)
    opts.update(options.model_dump())
    opts["scene"] = spec.to_dict()
    credits = []
    if style is not None:
        opts["style_chosen"] = {"id": style.id, "title": style.title, "artist": style.artist, "year": style.year,
                                "similarity": style.similarity, "why": style.why}
        credits.append(Credit(name=f"{style.artist}, {style.title}", kind="artwork", role="style_source",
                              share=0.3, evidence=f"painted in its manner ({style.why})", ref=style.id))
    credits.append(Credit(name="all-MiniLM-L6-v2", kind="model", role="tool", evidence="read the prompt"))
    recipe = recipe.replace(engine="painter", mode="txt2img", steps=0, model=None, options=opts)
    return Artwork(recipe=recipe, image=image, credits=tuple(credits), width=image.width, height=image.height)


@hookimpl
def register_engines(register) -> None:
    register(PainterEngine())


__all__ = ["PainterEngine", "PainterOptions", "SceneSpec", "compose", "register_engines", "understand"]
