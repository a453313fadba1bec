"""Dependencies: the settings the app was made with, and a read-only connection per request.

Connections come from a pool per app and reader DSN (`psycopg_pool`): a request borrows one and
gives it back, instead of paying the handshake and authentication each time. Every connection is
the `canvass_reader` role, which can read `marts` and write nothing, in autocommit, so a borrowed
connection never holds a transaction open. A pooled connection is checked before it is lent, so
a restarted warehouse costs one reconnect, not an error.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Annotated

import psycopg
from fastapi import Depends, FastAPI, Request
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from warehouse.settings import Settings, get_settings

POOL_MAX = 8  # connections per app: enough for 16 concurrent clients on a 2-core machine
POOL_WAIT_S = 3.0  # how long a request waits for a connection before answering 503
_LOCK = threading.Lock()


def get_app_settings(request: Request) -> Settings:
    """The settings given to `create_app`, else the environment's, read now."""
    return getattr(request.app.state, "settings", None) or get_settings()


def reader_pool(app: FastAPI, settings: Settings) -> ConnectionPool:
    """The app's pool for `settings`' reader DSN, opened on first use."""
    key = (settings.reader_dsn, settings.api_statement_timeout_ms)
    with _LOCK:
        pools: dict = app.state.__dict__.setdefault("reader_pools", {})
        if key not in pools:
            pools[key] = ConnectionPool(
                settings.reader_dsn,
                min_size=0,
                max_size=POOL_MAX,
                max_idle=60,
                timeout=POOL_WAIT_S,
                check=ConnectionPool.check_connection,
                kwargs={
                    "autocommit": True,
                    "row_factory": dict_row,
                    "application_name": "canvass-reader",
                    "connect_timeout": 5,
                    "options": f"-c statement_timeout={settings.api_statement_timeout_ms}",
                },
                name="canvass-api-reader",
                open=True,
            )
        return pools[key]


def close_pools(app: FastAPI) -> None:
    """Close every pool the app opened (at shutdown)."""
    with _LOCK:
        pools = app.state.__dict__.pop("reader_pools", {})
    for pool in pools.values():
        pool.close()


def get_reader(
    request: Request, settings: Annotated[Settings, Depends(get_app_settings)]
) -> Iterator[psycopg.Connection]:
    """A pooled read-only connection returning rows as dicts, given back when the request ends.

    A database that does not answer raises `psycopg.OperationalError` (`PoolTimeout` is one),
    which the app turns into 503.
    """
    with reader_pool(request.app, settings).connection() as conn:
        yield conn


ReaderConnection = Annotated[psycopg.Connection, Depends(get_reader)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
