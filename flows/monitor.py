"""Flow `monitor`: the product watching itself after every scoring run.

For the newest scoring run: drift of the deployed model's inputs and score against its training
rows and the previous run (`ml.observe.drift`); for every scoring run with labels new since it was
last monitored: realised precision so far beside what cross-validation promised and what the
calibrated probabilities expected (`ml.observe.performance`), and the bias audit on its outcomes;
then the SLAs of `slas.yml`
(`warehouse.slas`) and `dbt source freshness`. Results go to the `monitoring` schema, idempotently per scoring run and per
monitor run; the delivery marts over them are rebuilt. A breach, a drift alert or a realised
precision beyond the estimate gap's alert is logged as a Prefect warning, shown as a Prefect
artifact, and POSTed as JSON to `CANVASS_ALERT_WEBHOOK` when it is set.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import httpx
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from flows.tracking import tracked_run
from flows.train import default_experiment
from flows.transform import transform
from ml import observe
from ml.config import load_experiment
from warehouse import archives, batches, dbt, slas
from warehouse.db import connect
from warehouse.settings import get_settings

# The monitoring layer: its staging views and the marts the API and dashboard read, with the ml
# staging views fct_realised_fairness reads (and the one their tests join) and the dbt trend
# (fct_dbt_runs over meta, with its staging views), so the monitor
# publishes even on a warehouse whose other layers were built before those views existed.
MONITORING = (
    "source:monitoring+ stg_ml__models stg_ml__model_groups stg_ml__bias_audits +fct_dbt_runs"
)


def default_slas() -> Path:
    return get_settings().project_dir / "slas.yml"


def clock_for(as_of: date | None) -> datetime:
    """The monitor's clock: midnight UTC of `as_of` (a replay's week), else now."""
    return datetime.combine(as_of, time(), UTC) if as_of else datetime.now(UTC)


@task
def watch_model(run_id: str, experiment: str, as_of: date | None) -> dict[str, Any]:
    """Drift of the newest scoring run, and realised performance of every run so far."""
    config = load_experiment(experiment)
    monitor_run = uuid.UUID(run_id)
    with connect(autocommit=True) as conn:
        latest = observe.latest_run(conn, as_of)
        if latest is None:
            return {
                "scoring_run": None,
                "drift_alerts": 0,
                "drift_warnings": 0,
                "training_shift_alerts": 0,
                "drifted": [],
                "estimate_alerts": [],
                "runs": 0,
            }
        ranking = archives.archived_ranking(conn, latest.model_id, latest.as_of_date)
        previous = archives.previous_archive(conn, latest.as_of_date)
        before = archives.archived_ranking(conn, *previous) if previous else None
        found = observe.drift(
            conn, latest, config.monitoring, ranking, before, previous[0] if previous else None
        )
        observe.write_drift(conn, monitor_run, latest, found)
        runs = observe.scoring_runs(conn, as_of)
        estimate_alerts: list[dict[str, Any]] = []
        for run in runs:
            # A past run with no new label since it was last monitored has nothing new to say.
            seen = observe.labels_seen(conn, run, as_of)
            if run != latest and observe.monitored_labels(conn, run) == seen:
                continue
            perf = observe.performance(
                conn,
                run,
                list(config.top_k_percent),
                config.daily_capacity,
                until=as_of,
                thresholds=config.monitoring,
                seen=seen,
            )
            observe.write_performance(conn, monitor_run, run, perf)
            estimate_alerts += observe.estimate_alerts(run, perf)
            # audited on every inspected establishment of the ranking, in the list or not: the
            # failures the list left out are what its false-negative rate is about
            archived = archives.archived_ranking(conn, run.model_id, run.as_of_date)
            if archived is not None:
                audited = observe.fairness(conn, run, config.bias, archived, until=as_of)
                observe.write_fairness(conn, monitor_run, run, audited)

    # The run's alerts are those against the previous run (the same population, a week apart);
    # against the training rows, features of time since an event differ by construction (rows at
    # inspection dates against a cohort at one as-of date), so they are reported, not alerted on.
    def count(comparison: str, status: str) -> int:
        if not len(found):
            return 0
        return int(((found["comparison"] == comparison) & (found["status"] == status)).sum())

    return {
        "scoring_run": {"model_id": latest.model_id, "as_of_date": latest.as_of_date},
        "drift_alerts": count("previous_run", "alert"),
        "drift_warnings": count("previous_run", "warn"),
        "training_shift_alerts": count("training", "alert"),
        "drifted": sorted(
            r.feature
            for r in found.itertuples()
            if r.status == "alert" and r.comparison == "previous_run"
        )
        if len(found)
        else [],
        # realised precision further from the calibrated expectation than the alert threshold
        "estimate_alerts": estimate_alerts,
        "runs": len(runs),
    }


@task
def check_slas(run_id: str, sla_file: str, as_of: date | None) -> list[slas.SlaResult]:
    declared = slas.load_slas(sla_file)
    clock = clock_for(as_of)
    with connect(autocommit=True) as conn:
        results = slas.evaluate(conn, declared, clock)
        slas.write_checks(conn, uuid.UUID(run_id), results, clock)
    return results


@task
def check_source_freshness() -> list[dict[str, Any]]:
    """`dbt source freshness`, its results kept in meta beside the dbt builds' (a stale source
    is a finding of the monitor, never a failure of it). Only the datasets this warehouse loads
    are checked, with the batches' own table: a source never loaded has no age to judge."""
    with connect() as conn:
        loaded = batches.loaded_datasets(conn)
    sources = [d.dbt_source for d in loaded]
    invocation = dbt.source_freshness([*sources, "meta.ingest_batches"])
    run_id = flow_run.get_id()
    with connect() as conn:
        dbt.record_invocation(conn, invocation, uuid.UUID(run_id) if run_id else None)
    if invocation.run_results is None:
        get_run_logger().warning(
            "dbt source freshness gave no results: %s", invocation.error or "see the dbt log"
        )
    return [
        {
            "source": r["unique_id"].removeprefix("source.canvass."),
            "status": r["status"],
            "detail": dbt.freshness_message(r),
        }
        for r in invocation.results
    ]


