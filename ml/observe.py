"""The monitor's reads and writes: which scoring run to watch, its drift and realised performance,
stored in the `monitoring` schema. The statistics themselves are `ml.monitoring`'s.

Every write replaces the rows of the scoring run it is about, so monitoring a run again (or
replaying history) gives the same tables.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql

from ml import bias, monitoring, scoring
from ml import features as catalogue
from ml.config import BiasConfig
from ml.frames import read_frame
from ml.metrics import k_rows
from ml.monitoring import DriftThresholds
from ml.retraining import Decision

CALENDAR_UNITS = ("month", "weekday")
# the catalogue's feature groups of values shared by a zip or facility group
SHARED_GROUPS = ("area", "area_recent")


@dataclass(frozen=True)
class ScoringRun:
    model_id: str
    as_of_date: date


def scoring_runs(conn: psycopg.Connection, until: date | None = None) -> list[ScoringRun]:
    """Every scoring run in ml.scores (as of `until` at the latest), oldest first."""
    rows = conn.execute(
        "select distinct model_id, as_of_date from ml.scores "
        "where %s::date is null or as_of_date <= %s::date order by as_of_date, model_id",
        [until, until],
    ).fetchall()
    return [ScoringRun(r[0], r[1]) for r in rows]


def latest_run(conn: psycopg.Connection, until: date | None = None) -> ScoringRun | None:
    """The newest scoring run (by as_of_date, then the latest scored)."""
    row = conn.execute(
        "select model_id, as_of_date from ml.scores "
        "where %s::date is null or as_of_date <= %s::date "
        "group by model_id, as_of_date order by as_of_date desc, max(scored_at) desc limit 1",
        [until, until],
    ).fetchone()
    return None if row is None else ScoringRun(row[0], row[1])


def _training_rows(conn: psycopg.Connection, model_id: str, features: list[str]) -> pd.DataFrame:
    """The feature rows the model was trained on (its training window in marts.ml_features)."""
    window = conn.execute(
        "select train_start, train_end from ml.models where model_id = %s", [model_id]
    ).fetchone()
    columns = ", ".join(f'features."{f}"' for f in features)  # names from the model's own record
    query = (
        f"select {columns} from marts.ml_features as features "  # noqa: S608 - catalogue names
        "where (%s::date is null or features.inspection_date >= %s::date) "
        "and features.inspection_date < %s::date"
    )
    return read_frame(conn, query, [window[0], window[0], window[1]])


def _features(frame: pd.DataFrame) -> pd.DataFrame:
    """The `feature__<name>` columns of a scored ranking, under their own names."""
    prefix = scoring.FEATURE_PREFIX
    return frame[[c for c in frame.columns if c.startswith(prefix)]].rename(
        columns=lambda c: c.removeprefix(prefix)
    )


def drift(
    conn: psycopg.Connection,
    run: ScoringRun,
    thresholds: DriftThresholds,
    ranking: pd.DataFrame | None,
    previous_ranking: pd.DataFrame | None = None,
    previous_model_id: str | None = None,
) -> pd.DataFrame:
    """Drift of the run's cohort (its scored `ranking` with feature columns) against the model's
    training rows and, when given, the previous run's ranking; empty without a ranking. The score
    is compared with the previous run's only when the same model scored both (`previous_model_id`):
    a retrained model moves the score distribution by construction, and alerting on that would
    make every retrain the reason for the next one."""
    if ranking is None:
        return pd.DataFrame()
    current = _features(ranking)
    kinds = catalogue.by_name()
    # The calendar (month, weekday of the as-of date) moves by construction: not drift.
    features = [f for f in current.columns if kinds[f].unit not in CALENDAR_UNITS]
    numeric = [f for f in features if kinds[f].kind == "numeric"]
    categorical = [f for f in features if kinds[f].kind == "categorical"]
    # The area rates carry one value per zip or facility group, shared by its establishments.
    shared = [f for f in numeric if kinds[f].feature_group in SHARED_GROUPS]
    parts = []
    references: list[tuple[str, pd.DataFrame, pd.Series | None]] = [
        ("training", _training_rows(conn, run.model_id, features), None)
    ]
    if previous_ranking is not None:
        references.append(("previous_run", _features(previous_ranking), previous_ranking["score"]))
    for comparison, reference, reference_scores in references:
        if reference.empty:
            continue
        # a previous run scored by a model of other features is compared on the shared ones
        both = set(reference.columns)
        found = monitoring.feature_drift(
            reference,
            current,
            [f for f in numeric if f in both],
            [f for f in categorical if f in both],
            thresholds,
            comparison,
            [f for f in shared if f in both],
        )
        if reference_scores is not None:
            score_row = monitoring.score_drift(
                reference_scores, ranking["score"], thresholds, comparison
            )
            if previous_model_id != run.model_id:
                score_row.update(
                    value=None,
                    status="unknown",
                    detail="not compared: the previous run was scored by another model",
                )
            # an uncompared score has no value: NaN of the value column's dtype, not an object
            score_frame = pd.DataFrame([score_row]).astype({"value": float})
            found = pd.concat([found, score_frame], ignore_index=True)
        parts.append(found.assign(reference_rows=len(reference), current_rows=len(current)))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _replace_rows(
    conn: psycopg.Connection, table: str, run: ScoringRun, columns: list[str], rows: list[tuple]
) -> int:
    """Replace a scoring run's rows of a monitoring table (one transaction)."""
    target = sql.Identifier("monitoring", table)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            sql.SQL("delete from {} where as_of_date = %s and model_id = %s").format(target),
            [run.as_of_date, run.model_id],
        )
        cur.executemany(
            sql.SQL("insert into {} (as_of_date, model_id, {}) values (%s, %s, {})").format(
                target,
                sql.SQL(", ").join(map(sql.Identifier, columns)),
                sql.SQL(", ").join(sql.Placeholder() * len(columns)),
            ),
            [(run.as_of_date, run.model_id, *row) for row in rows],
        )
    return len(rows)


