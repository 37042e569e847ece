"""The credit audit: the artists table read totally, periods, and a made-up collection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studiolo.capabilities.audit import artists as A
from studiolo.capabilities.audit.credits import audit_credits, audit_names
from studiolo.core.errors import InvalidArgument, UnknownName

TABLE = A.read_artists(
    b"artist,born,died,gender,nationality,region,movement\n"
    b"Ana,1850,1910,female,Mexican,Latin America,Muralism\n"
    b"Bea,1600,1660,female,Dutch,Western Europe,Baroque\n"
    b"Cai,,1300,male,Chinese,East Asia,\n"
    b"Dan,1820,1880,male,French,Western Europe,Realism; Impressionism\n"
)


@pytest.mark.parametrize(("text", "year"), [
    ("1872", 1872.0), ("c. 1620", 1620.0), ("1860s", 1865.0), ("c. 1557-1558", 1557.5),
    ("early 12th century", 1125.0), ("late 15th century", 1475.0), ("18th century", 1750.0),
    ("c. 1250 BCE", -1250.0), ("", None), ("unknown", None)])
def test_parse_year(text, year):
    assert A.parse_year(text) == year


def test_period_of_a_life_and_labels():
    assert A.period_label(A.floruit(TABLE["Ana"])) == "1800s"  # (1870 + 1910) / 2
    assert A.period_label(A.floruit(TABLE["Cai"])) == "1200s"  # died 1300: 1280
    assert A.period_label(A.floruit(A.Artist("X"), [1000.0])) == "1000s"
    assert A.period_label(A.floruit(A.Artist("X"))) == "missing"
    assert A.period_label(-1250.0) == "1200s BCE"
    assert sorted(["1800s", "missing", "1200s BCE", "1000s"], key=A.period_order) == [
        "1200s BCE", "1000s", "1800s", "missing"]


def test_made_up_collection_with_known_proportions():
    # 10 credits: Ana 4, Bea 2, Cai 1, Dan 2, and 1 for an artist the table lacks.
    names = ["Ana"] * 4 + ["Bea"] * 2 + ["Cai"] + ["Dan"] * 2 + ["Nobody Known"]
    audit = audit_names(names, source="made up", artists=TABLE)
    assert (audit.n_artists, audit.n_credits) == (5, 10)
    assert audit.share("gender", "female") == pytest.approx(2 / 5)
    assert audit.share("gender", "female", by="credits") == pytest.approx(6 / 10)
    assert audit.share("gender", "missing") == pytest.approx(1 / 5)
    assert audit.share("region", "Latin America", by="credits") == pytest.approx(4 / 10)
    assert audit.share("region", "Western Europe") == pytest.approx(2 / 5)
    regions = [r.value for r in audit.table("region")]
    assert regions[:len(A.REGIONS)] == list(A.REGIONS) and regions[-1] == "missing"
    assert audit.share("region", "Oceania") == 0.0  # a gap is listed, at 0
    movements = {r.value: r.artists for r in audit.table("movement")}
    assert movements == {"Baroque": 1, "Impressionism": 1, "Muralism": 1, "Realism": 1, "missing": 2}
    assert audit.unknown == ("Nobody Known",)
    assert audit.credited[0] == ("Ana", 4)
    assert audit.to_json()["tables"]["period"][-1]["value"] == "missing"


def test_built_in_styles_before_and_after_the_world_collection():
    before = audit_credits(collection="builtin:artworks")
    after = audit_credits(collection="builtin")
    world = audit_credits(collection="builtin:artworks-world")
    assert (before.n_credits, after.n_credits, world.n_credits) == (55, 83, 28)
    assert before.share("region", "Western Europe") > 0.75 > after.share("region", "Western Europe")
    assert before.share("gender", "female") < 0.05 and after.share("gender", "female") > 0.15
    assert after.share("region", "Latin America") == 0.0  # still missing, and shown
    assert after.share("region", "Africa") > 0.0 and after.share("region", "South Asia") > 0.0
    assert after.share("gender", "missing") > 0.0  # the papyrus's artist is unknown
    assert set(A.bundled_artists()) == {name for name, _ in after.credited}


def test_the_ledger_and_a_board_of_a_catalog(cat):
    from types import SimpleNamespace

    from studiolo.core.types import Artwork, Credit, Recipe

    studio = SimpleNamespace(catalog=cat, settings=SimpleNamespace(person="ann"))  # what it reads
    board = studio.catalog.create_collection("mine", "ann")
    for k, artist in enumerate(["Berthe Morisot", "Claude Monet", "Claude Monet"]):
        art = Artwork(recipe=Recipe(engine="painter", prompt=f"p{k}", seed=k), id=f"{k:064x}",
                      owner="ann", credits=(Credit(name=artist, kind="artist", role="influence"),))
        studio.catalog.add_artwork(art, "png")
        if k < 2:
            studio.catalog.add_to_collection(board, art.id)
    ledger = audit_credits(studio)
    assert (ledger.n_artists, ledger.n_credits) == (2, 3)
    assert ledger.share("gender", "female", by="credits") == pytest.approx(1 / 3)
    mine = audit_credits(studio, "mine")
    assert mine.source == "board 'mine'" and mine.share("gender", "female") == pytest.approx(0.5)
    with pytest.raises(UnknownName, match=r"^Unknown collection 'nope'\. Known: 'mine', 'builtin'"):
        audit_credits(studio, "nope")
    # Private means private: bob's private work counts for bob alone, in the ledger and a board.
    hidden = Artwork(recipe=Recipe(engine="painter", prompt="secret", seed=9), id=f"{9:064x}",
                     owner="bob", credits=(Credit(name="Rosa Bonheur", kind="artist", role="influence"),))
    studio.catalog.add_artwork(hidden, "png", private=True)
    studio.catalog.add_to_collection(board, hidden.id)
    assert audit_credits(studio).n_credits == 3 and audit_credits(studio, "mine").n_credits == 2
    assert "Rosa Bonheur" not in {name for name, _ in audit_credits(studio).credited}
    assert audit_credits(studio, person="bob").n_credits == 4


def test_bad_collection_and_part():
    with pytest.raises(InvalidArgument, match=r"^`collection` must be a non-empty name, got ''\.$"):
        audit_credits(collection="")
    with pytest.raises(UnknownName, match=r"^Unknown built-in collection 'moon'\."):
        audit_credits(collection="builtin:moon")
    with pytest.raises(InvalidArgument, match="The ledger and collections need a studio"):
        audit_credits(None, None)


@pytest.mark.parametrize(("data", "message"), [
    (b"name,born\nAna,1850\n", (r"^`artists` \(the artists table\) has no `artist` column in "
                                r"its header \['name', 'born'\]")),
    (b"artist\nAna\nAna\n", r"^`artists` \(the artists table\) names 'Ana' twice \(again on line 3\)"),
    (b"artist,born\n,1850\n", r"^`artists` \(the artists table\) line 2 has no artist name: "),
    (b"artist\n\xff\xfe\n", r"^`artists` \(the artists table\) is not UTF-8 text \(byte 0xff at offset 7\)"),
    (b"", r"^`artists` \(the artists table\) has no `artist` column in its header \[\]"),
])
def test_bad_artists_tables(data, message):
    with pytest.raises(InvalidArgument, match=message):
        A.read_artists(data)


def test_artists_file_that_is_missing_or_huge(tmp_path):
    with pytest.raises(InvalidArgument, match=r"^`artists` '.*nope\.csv' is not a file; give a CSV"):
        A.read_artists(tmp_path / "nope.csv")
    big = tmp_path / "big.csv"
    big.write_bytes(b"artist\n" + b"x" * (A.MAX_BYTES + 1))
    with pytest.raises(InvalidArgument, match=r"is larger than 5 MB; give the table"):
        A.read_artists(big)
    with pytest.raises(InvalidArgument, match=r"^`artists` must be a path or bytes, got int\.$"):
        A.read_artists(3)


@given(st.binary(max_size=300))
@settings(max_examples=50, deadline=None)
def test_any_bytes_give_a_table_or_the_projects_error(data):
    try:
        table = A.read_artists(data)
    except InvalidArgument as exc:
        assert str(exc).startswith("`artists`")
    else:
        assert all(isinstance(a, A.Artist) and a.name for a in table.values())


@given(st.lists(st.sampled_from(["Ana", "Bea", "Cai", "Dan", "?"]), max_size=40))
@settings(max_examples=50, deadline=None)
def test_shares_add_up_for_any_collection(names):
    audit = audit_names(names, source="t", artists=TABLE)
    for dimension in ("region", "gender", "period"):
        rows = audit.table(dimension)
        assert sum(r.artists for r in rows) == audit.n_artists
        assert sum(r.credits for r in rows) == audit.n_credits
