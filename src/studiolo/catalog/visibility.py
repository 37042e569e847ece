"""Who may see what: a private artwork is seen by its owner only; the gallery and search.

Functions of a `Catalog`, like accounts.py. Statements that run on every page
are built once with bound parameters (`_statements`, `_gallery_statement`):
building a SQLAlchemy statement costs more than SQLite takes to answer it.
A gallery's count is remembered until the catalog changes (`Catalog.counts`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, Select, String, and_, bindparam, func, or_, select, update
from sqlalchemy.engine import Connection

from studiolo.catalog import search
from studiolo.catalog.queries import (
    artwork_select,
    check_prefix,
    complete,
    filter_params,
    filter_shape,
    one_match,
    prefix_range,
)
from studiolo.catalog.schema import artworks, collection_items, credits, people
from studiolo.core.errors import InvalidArgument, UnknownName
from studiolo.core.types import Artwork

if TYPE_CHECKING:
    from studiolo.catalog.store import Catalog


def set_private(catalog: Catalog, artwork_id: str, private: bool) -> None:
    sha = catalog.resolve_id(artwork_id)
    with catalog.engine.begin() as conn:
        conn.execute(update(artworks).where(artworks.c.id == sha).values(private=bool(private)))


def is_private(catalog: Catalog, artwork_id: str) -> bool:
    sha = catalog.resolve_id(artwork_id)
    with catalog.engine.connect() as conn:
        return bool(conn.scalar(select(artworks.c.private).where(artworks.c.id == sha)))


def _visible(stmt: Select[Any], viewer: bool) -> Select[Any]:
    """`stmt` narrowed to the works the bound parameter `viewer` may see (with `viewer`
    False: the public ones, and no parameter)."""
    if not viewer:
        return stmt.where(artworks.c.private.is_(False))
    mine = artworks.c.owner_id.in_(
        select(people.c.id).where(people.c.name == bindparam("viewer", type_=String)))
    return stmt.where(or_(artworks.c.private.is_(False), mine))


@cache
def _statements() -> SimpleNamespace:
    """Statements every artwork page runs, built once (values bound at run time)."""
    sha = bindparam("sha", type_=String)
    return SimpleNamespace(
        seen={v: _visible(select(artworks.c.id).where(artworks.c.id == sha), v)
              for v in (False, True)},
        row={v: _visible(select(artworks.c.ext, artworks.c.private).where(artworks.c.id == sha), v)
             for v in (False, True)},
        full={v: _visible(artwork_select().add_columns(artworks.c.ext, artworks.c.private)
                          .where(artworks.c.id == sha), v) for v in (False, True)},
        prefixed={v: _visible(select(artworks.c.id).where(
            artworks.c.id >= bindparam("low", type_=String),
            artworks.c.id < bindparam("high", type_=String)), v).order_by(artworks.c.id).limit(11)
            for v in (False, True)},
    )


def _viewer(viewer: str | None) -> dict[str, str]:
    return {"viewer": viewer} if viewer else {}


def resolve(catalog: Catalog, id_or_prefix: str, viewer: str | None) -> str:
    """The full id for a full id, or for a prefix that is unique among the works `viewer`
    may see. A work hidden from them is never named, counted or matched: a prefix it
    shares with a visible work resolves to that one, and a prefix of hidden works only is
    unknown. A full id is returned as it is (the reads that follow find nothing for a
    hidden one)."""
    prefix = check_prefix(id_or_prefix)
    if len(prefix) == 64:
        return prefix
    with catalog.engine.connect() as conn:
        found = list(conn.scalars(_statements().prefixed[bool(viewer)],
                                  {**prefix_range(prefix), **_viewer(viewer)}))
    return one_match(found, id_or_prefix)


def can_see(catalog: Catalog, artwork_id: str, viewer: str | None) -> str:
    """The full id when `viewer` may see the artwork; `UnknownName` otherwise (no leak)."""
    sha = resolve(catalog, artwork_id, viewer)
    with catalog.engine.connect() as conn:
        found = conn.scalar(_statements().seen[bool(viewer)], {"sha": sha, **_viewer(viewer)})
    if found is None:
        raise UnknownName("artwork", artwork_id)
    return str(found)


def visible_among(catalog: Catalog, ids: Sequence[str], viewer: str | None) -> list[str]:
    """The ids of `ids` that `viewer` may see, in their order (a private parent of a work
    they may see, say, is left out)."""
    wanted = [i for i in dict.fromkeys(ids) if isinstance(i, str)]
    if not wanted:
        return []
    stmt = _visible(select(artworks.c.id).where(artworks.c.id.in_(wanted)), bool(viewer))
    with catalog.engine.connect() as conn:
        seen = set(conn.scalars(stmt, _viewer(viewer)))
    return [i for i in wanted if i in seen]


def _visible_row(conn: Connection, sha: str, viewer: str | None, artwork_id: str) -> Any:
    row = conn.execute(_statements().row[bool(viewer)], {"sha": sha, **_viewer(viewer)}).first()
    if row is None:
        raise UnknownName("artwork", artwork_id)
    return row


def visible_file(catalog: Catalog, artwork_id: str, viewer: str | None) -> tuple[str, str]:
    """(full id, file extension) when `viewer` may see the artwork; `UnknownName` otherwise."""
    sha = resolve(catalog, artwork_id, viewer)
    with catalog.engine.connect() as conn:
        return sha, str(_visible_row(conn, sha, viewer, artwork_id).ext)


@dataclass(frozen=True)
class VisibleArtwork:
    """An artwork a viewer may see, with what its row says beyond `Artwork`, and its tags."""

    artwork: Artwork
    ext: str
    private: bool
    tags: tuple[str, ...]


def visible_artwork(catalog: Catalog, artwork_id: str, viewer: str | None) -> VisibleArtwork:
    """As `can_see`, with everything an artwork's page shows: the id is resolved once."""
    sha = resolve(catalog, artwork_id, viewer)
    with catalog.engine.connect() as conn:
        row = conn.execute(_statements().full[bool(viewer)], {"sha": sha, **_viewer(viewer)}
                           ).first()
        if row is None:
            raise UnknownName("artwork", artwork_id)
        return VisibleArtwork(artwork=complete(conn, row), ext=str(row.ext),
                              private=bool(row.private), tags=tuple(catalog._tags(conn, sha)))


