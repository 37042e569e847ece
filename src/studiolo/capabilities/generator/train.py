"""Train a small personal generator on a person's own artworks, on a CPU.

    train_generator("./my-art", name="my-art", minutes=20)

The model (train/generator_nets.py) is a light DCGAN with pixel norm in G,
spectral norm in D, the hinge loss, an EMA of G's weights and differentiable
augmentation: a GAN, not a diffusion model, because on two CPU cores it is the
one that reaches recognisable pictures in minutes and samples in milliseconds,
and its latent space is what `studiolo explore --generator` walks (a
diffusion model of this size needs tens of thousands of steps and one network
run per denoising step). Adam runs with betas (0, 0.99) and lr 5e-4 for both
networks: with the usual 0.5 momentum every seed made nearly the same picture.
Measured (benchmarks/generator_cpu.py, 100 pictures at 64 px, batch 32, width
32, 2 AMD EPYC cores): 0.55 s a step, 1827 steps in the default 20 minutes, a
sample in 6.5 ms; the samples have the training set's colours and broad layouts
(skies over fields, sunsets, gilded interiors), blurred and without subjects
(the quality figures are in the benchmark's docstring).

Every image is read through `train.data.load_training_folder`, so the consent
checks apply (noai marks and C2PA training-mining `notAllowed` are skipped with
a warning). All randomness comes from one seeded `torch.Generator` (batches,
flips, latents, augmentation), so the same seed, data and steps make the same
weights, and a checkpoint holds that generator's state so that a resumed run
makes the weights an uninterrupted one makes.

Files (only safetensors and JSON; nothing is ever unpickled):

    STUDIOLO_HOME/training/<name>/generator-checkpoint.safetensors
        G, D, EMA of G, both Adam states and the RNG state; the run's JSON state
        (step, plan, images, losses) in its header. generator-checkpoint.json is
        the same JSON for people; generator-preview.png the latest samples.
    STUDIOLO_HOME/models/generators/<name>/generator.safetensors + config.json
        the finished model (EMA weights) and what made it, and samples.png.

A time budget (`minutes`) stops the run when its training time is spent (a
resumed run counts the time before the interruption); `steps` fixes the count.
"""

from __future__ import annotations

import copy
import math
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

from studiolo.capabilities.generator import nets
from studiolo.core.errors import InvalidArgument
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.settings import Settings
from studiolo.features.training_data import load_training_folder

DEFAULT_MINUTES = 20.0
DEFAULTS: dict[str, Any] = {"size": 64, "batch_size": 32, "lr_g": 5e-4, "lr_d": 5e-4,
                            "seed": 0, "width": 32, "z_dim": 128}
