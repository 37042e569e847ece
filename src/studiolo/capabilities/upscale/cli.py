"""`studiolo upscale`: Real-ESRGAN on the CPU."""

from __future__ import annotations

import click

from studiolo.cli.app import Ctx, json_option, out_option, pass_ctx, report_artworks
from studiolo.cli.progress import err_console, progress_bars


@click.command()
@click.argument("image", type=click.Path(dir_okay=False))
@click.option("--scale", type=click.Choice(["2", "4"]), default="4", show_default=True)
@click.option("--tile", type=int, help="Tile side in input pixels (smaller uses less memory; 0 = one piece). [default: 192]")
@out_option
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
