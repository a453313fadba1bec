"""Registry round trips on a real Postgres: train -> store -> load -> identical scores, idempotent
re-runs, sha256-checked artifacts, selection/deployment/score writes, and the report.

Runs in its own throwaway database on the session's server, so its registry rows never mix with
the end-to-end pipeline's.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest
import yaml

from ml import experiment as ex
from ml import registry, report, selection
from ml.bias import threshold_name
from ml.config import ExperimentConfig, parse_experiment
from ml.pipeline import predict_scores
from ml.splits import make_splits
from ml.synthetic import synthetic_cohort, synthetic_features
from warehouse.migrate import migrate
from warehouse.settings import parse_database_url

EXPERIMENT = Path(__file__).resolve().parents[2] / "experiments" / "canvass.yaml"
TABLES = (
    "ml.models",
    "ml.model_groups",
    "ml.evaluations",
    "ml.test_predictions",
    "ml.feature_importances",
    "ml.bias_audits",
    "ml.baseline_evaluations",
    "ml.experiment_models",
    "ml.selections",
    "ml.deployments",
)


@pytest.fixture(scope="module")
def ml_conn(warehouse_url: str) -> Iterator[psycopg.Connection]:
    admin = parse_database_url(warehouse_url).url(database="postgres")
    name = f"canvass_ml_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("create database {}").format(psycopg.sql.Identifier(name)))
    url = parse_database_url(warehouse_url).url(database=name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            migrate(conn)
            yield conn
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                psycopg.sql.SQL("drop database if exists {} with (force)").format(
                    psycopg.sql.Identifier(name)
                )
            )


@pytest.fixture(scope="module")
def config() -> ExperimentConfig:
    raw = yaml.safe_load(EXPERIMENT.read_text())
    small = copy.deepcopy(raw)
    small["temporal"] = {"test_window_months": 1, "n_windows": 2}
    small["grid"] = {
        "sklearn.linear_model.LogisticRegression": {"C": [1.0], "max_iter": [300]},
        "sklearn.ensemble.RandomForestClassifier": {"n_estimators": [10], "max_depth": [4]},
    }
    small["bias_audit"]["min_group_size"] = 5
    small.pop("profiles")
    return parse_experiment(small)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synthetic_features(150, start=dt.date(2012, 1, 1), end=dt.date(2013, 7, 1), seed=5)


def _counts(conn: psycopg.Connection) -> dict[str, int]:
    return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}


def _run(conn, frame, config, artifacts: Path) -> tuple[str, list[ex.ModelResult]]:
    experiment_hash = registry.register_experiment(conn, config)
    splits = make_splits(ex.labelled(frame, config.label)["inspection_date"], config.temporal)
    results = []
    for split in splits:
        results += ex.train_window(
            conn,
            frame,
            split,
            config,
            experiment_hash=experiment_hash,
            artifacts_dir=artifacts,
            git_commit="abc123",
        )
        ex.evaluate_baselines(conn, frame, split, config, experiment_hash=experiment_hash)
    return experiment_hash, results


def test_train_store_load_score_and_rerun(ml_conn, frame, config, tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    experiment_hash, first = _run(ml_conn, frame, config, artifacts)
    assert len(first) == 4 and not any(r.reused for r in first)
    counts = _counts(ml_conn)
    assert counts["ml.models"] == 4 and counts["ml.model_groups"] == 2
    assert counts["ml.baseline_evaluations"] > 0 and counts["ml.bias_audits"] > 0

    # Round trip: the stored artifact scores the test rows exactly as the stored predictions say.
    model_id = first[-1].model_id
    record = registry.get_model(ml_conn, model_id)
    assert record is not None and record.artifact_path == f"models/{model_id}.joblib"
    pipe = registry.load_model(ml_conn, model_id, artifacts)
    stored = registry.read_frame(
        ml_conn,
        "select inspection_id, score, label, rank_abs from ml.test_predictions where model_id = %s "
        "order by inspection_id",
        [model_id],
    )
    rows = frame.set_index("inspection_id").loc[stored["inspection_id"]].reset_index()
    assert np.allclose(predict_scores(pipe, rows[config.features]), stored["score"].to_numpy())
    assert sorted(stored["rank_abs"]) == list(range(1, len(stored) + 1))
    assert stored["label"].tolist() == rows["is_failed"].astype(int).tolist()
    row = ml_conn.execute(
        "select git_commit, random_seed, library_versions ? 'scikit-learn', test_start, test_end "
        "from ml.models where model_id = %s",
        [model_id],
    ).fetchone()
    assert row[0] == "abc123" and row[1] == config.random_seed and row[2] is True
    assert row[3] < row[4]

    # Same config and data: nothing retrained, no new rows.
    stamp = (artifacts / record.artifact_path).stat().st_mtime_ns
    _, second = _run(ml_conn, frame, config, artifacts)
    assert [r.model_id for r in second] == [r.model_id for r in first]
    assert all(r.reused for r in second)
    assert _counts(ml_conn) == counts
    assert (artifacts / record.artifact_path).stat().st_mtime_ns == stamp
    assert [r.metrics for r in second] == [r.metrics for r in first]

    # Changed data for the same window: a different model id.
    altered = frame.copy()
    altered.loc[altered.index[0], "is_failed"] = not altered.loc[altered.index[0], "is_failed"]
    _, third = _run(ml_conn, altered, config, tmp_path / "other")
    assert {r.model_id for r in third}.isdisjoint({r.model_id for r in first})
    registry.prune_experiment(ml_conn, experiment_hash, [r.model_id for r in first], "cv")
    linked = ml_conn.execute(
        "select count(*) from ml.experiment_models where experiment_hash = %s", [experiment_hash]
    ).fetchone()[0]
    assert linked == 4


def test_altered_artifact_is_refused_then_retrained(ml_conn, frame, config, tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    _, first = _run(ml_conn, frame, config, artifacts)
    model_id = first[0].model_id
    path = artifacts / f"models/{model_id}.joblib"
    path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(registry.ArtifactIntegrityError, match="sha256"):
        registry.load_model(ml_conn, model_id, artifacts)
    _, again = _run(ml_conn, frame, config, artifacts)
    assert not again[0].reused and again[0].model_id == model_id
    registry.load_model(ml_conn, model_id, artifacts)  # verified again after retraining


def test_select_deploy_score_and_report(ml_conn, frame, config, tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    experiment_hash, results = _run(ml_conn, frame, config, artifacts)
    evals = ex.evaluations_frame(ml_conn, experiment_hash)
    evals = evals[(evals["metric"] == "precision@") & (evals["parameter"] == "10_pct")]
    parity = ex.parity_frame(
        ml_conn, experiment_hash, "fnr", threshold_name(config.bias.top_k_percent)
    )
    choices = selection.select(evals, config.selection, parity)
    primary = next(c for c in choices if c.is_primary)
    spec = next(
        s
        for s in config.grid
        if registry.model_group_id(s, config.features, config.label) == primary.model_group_id
    )
    model_id, reused = ex.train_deployed(
        ml_conn,
        frame,
        spec,
        config,
        experiment_hash=experiment_hash,
        artifacts_dir=artifacts,
        git_commit=None,
    )
    assert not reused
    rows = [
        {
            "model_group_id": c.model_group_id,
            "deployed_model_id": model_id if c.is_primary else None,
            "rule": c.rule,
            "metric": c.metric,
            "value": c.value,
            "reason": c.reason,
        }
        for c in choices
    ]
    for _ in range(2):  # idempotent
        registry.write_selections(ml_conn, experiment_hash, rows)
        registry.record_deployment(
            ml_conn, model_id, experiment_hash, primary.model_group_id, primary.rule
        )
    assert ml_conn.execute(
        "select count(*) from ml.selections where experiment_hash = %s", [experiment_hash]
    ).fetchone()[0] == len(config.selection.rules)
    assert (
        ml_conn.execute(
            "select count(*) from ml.deployments where model_id = %s", [model_id]
        ).fetchone()[0]
        == 1
    )
    assert registry.deployed_model_id(ml_conn) == model_id
    deployed = registry.get_model(ml_conn, model_id)
    assert deployed.is_deployable and deployed.test_start is None
    assert deployed.train_end == frame["inspection_date"].max() + dt.timedelta(days=1)

    cohort = synthetic_cohort(frame, dt.date(2013, 7, 1))
    pipe = registry.load_model(ml_conn, model_id, artifacts)
    scores = predict_scores(pipe, cohort[config.features])
    out = cohort[["establishment_id", "license_number"]].assign(
        score=scores, rank_abs=range(1, len(cohort) + 1)
    )
    for _ in range(2):
        assert registry.write_scores(ml_conn, model_id, dt.date(2013, 7, 1), out) == len(cohort)
    assert ml_conn.execute(
        "select count(*) from ml.scores where model_id = %s and as_of_date = %s",
        [model_id, dt.date(2013, 7, 1)],
    ).fetchone()[0] == len(cohort)

    board = report.leaderboard(ml_conn, experiment_hash)
    assert set(board["kind"]) == {"model", "baseline"}
    assert len(board) == len(config.grid) + len(config.baselines)
    assert (board["windows"] == 2).all()
    assert board["precision@10_pct"].is_monotonic_decreasing
    assert (
        "best_average"
        in board.loc[board["model_group_id"] == primary.model_group_id, "selected_by"].iloc[0]
    )
    html = report.write_html(ml_conn, tmp_path / "models.html", experiment_hash).read_text()
    assert "precision@10_pct by test window" in html and "FNR and FOR disparity" in html
