"""Wall texts, room texts and the introduction: templated prose from recipes and credits.

No language model: every sentence is a template filled from what the catalog
knows, so each word on the wall can be traced to a recipe field or a credit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from studiolo.capabilities.curate.features import clean_prompt
from studiolo.core.types import Artwork
from studiolo.provenance.ledger import credit_sentence

MAX_TITLE = 80


@dataclass(frozen=True)
class WallText:
    """The label beside one work."""

    artwork_id: str
    title: str
    credit: str  # the ledger's credit sentence, shown with every image
    made_with: str  # engine, model, style
    date: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def and_list(items: Sequence[str]) -> str:
    items = list(dict.fromkeys(items))
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _shorten(text: str, limit: int = MAX_TITLE) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


def _style_names(options: dict[str, Any]) -> list[str]:
    names = []
    for entry in options.get("styles") or []:
        if isinstance(entry, dict):
            names.append(str(entry.get("title") or entry.get("name") or ""))
        elif isinstance(entry, str):
            names.append(entry)
    if isinstance(options.get("style"), str):
        names.append(options["style"])
    return [n for n in names if n]


def title_for(artwork: Artwork) -> str:
    """The work's title; else its prompt's first phrase; else what was done to it."""
    if artwork.title and artwork.title.strip():
        return _shorten(artwork.title.strip())
    prompt = clean_prompt(artwork.recipe.prompt).split(",")[0].strip(" .")
    if prompt:
        return _shorten(prompt[0].upper() + prompt[1:])
    styles = _style_names(artwork.recipe.options or {})
    if styles:
        return _shorten(f"After {and_list(styles)}")
    return "Untitled"


def made_with(artwork: Artwork) -> str:
    """"painter engine, style The Raft of the Medusa (Théodore Géricault, 1818-1819)"."""
    recipe = artwork.recipe
    parts = [f"{recipe.engine} engine" + ("" if recipe.mode == "txt2img" else f" ({recipe.mode})")]
    if recipe.model:
        parts.append(f"model {recipe.model}")
    chosen = (recipe.options or {}).get("style_chosen")
    if isinstance(chosen, dict) and chosen.get("title"):
        about = ", ".join(str(chosen[k]) for k in ("artist", "year") if chosen.get(k))
        parts.append(f"style {chosen['title']}" + (f" ({about})" if about else ""))
    elif _style_names(recipe.options or {}):
        parts.append(f"style {and_list(_style_names(recipe.options or {}))}")
    parts.append(f"seed {recipe.seed}")
    return ", ".join(parts)


def format_date(when: datetime | None) -> str:
    return f"{when.day} {when:%B %Y}" if when else "date unknown"


def wall_text(artwork: Artwork) -> WallText:
    return WallText(
        artwork_id=str(artwork.id),
        title=title_for(artwork),
        credit=credit_sentence(artwork.credits, artwork.recipe),
        made_with=made_with(artwork),
        date=format_date(artwork.created),
    )


def _sources(works: Sequence[Artwork]) -> list[str]:
    """Artists whose manner the works borrow, most used first."""
    counts: Counter[str] = Counter()
    for w in works:
        counts.update(list(dict.fromkeys(c.name for c in w.credits if c.kind == "artist")))
    return [name for name, _ in counts.most_common(4)]


def _span(works: Sequence[Artwork]) -> str:
    dates = sorted(w.created for w in works if w.created)
    if not dates:
        return ""
    first, last = format_date(dates[0]), format_date(dates[-1])
    return f", made on {first}" if first == last else f", made between {first} and {last}"


def room_text(works: Sequence[Artwork]) -> str:
    """The text at a room's door (under its name): what it holds, how the walk goes, whose
    manner it borrows."""
    if not works:
        return "This room is empty now: its works have left the catalog."
    count = "One work" if len(works) == 1 else f"{len(works)} works"
    text = f"{count}{_span(works)}."
    if len(works) > 1:
        text += (f" The walk begins with “{title_for(works[0])}” and ends with "
                 f"“{title_for(works[-1])}”; each work hangs beside the one it most resembles.")
    sources = _sources(works)
    if sources:
        text += f" The brushwork is borrowed from {and_list(sources)}."
    return text


def introduction(title: str, theme: str, owner: str | None,
                 rooms: Sequence[tuple[str, Sequence[Artwork]]]) -> str:
    """The exhibition's opening text, assembled from its rooms."""
    works = [w for _, room in rooms for w in room]
    count = "one work" if len(works) == 1 else f"{len(works)} works"
    whose = f"the studio of {owner}" if owner else "this studio"
    text = f"“{title}” brings together {count} from {whose}, chosen for the theme “{theme}”."
    names = [name for name, _ in rooms]
    if len(names) > 1:
        text += f" They hang in {len(names)} rooms: {and_list(names)}."
    sources = _sources(works)
    if sources:
        text += f" Along the way they borrow the manner of {and_list(sources)}."
    text += (" Every label says who and what made the work: the person who wrote the prompt, "
             "the models, and the paintings whose style was used.")
    return text
