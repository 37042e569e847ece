"""Diffusion: text to image, image to image, inpainting and outpainting with any Stable
Diffusion family model (diffusers), with samplers, prompt weights, LoRAs and CPU speed-ups.

`engine.py` is the engine, `verbs.py` the Studio's `generate`, `img2img`, `inpaint`,
`outpaint`, `cli.py` their commands; `engine.denoise` is the public denoising loop the
journey capability reuses.
"""

from __future__ import annotations

from typing import Any

from studiolo.core.errors import InvalidArgument
from studiolo.hookspecs import hookimpl
from studiolo.provenance.contributions import CreditContribution


@hookimpl
def register_engines(register: Any) -> None:
    from studiolo.capabilities.diffusion.engine import DiffusionEngine

    register(DiffusionEngine())


@hookimpl
def register_commands(cli: Any) -> None:
    from studiolo.capabilities.diffusion import cli as commands

    for command in (commands.generate, commands.img2img, commands.inpaint, commands.outpaint):
        cli.add_command(command)


@hookimpl
def register_credits(register: Any) -> None:
    register(CreditContribution(
        engine="diffusion",
        verbs={"txt2img": "Made", "img2img": "Edited", "inpaint": "Edited", "outpaint": "Extended"},
    ))


@hookimpl
def register_web_parts(register: Any) -> None:
    from studiolo.web.parts import CreateMode

    def img2img(studio: Any, req: Any, image: Any, seed: int, progress: Any) -> Any:
        if not req.model:
            raise InvalidArgument("Image to image needs a `model` (a diffusion model folder or "
                                  "id); without one, use mode 'stylize'.")
        return studio.img2img(image, req.prompt, model=req.model, seed=seed,
                              strength=req.strength or 0.6, steps=req.steps, progress=progress)

    register(CreateMode("img2img", "image to image (needs a model)", img2img, order=30))
