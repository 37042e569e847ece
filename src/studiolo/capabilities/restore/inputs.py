"""Reading scans and masks for restoration: total readers with one-sentence errors and notes.

A scan can be grayscale, 16-bit (PNG or TIFF), have an alpha channel, or be far larger than
the studio's usual 8000 px limit (up to 20000 x 20000 px here, since restoration works in
tiles). Each of these is accepted and said in a note; what cannot be used (not an image, a
truncated file, a mask of another size, a mask that covers everything) is refused with a
sentence saying what was wrong, what was received and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from studiolo.core.errors import ImageError, InvalidArgument
from studiolo.core.imageio import open_image

MAX_PIXELS = 20_000 * 20_000  # restoration tiles its work: a 20000 px scan is fine
MIN_UNMASKED = 0.01  # a fill needs at least 1 % of the picture to learn from
_GREY = ("{label} is a grayscale scan: it is analysed as grey, and colour correction leaves "
         "it grey.")
_ALPHA = ("{label} has an alpha channel: transparent parts were laid over white and are left "
          "out of the damage maps.")


@dataclass(frozen=True)
class Scan:
    """A scan ready for restoration: uint8 RGB pixels and what was noticed on reading it."""

    pixels: np.ndarray  # (H, W, 3) uint8
    name: str
    notes: tuple[str, ...] = ()
    grayscale: bool = False
    bits: int = 8
    opaque: np.ndarray | None = None  # (H, W) bool, False where the scan was transparent

    @property
    def size(self) -> tuple[int, int]:
        return self.pixels.shape[1], self.pixels.shape[0]


def _label(source: str | Path | bytes, name: str | None) -> str:
    if name:
        return name
    return "<image bytes>" if isinstance(source, bytes | bytearray) else Path(source).name


def _header(source: str | Path | bytes) -> tuple[str, bool, bool]:
    """(mode, 16-bit?, has alpha?) from the file's header, decoding no pixels."""
    import io

    is_bytes = isinstance(source, bytes | bytearray)
    with (io.BytesIO(bytes(source)) if is_bytes else Path(source).open("rb")) as fp, \
            Image.open(fp) as image:
        raw = [str(t.args[0] if isinstance(t.args, tuple) else t.args) for t in image.tile]
        sixteen = image.mode.startswith("I;16") or image.mode in ("I", "F") or any(
            ";16" in r for r in raw)
        alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
        return image.mode, sixteen, alpha


def read_scan(source: str | Path | bytes | np.ndarray | Image.Image, name: str | None = None) -> Scan:
    """A scan from a file, bytes, a PIL image or an array ((H, W) or (H, W, 3|4) uint8)."""
    if isinstance(source, Image.Image):  # as the other verbs take one
        keep = source.mode in ("L", "RGB", "RGBA")
        source, name = np.asarray(source if keep else source.convert("RGBA")), name or "<image>"
    if isinstance(source, np.ndarray):
        return _from_array(source, name or "<array>")
    label = _label(source, name)
    image = open_image(source, mode="RGBA", max_pixels=MAX_PIXELS, name=label)
    mode, sixteen, alpha = _header(source)  # open_image succeeded: the header is readable
    notes = []
    grayscale = mode in ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F")
    if grayscale:
        notes.append(_GREY.format(label=label))
    if sixteen:
        notes.append(f"{label} has 16 bits per channel: it is analysed and restored at 8 bits "
                     "per channel.")
    rgba = np.asarray(image)
    del image
    rgb, opaque = _over_white(rgba) if alpha else (np.ascontiguousarray(rgba[..., :3]), None)
    if alpha:
        notes.append(_ALPHA.format(label=label))
    return Scan(rgb, label, tuple(notes), grayscale, 16 if sixteen else 8, opaque)


def _over_white(rgba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RGB over white, in row bands so no float copy of the whole picture is made."""
    h = rgba.shape[0]
    rgb = np.empty((h, rgba.shape[1], 3), np.uint8)
    for y in range(0, h, 512):
        band = rgba[y:y + 512]
        a = band[..., 3:4].astype(np.uint16)
        rgb[y:y + 512] = ((band[..., :3] * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)
    return rgb, rgba[..., 3] >= 128


def _from_array(array: np.ndarray, label: str) -> Scan:
    if array.dtype != np.uint8 or array.ndim not in (2, 3) or (
            array.ndim == 3 and array.shape[2] not in (1, 3, 4)) or 0 in array.shape[:2]:
        raise InvalidArgument(
            f"`image` must be a non-empty uint8 array of shape (H, W), (H, W, 3) or (H, W, 4), "
            f"got {array.dtype} {array.shape}."
        )
    if array.ndim == 2 or array.shape[2] == 1:
        grey = array.reshape(array.shape[:2])
        return Scan(np.repeat(grey[..., None], 3, axis=2), label,
                    (_GREY.format(label=label),), grayscale=True)
    if array.shape[2] == 4:
        rgb, opaque = _over_white(array)
        return Scan(rgb, label, (_ALPHA.format(label=label),), opaque=opaque)
    return Scan(np.ascontiguousarray(array), label)


def read_mask(source: str | Path | bytes | np.ndarray | Image.Image, size: tuple[int, int],
              image_name: str = "the image", name: str | None = None) -> np.ndarray:
    """A fill mask (white = fill) as (H, W) bool for an image of `size` (width, height).

    Refuses a mask of another size and one that leaves less than 1 % unmasked; a mask with
    alpha counts only its opaque white pixels.
    """
    if isinstance(source, Image.Image):
        source, name = np.asarray(source.convert("L")), name or "<mask image>"
    if isinstance(source, np.ndarray):
        label = name or "<mask array>"
        arr = source
        if arr.ndim == 3:
            arr = arr[..., :3].max(axis=2) if arr.shape[2] in (3, 4) else arr[..., 0]
        if arr.ndim != 2:
            raise InvalidArgument(f"`mask` must be an (H, W) array, got shape {source.shape}.")
        white = arr > (0.5 if arr.dtype == bool or arr.max(initial=0) <= 1 else 127)
    else:
        label = _label(source, name)
        try:
            rgba = np.asarray(open_image(source, mode="RGBA", max_pixels=MAX_PIXELS, name=label))
        except ImageError as exc:
            raise ImageError(f"The mask {exc}") from None
        white = (rgba[..., :3].max(axis=2) > 127) & (rgba[..., 3] > 127)
    w, h = size
    if white.shape != (h, w):
        raise InvalidArgument(
            f"The mask {label} is {white.shape[1]}x{white.shape[0]} px but {image_name} is "
            f"{w}x{h} px; give a mask of the image's size (white where to fill)."
        )
    covered = float(white.mean())
    if 1.0 - covered < MIN_UNMASKED:
        pct = "100" if covered == 1.0 else f"{covered * 100:.1f}"
        raise InvalidArgument(
            f"The mask {label} covers {pct}% of {image_name} ({w}x{h} px), leaving nothing to "
            "fill from; mark only the damage, white on black."
        )
    return white
