"""A LoRA training run on disk: STUDIOLO_HOME/training/<run>/, so a run can stop and go on.

    args.json                 what the run was asked to do (`LoraArgs`) and the sha256 of
                              its base model and training images (resume checks them)
    checkpoint.safetensors    the LoRA parameters, AdamW's state and the CPU RNG state,
                              with the step and the losses so far in the header
    latents.safetensors       the VAE encodings of the images (mean and std), made once
    class_images/0000.png ... DreamBooth prior-preservation images made by the base model

Everything is safetensors or JSON: nothing here is ever unpickled. Every file is
written to a temporary name and renamed, so a crash leaves the last good one.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Self

import torch

from studiolo.capabilities.lora.format import save_safetensors
from studiolo.core.atomic import write_atomic, write_json_atomic
from studiolo.core.errors import InvalidArgument
from studiolo.core.settings import Settings

CHECKPOINT_FORMAT = "studiolo.lora-checkpoint/1"
_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class LoraArgs:
    """What a training run was asked to do; saved as the run's args.json."""

    model: str
    folder: str
    trigger: str
    name: str
    out: str  # the LoRA file to write
    rank: int = 4
    alpha: float = 4.0
    steps: int = 400
    learning_rate: float = 1e-4
    resolution: int = 512
    batch_size: int = 1
    seed: int = 0
    prior_prompt: str | None = None
    prior_images: int = 50
    prior_weight: float = 1.0
    prior_steps: int = 30  # denoising steps per class image
    train_text_encoder: bool = False
    checkpoint_every: int = 100
    model_sha256: str | None = None
    image_sha256: tuple[str, ...] = ()
    started_at: float = 0.0  # POSIX time the run began

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["image_sha256"] = list(self.image_sha256)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoraArgs:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["image_sha256"] = tuple(values.get("image_sha256") or ())
        return cls(**values)


def runs_dir(settings: Settings) -> Path:
    return settings.home / "training"


def check_run_name(name: str, what: str = "name") -> str:
    if not isinstance(name, str) or not _RUN_NAME.match(name):
        raise InvalidArgument(
            f"`{what}` must be 1-64 letters, digits, '.', '_' or '-' (starting with a letter or "
            f"digit), got {name!r}.")
    return name


