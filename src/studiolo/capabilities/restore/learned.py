"""The learned filler: a small UNet that corrects a harmonic fill of a loss.

The net (the same `net.build` UNet: 4 channels in, the harmonic fill and the hole; 3 out)
predicts the residual between the harmonic fill and the paint that was there, trained on
the training paintings with synthetic loss shapes and a squared error inside the hole, so
it learns what a membrane cannot: edges that continue, colour that changes across a loss.
It works at a scale where the hole is at most `WORK_SPAN` px across (the scale it was
trained at) and its smooth residual is brought back to full size over a full-size
harmonic fill, so the boundary stays exact. Residual learning over a classical solution
follows the habit of Zhang et al., "Beyond a Gaussian denoiser: residual learning of deep
CNN for image denoising" (DnCNN), IEEE TIP 2017.

The trainer is `scripts/train_damage.py --parts inpaint`; the weights ship as
`weights/inpaint_unet.safetensors`.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from . import harmonic, net
from .synthetic import blob

WORK_SPAN = 48  # px: holes are brought to at most this size for the net
CROP = 128  # training crop, px
INPAINT_CONFIG = net.UNetConfig(in_channels=4, out_channels=3, widths=(12, 24, 32, 48, 64))


def available() -> bool:
    """True when the learned filler's weights are bundled."""
    return net.weights_path(net.INPAINT_FILE).is_file()


def net_input(base: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """(4, h, w) float32: the harmonic fill in [0, 1] and the hole."""
    return np.concatenate([base.transpose(2, 0, 1) / 255.0, hole[None].astype(np.float32)]
                          ).astype(np.float32)


def fill(crop: np.ndarray, hole: np.ndarray, path: str | None = None) -> np.ndarray:
    """`crop` ((h, w, 3) uint8) with `hole` filled by the learned filler; uint8 out."""
    return fill_many([crop], [hole], path)[0]


BATCH = 16  # crops per net call
BUCKET = 16  # px: net inputs are padded to squares of a multiple of this, then batched


def _prepare(crop: np.ndarray, hole: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(scale, the net's input (4, h, w), the small hole) for one crop."""
    ys, xs = np.nonzero(hole)
    span = int(max(np.ptp(ys), np.ptp(xs))) + 1
    scale = min(1.0, WORK_SPAN / span)
    h, w = hole.shape
    if scale < 1.0:
        size = (max(8, round(w * scale)), max(8, round(h * scale)))
        small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        small_hole = cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
    else:
        small, small_hole = crop, hole
    return scale, net_input(harmonic.fill(small, small_hole), small_hole), small_hole


def _pad(x: np.ndarray, side: int) -> np.ndarray:
    _, h, w = x.shape
    ph, pw = side - h, side - w
    mode = "reflect" if min(h, w) > max(ph, pw) else "edge"
    return np.pad(x, ((0, 0), (0, ph), (0, pw)), mode=mode)


def fill_many(crops: list[np.ndarray], holes: list[np.ndarray], path: str | None = None
              ) -> list[np.ndarray]:
    """Each crop with its hole filled. Crops are brought to the net's scale, padded to
    squares of the same side and run `BATCH` at a time: one net call per batch instead of
    one per hole (the fill of a detected scan has thousands of small holes)."""
    import torch

    model, _config, _ = net.load(path, net.INPAINT_FILE)
    prepared: list[tuple[float, np.ndarray, np.ndarray] | None] = [
        _prepare(c, h) if h.any() else None for c, h in zip(crops, holes, strict=True)]
    residuals: list[np.ndarray | None] = [None] * len(crops)
    by_side: dict[int, list[int]] = {}
    for i, p in enumerate(prepared):
        if p is not None:
            side = -(-max(p[1].shape[1:]) // BUCKET) * BUCKET
            by_side.setdefault(side, []).append(i)
    for side, members in sorted(by_side.items()):
        for start in range(0, len(members), BATCH):
            group = members[start:start + BATCH]
            batch = np.stack([_pad(prepared[i][1], side) for i in group])
            with torch.inference_mode():
                out = model(torch.from_numpy(batch).contiguous(
                    memory_format=torch.channels_last)).numpy()
            for k, i in enumerate(group):
                _, h, w = prepared[i][1].shape
                residuals[i] = out[k, :, :h, :w].transpose(1, 2, 0)
    filled = []
    for crop, hole, p, residual in zip(crops, holes, prepared, residuals, strict=True):
        if p is None:
            filled.append(crop.copy())
            continue
        scale, x, small_hole = p
        residual = residual * 255.0 * small_hole[..., None]
        if scale < 1.0:
            h, w = hole.shape
            residual = cv2.resize(residual, (w, h), interpolation=cv2.INTER_CUBIC)
            base = harmonic.fill(crop, hole)
        else:
            base = x[:3].transpose(1, 2, 0) * 255.0
        out = crop.copy()
        out[hole] = np.clip(np.rint(base[hole] + residual[hole]), 0, 255).astype(np.uint8)
        filled.append(out)
    return filled


def training_pair(paintings: list[np.ndarray], seed: int) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray]:
    """(input (4, CROP, CROP), target residual (3, CROP, CROP), hole (CROP, CROP)) float32."""
    rng = np.random.default_rng(seed)
    painting = paintings[rng.integers(len(paintings))]
    scale = float(np.exp(rng.uniform(math.log(0.25), 0.0)))
    ph, pw = painting.shape[:2]
    side = math.ceil(CROP / scale)
    side = min(side, min(ph, pw))
    y, x = rng.integers(0, ph - side + 1), rng.integers(0, pw - side + 1)
    crop = cv2.resize(painting[y:y + side, x:x + side], (CROP, CROP), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        crop = np.ascontiguousarray(crop[:, ::-1])
    hole = np.zeros((CROP, CROP), np.uint8)
    for _ in range(int(rng.integers(1, 3))):
        size = float(rng.uniform(8, WORK_SPAN + 8))
        centre = rng.uniform(CROP * 0.25, CROP * 0.75, 2)
        cv2.fillPoly(hole, [np.rint(blob(rng, size) + centre).astype(np.int32)], 1)
    hole = hole.astype(bool)
    base = harmonic.fill(crop, hole)
    target = (crop.astype(np.float32) - base) / 255.0 * hole[..., None]
    return net_input(base, hole), target.transpose(2, 0, 1).copy(), hole.astype(np.float32)
