"""The model registry in Postgres (`ml.*`), after DSSG triage's results schema.

Every function takes a psycopg connection and runs its writes in one transaction
(`conn.transaction()`: a savepoint inside a caller's transaction, else its own). Writes are
idempotent: upserts, or delete-then-insert on the natural key, so re-running an experiment with the
same config and data leaves the same rows. Identifiers are content hashes (`ml.ids`); model files
live in the artifact store (`ml.artifacts`); scores are written by `ml.scoring`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import psycopg

from ml import artifacts, ids
from ml.calibration import Calibration
from ml.config import ExperimentConfig, GroupSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelRecord:
    model_id: str
    model_group_id: str
    artifact_path: str
    artifact_sha256: str
    train_start: dt.date | None
    train_end: dt.date
    test_start: dt.date | None
    test_end: dt.date | None
    train_rows: int
    random_seed: int
    is_deployable: bool


def library_versions() -> dict[str, str]:
    import sklearn

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "joblib": joblib.__version__,
    }


def register_experiment(conn: psycopg.Connection, config: ExperimentConfig) -> str:
    """Store the resolved config under its hash (no-op when already there); return the hash."""
    h = config.hash
    with conn.transaction():
        conn.execute(
            "insert into ml.experiments (experiment_hash, config) values (%s, %s) "
            "on conflict (experiment_hash) do nothing",
            [h, json.dumps(config.to_dict(), default=str)],
        )
    return h


def register_model_group(
    conn: psycopg.Connection, spec: GroupSpec, features: Iterable[str], label: str
) -> str:
    features = list(features)
    gid = ids.model_group_id(spec, features, label)
    with conn.transaction():
        conn.execute(
            "insert into ml.model_groups (model_group_id, algorithm, hyperparameters, feature_list, label) "
            "values (%s, %s, %s, %s, %s) on conflict (model_group_id) do nothing",
            [gid, spec.class_path, json.dumps(spec.params, default=str), features, label],
        )
    return gid


def get_model(conn: psycopg.Connection, model_id: str) -> ModelRecord | None:
    row = conn.execute(
        "select model_id, model_group_id, artifact_path, artifact_sha256, train_start, train_end, "
        "test_start, test_end, train_rows, random_seed, is_deployable from ml.models where model_id = %s",
        [model_id],
    ).fetchone()
    return ModelRecord(*row) if row else None


def artifact_ok(record: ModelRecord, artifacts_dir: Path) -> bool:
    return artifacts.is_intact(artifacts_dir, record.artifact_path, record.artifact_sha256)


def save_model(
    conn: psycopg.Connection,
    pipeline: Any,
    *,
    model_id: str,
    model_group_id: str,
    experiment_hash: str,
    train_start: dt.date | None,
    train_end: dt.date,
    test_start: dt.date | None,
    test_end: dt.date | None,
    train_rows: int,
    training_seconds: float,
    random_seed: int,
    git_commit: str | None,
    artifacts_dir: Path,
    is_deployable: bool = False,
) -> ModelRecord:
    """Write the artifact (atomically) and its ml.models row; return the stored record."""
    relative, digest = artifacts.write(pipeline, artifacts_dir, model_id)
    with conn.transaction():
        conn.execute(
            """
            insert into ml.models (
                model_id, model_group_id, experiment_hash, train_start, train_end, test_start,
                test_end, train_rows, artifact_path, artifact_sha256, training_seconds, random_seed,
                git_commit, library_versions, is_deployable
            ) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            on conflict (model_id) do update set
                artifact_path = excluded.artifact_path,
                artifact_sha256 = excluded.artifact_sha256,
                training_seconds = excluded.training_seconds,
                git_commit = excluded.git_commit,
                library_versions = excluded.library_versions,
                is_deployable = ml.models.is_deployable or excluded.is_deployable
            """,
            [
                model_id,
                model_group_id,
                experiment_hash,
                train_start,
                train_end,
                test_start,
                test_end,
                train_rows,
                relative,
                digest,
                training_seconds,
                random_seed,
                git_commit,
                json.dumps(library_versions()),
                is_deployable,
            ],
        )
    record = get_model(conn, model_id)
    assert record is not None
    return record


def load_model(conn: psycopg.Connection, model_id: str, artifacts_dir: Path) -> Any:
    """Load a model's pipeline after checking its artifact against the stored sha256."""
    record = get_model(conn, model_id)
    if record is None:
        raise KeyError(f"no model {model_id} in ml.models")
    return artifacts.read(artifacts_dir, record.artifact_path, record.artifact_sha256, model_id)


