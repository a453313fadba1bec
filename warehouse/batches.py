"""A batch's life cycle and lineage in `meta`: start, land, load, then succeed or fail.

The ingest flow drives a batch with three calls: `running()` writes the batch row (status
`running`) before anything is fetched, reads the watermark an incremental load continues from, and
holds the batch's liveness lock (see `warehouse.runs`) until the block ends, recording why if it
fails; `land()` writes the fetched frames once as Parquet and records the file; `load()` loads that
file under the load lock, committing the rows, rejects, the batch's outcome and the watermark
together. A batch whose process died is marked `abandoned` by the next one. The values passed
between them are the frozen dataclasses `Batch`, `LandedFile` and `LoadResult`. The functions that
take a connection are the steps themselves, for tests and benchmarks.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
import psycopg

from warehouse import landing
from warehouse.datasets import DATASETS, FOOD_INSPECTIONS, Dataset
from warehouse.db import connect
from warehouse.landing import LandedFile, read_batch
from warehouse.load import LoadResult, load_tables
from warehouse.runs import abandon_dead, git_commit, hold_liveness, release_liveness, who
from warehouse.settings import Settings, get_settings

log = logging.getLogger(__name__)

_LOAD_LOCK = 7_246_002  # session advisory lock: one load into raw at a time


@contextmanager
def load_lock(conn: psycopg.Connection) -> Iterator[None]:
    """Serialise loads: a second load waits for the first, and says so."""
    got = conn.execute("select pg_try_advisory_lock(%s)", [_LOAD_LOCK]).fetchone()[0]
    if not got:
        holder = conn.execute(
            "select pid from pg_locks where locktype = 'advisory' and objid = %s and granted",
            [_LOAD_LOCK],
        ).fetchone()
        log.warning(
            "another load into raw is running (backend pid %s); waiting for it to finish",
            holder[0] if holder else "?",
        )
        conn.execute("select pg_advisory_lock(%s)", [_LOAD_LOCK])
    conn.commit()
    try:
        yield
    finally:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.rollback()
        conn.execute("select pg_advisory_unlock(%s)", [_LOAD_LOCK])
        conn.commit()


def start_batch(
    conn: psycopg.Connection,
    batch_id: uuid.UUID,
    source: str,
    parameters: dict[str, Any],
    dataset: str = FOOD_INSPECTIONS.name,
) -> None:
    """Write the batch's row; this session holds the batch's liveness lock until it ends."""
    user, host = who()
    with conn.transaction():
        hold_liveness(conn, "batch", batch_id)
        conn.execute(
            """
            insert into meta.ingest_batches
                (batch_id, source, dataset, parameters, run_by, host, git_commit)
            values (%s, %s, %s, %s, %s, %s, %s)
            """,
            [
                batch_id,
                source,
                dataset,
                json.dumps(parameters, default=str),
                user,
                host,
                git_commit(),
            ],
        )


def record_landing(
    conn: psycopg.Connection,
    batch_id: uuid.UUID,
    url: str,
    rows: int,
    size: int,
    sha256: str,
    rows_fetched: int,
) -> None:
    with conn.transaction():
        conn.execute(
            """
            update meta.ingest_batches
            set landing_path = %s, rows_landed = %s, landing_bytes = %s, landing_sha256 = %s,
                rows_fetched = %s
            where batch_id = %s
            """,
            [url, rows, size, sha256, rows_fetched, batch_id],
        )


def finish_batch(conn: psycopg.Connection, batch_id: uuid.UUID, counts: dict[str, Any]) -> None:
    """Mark the batch succeeded; runs inside the loading transaction so both commit together."""
    conn.execute(
        """
        update meta.ingest_batches
        set finished_at = clock_timestamp(), status = 'succeeded',
            rows_inserted = %(rows_inserted)s, rows_updated = %(rows_updated)s,
            rows_unchanged = %(rows_unchanged)s, rows_duplicate = %(rows_duplicate)s,
            rows_rejected = %(rows_rejected)s
        where batch_id = %(batch_id)s
        """,
        counts | {"batch_id": batch_id},
    )


def fail_batch(conn: psycopg.Connection, batch_id: uuid.UUID, error: BaseException) -> None:
    """Mark a running batch failed with the error (a batch that already ended keeps its outcome)."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.rollback()
    with conn.transaction():
        conn.execute(
            "update meta.ingest_batches set finished_at = clock_timestamp(), status = 'failed', "
            "error = %s where batch_id = %s and status = 'running'",
            [f"{type(error).__name__}: {error}"[:4000], batch_id],
        )
        release_liveness(conn, "batch", batch_id)


