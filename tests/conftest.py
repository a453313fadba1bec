"""Session fixtures: one real PostgreSQL for the whole run, a fresh database on it.

With DATABASE_URL set, a throwaway database is created on that server; otherwise the embedded
server is started in a temporary directory on a free port. Either way the settings every module
reads (`DATABASE_URL`, landing, artifacts, Prefect home) point into the session's temp directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from warehouse.scratch import scratch_database, scratch_server

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


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
    try:
        with (
            scratch_server("canvass-test-pg-") as admin,
            scratch_database(admin, "canvass_test") as url,
        ):
            if admin.reader_password:  # the session's embedded server authenticates its reader
                os.environ["CANVASS_READER_PASSWORD"] = admin.reader_password
            os.environ.update(
                {
                    "DATABASE_URL": url,
                    "CANVASS_LANDING_URL": str(base / "landing"),
                    "CANVASS_ARTIFACTS_DIR": str(base / "artifacts"),
                    "CANVASS_REPORTS_DIR": str(base / "reports"),
                    "CANVASS_DBT_TARGET_DIR": str(base / "dbt-target"),
                }
            )
            yield url
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


_SESSION_ENV = (
    "DATABASE_URL",
    "CANVASS_READER_PASSWORD",
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
