"""Per-batch lineage in `meta`: the batch row, its outcome, the watermark, the load lock."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import psycopg

from warehouse.landing import read_batch
from warehouse.load import LoadResult, load_tables
from warehouse.runs import git_commit, who

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
    conn: psycopg.Connection, batch_id: uuid.UUID, source: str, parameters: dict[str, Any]
) -> None:
    user, host = who()
    with conn.transaction():
        conn.execute(
            """
            insert into meta.ingest_batches (batch_id, source, parameters, run_by, host, git_commit)
            values (%s, %s, %s, %s, %s, %s)
            """,
            [batch_id, source, json.dumps(parameters, default=str), user, host, git_commit()],
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
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.rollback()
    with conn.transaction():
        conn.execute(
            "update meta.ingest_batches set finished_at = clock_timestamp(), status = 'failed', "
            "error = %s where batch_id = %s",
            [f"{type(error).__name__}: {error}"[:4000], batch_id],
        )


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
) -> LoadResult:
    """Load a landed file into raw under the load lock; rows, rejects, the batch's outcome and the
    watermark commit together, or the batch is marked failed and nothing else changes."""
    with load_lock(conn):
        try:
            with conn.transaction():
                result = load_tables(conn, read_batch(url, sha256), batch_id)
                finish_batch(conn, batch_id, result.as_dict())
                advance_watermark(
                    conn, watermark_key, batch_id, result.max_inspection_date, max_updated_at
                )
        except Exception as err:
            fail_batch(conn, batch_id, err)
            raise
    return result


def history(conn: psycopg.Connection, limit: int = 50) -> list[dict[str, Any]]:
    """The latest batches, newest first, for `canvass ingest --history`."""
    cur = conn.execute(
        """
        select batch_id, source, started_at, finished_at, run_by, host, git_commit, status,
               rows_fetched, rows_landed, rows_inserted, rows_updated, rows_unchanged,
               rows_duplicate, rows_rejected, landing_path, error
        from meta.ingest_batches
        order by started_at desc
        limit %s
        """,
        [limit],
    )
    names = [d.name for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
