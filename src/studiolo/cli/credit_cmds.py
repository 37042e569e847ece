"""Commands about credit and consent: `credits ID` and the opt-out registry."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from studiolo.cli.app import Ctx, cli, emit_json, json_option, pass_ctx

console = Console()


@cli.command()
@click.argument("artwork_id")
@json_option
@pass_ctx
def credits(ctx: Ctx, artwork_id: str, as_json: bool) -> None:
    """Who and what made an artwork, with shares, and one sentence saying it."""
    from studiolo.provenance.ledger import credit_sentence

    artwork = ctx.studio.get(artwork_id)
    sentence = credit_sentence(artwork.credits, artwork.recipe)
    if as_json:
        emit_json({"id": artwork.id, "sentence": sentence,
                   "credits": [c.__dict__ for c in artwork.credits]})
        return
    table = Table("credit", "kind", "role", "share", "evidence", box=None)
    for c in artwork.credits:
        table.add_row(c.name, c.kind, c.role, f"{c.share:.1%}", c.evidence)
    console.print(f"[bold]{artwork.id}[/bold]")
    console.print(table)
    click.echo(sentence)


@cli.group()
def optout() -> None:
    """The registry of artists and styles whose owners do not consent to AI use."""


@optout.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(["artist", "style"]), default="artist", show_default=True)
@click.option("--note", default="", help="Where or how the owner said so.")
@pass_ctx
def optout_add(ctx: Ctx, name: str, kind: str, note: str) -> None:
    """Add NAME: requests naming it are refused (or credited, by the consent policy)."""
    entry = ctx.studio.catalog.add_optout(name, kind=kind, note=note)
    policy = ctx.studio.settings.consent_policy
    click.echo(f"{entry.name} ({entry.kind}) opted out; consent policy: {policy}.")


@optout.command("ls")
@json_option
@pass_ctx
def optout_ls(ctx: Ctx, as_json: bool) -> None:
    """List the opt-outs."""
    entries = ctx.studio.catalog.list_optouts()
    if as_json:
        emit_json([{**e.__dict__, "created": e.created.isoformat() if e.created else None}
                   for e in entries])
        return
    if not entries:
        click.echo("The opt-out registry is empty. Add a name with `studiolo optout add NAME`.")
        return
    table = Table("name", "kind", "note", "added", box=None)
    for e in entries:
        table.add_row(e.name, e.kind, e.note, f"{e.created:%Y-%m-%d}" if e.created else "")
    console.print(table)


@optout.command("rm")
@click.argument("name")
@pass_ctx
def optout_rm(ctx: Ctx, name: str) -> None:
    """Remove NAME from the registry."""
    ctx.studio.catalog.remove_optout(name)
    click.echo(f"{name} removed from the opt-out registry.")
