"""The Studio's exhibition verbs: make one from a theme, read it, export it as a static site.

Mixed into `Studio`. The work is in `studiolo.capabilities.curate`; this file only joins it
to the studio's catalog, files and person, so the CLI and the web call the same thing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from studiolo.core.progress import ProgressCallback, no_progress


class CurateVerbs:
    """Mixed into `Studio`; needs `catalog`, `files`, `settings` and `get` from it."""

    catalog: Any
    files: Any
    settings: Any
    get: Any

    def make_exhibition(
        self,
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

        person = person or self.settings.person
        candidates = self.catalog.visible_artworks(person, public_only=public)
        plan = plan_exhibition(theme, candidates, self._artwork_image, title=title,
                               max_works=max_works, max_rooms=max_rooms, progress=progress)
        return self.catalog.add_exhibition(person, plan.title, plan.theme, plan.rooms,
                                           is_public=public)

    def list_exhibitions(self, *, person: str | None = None, limit: int = 100) -> list[Any]:
        """The exhibitions `person` may see (theirs and public ones), newest first."""
        return self.catalog.list_exhibitions(viewer=person or self.settings.person, limit=limit)

    def exhibition_view(self, exhibition_id: int | str, *, person: str | None = None) -> Any:
        """An exhibition with its introduction, room texts and every work's label."""
        from studiolo.capabilities.curate.make import view

        viewer = person or self.settings.person
        return view(self.catalog.get_exhibition(exhibition_id, viewer=viewer), self.get)

    def shared_exhibition_view(self, token: str) -> Any:
        """The public exhibition a share link's token names, as `exhibition_view`."""
        from studiolo.capabilities.curate.make import view

        return view(self.catalog.exhibition_by_token(token), self.get)

    def export_exhibition(
        self,
        exhibition_id: int | str,
        folder: str | os.PathLike[str],
        *,
        force: bool = False,
        person: str | None = None,
    ) -> Path:
        """Write the exhibition as a static site into `folder`; return the path of index.html."""
        from studiolo.capabilities.curate.export import check_target, export_site

        target = check_target(folder, home=self.settings.home, files_dir=self.settings.files_dir,
                              force=force)
        shown = self.exhibition_view(exhibition_id, person=person)
        export_site(shown, target, self._artwork_image)
        return target.resolve() / "index.html"

    def delete_exhibition(self, exhibition_id: int | str, *, person: str | None = None) -> None:
        """Remove an exhibition (not its works); only its owner may."""
        from studiolo.core.errors import InvalidArgument

        person = person or self.settings.person
        exhibition = self.catalog.get_exhibition(exhibition_id, viewer=person)
        if exhibition.owner != person:
            raise InvalidArgument(
                f"Exhibition {exhibition.id} belongs to {exhibition.owner}; only they can delete it."
            )
        self.catalog.delete_exhibition(exhibition.id)

    def _artwork_image(self, artwork_id: str) -> Any:
        from studiolo.core.imageio import open_image

        return open_image(self.files.path(artwork_id))
