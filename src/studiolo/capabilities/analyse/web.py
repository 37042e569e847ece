"""The Analyse action of the web studio: an artwork's analysis report, and its JSON.

`/artwork/{id}/analysis` shows the report `studiolo analyse --report` writes (analysed on
the first visit and kept in the catalog, shown from there after that); the artwork page
links to it. `/api/artworks/{id}/analysis` gives the JSON of `studiolo analyse --json`.
Both read through the artwork's visibility: a private work and its analysis reach its
owner only; anyone else gets the 404 of a work that does not exist.

The report is one self-contained page with inline styles and pictures as data: URIs and
no script at all, so it carries its own policy: nothing may load or run but those.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from studiolo.core.errors import InvalidArgument
from studiolo.web.auth import CurrentViewer

from .collection import BUILTIN, check_name

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/artworks", tags=["analysis"])

REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
              "form-action 'none'; frame-ancestors 'none'")

Against = Annotated[str, Query(max_length=64, description="A collection, or 'none'.")]
Claimed = Annotated[str | None, Query(max_length=200, description="The claimed artist.")]


def _against(value: str) -> str | None:
    if value.lower() == "none":
        return None
    try:
        return check_name(value)
    except InvalidArgument:
        raise InvalidArgument(f"`against` must be a collection's name or 'none', got "
                              f"{value!r}; `studiolo collection ls` lists them.") from None


def analysis_for(request: Request, viewer: Any, artwork_id: str, against: str,
                 claimed: str | None, refresh: bool = False) -> Any:
    """The kept analysis of a work this viewer may see, made now when there is none."""
    studio = request.app.state.studio
    networks = getattr(request.app.state, "analyse_networks", None)  # tests: light stand-ins
    return studio.analyse(artwork_id, against=_against(against), claimed=claimed or None,
                          viewer=viewer.name, refresh=refresh, networks=networks)


@pages.get("/artwork/{artwork_id}/analysis")
def analysis_page(request: Request, viewer: CurrentViewer, artwork_id: str,
                  against: Against = BUILTIN, claimed: Claimed = None,
                  refresh: bool = False) -> HTMLResponse:
    kept = analysis_for(request, viewer, artwork_id, against, claimed, refresh)
    return HTMLResponse(kept.report, headers={"Content-Security-Policy": REPORT_CSP,
                                              "Cache-Control": "private, no-store"})


@api.get("/{artwork_id}/analysis")
def analysis_json(request: Request, viewer: CurrentViewer, artwork_id: str,
                  against: Against = BUILTIN, claimed: Claimed = None,
                  refresh: bool = False) -> JSONResponse:
    kept = analysis_for(request, viewer, artwork_id, against, claimed, refresh)
    return JSONResponse(kept.to_json(), headers={"Cache-Control": "private, no-store"})
