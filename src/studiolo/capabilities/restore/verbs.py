"""The Studio's `restore` verb: a restoration stored as a child artwork of the scan."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from studiolo.core.maker import Maker
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, Recipe

from .engine import check_options
from .inputs import read_mask, read_scan


def restore(
    studio: Maker,
    image: Any,
    *,
    mask: Any = None,
    method: str = "auto",
    colour: bool = False,
    strength: float = 1.0,
    denoise: float | None = None,
    model: str | None = None,
    report: str | os.PathLike[str] | None = None,
    seed: int = 0,
    progress: ProgressCallback = no_progress,
) -> list[Artwork]:
    """Fill `mask` (white = fill) or the detected damage, recover colour when asked, store
    the result as a child of `image` (a path, bytes or a stored artwork's file) and write an
    HTML report at `report`."""
    options = check_options({"method": method, "colour": colour, "strength": strength,
                             "denoise": denoise, "model": model})
    # The scan is read by the restorer's own total reader (grey, 16-bit, alpha, huge scans),
    # so the Studio is handed plain RGB pixels; the mask is checked against the scan's size
    # here, with the file's name in the sentence, before anything is stored.
    scan = read_scan(image)
    images: dict[str, Any] = {"init": Image.fromarray(scan.pixels)}
    if mask is not None:
        wanted = read_mask(mask, scan.size, scan.name)
        images["mask"] = Image.fromarray(wanted.astype(np.uint8) * 255)
    # Output directives the engine reads and does not store: what the scan is called, and
    # what reading it found (grey, 16-bit, alpha), since the Studio hands the engine RGB.
    opts: dict[str, Any] = {**options.model_dump(exclude_none=True), "name": scan.name,
                            "grayscale": scan.grayscale, "scan_notes": list(scan.notes)}
    if report is not None:
        opts["report"] = str(Path(report))
    recipe = Recipe(engine="restore", mode="restore", seed=seed, steps=1, guidance=0.0,
                    width=scan.size[0], height=scan.size[1], options=opts)
    return studio.run(recipe, images, progress=progress, parents=studio.parents_of(image))