def link_model(
    conn: psycopg.Connection, experiment_hash: str, model_id: str, role: str = "cv"
) -> None:
    with conn.transaction():
        conn.execute(
            "insert into ml.experiment_models (experiment_hash, model_id, role) values (%s, %s, %s) "
            "on conflict (experiment_hash, model_id) do update set role = excluded.role",
            [experiment_hash, model_id, role],
        )


def prune_experiment(
    conn: psycopg.Connection,
    experiment_hash: str,
    model_ids: Iterable[str],
    role: str,
    test_starts: Iterable[dt.date] | None = None,
) -> int:
    """Keep only this run's links (and baseline windows) for an experiment; return links removed.

    An experiment is its config: re-running it on changed data trains new models, and the
    experiment then describes the latest run. Models and their rows stay in the registry.
    """
    keep = list(model_ids)
    with conn.transaction():
        removed = conn.execute(
            "delete from ml.experiment_models where experiment_hash = %s and role = %s "
            "and not (model_id = any(%s))",
            [experiment_hash, role, keep],
        ).rowcount
        if test_starts is not None:
            conn.execute(
                "delete from ml.baseline_evaluations where experiment_hash = %s "
                "and not (test_start = any(%s))",
                [experiment_hash, list(test_starts)],
            )
    return removed


def _num(value: Any) -> float | None:
    if value is None:
        return None
    f = float(value)
    return None if np.isnan(f) else f


def write_evaluations(
    conn: psycopg.Connection, model_id: str, metrics: Mapping[tuple[str, str], float]
) -> None:
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "insert into ml.evaluations (model_id, metric, parameter, value) values (%s, %s, %s, %s) "
            "on conflict (model_id, metric, parameter) do update set value = excluded.value",
            [[model_id, m, p, _num(v)] for (m, p), v in metrics.items()],
        )


def write_baseline_evaluations(
    conn: psycopg.Connection,
    experiment_hash: str,
    baseline: str,
    test_start: dt.date,
    test_end: dt.date,
    metrics: Mapping[tuple[str, str], float],
) -> None:
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "insert into ml.baseline_evaluations "
            "(experiment_hash, baseline, test_start, test_end, metric, parameter, value) "
            "values (%s, %s, %s, %s, %s, %s, %s) "
            "on conflict (experiment_hash, baseline, test_start, metric, parameter) "
            "do update set value = excluded.value, test_end = excluded.test_end",
            [
                [experiment_hash, baseline, test_start, test_end, m, p, _num(v)]
                for (m, p), v in metrics.items()
            ],
        )


def write_test_predictions(conn: psycopg.Connection, model_id: str, frame: pd.DataFrame) -> int:
    """Replace a model's test predictions. `frame`: inspection_id, establishment_id,
    inspection_date, score, label, rank_abs."""
    rows = zip(
        frame["inspection_id"].astype("int64").tolist(),
        frame["establishment_id"].astype(str).tolist(),
        pd.to_datetime(frame["inspection_date"]).dt.date.tolist(),
        frame["score"].astype(float).tolist(),
        frame["label"].astype(int).tolist(),
        frame["rank_abs"].astype(int).tolist(),
        strict=True,
    )
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("delete from ml.test_predictions where model_id = %s", [model_id])
        with cur.copy(
            "copy ml.test_predictions (model_id, inspection_id, establishment_id, inspection_date, "
            "score, label, rank_abs) from stdin"
        ) as copy:
            for row in rows:
                copy.write_row((model_id, *row))
    return len(frame)


def write_feature_importances(conn: psycopg.Connection, model_id: str, frame: pd.DataFrame) -> None:
    """Replace a model's importances: encoded feature, importance, and the input feature behind it."""
    sources = frame["source_feature"] if "source_feature" in frame else [None] * len(frame)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("delete from ml.feature_importances where model_id = %s", [model_id])
        cur.executemany(
            "insert into ml.feature_importances "
            "(model_id, feature, importance, rank_abs, source_feature) "
            "values (%s, %s, %s, %s, %s)",
            [
                [model_id, str(f), float(v), i + 1, None if pd.isna(src) else str(src)]
                for i, (f, v, src) in enumerate(
                    zip(frame["feature"], frame["importance"], sources, strict=True)
                )
            ],
        )


