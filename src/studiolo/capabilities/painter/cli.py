"""Commands for the offline engines: paint, stylize, portrait, upscale, styles."""

from __future__ import annotations

from typing import Any

import click
from click.shell_completion import CompletionItem

from studiolo.cli.app import Ctx, cli, emit_json, json_option, pass_ctx, report_artworks
from studiolo.cli.progress import err_console, progress_bars
from studiolo.cli.steering import report_taste, taste_options, taste_warnings


def complete_style(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Tab completion for --style: built-in style names (files complete as usual)."""
    from studiolo.features.styles import complete_style_names

    return [CompletionItem(name) for name in complete_style_names(incomplete)]


def _out_option(func: Any) -> Any:
    return click.option(
        "--out", "-o", type=click.Path(file_okay=False), help="Also copy the result into this folder."
    )(func)


def _credit_line(artworks: list[Any]) -> None:
    for artwork in artworks:
        styles = [c.name for c in artwork.credits if c.role == "style_source"]
        if styles:
            err_console.print(f"[dim]Style credited to {', '.join(styles)}.[/dim]")


@cli.command()
@click.argument("prompt")
@click.option("--style", shell_complete=complete_style,
              help="Paint in this built-in style (see `studiolo styles`). [default: the best match for the prompt]")
@click.option("--strength", type=click.FloatRange(0, 1), help="How strongly the style paints over the composition. [default: 0.6]")
@click.option("--no-style", is_flag=True, help="Keep the composed picture without a painting style.")
@click.option("--seed", "-s", type=int, help="Seed: the same prompt and seed give the same painting. [default: random]")
@click.option("--width", "-W", type=int, default=512, show_default=True)
@click.option("--height", "-H", type=int, default=512, show_default=True)
@click.option("--batch", "batch_size", type=int, default=1, show_default=True, help="Paintings to make, with seeds seed, seed+1, ... (with --taste: paintings to keep)")
@taste_options
@_out_option
@json_option
@pass_ctx
def paint(ctx: Ctx, prompt: str, style: str | None, strength: float | None, no_style: bool,
          seed: int | None, width: int, height: int, batch_size: int, taste: str | None,
          candidates: int | None, taste_search: bool | None, out: str | None, as_json: bool) -> None:
    """Paint PROMPT with the offline painter (no model download).

    The painter reads the prompt with a small bundled text model (subject,
    setting, mood, time of day, palette, style words), composes a picture
    and paints it in the best-matching built-in painting's style. The
    recipe records what it chose and why (`studiolo show ID`).

    \b
    Examples:
      studiolo paint "a stormy sea at night"
      studiolo paint "quiet fields at dawn" --style "The Gleaners" --seed 7
      studiolo paint "a harbour at dawn" --taste default --candidates 8
    """
    with taste_warnings(), progress_bars(not as_json) as progress:
        artworks = ctx.studio.paint(prompt, style=style, strength=strength, no_style=no_style,
                                    seed=seed, width=width, height=height,
                                    batch_size=batch_size, progress=progress, taste=taste,
                                    candidates=candidates, taste_search=taste_search)
    report_artworks(artworks, as_json, out)
    if not as_json:
        report_taste(artworks)
        for artwork in artworks:
            scene = artwork.recipe.options.get("scene") or {}
            if scene.get("used_words"):
                err_console.print(f"[dim]Words used: {', '.join(scene['used_words'])}[/dim]")
            if scene.get("ignored_words"):
                err_console.print(f"[dim]Words not understood: {', '.join(scene['ignored_words'])}[/dim]")
        _credit_line(artworks)


@cli.command()
@click.argument("image", type=click.Path(dir_okay=False))
@click.option("--style", "styles", multiple=True, required=True, shell_complete=complete_style,
              metavar="NAME|IMAGE[:WEIGHT]",
              help="A built-in style name or a style image; repeat to blend, with :WEIGHT (default 1).")
@click.option("--strength", type=click.FloatRange(0, 1), default=1.0, show_default=True,
              help="1 = fully stylised, 0 = the original.")
@click.option("--preserve-colors", is_flag=True, help="Transfer only the brushwork (luminance); keep the photo's colours.")
@click.option("--mask", type=click.Path(dir_okay=False), help="A black-and-white mask: white is the subject.")
@click.option("--only", type=click.Choice(["subject", "background"]), help="With --mask: stylise only the subject or only the background. [default: subject]")
@click.option("--work-side", type=int, help="Run the style network at most this many px on the long side (faster, softer).")
@_out_option
@json_option
@pass_ctx
def stylize(ctx: Ctx, image: str, styles: tuple[str, ...], strength: float, preserve_colors: bool,
            mask: str | None, only: str | None, work_side: int | None, out: str | None,
            as_json: bool) -> None:
    """Paint IMAGE in the style of a painting (or a blend of several).

    \b
    Examples:
      studiolo stylize photo.jpg --style "The Starry Night"
      studiolo stylize photo.jpg --style "The Great Wave off Kanagawa:2" --style my_style.png
      studiolo stylize photo.jpg --style "The Kiss" --mask person.png --only background
    """
    names, weights = zip(*(_split_weight(s) for s in styles))
    with progress_bars(not as_json) as progress:
        artworks = ctx.studio.stylize(image, list(names), weights=list(weights), strength=strength,
                                      preserve_colors=preserve_colors, mask=mask, mask_mode=only,
                                      work_side=work_side, progress=progress)
    report_artworks(artworks, as_json, out)
    if not as_json:
        _credit_line(artworks)


def _split_weight(text: str) -> tuple[str, float]:
    """`NAME:2.5` -> (NAME, 2.5); a colon that is not followed by a number is part of the name."""
    from pathlib import Path

    head, sep, tail = text.rpartition(":")
    if sep and head and not Path(text).expanduser().exists():
        try:
            return head, float(tail)
        except ValueError:
            pass
    return text, 1.0


@cli.command()
@click.argument("photo", type=click.Path(dir_okay=False))
@click.option("--style", required=True, shell_complete=complete_style, metavar="NAME|IMAGE",
              help="A built-in style name (see `studiolo styles`) or a style image.")
@click.option("--strength", type=click.FloatRange(0, 1), default=0.9, show_default=True,
              help="Style strength on the picture.")
@click.option("--face-strength", type=click.FloatRange(0, 1), default=0.45, show_default=True,
              help="Style strength on the face (lower keeps the sitter recognisable).")
@click.option("--whole-picture", is_flag=True, help="When no face is found, stylise the whole picture instead of stopping.")
@_out_option
@json_option
@pass_ctx
def portrait(ctx: Ctx, photo: str, style: str, strength: float, face_strength: float,
             whole_picture: bool, out: str | None, as_json: bool) -> None:
    """Turn PHOTO of a person into a portrait in a painting's style, keeping the face.

    The face is found (MTCNN), painted more gently than the rest and blended
    in smoothly. The face similarity to the photo is printed and kept in the
    recipe.

    \b
    Example:
      studiolo portrait me.jpg --style "Girl with a Pearl Earring"
    """
    with progress_bars(not as_json) as progress:
        artworks = ctx.studio.portrait(photo, style, strength=strength, face_strength=face_strength,
                                       whole_picture_if_no_face=whole_picture, progress=progress)
    report_artworks(artworks, as_json, out)
    if not as_json:
        for artwork in artworks:
            sim = artwork.recipe.options.get("face_similarity")
            full = artwork.recipe.options.get("face_similarity_full_style")
            if sim is not None:
                err_console.print(f"Face similarity to the photo: {sim:.2f} "
                                  f"(a full-strength stylisation keeps {full:.2f}).")
            else:
                err_console.print("[yellow]No face found: the whole picture was stylised.[/yellow]")
        _credit_line(artworks)


@cli.command()
@click.argument("image", type=click.Path(dir_okay=False))
@click.option("--scale", type=click.Choice(["2", "4"]), default="4", show_default=True)
@click.option("--tile", type=int, help="Tile side in input pixels (smaller uses less memory; 0 = one piece). [default: 192]")
@_out_option
@json_option
@pass_ctx
def upscale(ctx: Ctx, image: str, scale: str, tile: int | None, out: str | None, as_json: bool) -> None:
    """Enlarge IMAGE 2x or 4x with Real-ESRGAN (bundled, runs on the CPU).

    Without the Real-ESRGAN package it falls back to Lanczos and says so.
    """
    with progress_bars(not as_json) as progress:
        artworks = ctx.studio.upscale(image, scale=int(scale), tile=tile, progress=progress)
    report_artworks(artworks, as_json, out)
    for artwork in artworks:
        if artwork.recipe.options.get("fallback") == "lanczos" and not as_json:
            err_console.print("[yellow]Real-ESRGAN is not installed: upscaled with Lanczos.[/yellow]")


@cli.command("styles")
@click.option("--search", "-q", "query", help="Only styles whose title or artist contains this.")
@json_option
def styles_cmd(query: str | None, as_json: bool) -> None:
    """List the built-in painting styles (use their titles with --style)."""
    from rich.console import Console
    from rich.table import Table

    from studiolo.features.styles import list_styles

    found = [s for s in list_styles()
             if not query or query.lower() in f"{s.title} {s.artist}".lower()]
    if as_json:
        emit_json([{"id": s.id, "title": s.title, "artist": s.artist, "year": s.year,
                    "kind": s.kind} for s in found])
        return
    table = Table("title", "artist", "year", "kind", box=None)
    for s in found:
        table.add_row(s.title, s.artist or "", str(s.year or ""), s.kind)
    Console().print(table)
    click.echo(f"{len(found)} styles. Use one with --style \"TITLE\" (tab completes).")
