"""Image features for taste, through a pluggable embedder, and the small space taste lives in.

An embedder turns a picture into named blocks of numbers. The default one uses
only weights that ship in installed packages:

- "stats": colour and composition statistics with words (`taste.stats`), 15 numbers;
- "style": the Magenta style bottleneck (`engines.style_transfer.style_vector`), 100;
- "effnet": EfficientNet-Lite0 ImageNet features (`taste.effnet`), 1280, L2-normalised;
- "affinity" (derived, no raw columns): the cosine of the style vector to each
  bundled painting's, which carries "likes pictures close to one painting": a
  cosine is not linear in the style vector, and 8 principal axes of it lifted the
  simulated one-style person (`benchmarks/taste.py`) from 74% to 83% held-out
  accuracy after 30 random pairs, the other kinds unchanged within a point.

CLIP or DINO join when the person has them locally (`get_embedder("clip")`,
`"clip:/path/to/folder"`, `"dino:facebook/dinov2-small"`): loaded only with
`local_files_only=True`, with the stats block beside them.

Taste is learned from 10-30 pairs, so each block is reduced to a few
well-scaled coordinates by a projection that does not depend on the person's
pictures (a taste code carries only weights and the embedder id): stats are
standardised; style (and CLIP/DINO) are projected on the principal axes of the
bundled public-domain paintings (`studiolo.features.styles`), which are also the
reference for "close to The Starry Night". (The top singular vectors of
EfficientNet's own ImageNet classifier were tried as a data-free basis for it:
24 of them hold only 8% of the paintings' feature variance, 24 principal axes
72%.) The reference features take ~8 s to compute once; they are kept under
STUDIOLO_HOME/cache/features/. Each block is scaled so
its coordinates have unit average variance over the paintings: this is the
per-block normalisation, and it gives the model's prior the same meaning in
every block.
"""

from __future__ import annotations

import functools
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from studiolo.core.atomic import npz_bytes, write_atomic
from studiolo.core.errors import InvalidArgument, ModelNotFound, UnknownName
from studiolo.features.colour import STAT_NAMES, image_stats

DEFAULT_EMBEDDER = "default"
EMBEDDER_NAMES = ("default", "clip[:MODEL]", "dino[:MODEL]")


@dataclass(frozen=True)
class Block:
    """A named slice of the raw features; `basis` says how it is reduced to `keep` numbers."""

    name: str
    size: int  # raw columns (0 for an "affinity" block: it reads its `source` block's)
    keep: int
    basis: str  # "standardise" (keep = size), "pca" (principal axes of the paintings) or "affinity"
    source: str | None = None  # for "affinity": the block whose cosines to the paintings it reads


@dataclass(frozen=True)
class Space:
    """The reduction of one embedder: per block a centre, a (size, keep) basis and scales."""

    blocks: tuple[Block, ...]
    centres: tuple[np.ndarray, ...]
    bases: tuple[np.ndarray, ...]
    scales: tuple[np.ndarray, ...]
    reference_titles: tuple[str, ...]
    reference: np.ndarray  # (n_ref, k) the paintings in the reduced space
    anchors: tuple[np.ndarray | None, ...] = ()  # per "affinity" block: the paintings' unit source rows

    @property
    def fingerprint(self) -> int:
        """16 bits naming the reference set: taste codes carry it to catch another set."""
        return zlib.crc32("\n".join(self.reference_titles).encode()) & 0xFFFF

    def reduce(self, raw: np.ndarray) -> np.ndarray:
        raw = np.atleast_2d(np.asarray(raw, dtype=np.float64))
        anchors = self.anchors or (None,) * len(self.blocks)
        parts = []
        for block, centre, basis, scale, anchor in zip(
                self.blocks, self.centres, self.bases, self.scales, anchors):
            chunk = _block_input(raw, self.blocks, block, anchor)
            parts.append(((chunk - centre) @ basis) / scale)
        return np.concatenate(parts, axis=1)


def _raw_slice(blocks: Sequence[Block], name: str) -> slice:
    start = 0
    for block in blocks:
        if block.name == name:
            return slice(start, start + block.size)
        start += block.size
    raise KeyError(name)


def _unit_rows(a: np.ndarray) -> np.ndarray:
    return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)


def _block_input(raw: np.ndarray, blocks: Sequence[Block], block: Block, anchor: np.ndarray | None) -> np.ndarray:
    """A block's raw columns, or for an "affinity" block the cosines of its source to the paintings."""
    if block.basis != "affinity":
        return raw[:, _raw_slice(blocks, block.name)]
    assert block.source is not None and anchor is not None
    return _unit_rows(raw[:, _raw_slice(blocks, block.source)]) @ anchor.T


def _sign_fixed(basis: np.ndarray) -> np.ndarray:
    # Eigenvectors have no sign; make each column's largest entry positive so a basis
    # computed on another machine points the same way (taste codes depend on it).
    idx = np.argmax(np.abs(basis), axis=0)
    return basis * np.sign(basis[idx, np.arange(basis.shape[1])])


