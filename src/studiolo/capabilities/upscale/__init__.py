"""Upscaling: Real-ESRGAN x2 / x4 on the CPU (ncnn), tiled; Lanczos when it is missing."""

from __future__ import annotations

from typing import Any

from studiolo.hookspecs import hookimpl
from studiolo.provenance.contributions import CreditContribution


@hookimpl
def register_engines(register: Any) -> None:
    from studiolo.capabilities.upscale.engine import UpscaleEngine

    register(UpscaleEngine())


@hookimpl
def register_commands(cli: Any) -> None:
    from studiolo.capabilities.upscale.cli import upscale

    cli.add_command(upscale)


@hookimpl
def register_credits(register: Any) -> None:
    register(CreditContribution(
        engine="upscale", tool_model="Real-ESRGAN {} (Xintao Wang et al.)",
        tool_model_evidence="super-resolution network that enlarged the image",
        verbs={"upscale": "Upscaled"},
    ))


@hookimpl
def register_web_parts(register: Any) -> None:
    from studiolo.web.parts import ArtworkAction

    def upscale(studio: Any, artwork: Any, req: Any, progress: Any) -> Any:
        return studio.upscale(artwork.path, scale=2, progress=progress)

    register(ArtworkAction("upscale", "Upscale 2×", "Enlarge it 2x", upscale, order=20))
