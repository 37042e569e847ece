"""Features of stored artworks, cached in memory and on disk under STUDIOLO_HOME/cache/features/."""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from studiolo.core.atomic import npz_bytes, write_atomic
from studiolo.core.maker import Maker

if TYPE_CHECKING:
    from studiolo.features.embed import Embedder

MEMORY_ITEMS = 5000  # cached feature vectors per process (~6 KB each for the default)

_MEMORY: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_MEMORY_LOCK = threading.Lock()


def cache_folder(home: Path, embedder: Embedder) -> Path:
    """Where an embedder's features of a studio's artworks (and the paintings) are kept."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", embedder.id)[:60]
    digest = hashlib.sha256(embedder.id.encode()).hexdigest()[:8]
    return home / "cache" / "features" / f"{safe}-{digest}"


def _remember(key: tuple[str, str], value: np.ndarray) -> None:
    with _MEMORY_LOCK:
        _MEMORY[key] = value
        _MEMORY.move_to_end(key)
        while len(_MEMORY) > MEMORY_ITEMS:
            _MEMORY.popitem(last=False)


def artwork_features(
    studio: Maker, artwork_ids: Sequence[str], embedder: Embedder, *, disk: bool = True
) -> np.ndarray:
    """(n, size) raw features of stored artworks (full ids), from memory, disk or the pixels.

    Computed features are kept in memory and, with `disk`, as one .npz per artwork under
    STUDIOLO_HOME/cache/features/, so scoring the same artworks again is cheap.
    """
    from studiolo.core.imageio import open_image

    folder = cache_folder(studio.settings.home, embedder)
    rows = []
    for sha in artwork_ids:
        key = (embedder.id, sha)
        with _MEMORY_LOCK:
            found = _MEMORY.get(key)
        path = folder / f"{sha}.npz"
        if found is None and disk and path.is_file():
            try:
                with np.load(path) as data:
                    found = data["features"] if data["features"].shape == (embedder.size,) else None
            except (OSError, ValueError, KeyError):
                found = None  # a broken cache file is recomputed
        if found is None:
            image = open_image(studio.files.path(sha), mode="RGB")
            found = embedder.embed([image])[0]
            if disk:
                write_atomic(path, npz_bytes(features=found))
        _remember(key, found)
        rows.append(found)
    return np.stack(rows) if rows else np.zeros((0, embedder.size), np.float32)
