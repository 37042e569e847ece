"""The damage segmenter: a small UNet, its config, and loading its weights (safetensors only).

A UNet (Ronneberger, Fischer and Brox, "U-Net: Convolutional Networks for Biomedical Image
Segmentation", MICCAI 2015) with five levels, batch norm folded away at export (we keep
plain conv + ReLU at inference for speed), input RGB plus the classical cue channels of
`classical.cues`, one logit per damage kind (`KINDS`) per pixel: kinds overlap, so each is
its own sigmoid, not a softmax.

The trainer (`scripts/train_damage.py`) imports this module, never the reverse.
"""

from __future__ import annotations

import contextlib
import functools
import json
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from studiolo.core.errors import ModelNotFound, UnsafeModelFile

from .kinds import KINDS

WEIGHTS_FILE = "damage_unet.safetensors"
INPAINT_FILE = "inpaint_unet.safetensors"  # the learned filler (same UNet, other channels)


@dataclass(frozen=True)
class UNetConfig:
    """Shape of the segmenter: `widths` channels per level (level i works at 1/2**i scale)."""

    in_channels: int = 7
    out_channels: int = len(KINDS)
    widths: tuple[int, ...] = (12, 24, 40, 56, 64)

    @property
    def multiple(self) -> int:
        """Input sides must be multiples of this (one halving per level below the first)."""
        return 2 ** (len(self.widths) - 1)


def build(config: UNetConfig = UNetConfig()):  # -> torch.nn.Module (torch imported lazily)
    """A fresh, untrained UNet of `config` (torch is imported only when a net is needed)."""
    import torch
    from torch import nn

    def block(cin: int, cout: int) -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        )

    class UNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            w = config.widths
            self.down = nn.ModuleList(
                [block(config.in_channels, w[0])] + [block(w[i - 1], w[i]) for i in range(1, len(w))]
            )
            self.up = nn.ModuleList([block(w[i] + w[i + 1], w[i]) for i in range(len(w) - 1)])
            self.head = nn.Conv2d(w[0], config.out_channels, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W) -> (B, K, H, W)
            skips = []
            for i, level in enumerate(self.down):
                if i:
                    x = nn.functional.max_pool2d(x, 2)
                x = level(x)
                skips.append(x)
            for i in range(len(self.up) - 1, -1, -1):
                x = nn.functional.interpolate(x, scale_factor=2.0, mode="nearest")
                x = self.up[i](torch.cat([skips[i], x], dim=1))
            return self.head(x)

    return UNet()


def fold_batchnorm(model) -> None:
    """Fold every BatchNorm into the conv before it (eval statistics), leaving Identity: the
    same function with a third fewer passes over memory at inference."""
    import torch
    from torch import nn

    for module in model.modules():
        if not isinstance(module, nn.Sequential):
            continue
        layers = list(module)
        for i, layer in enumerate(layers):
            if isinstance(layer, nn.BatchNorm2d) and i and isinstance(layers[i - 1], nn.Conv2d):
                conv = layers[i - 1]
                scale = layer.weight / torch.sqrt(layer.running_var + layer.eps)
                with torch.no_grad():
                    conv.weight.mul_(scale[:, None, None, None])
                    conv.bias.copy_((conv.bias - layer.running_mean) * scale + layer.bias)
                module[i] = nn.Identity()


def weights_path(file_name: str = WEIGHTS_FILE) -> Path:
    """Where bundled weights live inside the installed package."""
    return Path(str(resources.files(__package__) / "weights" / file_name))


def save(model, path: Path, config: UNetConfig, meta: dict[str, str]) -> None:
    """Write `model` (batch norm already folded) as float16 safetensors with its config."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().to("cpu").half().contiguous() for k, v in model.state_dict().items()
               if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))}
    header = {"config": json.dumps(asdict(config)), **meta}
    save_file(tensors, str(path), metadata=header)


def _check_safetensors(path: Path) -> None:
    """Refuse a file that is not safetensors by its content (a pickle renamed, say)."""
    with path.open("rb") as fp:
        head = fp.read(9)
    if len(head) < 9 or head[8:9] != b"{" or int.from_bytes(head[:8], "little") > 10_000_000:
        raise UnsafeModelFile(
            f"The weights {path} are not a safetensors file (it starts {head[:9]!r}); "
            "studiolo loads only safetensors: run scripts/train_damage.py to make them again."
        )


@functools.lru_cache(maxsize=4)
def load(path: str | None = None, file_name: str = WEIGHTS_FILE):
    """A UNet with its bundled (or given) weights, in eval mode, float32 on the CPU:
    the segmenter by default, the learned filler with `file_name=INPAINT_FILE`."""
    import torch
    from safetensors import safe_open

    file = Path(path) if path else weights_path(file_name)
    if not file.is_file():
        what = "damage segmenter" if file_name == WEIGHTS_FILE else "learned inpainting"
        raise ModelNotFound(
            f"The {what} weights are missing (looked for {file}); make them with "
            "`python scripts/train_damage.py`, or use a classical method."
        )
    _check_safetensors(file)
    with safe_open(str(file), framework="pt") as f:  # safetensors only: no pickle is read
        meta = f.metadata() or {}
        state = {k: f.get_tensor(k).float() for k in f.keys()}  # noqa: SIM118 - safe_open API
    raw = json.loads(meta.get("config", "{}"))
    config = UNetConfig(**{**raw, "widths": tuple(raw.get("widths", UNetConfig().widths))})
    model = build(config)
    fold_batchnorm(model)  # same structure as saved: BatchNorm slots are Identity
    model.load_state_dict(state, strict=True)
    model.eval()
    # Channels-last convolutions run about 2x faster on this CPU (oneDNN), same results to
    # 3e-6 (benchmarks/restoration.py --sections speed).
    model = model.to(memory_format=torch.channels_last)
    return model, config, meta


@contextlib.contextmanager
def one_thread():
    """Run torch on one thread inside: the fill's many small crops (tens of px) are 10-50x
    slower on two intra-op threads than on one when the cores are shared, since each layer
    ends in a barrier that waits for a descheduled thread (measured in
    benchmarks/restoration.py --sections speed)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def predict_raw(model, config: UNetConfig, x: np.ndarray) -> np.ndarray:
    """The net's raw output (K, H, W) float32 for one input (C, H, W) float32, padded to the
    net's multiple by reflection and cropped back."""
    import torch

    _, h, w = x.shape
    m = config.multiple
    ph, pw = (-h) % m, (-w) % m
    mode = "reflect" if min(h, w) > max(ph, pw) else "edge"
    padded = np.pad(x, ((0, 0), (0, ph), (0, pw)), mode=mode)
    with torch.inference_mode():
        batch = torch.from_numpy(np.ascontiguousarray(padded))[None].contiguous(
            memory_format=torch.channels_last)
        return np.ascontiguousarray(model(batch)[0, :, :h, :w].numpy())


def predict(model, config: UNetConfig, x: np.ndarray) -> np.ndarray:
    """Probabilities (K, H, W) float32 for one input (C, H, W) float32."""
    logits = predict_raw(model, config, x)
    return (1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))).astype(np.float32)
