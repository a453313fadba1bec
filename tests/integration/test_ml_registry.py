"""Registry round trips on a real Postgres: train -> store -> load -> identical scores, idempotent
re-runs, sha256-checked artifacts, selection/deployment/score writes, and the report.

Runs in its own throwaway database on the session's server, so its registry rows never mix with
the end-to-end pipeline's.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest
import yaml

from ml import deploy, frames, governance, registry, report, scoring
from ml import experiment as ex
from ml.artifacts import ArtifactIntegrityError
from ml.config import ALLOWED_RULES, ExperimentConfig, parse_experiment
from ml.pipeline import predict_scores
from ml.splits import make_splits
from ml.synthetic import synthetic_cohort, synthetic_features
from warehouse.scratch import scratch_database
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
    with (
        scratch_database(parse_database_url(warehouse_url), "canvass_ml") as url,
        psycopg.connect(url, autocommit=True) as conn,
    ):
        yield conn


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
    stored = frames.read_frame(
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
    store = tmp_path / "artifacts"
    _, first = _run(ml_conn, frame, config, store)
    model_id = first[0].model_id
    path = store / f"models/{model_id}.joblib"
    path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(ArtifactIntegrityError, match="sha256"):
        registry.load_model(ml_conn, model_id, store)
    _, again = _run(ml_conn, frame, config, store)
    assert not again[0].reused and again[0].model_id == model_id
    registry.load_model(ml_conn, model_id, store)  # verified again after retraining


def test_select_deploy_score_and_report(ml_conn, frame, config, tmp_path: Path) -> None:
    artifacts_dir = tmp_path / "artifacts"
    experiment_hash, results = _run(ml_conn, frame, config, artifacts_dir)
    for _ in range(2):  # idempotent: the same selections, one deployment
        deployed = deploy.choose_and_deploy(
            ml_conn, frame, config, experiment_hash, artifacts_dir=artifacts_dir, git_commit=None
        )
    primary = deployed.primary
    assert primary.rule == config.selection.primary_rule
    assert deployed.spec in config.grid and deployed.reused  # the second call reused the model
    model_id = deployed.model_id
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
    # The selection proposed it as a version, with a model card from the registry's rows.
    card = governance.card_of(ml_conn, model_id)
    assert card.startswith(f"# Model card: version {deployed.version} ({model_id})")
    windows = ml_conn.execute(
        "select count(*) from ml.experiment_models as em join ml.models using (model_id) "
        "where em.experiment_hash = %s and em.role = 'cv' and ml.models.model_group_id = %s",
        [experiment_hash, primary.model_group_id],
    ).fetchone()[0]
    assert windows > 0 and card.count(" | ") >= windows * 3  # one table row per window
    assert "## Fairness" in card and "## Limits" in card and config.label in card
    deployed_record = registry.get_model(ml_conn, model_id)
    assert deployed_record.is_deployable and deployed_record.test_start is None
    assert deployed_record.train_end == frame["inspection_date"].max() + dt.timedelta(days=1)
    # Every importance of the deployed model names the catalogue feature it comes from.
    sources = ml_conn.execute(
        "select source_feature from ml.feature_importances where model_id = %s", [model_id]
    ).fetchall()
    assert sources and {s for (s,) in sources} <= set(config.features)

    # Scoring: the deployed model ranks the cohort into ml.scores, idempotently.
    as_of = dt.date(2013, 7, 1)
    cohort = synthetic_cohort(frame, as_of)
    for _ in range(2):
        result = scoring.score_cohort(ml_conn, cohort, artifacts_dir)
        assert result == scoring.ScoringResult(model_id, as_of, len(cohort))
    stored = frames.read_frame(
        ml_conn,
        "select establishment_id, score, rank_abs from ml.scores "
        "where model_id = %s and as_of_date = %s order by rank_abs",
        [model_id, as_of],
    )
    assert len(stored) == len(cohort) and stored["rank_abs"].tolist() == list(
        range(1, len(cohort) + 1)
    )
    assert stored["score"].is_monotonic_decreasing
    expected = predict_scores(
        registry.load_model(ml_conn, model_id, artifacts_dir), cohort[config.features]
    )
    by_id = dict(zip(cohort["establishment_id"].astype(str), expected, strict=True))
    assert np.allclose(stored["score"], stored["establishment_id"].map(by_id))
    with pytest.raises(frames.FrameError, match="lacks feature"):
        scoring.score_cohort(ml_conn, cohort.drop(columns=["prior_fails"]), artifacts_dir)

    board = report.leaderboard(ml_conn, experiment_hash)
    assert set(board["kind"]) == {"model", "baseline"}
    assert len(board) == len(config.grid) + len(config.baselines)
    assert (board["windows"] == 2).all()
    assert board["precision@10_pct"].is_monotonic_decreasing
    assert (
        "best_average"
        in board.loc[board["model_group_id"] == primary.model_group_id, "selected_by"].iloc[0]
    )
    # The report's parity share is the one selection used (the reason quotes it to 2 places).
    shown = board.loc[board["model_group_id"] == primary.model_group_id, "parity_share"].iloc[0]
    if "parity share" in primary.reason:
        assert f"parity share {shown:.2f}" in primary.reason
    # the pooled audit reads each test row's groups from the feature mart, as after a dbt build
    ml_conn.execute("create schema if not exists marts")
    ml_conn.execute(
        "create table marts.ml_features (inspection_id bigint, facility_group text, zip text)"
    )
    with ml_conn.cursor().copy(
        "copy marts.ml_features (inspection_id, facility_group, zip) from stdin"
    ) as copy:
        for row in frame[["inspection_id", "facility_group", "zip"]].itertuples(index=False):
            copy.write_row(tuple(row))
    pooled = report.pooled_audit(ml_conn, experiment_hash)
    deployed_rows = ml_conn.execute(
        "select count(*) from ml.test_predictions as p join ml.models as m using (model_id) "
        "join ml.experiment_models as em using (model_id) where em.experiment_hash = %s "
        "and em.role = 'cv' and m.model_group_id = %s",
        [experiment_hash, primary.model_group_id],
    ).fetchone()[0]
    fnr = pooled[pooled["metric"] == "fnr"]
    # every test row of the deployed group's windows, in exactly one group of each attribute
    assert fnr.groupby("attribute_name")["group_size"].sum().to_dict() == {
        a: deployed_rows for a in config.bias.attributes
    }
    html = report.write_html(ml_conn, tmp_path / "models.html", experiment_hash).read_text()
    assert "precision@10_pct by test window" in html and "FNR and FOR disparity" in html
    assert f"capacity ({config.daily_capacity} a day) is" in html  # as a share of the windows
    assert "★" in report.leaderboard_html(board)  # each column's best marked
    assert "Audition: what each selection rule would have cost" in html
    # every audition rule replayed on the second window, from the first alone
    replayed = report.audition(ml_conn, experiment_hash).set_index("rule")
    assert set(replayed.index) == set(ALLOWED_RULES)
    assert (replayed["windows"] == 1).all() and (replayed["mean_regret"] >= 0).all()
    assert replayed.loc[config.selection.primary_rule, "configured"] == "primary"
    # A reused model keeps the evaluations of an earlier experiment with another capacity: the
    # leaderboard shows this experiment's only.
    with ml_conn.transaction(force_rollback=True):
        ml_conn.execute(
            "insert into ml.evaluations (model_id, metric, parameter, value) "
            "select model_id, 'precision@capacity', '999_per_day', 0.5 from ml.evaluations "
            "group by model_id"
        )
        columns = report.leaderboard(ml_conn, experiment_hash).columns
    assert "precision@capacity999_per_day" not in columns
    assert f"precision@capacity{config.daily_capacity}_per_day" in columns

    summary = report.training_summary(
        ml_conn, experiment_hash, deployed, tmp_path / "models.html",
        windows=2, models_trained=0, models_reused=4,
    )  # fmt: skip
    assert summary["deployed_model_id"] == model_id
    assert summary["selected_model_group_id"] == primary.model_group_id
    assert summary["selection_reason"].startswith(f"{primary.rule}: ")
    assert [r["algorithm"] for r in summary["leaderboard"]] == board["name"].tolist()

    # Windows too small to audit leave no bias rows: the leaderboard shows no parity, not a
    # KeyError (a replay's early weeks met this).
    with ml_conn.transaction(force_rollback=True):
        ml_conn.execute("delete from ml.bias_audits")
        unaudited = report.leaderboard(ml_conn, experiment_hash)
    assert len(unaudited) == len(board) and unaudited["parity_share"].isna().all()


def test_no_deployed_model_is_a_clear_error(warehouse_url: str, frame, tmp_path: Path) -> None:
    with _fresh_database(warehouse_url) as conn:  # a fresh registry: nothing deployed
        cohort = synthetic_cohort(frame, dt.date(2013, 7, 1))
        with pytest.raises(scoring.NoDeployedModel, match="train one first"):
            scoring.score_cohort(conn, cohort, tmp_path)


def test_training_frame_reads_the_marts_before_until(warehouse_url: str, frame, config) -> None:
    with _fresh_database(warehouse_url) as conn:
        features = [*config.features, "license_number"]
        conn.execute(
            "create table marts.ml_features as select "
            "1::bigint as inspection_id, ''::text as establishment_id, "
            "current_date as inspection_date limit 0"
        )
        for column in features:
            kind = "text" if frame[column].dtype == object else "double precision"
            conn.execute(f"alter table marts.ml_features add column {column} {kind}")
        conn.execute(
            "create table marts.ml_labels (inspection_id bigint, is_failed boolean, "
            "has_critical_violation boolean)"
        )
        columns = ["inspection_id", "establishment_id", "inspection_date", *features]
        with conn.cursor() as cur:
            with cur.copy(f"copy marts.ml_features ({', '.join(columns)}) from stdin") as copy:
                for row in frame[columns].itertuples(index=False):
                    copy.write_row([None if pd.isna(v) else v for v in row])
            with cur.copy("copy marts.ml_labels from stdin") as copy:
                for row in frame[
                    ["inspection_id", "is_failed", "has_critical_violation"]
                ].itertuples(index=False):
                    copy.write_row(row)
        until = dt.date(2013, 1, 1)
        loaded = frames.training_frame(conn, config, until)
        expected = frame[frame["inspection_date"] < until]
        assert len(loaded) == len(expected) > 0
        assert loaded["inspection_id"].tolist() == expected["inspection_id"].tolist()
        assert set(loaded.columns) >= {*config.features, *frames.LABEL_COLUMNS}
        assert len(frames.training_frame(conn, config)) == len(frame)
        with pytest.raises(frames.FrameError, match="before 2012-01-01"):
            frames.training_frame(conn, config, dt.date(2012, 1, 1))


@contextmanager
def _fresh_database(warehouse_url: str) -> Iterator[psycopg.Connection]:
    with (
        scratch_database(parse_database_url(warehouse_url), "canvass_ml_fresh") as url,
        psycopg.connect(url, autocommit=True) as conn,
    ):
        conn.execute("create schema if not exists marts")
        yield conn


def test_a_week_of_new_rows_reuses_every_cross_validation_model(
    ml_conn, frame, config, tmp_path: Path
) -> None:
    """Windows sit on month boundaries: a week more of inspections inside an unfinished month
    changes no window and no window's training rows, so nothing is retrained. (Its own seed: an
    experiment of its own in the module's registry.)"""
    config = dataclasses.replace(config, random_seed=config.random_seed + 1)
    artifacts = tmp_path / "artifacts"
    dates = pd.to_datetime(frame["inspection_date"])
    month_start = dates.max().replace(day=1)
    one_week = frame[dates < month_start + pd.Timedelta(days=7)]
    two_weeks = frame[dates < month_start + pd.Timedelta(days=14)]
    assert len(one_week) < len(two_weeks)
    _, before = _run(ml_conn, one_week, config, artifacts)
    _, after = _run(ml_conn, two_weeks, config, artifacts)
    assert [r.window for r in after] == [r.window for r in before]
    # the last window tests the month before the unfinished one
    assert before[-1].window == f"{month_start - pd.DateOffset(months=1):%Y-%m-%d}"
    assert [r.model_id for r in after] == [r.model_id for r in before]
    assert all(r.reused for r in after)
