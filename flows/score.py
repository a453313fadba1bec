"""Flow `score`: rank the establishments due for inspection with the deployed model.

Loads the latest deployment's artifact (sha256-checked), scores `marts.ml_scoring_cohort` and
replaces `ml.scores` for (model, as_of_date), so re-running gives the same rows.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pandas as pd
import psycopg
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.runtime import flow_run

from ml import metrics, pipeline, registry
from warehouse.db import connect
from warehouse.runs import recorded_run
from warehouse.settings import get_settings


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NONE)
def load_cohort(conn: psycopg.Connection, as_of_date: date | None) -> pd.DataFrame:
    """The scoring cohort (one as_of_date; the latest when not given)."""
    frame = registry.read_frame(
        conn,
        "select * from marts.ml_scoring_cohort "
        "where as_of_date = coalesce(%s::date, (select max(as_of_date) from marts.ml_scoring_cohort))",
        [as_of_date],
    )
    get_run_logger().info("cohort: %d establishments", len(frame))
    return frame


@task(cache_policy=NONE)
def score_cohort(
    conn: psycopg.Connection, cohort: pd.DataFrame, model_id: str | None
) -> dict[str, Any]:
    """Score and rank the cohort with the deployed (or given) model and write ml.scores."""
    logger = get_run_logger()
    settings = get_settings()
    model_id = model_id or registry.deployed_model_id(conn)
    if model_id is None:
        raise RuntimeError("no deployed model: run the train flow first")
    pipe = registry.load_model(conn, model_id, settings.artifacts_dir)  # verifies sha256
    features = conn.execute(
        "select g.feature_list from ml.models as m "
        "inner join ml.model_groups as g on g.model_group_id = m.model_group_id "
        "where m.model_id = %s",
        [model_id],
    ).fetchone()[0]
    missing = [c for c in features if c not in cohort.columns]
    if missing:
        raise ValueError(f"scoring cohort lacks feature column(s): {', '.join(missing)}")
    as_of = pd.to_datetime(cohort["as_of_date"]).dt.date.unique()
    if len(as_of) != 1:
        raise ValueError(f"the cohort must have one as_of_date, found {len(as_of)}")
    scores = pipeline.predict_scores(pipe, cohort[features])
    out = pd.DataFrame(
        {
            "establishment_id": cohort["establishment_id"].astype(str),
            "license_number": cohort["license_number"],
            "score": scores,
            "rank_abs": metrics.rank_order(
                scores, cohort["establishment_id"].astype(str).to_numpy()
            ),
        }
    )
    rows = registry.write_scores(conn, model_id, as_of[0], out)
    logger.info("scored %d establishments as of %s with model %s", rows, as_of[0], model_id[:12])
    return {"rows": rows, "count": rows, "as_of_date": as_of[0], "model_id": model_id}


@flow(name="score")
def score(as_of_date: date | None = None, model_id: str | None = None) -> dict[str, Any]:
    """Score the establishments due for a routine inspection; returns rows, as_of_date, model_id."""
    parameters = {"as_of_date": as_of_date, "model_id": model_id}
    run_id = flow_run.get_id()
    with (
        connect(get_settings(), autocommit=True) as conn,
        recorded_run(conn, "score", parameters, uuid.UUID(run_id) if run_id else None),
    ):
        cohort = load_cohort(conn, as_of_date)
        if cohort.empty:
            raise ValueError("marts.ml_scoring_cohort is empty: run transform first")
        return score_cohort(conn, cohort, model_id)
