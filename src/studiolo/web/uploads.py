"""Uploads in, thumbnails out: the two places the web studio touches image bytes.

An upload is read up to the size limit (one byte more is refused), opened by
its content through `studiolo.core.imageio` (never by its name or extension;
decompression bombs are refused from the header), re-encoded as PNG and kept
in the content-addressed file store, noted as the uploader's (catalog/uploads.py): only
they may make something from it. The client's file name is never used.

Thumbnails are made once per size and kept on disk under
`STUDIOLO_HOME/thumbs/<size>/ab/<sha>.webp`, written to a temporary name and
renamed so a reader never sees half a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import UploadFile

from studiolo.core.atomic import write_atomic
from studiolo.core.errors import ImageError, InvalidArgument
from studiolo.core.files import check_sha256
from studiolo.core.imageio import open_image
from studiolo.core.imagemeta import encode_png, encode_webp

THUMB_SIZES = (256, 512)
UPLOAD_MAX_PIXELS = 40_000_000
_CHUNK = 1 << 16


def size_words(n: int) -> str:
    """A byte count as a person reads it: '25 MB', '1.5 MB', '2 KB', '900 bytes'."""
    for unit, size in (("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


class UploadTooLarge(ImageError):
    """An upload over the server's limit (HTTP 413)."""


def too_large(upload_limit: int) -> UploadTooLarge:
    return UploadTooLarge(
        f"The upload is larger than the limit of {size_words(upload_limit)}; send a smaller "
        "image (or start the server with a larger --upload-limit)."
    )


async def read_upload(upload: UploadFile, limit: int) -> bytes:
    """The upload's bytes, refusing more than `limit`; an empty upload is refused too."""
    parts: list[bytes] = []
    size = 0
    while chunk := await upload.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        parts.append(chunk)
    if size == 0:
        raise ImageError("The upload is empty (0 bytes); choose an image file.")
    return b"".join(parts)


def store_upload(studio: Any, data: bytes, person: str,
                 max_pixels: int = UPLOAD_MAX_PIXELS) -> dict[str, Any]:
    """Check and keep an uploaded image as `person`'s (only they may use it); its sha256 (of
    the re-encoded PNG) and size."""
    from studiolo.catalog import uploads

    image = open_image(data, max_pixels=max_pixels, name="The uploaded file")
    sha, _ = studio.files.put(encode_png(image), "png")
    uploads.record(studio.catalog, sha, person)
    return {"sha256": sha, "width": image.width, "height": image.height}


def upload_path(studio: Any, sha256: str | None) -> Path | None:
    """Where an uploaded (or stored) image lives, by its sha256."""
    if sha256 is None:
        return None
    return studio.files.path(check_sha256(sha256))


def thumbnail(studio: Any, sha256: str, size: int) -> Path:
    """The cached thumbnail (longest side `size`) of a stored artwork, made on first ask."""
    if size not in THUMB_SIZES:
        raise InvalidArgument(f"`size` must be one of {THUMB_SIZES}, got {size!r}.")
    sha = check_sha256(sha256)
    target = studio.settings.home / "thumbs" / str(size) / sha[:2] / f"{sha}.webp"
    if target.is_file():
        return target
    image = open_image(studio.files.path(sha))
    image.thumbnail((size, size))
    data = encode_webp(image, quality=80)
    return write_atomic(target, data)
