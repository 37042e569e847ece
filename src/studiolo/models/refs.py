"""Model references: a diffusers folder, a single-file checkpoint, or a Hugging Face repo id.

FIRST VERSION (to be extended): only local diffusers folders resolve.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelNotFound


@dataclass(frozen=True)
class ModelSource:
    """A resolved model reference.

    kind: "diffusers" (a folder with model_index.json), "single_file" (a
    .safetensors checkpoint) or "hub" (a repo id found in the HF cache, whose
    snapshot folder is `path`). `family`: "sd1", "sd2", "sdxl" or None when
    unknown. `sha256`: content hash of the weights, filled by `model_hash()`.
    """

    ref: str
    kind: str
    path: Path
    name: str
    family: str | None = None
    sha256: str | None = None


def resolve_model(ref: str, settings=None) -> ModelSource:
    path = Path(ref).expanduser()
    if path.is_dir() and (path / "model_index.json").is_file():
        return ModelSource(ref=ref, kind="diffusers", path=path.resolve(), name=path.name)
    raise ModelNotFound(f"Model {ref!r} is not a local diffusers folder.")
