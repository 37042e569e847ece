"""The web studio's Rate page and the pair-rating API: teach the studio your taste."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from studiolo.catalog import visibility
from studiolo.core.errors import InvalidArgument, StudioloError
from studiolo.web.auth import CurrentViewer
from studiolo.web.pages import render

api = APIRouter(prefix="/api", tags=["taste"])
pages = APIRouter(include_in_schema=False)


class PairRequest(BaseModel):
    winner: str = Field(min_length=6, max_length=64)
    loser: str = Field(min_length=6, max_length=64)


@pages.get("/rate")
def rate_page(request: Request, viewer: CurrentViewer) -> Response:
    from studiolo.capabilities.taste import profile

    studio = request.app.state.studio
    try:
        pair, problem = profile.suggest_pair(studio, viewer.name), None
    except InvalidArgument as exc:
        pair, problem = None, str(exc)
    try:
        trust = profile.load_profile(studio, person=viewer.name).trust()
    except StudioloError:
        trust = None
    rated = studio.catalog.count_ratings(viewer.name, "pair")
    return render(request, "rate.html", viewer, title="Rate", pair=pair, problem=problem,
                  trust=trust, rated=rated)


@api.post("/ratings/pair", status_code=201, summary="Record that you prefer one artwork to another")
def rate_pair(request: Request, viewer: CurrentViewer, body: PairRequest) -> dict[str, Any]:
    catalog = request.app.state.studio.catalog
    winner = visibility.can_see(catalog, body.winner, viewer.name)
    loser = visibility.can_see(catalog, body.loser, viewer.name)
    catalog.add_pair(viewer.name, winner, loser)
    return {"winner": winner, "loser": loser, "pairs": catalog.count_ratings(viewer.name, "pair")}

