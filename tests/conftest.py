"""Session fixtures: one real PostgreSQL for the whole run, a fresh database on it.

With DATABASE_URL set, a throwaway database is created on that server; otherwise the embedded
server is started in a temporary directory on a free port. Either way the settings every module
reads (`DATABASE_URL`, landing, artifacts, Prefect home) point into the session's temp directory.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from warehouse import embedded
from warehouse.migrate import migrate
from warehouse.settings import get_settings, parse_database_url

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real Chicago rows beside the repository (`../shared/data`); skip when absent."""
    if not SHARED_DATA.exists():
        pytest.skip(f"real Chicago rows not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def warehouse_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A DATABASE_URL for a fresh, migrated database; exported to the environment for the session."""
    base = tmp_path_factory.mktemp("canvass")
    saved = {k: os.environ.get(k) for k in _SESSION_ENV}
    server_settings = None
    outer_url = os.environ.get("DATABASE_URL")
    if outer_url:
        admin = parse_database_url(outer_url)
    else:
        # Not under pytest's basetemp: pytest resets `pytest-of-<user>` to mode 0700 whenever a
        # session starts, which locks out the server's own system user when running as root.
        pg_dir = Path(tempfile.mkdtemp(prefix="canvass-test-pg-"))
        os.environ["CANVASS_WAREHOUSE_DIR"] = str(pg_dir)
        os.environ["CANVASS_PG_PORT"] = str(_free_port())
        os.environ.pop("DATABASE_URL", None)
        server_settings = get_settings()
        embedded.start(server_settings)
        admin = server_settings.connection
    database = f"canvass_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin.url(database="postgres"), autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("create database {}").format(psycopg.sql.Identifier(database)))
    url = admin.url(database=database)
    os.environ.update(
        {
            "DATABASE_URL": url,
            "CANVASS_LANDING_URL": str(base / "landing"),
            "CANVASS_ARTIFACTS_DIR": str(base / "artifacts"),
            "CANVASS_REPORTS_DIR": str(base / "reports"),
            "CANVASS_DBT_TARGET_DIR": str(base / "dbt-target"),
        }
    )
    with psycopg.connect(url) as conn:
        migrate(conn)
    try:
        yield url
    finally:
        with psycopg.connect(admin.url(database="postgres"), autocommit=True) as conn:
            conn.execute(
                psycopg.sql.SQL("drop database if exists {} with (force)").format(
                    psycopg.sql.Identifier(database)
                )
            )
        if server_settings is not None:
            embedded.stop(server_settings)
            shutil.rmtree(server_settings.warehouse_dir, ignore_errors=True)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


_SESSION_ENV = (
    "DATABASE_URL",
    "CANVASS_WAREHOUSE_DIR",
    "CANVASS_PG_PORT",
    "CANVASS_LANDING_URL",
    "CANVASS_ARTIFACTS_DIR",
    "CANVASS_REPORTS_DIR",
    "CANVASS_DBT_TARGET_DIR",
)


@pytest.fixture
def db(warehouse_url: str) -> Iterator[psycopg.Connection]:
    """A writer connection to the session's database."""
    with psycopg.connect(warehouse_url) as conn:
        yield conn


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Prefect's test harness: a throwaway Prefect database and server for the session."""
    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