def _value(value: Any) -> Any:
    """A frame's cell as a database value: NaN and NaT as null, numpy numbers as Python's."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


DRIFT_COLUMNS = [
    "comparison",
    "feature",
    "statistic",
    "value",
    "warn_at",
    "alert_at",
    "status",
    "detail",
    "reference_rows",
    "current_rows",
]


def write_drift(
    conn: psycopg.Connection, monitor_run_id: uuid.UUID, run: ScoringRun, found: pd.DataFrame
) -> int:
    rows = [
        (*(_value(getattr(r, c)) for c in DRIFT_COLUMNS), monitor_run_id)
        for r in found.itertuples()
    ]
    return _replace_rows(conn, "drift", run, [*DRIFT_COLUMNS, "monitor_run_id"], rows)


def _outcomes(conn: psycopg.Connection, as_of_date: date, until: date | None) -> pd.DataFrame:
    """Each establishment's first labelled inspection on or after `as_of_date` (before `until`)."""
    return read_frame(
        conn,
        "select distinct on (features.establishment_id) features.establishment_id, "
        "labels.is_failed::int as failed, features.inspection_date "
        "from marts.ml_features as features "
        "inner join marts.ml_labels as labels on features.inspection_id = labels.inspection_id "
        "where features.inspection_date >= %s::date "
        "and (%s::date is null or features.inspection_date < %s::date) "
        "and labels.is_failed is not null "
        "order by features.establishment_id, features.inspection_date, features.inspection_id",
        [as_of_date, until, until],
    )


def _promised(conn: psycopg.Connection, model_id: str) -> dict[str, float]:
    """What cross-validation promised: the mean test-window precision of the model's group."""
    rows = conn.execute(
        """
        select evaluations.metric, evaluations.parameter, avg(evaluations.value)
        from ml.models as deployed
        inner join ml.models as windows
            on windows.model_group_id = deployed.model_group_id
            and windows.experiment_hash = deployed.experiment_hash
        inner join ml.evaluations as evaluations on evaluations.model_id = windows.model_id
        where deployed.model_id = %s
            and evaluations.metric in ('precision@', 'precision@capacity')
        group by evaluations.metric, evaluations.parameter
        """,
        [model_id],
    ).fetchall()
    return {("capacity" if m == "precision@capacity" else p): float(v) for m, p, v in rows}


def labels_seen(conn: psycopg.Connection, run: ScoringRun, until: date | None) -> int:
    """How many labelled inspections happened on or after the run's as_of_date (before `until`):
    when this has not changed since the run was last monitored, its performance has not either."""
    return conn.execute(
        "select count(*) from marts.ml_features as features "
        "inner join marts.ml_labels as labels on features.inspection_id = labels.inspection_id "
        "where features.inspection_date >= %s::date "
        "and (%s::date is null or features.inspection_date < %s::date) "
        "and labels.is_failed is not null",
        [run.as_of_date, until, until],
    ).fetchone()[0]


