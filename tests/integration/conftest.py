"""Fixtures of the CLI tests: an empty warehouse and the environment a user's shell would have."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from warehouse.scratch import scratch_database
from warehouse.settings import parse_database_url


@pytest.fixture(scope="module")
def empty_warehouse(warehouse_url: str) -> Iterator[str]:
    """A migrated database with nothing built in it."""
    with scratch_database(parse_database_url(warehouse_url), prefix="canvass_empty") as url:
        yield url


@pytest.fixture(scope="module")
def cli_env(empty_warehouse: str, prefect_harness: None) -> dict[str, str]:
    """The environment a user's shell would have: the warehouse and the (test) Prefect server."""
    from prefect.settings import PREFECT_API_URL

    return os.environ | {
        "DATABASE_URL": empty_warehouse,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "COLUMNS": "200",
    }
