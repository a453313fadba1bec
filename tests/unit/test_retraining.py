"""The retraining policy on constructed situations, and the replay's calendar."""

from __future__ import annotations

from datetime import date

import pytest

from flows.cycle import replay_days
from ml.retraining import RetrainingPolicy, decide

POLICY = RetrainingPolicy(max_model_age_days=28, max_precision_gap=0.15, min_inspected=20)
AS_OF = date(2024, 3, 4)


def test_a_young_healthy_model_is_kept() -> None:
    decision = decide(POLICY, AS_OF, date(2024, 2, 19), 0, -0.05, 40)
    assert not decision.retrain
    assert decision.model_age_days == 14
    assert "14 days old" in decision.reason


@pytest.mark.parametrize(
    ("trained_until", "alerts", "gap", "inspected", "reason"),
    [
        (None, 0, None, 0, "no model is deployed"),
        (date(2024, 1, 1), 0, None, 0, "ends 63 days before 2024-03-04 (> 28)"),
        (date(2024, 3, 11), 0, None, 0, "has seen data after 2024-03-04"),
        (date(2024, 2, 26), 2, None, 0, "2 drift alert(s)"),
        (date(2024, 2, 26), 0, -0.2, 25, "0.20 below the promise"),
    ],
)
def test_each_reason_to_retrain(
    trained_until: date | None, alerts: int, gap: float | None, inspected: int, reason: str
) -> None:
    decision = decide(POLICY, AS_OF, trained_until, alerts, gap, inspected)
    assert decision.retrain
    assert reason in decision.reason


def test_a_gap_on_few_labels_is_not_yet_a_reason() -> None:
    assert not decide(POLICY, AS_OF, date(2024, 2, 26), 0, -0.5, 5).retrain


def test_drift_is_no_reason_when_the_policy_says_so() -> None:
    policy = RetrainingPolicy(on_drift_alert=False)
    assert not decide(policy, AS_OF, date(2024, 2, 26), 3, None, 0).retrain


def test_an_estimate_alert_is_a_reason_unless_the_policy_says_otherwise() -> None:
    decision = decide(POLICY, AS_OF, date(2024, 2, 26), 0, None, 40, -0.25, estimate_alert=True)
    assert decision.retrain
    assert "strays from the calibrated estimate (-0.25)" in decision.reason
    assert decision.estimate_gap == -0.25
    quiet = RetrainingPolicy(on_estimate_alert=False)
    assert not decide(quiet, AS_OF, date(2024, 2, 26), 0, None, 40, -0.25, True).retrain


def test_replay_days() -> None:
    assert replay_days(date(2024, 1, 1), date(2024, 1, 20), 7) == [
        date(2024, 1, 1),
        date(2024, 1, 8),
        date(2024, 1, 15),
    ]
    with pytest.raises(ValueError, match="ends"):
        replay_days(date(2024, 2, 1), date(2024, 1, 1), 7)
    with pytest.raises(ValueError, match="at least 1"):
        replay_days(date(2024, 1, 1), date(2024, 1, 2), 0)