class Embedder:
    """Base of every embedder: `id`, `blocks`, and `_embed_one(image) -> (size,)`.

    `blocks` lay out the raw features; `derived` blocks (no raw columns) are
    computed from them in the reduction only.
    """

    id: str = ""
    blocks: tuple[Block, ...] = ()
    derived: tuple[Block, ...] = ()

    @property
    def size(self) -> int:
        return sum(b.size for b in self.blocks)

    @property
    def reduced_blocks(self) -> tuple[Block, ...]:
        return self.blocks + self.derived

    @property
    def reduced_size(self) -> int:
        return sum(b.keep for b in self.reduced_blocks)

    def reduced_slices(self) -> dict[str, slice]:
        out, start = {}, 0
        for block in self.reduced_blocks:
            out[block.name] = slice(start, start + block.keep)
            start += block.keep
        return out

    def _embed_one(self, image: Image.Image) -> np.ndarray:
        raise NotImplementedError

    def embed(self, images: Sequence[Image.Image]) -> np.ndarray:
        """(n, size) float32 raw features of PIL images."""
        rows = []
        for i, image in enumerate(images):
            if not isinstance(image, Image.Image):
                raise InvalidArgument(f"Image {i} must be a PIL image, got {type(image).__name__}.")
            if min(image.size) < 16:
                raise InvalidArgument(f"Image {i} is {image.width}x{image.height} px; both sides "
                                      "must be at least 16 px.")
            rows.append(self._embed_one(image.convert("RGB")))
        return np.stack(rows).astype(np.float32) if rows else np.zeros((0, self.size), np.float32)

    def space(self, home: Path | None = None) -> Space:
        """The reduction (built once per process; its inputs cached under `home` if given)."""
        return _space(self, home)

    def reduce(self, raw: np.ndarray, home: Path | None = None) -> np.ndarray:
        """(n, size) raw features -> (n, reduced_size) taste coordinates."""
        raw = np.atleast_2d(np.asarray(raw))
        if raw.shape[1] != self.size:
            raise InvalidArgument(f"Features for embedder {self.id!r} must have {self.size} "
                                  f"columns, got {raw.shape[1]}.")
        return self.space(home).reduce(raw)


class DefaultEmbedder(Embedder):
    """Colour/composition stats + Magenta style vector + EfficientNet-Lite0 (bundled weights)."""

    id = "lite0-v1"
    blocks = (
        Block("stats", len(STAT_NAMES), len(STAT_NAMES), "standardise"),
        Block("style", 100, 8, "pca"),
        Block("effnet", 1280, 24, "pca"),
    )
    derived = (Block("affinity", 0, 8, "affinity", source="style"),)

    def _embed_one(self, image: Image.Image) -> np.ndarray:
        from studiolo.features.content import image_features
        from studiolo.features.style import style_vector

        deep = image_features(image)
        deep = deep / max(float(np.linalg.norm(deep)), 1e-8)
        return np.concatenate([image_stats(image), style_vector(image), deep])


class HFEmbedder(Embedder):
    """CLIP or DINO from a local folder or the local Hugging Face cache, plus the stats."""

    def __init__(self, family: str, ref: str) -> None:
        self.family, self.ref = family, ref
        self.id = f"{family}:{ref}"
        self._lock = threading.Lock()
        self._model, self._processor = self._load()
        config = self._model.config
        size = int(getattr(config, "projection_dim", 0) or config.hidden_size)
        self.blocks = (
            Block("stats", len(STAT_NAMES), len(STAT_NAMES), "standardise"),
            Block(family, size, min(24, size), "pca"),
        )

    def _looks_local(self) -> bool:
        return self.ref.startswith(("/", ".", "~")) or Path(self.ref).expanduser().exists()

    def _present(self) -> bool:
        """Whether the files are here, checked before the (slow) transformers import."""
        if self._looks_local():
            folder = Path(self.ref).expanduser()
            return all((folder / f).is_file() for f in ("config.json", "preprocessor_config.json"))
        from huggingface_hub import try_to_load_from_cache

        try:
            return all(isinstance(try_to_load_from_cache(self.ref, f), str)
                       for f in ("config.json", "preprocessor_config.json"))
        except ValueError:  # not a valid repo id
            return False

    def _missing(self) -> ModelNotFound:
        label = self.family.upper()
        if self._looks_local():
            return ModelNotFound(
                f"No {label} model in the folder {self.ref!r} (it needs the config.json and "
                "preprocessor_config.json that save_pretrained writes); name a folder that has "
                f"them, or a model in the Hugging Face cache: --embedder {self.family}:"
                f"{HF_DEFAULTS[self.family]}."
            )
        return ModelNotFound(
            f"The {label} model {self.ref!r} is not in the local Hugging Face cache (it is only "
            f"loaded offline); on a connected machine run `studiolo models pull {self.ref}`, or "
            f"name a local folder: --embedder {self.family}:/path/to/model."
        )

    def _load(self) -> tuple[Any, Any]:
        if not self._present():
            raise self._missing()
        from transformers import AutoImageProcessor

        try:
            processor = AutoImageProcessor.from_pretrained(self.ref, local_files_only=True)
            if self.family == "clip":
                from transformers import CLIPVisionModelWithProjection

                model = CLIPVisionModelWithProjection.from_pretrained(
                    self.ref, local_files_only=True)
            else:
                from transformers import AutoModel

                model = AutoModel.from_pretrained(self.ref, local_files_only=True)
        except (OSError, ValueError):
            raise self._missing() from None
        return model.eval(), processor

    def _embed_one(self, image: Image.Image) -> np.ndarray:
        import torch

        with self._lock, torch.inference_mode():
            inputs = self._processor(images=image, return_tensors="pt")
            out = self._model(pixel_values=inputs["pixel_values"])
            if self.family == "clip":
                deep = out.image_embeds[0]
            else:
                deep = out.last_hidden_state[0, 0]  # the CLS token
        deep = deep.float().numpy()
        deep = deep / max(float(np.linalg.norm(deep)), 1e-8)
        return np.concatenate([image_stats(image), deep])


