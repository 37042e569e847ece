"""What capabilities add to the credit ledger: the tools their engines run, and their verbs.

A capability registers `CreditContribution`s through the `register_credits` hook;
the ledger asks `Contributions` instead of keeping a list of engines of its own,
so a new engine's artworks credit its tools without an edit here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CreditContribution:
    """One capability's part of the ledger.

    `tools`: (name, evidence) of each tool network `engine` runs (credited as role "tool").
    `tool_model`: for engines whose `recipe.model` names a tool network, not a base model,
    a format for its credit name ("Real-ESRGAN {} (Xintao Wang et al.)"), with its evidence.
    `verbs`: the credit sentence's verb per mode ("upscale": "Upscaled").
    `curator_modes`: modes whose person is a curator rather than an editor.
    """

    engine: str | None = None
    tools: tuple[tuple[str, str], ...] = ()
    tool_model: str | None = None
    tool_model_evidence: str = ""
    verbs: Mapping[str, str] = field(default_factory=dict)
    curator_modes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Contributions:
    """Every registered contribution, looked up by engine and by mode."""

    items: tuple[CreditContribution, ...] = ()

    @classmethod
    def of(cls, items: Iterable[CreditContribution]) -> Contributions:
        return cls(tuple(items))

    def tools(self, engine: str) -> tuple[tuple[str, str], ...]:
        return tuple(t for c in self.items if c.engine == engine for t in c.tools)

    def tool_model(self, engine: str) -> CreditContribution | None:
        return next((c for c in self.items if c.engine == engine and c.tool_model), None)

    def verb(self, mode: str) -> str:
        return next((c.verbs[mode] for c in self.items if mode in c.verbs), "Made")

    def is_curation(self, mode: str) -> bool:
        return any(mode in c.curator_modes for c in self.items)
