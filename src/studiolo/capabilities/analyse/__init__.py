"""Analysis of paintings: colour, composition, brushwork, attribution, authenticity, connections.

The library is plain functions returning frozen dataclasses with `to_json()` (report.py,
collection.py, mapplot.py, ...); the hooks below add `studiolo analyse` and `studiolo
collection`, the Analyse action of an artwork (an "analysis" queue job), its report page and JSON. Analyses of catalog artworks are
kept in the catalog table `analyses` (stored.py). See docs/analysis.md.
"""

from __future__ import annotations

from typing import Any

from studiolo.hookspecs import hookimpl


@hookimpl
def register_commands(cli: Any) -> None:
    from studiolo.capabilities.analyse.cli import analyse, collection

    cli.add_command(analyse)
    cli.add_command(collection)


@hookimpl
def register_routes(app: Any) -> None:
    from studiolo.capabilities.analyse import web

    app.include_router(web.pages)
    app.include_router(web.api)
    app.include_router(web.collections)


@hookimpl
def register_job_kinds(register: Any) -> None:
    from studiolo.capabilities.analyse.web import run_analysis_job
    from studiolo.jobs.kinds import JobKind

    register(JobKind(name="analysis", run=run_analysis_job, heavy=False))
