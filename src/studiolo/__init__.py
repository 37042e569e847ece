"""studiolo: a personal AI art studio."""

from studiolo.core.errors import StudioloError
from studiolo.core.types import Artwork, Credit, InputRef, Job, LoraSpec, Recipe

__version__ = "0.1.0"

__all__ = [
    "Artwork",
    "Credit",
    "InputRef",
    "Job",
    "LoraSpec",
    "Recipe",
    "StudioloError",
    "__version__",
]


def __getattr__(name: str):
    # `Studio` pulls in torch and diffusers; import it only when asked for.
    if name == "Studio":
        from studiolo.studio import Studio

        return Studio
    raise AttributeError(name)
