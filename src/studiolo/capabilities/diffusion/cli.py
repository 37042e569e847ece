"""Commands that make artworks with the diffusion engine (and the painter fallback)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from studiolo.cli.app import (
    Ctx,
    json_option,
    parse_options,
    parse_size,
    pass_ctx,
    report_artworks,
)
from studiolo.cli.progress import err_console, progress_bars
from studiolo.cli.steering import report_taste, taste_options, taste_warnings


def generation_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options shared by generate, img2img, inpaint and outpaint."""
    options = [
        click.option("--model", "-m", help="A diffusers folder, a .safetensors checkpoint, a name in STUDIOLO_HOME/models, or a Hugging Face repo id in the local cache."),
        click.option("--negative", "-n", "negative_prompt", default="", help="What to keep out of the picture."),
        click.option("--seed", "-s", type=int, help="Noise seed (drawn on the CPU, so a seed gives the same image on any device). [default: random]"),
        click.option("--steps", type=int, help="Denoising steps. [default: 20]"),
        click.option("--cfg", "guidance", type=float, help="Guidance scale (CFG). [default: 7; use 0-1 for Turbo/LCM models]"),
        click.option("--sampler", help="Scheduler by name: Euler, 'Euler a', 'DPM++ 2M Karras', UniPC, LCM, ... (see `studiolo samplers`)."),
        click.option("--lora", "loras", multiple=True, metavar="FILE[:WEIGHT]", help="Apply a LoRA (diffusers or kohya/AUTOMATIC1111 format). Repeatable."),
        click.option("--batch", "batch_size", type=int, default=1, show_default=True, help="Images to make, with seeds seed, seed+1, ..."),
        click.option("--config", "model_config", type=click.Path(), help="For a single-file .safetensors checkpoint: a diffusers folder (or cached repo id) of its family that gives the configs. [default: the cached base repo]"),
        click.option("--backend", type=click.Choice(["torch", "openvino", "auto"]), default=None, help="Runtime of the networks: torch, or openvino (CPU; needs studiolo[fast]); auto = openvino when installed. [default: torch]"),
        click.option("--tiny-vae", is_flag=True, default=None, help="Decode with a tiny autoencoder (TAESD) when it is in the local cache: much faster on a CPU."),
        click.option("--option", "extra", multiple=True, metavar="KEY=VALUE", help="Engine option (value read as JSON when it parses). Repeatable."),
        click.option("--out", "-o", type=click.Path(file_okay=False), help="Also copy the results into this folder."),
        json_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _options(extra: tuple[str, ...], tiny_vae: bool | None) -> dict[str, Any]:
    options = parse_options(extra)
    if tiny_vae:
        options["tiny_vae"] = True
    return options


def _make(ctx: Ctx, call: Callable[..., list[Any]], as_json: bool, out: str | None, **kwargs: Any) -> list[Any]:
    config, backend = kwargs.pop("model_config", None), kwargs.pop("backend", None)
    if config:
        kwargs["options"] = {**(kwargs.get("options") or {}), "config": config}
    if backend:
        kwargs["options"] = {**(kwargs.get("options") or {}), "backend": backend}
    with progress_bars(not as_json) as progress:
        artworks = call(progress=progress, **kwargs)
    report_artworks(artworks, as_json, out)
    return artworks


@click.command()
@click.argument("prompt")
@click.option("--engine", "-e", help="Engine id (see `studiolo engines`). [default: diffusion with --model, else the offline painter]")
@click.option("--width", "-W", type=int, default=512, show_default=True)
@click.option("--height", "-H", type=int, default=512, show_default=True)
@click.option("--size", help="WIDTHxHEIGHT, e.g. 768x512 (overrides --width/--height).")
@taste_options
@generation_options
@pass_ctx
def generate(ctx: Ctx, prompt: str, engine: str | None, width: int, height: int, size: str | None,
             extra: tuple[str, ...], tiny_vae: bool | None, as_json: bool, out: str | None,
             **kwargs: Any) -> None:
    """Make images from a text PROMPT.

    AUTOMATIC1111 prompt weighting works: (word:1.3), (word), [word], and
    <lora:name:0.8> tags. Without --model and with no diffusion model at
    hand, the offline painter makes the picture instead (with a notice).

    With --taste NAME, --candidates pictures are made (seeds seed, seed+1, ...)
    and only the --batch your taste profile rates highest are kept; the
    painter first searches its options toward the taste, and a diffusion
    model gets style words your taste suggests (printed, not applied).
    """
    width, height = parse_size(size) or (width, height)
    studio = ctx.studio
    if engine is None and not kwargs.get("model"):
        engine = studio.default_txt2img_engine(None)
        if engine != "diffusion":
            err_console.print(
                f"[yellow]No --model given: using the offline {engine} engine. "
                "Name a model with --model to use Stable Diffusion.[/yellow]"
            )
    with taste_warnings():
        artworks = _make(ctx, studio.generate, as_json, out, prompt=prompt, engine=engine, width=width,
                         height=height, options=_options(extra, tiny_vae), **kwargs)
    if not as_json:
        report_taste(artworks)


@click.command()
@click.argument("image", type=click.Path(dir_okay=False))
@click.argument("prompt")
@click.option("--strength", type=float, default=0.75, show_default=True, help="How much to change: 0 keeps the picture, 1 ignores it.")
@generation_options
@pass_ctx
def img2img(ctx: Ctx, image: str, prompt: str, extra: tuple[str, ...], tiny_vae: bool | None,
            as_json: bool, out: str | None, **kwargs: Any) -> None:
    """Re-imagine IMAGE following PROMPT."""
    _make(ctx, ctx.studio.img2img, as_json, out, image=image, prompt=prompt,
          options=_options(extra, tiny_vae), **kwargs)


@click.command()
@click.argument("image", type=click.Path(dir_okay=False))
@click.argument("mask", type=click.Path(dir_okay=False))
@click.argument("prompt")
@click.option("--strength", type=float, default=1.0, show_default=True)
@generation_options
@pass_ctx
def inpaint(ctx: Ctx, image: str, mask: str, prompt: str, extra: tuple[str, ...],
            tiny_vae: bool | None, as_json: bool, out: str | None, **kwargs: Any) -> None:
    """Repaint the white part of MASK in IMAGE following PROMPT."""
    _make(ctx, ctx.studio.inpaint, as_json, out, image=image, mask=mask, prompt=prompt,
          options=_options(extra, tiny_vae), **kwargs)


@click.command()
@click.argument("image", type=click.Path(dir_okay=False))
@click.argument("prompt")
@click.option("--pad", type=int, default=0, help="Pixels to add on every side (multiple of 8).")
@click.option("--left", type=int, default=0)
@click.option("--right", type=int, default=0)
@click.option("--top", type=int, default=0)
@click.option("--bottom", type=int, default=0)
@generation_options
@pass_ctx
def outpaint(ctx: Ctx, image: str, prompt: str, pad: int, left: int, right: int, top: int,
             bottom: int, extra: tuple[str, ...], tiny_vae: bool | None, as_json: bool,
             out: str | None, **kwargs: Any) -> None:
    """Extend IMAGE beyond its borders and paint the new margins following PROMPT."""
    sides = {k: (v or pad) for k, v in {"left": left, "right": right, "top": top, "bottom": bottom}.items()}
    _make(ctx, ctx.studio.outpaint, as_json, out, image=image, prompt=prompt,
          options=_options(extra, tiny_vae), **sides, **kwargs)
