"""Commands that read the catalog, import recipes and manage models."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.table import Table

from studiolo.cli.app import (
    Ctx,
    artwork_dict,
    cli,
    emit_json,
    json_option,
    out_option,
    pass_ctx,
    report_artworks,
)

console = Console()


def describe(recipe: Any, engines: Any = None) -> str:
    """The prompt, or for prompt-less work what its engine says was done ("stylize: The Kiss")."""
    if recipe.prompt:
        return recipe.prompt
    engine = engines.get(recipe.engine) if engines is not None and recipe.engine in engines else None
    if engine is not None and hasattr(engine, "describe"):
        return str(engine.describe(recipe))
    return recipe.mode


@cli.command("ls")
@click.option("--search", "-q", "query", help="Only artworks whose prompt or title contains this.")
@click.option("--engine", help="Only artworks made by this engine.")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--offset", type=int, default=0)
@json_option
@pass_ctx
def ls_cmd(ctx: Ctx, query: str | None, engine: str | None, limit: int, offset: int, as_json: bool) -> None:
    """List artworks in the catalog, newest first."""
    artworks = ctx.studio.list(query=query, engine=engine, limit=limit, offset=offset)
    if as_json:
        emit_json([artwork_dict(a) for a in artworks])
        return
    if not artworks:
        click.echo("No artworks yet. Make one with `studiolo generate \"a lighthouse at dusk\"`.")
        return
    table = Table("id", "made", "engine", "size", "seed", "prompt", box=None)
    for a in artworks:
        made = a.created.strftime("%Y-%m-%d %H:%M") if a.created else ""
        prompt = describe(a.recipe, ctx.studio.engines)
        prompt = prompt if len(prompt) < 60 else prompt[:57] + "..."
        table.add_row(a.id[:12], made, a.recipe.engine, f"{a.width}x{a.height}",
                      str(a.recipe.seed), prompt)
    console.print(table)


@cli.command()
@click.argument("artwork_id")
@json_option
@pass_ctx
def show(ctx: Ctx, artwork_id: str, as_json: bool) -> None:
    """Show an artwork's recipe and credits (ARTWORK_ID may be a unique prefix)."""
    from studiolo.provenance.infotext import recipe_to_infotext

    artwork = ctx.studio.get(artwork_id)
    if as_json:
        emit_json(artwork_dict(artwork))
        return
    r = artwork.recipe
    console.print(f"[bold]{artwork.id}[/bold]")
    console.print(f"file     {artwork.path}")
    console.print(f"made     {artwork.created:%Y-%m-%d %H:%M:%S %Z} by {artwork.owner}")
    if artwork.parents:
        console.print(f"from     {', '.join(p[:12] for p in artwork.parents)}")
    recipe = Table(box=None, show_header=False)
    rows: list[tuple[str, Any]] = [
        ("engine", f"{r.engine} ({r.mode})"), ("prompt", r.prompt),
        ("negative", r.negative_prompt), ("model", r.model),
        ("model hash", r.model_hash[:10] if r.model_hash else None), ("sampler", r.sampler),
        ("steps", r.steps), ("cfg", r.guidance), ("seed", r.seed),
        ("size", f"{r.width}x{r.height}"), ("strength", r.strength),
        ("loras", ", ".join(f"{lo.name}:{lo.weight}" for lo in r.loras)),
        ("inputs", ", ".join(f"{i.role} {i.sha256[:12]}" for i in r.inputs)),
    ]
    for key, value in rows:
        if value not in (None, "", ()):
            recipe.add_row(f"[dim]{key}[/dim]", str(value))
    console.print(recipe)
    credits = Table("credit", "kind", "role", "share", "evidence", title="Credits", box=None)
    for c in artwork.credits:
        credits.add_row(c.name, c.kind, c.role, f"{c.share:.0%}", c.evidence)
    console.print(credits)
    console.print("\n[dim]AUTOMATIC1111 parameters:[/dim]")
    console.print(recipe_to_infotext(r), markup=False, highlight=False)


