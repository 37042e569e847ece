"""`studiolo safety check IMAGE` and `studiolo safety scan`: the safety filter by hand."""

from __future__ import annotations

import click

from studiolo.cli.app import Ctx, emit_json, json_option, pass_ctx
from studiolo.cli.progress import progress_bars


@click.group()
def safety() -> None:
    """The safety filter: an NSFW classifier (Open NSFW) on every stored artwork.

    A stored artwork scoring at or above the threshold (STUDIOLO_SAFETY_THRESHOLD,
    default 0.8) is flagged: kept with a blurred preview and thumbnail, marked in
    the gallery, never in a public exhibition or a shared link. STUDIOLO_SAFETY_FILTER=0
    turns the filter off. The classifier also flags some classical nudes.

    \b
    Examples:
      studiolo safety check picture.png
      studiolo safety check picture.png --threshold 0.5 --json
      studiolo safety scan
    """


@safety.command("check")
@click.argument("image", type=click.Path(dir_okay=False))
@click.option("--threshold", type=float,
              help="Flag at or above this score (0-1). [default: the settings', 0.8]")
@json_option
@pass_ctx
def check_cmd(ctx: Ctx, image: str, threshold: float | None, as_json: bool) -> None:
    """Score one IMAGE file with the safety filter and say whether it would be flagged.

    Nothing is stored. The score is Open NSFW's probability that the picture is NSFW
    (Yahoo's guidance: under 0.2 safe, over 0.8 unsafe).
    """
    from studiolo.capabilities.safety.classifier import use_cache
    from studiolo.capabilities.safety.verdict import check_image
    from studiolo.core.imageio import open_image
    from studiolo.core.settings import Settings

    picture = open_image(image, mode="RGB")
    settings = Settings.from_env(ctx.home)
    use_cache(settings.home / "cache" / "safety")
    limit = threshold if threshold is not None else settings.safety_threshold
    verdict = check_image(picture, limit)
    if as_json:
        emit_json({"image": image, **verdict.to_json()})
        return
    click.echo(f"{image}: {'FLAGGED' if verdict.flagged else 'passes'}  score {verdict.score:.3f}"
               f"  threshold {verdict.threshold:.2f}  ({verdict.seconds * 1000:.0f} ms)")
    click.echo(verdict.reason(stored=False))


@safety.command("scan")
@click.option("--limit", type=click.IntRange(1, 100_000), default=10_000, show_default=True,
              help="Check at most this many artworks.")
@json_option
@pass_ctx
def scan_cmd(ctx: Ctx, limit: int, as_json: bool) -> None:
    """Check every stored artwork that has no safety verdict yet (stored before the
    filter, or while it was off), oldest first, and record the verdicts."""
    from studiolo.capabilities.safety.records import record, unchecked
    from studiolo.capabilities.safety.verdict import check_image

    studio = ctx.studio
    todo = unchecked(studio.catalog, limit=limit)
    flagged = []
    with progress_bars(not as_json) as progress:
        for k, artwork_id in enumerate(todo, start=1):
            picture = studio.image(artwork_id)
            verdict = check_image(picture, studio.settings.safety_threshold)
            record(studio, artwork_id, verdict, picture)
            if verdict.flagged:
                flagged.append({"artwork": artwork_id, "score": round(verdict.score, 4)})
            progress({"stage": "check", "step": k, "total": len(todo)})
    if as_json:
        emit_json({"checked": len(todo), "flagged": flagged,
                   "threshold": studio.settings.safety_threshold})
        return
    click.echo(f"Checked {len(todo)} artwork{'s' if len(todo) != 1 else ''}; "
               f"{len(flagged)} flagged (threshold {studio.settings.safety_threshold:.2f}).")
    for item in flagged:
        click.echo(f"  {item['artwork'][:12]}  score {item['score']:.3f}")
