"""Boards in the web studio: the REST routes (/api/boards...) and what the pages show of them.

A board is a person's own working set of artworks, private to them: someone
else's board id answers 404, as a missing one does (`Catalog.board_of`). Only
artworks the viewer may see go on a board; a work on it that its owner later
makes private drops out of the board's works (the gallery's visibility rule)
until made visible again. The Gallery filters by `?board=ID`; the Artwork
page adds to and removes from boards. Every write needs the CSRF token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from studiolo.catalog import visibility
from studiolo.catalog.boards import Collection
from studiolo.web.api import page_json
from studiolo.web.auth import CurrentViewer, Viewer

router = APIRouter(prefix="/api", tags=["boards"])


class BoardRequest(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="Unique among your boards.")


def board_json(board: Collection) -> dict[str, Any]:
    return {
        "id": board.id, "name": board.name, "owner": board.owner, "count": board.count,
        "created": board.created.isoformat(),
        "urls": {"gallery": f"/gallery?board={board.id}", "api": f"/api/boards/{board.id}",
                 "artworks": f"/api/boards/{board.id}/artworks"},
    }


def own_board(request: Request, viewer: Viewer, board_id: Any) -> Collection:
    """The viewer's board; 404 for anyone else's, as for a missing one."""
    return request.app.state.studio.catalog.board_of(board_id, viewer.name)


def my_boards(request: Request, viewer: Viewer) -> list[dict[str, Any]]:
    return [board_json(b) for b in request.app.state.studio.catalog.list_collections(viewer.name)]


def boards_with(request: Request, viewer: Viewer, artwork_id: str) -> list[dict[str, Any]]:
    catalog = request.app.state.studio.catalog
    return [board_json(b) for b in catalog.collections_with(artwork_id, viewer.name)]


@router.get("/boards", summary="Your boards, by name, with how many works each holds")
def list_boards(request: Request, viewer: CurrentViewer) -> list[dict[str, Any]]:
    return my_boards(request, viewer)


@router.post("/boards", status_code=201, summary="Make an empty board")
def create_board(request: Request, viewer: CurrentViewer, body: BoardRequest) -> dict[str, Any]:
    catalog = request.app.state.studio.catalog
    board_id = catalog.create_collection(body.name, viewer.name, kind="board")
    return board_json(catalog.get_collection(board_id))


@router.get("/boards/{board_id}", summary="One of your boards")
def get_board(request: Request, viewer: CurrentViewer, board_id: int) -> dict[str, Any]:
    return board_json(own_board(request, viewer, board_id))


@router.patch("/boards/{board_id}", summary="Rename one of your boards")
def rename_board(request: Request, viewer: CurrentViewer, board_id: int,
                 body: BoardRequest) -> dict[str, Any]:
    board = own_board(request, viewer, board_id)
    return board_json(request.app.state.studio.catalog.rename_collection(board.id, body.name))


@router.delete("/boards/{board_id}", summary="Delete one of your boards (its works stay)")
def delete_board(request: Request, viewer: CurrentViewer, board_id: int) -> dict[str, Any]:
    board = own_board(request, viewer, board_id)
    request.app.state.studio.catalog.delete_collection(board.id)
    return {"id": board.id, "deleted": True}


@router.get("/boards/{board_id}/artworks",
            summary="A board's works, newest added first (paged; as /api/artworks?board=ID)")
def board_artworks(request: Request, viewer: CurrentViewer, board_id: int,
                   limit: Annotated[int, Query(ge=1, le=200)] = 40,
                   offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    board = own_board(request, viewer, board_id)
    items, total, capped = visibility.gallery(request.app.state.studio.catalog, viewer.name,
                                            board=board.id, limit=limit, offset=offset)
    return {"board": board_json(board), **page_json(items, total, capped, limit, offset)}


@router.put("/boards/{board_id}/artworks/{artwork_id}",
            summary="Put an artwork you can see on your board (again: no change)")
def add_artwork(request: Request, viewer: CurrentViewer, board_id: int,
                artwork_id: str) -> dict[str, Any]:
    catalog = request.app.state.studio.catalog
    board = own_board(request, viewer, board_id)
    sha = visibility.can_see(catalog, artwork_id, viewer.name)
    catalog.add_to_collection(board.id, sha)
    return {"board": board_json(catalog.get_collection(board.id)), "artwork": sha}


@router.delete("/boards/{board_id}/artworks/{artwork_id}",
               summary="Take an artwork off your board (the artwork stays)")
def remove_artwork(request: Request, viewer: CurrentViewer, board_id: int,
                   artwork_id: str) -> dict[str, Any]:
    catalog = request.app.state.studio.catalog
    board = own_board(request, viewer, board_id)
    sha = visibility.resolve(catalog, artwork_id, viewer.name)
    removed = catalog.remove_from_collection(board.id, sha)
    if not removed:
        visibility.can_see(catalog, sha, viewer.name)  # 404 for a work hidden from the viewer
    return {"board": board_json(catalog.get_collection(board.id)), "artwork": sha,
            "removed": removed}


@router.get("/artworks/{artwork_id}/boards", summary="Which of your boards hold this artwork")
def artwork_boards(request: Request, viewer: CurrentViewer, artwork_id: str) -> list[dict[str, Any]]:
    sha = visibility.can_see(request.app.state.studio.catalog, artwork_id, viewer.name)
    return boards_with(request, viewer, sha)