@cli.command()
@click.argument("artwork_id")
@json_option
@out_option
@pass_ctx
def rerun(ctx: Ctx, artwork_id: str, as_json: bool, out: str | None) -> None:
    """Make an artwork again from its stored recipe (same seed, same pixels)."""
    from studiolo.cli.progress import progress_bars

    with progress_bars(not as_json) as progress:
        artworks = ctx.studio.rerun(artwork_id, progress=progress)
    report_artworks(artworks, as_json, out)


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@json_option
@pass_ctx
def import_cmd(ctx: Ctx, files: tuple[str, ...], as_json: bool) -> None:
    """Read the recipes in images made by AUTOMATIC1111, ComfyUI, InvokeAI or studiolo.

    Every readable file is imported; each unreadable one is named on stderr and the
    command then exits 1.
    """
    from studiolo.provenance.importers import import_recipes
    from studiolo.provenance.infotext import recipe_to_infotext

    batch = import_recipes(files)
    if as_json:
        emit_json(batch.to_json())
    else:
        for path, imported in batch.imported:
            console.print(f"[bold]{path}[/bold]  [dim](from {imported.source})[/dim]")
            console.print(recipe_to_infotext(imported.recipe), markup=False, highlight=False)
            console.print()
    for failure in batch.failed:
        click.echo(f"Error: {failure.error}", err=True)
    if batch.exit_code:
        click.get_current_context().exit(batch.exit_code)


@cli.group()
def models() -> None:
    """List local models or fetch one into the Hugging Face cache."""


@models.command("ls")
@click.option("--hash/--no-hash", "with_hash", default=True, help="Compute content hashes (cached after the first time).")
@json_option
@pass_ctx
def models_ls(ctx: Ctx, with_hash: bool, as_json: bool) -> None:
    """Show the models and LoRAs available offline, with size and content hash."""
    from studiolo.models.listing import list_models

    found = list_models(ctx.studio.settings, with_hash=with_hash)
    if as_json:
        emit_json([m.__dict__ for m in found])
        return
    if not found:
        click.echo(
            "No models found. Put a diffusers folder or a .safetensors file in "
            f"{ctx.studio.settings.models_dir}, pass --model PATH, or run "
            "`studiolo models pull stabilityai/sd-turbo` on a connected machine."
        )
        return
    table = Table("name", "kind", "family", "size", "sha256", "path", box=None)
    for m in found:
        table.add_row(m.name, m.kind, m.family or "", _size(m.size_bytes),
                      (m.sha256 or "")[:10], str(m.path))
    console.print(table)


@models.command("pull")
@click.argument("repo_id")
@click.option("--revision", help="Branch, tag or commit.")
@click.option("--variant", help="Weights variant, e.g. fp16.")
@pass_ctx
def models_pull(ctx: Ctx, repo_id: str, revision: str | None, variant: str | None) -> None:
    """Download REPO_ID (safetensors only) into the Hugging Face cache, for offline use after."""
    from studiolo.models.pull import pull_model

    path = pull_model(repo_id, ctx.studio.settings, revision=revision, variant=variant)
    click.echo(f"{repo_id} is ready at {path}")


@cli.command()
@json_option
@pass_ctx
def engines(ctx: Ctx, as_json: bool) -> None:
    """List the engines (built-in and from plugins) and what each can do."""
    registry = ctx.studio.engines
    rows = [(e, sorted(registry.get(e).capabilities)) for e in registry.ids()]
    if as_json:
        emit_json({e: caps for e, caps in rows})
        return
    for engine_id, caps in rows:
        click.echo(f"{engine_id:12} {', '.join(caps)}")


@cli.command()
def samplers() -> None:
    """List the scheduler names `--sampler` accepts."""
    from studiolo.capabilities.diffusion.schedulers import scheduler_names

    for name in scheduler_names():
        click.echo(name)


def _size(n: int | None) -> str:
    if n is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)
