"""All image reading and writing, with Pillow only, safely.

Every file a person hands studiolo comes through `open_image`: it accepts a
short list of formats, refuses decompression bombs from the header before a
pixel is decoded, refuses truncated files instead of padding them with grey
(we never set `ImageFile.LOAD_TRUNCATED_IMAGES`), applies EXIF orientation and
returns a plain, fully loaded image detached from the file. Errors are
`ImageError`s that name the file and say what is wrong.

Metadata (text chunks, EXIF UserComment) and the encoders are in `imagemeta`.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
import zlib
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from studiolo.core.errors import ImageError, InvalidArgument

DEFAULT_MAX_PIXELS = 64_000_000  # 8000 x 8000

FORMATS: tuple[str, ...] = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")
MODES: tuple[str, ...] = ("RGB", "RGBA", "L")

# Magic numbers of the accepted formats: a file that starts like one of them but
# will not open is corrupt, not "some other kind of file".
_SIGNATURES: tuple[bytes, ...] = (
    b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*",
)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


Source = str | Path | bytes


# -- opening ----------------------------------------------------------------
def _describe(source: Source, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, bytes):
        return "<image bytes>"
    return str(source)


def _stream(source: Source, label: str) -> IO[bytes]:
    """A binary stream over the source; missing, directory and empty sources raise here."""
    if isinstance(source, bytes | bytearray | memoryview):
        if len(source) == 0:
            raise ImageError(f"{label} is empty (0 bytes).")
        return io.BytesIO(bytes(source))
    if not isinstance(source, str | Path):
        raise InvalidArgument(
            f"`source` must be a path or bytes, got {type(source).__name__}: {source!r:.80}."
        )
    path = Path(source)
    if path.is_dir():
        raise ImageError(f"{label} is a directory, not an image file.")
    if not path.exists():
        raise ImageError(f"{label} does not exist.")
    if path.stat().st_size == 0:
        raise ImageError(f"{label} is empty (0 bytes).")
    try:
        return path.open("rb")
    except OSError as exc:
        raise ImageError(f"{label} cannot be read: {exc.strerror or exc}.") from None


def _check_pixels(label: str, width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageError(
            f"{label} is {width}x{height} ({width * height} pixels), more than the limit of "
            f"{max_pixels} pixels; refusing it as a possible decompression bomb."
        )


def _peek_png_size(fp: IO[bytes]) -> tuple[int, int] | None:
    """Width and height from a PNG's IHDR, before Pillow (and its own bomb check) sees it."""
    head = fp.read(24)
    fp.seek(0)
    if len(head) == 24 and head[:8] == _PNG_SIGNATURE and head[12:16] == b"IHDR":
        return struct.unpack(">II", head[16:24])
    return None


def _open(fp: IO[bytes], label: str, max_pixels: int) -> Image.Image:
    """Open (header only) one of FORMATS, checking the pixel count; errors name the file."""
    size = _peek_png_size(fp)
    if size is not None:
        _check_pixels(label, *size, max_pixels)
    head = fp.read(16)
    fp.seek(0)
    try:
        # Pillow warns (not raises) between its 89 M and 179 M pixel limits; make it raise.
        # (catch_warnings touches process-wide state; harmless here as it only adds a filter.)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(fp, formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(
            f"{label} is too large to open safely ({exc}); the limit is {max_pixels} pixels."
        ) from None
    except UnidentifiedImageError:
        if head.startswith(_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
            raise ImageError(f"{label} is truncated or corrupt: its header cannot be read.") from None
        raise ImageError(
            f"{label} is not an image Pillow can read{_other_format(fp)}; studiolo reads "
            f"{', '.join(FORMATS)}."
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise ImageError(f"{label} is truncated or corrupt: {exc}.") from None
    _check_pixels(label, image.width, image.height, max_pixels)
    return image


def _other_format(fp: IO[bytes]) -> str:
    """" (it is a TGA image)" when Pillow knows the format but we do not accept it."""
    fp.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(fp) as other:  # header only: identifies, decodes nothing
                return f" (it is a {other.format} image, a format studiolo does not accept)"
    except Exception:  # noqa: BLE001 - any failure just means "not an image"
        return ""
    finally:
        fp.seek(0)


def _load(image: Image.Image, label: str) -> None:
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error) as exc:
        raise ImageError(f"{label} is truncated or corrupt: {exc}.") from None


def _to_8bit(image: Image.Image) -> Image.Image:
    """16-bit and float images scaled (not clipped) to 8 bits.

    "I;16*" and "I" are taken as 0..65535 (16-bit PNG and TIFF open as these);
    "F" is taken as 0..1 when its maximum is at most 1, else as 0..255.
    """
    if image.mode.startswith("I;16") or image.mode == "I":
        values = np.asarray(image, dtype=np.float64)
        scaled = np.clip(values, 0, 65535) * (255.0 / 65535.0)
    elif image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        values = np.nan_to_num(values)
        scale = 255.0 if values.size and values.max() <= 1.0 else 1.0
        scaled = np.clip(values * scale, 0, 255)
    else:
        return image
    return Image.fromarray(np.rint(scaled).astype(np.uint8))


def _over_white(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        image.mode in ("P", "L", "RGB") and "transparency" in image.info
    )


def _convert(image: Image.Image, mode: str) -> Image.Image:
    image = _to_8bit(image)
    if mode == "RGBA":
        return image.convert("RGBA")
    if _has_alpha(image):
        image = _over_white(image)
    return image.convert(mode)  # CMYK, YCbCr, P, 1, L -> RGB/L by Pillow's own tables


def open_image(
    source: Source,
    *,
    mode: str = "RGB",
    max_pixels: int = DEFAULT_MAX_PIXELS,
    name: str | None = None,
) -> Image.Image:
    """Open an image file (or bytes) safely: fully loaded, oriented, in `mode`, detached.

    `mode` is "RGB" (alpha composited over white), "RGBA" (alpha kept) or "L".
    `name` is what errors call the source (defaults to the path).
    """
    if mode not in MODES:
        raise InvalidArgument(f"`mode` must be one of {MODES}, got {mode!r}.")
    if not isinstance(max_pixels, int) or isinstance(max_pixels, bool) or max_pixels <= 0:
        raise InvalidArgument(f"`max_pixels` must be a positive integer, got {max_pixels!r}.")
    label = _describe(source, name)
    with _stream(source, label) as fp, _open(fp, label, max_pixels) as image:
        if image.format == "GIF":
            image.seek(0)
        _load(image, label)
        try:
            oriented = ImageOps.exif_transpose(image)
        except (OSError, SyntaxError, ValueError, struct.error):
            oriented = image  # broken EXIF is not a broken image: keep the pixels as stored
        result = _convert(oriented, mode)
        if result is image:
            result = image.copy()
    result.info = {k: v for k, v in result.info.items() if k in ("dpi", "icc_profile")}
    return result


def open_mask(source: Source, size: tuple[int, int]) -> Image.Image:
    """A hard inpainting mask ("L", white = repaint) resized to `size` with NEAREST."""
    if (
        not isinstance(size, tuple | list)
        or len(size) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)
    ):
        raise InvalidArgument(f"`size` must be (width, height) of positive integers, got {size!r}.")
    mask = open_image(source, mode="L")
    if mask.size != tuple(size):
        # NEAREST keeps a hard mask hard: no grey seam a sampler would half-repaint.
        mask = mask.resize(tuple(size), Image.Resampling.NEAREST)
    return mask


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of `data` (the content id of a stored file)."""
    return hashlib.sha256(data).hexdigest()

