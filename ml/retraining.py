"""The retraining policy: retrain when the deployed model is too old, or when the monitor saw its
inputs drift, its realised precision fall short of the promise, or its realised precision stray
from what its calibrated probabilities let us expect (an estimate-gap alert); otherwise score
with it.

`decide()` is pure (values in, a `Decision` out); the monitor records each decision with its reason
(`monitoring.retraining_decisions`), and the weekly cycle and the replay follow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class RetrainingPolicy:
    max_model_age_days: int = 28  # the deployed model's training data ends longer ago than this
    on_drift_alert: bool = True  # a drift alert against the previous scoring run
    max_precision_gap: float = 0.15  # realised precision@cut below the promise by more than this
    gap_cut: str = "10_pct"
    min_inspected: int = 20  # a gap counts once this many ranked establishments are inspected
    on_estimate_alert: bool = True  # realised vs expected (calibrated) precision beyond its alert


@dataclass(frozen=True)
class Decision:
    retrain: bool
    reason: str
    model_age_days: int | None
    drift_alerts: int
    precision_gap: float | None
    estimate_gap: float | None = None


def decide(
    policy: RetrainingPolicy,
    as_of: date,
    trained_until: date | None,
    drift_alerts: int,
    precision_gap: float | None,
    inspected: int,
    estimate_gap: float | None = None,
    estimate_alert: bool = False,
) -> Decision:
    """Whether to retrain as of `as_of`, and why (every reason that applies, or why not)."""
    age = None if trained_until is None else (as_of - trained_until).days
    reasons = []
    if trained_until is None:
        reasons.append("no model is deployed")
    elif age < 0:
        reasons.append(
            f"the deployed model has seen data after {as_of} (trained until {trained_until})"
        )
    elif age > policy.max_model_age_days:
        reasons.append(
            f"the model's data ends {age} days before {as_of} (> {policy.max_model_age_days})"
        )
    if policy.on_drift_alert and drift_alerts:
        reasons.append(f"{drift_alerts} drift alert(s) against the previous run")
    if (
        precision_gap is not None
        and inspected >= policy.min_inspected
        and precision_gap < -policy.max_precision_gap
    ):
        reasons.append(
            f"realised precision@{policy.gap_cut} is {-precision_gap:.2f} below the promise "
            f"(> {policy.max_precision_gap})"
        )
    if policy.on_estimate_alert and estimate_alert:
        gap = "" if estimate_gap is None else f" ({estimate_gap:+.2f})"
        reasons.append(
            f"realised precision@{policy.gap_cut} strays from the calibrated estimate{gap}"
        )
    if reasons:
        return Decision(True, "; ".join(reasons), age, drift_alerts, precision_gap, estimate_gap)
    return Decision(
        False,
        f"the model is {age} days old, no drift alert, realised precision within "
        f"{policy.max_precision_gap} of the promise",
        age,
        drift_alerts,
        precision_gap,
        estimate_gap,
    )
