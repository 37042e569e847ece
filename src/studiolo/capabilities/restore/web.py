"""The artwork page's Restore action: the restored picture is stored as a child artwork."""

from __future__ import annotations

from typing import Any

from studiolo.core.progress import ProgressCallback
from studiolo.core.types import Artwork


def _restore(studio: Any, artwork: Artwork, req: Any, progress: ProgressCallback) -> list[Artwork]:
    # The studio passed in acts as the viewer, and Studio.store keeps a private parent's
    # restoration private, so the child reaches no one the parent does not.
    return studio.restore(artwork.path, colour=True, progress=progress)


def actions() -> list[Any]:
    from studiolo.web.parts import ArtworkAction

    return [ArtworkAction("restore", "Restore", "Find the damage, fill it (auto: per hole by "
                          "its size) and recover faded or yellowed colour", _restore, order=30)]