def monitored_labels(conn: psycopg.Connection, run: ScoringRun) -> int | None:
    """The labels_seen the run's performance rows were last computed with (None: never)."""
    row = conn.execute(
        "select max(labels_seen) from monitoring.performance "
        "where as_of_date = %s and model_id = %s",
        [run.as_of_date, run.model_id],
    ).fetchone()
    return row[0]


def performance(
    conn: psycopg.Connection,
    run: ScoringRun,
    top_k_percent: list[float],
    capacity: int,
    until: date | None = None,
    thresholds: DriftThresholds | None = None,
    seen: int | None = None,
) -> pd.DataFrame:
    """Realised precision of the run so far (labels known before `until`), beside what
    cross-validation promised and what the calibrated probabilities let us expect, the gap
    between realised and expected graded by `thresholds` (the monitoring block's). `seen`: the
    run's `labels_seen()` when the caller has counted it already."""
    thresholds = thresholds or DriftThresholds()
    ranking = read_frame(
        conn,
        "select establishment_id, rank_abs, probability from ml.scores "
        "where model_id = %s and as_of_date = %s",
        [run.model_id, run.as_of_date],
    )
    outcomes = _outcomes(conn, run.as_of_date, until)
    found = monitoring.realised_performance(ranking, outcomes, top_k_percent, capacity)
    found["promised_precision"] = found["cut"].map(_promised(conn, run.model_id))
    found["estimate_status"] = [
        monitoring.estimate_status(
            None if pd.isna(r.precision) else r.precision,
            None if pd.isna(r.expected_precision_inspected) else r.expected_precision_inspected,
            r.inspected,
            thresholds.estimate_gap,
            thresholds.estimate_min_inspected,
        )
        for r in found.itertuples()
    ]
    found["labels_through"] = outcomes["inspection_date"].max() if len(outcomes) else None
    found["labels_seen"] = labels_seen(conn, run, until) if seen is None else seen
    return found


def estimate_alerts(run: ScoringRun, found: pd.DataFrame) -> list[dict[str, Any]]:
    """The cuts of `performance(run)` whose realised precision is beyond the estimate gap's alert
    from what the calibrated probabilities expected: what the monitor alerts on (JSON-safe)."""
    return [
        {
            "as_of_date": run.as_of_date.isoformat(),
            "model_id": run.model_id,
            "cut": r.cut,
            "realised_precision": float(r.precision),
            "expected_precision": float(r.expected_precision_inspected),
            "inspected": int(r.inspected),
        }
        for r in found.itertuples()
        if r.estimate_status == "alert"
    ]


# the table's columns, and the frame's (realised_performance names precision plainly)
PERFORMANCE_COLUMNS = {
    "cut": "cut",
    "ranked": "ranked",
    "inspected": "inspected",
    "failed": "failed",
    "realised_precision": "precision",
    "base_rate": "base_rate",
    "promised_precision": "promised_precision",
    "expected_precision": "expected_precision",
    "expected_precision_inspected": "expected_precision_inspected",
    "estimate_status": "estimate_status",
    "labels_through": "labels_through",
    "labels_seen": "labels_seen",
}


def write_performance(
    conn: psycopg.Connection, monitor_run_id: uuid.UUID, run: ScoringRun, found: pd.DataFrame
) -> int:
    rows = [
        (*(_value(getattr(r, c)) for c in PERFORMANCE_COLUMNS.values()), monitor_run_id)
        for r in found.itertuples()
    ]
    return _replace_rows(conn, "performance", run, [*PERFORMANCE_COLUMNS, "monitor_run_id"], rows)


FAIRNESS_COLUMNS = [
    "attribute_name",
    "attribute_value",
    "metric",
    "group_size",
    "value",
    "reference_group",
    "disparity",
    "is_fair",
]


