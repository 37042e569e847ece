"""What the curator reads from an artwork: its words and how it looks.

Words: title, prompt, tags and the names in its credits (artists, paintings),
embedded with the bundled all-MiniLM-L6-v2 (the painter's own numpy encoder,
no download). Looks: one vector per image from `image_features`, the single
place that chooses the image embedder: the taste package's (colour statistics,
the Magenta style bottleneck of Ghiasi et al. 2017, EfficientNet-Lite0) when
it loads, else a light one (the style bottleneck and colour statistics).
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from studiolo.core.errors import InvalidArgument
from studiolo.core.types import Artwork

FEATURE_SIDE = 256  # images are shrunk to this before any feature is read
_CACHE_SIZE = 4096
_cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_lock = threading.Lock()

# Credits whose names say something about the picture (not the tools or the prompter).
_TELLING_ROLES = {"style_source", "influence", "subject", "reference"}
_LIST = re.compile(r",|;|&|\band\b|\bor\b|\bwith\b", re.IGNORECASE)
_WEIGHTS = re.compile(r"<[^>]*>|:\s*-?\d+(\.\d+)?\)|[()\[\]{}]")


def clean_prompt(prompt: str) -> str:
    """A prompt without weighting syntax: `(word:1.2)`, `[word]` and `<lora:x:1>` read as words."""
    return " ".join(_WEIGHTS.sub(" ", prompt or "").split())


def artist_names(artwork: Artwork) -> list[str]:
    """Names of the artists and works credited as sources of the picture, in credit order."""
    names = [c.name for c in artwork.credits
             if c.kind in ("artist", "artwork") or c.role in _TELLING_ROLES]
    chosen = (artwork.recipe.options or {}).get("style_chosen")
    if isinstance(chosen, dict):
        names += [str(chosen[k]) for k in ("artist", "title") if chosen.get(k)]
    return list(dict.fromkeys(n for n in names if n))


def artwork_texts(artwork: Artwork, tags: Sequence[str]) -> tuple[str, str]:
    """(what it shows, what it is made after): title and prompt; tags and credited names."""
    shows = ". ".join(t for t in (artwork.title, clean_prompt(artwork.recipe.prompt)) if t)
    after = ". ".join([*tags, *artist_names(artwork)])
    return shows, after


def embed_texts(texts: Sequence[str]) -> np.ndarray:
    """(N, 384) unit vectors from all-MiniLM-L6-v2; an empty text gives a zero row."""
    from studiolo.features.text import get_encoder

    out = np.zeros((len(texts), 384), np.float32)
    filled = [i for i, t in enumerate(texts) if t.strip()]
    if filled:
        out[filled] = get_encoder().encode([texts[i] for i in filled])
    return out


def text_scores(
    theme: str, candidates: Sequence[tuple[Artwork, Sequence[str]]]
) -> tuple[np.ndarray, np.ndarray]:
    """(scores, vectors): MiniLM cosine of the theme with each work, the better of what it
    shows and (x0.9) what it is made after; and the (N, 384) vectors of what each shows."""
    pairs = [artwork_texts(a, tags) for a, tags in candidates]
    parts = theme_parts(theme)
    vectors = embed_texts(parts + [s for s, _ in pairs] + [a for _, a in pairs])
    queries, n = vectors[: len(parts)], len(pairs)
    shows, after = vectors[len(parts):len(parts) + n], vectors[len(parts) + n:]

    def match(v: np.ndarray) -> np.ndarray:  # the whole theme, or (x0.9) its best part
        sims = v @ queries.T
        return np.maximum(sims[:, 0], 0.9 * sims[:, 1:].max(1)) if len(parts) > 1 else sims[:, 0]

    return np.maximum(match(shows), 0.9 * match(after)).astype(np.float32), shows


def theme_parts(theme: str) -> list[str]:
    """The theme, then its parts when it lists several ("seas, mountains and circles")."""
    parts = [p.strip() for p in _LIST.split(theme) if len(p.strip()) > 2]
    return [theme] + (parts if len(parts) > 1 else [])


@dataclass(frozen=True)
class ImageEmbedder:
    """A named image embedder: `embed(image) -> (D,)` whose numbers fall in `blocks` (sizes)."""

    name: str
    embed: Callable[[Image.Image], np.ndarray]
    blocks: tuple[int, ...]


def _light_features(image: Image.Image) -> np.ndarray:
    """Style bottleneck (100) + colour statistics (18: Lab mean/std, hue and lightness histograms)."""
    from studiolo.features.style import style_vector

    style = style_vector(image, style_size=FEATURE_SIDE)
    lab = np.asarray(image.convert("LAB"), np.float32).reshape(-1, 3) / 255.0
    hsv = np.asarray(image.convert("HSV"), np.float32).reshape(-1, 3) / 255.0
    hue_hist, _ = np.histogram(hsv[:, 0], bins=8, range=(0.0, 1.0), weights=hsv[:, 1])
    hue_hist = hue_hist / max(float(hsv[:, 1].sum()), 1e-6)
    light_hist, _ = np.histogram(lab[:, 0], bins=4, range=(0.0, 1.0))
    colour = np.concatenate([lab.mean(0), lab.std(0), hue_hist, light_hist / len(lab)])
    return np.concatenate([style, colour]).astype(np.float32)


LIGHT = ImageEmbedder("light", _light_features, (100, 18))


def _taste_embedder() -> ImageEmbedder | None:
    """taste's default embedder (stats, Magenta style, EfficientNet-Lite0), if it loads and runs."""
    try:
        from studiolo.features.embed import get_embedder

        taste = get_embedder()
        probe = taste.embed([Image.new("RGB", (64, 64), (90, 120, 200))])[0]
    except Exception:  # noqa: BLE001  (absent, or its weights missing: the light one stands in)
        return None
    if probe.size != taste.size or not np.isfinite(probe).all():
        return None
    return ImageEmbedder(f"taste:{taste.id}", lambda image: taste.embed([image])[0],
                         tuple(b.size for b in taste.blocks))


