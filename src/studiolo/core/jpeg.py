"""What a JPEG's markers say, read before a pixel is decoded, to refuse what libjpeg would pad.

libjpeg never fails on missing scan data: when its entropy decoder meets a
marker (the end marker, say) before the last block, it warns and fills the
rest with zero coefficients, which come out uniform grey (libjpeg's
`jdhuff.c`: "we return uniform gray for the remainder of the segment"), and
Pillow does not pass the warning on. So a JPEG whose scan data was cut but
whose end marker was kept opens "fine" and comes back grey where data is
missing, and a 629-byte file may declare 7696x7696 pixels and decode to 59
million grey pixels. Three checks here, all linear in the file's size:

- `min_scan_bytes`: every 8x8 block of every component costs at least one
  bit of Huffman-coded data (its DC difference, ITU-T T.81 F.1.2.1 / G.1.2.1),
  so a file whose scan data has fewer bits than blocks is refused from its
  header, before any decoding.
- `missing_scans`: every component must be in some scan; a progressive file
  must bring every coefficient down to its last bit (Al = 0, T.81 G.1.1.1),
  or its later scans are missing.
- `padded_for_decoding`: a sequential (baseline) file's end marker is replaced
  by a few zero bytes. With the data complete, the decoder finishes every
  block before it reaches them and the pixels are the same; with data
  missing, the decoder runs out of bytes instead of meeting a marker, and
  Pillow raises "image file is truncated" (we never set
  LOAD_TRUNCATED_IMAGES).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# The next marker after entropy-coded data: 0xFF, possibly more 0xFF fill, then a code that
# is not a stuffed zero or a restart marker. The look-behind keeps the search linear on long
# runs of 0xFF (without it each position inside such a run would rescan it).
_MARKER = re.compile(rb"(?<!\xff)\xff++[^\x00\xd0-\xd7\xff]")
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_HUFFMAN_DCT = frozenset({0xC0, 0xC1, 0xC2})  # baseline, extended, progressive
_SEQUENTIAL_HUFFMAN = frozenset({0xC0, 0xC1})
_PROGRESSIVE = frozenset({0xC2, 0xCA})
_EOI, _SOS = 0xD9, 0xDA
# Enough zero bytes for libjpeg's bit buffer to look ahead at the end of complete data
# (it reads at most 8 bytes ahead), few enough that missing data cannot be made up by them.
_PAD = b"\x00" * 16


@dataclass(frozen=True)
class Scan:
    components: tuple[int, ...]
    ss: int
    se: int
    ah: int
    al: int


@dataclass(frozen=True)
class JpegLayout:
    """The frame and scans of a JPEG, and where its scan data ends."""

    sof: int
    width: int
    height: int
    components: tuple[tuple[int, int, int], ...]  # (id, horizontal, vertical sampling)
    scans: tuple[Scan, ...]
    scan_bytes: int  # entropy-coded bytes, all scans together
    eoi: int | None  # offset of the end marker that closes the last scan's data, if it does


def read_layout(data: bytes) -> JpegLayout | None:
    """The layout of a JPEG file's first image, or None when its markers do not parse.

    None leaves the file to Pillow, which refuses it in its own words; this reader only
    looks for what Pillow would accept although data is missing.
    """
    if not data.startswith(b"\xff\xd8"):
        return None
    pos, n = 2, len(data)
    frame: tuple[int, int, int, tuple[tuple[int, int, int], ...]] | None = None
    scans: list[Scan] = []
    scan_bytes = 0
    while pos < n:
        if data[pos] != 0xFF:  # libjpeg skips stray bytes before a marker (with a warning)
            pos = data.find(b"\xff", pos)
            if pos < 0:
                return None
        while pos < n and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n:
            return None
        code = data[pos]
        pos += 1
        if code == _EOI:
            break
        if 0xD0 <= code <= 0xD7 or code == 0x01:
            continue  # markers without a length
        if pos + 2 > n:
            return None
        length = int.from_bytes(data[pos:pos + 2], "big")
        segment = data[pos + 2:pos + length]
        if length < 2 or len(segment) != length - 2:
            return None
        pos += length
        if code in _SOF:
            frame = _frame(code, segment)
            if frame is None:
                return None
        elif code == _SOS:
            scan = _scan(segment)
            if scan is None or frame is None:
                return None
            scans.append(scan)
            found = _MARKER.search(data, pos)
            end = found.start() if found else n
            scan_bytes += end - pos
            if found is None or data[found.end() - 1] == _EOI:
                eoi = end if found is not None else None
                return JpegLayout(*frame, tuple(scans), scan_bytes, eoi)
            pos = end
    if frame is None:
        return None
    return JpegLayout(*frame, tuple(scans), scan_bytes, None)


def _frame(code: int, segment: bytes) -> tuple[int, int, int, tuple[tuple[int, int, int], ...]] | None:
    if len(segment) < 6:
        return None
    height = int.from_bytes(segment[1:3], "big")
    width = int.from_bytes(segment[3:5], "big")
    count = segment[5]
    if count == 0 or len(segment) < 6 + 3 * count:
        return None
    comps = tuple(
        (segment[6 + 3 * i], segment[7 + 3 * i] >> 4, segment[7 + 3 * i] & 15) for i in range(count)
    )
    if any(not 1 <= h <= 4 or not 1 <= v <= 4 for _, h, v in comps):
        return None
    return code, width, height, comps


def _scan(segment: bytes) -> Scan | None:
    if not segment:
        return None
    count = segment[0]
    if count == 0 or len(segment) < 1 + 2 * count + 3:
        return None
    ids = tuple(segment[1 + 2 * i] for i in range(count))
    ss, se, a = segment[1 + 2 * count:4 + 2 * count]
    return Scan(ids, ss, se, a >> 4, a & 15)


def min_scan_bytes(layout: JpegLayout) -> int | None:
    """The fewest scan-data bytes that can code the frame's blocks (Huffman DCT frames only)."""
    if layout.sof not in _HUFFMAN_DCT:
        return None
    return min_bytes_for(layout.width, layout.height, [(h, v) for _, h, v in layout.components])


