"""The core types: small, frozen, typed (see DESIGN.md).

`Recipe` is everything needed to make an image again; `Artwork` is a stored
(or about to be stored) image with its recipe; `Credit` says who or what
contributed; `Job` is a unit of work with a status.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from studiolo.core.errors import InvalidArgument

RECIPE_VERSION = 1


@dataclass(frozen=True)
class LoraSpec:
    """A LoRA applied to a model: a name (file stem), where it was found, its weight, its hash."""

    name: str
    weight: float = 1.0
    path: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class InputRef:
    """An input image of a recipe, by role ("init", "mask", "style", ...) and content hash."""

    role: str
    sha256: str


@dataclass(frozen=True)
class Recipe:
    """Everything needed to make an image again.

    `model_hash` is the sha256 of the model's weights (AUTOMATIC1111 shows its
    first 10 hex digits as "Model hash"). `generator_device` is where the noise
    was drawn: studiolo draws on the CPU so a seed gives the same noise on any
    device. `options` holds engine-specific settings (JSON values only).
    """

    engine: str
    mode: str = "txt2img"
    prompt: str = ""
    negative_prompt: str = ""
    seed: int = 0
    steps: int = 20
    guidance: float = 7.0
    width: int = 512
    height: int = 512
    sampler: str | None = None
    model: str | None = None
    model_hash: str | None = None
    loras: tuple[LoraSpec, ...] = ()
    strength: float | None = None
    inputs: tuple[InputRef, ...] = ()
    generator_device: str = "cpu"
    options: dict[str, Any] = field(default_factory=dict)

    def replace(self, **changes: Any) -> Recipe:
        return dataclasses.replace(self, **changes)

    def input(self, role: str) -> str | None:
        """The content hash of the input image with this role, or None."""
        for ref in self.inputs:
            if ref.role == role:
                return ref.sha256
        return None

    # -- JSON ---------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["loras"] = [dataclasses.asdict(lo) for lo in self.loras]
        data["inputs"] = [dataclasses.asdict(ref) for ref in self.inputs]
        data["version"] = RECIPE_VERSION
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recipe:
        data = dict(data)
        version = data.pop("version", RECIPE_VERSION)
        if version != RECIPE_VERSION:
            raise InvalidArgument(
                f"Recipe version {_short(version)} is not supported; this studiolo reads version "
                f"{RECIPE_VERSION}."
            )
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(str(k) for k in set(data) - known)
        if unknown:
            raise InvalidArgument(f"Recipe has unknown fields {_short(unknown, 200)}.")
        if "engine" not in data:
            raise InvalidArgument("Recipe has no `engine` field.")
        for name, value in data.items():
            if name not in ("loras", "inputs", "options"):
                _check_field("Recipe", name, value, _RECIPE_FIELDS[name])
        data["loras"] = tuple(_record(LoraSpec, "loras", i, lo) for i, lo in
                              enumerate(_sequence("loras", data.get("loras", ()))))
        data["inputs"] = tuple(_record(InputRef, "inputs", i, ref) for i, ref in
                               enumerate(_sequence("inputs", data.get("inputs", ()))))
        options = data.get("options") or {}
        if not isinstance(options, dict):
            raise InvalidArgument(f"Recipe field `options` must be an object, got {_short(options)}.")
        data["options"] = dict(options)
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> Recipe:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, too many digits, too deep
            raise InvalidArgument(f"Recipe JSON cannot be parsed: {_short(exc, 120)}.") from None
        if not isinstance(data, dict):
            raise InvalidArgument(f"Recipe JSON must be an object, got {type(data).__name__}.")
        return cls.from_dict(data)


# What each JSON field of a recipe may hold: a recipe read from a file (the `Studiolo`
# infotext key, a catalog row) is outside data, and a wrong type would only fail later.
_INT, _NUMBER, _TEXT, _OPTIONAL_TEXT = "an integer", "a number", "text", "text or null"
_RECIPE_FIELDS = {
    "engine": _TEXT, "mode": _TEXT, "prompt": _TEXT, "negative_prompt": _TEXT, "seed": _INT,
    "steps": _INT, "guidance": _NUMBER, "width": _INT, "height": _INT,
    "sampler": _OPTIONAL_TEXT, "model": _OPTIONAL_TEXT, "model_hash": _OPTIONAL_TEXT,
    "strength": "a number or null", "generator_device": _TEXT,
}
_RECORD_FIELDS: dict[str, dict[str, str]] = {
    "loras": {"name": _TEXT, "weight": _NUMBER, "path": _OPTIONAL_TEXT, "sha256": _OPTIONAL_TEXT},
    "inputs": {"role": _TEXT, "sha256": _TEXT},
}
_REQUIRED = {"loras": ("name",), "inputs": ("role", "sha256")}


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value) if not isinstance(value, BaseException) else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fits(value: Any, kind: str) -> bool:
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in (_NUMBER, "a number or null"):
        if value is None:
            return kind != _NUMBER
        return (isinstance(value, int | float) and not isinstance(value, bool)
                and math.isfinite(value))
    if kind == _TEXT:
        return isinstance(value, str)
    return value is None or isinstance(value, str)


def _check_field(what: str, name: str, value: Any, kind: str) -> None:
    if not _fits(value, kind):
        raise InvalidArgument(f"{what} field `{name}` must be {kind}, got {_short(value)}.")


def _sequence(name: str, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise InvalidArgument(f"Recipe field `{name}` must be a list, got {_short(value)}.")
    return list(value)


def _record(cls: Any, name: str, index: int, value: Any) -> Any:
    fields = _RECORD_FIELDS[name]
    if isinstance(value, cls):
        return value
    if not isinstance(value, dict):
        raise InvalidArgument(f"Recipe `{name}[{index}]` must be an object, got {_short(value)}.")
    unknown = sorted(str(k) for k in set(value) - set(fields))
    missing = [k for k in _REQUIRED[name] if k not in value]
    if unknown or missing:
        raise InvalidArgument(f"Recipe `{name}[{index}]` has unknown fields {unknown[:5]} or lacks "
                              f"{missing}; got {_short(value)}.")
    for key, item in value.items():
        _check_field(f"Recipe `{name}[{index}]`", key, item, fields[key])
    return cls(**value)


CREDIT_KINDS = ("person", "model", "lora", "artwork", "artist", "dataset", "software")
CREDIT_ROLES = (
    "prompt_author",
    "style_source",
    "reference",
    "subject",
    "model_author",
    "editor",
    "curator",
    "tool",
    "influence",
)


@dataclass(frozen=True)
class Credit:
    """Who or what contributed to an artwork, in what role, on what evidence, with what share."""

    name: str
    kind: str
    role: str
    share: float = 0.0
    evidence: str = ""
    ref: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in CREDIT_KINDS:
            raise InvalidArgument(f"Credit kind must be one of {CREDIT_KINDS}, got {self.kind!r}.")
        if self.role not in CREDIT_ROLES:
            raise InvalidArgument(f"Credit role must be one of {CREDIT_ROLES}, got {self.role!r}.")


@dataclass(frozen=True)
class Artwork:
    """An image with its recipe.

    Engines return Artworks with `image` set and `id` None; the Studio encodes
    and stores them and returns Artworks whose `id` is the sha256 of the
    stored file and whose `path` is where that file lives.
    """

    recipe: Recipe
    image: Any = None  # PIL.Image.Image while in memory
    id: str | None = None
    credits: tuple[Credit, ...] = ()
    owner: str | None = None
    created: datetime | None = None
    parents: tuple[str, ...] = ()
    path: Path | None = None
    width: int | None = None
    height: int | None = None
    title: str | None = None

    def replace(self, **changes: Any) -> Artwork:
        return dataclasses.replace(self, **changes)


JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled")


@dataclass(frozen=True)
class Job:
    """A unit of work: what was asked, how far it got, what it made or why it failed."""

    id: str
    kind: str
    request: dict[str, Any]
    status: str = "queued"
    progress: float = 0.0
    result_ids: tuple[str, ...] = ()
    error: str | None = None
    created: datetime | None = None
    updated: datetime | None = None
    owner: str | None = None
    # The queue's side (studiolo/catalog/queue.py): attempts so far and allowed, the worker
    # holding a running job and until when, whether it needs a device to itself, a cancel
    # asked while it runs, its batch, and the last stage and message it reported.
    attempts: int = 0
    max_attempts: int = 3
    worker: str | None = None
    lease_until: datetime | None = None
    started: datetime | None = None
    finished: datetime | None = None
    heavy: bool = False
    cancel_requested: bool = False
    batch: str | None = None
    stage: str | None = None
    message: str | None = None

    @property
    def ended(self) -> bool:
        """Whether nothing more will happen to it unless someone retries it."""
        return self.status in ("done", "failed", "cancelled")


MAX_SEED = 2**32 - 1  # the seeds every engine accepts (a 32-bit generator seed)


def random_seed() -> int:
    """A seed from the operating system's randomness, 0 to MAX_SEED."""
    return random.SystemRandom().randrange(0, MAX_SEED + 1)


