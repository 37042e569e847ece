"""Ratings and taste profiles in the catalog (studiolo.catalog.ratings)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from studiolo.catalog import migrate
from studiolo.catalog.schema import ratings
from studiolo.catalog.store import Catalog
from studiolo.core.errors import InvalidArgument, UnknownName
from studiolo.core.types import Artwork, Recipe


def artwork(i: int) -> Artwork:
    return Artwork(recipe=Recipe(engine="painter", prompt=f"picture {i}", seed=i),
                   id=f"{i:02x}" * 32, owner="ada", width=64, height=48)


@pytest.fixture
def cat(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'c.sqlite'}")
    for i in range(1, 5):
        catalog.add_artwork(artwork(i), "png")
    yield catalog
    catalog.close()


A, B, C, D = (artwork(i).id for i in range(1, 5))


def test_pairs_likes_and_stars_are_recorded_per_person(cat):
    first = cat.add_pair("ada", A, B[:8])  # a unique prefix is enough
    assert (first.kind, first.artwork_id, first.other_id, first.value) == ("pair", A, B, 1)
    cat.add_pair("ada", A, B)  # the same pair again is new evidence, kept
    cat.add_like("ada", C)
    cat.add_like("ada", C, liked=False)  # replaces the like
    cat.add_stars("ada", D, 4)
    cat.add_stars("ada", D, 2)  # replaces the 4
    cat.add_pair("bob", B, A)
    mine = cat.list_ratings("ada")
    assert [(r.kind, r.value) for r in mine] == [("pair", 1), ("pair", 1), ("like", -1),
                                                 ("stars", 2)]
    assert all(r.person == "ada" and r.created.tzinfo is not None for r in mine)
    assert cat.count_ratings("ada") == 4 and cat.count_ratings("ada", "pair") == 2
    assert [r.person for r in cat.list_ratings(kind="pair")] == ["ada", "ada", "bob"]
    assert {r.id for r in cat.ratings_of_artwork(B)} == {mine[0].id, mine[1].id,
                                                         cat.list_ratings("bob")[0].id}
    cat.delete_rating(mine[0].id)
    assert cat.count_ratings("ada", "pair") == 1
    with pytest.raises(UnknownName, match="Unknown rating"):
        cat.delete_rating(mine[0].id)


@pytest.mark.parametrize("call, words", [
    (lambda c: c.add_pair("ada", A, "ffffff00"), "Unknown artwork 'ffffff00'"),
    (lambda c: c.add_pair("ada", "ffffff00", A), "Unknown artwork 'ffffff00'"),
    (lambda c: c.add_like("ada", "abcdef12"), "Unknown artwork 'abcdef12'"),
    (lambda c: c.add_stars("ada", "abcdef12", 3), "Unknown artwork 'abcdef12'"),
    (lambda c: c.add_pair("ada", A, A), "two different artworks"),
    (lambda c: c.add_stars("ada", A, 6), "`stars` must be a whole number from 1 to 5, got 6"),
    (lambda c: c.add_stars("ada", A, True), "`stars` must be a whole number"),
    (lambda c: c.add_like("ada", A, liked="yes"), "`liked` must be True or False"),
    (lambda c: c.add_pair("", A, B), "`person` must be a non-empty string"),
    (lambda c: c.list_ratings(kind="love"), "`kind` must be one of"),
])
def test_bad_ratings_are_refused_and_nothing_is_written(cat, call, words):
    with pytest.raises((InvalidArgument, UnknownName), match=words):
        call(cat)
    assert cat.list_ratings() == []


def test_the_database_itself_refuses_ratings_of_unknown_artworks(cat):
    person_id = cat.ensure_person("ada")
    row = {"person_id": person_id, "kind": "like", "artwork_id": "e" * 64, "other_id": None,
           "value": 1, "created": datetime.now(UTC)}
    with pytest.raises(IntegrityError), cat.engine.begin() as conn:
        conn.execute(sa.insert(ratings).values(**row))
    bad_value = {**row, "artwork_id": A, "value": 3}  # a like is +1 or -1
    with pytest.raises(IntegrityError), cat.engine.begin() as conn:
        conn.execute(sa.insert(ratings).values(**bad_value))
    assert cat.list_ratings() == []


def test_deleting_an_artwork_deletes_its_ratings_on_both_sides(cat):
    cat.add_pair("ada", A, B)
    cat.add_pair("ada", C, A)
    cat.add_stars("ada", A, 5)
    kept = cat.add_pair("ada", B, C)
    cat.delete_artwork(A)
    assert [r.id for r in cat.list_ratings()] == [kept.id]


def test_taste_profiles_are_versioned_per_person_and_name(cat):
    assert cat.save_taste_profile("ada", "default", embedder="lite0-v1", model={"w": [1]},
                                  n_pairs=3, accuracy=None) == 1
    assert cat.save_taste_profile("ada", "default", embedder="lite0-v1", model={"w": [2]},
                                  n_pairs=8, accuracy=0.75) == 2
    cat.save_taste_profile("ada", "warm", embedder="lite0-v1", model={}, n_pairs=0, accuracy=None)
    newest = cat.get_taste_profile("ada", "default")
    assert (newest.version, newest.model, newest.n_pairs, newest.accuracy) == (2, {"w": [2]}, 8,
                                                                               0.75)
    assert cat.get_taste_profile("ada", "default", version=1).model == {"w": [1]}
    assert cat.list_taste_profiles("ada") == ["default", "warm"]
    with pytest.raises(UnknownName, match=r"Unknown taste profile of ada 'cold'.*'default', 'warm'"):
        cat.get_taste_profile("ada", "cold")
    with pytest.raises(UnknownName):
        cat.get_taste_profile("bob", "default")
    assert cat.delete_taste_profile("ada", "default") == 2
    assert cat.list_taste_profiles("ada") == ["warm"]


def test_a_catalog_at_0003_gains_the_rating_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = sa.create_engine(url)
    migrate.upgrade(engine, url, "0003")
    assert "ratings" not in sa.inspect(engine).get_table_names()
    engine.dispose()
    catalog = Catalog(url)
    assert {"ratings", "taste_profiles"} <= set(sa.inspect(catalog.engine).get_table_names())
    catalog.close()
