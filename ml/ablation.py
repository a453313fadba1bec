"""What each feature group buys: the experiment's feature groups added in turn, one model, both labels.

`canvass ablation` trains the ablation's model (the experiment's `ablation.model`, by default its
first gradient-boosting entry) on the experiment's monthly windows once per step, each step adding
its feature groups (`ablation.steps`, names of the catalogue's `feature_group`s) to the ones
before, and reports the mean over the windows of precision at 10%, ROC AUC and days earlier for
each label. Labels whose value is unknown (a fail without violation text or counts, for
`has_critical_violation`) are left out of that label's windows, never counted as false. Results go
to `ml.ablations`, one row per run, label and step; `canvass models` shows the latest.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg

from ml import features as catalogue
from ml import metrics, pipeline
from ml.config import ConfigError, ExperimentConfig, GroupSpec
from ml.experiment import labelled, single_threaded
from ml.splits import check_no_leakage, make_splits

log = logging.getLogger(__name__)

PRECISION_AT = 10.0


@dataclass(frozen=True)
class Step:
    name: str
    groups: tuple[str, ...]  # the catalogue groups this step adds
    categorical: tuple[str, ...]  # every feature up to and including this step
    numeric: tuple[str, ...]


def ablation_model(config: ExperimentConfig) -> GroupSpec:
    """The ablation's model: the configured one, else the grid's first gradient-boosting entry,
    else its first entry."""
    wanted = config.ablation.model
    if wanted is not None:
        matches = [g for g in config.grid if wanted in (g.class_path, g.algorithm)]
        if not matches:
            raise ConfigError(f"ablation.model: {wanted!r} is not an entry of the grid")
        return matches[0]
    boosted = [g for g in config.grid if "GradientBoosting" in g.algorithm]
    return (boosted or list(config.grid))[0]


def steps(config: ExperimentConfig) -> list[Step]:
    """The cumulative feature sets, limited to the experiment's own features; a step that adds no
    feature the experiment uses is left out (and logged)."""
    by_name = catalogue.by_name()
    used = set(config.features)
    out: list[Step] = []
    groups: list[str] = []
    for name, added in config.ablation.steps:
        groups += list(added)
        chosen = [f for f in config.features if by_name[f].feature_group in groups]
        new = [f for f in chosen if by_name[f].feature_group in added and f in used]
        if not new:
            log.info("ablation step %s adds no feature of the experiment: skipped", name)
            continue
        out.append(
            Step(
                name=name,
                groups=tuple(added),
                categorical=tuple(f for f in chosen if f in config.categorical),
                numeric=tuple(f for f in chosen if f in config.numeric),
            )
        )
    return out


def ablate(
    frame: pd.DataFrame,
    config: ExperimentConfig,
    progress: Callable[[str], None] = log.info,
) -> pd.DataFrame:
    """One row per label and step: the mean over the windows of precision@10%, ROC AUC and days
    earlier, the windows and test rows it was measured on, and the change from the step before."""
    spec = ablation_model(config)
    rows = []
    for label in config.ablation.labels:
        data = labelled(frame, label)
        splits = make_splits(data["inspection_date"], config.temporal)
        if not splits:
            progress(f"{label}: no window with both training and test rows; skipped")
            continue
        for order, step in enumerate(steps(config)):
            features = [*step.categorical, *step.numeric]
            per_window = []
            for split in splits:
                train = data[split.train_mask(data["inspection_date"])]
                test = data[split.test_mask(data["inspection_date"])]
                check_no_leakage(split, train["inspection_date"], test["inspection_date"])
                if train[label].nunique() < 2 or test.empty:
                    continue
                pipe = pipeline.build_pipeline(
                    spec.class_path,
                    spec.params,
                    step.categorical,
                    step.numeric,
                    config.random_seed,
                )
                with single_threaded():
                    pipe.fit(train[features], train[label])
                    scores = pipeline.predict_scores(pipe, test[features])
                labels = test[label].to_numpy()
                dates = test["inspection_date"]
                per_window.append(
                    (
                        metrics.precision_at_k(labels, scores, PRECISION_AT),
                        metrics.roc_auc(labels, scores),
                        metrics.days_earlier(dates, labels, scores),
                        len(test),
                    )
                )
            values = np.array([w[:3] for w in per_window], dtype=float)
            mean = np.nanmean(values, axis=0) if len(values) else [np.nan] * 3
            rows.append(
                {
                    "label": label,
                    "step_order": order,
                    "step": step.name,
                    "groups": list(step.groups),
                    "n_features": len(features),
                    "windows": len(per_window),
                    "test_rows": int(sum(w[3] for w in per_window)),
                    "precision_at_10_pct": float(mean[0]),
                    "roc_auc": float(mean[1]),
                    "days_earlier": float(mean[2]),
                }
            )
            progress(
                f"{label} + {step.name}: precision@10% {mean[0]:.3f}, AUC {mean[1]:.3f}, "
                f"days earlier {mean[2]:.2f} ({len(per_window)} windows, {len(features)} features)"
            )
    out = pd.DataFrame(rows)
    if not out.empty:
        for metric in ("precision_at_10_pct", "roc_auc", "days_earlier"):
            out[f"{metric}_change"] = out.groupby("label")[metric].diff()
    return out


def record(
    conn: psycopg.Connection,
    table: pd.DataFrame,
    config: ExperimentConfig,
    until: str | None,
) -> uuid.UUID:
    """Keep one ablation run in ml.ablations (one transaction)."""
    run_id = uuid.uuid4()
    spec = ablation_model(config)
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            """
            insert into ml.ablations (
                ablation_id, experiment_hash, model, data_until, label, step_order, step,
                feature_groups, n_features, windows, test_rows, precision_at_10_pct, roc_auc,
                days_earlier
            ) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            """,
            [
                (
                    run_id,
                    config.hash,
                    spec.label(),
                    until,
                    r.label,
                    r.step_order,
                    r.step,
                    json.dumps(r.groups),
                    r.n_features,
                    r.windows,
                    r.test_rows,
                    _num(r.precision_at_10_pct),
                    _num(r.roc_auc),
                    _num(r.days_earlier),
                )
                for r in table.itertuples()
            ],
        )
    return run_id


def latest(conn: psycopg.Connection) -> pd.DataFrame:
    """The latest ablation run's rows, by label and step (empty when none ran)."""
    cur = conn.execute(
        """
        select label, step, feature_groups, n_features, windows, test_rows, precision_at_10_pct,
               roc_auc, days_earlier, model, data_until, ran_at
        from ml.ablations
        where ablation_id = (select ablation_id from ml.ablations order by ran_at desc limit 1)
        order by label desc, step_order
        """
    )
    return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def _num(value: float) -> float | None:
    return None if value is None or np.isnan(value) else float(value)
