"""Flow `train`: temporal cross-validation of the model grid, bias audit, selection, deployment.

Tasks are thin wrappers over `ml/`: load the labelled feature rows from the marts, cut the
temporal splits, train (or reuse) every model group on every window with its baselines, select a
group by the configured rules under the fairness constraint, retrain it on every labelled row as
the deployed model, and write the HTML report. Models already in the registry with an intact
artifact are reused, so re-running with the same config and data trains nothing.
"""

from __future__ import annotations

import math
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.runtime import flow_run
from psycopg import sql

from ml import experiment as ex
from ml import plots, registry, report, selection
from ml.bias import threshold_name
from ml.config import ExperimentConfig, load_experiment
from ml.splits import Split, make_splits
from warehouse.db import connect
from warehouse.runs import git_commit, recorded_run
from warehouse.settings import get_settings

LABEL_COLUMNS = ("is_failed", "has_critical_violation")


@task(cache_policy=NONE)
def load_config(experiment: str, profile: str | None) -> ExperimentConfig:
    """Read and validate the experiment file whole, before any work starts."""
    path = Path(experiment)
    if not path.is_absolute() and not path.exists():
        path = get_settings().project_dir / path
    config = load_experiment(path, profile)
    get_run_logger().info(
        "experiment %s%s: %d model groups, %d windows, label %s",
        config.name,
        f" (profile {profile})" if profile else "",
        len(config.grid),
        config.temporal.n_windows,
        config.label,
    )
    return config


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NONE)
def load_training_frame(
    conn: psycopg.Connection, config: ExperimentConfig, until: date | None
) -> pd.DataFrame:
    """marts.ml_features joined to marts.ml_labels (inspections before `until` when given)."""
    feature_cols = list(dict.fromkeys([*config.features, "risk_level", "prior_fails"]))
    query = sql.SQL(
        "select f.inspection_id, f.establishment_id, f.inspection_date, {features}, {labels} "
        "from marts.ml_features as f "
        "inner join marts.ml_labels as l on l.inspection_id = f.inspection_id "
        "where (%s::date is null or f.inspection_date < %s::date) "
        "order by f.inspection_date, f.inspection_id"
    ).format(
        features=sql.SQL(", ").join(sql.Identifier("f", c) for c in feature_cols),
        labels=sql.SQL(", ").join(sql.Identifier("l", c) for c in LABEL_COLUMNS),
    )
    frame = registry.read_frame(conn, query.as_string(conn), [until, until])
    get_run_logger().info("loaded %d labelled inspections", len(frame))
    if frame.empty:
        raise ValueError("marts.ml_features has no labelled rows: run ingest and transform first")
    ex.check_frame(frame, config)
    return frame


@task(cache_policy=NONE)
def cut_splits(frame: pd.DataFrame, config: ExperimentConfig, reports_dir: Path) -> list[Split]:
    data = ex.labelled(frame, config.label)
    splits = make_splits(data["inspection_date"], config.temporal)
    if not splits:
        raise ValueError("not enough labelled history for a single temporal split")
    plots.save_splits(splits, Path(reports_dir) / "splits.html")
    get_run_logger().info(
        "%d windows from %s to %s", len(splits), splits[0].test_start, splits[-1].test_end
    )
    return splits


@task(cache_policy=NONE)
def train_window(
    conn: psycopg.Connection,
    frame: pd.DataFrame,
    split: Split,
    config: ExperimentConfig,
    experiment_hash: str,
    artifacts_dir: Path,
    commit: str | None,
) -> list[dict[str, Any]]:
    """Train or reuse each model group on one window, evaluate, audit; evaluate the baselines."""
    logger = get_run_logger()
    results = ex.train_window(
        conn,
        frame,
        split,
        config,
        experiment_hash=experiment_hash,
        artifacts_dir=artifacts_dir,
        git_commit=commit,
    )
    baselines = ex.evaluate_baselines(conn, frame, split, config, experiment_hash=experiment_hash)
    key = ("precision@", config.selection.parameter)
    for r in results:
        logger.info(
            "window %s %-60s %s precision@%s=%.3f days_earlier=%.2f",
            split.name,
            r.group,
            "reused " if r.reused else "trained",
            config.selection.parameter,
            r.metrics.get(key, float("nan")),
            r.metrics.get(("days_earlier", ""), float("nan")),
        )
    for name, values in baselines.items():
        logger.info(
            "window %s baseline %s precision=%.3f", split.name, name, values.get(key, float("nan"))
        )
    return [
        {"model_id": r.model_id, "model_group_id": r.model_group_id, "reused": r.reused}
        for r in results
    ]


@task(cache_policy=NONE)
def choose_group(
    conn: psycopg.Connection, config: ExperimentConfig, experiment_hash: str
) -> list[selection.Choice]:
    evals = ex.evaluations_frame(conn, experiment_hash)
    sel = config.selection
    evals = evals[(evals["metric"] == sel.metric) & (evals["parameter"] == sel.parameter)]
    parity = ex.parity_frame(
        conn, experiment_hash, sel.fairness_metric, threshold_name(config.bias.top_k_percent)
    )
    choices = selection.select(evals, sel, parity)
    for c in choices:
        get_run_logger().info("rule %s chose %s: %s", c.rule, c.model_group_id[:12], c.reason)
    return choices


