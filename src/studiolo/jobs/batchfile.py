"""Batch files: one job a row, in CSV (a header row naming the fields) or JSONL (one JSON
object a line), and grids that multiply prompts, seeds, styles and engines.

The reader is total: a file it cannot use at all raises `InvalidArgument` with one
sentence (missing, empty, not UTF-8 text, not .csv/.jsonl, a header naming no field), and
a row it cannot use becomes a `RowProblem` with its line number while the other rows stand.
It reads the file once, in time linear in its size plus the jobs it yields (a grid is
refused before it is expanded when it would pass `max_jobs`).

Grids: in JSONL, `prompt`, `seed`, `style` and `engine` may each be a list; in CSV a
`seed` cell may be a range `1..8` or a list `1;5;9`, and `style` and `engine` cells lists
`a;b`. A row expands to every combination. `defaults` (the command line's `--seeds`,
`--styles`, `--engines`, ...) fill the fields a row leaves out, lists included.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studiolo.core.errors import InvalidArgument
from studiolo.core.textfile import read_text_file
from studiolo.jobs.make import MakeRequest, make_request

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
GRID_FIELDS = ("prompt", "seed", "style", "engine")
MAX_BYTES = 64 * 1024 * 1024
MAX_JOBS = 100_000
MAX_RANGE = 10_000
INTEGER_FIELDS = {"seed", "width", "height", "steps", "count"}
FLOAT_FIELDS = {"strength"}
BOOL_FIELDS = {"private"}
TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass(frozen=True)
class BatchRow:
    line: int  # where the row is in the file (1-based; a CSV record spanning lines: its first)
    request: dict[str, Any]  # a "make" job's request (jobs/make.py), one grid combination
    occurrence: int = 0  # how many identical requests came before it in the file


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str

    def sentence(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class BatchFile:
    path: Path
    format: str
    rows: tuple[BatchRow, ...]
    problems: tuple[RowProblem, ...]

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "format": self.format,
                "rows": [{"line": r.line, "request": r.request} for r in self.rows],
                "problems": [{"line": p.line, "message": p.message} for p in self.problems]}


class _RowError(ValueError):
    """A row's own mistake: reported with its line, the rest of the file goes on."""


def read_batch(path: str | Path, *, defaults: Mapping[str, Any] | None = None,
               max_jobs: int = MAX_JOBS) -> BatchFile:
    """The jobs of a batch file and the problems of its bad rows (see the module docstring)."""
    where = Path(path).expanduser()
    fmt = FORMATS.get(where.suffix.lower())
    if fmt is None:
        raise InvalidArgument(
            f"`{where.name}` is not a batch file: it must end in .csv (a header row, then one "
            f"job a row) or .jsonl (one JSON object a line), got {where.suffix or 'no suffix'!r}.")
    text = _read_text(where)
    if not text.strip():
        raise InvalidArgument(f"`{where.name}` is empty: write one job a row (for example "
                              + ('a header "prompt,seed" and a row "a harbour at dawn,7").'
                                 if fmt == "csv" else '{"prompt": "a harbour at dawn"}).'))
    base = _clean_defaults(defaults or {})
    records = _csv_records(text, where.name) if fmt == "csv" else _jsonl_records(text)
    rows: list[BatchRow] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for line, record in records:
        if isinstance(record, RowProblem):
            problems.append(record)
            continue
        try:
            expanded = _expand({**base, **{k: v for k, v in record.items() if v is not None}},
                               max_jobs - len(rows), max_jobs)
        except _RowError as exc:
            problems.append(RowProblem(line, str(exc)))
            continue
        for request in expanded:
            key = json.dumps(request, sort_keys=True)
            rows.append(BatchRow(line, request, seen.get(key, 0)))
            seen[key] = seen.get(key, 0) + 1
    return BatchFile(where, fmt, tuple(rows), tuple(problems))


def _read_text(where: Path) -> str:
    return read_text_file(where, name=f"`{where.name}`", give="the path of a .csv or .jsonl batch file",
                          kind="a batch file", limit=MAX_BYTES, advice=": split it")


def _jsonl_records(text: str) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        try:
            value = json.loads(raw, parse_constant=_no_constant)
        except ValueError as exc:  # a JSONDecodeError, a NaN, a number of 5,000 digits
            reason = (f"{exc.msg} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError)
                      else str(exc))
            yield line, RowProblem(line, f"not JSON ({reason}); each line must be one "
                                         'object like {"prompt": "a harbour at dawn"}.')
            continue
        except RecursionError:
            yield line, RowProblem(line, "the JSON is nested too deeply to be a job row.")
            continue
        if not isinstance(value, dict):
            yield line, RowProblem(line, f"a JSON {type(value).__name__}, not an object; each "
                                         'line must be like {"prompt": "a harbour at dawn"}.')
            continue
        yield line, value


def _no_constant(name: str) -> Any:
    raise _RowError(f"{name} is not a number JSON allows")


