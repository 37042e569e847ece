"""Personal taste: learn what one person likes from the pairs they pick, and use it.

- `features`: what a picture looks like to taste (bundled EfficientNet-Lite0, the
  Magenta style vector, colour and composition statistics; CLIP or DINO when local).
- `cache`: features of stored artworks, kept in memory and on disk.
- `model`: Bradley-Terry with a Laplace posterior, active choice of the next pair,
  held-out accuracy.
- `profile`: a person's fitted profile in the catalog; `load_profile(studio,
  name).score_images(images)` scores any pictures.
- `codes`: a profile as a short shareable code ("stv1-...").

The shared picture features it learns on live in `studiolo.features`. Only the hook
implementations are here, so importing the plugin stays light.
"""

from __future__ import annotations

from typing import Any

from studiolo.hookspecs import hookimpl


@hookimpl
def register_commands(cli: Any) -> None:
    from studiolo.capabilities.taste.cli import rate, taste

    cli.add_command(rate)
    cli.add_command(taste)


@hookimpl
def register_routes(app: Any) -> None:
    from studiolo.capabilities.taste import web

    app.include_router(web.api)
    app.include_router(web.pages)


@hookimpl
def nav_links(viewer: Any) -> list[dict[str, str]]:
    return [{"href": "/rate", "label": "Rate"}]
