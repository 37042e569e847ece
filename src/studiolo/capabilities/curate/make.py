"""Make an exhibition: choose works, group them into rooms, hang each room, write the texts.

1. Choose by the theme (`choose.py`).
2. Group into rooms on the joined text and image vectors, name each (`rooms.py`).
3. Hang each room as a short tour through its image vectors (`flow.py`).
The result is an `ExhibitionRoom` list the catalog stores; `view` turns a
stored exhibition into what a page shows: the texts and every work's label.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from studiolo.capabilities.curate.choose import Selection, check_count, check_theme, choose_works
from studiolo.capabilities.curate.flow import path_length, random_tour_length, visual_tour
from studiolo.capabilities.curate.rooms import MAX_ROOMS, group_rooms, joint_vectors, name_rooms
from studiolo.capabilities.curate.walltext import WallText, introduction, room_text, wall_text
from studiolo.catalog.exhibitions import Exhibition, ExhibitionRoom
from studiolo.core.errors import InvalidArgument
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork

MAX_TITLE = 200


@dataclass(frozen=True)
class Plan:
    """What to store: the title, the cleaned theme and the rooms, with the selection behind them."""

    title: str
    theme: str
    rooms: tuple[ExhibitionRoom, ...]
    selection: Selection


def default_title(theme: str) -> str:
    return (theme[0].upper() + theme[1:])[:MAX_TITLE]


def plan_exhibition(
    theme: str,
    candidates: Sequence[tuple[Artwork, Sequence[str]]],
    load_image: Callable[[str], Any],
    *,
    title: str | None = None,
    max_works: int = 24,
    max_rooms: int = 3,
    progress: ProgressCallback = no_progress,
) -> Plan:
    """Choose, group and hang the works of `candidates` ((artwork, tags) pairs) for `theme`."""
    # 1. Check inputs.
    theme = check_theme(theme)
    max_rooms = check_count("max_rooms", max_rooms, MAX_ROOMS)
    if title is not None and (not isinstance(title, str) or not title.strip()
                              or len(title) > MAX_TITLE):
        raise InvalidArgument(
            f"`title` must be text of 1 to {MAX_TITLE} characters, got {title!r}."
        )
    # 2. Choose.
    progress({"stage": "curate", "step": 0, "total": 3, "message": "choosing works"})
    selection = choose_works(theme, candidates, load_image, max_works=max_works)
    # 3. Group into rooms and name them.
    progress({"stage": "curate", "step": 1, "total": 3, "message": "grouping rooms"})
    groups = group_rooms(joint_vectors(selection.text_vectors, selection.image_vectors), max_rooms)
    names = name_rooms([[selection.works[i].artwork for i in group] for group in groups], theme)
    # 4. Hang each room as a short walk through how the works look.
    progress({"stage": "curate", "step": 2, "total": 3, "message": "hanging rooms"})
    rooms = []
    for name, group in zip(names, groups):
        looks = selection.image_vectors[group]
        order = visual_tour(looks)
        works = [selection.works[group[i]] for i in order]
        rooms.append(ExhibitionRoom(
            name=name,
            artwork_ids=tuple(str(w.artwork.id) for w in works),
            scores=tuple(w.score for w in works),
            tour_length=round(path_length(looks, order), 4),
            random_length=round(random_tour_length(looks), 4),
        ))
    progress({"stage": "curate", "step": 3, "total": 3, "message": "done"})
    return Plan(title=(title or default_title(theme)).strip(), theme=theme, rooms=tuple(rooms),
                selection=selection)


@dataclass(frozen=True)
class RoomView:
    name: str
    text: str
    works: tuple[tuple[Artwork, WallText], ...]
    tour_length: float | None
    random_length: float | None


@dataclass(frozen=True)
class ExhibitionView:
    """A stored exhibition with everything a page shows: introduction, room texts, labels."""

    exhibition: Exhibition
    introduction: str
    rooms: tuple[RoomView, ...]

    def to_dict(self) -> dict[str, Any]:
        data = self.exhibition.to_dict()
        data["introduction"] = self.introduction
        data["rooms"] = [
            {"name": r.name, "text": r.text, "tour_length": r.tour_length,
             "random_length": r.random_length,
             "works": [{**label.to_dict(), "width": a.width, "height": a.height}
                       for a, label in r.works]}
            for r in self.rooms
        ]
        return data


def view(exhibition: Exhibition, get_artwork: Callable[[str], Artwork]) -> ExhibitionView:
    """The texts of a stored exhibition, written now from its works' recipes and credits.

    When works hidden from the viewer were left out (`exhibition.left_out`), the rooms are
    named again from the works that remain: the stored names were drawn from every work's
    prompt, and a private work's words must not name a room someone else reads.
    """
    works_of = [[get_artwork(a) for a in room.artwork_ids] for room in exhibition.rooms]
    names = [r.name for r in exhibition.rooms]
    if exhibition.left_out:
        names = name_rooms(works_of, exhibition.theme)
        exhibition = dataclasses.replace(exhibition, rooms=tuple(
            dataclasses.replace(r, name=n) for r, n in zip(exhibition.rooms, names, strict=True)))
    rooms = []
    for room, name, works in zip(exhibition.rooms, names, works_of, strict=True):
        rooms.append(RoomView(
            name=name, text=room_text(works),
            works=tuple((a, wall_text(a)) for a in works),
            tour_length=room.tour_length, random_length=room.random_length,
        ))
    intro = introduction(exhibition.title, exhibition.theme, exhibition.owner,
                         [(r.name, [a for a, _ in r.works]) for r in rooms])
    return ExhibitionView(exhibition=exhibition, introduction=intro, rooms=tuple(rooms))
