"""Typed values out of another tool's JSON metadata, each wrong one refused in a sentence.

ComfyUI and InvokeAI metadata is JSON anyone can write: a number may be a
string, a list or `Infinity`, a name may be an object. These helpers take one
value, say where it came from (`where`, e.g. "ComfyUI sampler node 3") and what
it is called, and return the type the recipe needs or raise `MetadataError`
echoing a short part of what was found.
"""

from __future__ import annotations

import math
from typing import Any

from studiolo.core.errors import MetadataError

ADVICE = ("the file's metadata is damaged: save the picture again from the tool that made it, "
          "or import another copy")
_MAX_DIGITS = 40  # a seed of 2**64 has 20; int() of thousands of digits is slow, then refuses


def shown(value: Any, limit: int = 60) -> str:
    """`value` as an error message echoes it: repr, cut to `limit` characters."""
    try:
        text = repr(value) if not isinstance(value, list | dict) or _small(value) else None
    except RecursionError:
        text = None
    if text is None:
        text = f"a {type(value).__name__} of {len(value)} items"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _small(value: list[Any] | dict[str, Any]) -> bool:
    """Whether repr() of a JSON value is cheap: few items, shallow (repr of huge ones is slow)."""
    items = value.values() if isinstance(value, dict) else value
    return len(value) <= 8 and all(not isinstance(v, list | dict) or len(v) <= 8 for v in items)


def wrong(where: str, name: str, expected: str, value: Any) -> MetadataError:
    return MetadataError(
        f"{where} has a value of the wrong type: `{name}` must be {expected}, got {shown(value)}; "
        f"{ADVICE}."
    )


def as_int(value: Any, where: str, name: str) -> int:
    """A whole number from an int, an integral float or a short decimal string."""
    if isinstance(value, bool):
        raise wrong(where, name, "an integer", value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and len(value) <= _MAX_DIGITS:
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise wrong(where, name, "an integer", value)


def as_float(value: Any, where: str, name: str) -> float:
    """A finite number from an int, a float or a short numeric string."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value) if abs(value) < 1e308 else math.inf
    elif isinstance(value, str) and len(value) <= _MAX_DIGITS:
        try:
            number = float(value.strip())
        except ValueError:
            number = math.nan
    else:
        number = math.nan
    if not math.isfinite(number):
        raise wrong(where, name, "a finite number", value)
    return number


def as_text(value: Any, where: str, name: str, *, default: str = "", strict: bool = False) -> str:
    """Text from a string (a number written as text unless `strict`); None gives `default`."""
    if value is None:
        return default
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and not strict:
        return str(value)
    raise wrong(where, name, "text", value)
