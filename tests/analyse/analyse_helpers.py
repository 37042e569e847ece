"""Helpers of the analysis tests: synthetic pictures and light stand-in networks."""

from __future__ import annotations

import numpy as np
from PIL import Image


def light_style(image: Image.Image) -> np.ndarray:
    """A 100-d stand-in for the Magenta style vector: colour moments of a 10x10 thumbnail."""
    small = np.asarray(image.convert("RGB").resize((10, 10)), np.float32) / 255.0
    return np.concatenate([small.mean(2).ravel()]).astype(np.float32)  # (100,)


def light_content(image: Image.Image) -> np.ndarray:
    """A 1280-d stand-in for EfficientNet features: a 16x16x5 pixel summary, deterministic."""
    small = np.asarray(image.convert("RGB").resize((16, 16)), np.float32) / 255.0
    grey = small.mean(2, keepdims=True)
    stack = np.concatenate([small, grey, np.abs(np.gradient(grey[..., 0])[0])[..., None]], 2)
    return stack.ravel().astype(np.float32)  # 16 * 16 * 5 = 1280


def stripes(angle_deg: float, period: float = 6.0, size: int = 256) -> Image.Image:
    """Grey stripes whose lines run at `angle_deg` (counter-clockwise from horizontal)."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    a = np.radians(angle_deg)
    # distance across the lines: along the normal (-sin a, -cos a) in image coordinates
    across = -xx * np.sin(a) - yy * np.cos(a)
    grey = (127 + 120 * np.sin(2 * np.pi * across / period)).astype(np.uint8)
    return Image.fromarray(np.stack([grey] * 3, -1))


def painting(seed: int, base: tuple[int, int, int], size: tuple[int, int] = (96, 80)
             ) -> Image.Image:
    """A small seeded 'painting': a base colour with noisy blobs (an artist's manner)."""
    rng = np.random.default_rng(seed)
    w, h = size
    img = np.empty((h, w, 3), np.float32)
    img[:] = base
    for _ in range(12):
        cx, cy, r = rng.integers(0, w), rng.integers(0, h), rng.integers(4, 16)
        yy, xx = np.mgrid[0:h, 0:w]
        img[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] += rng.normal(0, 40, 3)
    img += rng.normal(0, 6, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def stored_work(studio, seed: int, base: tuple[int, int, int], person: str = "ann",
                private: bool = False):
    """A painting stored in a studio's catalog as `person`'s artwork (no engine runs)."""
    from studiolo.core.types import Artwork, Recipe
    from studiolo.provenance.ledger import build_credits

    recipe = Recipe(engine="diffusion", prompt=f"a study {seed}", model="m")
    return studio.store(Artwork(recipe=recipe, image=painting(seed, base, (128, 112)),
                                credits=build_credits(recipe, person=person)),
                        person=person, private=private)