BETAS = (0.0, 0.99)  # no momentum: at 0.5 every seed gave the same picture
EMA_HALF_LIFE_IMAGES, EMA_RAMPUP = 10_000, 0.1  # StyleGAN2's ema_kimg / ema_rampup habit
MIN_IMAGES = 4
FEW_IMAGES = 20
PREVIEW_SEEDS = tuple(range(16))
LOG_EVERY = 10
PREVIEW = "generator-preview.png"


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped by Ctrl-C; the state of the last finished step is in the checkpoint."""

    def __init__(self, name: str, step: int, total: int | None, checkpoint: Path | None) -> None:
        super().__init__(name, step)
        self.name, self.step, self.total, self.checkpoint = name, step, total, checkpoint


@dataclass(frozen=True)
class Plan:
    """What a run was asked to do; a resumed run keeps it."""

    net: nets.NetConfig
    batch_size: int
    lr_g: float
    lr_d: float
    seed: int

    def as_dict(self) -> dict[str, Any]:
        return {"net": self.net.as_dict(), "batch_size": self.batch_size, "lr_g": self.lr_g,
                "lr_d": self.lr_d, "seed": self.seed}


@dataclass(frozen=True)
class TrainedGenerator:
    name: str
    folder: Path  # STUDIOLO_HOME/models/generators/<name>
    run_folder: Path  # STUDIOLO_HOME/training/<name>
    steps: int
    seconds: float
    config: dict[str, Any]
    preview: Path
    skipped: list[tuple[str, str]] = field(default_factory=list)


def run_dir(settings: Settings, name: str) -> Path:
    return settings.home / "training" / name


def check_name(name: object) -> str:
    if not isinstance(name, str) or not nets.NAME.match(name):
        raise InvalidArgument(
            f"`name` has to be 1-64 letters, digits, '.', '_' or '-' (starting with a letter or "
            f"digit) but is {name!r}."
        )
    return name


# -- the run ----------------------------------------------------------------------------


class Run:
    """G, D, the EMA of G, their optimisers and the RNG: one training run in memory."""

    def __init__(self, plan: Plan, data: torch.Tensor) -> None:
        self.plan, self.data, self.step, self.elapsed = plan, data, 0, 0.0
        self.g, self.d = nets.build(plan.net, plan.seed)
        self.ema = copy.deepcopy(self.g).eval().requires_grad_(False)
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=plan.lr_g, betas=BETAS)
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=plan.lr_d, betas=BETAS)
        self.rng = torch.Generator("cpu").manual_seed(plan.seed)
        self.history: list[list[float]] = []  # [step, loss D, loss G], every LOG_EVERY steps

    def train_step(self) -> tuple[float, float]:
        """One D step and one G step on the same fakes, then the EMA; returns the losses."""
        b, rng = self.plan.batch_size, self.rng
        real = self.data[torch.randint(0, len(self.data), (b,), generator=rng)]
        flip = torch.rand(b, generator=rng) < 0.5  # mirrored copies double a small set
        real = torch.where(flip.view(b, 1, 1, 1), real.flip(3), real)
        fake = self.g(torch.randn(b, self.plan.net.z_dim, generator=rng))
        # D sees real and fake in one batch: one forward, one power iteration of its norms.
        scores = self.d(nets.augment(torch.cat([real, fake.detach()]), rng))
        loss_d = nets.d_hinge(scores[:b], scores[b:])
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        loss_g = nets.g_hinge(self.d(nets.augment(fake, rng)))
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.step += 1
        seen = self.step * b
        decay = 0.5 ** (b / max(min(EMA_HALF_LIFE_IMAGES, seen * EMA_RAMPUP), 1e-8))
        with torch.no_grad():
            for p_ema, p in zip(self.ema.parameters(), self.g.parameters()):
                p_ema.lerp_(p, 1.0 - decay)
            for b_ema, b_ in zip(self.ema.buffers(), self.g.buffers()):
                b_ema.copy_(b_)
        losses = loss_d.detach().item(), loss_g.detach().item()
        if self.step % LOG_EVERY == 0:
            self.history.append([self.step, round(losses[0], 5), round(losses[1], 5)])
        return losses

    def samples(self) -> list:
        z = torch.cat([nets.latent(s, self.plan.net.z_dim) for s in PREVIEW_SEEDS])
        return nets.render(self.ema, z)

    # -- checkpoints ----------------------------------------------------------------------
    def tensors(self) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {"rng": self.rng.get_state()}
        for prefix, module in (("g", self.g), ("d", self.d), ("ema", self.ema)):
            out.update({f"{prefix}.{k}": v for k, v in module.state_dict().items()})
        for prefix, opt in (("opt_g", self.opt_g), ("opt_d", self.opt_d)):
            for index, state in opt.state_dict()["state"].items():
                out.update({f"{prefix}.{index}.{k}": torch.as_tensor(v) for k, v in state.items()})
        return {k: v.detach().contiguous().clone() for k, v in out.items()}

    def load_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        def part(prefix: str) -> dict[str, torch.Tensor]:
            return {k[len(prefix) + 1:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}

        for prefix, module in (("g", self.g), ("d", self.d), ("ema", self.ema)):
            module.load_state_dict(part(prefix), strict=True)
        for prefix, opt in (("opt_g", self.opt_g), ("opt_d", self.opt_d)):
            state: dict[int, dict[str, torch.Tensor]] = {}
            for key, value in part(prefix).items():
                index, name = key.split(".", 1)
                state.setdefault(int(index), {})[name] = value
            opt.load_state_dict({"state": state, "param_groups": opt.state_dict()["param_groups"]})
        self.rng.set_state(tensors["rng"])


# -- training ---------------------------------------------------------------------------


def train_generator(
    folder: str | os.PathLike[str],
    *,
    name: str,
    size: int | None = None,
    minutes: float | None = None,
    steps: int | None = None,
    batch_size: int | None = None,
    lr_g: float | None = None,
    lr_d: float | None = None,
    seed: int | None = None,
    width: int | None = None,
    z_dim: int | None = None,
    checkpoint_every: int = 200,
    preview_every: int | None = None,
    resume: bool = False,
    settings: Settings | None = None,
    progress: ProgressCallback = no_progress,
) -> TrainedGenerator:
    """Train the generator `name` on the images of `folder`; see the module docstring.

    Unset settings take `DEFAULTS` (64 px, batch 32, lr 5e-4, seed 0), or the
    checkpoint's on `resume`. Neither `minutes` nor `steps`: `DEFAULT_MINUTES`
    (a resumed run: what is left of its own plan). Ctrl-C (or KeyboardInterrupt
    from `progress`) saves a checkpoint and raises `TrainingInterrupted`.
    """
    # 1. Check inputs.
    settings = settings or Settings.from_env()
    check_name(name)
    given = {"size": size, "batch_size": batch_size, "lr_g": lr_g, "lr_d": lr_d, "seed": seed,
             "width": width, "z_dim": z_dim}
    if size is not None:
        nets.check_size(size)
    _check_numbers(given, minutes, steps, checkpoint_every, preview_every)
    run_folder, model_folder = run_dir(settings, name), nets.generators_dir(settings) / name
    has_checkpoint = (run_folder / f"{nets.CHECKPOINT}.safetensors").is_file()
    if resume and not has_checkpoint:
        raise InvalidArgument(f"There is no checkpoint of a generator run named {name!r} in "
                              f"{run_folder}; start it without --resume.")
    if not resume and (has_checkpoint or (model_folder / "config.json").exists()):
        where = run_folder if has_checkpoint else model_folder
        raise InvalidArgument(f"A generator named {name!r} already exists ({where}); continue "
                              "its training with --resume, or pick another --name.")

    # 2. Read the training images (the consent checks happen here).
    state: dict[str, Any] = {}
    if resume:
        state, tensors = nets.read_checkpoint(run_folder)
        recorded = {**state["plan"]["net"], **{k: v for k, v in state["plan"].items() if k != "net"}}
        for key, value in given.items():
            if value is not None and value != recorded[key]:
                raise InvalidArgument(f"`{key}` is {value!r} but the run being resumed was "
                                      f"started with {recorded[key]!r}; leave it out to resume.")
        given = recorded
    values = {k: DEFAULTS[k] if v is None else v for k, v in given.items()}
    plan = Plan(net=nets.NetConfig(size=values["size"], z_dim=values["z_dim"],
                                   width=values["width"]),
                batch_size=values["batch_size"], lr_g=values["lr_g"], lr_d=values["lr_d"],
                seed=values["seed"])
    dataset = load_training_folder(folder, size=plan.net.size, min_images=MIN_IMAGES,
                                   progress=progress)
    shas = [item.sha256 for item in dataset.images]
    if resume and shas != state["images"]:
        added, gone = len(set(shas) - set(state["images"])), len(set(state["images"]) - set(shas))
        raise InvalidArgument(f"The training images of {folder} changed since the run started "
                              f"({added} new, {gone} gone); resume needs the same images, or "
                              "start a new run with another --name.")
    if len(dataset) < FEW_IMAGES:
        progress({"stage": "read", "step": len(dataset), "total": len(dataset), "message":
                  f"only {len(dataset)} images: expect samples close to them (20-200 suit it)"})
    pixels = np.stack([np.asarray(item.image, dtype=np.float32) for item in dataset.images])
    data = torch.from_numpy(pixels / 127.5 - 1.0).permute(0, 3, 1, 2).contiguous()  # (N,3,s,s)

    # 3. A new run, or the checkpoint's.
    run = Run(plan, data)
    if resume:
        run.load_tensors(tensors)
        run.step, run.elapsed, run.history = state["step"], state["elapsed"], state["history"]
    total, budget = _stopping(state, run, minutes, steps)
    preview_every = preview_every or checkpoint_every
    run_folder.mkdir(parents=True, exist_ok=True)
    info = {"name": name, "plan": plan.as_dict(), "images": shas,
            "folder": str(dataset.folder), "started": state.get("started") or _now()}

    def checkpoint() -> Path:
        return nets.save_checkpoint(run.tensors(), run_folder, {
            **info, "step": run.step, "total": total, "budget": budget,
            "elapsed": round(run.elapsed, 3), "history": run.history})

    # 4. Train.
    saved = (run.step, run_folder / f"{nets.CHECKPOINT}.safetensors") if resume else (0, None)
    session_start, session_steps = time.perf_counter(), 0
    with _interrupt_after_step() as asked:
        try:
            while (run.step < total) if total is not None else (run.elapsed < budget):
                started = time.perf_counter()
                asked["in_step"] = True
                loss_d, loss_g = run.train_step()
                asked["in_step"] = False
                session_steps += 1
                preview = None
                if run.step % preview_every == 0:
                    preview = nets.grid(run.samples(), columns=4)
                    preview.save(run_folder / PREVIEW)
                run.elapsed += time.perf_counter() - started  # wall time, previews included
                if run.step % checkpoint_every == 0:
                    saved = run.step, checkpoint()
                progress({"stage": "train", "step": run.step,
                          "total": total or _estimate(run, budget, session_start, session_steps),
                          "message": f"loss D {loss_d:.3f}  G {loss_g:.3f}",
                          "losses": {"d": loss_d, "g": loss_g}, "preview": preview})
                if asked["stop"]:
                    raise KeyboardInterrupt
        except KeyboardInterrupt:
            if not asked["in_step"]:  # a second Ctrl-C mid-step: keep the last checkpoint
                saved = run.step, checkpoint()
            raise TrainingInterrupted(name, saved[0], total, saved[1]) from None
    checkpoint()
    samples = run.samples()
    nets.grid(samples, columns=4).save(run_folder / PREVIEW)

    # 5. The finished model.
    config = {
        "format": nets.MODEL_FORMAT, "name": name,
        "architecture": "dcgan-pixelnorm-sn-mbstd-hinge",
        **plan.net.as_dict(), "steps": run.step, "batch_size": plan.batch_size,
        "lr_g": plan.lr_g, "lr_d": plan.lr_d, "seed": plan.seed, "images": len(shas),
        "training_sha256": shas, "trained_by": settings.person, "date": _now(),
        "seconds": round(run.elapsed, 1), "losses": run.history[-1][1:] if run.history else None,
    }
    folder_out = nets.save_generator(run.ema, config, model_folder, samples)
    return TrainedGenerator(name=name, folder=folder_out, run_folder=run_folder, steps=run.step,
                            seconds=run.elapsed, config=config, preview=folder_out / "samples.png",
                            skipped=[(p.name, why) for p, why in dataset.skipped])


def _check_numbers(given: dict[str, Any], minutes: float | None, steps: int | None,
                   checkpoint_every: int, preview_every: int | None) -> None:
    def whole(name: str, value: Any, low: int, high: int) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not low <= value <= high):
            raise InvalidArgument(f"`{name}` has to be a whole number from {low} to {high} but "
                                  f"is {value!r}.")

    if minutes is not None and steps is not None:
        raise InvalidArgument(f"Give `minutes` or `steps`, not both (got {minutes!r} and "
                              f"{steps!r}).")
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int | float)
                                or not 0 < minutes <= 24 * 60):
        raise InvalidArgument(f"`minutes` has to be above 0 and at most 1440 but is {minutes!r}.")
    whole("steps", steps, 1, 10_000_000)
    whole("batch_size", given["batch_size"], 1, 256)
    whole("width", given["width"], 4, 256)
    whole("z_dim", given["z_dim"], 2, 1024)
    whole("seed", given["seed"], 0, 2**63 - 1)
    whole("checkpoint_every", checkpoint_every, 1, 10_000_000)
    whole("preview_every", preview_every, 1, 10_000_000)
    for key in ("lr_g", "lr_d"):
        value = given[key]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or not 0 < value < 1):
            raise InvalidArgument(f"`{key}` has to be a learning rate between 0 and 1 but is "
                                  f"{value!r}.")


def _stopping(state: dict[str, Any], run: Run, minutes: float | None,
              steps: int | None) -> tuple[int | None, float | None]:
    """(total steps, None) or (None, training-seconds budget) for this session."""
    if steps is not None:
        return steps, None
    if minutes is not None:
        return None, run.elapsed + 60.0 * minutes
    if state:  # resumed: what the run itself planned
        return state["total"], state["budget"]
    return None, 60.0 * DEFAULT_MINUTES


def _estimate(run: Run, budget: float | None, start: float, done: int) -> int | None:
    """The step a time budget will end at, from this session's pace."""
    if budget is None or done < 2:
        return None
    pace = (time.perf_counter() - start) / done
    return run.step + max(0, math.ceil((budget - run.elapsed) / pace))


@contextmanager
def _interrupt_after_step() -> Iterator[dict[str, bool]]:
    """Ctrl-C lets the running step finish (so the checkpoint is whole); a second one stops
    at once. Outside the main thread signals cannot be caught, so nothing changes there."""
    flags = {"stop": False, "in_step": False}
    if threading.current_thread() is not threading.main_thread():
        yield flags
        return

    def handler(signum: int, frame: Any) -> None:
        if flags["stop"]:
            raise KeyboardInterrupt
        flags["stop"] = True

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield flags
    finally:
        signal.signal(signal.SIGINT, previous)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
