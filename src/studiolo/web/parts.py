"""What the web studio can make, as capabilities register it (`register_web_parts`).

A `CreateMode` is one choice of the Create page's "Make" list (from words, restyle an image,
...); an `ArtworkAction` is one button of an artwork page's "Make more" (variation, upscale,
...) with its API route `POST /api/artworks/{id}/{name}`. The web layer names none of them:
it shows and runs what the plugins registered, so a capability adds a mode or an action
from its own folder. Text to image, re-running a recipe and variations belong to the studio
itself (they choose among engines) and are registered here, first.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studiolo.core.errors import InvalidArgument
from studiolo.core.progress import ProgressCallback
from studiolo.core.types import Artwork

# make(studio acting as the person, the Create request, the input image or None, seed, progress)
MakeMode = Callable[[Any, Any, "Path | None", int, ProgressCallback], list[Artwork]]
# make(studio acting as the person, the stored artwork, the action's request, progress)
MakeAction = Callable[[Any, Artwork, Any, ProgressCallback], list[Artwork]]


@dataclass(frozen=True)
class CreateMode:
    """One way to make something on the Create page."""

    name: str  # the API's `mode`
    label: str  # what the page's list says
    make: MakeMode
    needs_image: bool = True
    order: int = 50  # smaller first in the list


@dataclass(frozen=True)
class ArtworkAction:
    """One thing an artwork page's "Make more" does with the artwork."""

    name: str  # the route's last part
    label: str  # the button
    summary: str  # the API's description
    make: MakeAction
    takes_style: bool = False  # the page shows a built-in style list beside the button
    order: int = 50
    # A same-origin script the artwork page loads for this action (e.g. one that shows its
    # result); studio.js sends `studiolo:action-done` {action, result_ids} when one ends.
    script: str | None = None


@dataclass(frozen=True)
class WebParts:
    modes: tuple[CreateMode, ...]
    actions: tuple[ArtworkAction, ...]

    def mode(self, name: str) -> CreateMode:
        for mode in self.modes:
            if mode.name == name:
                return mode
        raise InvalidArgument(f"Unknown mode {name!r}; use one of: "
                              f"{', '.join(m.name for m in self.modes)}.")

    def action(self, name: str) -> ArtworkAction:
        for action in self.actions:
            if action.name == name:
                return action
        raise InvalidArgument(f"Unknown action {name!r}; use one of: "
                              f"{', '.join(a.name for a in self.actions)}.")


def collect(plugins: Any) -> WebParts:
    """The studio's own parts, then every plugin's, each list in its `order`."""
    found: list[CreateMode | ArtworkAction] = list(BUILT_IN)

    def register(part: CreateMode | ArtworkAction) -> None:
        if not isinstance(part, (CreateMode, ArtworkAction)):
            raise TypeError(f"register_web_parts takes CreateMode or ArtworkAction, not {part!r}")
        found.append(part)

    plugins.hook.register_web_parts(register=register)
    modes = [p for p in found if isinstance(p, CreateMode)]
    actions = [p for p in found if isinstance(p, ArtworkAction)]
    for kind, parts in (("mode", modes), ("action", actions)):
        names = [p.name for p in parts]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise InvalidArgument(f"Two plugins register the web {kind} {twice[0]!r}; "
                                  "uninstall one of them.")
    return WebParts(modes=tuple(sorted(modes, key=lambda m: m.order)),
                    actions=tuple(sorted(actions, key=lambda a: a.order)))


def random_style() -> str:
    """A built-in painting at random (restyling when no style was chosen)."""
    from studiolo.features.styles import list_styles

    paintings = [s.id for s in list_styles() if s.kind == "painting"]
    return random.SystemRandom().choice(paintings)


def _from_words(studio: Any, req: Any, image: Path | None, seed: int,
                progress: ProgressCallback) -> list[Artwork]:
    engine = req.engine or studio.default_txt2img_engine(req.model)
    if engine == "painter":
        return studio.paint(req.prompt, style=req.style or None, seed=seed, width=req.width,
                            height=req.height, strength=req.strength, progress=progress)
    return studio.generate(req.prompt, engine=engine, model=req.model, seed=seed,
                           steps=req.steps, width=req.width, height=req.height,
                           negative_prompt=req.negative_prompt, progress=progress)


def _rerun(studio: Any, artwork: Artwork, req: Any, progress: ProgressCallback) -> list[Artwork]:
    return studio.rerun(artwork.id, progress=progress)


def _variation(studio: Any, artwork: Artwork, req: Any,
               progress: ProgressCallback) -> list[Artwork]:
    recipe = artwork.recipe
    if recipe.model:
        return studio.img2img(artwork.path, recipe.prompt, model=recipe.model, strength=0.5,
                              seed=random.SystemRandom().randrange(0, 2**32 - 1), progress=progress)
    return studio.stylize(artwork.path, req.style or random_style(), progress=progress)


BUILT_IN: tuple[CreateMode | ArtworkAction, ...] = (
    CreateMode("txt2img", "from words", _from_words, needs_image=False, order=0),
    ArtworkAction("variation", "Variation", "A variation: image to image with its model, "
                  "else a restyle", _variation, order=0),
    ArtworkAction("rerun", "Re-run recipe", "Make it again from its recipe", _rerun, order=90),
)