def write_bias_audit(conn: psycopg.Connection, model_id: str, frame: pd.DataFrame) -> None:
    """Replace a model's audit rows for the thresholds present in `frame` (ml.bias.AUDIT_COLUMNS)."""
    with conn.transaction(), conn.cursor() as cur:
        for threshold in sorted(set(frame["threshold"])):
            cur.execute(
                "delete from ml.bias_audits where model_id = %s and threshold = %s",
                [model_id, threshold],
            )
        cur.executemany(
            "insert into ml.bias_audits (model_id, threshold, attribute_name, attribute_value, metric, "
            "group_size, group_label_pos, predicted_pos, value, reference_group, disparity, is_fair) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                [
                    model_id,
                    r["threshold"],
                    r["attribute_name"],
                    r["attribute_value"],
                    r["metric"],
                    int(r["group_size"]),
                    int(r["group_label_pos"]),
                    int(r["predicted_pos"]),
                    _num(r["value"]),
                    r["reference_group"],
                    _num(r["disparity"]),
                    None if r["is_fair"] is None or pd.isna(r["is_fair"]) else bool(r["is_fair"]),
                ]
                for r in frame.to_dict("records")
            ],
        )


def write_selections(
    conn: psycopg.Connection, experiment_hash: str, selections: Iterable[Mapping[str, Any]]
) -> None:
    """Replace an experiment's selection records (rule, group, metric, value, reason, deployed model)."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("delete from ml.selections where experiment_hash = %s", [experiment_hash])
        cur.executemany(
            "insert into ml.selections (experiment_hash, model_group_id, deployed_model_id, rule, "
            "metric, value, reason) values (%s, %s, %s, %s, %s, %s, %s)",
            [
                [
                    experiment_hash,
                    s["model_group_id"],
                    s.get("deployed_model_id"),
                    s["rule"],
                    s["metric"],
                    _num(s.get("value")),
                    s.get("reason"),
                ]
                for s in selections
            ],
        )


def deployed_model_id(conn: psycopg.Connection) -> str | None:
    row = conn.execute(
        "select model_id from ml.deployments order by deployed_at desc, deployment_id desc limit 1"
    ).fetchone()
    return row[0] if row else None


def newest_window_predictions(
    conn: psycopg.Connection, experiment_hash: str, model_group_id: str
) -> tuple[str | None, pd.DataFrame]:
    """The model group's newest cross-validation window in the experiment: its model and that
    model's out-of-time test predictions (score, label)."""
    row = conn.execute(
        "select models.model_id from ml.experiment_models as em "
        "inner join ml.models as models on em.model_id = models.model_id "
        "where em.experiment_hash = %s and em.role = 'cv' and models.model_group_id = %s "
        "order by models.test_start desc limit 1",
        [experiment_hash, model_group_id],
    ).fetchone()
    if row is None:
        return None, pd.DataFrame(columns=["score", "label"])
    rows = conn.execute(
        "select score, label from ml.test_predictions where model_id = %s", [row[0]]
    ).fetchall()
    return row[0], pd.DataFrame(rows, columns=["score", "label"])


def write_calibration(
    conn: psycopg.Connection, model_id: str, fitted_on_model_id: str, calibration: Calibration
) -> None:
    """Record (or replace) a model's calibration."""
    c = calibration
    conn.execute(
        """
        insert into ml.calibrations (model_id, method, fitted_on_model_id, fitted_rows,
            fitted_positive_rate, curve_scores, curve_probabilities, ece_before, ece_after,
            brier_before, brier_after)
        values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        on conflict (model_id) do update set
            method = excluded.method, fitted_on_model_id = excluded.fitted_on_model_id,
            fitted_rows = excluded.fitted_rows,
            fitted_positive_rate = excluded.fitted_positive_rate,
            curve_scores = excluded.curve_scores,
            curve_probabilities = excluded.curve_probabilities,
            ece_before = excluded.ece_before, ece_after = excluded.ece_after,
            brier_before = excluded.brier_before, brier_after = excluded.brier_after,
            calibrated_at = now()
        """,
        [
            model_id,
            c.method,
            fitted_on_model_id,
            c.rows,
            c.positive_rate,
            list(c.scores),
            list(c.probabilities),
            _num(c.ece_before),
            _num(c.ece_after),
            _num(c.brier_before),
            _num(c.brier_after),
        ],
    )


def get_calibration(conn: psycopg.Connection, model_id: str) -> Calibration | None:
    row = conn.execute(
        "select method, curve_scores, curve_probabilities, fitted_rows, fitted_positive_rate, "
        "ece_before, ece_after, brier_before, brier_after from ml.calibrations where model_id = %s",
        [model_id],
    ).fetchone()
    if row is None:
        return None
    return Calibration(
        method=row[0],
        scores=tuple(row[1]),
        probabilities=tuple(row[2]),
        rows=row[3],
        positive_rate=row[4],
        ece_before=row[5],
        ece_after=row[6],
        brier_before=row[7],
        brier_after=row[8],
    )
