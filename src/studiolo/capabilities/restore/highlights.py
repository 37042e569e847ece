"""Highlights are not losses: a catchlight or a lit collar edge is bright like exposed
ground, but its edge is soft, where a loss's is a break.

For each detected loss brighter than what surrounds it, the softness of its edge is the
luma just outside it (1-2 px) against the luma further out (4-7 px), as a share of the
loss's contrast: (L_near - L_far) / (L_inside - L_far). Where paint broke away the
surroundings are at their own level right at the edge (softness about 0; synthetic losses
of benchmarks/restoration.py: 95 % under 0.2); a highlight's glow falls off over pixels
(catchlights and the collar of Vermeer's *Girl with a Pearl Earring*: 0.2-0.6). A loss
softer than `SOFT_MAX` is dropped. The training data's tears are soft-edged too (softness
0-0.9), so of the tears only small round ones (a catchlight; a tear is long) are screened.
"""

from __future__ import annotations

import cv2
import numpy as np

SOFT_MAX = 0.3  # softness above which a bright loss is taken for a highlight
MIN_CONTRAST = 20.0  # code values of luma: only a loss this much brighter is screened
COMPACT_AREA = 150  # px: a tear-shaped spot screened as a highlight is at most this big
LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def soft_bright(image: np.ndarray, mask: np.ndarray, compact: bool = False) -> np.ndarray:
    """The parts of `mask` ((H, W) bool) that are bright, soft-edged spots of `image`;
    with `compact`, only small round ones (a tear is long, a catchlight is not)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    drop = np.zeros(n, bool)
    h, w = mask.shape
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if compact and (area > COMPACT_AREA or max(bw, bh) > 2 * min(bw, bh)):
            continue
        y0, y1, x0, x1 = max(0, y - 8), min(h, y + bh + 8), max(0, x - 8), min(w, x + bw + 8)
        part = (labels[y0:y1, x0:x1] == i).astype(np.uint8)
        luma = image[y0:y1, x0:x1].astype(np.float32) @ LUMA
        away = cv2.distanceTransform(1 - part, cv2.DIST_L2, 3)
        near, far = (away > 0) & (away <= 2), (away > 4) & (away <= 7)
        if not near.any() or not far.any():
            continue
        inside, l_near, l_far = luma[part > 0].mean(), luma[near].mean(), luma[far].mean()
        contrast = inside - l_far
        if contrast >= MIN_CONTRAST and (l_near - l_far) / contrast > SOFT_MAX:
            drop[i] = True
    return drop[labels]
