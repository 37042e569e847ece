"""`studiolo train generator` and `studiolo sample`: a small personal generator, trained on a
person's own artworks on a CPU, and pictures from it."""

from __future__ import annotations

import shlex
from typing import Any

import click

from studiolo.cli.app import CONTEXT, Ctx, emit_json, json_option, pass_ctx, report_artworks
from studiolo.cli.progress import progress_bars
from studiolo.cli.train import skipped_pictures_shown, studiolo_command
from studiolo.core.errors import InvalidArgument


@click.command("generator", context_settings=CONTEXT)
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--name", required=True, help="Name of the generator (and of its run folder).")
@click.option("--size", type=int, help="Side in pixels, a multiple of 16 from 32 to 128. [default: 64]")
@click.option("--minutes", type=float, help="Training time (a resumed run counts its time before). [default: 20]")
@click.option("--steps", type=int, help="Train exactly this many steps in all (same seed and images: same weights).")
@click.option("--batch", "batch_size", type=int, help="Images per step. [default: 32]")
@click.option("--seed", type=int, help="Seed of the weights, batches and augmentation. [default: 0]")
@click.option("--checkpoint-every", type=int, default=200, show_default=True, help="Save a checkpoint (and a preview) every N steps.")
@click.option("--resume", is_flag=True, help="Go on from the run's last checkpoint (same FOLDER and --name).")
@json_option
@pass_ctx
def train_generator_command(ctx: Ctx, folder: str, name: str, as_json: bool, resume: bool,
                            checkpoint_every: int, **options: Any) -> None:
    """Train a small generator on your own artworks in FOLDER (20-200 pictures), on the CPU.

    \b
    Examples:
      studiolo train generator ./my-art --name my-art --minutes 20
      studiolo train generator ./my-art --name my-art --resume
      studiolo sample my-art --seed 1 --batch 8
      studiolo explore --generator my-art --seeds 1 2

    Every picture passes the consent checks first (noai marks and C2PA
    training-mining notAllowed are skipped with a warning). A preview grid of
    samples is written to the run folder as training goes. Ctrl-C stops at the
    end of the step and saves a checkpoint; --resume goes on to the same
    weights an uninterrupted run makes.
    """
    from studiolo.capabilities.generator.train import (
        PREVIEW,
        TrainingInterrupted,
        run_dir,
        train_generator,
    )

    studio = ctx.studio
    again = (f"{studiolo_command(ctx)} train generator {shlex.quote(folder)} --name "
             f"{shlex.quote(name)} --resume")

    try:
        with skipped_pictures_shown(), progress_bars(not as_json) as progress:
            result = train_generator(folder, name=name, resume=resume, settings=studio.settings,
                                     checkpoint_every=checkpoint_every, progress=progress,
                                     **options)
    except TrainingInterrupted as stop:
        where = run_dir(studio.settings, name)
        if as_json:
            emit_json({"interrupted": True, "name": name, "step": stop.step, "steps": stop.total,
                       "checkpoint": str(stop.checkpoint) if stop.checkpoint else None,
                       "preview": str(where / PREVIEW), "resume": again})
        elif stop.checkpoint is None:
            click.echo("Stopped before the first checkpoint; nothing was saved.", err=True)
        else:
            of = f" of {stop.total}" if stop.total else ""
            click.echo(f"Stopped at step {stop.step}{of}; the checkpoint is in {where}.",
                       err=True)
            click.echo(f"Go on with:\n  {again}", err=True)
        click.get_current_context().exit(130)
    _report(ctx, result, as_json)


def _report(ctx: Ctx, result: Any, as_json: bool) -> None:
    sample = f"{studiolo_command(ctx)} sample {shlex.quote(result.name)} --seed 1 --batch 8"
    explore = f"{studiolo_command(ctx)} explore --generator {shlex.quote(result.name)} --seeds 1 2"
    if as_json:
        emit_json({"name": result.name, "model": str(result.folder), "run": str(result.run_folder),
                   "steps": result.steps, "seconds": round(result.seconds, 1),
                   "images": result.config["images"], "size": result.config["size"],
                   "preview": str(result.preview), "losses": result.config["losses"],
                   "skipped": [{"file": f, "why": why} for f, why in result.skipped],
                   "sample": sample, "explore": explore})
        return
    minutes, seconds = divmod(round(result.seconds), 60)
    click.echo(f"Generator {result.name} saved in {result.folder} ({result.steps} steps on "
               f"{result.config['images']} images, {minutes}m {seconds:02d}s).")
    click.echo(f"Samples so far: {result.preview}")
    click.echo(f"Make pictures with:\n  {sample}")
    click.echo(f"Walk its latent space with:\n  {explore}")


@click.command(context_settings=CONTEXT)
@click.argument("name")
@click.option("--seed", "-s", type=int, help="Seed of the first picture (the latent is drawn on the CPU). [default: random]")
@click.option("--batch", "batch_size", type=int, default=1, show_default=True, help="Pictures to make, with seeds seed, seed+1, ...")
@click.option("--out", "-o", type=click.Path(file_okay=False), help="Also copy the pictures into this folder.")
@json_option
@pass_ctx
def sample(ctx: Ctx, name: str, seed: int | None, batch_size: int, out: str | None,
           as_json: bool) -> None:
    """Pictures from the generator NAME trained with `studiolo train generator`.

    \b
    Examples:
      studiolo sample my-art --seed 7
      studiolo sample my-art --batch 16 --out ./samples

    Each picture is stored with a recipe that makes it again, crediting you as
    the artist whose works trained the generator.
    """
    if seed is not None and seed < 0:
        raise InvalidArgument(f"`--seed` has to be 0 or more but is {seed}.")
    with progress_bars(not as_json) as progress:
        artworks = ctx.studio.sample(name, seed=seed, batch_size=batch_size, progress=progress)
    report_artworks(artworks, as_json, out)
