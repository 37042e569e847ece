"""`studiolo explore`: a latent journey between two prompts, two seeds, two styles or two seeds
of a personal generator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from studiolo.cli.app import (
    Ctx,
    artwork_dict,
    emit_json,
    json_option,
    parse_options,
    parse_size,
    pass_ctx,
)
from studiolo.cli.progress import progress_bars
from studiolo.core.errors import InvalidArgument


def _kind(ends: tuple[str, ...], seeds: tuple[int, int] | None, styles: tuple[str, str] | None,
          image: str | None, model: str | None,
          generator: str | None = None) -> tuple[str, Any, Any, str]:
    """(kind, a, b, prompt) from the arguments, or a one-sentence error saying what to give."""
    if generator:
        if ends or styles or image or model:
            raise InvalidArgument(
                "`--generator` walks between two seeds of a trained generator: give only "
                "--seeds A B with it (no prompts, --styles, --image or --model)."
            )
        if not seeds:
            raise InvalidArgument("`--generator` needs the two ends as --seeds A B.")
        return "generator", seeds[0], seeds[1], ""
    if styles:
        if ends or seeds:
            raise InvalidArgument(
                f"`--styles` makes a style journey of --image; drop the prompts {list(ends)} "
                "and --seeds, or drop --styles."
            )
        if not image:
            raise InvalidArgument("`--styles` needs the picture to paint: pass --image PHOTO.")
        return "styles", styles[0], styles[1], ""
    if image:
        raise InvalidArgument("`--image` is the content of a style journey: add --styles A B.")
    if seeds:
        if len(ends) != 1:
            raise InvalidArgument(
                f"A seed journey takes one PROMPT and --seeds A B, but got {len(ends)} prompts {list(ends)}."
            )
        kind, a, b, prompt = "seeds", seeds[0], seeds[1], ends[0]
    elif len(ends) == 2:
        kind, a, b, prompt = "prompts", ends[0], ends[1], ""
    else:
        raise InvalidArgument(
            f"Give two prompts A B, one prompt with --seeds A B, or --styles A B --image PHOTO; "
            f"got {len(ends)} prompts {list(ends)}."
        )
    if not model:
        raise InvalidArgument(
            f"A {kind} journey needs a diffusion model: pass --model PATH, or use --styles A B "
            "--image PHOTO for an offline style journey."
        )
    return kind, a, b, prompt


@click.command()
@click.argument("ends", nargs=-1, metavar="[A] [B]")
@click.option("--seeds", nargs=2, type=int, metavar="A B", help="Journey between two seeds of one PROMPT.")
@click.option("--generator", "-g", metavar="NAME", help="Journey between --seeds A B of a generator trained with `studiolo train generator`.")
@click.option("--styles", nargs=2, metavar="A B", help="Journey between two styles (built-in names or image files) over --image.")
@click.option("--image", "-i", type=click.Path(dir_okay=False), help="The picture a style journey paints.")
@click.option("--frames", "-f", type=int, default=8, show_default=True, help="Frames, 2 to 240 (first = A, last = B).")
@click.option("--fps", type=float, default=8.0, show_default=True, help="Frames per second of the GIF and MP4.")
@click.option("--bounce", is_flag=True, help="GIF and MP4 go A -> B -> A, so the loop has no jump.")
@click.option("--model", "-m", help="Diffusion model for prompt and seed journeys (as in `generate`).")
@click.option("--negative", "-n", "negative_prompt", default="", help="What to keep out of every frame.")
@click.option("--seed", "-s", type=int, help="Seed of a prompt journey. [default: random]")
@click.option("--steps", type=int, help="Denoising steps per frame. [default: 20]")
@click.option("--cfg", "guidance", type=float, help="Guidance scale (CFG). [default: 7]")
@click.option("--sampler", help="Scheduler by name (see `studiolo samplers`).")
@click.option("--lora", "loras", multiple=True, metavar="FILE[:WEIGHT]", help="Apply a LoRA. Repeatable.")
@click.option("--width", "-W", type=int, default=512, show_default=True)
@click.option("--height", "-H", type=int, default=512, show_default=True)
@click.option("--size", help="WIDTHxHEIGHT, e.g. 768x512 (overrides --width/--height).")
@click.option("--tiny-vae", is_flag=True, default=None, help="Decode with a tiny autoencoder when cached.")
@click.option("--strength", type=float, default=1.0, show_default=True, help="Style strength of a style journey.")
@click.option("--preserve-colors", is_flag=True, help="Style journey: keep the picture's colours.")
@click.option("--option", "extra", multiple=True, metavar="KEY=VALUE", help="Engine option (diffusion or style, value read as JSON). Repeatable.")
@click.option("--out", "-o", type=click.Path(file_okay=False), help="Folder for the GIF, MP4 and contact sheet. [default: STUDIOLO_HOME/journeys/<id>]")
@json_option
@pass_ctx
def explore(ctx: Ctx, ends: tuple[str, ...], seeds: tuple[int, int] | None,
            generator: str | None, styles: tuple[str, str] | None, image: str | None,
            frames: int, fps: float, bounce: bool, model: str | None, width: int, height: int, size: str | None,
            tiny_vae: bool | None, strength: float, preserve_colors: bool,
            extra: tuple[str, ...], out: str | None, as_json: bool, **kwargs: Any) -> None:
    """Walk from A to B in --frames pictures: a GIF, an MP4 and a contact sheet.

    \b
    Two prompts, one seed (the text embeddings are blended):
      studiolo explore "a calm sea" "a stormy sea" --model ./sd15 --frames 8
    One prompt, two seeds (the starting noise is blended on a sphere):
      studiolo explore "a calm sea" --seeds 1 2 --model ./sd15
    Two styles over a photo, offline (the style vectors are blended):
      studiolo explore --styles "The Starry Night" "The Great Wave off Kanagawa" --image photo.jpg
    Two seeds of your own generator, offline (its latents are blended on a sphere):
      studiolo explore --generator my-art --seeds 1 2 --frames 8

    Every frame is stored in the catalog with a recipe that can make it again.
    """
    from studiolo.capabilities.journey.media import check_fps, journey_id, write_journey

    kind, a, b, prompt = _kind(ends, seeds, styles, image, model, generator)
    check_fps(fps)
    width, height = parse_size(size) or (width, height)
    engine_options = parse_options(extra)
    if kind == "styles":
        options = {"style": {"strength": strength, "preserve_colors": preserve_colors, **engine_options}}
        call = {"image": image}
    elif kind == "generator":
        if engine_options:
            raise InvalidArgument(f"A generator journey takes no --option; got {extra[0]!r}.")
        options, call = {}, {"model": generator}
    else:
        if tiny_vae:
            engine_options["tiny_vae"] = True
        options = {"diffusion": engine_options} if engine_options else {}
        call = {"model": model, "prompt": prompt, "width": width, "height": height, **kwargs}
    studio = ctx.studio
    with progress_bars(not as_json) as progress:
        artworks = studio.explore(a, b, kind=kind, frames=frames, options=options,
                                  progress=progress, **call)
    folder = Path(out) if out else studio.settings.home / "journeys" / journey_id(artworks)
    paths = write_journey(artworks, folder, fps=fps, bounce_back=bounce)
    if as_json:
        emit_json({"id": journey_id(artworks), "kind": kind, "folder": str(folder),
                   **{k: str(v) for k, v in paths.items()},
                   "frames": [artwork_dict(x) for x in artworks]})
        return
    for artwork in artworks:
        t = artwork.recipe.options["journey"]["t"]
        click.echo(f"{artwork.id[:12]}  {artwork.width}x{artwork.height}  t={t:.2f}  {artwork.path}")
    click.echo(f"GIF            {paths['gif']}")
    click.echo(f"MP4            {paths['mp4']}")
    click.echo(f"Contact sheet  {paths['contact_sheet']}")
