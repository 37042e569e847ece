"""`studiolo rate` and `studiolo taste ...`: teach the studio what you like, and share it."""

from __future__ import annotations

from typing import Any

import click

from studiolo.cli.app import Ctx, emit_json, json_option, pass_ctx
from studiolo.core.errors import InvalidArgument
from studiolo.core.maker import Maker

EMBEDDER_HELP = ("Features the profile sees with: default (bundled weights), clip[:MODEL] or "
                 "dino[:MODEL] from a local folder or the Hugging Face cache.")


def _rating_dict(rating: Any) -> dict[str, Any]:
    return {"id": rating.id, "person": rating.person, "kind": rating.kind,
            "artwork": rating.artwork_id, "other": rating.other_id, "value": rating.value,
            "created": rating.created.isoformat()}


def profile_dict(profile: Any) -> dict[str, Any]:
    return {"person": profile.person, "name": profile.name, "version": profile.version,
            "embedder": profile.embedder, "pairs": profile.n_pairs,
            "accuracy": profile.accuracy, "trust": profile.trust(),
            "likes": profile.describe()}


def refit(studio: Maker, person: str, name: str, embedder: str | None) -> Any:
    """The refitted (and saved) profile, or None while there are too few pairs."""
    from studiolo.capabilities.taste.model import MIN_PAIRS
    from studiolo.capabilities.taste.profile import fit_profile, training_pairs

    if training_pairs(studio, person).total < MIN_PAIRS:
        return None
    return fit_profile(studio, person, name, embedder=embedder)


def progress_line(studio: Maker, person: str, profile: Any) -> str:
    """What to say after a pick: the trust sentence, or how many pairs are still needed."""
    from studiolo.capabilities.taste.model import trust_sentence
    from studiolo.capabilities.taste.profile import training_pairs

    if profile is not None:
        return f"Profile: {profile.trust()}"
    return f"Profile: {trust_sentence(None, training_pairs(studio, person).total)}"


@click.command()
@click.option("--terminal", is_flag=True, help="Ask in the terminal (1, 2, s to skip, q to quit) "
              "instead of a page in the browser.")
@click.option("--no-browser", is_flag=True, help="Print the page's address instead of opening it.")
@click.option("--from", "query", metavar="TEXT",
              help="Only artworks whose prompt or title contains TEXT (or tag:NAME).")
@click.option("--rounds", type=click.IntRange(1), help="Stop after this many pairs.")
@click.option("--like", "likes", multiple=True, metavar="ID", help="Like an artwork (repeatable).")
@click.option("--dislike", "dislikes", multiple=True, metavar="ID",
              help="Dislike an artwork (repeatable).")
@click.option("--stars", "stars", nargs=2, multiple=True, metavar="ID N",
              help="Give an artwork 1 to 5 stars (repeatable).")
@click.option("--profile", "name", default="default", show_default=True,
              help="The profile refitted as you rate.")
@click.option("--embedder", help=EMBEDDER_HELP)
@click.option("--port", type=click.IntRange(0, 65535), default=0,
              help="Port of the rating page on 127.0.0.1. [default: any free one]")
@json_option
@pass_ctx
def rate(ctx: Ctx, terminal: bool, no_browser: bool, query: str | None, rounds: int | None,
         likes: tuple[str, ...], dislikes: tuple[str, ...], stars: tuple[tuple[str, str], ...],
         name: str, embedder: str | None, port: int, as_json: bool) -> None:
    """Teach the studio your taste: pick the better of two artworks, again and again.

    Pairs are chosen to teach the most (the pair the current profile is least
    sure about); after each pick the profile is refitted and says how often it
    predicts picks it has not seen. `--like`, `--dislike` and `--stars` rate
    single artworks directly and return.

    \b
    Examples:
      studiolo rate                       # a page in the browser
      studiolo rate --terminal --from lighthouse
      studiolo rate --like 3f2a9c --stars 9b01de 4
    """
    studio = ctx.studio
    person = studio.settings.person
    if likes or dislikes or stars:
        done = [studio.catalog.add_like(person, i) for i in likes]
        done += [studio.catalog.add_like(person, i, liked=False) for i in dislikes]
        for artwork, count in stars:
            if not count.isdigit():
                raise InvalidArgument(f"`--stars` needs an artwork id and 1 to 5, got {count!r}.")
            done.append(studio.catalog.add_stars(person, artwork, int(count)))
        profile = refit(studio, person, name, embedder)
        if as_json:
            emit_json({"ratings": [_rating_dict(r) for r in done],
                       "profile": profile_dict(profile) if profile else None})
            return
        for r in done:
            what = {"like": "liked" if r.value > 0 else "disliked",
                    "stars": f"{r.value} star{'s' if r.value != 1 else ''}"}[r.kind]
            click.echo(f"{r.artwork_id[:12]}  {what}")
        click.echo(progress_line(studio, person, profile))
        return
    if terminal:
        _rate_in_terminal(studio, person, query, rounds, name, embedder)
        return
    from studiolo.capabilities.taste.rate_page import serve_rating_page

    serve_rating_page(studio, person, query=query, rounds=rounds, name=name, embedder=embedder,
                      port=port, open_browser=not no_browser)


