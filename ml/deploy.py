"""Choosing the model group to deploy, and deploying it.

`choose()` reads an experiment's cross-validation evaluations and parity shares from the registry
and applies the configured selection rules (`ml.selection`). `deploy()` retrains the primary rule's
group on every labelled row (or reuses that model when it is stored already), calibrates it on the
group's newest out-of-time window (`calibrate()`, `ml.calibration`), records the selections and
proposes the model as a version (`ml.governance`: promoted at once, or the challenger awaiting
approval, by the experiment's `promotion:`). `choose_and_deploy()` does both; the train flow
calls it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psycopg

from ml import calibration, experiment, governance, ids, registry, selection
from ml.bias import threshold_name
from ml.config import ExperimentConfig, GroupSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deployment:
    model_id: str  # the model the selection trained and proposed
    reused: bool
    spec: GroupSpec
    choices: tuple[selection.Choice, ...]
    calibration: calibration.Calibration | None = None
    version: int | None = None  # its version in ml.model_versions
    promoted: bool = True  # False: the challenger, waiting for `canvass models promote`
    champion_id: str | None = None  # the model that scores now (model_id when promoted)

    @property
    def primary(self) -> selection.Choice:
        return next(c for c in self.choices if c.is_primary)


def parity(
    conn: psycopg.Connection, config: ExperimentConfig, experiment_hash: str
) -> pd.DataFrame:
    """Per cross-validation model: the share of audited groups within the parity thresholds, for
    the configured fairness metric at the audit's threshold (what selection and the report use)."""
    return experiment.parity_frame(
        conn,
        experiment_hash,
        config.selection.fairness_metric,
        threshold_name(config.bias.top_k_percent),
    )


def choose(
    conn: psycopg.Connection, config: ExperimentConfig, experiment_hash: str
) -> list[selection.Choice]:
    """Apply every configured selection rule to the experiment's cross-validation results."""
    sel = config.selection
    evals = experiment.evaluations_frame(conn, experiment_hash)
    evals = evals[(evals["metric"] == sel.metric) & (evals["parameter"] == sel.parameter)]
    return selection.select(evals, sel, parity(conn, config, experiment_hash))


def group_spec(config: ExperimentConfig, model_group_id: str) -> GroupSpec:
    """The grid entry whose model group id is `model_group_id`."""
    for spec in config.grid:
        if ids.model_group_id(spec, config.features, config.label) == model_group_id:
            return spec
    raise KeyError(f"model group {model_group_id} is not in experiment {config.name}'s grid")


def deploy(
    conn: psycopg.Connection,
    frame: pd.DataFrame,
    config: ExperimentConfig,
    experiment_hash: str,
    choices: list[selection.Choice],
    *,
    artifacts_dir: Path,
    git_commit: str | None,
) -> Deployment:
    """Retrain the primary choice's group on all labelled rows; record selections and deployment."""
    primary = next(c for c in choices if c.is_primary)
    spec = group_spec(config, primary.model_group_id)
    model_id, reused = experiment.train_deployed(
        conn,
        frame,
        spec,
        config,
        experiment_hash=experiment_hash,
        artifacts_dir=artifacts_dir,
        git_commit=git_commit,
    )
    registry.prune_experiment(conn, experiment_hash, [model_id], "deployed")
    calibrated = calibrate(
        conn,
        model_id,
        experiment_hash,
        primary.model_group_id,
        config.monitoring.calibration,
        config.random_seed,
    )
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
    proposal = governance.propose(
        conn,
        model_id,
        experiment_hash,
        primary.model_group_id,
        primary.rule,
        governance.describe(primary.rule, primary.reason, config.label, spec.label()),
        {
            "experiment": config.name,
            "experiment_hash": experiment_hash,
            "algorithm": spec.algorithm,
            "label": config.label,
            "rule": primary.rule,
            "metric": primary.metric,
            "value": primary.value,
        },
        config.promotion,
    )
    return Deployment(
        model_id=model_id,
        reused=reused,
        spec=spec,
        choices=tuple(choices),
        calibration=calibrated,
        version=proposal.version,
        promoted=proposal.promoted,
        champion_id=proposal.champion_id,
    )


def calibrate(
    conn: psycopg.Connection,
    model_id: str,
    experiment_hash: str,
    model_group_id: str,
    method: str,
    seed: int,
) -> calibration.Calibration | None:
    """Fit and record the deployed model's score-to-probability map on its group's newest
    cross-validation window (a model trained only on what came before it); None, with a warning,
    when that window cannot calibrate (too few rows, or one outcome only)."""
    fitted_on, rows = registry.newest_window_predictions(conn, experiment_hash, model_group_id)
    if fitted_on is None:
        log.warning("model %s is not calibrated: its group has no test window", model_id[:12])
        return None
    try:
        found = calibration.fit(rows["score"], rows["label"], method, seed=seed)
    except ValueError as err:
        log.warning("model %s is not calibrated: %s", model_id[:12], err)
        return None
    registry.write_calibration(conn, model_id, fitted_on, found)
    return found


def choose_and_deploy(
    conn: psycopg.Connection,
    frame: pd.DataFrame,
    config: ExperimentConfig,
    experiment_hash: str,
    *,
    artifacts_dir: Path,
    git_commit: str | None,
) -> Deployment:
    """`choose()`, then `deploy()` the primary rule's choice."""
    choices = choose(conn, config, experiment_hash)
    return deploy(
        conn,
        frame,
        config,
        experiment_hash,
        choices,
        artifacts_dir=artifacts_dir,
        git_commit=git_commit,
    )