def min_bytes_for(width: int, height: int, sampling: list[tuple[int, int]]) -> int | None:
    """The fewest Huffman-coded bytes for a frame of this size and these sampling factors."""
    if width <= 0 or height <= 0 or not sampling or any(not 1 <= f <= 4 for hv in sampling for f in hv):
        return None
    hmax = max(h for h, _ in sampling)
    vmax = max(v for _, v in sampling)
    blocks = sum(
        math.ceil(math.ceil(width * h / hmax) / 8) * math.ceil(math.ceil(height * v / vmax) / 8)
        for h, v in sampling
    )
    return math.ceil(blocks / 8)


def missing_scans(layout: JpegLayout) -> str | None:
    """Why the scans cannot hold the whole picture ("component 2 is in no scan"), or None."""
    if layout.sof in (0xC3, 0xC7, 0xCB, 0xCF):
        return None  # lossless: no coefficients to count
    for ident, _, _ in layout.components:
        mine = [s for s in layout.scans if ident in s.components]
        if not mine:
            return f"component {ident} is in no scan"
        if layout.sof in _PROGRESSIVE:
            final = [False] * 64
            for s in mine:
                if s.al == 0:
                    for k in range(min(s.ss, 63), min(s.se, 63) + 1):
                        final[k] = True
            if not all(final):
                return "its later progressive scans are missing"
    return None


def padded_for_decoding(data: bytes, layout: JpegLayout) -> bytes | None:
    """The file with its end marker replaced by zero bytes (sequential Huffman files only)."""
    if layout.sof not in _SEQUENTIAL_HUFFMAN or layout.eoi is None:
        return None
    return data[:layout.eoi] + _PAD
