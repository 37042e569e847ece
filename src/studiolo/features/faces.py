"""Faces: find them, mask them softly, and measure whether a sitter stays recognisable.

Detection is MTCNN (Zhang et al., "Joint Face Detection and Alignment using
Multi-task Cascaded Convolutional Networks", IEEE SPL 2016): three small CNNs
in a cascade, written here in plain torch (no torchvision). The weights are the
authors' models as ported by facenet-pytorch, converted once to safetensors by
`studiolo/data/make_face_weights.py` and bundled (2 MB). OpenCV 5, which is
what is installed, no longer has Haar cascades, and MTCNN also gives the eyes.

`face_similarity` is an offline, model-free identity proxy: the mean of SSIM
(Wang et al. 2004) on eye-aligned grey face crops and the cosine of
local-binary-pattern histograms over a 7x7 grid (the LBPH face descriptor,
Ahonen, Hadid, Pietikainen, TPAMI 2006). SSIM keeps the layout of the features,
LBPH their local texture; neither knows about colour, so a colour-preserving
stylisation is judged by shape, as a person would recognise a face.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image
from torch import nn

from studiolo.core.errors import InvalidArgument, ModelNotFound

# The name every credit for the face detector uses.
TOOL_NAME = "MTCNN face detector (Zhang et al. 2016)"

WEIGHTS = Path(__file__).resolve().parents[1] / "data" / "faces" / "mtcnn.safetensors"
THRESHOLDS = (0.6, 0.7, 0.8)  # P-, R-, O-Net face probabilities; O-Net stricter than usual: paintings
PYRAMID_FACTOR = 0.709  # each pyramid level has half the area of the last
MAX_SIDE = 1024  # detection runs on a copy no larger than this (speed; faces stay > 20 px)


@dataclass(frozen=True)
class Face:
    """A face box in image pixels, its detector probability and, when known, its eye centres.

    `eyes` is ((x, y) of the eye on the viewer's left, (x, y) on the right).
    """

    x: int
    y: int
    w: int
    h: int
    score: float
    eyes: tuple[tuple[float, float], tuple[float, float]] | None = None

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.w, self.h)

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    def scaled(self, sx: float, sy: float) -> Face:
        eyes = None
        if self.eyes is not None:
            eyes = tuple((ex * sx, ey * sy) for ex, ey in self.eyes)  # type: ignore[assignment]
        return Face(
            round(self.x * sx), round(self.y * sy), round(self.w * sx), round(self.h * sy),
            self.score, eyes,
        )

    def to_dict(self) -> dict:
        data: dict = {"box": list(self.box), "score": round(self.score, 4)}
        if self.eyes is not None:
            data["eyes"] = [[round(v, 1) for v in eye] for eye in self.eyes]
        return data


# 1. The three networks (shapes in comments are for one crop) ----------------------


class _PNet(nn.Module):
    """Proposal net: fully convolutional, a 12x12 window per output cell, stride 2."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 10, 3), nn.PReLU(10)
        self.pool1 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(10, 16, 3), nn.PReLU(16)
        self.conv3, self.prelu3 = nn.Conv2d(16, 32, 3), nn.PReLU(32)
        self.conv4_1, self.conv4_2 = nn.Conv2d(32, 2, 1), nn.Conv2d(32, 4, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.prelu3(self.conv3(self.prelu2(self.conv2(x))))
        return self.conv4_1(x).softmax(1)[:, 1], self.conv4_2(x)  # (B, H', W'), (B, 4, H', W')


class _RNet(nn.Module):
    """Refine net on 24x24 crops."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 28, 3), nn.PReLU(28)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(28, 48, 3), nn.PReLU(48)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = nn.Conv2d(48, 64, 2), nn.PReLU(64)
        self.dense4, self.prelu4 = nn.Linear(576, 128), nn.PReLU(128)
        self.dense5_1, self.dense5_2 = nn.Linear(128, 2), nn.Linear(128, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.prelu3(self.conv3(x))  # (B, 64, 3, 3)
        # The Caffe original was trained on transposed images: flatten in (W, H, C) order.
        x = self.prelu4(self.dense4(x.permute(0, 3, 2, 1).flatten(1)))
        return self.dense5_1(x).softmax(1)[:, 1], self.dense5_2(x)


class _ONet(nn.Module):
    """Output net on 48x48 crops: probability, box correction, five landmarks."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 32, 3), nn.PReLU(32)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(32, 64, 3), nn.PReLU(64)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = nn.Conv2d(64, 64, 3), nn.PReLU(64)
        self.pool3 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv4, self.prelu4 = nn.Conv2d(64, 128, 2), nn.PReLU(128)
        self.dense5, self.prelu5 = nn.Linear(1152, 256), nn.PReLU(256)
        self.dense6_1, self.dense6_2 = nn.Linear(256, 2), nn.Linear(256, 4)
        self.dense6_3 = nn.Linear(256, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.pool3(self.prelu3(self.conv3(x)))
        x = self.prelu4(self.conv4(x))  # (B, 128, 3, 3)
        x = self.prelu5(self.dense5(x.permute(0, 3, 2, 1).flatten(1)))
        return self.dense6_1(x).softmax(1)[:, 1], self.dense6_2(x), self.dense6_3(x)


@functools.lru_cache(maxsize=1)
def _nets() -> tuple[_PNet, _RNet, _ONet]:
    if not WEIGHTS.is_file():
        raise ModelNotFound(
            f"The face detector weights are missing ({WEIGHTS}); reinstall studiolo, or run "
            "`python -m studiolo.data.make_face_weights <facenet-pytorch wheel>`."
        )
    from safetensors.torch import load_file

    state = load_file(str(WEIGHTS))
    nets = (_PNet(), _RNet(), _ONet())
    for prefix, net in zip(("pnet", "rnet", "onet"), nets):
        net.load_state_dict({k[len(prefix) + 1 :]: v for k, v in state.items() if k.startswith(prefix + ".")})
        net.eval()
    return nets


# 2. Box helpers (boxes are float arrays of x1, y1, x2, y2) --------------------------


def _nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, by_min: bool = False) -> np.ndarray:
    """Greedy non-maximum suppression; overlap over the union, or over the smaller box."""
    order, keep = np.argsort(-scores), []
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(i)
        w = np.clip(np.minimum(boxes[i, 2], boxes[rest, 2]) - np.maximum(boxes[i, 0], boxes[rest, 0]), 0, None)
        h = np.clip(np.minimum(boxes[i, 3], boxes[rest, 3]) - np.maximum(boxes[i, 1], boxes[rest, 1]), 0, None)
        inter = w * h
        denom = np.minimum(areas[i], areas[rest]) if by_min else areas[i] + areas[rest] - inter
        order = rest[inter / np.maximum(denom, 1e-9) <= threshold]
    return np.array(keep, dtype=int)


def _regress(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return boxes + reg * np.stack([w, h, w, h], axis=1)


def _square(boxes: np.ndarray) -> np.ndarray:
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    side = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) / 2
    return np.stack([cx - side, cy - side, cx + side, cy + side], axis=1)


def _crops(rgb: np.ndarray, boxes: np.ndarray, size: int) -> torch.Tensor:
    """Cut each box (zero-padded outside the image), resize to size x size, normalise."""
    pad = int(np.ceil(np.abs(boxes).max())) + 1 if boxes.size else 0
    pad = min(pad, max(rgb.shape[:2]))
    padded = np.pad(rgb, ((pad, pad), (pad, pad), (0, 0)))
    out = []
    for x1, y1, x2, y2 in np.round(boxes).astype(int) + pad:
        x1, y1 = max(x1, 0), max(y1, 0)
        patch = padded[y1 : max(y2, y1 + 1), x1 : max(x2, x1 + 1)]
        out.append(cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA))
    batch = torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float()
    return (batch - 127.5) / 128.0


# 3. Detection -------------------------------------------------------------------------


@torch.inference_mode()
def _mtcnn(rgb: np.ndarray, min_face: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pnet, rnet, onet = _nets()
    height, width = rgb.shape[:2]
    # Stage 1: P-Net over a pyramid where a min_face face becomes the 12 px window.
    found = []
    scale = 12.0 / min_face
    while min(height, width) * scale >= 12:
        size = (max(1, int(width * scale)), max(1, int(height * scale)))
        level = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        x = (torch.from_numpy(level).permute(2, 0, 1)[None].float() - 127.5) / 128.0
        prob, reg = pnet(x)
        ys, xs = np.nonzero(prob[0].numpy() >= THRESHOLDS[0])
        if ys.size:
            boxes = np.stack([xs * 2, ys * 2, xs * 2 + 12, ys * 2 + 12], axis=1) / scale
            scores = prob[0].numpy()[ys, xs]
            regs = reg[0].numpy()[:, ys, xs].T
            keep = _nms(boxes, scores, 0.5)
            found.append(np.hstack([boxes[keep], scores[keep, None], regs[keep]]))
        scale *= PYRAMID_FACTOR
    empty = np.zeros((0, 4)), np.zeros(0), np.zeros((0, 10))
    if not found:
        return empty
    cand = np.vstack(found)
    cand = cand[_nms(cand[:, :4], cand[:, 4], 0.7)]
    boxes = _square(_regress(cand[:, :4], cand[:, 5:9]))
    # Stage 2: R-Net refines and rejects.
    prob, reg = rnet(_crops(rgb, boxes, 24))
    ok = prob.numpy() > THRESHOLDS[1]
    if not ok.any():
        return empty
    boxes, scores, regs = boxes[ok], prob.numpy()[ok], reg.numpy()[ok]
    keep = _nms(boxes, scores, 0.7)
    boxes = _square(_regress(boxes[keep], regs[keep]))
    # Stage 3: O-Net gives the final box and five landmarks.
    prob, reg, marks = onet(_crops(rgb, boxes, 48))
    ok = prob.numpy() > THRESHOLDS[2]
    if not ok.any():
        return empty
    boxes, scores, regs, marks = boxes[ok], prob.numpy()[ok], reg.numpy()[ok], marks.numpy()[ok]
    w, h = boxes[:, 2:3] - boxes[:, 0:1], boxes[:, 3:4] - boxes[:, 1:2]
    points = np.hstack([boxes[:, 0:1] + w * marks[:, :5], boxes[:, 1:2] + h * marks[:, 5:]])
    boxes = _regress(boxes, regs)
    keep = _nms(boxes, scores, 0.7, by_min=True)
    return boxes[keep], scores[keep], points[keep]


def detect_faces(image: Image.Image, *, min_face: int | None = None) -> list[Face]:
    """Faces in `image`, largest first. `min_face`: smallest face side in pixels
    (default: 1/12 of the shorter side, at least 20)."""
    if not isinstance(image, Image.Image):
        raise InvalidArgument(f"`image` must be a PIL image but is {type(image).__name__}.")
    if min(image.size) < 12:
        return []
    shrink = min(1.0, MAX_SIDE / max(image.size))
    small = image.convert("RGB")
    if shrink < 1.0:
        small = small.resize((round(image.width * shrink), round(image.height * shrink)), Image.Resampling.LANCZOS)
    if min_face is None:
        min_face = max(20, min(small.size) // 12)
    elif isinstance(min_face, bool) or not isinstance(min_face, int) or min_face < 12:
        raise InvalidArgument(f"`min_face` must be an integer of at least 12 pixels but is {min_face!r}.")
    else:
        min_face = max(12, round(min_face * shrink))
    boxes, scores, points = _mtcnn(np.asarray(small), min_face)
    faces = []
    for (x1, y1, x2, y2), score, pts in zip(boxes / shrink, scores, points / shrink):
        x1, y1 = max(0.0, x1), max(0.0, y1)
        x2, y2 = min(float(image.width), x2), min(float(image.height), y2)
        if x2 - x1 < 2 or y2 - y1 < 2:
            continue
        eyes = ((float(pts[0]), float(pts[5])), (float(pts[1]), float(pts[6])))
        faces.append(Face(round(x1), round(y1), round(x2 - x1), round(y2 - y1), float(score), eyes))
    return sorted(faces, key=lambda f: f.w * f.h, reverse=True)


# 4. Masks -----------------------------------------------------------------------------


def face_mask(image: Image.Image, faces: list[Face], feather: float = 0.25) -> Image.Image:
    """A soft "L" mask, 255 on each face and a little of the hair, fading out smoothly.

    The ellipse is 1.3x the box wide and 1.6x tall, its centre raised by a tenth
    of the box (MTCNN boxes stop at the eyebrows). `feather` in [0, 1] is the
    Gaussian sigma as a fraction of the face's half-width.
    """
    if isinstance(feather, bool) or not isinstance(feather, (int, float)) or not 0 <= feather <= 1:
        raise InvalidArgument(f"`feather` must be a number between 0 and 1 but is {feather!r}.")
    mask = np.zeros((image.height, image.width), dtype=np.float32)
    for face in faces:
        one = np.zeros_like(mask)
        cx, cy = face.center
        axes = (max(1, round(0.65 * face.w)), max(1, round(0.8 * face.h)))
        cv2.ellipse(one, (round(cx), round(cy - 0.1 * face.h)), axes, 0, 0, 360, 1.0, -1, cv2.LINE_AA)
        sigma = feather * face.w / 2
        if sigma > 0.3:
            one = cv2.GaussianBlur(one, (0, 0), sigma)
        mask = np.maximum(mask, one)
    return Image.fromarray(np.clip(mask * 255 + 0.5, 0, 255).astype(np.uint8), "L")


# 5. Similarity ------------------------------------------------------------------------

_SIDE = 112  # aligned crop side
_EYES_AT = ((38.0, 48.0), (74.0, 48.0))  # where the eyes land in the aligned crop


def _aligned_grey(image: Image.Image, face: Face) -> np.ndarray:
    """A _SIDE x _SIDE grey crop, eyes on fixed points when known, else the box."""
    grey = np.asarray(image.convert("L"), dtype=np.float32)
    if face.eyes is not None:
        (lx, ly), (rx, ry) = face.eyes
        (ax, ay), (bx, by) = _EYES_AT
        # The similarity transform (rotation, scale, shift) mapping the two eyes onto _EYES_AT.
        src, dst = complex(rx - lx, ry - ly), complex(bx - ax, by - ay)
        if abs(src) > 1:
            m = dst / src
            shift = complex(ax, ay) - m * complex(lx, ly)
            matrix = np.array([[m.real, -m.imag, shift.real], [m.imag, m.real, shift.imag]], np.float32)
            return cv2.warpAffine(grey, matrix, (_SIDE, _SIDE), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    x0, y0 = max(face.x, 0), max(face.y, 0)
    crop = grey[y0 : y0 + max(face.h, 1), x0 : x0 + max(face.w, 1)]
    if crop.size == 0:
        raise InvalidArgument(f"The face box {face.box} lies outside the {image.width}x{image.height} image.")
    return cv2.resize(crop, (_SIDE, _SIDE), interpolation=cv2.INTER_AREA)


def _ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM with an 11-tap Gaussian window, sigma 1.5 (Wang et al. 2004)."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5)

    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b = blur(a * a) - mu_a**2, blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    return float((num / den).mean())


def lbp_histograms(grey: np.ndarray, grid: int = 7) -> np.ndarray:
    """LBPH descriptor: 8-neighbour radius-1 LBP codes, a 256-bin histogram per grid cell."""
    c = grey[1:-1, 1:-1]
    codes = np.zeros(c.shape, dtype=np.int64)
    offsets = [(-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1)]
    h, w = grey.shape
    for bit, (dy, dx) in enumerate(offsets):
        codes |= (grey[1 + dy : h - 1 + dy, 1 + dx : w - 1 + dx] >= c).astype(np.int64) << bit
    hists = []
    for rows in np.array_split(codes, grid, axis=0):
        for cell in np.array_split(rows, grid, axis=1):
            hists.append(np.bincount(cell.ravel(), minlength=256) / cell.size)
    return np.concatenate(hists)


def face_similarity(a: Image.Image, b: Image.Image, face_a: Face, face_b: Face | None = None) -> float:
    """How much the face `face_a` in `a` still looks like itself in `b`, in [0, 1].

    `face_b` defaults to `face_a` rescaled to `b`'s size (a stylised copy keeps
    the face where it was). Mean of SSIM (clipped at 0) and the cosine of the
    square-rooted LBPH histograms (a Hellinger kernel, less dominated by flat
    patches). Calibration is in tests/test_faces.py and the portrait report.
    """
    if face_b is None:
        face_b = face_a.scaled(b.width / a.width, b.height / a.height)
    ga, gb = _aligned_grey(a, face_a), _aligned_grey(b, face_b)
    ssim = max(0.0, _ssim(ga, gb))
    ha, hb = np.sqrt(lbp_histograms(ga)), np.sqrt(lbp_histograms(gb))
    cosine = float(ha @ hb / max(math.sqrt(float(ha @ ha) * float(hb @ hb)), 1e-12))
    return float(np.clip((ssim + cosine) / 2, 0.0, 1.0))
