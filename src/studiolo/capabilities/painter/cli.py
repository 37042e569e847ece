"""`studiolo paint`: the offline painter."""

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
from studiolo.cli.steering import report_taste, taste_options, taste_warnings


@click.command()
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
@out_option
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
            plan = artwork.recipe.options.get("plan") or {}
            if scene.get("used_words"):
                err_console.print(f"[dim]Words used: {', '.join(scene['used_words'])}[/dim]")
            for entry in plan.get("words") or []:
                err_console.print(f"[dim]  {entry['word']}: {entry['did']}[/dim]")
            unused = plan.get("could_not_use", scene.get("ignored_words"))
            if unused:
                err_console.print(f"[dim]Words not understood: {', '.join(unused)}[/dim]")
        style_credit_line(artworks)