def get_watermark(conn: psycopg.Connection, source: str) -> tuple[date | None, datetime | None]:
    row = conn.execute(
        "select last_inspection_date, last_updated_at from meta.ingest_watermarks where source = %s",
        [source],
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def advance_watermark(
    conn: psycopg.Connection,
    source: str,
    batch_id: uuid.UUID,
    last_inspection_date: str | date | None,
    last_updated_at: datetime | None,
) -> None:
    """Move the watermark forward (never back); call inside the loading transaction."""
    conn.execute(
        """
        insert into meta.ingest_watermarks (source, last_inspection_date, last_updated_at, batch_id)
        values (%s, %s, %s, %s)
        on conflict (source) do update set
            last_inspection_date = greatest(
                meta.ingest_watermarks.last_inspection_date, excluded.last_inspection_date),
            last_updated_at = greatest(
                meta.ingest_watermarks.last_updated_at, excluded.last_updated_at),
            batch_id = excluded.batch_id,
            updated_at = now()
        """,
        [source, last_inspection_date, last_updated_at, batch_id],
    )


def load_landed_batch(
    conn: psycopg.Connection,
    batch_id: uuid.UUID,
    watermark_key: str,
    url: str,
    sha256: str,
    max_updated_at: datetime | None = None,
    dataset: Dataset = FOOD_INSPECTIONS,
) -> LoadResult:
    """Load a landed file of `dataset` into raw under the load lock; rows, rejects, the batch's
    outcome and the watermark commit together, or the batch is marked failed and nothing else
    changes."""
    with load_lock(conn):
        try:
            with conn.transaction():
                result = load_tables(conn, read_batch(url, sha256), batch_id, dataset)
                finish_batch(conn, batch_id, result.as_dict())
                advance_watermark(
                    conn, watermark_key, batch_id, result.max_event_date, max_updated_at
                )
        except Exception as err:
            fail_batch(conn, batch_id, err)
            raise
        release_liveness(conn, "batch", batch_id)
        conn.commit()
    return result


def history(conn: psycopg.Connection, limit: int = 50) -> list[dict[str, Any]]:
    """The latest batches, newest first, for `canvass ingest --history`."""
    cur = conn.execute(
        """
        select batch_id, dataset, source, started_at, finished_at, run_by, host, git_commit, status,
               rows_fetched, rows_landed, rows_inserted, rows_updated, rows_unchanged,
               rows_duplicate, rows_rejected, landing_path, error, abandoned_at
        from meta.ingest_batches
        order by started_at desc
        limit %s
        """,
        [limit],
    )
    names = [d.name for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def loaded_datasets(conn: psycopg.Connection) -> list[Dataset]:
    """The datasets this warehouse has loaded at least once (inspections always: the pipeline's
    own), in the registry's order: the sources whose freshness means something here."""
    loaded = {
        row[0]
        for row in conn.execute(
            "select distinct dataset from meta.ingest_batches where status = 'succeeded'"
        ).fetchall()
    }
    return [d for d in DATASETS.values() if d is FOOD_INSPECTIONS or d.name in loaded]


# --------------------------------------------------------------------------- the life cycle


@dataclass(frozen=True)
class Batch:
    """A started batch: what the later steps need to know of it."""

    batch_id: uuid.UUID
    source: str
    dataset: str = FOOD_INSPECTIONS.name
    updated_since: datetime | None = None  # the watermark an incremental fetch continues from

    @property
    def contract(self) -> Dataset:
        return DATASETS[self.dataset]

    @property
    def watermark_key(self) -> str:
        return watermark_key(self.contract, self.source)


def watermark_key(dataset: Dataset, source: str) -> str:
    """Watermarks are kept per dataset and source (inspections' under the bare source)."""
    return f"{dataset.watermark_prefix}{source}"


@contextmanager
def running(
    source: str,
    parameters: dict[str, Any],
    *,
    incremental: bool,
    settings: Settings | None = None,
    dataset: Dataset = FOOD_INSPECTIONS,
) -> Iterator[Batch]:
    """A new batch, `running` while the block runs and `failed` (with the error) if it raises.

    First marks batches whose process died as abandoned. An `incremental` batch continues from the
    source's watermark. The connection held meanwhile carries the batch's liveness lock."""
    batch_id = uuid.uuid4()
    with connect(settings, autocommit=True) as conn:
        dead = abandon_dead(conn)["batch"]
        if dead:
            log.warning(
                "marked %d batch(es) abandoned: their process died while running (%s)",
                len(dead),
                ", ".join(str(b)[:8] for b in dead),
            )
        key = watermark_key(dataset, source)
        updated_since = get_watermark(conn, key)[1] if incremental else None
        start_batch(
            conn, batch_id, source, parameters | {"updated_since": updated_since}, dataset.name
        )
        try:
            yield Batch(batch_id, source, dataset.name, updated_since)
        except BaseException as err:
            fail_batch(conn, batch_id, err)
            raise


def land(
    batch: Batch, frames: Iterable[pd.DataFrame], settings: Settings | None = None
) -> LandedFile:
    """Write the fetched frames as the batch's Parquet file (content-addressed: the same bytes are
    stored once) and record it on the batch row."""
    settings = settings or get_settings()
    landed = landing.land(frames, settings.landing_url, batch.batch_id, batch.contract)
    with connect(settings) as conn:
        record_landing(
            conn, batch.batch_id, landed.url, landed.rows, landed.bytes, landed.sha256, landed.rows
        )
    return landed


def load(
    batch: Batch,
    landed: LandedFile,
    max_updated_at: datetime | None = None,
    settings: Settings | None = None,
) -> LoadResult:
    """Load the landed file into raw (see `load_landed_batch`)."""
    with connect(settings) as conn:
        return load_landed_batch(
            conn,
            batch.batch_id,
            batch.watermark_key,
            landed.url,
            landed.sha256,
            max_updated_at,
            batch.contract,
        )
