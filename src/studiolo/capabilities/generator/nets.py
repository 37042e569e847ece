"""The personal generator's networks, augmentation, losses and files (see train/generator.py).

A light DCGAN (Radford et al. 2016) made to learn from 20-200 pictures on a CPU:

- G: z (z_dim) -> linear -> (8w, s/16, s/16) -> four "nearest x2 upsample, 3x3
  conv, pixel norm, leaky ReLU" blocks (4w, 2w, w, w/2 channels) -> 3x3 conv ->
  tanh. Pixel norm (Karras et al. 2018, ProGAN) instead of batch norm keeps each
  sample independent of the others in its batch, so a seed makes the same
  picture alone or in a batch, and the EMA of G's weights needs no statistics.
- D: four stride-2 4x4 convs (w, 2w, 4w, 8w) with leaky ReLU -> minibatch standard
  deviation (Karras et al. 2018: one more channel, the spread of the features
  over each group of 4 pictures) -> 3x3 conv -> linear; every layer under
  spectral norm (Miyato et al. 2018). The spread lets D see a batch of fakes that
  are all alike, so G is pushed to make different pictures for different seeds.
- Hinge loss (Lim & Ye 2017; Miyato et al. 2018).
- Differentiable augmentation (Zhao et al. 2020, "Differentiable Augmentation
  for Data-Efficient GAN Training"): colour, translation and cutout applied to
  every image D sees, real and fake alike, and differentiable so G learns
  through them. With 100 images D otherwise memorises the set in a few hundred
  steps and G collapses.

Because every block doubles the side, a side of s needs s/16 at the start: any
multiple of 16 from 32 to 128 works. All randomness comes from a
`torch.Generator` passed in; the weights are initialised under a forked,
seeded global generator (torch's init functions draw from it).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
from dataclasses import asdict, dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from studiolo.core.atomic import write_atomic, write_json_atomic
from studiolo.core.errors import UnknownName

MIN_SIZE, MAX_SIZE, SIZE_STEP = 32, 128, 16


@dataclass(frozen=True)
class NetConfig:
    """The shape of a generator (all of it is written to config.json)."""

    size: int = 64  # side in pixels, a multiple of 16 from 32 to 128
    z_dim: int = 128
    width: int = 32  # channels of the last G block / first D block

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def check_size(size: object) -> int:
    from studiolo.core.errors import InvalidArgument

    if (isinstance(size, bool) or not isinstance(size, int) or size % SIZE_STEP
            or not MIN_SIZE <= size <= MAX_SIZE):
        raise InvalidArgument(
            f"`size` has to be a multiple of {SIZE_STEP} from {MIN_SIZE} to {MAX_SIZE} (64 is "
            f"the default, 128 the largest a CPU trains in reasonable time) but is {size!r}."
        )
    return size


class PixelNorm(nn.Module):
    """Each pixel's feature vector scaled to unit mean square (Karras et al. 2018)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)


