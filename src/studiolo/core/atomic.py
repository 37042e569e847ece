"""Writing a file so that a crash never leaves half of it: a temporary name, then a rename.

Every file studiolo writes outside the content-addressed store goes through
`write_atomic`: the temporary file sits in the same folder (so `os.replace` is
atomic on the same file system), is removed when anything fails, and the final
name either holds the whole new content or the old one.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

TEMP_PREFIX = ".tmp-"


def write_atomic(path: str | os.PathLike[str], data: bytes | str, *, private: bool = False,
                 fsync: bool = False) -> Path:
    """Write `data` (text is UTF-8) to `path` through a temporary file and a rename.

    `private`: the file is created readable by its owner only (0600), never wider, even
    for a moment. `fsync`: flush to disk before the rename (keys, checkpoints).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f"{TEMP_PREFIX}{target.name}.")
    try:
        os.fchmod(fd, 0o600 if private else 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_json_atomic(path: str | os.PathLike[str], data: Any, **dump: Any) -> Path:
    """`data` as JSON (UTF-8, `dump` passed to json.dumps), written atomically."""
    dump.setdefault("ensure_ascii", False)
    return write_atomic(path, json.dumps(data, **dump))


def npz_bytes(**arrays: Any) -> bytes:
    """NumPy arrays as the bytes of an .npz file (for `write_atomic`)."""
    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def leftovers(folder: str | os.PathLike[str]) -> list[Path]:
    """Temporary files a crash left in `folder` (not recursive)."""
    root = Path(folder)
    return sorted(root.glob(f"{TEMP_PREFIX}*")) if root.is_dir() else []
