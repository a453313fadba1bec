"""Frames from the warehouse: a generic parameterized reader, and the experiment's input frames.

Training reads `marts.ml_features` joined to `marts.ml_labels`, scoring `marts.ml_scoring_cohort`;
both only through these functions, which take a connection and plain values.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql

from ml.config import ExperimentConfig

LABEL_COLUMNS = ("is_failed", "has_critical_violation")
# Columns the baselines rank by: loaded whether or not the experiment uses them as features.
BASELINE_COLUMNS = ("risk_level", "prior_fails")


class FrameError(ValueError):
    """A frame lacks rows or columns the experiment needs."""


def read_frame(
    conn: psycopg.Connection, query: str | sql.Composable, params: Iterable[Any] | None = None
) -> pd.DataFrame:
    """Run a parameterized query and return a DataFrame."""
    with conn.cursor() as cur:
        cur.execute(query, list(params or []))
        columns = [c.name for c in cur.description or []]
        return pd.DataFrame(cur.fetchall(), columns=columns)


def training_frame(
    conn: psycopg.Connection, config: ExperimentConfig, until: date | None = None
) -> pd.DataFrame:
    """The labelled feature rows: inspections strictly before `until` (all when None), by date."""
    feature_cols = list(dict.fromkeys([*config.features, *BASELINE_COLUMNS]))
    query = sql.SQL(
        "select features.inspection_id, features.establishment_id, features.inspection_date, "
        "{features}, {labels} "
        "from marts.ml_features as features "
        "inner join marts.ml_labels as labels on features.inspection_id = labels.inspection_id "
        "where (%s::date is null or features.inspection_date < %s::date) "
        "order by features.inspection_date, features.inspection_id"
    ).format(
        features=sql.SQL(", ").join(sql.Identifier("features", c) for c in feature_cols),
        labels=sql.SQL(", ").join(sql.Identifier("labels", c) for c in LABEL_COLUMNS),
    )
    frame = read_frame(conn, query, [until, until])
    if frame.empty:
        before = f" before {until}" if until else ""
        raise FrameError(
            f"marts.ml_features has no labelled inspections{before}: "
            "load and build the warehouse first (`canvass ingest`, `canvass transform`)"
        )
    return frame


def scoring_cohort(conn: psycopg.Connection, as_of_date: date | None = None) -> pd.DataFrame:
    """The establishments due for inspection as of one date (the cohort's latest when None)."""
    frame = read_frame(
        conn,
        "select * from marts.ml_scoring_cohort where as_of_date = coalesce(%s::date, "
        "(select max(cohort.as_of_date) from marts.ml_scoring_cohort as cohort)) "
        # one order, so the same cohort is scored by the same arithmetic (BLAS blocks by row)
        "order by establishment_id",
        [as_of_date],
    )
    if frame.empty:
        raise FrameError(
            "marts.ml_scoring_cohort is empty"
            + (f" for {as_of_date}" if as_of_date else "")
            + ": build the warehouse first (`canvass transform`)"
        )
    return frame
