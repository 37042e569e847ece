"""What models and LoRAs are available offline: STUDIOLO_HOME/models, the HF cache, STUDIOLO_HOME/loras."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studiolo.core.errors import StudioloError
from studiolo.core.settings import Settings
from studiolo.models.hashing import file_sha256, folder_sha256
from studiolo.models.lora import loras_dir
from studiolo.models.refs import folder_family, hf_hub_cache, single_file_family


@dataclass(frozen=True)
class ModelInfo:
    """One model or LoRA found on disk.

    kind: "diffusers", "single_file", "hub" or "lora"; source: "local" or
    "hf-cache"; sha256 is None unless hashes were asked for.
    """

    name: str
    kind: str
    path: Path
    size_bytes: int
    sha256: str | None = None
    family: str | None = None
    source: str = "local"


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    # stat() follows the HF cache's symlinks to the blobs, so sizes are real.
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _file_info(path: Path, kind: str, settings: Settings, with_hash: bool) -> ModelInfo | None:
    try:
        family = single_file_family(path)[0] if kind == "single_file" else None
    except StudioloError:
        return None  # not a safetensors file: listing shows only what can be loaded
    return ModelInfo(
        name=path.stem, kind=kind, path=path, size_bytes=_size(path),
        sha256=file_sha256(path, settings) if with_hash else None, family=family,
    )


def _folder_info(path: Path, name: str, kind: str, source: str, settings: Settings,
                 with_hash: bool) -> ModelInfo:
    return ModelInfo(
        name=name, kind=kind, path=path, size_bytes=_size(path),
        sha256=folder_sha256(path, settings) if with_hash else None,
        family=folder_family(path)[0], source=source,
    )


def _hub_snapshots(cache: Path) -> list[tuple[str, Path]]:
    """(repo id, snapshot folder of its main ref or newest snapshot) for cached model repos."""
    found = []
    for repo in sorted(cache.glob("models--*")):
        snapshots = repo / "snapshots"
        ref = repo / "refs" / "main"
        chosen = None
        if ref.is_file():
            candidate = snapshots / ref.read_text("utf-8").strip()
            chosen = candidate if candidate.is_dir() else None
        if chosen is None and snapshots.is_dir():
            dirs = sorted((d for d in snapshots.iterdir() if d.is_dir()),
                          key=lambda d: d.stat().st_mtime)
            chosen = dirs[-1] if dirs else None
        if chosen is not None and (chosen / "model_index.json").is_file():
            found.append((repo.name[len("models--"):].replace("--", "/"), chosen))
    return found


def list_models(settings: Settings | None = None, *, with_hash: bool = False) -> list[ModelInfo]:
    """Every model and LoRA available offline, local ones first, each group sorted by name."""
    settings = settings or Settings.from_env()
    found: list[ModelInfo] = []
    models = settings.models_dir
    if models.is_dir():
        for entry in sorted(models.iterdir()):
            if entry.is_dir() and (entry / "model_index.json").is_file():
                found.append(_folder_info(entry, entry.name, "diffusers", "local", settings, with_hash))
            elif entry.is_file() and entry.suffix == ".safetensors":
                info = _file_info(entry, "single_file", settings, with_hash)
                if info:
                    found.append(info)
    cache = hf_hub_cache()
    if cache.is_dir():
        for repo_id, snapshot in _hub_snapshots(cache):
            found.append(_folder_info(snapshot, repo_id, "hub", "hf-cache", settings, with_hash))
    loras = loras_dir(settings)
    if loras.is_dir():
        for entry in sorted(loras.glob("*.safetensors")):
            info = _file_info(entry, "lora", settings, with_hash)
            if info:
                found.append(info)
    return found
