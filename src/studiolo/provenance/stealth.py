"""Metadata hidden in the pixels: "stealth pnginfo" (A1111 extension) and NovelAI's alpha LSBs.

Layout, as the A1111 extension (ashen-sensored/sd_webui_stealth_pnginfo) writes it
and NovelAI's reader (and sd-prompt-reader's, sd-parsers') reads it:

- pixels are taken column by column: x outer, y inner ((0,0), (0,1), ... (0,H-1), (1,0), ...);
- "alpha" mode: one bit per pixel, the least significant bit of alpha; "rgb" mode: three
  bits per pixel, the least significant bits of R, G then B;
- bits are grouped into bytes most significant bit first. The stream is a 15-byte
  signature (`stealth_pnginfo` / `stealth_pngcomp` in alpha, `stealth_rgbinfo` /
  `stealth_rgbcomp` in RGB; `comp` = gzip), a 32-bit big-endian length of the payload
  *in bits*, then the payload: A1111 infotext, or NovelAI's JSON of its text chunks.

Reading is bounded: the signature is checked on its first 120 (alpha) or 40 (RGB)
pixels before anything else is touched; the payload may not be longer than the
pixels can hold nor than `MAX_PAYLOAD`, and a gzip payload may not inflate past
`MAX_TEXT`. Only the columns that hold the payload are copied.
"""

from __future__ import annotations

import zlib

import numpy as np
from PIL import Image

from studiolo.core.errors import MetadataError

SIGNATURES = {
    b"stealth_pnginfo": ("alpha", False), b"stealth_pngcomp": ("alpha", True),
    b"stealth_rgbinfo": ("rgb", False), b"stealth_rgbcomp": ("rgb", True),
}
_SIG_BITS = 15 * 8
MAX_PAYLOAD = 8 * 1024 * 1024  # bytes in the pixels; a recipe is a few kB
MAX_TEXT = 32 * 1024 * 1024  # bytes once inflated, as for PNG text chunks


def _lsb_stream(planes: np.ndarray, pixels: int) -> np.ndarray:
    """The least significant bits of the first `pixels` pixels in column order, as a flat
    0/1 array (`planes` is H x W x C; C bits per pixel, in channel order)."""
    height = planes.shape[0]
    columns = -(-pixels // height)
    block = planes[:, :columns, :]  # only the columns needed
    bits = (np.transpose(block, (1, 0, 2)) & 1).reshape(-1)
    return bits[: pixels * planes.shape[2]]


def _bytes(bits: np.ndarray) -> bytes:
    return np.packbits(bits[: len(bits) // 8 * 8].astype(np.uint8)).tobytes()


def _planes(image: Image.Image, mode: str) -> np.ndarray | None:
    if mode == "alpha":
        if "A" not in image.getbands():
            return None
        return np.asarray(image.getchannel("A"))[:, :, None]
    if image.mode not in ("RGB", "RGBA"):
        return None
    return np.asarray(image)[:, :, :3]


def read_stealth(image: Image.Image, *, name: str = "<image>") -> tuple[str, str] | None:
    """(mode, payload text) hidden in `image`'s least significant bits, or None when no
    signature is there. A signature followed by a broken payload is a `MetadataError`."""
    width, height = image.size
    if width * height == 0:
        return None
    for mode in ("alpha", "rgb"):
        planes = _planes(image, mode)
        if planes is None:
            continue
        per_pixel = planes.shape[2]
        head_pixels = -(-(_SIG_BITS + 32) // per_pixel)
        if head_pixels > width * height:
            continue
        head = _lsb_stream(planes, head_pixels)
        found = SIGNATURES.get(_bytes(head[:_SIG_BITS]))
        if found is None or found[0] != mode:
            continue
        compressed = found[1]
        length_bits = int.from_bytes(_bytes(head[_SIG_BITS:_SIG_BITS + 32]), "big")
        room = width * height * per_pixel - _SIG_BITS - 32
        if length_bits > room or length_bits > MAX_PAYLOAD * 8 or length_bits % 8:
            raise MetadataError(
                f"{name} has {mode} stealth metadata whose length ({length_bits} bits) is not a "
                f"whole number of bytes that fits in its {width}x{height} pixels; the metadata is "
                "damaged: save the picture again from the tool that made it.")
        total = _SIG_BITS + 32 + length_bits
        bits = _lsb_stream(planes, -(-total // per_pixel))
        payload = _bytes(bits[_SIG_BITS + 32:total])
        return mode, _decode(payload, compressed, mode, name)
    return None


def _decode(payload: bytes, compressed: bool, mode: str, name: str) -> str:
    if compressed:
        inflater = zlib.decompressobj(wbits=31)  # gzip
        try:
            payload = inflater.decompress(payload, MAX_TEXT)
        except zlib.error as exc:
            raise MetadataError(
                f"{name} has compressed {mode} stealth metadata that will not inflate ({exc}); the "
                "metadata is damaged: save the picture again from the tool that made it.") from None
        if inflater.unconsumed_tail:
            raise MetadataError(f"{name} has {mode} stealth metadata larger than {MAX_TEXT} bytes "
                                "once inflated; refusing it.")
    return payload.decode("utf-8", errors="replace")
