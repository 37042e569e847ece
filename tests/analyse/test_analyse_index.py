"""The collection index: the interface, persistence, damaged folders, and exact search."""

from __future__ import annotations

import numpy as np
import pytest

from studiolo.capabilities.analyse import search as search_mod
from studiolo.capabilities.analyse.index import CollectionIndex, NumpyIndex, Work
from studiolo.capabilities.analyse.search import NearestSearch
from studiolo.core.errors import InvalidArgument, UnknownName


def works(n: int, artist: str = "Ann") -> list[Work]:
    return [Work(f"{i:064x}", f"w{i}.jpg", artist, f"Work {i}", "1900") for i in range(n)]


def test_add_list_get_vectors_nearest():
    rng = np.random.default_rng(0)
    index = NumpyIndex("test")
    assert isinstance(index, CollectionIndex)
    ws = works(5)
    vecs = {"style": rng.normal(size=(5, 8)).astype(np.float32)}
    assert index.add(ws, vecs) == []
    assert index.list() == ws and index.get(ws[2].sha256) == ws[2]
    assert index.vectors("style").shape == (5, 8)
    hits = index.nearest("style", vecs["style"][3], k=2)
    assert hits[0][0] == ws[3] and hits[0][1] == pytest.approx(1.0)
    assert index.nearest("style", vecs["style"][3], k=2, exclude=[ws[3].sha256])[0][0] != ws[3]
    # The same work again is skipped, and said to be.
    assert index.add(ws[:1], {"style": vecs["style"][:1]}) == ws[:1]
    with pytest.raises(UnknownName) as err:
        index.get("nope")
    assert str(err.value) == "Unknown work 'nope'."
    with pytest.raises(InvalidArgument) as err:
        index.add(works(2), {"style": np.zeros((3, 8))})
    assert str(err.value) == "`vectors['style']` must be (2, D) for 2 works, got (3, 8)."
    with pytest.raises(InvalidArgument) as err:
        index.nearest("style", np.zeros(5))
    assert str(err.value) == "`query` has 5 dimensions; this index holds 8."


def test_save_and_load_round_trip(tmp_path):
    index = NumpyIndex("round", notes=["a note"])
    index.add(works(3), {"a": np.eye(3, dtype=np.float32), "b": np.ones((3, 2), np.float32)})
    index.save(tmp_path / "c")
    back = NumpyIndex.load(tmp_path / "c")
    assert back.name == "round" and back.notes == ["a note"] and back.list() == index.list()
    assert np.array_equal(back.vectors("a"), index.vectors("a"))
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["collection.json",
                                                                  "vectors.npz"]


def test_damaged_or_missing_index_folder(tmp_path):
    with pytest.raises(InvalidArgument) as err:
        NumpyIndex.load(tmp_path)
    assert str(err.value) == (f"Collection folder {tmp_path} has no saved index (collection.json "
                              "and vectors.npz); index it again with `studiolo collection add`.")
    (tmp_path / "collection.json").write_text("{not json")
    (tmp_path / "vectors.npz").write_bytes(b"PK\x03\x04broken")
    with pytest.raises(InvalidArgument) as err:
        NumpyIndex.load(tmp_path)
    assert str(err.value).startswith(f"Collection folder {tmp_path} holds a damaged index "
                                     "(JSONDecodeError: ")


def brute(matrix: np.ndarray, q: np.ndarray, k: int) -> list[int]:
    m = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    sims = m @ (q / np.linalg.norm(q))
    return [int(i) for i in np.argsort(-sims, kind="stable")[:k]]


def test_search_is_exact_and_the_reduced_pass_finds_the_same(monkeypatch):
    rng = np.random.default_rng(1)
    # Low-rank features like real embeddings: 40 directions, some noise.
    basis = rng.normal(size=(40, 300))
    matrix = rng.normal(size=(1000, 40)) @ basis + 0.1 * rng.normal(size=(1000, 300))
    exact = NearestSearch(matrix)
    assert exact.reduced is None
    monkeypatch.setattr(search_mod, "EXACT_LIMIT", 500)
    monkeypatch.setattr(search_mod, "REDUCED", 32)
    reduced = NearestSearch(matrix)
    assert reduced.reduced is not None and reduced.reduced.shape == (1000, 32)
    for i in range(10):
        q = matrix[i] + 0.5 * rng.normal(size=300)
        want = brute(matrix, q, 10)
        assert [h.row for h in exact.search(q, 10)] == want
        assert [h.row for h in reduced.search(q, 10)] == want
    assert next(h.row for h in exact.search(matrix[0], 3, np.array([0]))) != 0
    with pytest.raises(InvalidArgument) as err:
        exact.search(matrix[0], 0)
    assert str(err.value) == "`k` must be a positive integer, got 0."
