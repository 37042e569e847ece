"""The Analyse action of the web studio: an artwork's analysis, made by a queue job, its
report and its JSON.

The artwork page's Analyse button posts `/api/artworks/{id}/analysis`: that queues an
"analysis" job (kind registered in __init__.py, run by any worker) and returns it at once;
the page follows the job's progress and, when it is done, opens the job's page,
`/artwork/{id}/analysis`: the report `studiolo analyse --report` writes, kept in the catalog.
`GET /api/artworks/{id}/analysis` gives the JSON of `studiolo analyse --json`. A work not
analysed yet gets a page (or a 404 in JSON) saying so. Everything reads through the
artwork's visibility: a private work and its analysis reach its owner only; anyone else
gets the 404 of a work that does not exist, and cannot queue its analysis.

The report is one self-contained page with inline styles and pictures as data: URIs and
no script at all, so it carries its own policy: nothing may load or run but those.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from studiolo.core.errors import InvalidArgument
from studiolo.web.auth import CurrentViewer

from .collection import BUILTIN, check_name

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/artworks", tags=["analysis"])
collections = APIRouter(prefix="/api/reference-collections", tags=["analysis"])

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


class AnalyseRequest(BaseModel):
    """What the Analyse button asks for (all optional)."""

    against: str = Field(BUILTIN, max_length=64, description="A collection, or 'none'.")
    claimed: str | None = Field(None, max_length=200, description="The claimed artist.")
    refresh: bool = Field(False, description="Analyse again though an analysis is kept.")


def report_page(artwork_id: str, against: str | None, claimed: str | None) -> str:
    """Where the report of this analysis is shown."""
    from urllib.parse import urlencode

    query = {"against": against or "none", **({"claimed": claimed} if claimed else {})}
    return f"/artwork/{artwork_id}/analysis?{urlencode(query)}"


def run_analysis_job(ctx: Any) -> None:
    """The "analysis" job: analyse the artwork as the job's owner (who must be allowed to
    see it) and keep the analysis; the job's page is the report."""
    request = ctx.job.request
    against, claimed = request.get("against"), request.get("claimed") or None
    kept = ctx.studio.analyse(str(request.get("artwork")), against=against, claimed=claimed,
                              viewer=ctx.job.owner, refresh=bool(request.get("refresh")),
                              networks=getattr(ctx.studio, "analyse_networks", None),
                              progress=ctx.progress)
    ctx.progress({"stage": "analyse", "step": 1, "total": 1,
                  "page": report_page(kept.artwork_id, against, claimed),
                  "message": f"analysis of {kept.artwork_id[:12]}"})


@api.post("/{artwork_id}/analysis", status_code=202,
          summary="Analyse an artwork (a job; follow its events, then open its page)")
def analyse_job(request: Request, viewer: CurrentViewer, artwork_id: str,
                body: AnalyseRequest | None = None) -> dict[str, Any]:
    from studiolo.catalog import visibility
    from studiolo.web import work
    from studiolo.web.api import job_json

    body = body or AnalyseRequest()
    against = _against(body.against)
    studio = request.app.state.studio
    sha = visibility.can_see(studio.catalog, artwork_id, viewer.name)  # else: 404, no job
    job = work.submit(studio, request.app.state.hub, viewer.name, "analysis",
                      {"artwork": sha, "against": against, "claimed": body.claimed or None,
                       "refresh": body.refresh})
    return job_json(job)


def kept_for(request: Request, viewer: Any, artwork_id: str, against: str,
             claimed: str | None) -> Any:
    """The kept analysis of a work this viewer may see, or None when it was not made yet."""
    from .stored import visible_analysis

    return visible_analysis(request.app.state.studio.catalog, artwork_id, viewer.name,
                            _against(against), claimed or None)


NOT_YET = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Not analysed yet</title><style>body{{font:16px system-ui,sans-serif;margin:3em auto;
max-width:40em;padding:0 1em}}</style></head><body><h1>Not analysed yet</h1>
<p>This work has not been analysed {what} yet. Press <b>Analyse</b> on
<a href="/artwork/{id}">its page</a>: the analysis runs as a job, and its report opens here
when it is done.</p></body></html>"""


@pages.get("/artwork/{artwork_id}/analysis")
def analysis_page(request: Request, viewer: CurrentViewer, artwork_id: str,
                  against: Against = BUILTIN, claimed: Claimed = None) -> HTMLResponse:
    kept = kept_for(request, viewer, artwork_id, against, claimed)
    headers = {"Content-Security-Policy": REPORT_CSP, "Cache-Control": "private, no-store"}
    if kept is None:
        name = _against(against)
        what = (f"against collection {name!r}" if name else "on its own") + (
            f" for {claimed!r}" if claimed else "")
        return HTMLResponse(NOT_YET.format(what=escape(what), id=escape(artwork_id)),
                            status_code=404, headers=headers)
    return HTMLResponse(kept.report, headers=headers)


@api.get("/{artwork_id}/analysis")
def analysis_json(request: Request, viewer: CurrentViewer, artwork_id: str,
                  against: Against = BUILTIN, claimed: Claimed = None) -> JSONResponse:
    kept = kept_for(request, viewer, artwork_id, against, claimed)
    if kept is None:
        return JSONResponse({"error": (
            f"Artwork {artwork_id} has no analysis against {against!r} yet; POST "
            f"/api/artworks/{artwork_id}/analysis to make one (a job).")}, status_code=404,
            headers={"Cache-Control": "private, no-store"})
    return JSONResponse(kept.to_json(), headers={"Cache-Control": "private, no-store"})


@collections.get("", summary="The reference collections works are attributed against")
def reference_collections(request: Request, viewer: CurrentViewer) -> list[dict[str, Any]]:
    """Their names, sizes and notes (the built-in one first); the artwork page's Analyse
    button offers them."""
    from .collection import list_collections

    return [c.to_json() for c in list_collections(request.app.state.studio.catalog)]
