"""Plugin hooks (pluggy). Built-in engines use the same hooks as third-party ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("studiolo")
hookimpl = pluggy.HookimplMarker("studiolo")


@hookspec
def register_engines(register: Callable[[Any], None]) -> None:
    """Register engine instances by calling `register(engine)`."""
