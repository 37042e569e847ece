"""Plugin hooks (pluggy, project name `studiolo`).

Every capability, built in or installed, plugs in through these hooks and no
other path: built-ins are listed in `studiolo.plugins.DEFAULT_PLUGINS`, others
are found by the `studiolo` entry-point group. Each hook is optional.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("studiolo")
hookimpl = pluggy.HookimplMarker("studiolo")


@hookspec
def register_engines(register: Callable[[Any], None]) -> None:
    """Register engine instances by calling `register(engine)`."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add click commands to the `studiolo` group (`cli.add_command(...)`)."""


@hookspec
def register_routes(app: Any) -> None:
    """Add web pages and API routes to the FastAPI app (`app.include_router(...)`)."""


@hookspec
def nav_links(viewer: Any) -> list[dict[str, str]] | None:
    """Links for the web studio's navigation bar: [{"href": "/x", "label": "X"}], for `viewer`."""


@hookspec
def register_credits(register: Callable[[Any], None]) -> None:
    """Register `studiolo.provenance.contributions.CreditContribution`s: the tools an engine's
    artworks credit and the verb of each mode's credit sentence."""


@hookspec
def artwork_storing(studio: Any, artwork: Any) -> Callable[[Any], str | None] | None:
    """Called by `Studio.store` as it begins, with the engine's artwork: a plugin may start
    work on its pixels here, beside the rest of the store (the safety filter scores them in a
    thread while the ledger, watermark, signature and file are made), and return a function
    that `Studio.store` calls with the stored artwork once its row is written. That function
    may record rows about it, and returns a sentence the person should read, or None."""


@hookspec
def register_web_parts(register: Callable[[Any], None]) -> None:
    """Register the web studio's Create modes and artwork actions
    (`studiolo.web.parts.CreateMode`, `studiolo.web.parts.ArtworkAction`)."""


@hookspec
def register_job_kinds(register: Callable[[Any], None]) -> None:
    """Register `studiolo.jobs.kinds.JobKind`s: what a worker runs for a job of each kind."""
