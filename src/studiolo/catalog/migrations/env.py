"""Alembic environment for the studiolo catalog.

The catalog runs migrations itself when it opens (`studiolo.catalog.migrate`)
and hands over its own connection in `config.attributes["connection"]`, so
the SQLite pragmas and PostgreSQL search path it set up apply. Run from the
command line (`alembic -c src/studiolo/catalog/alembic.ini -x url=... upgrade
head`) it connects to `-x url=`, the `sqlalchemy.url` option or
STUDIOLO_DATABASE_URL, in that order.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from studiolo.catalog.schema import metadata

config = context.config


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    url = url or config.get_main_option("sqlalchemy.url") or os.environ.get("STUDIOLO_DATABASE_URL")
    if not url:
        raise SystemExit("Give the database: -x url=sqlite:///path/catalog.sqlite")
    return url


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url())
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=metadata)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
