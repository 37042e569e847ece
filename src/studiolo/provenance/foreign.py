"""Small shared pieces of the readers of other tools' metadata (NovelAI, SwarmUI, Fooocus, ...).

`Fields` reads typed values out of one JSON object, naming the tool in every
error; `kept` turns what a recipe does not model into JSON values the recipe's
`options` can hold (short, shallow, finite); `loads` parses JSON text with the
same refusals as the other importers (bad JSON, too deep, huge integers).
"""

from __future__ import annotations

import json
import math
from typing import Any

from studiolo.core.errors import MetadataError
from studiolo.core.types import LoraSpec
from studiolo.provenance.metadata_values import ADVICE, as_float, as_int, as_text, shown

_MAX_KEPT_TEXT = 4000  # a value kept in options longer than this is cut (prompts are far shorter)
_MAX_KEPT_ITEMS = 64


def loads(text: str, what: str, name: str) -> Any:
    """JSON text -> value, or a MetadataError naming the file and the metadata."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MetadataError(f"{name}: the {what} is not valid JSON ({exc}); {ADVICE}.") from None
    except (ValueError, RecursionError) as exc:  # 4300+ digit integers; nesting too deep
        raise MetadataError(f"{name}: the {what} is not JSON studiolo can read "
                            f"({shown(str(exc), 90)}); {ADVICE}.") from None


def try_object(text: str) -> dict[str, Any] | None:
    """A JSON object when `text` is one (cheap first-character check), else None."""
    if not isinstance(text, str) or not text.lstrip().startswith("{"):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def kept(value: Any, depth: int = 0) -> Any:
    """`value` as a JSON value safe to keep in `Recipe.options` (bounded size and depth)."""
    if value is None or isinstance(value, bool | str | int):
        if isinstance(value, str) and len(value) > _MAX_KEPT_TEXT:
            return value[:_MAX_KEPT_TEXT] + "..."
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**40:
            return str(value)[:40] + "..."
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if depth >= 4:
        return shown(value, 200)
    if isinstance(value, list):
        return [kept(v, depth + 1) for v in value[:_MAX_KEPT_ITEMS]]
    if isinstance(value, dict):
        return {str(k): kept(v, depth + 1) for k, v in list(value.items())[:_MAX_KEPT_ITEMS]}
    return shown(value, 200)


class Fields:
    """Typed reading of one JSON object of tool `where` ("SwarmUI metadata", ...)."""

    def __init__(self, data: dict[str, Any], where: str) -> None:
        self.data, self.where = data, where

    def get(self, *keys: str) -> Any:
        for key in keys:
            if self.data.get(key) is not None:
                return self.data[key]
        return None

    def text(self, *keys: str, default: str = "") -> str:
        value = self.get(*keys)
        return as_text(value, self.where, keys[0], default=default)

    def name(self, *keys: str) -> str | None:
        """A model or sampler name: text, or None when absent or empty."""
        value = self.get(*keys)
        if isinstance(value, dict):  # {"name": ...} / {"model_name": ...}
            value = value.get("name") or value.get("model_name") or value.get("modelName")
        return as_text(value, self.where, keys[0], strict=False) or None

    def int(self, *keys: str, default: int) -> int:
        value = self.get(*keys)
        return default if value is None else as_int(value, self.where, keys[0])

    def float(self, *keys: str, default: float | None) -> float | None:
        value = self.get(*keys)
        return default if value is None else as_float(value, self.where, keys[0])

    def rest(self, used: set[str] | frozenset[str]) -> dict[str, Any]:
        """What the recipe does not model, kept as found (bounded)."""
        return {str(k): kept(v) for k, v in list(self.data.items())[:_MAX_KEPT_ITEMS * 4]
                if k not in used and v not in (None, "")}


def sha256_or_none(value: Any) -> str | None:
    """A sha256 hex digest ("0x..." and "sha256:..." prefixes allowed), else None."""
    if not isinstance(value, str):
        return None
    digest = value.strip().lower().removeprefix("0x").removeprefix("sha256:")
    if len(digest) == 64 and all(c in "0123456789abcdef" for c in digest):
        return digest
    return None


def lora(name: Any, weight: Any, where: str, index: int, sha256: Any = None) -> LoraSpec | None:
    """A LoraSpec, or None for an empty or "None" name (a disabled slot)."""
    text = as_text(name, where, f"loras[{index}].name").strip()
    if not text or text.lower() == "none":
        return None
    value = 1.0 if weight is None else as_float(weight, where, f"loras[{index}].weight")
    return LoraSpec(name=text, weight=value, sha256=sha256_or_none(sha256))


def no_recipe(where: str, data: dict[str, Any], expected: str) -> MetadataError:
    return MetadataError(f"{where} has no {expected}; keys found: {shown(sorted(map(str, data))[:20], 300)}.")
