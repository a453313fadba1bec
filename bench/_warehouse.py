"""A throwaway warehouse for benchmarks: DATABASE_URL's server, or an embedded one in a temp dir."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from warehouse import embedded
from warehouse.migrate import migrate
from warehouse.settings import get_settings, parse_database_url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def bench_database() -> Iterator[str]:
    """Yield the URL of a fresh, migrated database; drop it (and its server) afterwards."""
    server_dir = None
    if os.environ.get("DATABASE_URL"):
        admin = parse_database_url(os.environ["DATABASE_URL"])
    else:
        server_dir = Path(tempfile.mkdtemp(prefix="canvass-bench-pg-"))
        os.environ["CANVASS_WAREHOUSE_DIR"] = str(server_dir)
        os.environ["CANVASS_PG_PORT"] = str(_free_port())
        embedded.start(get_settings())
        admin = get_settings().connection
    name = f"canvass_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin.url(database="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = admin.url(database=name)
    os.environ["DATABASE_URL"] = url
    with psycopg.connect(url) as conn:
        migrate(conn)
    try:
        yield url
    finally:
        with psycopg.connect(admin.url(database="postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )
        if server_dir is not None:
            os.environ.pop("DATABASE_URL", None)
            embedded.stop(get_settings())
            shutil.rmtree(server_dir, ignore_errors=True)
