"""Curation: exhibitions chosen by a theme, grouped into rooms, hung by visual flow, exported.

It reads artworks and recipes through the catalog and writes its results back
through it (`catalog/exhibitions.py`); `verbs.py` holds the Studio's exhibition
verbs, `cli.py` the `exhibit` commands, `web.py` the pages and API.
"""

from __future__ import annotations

from typing import Any

from studiolo.hookspecs import hookimpl
from studiolo.provenance.contributions import CreditContribution


@hookimpl
def register_commands(cli: Any) -> None:
    from studiolo.capabilities.curate.cli import exhibit

    cli.add_command(exhibit)


@hookimpl
def register_routes(app: Any) -> None:
    from studiolo.capabilities.curate import web

    app.include_router(web.api)
    app.include_router(web.shared_api)
    app.include_router(web.pages)


@hookimpl
def nav_links(viewer: Any) -> list[dict[str, str]]:
    return [{"href": "/exhibitions", "label": "Exhibitions"}]


@hookimpl
def register_credits(register: Any) -> None:
    register(CreditContribution(verbs={"curate": "Curated", "exhibition": "Curated"},
                                curator_modes=frozenset({"curate", "exhibition"})))


def _run_exhibition(ctx: Any) -> None:
    """The "exhibition" job (the web studio's Make exhibition): curated as the job's owner."""
    request = ctx.job.request
    made = ctx.studio.make_exhibition(
        str(request.get("theme", "")), title=request.get("title"),
        max_works=request.get("max_works"), max_rooms=request.get("max_rooms"),
        public=bool(request.get("public", False)), person=ctx.job.owner, progress=ctx.progress)
    ctx.progress({"stage": "curate", "step": 3, "total": 3, "page": f"/exhibitions/{made.id}",
                  "message": f"exhibition {made.id}: {made.title}"})


@hookimpl
def register_job_kinds(register: Any) -> None:
    from studiolo.jobs.kinds import JobKind

    register(JobKind(name="exhibition", run=_run_exhibition, heavy=False))