def board_markdown(results: list[slas.SlaResult], model: dict[str, Any]) -> str:
    lines = ["# Canvass monitor", "", "| SLA | value | threshold | status | measured on |"]
    lines.append("| --- | ---: | ---: | --- | --- |")
    for r in results:
        value = "" if r.value is None else f"{r.value:g} {r.unit}"
        mark = {"ok": "ok", "breach": "**BREACH**", "unknown": "unknown"}[r.status]
        bound = "≥" if not r.upper else "≤"
        lines.append(
            f"| {r.name} | {value} | {bound} {r.threshold:g} {r.unit} | {mark} | {r.detail} |"
        )
    freshness = model.get("source_freshness", [])
    if freshness:
        lines += ["", "## dbt source freshness", "", "| source | status | detail |"]
        lines.append("| --- | --- | --- |")
        lines += [f"| {f['source']} | {f['status']} | {f['detail']} |" for f in freshness]
    run = model.get("scoring_run")
    lines += ["", "## Drift of the deployed model's inputs"]
    if run is None:
        lines.append("No scoring run yet.")
    else:
        lines.append(
            f"Scoring run of {run['as_of_date']} (model {run['model_id'][:12]}) against the "
            f"previous run: {model['drift_alerts']} alert(s), {model['drift_warnings']} "
            f"warning(s); against the training rows: {model['training_shift_alerts']} shift(s)."
        )
        if model["drifted"]:
            lines.append("Alerts: " + ", ".join(model["drifted"]))
    if model.get("estimate_alerts"):
        lines += ["", "## Realised precision far from the calibrated expectation"]
        lines += [
            f"- run of {a['as_of_date']}, {a['cut']}: realised {a['realised_precision']:.3f}, "
            f"expected {a['expected_precision']:.3f} ({a['inspected']} inspected)"
            for a in model["estimate_alerts"]
        ]
    return "\n".join(lines)