@dataclass(frozen=True)
class Summary:
    """What a gallery tile or a search hit shows, read from the artworks row alone."""

    id: str
    owner: str | None
    title: str | None
    created: datetime
    width: int | None
    height: int | None
    prompt: str
    engine: str
    mode: str
    private: bool


def _check_page(limit: Any, offset: Any) -> None:
    if not isinstance(limit, int) or not 1 <= limit <= 200:
        raise InvalidArgument(f"`limit` must be an integer from 1 to 200, got {limit!r}.")
    if not isinstance(offset, int) or offset < 0:
        raise InvalidArgument(f"`offset` must be an integer >= 0, got {offset!r}.")


@lru_cache(maxsize=256)
def _gallery_where(viewer: bool, owner: bool, text: bool | None, engine: bool, tag: bool,
                   credit: bool, board: bool) -> Callable[[Select[Any]], Select[Any]]:
    """What narrows a gallery to the filters given (values bound at run time:
    `_gallery_params`); cached by which filters are given, as are the statements made
    with it (`_gallery_statement`)."""
    def where(stmt: Select[Any]) -> Select[Any]:
        stmt = _visible(filter_shape(stmt, owner=owner, text=text, engine=engine, tag=tag),
                        viewer)
        if credit:
            named = select(credits.c.artwork_id).where(
                func.lower(credits.c.name).like(bindparam("credit", type_=String), escape="/"))
            stmt = stmt.where(artworks.c.id.in_(named))
        if board:
            stmt = stmt.where(artworks.c.id.in_(on_board(bindparam("board", type_=Integer))))
        return stmt

    return where


def _gallery_params(viewer: str | None, query: str | None, owner: str | None,
                    engine: str | None, tag: str | None, credit: str | None,
                    board: int | None = None) -> dict[str, Any]:
    values = filter_params(owner, query, engine, tag) | _viewer(viewer)
    if credit:
        values["credit"] = search.like_pattern(credit)
    if board is not None:
        values["board"] = board
    return values


def _shape(catalog: Catalog, viewer: str | None, query: str | None, owner: str | None,
           engine: str | None, tag: str | None, credit: str | None, board: int | None = None,
           text_index: bool = True) -> tuple[Any, ...]:
    """Which filters are given: the key of the statements built for them."""
    text = None if not query else search.uses_index(catalog.engine.dialect.name, query,
                                                    text_index)
    return (bool(viewer), owner is not None, text, engine is not None, tag is not None,
            bool(credit), board is not None)


def visible_artworks(
    catalog: Catalog, viewer: str | None, *, query: str | None = None, owner: str | None = None,
    engine: str | None = None, tag: str | None = None, credit: str | None = None,
    limit: int = 40, offset: int = 0,
) -> tuple[list[Artwork], int]:
    """One page of the artworks `viewer` may see, newest first, and how many match in all.

    `query` matches prompt or title, `credit` any credited name (an artist, a model,
    a person), both as case-insensitive substrings.
    """
    _check_page(limit, offset)
    where = _gallery_where(*_shape(catalog, viewer, query, owner, engine, tag, credit))
    values = _gallery_params(viewer, query, owner, engine, tag, credit)
    page = where(catalog._artwork_select()).order_by(
        artworks.c.created.desc(), artworks.c.id.desc()).limit(limit).offset(offset)
    with catalog.engine.connect() as conn:
        total = int(conn.scalar(where(select(func.count()).select_from(artworks)), values) or 0)
        return catalog._load(conn, page.params(values)), total


