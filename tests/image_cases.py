"""Small images of every accepted format and mode, and ways to damage their bytes.

`image_bytes(rng)` picks a file from a corpus made once (PNG in five modes and with
text chunks, JPEG baseline / progressive / greyscale / CMYK / restart markers / EXIF,
WebP lossy and lossless, GIF, BMP, TIFF in RGB, CIELAB, CMYK, 16-bit and float);
`mutate_bytes` flips, cuts, splices and re-sizes them, fixing PNG checksums now and
then so the damage reaches past the first check.
"""

from __future__ import annotations

import functools
import io
import random
import struct
import zlib

import numpy as np
from PIL import Image


def _save(image: Image.Image, fmt: str, **kw: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kw)
    return buffer.getvalue()


@functools.cache
def corpus() -> tuple[bytes, ...]:
    from PIL.PngImagePlugin import PngInfo

    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8))
    smooth = Image.fromarray(np.add.outer(np.arange(24), np.arange(32)).astype(np.uint8) * 4)
    info = PngInfo()
    info.add_text("parameters", "a cat\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 32x24")
    info.add_itxt("prompt", '{"3": {"class_type": "KSampler", "inputs": {"seed": 1}}}', zip=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotated
    files = [
        _save(rgb, "PNG"), _save(rgb.convert("RGBA"), "PNG"), _save(smooth, "PNG"),
        _save(rgb.convert("P"), "PNG"), _save(smooth.convert("I;16"), "PNG"),
        _save(rgb, "PNG", pnginfo=info),
        _save(rgb, "JPEG", quality=80), _save(rgb, "JPEG", progressive=True),
        _save(smooth, "JPEG"), _save(rgb.convert("CMYK"), "JPEG"),
        _save(rgb, "JPEG", restart_marker_blocks=2), _save(rgb, "JPEG", exif=exif.tobytes()),
        _save(rgb, "JPEG", subsampling=0, optimize=True),
        _save(rgb, "WEBP", quality=70), _save(rgb.convert("RGBA"), "WEBP", lossless=True),
        _save(rgb.convert("P"), "GIF"), _save(rgb, "BMP"), _save(smooth.convert("1"), "BMP"),
        _save(rgb, "TIFF"), _save(rgb.convert("LAB"), "TIFF"), _save(rgb.convert("CMYK"), "TIFF"),
        _save(smooth.convert("I;16"), "TIFF"), _save(smooth.convert("F"), "TIFF"),
        _save(rgb, "TIFF", compression="tiff_deflate"),
    ]
    return tuple(files)


def image_bytes(rng: random.Random) -> bytes:
    return rng.choice(corpus())


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]] | None:
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    out, pos = [], 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        out.append((kind, data[pos + 8:pos + 8 + length]))
        pos += 12 + length
    return out


def _png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d)) for k, d in chunks)


_SIZES = (0, 1, 7, 255, 256, 4096, 7696, 8000, 65535, 2**31 - 1, 2**32 - 1)


def _resize_header(data: bytes, rng: random.Random) -> bytes:
    """The picture's declared size changed in its header (PNG IHDR, JPEG SOF, BMP, GIF)."""
    width, height = rng.choice(_SIZES), rng.choice(_SIZES)
    chunks = _png_chunks(data)
    if chunks and chunks[0][0] == b"IHDR" and len(chunks[0][1]) == 13:
        chunks[0] = (b"IHDR", struct.pack(">II", width, height) + chunks[0][1][8:])
        return _png(chunks)
    at = max(data.find(b"\xff\xc0"), data.find(b"\xff\xc2"))
    if data.startswith(b"\xff\xd8") and at > 0:
        return data[:at + 5] + struct.pack(">HH", height % 65536, width % 65536) + data[at + 9:]
    if data.startswith(b"BM") and len(data) > 26:
        return data[:18] + struct.pack("<ii", width % 2**31, height % 2**31) + data[26:]
    if data.startswith(b"GIF") and len(data) > 10:
        return data[:6] + struct.pack("<HH", width % 65536, height % 65536) + data[10:]
    return data


def _cut_scan(data: bytes, rng: random.Random) -> bytes:
    """A JPEG with part of its last scan's data cut and the end marker kept."""
    sos = data.rfind(b"\xff\xda")
    if not data.startswith(b"\xff\xd8") or sos < 0:
        return data[: rng.randint(0, len(data))]
    start = sos + 2 + int.from_bytes(data[sos + 2:sos + 4], "big")
    return data[: rng.randint(start, max(start, len(data) - 3))] + b"\xff\xd9"


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        if not out:
            break
        at = rng.randrange(len(out))
        if roll < 0.25:
            for _ in range(rng.randint(1, 8)):
                out[rng.randrange(len(out))] = rng.choice([0, 0xFF, rng.randrange(256)])
        elif roll < 0.4:
            del out[rng.randint(0, len(out)):]
        elif roll < 0.5:
            del out[at:at + rng.randint(1, 64)]
        elif roll < 0.6:
            out[at:at] = out[rng.randrange(len(out)):][: rng.randint(1, 64)]
        elif roll < 0.75:
            out = bytearray(_resize_header(bytes(out), rng))
        elif roll < 0.85:
            out = bytearray(_cut_scan(bytes(out), rng))
        else:
            chunks = _png_chunks(bytes(out))
            if chunks:  # damage inside a chunk, checksum fixed so the reader looks further
                i = rng.randrange(len(chunks))
                kind, body = chunks[i]
                body = bytearray(body)
                for _ in range(rng.randint(1, 4)):
                    if body:
                        body[rng.randrange(len(body))] = rng.randrange(256)
                chunks[i] = (kind, bytes(body))
                out = bytearray(_png(chunks))
    return bytes(out)
