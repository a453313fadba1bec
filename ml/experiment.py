"""Run an experiment's steps on a frame of labelled feature rows (library code the train flow wraps).

The frame has the columns of `marts.ml_features` plus the label column(s) of `marts.ml_labels`.
Each step takes the connection, the frame and the config and records what it did in the registry;
a model whose id is already stored with an intact artifact is loaded, not retrained.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
from threadpoolctl import threadpool_limits

from ml import bias, ids, metrics, pipeline, registry
from ml.config import ExperimentConfig, GroupSpec
from ml.frames import BASELINE_COLUMNS, FrameError, read_frame
from ml.splits import Split, check_no_leakage

log = logging.getLogger(__name__)

ID_COLUMNS = ("inspection_id", "establishment_id", "inspection_date")


def check_frame(frame: pd.DataFrame, config: ExperimentConfig) -> None:
    needed = [*ID_COLUMNS, config.label, *config.features, *BASELINE_COLUMNS]
    missing = [c for c in dict.fromkeys(needed) if c not in frame.columns]
    if missing:
        raise FrameError(f"training frame lacks column(s): {', '.join(missing)}")


def labelled(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """Rows with a known label, label as int, dates as Timestamps, sorted by date then id."""
    out = frame[frame[label].notna()].copy()
    out[label] = out[label].astype(bool).astype(int)
    out["inspection_date"] = pd.to_datetime(out["inspection_date"])
    return out.sort_values(["inspection_date", "inspection_id"], kind="stable").reset_index(
        drop=True
    )


def single_threaded() -> threadpool_limits:
    """One OpenMP/BLAS thread: on small frames and a shared 2-core machine, oversubscribed
    OpenMP (HistGradientBoosting) is an order of magnitude slower than one thread."""
    return threadpool_limits(limits=1)


@dataclass(frozen=True)
class ModelResult:
    model_id: str
    model_group_id: str
    group: str
    window: str
    reused: bool
    metrics: dict[tuple[str, str], float]
    parity_share: float


def _fit_or_load(
    conn: psycopg.Connection,
    spec: GroupSpec,
    group_id: str,
    train: pd.DataFrame,
    config: ExperimentConfig,
    *,
    experiment_hash: str,
    train_start: dt.date | None,
    train_end: dt.date,
    test_start: dt.date | None,
    test_end: dt.date | None,
    artifacts_dir: Path,
    git_commit: str | None,
    is_deployable: bool = False,
    fingerprint: str | None = None,
) -> tuple[str, Any, bool]:
    """The model of `spec` on `train`: loaded when the registry has it (same group, windows,
    seed and training rows), else fitted and saved. `fingerprint`: the rows' data_fingerprint
    when the caller has it (one window's groups share their training rows)."""
    if fingerprint is None:
        fingerprint = ids.data_fingerprint(train["inspection_id"], train[config.label])
    model_id = ids.model_id_for(
        group_id,
        train_start=train_start,
        train_end=train_end,
        test_start=test_start,
        test_end=test_end,
        random_seed=config.random_seed,
        data_fingerprint=fingerprint,
    )
    record = registry.get_model(conn, model_id)
    if record is not None and registry.artifact_ok(record, artifacts_dir):
        log.info("reusing model %s (%s)", model_id[:12], spec.label())
        return model_id, registry.load_model(conn, model_id, artifacts_dir), True
    if record is not None:
        log.warning(
            "model %s is registered but its artifact is missing or altered: retraining", model_id
        )
    pipe = pipeline.build_pipeline(
        spec.class_path, spec.params, config.categorical, config.numeric, config.random_seed
    )
    started = time.perf_counter()
    with single_threaded():
        pipe.fit(train[config.features], train[config.label])
    seconds = time.perf_counter() - started
    registry.save_model(
        conn,
        pipe,
        model_id=model_id,
        model_group_id=group_id,
        experiment_hash=experiment_hash,
        train_start=train_start,
        train_end=train_end,
        test_start=test_start,
        test_end=test_end,
        train_rows=len(train),
        training_seconds=seconds,
        random_seed=config.random_seed,
        git_commit=git_commit,
        artifacts_dir=artifacts_dir,
        is_deployable=is_deployable,
    )
    log.info(
        "trained %s on %d rows in %.1fs (%s)", spec.label(), len(train), seconds, model_id[:12]
    )
    return model_id, pipe, False


def train_window(
    conn: psycopg.Connection,
    frame: pd.DataFrame,
    split: Split,
    config: ExperimentConfig,
    *,
    experiment_hash: str,
    artifacts_dir: Path,
    git_commit: str | None,
) -> list[ModelResult]:
    """Train (or reuse) every model group on one split; evaluate, audit and store each."""
    data = labelled(frame, config.label)
    train = data[split.train_mask(data["inspection_date"])]
    test = data[split.test_mask(data["inspection_date"])].reset_index(drop=True)
    check_no_leakage(split, train["inspection_date"], test["inspection_date"])
    results: list[ModelResult] = []
    fingerprint = ids.data_fingerprint(train["inspection_id"], train[config.label])
    for spec in config.grid:
        group_id = registry.register_model_group(conn, spec, config.features, config.label)
        model_id, pipe, reused = _fit_or_load(
            conn,
            spec,
            group_id,
            train,
            config,
            experiment_hash=experiment_hash,
            train_start=split.train_start,
            train_end=split.train_end,
            test_start=split.test_start,
            test_end=split.test_end,
            artifacts_dir=artifacts_dir,
            git_commit=git_commit,
            fingerprint=fingerprint,
        )
        registry.link_model(conn, experiment_hash, model_id, "cv")
        with single_threaded():
            scores = pipeline.predict_scores(pipe, test[config.features])
        labels = test[config.label].to_numpy()
        values = metrics.evaluate(
            labels,
            scores,
            test["inspection_date"],
            top_k_percent=config.top_k_percent,
            daily_capacity=config.daily_capacity,
        )
        registry.write_evaluations(conn, model_id, values)
        scored = test[list(ID_COLUMNS) + list(config.bias.attributes)].copy()
        scored["score"] = scores
        scored["label"] = labels
        scored["rank_abs"] = metrics.rank_order(scores, test["inspection_id"].to_numpy())
        registry.write_test_predictions(conn, model_id, scored)
        if not reused or not _has_importances(conn, model_id):
            with single_threaded():
                importances = pipeline.feature_importances(
                    pipe, train[config.features], train[config.label], config.random_seed
                )
            registry.write_feature_importances(conn, model_id, importances)
        audit = bias.audit(scored, config.bias)
        registry.write_bias_audit(conn, model_id, audit)
        results.append(
            ModelResult(
                model_id=model_id,
                model_group_id=group_id,
                group=spec.label(),
                window=split.name,
                reused=reused,
                metrics=values,
                parity_share=bias.parity_share(audit, config.selection.fairness_metric),
            )
        )
    return results


def _has_importances(conn: psycopg.Connection, model_id: str) -> bool:
    """Importances recorded with their input features (rows from before that are recomputed)."""
    row = conn.execute(
        "select exists (select 1 from ml.feature_importances where model_id = %s) "
        "and not exists (select 1 from ml.feature_importances "
        "where model_id = %s and source_feature is null)",
        [model_id, model_id],
    ).fetchone()
    return bool(row and row[0])


def evaluate_baselines(
    conn: psycopg.Connection,
    frame: pd.DataFrame,
    split: Split,
    config: ExperimentConfig,
    *,
    experiment_hash: str,
) -> dict[str, dict[tuple[str, str], float]]:
    """Score the test window with each baseline rule and store the metrics."""
    data = labelled(frame, config.label)
    test = data[split.test_mask(data["inspection_date"])].reset_index(drop=True)
    out: dict[str, dict[tuple[str, str], float]] = {}
    for name in config.baselines:
        scores = pipeline.baseline_scores(name, test, config.random_seed)
        values = metrics.evaluate(
            test[config.label].to_numpy(),
            scores,
            test["inspection_date"],
            top_k_percent=config.top_k_percent,
            daily_capacity=config.daily_capacity,
            probabilities=name == "random",
        )
        values.pop(("brier", ""), None)
        registry.write_baseline_evaluations(
            conn, experiment_hash, name, split.test_start, split.test_end, values
        )
        out[name] = values
    return out


def train_deployed(
    conn: psycopg.Connection,
    frame: pd.DataFrame,
    spec: GroupSpec,
    config: ExperimentConfig,
    *,
    experiment_hash: str,
    artifacts_dir: Path,
    git_commit: str | None,
) -> tuple[str, bool]:
    """Retrain the selected group on every labelled row; returns (model_id, reused)."""
    data = labelled(frame, config.label)
    group_id = registry.register_model_group(conn, spec, config.features, config.label)
    train_start = data["inspection_date"].min().date()
    train_end = data["inspection_date"].max().date() + dt.timedelta(days=1)
    model_id, pipe, reused = _fit_or_load(
        conn,
        spec,
        group_id,
        data,
        config,
        experiment_hash=experiment_hash,
        train_start=train_start,
        train_end=train_end,
        test_start=None,
        test_end=None,
        artifacts_dir=artifacts_dir,
        git_commit=git_commit,
        is_deployable=True,
    )
    registry.link_model(conn, experiment_hash, model_id, "deployed")
    if not reused or not _has_importances(conn, model_id):
        with single_threaded():
            importances = pipeline.feature_importances(
                pipe, data[config.features], data[config.label], config.random_seed
            )
        registry.write_feature_importances(conn, model_id, importances)
    return model_id, reused


def evaluations_frame(conn: psycopg.Connection, experiment_hash: str) -> pd.DataFrame:
    """Every cross-validation evaluation of an experiment: one row per model and metric."""
    return read_frame(
        conn,
        """
        select m.model_group_id, g.algorithm, g.hyperparameters, e.model_id, m.test_start,
               m.test_end, e.metric, e.parameter, e.value
        from ml.experiment_models as em
        inner join ml.models as m on m.model_id = em.model_id
        inner join ml.model_groups as g on g.model_group_id = m.model_group_id
        inner join ml.evaluations as e on e.model_id = m.model_id
        where em.experiment_hash = %s and em.role = 'cv'
        order by m.test_start, m.model_group_id, e.metric, e.parameter
        """,
        [experiment_hash],
    )


def parity_frame(
    conn: psycopg.Connection, experiment_hash: str, metric: str, threshold: str
) -> pd.DataFrame:
    """Per cross-validation model: the share of non-reference groups within the parity thresholds."""
    return read_frame(
        conn,
        """
        select m.model_group_id, m.model_id, m.test_start,
               avg(case when b.is_fair then 1.0 else 0.0 end)::float8 as parity_share
        from ml.experiment_models as em
        inner join ml.models as m on m.model_id = em.model_id
        inner join ml.bias_audits as b on b.model_id = m.model_id
        where em.experiment_hash = %s and em.role = 'cv' and b.metric = %s and b.threshold = %s
            and b.attribute_value <> b.reference_group and b.is_fair is not null
        group by m.model_group_id, m.model_id, m.test_start
        """,
        [experiment_hash, metric, threshold],
    )
