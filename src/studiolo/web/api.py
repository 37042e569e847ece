"""The REST API (under /api): the one the pages use, described at /docs and /openapi.json.

Every route needs a logged-in session; writes need its CSRF token in the
`X-CSRF-Token` header (GET /api/me gives it). Long work answers 202 with a
job; follow it at /api/jobs/{id}/events (server-sent events).
"""

from __future__ import annotations

import dataclasses
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from studiolo.catalog import accounts, visibility
from studiolo.catalog import uploads as uploads_of
from studiolo.catalog.boards import board_id_arg
from studiolo.core.errors import InvalidArgument, UnknownName
from studiolo.core.types import Artwork, Job
from studiolo.features.styles import get_style
from studiolo.provenance.infotext import recipe_to_infotext
from studiolo.provenance.ledger import credit_sentence
from studiolo.provenance.verify import summary_lines
from studiolo.web import work
from studiolo.web.auth import CurrentViewer, Viewer
from studiolo.web.parts import WebParts
from studiolo.web.sse import router as events_router
from studiolo.web.uploads import read_upload, store_upload, thumbnail, upload_path

router = APIRouter(prefix="/api", tags=["studio"])
router.include_router(events_router)
IMMUTABLE = {"Cache-Control": "private, max-age=31536000, immutable"}


class PrivateRequest(BaseModel):
    private: bool


def artwork_json(artwork: Artwork, private: bool | None = None) -> dict[str, Any]:
    recipe = artwork.recipe
    return {
        "id": artwork.id, "owner": artwork.owner, "title": artwork.title,
        "created": artwork.created.isoformat() if artwork.created else None,
        "width": artwork.width, "height": artwork.height, "prompt": recipe.prompt,
        "engine": recipe.engine, "mode": recipe.mode, "seed": recipe.seed,
        "private": private, "parents": list(artwork.parents), "recipe": recipe.to_dict(),
        "credits": [c.__dict__ for c in artwork.credits],
        "urls": {"page": f"/artwork/{artwork.id}", "file": f"/api/artworks/{artwork.id}/file",
                 "thumbnail": f"/api/artworks/{artwork.id}/thumbnail"},
    }


def summary_json(item: visibility.Summary) -> dict[str, Any]:
    """A gallery tile or search hit: no recipe or credits (GET /api/artworks/{id} has them)."""
    return {
        "id": item.id, "owner": item.owner, "title": item.title,
        "created": item.created.isoformat() if item.created else None,
        "width": item.width, "height": item.height, "prompt": item.prompt,
        "engine": item.engine, "mode": item.mode, "private": item.private,
        "urls": {"page": f"/artwork/{item.id}", "file": f"/api/artworks/{item.id}/file",
                 "thumbnail": f"/api/artworks/{item.id}/thumbnail"},
    }


async def gallery_of(catalog: Any, viewer: str, *, limit: int = 40, offset: int = 0,
                     **filters: Any) -> tuple[list[visibility.Summary], int, bool]:
    """`visibility.gallery`, answered on the event loop when its count is remembered (about a
    millisecond of statements built once: cheaper than a thread hand-off, and no threads
    waiting on each other for the GIL), else in a worker thread: counting reads up to
    COUNT_CAP matches, which SQLite does without the GIL, beside the loop's other work."""
    run = partial(visibility.gallery, catalog, viewer, limit=limit, offset=offset, **filters)
    if visibility.count_remembered(catalog, viewer, **filters):
        return run()
    return await run_in_threadpool(run)


def page_json(items: list[visibility.Summary], total: int, capped: bool, limit: int,
              offset: int) -> dict[str, Any]:
    """A page of a gallery listing: the summaries, the (capped) total, where the next starts."""
    following = offset + len(items)
    more = following < total or (capped and len(items) == limit)
    return {"items": [summary_json(a) for a in items], "total": total, "total_capped": capped,
            "offset": offset, "next_offset": following if more else None}


def job_json(job: Job) -> dict[str, Any]:
    return {
        "id": job.id, "kind": job.kind, "status": job.status, "progress": job.progress,
        "result_ids": list(job.result_ids), "error": job.error, "request": job.request,
        "created": job.created.isoformat() if job.created else None,
        "events": f"/api/jobs/{job.id}/events",
    }


def visible_artwork(request: Request, viewer: Viewer, artwork_id: str) -> visibility.VisibleArtwork:
    """The artwork (with its file's path) if this viewer may see it; otherwise 404, as if it
    did not exist."""
    studio = request.app.state.studio
    found = visibility.visible_artwork(studio.catalog, artwork_id, viewer.name)
    path = studio.files.path(str(found.artwork.id), ext=found.ext)
    # A parent hidden from this viewer (someone's private work) is not named to them.
    parents = tuple(visibility.visible_among(studio.catalog, found.artwork.parents, viewer.name))
    return dataclasses.replace(found, artwork=found.artwork.replace(path=path, parents=parents))


