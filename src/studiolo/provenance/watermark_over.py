"""A new mark over an inherited one: what an image made from a marked image needs.

An engine that makes an image from a studiolo artwork (stylize, img2img,
upscale, restore) passes on part of the parent's pattern. Every mark uses the
same sync, so a second mark on top of it is read as one garbled word, or the
parent's wins and the stripped child names its parent. `embed_mark_over`
takes the inherited pattern out (`remove_mark`: found as `read_mark` finds it,
rebuilt, fitted sharp and blurred by local least squares, subtracted), puts the
new tiles half a tile away from the old ones and makes the new mark 2 dB
stronger, then checks that it reads back.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from studiolo.core.errors import InvalidArgument
from studiolo.provenance import convcode
from studiolo.provenance.watermark import (
    _ORDER,
    _SIGNS,
    _SYNC,
    HIGH_PASS_SIGMA,
    MIN_CONFIDENCE,
    SYNC_WEIGHT,
    TILES_ACROSS,
    _locate,
    _pattern_at,
    can_carry_mark,
    embed_mark,
    read_mark,
)

INHERITED_PSNR_DB = (38.0, 36.0)  # a mark over an inherited one: stronger (40 dB otherwise)


def make_room(image: Image.Image) -> tuple[Image.Image, tuple[float, float] | None]:
    """What an image made from a marked one needs before its own mark: the image with the
    inherited mark taken out (`remove_mark`), and a tile offset for the new mark half a
    tile away from where the inherited one lay, so what is left of the old pattern falls
    on other cells of the new one's tiles (noise to its bits, not the old bits); None
    when the image carried no mark."""
    cleared, found = _remove(image)
    if found is None:
        return image, None
    period = round(min(image.size) / TILES_ACROSS)
    return cleared, ((found[0] + period / 2) % period, (found[1] + period / 2) % period)


def embed_mark_over(image: Image.Image, mark: int) -> Image.Image:
    """`embed_mark` for an image an engine made from another (stylize, img2img, upscale,
    restore): the mark it inherited is taken out and the new one goes half a tile away
    (`make_room`), 2 dB stronger (then 4 dB, should it not read back): the child's mark
    is the one read, not its parent's. An unmarked image gets `embed_mark`'s."""
    cleared, offset = make_room(image)
    if offset is None:
        return embed_mark(image, mark)
    for psnr_db in INHERITED_PSNR_DB:
        out = embed_mark(cleared, mark, offset, psnr_db)
        if read_mark(out) == mark:
            break
    return out


_BLURS = (0.0, 1.0, 2.0)  # an engine passes the pattern on sharp, or blurred: fit each


def _fitted(y: np.ndarray, pattern: np.ndarray, sigma: float) -> np.ndarray:
    """The part of luma `y` that is `pattern` (sharp or blurred), by least squares over a
    window of `sigma` pixels around each pixel, in the high-passed picture."""
    def high(a: np.ndarray) -> np.ndarray:
        return a - cv2.GaussianBlur(a, (0, 0), HIGH_PASS_SIGMA)

    def local(a: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(a, (0, 0), sigma)

    basis = [pattern if b == 0 else cv2.GaussianBlur(pattern, (0, 0), b) for b in _BLURS]
    hb = [high(b) for b in basis]
    hy = high(y)
    n = len(basis)
    normal = np.empty(y.shape + (n, n), np.float64)
    for i in range(n):
        for j in range(i, n):
            normal[..., i, j] = normal[..., j, i] = local(hb[i] * hb[j])
    rhs = np.stack([local(hy * b) for b in hb], axis=-1)[..., None]
    ridge = 1e-3 * np.trace(normal, axis1=-2, axis2=-1)[..., None, None] / n + 1e-6
    gains = np.linalg.solve(normal + ridge * np.eye(n), rhs)[..., 0]
    return sum(gains[..., i] * basis[i] for i in range(n)).astype(np.float32)


def remove_mark(image: Image.Image, rounds: int = 3) -> Image.Image:
    """The image with the mark it carries (if any) taken out, so a new one can be read.

    An engine that makes an image from a marked one (stylize, img2img, upscale,
    restore) keeps part of the old pattern; the new mark uses the same sync, so
    the two would be read as one garbled word, or the old one would win. Each
    round finds the strongest pattern (period, offset and bits, as `read_mark`
    does), rebuilds it and subtracts it with the gains it has in this picture (as it
    is and blurred, `_fitted`), estimated locally by least squares. Stops when no
    pattern is left to find (sync peak below MIN_CONFIDENCE). Same size and mode; an
    image with no mark comes back as it is.
    """
    return _remove(image, rounds)[0]


def _remove(image: Image.Image, rounds: int = 3
            ) -> tuple[Image.Image, tuple[float, float] | None]:
    """`remove_mark`, and the tile offset (x, y, pixels) of the first pattern found."""
    if not isinstance(image, Image.Image):
        raise InvalidArgument(f"`image` must be a PIL image, got {type(image).__name__}.")
    if not can_carry_mark(image):
        return image, None
    alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    height, width = rgb.shape[:2]
    weights = np.array([0.299, 0.587, 0.114], np.float32)
    first = None
    for _ in range(rounds):
        found = _locate(Image.fromarray(np.clip(rgb, 0, 255).round().astype(np.uint8)))
        if found is None or found[1] < MIN_CONFIDENCE:
            break
        _, _, _, check_ok, bits, soft, px, py, ox, oy = found
        first = first or (ox, oy)
        coded = convcode.encode(np.asarray(bits, np.uint8)) if check_ok else (
            (np.asarray(soft) > 0).astype(np.uint8))
        cells = SYNC_WEIGHT * _SYNC + _SIGNS * (2.0 * coded[_ORDER] - 1.0)
        pattern = _pattern_at(cells, width, height, (px, py), (ox, oy))
        rgb = rgb - _fitted(rgb @ weights, pattern, sigma=max(px, py) / 2)[..., None]
    if first is None:
        return image, None
    out = Image.fromarray(np.clip(rgb, 0, 255).round().astype(np.uint8), "RGB")
    if image.mode in ("L", "LA"):
        out = out.convert("L")
    if alpha is not None:
        out.putalpha(alpha)
    return out, first
