"""The plugin manager: built-in plugins first, then the `studiolo` entry-point group."""

from __future__ import annotations

import importlib
from typing import Any

import pluggy

from studiolo import hookspecs
from studiolo.core.engine import Engine
from studiolo.core.errors import UnknownName

# Built-in features are plugins too (the llm/datasette habit): the core has no
# special path for them.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "studiolo.capabilities.diffusion.engine",
    "studiolo.capabilities.painter.engine",
    "studiolo.capabilities.style.engine",
    "studiolo.capabilities.portrait.engine",
    "studiolo.capabilities.upscale.engine",
    "studiolo.capabilities.journey.engine",
    "studiolo.capabilities.generator.engine",
)


def make_plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("studiolo")
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    if load_entry_points:
        pm.load_setuptools_entrypoints("studiolo")
    return pm


class EngineRegistry:
    """Engines by id, filled through the `register_engines` hook."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self._engines: dict[str, Any] = {}

        def register(engine: Any) -> None:
            if not isinstance(engine, Engine):
                raise TypeError(f"{engine!r} is not an engine: it needs id, capabilities, Options, run")
            if engine.id in self._engines:
                raise ValueError(f"Two plugins register an engine with id {engine.id!r}.")
            self._engines[engine.id] = engine

        pm.hook.register_engines(register=register)

    def get(self, engine_id: str) -> Any:
        try:
            return self._engines[engine_id]
        except KeyError:
            raise UnknownName("engine", engine_id, sorted(self._engines)) from None

    def for_capability(self, capability: str) -> list[Any]:
        return [e for e in self._engines.values() if capability in e.capabilities]

    def ids(self) -> list[str]:
        return sorted(self._engines)

    def __contains__(self, engine_id: str) -> bool:
        return engine_id in self._engines
