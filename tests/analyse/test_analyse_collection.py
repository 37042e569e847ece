"""Collections: add, list, show, reuse of features, and each bad folder's sentence."""

from __future__ import annotations

import numpy as np
import pytest
from analyse_helpers import painting

from studiolo.capabilities.analyse import collection as coll
from studiolo.capabilities.analyse.collection import (
    add_collection,
    list_collections,
    load_collection,
    show_collection,
)
from studiolo.core.errors import InvalidArgument, UnknownName

BASES = {"Ann": (200, 60, 40), "Bob": (40, 80, 190), "Cy": (60, 160, 70)}


def make_folder(tmp_path, per_artist=(3, 2, 1), manifest=True):
    folder = tmp_path / "works"
    folder.mkdir()
    lines = ["file,artist,title,year"]
    for (artist, base), n in zip(BASES.items(), per_artist, strict=False):
        for i in range(n):
            name = f"{artist.lower()}{i}.png"
            painting(hash((artist, i)) % 1000, base).save(folder / name)
            lines.append(f"{name},{artist},{artist} {i},{1880 + i}")
    if manifest:
        (folder / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_add_list_show_and_reuse(tmp_path, light_networks, monkeypatch):
    folder = make_folder(tmp_path)
    root = tmp_path / "home"
    summary = add_collection(root, "mine", folder, networks=light_networks)
    assert (summary.name, summary.works, summary.artists) == ("mine", 6, 3)
    assert summary.notes == (("1 of the 3 artists in collection 'mine' have one work (Cy): a "
                             "verdict about them rests on a single picture."),)
    assert [c.name for c in list_collections(root)] == ["builtin", "mine"]
    # The bundled paintings: the 55 of ../shared/artworks and the 28 of artworks-world.
    assert list_collections(root)[0].works == 83
    details = show_collection(root, "mine")
    assert details.artists == (("Ann", 3), ("Bob", 2), ("Cy", 1))
    index = load_collection(root, "mine")
    assert set(index.kinds) == {"style", "content", "detail", "brush", "colour", "tiles",
                                "figures"}
    assert index.vectors("content").shape == (6, 1280)
    # Adding the folder again reuses every work's features: nothing is computed.
    monkeypatch.setattr(coll, "work_features", lambda *a, **k: pytest.fail("recomputed"))
    again = add_collection(root, "mine", folder, networks=light_networks)
    assert again.works == 6
    assert np.array_equal(load_collection(root, "mine").vectors("brush"), index.vectors("brush"))


def test_an_index_from_before_the_tiles_gets_only_its_tiles(tmp_path, light_networks,
                                                            monkeypatch):
    from studiolo.capabilities.analyse.index import NumpyIndex
    from studiolo.capabilities.analyse.manifest import read_folder

    folder = make_folder(tmp_path)
    full = coll.index_manifest("mine", read_folder(folder), networks=light_networks)
    old = NumpyIndex("mine")
    old.add(full.list(), {k: full.vectors(k) for k in full.kinds if k != "tiles"})
    monkeypatch.setattr(coll, "work_features", lambda *a, **k: pytest.fail("recomputed"))
    again = coll.index_manifest("mine", read_folder(folder), old, networks=light_networks)
    assert np.array_equal(again.vectors("tiles"), full.vectors("tiles"))
    assert np.array_equal(again.vectors("content"), full.vectors("content"))


def test_duplicate_pictures_are_indexed_once(tmp_path, light_networks):
    folder = make_folder(tmp_path, (2, 2))
    (folder / "copy.bmp").write_bytes(b"")  # replaced below by the same pixels as ann0
    from PIL import Image

    Image.open(folder / "ann0.png").save(folder / "copy.bmp")
    text = (folder / "manifest.csv").read_text() + "copy.bmp,Bob,Copy,1900\n"
    (folder / "manifest.csv").write_text(text)
    summary = add_collection(tmp_path / "home", "dups", folder, networks=light_networks)
    assert summary.works == 4
    assert summary.notes[0] == ("copy.bmp shows the same picture as ann0.png; it is indexed "
                                "once, as Ann's.")


def test_one_artist_and_one_work_each_are_stated(tmp_path, light_networks):
    solo = add_collection(tmp_path / "h1", "solo", make_folder(tmp_path, (3,)),
                          networks=light_networks)
    assert solo.notes == (("Collection 'solo' holds works by one artist only (Ann), so "
                          "attribution cannot weigh one artist against another; only how "
                          "typical a work is for that artist can be judged."),)
    (tmp_path / "w2").mkdir()
    singles = add_collection(tmp_path / "h2", "singles", make_folder(tmp_path / "w2", (1, 1, 1)),
                             networks=light_networks)
    assert singles.notes == (("Every artist in collection 'singles' has one work, so the "
                             "probabilities cannot be calibrated by leave-one-out and an artist's "
                             "own spread cannot be measured; attributions fall back to the "
                             "collection's overall spread."),)


def test_bad_collections(tmp_path, light_networks):
    root = tmp_path / "home"
    folder = make_folder(tmp_path, (2, 1))
    with pytest.raises(InvalidArgument) as err:
        add_collection(root, "builtin", folder)
    assert str(err.value) == ("`name` 'builtin' is the studio's own collection of bundled "
                              "paintings; choose another name.")
    with pytest.raises(InvalidArgument) as err:
        add_collection(root, "../up", folder)
    assert str(err.value) == ("`name` must be 1 to 64 letters, digits, '.', '_' or '-' starting "
                              "with a letter or digit, got '../up'.")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (folder / "tiny.png").write_bytes(b"")
    from PIL import Image

    Image.new("RGB", (20, 10)).save(folder / "tiny.png")
    text = (folder / "manifest.csv").read_text() + "broken.png,Bob,B,1\ntiny.png,Bob,T,1\n"
    (folder / "manifest.csv").write_text(text)
    with pytest.raises(InvalidArgument) as err:
        add_collection(root, "bad", folder, networks=light_networks)
    assert str(err.value) == (
        "2 of the 5 files of collection 'bad' cannot be analysed: broken.png (broken.png is "
        "truncated or corrupt: Truncated File Read); tiny.png (tiny.png is 20x10 px, "
        "under 32 px). Replace or remove them and index the collection again.")
    with pytest.raises(UnknownName) as err:
        load_collection(root, "nothing")
    assert str(err.value) == "Unknown collection 'nothing'. Known: 'builtin'."
