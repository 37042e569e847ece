"""Bring a catalog database to the newest schema with Alembic, in code.

No ini file is needed: the script location is the `migrations` folder inside
the package, and the catalog's own connection is handed to env.py, so a new
STUDIOLO_HOME just works and an old one is upgraded when it opens.

Alembic is imported only when a migration must run: opening an up-to-date
catalog (every CLI call) reads one row and compares it with `HEAD`, which a
test keeps equal to the newest file in `migrations/versions/`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD = "0012"  # the newest revision in migrations/versions/ (tests check it)

# Any constant will do: it names the lock every studiolo process takes to migrate.
_PG_LOCK_KEY = 0x5754_D10


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # Config values go through ConfigParser interpolation: a '%' in a password must be doubled.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    """The newest revision as Alembic sees the scripts (slow: imports Alembic)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def _revision(conn: Connection) -> str | None:
    # Read in a savepoint-free way: a missing table must not spoil a PostgreSQL
    # transaction, so the caller runs this on a connection of its own.
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        conn.rollback()
        return None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return _revision(conn)


def upgrade(engine: Engine, url: str, revision: str = "head") -> bool:
    """Upgrade to `revision`; return True if anything ran. Cheap when already there.

    Two processes opening a new studio at once must not both create tables:
    the migration runs under a database-wide lock (SQLite: BEGIN IMMEDIATE;
    PostgreSQL: an advisory lock), and the revision is checked again once held.
    """
    if revision == "head" and current_revision(engine) == HEAD:
        return False
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # waits out the busy timeout for the lock
        elif conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
        if revision == "head" and MigrationContext.configure(conn).get_current_revision() == HEAD:
            conn.rollback()
            return False
        command.upgrade(alembic_config(url, conn), revision)
        conn.commit()
    return True


SQLITE_OPEN_WAIT_S = 120.0


def upgrade_waiting(engine: Engine, url: str) -> None:
    """Migrate, waiting while another process migrates the same new SQLite file.

    SQLite's busy timeout covers one statement; creating a catalog from nothing takes
    several seconds on a busy machine, so a second process opening it at the same moment
    can see "database is locked" (in BEGIN IMMEDIATE, or setting WAL on the fresh file).
    It tries again until the first is done, for at most SQLITE_OPEN_WAIT_S.
    """
    deadline = time.monotonic() + SQLITE_OPEN_WAIT_S
    while True:
        try:
            upgrade(engine, url)
            return
        except OperationalError as exc:
            locked = "database is locked" in str(exc.orig)
            if not locked or engine.dialect.name != "sqlite" or time.monotonic() > deadline:
                raise
            engine.dispose()  # fresh connections: their pragmas run again
            time.sleep(0.2)
