"""Flow `train`: temporal cross-validation of the model grid, bias audit, selection, deployment.

Tasks are thin wrappers over `ml/`, each opening its own connection and receiving plain values:
load the labelled feature rows (`ml.frames`), cut the temporal splits, train (or reuse) every model
group on every window with its baselines (`ml.experiment`), choose a group by the configured rules
under the fairness constraint and deploy it (`ml.deploy`), and write the report and summary
(`ml.report`). Models already in the registry with an intact artifact are reused, so re-running with
the same config and data trains nothing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NONE
from prefect.states import State

from flows.tracking import tracked_run
from ml import deploy as deployment
from ml import experiment as ex
from ml import frames, plots, registry, report
from ml.config import ExperimentConfig, load_experiment
from ml.frames import FrameError
from ml.splits import Split, make_splits
from warehouse.db import connect
from warehouse.runs import git_commit
from warehouse.settings import get_settings


def default_experiment() -> Path:
    """The experiment every flow runs unless told otherwise: experiments/canvass.yaml."""
    return get_settings().project_dir / "experiments" / "canvass.yaml"


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


def retry_unless_nothing_to_train(task: object, task_run: object, state: State) -> bool:
    """Retry a failed read (a warehouse restarting), not an empty frame: it would fail again,
    ten seconds later."""
    return not isinstance(state.data, FrameError)


@task(
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=retry_unless_nothing_to_train,
    cache_policy=NONE,
)
def load_training_frame(config: ExperimentConfig, until: date | None) -> pd.DataFrame:
    """marts.ml_features joined to marts.ml_labels (inspections before `until` when given)."""
    with connect(autocommit=True) as conn:
        frame = frames.training_frame(conn, config, until)
    ex.check_frame(frame, config)
    get_run_logger().info("loaded %d labelled inspections", len(frame))
    return frame


@task(cache_policy=NONE)
def cut_splits(frame: pd.DataFrame, config: ExperimentConfig, reports_dir: Path) -> list[Split]:
    data = ex.labelled(frame, config.label)
    splits = make_splits(data["inspection_date"], config.temporal)
    if not splits:
        first, last = data["inspection_date"].min(), data["inspection_date"].max()
        raise FrameError(
            f"not enough labelled history for a single temporal split: {len(data):,} labelled "
            f"inspections from {first} to {last}, and each window needs rows before it and "
            f"{config.temporal.test_window_months} whole month(s) to test on"
        )
    plots.save_splits(splits, Path(reports_dir) / "splits.html")
    get_run_logger().info(
        "%d windows from %s to %s", len(splits), splits[0].test_start, splits[-1].test_end
    )
    return splits


@task(cache_policy=NONE)
def register(config: ExperimentConfig) -> str:
    with connect(autocommit=True) as conn:
        return registry.register_experiment(conn, config)


@task(cache_policy=NONE)
def train_window(
    frame: pd.DataFrame,
    split: Split,
    config: ExperimentConfig,
    experiment_hash: str,
    artifacts_dir: Path,
    commit: str | None,
) -> list[ex.ModelResult]:
    """Train or reuse each model group on one window, evaluate, audit; evaluate the baselines."""
    logger = get_run_logger()
    with connect(autocommit=True) as conn:
        results = ex.train_window(
            conn,
            frame,
            split,
            config,
            experiment_hash=experiment_hash,
            artifacts_dir=artifacts_dir,
            git_commit=commit,
        )
        baselines = ex.evaluate_baselines(
            conn, frame, split, config, experiment_hash=experiment_hash
        )
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
    return results


@task(cache_policy=NONE)
def keep_windows(experiment_hash: str, model_ids: list[str], splits: list[Split]) -> None:
    """The experiment now describes this run's windows only (older links are dropped)."""
    with connect(autocommit=True) as conn:
        registry.prune_experiment(
            conn, experiment_hash, model_ids, "cv", [s.test_start for s in splits]
        )


@task(cache_policy=NONE)
def choose_and_deploy(
    frame: pd.DataFrame,
    config: ExperimentConfig,
    experiment_hash: str,
    artifacts_dir: Path,
    commit: str | None,
) -> deployment.Deployment:
    """Select a group by the configured rules; retrain it on all labelled rows and deploy it."""
    logger = get_run_logger()
    with connect(autocommit=True) as conn:
        deployed = deployment.choose_and_deploy(
            conn, frame, config, experiment_hash, artifacts_dir=artifacts_dir, git_commit=commit
        )
    for c in deployed.choices:
        logger.info("rule %s chose %s: %s", c.rule, c.model_group_id[:12], c.reason)
    logger.info(
        "%s %s, version %s (%s, %s)",
        "deployed" if deployed.promoted else "proposed as the challenger (promotion: manual)",
        deployed.model_id,
        deployed.version,
        deployed.spec.label(),
        "reused" if deployed.reused else "trained on all rows",
    )
    c = deployed.calibration
    if c is not None:
        logger.info(
            "calibrated (%s, on %d out-of-time rows): expected calibration error %.3f -> %.3f, "
            "Brier %.3f -> %.3f",
            c.method,
            c.rows,
            c.ece_before,
            c.ece_after,
            c.brier_before,
            c.brier_after,
        )
    return deployed


@task(cache_policy=NONE)
def write_report(
    experiment_hash: str, deployed: deployment.Deployment, reports_dir: Path, **counts: int
) -> dict[str, Any]:
    """The HTML report, and the summary the CLI prints."""
    with connect(autocommit=True) as conn:
        path = report.write_html(conn, Path(reports_dir) / "models.html", experiment_hash)
        return report.training_summary(conn, experiment_hash, deployed, path, **counts)


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
    with (
        connect(settings, autocommit=True) as conn,
        tracked_run(conn, "train", parameters),
    ):
        frame = load_training_frame(config, until)
        splits = cut_splits(frame, config, settings.reports_dir)
        experiment_hash = register(config)
        results = [
            r
            for split in splits
            for r in train_window(
                frame, split, config, experiment_hash, settings.artifacts_dir, commit
            )
        ]
        keep_windows(experiment_hash, [r.model_id for r in results], splits)
        deployed = choose_and_deploy(frame, config, experiment_hash, settings.artifacts_dir, commit)
        reused = sum(r.reused for r in results)
        summary = write_report(
            experiment_hash,
            deployed,
            settings.reports_dir,
            windows=len(splits),
            models_trained=len(results) - reused,
            models_reused=reused,
        )
    logger.info(
        "trained %d, reused %d models; deployed %s; report %s",
        summary["models_trained"],
        summary["models_reused"],
        deployed.model_id[:12],
        summary["report"],
    )
    create_table_artifact(
        key="canvass-leaderboard",
        table=summary.get("leaderboard", []),
        description=f"Models and baselines averaged over the test windows; deployed "
        f"{deployed.model_id[:12]} ({summary.get('selection_reason', '')})",
    )
    return summary
