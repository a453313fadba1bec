"""`/monitoring`: the SLA board, drift of the deployed model's inputs, realised performance."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from api import queries
from api.deps import ReaderConnection
from api.routers.establishments import EARLIEST_DATE, rounded
from api.schemas import (
    DriftReport,
    DriftStatistic,
    PerformanceCut,
    PerformanceHistory,
    SlaBoard,
    SlaCheck,
)

router = APIRouter(prefix="/monitoring", tags=["monitoring"])


@router.get("/slas", response_model=SlaBoard, summary="The SLA board of the newest monitor run")
def sla_board(conn: ReaderConnection) -> SlaBoard:
    """Every SLA of slas.yml with its value, threshold and status, as the newest monitor run
    measured them (`canvass monitor` writes them)."""
    rows = conn.execute(queries.SLA_BOARD).fetchall()
    checks = [
        SlaCheck(
            name=r["sla_name"],
            kind=r["sla_kind"],
            status=r["sla_status"],
            value=rounded(r["measured_value"]),
            threshold=r["threshold_value"],
            unit=r["unit"],
            detail=r["detail"] or "",
            measured_as_of=r["measured_as_of"],
        )
        for r in rows
    ]
    return SlaBoard(
        status=rows[0]["monitor_status"] if rows else "not_monitored",
        monitored_at=rows[0]["monitored_at"] if rows else None,
        breaches=sum(c.status == "breach" for c in checks),
        checks=checks,
    )


@router.get("/drift", response_model=DriftReport, summary="Drift of a scoring run's inputs")
def drift(
    conn: ReaderConnection,
    as_of: Annotated[
        date | None,
        Query(
            description="A monitored scoring run's as-of date (default: the newest).",
            ge=EARLIEST_DATE,
        ),
    ] = None,
) -> DriftReport:
    """PSI, KS, Jensen–Shannon distance and the change in missing values of each feature of the
    deployed model (and PSI of its score), against its training rows and the previous run. An
    empty report when that run was not monitored."""
    rows = conn.execute(queries.DRIFT, {"as_of": as_of}).fetchall()
    statistics = [
        DriftStatistic(
            feature=r["feature"],
            comparison=r["comparison"],
            statistic=r["statistic"],
            value=rounded(r["statistic_value"]),
            warn_at=r["warn_at"],
            alert_at=r["alert_at"],
            status=r["drift_status"],
            detail=r["detail"] or "",
        )
        for r in rows
    ]
    return DriftReport(
        as_of_date=rows[0]["as_of_date"] if rows else as_of,
        model_id=rows[0]["model_id"] if rows else None,
        alerts=sum(s.status == "alert" for s in statistics),
        warnings=sum(s.status == "warn" for s in statistics),
        statistics=statistics,
    )


@router.get(
    "/performance",
    response_model=PerformanceHistory,
    summary="Realised against expected precision of past rankings",
)
def performance(
    conn: ReaderConnection,
    limit: Annotated[
        int, Query(ge=1, le=1000, description="How many rows, newest run first.")
    ] = 100,
) -> PerformanceHistory:
    """For each scoring run and cut (top k%, the daily capacity): how many of the ranked have
    been inspected since, how many failed, and the realised precision beside what
    cross-validation promised and what the calibrated probabilities let us expect (known before
    any label). Labels arrive late: read `inspected` before `realised_precision`."""
    rows = conn.execute(queries.PERFORMANCE, {"limit": limit}).fetchall()
    return PerformanceHistory(
        runs=[
            PerformanceCut(
                as_of_date=r["as_of_date"],
                model_id=r["model_id"],
                cut=r["cut"],
                ranked=r["establishments_ranked"],
                inspected=r["establishments_inspected"],
                failed=r["establishments_failed"],
                realised_precision=rounded(r["realised_precision"]),
                promised_precision=rounded(r["promised_precision"]),
                precision_gap=rounded(r["precision_gap"]),
                expected_precision=rounded(r["expected_precision"]),
                expected_precision_inspected=rounded(r["expected_precision_inspected"]),
                estimate_gap=rounded(r["estimate_gap"]),
                estimate_status=r["estimate_status"],
                base_rate=rounded(r["base_rate"]),
                share_inspected=rounded(r["share_inspected"]) or 0.0,
                labels_through=r["labels_through"],
            )
            for r in rows
        ]
    )
