"""The monitoring dashboard's data: three queries over the monitoring marts, read-only."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
import psycopg

from warehouse.db import connect_reader
from warehouse.settings import Settings, get_settings

log = logging.getLogger(__name__)

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
CUT = "10_pct"  # the precision the experiment selects models by


@cache
def load_sql(name: str) -> str:
    return (QUERIES_DIR / f"{name}.sql").read_text()


@dataclass(frozen=True)
class MonitoringView:
    slas: pd.DataFrame
    drift: pd.DataFrame
    performance: pd.DataFrame
    problem: str | None = None


def _frame(conn: psycopg.Connection, name: str, params: dict | None = None) -> pd.DataFrame:
    with conn.cursor() as cur:
        cur.execute(load_sql(name), params or {})
        return pd.DataFrame(cur.fetchall(), columns=[c.name for c in cur.description or []])


def read(settings: Settings | None = None) -> MonitoringView:
    """What the page shows; empty frames and a sentence when the warehouse cannot be read."""
    empty = pd.DataFrame()
    try:
        with connect_reader(settings or get_settings()) as conn:
            return MonitoringView(
                _frame(conn, "sla_board"),
                _frame(conn, "drift"),
                _frame(conn, "performance", {"cut": CUT}),
            )
    except psycopg.errors.UndefinedTable as exc:
        log.warning("monitoring dashboard: warehouse not built: %s", exc)
        return MonitoringView(
            empty, empty, empty, "The warehouse is not built yet: run `canvass demo`."
        )
    except psycopg.Error as exc:
        log.error("monitoring dashboard: cannot read the warehouse: %s", exc)
        return MonitoringView(
            empty, empty, empty, "The warehouse does not answer: run `canvass warehouse start`."
        )
