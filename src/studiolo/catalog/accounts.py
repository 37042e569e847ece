"""Accounts of the web studio: people who log in, their sessions, and who may see what.

Functions of a `Catalog` (they use `catalog.engine` and its helpers), like
marks.py. Passwords are hashed with argon2id (argon2-cffi's defaults, the
RFC 9106 recommendation); a session cookie carries a random token of which
only the sha256 is stored. A private artwork is seen by its owner only.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidArgument, UnknownName
from ..types import Artwork
from ._common import now, text_arg
from .schema import USER_ROLES, artworks, collection_items, credits, jobs, people, sessions, users

if TYPE_CHECKING:
    from .store import Catalog

MIN_PASSWORD = 8
_SHA256 = re.compile(r"[0-9a-f]{64}")
SESSION_DAYS = 14


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    created: datetime

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user_select() -> Select[Any]:
    return select(users.c.id, people.c.name, users.c.role, users.c.created).select_from(
        users.join(people, users.c.person_id == people.c.id)
    )


def _user(row: Any) -> User:
    return User(id=row.id, name=row.name, role=row.role, created=row.created)


# -- users ---------------------------------------------------------------------
def check_password_text(password: Any) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        got = f"{len(password)} characters" if isinstance(password, str) else repr(password)
        raise InvalidArgument(f"A password must be at least {MIN_PASSWORD} characters, got {got}.")
    return password


def add_user(catalog: Catalog, name: str, password: str, *, role: str = "member") -> User:
    """A new account for `name` (the person's artworks become theirs)."""
    name = text_arg("name", name)
    check_password_text(password)
    if role not in USER_ROLES:
        raise InvalidArgument(f"`role` must be one of {USER_ROLES}, got {role!r}.")
    digest = _hasher().hash(password)
    try:
        with catalog.engine.begin() as conn:
            person_id = catalog._person_id(conn, name)
            conn.execute(insert(users).values(
                person_id=person_id, password_hash=digest, role=role, created=now()))
    except IntegrityError:
        raise InvalidArgument(
            f"{name!r} already has an account; choose another name or reset the password with "
            f"`studiolo users password {name}`."
        ) from None
    return get_user(catalog, name)


def get_user(catalog: Catalog, name: str) -> User:
    with catalog.engine.connect() as conn:
        row = conn.execute(_user_select().where(people.c.name == name)).first()
    if row is None:
        raise UnknownName("user", str(name), [u.name for u in list_users(catalog)])
    return _user(row)


def list_users(catalog: Catalog) -> list[User]:
    with catalog.engine.connect() as conn:
        return [_user(r) for r in conn.execute(_user_select().order_by(users.c.id))]


def has_users(catalog: Catalog) -> bool:
    with catalog.engine.connect() as conn:
        return bool(conn.scalar(select(func.count()).select_from(users)))


def set_password(catalog: Catalog, name: str, password: str) -> None:
    """A new password; every session of the account ends."""
    user = get_user(catalog, name)
    digest = _hasher().hash(check_password_text(password))
    with catalog.engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user.id).values(password_hash=digest))
        conn.execute(delete(sessions).where(sessions.c.user_id == user.id))


def authenticate(catalog: Catalog, name: str, password: str) -> User | None:
    """The user when the name and password match, else None (same work either way)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()
    with catalog.engine.connect() as conn:
        row = conn.execute(
            _user_select().add_columns(users.c.password_hash).where(people.c.name == name)
        ).first()
    # Hash anyway for an unknown name, so timing does not tell which names exist.
    stored = row.password_hash if row is not None else _DUMMY_HASH.get(hasher)
    try:
        hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if hasher.check_needs_rehash(stored):
        with catalog.engine.begin() as conn:
            conn.execute(update(users).where(users.c.id == row.id)
                         .values(password_hash=hasher.hash(password)))
    return _user(row)


class _Dummy:
    value: str | None = None

    def get(self, hasher: Any) -> str:
        if self.value is None:
            self.value = hasher.hash(secrets.token_hex(16))
        return self.value


_DUMMY_HASH = _Dummy()


# -- sessions --------------------------------------------------------------------
def start_session(catalog: Catalog, user: User, *, days: int = SESSION_DAYS) -> tuple[str, str]:
    """A new session: (cookie token, CSRF token). Only the token's hash is stored."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    when = now()
    with catalog.engine.begin() as conn:
        conn.execute(insert(sessions).values(
            token_hash=_token_hash(token), user_id=user.id, csrf=csrf, created=when,
            expires=when + timedelta(days=days)))
    return token, csrf


def session_user(catalog: Catalog, token: str | None) -> tuple[User, str] | None:
    """(user, CSRF token) for a live session token, else None."""
    if not token or len(token) > 200:
        return None
    query = (_user_select().add_columns(sessions.c.csrf)
             .join(sessions, sessions.c.user_id == users.c.id)
             .where(sessions.c.token_hash == _token_hash(token), sessions.c.expires > now()))
    with catalog.engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else (_user(row), row.csrf)


def end_session(catalog: Catalog, token: str | None) -> None:
    if token:
        with catalog.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.token_hash == _token_hash(token)))


def purge_sessions(catalog: Catalog) -> int:
    """Remove expired sessions; return how many."""
    with catalog.engine.begin() as conn:
        return conn.execute(delete(sessions).where(sessions.c.expires <= now())).rowcount or 0


# -- who sees what -----------------------------------------------------------------
def set_private(catalog: Catalog, artwork_id: str, private: bool) -> None:
    sha = catalog.resolve_id(artwork_id)
    with catalog.engine.begin() as conn:
        conn.execute(update(artworks).where(artworks.c.id == sha).values(private=bool(private)))


