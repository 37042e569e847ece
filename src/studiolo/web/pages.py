"""The pages: Create, Gallery, Artwork, Rate (when its module exists); see exhibitions.py too.

Each page reads through the same functions as the API and renders a Jinja2
template; what it does (make, restyle, upscale...) it does by calling the API
from the page's small script. No logic here beyond choosing what to show.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from studiolo.catalog import accounts
from studiolo.catalog.boards import board_id_arg
from studiolo.features.styles import list_styles
from studiolo.provenance.infotext import recipe_to_infotext
from studiolo.provenance.ledger import credit_sentence
from studiolo.provenance.verify import summary_lines
from studiolo.web.api import artwork_json, gallery_of, summary_json, visible, visible_artwork
from studiolo.web.auth import CurrentViewer, MaybeViewer, Viewer
from studiolo.web.boards import board_json, boards_with, my_boards, own_board

router = APIRouter(include_in_schema=False)
PAGE = 40


def render(request: Request, name: str, viewer: Viewer | None, **context: Any) -> Response:
    context.update(viewer=viewer, nav=name.removesuffix(".html"))
    return request.app.state.templates.TemplateResponse(request, name, context)


def painting_styles() -> list[Any]:
    return [s for s in list_styles() if s.kind == "painting"]


@cache
def style_options() -> Markup:
    """The <option>s of the built-in paintings (they ship with the package): made once."""
    return Markup("".join(
        Markup('<option value="{}">{}, {}</option>').format(s.id, s.artist, s.title)
        for s in painting_styles()))


@router.get("/")
def home(viewer: MaybeViewer) -> Response:
    return RedirectResponse("/create" if viewer else "/login", status_code=303)


@router.get("/create")
def create_page(request: Request, viewer: CurrentViewer,
                from_: Annotated[str | None, Query(alias="from", max_length=64)] = None) -> Response:
    studio = request.app.state.studio
    recipe = visible(request, viewer, from_).recipe if from_ else None
    engines = [e for e in studio.engines.ids()
               if "txt2img" in studio.engines.get(e).capabilities]
    from studiolo.capabilities.taste.profile import list_profiles

    tastes = list_profiles(studio, viewer.name)
    return render(request, "create.html", viewer, recipe=recipe, engines=engines,
                  styles=painting_styles(), tastes=tastes, modes=request.app.state.parts.modes)


# The gallery and artwork pages are async: their catalog reads are statements built once,
# answered in about a millisecond, cheaper run here than handed to a worker thread and back
# (and no worker threads means no waiting on each other for the GIL under load). A count
# not remembered (api.gallery_of) still goes to a worker thread; a provenance check not
# remembered is not done by the page at all (the page's script asks for it: it reads the
# file, which at a million artworks is seldom in the OS cache, and would block the loop).
@router.get("/gallery")
async def gallery_page(
    request: Request, viewer: CurrentViewer,
    q: Annotated[str | None, Query(max_length=200)] = None,
    credit: Annotated[str | None, Query(max_length=200)] = None,
    engine: Annotated[str | None, Query(max_length=100)] = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    tag: Annotated[str | None, Query(max_length=100)] = None,
    board: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    studio = request.app.state.studio
    board_id = board_id_arg(board)
    shown = own_board(request, viewer, board_id) if board_id is not None else None
    filters = {"q": q or "", "credit": credit or "", "engine": engine or "",
               "owner": owner or "", "tag": tag or "", "board": board_id or ""}
    items, total, capped = await gallery_of(
        studio.catalog, viewer.name, query=q or None, credit=credit or None,
        engine=engine or None, owner=owner or None, tag=tag or None, board=board_id, limit=PAGE)
    # -- safety filter: flagged works are marked (one indexed read for the page) --------
    from studiolo.capabilities.safety.records import flagged_among

    flagged = flagged_among(studio.catalog, [a.id for a in items])
    return render(request, "gallery.html", viewer, items=[summary_json(a, a.id in flagged) for a in items],
                  total=total, capped=capped, filters=filters, page=PAGE,
                  engines=studio.engines.ids(),
                  owners=[u.name for u in accounts.list_users(studio.catalog)],
                  boards=my_boards(request, viewer), board=board_json(shown) if shown else None)


@router.get("/artwork/{artwork_id}")
async def artwork_page(request: Request, viewer: CurrentViewer, artwork_id: str) -> Response:
    studio = request.app.state.studio
    seen = visible_artwork(request, viewer, artwork_id)
    found = seen.artwork
    # The provenance check reads the file (C2PA, and an unsigned file's watermark) and asks
    # the catalog: a remembered report is shown at once; the first view's check is left to
    # the page's script (GET /api/artworks/{id}/verify, in a worker thread), so the page
    # itself is answered from the catalog alone and never waits on the file's first read.
    report = request.app.state.verified.remembered(studio, found)
    # -- safety filter: a flagged work is shown blurred, with the reason -----------------
    from studiolo.capabilities.safety.records import check_of

    safety = check_of(studio.catalog, found.id)
    return render(
        request, "artwork.html", viewer, art=artwork_json(found), artwork=found,
        private=seen.private,
        parameters=recipe_to_infotext(found.recipe),
        sentence=credit_sentence(found.credits, found.recipe),
        verify_status=report.status if report else "checking",
        verify_lines=summary_lines(report) if report else [],
        style_options=style_options(), tags=list(seen.tags),
        actions=request.app.state.parts.actions,
        boards=my_boards(request, viewer), holding=boards_with(request, viewer, found.id),
        safety=safety,
    )
