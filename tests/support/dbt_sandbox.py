"""dbt on hand-made raw rows, in a database of their own on the session's Postgres.

Other tests' raw rows would change counts and rates, so each dbt test module gets its own migrated
database (`sandbox`), writes its rows the way the loader does (`insert_raw`) and runs dbt on it
(`dbt`), which fails the test with every failing node named.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg

from warehouse.dbt import run_dbt
from warehouse.scratch import scratch_database
from warehouse.settings import Settings, get_settings, parse_database_url

# The raw columns a hand-made row gives, in this order.
RAW_COLUMNS = (
    "inspection_id",
    "dba_name",
    "license_number",
    "facility_type",
    "risk",
    "address",
    "zip",
    "inspection_date",
    "inspection_type",
    "results",
    "violations",
)


@contextmanager
def sandbox(warehouse_url: str, prefix: str) -> Iterator[str]:
    """A new, migrated database on the session's server; dropped afterwards."""
    with scratch_database(parse_database_url(warehouse_url), prefix) as url:
        yield url


def insert_raw(conn: psycopg.Connection, rows: Sequence[tuple], batch: uuid.UUID) -> None:
    """Insert `rows` (values of RAW_COLUMNS) into raw under `batch`, recorded as a finished batch."""
    conn.execute(
        "insert into meta.ingest_batches (batch_id, source, status, finished_at) "
        "values (%s, 'test', 'succeeded', now()) on conflict (batch_id) do nothing",
        [batch],
    )
    with conn.cursor() as cur:
        cur.executemany(
            f"insert into raw.food_inspections ({', '.join(RAW_COLUMNS)}, batch_id) "
            f"values ({', '.join(['%s'] * len(RAW_COLUMNS))}, %s)",
            [(*row, batch) for row in rows],
        )


def settings_for(url: str) -> Settings:
    """The environment's settings, pointed at the database at `url`."""
    return dataclasses.replace(get_settings(), database_url=url)


def dbt(args: list[str], url: str, target: Path) -> None:
    """Run dbt against the database at `url`; fail with the failing nodes when it does not succeed."""
    invocation = run_dbt(args, settings_for(url), target_path=target)
    failures = [f"{r['unique_id']}: {r['status']} {r.get('message')}" for r in invocation.failures]
    assert invocation.success, f"dbt {' '.join(args)} failed: {invocation.error or failures}"
