"""The second stage of damage detection: a small dilated-convolution refiner for cracks and
losses, trained (scripts/train_damage.py --parts refine) on the segmenter's own output.

The segmenter (`net`) is a UNet trained on 192 px crops; on a whole painting it misses faint
or textured craquelure (pointillist paint, busy brushwork) and blurs crack edges by a pixel.
The refiner reads, per pixel, the RGB, the classical cues, the segmenter's five
probabilities and four Hessian ridge strengths (dark and light lines at sigma 1 and 2 px:
the largest eigenvalue of the Hessian of the smoothed grey image, scale-normalised;
Lindeberg, "Edge detection and ridge detection with automatic scale selection", IJCV 30(2),
1998), through five 3x3 convolutions with dilations 1, 2, 4, 8, 1 (Yu and Koltun,
"Multi-scale context aggregation by dilated convolutions", ICLR 2016: a 31 px reach at full
resolution), and adds a correction to the segmenter's logit for cracks and for losses. Its
last layer starts at zero, so an untrained refiner is the segmenter. Weights: 25 kB (11.8 k
parameters), float16 safetensors, with their calibrated thresholds in the header.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from studiolo.core.errors import ModelNotFound

from . import net
from .kinds import KINDS

REFINE_FILE = "damage_refine.safetensors"
REFINED: tuple[str, ...] = ("cracks", "losses")  # the kinds the refiner corrects
RIDGE_SIGMAS: tuple[float, ...] = (1.0, 2.0)
_RIDGE_SCALE = 24.0  # grey levels of curvature x sigma^2 that make a sure line
MARGIN = 24  # px of context the refiner's inputs need (ridges at sigma 2, the 31 px reach)


@dataclass(frozen=True)
class RefinerConfig:
    in_channels: int = 3 + 5 + len(KINDS) + 2 * len(RIDGE_SIGMAS)
    width: int = 16
    dilations: tuple[int, ...] = (1, 2, 4, 8, 1)
    kinds: tuple[str, ...] = REFINED


def ridges(grey: np.ndarray) -> np.ndarray:
    """(2 * len(RIDGE_SIGMAS), H, W) float32 in [0, 1]: dark then light line strength per
    sigma, for a uint8 grey tile."""
    g = grey.astype(np.float32)
    out = []
    for s in RIDGE_SIGMAS:
        b = cv2.GaussianBlur(g, (0, 0), s)
        dxx = cv2.Sobel(b, cv2.CV_32F, 2, 0, ksize=3)
        dyy = cv2.Sobel(b, cv2.CV_32F, 0, 2, ksize=3)
        dxy = cv2.Sobel(b, cv2.CV_32F, 1, 1, ksize=3)
        half_trace = (dxx + dyy) / 2
        spread = np.sqrt(((dxx - dyy) / 2) ** 2 + dxy**2)
        big, small = half_trace + spread, half_trace - spread  # eigenvalues, big >= small
        norm = s * s / _RIDGE_SCALE
        # A dark line curves up strongly across it and little along it; a light one down.
        out.append((np.maximum(big, 0) - np.maximum(small, 0) * 0.5) * norm)
        out.append((np.maximum(-small, 0) - np.maximum(-big, 0) * 0.5) * norm)
    return np.clip(np.stack(out), 0.0, 1.0).astype(np.float32)


def inputs(rgb: np.ndarray, cues: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """The refiner's (C, H, W) float32 input for a tile: RGB, cues, probabilities, ridges."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return np.concatenate([rgb.transpose(2, 0, 1).astype(np.float32) / 255.0, cues, prob,
                           ridges(grey)]).astype(np.float32)


def build(config: RefinerConfig = RefinerConfig()):  # -> torch.nn.Module
    """A fresh refiner: its output is a logit correction per refined kind (zero at first)."""
    import torch
    from torch import nn

    class Refiner(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layers, cin = [], config.in_channels
            for d in config.dilations:
                layers += [nn.Conv2d(cin, config.width, 3, padding=d, dilation=d),
                           nn.ReLU(inplace=True)]
                cin = config.width
            self.body = nn.Sequential(*layers)
            self.head = nn.Conv2d(config.width, len(config.kinds), 1)
            nn.init.zeros_(self.head.weight)
            nn.init.zeros_(self.head.bias)

        def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W) -> (B, k, H, W)
            return self.head(self.body(x))

    return Refiner()


def base_logits(prob, kinds: tuple[str, ...] = REFINED):
    """The segmenter's logits for `kinds` from its probabilities (numpy or torch, axis -3)."""
    idx = [KINDS.index(k) for k in kinds]
    p = prob[..., idx, :, :]
    if isinstance(p, np.ndarray):
        p = np.clip(p, 1e-4, 1 - 1e-4)
        return np.log(p / (1 - p))
    p = p.clamp(1e-4, 1 - 1e-4)
    return (p / (1 - p)).log()


def path(file_name: str = REFINE_FILE) -> Path:
    return net.weights_path(file_name)


def save(model, file: Path, config: RefinerConfig, meta: dict[str, str]) -> None:
    from safetensors.torch import save_file

    tensors = {k: v.detach().half().contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(file), metadata={"config": json.dumps(asdict(config)), **meta})


@functools.lru_cache(maxsize=2)
def load(file: str | None = None):
    """(model, config, thresholds) for the bundled (or given) refiner weights."""
    import torch
    from safetensors import safe_open

    where = Path(file) if file else path()
    if not where.is_file():
        raise ModelNotFound(f"The damage refiner's weights are missing (looked for {where}); "
                            "make them with `python scripts/train_damage.py --parts refine`.")
    net._check_safetensors(where)
    with safe_open(str(where), framework="pt") as f:
        meta = f.metadata() or {}
        state = {k: f.get_tensor(k).float() for k in f.keys()}  # noqa: SIM118 - safe_open API
    raw = json.loads(meta.get("config", "{}"))
    config = RefinerConfig(**{**raw, "dilations": tuple(raw["dilations"]),
                              "kinds": tuple(raw["kinds"])})
    model = build(config)
    model.load_state_dict(state, strict=True)
    model.eval()
    model = model.to(memory_format=torch.channels_last)
    return model, config, json.loads(meta.get("thresholds", "{}"))


def refine(model, config: RefinerConfig, x: np.ndarray) -> np.ndarray:
    """Refined probabilities (len(config.kinds), H, W) float32 for one input (C, H, W)."""
    import torch

    prob = x[8:8 + len(KINDS)]
    with torch.inference_mode():
        batch = torch.from_numpy(np.ascontiguousarray(x))[None].contiguous(
            memory_format=torch.channels_last)
        delta = model(batch)[0].numpy()
    logits = base_logits(prob, config.kinds) + delta
    return (1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))).astype(np.float32)
