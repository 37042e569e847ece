"""The offline painter: text-to-image with nothing to download.

1. Understand the prompt with the bundled MiniLM encoder (`understand.py`).
2. Compose a base picture procedurally, seeded (`compose.py` and the layers).
3. Paint it with the best-matching built-in painting (`choose_style.py` +
   `engines.style_transfer`), keeping the scene's colours.
The recipe's options record the SceneSpec and the painting chosen, and why.

Options a person (or `taste.steer.search_painter`) can set beyond the prompt:
`style` or a weighted blend `styles`, `strength`, `palette` (a palette word that
replaces the prompt's), and the composition overrides `horizon`, `clouds` and
`stroke`. Left unset, each keeps the prompt's or the seed's choice.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from studiolo.capabilities.painter.compose import compose
from studiolo.capabilities.painter.plan import plan_scene, read_prompt
from studiolo.capabilities.painter.understand import Choice, SceneSpec, understand
from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, Credit, check_seed_and_batch

MIN_SIDE, MAX_SIDE = 64, 2048
# Moderate: the network's strokes and texture, while the composition still reads.
DEFAULT_STRENGTH = 0.6
PALETTES = ("natural", "warm", "cool", "golden", "pastel", "monochrome", "vivid", "earthy", "green", "purple")


class PainterStyleRef(BaseModel):
    """One built-in painting of a style blend and its weight."""

    model_config = ConfigDict(extra="forbid")
    name: str
    weight: float = Field(1.0, gt=0)


class PainterOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    style: str | None = None  # force a built-in painting by name
    styles: list[PainterStyleRef] | None = Field(None, min_length=1)  # a blend; wins over `style`
    strength: float = Field(DEFAULT_STRENGTH, ge=0.0, le=1.0)
    no_style: bool = False
    palette: Literal[PALETTES] | None = None  # type: ignore[valid-type]  # replaces the prompt's
    horizon: float | None = Field(None, ge=0.3, le=0.85)  # fraction of the height from the top
    clouds: float | None = Field(None, ge=0.0, le=0.9)  # sky cover
    stroke: float | None = Field(None, ge=0.5, le=3.0)  # brush size, 1 = normal


_LATER_OPTIONS = ("styles", "palette", "horizon", "clouds", "stroke")


class PainterEngine:
    id: ClassVar[str] = "painter"
    # What the CLI and the web studio call each progress stage of this engine.
    stage_labels: ClassVar[dict[str, str]] = {"understand": "Reading the prompt", "compose": "Composing", "paint": "Painting"}
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
        check_seed_and_batch(recipe.seed, request.batch_size)
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
        # MiniLM's reading; a prompt only the painter's lexicon knows ("haystacks") is read by it alone.
        spec = read_prompt(recipe.prompt, cache_dir=request.settings.home / "cache")
        if options.palette is not None:
            spec = dataclasses.replace(spec, palette=Choice(options.palette, 1.0, "set by the `palette` option"))
        progress({"stage": "understand", "step": 1, "total": 1})
        # 3. Choose the painting (once for the batch: it depends on the prompt only).
        style, vector = None, None
        if not options.no_style and options.strength > 0:
            style, vector = _style_for(spec, options.style, options.styles)
        n = request.batch_size
        results = []
        for i in range(n):
            seed = recipe.seed + i
            progress({"stage": "compose", "step": i, "total": n})
            image = compose(spec, recipe.width, recipe.height, seed, horizon=options.horizon,
                            clouds=options.clouds, stroke=options.stroke)
            progress({"stage": "compose", "step": i + 1, "total": n})
            if vector is not None:
                progress({"stage": "paint", "step": i, "total": n})
                image = _paint(image, vector, spec, options.strength)
            results.append(request.made(_artwork(recipe.replace(seed=seed), image, spec, style,
                                                 options)))
        progress({"stage": "paint", "step": n, "total": n})
        return results


def _style_for(spec: SceneSpec, forced: str | None, blend: list[PainterStyleRef] | None = None):
    from studiolo.capabilities.painter.choose_style import StyleChoice, choose_style
    from studiolo.features.style import blend_vectors, style_vector
    from studiolo.features.styles import get_style

    if blend:
        total = sum(r.weight for r in blend)
        parts = [(get_style(r.name), r.weight / total) for r in blend]
        choices = [StyleChoice(s.id, s.title, s.artist, s.year, round(w, 4), "blended by the `styles` option")
                   for s, w in parts]
        return tuple(choices), blend_vectors([(style_vector(s.id), w) for s, w in parts])
    if forced:
        s = get_style(forced)  # UnknownName lists the known ones
        choice = StyleChoice(s.id, s.title, s.artist, s.year, 1.0, "forced by the `style` option")
    else:
        choice = choose_style(spec)
    return choice, style_vector(choice.id)


def _paint(image, vector, spec: SceneSpec, strength: float):
    from studiolo.capabilities.style.transfer import stylize_with_vector

    # Keep the scene's colours unless the prompt asked for a style by word or
    # named no palette: a night stays dark blue, a golden field stays golden.
    preserve = spec.palette.score > 0 or not spec.style_words
    work = 384 if max(image.size) > 384 else None  # bigger strokes and a faster paint
    return stylize_with_vector(image, vector, strength=strength, preserve_colors=preserve, work_side=work)


def _artwork(recipe, image, spec: SceneSpec, style, options: PainterOptions) -> Artwork:
    opts = dict(recipe.options)
    # Options added after the first release stay out of the recipe when unset, so old recipes read the same.
    opts.update(options.model_dump(exclude={k for k in _LATER_OPTIONS if getattr(options, k) is None}))
    opts["scene"] = spec.to_dict()
    opts["plan"] = plan_scene(spec).to_dict()  # for each word, what it did; and the words it could not use
    credits = []
    blend = style if isinstance(style, tuple) else None
    if blend:  # the heaviest painting stands as the one chosen; each is credited by its weight
        style = max(blend, key=lambda c: c.similarity)
        opts["styles_blended"] = [{"id": c.id, "title": c.title, "artist": c.artist, "year": c.year,
                                   "weight": c.similarity} for c in blend]
    if style is not None:
        opts["style_chosen"] = {"id": style.id, "title": style.title, "artist": style.artist, "year": style.year,
                                "similarity": style.similarity, "why": style.why}
    for c in blend or ([style] if style is not None else []):
        credits.append(Credit(name=f"{c.artist}, {c.title}", kind="artwork", role="style_source",
                              share=round(0.3 * (c.similarity if blend else 1.0), 4),
                              evidence=f"painted in its manner ({c.why})", ref=c.id))
    credits.append(Credit(name="all-MiniLM-L6-v2", kind="model", role="tool", evidence="read the prompt"))
    recipe = recipe.replace(engine="painter", mode="txt2img", steps=0, model=None, options=opts)
    return Artwork(recipe=recipe, image=image, credits=tuple(credits), width=image.width, height=image.height)



__all__ = ["PALETTES", "PainterEngine", "PainterOptions", "PainterStyleRef", "SceneSpec", "compose",
           "understand"]
