"""Exhibitions in the web studio: the REST routes (/api/exhibitions...) and their pages.

Everything calls the Studio's exhibition verbs (studio_curate.py); the pages
read through the same functions as the API. Making one is a job (choosing,
grouping and hanging take seconds); its events end with `page`, the new
exhibition's page. A public exhibition is shown without a login at
`/shared/{token}`, with only its public works (the catalog leaves private ones
out, and the rooms are named again from what remains), and their images come from
`/shared/{token}/images/{id}` so nothing else of the studio opens without a login.
Other members see the same of someone's exhibition: no private work, no cover or
count or room name drawn from one. Export writes the static site (what the share
link shows, unless `include_private`) into a fresh temporary folder on the server
and sends it as a .zip; no path is ever taken from the request.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from studiolo.core.errors import InvalidArgument, UnknownName
from studiolo.web import work
from studiolo.web.api import IMMUTABLE, job_json
from studiolo.web.auth import CurrentViewer, Viewer
from studiolo.web.uploads import thumbnail

api = APIRouter(prefix="/api/exhibitions", tags=["exhibitions"])
shared_api = APIRouter(prefix="/api/shared", tags=["exhibitions"])
pages = APIRouter(include_in_schema=False)
IMAGE_SIZE = 512
LIST_LIMIT = 100


class MakeRequest(BaseModel):
    """What the Exhibitions page (or a script) asks for."""

    theme: str = Field(min_length=1, max_length=500,
                       description="Words the works should fit: titles, prompts, tags, artists.")
    title: str | None = Field(None, max_length=200, description="None: the theme.")
    max_works: int = Field(24, ge=1, le=200)
    max_rooms: int = Field(3, ge=1, le=12)
    public: bool = Field(False, description="Shareable by link; then only public works are chosen.")


class PublicRequest(BaseModel):
    public: bool


# -- shapes ---------------------------------------------------------------------------
def summary_json(exhibition: Any, viewer: str) -> dict[str, Any]:
    """One line of the list: no texts, just what a card shows."""
    mine = exhibition.owner == viewer
    return {
        "id": exhibition.id, "title": exhibition.title, "theme": exhibition.theme,
        "owner": exhibition.owner, "created": exhibition.created.isoformat(),
        "is_public": exhibition.is_public, "mine": mine,
        "rooms": len(exhibition.rooms), "works": len(exhibition.artwork_ids),
        "cover": (f"/api/artworks/{exhibition.artwork_ids[0]}/thumbnail"
                  if exhibition.artwork_ids else None),
        "urls": _urls(exhibition, mine),
    }


def _urls(exhibition: Any, mine: bool) -> dict[str, str | None]:
    shared = f"/shared/{exhibition.share_token}" if exhibition.is_public else None
    return {"page": f"/exhibitions/{exhibition.id}", "api": f"/api/exhibitions/{exhibition.id}",
            "export": f"/api/exhibitions/{exhibition.id}/export" if mine else None,
            "shared": shared}


def view_json(shown: Any, viewer: str | None, image_url: Any) -> dict[str, Any]:
    """The exhibition view (introduction, rooms, labels) with each work's image URL."""
    data = shown.to_dict()
    ex = shown.exhibition
    mine = viewer is not None and ex.owner == viewer
    if not mine:
        data.pop("share_token", None)  # the link is the owner's to hand out
    data["mine"] = mine
    data["urls"] = _urls(ex, mine) if viewer is not None else {"shared": f"/shared/{ex.share_token}"}
    for room in data["rooms"]:
        for work_ in room["works"]:
            work_["image"] = image_url(work_["artwork_id"])
            work_["page"] = f"/artwork/{work_['artwork_id']}" if viewer is not None else None
    return data


def _logged_in_image(artwork_id: str) -> str:
    return f"/api/artworks/{artwork_id}/thumbnail?size={IMAGE_SIZE}"


def _shared_image(token: str) -> Any:
    return lambda artwork_id: f"/shared/{token}/images/{artwork_id}"


def shown_to(request: Request, viewer: Viewer, exhibition_id: str) -> Any:
    return request.app.state.studio.exhibition_view(exhibition_id, person=viewer.name)


def own(request: Request, viewer: Viewer, exhibition_id: str) -> Any:
    """The viewer's own exhibition; someone else's public one is refused, a private one unknown."""
    catalog = request.app.state.studio.catalog
    exhibition = catalog.get_exhibition(exhibition_id, viewer=viewer.name)
    if exhibition.owner != viewer.name:
        raise InvalidArgument(f"Exhibition {exhibition.id} belongs to {exhibition.owner}; "
                              "only they can change, export or delete it.")
    return exhibition


def shared_count(request: Request, exhibition: Any) -> int | None:
    """How many works the share link shows (private works are left out), None if not public."""
    if not exhibition.is_public:
        return None
    catalog = request.app.state.studio.catalog
    return len(catalog.exhibition_by_token(exhibition.share_token).artwork_ids)