@functools.cache
def _default() -> DefaultEmbedder:
    return DefaultEmbedder()


@functools.cache
def _hf(family: str, ref: str) -> HFEmbedder:
    return HFEmbedder(family, ref)


HF_DEFAULTS = {"clip": "openai/clip-vit-base-patch32", "dino": "facebook/dinov2-small"}


def get_embedder(name: str | None = None) -> Embedder:
    """The embedder `name` means: "default" (or its id), "clip[:MODEL]", "dino[:MODEL]"."""
    name = (name or DEFAULT_EMBEDDER).strip()
    if name in (DEFAULT_EMBEDDER, DefaultEmbedder.id):
        return _default()
    family, _, ref = name.partition(":")
    if family in HF_DEFAULTS:
        return _hf(family, ref.strip() or HF_DEFAULTS[family])
    raise UnknownName("embedder", name, list(EMBEDDER_NAMES))


# -- the reference paintings and the reduced space ------------------------------


def reference_titles() -> list[str]:
    """Titles of the bundled public-domain paintings (cheap: no image is read)."""
    from studiolo.features.styles import list_styles

    return [s.title for s in list_styles() if s.kind == "painting"]


def reference_images() -> list[tuple[str, Image.Image]]:
    """(title, image) of the bundled public-domain paintings."""
    from studiolo.features.styles import list_styles, style_image

    return [(s.title, style_image(s)) for s in list_styles() if s.kind == "painting"]


_SPACES: dict[str, Space] = {}
_SPACE_LOCK = threading.Lock()


def _space(embedder: Embedder, home: Path | None) -> Space:
    with _SPACE_LOCK:
        if embedder.id not in _SPACES:
            _SPACES[embedder.id] = _build_space(embedder, *_reference_features(embedder, home))
        return _SPACES[embedder.id]


def _reference_features(embedder: Embedder, home: Path | None) -> tuple[list[str], np.ndarray]:
    from studiolo.features.cache import cache_folder

    path = None if home is None else cache_folder(home, embedder) / "reference.npz"
    if path is not None and path.is_file():
        try:
            with np.load(path) as data:
                titles, raw = [str(t) for t in data["titles"]], data["features"]
            if raw.shape[1] == embedder.size and titles == reference_titles():
                return titles, raw
        except (OSError, ValueError, KeyError):
            pass  # recomputed below
    titles, images = zip(*reference_images())
    raw = embedder.embed(list(images))
    if path is not None:
        write_atomic(path, npz_bytes(titles=np.array(titles), features=raw))
    return list(titles), raw


def _build_space(embedder: Embedder, titles: list[str], raw: np.ndarray) -> Space:
    raw = raw.astype(np.float64)
    centres, bases, scales, anchors = [], [], [], []
    for block in embedder.reduced_blocks:
        anchor = None
        if block.basis == "affinity":
            anchor = _unit_rows(raw[:, _raw_slice(embedder.blocks, block.source or "")])
        chunk = _block_input(raw, embedder.blocks, block, anchor)
        anchors.append(anchor)
        centre = chunk.mean(axis=0)
        if block.basis == "standardise":
            basis = np.eye(block.size)
        else:
            _, _, vt = np.linalg.svd(chunk - centre, full_matrices=False)
            basis = _sign_fixed(vt[: block.keep].T)
        projected = (chunk - centre) @ basis
        spread = projected.std(axis=0)
        if block.basis == "standardise":
            scale = np.maximum(spread, 1e-6)
        else:  # one scale for the block: keeps the axes' relative variance
            scale = np.full(block.keep, max(float(np.sqrt((spread**2).mean())), 1e-8))
        centres.append(centre)
        bases.append(basis)
        scales.append(scale)
    space = Space(embedder.reduced_blocks, tuple(centres), tuple(bases), tuple(scales), tuple(titles),
                  np.zeros((0, 0)), tuple(anchors))
    return replace(space, reference=space.reduce(raw))