def fairness(
    conn: psycopg.Connection,
    run: ScoringRun,
    config: BiasConfig,
    ranking: pd.DataFrame,
    until: date | None = None,
) -> pd.DataFrame:
    """The bias audit on what happened: the run's establishments inspected since (label: failed),
    the list being the top k% of its whole ranking; attributes from the archived features."""
    features = _features(ranking)
    attributes = [a for a in config.attributes if a in features.columns]
    flagged = ranking["rank_abs"] <= k_rows(len(ranking), config.top_k_percent)
    frame = pd.concat(
        [ranking[["establishment_id", "score"]], features[attributes]], axis=1
    ).assign(flagged=flagged.astype(int), establishment_id=ranking["establishment_id"].astype(str))
    outcomes = _outcomes(conn, run.as_of_date, until)
    outcomes = outcomes.assign(establishment_id=outcomes["establishment_id"].astype(str))
    inspected = frame.merge(outcomes[["establishment_id", "failed"]], on="establishment_id")
    if inspected.empty or not attributes:
        return pd.DataFrame(columns=FAIRNESS_COLUMNS)
    audited = bias.audit(
        inspected,
        replace(config, attributes=tuple(attributes)),
        label_column="failed",
        id_column="establishment_id",
        flagged_column="flagged",
    )
    return audited[FAIRNESS_COLUMNS]


def write_fairness(
    conn: psycopg.Connection, monitor_run_id: uuid.UUID, run: ScoringRun, found: pd.DataFrame
) -> int:
    rows = [
        (*(_value(getattr(r, c)) for c in FAIRNESS_COLUMNS), monitor_run_id)
        for r in found.itertuples()
    ]
    return _replace_rows(conn, "fairness", run, [*FAIRNESS_COLUMNS, "monitor_run_id"], rows)


def retraining_inputs(conn: psycopg.Connection, as_of: date, gap_cut: str) -> dict[str, Any]:
    """What the retraining policy weighs as of `as_of`: the deployed model and the end of its
    training data, the drift alerts of the newest monitored run against the previous one, and the
    newest realised-precision gap at `gap_cut` with how many of that cut are inspected."""
    deployed = conn.execute(
        "select deployments.model_id, models.train_end from ml.deployments as deployments "
        "inner join ml.models as models on deployments.model_id = models.model_id "
        "order by deployments.deployed_at desc, deployments.deployment_id desc limit 1"
    ).fetchone()
    alerts = conn.execute(
        "select count(*) from monitoring.drift where as_of_date = ("
        " select max(as_of_date) from monitoring.drift where as_of_date <= %s)"
        " and comparison = 'previous_run' and status = 'alert'",
        [as_of],
    ).fetchone()[0]
    gap = conn.execute(
        "select realised_precision - promised_precision, inspected, "
        "realised_precision - expected_precision_inspected, estimate_status "
        "from monitoring.performance "
        "where cut = %s and as_of_date <= %s and realised_precision is not null "
        "and promised_precision is not null and model_id = %s "
        "order by as_of_date desc limit 1",
        [gap_cut, as_of, deployed[0] if deployed else None],
    ).fetchone()
    return {
        "deployed_model_id": deployed[0] if deployed else None,
        "trained_until": deployed[1] if deployed else None,
        "drift_alerts": int(alerts),
        "precision_gap": None if gap is None else float(gap[0]),
        "inspected": 0 if gap is None else int(gap[1]),
        "estimate_gap": None if gap is None or gap[2] is None else float(gap[2]),
        "estimate_alert": gap is not None and gap[3] == "alert",
    }


def write_decision(
    conn: psycopg.Connection,
    as_of: date,
    deployed_model_id: str | None,
    decision: Decision,
    trained_model_id: str | None = None,
) -> None:
    conn.execute(
        """
        insert into monitoring.retraining_decisions (as_of_date, deployed_model_id, retrain,
            reason, model_age_days, drift_alerts, precision_gap, estimate_gap, trained_model_id)
        values (%s, %s, %s, %s, %s, %s, %s, %s, %s)
        on conflict (as_of_date) do update set
            deployed_model_id = excluded.deployed_model_id, retrain = excluded.retrain,
            reason = excluded.reason, model_age_days = excluded.model_age_days,
            drift_alerts = excluded.drift_alerts, precision_gap = excluded.precision_gap,
            estimate_gap = excluded.estimate_gap,
            trained_model_id = excluded.trained_model_id, decided_at = now()
        """,
        [
            as_of,
            deployed_model_id,
            decision.retrain,
            decision.reason,
            decision.model_age_days,
            decision.drift_alerts,
            decision.precision_gap,
            decision.estimate_gap,
            trained_model_id,
        ],
    )