def _csv_records(text: str, name: str) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise InvalidArgument(f"`{name}` has no readable header row ({exc}); the first row "
                              "names the fields, like prompt,seed,style.") from None
    fields = [h.strip().lower() for h in header]
    known = set(MakeRequest.model_fields)
    unknown = [f for f in fields if f not in known]
    if unknown or not any(fields):
        raise InvalidArgument(
            f"`{name}`'s header names {unknown[0] if unknown else 'no field'!r}, which is not a "
            f"field of a job row; the fields are {', '.join(MakeRequest.model_fields)}.")
    if len(set(fields)) != len(fields):
        twice = next(f for f in fields if fields.count(f) > 1)
        raise InvalidArgument(f"`{name}`'s header names {twice!r} twice; name each field once.")
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, RowProblem(start, f"not a CSV row ({exc}).")
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(fields):
            yield line, RowProblem(line, f"{len(cells)} cells, but the header names "
                                         f"{len(fields)} fields; quote cells that hold commas.")
            continue
        record: dict[str, Any] | RowProblem
        try:
            record = {f: _cell(f, c) for f, c in zip(fields, cells) if c.strip()}
        except _RowError as exc:
            record = RowProblem(line, str(exc))
        yield line, record


def _cell(field: str, cell: str) -> Any:
    """A CSV cell as the value of its field (grid cells become lists)."""
    value = cell.strip()
    if field == "prompt":
        return cell
    if field == "seed" and (".." in value or ";" in value):
        return _seed_list(value)
    if field in ("style", "engine") and ";" in value:
        items = [v.strip() for v in value.split(";") if v.strip()]
        if not items:
            raise _RowError(f"`{field}` {cell!r} lists nothing; separate names with ';'.")
        return items
    if field in INTEGER_FIELDS:
        try:
            return int(value)
        except ValueError:
            raise _RowError(f"`{field}` must be a whole number, got {cell!r}.") from None
    if field in FLOAT_FIELDS:
        try:
            number = float(value)
        except ValueError:
            raise _RowError(f"`{field}` must be a number, got {cell!r}.") from None
        if not math.isfinite(number):
            raise _RowError(f"`{field}` must be a finite number, got {cell!r}.")
        return number
    if field in BOOL_FIELDS:
        if value.lower() in TRUE | FALSE:
            return value.lower() in TRUE
        raise _RowError(f"`{field}` must be true or false, got {cell!r}.")
    return value


def _seed_list(value: Any) -> list[int]:
    """`1..8` (both ends in), `1;5;9`, or a list of whole numbers, as a list of seeds."""
    if isinstance(value, list):
        items = value
    elif ".." in str(value):
        low, _, high = str(value).partition("..")
        try:
            first, last = int(low), int(high)
        except ValueError:
            raise _RowError(f"`seed` range {value!r} must look like 1..8.") from None
        if last < first or last - first >= MAX_RANGE:
            raise _RowError(f"`seed` range {value!r} must go up, by at most {MAX_RANGE} seeds.")
        return list(range(first, last + 1))
    else:
        items = [v.strip() for v in str(value).split(";") if v.strip()]
    seeds: list[int] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise _RowError(f"`seed` {item!r} is not a whole number.")
        try:
            seeds.append(int(item))
        except ValueError:
            raise _RowError(f"`seed` {item!r} is not a whole number.") from None
    return seeds


def _clean_defaults(defaults: Mapping[str, Any]) -> dict[str, Any]:
    known = set(MakeRequest.model_fields)
    bad = [k for k in defaults if k not in known]
    if bad:
        raise InvalidArgument(f"`defaults` names {bad[0]!r}, which is not a field of a job row; "
                              f"the fields are {', '.join(MakeRequest.model_fields)}.")
    try:
        return {k: (_seed_list(v) if k == "seed" and isinstance(v, str) else v)
                for k, v in defaults.items() if v is not None}
    except _RowError as exc:
        raise InvalidArgument(str(exc)) from None


def _expand(record: dict[str, Any], budget: int, limit: int) -> list[dict[str, Any]]:
    """Every combination of a row's grid fields, each checked as a make request."""
    axes: list[tuple[str, list[Any]]] = []
    size = 1
    for field in GRID_FIELDS:
        value = record.get(field)
        if field == "seed" and isinstance(value, str):
            value = _seed_list(value)
        if isinstance(value, list):
            if not value:
                raise _RowError(f"`{field}` is an empty list; give at least one value.")
            if field == "seed":
                value = _seed_list(value)
            axes.append((field, value))
            size *= len(value)
            if size > budget:
                raise _RowError(f"the row's grid makes {size} or more jobs, past what is left of "
                                f"the {limit} a batch may hold; split the file.")
    if size > budget:
        raise _RowError(f"the batch already holds {limit} jobs; split the file.")
    names = [name for name, _ in axes]
    out = []
    for combination in itertools.product(*(values for _, values in axes)):
        request = {**record, **dict(zip(names, combination))}
        try:
            checked = make_request(request)
        except InvalidArgument as exc:
            raise _RowError(str(exc)) from None
        out.append(checked.model_dump(exclude_defaults=True))
    return out