def _describe_artwork(studio: Maker, artwork_id: str) -> str:
    artwork = studio.get(artwork_id)
    words = artwork.recipe.prompt or artwork.title or artwork.recipe.mode
    words = words if len(words) <= 60 else words[:57] + "..."
    return f"{artwork_id[:12]}  {artwork.path}  ({words})"


def _rate_in_terminal(studio: Maker, person: str, query: str | None, rounds: int | None,
                      name: str, embedder: str | None) -> None:
    from studiolo.capabilities.taste.profile import suggest_pair

    skipped: list[tuple[str, str]] = []
    asked = 0
    while rounds is None or asked < rounds:
        first, second = suggest_pair(studio, person, query=query, embedder=embedder, skip=skipped)
        click.echo(f"\n1: {_describe_artwork(studio, first)}")
        click.echo(f"2: {_describe_artwork(studio, second)}")
        try:
            answer = click.prompt("Which do you prefer? 1, 2, s(kip) or q(uit)",
                                  type=click.Choice(["1", "2", "s", "q"]), show_choices=False)
        except click.exceptions.Abort:  # end of input: stop like q
            answer = "q"
        if answer == "q":
            break
        asked += 1
        if answer == "s":
            skipped.append((first, second))
            continue
        winner, loser = (first, second) if answer == "1" else (second, first)
        studio.catalog.add_pair(person, winner, loser)
        click.echo(progress_line(studio, person, refit(studio, person, name, embedder)))
    click.echo(f"{studio.catalog.count_ratings(person, 'pair')} pairs rated in all.")


# -- studiolo taste ----------------------------------------------------------------


@click.group()
def taste() -> None:
    """Your taste profile: what it learned, how far to trust it, and codes to share it.

    \b
    Examples:
      studiolo taste show
      studiolo taste export > my-taste.txt
      studiolo taste import stv1-AQEAGW... --name friend
    """


@taste.command("show")
@click.argument("name", default="default")
@json_option
@pass_ctx
def taste_show(ctx: Ctx, name: str, as_json: bool) -> None:
    """Show profile NAME: pairs rated, how often it is right, and what it likes.

    \b
    Example:
      studiolo taste show            # the profile `studiolo rate` keeps
      studiolo taste show friend --json
    """
    from studiolo.capabilities.taste.profile import load_profile

    profile = load_profile(ctx.studio, name)
    if as_json:
        emit_json(profile_dict(profile))
        return
    click.echo(f"{profile.name} (version {profile.version}) of {profile.person}, "
               f"seeing with {profile.embedder}")
    click.echo(f"  {profile.describe()}")
    click.echo(f"  {profile.trust()}")


@taste.command("fit")
@click.argument("name", default="default")
@click.option("--embedder", help=EMBEDDER_HELP)
@json_option
@pass_ctx
def taste_fit(ctx: Ctx, name: str, embedder: str | None, as_json: bool) -> None:
    """Fit profile NAME again from all your ratings (pairs, likes, stars) and save it.

    \b
    Example:
      studiolo taste fit --embedder clip:/models/clip-vit-base-patch32
    """
    from studiolo.capabilities.taste.profile import fit_profile

    profile = fit_profile(ctx.studio, name=name, embedder=embedder)
    if as_json:
        emit_json(profile_dict(profile))
        return
    click.echo(f"Saved {profile.name} version {profile.version}: {profile.describe()}.")
    click.echo(f"  {profile.trust()}")


@taste.command("ls")
@json_option
@pass_ctx
def taste_ls(ctx: Ctx, as_json: bool) -> None:
    """List your saved taste profiles."""
    from studiolo.capabilities.taste.profile import list_profiles

    names = list_profiles(ctx.studio)
    if as_json:
        emit_json(names)
        return
    if not names:
        click.echo("No taste profiles yet: rate pairs with `studiolo rate`.")
    for n in names:
        click.echo(n)


@taste.command("export")
@click.argument("name", default="default")
@json_option
@pass_ctx
def taste_export(ctx: Ctx, name: str, as_json: bool) -> None:
    """Print profile NAME as a short taste code others can import.

    \b
    Example:
      studiolo taste export
    """
    from studiolo.capabilities.taste.codes import export_code
    from studiolo.capabilities.taste.profile import load_profile

    profile = load_profile(ctx.studio, name)
    code = export_code(profile)
    if as_json:
        emit_json({"name": profile.name, "code": code})
        return
    click.echo(code)


@taste.command("import")
@click.argument("code")
@click.option("--name", required=True, help="Save it as this profile name.")
@json_option
@pass_ctx
def taste_import(ctx: Ctx, code: str, name: str, as_json: bool) -> None:
    """Save a taste CODE (from `studiolo taste export`) as your profile NAME.

    \b
    Example:
      studiolo taste import stv1-AQEAGWAvPg... --name friend
    """
    from studiolo.capabilities.taste.codes import import_code

    profile = import_code(ctx.studio, code, name)
    if as_json:
        emit_json(profile_dict(profile))
        return
    click.echo(f"Saved {profile.name} version {profile.version}: {profile.describe()}.")
