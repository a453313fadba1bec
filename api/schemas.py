"""Response models: what each endpoint promises to return (and what /docs shows)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

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
    score: float = Field(
        description="The model's score, rounded to 4 decimals: higher means more likely to fail; "
        "it orders the ranking but is not itself a probability."
    )
    probability: float | None = Field(
        default=None,
        description="The score as a calibrated probability that a routine inspection fails "
        "(rounded to 4 decimals): the deployed model's calibration on its newest out-of-time "
        "window, see `/models/current`. Null for a model without a calibration.",
    )
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
    matching: int = Field(
        default=0, description="How many of them match the filters (all of them without filters)."
    )
    limit: int
    offset: int = 0
    next_offset: int | None = Field(
        default=None, description="The offset of the next page; null on the last page."
    )
    establishments: list[EstablishmentScore]


class FeatureWeight(BaseModel):
    """One feature of the current model for one establishment: what the model saw, and how much
    weight the model gives that feature overall."""

    feature: str = Field(description="The feature's name (seed feature_catalogue).")
    label: str = Field(description="The feature in words.")
    unit: str | None = Field(description="category, count, days, rate, level, month, weekday.")
    group: str | None = Field(description="history, area, establishment, time, ...")
    value: str | None = Field(description="The value as of the ranking's date; null: missing.")
    model_weight: float | None = Field(
        description="Share (0 to 1, rounded to 4 decimals) of the model's total absolute "
        "importance on this feature: a global weight, not this establishment's contribution."
    )
    weight_rank: int | None = Field(description="1 = the feature the model weighs most.")


class Explanation(BaseModel):
    """Why an establishment ranks where it does in the current run."""

    model_config = ConfigDict(protected_namespaces=())

    license_number: int
    establishment_id: str
    model_id: str
    as_of_date: date
    rank: int
    features_as_of_date: date | None = Field(
        description="The date the feature values are as of (the run's, else the newest cohort's)."
    )
    features: list[FeatureWeight]


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


class CrossValidationMetric(BaseModel):
    """One metric over the out-of-time test windows of one candidate (the model's group or a
    baseline rule) in one experiment."""

    metric: str = Field(description="e.g. precision@, recall@, days_earlier, roc_auc.")
    parameter: str = Field(description="Its parameter (10_pct, 10_per_day), empty when none.")
    mean: float | None
    min: float | None
    max: float | None
    windows: int


class BaselineMetrics(BaseModel):
    """A baseline rule every model must beat, in the same experiment and windows."""

    baseline: str = Field(description="random, highest_risk or most_prior_fails.")
    metrics: list[CrossValidationMetric]


class Calibration(BaseModel):
    """How the model's scores become probabilities."""

    method: str = Field(description="isotonic or sigmoid (Platt scaling).")
    rows: int | None = Field(description="Out-of-time inspections the curve was fitted on.")
    ece_before: float | None = Field(description="Expected calibration error of the raw scores.")
    ece_after: float | None = Field(
        description="Expected calibration error of the probabilities, out of sample."
    )


class ModelDescription(BaseModel):
    """A model of the registry: what it is, what it was trained on, how it did and why it was
    chosen."""

    model_config = ConfigDict(protected_namespaces=())

    model_id: str = Field(description="Content hash of group, windows, seed and training rows.")
    model_group_id: str
    algorithm: str = Field(description="The estimator's class name.")
    estimator_class_path: str
    hyperparameters: dict[str, Any]
    label: str = Field(description="What it predicts, e.g. is_failed.")
    train_start_date: date | None
    train_end_date: date | None = Field(description="Day after its last training row.")
    test_start_date: date | None = Field(
        description="Its own out-of-time test window; null for a refit on every labelled row."
    )
    test_end_date: date | None
    train_rows: int | None
    is_trained_on_all_rows: bool
    trained_at: datetime | None
    is_deployed: bool = Field(description="True for the model that scores now.")
    version: int | None = Field(
        description="Its version number, when a selection proposed it (`canvass models history`)."
    )
    description: str | None = Field(description="What the version is and why it was chosen.")
    alias: Literal["champion", "challenger", ""] = Field(
        description="champion: the model that scores; challenger: proposed, waiting for "
        "`canvass models promote`; empty otherwise."
    )
    deployed_at: datetime | None = Field(description="When it was first deployed; null: never.")
    selection_rule: str | None = Field(description="The rule whose choice deployed it.")
    selection_reason: str | None = Field(description="Why the rule chose its group.")
    calibration: Calibration | None = Field(description="Null for a model never deployed.")
    experiment_hash: str | None = Field(
        description="The experiment whose cross-validation is reported (null: none evaluated "
        "its group)."
    )
    first_test_start_date: date | None = Field(description="The first test window's start.")
    last_test_end_date: date | None = Field(description="The last test window's end.")
    cross_validation: list[CrossValidationMetric] = Field(
        description="Its group's metrics over the experiment's test windows."
    )
    baselines: list[BaselineMetrics]
