"""All image reading and writing, with Pillow only, safely.

Every file a person hands studiolo comes through `open_image`: it accepts a
short list of formats, refuses decompression bombs from the header before a
pixel is decoded, refuses truncated files instead of padding them with grey
(we never set `ImageFile.LOAD_TRUNCATED_IMAGES`), applies EXIF orientation and
returns a plain, fully loaded image detached from the file. Errors are
`ImageError`s that name the file and say what is wrong. A JPEG is checked from
its markers first (`studiolo.core.jpeg`): libjpeg pads missing scan data with
grey rather than failing, so a cut file, or a tiny file declaring a huge
picture, is refused before decoding.

Metadata (text chunks, EXIF UserComment) and the encoders are in `imagemeta`.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
import warnings
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from studiolo.core import jpeg
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
    except Exception as exc:  # noqa: BLE001 - Pillow's plugins raise many kinds on crafted files
        raise ImageError(f"{label} is truncated or corrupt: {_reason(exc)}.") from None
    _check_pixels(label, image.width, image.height, max_pixels)
    return image


def _reason(exc: BaseException) -> str:
    """Pillow's reason, short: its plugins raise OSError, ValueError, but also KeyError & co."""
    text = str(exc) or type(exc).__name__
    if not isinstance(exc, OSError | SyntaxError | ValueError | EOFError | struct.error):
        text = f"{type(exc).__name__} {text}"
    return text if len(text) <= 160 else text[:157] + "..."


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


def _load(image: Image.Image, label: str, padded: bool = False) -> None:
    try:
        image.load()
    except Exception as exc:  # noqa: BLE001 - Pillow's decoders raise many kinds on crafted files
        if padded and isinstance(exc, OSError) and "truncated" in str(exc):
            raise ImageError(
                f"{label} is truncated: its JPEG scan data ends before the last rows of the "
                "picture (the end marker is there, the data before it is not); use a complete "
                "copy of the file."
            ) from None
        raise ImageError(f"{label} is truncated or corrupt: {_reason(exc)}.") from None


def _jpeg_stream(fp: IO[bytes]) -> tuple[IO[bytes], jpeg.JpegLayout | None, bool, int]:
    """The stream to decode, a JPEG's layout, whether its end was padded, the file's size."""
    head = fp.read(3)
    size = fp.seek(0, io.SEEK_END)
    fp.seek(0)
    if head != b"\xff\xd8\xff":
        return fp, None, False, size
    data = fp.read()
    layout = jpeg.read_layout(data)
    padded = jpeg.padded_for_decoding(data, layout) if layout is not None else None
    return io.BytesIO(padded or data), layout, padded is not None, size


# Deflate's largest ratio is 1032:1 (a 258-byte match coded in about two bits: RFC 1951,
# zlib's "technical details"), and a PNG row holds a filter byte and at least a bit a pixel.
_DEFLATE_RATIO = 1032


def _too_small(label: str, image: Image.Image, have: int, what: str, need: int) -> ImageError:
    return ImageError(
        f"{label} declares {image.width}x{image.height} pixels but holds only {have} bytes of "
        f"{what}, fewer than the {need} bytes so many pixels need at the least; it is damaged, or "
        "made to look larger than it is, so it is refused. Use an intact copy of the picture."
    )


def _check_declared(image: Image.Image, layout: jpeg.JpegLayout | None, size: int, label: str) -> None:
    """Refuse, before decoding, a file too small for the picture it declares, or cut short."""
    if image.format == "PNG":
        need = math.ceil(image.height * (1 + math.ceil(image.width / 8)) / _DEFLATE_RATIO)
        if size < need:
            raise _too_small(label, image, size, "data", need)
        return
    if image.format == "GIF" and image.tile:
        # LZW: a code of at least 3 bits gives at most 4096 pixels (the table's longest string).
        x0, y0, x1, y1 = image.tile[0][1]
        need = math.ceil((x1 - x0) * (y1 - y0) * 3 / 8 / 4096)
        if size < need:
            raise _too_small(label, image, size, "data", need)
        return
    if image.format != "JPEG":
        return
    if layout is None:  # markers we cannot walk: Pillow's reading of the frame, the whole file
        sampling = [(h, v) for _, h, v, _ in getattr(image, "layer", [])]
        need = jpeg.min_bytes_for(image.width, image.height, sampling)
        if need is not None and size < need:
            raise _too_small(label, image, size, "data", need)
        return
    need = jpeg.min_scan_bytes(layout)
    if need is not None and layout.scan_bytes < need:
        raise _too_small(label, image, layout.scan_bytes, "scan data", need)
    missing = jpeg.missing_scans(layout)
    if missing is not None:
        raise ImageError(f"{label} is truncated: {missing}; use a complete copy of the file.")


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
    with _stream(source, label) as raw:
        fp, layout, padded, size = _jpeg_stream(raw)
        with _open(fp, label, max_pixels) as image:
            _check_declared(image, layout, size, label)
            if image.format == "GIF":
                image.seek(0)
            _load(image, label, padded and image.format == "JPEG")
            try:
                oriented = ImageOps.exif_transpose(image)
            except Exception:  # noqa: BLE001 - broken EXIF is not a broken image: keep the pixels
                oriented = image
            try:
                result = _convert(oriented, mode)
            except (ValueError, OSError) as exc:
                raise ImageError(
                    f"{label} is a {oriented.mode} image, which studiolo cannot convert to {mode} "
                    f"({_reason(exc)}); save it as RGB or greyscale and try again."
                ) from None
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