def visible(request: Request, viewer: Viewer, artwork_id: str) -> Artwork:
    return visible_artwork(request, viewer, artwork_id).artwork


def visible_path(request: Request, viewer: Viewer, artwork_id: str) -> tuple[str, Path]:
    """(full id, file path) of an artwork this viewer may see, without reading its recipe."""
    studio = request.app.state.studio
    sha, ext = visibility.visible_file(studio.catalog, artwork_id, viewer.name)
    return sha, studio.files.path(sha, ext=ext)


def own_job(request: Request, viewer: Viewer, job_id: str) -> Job:
    catalog = request.app.state.studio.catalog
    if accounts.job_owner(catalog, job_id) != viewer.name:
        raise UnknownName("job", job_id)
    return catalog.get_job(job_id)


@router.get("/me", summary="Who is logged in, and the CSRF token for writes")
def me(viewer: CurrentViewer) -> dict[str, Any]:
    return {"name": viewer.name, "role": viewer.user.role, "csrf": viewer.csrf}


@router.get("/engines", summary="Engines and what each can do")
def engines(request: Request, viewer: CurrentViewer) -> list[dict[str, Any]]:
    registry = request.app.state.studio.engines
    return [{"id": i, "capabilities": sorted(registry.get(i).capabilities)} for i in registry.ids()]


@router.get("/styles", summary="Built-in styles for the painter, restyle and portraits")
def styles(viewer: CurrentViewer) -> list[dict[str, Any]]:
    from studiolo.features.styles import list_styles

    return [{"id": s.id, "title": s.title, "artist": s.artist, "year": s.year, "kind": s.kind}
            for s in list_styles()]


@router.post("/uploads", status_code=201, summary="Upload an input image (kept by content hash)")
async def upload(request: Request, viewer: CurrentViewer,
                 file: Annotated[UploadFile, File(description="PNG, JPEG, WebP, GIF, BMP or TIFF")]
                 ) -> dict[str, Any]:
    data = await read_upload(file, request.app.state.upload_limit)
    return await run_in_threadpool(store_upload, request.app.state.studio, data, viewer.name)


@router.post("/create", status_code=202, summary="Make artworks (a job; follow its events)")
def create(request: Request, viewer: CurrentViewer, body: work.CreateRequest) -> dict[str, Any]:
    studio = request.app.state.studio
    image, private = None, body.private
    if body.image is not None:
        if studio.catalog.has_artwork(body.image):
            # Made from a private work, the new work is private too: its pixels carry it.
            private = visibility.visible_artwork(studio.catalog, body.image, viewer.name
                                                 ).private or private
        elif not uploads_of.owns(studio.catalog, body.image, viewer.name):
            raise UnknownName("upload", body.image[:12] + "…")  # someone else's, or none
        image = upload_path(studio, body.image)
    if body.style:
        get_style(body.style)
    if body.mode == "txt2img" and not body.prompt.strip():
        raise InvalidArgument("`prompt` is empty: describe the picture to make.")
    job = work.submit(studio, request.app.state.hub, viewer.name, "create",
                      body.model_dump(), work.make_create(body, image, request.app.state.parts), private=private)
    return job_json(job)


@router.get("/jobs", summary="Your jobs, newest first")
def jobs(request: Request, viewer: CurrentViewer,
         limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict[str, Any]]:
    catalog = request.app.state.studio.catalog
    return [job_json(j) for j in catalog.list_jobs(limit=limit, owner=viewer.name)]


@router.get("/jobs/{job_id}", summary="One job: status, progress, results or error")
def job(request: Request, viewer: CurrentViewer, job_id: str) -> dict[str, Any]:
    data = job_json(own_job(request, viewer, job_id))
    state = request.app.state.hub.snapshot(job_id)
    data["page"] = state.page if state else None  # e.g. the exhibition a job made
    return data


@router.get("/artworks", summary="Search the gallery (newest first, paged; summaries: the "
            "recipe and credits of one are at /api/artworks/{id})")
