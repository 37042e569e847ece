"""The Studio's `restore` verb: a restoration stored as a child artwork of the scan; and
`damage_map` and `age`, which store the damage found and the picture aged the same way."""

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


def _scan_images(image: Any) -> tuple[Any, dict[str, Any]]:
    scan = read_scan(image)
    return scan, {"init": Image.fromarray(scan.pixels)}


def damage_map(studio: Maker, image: Any, *, progress: ProgressCallback = no_progress
               ) -> list[Artwork]:
    """The damage found in `image`, drawn over it (one colour per kind), stored as its child."""
    scan, images = _scan_images(image)
    recipe = Recipe(engine="restore", mode="damage", seed=0, steps=1, guidance=0.0,
                    width=scan.size[0], height=scan.size[1], options={"name": scan.name})
    return studio.run(recipe, images, progress=progress, parents=studio.parents_of(image))


def age(studio: Maker, image: Any, *, years: float = 100.0, lux: float = 150.0,
        seed: int = 0, progress: ProgressCallback = no_progress, **conditions: Any
        ) -> list[Artwork]:
    """`image` as it will look after `years` under `lux` (and `engine.AgeOptions`), stored
    as its child."""
    options = check_options({"years": years, "lux": lux, **conditions}, "age")
    scan, images = _scan_images(image)
    recipe = Recipe(engine="restore", mode="age", seed=seed, steps=1, guidance=0.0,
                    width=scan.size[0], height=scan.size[1], options=options.model_dump())
    return studio.run(recipe, images, progress=progress, parents=studio.parents_of(image))
