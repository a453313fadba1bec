"""Throwaway warehouses for tests and benchmarks: a server to borrow, and a fresh database on it.

`scratch_server` is DATABASE_URL's server when it is set, otherwise an embedded PostgreSQL in a
temporary directory on a free port (stopped and removed afterwards), so a test run or a benchmark
never touches the user's `.warehouse/`. `scratch_database` creates a migrated database on a server
and drops it afterwards, whatever happened in between.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import psycopg
from psycopg import sql

from warehouse import embedded
from warehouse.migrate import migrate
from warehouse.settings import ConnectionParts, get_settings, parse_database_url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def scratch_server(prefix: str = "canvass-scratch-pg-") -> Iterator[ConnectionParts]:
    """Yield an administrator's connection parts for a server that may hold throwaway databases."""
    settings = get_settings()
    if settings.database_url:
        yield parse_database_url(settings.database_url)
        return
    # Not under pytest's basetemp: pytest resets `pytest-of-<user>` to mode 0700 whenever a
    # session starts, which locks out the server's own system user when running as root.
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    server = replace(settings, warehouse_dir=directory, pg_port=_free_port())
    embedded.start(server)
    try:
        yield server.connection
    finally:
        embedded.stop(server)
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def scratch_database(admin: ConnectionParts, prefix: str = "canvass_scratch") -> Iterator[str]:
    """Yield the URL of a new, migrated database on `admin`'s server; drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin.url(database="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = admin.url(database=name)
    try:
        with psycopg.connect(url) as conn:
            migrate(conn, reader_password=admin.reader_password)
        yield url
    finally:
        with psycopg.connect(admin.url(database="postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )
