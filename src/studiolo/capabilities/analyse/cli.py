"""`studiolo analyse` and `studiolo collection ...`: thin click commands on the library.

Everything here parses options, shows progress and prints; the work is done by
report.analyse, collection.* and mapplot.map_collection. Errors are the library's own
(`StudioloError`), which the command line prints as one sentence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from studiolo.cli.app import Ctx, emit_json, json_option, pass_ctx
from studiolo.cli.progress import progress_bars
from studiolo.core.errors import InvalidArgument

from .collection import BUILTIN


def studio_home(ctx: Ctx) -> Path:
    """The studio folder, without building the Studio (no torch, no file store) when only
    collections are read: their catalog is opened from it (collection.catalog_at)."""
    from studiolo.core.settings import Settings

    return Settings.from_env(ctx.home).home


def open_collection(home: Path, name: str, progress: Any) -> Any:
    from .collection import builtin_collection, load_collection

    if name == BUILTIN:
        return builtin_collection(home, progress=progress)
    return load_collection(home, name)


def default_report_path(image: str) -> Path:
    return Path.cwd() / f"{Path(image).stem or 'artwork'}-analysis.html"


@click.command()
@click.argument("image")
@click.option("--against", default=BUILTIN, show_default=True, metavar="NAME",
              help="The collection to attribute against ('none': colour, composition and "
                   "brushwork only).")
@click.option("--claimed", metavar="ARTIST",
              help="The artist the work is claimed for: say how typical it is of them.")
@click.option("--report", is_flag=True, help="Write the HTML report with its charts.")
@click.option("--out", type=click.Path(dir_okay=False),
              help="Where the report goes. [default: ./<image>-analysis.html]")
@click.option("--refresh", is_flag=True,
              help="For an artwork of the catalog: analyse again instead of showing the kept "
                   "analysis.")
@json_option
@pass_ctx
def analyse(ctx: Ctx, image: str, against: str, claimed: str | None, report: bool,
            out: str | None, refresh: bool, as_json: bool) -> None:
    """Analyse IMAGE (a picture file, or the id of an artwork in the catalog): its palette,
    composition and brushwork, the artists of a collection it most resembles (or "unknown"
    when it is close to none of them) and, with --claimed, how typical it is of that artist.

    An artwork of the catalog keeps its analysis there (shown again next time).

    \b
    Examples:
      studiolo analyse painting.jpg --report
      studiolo analyse painting.jpg --against impressionists --claimed "Claude Monet"
      studiolo analyse 3f2a9c --json
      studiolo analyse sketch.png --against none
    """
    collection = None if against.lower() == "none" else against
    if claimed is not None and collection is None:
        raise InvalidArgument("`--claimed` needs a collection to compare with, got "
                              "`--against none`; name a collection that holds the artist.")
    if Path(image).is_file():
        result, html = _analyse_file(ctx, image, collection, claimed, as_json)
    else:
        result, html = _analyse_artwork(ctx, image, collection, claimed, refresh, as_json)
    written = None
    if report:
        from studiolo.core.atomic import write_atomic

        written = Path(out) if out else default_report_path(image)
        write_atomic(written, html, private=True)  # a private work's report stays its owner's
    if as_json:
        emit_json({**result, "report": str(written) if written else None})
        return
    click.echo(result.pop("_summary"))
    if written:
        click.echo(f"Report: {written}")


def _analyse_file(ctx: Ctx, image: str, collection: str | None, claimed: str | None,
                  as_json: bool) -> tuple[dict[str, Any], str]:
    from .report import analyse as analyse_image
    from .report import render_report

    with progress_bars(not as_json) as progress:
        index = open_collection(studio_home(ctx), collection, progress) if collection else None
        analysis = analyse_image(image, against=index, claimed=claimed, source=image,
                                 progress=progress)
    return {**analysis.to_json(), "_summary": analysis.summary()}, render_report(analysis)


def _analyse_artwork(ctx: Ctx, artwork_id: str, collection: str | None, claimed: str | None,
                     refresh: bool, as_json: bool) -> tuple[dict[str, Any], str]:
    import re

    if not re.fullmatch(r"[0-9a-fA-F]{6,64}", artwork_id):
        raise InvalidArgument(f"`IMAGE` must be a picture file or an artwork id, got "
                              f"{artwork_id!r}, which is neither; check the path.")
    studio = ctx.studio
    with progress_bars(not as_json) as progress:
        if collection == BUILTIN:
            open_collection(studio.settings.home, BUILTIN, progress)  # indexed once, with bars
        kept = studio.analyse(artwork_id, against=collection, claimed=claimed, refresh=refresh,
                              progress=progress)
    result = kept.to_json()
    return {**result, "_summary": summary_of(result)}, kept.report


def summary_of(result: dict[str, Any]) -> str:
    """The terminal lines of a kept analysis (its JSON: the pictures are in the report)."""
    colour = result["colour"]
    lines = [(f"{result['source']} ({result['size'][0]}x{result['size'][1]} px), analysed "
             f"{result['created'][:16].replace('T', ' ')}")]
    lines += [f"  note: {n}" for n in result["notes"]]
    lines.append("  palette: " + ", ".join(f"{p['name']} {p['proportion']:.0%}"
                                          for p in colour["palette"]))
    if result.get("verdict"):
        lines.append(f"  attribution against {result['collection']!r}: {result['verdict']}")
        lines += [f"    {c['probability']:6.1%}  {c['artist']}" for c in result["attribution"][:3]]
    if result.get("authenticity"):
        lines.append(f"  authenticity: {result['authenticity']['verdict']}")
        lines.append(f"    {result['authenticity']['uncertainty']}")
    return "\n".join(lines)


@click.group()
def collection() -> None:
    """Reference collections that works are attributed against.

    The studio's own bundled paintings are the collection `builtin`.

    \b
    Examples:
      studiolo collection add old-masters ../shared/artworks --manifest ../shared/artworks/manifest.csv
      studiolo collection ls
      studiolo collection show old-masters
      studiolo collection map old-masters --by period
    """


@collection.command("add")
@click.argument("name")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--manifest", type=click.Path(dir_okay=False),
              help="CSV with columns file,artist,title,year. [default: FOLDER/manifest.csv, "
                   "else one subfolder per artist]")
@json_option
@pass_ctx
def collection_add(ctx: Ctx, name: str, folder: str, manifest: str | None,
                   as_json: bool) -> None:
    """Index the works in FOLDER as collection NAME (again: only new works are computed).

    \b
    Example:
      studiolo collection add mine ./paintings --manifest ./paintings/list.csv
    """
    from .collection import add_collection

    with progress_bars(not as_json) as progress:
        found = add_collection(studio_home(ctx), name, Path(folder),
                               Path(manifest) if manifest else None, progress=progress)
    if as_json:
        emit_json(found.to_json())
        return
    click.echo(f"Collection {found.name}: {found.works} works by {found.artists} artists.")
    for note in found.notes:
        click.echo(f"  note: {note}")


@collection.command("ls")
@json_option
@pass_ctx
def collection_ls(ctx: Ctx, as_json: bool) -> None:
    """List the collections: the built-in one, then yours."""
    from .collection import list_collections

    found = list_collections(studio_home(ctx))
    if as_json:
        emit_json([c.to_json() for c in found])
        return
    for c in found:
        click.echo(f"{c.name:24s} {c.works:5d} works {c.artists:4d} artists")


@collection.command("show")
@click.argument("name")
@json_option
@pass_ctx
def collection_show(ctx: Ctx, name: str, as_json: bool) -> None:
    """Show collection NAME: its artists, their works, and what to know before trusting it.

    \b
    Example:
      studiolo collection show builtin --json
    """
    from .collection import show_collection

    with progress_bars(not as_json) as progress:
        open_collection(studio_home(ctx), name, progress)
    found = show_collection(studio_home(ctx), name)
    if as_json:
        emit_json(found.to_json())
        return
    click.echo(f"Collection {found.name}: {len(found.works)} works by {len(found.artists)} "
               "artists")
    for artist, works in found.artists:
        click.echo(f"  {works:3d}  {artist}")
    for note in found.notes:
        click.echo(f"  note: {note}")


@collection.command("map")
@click.argument("name")
@click.option("--by", type=click.Choice(["artist", "period"]), default="artist",
              show_default=True, help="What the points are coloured by.")
@click.option("--out", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Folder for <NAME>-map.html and <NAME>-map.png.")
@json_option
@pass_ctx
def collection_map(ctx: Ctx, name: str, by: str, out: str, as_json: bool) -> None:
    """Draw the map of collection NAME (an interactive HTML page and a PNG), and list the works
    that bridge two artists and the nearest works across periods.

    \b
    Example:
      studiolo collection map builtin --by period --out ./maps
    """
    from .mapplot import map_collection

    with progress_bars(not as_json) as progress:
        open_collection(studio_home(ctx), name, progress)
    page, picture, conn = map_collection(studio_home(ctx), name, Path(out), by=by)
    if as_json:
        emit_json({**conn.to_json(), "html": str(page), "png": str(picture)})
        return
    click.echo(f"Map of {conn.collection}: {page} and {picture}")
    for b in conn.bridges[:5]:
        click.echo(f"  bridge: {b.work} ({b.artist}) ~ {b.other_work} ({b.other_artist}), "
                   f"similarity {b.similarity:.2f}")
    for p in conn.across_periods[:5]:
        click.echo(f"  across periods: {p.work} ({p.year}) ~ {p.other_work} ({p.other_year}), "
                   f"similarity {p.similarity:.2f}")
    for note in conn.notes:
        click.echo(f"  note: {note}")
