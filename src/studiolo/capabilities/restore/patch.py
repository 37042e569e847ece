"""Exemplar texture synthesis for large losses: Criminisi order at the coarsest scale, then
multi-scale PatchMatch with patch voting.

- Criminisi, Pérez and Toyama, "Region filling and object removal by exemplar-based image
  inpainting", IEEE TIP 13(9), 2004: at the coarsest level of a pyramid the hole is filled
  greedily, patch by patch, in the order of priority = confidence x data term (isophotes
  flowing into the front first), each from the best-matching known patch.
- Barnes, Shechtman, Finkelstein and Goldman, "PatchMatch: a randomized correspondence
  algorithm for structural image editing", SIGGRAPH 2009: at each finer level the
  nearest-neighbour field (for every patch touching the hole, the known patch it resembles)
  is inherited from the level below and improved by propagation from neighbours and a
  random search at halving radii.
- Wexler, Shechtman and Irani, "Space-time completion of video", IEEE TPAMI 29(3), 2007
  (the completion scheme Barnes et al. use): each hole pixel is the weighted vote of every
  matched patch covering it, alternating with the matching (an EM-like loop).

All steps are vectorised over the hole's patches with numpy; one call fills one hole in
its own crop (the hole plus context), so memory is bounded by the crop.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

PATCH = 7
_R = PATCH // 2
# Distances use every other pixel of the patch (16 of 49): 3x faster, the same matches
# nearly always; votes use all 49.
_DIST_OFFSETS = [(dy, dx) for dy in range(-_R, _R + 1, 2) for dx in range(-_R, _R + 1, 2)]
_ALL_OFFSETS = [(dy, dx) for dy in range(-_R, _R + 1) for dx in range(-_R, _R + 1)]
COARSEST = 10  # px: the pyramid stops when the hole is at most this wide


def _down(image: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Half size by normalised averaging over known pixels; a block with any hole is hole."""
    w = known.astype(np.float32)
    num = cv2.resize(image * w[..., None], None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    den = cv2.resize(w, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    small = num / np.maximum(den, 1e-6)[..., None]
    return small.astype(np.float32), den > 0.999


def _valid_sources(known: np.ndarray) -> np.ndarray:
    """Centres whose whole patch is known and inside the crop."""
    valid = cv2.erode(known.astype(np.uint8), np.ones((PATCH, PATCH), np.uint8),
                      borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
    return valid


class _Field:
    """Image, hole and the nearest-neighbour field of one pyramid level."""

    def __init__(self, image: np.ndarray, known: np.ndarray, rng: np.random.Generator):
        self.h, self.w = known.shape
        self.image = image.astype(np.float32)
        self.known = known
        self.rng = rng
        sources = _valid_sources(known)
        if not sources.any():  # tiny crop: allow any known centre, patches reflect at edges
            sources = known.copy()
        self.src = np.argwhere(sources)
        self.src_ok = sources
        targets = cv2.dilate((~known).astype(np.uint8), np.ones((PATCH, PATCH), np.uint8))
        self.tgt = np.argwhere(targets.astype(bool))
        self.padded_index()

    def padded_index(self) -> None:
        self.pad = np.pad(self.image, ((_R, _R), (_R, _R), (0, 0)), mode="reflect")

    def refresh(self) -> None:
        self.pad[_R:_R + self.h, _R:_R + self.w] = self.image

    def dist(self, ty, tx, sy, sx) -> np.ndarray:
        d = np.zeros(len(ty), np.float32)
        p = self.pad
        for dy, dx in _DIST_OFFSETS:
            diff = p[ty + _R + dy, tx + _R + dx] - p[sy + _R + dy, sx + _R + dx]
            d += np.einsum("ij,ij->i", diff, diff)
        return d

    def random_field(self) -> np.ndarray:
        return self.src[self.rng.integers(len(self.src), size=len(self.tgt))]

    def improve(self, nnf: np.ndarray, rounds: int = 3) -> tuple[np.ndarray, np.ndarray]:
        ty, tx = self.tgt[:, 0], self.tgt[:, 1]
        best = self.dist(ty, tx, nnf[:, 0], nnf[:, 1])
        where = -np.ones((self.h, self.w), np.int64)
        where[ty, tx] = np.arange(len(ty))
        for r in range(rounds):
            step = 1 if r % 2 == 0 else -1
            for dy, dx in ((step, 0), (0, step)):
                # Propagation (Barnes et al. 2009, 3.2): a neighbour's match, shifted back.
                ny, nx = ty - dy, tx - dx
                inside = (ny >= 0) & (ny < self.h) & (nx >= 0) & (nx < self.w)
                idx = np.where(inside, where[np.clip(ny, 0, self.h - 1), np.clip(nx, 0, self.w - 1)], -1)
                has = idx >= 0
                cand = nnf[np.maximum(idx, 0)] + np.array([dy, dx])
                self._try(nnf, best, ty, tx, cand, has)
            radius = max(self.h, self.w)
            while radius >= 1:  # random search at halving radii (3.2, eq. 1)
                cand = nnf + np.rint(self.rng.uniform(-radius, radius, nnf.shape)).astype(np.int64)
                self._try(nnf, best, ty, tx, cand, np.ones(len(ty), bool))
                radius //= 2
        return nnf, best

    def _try(self, nnf, best, ty, tx, cand, has) -> None:
        cy, cx = cand[:, 0], cand[:, 1]
        ok = has & (cy >= 0) & (cy < self.h) & (cx >= 0) & (cx < self.w)
        ok[ok] = self.src_ok[cy[ok], cx[ok]]
        if not ok.any():
            return
        i = np.nonzero(ok)[0]
        d = self.dist(ty[i], tx[i], cy[i], cx[i])
        better = d < best[i]
        j = i[better]
        nnf[j] = cand[j]
        best[j] = d[better]

    def vote(self, nnf: np.ndarray, best: np.ndarray) -> None:
        """Every hole pixel becomes the weighted mean of the matched patches covering it
        (Wexler et al. 2007, eq. 4; weights from each match's distance)."""
        ty, tx = self.tgt[:, 0], self.tgt[:, 1]
        sigma2 = float(np.percentile(best, 75)) + 1e-3
        weight = np.exp(-best / (2 * sigma2)).astype(np.float32)
        size = self.h * self.w
        acc = np.zeros((3, size), np.float64)
        total = np.zeros(size, np.float64)
        p = self.pad
        for dy, dx in _ALL_OFFSETS:
            y, x = ty + dy, tx + dx
            ok = (y >= 0) & (y < self.h) & (x >= 0) & (x < self.w)
            at = y[ok] * self.w + x[ok]
            vals = p[nnf[ok, 0] + _R + dy, nnf[ok, 1] + _R + dx]
            wk = weight[ok]
            for c in range(3):  # bincount: an unbuffered scatter-add, far faster than add.at
                acc[c] += np.bincount(at, vals[:, c] * wk, minlength=size)
            total += np.bincount(at, wk, minlength=size)
        acc = acc.T.reshape(self.h, self.w, 3)
        total = total.reshape(self.h, self.w)
        hole = ~self.known & (total > 0)
        self.image[hole] = acc[hole] / total[hole, None]
        self.refresh()


def _criminisi(field: _Field) -> None:
    """Greedy priority-order fill of the coarsest level (Criminisi et al. 2004, sec. 3)."""
    image, known = field.image, field.known.copy()
    confidence = known.astype(np.float32)
    h, w = known.shape
    src = field.src
    pad = np.pad(image, ((_R, _R), (_R, _R), (0, 0)), mode="reflect")
    bank = np.stack([pad[src[:, 0] + _R + dy, src[:, 1] + _R + dx] for dy, dx in _ALL_OFFSETS],
                    axis=1)  # (M, 49, 3)
    grey = cv2.cvtColor(np.clip(image, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    gx = cv2.Sobel(grey.astype(np.float32), cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(grey.astype(np.float32), cv2.CV_32F, 0, 1)
    for _ in range(h * w):
        if known.all():
            break
        front = (~known) & cv2.dilate(known.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        fy, fx = np.nonzero(front)
        conf = cv2.blur(confidence, (PATCH, PATCH))[fy, fx]
        ny = cv2.Sobel(known.astype(np.float32), cv2.CV_32F, 0, 1)[fy, fx]
        nx = cv2.Sobel(known.astype(np.float32), cv2.CV_32F, 1, 0)[fy, fx]
        kgx = np.where(known, gx, 0)
        kgy = np.where(known, gy, 0)
        iso_x = -cv2.dilate(kgy, np.ones((3, 3)))[fy, fx]  # isophote = gradient turned 90 deg
        iso_y = cv2.dilate(kgx, np.ones((3, 3)))[fy, fx]
        data = np.abs(iso_x * nx + iso_y * ny) / (np.hypot(nx, ny) + 1e-6) / 255.0 + 1e-3
        k = int(np.argmax(conf * data))
        py, px = fy[k], fx[k]
        pad[_R:_R + h, _R:_R + w] = image
        target = np.stack([pad[py + _R + dy, px + _R + dx] for dy, dx in _ALL_OFFSETS])
        tk = np.array([0 <= py + dy < h and 0 <= px + dx < w and known[py + dy, px + dx]
                       for dy, dx in _ALL_OFFSETS])
        diff = (bank - target[None]) * tk[None, :, None]
        q = int(np.argmin(np.einsum("mpc,mpc->m", diff, diff)))
        for (dy, dx), fill_value in zip(_ALL_OFFSETS, bank[q], strict=True):
            y, x = py + dy, px + dx
            if 0 <= y < h and 0 <= x < w and not known[y, x]:
                image[y, x] = fill_value
                known[y, x] = True
                confidence[y, x] = conf[k]
    field.refresh()


def complete(crop: np.ndarray, hole: np.ndarray, seed: int = 0) -> np.ndarray:
    """Fill `hole` ((h, w) bool) of `crop` ((h, w, 3) uint8); returns a uint8 crop whose
    known pixels are unchanged."""
    rng = np.random.default_rng(seed)
    known = ~hole
    if known.all() or not known.any():
        return crop.copy()
    span = max(np.ptp(np.nonzero(hole)[0]), np.ptp(np.nonzero(hole)[1])) + 1
    levels = max(0, math.ceil(math.log2(max(span, 1) / COARSEST)))
    pyramid = [(crop.astype(np.float32), known)]
    for _ in range(levels):
        img, kn = pyramid[-1]
        if min(kn.shape) < 4 * PATCH:
            break
        pyramid.append(_down(img, kn))
    nnf = previous = prev_field = prev_nnf = None
    for level in range(len(pyramid) - 1, -1, -1):
        img, kn = pyramid[level]
        field = _Field(img, kn, rng)
        if nnf is None:
            _criminisi(field)
            nnf = field.random_field()
        else:
            up = cv2.resize(previous, (kn.shape[1], kn.shape[0]), interpolation=cv2.INTER_LINEAR)
            field.image[~kn] = up[~kn]
            field.refresh()
            nnf = _inherit(prev_field, prev_nnf, field)
        for _ in range(2 if level else 1):
            nnf, best = field.improve(nnf, rounds=2)
            field.vote(nnf, best)
        previous, prev_field, prev_nnf = field.image, field, nnf
    out = crop.copy()
    out[hole] = np.clip(np.rint(field.image[hole]), 0, 255).astype(np.uint8)
    return out


def _inherit(coarse: _Field, coarse_nnf: np.ndarray, fine: _Field) -> np.ndarray:
    """A fine field's starting matches: the coarse match of each pixel's parent, doubled."""
    lookup = -np.ones((coarse.h, coarse.w, 2), np.int64)
    lookup[coarse.tgt[:, 0], coarse.tgt[:, 1]] = coarse_nnf
    py = np.minimum(fine.tgt[:, 0] // 2, coarse.h - 1)
    px = np.minimum(fine.tgt[:, 1] // 2, coarse.w - 1)
    parent = lookup[py, px]
    cand = parent * 2 + (fine.tgt % 2)
    cand[:, 0] = np.clip(cand[:, 0], 0, fine.h - 1)
    cand[:, 1] = np.clip(cand[:, 1], 0, fine.w - 1)
    ok = (parent[:, 0] >= 0) & fine.src_ok[cand[:, 0], cand[:, 1]]
    random = fine.random_field()
    return np.where(ok[:, None], cand, random)
