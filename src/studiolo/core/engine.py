"""What every engine shares: the request it receives and the progress it reports.

An engine is a class with an `id`, a set of `capabilities`, a pydantic
`Options` model and `run(request, progress) -> list[Artwork]`. It checks its
inputs first and raises `InvalidArgument` naming the argument and the value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel

from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.settings import Settings
from studiolo.core.types import Artwork, Recipe


@dataclass(frozen=True)
class Request:
    """What an engine is asked to make.

    `recipe` says what (its `mode` names the capability); `images` holds the
    input pictures by role ("init", "mask", "style", ...) already read through
    `studiolo.core.imageio`; `batch_size` images are made with seeds seed, seed+1, ...
    """

    recipe: Recipe
    images: Mapping[str, Any] = field(default_factory=dict)
    batch_size: int = 1
    device: str | None = None
    # Where models, caches and LoRAs are looked for: the Studio passes its own, so an engine
    # never reads the environment (a bare Request, in a script or a test, gets the default).
    settings: Settings = field(default_factory=Settings.from_env)
    # The studio's engines (a `studiolo.plugins.EngineRegistry`), so an engine can use another
    # engine's public calls (the journey denoises with the diffusion engine's model cache).
    engines: Any = None
    # Called with each artwork as soon as it is made (the Studio stores it there and then, so
    # a killed batch keeps what it finished); it returns what the engine should keep.
    on_made: Callable[[Artwork], Artwork] | None = None

    def made(self, artwork: Artwork) -> Artwork:
        """Hand a finished artwork on at once (engines making several call this for each)."""
        return self.on_made(artwork) if self.on_made is not None else artwork


@runtime_checkable
class Engine(Protocol):
    id: ClassVar[str]
    capabilities: ClassVar[frozenset[str]]
    Options: ClassVar[type[BaseModel]]

    def run(self, request: Request, progress: ProgressCallback = no_progress) -> list[Artwork]:
        ...
