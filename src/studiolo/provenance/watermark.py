"""An invisible watermark that carries a 48-bit mark through JPEG, resizing and cropping.

The mark is the key to an artwork's catalog row (`catalog.marks`), so the
artwork can be found again after its metadata was stripped.

Scheme: a self-synchronising, tiled spread-spectrum pattern in the luma
(after Kutter, "Watermarking resisting to translation, rotation and scaling",
SPIE 1998, and the tiled designs that followed it):

1. The payload is the 48-bit mark plus a 16-bit check (CRC-32 of the mark,
   cut to 16 bits), protected by a rate-1/2 convolutional code
   (`convcode`): 140 coded bits.
2. One square tile of K x K cells holds a fixed pseudo-random sync pattern
   plus the coded bits, each spread over about K*K/140 cells with
   pseudo-random signs. The tile is smoothly upsampled to a period of a fifth
   of the image's shorter side and repeated over the whole image, so every
   part of the image holds every bit many times.
3. The pattern is scaled by the local activity of the picture (textured
   areas hide more than flat sky) and to a fixed energy, which keeps the
   PSNR at 40 dB on every image.

Reading needs nothing but the image:

1. A high-pass, contrast-normalised residual keeps the pattern and drops most
   of the picture.
2. Its whitened autocorrelation peaks at the tile period, wherever the image
   was cropped and however it was scaled (crop and resize only shift and
   stretch the lattice of tiles); the candidate periods are refined by the
   height of the sync peak.
3. The residual is resampled so one tile is 4K samples, folded onto one
   tile, and cross-correlated with the sync pattern (FFT, every cyclic shift
   at once): the peak gives the crop offset and its height the confidence.
4. Least squares against the sync and the 140 bit patterns gives soft bits,
   which a soft Viterbi decoder turns into the mark and its check. The mark
   is accepted only when the sync peak is well above chance and the check
   matches, so an unmarked image reads as None.
"""

from __future__ import annotations

import secrets
import zlib
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image

from studiolo.core.errors import InvalidArgument
from studiolo.provenance import convcode

MARK_BITS = 48
CHECK_BITS = 16
WORD_BITS = MARK_BITS + CHECK_BITS
CODED_BITS = convcode.coded_length(WORD_BITS)  # 140 bits go into the picture
CELLS = 32  # K: cells per tile side
TILES_ACROSS = 5  # tiles along the shorter side when embedding
MIN_SIDE = 256  # smaller images are too small to carry a mark
TARGET_PSNR_DB = 40.0
# Sync peak height (in standard deviations of the correlation surface) a
# reading must reach; on unmarked images the best of all tries stays below ~5.5.
MIN_CONFIDENCE = 6.0
SYNC_WEIGHT = 0.7  # sync amplitude relative to the payload's
HIGH_PASS_SIGMA = 2.0
_KEY = 0x5354_554D  # seeds the sync pattern, the signs and the cell order
_SEARCH = (0.92, 1.45)  # range of (period / predicted period) searched when reading


@dataclass(frozen=True)
class MarkReading:
    """What `read_mark_detail` found: the mark (None unless trusted) and how sure it is."""

    mark: int | None
    bits: tuple[int, ...]  # the 64 bits of mark and check as decoded, trusted or not
    channel_bits: tuple[int, ...]  # the 140 coded bits as read from the picture, before decoding
    confidence: float  # sync peak height in standard deviations
    check_ok: bool
    period: tuple[float, float]  # tile period found, in pixels (x, y)


def _patterns() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(_KEY)
    sync = rng.choice([-1.0, 1.0], size=(CELLS, CELLS))
    signs = rng.choice([-1.0, 1.0], size=(CELLS, CELLS))
    order = rng.permutation(np.arange(CELLS * CELLS) % CODED_BITS).reshape(CELLS, CELLS)
    return sync, signs, order


_SYNC, _SIGNS, _ORDER = _patterns()


