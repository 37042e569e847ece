"""The Studio's exhibition verbs: make one from a theme, read it, export it as a static site.

Mixed into `Studio`. The work is in `studiolo.capabilities.curate`; this file only joins it
to the studio's catalog, files and person, so the CLI and the web call the same thing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from studiolo.core.maker import Maker
from studiolo.core.progress import ProgressCallback, no_progress


def make_exhibition(
    studio: Maker,
    theme: str,
    *,
    title: str | None = None,
    max_works: int = 24,
    max_rooms: int = 3,
    public: bool = False,
    person: str | None = None,
    progress: ProgressCallback = no_progress,
) -> Any:
    """Choose works for `theme` among those `person` may show, hang them in rooms, store it.

    A public exhibition uses public works only, so its link shows nothing private.
    Returns the stored `studiolo.catalog.exhibitions.Exhibition`.
    """
    from studiolo.capabilities.curate.make import plan_exhibition

    person = person or studio.settings.person
    candidates = studio.catalog.visible_artworks(person, public_only=public)
    plan = plan_exhibition(theme, candidates, studio.image,
                           title=title, max_works=max_works, max_rooms=max_rooms,
                           progress=progress)
    return studio.catalog.add_exhibition(person, plan.title, plan.theme, plan.rooms,
                                       is_public=public)


def list_exhibitions(
    studio: Maker,
    *, person: str | None = None, limit: int = 100) -> list[Any]:
    """The exhibitions `person` may see (theirs and public ones), newest first."""
    return studio.catalog.list_exhibitions(viewer=person or studio.settings.person, limit=limit)


def exhibition_view(
    studio: Maker,
    exhibition_id: int | str, *, person: str | None = None) -> Any:
    """An exhibition with its introduction, room texts and every work's label."""
    from studiolo.capabilities.curate.make import view

    viewer = person or studio.settings.person
    return view(studio.catalog.get_exhibition(exhibition_id, viewer=viewer), studio.get)


def shared_exhibition_view(
    studio: Maker,
    token: str) -> Any:
    """The public exhibition a share link's token names, as `exhibition_view`."""
    from studiolo.capabilities.curate.make import view

    return view(studio.catalog.exhibition_by_token(token), studio.get)


def export_exhibition(
    studio: Maker,
    exhibition_id: int | str,
    folder: str | os.PathLike[str],
    *,
    force: bool = False,
    person: str | None = None,
    include_private: bool = False,
) -> Path:
    """Write the exhibition as a static site into `folder`; return the path of index.html.

    A site is made to be put where others read it, so it shows what the share link shows:
    no private work (nor a room name drawn from one). `include_private`: the person's own
    private works too, as they see the exhibition themselves.
    """
    from studiolo.capabilities.curate.export import check_target, export_site
    from studiolo.capabilities.curate.make import view
    from studiolo.core.errors import InvalidArgument

    viewer = person or studio.settings.person
    exhibition = studio.catalog.get_exhibition(exhibition_id, viewer=viewer)
    if not include_private:
        exhibition = studio.catalog.shown_publicly(exhibition)
        if not exhibition.artwork_ids:
            raise InvalidArgument(
                f"Exhibition {exhibition.id} has no public works to export (all are private); "
                "make some public, or export with include_private (--include-private) to put "
                "your private works in the site too."
            )
    target = check_target(folder, home=studio.settings.home, files_dir=studio.settings.files_dir,
                          force=force)
    shown = view(exhibition, studio.get)
    export_site(shown, target, studio.image)
    return target.resolve() / "index.html"


def delete_exhibition(
    studio: Maker,
    exhibition_id: int | str, *, person: str | None = None) -> None:
    """Remove an exhibition (not its works); only its owner may."""
    from studiolo.core.errors import InvalidArgument

    person = person or studio.settings.person
    exhibition = studio.catalog.get_exhibition(exhibition_id, viewer=person)
    if exhibition.owner != person:
        raise InvalidArgument(
            f"Exhibition {exhibition.id} belongs to {exhibition.owner}; only they can delete it."
        )
    studio.catalog.delete_exhibition(exhibition.id)