def is_private(catalog: Catalog, artwork_id: str) -> bool:
    sha = catalog.resolve_id(artwork_id)
    with catalog.engine.connect() as conn:
        return bool(conn.scalar(select(artworks.c.private).where(artworks.c.id == sha)))


def _visible(stmt: Select[Any], viewer: str | None) -> Select[Any]:
    mine = artworks.c.owner_id.in_(select(people.c.id).where(people.c.name == viewer))
    return stmt.where(or_(artworks.c.private.is_(False), mine) if viewer else
                      artworks.c.private.is_(False))


def can_see(catalog: Catalog, artwork_id: str, viewer: str | None) -> str:
    """The full id when `viewer` may see the artwork; `UnknownName` otherwise (no leak)."""
    sha = catalog.resolve_id(artwork_id)
    with catalog.engine.connect() as conn:
        found = conn.scalar(_visible(select(artworks.c.id).where(artworks.c.id == sha), viewer))
    if found is None:
        raise UnknownName("artwork", artwork_id)
    return str(found)


def _full_id(catalog: Catalog, artwork_id: str) -> str:
    # A full id needs no lookup of its own: the visible row's query says if it exists.
    if isinstance(artwork_id, str) and _SHA256.fullmatch(artwork_id):
        return artwork_id
    return catalog.resolve_id(artwork_id)


def _visible_row(conn: Connection, sha: str, viewer: str | None, artwork_id: str) -> Any:
    row_of = select(artworks.c.ext, artworks.c.private).where(artworks.c.id == sha)
    row = conn.execute(_visible(row_of, viewer)).first()
    if row is None:
        raise UnknownName("artwork", artwork_id)
    return row


def visible_file(catalog: Catalog, artwork_id: str, viewer: str | None) -> tuple[str, str]:
    """(full id, file extension) when `viewer` may see the artwork; `UnknownName` otherwise."""
    sha = _full_id(catalog, artwork_id)
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
    sha = _full_id(catalog, artwork_id)
    with catalog.engine.connect() as conn:
        row = _visible_row(conn, sha, viewer, artwork_id)
        found = catalog._load(conn, catalog._artwork_select().where(artworks.c.id == sha))[0]
        return VisibleArtwork(artwork=found, ext=str(row.ext), private=bool(row.private),
                              tags=tuple(catalog._tags(conn, sha)))


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


def _gallery_where(catalog: Catalog, viewer: str | None, query: str | None, owner: str | None,
                   engine: str | None, tag: str | None, credit: str | None,
                   board: int | None = None) -> Any:
    def where(stmt: Select[Any], *, text_index: bool = True) -> Select[Any]:
        stmt = _visible(catalog._filter(stmt, owner, query, engine, tag, text_index=text_index),
                        viewer)
        if credit:
            named = select(credits.c.artwork_id).where(
                func.lower(credits.c.name).contains(credit.lower(), autoescape=True))
            stmt = stmt.where(artworks.c.id.in_(named))
        if board is not None:
            stmt = stmt.where(artworks.c.id.in_(on_board(board)))
        return stmt

    return where


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
    where = _gallery_where(catalog, viewer, query, owner, engine, tag, credit)
    page = where(catalog._artwork_select()).order_by(
        artworks.c.created.desc(), artworks.c.id.desc()).limit(limit).offset(offset)
    with catalog.engine.connect() as conn:
        total = int(conn.scalar(where(select(func.count()).select_from(artworks))) or 0)
        return catalog._load(conn, page), total


COUNT_CAP = 1000  # a gallery page counts its matches up to here ("1000+"), not all 100,000


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
    where = _gallery_where(catalog, viewer, query, owner, engine, tag, credit, board)
    columns = (artworks.c.id, people.c.name.label("owner"), artworks.c.title, artworks.c.created,
               artworks.c.width, artworks.c.height, artworks.c.prompt, artworks.c.engine,
               artworks.c.mode, artworks.c.private)
    source = artworks.outerjoin(people, artworks.c.owner_id == people.c.id)
    newest = (artworks.c.created.desc(), artworks.c.id.desc())
    if board is not None:
        source = source.join(collection_items, and_(
            collection_items.c.artwork_id == artworks.c.id,
            collection_items.c.collection_id == board))
        newest = (collection_items.c.position.desc(),)
    matches = where(select(artworks.c.id).select_from(artworks)).limit(COUNT_CAP + 1).subquery()
    with catalog.engine.connect() as conn:
        total = int(conn.scalar(select(func.count()).select_from(matches)) or 0)
        # A search with few matches reads them all through the text index and sorts them;
        # with more than COUNT_CAP, walking the newest works (ix_artworks_created) finds a
        # page sooner: about (offset + limit) * (all works / matches) rows, and sorts none.
        page = where(select(*columns).select_from(source), text_index=total <= COUNT_CAP)
        rows = conn.execute(page.order_by(*newest).limit(limit).offset(offset)).all()
    items = [Summary(*r[:-1], private=bool(r.private)) for r in rows]  # columns in field order
    return items, min(total, COUNT_CAP), total > COUNT_CAP


def on_board(board: int) -> Select[Any]:
    """The ids of the artworks on a board, as a subquery."""
    return select(collection_items.c.artwork_id).where(collection_items.c.collection_id == board)


def job_owner(catalog: Catalog, job_id: str) -> str | None:
    """Who submitted the job (None for a job of no one); `UnknownName` for no such job."""
    with catalog.engine.connect() as conn:
        row = conn.execute(select(jobs.c.owner).where(jobs.c.id == str(job_id))).first()
    if row is None:
        raise UnknownName("job", str(job_id))
    return row.owner
