"""`studiolo exhibit`: make an exhibition from a theme, list, show and export it."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.table import Table

from studiolo.cli.app import Ctx, emit_json, json_option, pass_ctx
from studiolo.cli.progress import progress_bars

console = Console()


@click.group()
def exhibit() -> None:
    """Exhibitions: works chosen by a theme, hung in rooms, exported as a static site.

    \b
    Examples:
      studiolo exhibit make "the sea at night" --max-works 12 --rooms 2
      studiolo exhibit ls
      studiolo exhibit show 1
      studiolo exhibit export 1 ~/Desktop/sea-at-night
    """


@exhibit.command("make")
@click.argument("theme")
@click.option("--title", help="The exhibition's title. [default: the theme]")
@click.option("--max-works", type=int, default=24, show_default=True,
              help="At most this many works.")
@click.option("--rooms", "max_rooms", type=int, default=3, show_default=True,
              help="At most this many rooms (fewer when the works do not split well).")
@click.option("--public", is_flag=True,
              help="Shareable by link; then only public works are chosen.")
@json_option
@pass_ctx
def make_cmd(ctx: Ctx, theme: str, title: str | None, max_works: int, max_rooms: int,
             public: bool, as_json: bool) -> None:
    """Choose works that fit THEME, group them into rooms, order each room, and store it.

    Works are matched by their titles, prompts, tags and credited artists
    (MiniLM text embeddings) and by how they look next to the best matches.
    Only your own works and public ones are considered.

    \b
    Examples:
      studiolo exhibit make "the sea at night"
      studiolo exhibit make "mountains, seas and abstract circles" --rooms 3 --title "Elements"
      studiolo exhibit make "Claude Monet" --max-works 8 --public --json
    """
    with progress_bars(not as_json) as progress:
        made = ctx.studio.make_exhibition(theme, title=title, max_works=max_works,
                                          max_rooms=max_rooms, public=public, progress=progress)
    if as_json:
        emit_json(ctx.studio.exhibition_view(made.id).to_dict())
        return
    works = len(made.artwork_ids)
    click.echo(f"Exhibition {made.id} “{made.title}”: {works} work{'s' * (works != 1)} in "
               f"{len(made.rooms)} room{'s' * (len(made.rooms) != 1)}.")
    for n, room in enumerate(made.rooms, 1):
        click.echo(f"  room {n}: {room.name} ({len(room.artwork_ids)} works; {_tour(room)})")
    click.echo(f"See it with `studiolo exhibit show {made.id}`, export it with "
               f"`studiolo exhibit export {made.id} FOLDER`.")


def _tour(room: Any) -> str:
    if room.tour_length is None or room.random_length is None or len(room.artwork_ids) < 3:
        return "hung in order"
    return f"visual tour {room.tour_length:.2f} vs {room.random_length:.2f} for a random order"


@exhibit.command("ls")
@json_option
@pass_ctx
def ls_cmd(ctx: Ctx, as_json: bool) -> None:
    """List your exhibitions and the public ones, newest first."""
    found = ctx.studio.list_exhibitions()
    if as_json:
        emit_json([e.to_dict() for e in found])
        return
    if not found:
        click.echo('No exhibitions yet. Make one with `studiolo exhibit make "the sea at night"`.')
        return
    table = Table("id", "made", "by", "public", "rooms", "works", "title", box=None)
    for e in found:
        table.add_row(str(e.id), f"{e.created:%Y-%m-%d %H:%M}", e.owner, "yes" if e.is_public else "",
                      str(len(e.rooms)), str(len(e.artwork_ids)), e.title)
    console.print(table)


@exhibit.command("show")
@click.argument("exhibition_id")
@json_option
@pass_ctx
def show_cmd(ctx: Ctx, exhibition_id: str, as_json: bool) -> None:
    """Show an exhibition: its introduction, rooms, and each work's wall text and credits.

    \b
    Examples:
      studiolo exhibit show 1
      studiolo exhibit show 1 --json
    """
    shown = ctx.studio.exhibition_view(exhibition_id)
    if as_json:
        emit_json(shown.to_dict())
        return
    ex = shown.exhibition
    public = f"public, link token {ex.share_token}" if ex.is_public else "private"
    console.print(f"[bold]{ex.title}[/bold]  (exhibition {ex.id}, {public})", highlight=False)
    click.echo(f"\n{shown.introduction}\n")
    for n, room in enumerate(shown.rooms, 1):
        console.print(f"[bold]Room {n}: {room.name}[/bold]", highlight=False)
        click.echo(room.text)
        for artwork, label in room.works:
            click.echo(f"  {artwork.id[:12]}  {label.title}")
            click.echo(f"      {label.credit}")
            click.echo(f"      {label.made_with}; {label.date}")
        click.echo()


@exhibit.command("export")
@click.argument("exhibition_id")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True,
              help="Write into a folder that is not empty (files of the same names are replaced).")
@click.option("--include-private", is_flag=True,
              help="Put your private works in the site too (left out by default: a site is "
                   "for others to read).")
@json_option
@pass_ctx
def export_cmd(ctx: Ctx, exhibition_id: str, folder: str, force: bool, include_private: bool,
               as_json: bool) -> None:
    """Write the exhibition as a static site into FOLDER: open its index.html, no server needed.

    The site shows what its share link would: private works are left out unless
    --include-private.

    \b
    Examples:
      studiolo exhibit export 1 ./sea-at-night
      studiolo exhibit export 1 ./sea-at-night --force
    """
    index = ctx.studio.export_exhibition(exhibition_id, folder, force=force,
                                         include_private=include_private)
    if as_json:
        emit_json({"index": str(index), "folder": str(index.parent)})
        return
    click.echo(f"Exported to {index.parent}; open {index} in a browser.")
