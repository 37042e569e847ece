"""Content hashes of weights: what a recipe records so an image can be made again.

`file_sha256` streams the file and remembers the answer in
STUDIOLO_HOME/cache/hashes.json keyed by (absolute path, size, mtime_ns), so a
10 GB checkpoint is read once, not on every run. A changed file (new size or
modification time) is hashed again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from studiolo.core.atomic import write_json_atomic
from studiolo.core.settings import Settings
from studiolo.models.safety import SAFE_SUFFIXES, weight_files

_CHUNK = 4 * 1024 * 1024


def hash_cache_path(settings: Settings) -> Path:
    return settings.home / "cache" / "hashes.json"


def _read_cache(path: Path) -> dict[str, dict]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}  # a missing or damaged cache only costs a re-hash
    return data if isinstance(data, dict) else {}


def _write_cache(path: Path, data: dict[str, dict]) -> None:
    # Write then rename: two processes hashing at once never leave half a file.
    write_json_atomic(path, data, indent=0, sort_keys=True)


def _stream_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: str | Path, settings: Settings | None = None) -> str:
    """The sha256 (hex) of a file, cached on disk when `settings` is given."""
    path = Path(path).resolve()  # HF cache files are symlinks to blobs: key on the blob
    if settings is None:
        return _stream_sha256(path)
    stat = path.stat()
    cache_file = hash_cache_path(settings)
    cache = _read_cache(cache_file)
    key = str(path)
    entry = cache.get(key)
    if (
        isinstance(entry, dict)
        and entry.get("size") == stat.st_size
        and entry.get("mtime_ns") == stat.st_mtime_ns
        and isinstance(entry.get("sha256"), str)
    ):
        return entry["sha256"]
    digest = _stream_sha256(path)
    cache = _read_cache(cache_file)  # re-read: another process may have added entries
    cache[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}
    _write_cache(cache_file, cache)
    return digest


def folder_sha256(folder: str | Path, settings: Settings | None = None) -> str:
    """sha256 over the sorted (relative path, file sha256) of a folder's safe weights files.

    Configs and tokenizers are left out: the hash names the weights, so
    re-saving a config with another diffusers version keeps the hash.
    """
    folder = Path(folder)
    digest = hashlib.sha256()
    for f in weight_files(folder):
        if f.suffix.lower() not in SAFE_SUFFIXES:
            continue
        rel = f.relative_to(folder).as_posix()
        digest.update(f"{rel}\0{file_sha256(f, settings)}\n".encode())
    return digest.hexdigest()


def model_hash(source, settings: Settings | None = None) -> str:
    """Content hash of a resolved model (`ModelSource`) or a path: file sha256 or folder hash."""
    path = Path(getattr(source, "path", source))
    if path.is_dir():
        return folder_sha256(path, settings)
    return file_sha256(path, settings)


def short_hash(h: str) -> str:
    """The first 10 hex digits: what AUTOMATIC1111 shows as "Model hash"."""
    return h[:10]
