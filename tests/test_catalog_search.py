"""Search through the text index (migration 0007) finds what the plain LIKE finds.

Runs on SQLite (FTS5 trigram table) and, with STUDIOLO_TEST_POSTGRES_URL, on
PostgreSQL (pg_trgm GIN indexes); the `url` and `cat` fixtures (both
backends) come from conftest.py.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_catalog import T0, artwork, sha

from studiolo.catalog import Catalog, migrate, search, visibility
from studiolo.catalog.schema import artworks, people

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
    stmt = visibility._visible(sa.select(artworks.c.id).where(search.contains()), bool(viewer))
    values = {"needle": search.like_pattern(query)} | ({"viewer": viewer} if viewer else {})
    with cat.engine.connect() as conn:
        return set(conn.scalars(stmt, values))


def text_search(cat: Catalog, query: str) -> sa.Select:
    """The ids whose prompt or title holds `query`, through the index where there is one."""
    use_index = search.uses_index(cat.engine.dialect.name, query)
    return search.where_text(sa.select(artworks.c.id), use_index=use_index).params(
        search.text_params(query))


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
        items, total, capped = visibility.gallery(cat, viewer, query=word, limit=200)
        assert {i.id for i in items} == expected and total == len(expected), word
        assert not capped
        page, total = visibility.visible_artworks(cat, viewer, query=word, limit=200)
        assert {a.id for a in page} == expected and total == len(expected), word
    # The catalog's own listing (no visibility rules) agrees too.
    for word in WORDS:
        everything = {a.id for a in cat.list_artworks(query=word, limit=500)}
        assert everything == old_like_ids(cat, word, "bob") | old_like_ids(cat, word, "ann")
        assert cat.count_artworks(query=word) == len(everything)


def test_search_with_other_filters_and_paging(cat):
    fill(cat)
    got = visibility.gallery(cat, "ann", query="harbour", owner="bob", limit=200)[0]
    assert got and all(i.owner == "bob" and not i.private for i in got)
    newest = [i.id for i in visibility.gallery(cat, "ann", query="harbour", limit=200)[0]]
    pages = [i.id for k in range(0, len(newest), 3)
             for i in visibility.gallery(cat, "ann", query="harbour", limit=3, offset=k)[0]]
    assert pages == newest  # newest first, in pages, nothing lost or repeated


def test_many_matches_walk_the_newest_and_agree(cat, monkeypatch):
    # Past COUNT_CAP matches the page is found by walking the newest works with the
    # LIKE alone, not through the index: the same works, in the same order.
    fill(cat)
    full = [i.id for i in visibility.gallery(cat, "bob", query="a", limit=200)[0]]
    indexed = [i.id for i in visibility.gallery(cat, "bob", query="dusk", limit=200)[0]]
    monkeypatch.setattr(visibility, "COUNT_CAP", 5)
    monkeypatch.setattr(visibility, "WALK_AFTER", 5)
    items, total, capped = visibility.gallery(cat, "bob", query="dusk", limit=7, offset=2)
    assert [i.id for i in items] == indexed[2:9] and (total, capped) == (5, True)
    assert [i.id for i in visibility.gallery(cat, "bob", query="a", limit=4)[0]] == full[:4]


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
    stmt = text_search(cat, "lighthouse")
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
        stmt = text_search(catalog, "lighthouse")
        with catalog.engine.connect() as conn:
            assert list(conn.scalars(stmt)) == [sha(1)]
    finally:
        catalog.close()


# -- counts remembered until the catalog changes (catalog/changes.py) ------------------------------
class CountStatements:
    """How many count statements the catalog has run."""

    def __init__(self, catalog: Catalog) -> None:
        self.n = 0
        sa.event.listen(catalog.engine, "before_cursor_execute", self.seen)

    def seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.n += statement.lstrip().upper().startswith("SELECT COUNT(")


def test_a_count_is_remembered_until_anyone_changes_the_catalog(cat, tmp_path):
    fill(cat)
    counted = CountStatements(cat)
    first = visibility.gallery(cat, "ann", query="harbour")
    again = visibility.gallery(cat, "ann", query="harbour", offset=1)
    remembered = cat.counts.changes.version() is not None
    assert first[1] == again[1] == len(python_ids(cat, "harbour", "ann"))
    assert counted.n == (1 if remembered else 2)  # PostgreSQL: counted every time
    assert visibility.count_remembered(cat, "ann", query="harbour") == remembered
    assert not visibility.count_remembered(cat, "bob", query="harbour")  # another viewer
    other = Catalog(cat.url)  # another connection pool, as another process would have
    try:
        other.add_artwork(artwork(900, "a harbour at noon", owner="bob"), "png")
        assert not visibility.count_remembered(cat, "ann", query="harbour")
        assert visibility.gallery(cat, "ann", query="harbour")[1] == first[1] + 1
        visibility.set_private(other, sha(900), True)  # bob's now: ann sees one fewer
        assert visibility.gallery(cat, "ann", query="harbour")[1] == first[1]
        assert visibility.gallery(cat, "bob", query="harbour")[1] == len(
            python_ids(cat, "harbour", "bob"))
        cat.add_artwork(artwork(902, "harbour lights", owner="ann"), "png")  # this catalog's own
        assert visibility.gallery(cat, "ann", query="harbour")[1] == first[1] + 1
    finally:
        other.close()


def test_a_write_from_another_process_is_seen(cat, tmp_path):
    if not cat.url.startswith("sqlite"):
        pytest.skip("PostgreSQL remembers no counts")
    fill(cat)
    before = visibility.gallery(cat, None)[1]
    script = ("import sys; sys.path.insert(0, sys.argv[2]); from test_catalog import artwork;"
              "from studiolo.catalog import Catalog; c = Catalog(sys.argv[1]);"
              "c.add_artwork(artwork(901, 'a new one'), 'png'); c.close()")
    import subprocess
    import sys
    subprocess.run([sys.executable, "-c", script, cat.url, str(Path(__file__).parent)],
                   check=True)
    assert visibility.gallery(cat, None)[1] == before + 1


def test_an_owners_page_walks_their_index_and_a_search_starts_from_the_text(cat):
    """With an owner filter the page reads the owner's newest works in index order (not all
    of them, sorted), and a count with a search word still starts from the text index."""
    if not cat.url.startswith("sqlite"):
        pytest.skip("SQLite query plans")
    fill(cat)
    plans = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            plans.append(" ".join(str(r) for r in cursor.connection.execute(
                f"EXPLAIN QUERY PLAN {statement}", parameters)))

    sa.event.listen(cat.engine, "before_cursor_execute", seen)
    visibility.gallery(cat, "ann", owner="bob")
    count, page = plans[-2:]
    assert "ix_artworks_owner_id_created" in page and "TEMP B-TREE FOR ORDER BY" not in page
    visibility.gallery(cat, "ann", owner="bob", query="harbour")
    count = plans[-2]
    assert count.index(f"SCAN {search.TEXT_TABLE}") < count.index("SEARCH artworks"), count
