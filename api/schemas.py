"""Response models: what each endpoint promises to return (and what /docs shows)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorBody(BaseModel):
    """The body of every error the API itself raises (404, 503)."""

    detail: str = Field(examples=["No score for license 123: it is not in the latest scoring run."])


class Health(BaseModel):
    """Whether the API can answer, and which scores it serves."""

    model_config = ConfigDict(protected_namespaces=())

    status: Literal["ok", "no_scores", "unavailable"] = Field(
        description="ok: scores are served; no_scores: the database answers but nothing is "
        "scored yet; unavailable: the database does not answer (HTTP 503)."
    )
    database: Literal["reachable", "unreachable", "not_migrated"]
    scoring_model_id: str | None = Field(
        default=None, description="The model whose scores the API serves (it scored most recently)."
    )
    latest_as_of_date: date | None = Field(
        default=None, description="The as-of date of the scores the API serves."
    )
    last_scored_at: datetime | None = None
    deployed_model_id: str | None = Field(
        default=None, description="The model the latest selection deployed (`ml.selections`)."
    )
    detail: str | None = None


class EstablishmentScore(BaseModel):
    """One establishment's place in a scoring run, with what the warehouse knows of it."""

    model_config = ConfigDict(protected_namespaces=())

    license_number: int | None = Field(description="The city's license number.")
    establishment_id: str
    name: str | None = Field(description="Doing-business-as name.")
    address: str | None
    zip: str | None
    facility_type: str | None
    facility_group: str | None
    risk_level: int | None = Field(description="1 = high risk, 3 = low; null when unknown.")
    last_inspection_date: date | None = Field(
        description="The latest inspection with a pass/fail outcome; null when none had one."
    )
    last_visit_date: date | None = Field(
        description="The latest inspection of any result: the one `last_result` describes."
    )
    last_result: str | None = Field(
        description="Result of the latest visit, e.g. `pass`, `fail`, `not_ready`, `out_of_business`."
    )
    score: float = Field(description="The model's estimated probability that an inspection fails.")
    rank: int = Field(description="1 = inspect first.")
    as_of_date: date
    model_id: str
    scored_at: datetime


class TopEstablishments(BaseModel):
    """The head of a scoring run's ranking."""

    model_config = ConfigDict(protected_namespaces=())

    model_id: str | None = Field(description="Null when nothing is scored (for that date).")
    as_of_date: date | None
    scored_establishments: int = Field(description="How many establishments the run scored.")
    limit: int
    establishments: list[EstablishmentScore]


class Inspection(BaseModel):
    """One inspection of an establishment, as `marts.fct_inspections` cleaned it."""

    inspection_id: int
    inspection_date: date
    inspection_type: str | None
    result: str | None
    is_failed: bool | None
    risk_level: int | None
    violation_count: int | None
    critical_violation_count: int | None
    serious_violation_count: int | None
    minor_violation_count: int | None


class InspectionHistory(BaseModel):
    """An establishment's inspections, newest first."""

    license_number: int
    establishment_id: str | None
    name: str | None
    address: str | None
    inspections: list[Inspection]
