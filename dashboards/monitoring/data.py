"""The monitoring dashboard's data: queries over the monitoring marts, read-only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dashboards.marts import read_frames
from warehouse.settings import Settings

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
CUT = "10_pct"  # the precision the experiment selects models by


@dataclass(frozen=True)
class MonitoringView:
    slas: pd.DataFrame
    drift: pd.DataFrame
    performance: pd.DataFrame
    drift_history: pd.DataFrame
    scores: pd.DataFrame
    sla_history: pd.DataFrame
    dbt_runs: pd.DataFrame
    problem: str | None = None


def read(settings: Settings | None = None) -> MonitoringView:
    """What the page shows; empty frames and a sentence when the warehouse cannot be read."""
    got = read_frames(
        QUERIES_DIR,
        {
            "sla_board": {},
            "drift": {},
            "performance": {"cut": CUT},
            "drift_history": {},
            "score_distribution": {},
            "sla_history": {},
            "dbt_runs": {},
        },
        settings,
        page="monitoring dashboard",
    )
    return MonitoringView(
        got["sla_board"],
        got["drift"],
        got["performance"],
        got["drift_history"],
        got["score_distribution"],
        got["sla_history"],
        got["dbt_runs"],
        got.problem,
    )