EMBEDDERS = ("taste", "light")
_embedders: dict[str, ImageEmbedder | None] = {}


def image_embedder(name: str | None = None) -> ImageEmbedder:
    """The image embedder of the exhibitions: the one place that chooses it.

    "taste" (the default; STUDIOLO_CURATE_EMBEDDER may say otherwise) is the
    taste package's, with EfficientNet-Lite0: better at what a picture shows,
    but it loads torch (seconds). "light" is the Magenta style vector and
    colour statistics, numpy and ONNX only. "taste" falls back to "light" when
    it cannot load.
    """
    name = name or os.environ.get("STUDIOLO_CURATE_EMBEDDER") or EMBEDDERS[0]
    if name not in EMBEDDERS:
        raise InvalidArgument(f"The image embedder must be one of {list(EMBEDDERS)}, got {name!r}.")
    with _lock:
        if name not in _embedders:
            _embedders[name] = LIGHT if name == "light" else _taste_embedder()
        return _embedders[name] or LIGHT


def image_features(ids: Sequence[str], load_image: Callable[[str], Any]) -> np.ndarray:
    """(N, D) image vectors of the artworks `ids`, standardised over this set, rows unit length.

    `load_image(id)` opens a stored artwork. Vectors are cached per process by
    content id, so choosing and then grouping the same works reads each once.
    """
    embedder = image_embedder()
    rows = []
    for sha in ids:
        key = (embedder.name, sha)
        with _lock:
            cached = _cache.get(key)
            if cached is not None:
                _cache.move_to_end(key)
        if cached is None:
            image = load_image(sha).convert("RGB")
            image.thumbnail((FEATURE_SIDE * 2, FEATURE_SIDE * 2))
            cached = np.asarray(embedder.embed(image), np.float32)
            with _lock:
                _cache[key] = cached
                while len(_cache) > _CACHE_SIZE:
                    _cache.popitem(last=False)
        rows.append(cached)
    if not rows:
        return np.zeros((0, sum(embedder.blocks)), np.float32)
    x = np.stack(rows).astype(np.float32)
    # Standardise each number over this set (what matters is how these works differ),
    # then give every block the same weight, however many numbers it has.
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    weights = np.concatenate([np.full(size, 1.0 / np.sqrt(size)) for size in embedder.blocks])
    return unit_rows(x * weights.astype(np.float32))


def unit_rows(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)).astype(np.float32)
