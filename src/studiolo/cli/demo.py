"""`studiolo demo`: a short tour of the offline studio, with no download."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import click

from studiolo.cli.app import Ctx, cli, emit_json, json_option, pass_ctx
from studiolo.cli.progress import err_console, progress_bars

DEMO_PROMPT = "a quiet harbour at sunset, boats on calm water"
DEMO_STYLE = "The Starry Night"
DEMO_UPSCALER = "realesr-animevideov3"


def demo_photo() -> Path:
    """The bundled public-domain photo (NASA portrait of Eileen Collins)."""
    from importlib.resources import files

    return Path(str(files("studiolo") / "data" / "photos" / "astronaut.jpg"))


def run_demo(studio: Any, out: Path | None, progress_for: Any, say: Any) -> list[dict[str, Any]]:
    """Paint, portrait, upscale; store all three; return one summary per step."""
    steps: list[dict[str, Any]] = []

    def step(title: str, make: Any) -> Any:
        say(f"[bold]{len(steps) + 1}. {title}[/bold]")
        start = time.perf_counter()
        with progress_for() as progress:
            artwork = make(progress)[0]
        seconds = time.perf_counter() - start
        copy = None
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            copy = out / f"{len(steps) + 1}-{artwork.recipe.engine}.png"
            shutil.copyfile(artwork.path, copy)
        steps.append({"step": title, "id": artwork.id, "path": str(artwork.path),
                      "copy": str(copy) if copy else None, "seconds": round(seconds, 1),
                      "size": f"{artwork.width}x{artwork.height}",
                      "credits": [f"{c.name} ({c.role.replace('_', ' ')})" for c in artwork.credits]})
        say(f"   {artwork.width}x{artwork.height} in {seconds:.1f} s -> {copy or artwork.path}")
        for credit in artwork.credits:
            say(f"   [dim]credit: {credit.name} - {credit.role.replace('_', ' ')}[/dim]")
        return artwork

    painting = step(
        f"The offline painter paints \"{DEMO_PROMPT}\"",
        lambda p: studio.paint(DEMO_PROMPT, seed=7, width=512, height=384, progress=p),
    )
    portrait = step(
        f"A public-domain photo becomes a portrait in the style of {DEMO_STYLE}",
        lambda p: studio.portrait(demo_photo(), DEMO_STYLE, progress=p),
    )
    if portrait.recipe.options.get("face_similarity") is not None:
        say(f"   face similarity to the photo: {portrait.recipe.options['face_similarity']:.2f}")
    # The compact Real-ESRGAN model: the x4plus default takes minutes on two cores.
    step("Real-ESRGAN (compact model) upscales the painting 2x",
         lambda p: studio.upscale(painting.path, scale=2, model=DEMO_UPSCALER, progress=p))
    return steps


@cli.command()
@click.option("--out", "-o", type=click.Path(file_okay=False), default="studiolo-demo",
              show_default=True, help="Also copy the results into this folder ('' to skip).")
@json_option
@pass_ctx
def demo(ctx: Ctx, out: str, as_json: bool) -> None:
    """A one-minute tour of the offline studio: no model download needed.

    Paints a picture from a prompt with the offline painter, turns a bundled
    public-domain photo into a portrait in a famous painting's style, and
    upscales the painting. Everything is stored in the catalog with its
    recipe and credits: see them afterwards with `studiolo ls` and
    `studiolo show ID`.
    """
    quiet = as_json

    def say(text: str) -> None:
        if not quiet:
            err_console.print(text)

    start = time.perf_counter()
    studio = ctx.studio
    say(f"studiolo demo: studio folder {studio.settings.home}")
    steps = run_demo(studio, Path(out) if out else None,
                     lambda: progress_bars(not quiet), say)
    total = time.perf_counter() - start
    if as_json:
        emit_json({"home": str(studio.settings.home), "seconds": round(total, 1), "steps": steps})
        return
    say(f"\nDone in {total:.0f} s. All three are in the catalog: `studiolo ls`, then "
        "`studiolo show ID` for a recipe, `studiolo credits ID` for who made it. Each file "
        "carries signed content credentials and an invisible watermark: try "
        f"`studiolo verify {(steps[-1]['copy'] or steps[-1]['path']) if steps else 'FILE'}`.")
