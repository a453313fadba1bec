"""Scoring: the deployed model ranks the scoring cohort, and the ranking is written to `ml.scores`.

`score_cohort()` loads the model's artifact (sha256-checked), scores every establishment of a
one-date cohort with the model's own feature list, ranks them (1 = inspect first, ties broken by
establishment id), adds each score's calibrated probability of failing when the model has a
calibration (`ml.calibration`, recorded at deployment) and replaces the scores of (model,
as_of_date), so re-running gives the same rows.
The result carries the whole ranking with the feature values it was scored on (`feature__<name>`
columns), which the score flow archives (`warehouse.archives`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import psycopg

from ml import metrics, pipeline, registry
from ml.frames import FrameError


class NoDeployedModel(RuntimeError):
    """Nothing to score with: no model has been deployed yet."""


FEATURE_PREFIX = "feature__"


@dataclass(frozen=True)
class ScoringResult:
    model_id: str
    as_of_date: dt.date
    rows: int
    ranking: pd.DataFrame | None = field(default=None, repr=False, compare=False)


def model_features(conn: psycopg.Connection, model_id: str) -> list[str]:
    """The feature columns a model was trained on (its group's feature list)."""
    row = conn.execute(
        "select model_groups.feature_list from ml.models as models "
        "inner join ml.model_groups as model_groups "
        "on models.model_group_id = model_groups.model_group_id "
        "where models.model_id = %s",
        [model_id],
    ).fetchone()
    if row is None:
        raise KeyError(f"no model {model_id} in ml.models")
    return list(row[0])


def rank(cohort: pd.DataFrame, model: object, features: list[str]) -> pd.DataFrame:
    """establishment_id, license_number, score and rank_abs for every row of the cohort."""
    missing = [c for c in features if c not in cohort.columns]
    if missing:
        raise FrameError(f"scoring cohort lacks feature column(s): {', '.join(missing)}")
    scores = pipeline.predict_scores(model, cohort[features])
    establishment_ids = cohort["establishment_id"].astype(str)
    return pd.DataFrame(
        {
            "establishment_id": establishment_ids,
            "license_number": cohort["license_number"],
            "score": scores,
            "rank_abs": metrics.rank_order(scores, establishment_ids.to_numpy()),
        }
    )


def score_cohort(
    conn: psycopg.Connection,
    cohort: pd.DataFrame,
    artifacts_dir: Path,
    model_id: str | None = None,
) -> ScoringResult:
    """Score a one-date cohort with `model_id` (the deployed model when None) into ml.scores;
    the result carries the ranking with the feature values it was scored on (for the archive)."""
    model_id = model_id or registry.deployed_model_id(conn)
    if model_id is None:
        raise NoDeployedModel("no model is deployed yet: train one first (`canvass train`)")
    as_of = pd.to_datetime(cohort["as_of_date"]).dt.date.unique()
    if len(as_of) != 1:
        raise FrameError(f"the cohort must have one as_of_date, found {len(as_of)}")
    model = registry.load_model(conn, model_id, artifacts_dir)  # verifies sha256
    features = model_features(conn, model_id)
    ranked = rank(cohort, model, features)
    calibrated = registry.get_calibration(conn, model_id)
    ranked["probability"] = calibrated.apply(ranked["score"]) if calibrated else float("nan")
    rows = write_scores(conn, model_id, as_of[0], ranked)
    ranking = pd.concat(
        [
            ranked.reset_index(drop=True),
            cohort[features].reset_index(drop=True).add_prefix(FEATURE_PREFIX),
        ],
        axis=1,
    ).sort_values("rank_abs", ignore_index=True)
    return ScoringResult(model_id=model_id, as_of_date=as_of[0], rows=rows, ranking=ranking)


def write_scores(
    conn: psycopg.Connection, model_id: str, as_of_date: dt.date, frame: pd.DataFrame
) -> int:
    """Replace the scores of (model, as_of_date). `frame`: establishment_id, license_number, score,
    rank_abs and, when calibrated, probability."""
    licenses = [
        None if pd.isna(v) else int(v) for v in frame["license_number"].astype(object).tolist()
    ]
    probability = (
        frame["probability"] if "probability" in frame else pd.Series(float("nan"), frame.index)
    )
    rows = zip(
        frame["establishment_id"].astype(str).tolist(),
        licenses,
        frame["score"].astype(float).tolist(),
        frame["rank_abs"].astype(int).tolist(),
        [None if pd.isna(p) else float(p) for p in probability.tolist()],
        strict=True,
    )
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "delete from ml.scores where model_id = %s and as_of_date = %s", [model_id, as_of_date]
        )
        with cur.copy(
            "copy ml.scores (model_id, establishment_id, license_number, as_of_date, score, "
            "rank_abs, probability) from stdin"
        ) as copy:
            for establishment_id, license_number, score, rank_abs, p in rows:
                copy.write_row(
                    (model_id, establishment_id, license_number, as_of_date, score, rank_abs, p)
                )
    return len(frame)
