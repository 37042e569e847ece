"""`studiolo damage`, `studiolo restore` and `studiolo age`: thin commands over api and verbs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from studiolo.cli.app import Ctx, artwork_dict, emit_json, json_option, pass_ctx
from studiolo.cli.progress import err_console, progress_bars
from studiolo.core.errors import InvalidArgument

from .fill import METHODS
from .kinds import KINDS


def _thresholds(values: tuple[str, ...]) -> dict[str, float]:
    """`--threshold cracks=0.4` pairs."""
    out: dict[str, float] = {}
    for item in values:
        kind, _, raw = item.partition("=")
        try:
            out[kind.strip()] = float(raw)
        except ValueError:
            raise InvalidArgument(
                f"`--threshold` must look like cracks=0.4 (a kind of {', '.join(KINDS)} and a "
                f"number between 0 and 1), got {item!r}.") from None
    return out


def _options(thresholds: tuple[str, ...]) -> Any:
    from pydantic import ValidationError

    from .detect import DamageOptions

    try:
        return DamageOptions(thresholds=_thresholds(thresholds))
    except ValidationError as exc:
        raise InvalidArgument(f"`--threshold` is invalid: {exc.errors()[0]['msg']}; got "
                              f"{' '.join(thresholds)!r}.") from None


def _notes(notes: Any) -> None:
    for note in notes:
        err_console.print(f"[yellow]{note}[/yellow]")


@click.command()
@click.argument("image", type=click.Path(dir_okay=False))
@click.option("--out", "-o", type=click.Path(file_okay=False),
              help="Write DIR/<kind>.png for every kind (white = damage, the image's size).")
@click.option("--threshold", "thresholds", multiple=True, metavar="KIND=T",
              help=f"Detection threshold for one kind (0-1, higher finds less): {', '.join(KINDS)}.")
@json_option
def damage(image: str, out: str | None, thresholds: tuple[str, ...], as_json: bool) -> None:
    """Find the damage in IMAGE: cracks, scratches, losses, stains and tears.

    Prints per kind the damaged share of the picture and the mean confidence.

    \b
    Examples:
      studiolo damage scan.jpg
      studiolo damage scan.jpg --out masks/ --threshold cracks=0.6
      studiolo damage scan.tif --json
    """
    from . import api

    with progress_bars(not as_json) as progress:
        result = api.damage(image, out, _options(thresholds), progress)
    if as_json:
        emit_json(result.to_json())
        return
    _notes(result.notes)
    click.echo(f"{result.image}  {result.size[0]}x{result.size[1]}  ({result.method})")
    for kind in result.kinds:
        click.echo(f"  {kind.kind:<10} {kind.fraction * 100:7.3f}% damaged  "
                   f"mean confidence {kind.mean_confidence:.2f}")
    if not any(k.fraction > 0 for k in result.kinds):
        click.echo("No damage was found.")
    for kind, path in result.files.items():
        click.echo(f"  {kind} mask: {path}")


def _source(ctx: Ctx, image: str) -> str:
    """IMAGE is a file, else a stored artwork's id (or prefix)."""
    if Path(image).is_file():
        return image
    if Path(image).exists():
        raise InvalidArgument(f"`IMAGE` must be an image file or an artwork id, got the folder "
                              f"{image!r}.")
    from studiolo.core.errors import StudioloError

    try:
        return str(ctx.studio.get(image).path)
    except StudioloError:
        raise InvalidArgument(f"`IMAGE` {image!r} is neither a file nor an artwork id in this "
                              "studio; give a scan's path or an id from `studiolo ls`.") from None


@click.command()
@click.argument("image", metavar="IMAGE|ARTWORK_ID")
@click.option("--mask", type=click.Path(dir_okay=False),
              help="Fill this mask (white = fill, the image's size) instead of the detected damage.")
@click.option("--method", type=click.Choice(METHODS), default="auto", show_default=True,
              help="How losses are filled; auto picks per hole and records what it chose.")
@click.option("--model", help="A local inpainting model (folder or id) for --method diffusion.")
@click.option("--colour", is_flag=True, help="Also undo yellowed varnish and fading.")
@click.option("--strength", type=float, default=1.0, show_default=True,
              help="How much of the colour correction to apply (0-1).")
@click.option("--denoise", type=float, help="Also denoise the scan (0-1).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", "-o", type=click.Path(dir_okay=False),
              help="Also write the restored picture to FILE (.png, .jpg, .tif, .webp).")
