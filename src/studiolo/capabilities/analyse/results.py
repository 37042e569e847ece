"""JSON for the result dataclasses: plain dicts, lists, strings and rounded numbers."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

DIGITS = 4  # figures are estimates: more digits would only be noise in a report


def jsonable(value: Any) -> Any:
    """`value` as JSON values: dataclasses to dicts (fields whose name starts with "_" and
    picture fields are left out), tuples to lists, numpy numbers to floats, NaN to None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not f.name.startswith("_") and f.metadata.get("json", True)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return None if not math.isfinite(number) else round(number, DIGITS)
    return value


# Metadata of a dataclass field holding a picture: kept out of `to_json()` (the report
# embeds the picture itself).
PICTURE = {"json": False}