async def artworks(  # async: see gallery_of
    request: Request, viewer: CurrentViewer,
    q: Annotated[str | None, Query(max_length=200, description="In prompt or title")] = None,
    credit: Annotated[str | None, Query(max_length=200, description="A credited name")] = None,
    tag: Annotated[str | None, Query(max_length=100)] = None,
    engine: Annotated[str | None, Query(max_length=100)] = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    board: Annotated[str | None, Query(max_length=20, description="One of your boards' ids "
                                       "(GET /api/boards); its works, newest added first")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 40,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    catalog = request.app.state.studio.catalog
    board_id = board_id_arg(board)
    if board_id is not None:
        catalog.board_of(board_id, viewer.name)  # the viewer's own, or 404
    items, total, capped = await gallery_of(
        catalog, viewer.name, query=q or None, credit=credit or None, tag=tag or None,
        engine=engine or None, owner=owner or None, board=board_id, limit=limit, offset=offset)
    return page_json(items, total, capped, limit, offset)


@router.get("/artworks/{artwork_id}", summary="One artwork: recipe, credits, A1111 parameters")
def artwork(request: Request, viewer: CurrentViewer, artwork_id: str) -> dict[str, Any]:
    seen = visible_artwork(request, viewer, artwork_id)
    found = seen.artwork
    data = artwork_json(found, seen.private)
    data["parameters"] = recipe_to_infotext(found.recipe)
    data["credit_sentence"] = credit_sentence(found.credits, found.recipe)
    data["tags"] = list(seen.tags)
    return data


@router.get("/artworks/{artwork_id}/file", summary="The artwork's file, as stored")
def artwork_file(request: Request, viewer: CurrentViewer, artwork_id: str) -> FileResponse:
    _, path = visible_path(request, viewer, artwork_id)
    return FileResponse(path, media_type="image/png", headers=IMMUTABLE)


@router.get("/artworks/{artwork_id}/thumbnail", summary="A small WebP, cached on disk")
def artwork_thumbnail(request: Request, viewer: CurrentViewer, artwork_id: str,
                      size: int = 256) -> FileResponse:
    sha, _ = visible_path(request, viewer, artwork_id)
    path = thumbnail(request.app.state.studio, sha, size)
    return FileResponse(path, media_type="image/webp", headers=IMMUTABLE)


@router.get("/artworks/{artwork_id}/credits", summary="Who and what made it, with the sentence")
def credits(request: Request, viewer: CurrentViewer, artwork_id: str) -> dict[str, Any]:
    found = visible(request, viewer, artwork_id)
    return {"credits": [c.__dict__ for c in found.credits],
            "sentence": credit_sentence(found.credits, found.recipe)}


@router.get("/artworks/{artwork_id}/verify", summary="Check the file's content credentials")
def verify(request: Request, viewer: CurrentViewer, artwork_id: str) -> dict[str, Any]:
    found = visible(request, viewer, artwork_id)
    report = request.app.state.verified.report(request.app.state.studio, found)
    return {"status": report.status, "lines": summary_lines(report), "report": report.to_dict()}


@router.put("/artworks/{artwork_id}/private", summary="Make an artwork private or visible")
def set_private(request: Request, viewer: CurrentViewer, artwork_id: str,
                body: PrivateRequest) -> dict[str, Any]:
    found = visible(request, viewer, artwork_id)
    if found.owner != viewer.name:
        raise InvalidArgument(f"Artwork {found.id[:12]} belongs to {found.owner}; only they "
                              "can change who sees it.")
    visibility.set_private(request.app.state.studio.catalog, found.id, body.private)
    return {"id": found.id, "private": body.private}


def _action(request: Request, viewer: Viewer, artwork_id: str, name: str,
            body: work.ActionRequest) -> dict[str, Any]:
    action = request.app.state.parts.action(name)
    seen = visible_artwork(request, viewer, artwork_id)
    found = seen.artwork
    if body.style is not None:
        get_style(body.style)  # an unknown name is refused now, not later in the job
    # What is made from a private work is private too: its pixels carry the original's.
    job = work.submit(request.app.state.studio, request.app.state.hub, viewer.name, name,
                      {"artwork": found.id, "style": body.style},
                      work.make_action(action, found, body), private=body.private or seen.private)
    return job_json(job)


def add_action_routes(app: Any, parts: WebParts) -> None:
    """`POST /api/artworks/{id}/{action}` for each registered artwork action, each with its
    own summary in the API's description."""
    for action in parts.actions:
        app.add_api_route(f"/api/artworks/{{artwork_id}}/{action.name}", _endpoint(action.name),
                          methods=["POST"], status_code=202, summary=action.summary,
                          tags=["studio"], name=f"action_{action.name}")


def _endpoint(name: str) -> Any:
    def endpoint(request: Request, viewer: CurrentViewer, artwork_id: str,
                 body: work.ActionRequest | None = None) -> dict[str, Any]:
        return _action(request, viewer, artwork_id, name, body or work.ActionRequest())

    return endpoint


@router.get("/modes", summary="What the Create page can make, and what an artwork page can do")
def modes(request: Request, viewer: CurrentViewer) -> dict[str, Any]:
    parts = request.app.state.parts
    return {"modes": [{"name": m.name, "label": m.label, "needs_image": m.needs_image}
                      for m in parts.modes],
            "actions": [{"name": a.name, "label": a.label, "summary": a.summary,
                         "takes_style": a.takes_style} for a in parts.actions]}
