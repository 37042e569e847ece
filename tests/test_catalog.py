"""The catalog on SQLite (always) and PostgreSQL (when STUDIOLO_TEST_POSTGRES_URL is set).

The `url` and `cat` fixtures (both backends; a schema of its own for each
PostgreSQL test) are in conftest.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from studiolo.catalog import Catalog, migrate, open_catalog, search
from studiolo.catalog.schema import metadata
from studiolo.core.errors import CatalogError, InvalidArgument, UnknownName, UnsafePath
from studiolo.core.settings import Settings
from studiolo.core.types import Artwork, Credit, Recipe

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def sha(n: int | str) -> str:
    return f"{n:0>64}" if isinstance(n, str) else f"{n:064x}"


def artwork(n: int, prompt: str = "a lighthouse at dusk", **kw) -> Artwork:
    recipe = Recipe(engine=kw.pop("engine", "painter"), prompt=prompt, seed=2**32 - n,
                    width=64, height=48, model="tiny", model_hash="f" * 64,
                    options={"palette": ["#102030"]})
    values = {"recipe": recipe, "id": sha(n), "owner": "ada", "created": T0 + timedelta(minutes=n),
                  "width": 64, "height": 48}
    values.update(kw)
    return Artwork(**values)


def count(catalog: Catalog, table: str) -> int:
    with catalog.engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(metadata.tables[table]))


def test_round_trip_with_credits_parents_and_tags(cat):
    credits = (
        Credit("ada", "person", "prompt_author", 0.5, "wrote the prompt"),
        Credit("tiny", "model", "model_author", 0.3, "model named", ref="f" * 64),
        Credit("Turner", "artist", "style_source", 0.2, "style", ref="turner-1840"),
    )
    art = artwork(1, credits=credits, parents=(sha(9), sha(8)), title="Night light")
    cat.add_artwork(art, "png", tags=["sea", "night", "sea"])
    got = cat.get_artwork(art.id)
    assert got == art  # every field, credits and parents in order, created aware UTC
    assert got.created.tzinfo is not None and got.created.utcoffset() == timedelta(0)
    assert got.recipe.seed == 2**32 - 1 and got.recipe.options == {"palette": ["#102030"]}
    assert cat.tags_of(art.id) == ["night", "sea"]
    assert cat.artwork_ext(art.id[:8]) == "png"
    assert cat.has_artwork(art.id) and not cat.has_artwork(sha(2))


def test_created_defaults_to_now_and_other_zones_become_utc(cat):
    cat.add_artwork(artwork(1, created=None), "png")
    made = cat.get_artwork(sha(1)).created
    assert abs(made - datetime.now(UTC)) < timedelta(minutes=1)
    paris = timezone(timedelta(hours=2))
    cat.add_artwork(artwork(2, created=datetime(2025, 3, 1, 14, 0, tzinfo=paris)), "png")
    assert cat.get_artwork(sha(2)).created == T0
    assert cat.get_artwork(sha(2)).created.tzinfo == UTC


def test_duplicate_add_is_a_no_op(cat):
    cat.add_artwork(artwork(1, credits=(Credit("ada", "person", "editor", 1.0),)), "png")
    cat.add_artwork(artwork(1, prompt="something else entirely"), "jpg", tags=["x"])
    assert cat.get_artwork(sha(1)).recipe.prompt == "a lighthouse at dusk"
    assert cat.artwork_ext(sha(1)) == "png"
    assert [count(cat, t) for t in ("artworks", "recipes", "credits", "tags", "people")] == [
        1, 1, 1, 0, 1]


def test_failing_add_rolls_back_everything(cat):
    # The credit row fails inside the transaction (NOT NULL name), after the
    # person, recipe and artwork rows were already inserted.
    bad = artwork(1, owner="newcomer", parents=(sha(5),), credits=(
        Credit("ada", "person", "editor", 0.5), Credit(None, "person", "editor", 0.5)))
    with pytest.raises(CatalogError, match="could not be stored, nothing was written"):
        cat.add_artwork(bad, "png", tags=["sea"])
    for table in ("artworks", "recipes", "credits", "artwork_parents", "tags", "people"):
        assert count(cat, table) == 0, table
    cat.add_artwork(artwork(1), "png")  # and the catalog still works afterwards
    assert cat.count_artworks() == 1


def test_list_search_filter_and_paging(cat):
    cat.add_artwork(artwork(1, "A LIGHTHOUSE in fog"), "png")
    cat.add_artwork(artwork(2, "a harbour at night", title="Lighthouse keeper"), "png")
    cat.add_artwork(artwork(3, "a field of poppies", owner="bob", engine="diffusion"), "png")
    cat.add_artwork(artwork(4, "100% pure_red", owner=None), "png", tags=["red"])
    ids = lambda arts: [a.id for a in arts]
    assert ids(cat.list_artworks()) == [sha(4), sha(3), sha(2), sha(1)]
    assert ids(cat.list_artworks(newest_first=False, limit=2)) == [sha(1), sha(2)]
    assert ids(cat.list_artworks(limit=2, offset=2)) == [sha(2), sha(1)]
    assert ids(cat.list_artworks(query="lighthouse")) == [sha(2), sha(1)]  # prompt or title
    assert ids(cat.list_artworks(query="LightHouse", owner="ada", limit=1)) == [sha(2)]
    assert ids(cat.list_artworks(owner="bob")) == [sha(3)]
    assert ids(cat.list_artworks(owner="nobody")) == []
    assert ids(cat.list_artworks(engine="diffusion")) == [sha(3)]
    assert ids(cat.list_artworks(tag="red")) == [sha(4)]
    # LIKE wildcards in the query are literal characters.
    assert ids(cat.list_artworks(query="100%")) == [sha(4)]
    assert ids(cat.list_artworks(query="e_r")) == [sha(4)]
    assert ids(cat.list_artworks(query="%")) == [sha(4)]
    assert ids(cat.list_artworks(query="_")) == [sha(4)]
    assert cat.count_artworks() == 4 and cat.count_artworks(query="lighthouse") == 2
    assert cat.count_artworks(owner="ada", engine="painter") == 2
    assert cat.list_artworks(owner=None)[0].owner is None


@pytest.mark.parametrize("kwargs, words", [
    ({"limit": 0}, "`limit` must be a positive integer, got 0"),
    ({"offset": -1}, "`offset` must be an integer >= 0, got -1"),
])
def test_list_bad_paging(cat, kwargs, words):
    with pytest.raises(InvalidArgument) as info:
        cat.list_artworks(**kwargs)
    assert words in str(info.value)


def test_prefix_lookup(cat):
    cat.add_artwork(artwork(0, id="abcdef01" + "0" * 56), "png")
    cat.add_artwork(artwork(1, id="abcdef02" + "0" * 56), "png")
    assert cat.get_artwork("abcdef01").id == "abcdef01" + "0" * 56
    assert cat.get_artwork("ABCDEF02").id.startswith("abcdef02")
    with pytest.raises(InvalidArgument) as info:
        cat.get_artwork("abcdef")
    assert "ambiguous" in str(info.value) and "abcdef010000" in str(info.value)
    with pytest.raises(UnknownName) as info:
        cat.get_artwork("123456")
    assert "Unknown artwork '123456'" in str(info.value)


@pytest.mark.parametrize("bad, words", [
    ("abc", "at least 6 hex digits, got 'abc'"),
    ("xyz123", "must be hex digits"),
    ("../../etc/passwd", "must be hex digits"),
    ("a" * 65, "must be hex digits"),
])
def test_bad_prefixes(cat, bad, words):
    with pytest.raises(InvalidArgument) as info:
        cat.get_artwork(bad)
    assert words in str(info.value)


@pytest.mark.parametrize("change, error, words", [
    ({"id": None}, InvalidArgument, "`artwork.id` must be set"),
    ({"id": "../../etc/passwd"}, UnsafePath, "looks like a path"),
    ({"parents": ("nope",)}, InvalidArgument, "64 lowercase hex"),
    ({"created": datetime(2025, 1, 1)}, InvalidArgument, "timezone-aware"),
])
def test_bad_artworks_are_refused(cat, change, error, words):
    with pytest.raises(error) as info:
        cat.add_artwork(artwork(1, **change), "png")
    assert words in str(info.value)
    assert count(cat, "artworks") == 0


def test_bad_ext_and_tags(cat):
    with pytest.raises(InvalidArgument, match="`ext` must be 1-10 lowercase"):
        cat.add_artwork(artwork(1), "../png")
    with pytest.raises(InvalidArgument, match="`tags` must be a non-empty string"):
        cat.add_artwork(artwork(1), "png", tags=[" "])
    assert count(cat, "artworks") == 0


def test_delete_artwork_removes_its_rows(cat):
    cat.add_artwork(artwork(1, parents=(sha(7),), credits=(Credit("a", "person", "editor"),)),
                    "png", tags=["t"])
    cat.add_artwork(artwork(2, parents=(sha(1),)), "png")
    board = cat.create_collection("Best", "ada")
    cat.add_to_collection(board, sha(1))
    assert cat.delete_artwork(sha(1)) == sha(1)
    assert not cat.has_artwork(sha(1)) and cat.collection_items(board) == []
    for table in ("credits", "tags", "collection_items"):
        assert count(cat, table) == 0, table
    assert count(cat, "recipes") == 1
    assert cat.get_artwork(sha(2)).parents == (sha(1),)  # the child still says where it came from
    with pytest.raises(UnknownName, match="Unknown artwork"):
        cat.delete_artwork(sha(1))


def test_people(cat):
    ada = cat.ensure_person("ada")
    assert cat.ensure_person("ada") == ada != cat.ensure_person("bob")
    with pytest.raises(InvalidArgument, match="`name` must be a non-empty string, got ''"):
        cat.ensure_person("")


def test_jobs_lifecycle(cat):
    job = cat.create_job("generate", {"prompt": "a boat", "seed": 3}, owner="ada")
    assert (job.status, job.progress, job.result_ids, job.error) == ("queued", 0.0, (), None)
    assert job.request == {"prompt": "a boat", "seed": 3} and job.created.tzinfo is not None
    running = cat.update_job(job.id, status="running", progress=0.25)
    assert (running.status, running.progress) == ("running", 0.25)
    assert running.updated >= job.updated
    done = cat.update_job(job.id, status="done", progress=1.0, result_ids=[sha(1), sha(2)])
    assert done.result_ids == (sha(1), sha(2)) and cat.get_job(job.id) == done
    other = cat.create_job("restore", {})
    cat.update_job(other.id, status="failed", error="out of memory")
    assert cat.get_job(other.id).error == "out of memory"
    assert [j.id for j in cat.list_jobs()] == [other.id, job.id]
    assert [j.id for j in cat.list_jobs(status="done")] == [job.id]
    assert [j.id for j in cat.list_jobs(owner="ada")] == [job.id]
    assert len(cat.list_jobs(limit=1)) == 1


@pytest.mark.parametrize("call, error, words", [
    (lambda c, j: c.update_job(j, status="sleeping"), InvalidArgument, "got 'sleeping'"),
    (lambda c, j: c.update_job(j, progress=1.5), InvalidArgument, "in [0, 1], got 1.5"),
    (lambda c, j: c.update_job(j, progress=float("nan")), InvalidArgument, "got nan"),
    (lambda c, j: c.update_job(j, result_ids="abc"), InvalidArgument, "`result_ids`"),
    (lambda c, j: c.update_job("no-such-job", status="done"), UnknownName, "'no-such-job'"),
    (lambda c, j: c.get_job("missing"), UnknownName, "Unknown job 'missing'"),
    (lambda c, j: c.list_jobs(status="odd"), InvalidArgument, "got 'odd'"),
    (lambda c, j: c.create_job("", {}), InvalidArgument, "`kind`"),
    (lambda c, j: c.create_job("x", {"when": T0}), InvalidArgument, "JSON values only"),
    (lambda c, j: c.create_job("x", ["a"]), InvalidArgument, "`request` must be a dict"),
])
def test_bad_job_calls(cat, call, error, words):
    job = cat.create_job("generate", {})
    with pytest.raises(error) as info:
        call(cat, job.id)
    assert words in str(info.value)
    assert cat.get_job(job.id).status == "queued"


def test_collections(cat):
    for n in (1, 2, 3):
        cat.add_artwork(artwork(n), "png")
    show = cat.create_collection("Spring show", "ada", kind="exhibition")
    for n in (3, 1, 3, 2):
        cat.add_to_collection(show, sha(n))
    assert cat.collection_items(show) == [sha(3), sha(1), sha(2)]
    assert cat.collection_items(cat.create_collection("Spring show", "bob")) == []
    with pytest.raises(InvalidArgument, match="already has a collection named 'Spring show'"):
        cat.create_collection("Spring show", "ada")
    with pytest.raises(InvalidArgument, match="`kind` must be one of .* got 'wall'"):
        cat.create_collection("x", "ada", kind="wall")
    with pytest.raises(UnknownName, match="Unknown collection '999'"):
        cat.add_to_collection(999, sha(1))
    with pytest.raises(UnknownName, match="Unknown artwork"):
        cat.add_to_collection(show, sha(4))


def test_sqlite_is_in_wal_mode_with_foreign_keys(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'c.sqlite'}")
    with catalog.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    catalog.close()


def test_migrated_database_matches_schema(cat):
    inspector = sa.inspect(cat.engine)
    names = set(inspector.get_table_names()) - {"alembic_version"}
    # SQLite's text index (an FTS5 table and its shadow tables) is made by 0007, not schema.py.
    index_tables = {n for n in names if search.is_index_table(n)}
    assert bool(index_tables) == (cat.engine.dialect.name == "sqlite")
    tables = names - index_tables
    assert tables == set(metadata.tables)
    for name, table in metadata.tables.items():
        columns = {c["name"]: c for c in inspector.get_columns(name)}
        assert list(columns) == [c.name for c in table.columns], name
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable, (name, column.name)
        pk = inspector.get_pk_constraint(name)["constrained_columns"]
        assert pk == [c.name for c in table.primary_key.columns], name
        indexes = {i["name"] for i in inspector.get_indexes(name)}
        assert {i.name for i in table.indexes} <= indexes, name
        fks = {(tuple(f["constrained_columns"]), f["referred_table"])
               for f in inspector.get_foreign_keys(name)}
        assert fks == {(tuple(f.parent.name for f in fk.elements), fk.referred_table.name)
                       for fk in table.foreign_key_constraints}, name
    assert migrate.current_revision(cat.engine) == migrate.head_revision() == migrate.HEAD


def test_reopening_upgrades_nothing_and_keeps_rows(url):
    first = Catalog(url)
    first.add_artwork(artwork(1), "png")
    first.close()
    second = Catalog(url)
    assert migrate.upgrade(second.engine, url) is False
    assert second.count_artworks() == 1
    second.close()


def test_an_old_database_is_upgraded_on_open(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    engine.dispose()  # a database that predates every migration
    catalog = Catalog(url)
    assert set(metadata.tables) <= set(sa.inspect(catalog.engine).get_table_names())
    catalog.close()


def test_open_catalog_uses_settings(studio_home):
    settings = Settings.from_env()
    catalog = open_catalog(settings)
    assert catalog.url == settings.database_url
    assert (studio_home / "catalog.sqlite").is_file()
    catalog.close()


def test_bad_url():
    with pytest.raises(InvalidArgument, match="`url` must be a database URL, got ''"):
        Catalog("")
    with pytest.raises(InvalidArgument, match="cannot be parsed"):
        Catalog("not a url")


def test_unreachable_database_names_the_url_without_password():
    with pytest.raises(CatalogError) as info:
        Catalog("postgresql+psycopg://me:secret@127.0.0.1:1/nowhere?connect_timeout=2")
    assert "127.0.0.1:1/nowhere" in str(info.value) and "secret" not in str(info.value)


def _open_and_add(url: str, n: int) -> int:
    catalog = Catalog(url)
    catalog.add_artwork(artwork(n), "png")
    total = catalog.count_artworks()
    catalog.close()
    return total


def test_processes_opening_a_new_catalog_at_once_all_succeed(url):
    import multiprocessing

    # fork where there is one: the children skip re-importing everything.
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ctx.Pool(3) as pool:
        totals = pool.starmap(_open_and_add, [(url, n) for n in range(1, 4)])
    assert max(totals) == 3
    catalog = Catalog(url)
    assert catalog.count_artworks() == 3
    catalog.close()


def test_threads_write_jobs_and_artworks_concurrently(cat):
    import threading

    job = cat.create_job("generate", {})
    errors: list[BaseException] = []

    def progress():
        try:
            for step in range(30):
                cat.update_job(job.id, status="running", progress=step / 30)
        except Exception as exc:  # noqa: BLE001 - the assertion below reports it
            errors.append(exc)

    worker = threading.Thread(target=progress)
    worker.start()
    for n in range(1, 16):
        cat.add_artwork(artwork(n), "png")
    worker.join()
    assert errors == [] and cat.count_artworks() == 15
    assert cat.get_job(job.id).progress == pytest.approx(29 / 30)


def test_a_new_table_pointing_at_artworks_is_cleaned_on_delete_without_naming_it(cat):
    """A capability's own results table (an analysis, say) needs no edit of delete_artwork."""
    import sqlalchemy as sa

    from studiolo.catalog.schema import metadata

    results = sa.Table(
        "test_results", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("artwork_id", sa.String(64), sa.ForeignKey("artworks.id", ondelete="CASCADE")),
        sa.Column("value", sa.Float),
    )
    try:
        results.create(cat.engine)
        cat.add_artwork(artwork(1), "png")
        cat.add_artwork(artwork(2), "png")
        with cat.engine.begin() as conn:
            conn.execute(results.insert(), [{"artwork_id": sha(1), "value": 0.5},
                                            {"artwork_id": sha(2), "value": 0.7}])
        cat.delete_artwork(sha(1))
        with cat.engine.connect() as conn:
            left = conn.execute(sa.select(results.c.artwork_id)).scalars().all()
        assert left == [sha(2)]
    finally:
        results.drop(cat.engine, checkfirst=True)
        metadata.remove(results)
