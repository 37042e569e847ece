"""The house rules of docs/DESIGN.md, checked by walking the imports of every module.

- Nothing in core/, catalog/, models/ or features/ imports a capability, cli/, web/,
  the Studio or the plugin manager (lazily or not); core/ imports only core/.
- No capability imports another capability's private name.
- No import cycle between packages at module level (imports inside functions are how a
  lower layer asks for something at run time without depending on it when imported).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import studiolo

ROOT = Path(studiolo.__file__).parent
FACES = ("studiolo.capabilities", "studiolo.cli", "studiolo.web", "studiolo.studio", "studiolo.plugins")
LOWER = ("core", "catalog", "models", "features")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, tuple[str, ...], bool]]:
    """(module imported, names, at module level) for every import of `path`."""
    tree = ast.parse(path.read_text("utf-8"))
    top = {id(node) for node in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.append((node.module, tuple(a.name for a in node.names), id(node) in top))
        elif isinstance(node, ast.Import):
            out.extend((a.name, (), id(node) in top) for a in node.names)
    return [(m, names, level) for m, names, level in out if m.split(".")[0] == "studiolo"]


def _package(module: str) -> str:
    """The package a module belongs to for the cycle rule: a capability folder, or a layer."""
    parts = module.split(".")
    if len(parts) >= 3 and parts[1] == "capabilities":
        return ".".join(parts[:3])
    return ".".join(parts[:2])


MODULES = {_module(p): p for p in ROOT.rglob("*.py") if "migrations" not in p.parts}


def test_there_are_modules_to_walk():
    assert len(MODULES) > 100 and "studiolo.core.errors" in MODULES


def test_the_lower_layers_import_no_capability_face_or_studio():
    bad = []
    for module, path in MODULES.items():
        layer = module.split(".")[1] if "." in module else ""
        if layer not in LOWER:
            continue
        for target, _, _ in _imports(path):
            if target.startswith(FACES) or (layer == "core" and not target.startswith("studiolo.core")):
                bad.append(f"{module} imports {target}")
    assert bad == []


def test_no_capability_imports_another_capabilitys_private_name():
    bad = []
    for module, path in MODULES.items():
        own = _package(module)
        for target, names, _ in _imports(path):
            if target.startswith("studiolo.capabilities.") and _package(target) != own:
                bad += [f"{module} imports {target}.{n}" for n in names if n.startswith("_")]
                if any(part.startswith("_") for part in target.split(".")):
                    bad.append(f"{module} imports the private module {target}")
    assert bad == []


def test_no_import_cycle_between_packages_at_module_level():
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for target, names, top in _imports(path):
            if not top:
                continue
            for full in [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES] or [target]:
                if _package(full) != _package(module):
                    graph[_package(module)].add(_package(full))
    cycles = _cycles(graph)
    assert cycles == [], f"packages that import each other at module level: {cycles}"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one package (Tarjan 1972)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(set(graph) | {w for ws in graph.values() for w in ws}):
        if v not in index:
            visit(v)
    return found


def test_the_walk_finds_a_planted_violation(tmp_path):
    """The rules can fail: a core module importing a capability is caught."""
    planted = tmp_path / "studiolo" / "core" / "bad.py"
    planted.parent.mkdir(parents=True)
    planted.write_text("from studiolo.capabilities.painter.engine import PainterEngine\n")
    [(target, names, top)] = _imports(planted)
    assert target.startswith(FACES) and names == ("PainterEngine",) and top
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
