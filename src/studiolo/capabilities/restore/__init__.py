"""Restoration: find the damage in a scanned painting, fill it, recover its colour, show how it ages.

The library functions are `api.damage`, `api.restore` and `api.age`; the Studio verb
`restore` (verbs.py) runs the `restore` engine (engine.py) so a restoration is stored as a
child artwork of the scan; cli.py holds `studiolo damage/restore/age`, web.py the
artwork page's Damage, Restore and Age actions (with the before/after slider of static/).
"""

from __future__ import annotations

from typing import Any

from studiolo.hookspecs import hookimpl
from studiolo.provenance.contributions import CreditContribution


@hookimpl
def register_engines(register: Any) -> None:
    from studiolo.capabilities.restore.engine import RestoreEngine

    register(RestoreEngine())


@hookimpl
def register_commands(cli: Any) -> None:
    from studiolo.capabilities.restore.cli import age, damage, restore

    for command in (damage, restore, age):
        cli.add_command(command)


@hookimpl
def register_credits(register: Any) -> None:
    # The tools (detector, each fill method, colour recovery) are credited per artwork by
    # the engine, since which ran depends on the picture.
    register(CreditContribution(engine="restore", verbs={"restore": "Restored",
                                                         "damage": "Damage mapped",
                                                         "age": "Aged"}))


@hookimpl
def register_web_parts(register: Any) -> None:
    from studiolo.capabilities.restore.web import actions

    for action in actions():
        register(action)


@hookimpl
def register_routes(app: Any) -> None:
    from studiolo.capabilities.restore.web import router

    app.include_router(router())
