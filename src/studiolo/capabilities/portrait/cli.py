"""`studiolo portrait`: a painting of a photo that keeps the face."""

from __future__ import annotations

import click

from studiolo.cli.app import (
    Ctx,
    complete_style,
    json_option,
    out_option,
    pass_ctx,
    report_artworks,
    style_credit_line,
)
from studiolo.cli.progress import err_console, progress_bars


@click.command()
@click.argument("photo", type=click.Path(dir_okay=False))
@click.option("--style", required=True, shell_complete=complete_style, metavar="NAME|IMAGE",
              help="A built-in style name (see `studiolo styles`) or a style image.")
@click.option("--strength", type=click.FloatRange(0, 1), default=0.9, show_default=True,
              help="Style strength on the picture.")
@click.option("--face-strength", type=click.FloatRange(0, 1), default=0.45, show_default=True,
              help="Style strength on the face (lower keeps the sitter recognisable).")
@click.option("--whole-picture", is_flag=True, help="When no face is found, stylise the whole picture instead of stopping.")
@out_option
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
        style_credit_line(artworks)