# -- REST -------------------------------------------------------------------------------
@api.get("", summary="Your exhibitions and the public ones, newest first")
def list_exhibitions(request: Request, viewer: CurrentViewer) -> list[dict[str, Any]]:
    found = request.app.state.studio.list_exhibitions(person=viewer.name, limit=LIST_LIMIT)
    return [summary_json(e, viewer.name) for e in found]


@api.post("", status_code=202, summary="Make an exhibition from a theme (a job; follow its events)")
def make(request: Request, viewer: CurrentViewer, body: MakeRequest) -> dict[str, Any]:
    if not body.theme.strip():
        raise InvalidArgument("`theme` is empty: say what the works should be about.")
    if body.title is not None and not body.title.strip():
        body.title = None

    job = work.submit(request.app.state.studio, request.app.state.hub, viewer.name,
                      "exhibition", body.model_dump())
    return job_json(job)


@api.get("/{exhibition_id}", summary="One exhibition: introduction, rooms in order, wall texts")
def get_exhibition(request: Request, viewer: CurrentViewer, exhibition_id: str) -> dict[str, Any]:
    return view_json(shown_to(request, viewer, exhibition_id), viewer.name, _logged_in_image)


@api.put("/{exhibition_id}/public", summary="Share by link (public) or keep to yourself")
def set_public(request: Request, viewer: CurrentViewer, exhibition_id: str,
               body: PublicRequest) -> dict[str, Any]:
    exhibition = own(request, viewer, exhibition_id)
    changed = request.app.state.studio.catalog.set_exhibition_public(exhibition.id, body.public)
    return {**summary_json(changed, viewer.name), "shared_works": shared_count(request, changed)}


@api.delete("/{exhibition_id}", summary="Delete an exhibition (its works stay)")
def delete(request: Request, viewer: CurrentViewer, exhibition_id: str) -> dict[str, Any]:
    exhibition = own(request, viewer, exhibition_id)
    request.app.state.studio.delete_exhibition(exhibition.id, person=viewer.name)
    return {"id": exhibition.id, "deleted": True}


@api.get("/{exhibition_id}/export", response_class=FileResponse,
         summary="Download the exhibition as a static site (.zip: index.html, rooms, images)")
def export(request: Request, viewer: CurrentViewer, exhibition_id: str,
           include_private: bool = False) -> FileResponse:
    """The site shows what the share link shows; `include_private`: your private works too."""
    exhibition = own(request, viewer, exhibition_id)
    scratch = Path(tempfile.mkdtemp(prefix="studiolo-export-"))
    try:
        name = f"exhibition-{exhibition.id}-{slug(exhibition.title)}"
        index = request.app.state.studio.export_exhibition(
            exhibition.id, scratch / name, person=viewer.name, include_private=include_private)
        archive = scratch / f"{name}.zip"
        zip_folder(index.parent, archive)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return FileResponse(archive, media_type="application/zip", filename=archive.name,
                        background=BackgroundTask(shutil.rmtree, scratch, ignore_errors=True))


def slug(title: str, limit: int = 40) -> str:
    """A file-name-safe form of a title (ASCII letters, digits, dashes)."""
    text = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return text[:limit].rstrip("-") or "untitled"


def zip_folder(folder: Path, archive: Path) -> None:
    """Zip `folder` (files only, no links) with its name as the one top folder inside."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                out.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")


@shared_api.get("/{token}", summary="A public exhibition by its share token (no login)")
def shared(request: Request, token: str) -> dict[str, Any]:
    shown = request.app.state.studio.shared_exhibition_view(token)
    return view_json(shown, None, _shared_image(token))


# -- pages ------------------------------------------------------------------------------
def _render(request: Request, name: str, viewer: Viewer | None, **context: Any) -> Response:
    context.update(viewer=viewer, nav="exhibitions", title="Exhibitions")
    return request.app.state.templates.TemplateResponse(request, name, context)


@pages.get("/exhibitions")
def exhibitions_page(request: Request, viewer: CurrentViewer) -> Response:
    return _render(request, "exhibitions.html", viewer,
                   exhibitions=list_exhibitions(request, viewer))


@pages.get("/exhibitions/{exhibition_id}")
def exhibition_page(request: Request, viewer: CurrentViewer, exhibition_id: str) -> Response:
    shown = shown_to(request, viewer, exhibition_id)
    data = view_json(shown, viewer.name, _logged_in_image)
    count = shared_count(request, shown.exhibition) if data["mine"] else None
    return _render(request, "exhibition.html", viewer, ex=data, shared_works=count)


@pages.get("/shared/{token}")
def shared_page(request: Request, token: str) -> Response:
    from studiolo.web.auth import viewer_of

    return _render(request, "exhibition.html", viewer_of(request),
                   ex=shared(request, token), shared_works=None, public_view=True)


@pages.get("/shared/{token}/images/{artwork_id}")
def shared_image(request: Request, token: str, artwork_id: str) -> FileResponse:
    studio = request.app.state.studio
    if artwork_id not in studio.catalog.exhibition_by_token(token).artwork_ids:
        raise UnknownName("artwork", artwork_id)  # not in this exhibition, or private
    path = thumbnail(studio, artwork_id, IMAGE_SIZE)
    return FileResponse(path, media_type="image/webp", headers=IMMUTABLE)
