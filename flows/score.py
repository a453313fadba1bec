"""Flow `score`: rank the establishments due for inspection with the deployed model.

A thin wrapper over `ml.frames.scoring_cohort` and `ml.scoring.score_cohort`: the deployed model's
artifact is sha256-checked, the cohort scored and `ml.scores` replaced for (model, as_of_date), so
re-running gives the same rows. Then the delivery marts are rebuilt over the new scores (`dbt
build --select source:ml+`), which is how the API and the dashboard see them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from flows.tracking import tracked_run
from flows.transform import DELIVERY, transform
from ml import frames, scoring
from warehouse import archives
from warehouse.db import connect
from warehouse.settings import get_settings


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NONE)
def load_cohort(as_of_date: date | None) -> pd.DataFrame:
    """The scoring cohort (one as_of_date; the latest when not given)."""
    with connect(autocommit=True) as conn:
        frame = frames.scoring_cohort(conn, as_of_date)
    get_run_logger().info("cohort: %d establishments", len(frame))
    return frame


@task(cache_policy=NONE)
def score_cohort(cohort: pd.DataFrame, model_id: str | None) -> scoring.ScoringResult:
    """Score and rank the cohort with the deployed (or given) model and write ml.scores."""
    with connect(autocommit=True) as conn:
        result = scoring.score_cohort(conn, cohort, get_settings().artifacts_dir, model_id)
    get_run_logger().info(
        "scored %d establishments as of %s with model %s",
        result.rows,
        result.as_of_date,
        result.model_id[:12],
    )
    return result


@task(cache_policy=NONE)
def archive(result: scoring.ScoringResult) -> str:
    """Write the run's whole ranking once as Parquet under the landing URL (warehouse.archives)."""
    with connect(autocommit=True) as conn:
        url = archives.archive_ranking(
            conn, result.model_id, result.as_of_date, result.ranking, get_settings().landing_url
        )
    get_run_logger().info("ranking archived in %s", url)
    return url


@flow(name="score")
def score(
    as_of_date: date | None = None, model_id: str | None = None, publish: bool = True
) -> dict[str, Any]:
    """Score the establishments due for a routine inspection; returns rows, as_of_date, model_id.
    `publish` rebuilds the delivery marts after (a replay publishes once, at its end)."""
    parameters = {"as_of_date": as_of_date, "model_id": model_id}
    with (
        connect(get_settings(), autocommit=True) as conn,
        tracked_run(conn, "score", parameters),
    ):
        result = score_cohort(load_cohort(as_of_date), model_id)
        archived = archive(result)
        # the apps read the new ranking from the marts
        published = transform(select=DELIVERY) if publish else None
    return {
        "rows": result.rows,
        "as_of_date": result.as_of_date,
        "model_id": result.model_id,
        "archive": archived,
        "delivery": published,
    }
