"""Connections. The writer connection starts the embedded server on demand; readers never do."""

from __future__ import annotations

import psycopg

from warehouse import embedded
from warehouse.settings import Settings, get_settings


def ensure_warehouse(settings: Settings | None = None) -> Settings:
    """Make sure the database answers: start the embedded server when Canvass owns it."""
    settings = settings or get_settings()
    if settings.embedded:
        embedded.start(settings)
    return settings


def connect(settings: Settings | None = None, *, autocommit: bool = False) -> psycopg.Connection:
    """A writer connection (flows, migrations, loaders)."""
    settings = ensure_warehouse(settings)
    return psycopg.connect(settings.dsn, autocommit=autocommit, application_name="canvass")


def connect_reader(
    settings: Settings | None = None, *, statement_timeout_ms: int | None = None
) -> psycopg.Connection:
    """A connection as the read-only role (API, dashboard). Writes fail with a permission error.

    `statement_timeout_ms` cuts a query short (psycopg.errors.QueryCanceled) below the role's own
    default of 10 s; the role's lock wait (2 s) and idle-transaction (15 s) limits apply too."""
    settings = settings or get_settings()
    options = (
        {}
        if statement_timeout_ms is None
        else {"options": f"-c statement_timeout={statement_timeout_ms}"}
    )
    return psycopg.connect(
        settings.reader_dsn,
        autocommit=True,
        application_name="canvass-reader",
        connect_timeout=5,
        **options,
    )