def new_run(settings: Settings, name: str) -> Path:
    """A fresh run folder named `name`, or `name-2`, `name-3`, ... when that one is taken."""
    root = runs_dir(settings)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(1, 10_000):
        folder = root / (name if i == 1 else f"{name}-{i}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise InvalidArgument(f"Too many training runs named {name!r} in {root}; choose another name.")


def find_run(settings: Settings, ref: str | os.PathLike[str]) -> Path:
    """The run folder named `ref` (in STUDIOLO_HOME/training) or at path `ref`."""
    text = str(ref)
    candidates = [Path(text).expanduser()]
    if _RUN_NAME.match(text):
        candidates.insert(0, runs_dir(settings) / text)
    for folder in candidates:
        if (folder / "args.json").is_file():
            return folder.resolve()
    raise InvalidArgument(
        f"No training run {text!r}: neither {runs_dir(settings) / text} nor {candidates[-1]} "
        "holds an args.json; `studiolo train lora` prints the run name when it stops.")


def write_json(path: Path, data: Any) -> None:
    write_json_atomic(path, data, indent=2)


def write_args(run: Path, args: LoraArgs) -> None:
    write_json(run / "args.json", args.to_json())


def read_args(run: Path) -> LoraArgs:
    try:
        return LoraArgs.from_json(json.loads((run / "args.json").read_text("utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise InvalidArgument(f"Training run {run} has an unreadable args.json ({exc}).") from None


# -- checkpoints -----------------------------------------------------------------------------

def save_checkpoint(run: Path, step: int, params: dict[str, torch.Tensor],
                    optimizer: torch.optim.Optimizer, losses: list[float]) -> Path:
    """LoRA parameters (by name), the optimizer's per-parameter tensors and the CPU RNG state."""
    tensors = {f"param.{name}": p.detach().cpu() for name, p in params.items()}
    for index, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            if not torch.is_tensor(value):
                raise TypeError(f"optimizer state {key!r} is not a tensor")  # not AdamW's
            tensors[f"optim.{index}.{key}"] = value.detach().cpu()
    tensors["rng.cpu"] = torch.get_rng_state()
    meta = {"format": CHECKPOINT_FORMAT, "step": str(step), "losses": json.dumps(losses)}
    return save_safetensors(tensors, run / "checkpoint.safetensors", meta)


def checkpoint_step(run: Path) -> int:
    """The step of the run's checkpoint (0 when it has none), read from the header only."""
    from studiolo.models.safety import read_safetensors_metadata

    path = run / "checkpoint.safetensors"
    return int(read_safetensors_metadata(path).get("step", 0)) if path.is_file() else 0


def load_checkpoint(run: Path, params: dict[str, torch.Tensor],
                    optimizer: torch.optim.Optimizer) -> tuple[int, list[float]]:
    """Put a checkpoint back into `params` and `optimizer`; (step, losses). (0, []) if none."""
    from safetensors.torch import load_file

    from studiolo.models.safety import check_weights_file, read_safetensors_metadata

    path = run / "checkpoint.safetensors"
    if not path.is_file():
        return 0, []
    check_weights_file(path)
    meta = read_safetensors_metadata(path)
    tensors = load_file(str(path))
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise InvalidArgument(f"{path} is not a studiolo LoRA checkpoint.")
    missing = [n for n in params if f"param.{n}" not in tensors]
    if missing:
        raise InvalidArgument(
            f"{path} does not fit this run (no {missing[0]!r}); start a new run instead.")
    with torch.no_grad():
        for name, param in params.items():
            param.copy_(tensors[f"param.{name}"])
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    groups = optimizer.state_dict()["param_groups"]
    optimizer.load_state_dict({"state": state, "param_groups": groups})
    torch.set_rng_state(tensors["rng.cpu"])
    return int(meta["step"]), [float(x) for x in json.loads(meta.get("losses") or "[]")]


# -- cached encodings and class images -----------------------------------------------------------

def save_latents(run: Path, latents: dict[str, torch.Tensor]) -> None:
    save_safetensors({k: v.cpu() for k, v in latents.items()}, run / "latents.safetensors",
                     {"format": "studiolo.lora-latents/1"})


def load_latents(run: Path) -> dict[str, torch.Tensor] | None:
    from safetensors.torch import load_file

    path = run / "latents.safetensors"
    return load_file(str(path)) if path.is_file() else None


def class_images(run: Path, pipe, prompt: str, count: int, *, resolution: int, seed: int,
                 steps: int, progress) -> list[Path]:
    """`count` images of `prompt` by the base model (DreamBooth's prior-preservation set),
    made once: the ones already in the run folder are kept."""
    import torch

    folder = run / "class_images"
    folder.mkdir(exist_ok=True)
    paths = [folder / f"{i:04d}.png" for i in range(count)]
    pipe.set_progress_bar_config(disable=True)
    for i, path in enumerate(paths):
        progress({"stage": "prior", "step": i, "total": count, "message": f"class image {i + 1}"})
        if path.is_file():
            continue
        with torch.inference_mode():
            image = pipe(prompt, num_inference_steps=steps, guidance_scale=7.5, height=resolution,
                         width=resolution, generator=torch.Generator("cpu").manual_seed(seed + i),
                         output_type="pil").images[0]
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        write_atomic(path, buffer.getvalue())
    progress({"stage": "prior", "step": count, "total": count, "message": None})
    return paths


class StopAtStepEnd:
    """Ctrl-C while training: the first one stops at the end of the step, the next at once
    (but never inside the optimizer update, which would leave a half-updated checkpoint)."""

    def __init__(self) -> None:
        self.requested = 0
        self._critical = False
        self._previous: Any = None

    def __enter__(self) -> Self:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum, frame) -> None:
        self.requested += 1
        if self.requested > 1 and not self._critical:
            raise KeyboardInterrupt

    @contextmanager
    def critical_section(self) -> Iterator[None]:
        self._critical = True
        try:
            yield
        finally:
            self._critical = False