@click.option("--report", "report", is_flag=False, flag_value="", default=None,
              metavar="[FILE]",
              help="Write an HTML report (damage map, before/after slider, methods, numbers); "
                   "FILE defaults to <image>-restoration.html.")
@json_option
@pass_ctx
def restore(ctx: Ctx, image: str, mask: str | None, method: str, model: str | None, colour: bool, strength: float,
            denoise: float | None, seed: int, out: str | None, report: str | None,
            as_json: bool) -> None:
    """Repair IMAGE (a scan, or a stored artwork's id) and store it as a child artwork.

    Without --mask the detected damage is filled; the person and every method are
    credited, and a private original gives a private restoration.

    \b
    Examples:
      studiolo restore scan.jpg --report
      studiolo restore scan.jpg --mask losses.png --method patch --out fixed.png
      studiolo restore 3f2a9c --colour --strength 0.7 --json
    """
    from . import api
    from .verbs import restore as restore_verb

    source = _source(ctx, image)
    if out is not None:
        api._format(Path(out))  # a wrong extension is refused before the work, not after
    report_path = None
    if report is not None:
        report_path = Path(report) if report else Path(source).with_name(
            f"{Path(source).stem}-restoration.html")
    with progress_bars(not as_json) as progress:
        artworks = restore_verb(ctx.studio, source, mask=mask, method=method, colour=colour,
                                strength=strength, denoise=denoise, model=model, report=report_path,
                                seed=seed, progress=progress)
    written = None
    if out is not None:
        from studiolo.core.imageio import open_image

        written = str(api._save(open_image(artworks[0].path), Path(out)))
    if as_json:
        emit_json([{**artwork_dict(a), "out": written,
                    "report": str(report_path) if report_path else None} for a in artworks])
        return
    for artwork in artworks:
        _notes(artwork.recipe.options.get("notes", []))
        filled = artwork.recipe.options.get("filled", {})
        how = ", ".join(f"{m} {v['pixels']} px" for m, v in filled.items()) or "nothing filled"
        click.echo(f"{artwork.id[:12]}  {artwork.width}x{artwork.height}  {how}  {artwork.path}")
    if written:
        click.echo(f"Restored picture: {written}")
    if report_path:
        click.echo(f"Report: {report_path}")


@click.command()
@click.argument("image", type=click.Path(dir_okay=False))
@click.option("--years", type=float, required=True, help="How many years to simulate.")
@click.option("--lux", type=float, default=150.0, show_default=True,
              help="Illuminance on the picture while lit.")
@click.option("--hours", type=float, help="Hours a day the picture is lit (default 8).")
@click.option("--humidity", type=float, help="Relative humidity in % (default 50).")
@click.option("--varnish", type=click.Choice(["dammar", "mastic", "synthetic", "none"]),
              help="The varnish over the paint (default dammar).")
@click.option("--blue-wool", type=int, help="ISO 105-B Blue Wool class of the fugitive "
              "colours, 1 (fugitive) to 8 (permanent); default 3.")
@click.option("--out", "-o", type=click.Path(file_okay=False),
              help="Write DIR/ageing.gif and DIR/contact-sheet.png.")
@json_option
def age(image: str, years: float, lux: float, hours: float | None, humidity: float | None,
        varnish: str | None, blue_wool: int | None, out: str | None, as_json: bool) -> None:
    """Show how IMAGE will age: varnish yellowing, fading, craquelure and dust.

    Rates are documented with their sources in docs/restoration.md.

    \b
    Examples:
      studiolo age scan.jpg --years 100 --out ageing/
      studiolo age scan.jpg --years 50 --lux 50 --humidity 65 --json
    """
    from . import api

    conditions: dict[str, Any] = {}
    if varnish is not None:
        conditions["varnish"] = varnish
    if blue_wool is not None:
        conditions["blue_wool"] = blue_wool
    if hours is not None:
        conditions["hours_per_day"] = hours
    if humidity is not None:
        conditions["rh"] = humidity
    with progress_bars(not as_json) as progress:
        result = api.age(image, years, lux, out, progress, **conditions)
    if as_json:
        emit_json(result.to_json())
        return
    _notes(result.notes)
    for st in result.states:
        click.echo(f"  {st.years:6.0f} years  dE00 {st.delta_e:5.1f}  varnish {st.varnish:.2f}  "
                   f"colour left {st.colour_left * 100:3.0f}%  cracks {st.cracks * 100:3.0f}%")
    if result.gif:
        click.echo(f"Frames: {result.gif}\nContact sheet: {result.contact_sheet}")
