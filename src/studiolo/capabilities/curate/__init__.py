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
