"""Compose a SceneSpec into a base picture, seeded: plan it word by word (`plan.py`), paint
the plan (`scene.py` with the motif modules in `draw/`), grade it by a palette word the plan did
not already paint, and finish it with brush strokes.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from studiolo.capabilities.painter import motifs
from studiolo.capabilities.painter.canvas import to_image
from studiolo.capabilities.painter.palette import grade
from studiolo.capabilities.painter.understand import SceneSpec

LANDSCAPE = {"sea", "lake", "river", "mountains", "hills", "field", "forest", "tree", "desert", "snow", "city",
              "flowers", "figure", "lighthouse", "boat"}


def compose(spec: SceneSpec, width: int, height: int, seed: int, *, horizon: float | None = None,
            clouds: float | None = None, stroke: float | None = None) -> Image.Image:
    """The base picture for `spec`, before any style transfer. Same inputs, same pixels.

    `horizon` (fraction of the height), `clouds` (sky cover 0-1) and `stroke` (brush
    size, 1 = normal) override the seeded choices; None keeps them. The seeded
    draws happen either way, so an override changes nothing else in the picture.
    """
    from studiolo.capabilities.painter.plan import plan_scene
    from studiolo.capabilities.painter.scene import render

    plan = plan_scene(spec)
    canvas = render(plan, width, height, seed, horizon=horizon, clouds=clouds)
    if _grades(spec):
        canvas = grade(canvas, spec.palette.name)
    rng = np.random.default_rng([seed, 1])
    if stroke is None:
        stroke = 1.4 if plan.weather == "storm" or plan.mood == "joyful" else 1.0
    canvas = motifs.brush(canvas, rng, stroke=stroke)
    return to_image(canvas)


def _grades(spec: SceneSpec) -> bool:
    """Grade by the palette word unless that word was a colour or season the plan already painted."""
    from studiolo.capabilities.painter.plan import _lexical_word

    return spec.palette.score > 0 and not _lexical_word(spec.palette.why)
