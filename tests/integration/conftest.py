"""Fixtures of the CLI tests: an empty warehouse and the environment a user's shell would have."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from warehouse.migrate import migrate
from warehouse.settings import parse_database_url


@pytest.fixture(scope="module")
def empty_warehouse(warehouse_url: str) -> Iterator[str]:
    """A migrated database with nothing built in it."""
    admin = parse_database_url(warehouse_url)
    name = f"canvass_empty_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin.url(database="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = admin.url(database=name)
    with psycopg.connect(url) as conn:
        migrate(conn)
    yield url
    with psycopg.connect(admin.url(database="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def cli_env(empty_warehouse: str, prefect_harness: None) -> dict[str, str]:
    """The environment a user's shell would have: the warehouse and the (test) Prefect server."""
    from prefect.settings import PREFECT_API_URL

    return os.environ | {
        "DATABASE_URL": empty_warehouse,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "COLUMNS": "200",
    }
