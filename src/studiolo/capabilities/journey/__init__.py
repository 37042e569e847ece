"""Latent journeys: walks between two prompts, two seeds (diffusion) or two styles (offline),
written as a GIF, an MP4 and a contact sheet, every frame in the catalog."""

from __future__ import annotations

from typing import Any

from studiolo.hookspecs import hookimpl


@hookimpl
def register_engines(register: Any) -> None:
    from studiolo.capabilities.journey.engine import JourneyEngine

    register(JourneyEngine())


@hookimpl
def register_commands(cli: Any) -> None:
    from studiolo.capabilities.journey.cli import explore

    cli.add_command(explore)
