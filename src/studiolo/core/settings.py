"""Where the studio keeps its things, read from the environment.

`STUDIOLO_HOME` (default `~/.studiolo`) holds the catalog database, the file
store and the signing keys; `STUDIOLO_DATABASE_URL` points the catalog at
another database (PostgreSQL, say) instead of `HOME/catalog.sqlite`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    person: str = field(default="")
    device: str | None = None  # None: choose automatically
    # What a request naming an opted-out artist or style gets: "refuse" or "credit"
    # (allowed, with the owner credited); env STUDIOLO_CONSENT_POLICY.
    consent_policy: str = "refuse"
    # Privacy: whether the prompt is written into the file (infotext and C2PA manifest);
    # env STUDIOLO_PROMPT_IN_FILE (0/false/no/off to keep it out). An artwork may override.
    prompt_in_file: bool = True
    # The C2PA training-and-mining choice signed into every artwork: "notAllowed",
    # "allowed" or "constrained"; env STUDIOLO_TRAINING_MINING.
    training_mining: str = "notAllowed"
    # Whether what this studio stores is private to its person (the web studio's "private"
    # box makes a view with it set: see `Studio.acting_as`).
    private_works: bool = False

    @property
    def files_dir(self) -> Path:
        return self.home / "files"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @classmethod
    def from_env(cls, home: str | os.PathLike[str] | None = None, **overrides: object) -> Settings:
        root = Path(home or os.environ.get("STUDIOLO_HOME") or Path.home() / ".studiolo")
        root = root.expanduser().resolve()
        url = os.environ.get("STUDIOLO_DATABASE_URL") or f"sqlite:///{root / 'catalog.sqlite'}"
        person = os.environ.get("STUDIOLO_PERSON") or os.environ.get("USER") or "me"
        values: dict[str, object] = {"home": root, "database_url": url, "person": person}
        if os.environ.get("STUDIOLO_CONSENT_POLICY"):
            values["consent_policy"] = os.environ["STUDIOLO_CONSENT_POLICY"]
        if os.environ.get("STUDIOLO_PROMPT_IN_FILE"):
            values["prompt_in_file"] = _env_bool("STUDIOLO_PROMPT_IN_FILE")
        if os.environ.get("STUDIOLO_TRAINING_MINING"):
            values["training_mining"] = os.environ["STUDIOLO_TRAINING_MINING"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


def _env_bool(name: str) -> bool:
    value = os.environ[name].strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    from studiolo.core.errors import InvalidArgument

    raise InvalidArgument(f"`{name}` must be 1/true/yes/on or 0/false/no/off, got {value!r}.")
