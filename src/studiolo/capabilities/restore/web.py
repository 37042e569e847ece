"""The artwork page's Damage, Restore and Age actions, each result stored as a child artwork
and shown beside the artwork in a before/after slider (static/compare.js, the same slider as
the HTML report's, as a same-origin script since the site's CSP allows no inline script)."""

from __future__ import annotations

from importlib import resources
from typing import Any

from studiolo.core.progress import ProgressCallback
from studiolo.core.types import Artwork

SCRIPT = "/restore/static/compare.js"
STATIC = ("compare.js", "compare.css")
MEDIA = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
WEB_AGE_YEARS = 100.0  # the Age button shows a century under the default conditions


def _restore(studio: Any, artwork: Artwork, req: Any, progress: ProgressCallback) -> list[Artwork]:
    # The studio passed in acts as the viewer, and Studio.store keeps a private parent's
    # restoration private, so the child reaches no one the parent does not.
    return studio.restore(artwork.path, colour=True, progress=progress)


def _damage(studio: Any, artwork: Artwork, req: Any, progress: ProgressCallback) -> list[Artwork]:
    from .verbs import damage_map

    return damage_map(studio, artwork.path, progress=progress)


def _age(studio: Any, artwork: Artwork, req: Any, progress: ProgressCallback) -> list[Artwork]:
    from .verbs import age

    return age(studio, artwork.path, years=WEB_AGE_YEARS, progress=progress)


def actions() -> list[Any]:
    from studiolo.web.parts import ArtworkAction

    return [
        ArtworkAction("damage", "Damage", "Find cracks, scratches, losses, stains and tears, "
                      "drawn over the picture in one colour per kind", _damage, order=29,
                      script=SCRIPT),
        ArtworkAction("restore", "Restore", "Find the damage, fill it (auto: per hole by "
                      "its size) and recover faded or yellowed colour", _restore, order=30,
                      script=SCRIPT),
        ArtworkAction("age", "Age", f"How it will look after {WEB_AGE_YEARS:g} years at 150 lux, "
                      "8 hours a day, under dammar varnish (varnish yellowing, fading, "
                      "craquelure, dust)", _age, order=31, script=SCRIPT),
    ]


def router() -> Any:
    """GET /restore/static/{name}: the slider's script and style, from this folder."""
    from fastapi import APIRouter, HTTPException
    from fastapi.responses import Response

    routes = APIRouter()

    @routes.get("/restore/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in STATIC:
            raise HTTPException(status_code=404, detail=f"No restore file {name!r}.")
        text = (resources.files(__package__) / "static" / name).read_text("utf-8")
        return Response(text, media_type=MEDIA[name[name.rfind("."):]],
                        headers={"Cache-Control": "no-cache"})

    return routes