MAX_STORED_SEED = 2**63 - 1  # the catalog keeps a seed as a 64-bit signed integer
MAX_BATCH = 64  # artworks one run makes; more is a loop of runs, not one request


def check_seed_and_batch(seed: object, batch_size: object = 1) -> None:
    """Refuse, before any work, a seed no engine can keep or a batch no run should make.

    Artworks of a batch get seeds seed, seed+1, ..., and each is stored with its
    seed, so the last one must fit the catalog too. Engines may accept fewer seeds
    (the diffusion engine's generator takes 0 to MAX_SEED) and say so themselves.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= MAX_BATCH:
        raise InvalidArgument(
            f"`batch_size` must be an integer from 1 to {MAX_BATCH}, got {_short(batch_size)}; "
            "make fewer artworks per run (run again for more)."
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_STORED_SEED:
        raise InvalidArgument(
            f"`seed` must be an integer from 0 to {MAX_STORED_SEED}, got {_short(seed)}; pick a "
            f"smaller seed (any seed from 0 to {MAX_SEED} works with every engine)."
        )
    if seed + batch_size - 1 > MAX_STORED_SEED:
        raise InvalidArgument(
            f"`seed` {seed} with `batch_size` {batch_size} would give seeds past "
            f"{MAX_STORED_SEED}, the largest the catalog can keep; pick a smaller seed."
        )
