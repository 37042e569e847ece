"""Content-addressed file store: every blob lives under the sha256 of its bytes.

Layout is `root/ab/cdef....ext` (the first two hex digits name the folder, the
other 62 the file), so no folder grows past a few thousand entries. A blob is
written to a temporary name in its final folder, flushed, fsynced and then
`os.replace`d: the final name either holds the whole file or does not exist,
whatever happens in between. Ids and extensions are checked before any path is
built, and every path is checked to stay inside the root (`safe_join`).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from studiolo.core.errors import CatalogError, InvalidArgument, UnsafePath

_SHA256 = re.compile(r"[0-9a-f]{64}")
_EXT = re.compile(r"[a-z0-9]{1,10}")
_TMP_PREFIX = ".tmp-"
_CHUNK = 1 << 20


def safe_join(root: str | os.PathLike[str], relative: str | os.PathLike[str]) -> Path:
    """`root / relative`, refusing any result outside root (after resolving symlinks).

    Raises `UnsafePath` for `..` escapes, absolute paths elsewhere, and links
    that point out of root. Use it for every path a person or a file names.
    """
    text = os.fspath(relative)
    if "\x00" in text:
        raise UnsafePath(f"Path {text!r} contains a NUL byte.")
    base = Path(root).resolve()
    target = (base / text).resolve()
    if target != base and not target.is_relative_to(base):
        raise UnsafePath(
            f"Path {text!r} would escape {str(base)!r} (it resolves to {str(target)!r}); "
            "give a path inside that folder."
        )
    return target


def is_sha256(text: object) -> bool:
    """Whether `text` is a full id: 64 lowercase hex digits."""
    return isinstance(text, str) and _SHA256.fullmatch(text) is not None


def check_sha256(sha256: str) -> str:
    """Return `sha256` if it is 64 lowercase hex digits; raise before it can become a path."""
    if not isinstance(sha256, str):
        raise InvalidArgument(f"`sha256` must be a string, got {type(sha256).__name__}.")
    if _SHA256.fullmatch(sha256):
        return sha256
    if any(c in sha256 for c in ("/", "\\", "\x00")) or ".." in sha256:
        raise UnsafePath(f"Blob id {sha256!r} looks like a path; ids are 64 lowercase hex digits.")
    raise InvalidArgument(
        f"`sha256` must be 64 lowercase hex digits, got {sha256!r} ({len(sha256)} characters)."
    )


def _check_ext(ext: str) -> str:
    if not isinstance(ext, str):
        raise InvalidArgument(f"`ext` must be a string like 'png', got {type(ext).__name__}.")
    clean = ext.lower().removeprefix(".")
    if any(c in clean for c in ("/", "\\", "\x00", ".")):
        raise UnsafePath(f"Extension {ext!r} looks like a path; give one like 'png'.")
    if not _EXT.fullmatch(clean):
        raise InvalidArgument(f"`ext` must be 1-10 letters or digits like 'png', got {ext!r}.")
    return clean


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk (POSIX).
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobStore:
    """Blobs by content hash under `root` (created on first write)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().resolve()

    def __repr__(self) -> str:
        return f"BlobStore({str(self.root)!r})"

    # -- paths ----------------------------------------------------------------
    def _folder(self, sha256: str) -> Path:
        return safe_join(self.root, check_sha256(sha256)[:2])

    def _find(self, sha256: str) -> Path | None:
        folder = self._folder(sha256)
        stem = sha256[2:]
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return None
        for name in sorted(names):
            if name.startswith(stem + ".") and not name.startswith(_TMP_PREFIX):
                return safe_join(self.root, f"{sha256[:2]}/{name}")
        return None

    def path(self, sha256: str, ext: str | None = None) -> Path:
        """Where the blob lives, whatever its extension; `CatalogError` if it is not stored.

        `ext` (the catalog keeps it) saves listing the blob's folder: one stat instead.
        """
        if ext is not None:
            exact = safe_join(self.root, f"{check_sha256(sha256)[:2]}/{sha256[2:]}.{_check_ext(ext)}")
            if exact.is_file():
                return exact
        found = self._find(sha256)
        if found is None:
            raise CatalogError(
                f"No file with id {sha256} in the store {str(self.root)!r}; it was deleted or "
                "never stored."
            )
        return found

    def exists(self, sha256: str) -> bool:
        return self._find(sha256) is not None

    # -- writing --------------------------------------------------------------
    def put(self, data: bytes, ext: str) -> tuple[str, Path]:
        """Store `data`; return its sha256 and path. Storing known content changes nothing."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise InvalidArgument(f"`data` must be bytes, got {type(data).__name__}.")
        ext = _check_ext(ext)
        sha = hashlib.sha256(data).hexdigest()
        existing = self._find(sha)
        if existing is not None:
            return sha, existing
        folder = self._folder(sha)
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=_TMP_PREFIX, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            return sha, self._commit(Path(tmp), sha, ext)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put_file(self, src: str | os.PathLike[str], ext: str | None = None) -> tuple[str, Path]:
        """Store a copy of the file at `src` (streamed, so big files are fine).

        `ext` defaults to the source's own extension.
        """
        src = Path(src)
        if not src.is_file():
            raise InvalidArgument(f"`src` must be an existing file, got {str(src)!r}.")
        ext = _check_ext(ext if ext is not None else src.suffix)
        self.root.mkdir(parents=True, exist_ok=True)
        # The hash is known only after reading, so the copy starts in the root
        # (same file system, hence an atomic rename later) and moves in place.
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=_TMP_PREFIX, suffix=".part")
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, src.open("rb") as inp:
                while chunk := inp.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            existing = self._find(sha)
            if existing is not None:
                Path(tmp).unlink()
                return sha, existing
            self._folder(sha).mkdir(parents=True, exist_ok=True)
            return sha, self._commit(Path(tmp), sha, ext)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _commit(self, tmp: Path, sha: str, ext: str) -> Path:
        final = safe_join(self.root, f"{sha[:2]}/{sha[2:]}.{ext}")
        os.replace(tmp, final)
        _fsync_dir(final.parent)
        return final

    # -- reading and removing -------------------------------------------------
    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def delete(self, sha256: str) -> bool:
        """Remove the blob; True if there was one. Deleting a missing blob is not an error."""
        found = self._find(sha256)
        if found is None:
            return False
        found.unlink(missing_ok=True)
        try:
            found.parent.rmdir()  # only succeeds when the folder is now empty
        except OSError:
            pass
        return True

    def iter_ids(self) -> Iterator[str]:
        """Every stored id, in sorted order (temporary files are never listed)."""
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if not (folder.is_dir() and len(folder.name) == 2):
                continue
            for entry in sorted(folder.iterdir()):
                sha = folder.name + entry.name.split(".", 1)[0]
                if entry.is_file() and _SHA256.fullmatch(sha):
                    yield sha

    def clean_temporary(self) -> int:
        """Remove temporary files a killed process left behind; return how many."""
        if not self.root.is_dir():
            return 0
        leftovers = [*self.root.glob(f"{_TMP_PREFIX}*"), *self.root.glob(f"??/{_TMP_PREFIX}*")]
        for path in leftovers:
            path.unlink(missing_ok=True)
        return len(leftovers)


__all__ = ["BlobStore", "check_sha256", "safe_join"]
