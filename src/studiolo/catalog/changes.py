"""Knowing cheaply whether the catalog has changed, and remembering counts until it does.

A gallery page or a search shows how many works match (up to `COUNT_CAP`).
Counting is the costly part of such a request (a search word that matches
thousands of works reads a thousand index hits and rows: milliseconds), and
it is asked again and again with nothing changed: each scroll of the grid,
each reload, each page of the same search. `Changes.version()` tells whether
anything was committed since, by anyone, in any process:

- SQLite: `PRAGMA data_version` on a connection of our own that never writes.
  SQLite changes that number whenever another connection (of this process or
  any other) commits to the database file; asking costs microseconds.
- PostgreSQL and in-memory SQLite: no such number here, so `version()` is None
  and nothing is remembered (every count is counted).

`CountCache` keeps the last counts with the version they were made at; a
count is used only while the version is the same. It is read before counting,
so a write that lands during the count makes the next request count again.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlalchemy.engine import Engine


class Changes:
    """The catalog's change number (None where the database gives none)."""

    def __init__(self, engine: Engine) -> None:
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        database = engine.url.database
        if engine.dialect.name == "sqlite" and database and database != ":memory:" \
                and not database.startswith("file:"):
            try:
                # Read-only, and in autocommit mode: it never holds a transaction open.
                self._conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True,
                                             check_same_thread=False, isolation_level=None)
            except sqlite3.Error:
                self._conn = None

    def version(self) -> int | None:
        if self._conn is None:
            return None
        with self._lock:
            try:
                return int(self._conn.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error:
                return None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class CountCache:
    """Counts by key, each valid while the catalog's change number stays the same."""

    def __init__(self, changes: Changes, size: int = 512) -> None:
        self.changes, self.size = changes, size
        self._lock = threading.Lock()
        self._counts: OrderedDict[Hashable, tuple[int, int]] = OrderedDict()

    def has(self, key: Hashable) -> bool:
        """Whether `get(key, ...)` would answer without counting."""
        version = self.changes.version()
        with self._lock:
            hit = self._counts.get(key)
        return version is not None and hit is not None and hit[0] == version

    def get(self, key: Hashable, count: Callable[[], int]) -> int:
        """The remembered count for `key`, or `count()` (remembered when it can be)."""
        version = self.changes.version()
        if version is None:
            return count()
        with self._lock:
            hit = self._counts.get(key)
            if hit is not None and hit[0] == version:
                self._counts.move_to_end(key)
                return hit[1]
        found = count()
        with self._lock:
            self._counts[key] = (version, found)
            self._counts.move_to_end(key)
            while len(self._counts) > self.size:
                self._counts.popitem(last=False)
        return found
