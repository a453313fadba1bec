"""Reading the marts for the monitoring and model pages: named queries in an app's `queries/`
directory, run through the read-only role, with one sentence for the reader when the warehouse
cannot answer. (The ranking page keeps its own cached store: many sessions read one ranking.)"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd
import psycopg

from warehouse.db import connect_reader
from warehouse.settings import Settings, get_settings

log = logging.getLogger(__name__)

NOT_BUILT = "The warehouse is not built yet: run `canvass demo`."
NOT_ANSWERING = "The warehouse does not answer: run `canvass warehouse start`."


@cache
def load_sql(queries_dir: Path, name: str) -> str:
    return (queries_dir / f"{name}.sql").read_text()


@dataclass(frozen=True)
class Frames:
    """One frame per query (empty when the warehouse could not be read) and the sentence why."""

    frames: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    problem: str | None = None

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames.get(name, pd.DataFrame())


def _frame(conn: psycopg.Connection, sql: str, params: Mapping[str, object]) -> pd.DataFrame:
    with conn.cursor() as cur:
        cur.execute(sql, dict(params))
        return pd.DataFrame(cur.fetchall(), columns=[c.name for c in cur.description or []])


def read_frames(
    queries_dir: Path,
    queries: Mapping[str, Mapping[str, object]],
    settings: Settings | None = None,
    page: str = "dashboard",
) -> Frames:
    """Run each named query with its parameters in one read-only session."""
    try:
        with connect_reader(settings or get_settings()) as conn:
            return Frames(
                {
                    name: _frame(conn, load_sql(queries_dir, name), params)
                    for name, params in queries.items()
                }
            )
    except psycopg.errors.UndefinedTable as exc:
        log.warning("%s: warehouse not built: %s", page, exc)
        return Frames(problem=NOT_BUILT)
    except psycopg.Error as exc:
        log.error("%s: cannot read the warehouse: %s", page, exc)
        return Frames(problem=NOT_ANSWERING)
