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


class SlaCheck(BaseModel):
    """One SLA of slas.yml as the newest monitor run measured it."""

    name: str = Field(description="`<kind>.<name>`, e.g. `freshness.newest_inspection`.")
    kind: str = Field(description="freshness, frequency, staleness, time_to_completion, ...")
    status: Literal["ok", "breach", "unknown"]
    value: float | None = Field(description="What was measured (null: nothing recorded yet).")
    threshold: float
    unit: str = Field(description="days, seconds, share or count.")
    detail: str
    measured_as_of: datetime = Field(description="The monitor's clock: now, or a replay's date.")


class SlaBoard(BaseModel):
    """The newest monitor run's SLA board."""

    status: Literal["ok", "warn", "alert", "breach", "unknown", "not_monitored"] = Field(
        description="The monitor run's worst status; not_monitored before the first run."
    )
    monitored_at: datetime | None
    breaches: int
    checks: list[SlaCheck]


class DriftStatistic(BaseModel):
    """One drift statistic of one feature of a scoring run against one reference."""

    feature: str = Field(description="A feature of the deployed model, or `score`.")
    comparison: Literal["training", "previous_run"]
    statistic: Literal["psi", "ks", "js_distance", "missing_change"]
    value: float | None
    warn_at: float
    alert_at: float
    status: Literal["ok", "warn", "alert", "unknown"]
    detail: str


class DriftReport(BaseModel):
    """Drift of one scoring run's inputs (the newest monitored one unless `as_of` is given)."""

    model_config = ConfigDict(protected_namespaces=())

    as_of_date: date | None
    model_id: str | None
    alerts: int
    warnings: int
    statistics: list[DriftStatistic]


class PerformanceCut(BaseModel):
    """Realised precision of one cut of one scoring run's ranking, against what cross-validation
    promised and what the model's calibrated probabilities let us expect."""

    model_config = ConfigDict(protected_namespaces=())

    as_of_date: date
    model_id: str
    cut: str = Field(description="`<k>_pct` (top k% of the ranking) or `capacity`.")
    ranked: int
    inspected: int = Field(description="How many of the ranked have been inspected since.")
    failed: int
    realised_precision: float | None = Field(description="failed / inspected; null before any.")
    promised_precision: float | None = Field(
        description="The mean test-window precision cross-validation measured for the model."
    )
    precision_gap: float | None = Field(description="realised_precision - promised_precision.")
    expected_precision: float | None = Field(
        description="Expected before any label (CBPE): the mean calibrated probability of "
        "failing of the cut's establishments; null for a model without calibration."
    )
    expected_precision_inspected: float | None = Field(
        description="The same over the cut's inspected establishments: what realised_precision "
        "is compared with."
    )
    estimate_gap: float | None = Field(
        description="realised_precision - expected_precision_inspected."
    )
    estimate_status: str = Field(
        description="The estimate gap graded by the experiment's monitoring.estimate_gap: ok, "
        "warn, alert, or unknown until enough of the cut is inspected."
    )
    base_rate: float | None = Field(
        description="Fail rate of every inspected ranked establishment."
    )
    share_inspected: float
    labels_through: date | None = Field(description="The newest inspection date counted.")


class PerformanceHistory(BaseModel):
    runs: list[PerformanceCut]
