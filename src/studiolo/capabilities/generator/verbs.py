"""The Studio's personal-generator verbs: `train_generator` and `sample`.

Training is `studiolo.capabilities.generator.train.train_generator` with the studio's
settings (its folders and its person, who is credited as the artist whose
works trained it). `sample` fills in a recipe for the `generator` engine and
hands it to `Studio.run`, the one path every artwork takes.
"""

from __future__ import annotations

import os
from typing import Any

from studiolo.core.maker import Maker
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, Recipe


def train_generator(
    studio: Maker,
    folder: str | os.PathLike[str], *, name: str,
                    progress: ProgressCallback = no_progress, **kwargs: Any) -> Any:
    """Train a personal generator on `folder` (see `train.generator.train_generator` for
    size, minutes or steps, batch_size, seed, resume, ...); returns a `TrainedGenerator`."""
    from studiolo.capabilities.generator.train import train_generator

    return train_generator(folder, name=name, settings=studio.settings, progress=progress,
                           **kwargs)


def sample(
    studio: Maker,
    name: str,
    *,
    seed: int | None = None,
    batch_size: int = 1,
    progress: ProgressCallback = no_progress,
    device: str | None = None,
) -> list[Artwork]:
    """Pictures from the generator `name`, seeds seed, seed+1, ...; each stored."""
    from studiolo.core.types import random_seed

    recipe = Recipe(engine="generator", mode="sample", model=name,
                    seed=random_seed() if seed is None else seed, steps=1, guidance=0.0)
    return studio.run(recipe, batch_size=batch_size, progress=progress, device=device)


def generators(studio: Maker) -> list[str]:
    """The names of the generators trained in this studio."""
    from studiolo.capabilities.generator.nets import known_generators

    return known_generators(studio.settings)
