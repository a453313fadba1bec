"""Dependencies: the settings the app was made with, and a read-only connection per request.

A connection per request keeps this simple and correct (no pool is installed): the API answers a
handful of people, and connecting to a local Postgres costs a few milliseconds. Every connection is
the `canvass_reader` role, which can read `marts` and write nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import psycopg
from fastapi import Depends, Request
from psycopg.rows import dict_row

from warehouse.db import connect_reader
from warehouse.settings import Settings, get_settings


def get_app_settings(request: Request) -> Settings:
    """The settings given to `create_app`, else the environment's, read now."""
    return getattr(request.app.state, "settings", None) or get_settings()


def get_reader(
    settings: Annotated[Settings, Depends(get_app_settings)],
) -> Iterator[psycopg.Connection]:
    """A read-only connection returning rows as dicts, closed when the request ends.

    A database that does not answer raises `psycopg.OperationalError`, which the app turns into 503.
    """
    conn = connect_reader(settings, statement_timeout_ms=settings.api_statement_timeout_ms)
    conn.row_factory = dict_row
    try:
        yield conn
    finally:
        conn.close()


ReaderConnection = Annotated[psycopg.Connection, Depends(get_reader)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
