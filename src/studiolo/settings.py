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
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