# A gallery page counts its matches up to here ("200+"), not all of them. Counting costs one
# row read per match counted: at 1,000,000 artworks on PostgreSQL a new search's count up to
# 1001 took a median 26 ms and a p95 49 ms of the server's time, up to 201 1.8 and 11 ms
# (EXPLAIN ANALYZE, 40 new queries, benchmarks/gallery.py's words), and the count is most of
# a new search's cost. Five pages of 40 are counted exactly; past them the page says "200+".
COUNT_CAP = 200
# SQLite finds a page of a search with more matches than this by walking the newest works
# rather than through its text index (see `gallery`); it counts this far (its counts come
# from the FTS index and are remembered), PostgreSQL's planner chooses for itself.
WALK_AFTER = 1000


def gallery(
    catalog: Catalog, viewer: str | None, *, query: str | None = None, owner: str | None = None,
    engine: str | None = None, tag: str | None = None, credit: str | None = None,
    board: int | None = None, limit: int = 40, offset: int = 0,
) -> tuple[list[Summary], int, bool]:
    """As `visible_artworks`, but summaries from the artworks row only: no recipe JSON to
    parse and no credits to read, so a page of the gallery (or of a search) stays cheap.

    Returns (page, total, capped): counting every match would read them all, so it
    stops at `COUNT_CAP`; `capped` says there are more than `total`. `board` keeps a
    board's works, newest added first (whose board it is, and so whether `viewer` may
    use it, is the caller's check: `Catalog.board_of`).
    """
    _check_page(limit, offset)
    shape, key, values = _count_key(catalog, viewer, query, owner, engine, tag, credit, board)
    values.update(limit=limit, offset=offset)
    with catalog.engine.connect() as conn:
        total = catalog.counts.get(
            key, lambda: int(conn.scalar(_gallery_statement("count", shape), values) or 0))
        # A search with few matches reads them all through the text index and sorts them;
        # with more than WALK_AFTER, walking the newest works (ix_artworks_created) finds a
        # page sooner: about (offset + limit) * (all works / matches) rows, and sorts none.
        if total > WALK_AFTER:
            shape = _shape(catalog, viewer, query, owner, engine, tag, credit, board,
                           text_index=False)
        rows = conn.execute(_gallery_statement("page", shape), values).all()
    items = [Summary(*r[:-1], private=bool(r.private)) for r in rows]  # columns in field order
    return items, min(total, COUNT_CAP), total > COUNT_CAP


def _count_key(catalog: Catalog, viewer: str | None, query: str | None, owner: str | None,
               engine: str | None, tag: str | None, credit: str | None,
               board: int | None) -> tuple[tuple[Any, ...], tuple[Any, ...], dict[str, Any]]:
    """(shape, key of the count in `catalog.counts`, bound values) of a gallery."""
    values = _gallery_params(viewer, query, owner, engine, tag, credit, board)
    walks = catalog.engine.dialect.name == "sqlite"  # the count also decides its page's walk
    values["cap"] = max(COUNT_CAP, WALK_AFTER if walks else 0) + 1
    shape = _shape(catalog, viewer, query, owner, engine, tag, credit, board)
    return shape, (shape, tuple(sorted(values.items()))), values


def count_remembered(
    catalog: Catalog, viewer: str | None, *, query: str | None = None, owner: str | None = None,
    engine: str | None = None, tag: str | None = None, credit: str | None = None,
    board: int | None = None,
) -> bool:
    """Whether `gallery` with these filters will find its count remembered (no counting):
    the web studio then answers at once instead of handing the work to a thread."""
    return catalog.counts.has(_count_key(catalog, viewer, query, owner, engine, tag, credit,
                                         board)[1])


@lru_cache(maxsize=512)
def _gallery_statement(kind: str, shape: tuple[Any, ...]) -> Select[Any]:
    """The count (up to the bound `cap`) or the page (bound `limit`, `offset`) of a gallery
    with these filters (`_shape`), built once."""
    where = _gallery_where(*shape)
    if kind == "count":
        matches = where(select(artworks.c.id).select_from(artworks))
        return select(func.count()).select_from(
            matches.limit(bindparam("cap", type_=Integer)).subquery())
    columns = (artworks.c.id, people.c.name.label("owner"), artworks.c.title, artworks.c.created,
               artworks.c.width, artworks.c.height, artworks.c.prompt, artworks.c.engine,
               artworks.c.mode, artworks.c.private)
    source = artworks.outerjoin(people, artworks.c.owner_id == people.c.id)
    newest: tuple[Any, ...] = (artworks.c.created.desc(), artworks.c.id.desc())
    if shape[-1]:  # a board: its works, newest added first
        source = source.join(collection_items, and_(
            collection_items.c.artwork_id == artworks.c.id,
            collection_items.c.collection_id == bindparam("board", type_=Integer)))
        newest = (collection_items.c.position.desc(),)
    return (where(select(*columns).select_from(source)).order_by(*newest)
            .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer)))


def on_board(board: int) -> Select[Any]:
    """The ids of the artworks on a board, as a subquery."""
    return select(collection_items.c.artwork_id).where(collection_items.c.collection_id == board)
