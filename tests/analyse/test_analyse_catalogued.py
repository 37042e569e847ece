"""Collections kept in the catalog (migration 0012) on SQLite and, with
STUDIOLO_TEST_POSTGRES_URL, PostgreSQL: written whole, read back exactly, replaced not
doubled, damage named, and an older studio's collection folders copied in."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from test_analyse_collection import make_folder

from studiolo.capabilities.analyse.catalogued import (
    delete_index,
    import_folders,
    list_indexes,
    load_index,
    save_index,
)
from studiolo.capabilities.analyse.collection import (
    add_collection,
    list_collections,
    load_collection,
    show_collection,
)
from studiolo.capabilities.analyse.index import NumpyIndex, Work
from studiolo.catalog import Catalog
from studiolo.catalog.schema import reference_vectors, reference_works
from studiolo.core.errors import InvalidArgument, UnknownName


@pytest.fixture
def catalog(url):
    made = Catalog(url)
    yield made
    made.close()


def count(catalog, table, name):
    with catalog.engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(table)
                           .where(table.c.collection == name))


def test_a_collection_lives_in_the_catalog(catalog, tmp_path, light_networks):
    folder = make_folder(tmp_path)
    summary = add_collection(catalog, "mine", folder, networks=light_networks)
    assert (summary.works, summary.artists) == (6, 3)
    index = load_collection(catalog, "mine")
    kinds = {"style", "content", "detail", "brush", "colour", "tiles", "figures"}
    assert set(index.kinds) == kinds
    assert count(catalog, reference_works, "mine") == 6
    assert count(catalog, reference_vectors, "mine") == 6 * len(kinds)
    assert [w.file for w in index.list()] == ["ann0.png", "ann1.png", "ann2.png", "bob0.png",
                                              "bob1.png", "cy0.png"]
    assert index.get(index.list()[3].sha256) == Work(index.list()[3].sha256, "bob0.png", "Bob",
                                                     "Bob 0", "1880")
    # Works of another catalog are not seen, and the catalog's listing is the one shown.
    assert [c.name for c in list_collections(catalog)] == ["builtin", "mine"]
    assert list_indexes(catalog) == [("mine", 6, 3, summary.notes)]
    assert show_collection(catalog, "mine").artists == (("Ann", 3), ("Bob", 2), ("Cy", 1))
    # Indexing again replaces the rows (none doubled) with the same vectors.
    add_collection(catalog, "mine", folder, networks=light_networks)
    assert count(catalog, reference_works, "mine") == 6
    again = load_collection(catalog, "mine")
    for kind in kinds:
        assert np.array_equal(again.vectors(kind), index.vectors(kind))
    assert delete_index(catalog, "mine") and not delete_index(catalog, "mine")
    assert count(catalog, reference_vectors, "mine") == 0
    with pytest.raises(UnknownName) as err:
        load_collection(catalog, "mine")
    assert str(err.value) == "Unknown collection 'mine'. Known: 'builtin'."


def test_vectors_round_trip_bit_for_bit(catalog):
    rng = np.random.default_rng(3)
    index = NumpyIndex("rt", ["a note", "ünïcode"])
    works = [Work(f"{i:064x}", f"f{i}.png", f"A{i % 3}", "", "") for i in range(2_500)]
    vectors = {"style": rng.normal(size=(2_500, 7)).astype(np.float32),
               "brush": rng.normal(size=(2_500, 3)).astype(np.float32)}
    index.add(works, vectors)
    save_index(catalog, index)
    back = load_index(catalog, "rt")
    assert back.notes == ["a note", "ünïcode"] and back.list() == works
    assert np.array_equal(back.vectors("style"), vectors["style"])
    assert np.array_equal(back.vectors("brush"), vectors["brush"])
    assert back.nearest("style", vectors["style"][42], k=1)[0][0] == works[42]


def test_damaged_vectors_are_named(catalog):
    index = NumpyIndex("hurt")
    index.add([Work("a" * 64, "a.png", "Ann")], {"style": np.ones((1, 4), np.float32)})
    save_index(catalog, index)
    with catalog.engine.begin() as conn:
        conn.execute(reference_vectors.update().values(vector=b"\x00" * 8))
    with pytest.raises(InvalidArgument) as err:
        load_index(catalog, "hurt")
    assert str(err.value) == ("Collection 'hurt' in the catalog holds a style embedding of 2 "
                              "dimensions, not 4; index it again with `studiolo collection add`.")
    with catalog.engine.begin() as conn:
        conn.execute(reference_vectors.delete())
    with pytest.raises(InvalidArgument) as err:
        load_index(catalog, "hurt")
    assert str(err.value) == ("Collection 'hurt' in the catalog lacks style embeddings for 1 of "
                              "its 1 works; index it again with `studiolo collection add`.")


def test_an_older_studios_folder_is_copied_in(tmp_path):
    home = tmp_path / "home"
    old = NumpyIndex("old", ["kept"])
    old.add([Work("b" * 64, "b.png", "Bob", "B", "1900")], {"style": np.eye(1, 3, dtype=np.float32)})
    old.save(home / "collections" / "old")
    (home / "collections" / "broken").mkdir()
    (home / "collections" / "broken" / "collection.json").write_text("{")
    found = load_collection(home, "old")  # the studio folder's own catalog
    assert found.list() == old.list() and found.notes == ["kept"]
    from studiolo.capabilities.analyse.catalogued import catalog_at

    assert load_index(catalog_at(home), "old").list() == old.list()
    assert import_folders(catalog_at(home), home) == []  # once only; the damaged one left out
    assert [c.name for c in list_collections(home)] == ["builtin", "old"]
