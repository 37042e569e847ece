"""Audits: whom the studio's engines depict (`bias.py`: faces, skin tone on the Monk scale,
lighting and colour, per prompt, with statistics) and whom its credits name (`credits.py`:
region, period, gender and movement of the credited artists). Reports are self-contained
HTML (`report.py`, charts from `svg.py`); `cli.py` holds `studiolo audit bias|credits`.
"""

from __future__ import annotations

from typing import Any

from studiolo.hookspecs import hookimpl


@hookimpl
def register_commands(cli: Any) -> None:
    from studiolo.capabilities.audit.cli import audit

    cli.add_command(audit)
