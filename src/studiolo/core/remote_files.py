"""A file store shared by the machines of a cluster: an fsspec location (s3://bucket/prefix,
gs://..., file:///shared/folder, memory://...) mirrored in the local store.

Every blob is written to the local store first (a temporary name, then a rename) and then
to the shared location under the same name, `ab/cdef....png`; for an object store one
upload is atomic, and for a folder the blob goes to a temporary name that is renamed. A
blob this machine has not seen yet is fetched from the shared location into the local
store the first time it is asked for, so `path()` always answers with a local file (the
web studio and the engines read files). S3-compatible stores need `s3fs` installed; a
shared folder needs nothing but fsspec.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from studiolo.core.errors import CatalogError, InvalidArgument
from studiolo.core.files import BlobStore, check_sha256


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError:
        raise CatalogError(f"The shared file store {url!r} needs fsspec: pip install fsspec "
                           "(and s3fs for s3:// stores).") from None
    try:
        fs, root = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise CatalogError(f"Cannot use the shared file store {url!r}: {exc}.") from None
    return fs, str(root).rstrip("/")


class MirroredStore(BlobStore):
    """Blobs in a local store (`root`) and a shared fsspec location (`url`)."""

    def __init__(self, root: str | os.PathLike[str], url: str) -> None:
        super().__init__(root)
        if not isinstance(url, str) or "://" not in url:
            raise InvalidArgument(f"`url` must be an fsspec URL like s3://bucket/studio or "
                                  f"file:///shared/studio, got {url!r}.")
        self.url = url
        self.fs, self.remote = _filesystem(url)
        self._atomic_rename = getattr(self.fs, "protocol", None) in ("file", ("file", "local"))

    def __repr__(self) -> str:
        return f"MirroredStore({str(self.root)!r}, {self.url!r})"

    def _remote_name(self, sha: str, ext: str) -> str:
        return f"{self.remote}/{sha[:2]}/{sha[2:]}.{ext}"

    def _remote_find(self, sha: str) -> str | None:
        folder = f"{self.remote}/{check_sha256(sha)[:2]}"
        try:
            names = self.fs.ls(folder, detail=False)
        except FileNotFoundError:
            return None
        stem = sha[2:] + "."
        for name in sorted(str(n) for n in names):
            base = name.rsplit("/", 1)[-1]
            if base.startswith(stem):
                return name
        return None

    def _upload(self, sha: str, local: Path) -> None:
        ext = local.suffix.removeprefix(".")
        target = self._remote_name(sha, ext)
        if self.fs.exists(target):
            return
        self.fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        if not self._atomic_rename:
            self.fs.put_file(str(local), target)  # one PUT: the object appears whole or not
            return
        tmp = f"{target.rsplit('/', 1)[0]}/.tmp-{secrets.token_hex(6)}"
        self.fs.put_file(str(local), tmp)
        self.fs.mv(tmp, target)

    # -- the store's calls ---------------------------------------------------------------
    def put(self, data: bytes, ext: str) -> tuple[str, Path]:
        sha, path = super().put(data, ext)
        self._upload(sha, path)
        return sha, path

    def put_file(self, src: str | os.PathLike[str], ext: str | None = None) -> tuple[str, Path]:
        sha, path = super().put_file(src, ext)
        self._upload(sha, path)
        return sha, path

    def path(self, sha256: str, ext: str | None = None) -> Path:
        try:
            return super().path(sha256, ext)
        except CatalogError:
            pass
        found = self._remote_find(sha256)
        if found is None:
            raise CatalogError(f"No file with id {sha256} in the store {str(self.root)!r} or in "
                               f"{self.url!r}; it was deleted or never stored.")
        # Fetched through the local store's own write-then-rename: a reader never sees half.
        with self.fs.open(found, "rb") as remote:
            data = remote.read()
        got, local = BlobStore.put(self, data, found.rsplit(".", 1)[-1])
        if got != sha256:
            BlobStore.delete(self, got)
            raise CatalogError(f"The shared copy of {sha256} in {self.url!r} holds other bytes "
                               f"(their sha256 is {got}); the shared store is damaged.")
        return local

    def exists(self, sha256: str) -> bool:
        return super().exists(sha256) or self._remote_find(sha256) is not None

    def delete(self, sha256: str) -> bool:
        here = super().delete(sha256)
        found = self._remote_find(sha256)
        if found is not None:
            self.fs.rm(found)
        return here or found is not None


def open_store(files_dir: Path, url: str | None) -> BlobStore:
    """The studio's file store: the local folder, mirrored to `url` when one is set."""
    return BlobStore(files_dir) if not url else MirroredStore(files_dir, url)
