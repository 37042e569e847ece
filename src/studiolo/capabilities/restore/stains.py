"""Stain reduction: a stain is a translucent tint over paint that is still there, so it is
taken out by dividing the tint away, not by painting over it.

For each stain (a connected part of the stain mask) the tint is the median, over the
stain, of the ratio channel by channel in linear light between the low-frequency colour
just outside and the low-frequency colour inside (normalised Gaussian averages, sigma
`SIGMA` px, each over its own side only: normalised convolution, Knutsson and Westin,
"Normalized and differential convolution", CVPR 1993). Multiplying the stain's pixels by
that one ratio keeps their brushwork and brings their colour back toward the
surroundings'; a feathered edge avoids a seam. A stain whose tint varies (a tide-line
darker than its middle) is only partly corrected; benchmarks/restoration.py measures it.
"""

from __future__ import annotations

import cv2
import numpy as np

from .colourspace import decode_uint8, encode_uint8

SIGMA = 12.0
MARGIN = 48
SHRINK = 4  # the tint's smooth averages are taken at 1/SHRINK size (sigma / SHRINK)
SPOT = 200  # px: a stain smaller than this (a foxing spot) is filled like a loss instead


def split_spots(stains: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(spots, stains): small stains, whose tint cannot be told from the paint under them
    (benchmarks/restoration.py: dividing worsened half of them), go to the filler."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(stains.astype(np.uint8), connectivity=8)
    small = np.zeros(n, bool)
    small[1:] = stats[1:, cv2.CC_STAT_AREA] < SPOT
    spots = small[labels]
    return spots, stains & ~spots


def reduce_stains(image: np.ndarray, stains: np.ndarray, other: np.ndarray | None = None
                  ) -> tuple[np.ndarray, int]:
    """`image` ((H, W, 3) uint8) with the `stains` (bool) tint divided out; `other` damage
    is not used as reference colour. Returns the new image and how many stains were treated."""
    out = image.copy()
    n, labels, stats, _ = cv2.connectedComponentsWithStats(stains.astype(np.uint8), connectivity=8)
    h, w = stains.shape
    for i in range(1, n):
        x, y, bw, bh, _ = (int(v) for v in stats[i])
        y0, y1 = max(0, y - MARGIN), min(h, y + bh + MARGIN)
        x0, x1 = max(0, x - MARGIN), min(w, x + bw + MARGIN)
        inside = _solid(labels[y0:y1, x0:x1] == i)
        outside = ~cv2.dilate(inside.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
        outside &= ~stains[y0:y1, x0:x1]
        if other is not None:
            outside &= ~other[y0:y1, x0:x1]
        if not outside.any():
            continue
        lin = decode_uint8(out[y0:y1, x0:x1])
        ratio = _tint(lin, inside, outside)
        feather = cv2.GaussianBlur(inside.astype(np.float32), (0, 0), 1.5)[..., None]
        feather = np.where(inside[..., None], np.maximum(feather, 0.5) * 2 - 1, 0.0) ** 0.5
        fixed = lin * (1 + feather * (ratio - 1))
        region = out[y0:y1, x0:x1]
        region[inside] = encode_uint8(fixed)[inside]
    return out, n - 1


def _solid(part: np.ndarray) -> np.ndarray:
    """The stain with its holes filled and 2 px more round it: paint the stain crossed too
    faintly to be marked is still under it, and must not be taken as clean reference."""
    grown = cv2.dilate(part.astype(np.uint8), np.ones((5, 5), np.uint8))
    flood = np.pad(grown, 1)
    mask = np.zeros((flood.shape[0] + 2, flood.shape[1] + 2), np.uint8)
    cv2.floodFill(flood, mask, (0, 0), 2)
    return (flood[1:-1, 1:-1] != 2)


def _tint(lin: np.ndarray, inside: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """The stain's one tint (3,): the median over it of the local outside / inside ratio of
    low-frequency colour. The averages are smooth (sigma `SIGMA`), so they are taken on a
    `SHRINK` times smaller copy when the stain is big enough to keep pixels there."""
    f = SHRINK
    h, w = inside.shape
    if min(h, w) >= 8 * f:
        size = (w // f, h // f)
        small_in = cv2.resize(inside.astype(np.float32), size, interpolation=cv2.INTER_AREA)
        small_out = cv2.resize(outside.astype(np.float32), size, interpolation=cv2.INTER_AREA)
        if (small_in > 0.5).any() and (small_out > 0.99).any():
            lin = cv2.resize(lin, size, interpolation=cv2.INTER_AREA)
            inside, outside = small_in > 0.5, small_out > 0.99
        else:
            f = 1
    else:
        f = 1
    sigma = SIGMA / f
    local = _smooth(lin, outside, sigma, inside) / np.maximum(_smooth(lin, inside, sigma, inside),
                                                              1e-4)
    # One tint per stain (the median of the local ratios inside it): a local ratio
    # would also take real colour changes under the stain for tint.
    return np.clip(np.median(local[inside], axis=0), 0.5, 3.0)


def _smooth(lin: np.ndarray, where: np.ndarray, sigma: float, used: np.ndarray) -> np.ndarray:
    """Normalised Gaussian average of `lin` over `where`, wherever `used` reads it."""
    weight = cv2.GaussianBlur(where.astype(np.float32), (0, 0), sigma)
    value = cv2.GaussianBlur(lin * where[..., None], (0, 0), sigma)
    near = weight > 1e-3
    out = value / np.maximum(weight, 1e-6)[..., None]
    if (used & ~near).any():
        # Far from any pixel of the right side the average is undefined: use a wide one.
        wide_w = cv2.GaussianBlur(where.astype(np.float32), (0, 0), sigma * 4)
        wide_v = cv2.GaussianBlur(lin * where[..., None], (0, 0), sigma * 4)
        out = np.where(near[..., None], out, wide_v / np.maximum(wide_w, 1e-6)[..., None])
    return out


RING = 15  # px: the square a stain's surround is taken in (7 px beyond its edge)


def warmer_than_surround(rgb: np.ndarray, found: np.ndarray) -> np.ndarray:
    """The parts of `found` (bool stain candidates in an RGB tile) that are at least as red
    (a*) and as yellow (b*) as the paint just around them (CIELAB means, inside against a
    7 px ring): a stain's brown tint raises both. The segmenter's stain output alone is weak
    (its probabilities sit near its threshold), and without this screen it marked 11.6 % of
    undamaged training paintings (skin, clothing, skies); with it 5.0 %, keeping 80 % of the
    stain pixels it found (chosen on training paintings; benchmarks/restoration.py)."""
    n, labels = cv2.connectedComponents(found.astype(np.uint8), connectivity=8)
    if n <= 1:
        return found
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    grown = cv2.dilate(labels.astype(np.float32), np.ones((RING, RING), np.uint8))
    ring = (grown > 0) & ~found
    ring_labels = grown[ring].astype(np.int64)
    inside = labels[found]
    keep = np.zeros(n, bool)
    area_in = np.bincount(inside, minlength=n)
    area_ring = np.bincount(ring_labels, minlength=n)
    warmer = area_ring > 0
    for channel in (1, 2):
        mean_in = np.bincount(inside, lab[..., channel][found], minlength=n) / np.maximum(area_in, 1)
        mean_ring = np.bincount(ring_labels, lab[..., channel][ring], minlength=n) / np.maximum(
            area_ring, 1)
        warmer &= mean_in >= mean_ring
    keep[1:] = warmer[1:]
    return keep[labels]
