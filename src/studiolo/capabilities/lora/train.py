"""LoRA / DreamBooth-LoRA training on a person's photos or artwork (SD 1.x and 2.x).

`train_lora` reads top to bottom like a diffusers training script:

1. check the arguments; 2. read the folder through `data.load_training_folder`
(consent checks, squares, captions with the trigger word first); 3. load the base
model with studiolo's own offline loader; 4. make the DreamBooth class images
when asked (Ruiz et al. 2023, "DreamBooth", prior-preservation loss); 5. encode
every image with the VAE once; 6. add a peft LoRA (Hu et al. 2021) to the UNet's
attention projections (and the text encoder's, optionally); 7. train with the
noise-prediction MSE (Ho et al. 2020, eq. 14; the v target of Salimans & Ho 2022
when the scheduler predicts v) and AdamW; 8. write one kohya/A1111 `.safetensors`
file (`lora_format.py`) that `studiolo generate --lora NAME:0.8` loads at once.

Reproducible and resumable: the noise, timesteps and batch order of step `i` come
from a generator seeded by (seed, i) alone, and a checkpoint (`lora_run.py`) holds
the LoRA, AdamW's state and the CPU RNG state, so N steps in one go and N/2 plus a
resumed N/2 give the same weights: bit for bit when run again in one go, and to
float rounding (about 1e-6) across a resume, as the CPU math libraries are not
bit-exact after a fresh start even on identical tensors. The first Ctrl-C stops at
the end of the step (a second one at once) and writes a checkpoint; `resume=` the
run name goes on.

Speed (benchmarks/lora_train.py; 2-core AMD EPYC shared with other jobs, float32,
rank 4, batch 1, one thread): the tests' tiny SD at 32-64 px takes 0.04 s a step;
SD 1.5's shapes (860M-parameter UNet) take 9 CPU-seconds a step at 256 px and 31 at
512 px (7.2 GiB peak): a 400-step LoRA is about 1 h (256 px) or 3.5 h (512 px) of
one core, so real LoRAs want a GPU.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from studiolo.capabilities.lora import run as lora_run
from studiolo.capabilities.lora.math import (
    TEXT_TARGETS,
    UNET_TARGETS,
    add_lora,
    batch_indices,
    denoising_loss,
    encode_images,
    lora_parameters,
    randn_on,
    step_generator,
    tokenize,
)
from studiolo.capabilities.lora.run import LoraArgs, StopAtStepEnd
from studiolo.core.errors import InvalidArgument, StudioloError
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.settings import Settings

MAX_SEED = 2**32 - 1


class TrainingInterrupted(StudioloError):
    """Training was stopped (Ctrl-C); its checkpoint is saved and `resume=` goes on."""

    exit_code = 130

    def __init__(self, run: Path, step: int, steps: int) -> None:
        self.run, self.step, self.steps = run, step, steps
        super().__init__(
            f"Training stopped at step {step} of {steps}; the checkpoint is in {run}; go on with "
            f"resume={run.name!r} (studiolo train lora --resume {run.name}).")


@dataclass(frozen=True)
class LoraTrainingResult:
    path: Path  # the LoRA file (kohya/A1111 format)
    name: str
    trigger: str
    model: str  # the base model, as named
    run: Path  # the run folder (checkpoint, args.json)
    steps: int
    losses: tuple[float, ...]  # one per step, from step 1
    images: int
    skipped: tuple[tuple[Path, str], ...]
    seconds: float  # this session's training time


def train_lora(
    model: str | None = None,
    folder: str | Path | None = None,
    *,
    trigger: str | None = None,
    name: str | None = None,
    rank: int = 4,
    alpha: float | None = None,
    steps: int | None = None,
    learning_rate: float = 1e-4,
    resolution: int = 512,
    batch_size: int = 1,
    seed: int = 0,
    prior_prompt: str | None = None,
    prior_images: int = 50,
    prior_weight: float = 1.0,
    prior_steps: int = 30,
    train_text_encoder: bool = False,
    checkpoint_every: int = 100,
    out: str | Path | None = None,
    overwrite: bool = False,
    resume: str | Path | None = None,
    settings: Settings | None = None,
    progress: ProgressCallback = no_progress,
) -> LoraTrainingResult:
    """Train a LoRA of `trigger` on the images of `folder` over base `model`; save it as
    STUDIOLO_HOME/loras/NAME.safetensors (or `out`: a file or a folder).

    `alpha` defaults to `rank` (scale 1); `steps` to 400. With `resume` (a run name or
    folder) the run's saved arguments are used and only `steps` may be raised.
    """
    from studiolo.features.training_data import captions_with_trigger, load_training_folder
    from studiolo.models.hashing import model_hash
    from studiolo.models.refs import resolve_model

    settings = settings or Settings.from_env()
    # 1. Check inputs. Raise error if not correct
    run: Path | None = None
    if resume is not None:
        run = lora_run.find_run(settings, resume)
        args = lora_run.read_args(run)
        if steps is not None:
            args = replace(args, steps=_int_in("steps", steps, 1, 10**7))
        if lora_run.checkpoint_step(run) >= args.steps:
            raise InvalidArgument(
                f"Run {run.name} already did {lora_run.checkpoint_step(run)} steps (its LoRA is "
                f"{args.out}); pass a larger `steps` (--steps) to train further.")
    else:
        if not isinstance(trigger, str) or not trigger.strip() or "," in trigger or len(trigger) > 64:
            raise InvalidArgument(f"`trigger` must be a word or short phrase without commas "
                                  f"(up to 64 characters), e.g. 'ohwx', got {trigger!r}.")
        if model is None or folder is None:
            raise InvalidArgument("`model` and `folder` are needed to start a run (or `resume`).")
        name = lora_run.check_run_name(_name(name or trigger.strip()))
        args = check_args(LoraArgs(
            model=model, folder=str(Path(folder).expanduser().resolve()), trigger=trigger.strip(),
            name=name, out=str(output_path(settings, name, out)), rank=rank,
            alpha=rank if alpha is None else alpha, steps=400 if steps is None else steps,
            learning_rate=learning_rate, resolution=resolution, batch_size=batch_size, seed=seed,
            prior_prompt=prior_prompt, prior_images=prior_images, prior_weight=prior_weight,
            prior_steps=prior_steps, train_text_encoder=train_text_encoder,
            checkpoint_every=checkpoint_every))
        if Path(args.out).exists() and not overwrite:
            raise InvalidArgument(f"LoRA {args.out} already exists; choose another `name` or "
                                  "`out`, or pass `overwrite` (--overwrite).")
    source = resolve_model(args.model, settings)
    if source.family not in (None, "sd1", "sd2") or source.is_inpainting:
        what = "an inpainting model" if source.is_inpainting else f"a {source.family} model"
        raise InvalidArgument(f"LoRA training needs a Stable Diffusion 1.x or 2.x text-to-image "
                              f"model; {args.model!r} is {what}.")

    # 2. The training images, consent-checked, with the trigger word first in every caption
    data = load_training_folder(args.folder, size=args.resolution, progress=progress)
    hashes = tuple(item.sha256 for item in data.images)
    captions = captions_with_trigger(data.images, args.trigger)

    # 3. The base model, offline, through studiolo's loader
    progress({"stage": "load", "step": 0, "total": 1, "message": source.name})
    pipe, prediction_type = _load(source, args)
    progress({"stage": "load", "step": 1, "total": 1, "message": source.name})
    sha = model_hash(source, settings)
    if run is None:
        args = replace(args, model_sha256=sha, image_sha256=hashes, started_at=time.time())
        run = lora_run.new_run(settings, args.name)
        lora_run.write_args(run, args)
    elif (args.model_sha256, args.image_sha256) != (sha, hashes):
        changed = "base model" if args.model_sha256 != sha else "training folder"
        raise InvalidArgument(f"The {changed} of run {run.name} changed since it started, so it "
                              "cannot go on; start a new run instead.")
    from studiolo.core.device import choose_device

    device = torch.device(choose_device(settings.device))
    pipe.to(device)

    # 4.-5. DreamBooth class images by the base model; every image encoded by the VAE once
    try:
        latents = _latents(run, pipe, [i.image for i in data.images], args, progress)
    except KeyboardInterrupt:
        raise TrainingInterrupted(run, lora_run.checkpoint_step(run), args.steps) from None
    latents = {k: v.to(device) for k, v in latents.items()}
    unet, text_encoder, tokenizer, vae = pipe.unet, pipe.text_encoder, pipe.tokenizer, pipe.vae
    scale, shift = vae.config.scaling_factor, getattr(vae.config, "shift_factor", None) or 0.0
    from diffusers import DDPMScheduler

    noise_scheduler = DDPMScheduler.from_config(pipe.scheduler.config)
    del pipe, vae  # the VAE is not needed any more
    ids = tokenize(tokenizer, captions).to(device)
    class_ids = tokenize(tokenizer, [args.prior_prompt] if args.prior_prompt else []).to(device)
    text_encoder.requires_grad_(False)
    fixed = class_fixed = None  # the embeddings, once, unless the text encoder learns too
    if not args.train_text_encoder:
        with torch.no_grad():
            fixed = text_encoder(ids)[0]
            class_fixed = text_encoder(class_ids)[0] if args.prior_prompt else None

    # 6. The LoRA: peft adapters on the attention projections, nothing else trains
    unet.requires_grad_(False)
    add_lora(unet, UNET_TARGETS, args.rank, args.alpha, args.seed)
    modules = {"unet": unet}
    if args.train_text_encoder:
        add_lora(text_encoder, TEXT_TARGETS, args.rank, args.alpha, args.seed + 1)
        modules["text_encoder"] = text_encoder
    params = lora_parameters(modules)
    optimizer = torch.optim.AdamW(list(params.values()), lr=args.learning_rate, weight_decay=1e-2)
    done, losses = lora_run.load_checkpoint(run, params, optimizer)

    # 7. Train
    def step_loss(step: int) -> torch.Tensor:
        gen = step_generator(args.seed, step)
        index = batch_indices(len(captions), args.batch_size, step, args.seed)
        mean, std = latents["mean"][index], latents["std"][index]
        x0 = (mean + std * randn_on(mean.shape, gen, device) - shift) * scale
        hidden = fixed[index] if fixed is not None else text_encoder(ids[index])[0]
        if args.prior_prompt:
            cindex = batch_indices(args.prior_images, args.batch_size, step, args.seed + 1)
            cmean, cstd = latents["class_mean"][cindex], latents["class_std"][cindex]
            x0 = torch.cat([x0, (cmean + cstd * randn_on(cmean.shape, gen, device) - shift) * scale])
            chidden = class_fixed if class_fixed is not None else text_encoder(class_ids)[0]
            hidden = torch.cat([hidden, chidden.expand(len(cindex), -1, -1)])
        noise = randn_on(x0.shape, gen, device)
        t = torch.randint(0, noise_scheduler.config.num_train_timesteps, (len(x0),), generator=gen)
        per_sample = denoising_loss(unet, noise_scheduler, x0, noise, t.to(device), hidden,
                                    prediction_type)
        own, prior = per_sample[: len(index)], per_sample[len(index):]
        return own.mean() + (args.prior_weight * prior.mean() if len(prior) else 0.0)

    started = time.monotonic()
    stopper = StopAtStepEnd()
    step = done
    try:
        with stopper:
            progress({"stage": "train", "step": step, "total": args.steps, "message": None})
            for module in modules.values():
                module.train()
            while step < args.steps:
                if stopper.requested:
                    raise KeyboardInterrupt
                loss = step_loss(step)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
                with stopper.critical_section():
                    optimizer.step()
                    optimizer.zero_grad(set_to_none=True)
                    losses.append(float(loss.detach()))
                    step += 1
                recent = losses[-10:]
                progress({"stage": "train", "step": step, "total": args.steps, "loss": losses[-1],
                          "message": f"loss {sum(recent) / len(recent):.4f}"})
                if args.checkpoint_every and step % args.checkpoint_every == 0 and step < args.steps:
                    lora_run.save_checkpoint(run, step, params, optimizer, losses)
    except KeyboardInterrupt:
        lora_run.save_checkpoint(run, step, params, optimizer, losses)
        raise TrainingInterrupted(run, step, args.steps) from None
    lora_run.save_checkpoint(run, step, params, optimizer, losses)
    seconds = time.monotonic() - started

    # 8. One kohya/A1111 file, with its training metadata
    path = save_lora(args, params, captions, data.folder, source, prediction_type, settings,
                     started_at=args.started_at)
    return LoraTrainingResult(path=path, name=args.name, trigger=args.trigger, model=args.model,
                              run=run, steps=step, losses=tuple(losses), images=len(data.images),
                              skipped=tuple(data.skipped), seconds=seconds)


# -- 1. checks -------------------------------------------------------------------------------------

def _int_in(name: str, value: Any, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidArgument(f"`{name}` must be an integer from {low} to {high}, got {value!r}.")
    return value


def _float_in(name: str, value: Any, low: float, high: float, open_low: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not (low < value if open_low else low <= value) or value > high:
        bound = f"greater than {low:g} and at most" if open_low else f"from {low:g} to"
        raise InvalidArgument(f"`{name}` must be a number {bound} {high:g}, got {value!r}.")
    return float(value)


def check_args(args: LoraArgs) -> LoraArgs:
    _int_in("rank", args.rank, 1, 1024)
    _float_in("alpha", args.alpha, 0.0, 4096.0, open_low=True)
    _int_in("steps", args.steps, 1, 10**7)
    _float_in("learning_rate", args.learning_rate, 0.0, 1.0, open_low=True)
    _int_in("resolution", args.resolution, 32, 2048)
    if args.resolution % 8:
        raise InvalidArgument(f"`resolution` has to be divisible by 8 but is {args.resolution}.")
    _int_in("batch_size", args.batch_size, 1, 64)
    _int_in("seed", args.seed, 0, MAX_SEED)
    _int_in("checkpoint_every", args.checkpoint_every, 0, 10**7)
    if args.prior_prompt is not None:
        if not isinstance(args.prior_prompt, str) or not args.prior_prompt.strip():
            raise InvalidArgument(f"`prior_prompt` must describe the class, e.g. 'a photo of a "
                                  f"person', got {args.prior_prompt!r}.")
        _int_in("prior_images", args.prior_images, 1, 10_000)
        _float_in("prior_weight", args.prior_weight, 0.0, 100.0)
        _int_in("prior_steps", args.prior_steps, 1, 200)
    return args


def _name(text: str) -> str:
    text = text.removesuffix(".safetensors")
    return "-".join("".join(c if c.isalnum() or c in "._-" else " " for c in text).split())[:64]


def output_path(settings: Settings, name: str, out: str | Path | None) -> Path:
    """Where the LoRA goes: `out` if it names a .safetensors file, else NAME.safetensors in
    `out` or in STUDIOLO_HOME/loras (where `--lora NAME` finds it)."""
    from studiolo.models.lora import loras_dir

    if out is None:
        return loras_dir(settings) / f"{name}.safetensors"
    path = Path(out).expanduser().resolve()
    return path if path.suffix.lower() == ".safetensors" else path / f"{name}.safetensors"


# -- 3. model -----------------------------------------------------------------------------------------

def _load(source, args: LoraArgs):
    from studiolo.models.loading import load_pipeline

    pipe = load_pipeline(source)
    if not all(getattr(pipe, c, None) is not None for c in ("unet", "vae", "text_encoder",
                                                           "tokenizer")) \
            or getattr(pipe, "text_encoder_2", None) is not None:
        raise InvalidArgument(f"LoRA training needs a Stable Diffusion 1.x or 2.x model; "
                              f"{args.model!r} is a {type(pipe).__name__}.")
    prediction_type = pipe.scheduler.config.get("prediction_type", "epsilon")
    if prediction_type not in ("epsilon", "v_prediction"):
        raise InvalidArgument(f"The scheduler of {args.model!r} predicts {prediction_type!r}; "
                              "LoRA training knows 'epsilon' and 'v_prediction'.")
    vae_factor = 2 ** (len(pipe.vae.config.block_out_channels) - 1)
    multiple = vae_factor * 2 ** (len(pipe.unet.config.down_block_types) - 1)
    if args.resolution % multiple:
        raise InvalidArgument(f"`resolution` has to be a multiple of {multiple} for this model "
                              f"but is {args.resolution}.")
    return pipe, prediction_type


def _latents(run: Path, pipe, images: list, args: LoraArgs, progress: ProgressCallback
             ) -> dict[str, torch.Tensor]:
    """VAE posteriors (mean, std) of the training images and of the DreamBooth class images
    (made first, by the base model, when `prior_prompt` is set); cached in the run folder."""
    class_paths: list[Path] = []
    if args.prior_prompt:
        class_paths = lora_run.class_images(
            run, pipe, args.prior_prompt, args.prior_images, resolution=args.resolution,
            seed=args.seed, steps=args.prior_steps, progress=progress)
    latents = lora_run.load_latents(run)
    if latents is not None:
        return latents
    from studiolo.core.imageio import open_image
    from studiolo.features.training_data import square

    progress({"stage": "encode", "step": 0, "total": 1, "message": "VAE"})
    latents = dict(zip(("mean", "std"), encode_images(pipe.vae, images)))
    if class_paths:
        shots = [square(open_image(p.read_bytes(), name=p.name).convert("RGB"), args.resolution)
                 for p in class_paths]
        latents.update(zip(("class_mean", "class_std"), encode_images(pipe.vae, shots)))
    lora_run.save_latents(run, latents)
    progress({"stage": "encode", "step": 1, "total": 1, "message": "VAE"})
    return latents


# -- 8. saving ----------------------------------------------------------------------------------------

def save_lora(args: LoraArgs, params: dict[str, torch.Tensor], captions: list[str], folder: Path,
              source, prediction_type: str, settings: Settings, started_at: float) -> Path:
    from datetime import UTC, datetime

    from studiolo import __version__
    from studiolo.capabilities.lora.format import lora_metadata_for, save_safetensors, to_kohya

    named: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in params.items():
        component, name = key.split(":", 1)
        named.setdefault(component, {})[name] = value
    meta = lora_metadata_for(
        name=args.name, trigger=args.trigger, folder=folder, captions=captions,
        image_hashes=args.image_sha256, model_name=source.name, model_hash=args.model_sha256,
        family=source.family, prediction_type=prediction_type, rank=args.rank, alpha=args.alpha,
        steps=args.steps, learning_rate=args.learning_rate, resolution=args.resolution,
        batch_size=args.batch_size, seed=args.seed, train_text_encoder=args.train_text_encoder,
        prior_prompt=args.prior_prompt, prior_images=args.prior_images,
        prior_weight=args.prior_weight, author=settings.person,
        started=datetime.fromtimestamp(started_at, UTC), version=__version__)
    return save_safetensors(to_kohya(named, args.alpha), Path(args.out), meta)
