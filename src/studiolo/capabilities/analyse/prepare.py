"""One picture made ready for every analysis: RGB at the working size, CIELAB, grey, flags.

All figures are read at the same working size (512 px on the long side, the size
of the bundled paintings) so that a stroke length or an edge density means the
same thing for a 4000 px scan and for a 512 px reference; smaller pictures are
kept at their own size (upscaling adds no strokes) and say so in a note.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from studiolo.core.errors import InvalidArgument
from studiolo.core.imageio import open_image

WORK_SIDE = 512  # long side the figures are read at
MIN_SIDE = 32  # below this there is nothing to measure (saliency works on 64 px, LBP on 3x3)
SMALL_SIDE = 256  # below this (long side) brushwork describes blur more than strokes
FLAT_STD = 1.0  # CIELAB standard deviation (all channels) under which a picture is one colour
GREY_CHROMA = 4.0  # CIELAB chroma that 99% of pixels stay under in a grey picture

ImageInput = Image.Image | str | Path | bytes


@dataclass(frozen=True)
class Prepared:
    """A picture at the working size: `rgb` (H, W, 3) uint8, `lab` (H, W, 3) float32
    (L 0..100, a and b about -128..127), `grey` (H, W) float32 in 0..1."""

    rgb: np.ndarray
    lab: np.ndarray
    grey: np.ndarray
    sha256: str
    original_size: tuple[int, int]
    flat: bool
    grayscale: bool
    notes: tuple[str, ...] = field(default=())

    @property
    def image(self) -> Image.Image:
        return Image.fromarray(self.rgb)

    @property
    def size(self) -> tuple[int, int]:
        return self.rgb.shape[1], self.rgb.shape[0]


def content_hash(image: Image.Image) -> str:
    """sha256 of the decoded RGB pixels and the size: the same picture in PNG or BMP (or
    opened twice) has one hash, so features are cached per picture, not per file."""
    rgb = image.convert("RGB")
    digest = hashlib.sha256(f"{rgb.width}x{rgb.height}:".encode())
    digest.update(rgb.tobytes())
    return digest.hexdigest()


def load(source: ImageInput, name: str = "image") -> Image.Image:
    """An RGB PIL image from a PIL image, a path or bytes (through studiolo's safe reader)."""
    if isinstance(source, Image.Image):
        return source.convert("RGB") if source.mode != "RGB" else source
    if isinstance(source, str | Path | bytes):
        return open_image(source, mode="RGB")
    raise InvalidArgument(
        f"`{name}` must be a PIL image, a path or bytes, got {type(source).__name__}."
    )


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 sRGB -> float32 CIELAB under D65 (CIE 1976), via OpenCV."""
    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)


def prepare(source: ImageInput, name: str = "image") -> Prepared:
    """The picture at the working size with its flags; tiny pictures are refused."""
    image = load(source, name)
    w, h = image.size
    if min(w, h) < MIN_SIDE:
        raise InvalidArgument(
            f"`{name}` is {w}x{h} px; analysis needs at least {MIN_SIDE} px on each side, "
            "so use a larger scan of the work."
        )
    sha = content_hash(image)
    notes: list[str] = []
    scale = WORK_SIDE / max(w, h)
    if scale < 1:
        size = (max(MIN_SIDE, round(w * scale)), max(MIN_SIDE, round(h * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    rgb = np.asarray(image, dtype=np.uint8).copy()
    lab = to_lab(rgb)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    flat = bool(lab.reshape(-1, 3).std(axis=0).max() < FLAT_STD)
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    grayscale = bool(np.percentile(chroma, 99) < GREY_CHROMA)
    if flat:
        hexcode = "#{:02x}{:02x}{:02x}".format(*np.median(rgb.reshape(-1, 3), axis=0).astype(int))
        notes.append(
            f"The image is one flat colour ({hexcode}): it has no strokes, edges or focal "
            "points to measure, so those figures are zero."
        )
    elif grayscale:
        notes.append(
            "The image is grayscale: its hues, harmony and colourfulness are those of a grey "
            "picture, not of the painting's colours."
        )
    if not flat and max(w, h) < SMALL_SIDE:
        notes.append(
            f"The image is only {w}x{h} px, so its brushwork figures describe blur and "
            "compression more than strokes."
        )
    for arr in (rgb, lab, grey):
        arr.setflags(write=False)
    return Prepared(rgb=rgb, lab=lab, grey=grey, sha256=sha, original_size=(w, h), flat=flat,
                    grayscale=grayscale, notes=tuple(notes))


def png_bytes(image: Image.Image) -> bytes:
    """PNG bytes of a picture (for reports), written deterministically (no metadata)."""
    buf = io.BytesIO()
    image.save(buf, "PNG", optimize=False)
    return buf.getvalue()
