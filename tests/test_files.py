"""The content-addressed file store: atomic writes, dedup, and no way out of its root."""

from __future__ import annotations

import hashlib
import os

import pytest

from studiolo.core.errors import CatalogError, InvalidArgument, UnsafePath
from studiolo.core.files import BlobStore, safe_join


@pytest.fixture
def store(tmp_path):
    return BlobStore(tmp_path / "files")


def test_put_lays_out_by_hash_and_reads_back(store):
    data = b"\x89PNG pretend image bytes"
    sha, path = store.put(data, "png")
    assert sha == hashlib.sha256(data).hexdigest()
    assert path == store.root / sha[:2] / f"{sha[2:]}.png"
    assert store.read(sha) == data
    assert store.path(sha) == path and store.exists(sha)
    assert list(store.iter_ids()) == [sha]


def test_put_twice_dedups_and_keeps_first_path(store):
    sha, path = store.put(b"same bytes", "png")
    before = path.stat().st_mtime_ns
    sha2, path2 = store.put(b"same bytes", ".JPG")  # other extension: still the stored file
    assert (sha2, path2) == (sha, path)
    assert path.stat().st_mtime_ns == before
    assert len(list(path.parent.iterdir())) == 1


def test_put_file_streams_and_dedups(store, tmp_path):
    src = tmp_path / "photo.webp"
    src.write_bytes(os.urandom(3_000_000))
    sha, path = store.put_file(src)
    assert path.suffix == ".webp" and path.read_bytes() == src.read_bytes()
    assert store.put_file(src, "webp") == (sha, path)
    assert [p.name for p in store.root.iterdir()] == [sha[:2]]  # no temporary file left


def test_crash_during_rename_leaves_neither_final_nor_temp_file(store, monkeypatch):
    def crash(src, dst):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        store.put(b"half written?", "png")
    sha = hashlib.sha256(b"half written?").hexdigest()
    assert not store.exists(sha)
    assert [p for p in store.root.rglob("*") if p.is_file()] == []
    monkeypatch.undo()
    assert store.put(b"half written?", "png")[0] == sha  # and a retry works


def test_crash_during_put_file_leaves_nothing(store, tmp_path, monkeypatch):
    src = tmp_path / "a.png"
    src.write_bytes(b"abc" * 1000)
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("disk gone")))
    with pytest.raises(OSError, match="disk gone"):
        store.put_file(src)
    assert [p for p in store.root.rglob("*") if p.is_file()] == []


def test_temporary_files_are_never_listed_and_can_be_cleaned(store):
    sha, path = store.put(b"x", "png")
    (path.parent / ".tmp-leftover.part").write_bytes(b"partial")
    (store.root / ".tmp-other.part").write_bytes(b"partial")
    assert list(store.iter_ids()) == [sha]
    assert store.clean_temporary() == 2
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_delete_removes_file_and_is_idempotent(store):
    sha, path = store.put(b"to delete", "png")
    assert store.delete(sha) is True
    assert not path.exists() and not path.parent.exists()
    assert store.delete(sha) is False
    with pytest.raises(CatalogError, match="No file with id"):
        store.path(sha)
    with pytest.raises(CatalogError, match=sha):
        store.read(sha)


@pytest.mark.parametrize(
    "bad, error, words",
    [
        ("../../etc/passwd", UnsafePath, "looks like a path"),
        ("ab/../../../etc/passwd", UnsafePath, "looks like a path"),
        ("..", UnsafePath, "looks like a path"),
        ("a" * 63 + "\\", UnsafePath, "looks like a path"),
        ("A" * 64, InvalidArgument, "64 lowercase hex"),
        ("abc", InvalidArgument, "(3 characters)"),
        ("g" * 64, InvalidArgument, "64 lowercase hex"),
    ],
)
@pytest.mark.parametrize("method", ["path", "exists", "read", "delete"])
def test_bad_ids_are_refused_before_any_path(store, bad, error, words, method):
    with pytest.raises(error) as info:
        getattr(store, method)(bad)
    assert words in str(info.value)


@pytest.mark.parametrize(
    "ext, error, words",
    [("../x", UnsafePath, "looks like a path"), ("p.ng", UnsafePath, "looks like a path"),
     ("", InvalidArgument, "`ext`"), ("verylongextension", InvalidArgument, "1-10 letters")],
)
def test_bad_extensions_are_refused(store, ext, error, words):
    with pytest.raises(error) as info:
        store.put(b"data", ext)
    assert words in str(info.value)
    assert list(store.iter_ids()) == []


def test_put_refuses_non_bytes(store):
    with pytest.raises(InvalidArgument, match="`data` must be bytes, got str"):
        store.put("text", "png")


def test_safe_join_allows_inside_and_refuses_escapes(tmp_path):
    root = tmp_path / "out"
    root.mkdir()
    assert safe_join(root, "a/b.png") == root.resolve() / "a" / "b.png"
    assert safe_join(root, "a/../c.png") == root.resolve() / "c.png"
    for bad in ("../x.png", "a/../../x.png", "/etc/passwd"):
        with pytest.raises(UnsafePath, match="would escape"):
            safe_join(root, bad)
    with pytest.raises(UnsafePath, match="NUL"):
        safe_join(root, "a\x00b")


def test_safe_join_follows_symlinks_out(tmp_path):
    root = tmp_path / "out"
    root.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (root / "link").symlink_to(outside)
    with pytest.raises(UnsafePath, match="elsewhere"):
        safe_join(root, "link/x.png")
