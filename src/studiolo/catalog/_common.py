"""Small helpers the catalog's tables share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from studiolo.core.errors import InvalidArgument


def now() -> datetime:
    return datetime.now(UTC)


def text_arg(name: str, value: Any, *, max_len: int = 200) -> str:
    """`value` stripped, if it is a non-empty string of at most `max_len` characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument(f"`{name}` must be a non-empty string, got {value!r}.")
    if len(value) > max_len:
        raise InvalidArgument(f"`{name}` must be at most {max_len} characters, got {len(value)}.")
    return value.strip()