class Generator(nn.Module):
    def __init__(self, config: NetConfig) -> None:
        super().__init__()
        self.config = config
        w, self.base = config.width, config.size // 16
        channels = [8 * w, 4 * w, 2 * w, w, w // 2]
        self.fc = nn.Linear(config.z_dim, channels[0] * self.base * self.base)
        blocks = []
        for c_in, c_out in pairwise(channels):
            blocks += [nn.Upsample(scale_factor=2, mode="nearest"),
                       nn.Conv2d(c_in, c_out, 3, padding=1), PixelNorm(), nn.LeakyReLU(0.2)]
        self.blocks = nn.Sequential(*blocks)
        self.to_rgb = nn.Conv2d(w // 2, 3, 3, padding=1)
        self.norm = PixelNorm()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.fc(self.norm(z)).view(z.shape[0], -1, self.base, self.base)  # (B, 8w, s/16, s/16)
        x = self.blocks(F.leaky_relu(self.norm(x), 0.2))  # (B, w/2, s, s)
        return torch.tanh(self.to_rgb(x))  # (B, 3, s, s) in [-1, 1]


class Discriminator(nn.Module):
    def __init__(self, config: NetConfig) -> None:
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm
        w, base = config.width, config.size // 16
        channels = [3, w, 2 * w, 4 * w, 8 * w]
        layers: list[nn.Module] = []
        for c_in, c_out in pairwise(channels):
            layers += [sn(nn.Conv2d(c_in, c_out, 4, stride=2, padding=1)), nn.LeakyReLU(0.2)]
        self.body = nn.Sequential(*layers)
        self.final = sn(nn.Conv2d(8 * w + 1, 8 * w, 3, padding=1))
        self.head = sn(nn.Linear(8 * w * base * base, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.leaky_relu(self.final(minibatch_std(self.body(x))), 0.2)
        return self.head(h.flatten(1)).squeeze(1)  # (B,)


def minibatch_std(x: torch.Tensor, group: int = 4) -> torch.Tensor:
    """x with one more channel: the mean standard deviation of the features over each group
    of `group` pictures, taken with a stride as StyleGAN does (picture i is grouped with
    i + b/group, i + 2b/group, ...; smaller groups where the batch does not divide).
    D sees real and fake pictures in one batch, so a group holds both, and a set of fakes
    that are all alike lowers the spread D can see."""
    b, c, h, w = x.shape
    group = next(g for g in range(min(group, b), 0, -1) if b % g == 0)
    y = x.view(group, b // group, c, h, w)
    spread = y.var(dim=0, unbiased=False).add(1e-8).sqrt().mean(dim=(1, 2, 3))  # (b/group,)
    return torch.cat([x, spread.repeat(group).view(b, 1, 1, 1).expand(b, 1, h, w)], 1)


def build(config: NetConfig, seed: int) -> tuple[Generator, Discriminator]:
    """G and D with weights drawn from `seed` (DCGAN init: N(0, 0.02) convs)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        g, d = Generator(config), Discriminator(config)
        for module in g.modules():
            if isinstance(module, nn.Conv2d | nn.Linear):
                nn.init.normal_(module.weight, 0.0, 0.02)
                nn.init.zeros_(module.bias)
        # One power iteration so the spectral norms' vectors are already near the top
        # singular vectors (their random start depends on the same seed).
        d(torch.zeros(1, 3, config.size, config.size))
    return g, d


def empty_generator(config: NetConfig) -> Generator:
    """A G to load weights into, made without touching the caller's global RNG."""
    with torch.random.fork_rng(devices=[]):
        return Generator(config)


# -- latents --------------------------------------------------------------------------


def latent(seed: int, z_dim: int) -> torch.Tensor:
    """The latent of a seed: N(0, I), drawn on the CPU, so a seed is the same everywhere."""
    return torch.randn(1, z_dim, generator=torch.Generator("cpu").manual_seed(int(seed)))


@torch.no_grad()
def render(g: Generator, z: torch.Tensor) -> list:
    """PIL images from latents, one latent at a time (a batch could round differently)."""
    from PIL import Image

    g.eval()
    out = []
    for row in z:
        x = g(row[None].float())[0]
        pixels = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        out.append(Image.fromarray(pixels.permute(1, 2, 0).numpy(), "RGB"))
    return out


# -- differentiable augmentation (Zhao et al. 2020) ----------------------------------------


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Colour, translation and cutout, each drawn per image from `gen`; differentiable in x."""
    return cutout(translate(colour(x, gen), gen), gen)


def colour(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random brightness (+-0.5), saturation (x0-2) and contrast (x0.5-1.5), on [-1, 1] images
    (the paper's ranges, which it states for [0, 1] images: doubled where they add)."""
    b = x.shape[0]
    shift = (torch.rand(b, 1, 1, 1, generator=gen) - 0.5) * 2 * 0.5
    x = x + shift
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (torch.rand(b, 1, 1, 1, generator=gen) * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (torch.rand(b, 1, 1, 1, generator=gen) + 0.5) + mean


def translate(x: torch.Tensor, gen: torch.Generator, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to `ratio` of its side, filling with zeros (mid-grey)."""
    b, _, h, w = x.shape
    dy, dx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    sy = torch.randint(-dy, dy + 1, (b, 1, 1), generator=gen)
    sx = torch.randint(-dx, dx + 1, (b, 1, 1), generator=gen)
    # Read from a 1-pixel zero border when the shifted index falls outside the image.
    ys = (torch.arange(h).view(1, h, 1) - sy + 1).clamp(0, h + 1).expand(b, h, w)
    xs = (torch.arange(w).view(1, 1, w) - sx + 1).clamp(0, w + 1).expand(b, h, w)
    padded = F.pad(x, (1, 1, 1, 1))
    index = torch.arange(b).view(b, 1, 1).expand(b, h, w)
    return padded.permute(0, 2, 3, 1)[index, ys, xs].permute(0, 3, 1, 2)


def cutout(x: torch.Tensor, gen: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    """Zero a square `ratio` of the side in each image, centred anywhere (so it may be
    clipped by the edge)."""
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h + 1, (b, 1, 1), generator=gen) - ch // 2
    left = torch.randint(0, w + 1, (b, 1, 1), generator=gen) - cw // 2
    ys, xs = torch.arange(h).view(1, h, 1), torch.arange(w).view(1, 1, w)
    inside = (ys >= top) & (ys < top + ch) & (xs >= left) & (xs < left + cw)  # (B, H, W)
    return x * (~inside).unsqueeze(1).to(x.dtype)


# -- losses ----------------------------------------------------------------------------


def d_hinge(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def g_hinge(fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean()


def grid(images: list, columns: int | None = None):
    """A PIL grid of same-size images (a preview of samples)."""
    from PIL import Image

    columns = columns or math.ceil(math.sqrt(len(images)))
    rows = math.ceil(len(images) / columns)
    w, h = images[0].size
    sheet = Image.new("RGB", (columns * w, rows * h))
    for i, image in enumerate(images):
        sheet.paste(image, ((i % columns) * w, (i // columns) * h))
    return sheet


# -- files: checkpoints and finished models (safetensors and JSON only) ------------------------

CHECKPOINT = "generator-checkpoint"
CHECKPOINT_FORMAT = "studiolo.generator-checkpoint/2"
MODEL_FORMAT = "studiolo.generator/1"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def save_checkpoint(tensors: dict[str, torch.Tensor], folder: Path, state: dict[str, Any]) -> Path:
    """The tensors with the JSON `state` in the header (one file, so one atomic rename), and
    the state again as JSON for people to read."""
    from safetensors.torch import save

    path = folder / f"{CHECKPOINT}.safetensors"
    state = {"format": CHECKPOINT_FORMAT, **state}
    text = json.dumps(state, sort_keys=True)
    write_atomic(path, save(tensors, metadata={"state": text}), fsync=True)
    write_json_atomic(folder / f"{CHECKPOINT}.json", state, indent=1)
    return path


def read_checkpoint(folder: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """The JSON state and the tensors of a run's checkpoint (checked as safetensors first)."""
    from safetensors.torch import load_file

    from studiolo.core.errors import InvalidArgument
    from studiolo.models.safety import check_weights_file, read_safetensors_metadata

    path = folder / f"{CHECKPOINT}.safetensors"
    check_weights_file(path)
    try:
        state = json.loads(read_safetensors_metadata(path)["state"])
    except (KeyError, json.JSONDecodeError):
        state = {}
    if state.get("format") != CHECKPOINT_FORMAT:
        raise InvalidArgument(f"{path} is not a {CHECKPOINT_FORMAT} checkpoint (its header says "
                              f"{state.get('format')!r}); start the run again without resume.")
    return state, load_file(path)


def generators_dir(settings: Any) -> Path:
    return settings.models_dir / "generators"


def save_generator(g: Generator, config: dict[str, Any], folder: Path,
                   samples: list | None = None) -> Path:
    """generator.safetensors (weights), samples.png and config.json in `folder`."""
    from safetensors.torch import save

    weights = {k: v.detach().contiguous().clone() for k, v in g.state_dict().items()}
    meta = {"format": MODEL_FORMAT, "config": json.dumps(g.config.as_dict())}
    write_atomic(folder / "generator.safetensors", save(weights, metadata=meta))
    if samples:
        buffer = io.BytesIO()
        grid(samples, columns=4).save(buffer, format="PNG")
        write_atomic(folder / "samples.png", buffer.getvalue())
    # config.json last: a folder is a generator once it has one.
    write_json_atomic(folder / "config.json", config, indent=1)
    return folder


@dataclass(frozen=True)
class LoadedGenerator:
    name: str
    net: Generator
    config: dict[str, Any]  # config.json
    sha256: str  # of generator.safetensors
    folder: Path


_LOADED: dict[tuple[str, int, int], LoadedGenerator] = {}


def known_generators(settings: Any) -> list[str]:
    root = generators_dir(settings)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "config.json").is_file())


def load_generator(name: str, settings: Any = None) -> LoadedGenerator:
    """A trained generator by name; its weights are checked as safetensors before loading."""
    from safetensors.torch import load_file

    from studiolo.core.errors import ModelError
    from studiolo.core.settings import Settings
    from studiolo.models.safety import check_weights_file

    settings = settings or Settings.from_env()
    folder = generators_dir(settings) / name if isinstance(name, str) and NAME.match(name) else None
    if folder is None or not (folder / "config.json").is_file():
        raise UnknownGenerator(str(name), known_generators(settings), generators_dir(settings))
    weights = folder / "generator.safetensors"
    check_weights_file(weights)
    stat = weights.stat()
    key = (str(weights), stat.st_mtime_ns, stat.st_size)
    if key in _LOADED:
        return _LOADED[key]
    try:
        config = json.loads((folder / "config.json").read_text("utf-8"))
        net = empty_generator(NetConfig(size=int(config["size"]), z_dim=int(config["z_dim"]),
                                        width=int(config["width"])))
        net.load_state_dict(load_file(weights), strict=True)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise ModelError(f"The generator {name!r} in {folder} cannot be loaded ({exc}); train "
                         "it again.") from None
    sha = hashlib.sha256(weights.read_bytes()).hexdigest()
    loaded = LoadedGenerator(name=name, net=net.eval().requires_grad_(False), config=config,
                             sha256=sha, folder=folder)
    _LOADED[key] = loaded
    return loaded


class UnknownGenerator(UnknownName):
    """A generator name that is not trained here; the one-sentence message lists the known ones."""

    def __init__(self, name: str, known: list[str], where: Path) -> None:
        super().__init__("generator", name, known)
        if known:
            self.text = (f"Unknown generator {name!r}: the ones trained in {where} are "
                         f"{', '.join(repr(k) for k in known)}.")
        else:
            self.text = (f"Unknown generator {name!r}: none is trained yet in {where} (train one "
                         f"with `studiolo train generator FOLDER --name {name}`).")

    def __str__(self) -> str:
        return self.text
