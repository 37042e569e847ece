"""What a capability's verbs may ask of the Studio: make, store and read artworks.

The Studio's public verbs (`Studio().paint`, `.stylize`, `.generate`, ...) are
functions in their capabilities whose first argument is a `Maker`: the Studio
binds them as its methods, and a verb never sees more of the Studio than this.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.settings import Settings
from studiolo.core.types import Artwork, LoraSpec, Recipe


class Maker(Protocol):
    settings: Settings
    catalog: Any  # studiolo.catalog.Catalog
    files: Any  # studiolo.core.files.BlobStore
    engines: Any  # studiolo.plugins.EngineRegistry

    def run(
        self,
        recipe: Recipe,
        images: Mapping[str, Any] | None = None,
        *,
        batch_size: int = 1,
        parents: Sequence[str] = (),
        progress: ProgressCallback = no_progress,
        device: str | None = None,
        store: bool = True,
        person: str | None = None,
        select: Callable[[list[Artwork]], list[Artwork]] | None = None,
        taste: Any = None,
        candidates: int | None = None,
        taste_search: bool | Mapping[str, Any] | None = None,
    ) -> list[Artwork]: ...

    def recipe(
        self,
        *,
        engine: str,
        mode: str = "txt2img",
        prompt: str = "",
        negative_prompt: str = "",
        seed: int | None = None,
        steps: int | None = None,
        guidance: float | None = None,
        width: int = 512,
        height: int = 512,
        sampler: str | None = None,
        model: str | None = None,
        loras: Sequence[LoraSpec | str] = (),
        strength: float | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> Recipe: ...

    def parents_of(self, image: Any) -> tuple[str, ...]: ...

    def get(self, id_or_prefix: str) -> Artwork: ...

    def image(self, artwork_id: str) -> Any: ...

    def default_txt2img_engine(self, model: str | None) -> str: ...
