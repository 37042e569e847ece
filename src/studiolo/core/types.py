"""The core types: small, frozen, typed (see DESIGN.md).

`Recipe` is everything needed to make an image again; `Artwork` is a stored
(or about to be stored) image with its recipe; `Credit` says who or what
contributed; `Job` is a unit of work with a status.
"""

from __future__ import annotations

import dataclasses
import json
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
                f"Recipe version {version!r} is not supported; this studiolo reads version "
                f"{RECIPE_VERSION}."
            )
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidArgument(f"Recipe has unknown fields {unknown}.")
        if "engine" not in data:
            raise InvalidArgument("Recipe has no `engine` field.")
        data["loras"] = tuple(LoraSpec(**lo) for lo in data.get("loras", ()))
        data["inputs"] = tuple(InputRef(**ref) for ref in data.get("inputs", ()))
        data["options"] = dict(data.get("options") or {})
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> Recipe:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidArgument(f"Recipe JSON cannot be parsed: {exc}.") from None
        if not isinstance(data, dict):
            raise InvalidArgument(f"Recipe JSON must be an object, got {type(data).__name__}.")
        return cls.from_dict(data)


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


MAX_SEED = 2**32 - 1  # the seeds every engine accepts (a 32-bit generator seed)


def random_seed() -> int:
    """A seed from the operating system's randomness, 0 to MAX_SEED."""
    return random.SystemRandom().randrange(0, MAX_SEED + 1)
