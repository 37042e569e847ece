"""The plugin manager: built-in capabilities first, then the `studiolo` entry-point group.

Built-in capabilities are plugins too (the llm/datasette habit): each folder under
`capabilities/` implements the hooks of `studiolo.hookspecs` in its `__init__.py`,
and the core has no special path for them. A third-party plugin is a module named
in an entry point of group `studiolo`, implementing the same hooks.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

import pluggy

from studiolo import hookspecs
from studiolo.core.engine import Engine
from studiolo.core.errors import UnknownName
from studiolo.provenance.contributions import Contributions, CreditContribution

DEFAULT_PLUGINS: tuple[str, ...] = (
    "studiolo.capabilities.diffusion",
    "studiolo.capabilities.painter",
    "studiolo.capabilities.style",
    "studiolo.capabilities.portrait",
    "studiolo.capabilities.upscale",
    "studiolo.capabilities.restore",
    "studiolo.capabilities.journey",
    "studiolo.capabilities.generator",
    "studiolo.capabilities.lora",
    "studiolo.capabilities.taste",
    "studiolo.capabilities.curate",
    "studiolo.web.jobs",  # the web studio's job kinds: create, action
    "studiolo.web.queue",  # the Jobs page and its cancel and retry routes
    "studiolo.capabilities.audit",  # the bias and credit audits
    "studiolo.capabilities.safety",  # the safety filter (its `artwork_storing` hook)
    "studiolo.capabilities.analyse",  # palette, composition, attribution, authenticity
)


def make_plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("studiolo")
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    if load_entry_points:
        pm.load_setuptools_entrypoints("studiolo")
    return pm


@functools.cache
def default_plugin_manager() -> pluggy.PluginManager:
    """The process's plugin manager (built-ins and installed plugins), made once."""
    return make_plugin_manager(load_entry_points=True)


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

    def stage_labels(self) -> dict[str, str]:
        """Progress stage -> the words a person reads, from every engine's `stage_labels`."""
        labels: dict[str, str] = {}
        for engine in self._engines.values():
            labels.update(getattr(engine, "stage_labels", {}) or {})
        return labels


def collect_credits(pm: pluggy.PluginManager) -> Contributions:
    """Every capability's `CreditContribution`s, through the `register_credits` hook."""
    found: list[CreditContribution] = []

    def register(item: CreditContribution) -> None:
        if not isinstance(item, CreditContribution):
            raise TypeError(f"{item!r} is not a CreditContribution.")
        found.append(item)

    pm.hook.register_credits(register=register)
    return Contributions.of(found)


@functools.cache
def credit_contributions() -> Contributions:
    """The contributions of the process's plugins (what the credit ledger asks)."""
    return collect_credits(default_plugin_manager())


def nav_links(pm: pluggy.PluginManager, viewer: Any) -> list[dict[str, str]]:
    """The web studio's extra navigation links, from every plugin, in plugin order."""
    links: list[dict[str, str]] = []
    for group in reversed(pm.hook.nav_links(viewer=viewer)):  # pluggy calls the last registered first
        links.extend(group or [])
    return links
