"""The `--taste` options of `paint` and `generate`, and what they print (logic: `studio_taste`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

from studiolo.cli.progress import err_console, warnings_shown


def taste_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add --taste, --candidates and --taste-search/--no-taste-search."""
    options = [
        click.option("--taste", metavar="NAME",
                     help="Make --candidates pictures and keep the one your taste profile NAME rates "
                          "highest (see `studiolo taste ls`)."),
        click.option("--candidates", type=click.IntRange(1, 64), metavar="N",
                     help="With --taste: how many pictures to make and choose from. [default: 8]"),
        click.option("--taste-search/--no-taste-search", "taste_search", default=None,
                     help="With --taste and the painter: first search its style blend, palette and "
                          "composition toward the taste. [default: on for the painter]"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@contextmanager
def taste_warnings() -> Iterator[None]:
    """Show TasteWarnings (a profile with few ratings) as one yellow line each."""
    from studiolo.core.errors import TasteWarning

    with warnings_shown(TasteWarning):
        yield


def report_taste(artworks: Sequence[Any]) -> None:
    """One line on how each kept artwork was chosen, and any suggested style words."""
    words: list[str] = []
    for artwork in artworks:
        note = artwork.recipe.options.get("taste")
        if not isinstance(note, dict) or "candidates" not in note:
            continue
        scores = note.get("scores") or [note["predicted"]]
        rank = "the best" if note["rank"] == 1 else f"number {note['rank']}"
        err_console.print(
            f"Kept {rank} of {note['candidates']} by taste {note['profile']!r}: predicted "
            f"{note['predicted']:.3f} (candidates {min(scores):.3f} to {max(scores):.3f}).",
            markup=False, highlight=False)
        search = note.get("search")
        if search and note["rank"] == 1:
            err_console.print(
                f"Searched {search['tried']} painter option sets ({', '.join(search['searched']) or 'none open'}): "
                f"{search['predicted']:.3f} at {search['work_size'][0]} px against "
                f"{search['predicted_default']:.3f} for the prompt's own choices.",
                style="dim", markup=False, highlight=False)
        words = note.get("style_words") or words
    if words:
        err_console.print(f"Your taste suggests these style words: {', '.join(words)}",
                          markup=False, highlight=False)
