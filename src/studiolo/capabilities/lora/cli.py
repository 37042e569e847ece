"""`studiolo train lora`: teach a model a person, a subject or a style from a folder."""

from __future__ import annotations

import shlex
from typing import Any

import click
from click.core import ParameterSource

from studiolo.cli.app import CONTEXT, Ctx, emit_json, json_option, pass_ctx
from studiolo.cli.progress import progress_bars
from studiolo.cli.train import skipped_pictures_shown, studiolo_command
from studiolo.core.errors import InvalidArgument

# What a resumed run keeps from its start: giving one of these with --resume is a mistake.
FIXED_ON_RESUME = ("folder", "model", "trigger", "name", "rank", "alpha", "learning_rate",
                   "resolution", "batch_size", "seed", "prior_prompt", "prior_images",
                   "prior_weight", "train_text_encoder", "checkpoint_every", "out", "overwrite")


@click.command("lora", context_settings=CONTEXT)
@click.argument("folder", required=False, type=click.Path(file_okay=False))
@click.option("--model", "-m", help="Base model: a diffusers folder, a .safetensors checkpoint, a name in STUDIOLO_HOME/models or a cached repo id (SD 1.x or 2.x).")
@click.option("--trigger", "-t", help="The word that will call up what it learns, e.g. ohwx; put first in every caption.")
@click.option("--name", help="Name of the LoRA (and of the run). [default: the trigger word]")
@click.option("--rank", type=int, default=4, show_default=True, help="LoRA rank: more learns more detail, and makes a bigger file.")
@click.option("--alpha", type=float, help="LoRA alpha: the update is scaled by alpha/rank. [default: the rank]")
@click.option("--steps", type=int, help="Training steps. [default: 400; with --resume: the run's, or more]")
@click.option("--lr", "learning_rate", type=float, default=1e-4, show_default=True, help="AdamW learning rate.")
@click.option("--resolution", type=int, default=512, show_default=True, help="Images are centre-cropped to squares of this size.")
@click.option("--batch", "batch_size", type=int, default=1, show_default=True, help="Images per step.")
@click.option("--seed", type=int, default=0, show_default=True, help="The same seed, images and settings give the same LoRA.")
@click.option("--prior", "prior_prompt", metavar="PROMPT", help="DreamBooth prior preservation: a prompt for the class, e.g. 'a photo of a person'.")
@click.option("--prior-images", type=int, default=50, show_default=True, help="Class images the base model makes for --prior (kept in the run folder).")
@click.option("--prior-weight", type=float, default=1.0, show_default=True, help="Weight of the class images' loss.")
@click.option("--text-encoder", "train_text_encoder", is_flag=True, help="Also train a LoRA on the text encoder.")
@click.option("--checkpoint-every", type=int, default=100, show_default=True, help="Save a checkpoint every N steps (0: only when stopped and at the end).")
@click.option("--out", "-o", type=click.Path(), help="Write the LoRA here (a .safetensors file or a folder). [default: STUDIOLO_HOME/loras/NAME.safetensors]")
@click.option("--overwrite", is_flag=True, help="Replace a LoRA of the same name.")
@click.option("--resume", metavar="RUN", help="Go on with a stopped run (its name, or its folder in STUDIOLO_HOME/training).")
@json_option
@pass_ctx
def train_lora_command(ctx: Ctx, folder: str | None, as_json: bool, resume: str | None,
                       **options: Any) -> None:
    """Train a LoRA on the pictures in FOLDER (a person's photos, or an artist's own work).

    \b
    Examples:
      studiolo train lora ./me --model ./sd15 --trigger ohwx
      studiolo train lora ./me --model ./sd15 --trigger ohwx --prior "a photo of a person"
      studiolo train lora --resume ohwx

    Captions come from NAME.txt beside each image (else just the trigger word).
    Ctrl-C stops at the end of the step and saves a checkpoint (press it twice
    to stop at once); --resume goes on from there to the LoRA an uninterrupted
    run would make (the same to float rounding).
    """
    from studiolo.capabilities.lora.train import TrainingInterrupted, train_lora

    click_ctx = click.get_current_context()
    if resume:
        given = [n for n in FIXED_ON_RESUME
                 if click_ctx.get_parameter_source(n) == ParameterSource.COMMANDLINE]
        if given:
            flag = "FOLDER" if given[0] == "folder" else "--" + _flag(click_ctx, given[0])
            raise InvalidArgument(f"{flag} cannot change when resuming run {resume!r}: it goes "
                                  "on with its own settings (only --steps can be raised).")
        kwargs: dict[str, Any] = {"resume": resume, "steps": options["steps"]}
    else:
        if not folder or not options["model"] or not options["trigger"]:
            raise InvalidArgument("`studiolo train lora` needs FOLDER, --model and --trigger "
                                  "(or --resume RUN to go on with a stopped run).")
        kwargs = {"model": options.pop("model"), "folder": folder, **options}
    settings = ctx.studio.settings

    try:
        with skipped_pictures_shown(), progress_bars(not as_json) as progress:
            result = train_lora(settings=settings, progress=progress, **kwargs)
    except TrainingInterrupted as stop:
        again = f"{studiolo_command(ctx)} train lora --resume {shlex.quote(stop.run.name)}"
        if as_json:
            emit_json({"interrupted": True, "run": str(stop.run), "step": stop.step,
                       "steps": stop.steps, "resume": again})
        else:
            click.echo(f"Stopped at step {stop.step} of {stop.steps}; the checkpoint is in "
                       f"{stop.run}.", err=True)
            click.echo(f"Go on with:\n  {again}", err=True)
        click_ctx.exit(130)
    _report(ctx, result, settings, as_json)


def _report(ctx: Ctx, result: Any, settings: Any, as_json: bool) -> None:
    from studiolo.models.lora import loras_dir

    in_loras = result.path.parent.resolve() == loras_dir(settings).resolve()
    ref = result.name if in_loras else str(result.path)
    use = (f"{studiolo_command(ctx)} generate {shlex.quote(f'a picture of {result.trigger}')} "
           f"--model {shlex.quote(result.model)} --lora {shlex.quote(f'{ref}:0.8')}")
    recent = result.losses[-10:]
    loss = sum(recent) / len(recent) if recent else None
    if as_json:
        emit_json({"lora": str(result.path), "name": result.name, "trigger": result.trigger,
                   "model": result.model, "run": str(result.run), "steps": result.steps,
                   "images": result.images, "final_loss": loss, "seconds": result.seconds,
                   "skipped": [{"file": str(p), "why": why} for p, why in result.skipped],
                   "generate": use})
        return
    loss_text = f", final loss {loss:.4f}" if loss is not None else ""
    click.echo(f"LoRA {result.name} saved: {result.path} ({result.steps} steps on "
               f"{result.images} images{loss_text}, {_duration(result.seconds)}).")
    click.echo(f"Use it with the trigger word {result.trigger!r} in the prompt:\n  {use}")


def _flag(click_ctx: click.Context, name: str) -> str:
    for param in click_ctx.command.params:
        if param.name == name and param.opts:
            return param.opts[0].lstrip("-")
    return name.replace("_", "-")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"
