"""`studiolo stylize` and `studiolo styles`: style transfer and the built-in styles."""

from __future__ import annotations

import click

from studiolo.cli.app import (
    Ctx,
    complete_style,
    emit_json,
    json_option,
    out_option,
    pass_ctx,
    report_artworks,
    style_credit_line,
)
from studiolo.cli.progress import progress_bars


@click.command()
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
@click.option("--backend", type=click.Choice(["auto", "openvino", "onnxruntime"]), default="auto",
              show_default=True,
              help="Runtime of the style network: auto = OpenVINO (bf16 where the CPU has it) when "
                   "installed, else onnxruntime (float32). The recipe records what ran.")
@out_option
@json_option
@pass_ctx
def stylize(ctx: Ctx, image: str, styles: tuple[str, ...], strength: float, preserve_colors: bool,
            mask: str | None, only: str | None, work_side: int | None, backend: str,
            out: str | None, as_json: bool) -> None:
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
                                      work_side=work_side, options={"backend": backend},
                                      progress=progress)
    report_artworks(artworks, as_json, out)
    if not as_json:
        style_credit_line(artworks)


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


@click.command("styles")
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