def alert_payload(
    run_id: str,
    clock: datetime,
    status: str,
    breaches: list[slas.SlaResult],
    model: dict[str, Any],
) -> dict[str, Any] | None:
    """What the webhook receives: the breaches, drift alerts and estimate alerts; None when there
    is nothing to say."""
    if not (breaches or model["drift_alerts"] or model["estimate_alerts"]):
        return None
    return {
        "product": "canvass",
        "monitor_run_id": run_id,
        "clock": clock.isoformat(),
        "status": status,
        "breaches": [
            {
                "sla": r.name,
                "value": r.value,
                "threshold": r.threshold,
                "unit": r.unit,
                "detail": r.detail,
            }
            for r in breaches
        ],
        "drift_alerts": model["drifted"],
        "estimate_alerts": model["estimate_alerts"],
    }


def post_alert(url: str, payload: dict[str, Any]) -> None:
    """POST the breaches as JSON; a webhook that fails is logged, never fatal to the run."""
    try:
        httpx.post(url, json=payload, timeout=10).raise_for_status()
    except httpx.HTTPError as err:
        get_run_logger().warning("alert webhook %s failed: %s", url, err)


@flow(name="monitor")
def monitor(
    as_of: date | None = None,
    experiment: str | None = None,
    sla_file: str | None = None,
    publish: bool = True,
) -> dict[str, Any]:
    """Watch the data, the model and the pipeline; returns the SLA board and the drift summary."""
    logger = get_run_logger()
    parameters = {"as_of": as_of, "experiment": experiment, "sla_file": sla_file}
    clock = clock_for(as_of)
    with connect(autocommit=True) as conn, tracked_run(conn, "monitor", parameters) as run_id:
        conn.execute(
            "insert into monitoring.runs (monitor_run_id, clock) values (%s, %s) "
            "on conflict (monitor_run_id) do update set clock = excluded.clock",
            [run_id, clock],
        )
        model = watch_model(str(run_id), str(experiment or default_experiment()), as_of)
        results = check_slas(str(run_id), str(sla_file or default_slas()), as_of)
        model["source_freshness"] = check_source_freshness()
        breaches = [r for r in results if r.breached]
        status = (
            "breach"
            if breaches
            else "alert"
            if model["drift_alerts"] or model["estimate_alerts"]
            else "warn"
            if model["drift_warnings"]
            else "ok"
        )
        scoring_run = model["scoring_run"] or {}
        conn.execute(
            "update monitoring.runs set finished_at = clock_timestamp(), status = %s, "
            "as_of_date = %s, model_id = %s where monitor_run_id = %s",
            [status, scoring_run.get("as_of_date"), scoring_run.get("model_id"), run_id],
        )
        if publish:
            transform(select=MONITORING)
    for r in breaches:
        logger.warning(
            "SLA breached: %s = %s %s (threshold %s)", r.name, r.value, r.unit, r.threshold
        )
    if model["drift_alerts"]:
        logger.warning("drift alerts: %s", ", ".join(model["drifted"]))
    for a in model["estimate_alerts"]:
        logger.warning(
            "realised precision of the run of %s at %s is %.3f, the calibrated probabilities "
            "expected %.3f",
            a["as_of_date"],
            a["cut"],
            a["realised_precision"],
            a["expected_precision"],
        )
    create_markdown_artifact(
        markdown=board_markdown(results, model),
        key="canvass-monitor",
        description="SLA board and drift summary of this monitor run",
    )
    webhook = os.environ.get("CANVASS_ALERT_WEBHOOK")
    payload = alert_payload(str(run_id), clock, status, breaches, model)
    if webhook and payload is not None:
        post_alert(webhook, payload)
    return {
        "monitor_run_id": str(run_id),
        "status": status,
        "slas": [r.__dict__ for r in results],
        "breaches": len(breaches),
        **model,
    }
