"""The offline painter: reads a prompt with a bundled text model, composes a scene and
paints it in the closest built-in painting's style. No download.

`understand.py` reads the prompt, `compose.py` (with canvas, land, sky, motifs, palette)
paints the scene, `choose_style.py` picks the painting, `engine.py` runs it all.
"""

from __future__ import annotations

from typing import Any

from studiolo.hookspecs import hookimpl
from studiolo.provenance.contributions import CreditContribution


@hookimpl
def register_engines(register: Any) -> None:
    from studiolo.capabilities.painter.engine import PainterEngine

    register(PainterEngine())


@hookimpl
def register_commands(cli: Any) -> None:
    from studiolo.capabilities.painter.cli import paint

    cli.add_command(paint)


@hookimpl
def register_credits(register: Any) -> None:
    from studiolo.features import magenta, text

    register(CreditContribution(
        engine="painter",
        tools=((text.TOOL_NAME, "read the prompt"), (magenta.TOOL_NAME, "painted the scene in a style")),
        verbs={"txt2img": "Made"},
    ))
