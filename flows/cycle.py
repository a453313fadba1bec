"""Flows `week` and `replay`: the production cycle, one week at a time.

`week(as_of)`: load what arrived up to `as_of`, build the warehouse as of that day, let the
retraining policy (`ml/retraining.py`) decide whether to retrain, score, monitor. The decision and
its reason go to `monitoring.retraining_decisions`. It is what `canvass schedule` runs every
Monday (as of that Monday, loading the week before).

`replay(source, start, end, every_days)`: walks history as production would have lived it, one
`week` per step: each step loads only the source's rows dated before its day (the first step
everything before `start`), so models, scores and monitoring see only what was known then. A
replay re-run over the same range gives the same scores, drift and performance rows (loads are
idempotent, models reused, monitoring replaced per scoring run).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from prefect import flow, get_run_logger, task

from flows.ingest import (
    SOCRATA_URL,
    WEEKLY_CRON,
    default_other_sources,
    ingest,
    ingest_others,
    previous_week,
)
from flows.monitor import MONITORING, monitor
from flows.progress import PROGRESS
from flows.score import score
from flows.sources.demo import DEMO_ESTABLISHMENTS, DEMO_SEED
from flows.tracking import tracked_run
from flows.train import default_experiment, train
from flows.transform import CODE_ONLY, DELIVERY, WHOLE_TABLE, transform
from ml import observe, retraining
from ml.config import load_experiment
from warehouse.db import connect

# What a week (or a replay, once at its end) publishes for the apps, after score and monitor.
PUBLISH = f"{DELIVERY} {MONITORING}"
# What the week's build leaves out: what it publishes later, the tests that re-scan whole tables
# and the tests of the code alone (full builds and CI run those).
WEEKLY_EXCLUDE = f"{PUBLISH} {WHOLE_TABLE} {CODE_ONLY}"


@task
def decide(as_of: date, experiment: str, quick: bool) -> dict[str, Any]:
    """The retraining policy's decision as of `as_of`, recorded with its reason."""
    config = load_experiment(experiment, "quick" if quick else None)
    with connect(autocommit=True) as conn:
        inputs = observe.retraining_inputs(conn, as_of, config.retraining.gap_cut)
        decision = retraining.decide(
            config.retraining,
            as_of,
            inputs["trained_until"],
            inputs["drift_alerts"],
            inputs["precision_gap"],
            inputs["inspected"],
            inputs["estimate_gap"],
            inputs["estimate_alert"],
        )
        observe.write_decision(conn, as_of, inputs["deployed_model_id"], decision)
    get_run_logger().info(
        "as of %s: %s (%s)",
        as_of,
        "retrain" if decision.retrain else "keep the model",
        decision.reason,
        extra=PROGRESS,
    )
    return {"retrain": decision.retrain, "reason": decision.reason, **inputs}


@task
def record_trained(as_of: date, model_id: str) -> None:
    with connect(autocommit=True) as conn:
        conn.execute(
            "update monitoring.retraining_decisions set trained_model_id = %s "
            "where as_of_date = %s",
            [model_id, as_of],
        )


@flow(name="week")
def week(
    as_of: date | None = None,
    source: str = SOCRATA_URL,
    since: date | None = None,
    experiment: str | None = None,
    quick: bool = False,
    publish: bool = True,
    other_sources: dict[str, str] | None = None,
    demo_establishments: int = DEMO_ESTABLISHMENTS,
    demo_seed: int = DEMO_SEED,
) -> dict[str, Any]:
    """One production week as of `as_of` (default: this Monday, loading the week before): ingest
    [since, as_of) of the inspections and the other datasets (`other_sources`, default
    `flows.ingest.default_other_sources`), build (less `WEEKLY_EXCLUDE`), decide, (re)train,
    score, monitor, then publish the delivery and monitoring marts in one build."""
    if as_of is None:
        since, as_of = previous_week(datetime.now(UTC).date())
    experiment = str(experiment or default_experiment())
    parameters = {"as_of": as_of, "source": source, "since": since, "quick": quick}
    # Recorded in meta.flow_runs as `week`: the frequency SLA counts it as a pipeline run.
    with connect(autocommit=True) as conn, tracked_run(conn, "week", parameters):
        loaded = ingest(source=source, since=since, until=as_of)
        others = default_other_sources(source) if other_sources is None else other_sources
        ingest_others(
            others,
            since=since,
            until=as_of,
            demo_establishments=demo_establishments,
            demo_seed=demo_seed,
        )
        built = transform(as_of_date=as_of, exclude=WEEKLY_EXCLUDE)
        decision = decide(as_of, experiment, quick)
        trained = None
        if decision["retrain"]:
            trained = train(experiment=experiment, quick=quick, until=as_of)
            record_trained(as_of, trained["proposed_model_id"])
        scored = score(as_of_date=as_of, publish=False)
        watched = monitor(as_of=as_of, experiment=experiment, publish=False)
        # one dbt build publishes both layers (one dbt start-up instead of two)
        published = transform(select=PUBLISH) if publish else None
    return {
        "as_of": as_of,
        "ingest": loaded,
        "transform": built,
        "decision": decision,
        "train": trained,
        "score": scored,
        "monitor": watched,
        "publish": published,
    }


def weekly_deployment(source: str = SOCRATA_URL):  # noqa: ANN201 (Prefect's RunnerDeployment)
    """The weekly cycle as a Prefect deployment, defined in code (`canvass schedule`)."""
    return week.to_deployment(
        name="weekly",
        cron=WEEKLY_CRON,
        parameters={"source": source},
        description="Every Monday: load the previous week, build, apply the retraining policy, "
        "score and monitor.",
    )


def replay_days(start: date, end: date, every_days: int) -> list[date]:
    """The replay's as-of days: `start`, then every `every_days` while not after `end`."""
    if every_days < 1:
        raise ValueError(f"every_days must be at least 1, got {every_days}")
    if end < start:
        raise ValueError(f"the replay ends ({end}) before it starts ({start})")
    days, day = [], start
    while day <= end:
        days.append(day)
        day += timedelta(days=every_days)
    return days


@flow(name="replay")
def replay(
    source: str,
    start: date,
    end: date,
    every_days: int = 7,
    experiment: str | None = None,
    quick: bool = False,
    other_sources: dict[str, str] | None = None,
    demo_establishments: int = DEMO_ESTABLISHMENTS,
    demo_seed: int = DEMO_SEED,
) -> dict[str, Any]:
    """Walk [start, end] every `every_days` as production would have; publish the marts once."""
    logger = get_run_logger()
    days = replay_days(start, end, every_days)
    weeks = []
    for i, day in enumerate(days):
        logger.info("replay %d/%d: as of %s", i + 1, len(days), day, extra=PROGRESS)
        weeks.append(
            week(
                as_of=day,
                source=source,
                since=days[i - 1] if i else None,
                experiment=experiment,
                quick=quick,
                publish=False,
                other_sources=other_sources,
                demo_establishments=demo_establishments,
                demo_seed=demo_seed,
            )
        )
    transform(select=PUBLISH)
    return {
        "days": days,
        "retrained": [w["as_of"] for w in weeks if w["decision"]["retrain"]],
        "drift_alerts": sum(w["monitor"]["drift_alerts"] for w in weeks),
        "breaches": sum(w["monitor"]["breaches"] for w in weeks),
        "weeks": weeks,
    }
