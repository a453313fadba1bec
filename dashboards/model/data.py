"""The model dashboard's data: the leaderboard, precision by window and fairness over time, read
from the delivery and monitoring marts through the read-only role."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dashboards.marts import read_frames
from warehouse.settings import Settings

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
CUT = "10_pct"  # the precision the experiment selects models by
FAIRNESS_METRIC = "fnr"  # the disparity the selection's fairness constraint uses
FAIR_BAND = (0.8, 1.25)  # Aequitas's default: a disparity within it is fair


@dataclass(frozen=True)
class ModelView:
    leaderboard: pd.DataFrame
    windows: pd.DataFrame
    fairness: pd.DataFrame
    problem: str | None = None


def read(settings: Settings | None = None) -> ModelView:
    got = read_frames(
        QUERIES_DIR,
        {
            "leaderboard": {"cut": CUT},
            "precision_by_window": {"cut": CUT},
            "fairness": {"metric": FAIRNESS_METRIC},
        },
        settings,
        page="model dashboard",
    )
    return ModelView(got["leaderboard"], got["precision_by_window"], got["fairness"], got.problem)
