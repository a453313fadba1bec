"""Run metadata: who ran what, when, from which commit, and how it ended (`meta.flow_runs`)."""

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

    Commits on its own (autocommit statements), so the record survives a failed run.
    """
    run_id = flow_run_id or uuid.uuid4()
    with conn.transaction():
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
        raise
    with conn.transaction():
        conn.execute(
            "update meta.flow_runs set finished_at = now(), status = 'succeeded' "
            "where flow_run_id = %s",
            [run_id],
        )
