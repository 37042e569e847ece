"""Search through the text index (migration 0007) finds what the plain LIKE finds.

Runs on SQLite (FTS5 trigram table) and, with STUDIOLO_TEST_POSTGRES_URL, on
PostgreSQL (pg_trgm GIN indexes); the `url` and `cat` fixtures come from
test_catalog.py.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import test_catalog
from test_catalog import T0, artwork, sha

from studiolo.catalog import Catalog, accounts, migrate, search
from studiolo.catalog.schema import artworks, people

url, cat = test_catalog.url, test_catalog.cat  # the fixtures: both backends

SUBJECTS = ["lighthouse", "house", "Harbour", "harbours", "art", "party", "GLACIER", "fog",
            "foggy", "glacier lake", "misty harbour"]
WORDS = ["lighthouse", "house", "harbour", "HARBOUR", "harbours", "art", "party", "glacier",
         "fog", "foggy", "misty harbour", "ouse", "lake", "zebra", "ar", "a"]


def fill(cat: Catalog) -> None:
    """Works owned by ann and bob, some private, prompts and titles made to overlap."""
    n = 0
    for i, subject in enumerate(SUBJECTS):
        for owner, private in (("ann", False), ("bob", False), ("bob", True), (None, False)):
            n += 1
            title = f"Study of {SUBJECTS[-1 - i]}" if n % 3 == 0 else None
            cat.add_artwork(artwork(n, f"a {subject} at dusk", owner=owner, title=title), "png",
                            private=private)


def old_like_ids(cat: Catalog, query: str, viewer: str | None) -> set[str]:
    """What the search found before the text index: lower() LIKE '%q%', no index."""
    stmt = accounts._visible(sa.select(artworks.c.id).where(search.contains(query)), viewer)
    with cat.engine.connect() as conn:
        return set(conn.scalars(stmt))


def python_ids(cat: Catalog, query: str, viewer: str | None) -> set[str]:
    with cat.engine.connect() as conn:
        rows = conn.execute(sa.select(artworks.c.id, artworks.c.prompt, artworks.c.title,
                                      artworks.c.private, people.c.name).select_from(
            artworks.outerjoin(people, artworks.c.owner_id == people.c.id))).all()
    q = query.lower()
    return {r.id for r in rows if (q in r.prompt.lower() or q in (r.title or "").lower())
            and (not r.private or (viewer is not None and r.name == viewer))}


@pytest.mark.parametrize("viewer", ["ann", "bob", None])
def test_indexed_search_finds_what_like_found(cat, viewer):
    fill(cat)
    for word in WORDS:
        expected = old_like_ids(cat, word, viewer)
        assert expected == python_ids(cat, word, viewer), word
        items, total, capped = accounts.gallery(cat, viewer, query=word, limit=200)
        assert {i.id for i in items} == expected and total == len(expected), word
        assert not capped
        page, total = accounts.visible_artworks(cat, viewer, query=word, limit=200)
        assert {a.id for a in page} == expected and total == len(expected), word
    # The catalog's own listing (no visibility rules) agrees too.
    for word in WORDS:
        everything = {a.id for a in cat.list_artworks(query=word, limit=500)}
        assert everything == old_like_ids(cat, word, "bob") | old_like_ids(cat, word, "ann")
        assert cat.count_artworks(query=word) == len(everything)


def test_search_with_other_filters_and_paging(cat):
    fill(cat)
    got = accounts.gallery(cat, "ann", query="harbour", owner="bob", limit=200)[0]
    assert got and all(i.owner == "bob" and not i.private for i in got)
    newest = [i.id for i in accounts.gallery(cat, "ann", query="harbour", limit=200)[0]]
    pages = [i.id for k in range(0, len(newest), 3)
             for i in accounts.gallery(cat, "ann", query="harbour", limit=3, offset=k)[0]]
    assert pages == newest  # newest first, in pages, nothing lost or repeated


def test_many_matches_walk_the_newest_and_agree(cat, monkeypatch):
    # Past COUNT_CAP matches the page is found by walking the newest works with the
    # LIKE alone, not through the index: the same works, in the same order.
    fill(cat)
    full = [i.id for i in accounts.gallery(cat, "bob", query="a", limit=200)[0]]
    indexed = [i.id for i in accounts.gallery(cat, "bob", query="dusk", limit=200)[0]]
    monkeypatch.setattr(accounts, "COUNT_CAP", 5)
    items, total, capped = accounts.gallery(cat, "bob", query="dusk", limit=7, offset=2)
    assert [i.id for i in items] == indexed[2:9] and (total, capped) == (5, True)
    assert [i.id for i in accounts.gallery(cat, "bob", query="a", limit=4)[0]] == full[:4]


def test_text_index_follows_adds_and_deletes(cat):
    fill(cat)
    cat.add_artwork(artwork(500, "a zebra crossing", title="Stripes"), "png")
    assert [a.id for a in cat.list_artworks(query="zebra")] == [sha(500)]
    assert [a.id for a in cat.list_artworks(query="stripe")] == [sha(500)]
    cat.delete_artwork(sha(500))
    assert cat.list_artworks(query="zebra") == [] and cat.count_artworks(query="stripe") == 0
    if cat.engine.dialect.name == "sqlite":
        with cat.engine.connect() as conn:
            indexed = conn.scalar(sa.text(f"SELECT count(*) FROM {search.TEXT_TABLE}"))
        assert indexed == cat.count_artworks()


def test_queries_are_literal(cat):
    cat.add_artwork(artwork(1, 'say "hello" AND 50% off_now*'), "png")
    cat.add_artwork(artwork(2, "say hello and more"), "png")
    for query in ['"hello"', "50%", "off_now*", 'AND 50', "NEAR(", "hello\" OR \"more"]:
        assert [a.id for a in cat.list_artworks(query=query)] == (
            [] if "OR" in query or "NEAR" in query else [sha(1)]), query


def test_the_index_serves_the_search(cat):
    stmt = search.where_text(sa.select(artworks.c.id), cat.engine.dialect.name, "lighthouse")
    with cat.engine.connect() as conn:
        sql = str(stmt.compile(cat.engine, compile_kwargs={"literal_binds": True}))
        if cat.engine.dialect.name == "sqlite":
            plan = " ".join(str(r) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert f"SCAN {search.TEXT_TABLE} VIRTUAL TABLE" in plan, plan
        else:  # tiny tables: make PostgreSQL show that it can use the trigram index
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}"))
            assert "ix_artworks_prompt_trgm" in plan, plan


def test_migration_fills_the_index_from_existing_rows(url):
    database = sa.engine.make_url(url).database
    if url.startswith("sqlite"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    migrate.upgrade(engine, url, "0006")
    with engine.begin() as conn:
        for n, prompt in enumerate(["an old lighthouse", "an old harbour"], start=1):
            recipe_id = conn.execute(sa.text(
                "INSERT INTO recipes (json, engine, seed) VALUES ('{}', 'painter', 1) "
                "RETURNING id")).scalar()
            conn.execute(sa.text(
                "INSERT INTO artworks (id, recipe_id, ext, private, created, engine, prompt, "
                "mode) VALUES (:id, :recipe, 'png', false, :created, 'painter', :prompt, "
                "'txt2img')"), {"id": sha(n), "recipe": recipe_id, "prompt": prompt,
                                "created": T0 + timedelta(minutes=n)})
    engine.dispose()
    catalog = Catalog(url)  # upgrades to head: 0007 builds the index from these rows
    try:
        assert migrate.current_revision(catalog.engine) == migrate.HEAD
        stmt = search.where_text(sa.select(artworks.c.id), catalog.engine.dialect.name,
                                 "lighthouse")
        with catalog.engine.connect() as conn:
            assert list(conn.scalars(stmt)) == [sha(1)]
    finally:
        catalog.close()