def new_mark() -> int:
    """A fresh random mark (48 bits, never 0)."""
    while True:
        mark = secrets.randbits(MARK_BITS)
        if mark:
            return mark


def _check_mark(mark: object) -> int:
    if isinstance(mark, bool) or not isinstance(mark, int) or not 0 < mark < 2**MARK_BITS:
        raise InvalidArgument(f"`mark` must be an integer from 1 to 2**{MARK_BITS} - 1, got {mark!r}.")
    return mark


def _check(mark: int) -> int:
    return zlib.crc32(mark.to_bytes(MARK_BITS // 8, "big")) & (2**CHECK_BITS - 1)


def _word_bits(mark: int) -> np.ndarray:
    """The mark and its check as WORD_BITS bits, most significant first."""
    word = (mark << CHECK_BITS) | _check(mark)
    return np.array([(word >> (WORD_BITS - 1 - i)) & 1 for i in range(WORD_BITS)], np.uint8)


def _coded_bits(mark: int) -> np.ndarray:
    return convcode.encode(_word_bits(mark))


def _decode_word(bits: np.ndarray) -> tuple[int, bool]:
    word = int("".join(str(int(b)) for b in bits), 2)
    mark, check = word >> CHECK_BITS, word & (2**CHECK_BITS - 1)
    return mark, check == _check(mark) and mark != 0


def _upsample_tile(cells: np.ndarray, size_y: int, size_x: int) -> np.ndarray:
    """A K x K cell tile as a smooth periodic size_y x size_x image (bicubic, wrapping)."""
    pad = 3
    wrapped = np.pad(cells, pad, mode="wrap").astype(np.float32)
    k = cells.shape[0]
    # Sample cell centres: output pixel p covers tile coordinate (p + 0.5) * k / size - 0.5.
    ys = (np.arange(size_y) + 0.5) * k / size_y - 0.5 + pad
    xs = (np.arange(size_x) + 0.5) * k / size_x - 0.5 + pad
    map_x, map_y = np.meshgrid(xs.astype(np.float32), ys.astype(np.float32))
    return cv2.remap(wrapped, map_x, map_y, interpolation=cv2.INTER_CUBIC)


def _luma(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.float32)


def _activity(y: np.ndarray, sigma: float) -> np.ndarray:
    """Local contrast, normalised to a median of 1: where the picture can hide a pattern."""
    mean = cv2.GaussianBlur(y, (0, 0), sigma)
    var = cv2.GaussianBlur(y * y, (0, 0), sigma) - mean * mean
    std = np.sqrt(np.maximum(var, 0.0))
    return np.clip(std / max(float(np.median(std)), 1.0), 0.35, 2.5)


def can_carry_mark(image: Image.Image) -> bool:
    """Whether the image is large enough to be marked (MIN_SIDE px on its shorter side)."""
    return min(image.size) >= MIN_SIDE


def embed_mark(image: Image.Image, mark: int, offset: tuple[float, float] = (0.0, 0.0),
               psnr_db: float = TARGET_PSNR_DB) -> Image.Image:
    """The image with `mark` hidden in its luma: same size, RGB (or L for L; alpha kept).

    Needs MIN_SIDE px on the shorter side (`can_carry_mark`). The tiles start at
    the top left corner, or `offset` (x, y) pixels right and down of it
    (`watermark_over.make_room` picks one away from an inherited mark's). `psnr_db` is the
    strength: the pattern's energy relative to the picture's peak.
    """
    # 1. Check inputs.
    if not isinstance(image, Image.Image):
        raise InvalidArgument(f"`image` must be a PIL image, got {type(image).__name__}.")
    mark = _check_mark(mark)
    if not can_carry_mark(image):
        raise InvalidArgument(
            f"`image` must be at least {MIN_SIDE} px on its shorter side to carry a mark, "
            f"got {image.width}x{image.height}."
        )
    alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    height, width = rgb.shape[:2]
    # 2. One tile: sync plus the payload spread over its cells.
    levels = 2.0 * _coded_bits(mark)[_ORDER] - 1.0
    cells = SYNC_WEIGHT * _SYNC + _SIGNS * levels
    period = round(min(width, height) / TILES_ACROSS)
    if offset == (0.0, 0.0):
        tile = _upsample_tile(cells, period, period)
        reps_y, reps_x = -(-height // period), -(-width // period)
        pattern = np.tile(tile, (reps_y, reps_x))[:height, :width]
    else:
        pattern = _pattern_at(cells, width, height, (period, period), offset)
    # 3. Shape by the picture's activity, scale to the target energy, add to every channel.
    y = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    pattern = pattern * _activity(y, sigma=period / CELLS)
    target_rms = 255.0 / 10 ** (psnr_db / 20)
    pattern *= target_rms / float(np.sqrt(np.mean(pattern * pattern)))
    marked = np.clip(rgb + pattern[..., None], 0, 255).round().astype(np.uint8)
    out = Image.fromarray(marked, "RGB")
    if image.mode in ("L", "LA"):
        out = out.convert("L")  # the same change to R, G and B is that change to L
    if alpha is not None:
        out.putalpha(alpha)
    return out


# -- reading -------------------------------------------------------------------
_WORK = 2 * CELLS  # samples per (predicted) tile side while filtering: two per cell
_FOLD = 4 * CELLS  # samples per tile side once folded (four per cell)


def _residual(y: np.ndarray) -> np.ndarray:
    """High-pass, contrast-normalised luma: the pattern stays, most of the picture goes."""
    r = y - cv2.GaussianBlur(y, (0, 0), HIGH_PASS_SIGMA)
    return r / (cv2.GaussianBlur(np.abs(r), (0, 0), 4.0) + 1.0)


def _templates() -> tuple[np.ndarray, np.ndarray]:
    """The sync tile as folded, and the least-squares reader of sync gain plus 64 bits."""
    # The fold has twice the sampling of the working image (two samples per cell
    # there); the high-pass ran at that resolution, so it is twice as wide here.
    def folded(cells: np.ndarray) -> np.ndarray:
        tile = _upsample_tile(cells, _FOLD, _FOLD).astype(np.float32)
        pad = int(8 * HIGH_PASS_SIGMA) + 1
        padded = np.pad(tile, pad, mode="wrap")
        high = padded - cv2.GaussianBlur(padded, (0, 0), 2 * HIGH_PASS_SIGMA)
        return high[pad:-pad, pad:-pad].astype(np.float64)

    columns = [folded(_SYNC)] + [folded(_SIGNS * (_ORDER == j)) for j in range(CODED_BITS)]
    design = np.stack([c.ravel() for c in columns], axis=1)  # (FOLD*FOLD, 1 + CODED_BITS)
    return columns[0], np.linalg.pinv(design)


_SYNC_FOLDED, _READER = _templates()


def _sync_spectrum(size: int) -> np.ndarray:
    tile = _upsample_tile(_SYNC, size, size).astype(np.float64)
    return np.conj(np.fft.fft2(tile - tile.mean()))


# Searching folds at two samples per cell (fast); reading at four (finer offsets).
_SPECTRA = {_WORK: _sync_spectrum(_WORK), _FOLD: _sync_spectrum(_FOLD)}


def _period_candidates(r: np.ndarray, lo: float, hi: float, axis: int, n: int = 6) -> list[float]:
    """Lags in [lo, hi] where the residual's autocorrelation along `axis` peaks, best first."""
    h, w = r.shape
    spectrum = np.fft.rfft2(r, s=(2 * h, 2 * w))
    # Whitened power (phase transform): the picture's own spectrum drops out, the lattice stays.
    power = (np.abs(spectrum) ** 2).astype(np.float32)
    power /= cv2.GaussianBlur(power, (0, 0), 3.0) + 1e-6
    auto = np.fft.irfft2(power, s=(2 * h, 2 * w))
    if axis == 0:
        auto = auto.T
        h, w = w, h
    line = auto[0] + 0.5 * (auto[1] + auto[-1])  # lags along the axis, one row either side
    lags = np.arange(line.size)
    line = np.where(lags < w, line / np.maximum(w - lags, 1), -np.inf)
    first, last = max(int(np.floor(lo)), 2), min(int(np.ceil(hi)), w - 2)
    peaks = [
        lag for lag in range(first, last + 1)
        if line[lag] >= line[lag - 1] and line[lag] >= line[lag + 1]
    ]
    peaks.sort(key=lambda lag: -line[lag])
    found = []
    for lag in peaks[:n]:
        a, b, c = line[lag - 1], line[lag], line[lag + 1]
        bend = a - 2 * b + c
        found.append(lag + (0.5 * (a - c) / bend if bend < 0 else 0.0))
    return found


def _fold(r: np.ndarray, period_x: float, period_y: float, size: int = _WORK) -> np.ndarray:
    """The residual resampled so one tile is `size` samples, summed onto one tile."""
    # fx, fy rather than an output size: OpenCV then maps with the exact scale, not
    # the one rounded to whole output pixels (which would be 0.5% off at this size).
    scaled = cv2.resize(r, None, fx=size / period_x, fy=size / period_y,
                        interpolation=cv2.INTER_LINEAR)
    new_h, new_w = scaled.shape
    rows, cols = np.arange(new_h) % size, np.arange(new_w) % size
    index = (rows[:, None] * size + cols[None, :]).ravel()
    folded = np.bincount(index, weights=scaled.ravel(), minlength=size * size)
    counts = np.bincount(index, minlength=size * size)
    return (folded / np.maximum(counts, 1)).reshape(size, size)


def _sync(folded: np.ndarray) -> tuple[float, int, int]:
    """Confidence (peak in standard deviations) and the tile's offset (dy, dx)."""
    corr = np.real(np.fft.ifft2(np.fft.fft2(folded) * _SPECTRA[folded.shape[0]]))
    dy, dx = np.unravel_index(int(np.argmax(corr)), corr.shape)
    std = float(corr.std())
    return (float(corr[dy, dx] - corr.mean()) / std if std > 0 else 0.0), int(dy), int(dx)


def _soft_bits(folded: np.ndarray, dy: int, dx: int) -> np.ndarray:
    aligned = np.roll(folded, (-dy, -dx), axis=(0, 1))
    return (_READER @ aligned.ravel())[1:]


def _refine(r: np.ndarray, px: float, py: float, keep: int = 3) -> list[tuple[float, float, float]]:
    """The periods near (px, py) with the highest sync peaks, best first: a scan of +-2%
    in the common scale (a resize keeps the aspect), then small steps on each axis."""
    scan = [(_sync(_fold(r, px * f, py * f))[0], px * f, py * f)
            for f in 1 + 0.0025 * np.arange(-8, 9)]
    found = []
    for best in sorted(scan, reverse=True)[:keep]:
        for step in (0.0015, 0.0008):
            _, qx, qy = best
            for fx, fy in ((1 - step, 1), (1 + step, 1), (1, 1 - step), (1, 1 + step)):
                best = max(best, (_sync(_fold(r, qx * fx, qy * fy))[0], qx * fx, qy * fy))
        found.append(best)
    return found


def _read_at(r: np.ndarray, px: float, py: float) -> tuple[float, np.ndarray, np.ndarray, int, int]:
    """Confidence, decoded word bits, soft channel bits and the tile's offset (dy, dx, in
    fold samples) for one tile period."""
    folded = _fold(r, px, py, _FOLD)
    confidence, dy, dx = _sync(folded)
    soft = _soft_bits(folded, dy, dx)
    return confidence, convcode.decode(soft), soft, dy, dx


def read_mark_detail(image: Image.Image) -> MarkReading:
    """Look for a mark; the reading says what was found and how sure it is."""
    if not isinstance(image, Image.Image):
        raise InvalidArgument(f"`image` must be a PIL image, got {type(image).__name__}.")
    found = _locate(image)
    if found is None:
        return MarkReading(None, (), (), 0.0, False, (0.0, 0.0))
    trusted, confidence, mark, check_ok, bits, soft, px, py, _, _ = found
    return MarkReading(
        mark if trusted else None, tuple(int(b) for b in bits),
        tuple(int(v > 0) for v in soft), confidence, check_ok, (px, py),
    )


def _locate(image: Image.Image) -> tuple[Any, ...] | None:
    """The best reading: (trusted, confidence, mark, check_ok, word bits, soft channel bits,
    period x, period y in pixels, tile offset x, y in pixels), None for a tiny image."""
    predicted = min(image.size) / TILES_ACROSS  # the period if the image was only resized
    if predicted < 16:
        return None
    # 1. Work at about two samples per cell: enough for the pattern, fast, and the
    #    high-pass then has the same width relative to the cells as in the reader's templates.
    shrink = _WORK / predicted
    size = (max(1, round(image.width * shrink)), max(1, round(image.height * shrink)))
    y = cv2.resize(_luma(image), size,
                   interpolation=cv2.INTER_AREA if shrink < 1 else cv2.INTER_CUBIC)
    r = _residual(y)
    lo, hi = _SEARCH[0] * predicted * shrink, _SEARCH[1] * predicted * shrink
    # 2. Candidate periods from the autocorrelation; a uniform scale is the likely case.
    xs, ys = _period_candidates(r, lo, hi, axis=1), _period_candidates(r, lo, hi, axis=0)
    pairs = {(px, py) for px in xs[:3] for py in ys[:3]} | {(p, p) for p in xs + ys}
    tried = sorted(((_sync(_fold(r, px, py))[0], px, py) for px, py in pairs), reverse=True)
    if not tried:
        return None
    # 3. Refine the best two by the sync peak; read the strongest few; stop at one that checks.
    readings = []
    for _, px, py in tried[:2]:
        for _, qx, qy in _refine(r, px, py):
            confidence, bits, soft, dy, dx = _read_at(r, qx, qy)
            mark, check_ok = _decode_word(bits)
            trusted = check_ok and confidence >= MIN_CONFIDENCE
            readings.append((trusted, confidence, mark, check_ok, bits, soft, qx, qy, dx, dy))
            if trusted:
                break
        if readings[-1][0]:
            break
    # 4. Trust a mark only with a clear sync peak and a good check.
    trusted, confidence, mark, check_ok, bits, soft, px, py, dx, dy = max(
        readings, key=lambda x: x[:2])
    # The offset: fold sample d is tile sample 0, and a fold sample is period / _FOLD pixels.
    return (trusted, confidence, mark, check_ok, bits, soft, float(px / shrink),
            float(py / shrink), dx * px / shrink / _FOLD, dy * py / shrink / _FOLD)


def read_mark(image: Image.Image) -> int | None:
    """The mark hidden in the image, or None when none is found with confidence."""
    return read_mark_detail(image).mark


# -- laying a tile anywhere ----------------------------------------------------------
def _pattern_at(cells: np.ndarray, width: int, height: int, period: tuple[float, float],
                offset: tuple[float, float]) -> np.ndarray:
    """A cell tile laid over width x height pixels with this period and offset (pixels)."""
    pad = 3
    wrapped = np.pad(cells, pad, mode="wrap").astype(np.float32)
    k = cells.shape[0]
    xs = ((np.arange(width) + 0.5 - offset[0]) * k / period[0] - 0.5) % k + pad
    ys = ((np.arange(height) + 0.5 - offset[1]) * k / period[1] - 0.5) % k + pad
    map_x, map_y = np.meshgrid(xs.astype(np.float32), ys.astype(np.float32))
    return cv2.remap(wrapped, map_x, map_y, interpolation=cv2.INTER_CUBIC)
