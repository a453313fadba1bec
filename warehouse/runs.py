"""Run metadata: who ran what, when, from which commit, and how it ended (`meta.flow_runs`).

A run's liveness is a session advisory lock its process holds while it runs (`hold_liveness`): when
the process dies, PostgreSQL drops its connection and the lock with it. `abandon_dead` marks every
flow run and ingest batch still `running` without its lock as `abandoned`, with the time that was
noticed; every new flow run and batch calls it first, so a killed run is seen by the next one.
"""

from __future__ import annotations

import getpass
import json
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import psycopg

# Advisory-lock namespaces (the first key of the two-key form); the second key is
# hashtext(id::text). Only the writer may take advisory locks (migration 0007).
_LIVENESS = {"flow_run": 7_246_010, "batch": 7_246_011}
_TABLES = {
    "flow_run": ("meta.flow_runs", "flow_run_id"),
    "batch": ("meta.ingest_batches", "batch_id"),
}


def hold_liveness(conn: psycopg.Connection, kind: str, run_id: uuid.UUID) -> None:
    """Hold `run_id`'s liveness lock on this session until `release_liveness` or disconnect."""
    conn.execute("select pg_advisory_lock(%s, hashtext(%s))", [_LIVENESS[kind], str(run_id)])


def release_liveness(conn: psycopg.Connection, kind: str, run_id: uuid.UUID) -> None:
    """Let go of `run_id`'s liveness lock if this session holds it (no warning when it does not)."""
    conn.execute(
        """
        select pg_advisory_unlock(%(ns)s, hashtext(%(id)s))
        from pg_locks
        where locktype = 'advisory' and pid = pg_backend_pid() and granted and objsubid = 2
          and classid = %(ns)s and objid = hashtext(%(id)s)::oid
        """,
        {"ns": _LIVENESS[kind], "id": str(run_id)},
    )


def abandon_dead(conn: psycopg.Connection) -> dict[str, list[uuid.UUID]]:
    """Mark runs and batches left `running` by a process that died as `abandoned`; return their ids.

    A live run's lock is visible in `pg_locks` from any session; the status is re-checked by the
    update itself, so a run that finishes while this looks is left as it ended.
    """
    found: dict[str, list[uuid.UUID]] = {}
    for kind, (table, key) in _TABLES.items():
        rows = conn.execute(
            psycopg.sql.SQL(
                """
                update {table} as r
                set status = 'abandoned', abandoned_at = clock_timestamp(),
                    error = 'the process running it ended without recording an outcome '
                            || '(killed, or its machine stopped)'
                where r.status = 'running'
                  and not exists (
                    select from pg_locks as l
                    where l.locktype = 'advisory' and l.granted and l.objsubid = 2
                      and l.classid = %(ns)s and l.objid = hashtext(r.{key}::text)::oid
                  )
                returning r.{key}
                """
            ).format(table=psycopg.sql.SQL(table), key=psycopg.sql.Identifier(key)),
            {"ns": _LIVENESS[kind]},
        ).fetchall()
        found[kind] = [row[0] for row in rows]
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.commit()
    return found


@cache
def git_commit(path: Path | None = None) -> str | None:
    """The commit of the checkout Canvass runs from (None outside git)."""
    cwd = path or Path(__file__).resolve().parents[1]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def who() -> tuple[str, str]:
    """(user, host) for lineage rows."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return user, socket.gethostname()


@contextmanager
def recorded_run(
    conn: psycopg.Connection,
    flow_name: str,
    parameters: dict[str, Any] | None = None,
    flow_run_id: uuid.UUID | None = None,
) -> Iterator[uuid.UUID]:
    """Record a flow run in `meta.flow_runs`: a row at start, its outcome at the end.

    Commits on its own (autocommit statements), so the record survives a failed run. The session
    holds the run's liveness lock meanwhile, so a run whose process dies is seen as abandoned.
    """
    run_id = flow_run_id or uuid.uuid4()
    with conn.transaction():
        hold_liveness(conn, "flow_run", run_id)
        conn.execute(
            """
            insert into meta.flow_runs (flow_run_id, flow_name, parameters, git_commit)
            values (%s, %s, %s, %s)
            on conflict (flow_run_id) do update set started_at = now(), status = 'running'
            """,
            [run_id, flow_name, json.dumps(parameters or {}, default=str), git_commit()],
        )
    try:
        yield run_id
    except BaseException as err:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.rollback()
        with conn.transaction():
            conn.execute(
                "update meta.flow_runs set finished_at = now(), status = 'failed', error = %s "
                "where flow_run_id = %s",
                [f"{type(err).__name__}: {err}"[:4000], run_id],
            )
            release_liveness(conn, "flow_run", run_id)
        raise
    with conn.transaction():
        conn.execute(
            "update meta.flow_runs set finished_at = now(), status = 'succeeded' "
            "where flow_run_id = %s",
            [run_id],
        )
        release_liveness(conn, "flow_run", run_id)
