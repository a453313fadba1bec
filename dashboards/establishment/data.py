"""The establishment page's data, from the core and delivery marts through the read-only role."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboards.marts import read_frames
from warehouse.settings import Settings

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
# |correlation| below this: the feature hardly moves with the score in this run.
FLAT = 0.1


@dataclass(frozen=True)
class EstablishmentView:
    """What the page shows; `establishment` is empty when no establishment matched."""

    establishment: pd.DataFrame = field(default_factory=pd.DataFrame)
    inspections: pd.DataFrame = field(default_factory=pd.DataFrame)
    score_history: pd.DataFrame = field(default_factory=pd.DataFrame)
    features: pd.DataFrame = field(default_factory=pd.DataFrame)
    problem: str | None = None


def read(
    establishment_id: str | None,
    license_number: int | None,
    settings: Settings | None = None,
) -> EstablishmentView:
    """The establishment with that id (else that license), then its inspections, scores and
    features."""
    page = "establishment page"
    found = read_frames(
        QUERIES_DIR,
        {"establishment": {"establishment_id": establishment_id, "license_number": license_number}},
        settings,
        page=page,
    )
    who = found["establishment"]
    if found.problem or who.empty:
        return EstablishmentView(establishment=who, problem=found.problem)
    key = {"establishment_id": str(who.iloc[0]["establishment_id"])}
    rest = read_frames(
        QUERIES_DIR,
        {"inspections": key, "score_history": key, "features": key},
        settings,
        page=page,
    )
    return EstablishmentView(
        who, rest["inspections"], rest["score_history"], rest["features"], rest.problem
    )


def direction(correlation: float | None) -> str:
    """How a feature moves with the score across the run, in words."""
    if correlation is None or pd.isna(correlation):
        return ""
    if correlation >= FLAT:
        return "↑ higher values, higher scores"
    if correlation <= -FLAT:
        return "↓ higher values, lower scores"
    return "· hardly moves the score"
