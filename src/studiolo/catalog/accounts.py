"""Accounts of the web studio: people who log in and their sessions.

Functions of a `Catalog` (they use `catalog.engine` and its helpers), like
marks.py. Passwords are hashed with argon2id (argon2-cffi's defaults, the
RFC 9106 recommendation); a session cookie carries a random token of which
only the sha256 is stored. Who may see which
artwork (and the gallery built on that) is in visibility.py.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Select,
    String,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from studiolo.catalog._common import now, text_arg
from studiolo.catalog.schema import (
    USER_ROLES,
    UTCDateTime,
    jobs,
    people,
    sessions,
    users,
)
from studiolo.core.errors import InvalidArgument, UnknownName

if TYPE_CHECKING:
    from studiolo.catalog.store import Catalog

MIN_PASSWORD = 8
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
        return [_user(r) for r in conn.execute(_statements().users)]


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


@cache
def _statements() -> SimpleNamespace:
    """The statements every request runs, built once: SQLAlchemy then only binds values
    (building a statement costs more than SQLite takes to answer it)."""
    return SimpleNamespace(
        users=_user_select().order_by(users.c.id),
        session=(_user_select().add_columns(sessions.c.csrf)
                 .join(sessions, sessions.c.user_id == users.c.id)
                 .where(sessions.c.token_hash == bindparam("token_hash", type_=String),
                        sessions.c.expires > bindparam("now", type_=UTCDateTime))),
    )


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
    with catalog.engine.connect() as conn:
        row = conn.execute(_statements().session,
                           {"token_hash": _token_hash(token), "now": now()}).first()
    return None if row is None else (_user(row), row.csrf)


def end_session(catalog: Catalog, token: str | None) -> None:
    if token:
        with catalog.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.token_hash == _token_hash(token)))


def purge_sessions(catalog: Catalog) -> int:
    """Remove expired sessions; return how many."""
    with catalog.engine.begin() as conn:
        return conn.execute(delete(sessions).where(sessions.c.expires <= now())).rowcount or 0


def job_owner(catalog: Catalog, job_id: str) -> str | None:
    """Who submitted the job (None for a job of no one); `UnknownName` for no such job."""
    with catalog.engine.connect() as conn:
        row = conn.execute(select(jobs.c.owner).where(jobs.c.id == str(job_id))).first()
    if row is None:
        raise UnknownName("job", str(job_id))
    return row.owner
