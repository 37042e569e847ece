"""The catalog: SQL rows (SQLite in WAL mode by default, PostgreSQL by URL) with Alembic migrations."""

from studiolo.catalog.store import Catalog, open_catalog

__all__ = ["Catalog", "open_catalog"]
