"""A file store shared by the machines of a cluster: an fsspec location (s3://bucket/prefix,
gs://..., file:///shared/folder, memory://...) mirrored in the local store.

Every blob is written to the local store first (a temporary name, then a rename) and then
to the shared location under the same name, `ab/cdef....png`; for an object store one
upload is atomic, and for a folder the blob goes to a temporary name that is renamed. A
blob this machine has not seen yet is fetched from the shared location into the local
store the first time it is asked for, so `path()` always answers with a local file (the
web studio and the engines read files). S3-compatible stores need `s3fs` installed (the
extra `scale`); a shared folder needs nothing but fsspec.

An S3-compatible store (AWS, MinIO, Ceph, moto's server) is named `s3://BUCKET/PREFIX`; where
it is and who may use it come from the usual variables, read by botocore: AWS_ENDPOINT_URL
(e.g. http://minio.local:9000), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION.
The store is asked for once when it is opened, so refused credentials or an endpoint that
does not answer are one sentence when the studio starts, not a failure in the middle of a
job (later failures are the same sentences).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from studiolo.core.errors import CatalogError, InvalidArgument, StudioloError
from studiolo.core.files import BlobStore, check_sha256


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError:
        raise CatalogError(f"The shared file store {url!r} needs fsspec: pip install fsspec "
                           "(and s3fs for s3:// stores).") from None
    try:
        # A filesystem of its own: fsspec would hand back one made earlier in this process with
        # the credentials of then, not those in the environment now.
        fs, root = fsspec.core.url_to_fs(url, skip_instance_cache=True)
    except (ImportError, ValueError) as exc:
        raise CatalogError(f"Cannot use the shared file store {url!r}: {exc}.") from None
    return fs, str(root).rstrip("/")


def _refusal(url: str, exc: BaseException) -> CatalogError:
    """One sentence for what the shared store answered (or did not)."""
    detail = " ".join(str(exc).split())[:160].rstrip(".")
    if isinstance(exc, PermissionError):
        return CatalogError(f"The shared file store {url!r} refused this machine's credentials "
                            f"({detail}); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.")
    return CatalogError(f"The shared file store {url!r} cannot be reached ({detail}); check "
                        "that it is running and AWS_ENDPOINT_URL names it.")


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
        self._ask(self._probe)

    def _probe(self) -> None:
        try:
            self.fs.ls(self.remote, detail=False)
        except FileNotFoundError:  # an empty store: its folder appears with the first file
            pass

    def _ask(self, call: Any, *args: Any) -> Any:
        """`call(*args)` on the shared store; what it refuses, in one sentence."""
        try:
            return call(*args)
        except FileNotFoundError:
            raise
        except Exception as exc:  # botocore, aiohttp, OSError: whichever the fsspec backend raises
            if isinstance(exc, StudioloError):
                raise
            raise _refusal(self.url, exc) from exc

    def __repr__(self) -> str:
        return f"MirroredStore({str(self.root)!r}, {self.url!r})"

    def _remote_name(self, sha: str, ext: str) -> str:
        return f"{self.remote}/{sha[:2]}/{sha[2:]}.{ext}"

    def _remote_find(self, sha: str) -> str | None:
        return self._ask(self._find_remote, sha)

    def _find_remote(self, sha: str) -> str | None:
        folder = f"{self.remote}/{check_sha256(sha)[:2]}"
        self.fs.invalidate_cache(folder)  # another machine may have added it since
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
        self._ask(self._put, sha, local)

    def _put(self, sha: str, local: Path) -> None:
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
        data = self._ask(self.fs.cat_file, found)
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
            self._ask(self.fs.rm, found)
        return here or found is not None


def open_store(files_dir: Path, url: str | None) -> BlobStore:
    """The studio's file store: the local folder, mirrored to `url` when one is set."""
    return BlobStore(files_dir) if not url else MirroredStore(files_dir, url)