@task(cache_policy=NONE)
def deploy(
    conn: psycopg.Connection,
    frame: pd.DataFrame,
    config: ExperimentConfig,
    experiment_hash: str,
    choices: list[selection.Choice],
    artifacts_dir: Path,
    commit: str | None,
) -> str:
    """Retrain the primary rule's group on all labelled rows; record selections and deployment."""
    primary = next(c for c in choices if c.is_primary)
    spec = next(
        s
        for s in config.grid
        if registry.model_group_id(s, config.features, config.label) == primary.model_group_id
    )
    model_id, reused = ex.train_deployed(
        conn,
        frame,
        spec,
        config,
        experiment_hash=experiment_hash,
        artifacts_dir=artifacts_dir,
        git_commit=commit,
    )
    registry.prune_experiment(conn, experiment_hash, [model_id], "deployed")
    registry.write_selections(
        conn,
        experiment_hash,
        [
            {
                "model_group_id": c.model_group_id,
                "deployed_model_id": model_id if c.is_primary else None,
                "rule": c.rule,
                "metric": c.metric,
                "value": c.value,
                "reason": c.reason,
            }
            for c in choices
        ],
    )
    registry.record_deployment(
        conn, model_id, experiment_hash, primary.model_group_id, primary.rule
    )
    get_run_logger().info(
        "deployed %s (%s, %s)",
        model_id,
        spec.label(),
        "reused" if reused else "trained on all rows",
    )
    return model_id


@task(cache_policy=NONE)
def write_report(conn: psycopg.Connection, experiment_hash: str, reports_dir: Path) -> Path:
    return report.write_html(conn, Path(reports_dir) / "models.html", experiment_hash)


def _none_if_nan(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else round(f, 4)


@flow(name="train")
def train(
    experiment: str = "experiments/canvass.yaml",
    quick: bool = False,
    profile: str | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    """Train, evaluate, audit and select; deploy the chosen group. `quick` = profile 'quick'."""
    logger = get_run_logger()
    profile = profile or ("quick" if quick else None)
    config = load_config(experiment, profile)
    settings = get_settings()
    commit = git_commit()
    parameters = {"experiment": experiment, "profile": profile, "until": until}
    run_id = flow_run.get_id()
    with (
        connect(settings, autocommit=True) as conn,
        recorded_run(conn, "train", parameters, uuid.UUID(run_id) if run_id else None),
    ):
        frame = load_training_frame(conn, config, until)
        splits = cut_splits(frame, config, settings.reports_dir)
        experiment_hash = registry.register_experiment(conn, config)
        trained = reused = 0
        model_ids: list[str] = []
        for split in splits:
            for r in train_window(
                conn, frame, split, config, experiment_hash, settings.artifacts_dir, commit
            ):
                reused += r["reused"]
                trained += not r["reused"]
                model_ids.append(r["model_id"])
        registry.prune_experiment(
            conn, experiment_hash, model_ids, "cv", [s.test_start for s in splits]
        )
        choices = choose_group(conn, config, experiment_hash)
        model_id = deploy(
            conn, frame, config, experiment_hash, choices, settings.artifacts_dir, commit
        )
        report_path = write_report(conn, experiment_hash, settings.reports_dir)
        board = report.leaderboard(conn, experiment_hash)
    metric = f"{config.selection.metric}{config.selection.parameter}"
    primary = next(c for c in choices if c.is_primary)
    rows = []
    for rec in board.to_dict("records"):
        rows.append(
            {
                "kind": rec["kind"],
                "model_group_id": rec["model_group_id"] or rec["name"],
                "algorithm": rec["name"],
                "precision_at_10": _none_if_nan(rec.get("precision@10_pct")),
                metric: _none_if_nan(rec.get(metric)),
                "days_earlier": _none_if_nan(rec.get("days_earlier")),
            }
        )
    deployed_row = board[board["model_group_id"] == primary.model_group_id]
    summary = {
        "experiment_hash": experiment_hash,
        "windows": len(splits),
        "models_trained": trained,
        "models_reused": reused,
        "leaderboard": rows,
        "baselines": {r["algorithm"]: r[metric] for r in rows if r["kind"] == "baseline"},
        "selected_model_group_id": primary.model_group_id,
        "deployed_model_id": model_id,
        "selection_reason": f"{primary.rule}: {primary.reason}",
        "days_earlier": None
        if deployed_row.empty
        else _none_if_nan(deployed_row.iloc[0].get("days_earlier")),
        "report": str(report_path),
    }
    logger.info(
        "trained %d, reused %d models; deployed %s; report %s",
        trained,
        reused,
        model_id[:12],
        report_path,
    )
    return summary
